"""forced labor metric cells

fl_metric_cells keeps the forced-labor metrics per month, quarter and year and order (issue 7, "Performance"),
recomputed by every detention write (hub/services/forced_labor_metrics.py ``refresh_cells``); this revision fills it
from the detentions already recorded. ix_fl_detention_deemed finds the UFLPA detentions whose deemed exclusion is
still ahead (the cells the metrics recompute live).

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
    # The cells of the detentions recorded so far, by the same INSERT ... SELECT the writes use.
    from hub.services.forced_labor_metrics import Period, cells_from_detentions
    bind = op.get_bind()
    for period in Period:
        bind.execute(cells_from_detentions(bind.dialect.name, period))


def downgrade() -> None:
    with op.batch_alter_table('fl_detentions', schema=None) as batch_op:
        batch_op.drop_index('ix_fl_detention_deemed')
    op.drop_table('fl_metric_cells')
