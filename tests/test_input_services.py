"""Services that must not fail on an ordinary click: making a playbook with a lower id the
default, and a watch whose row a concurrent request inserted first."""

import pytest
import sqlalchemy as sa

from tests import factories
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import Playbook, Role, StepKind, TicketWatcher
from ticketdesk.services.playbooks import admin as playbook_admin
from ticketdesk.services.playbooks.engine import PlaybookSpec, StepSpec

STEPS = (
    StepSpec("Call the customer back"),
    StepSpec("Apologise for the trouble", kind=StepKind.APOLOGY),
    StepSpec("Explain what went wrong", kind=StepKind.EXPLANATION),
)


def _defaults() -> list[str]:
    return db.session.scalars(sa.select(Playbook.name).where(Playbook.is_default)).all()


@pytest.mark.parametrize("order", ["lower id becomes default", "higher id becomes default"])
def test_make_default_moves_the_one_default_whatever_the_ids(ctx, now, order):
    lead = db.session.get(factories.User, factories.make_user(Role.LEAD))
    low = playbook_admin.create_playbook(
        actor=lead, now=now, spec=PlaybookSpec(name="Low", steps=STEPS)
    )
    high = playbook_admin.create_playbook(
        actor=lead, now=now, spec=PlaybookSpec(name="High", steps=STEPS)
    )
    assert low.id < high.id
    first, second = (high, low) if order == "lower id becomes default" else (low, high)
    playbook_admin.make_default(first, actor=lead, now=now)
    playbook_admin.make_default(second, actor=lead, now=now)
    assert _defaults() == [second.name]


def test_make_default_on_a_lower_id_over_http_is_a_redirect_not_a_500(app, build, login):
    lead = build(factories.make_user, Role.LEAD)

    def _two():
        actor = db.session.get(factories.User, lead)
        now = utcnow()
        a = playbook_admin.create_playbook(
            actor=actor, now=now, spec=PlaybookSpec(name="A", steps=STEPS)
        )
        b = playbook_admin.create_playbook(
            actor=actor, now=now, spec=PlaybookSpec(name="B", steps=STEPS)
        )
        playbook_admin.make_default(b, actor=actor, now=now)
        return a.id

    lower = build(_two)
    assert login(lead).post(f"/playbooks/{lower}/default").status_code == 302
    with app.app_context():
        assert _defaults() == ["A"]


def test_a_watch_inserted_by_a_concurrent_request_in_between_is_kept(app, build, login):
    """The second of two simultaneous watch clicks: its check saw no row, then the first
    click's row arrived before its insert. It must end watching, not fail."""
    agent = build(factories.make_user, Role.AGENT)
    team = build(factories.make_team, member_ids=(agent,))
    ticket = build(factories.make_ticket, actor_id=agent, team_id=team)
    with app.app_context():
        engine = db.engine
    injected = []

    def first_click_lands(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO TICKET_WATCHERS") and not injected:
            injected.append(True)
            with app.app_context():
                other = db.engine.connect() if engine.dialect.name != "sqlite" else conn
                other.execute(
                    sa.insert(TicketWatcher).values(
                        ticket_id=ticket, user_id=agent, created_at=utcnow()
                    )
                )
                if other is not conn:
                    other.commit()
                    other.close()

    sa.event.listen(engine, "before_cursor_execute", first_click_lands)
    try:
        resp = login(agent).post(f"/tickets/{ticket}/watch")
    finally:
        sa.event.remove(engine, "before_cursor_execute", first_click_lands)
    assert injected and resp.status_code == 302
    with app.app_context():
        rows = db.session.scalars(
            sa.select(TicketWatcher.user_id).where(TicketWatcher.ticket_id == ticket)
        ).all()
    assert rows == [agent]
