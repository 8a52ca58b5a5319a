"""Migration 0010 gives tickets that existed before it their clock stops back.

A database is migrated to the head, a ticket that waited on the customer and one that was
resolved are made through the services, the database goes back to 0009 (which forgets the
stops) and up again: the stops come back from the timeline, and the resolved ticket counts
as stopped since its resolution. Runs on SQLite and, when configured, PostgreSQL.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from tests import factories
from tests.test_migrations import (  # noqa: F401 - fixtures
    MIGRATIONS,
    _keep_logging,
    migrated_app,
    postgresql_url,
    sqlite_url,
)
from ticketdesk.extensions import db
from ticketdesk.models import Role, Ticket, TicketStatus, User
from ticketdesk.services.sla import clocks as sla
from ticketdesk.services.tickets import conversation, workflow


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_the_stops_of_existing_tickets_are_rebuilt_from_their_timeline(migrated_app):  # noqa: F811 - fixture imported above
    with migrated_app.app_context():
        upgrade(directory=str(MIGRATIONS))
        sla.seed_defaults(now=at(1, 8))
        team = factories.make_team("Front desk")
        agent_id = factories.make_user(Role.AGENT, name="Ada", team_ids=(team,))
        agent = db.session.get(User, agent_id)
        ids = []
        for _ in range(2):
            ids.append(
                factories.make_ticket(
                    actor_id=agent_id, team_id=team, assignee_id=agent_id, now=at(2, 8)
                )
            )
        waited, resolved = (db.session.get(Ticket, i) for i in ids)
        for when, status in (
            (at(2, 9), TicketStatus.PENDING_CUSTOMER),
            (at(3, 9), TicketStatus.OPEN),
            (at(4, 9), TicketStatus.PENDING_CUSTOMER),
        ):
            workflow.change_status(
                waited, actor=agent, status=status, expected_version=None, now=when
            )
        conversation.reply(resolved, actor=agent, body="Done.", expected_version=None, now=at(2, 9))
        workflow.change_status(
            resolved,
            actor=agent,
            status=TicketStatus.RESOLVED,
            expected_version=None,
            now=at(2, 10),
        )
        before = {t.id: (t.sla_stops, t.sla_paused_at) for t in (waited, resolved)}
        assert before[waited.id] == ([[at(2, 9).isoformat(), at(3, 9).isoformat()]], at(4, 9))
        assert before[resolved.id] == ([], at(2, 10))
        db.session.remove()

        downgrade(directory=str(MIGRATIONS), revision="0010_user_sessions")
        with db.engine.connect() as conn:
            assert "sla_stops" not in {c["name"] for c in sa.inspect(conn).get_columns("tickets")}
            assert (
                conn.execute(
                    sa.text("SELECT sla_paused_at FROM tickets WHERE id = :i"), {"i": resolved.id}
                ).scalar()
                is None
            )
        upgrade(directory=str(MIGRATIONS))

        db.session.remove()
        after = {
            t.id: (t.sla_stops, t.sla_paused_at)
            for t in db.session.scalars(sa.select(Ticket).where(Ticket.id.in_(ids)))
        }
        assert after == before
