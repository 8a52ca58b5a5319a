"""The playbook checklist on the ticket page, through the web client."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from tests import factories
from ticketdesk.core.uow import unit_of_work
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import EventKind, Role, RootCause, StepKind, Ticket, TicketStatus
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.playbooks.engine import PlaybookSpec, StepSpec

STEPS = (
    StepSpec(
        "Call the customer back",
        guidance="Within the hour; no proof needed.",
        due_hours=Decimal("1"),
    ),
    StepSpec("Apologise for the trouble", kind=StepKind.APOLOGY),
    StepSpec("Reship the missing bottle", due_hours=Decimal("24")),
    StepSpec("Explain what went wrong", kind=StepKind.EXPLANATION, due_hours=Decimal("72")),
)


def _setup(now):
    with unit_of_work():
        playbooks.add_playbook(
            PlaybookSpec(name="Missing goods", steps=STEPS), actor=None, now=now, is_default=True
        )
        playbooks.add_playbook(
            PlaybookSpec(
                name="Advice only",
                advisory=True,
                conditions={"causes": ["theirs"]},
                steps=(StepSpec("Listen and acknowledge"), StepSpec("Offer advice")),
            ),
            actor=None,
            now=now,
        )
    agent = factories.make_user(Role.AGENT)
    ticket_id = factories.make_ticket(actor_id=agent, now=now)
    return agent, ticket_id


@pytest.fixture
def desk(build):
    # Created two hours ago, so the one-hour call-back is overdue.
    return build(_setup, utcnow() - timedelta(hours=2))


def _ticket_state(build, tid):
    def read():
        t = db.session.get(Ticket, tid)
        return {
            "version": t.version,
            "status": t.status,
            "root_cause": t.root_cause,
            "steps": {s.title: s for s in t.steps},
            "done": {s.title: (s.is_done, s.note, s.reply_event_id) for s in t.steps},
            "events": [e.kind for e in t.events],
        }

    return build(read)


def test_ticket_page_shows_the_checklist(login, desk):
    agent, tid = desk
    html = login(agent).get(f"/tickets/{tid}").get_data(as_text=True)
    assert "Playbook: Missing goods" in html
    assert "Call the customer back" in html and "Within the hour; no proof needed." in html
    assert "overdue" in html


def test_ticking_a_step(build, login, desk):
    agent, tid = desk
    client = login(agent)
    step_id = _ticket_state(build, tid)["steps"]["Call the customer back"].id
    resp = client.post(f"/tickets/{tid}/steps/{step_id}/done", data={"note": "Called 09:40"})
    assert resp.status_code == 302
    state = _ticket_state(build, tid)
    assert state["done"]["Call the customer back"][:2] == (True, "Called 09:40")
    assert EventKind.STEP_DONE in state["events"]
    html = client.get(f"/tickets/{tid}").get_data(as_text=True)
    assert "Called 09:40" in html


def test_reply_gives_apology_and_explanation(build, login, desk):
    agent, tid = desk
    state = _ticket_state(build, tid)
    resp = login(agent).post(
        f"/tickets/{tid}/reply",
        data={
            "version": state["version"],
            "body": "Sorry for the trouble: a picking error.",
            "status_after": "",
            "apology": "y",
            "root_cause": "picking_error",
        },
    )
    assert resp.status_code == 302
    state = _ticket_state(build, tid)
    assert state["done"]["Apologise for the trouble"][0]
    assert state["done"]["Explain what went wrong"][2] is not None
    assert state["root_cause"] is RootCause.PICKING_ERROR


def test_resolving_with_open_steps_names_the_step(build, login, desk):
    agent, tid = desk
    state = _ticket_state(build, tid)
    resp = login(agent).post(
        f"/tickets/{tid}/status", data={"version": state["version"], "status": "resolved"}
    )
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Complete the required step “Call the customer back” before resolving" in html
    assert _ticket_state(build, tid)["status"] is TicketStatus.NEW


def test_changing_the_cause_side_offers_a_better_playbook(build, login, desk):
    agent, tid = desk
    client = login(agent)
    state = _ticket_state(build, tid)

    def details():
        t = db.session.get(Ticket, tid)
        return {
            "version": t.version,
            "subject": t.subject,
            "kind": t.kind.value,
            "category_id": t.category_id,
            "severity": t.severity.value,
            "currency": t.currency,
            "cause_side": "theirs_internal",
        }

    resp = client.post(f"/tickets/{tid}/details", data=build(details))
    assert resp.status_code == 302
    html = client.get(f"/tickets/{tid}").get_data(as_text=True)
    assert "“Advice only” fits this ticket better now." in html
    version_id = re.search(r'name="version_id" value="(\d+)"', html).group(1)
    assert (
        client.post(f"/tickets/{tid}/playbook", data={"version_id": version_id}).status_code == 302
    )
    state = _ticket_state(build, tid)
    assert list(state["steps"]) == ["Listen and acknowledge", "Offer advice"]
    assert "fits this ticket better" not in client.get(f"/tickets/{tid}").get_data(as_text=True)


def test_queue_shows_overdue_steps(login, desk):
    agent, _tid = desk
    html = login(agent).get("/tickets/").get_data(as_text=True)
    # The call-back (due after an hour) and the apology (due at once).
    assert "2 steps overdue" in html


def test_account_manager_cannot_tick_an_agents_step(build, make_user, login, desk, now):
    agent, tid = desk

    def manage():
        t = db.session.get(Ticket, tid)
        am = factories.make_user(Role.ACCOUNT_MANAGER)
        t.customer.account_manager_id = am
        db.session.commit()
        return am, t.steps[0].id

    am, step_id = build(manage)
    assert login(am).post(f"/tickets/{tid}/steps/{step_id}/done").status_code == 403


def test_the_checklist_says_which_clock_its_due_times_use(login, desk):
    agent, tid = desk
    html = login(agent).get(f"/tickets/{tid}").get_data(as_text=True)
    assert "Step due times count every hour from when the ticket was logged" in html
    assert "service-level due times count business hours only" in html


def test_a_make_whole_step_is_ticked_by_the_delivery_or_by_hand(build, login, desk):
    """A step whose event happened outside the desk keeps its Done button."""
    agent, tid = desk

    def make_whole_step():
        ticket = db.session.get(Ticket, tid)
        step = next(s for s in ticket.steps if s.title == "Reship the missing bottle")
        step.kind = StepKind.MAKE_WHOLE
        db.session.commit()
        return step.id

    step_id = build(make_whole_step)
    client = login(agent)
    html = client.get(f"/tickets/{tid}").get_data(as_text=True)
    assert f"/tickets/{tid}/steps/{step_id}/done" in html
    assert "Make-whole: ticked when one is delivered" in html
    resp = client.post(f"/tickets/{tid}/steps/{step_id}/done", data={"note": "Refunded in shop"})
    assert resp.status_code == 302
    assert _ticket_state(build, tid)["done"]["Reship the missing bottle"][:2] == (
        True,
        "Refunded in shop",
    )
