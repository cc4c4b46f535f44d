"""money types: SQLite money and rate columns hold exact integers (cents, ten-thousandths)

The DDL does not change (the columns stay NUMERIC(14, 2) / NUMERIC(9, 4)): hub.db.money.Money and Rate store
integers on SQLite, where SQLAlchemy's Numeric stored floats. Rows written before this revision held the amount
itself (as REAL, or as an INTEGER when whole), so they are scaled here, once: ROUND(x * 100) for money,
ROUND(x * 10000) for rates. PostgreSQL stores NUMERIC natively: nothing to do there.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# (table, column, scale): every column declared with hub.db.money.Money / Rate at this revision
# (tests/db/test_money.py checks this list against the models).
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ('bonds', 'amount', 2),
    ('bonds', 'dtf', 2),
    ('bonds', 'entered_value', 2),
    ('bonds', 'adcvd_rate_percent', 4),
    ('bonds', 'adcvd_subject_value', 2),
    ('bond_insufficiency_notices', 'required_amount', 2),
    ('bond_secured_entries', 'entered_value', 2),
    ('bond_secured_entries', 'dtf', 2),
    ('bond_secured_entries', 'adcvd_open', 2),
    ('adcvd_company_rates', 'rate_percent', 4),
    ('entry_lines', 'entered_value', 2),
    ('entry_lines', 'deposit_rate', 4),
    ('entry_lines', 'deposit_amount', 2),
    ('fl_detentions', 'value', 2),
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
