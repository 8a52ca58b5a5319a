"""remedies keep why they wait for a lead or an admin

``approval_reasons`` holds the reasons the authority rule gave when the remedy was
proposed (over the agent limit, over the lead limit, over the cap, cash to a strategic
account, repeat failure), comma-separated. The rule's inputs move (later remedies, later
failures, a changed tier), so the reason is kept rather than recomputed. Remedies proposed
before this revision keep an empty value: their reason was never recorded.

Revision ID: 0017_approval_reason
Revises: 0016_step_completion
Create Date: 2026-12-07 23:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_approval_reason'
down_revision = '0016_step_completion'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('remedies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_reasons', sa.String(length=200),
                                      server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('remedies', schema=None) as batch_op:
        batch_op.drop_column('approval_reasons')
