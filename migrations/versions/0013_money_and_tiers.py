"""money to three decimals; the history of customer tiers

Amounts are stored as NUMERIC(15, 3) so currencies with three decimals (KWD, BHD) keep
their minor unit; a NUMERIC(12, 2) column would round 1.125 KWD to 1.13 on PostgreSQL.
Every amount that fits the old columns fits the new ones unchanged.

``tier_changes`` records each change of a customer's tier with its reason, like
``standing_changes``; approvals read the highest tier held over a recent window from it.

On SQLite the type change rebuilds the tables (batch mode); rebuilding ``tickets`` drops
the triggers that keep the keyword search index in step, so they are made again.

Revision ID: 0013_money_and_tiers
Revises: 0012_delivery_fencing
Create Date: 2026-12-07 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
import ticketdesk.database  # custom column types used by autogenerate


# revision identifiers, used by Alembic.
revision = '0013_money_and_tiers'
down_revision = '0012_delivery_fencing'
branch_labels = None
depends_on = None

OLD = sa.Numeric(precision=12, scale=2)
NEW = sa.Numeric(precision=15, scale=3)
MONEY_COLUMNS = {
    'tickets': (('order_value', True), ('claimed_loss', True)),
    'remedies': (('cost', False), ('affected_value', True), ('cap_base', False)),
    'orders': (('amount', False),),
    'playbook_versions': (('evidence_threshold', False), ('goodwill_value', False)),
}
TIERS = sa.Enum('strategic', 'key', 'standard', name='customertier', native_enum=False,
                length=32)

# As in 0008_ticket_search: the triggers keeping the SQLite search index in step.
SEARCH_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS ticket_search_insert AFTER INSERT ON tickets BEGIN
  INSERT INTO ticket_search (rowid, subject, description)
  VALUES (new.id, lower(new.subject), lower(new.description));
END""",
    """CREATE TRIGGER IF NOT EXISTS ticket_search_update
AFTER UPDATE OF id, subject, description ON tickets BEGIN
  DELETE FROM ticket_search WHERE rowid = old.id;
  INSERT INTO ticket_search (rowid, subject, description)
  VALUES (new.id, lower(new.subject), lower(new.description));
END""",
    """CREATE TRIGGER IF NOT EXISTS ticket_search_delete AFTER DELETE ON tickets BEGIN
  DELETE FROM ticket_search WHERE rowid = old.id;
END""",
)


def _search_triggers(bind) -> bool:
    if bind.dialect.name != 'sqlite':
        return False
    return bind.exec_driver_sql(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
        "AND name LIKE 'ticket_search_%'").scalar() > 0


def _retype(old, new):
    bind = op.get_bind()
    had_triggers = _search_triggers(bind)
    for table, columns in MONEY_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, nullable in columns:
                batch_op.alter_column(name, existing_type=old, type_=new,
                                      existing_nullable=nullable)
    if had_triggers and not _search_triggers(bind):
        for statement in SEARCH_TRIGGERS:
            bind.exec_driver_sql(statement)


def upgrade():
    _retype(OLD, NEW)
    op.create_table('tier_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('old_tier', TIERS, nullable=False),
    sa.Column('new_tier', TIERS, nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', ticketdesk.database.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_tier_changes_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_tier_changes_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tier_changes'))
    )
    with op.batch_alter_table('tier_changes', schema=None) as batch_op:
        batch_op.create_index('ix_tier_changes_customer_changed', ['customer_id', 'changed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('tier_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_tier_changes_customer_changed')
    op.drop_table('tier_changes')
    # Amounts with a third decimal are rounded to two by the database on the way back.
    _retype(NEW, OLD)
