"""Alembic migrations build exactly the tables the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import hub.db.models  # noqa: F401
from hub.db import migrate
from hub.db.session import create_engine
from tests.conftest import fresh_postgres_database


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


async def _assert_no_drift(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        await migrate.upgrade(engine)  # a second run is a no-op, not an error
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff) == []
    finally:
        await engine.dispose()


async def test_sqlite_migrations_match_models(tmp_path: Path) -> None:
    await _assert_no_drift(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}")


async def test_postgres_migrations_match_models() -> None:
    async with fresh_postgres_database() as url:
        await _assert_no_drift(url)
