"""A migrated, empty database on each backend, for the row-scope property tests (tests/db/test_*scope*.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.db import migrate
from hub.db.session import create_engine
from tests.conftest import create_postgres_database, drop_postgres_database


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    await migrate.upgrade(engine)
    await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Migrated to head; SQLite in the test's folder, PostgreSQL a fresh database dropped afterwards."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'scope.sqlite3'}"
        asyncio.run(_migrate(url))
        yield url
        return
    url = asyncio.run(create_postgres_database())
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(drop_postgres_database(url))
