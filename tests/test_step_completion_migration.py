"""Migration 0016 gives the shipped call-back, make-whole and goodwill steps the kind that
names their completing event: in playbook versions and in open tickets' open steps. Runs on
SQLite and, when configured, PostgreSQL."""

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
from ticketdesk.models import PlaybookStep, Role, Ticket, TicketStatus, TicketStep
from ticketdesk.services.playbooks import shipped

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
RESHIP = "Reship the missing goods today"
CALL = "Call the customer back within the hour"
GOODWILL = "Add something they will use to the parcel"


def _kinds(table) -> set[tuple[str, str]]:
    db.session.remove()
    rows = db.session.execute(
        sa.select(sa.column("title"), sa.column("kind")).select_from(sa.table(table))
    )
    return {(title, kind) for title, kind in rows}


def test_shipped_steps_get_their_completing_event_and_lose_it_again(migrated_app):  # noqa: F811 - fixture imported above
    with migrated_app.app_context():
        upgrade(directory=str(MIGRATIONS), revision="0015_routing_categories")
        shipped.seed_playbooks(now=NOW)
        agent = factories.make_user(Role.AGENT)
        open_id = factories.make_ticket(actor_id=agent, now=NOW)
        closed_id = factories.make_ticket(actor_id=agent, now=NOW)
        db.session.get(Ticket, closed_id).status = TicketStatus.CLOSED
        # A lead's own step with a title of its own; a reship already ticked by hand.
        version = db.session.get(Ticket, open_id).playbook_version
        version.steps.append(PlaybookStep(position=99, title="Reship by courier", due_hours=1))
        ticked = next(s for s in db.session.get(Ticket, open_id).steps if s.title == GOODWILL)
        ticked.done_at = NOW
        db.session.commit()
        # As stored before 0016: every one of these steps was a task.
        new_kinds = sa.column("kind").in_(["answer", "make_whole", "goodwill"])
        for table in ("playbook_steps", "ticket_steps"):
            steps = sa.table(table, sa.column("kind"))
            db.session.execute(steps.update().where(new_kinds).values(kind="task"))
        db.session.commit()

        upgrade(directory=str(MIGRATIONS))
        versions = _kinds("playbook_steps")
        assert {(RESHIP, "make_whole"), (CALL, "answer"), (GOODWILL, "goodwill")} <= versions
        assert ("Reship by courier", "task") in versions
        assert not {(RESHIP, "task"), (CALL, "task"), (GOODWILL, "task")} & versions

        def steps(ticket_id):
            db.session.remove()
            return {
                s.title: s.kind.value
                for s in db.session.scalars(
                    sa.select(TicketStep).where(TicketStep.ticket_id == ticket_id)
                )
            }

        assert steps(open_id)[RESHIP] == "make_whole" and steps(open_id)[CALL] == "answer"
        assert steps(open_id)[GOODWILL] == "task"  # ticked before: its record stays
        assert steps(closed_id)[RESHIP] == "task"  # a closed ticket is history

        db.session.remove()
        downgrade(directory=str(MIGRATIONS), revision="0015_routing_categories")
        assert {kind for _title, kind in _kinds("playbook_steps")} <= {
            "task",
            "apology",
            "explanation",
            "status_update",
        }
        assert {kind for _title, kind in _kinds("ticket_steps")} <= {
            "task",
            "apology",
            "explanation",
            "status_update",
        }
        db.session.remove()
