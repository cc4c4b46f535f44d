"""disclosure log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 13:36:24.041133
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # seq has no server-side default: hub.audit.log.record assigns it gaplessly under the append lock.
    op.create_table('disclosure_log',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_id', sa.String(length=200), nullable=False),
    sa.Column('organization_id', sa.String(length=32), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('item', sa.String(length=200), nullable=False),
    sa.Column('rule_ids', sa.String(), nullable=False),
    sa.Column('policy_version', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('hash', name='uq_disclosure_hash')
    )
    with op.batch_alter_table('disclosure_log', schema=None) as batch_op:
        batch_op.create_index('ix_disclosure_object', ['object_type', 'object_id', 'seq'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('disclosure_log', schema=None) as batch_op:
        batch_op.drop_index('ix_disclosure_object')

    op.drop_table('disclosure_log')
