"""a covering index for the service-level dashboard

Every column the dashboard's figures read, so counting a period's tickets scans this
index instead of the wide ticket rows.

Revision ID: 0007_report_index
Revises: 0006_queue_indexes
Create Date: 2026-11-22 13:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_report_index'
down_revision = '0006_queue_indexes'
branch_labels = None
depends_on = None

# As in ticketdesk.models.ticket.REPORT_COLUMNS when this revision was written.
COLUMNS = [
    'created_at', 'resolved_at', 'made_whole_at', 'team_id', 'assignee_id', 'category_id',
    'customer_id', 'first_response_at', 'first_response_due_at', 'first_response_minutes',
    'first_response_breached', 'next_response_breached', 'resolution_due_at',
    'resolution_minutes', 'resolution_breached', 'remedy_due_at', 'remedy_breached',
]


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_report', COLUMNS, unique=False)


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_report')
