"""Shared fixtures: a Hub on each database backend (SQLite always, PostgreSQL when reachable).

PostgreSQL tests skip with a visible reason when no server answers; with HUB_REQUIRE_POSTGRES=1
(CI sets it) that skip becomes a failure, so a green CI always means PostgreSQL was exercised.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from hub.app import create_app
from hub.runtime import Hub, open_hub
from hub.services.demo import demo_clients, seed_parties
from hub.services.demo_adcvd import seed_adcvd
from hub.services.demo_bonds import seed_bonds
from hub.services.demo_forced_labor import seed_forced_labor
from hub.services.demo_ipr import seed_ipr
from hub.settings import Settings

PG_ADMIN_URL = os.environ.get("HUB_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("HUB_REQUIRE_POSTGRES") == "1"
ISSUER = "https://hub.test"


def _pg_unavailable_reason() -> str | None:
    async def probe() -> None:
        engine = create_async_engine(PG_ADMIN_URL)
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        finally:
            await engine.dispose()

    try:
        asyncio.run(asyncio.wait_for(probe(), 5))
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}: {exc}"
    return None


_PG_REASON = _pg_unavailable_reason()


def require_postgres() -> None:
    if _PG_REASON is None:
        return
    if REQUIRE_PG:
        pytest.fail(f"HUB_REQUIRE_POSTGRES=1 but {_PG_REASON}")
    pytest.skip(_PG_REASON)


async def _admin(sql: str) -> None:
    engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def create_postgres_database() -> str:
    """A new, empty database on the test server; returns its URL."""
    require_postgres()
    name = f"hub_test_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


async def drop_postgres_database(url: str) -> None:
    await _admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """A new database for one test session (or one test), dropped afterwards."""
    url = await create_postgres_database()
    try:
        yield url
    finally:
        await drop_postgres_database(url)


def make_settings(data_dir: Path, database_url: str | None = None, **extra: Any) -> Settings:
    return Settings(
        data_dir=data_dir, database_url=database_url, demo=True, issuer=ISSUER, **extra
    )


@dataclass
class HubHarness:
    """An open Hub with demo parties, its ASGI app, and helpers to get tokens."""

    hub: Hub
    client: httpx.AsyncClient
    demo: dict[str, dict[str, Any]]
    backend: str

    def demo_orgs(self) -> set[str]:
        return {c["organization_id"] for c in self.demo.values()}

    async def token(self, client_id: str) -> str:
        demo = self.demo[client_id]
        response = await self.client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, demo["client_secret"]),
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    async def graphql(self, client_id: str | None, query: str, variables: dict[str, Any] | None = None,
                      ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {await self.token(client_id)}"} if client_id else {}
        response = await self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                          headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


async def open_harness(data_dir: Path, database_url: str | None, backend: str) -> AsyncIterator[HubHarness]:
    hub = await open_hub(make_settings(data_dir, database_url))
    now = datetime.now(UTC)
    await seed_parties(hub.sessions, now)
    await seed_bonds(hub.sessions, now)  # first: the IPR demo's sample request names the sample bond
    await seed_ipr(hub.sessions, hub.store, hub.calendar, now, hub.settings.expedited_value_threshold)
    await seed_adcvd(hub.sessions, now)
    await seed_forced_labor(hub.sessions, hub.calendar, now)
    async with hub.sessions() as session:
        demo = {c["client_id"]: c for c in await demo_clients(session)}
    transport = httpx.ASGITransport(app=create_app(hub))
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
        yield HubHarness(hub, client, demo, backend)
    await hub.close()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
async def harness(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[HubHarness]:
    """The demo Hub on each backend; tests using it run once per backend."""
    backend = request.param
    data_dir = tmp_path_factory.mktemp(f"hub-{backend}")
    if backend == "sqlite":
        async for h in open_harness(data_dir, None, backend):
            yield h
        return
    async with fresh_postgres_database() as url:
        async for h in open_harness(data_dir, url, backend):
            yield h


@pytest.fixture(scope="session")
async def sqlite_harness(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[HubHarness]:
    """The demo Hub on SQLite only, for tests about HTTP behaviour that does not touch the database."""
    async for h in open_harness(tmp_path_factory.mktemp("hub-sqlite-only"), None, "sqlite"):
        yield h
