"""recovery outcomes: orders, satisfaction surveys, loyalty outcomes, standing changes

Customers gain an external reference (their number in the CRM/ERP, matched by order
imports), our share of their purchases where known, and a segment set by hand with its
reason. The recovery rules are one row that team leads edit.

Revision ID: 0009_recovery_outcomes
Revises: 0008_ticket_search
Create Date: 2026-11-22 15:05:40.382782

"""
from alembic import op
import sqlalchemy as sa
import ticketdesk.database  # custom column types used by autogenerate


# revision identifiers, used by Alembic.
revision = '0009_recovery_outcomes'
down_revision = '0008_ticket_search'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('recovery_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('require_make_whole_in_sla', sa.Boolean(), nullable=False),
    sa.Column('require_apology', sa.Boolean(), nullable=False),
    sa.Column('reopen_window_days', sa.Integer(), nullable=False),
    sa.Column('min_satisfaction', sa.Integer(), nullable=False),
    sa.Column('exclude_conceded', sa.Boolean(), nullable=False),
    sa.Column('first_complaint_months', sa.Integer(), nullable=False),
    sa.Column('exclude_p1', sa.Boolean(), nullable=False),
    sa.Column('require_prior_purchase', sa.Boolean(), nullable=False),
    sa.Column('repeat_failure_months', sa.Integer(), nullable=False),
    sa.Column('retention_window_days', sa.Integer(), nullable=False),
    sa.Column('survey_valid_days', sa.Integer(), nullable=False),
    sa.Column('reopen_below_score', sa.Integer(), nullable=True),
    sa.Column('segment_window_days', sa.Integer(), nullable=False),
    sa.Column('self_driven_min_purchases', sa.Integer(), nullable=False),
    sa.Column('stalled_drop_percent', sa.Integer(), nullable=False),
    sa.Column('self_driven_min_share', sa.Integer(), nullable=False),
    sa.Column('updated_at', ticketdesk.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('min_satisfaction BETWEEN 1 AND 5', name=op.f('ck_recovery_rules_min_satisfaction_range')),
    sa.CheckConstraint('reopen_below_score IS NULL OR reopen_below_score BETWEEN 2 AND 5', name=op.f('ck_recovery_rules_reopen_below_score_range')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_recovery_rules_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_rules'))
    )
    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('ordered_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('remedy_ticket_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.Enum('manual', 'import', name='ordersource', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', ticketdesk.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_orders_amount_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_orders_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_orders_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['remedy_ticket_id'], ['tickets.id'], name=op.f('fk_orders_remedy_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('customer_id', 'reference', name='uq_orders_customer_reference')
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_customer_date', ['customer_id', 'ordered_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_remedy_ticket_id'), ['remedy_ticket_id'], unique=False)

    op.create_table('standing_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('old_standing', sa.Enum('strategic', 'preferred', 'qualification_pending', 'passive_elimination', 'active_elimination', name='standing', native_enum=False, length=32), nullable=True),
    sa.Column('new_standing', sa.Enum('strategic', 'preferred', 'qualification_pending', 'passive_elimination', 'active_elimination', name='standing', native_enum=False, length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', ticketdesk.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_standing_changes_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_standing_changes_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_standing_changes_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_standing_changes'))
    )
    with op.batch_alter_table('standing_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_standing_changes_customer_id'), ['customer_id'], unique=False)

    op.create_table('surveys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('sent_at', ticketdesk.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', ticketdesk.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('superseded_at', ticketdesk.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', ticketdesk.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.CheckConstraint('score IS NULL OR (score >= 1 AND score <= 5)', name=op.f('ck_surveys_score_range')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_surveys_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_surveys_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys')),
    sa.UniqueConstraint('nonce', name=op.f('uq_surveys_nonce'))
    )
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('recovery_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('evaluated_at', ticketdesk.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=False),
    sa.Column('success', sa.Boolean(), nullable=False),
    sa.Column('failed', sa.JSON(), nullable=False),
    sa.Column('not_eligible', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('candidate', 'retained', 'lapsed', 'at_risk', name='loyaltystate', native_enum=False, length=32), nullable=True),
    sa.Column('window_ends_on', sa.Date(), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('reorder_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_recovery_outcomes_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reorder_id'], ['orders.id'], name=op.f('fk_recovery_outcomes_reorder_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_recovery_outcomes_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_outcomes')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_recovery_outcomes_ticket_id'))
    )
    with op.batch_alter_table('recovery_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_outcomes_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recovery_outcomes_state'), ['state'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_ref', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('purchase_share', sa.Numeric(precision=5, scale=2), nullable=True))
        batch_op.add_column(sa.Column('segment_override', sa.Enum('self_driven', 'needs_push', 'stalled', name='engagementsegment', native_enum=False, length=32), nullable=True))
        batch_op.add_column(sa.Column('segment_override_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('segment_override_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('segment_override_at', ticketdesk.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_customers_external_ref'), ['external_ref'])
        batch_op.create_foreign_key(batch_op.f('fk_customers_segment_override_by_id_users'), 'users', ['segment_override_by_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_customers_segment_override_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_customers_external_ref'), type_='unique')
        batch_op.drop_column('segment_override_at')
        batch_op.drop_column('segment_override_by_id')
        batch_op.drop_column('segment_override_reason')
        batch_op.drop_column('segment_override')
        batch_op.drop_column('purchase_share')
        batch_op.drop_column('external_ref')

    with op.batch_alter_table('recovery_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_outcomes_state'))
        batch_op.drop_index(batch_op.f('ix_recovery_outcomes_customer_id'))

    op.drop_table('recovery_outcomes')
    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveys_ticket_id'))

    op.drop_table('surveys')
    with op.batch_alter_table('standing_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_standing_changes_customer_id'))

    op.drop_table('standing_changes')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_remedy_ticket_id'))
        batch_op.drop_index('ix_orders_customer_date')

    op.drop_table('orders')
    op.drop_table('recovery_rules')
