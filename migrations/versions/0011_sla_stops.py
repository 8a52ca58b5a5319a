"""SLA stops: every stretch a ticket's clocks stood still, kept so it can be measured again

Tickets gain ``sla_stops``, the finished stops of their service-level clocks as
``[start, end]`` pairs of ISO UTC strings. Existing tickets get theirs back from the
timeline (the "clocks stop" / "clocks run again" events), and a resolved or closed ticket
with a policy counts as stopped since its resolution, so reopening it does not charge the
time it spent resolved. Stored due times and measures are left as they are.

Revision ID: 0011_sla_stops
Revises: 0010_user_sessions
Create Date: 2026-12-07 15:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
import ticketdesk.database  # custom column types used by autogenerate


# revision identifiers, used by Alembic.
revision = '0011_sla_stops'
down_revision = '0010_user_sessions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'sla_stops', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
            nullable=False, server_default='[]'))

    bind = op.get_bind()
    when = ticketdesk.database.UTCDateTime(timezone=True)
    events = sa.table('ticket_events', sa.column('id', sa.Integer),
                      sa.column('ticket_id', sa.Integer),
                      sa.column('kind', sa.String), sa.column('field', sa.String),
                      sa.column('new_value', sa.String), sa.column('created_at', when))
    tickets = sa.table('tickets', sa.column('id', sa.Integer), sa.column('status', sa.String),
                       sa.column('sla_policy_id', sa.Integer), sa.column('sla_stops', sa.JSON),
                       sa.column('sla_paused_at', when), sa.column('resolved_at', when),
                       sa.column('closed_at', when))

    stops: dict[int, list[list[str]]] = {}
    started: dict[int, object] = {}
    rows = bind.execute(
        sa.select(events.c.ticket_id, events.c.new_value, events.c.created_at)
        .where(events.c.kind == 'sla', events.c.field == 'sla_clock')
        .order_by(events.c.ticket_id, events.c.created_at, events.c.id))
    for ticket_id, state, at in rows:
        if state == 'paused':
            started.setdefault(ticket_id, at)
        elif state == 'running' and ticket_id in started:
            begin = started.pop(ticket_id)
            if at > begin:
                stops.setdefault(ticket_id, []).append([begin.isoformat(), at.isoformat()])
    for ticket_id, pairs in stops.items():
        bind.execute(tickets.update().where(tickets.c.id == ticket_id).values(sla_stops=pairs))

    bind.execute(
        tickets.update()
        .where(tickets.c.status.in_(('resolved', 'closed')),
               tickets.c.sla_policy_id.is_not(None), tickets.c.sla_paused_at.is_(None))
        .values(sla_paused_at=sa.func.coalesce(tickets.c.resolved_at, tickets.c.closed_at)))


def downgrade():
    bind = op.get_bind()
    tickets = sa.table('tickets', sa.column('status', sa.String),
                       sa.column('sla_paused_at', ticketdesk.database.UTCDateTime(timezone=True)))
    bind.execute(tickets.update().where(tickets.c.status.in_(('resolved', 'closed')))
                 .values(sla_paused_at=None))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('sla_stops')
