"""delivery: a stored Message-ID per outgoing e-mail, a fencing token on leases

Every outbox message keeps the Message-ID it was queued with, so each attempt to
send it carries the same one (messages queued before this revision get one made from
their id). Scheduler leases gain the fencing token that goes up each time a lease
changes hands.

Revision ID: 0012_delivery_fencing
Revises: 0011_sla_stops
Create Date: 2026-12-07 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
import ticketdesk.database  # custom column types used by autogenerate


# revision identifiers, used by Alembic.
revision = '0012_delivery_fencing'
down_revision = '0011_sla_stops'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=255), nullable=True))
    # Messages already queued: a Message-ID of their own, the same on both databases.
    op.execute("UPDATE outbox_messages SET message_id = "
               "'<outbox-' || CAST(id AS VARCHAR(20)) || '@ticketdesk.invalid>' "
               "WHERE message_id IS NULL")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('message_id', existing_type=sa.String(length=255),
                              nullable=False)
        batch_op.create_unique_constraint('uq_outbox_messages_message_id', ['message_id'])

    with op.batch_alter_table('scheduler_leases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.Integer(), server_default='1',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('scheduler_leases', schema=None) as batch_op:
        batch_op.drop_column('token')

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint('uq_outbox_messages_message_id', type_='unique')
        batch_op.drop_column('message_id')
