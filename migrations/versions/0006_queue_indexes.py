"""indexes that let the queues sort a page from the index, and find repeat failures

The team, assignee and status indexes grow the columns of the queue's default order
(due time, severity, received), so a page's ids are sorted from index entries instead
of thousands of ticket rows; each replaces the narrower index it starts with. A
customer's tickets in a category by date serve the repeat-failure check.

Revision ID: 0006_queue_indexes
Revises: 0005_sla_scheduler
Create Date: 2026-11-22 12:40:00.000000

"""
from alembic import op
import sqlalchemy as sa
import ticketdesk.database  # custom column types used by autogenerate


# revision identifiers, used by Alembic.
revision = '0006_queue_indexes'
down_revision = '0005_sla_scheduler'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_team_status')
        batch_op.drop_index('ix_tickets_assignee_status')
        batch_op.drop_index(batch_op.f('ix_tickets_status'))
        batch_op.create_index('ix_tickets_team_queue',
                              ['team_id', 'status', 'sla_due_at', 'severity', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_tickets_assignee_queue',
                              ['assignee_id', 'status', 'sla_due_at', 'severity', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_tickets_status_queue',
                              ['status', 'sla_due_at', 'severity', 'created_at', 'team_id',
                               'assignee_id'],
                              unique=False)
        batch_op.create_index('ix_tickets_customer_category',
                              ['customer_id', 'category_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_customer_category')
        batch_op.drop_index('ix_tickets_status_queue')
        batch_op.drop_index('ix_tickets_assignee_queue')
        batch_op.drop_index('ix_tickets_team_queue')
        batch_op.create_index(batch_op.f('ix_tickets_status'), ['status'], unique=False)
        batch_op.create_index('ix_tickets_assignee_status', ['assignee_id', 'status'],
                              unique=False)
        batch_op.create_index('ix_tickets_team_status', ['team_id', 'status'], unique=False)
