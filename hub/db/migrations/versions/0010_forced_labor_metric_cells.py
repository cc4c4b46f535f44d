"""forced labor metric cells

fl_metric_cells keeps the forced-labor metrics per month, quarter and year and order (issue 7, "Performance"),
recomputed by every detention write (hub/services/forced_labor_metrics.py ``refresh_cells``); this revision fills it
from the detentions already recorded. ix_fl_detention_deemed finds the UFLPA detentions whose deemed exclusion is
still ahead (the cells the metrics recompute live).

Self-contained: the fill is the SQL of ``cells_from_detentions`` as of this revision, written out here (no import
of hub code), so later changes to the models or the metrics service cannot change what this revision does. Cells as
if every UFLPA deemed exclusion had come: outcome, else EXCLUDED when deemed_excluded_at is set, else PENDING; days to
resolution are resolution_days, or 30 for a deemed exclusion (19 CFR 151.16); the median is stored doubled.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fl_metric_cells',
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('order_key', sa.String(length=32), nullable=False),
    sa.Column('shipments', sa.Integer(), nullable=False),
    sa.Column('importers', sa.Integer(), nullable=False),
    sa.Column('value_cents', sa.BigInteger(), nullable=False),
    sa.Column('released', sa.Integer(), nullable=False),
    sa.Column('exported', sa.Integer(), nullable=False),
    sa.Column('excluded', sa.Integer(), nullable=False),
    sa.Column('seized', sa.Integer(), nullable=False),
    sa.Column('pending', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.Column('resolved_within_window', sa.Integer(), nullable=False),
    sa.Column('median_days_halves', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('period_kind', 'period', 'order_key')
    )
    with op.batch_alter_table('fl_detentions', schema=None) as batch_op:
        batch_op.create_index('ix_fl_detention_deemed', ['outcome', 'deemed_excluded_at'], unique=False)
    # The cells of the detentions recorded so far, by the same INSERT ... SELECT the writes used at this revision.
    bind = op.get_bind()
    for period in PERIODS:
        bind.execute(sa.text(fill_sql(bind.dialect.name, period)))


PERIODS = ("MONTH", "QUARTER", "YEAR")
_PERIOD_KEY = {  # 2024-03 | 2024-Q1 | 2024, of the day of detention
    "postgresql": {"MONTH": "to_char(detained_on, 'YYYY-MM')", "QUARTER": "to_char(detained_on, 'YYYY-\"Q\"Q')",
                   "YEAR": "to_char(detained_on, 'YYYY')"},
    "sqlite": {"MONTH": "strftime('%Y-%m', detained_on)",
               "QUARTER": "strftime('%Y', detained_on) || '-Q' || "
                          "((CAST(strftime('%m', detained_on) AS INTEGER) + 2) / 3)",
               "YEAR": "strftime('%Y', detained_on)"},
}
_BUCKET = ("CASE WHEN outcome IS NOT NULL THEN outcome WHEN deemed_excluded_at IS NOT NULL THEN 'EXCLUDED' "
           "ELSE 'PENDING' END")
_DAYS = ("CASE WHEN outcome IS NOT NULL THEN resolution_days "
         "WHEN outcome IS NULL AND deemed_excluded_at IS NOT NULL THEN 30 END")
_WITHIN = ("CASE WHEN outcome IS NOT NULL AND resolved_on <= window_ends_on THEN 1 "
           "WHEN outcome IS NULL AND deemed_excluded_at IS NOT NULL THEN 1 ELSE 0 END")
_COUNTS = ", ".join(f"sum(CASE WHEN {_BUCKET} = '{o}' THEN 1 ELSE 0 END) AS {o.lower()}"
                    for o in ("RELEASED", "EXPORTED", "EXCLUDED", "SEIZED", "PENDING"))
_COLUMNS = ("period_kind, period, order_key, shipments, importers, value_cents, released, exported, excluded, seized, "
            "pending, resolved, resolved_within_window, median_days_halves")


def fill_sql(dialect: str, period: str) -> str:
    """INSERT ... SELECT of every cell of one period kind from fl_detentions (PostgreSQL or SQLite)."""
    return f"INSERT INTO fl_metric_cells ({_COLUMNS}) {select_sql(dialect, period)}"


def select_sql(dialect: str, period: str) -> str:
    """The cells of one period kind, in the columns of fl_metric_cells at this revision. Only this module's constants
    are formatted in (S608 does not apply): no input reaches the statement."""
    key = _PERIOD_KEY["postgresql" if dialect == "postgresql" else "sqlite"][period]
    totals = (f"SELECT order_id, {key} AS period, count(*) AS shipments, count(DISTINCT importer_org_id) AS importers, "
              f"sum(value) AS value, {_COUNTS}, count({_DAYS}) AS resolved, sum({_WITHIN}) AS within")
    if dialect == "postgresql":
        # value is NUMERIC(dollars): to cents; the median by percentile_cont.
        source = (f"{totals}, percentile_cont(0.5) WITHIN GROUP (ORDER BY {_DAYS} ASC) AS median "
                  f"FROM fl_detentions GROUP BY order_id, {key}")
        cents = "CAST(c.value * 100 AS BIGINT)"
    else:
        # value is stored as integer cents (hub.db.money at this revision); SQLite has no percentile: the median is
        # the mean of the middle one or two values of each group, ranked by ROW_NUMBER over COUNT.
        ranked = (f"SELECT order_id, {key} AS period, {_DAYS} AS days, "  # noqa: S608
                  f"row_number() OVER (PARTITION BY order_id, {key} ORDER BY {_DAYS}) AS rn, "
                  f"count(*) OVER (PARTITION BY order_id, {key}) AS n FROM fl_detentions WHERE {_DAYS} IS NOT NULL")
        middle = (f"SELECT r.order_id, r.period, avg(r.days) AS median FROM ({ranked}) AS r "  # noqa: S608
                  "WHERE r.rn IN ((r.n + 1) / 2, (r.n + 2) / 2) GROUP BY r.order_id, r.period")
        source = (f"SELECT t.*, m.median FROM ({totals} FROM fl_detentions GROUP BY order_id, {key}) AS t "  # noqa: S608
                  f"LEFT OUTER JOIN ({middle}) AS m "
                  "ON coalesce(t.order_id, '') = coalesce(m.order_id, '') AND t.period = m.period")
        cents = "CAST(c.value AS BIGINT)"
    return (f"SELECT '{period}', c.period, coalesce(c.order_id, ''), c.shipments, c.importers, {cents}, "  # noqa: S608
            "c.released, c.exported, c.excluded, c.seized, c.pending, c.resolved, coalesce(c.within, 0), "
            f"CAST(round(c.median * 2) AS INTEGER) FROM ({source}) AS c")


def downgrade() -> None:
    with op.batch_alter_table('fl_detentions', schema=None) as batch_op:
        batch_op.drop_index('ix_fl_detention_deemed')
    op.drop_table('fl_metric_cells')
