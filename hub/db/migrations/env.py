"""Alembic environment: runs on a connection handed in by hub.db.migrate, or on the configured URL."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import hub.db.models  # noqa: F401  (registers every table on SQLModel.metadata)
from hub.db.money import Money, Rate
from hub.db.session import create_engine
from hub.db.tables import UTCDateTime

target_metadata = SQLModel.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # UTCDateTime only converts values in Python: in the database it is a plain timestamptz.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    # Money and Rate convert values only (integers on SQLite): in the database they are plain NUMERIC columns.
    if type_ == "type" and isinstance(obj, (Money, Rate)):
        return f"sa.Numeric(precision={obj.precision}, scale={obj.scale})"
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=_render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online_async(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_online_async(context.config.get_main_option("sqlalchemy.url") or ""))
