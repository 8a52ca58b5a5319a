"""The ledger on the ticket page and the approvals page, through the web client."""

import re
from decimal import Decimal

import pytest

from tests import factories
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    EventKind,
    GoodwillBasis,
    Remedy,
    RemedyKind,
    RemedyState,
    Role,
    StepKind,
    Ticket,
)
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.playbooks.engine import PlaybookSpec, StepSpec


def _setup(now):
    with unit_of_work():
        playbooks.add_playbook(
            PlaybookSpec(
                name="Default",
                evidence_threshold=Decimal("100"),
                goodwill_basis=GoodwillBasis.AFFECTED_PERCENT,
                goodwill_value=Decimal("20"),
                approval_limits={"agent": "50"},
                steps=(
                    StepSpec("Apologise", kind=StepKind.APOLOGY, required=False),
                    StepSpec("Explain", kind=StepKind.EXPLANATION, required=False),
                ),
            ),
            actor=None,
            now=now,
            is_default=True,
        )
    agent = factories.make_user(Role.AGENT)
    lead = factories.make_user(Role.LEAD)
    customer = factories.make_customer("Bag Boutique")
    tid = factories.make_ticket(
        actor_id=agent, customer_id=customer, now=now, order_value=Decimal("220.00")
    )
    ticket = db.session.get(Ticket, tid)
    ticket.claimed_loss = Decimal("20.00")
    ticket.customer.preferences = "Stocks our travel bags; likes new styles as samples"
    db.session.commit()
    return {"agent": agent, "lead": lead, "ticket": tid}


@pytest.fixture
def desk(build, now):
    return build(_setup, now)


def _remedies(build, tid):
    return build(
        lambda: [
            (r.kind, r.cost, r.state, r.approval_role, r.no_proof)
            for r in db.session.get(Ticket, tid).remedies
        ]
    )


def test_ticket_page_shows_the_suggestion_and_ideas(login, desk):
    html = login(desk["agent"]).get(f"/tickets/{desk['ticket']}").get_data(as_text=True)
    assert "Suggested make-whole" in html and "€20.00" in html
    assert "Suggested goodwill" in html and "€4.00" in html
    assert "likes new styles as samples" in html
    assert "No proof needed" in html
    assert "Cap: €330.00 in total (Whole order €220.00)." in html


def test_one_click_proposals(build, login, desk):
    client = login(desk["agent"])
    html = client.get(f"/tickets/{desk['ticket']}").get_data(as_text=True)
    forms = re.findall(
        r'<form method="post" action="/tickets/\d+/remedies" class="d-inline">(.*?)</form>',
        html,
        re.S,
    )
    assert len(forms) == 2
    for form in forms:
        data = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
        assert client.post(f"/tickets/{desk['ticket']}/remedies", data=data).status_code == 302
    assert _remedies(build, desk["ticket"]) == [
        (RemedyKind.MAKE_WHOLE, Decimal("20.00"), RemedyState.APPROVED, None, True),
        (RemedyKind.GOODWILL, Decimal("4.00"), RemedyState.APPROVED, None, False),
    ]


def test_the_full_remedy_form_opens_on_request(login, desk):
    """The ticket page links to the form; ?remedy=... opens it filled with the suggestion."""
    client = login(desk["agent"])
    plain = client.get(f"/tickets/{desk['ticket']}").get_data(as_text=True)
    assert 'name="affected_units"' not in plain
    assert f'href="/tickets/{desk["ticket"]}?remedy=make_whole#remedy-form"' in plain
    # The one-click make-whole carries the category's reason (a missing item here).
    assert 'name="reason" value="missing_items"' in plain
    opened = client.get(f"/tickets/{desk['ticket']}?remedy=make_whole").get_data(as_text=True)
    assert 'id="remedy-form" open' in opened and 'name="affected_units"' in opened
    goodwill = client.get(f"/tickets/{desk['ticket']}?remedy=goodwill").get_data(as_text=True)
    assert re.search(r'<option selected value="goodwill">', goodwill)


def test_remedy_form_errors_save_nothing(build, login, desk):
    resp = login(desk["agent"]).post(
        f"/tickets/{desk['ticket']}/remedies",
        data={
            "kind": "goodwill",
            "form": "credit",
            "description": "",
            "quantity": "1",
            "cost": "-3",
            "reason": "goodwill_gesture",
        },
    )
    assert resp.status_code == 200
    assert 'id="remedy-form" open' in resp.get_data(as_text=True)
    assert _remedies(build, desk["ticket"]) == []


def test_approval_flow_through_the_pages(build, login, app, desk):
    agent, lead = desk["agent"], desk["lead"]
    client = login(agent)
    resp = client.post(
        f"/tickets/{desk['ticket']}/remedies",
        data={
            "kind": "goodwill",
            "form": "credit",
            "description": "Credit on the next order",
            "quantity": "1",
            "cost": "200.00",
            "reason": "goodwill_gesture",
        },
    )
    assert resp.status_code == 302
    ((kind, cost, state, role, _np),) = _remedies(build, desk["ticket"])
    assert state is RemedyState.PROPOSED and role is Role.LEAD
    remedy_id = build(lambda: db.session.scalar(db.select(Remedy.id)))
    # The requester cannot approve; the agent's own list shows it waiting.
    assert "Waiting for approval" in client.get("/approvals/").get_data(as_text=True)
    lead_client = app.test_client()
    factories.log_in(lead_client, lead)
    page = lead_client.get("/approvals/").get_data(as_text=True)
    assert "Credit on the next order" in page
    resp = lead_client.post(f"/approvals/{remedy_id}/reject", data={"reason": ""})
    assert resp.status_code == 200 and "Say why the remedy is rejected." in resp.get_data(
        as_text=True
    )
    assert lead_client.post(f"/approvals/{remedy_id}/approve", data={}).status_code == 302
    assert _remedies(build, desk["ticket"])[0][2] is RemedyState.APPROVED
    # Decided approvals are immutable.
    resp = lead_client.post(f"/approvals/{remedy_id}/reject", data={"reason": "changed my mind"})
    assert "decided already" in resp.get_data(as_text=True)
    # Delivered by the agent: the customer is made whole... of goodwill only, so not yet.
    assert client.post(f"/tickets/remedies/{remedy_id}/deliver").status_code == 302
    assert _remedies(build, desk["ticket"])[0][2] is RemedyState.DELIVERED
    assert build(lambda: db.session.get(Ticket, desk["ticket"]).made_whole_at) is None
    kinds = build(
        lambda: [
            e.new_value
            for e in db.session.get(Ticket, desk["ticket"]).events
            if e.kind is EventKind.REMEDY
        ]
    )
    assert kinds == ["proposed", "approved", "delivered"]


def test_evidence_guard_in_the_reply_form(build, login, desk):
    client = login(desk["agent"])
    version = build(lambda: db.session.get(Ticket, desk["ticket"]).version)
    resp = client.post(
        f"/tickets/{desk['ticket']}/reply",
        data={"version": version, "body": "Please send photos of the box.", "status_after": ""},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "asks for proof" in html and 'name="proof_reason"' in html
    resp = client.post(
        f"/tickets/{desk['ticket']}/reply",
        data={
            "version": version,
            "body": "Please send photos of the box.",
            "status_after": "",
            "proof_reason": "The carrier needs them for its own claim.",
        },
    )
    assert resp.status_code == 302


def test_argument_loop_warning(build, login, desk):
    client = login(desk["agent"])
    for body in ("We shipped all 22 bags.", "Our scale shows the full weight."):
        version = build(lambda: db.session.get(Ticket, desk["ticket"]).version)
        client.post(
            f"/tickets/{desk['ticket']}/reply",
            data={"version": version, "body": body, "status_after": ""},
        )
    html = client.get(f"/tickets/{desk['ticket']}").get_data(as_text=True)
    assert "You have answered 2 times without any remedy." in html


def test_labels_in_notes_get_a_warning(login, desk):
    resp = login(desk["agent"]).post(
        f"/tickets/{desk['ticket']}/note",
        data={"body": "Customer is difficult and unreasonable."},
        follow_redirects=True,
    )
    assert "labels the customer" in resp.get_data(as_text=True)


def test_ledger_report_for_a_period(build, login, desk, now):
    client = login(desk["agent"])
    html = client.get(f"/tickets/{desk['ticket']}").get_data(as_text=True)
    form = re.findall(
        r'<form method="post" action="/tickets/\d+/remedies" class="d-inline">(.*?)</form>',
        html,
        re.S,
    )[0]
    client.post(
        f"/tickets/{desk['ticket']}/remedies",
        data=dict(re.findall(r'name="(\w+)" value="([^"]*)"', form)),
    )
    lead = login(desk["lead"])
    page = lead.get("/ledger/").get_data(as_text=True)
    assert "Granted in EUR" in page and "€20.00" in page
    assert "1 ticket with remedies" in page
    empty = lead.get("/ledger/?since=2020-01-01&until=2020-01-31").get_data(as_text=True)
    assert "No compensation was granted in this period." in empty
    bad = lead.get("/ledger/?since=2020-02-01&until=2020-01-01").get_data(as_text=True)
    assert "must come after its start" in bad
