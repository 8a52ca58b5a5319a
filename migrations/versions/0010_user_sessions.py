"""user sessions: one row per logged-in browser, so logging out ends it on the server

Logging out, "log out everywhere", a password change or reset and deactivation delete
rows; the cookies then log nobody in. Sessions from before this revision (which carried
the bare user id) are not accepted any more: everyone logs in once again.

Revision ID: 0010_user_sessions
Revises: 0009_recovery_outcomes
Create Date: 2026-12-07 15:40:00

"""
from alembic import op
import sqlalchemy as sa
import ticketdesk.database  # custom column types used by autogenerate


# revision identifiers, used by Alembic.
revision = '0010_user_sessions'
down_revision = '0009_recovery_outcomes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('created_at', ticketdesk.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', ticketdesk.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_user_sessions_expires_at'))

    op.drop_table('user_sessions')
