"""ipr money: the IPR detentions' declared value and sample bond amounts hold exact integers on SQLite

Migration 0009 moved the bond, AD/CVD and forced-labor money columns to hub.db.money.Money; the two IPR
columns (detentions.declared_value, sample_requests.bond_amount) follow here, the same way: the DDL stays
NUMERIC(14, 2), rows SQLite stored as REAL (or INTEGER dollars) are scaled to cents once. Nothing to do on
PostgreSQL.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 17:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# (table, column, scale); tests/db/test_money.py checks 0009's and this list together against the models.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ('detentions', 'declared_value', 2),
    ('sample_requests', 'bond_amount', 2),
)


def _scale(up: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    for table, column, scale in COLUMNS:
        units = 10 ** scale
        expr = f'CAST(ROUND({column} * {units}) AS INTEGER)' if up else f'CAST({column} AS REAL) / {units}'
        # Names and factors come from COLUMNS above, never from input.
        bind.execute(sa.text(f'UPDATE {table} SET {column} = {expr} WHERE {column} IS NOT NULL'))  # noqa: S608


def upgrade() -> None:
    _scale(up=True)


def downgrade() -> None:
    _scale(up=False)
