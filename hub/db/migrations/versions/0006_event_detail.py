"""event detail: what within the object an event is about

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_events') as batch:
        batch.add_column(sa.Column('detail', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_events') as batch:
        batch.drop_column('detail')
