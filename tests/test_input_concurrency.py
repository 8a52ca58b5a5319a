"""Two people saving the same ticket at the same moment: one wins, the other gets the
conflict page with their input kept; two watch clicks at once both end watching."""

import os
import threading
from functools import partial

import pytest
import sqlalchemy as sa

from tests import factories
from tests.support import at_once
from ticketdesk.extensions import db
from ticketdesk.models import Role, Ticket, TicketWatcher

# In-memory SQLite hands every thread the same connection, so only a server database
# can show what two requests at the same moment do.
pytestmark = pytest.mark.skipif(
    not os.environ.get("TICKETDESK_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL (TICKETDESK_TEST_DATABASE_URL)",
)


def test_reply_and_status_change_at_the_same_moment_one_wins_the_other_conflicts(app, build):
    lead = build(factories.make_user, Role.LEAD)
    other = build(factories.make_user, Role.LEAD)
    third = build(factories.make_user, Role.LEAD)
    team = build(factories.make_team, member_ids=(lead, other, third))
    with app.app_context():
        factories.seed_shipped_defaults()
    rounds = 20
    outcomes = []
    for n in range(rounds):
        ticket_id = build(factories.make_ticket, actor_id=lead, team_id=team, assignee_id=lead)
        for watcher in (lead, other, third):
            factories.client_as(app, watcher).post(f"/tickets/{ticket_id}/watch")
        # An unread "ticket changed" notification the next changes add up in.
        factories.client_as(app, lead).post(
            f"/tickets/{ticket_id}/note", data={"body": "Called the depot."}
        )
        with app.app_context():
            version = db.session.get(Ticket, ticket_id).version
        a, b = factories.client_as(app, lead), factories.client_as(app, other)
        body = f"We are sending the bottle today ({n})."
        r1, r2 = at_once(
            partial(
                a.post,
                f"/tickets/{ticket_id}/reply",
                data={"body": body, "version": version, "status_after": ""},
            ),
            partial(
                b.post,
                f"/tickets/{ticket_id}/status",
                data={"status": "pending_customer", "version": version},
            ),
        )
        outcomes.append(tuple(getattr(r, "status_code", r) for r in (r1, r2)))
        assert sorted(outcomes[-1]) == [302, 409], outcomes
        if r1.status_code == 409:
            assert body in r1.get_data(as_text=True)  # the reply's text is kept


def test_two_watch_clicks_at_the_same_moment_both_end_watching(app, build):
    agent = build(factories.make_user, Role.AGENT)
    team = build(factories.make_team, member_ids=(agent,))
    for _round in range(10):
        ticket_id = build(factories.make_ticket, actor_id=agent, team_id=team)
        a, b = factories.client_as(app, agent), factories.client_as(app, agent)
        results = at_once(
            partial(a.post, f"/tickets/{ticket_id}/watch"),
            partial(b.post, f"/tickets/{ticket_id}/watch"),
        )
        assert [getattr(r, "status_code", r) for r in results] == [302, 302]
        with app.app_context():
            assert db.session.scalars(
                sa.select(TicketWatcher.user_id).where(TicketWatcher.ticket_id == ticket_id)
            ).all() == [agent]


def test_a_deadlock_the_database_breaks_becomes_the_conflict_message(app, build):
    """Whatever the lock order, a transaction PostgreSQL aborts as a deadlock victim is
    "someone else saved at the same moment" (409 with the input kept), never a 500."""
    import time

    from ticketdesk.core.errors import Conflict
    from ticketdesk.core.uow import unit_of_work

    lead = build(factories.make_user, Role.LEAD)
    first = build(factories.make_ticket, actor_id=lead)
    second = build(factories.make_ticket, actor_id=lead)
    both_locked = threading.Barrier(2)
    outcome = {}

    def touch(conn_or_session, ticket_id):
        conn_or_session.execute(
            sa.update(Ticket).where(Ticket.id == ticket_id).values(subject=Ticket.subject)
        )

    def service():  # locks the first ticket, then wants the second
        with app.app_context():
            try:
                with unit_of_work():
                    touch(db.session, first)
                    both_locked.wait()
                    touch(db.session, second)
            except Conflict as exc:
                outcome["service"] = exc

    def someone_else():  # locks the second ticket, then (a little later) wants the first
        with app.app_context(), db.engine.connect() as conn:
            touch(conn, second)
            both_locked.wait()
            time.sleep(0.3)  # the service waits first, so PostgreSQL picks it as victim
            touch(conn, first)
            conn.commit()

    threads = [threading.Thread(target=service), threading.Thread(target=someone_else)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert isinstance(outcome.get("service"), Conflict)
    assert "at the same moment" in str(outcome["service"])
