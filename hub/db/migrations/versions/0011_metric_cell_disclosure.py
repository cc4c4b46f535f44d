"""metric cell disclosure: the largest importer's detentions and value per forced-labor metric cell

The public metrics (R-FL-METRICS-PUBLIC) publish a cell only when no single importer holds more than a configurable
share of its detentions or of its value (the dominance rule; hub/services/forced_labor_metrics.py ``Disclosure``).
fl_metric_cells keeps, per cell, the largest importer's count and value (``refresh_cells`` maintains them with the
rest of the cell); this revision adds the two columns and fills them for the cells already stored, from the
detentions (each importer's subtotal in the cell, the largest), so that the stored cells equal a from-scratch
recomputation. Self-contained SQL, like 0010: no hub code is imported.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


_PERIOD_KEY = {  # 2024-03 | 2024-Q1 | 2024, of the day of detention (as in 0010)
    "postgresql": {"MONTH": "to_char(d.detained_on, 'YYYY-MM')", "QUARTER": "to_char(d.detained_on, 'YYYY-\"Q\"Q')",
                   "YEAR": "to_char(d.detained_on, 'YYYY')"},
    "sqlite": {"MONTH": "strftime('%Y-%m', d.detained_on)",
               "QUARTER": "strftime('%Y', d.detained_on) || '-Q' || "
                          "((CAST(strftime('%m', d.detained_on) AS INTEGER) + 2) / 3)",
               "YEAR": "strftime('%Y', d.detained_on)"},
}


def fill_sql(dialect: str, period: str) -> str:
    """UPDATE of one period kind's cells: the largest importer's count and value (cents) among the cell's detentions.
    Only this module's constants are formatted in: no input reaches the statement."""
    key = _PERIOD_KEY["postgresql" if dialect == "postgresql" else "sqlite"][period]
    # value is NUMERIC dollars on PostgreSQL, integer cents on SQLite (hub.db.money)
    cents = "CAST(sum(d.value) * 100 AS BIGINT)" if dialect == "postgresql" else "CAST(sum(d.value) AS BIGINT)"
    cell = (f"FROM fl_detentions AS d WHERE coalesce(d.order_id, '') = fl_metric_cells.order_key "
            f"AND {key} = fl_metric_cells.period GROUP BY d.importer_org_id")
    return (f"UPDATE fl_metric_cells SET "  # noqa: S608
            f"top_importer_shipments = coalesce((SELECT count(*) {cell} ORDER BY count(*) DESC LIMIT 1), 0), "
            f"top_importer_value_cents = coalesce((SELECT {cents} {cell} ORDER BY 1 DESC LIMIT 1), 0) "
            f"WHERE period_kind = '{period}'")


def upgrade() -> None:
    with op.batch_alter_table('fl_metric_cells', schema=None) as batch_op:
        batch_op.add_column(sa.Column('top_importer_shipments', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('top_importer_value_cents', sa.BigInteger(), nullable=False,
                                      server_default='0'))
    bind = op.get_bind()
    for period in ("MONTH", "QUARTER", "YEAR"):
        bind.execute(sa.text(fill_sql(bind.dialect.name, period)))
    with op.batch_alter_table('fl_metric_cells', schema=None) as batch_op:  # the models declare no default
        batch_op.alter_column('top_importer_shipments', server_default=None)
        batch_op.alter_column('top_importer_value_cents', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('fl_metric_cells', schema=None) as batch_op:
        batch_op.drop_column('top_importer_value_cents')
        batch_op.drop_column('top_importer_shipments')
