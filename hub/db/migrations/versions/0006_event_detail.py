"""event detail: what within the object an event is about; NOTIFY from a trigger on PostgreSQL

The trigger replaces a ``SELECT pg_notify(...)`` round trip per event in hub.events.outbox.emit: the
notification still goes out at commit, and only if the transaction commits.

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


NOTIFY_FUNCTION = """
CREATE FUNCTION hub_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('hub_events', NEW.id);
  RETURN NULL;
END $$"""
NOTIFY_TRIGGER = ("CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events "
                  "FOR EACH ROW EXECUTE FUNCTION hub_outbox_notify()")


def upgrade() -> None:
    with op.batch_alter_table('outbox_events') as batch:
        batch.add_column(sa.Column('detail', sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(NOTIFY_FUNCTION)
        op.execute(NOTIFY_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER outbox_events_notify ON outbox_events")
        op.execute("DROP FUNCTION hub_outbox_notify()")
    with op.batch_alter_table('outbox_events') as batch:
        batch.drop_column('detail')
