"""The cases behind the product (shared DOMAIN.md), end to end through the web client,
with the shipped playbooks. Each asserts the outcome, not the clicks."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from tests import factories
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import (
    Customer,
    CustomerTier,
    EventKind,
    RemedyForm,
    RemedyKind,
    RemedyState,
    Role,
    Standing,
    StepKind,
    Ticket,
    TicketStatus,
)
from ticketdesk.services.ledger import remedies as ledger
from ticketdesk.services.playbooks import shipped as playbook_defaults


@pytest.fixture
def desk(app):
    with app.app_context():
        playbook_defaults.seed_playbooks(now=utcnow())
        team = factories.make_team("Front desk")
        return {
            "agent": factories.make_user(Role.AGENT, name="Mia Agent", team_ids=(team,)),
            "lead": factories.make_user(Role.LEAD, name="Sofia Lead"),
            "manager": factories.make_user(Role.ACCOUNT_MANAGER, name="Li Manager"),
            "team": team,
        }


def _customer(
    app,
    name,
    *,
    tier=CustomerTier.STANDARD,
    preferences="",
    manager=None,
    standing=Standing.QUALIFICATION_PENDING,
):
    with app.app_context():
        customer = Customer(
            name=name,
            tier=tier,
            preferences=preferences,
            account_manager_id=manager,
            standing=standing,
        )
        db.session.add(customer)
        db.session.commit()
        return customer.id


def _log(client, customer_id, **fields) -> int:
    data = {
        "customer_id": customer_id,
        "channel": "email",
        "kind": "complaint",
        "severity": "p3",
        "currency": "EUR",
        "cause_side": "unknown",
    }
    data.update(fields)
    resp = client.post("/tickets/new", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return int(resp.location.rstrip("/").split("/")[-1])


def _version(client, tid) -> str:
    html = client.get(f"/tickets/{tid}").get_data(as_text=True)
    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)


def _reply(client, tid, body, **extra):
    data = {"version": _version(client, tid), "body": body, "status_after": ""}
    data.update(extra)
    return client.post(f"/tickets/{tid}/reply", data=data)


def _one_click(client, tid, kind: str):
    """Post the ticket page's one-click proposal of the suggested make-whole or goodwill."""
    html = client.get(f"/tickets/{tid}").get_data(as_text=True)
    for form in re.findall(
        r'<form method="post" action="/tickets/\d+/remedies" '
        r'class="d-inline">(.*?)</form>',
        html,
        re.S,
    ):
        data = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
        if data["kind"] == kind:
            resp = client.post(f"/tickets/{tid}/remedies", data=data)
            assert resp.status_code == 302
            return data
    raise AssertionError(f"no one-click {kind} proposal on the page")


def _deliver_all(client, app, tid):
    with app.app_context():
        ids = [
            r.id for r in db.session.get(Ticket, tid).remedies if r.state is RemedyState.APPROVED
        ]
    for remedy_id in ids:
        assert client.post(f"/tickets/remedies/{remedy_id}/deliver").status_code == 302


def _tick_open_tasks(client, tid):
    html = client.get(f"/tickets/{tid}").get_data(as_text=True)
    for step_id in re.findall(rf'action="/tickets/{tid}/steps/(\d+)/done"', html):
        assert client.post(f"/tickets/{tid}/steps/{step_id}/done").status_code == 302


def _state(app, tid):
    with app.app_context():
        t = db.session.get(Ticket, tid)
        return {
            "status": t.status,
            "created_at": t.created_at,
            "made_whole_at": t.made_whole_at,
            "first_response_at": t.first_response_at,
            "first_remedy_at": t.first_remedy_at,
            "replies_before_remedy": t.replies_before_remedy,
            "root_cause": t.root_cause,
            "playbook": t.playbook_version.playbook.name if t.playbook_version else None,
            "advisory": t.playbook_version.advisory if t.playbook_version else None,
            "remedies": [
                (
                    r.kind,
                    r.form,
                    r.quantity,
                    r.cost,
                    r.state,
                    r.no_proof,
                    r.conceded,
                    r.valued_at_cost,
                    r.cap_base_kind.value,
                )
                for r in t.remedies
            ],
            "totals": ledger.totals(t),
            "notes": [e.body for e in t.events if e.kind is EventKind.INTERNAL_NOTE],
            "steps": [(s.kind, s.title, s.role, s.is_done, s.recur_hours) for s in t.steps],
        }


def test_cosmetic_bags_made_whole_with_goodwill_at_once(app, desk):
    """20 of 22 bags arrived. No litigation: reship two, add two of another style, same day."""
    agent = factories.client_as(app, desk["agent"])
    shop = _customer(
        app, "Bag Boutique", preferences="Stocks our cosmetic bags; likes new styles as samples"
    )
    tid = _log(
        agent,
        shop,
        category_id=_category(app, "missing_short_shipment"),
        subject="Only 20 of 22 cosmetic bags arrived",
        order_reference="SO-2201",
        description="We ordered 22 bags and counted 20 in the box.",
        order_value="220.00",
        claimed_loss="20.00",
        team_id=desk["team"],
        assignee_id=desk["agent"],
    )
    page = agent.get(f"/tickets/{tid}").get_data(as_text=True)
    assert "Missing or short shipment" in page and "No proof needed" in page
    assert "likes new styles as samples" in page

    # One reply: sorry, and what we do about it. No proof asked.
    assert (
        _reply(
            agent,
            tid,
            "Sorry for the trouble. Two bags leave by express today, and "
            "we add two bags of our new style as samples for your shop.",
            apology="y",
        ).status_code
        == 302
    )
    # The suggestion, edited to name the two bags: reship at once, no proof.
    resp = agent.post(
        f"/tickets/{tid}/remedies",
        data={
            "kind": "make_whole",
            "form": "reship",
            "quantity": "2",
            "cost": "20.00",
            "affected_units": "2",
            "affected_value": "20.00",
            "no_proof": "y",
            "description": "The 2 missing bags, by express today",
            "reason": "missing_items",
        },
    )
    assert resp.status_code == 302
    resp = agent.post(
        f"/tickets/{tid}/remedies",
        data={
            "kind": "goodwill",
            "form": "free_item",
            "quantity": "2",
            "cost": "12.00",
            "description": "2 bags of the new style as samples",
            "reason": "goodwill_gesture",
            "valued_at_cost": "y",
        },
    )
    assert resp.status_code == 302
    _deliver_all(agent, app, tid)
    _tick_open_tasks(agent, tid)
    assert (
        _reply(
            agent,
            tid,
            "Both parcels are with you. The two bags were left behind at "
            "packing; we now weigh every carton.",
            root_cause="picking_error",
            status_after="resolved",
        ).status_code
        == 302
    )

    state = _state(app, tid)
    assert state["status"] is TicketStatus.RESOLVED
    assert state["remedies"] == [
        (
            RemedyKind.MAKE_WHOLE,
            RemedyForm.RESHIP,
            2,
            Decimal("20.00"),
            RemedyState.DELIVERED,
            True,
            False,
            False,
            "order",
        ),
        (
            RemedyKind.GOODWILL,
            RemedyForm.FREE_ITEM,
            2,
            Decimal("12.00"),
            RemedyState.DELIVERED,
            False,
            False,
            True,
            "order",
        ),
    ]
    assert state["totals"].make_whole == Decimal("20.00")
    assert state["totals"].goodwill == Decimal("12.00")
    assert state["made_whole_at"] - state["created_at"] < timedelta(days=1)
    assert state["replies_before_remedy"] == 1  # no argument loop
    assert not any("proof" in note for note in state["notes"])
    assert all(
        done
        for kind, _t, role, done, _r in state["steps"]
        if role is Role.AGENT and kind is not StepKind.STATUS_UPDATE
    )


def test_olive_oil_called_back_fast_without_proof(app, desk):
    """A bottle missing, reported late: call back fast, ask no proof, reship, apologise."""
    public = app.test_client()
    resp = public.post(
        "/complain",
        data={
            "name": "Ana Costa",
            "email": "ana@home.example",
            "company": "",
            "order_reference": "WEB-7731",
            "category_id": str(_category(app, "missing_short_shipment")),
            "description": "My order from last week came without the olive oil bottle.",
        },
    )
    assert resp.status_code == 302
    with app.app_context():
        tid = db.session.scalar(db.select(Ticket.id))
    agent = factories.client_as(app, desk["agent"])
    # The bottle's price goes on the ticket; the claim is small.
    with app.app_context():
        t = db.session.get(Ticket, tid)
        details = {
            "version": str(t.version),
            "subject": t.subject,
            "kind": "complaint",
            "category_id": str(t.category_id),
            "severity": "p3",
            "currency": "EUR",
            "claimed_loss": "12.90",
            "cause_side": "ours_coordination",
        }
    assert agent.post(f"/tickets/{tid}/details", data=details).status_code == 302
    # Asking for a photo of a 12.90 claim is held back...
    resp = _reply(agent, tid, "Could you send a photo of the box first?")
    assert resp.status_code == 200 and "asks for proof" in resp.get_data(as_text=True)
    # ...so the agent calls back with the remedy instead.
    assert (
        _reply(
            agent,
            tid,
            "Sorry for the trouble! A new bottle is on its way today; "
            "nothing else needed from you.",
            apology="y",
        ).status_code
        == 302
    )
    _one_click(agent, tid, "make_whole")
    _deliver_all(agent, app, tid)

    state = _state(app, tid)
    assert state["first_response_at"] - state["created_at"] < timedelta(hours=1)
    assert state["remedies"][0][:2] == (RemedyKind.MAKE_WHOLE, RemedyForm.RESHIP)
    assert state["remedies"][0][3] == Decimal("12.90") and state["remedies"][0][5] is True
    assert state["made_whole_at"] is not None
    assert not any("proof" in note for note in state["notes"])
    # The same customer's next small claim in 90 days shows the history instead.
    resp = public.post(
        "/complain",
        data={
            "name": "Ana Costa",
            "email": "ana@home.example",
            "company": "",
            "order_reference": "",
            "category_id": str(_category(app, "missing_short_shipment")),
            "description": "This time the vinegar is missing.",
        },
    )
    with app.app_context():
        second = db.session.scalar(db.select(Ticket.id).order_by(Ticket.id.desc()))
    html = agent.get(f"/tickets/{second}").get_data(as_text=True)
    assert "was made whole without proof within the last 90 days" in html


def test_chili_goodwill_is_concrete_and_relevant(app, desk):
    """The lunch regular who stopped coming: goodwill from what he values, not talk."""
    agent = factories.client_as(app, desk["agent"])
    regular = _customer(
        app,
        "Mr Zhang (lunch regular)",
        preferences="Always asks for extra chili; lunch twice a week",
    )
    tid = _log(
        agent,
        regular,
        category_id=_category(app, "service_attitude"),
        subject="Regular felt ignored at lunch",
        channel="walk_in",
        description="Came in less often; said the owner only made small talk.",
        order_value="18.00",
    )
    page = agent.get(f"/tickets/{tid}").get_data(as_text=True)
    assert "Ideas from what they value:" in page and "Always asks for extra chili" in page
    resp = agent.post(
        f"/tickets/{tid}/remedies",
        data={
            "kind": "goodwill",
            "form": "free_item",
            "quantity": "1",
            "cost": "4.50",
            "description": "Free side dish, extra chili, on his next lunch",
            "reason": "goodwill_gesture",
            "valued_at_cost": "y",
        },
    )
    assert resp.status_code == 302
    _deliver_all(agent, app, tid)
    state = _state(app, tid)
    assert state["playbook"] == "Service attitude"
    assert state["remedies"] == [
        (
            RemedyKind.GOODWILL,
            RemedyForm.FREE_ITEM,
            1,
            Decimal("4.50"),
            RemedyState.DELIVERED,
            False,
            False,
            True,
            "order",
        )
    ]


def test_big_client_crisis_sorts_the_cause(app, desk):
    """A strategic client angry mid-project: crisis playbook with the account manager and
    daily updates; their own internal pressure gets advice, not compensation."""
    agent = factories.client_as(app, desk["agent"])
    kestrel = _customer(
        app,
        "Kestrel Engineering",
        tier=CustomerTier.STRATEGIC,
        standing=Standing.STRATEGIC,
        manager=desk["manager"],
        preferences="Values a named engineer on site",
    )
    tid = _log(
        agent,
        kestrel,
        category_id=_category(app, "solution_failure"),
        kind="crisis",
        severity="p1",
        subject="Rollout phase 2 stalled; management escalates",
        description="Their board cut the deadline by three weeks; scanners drop "
        "connection at 11 of 16 sites.",
    )
    state = _state(app, tid)
    assert state["playbook"] == "Crisis on a strategic or preferred account"
    assert any(
        kind is StepKind.STATUS_UPDATE and recur == 24 for kind, _t, _r, _d, recur in state["steps"]
    )
    assert any(role is Role.ACCOUNT_MANAGER for _k, _t, role, _d, _r in state["steps"])
    # The account manager sees it among their accounts.
    manager = factories.client_as(app, desk["manager"])
    assert "Rollout phase 2 stalled" in manager.get("/tickets/").get_data(as_text=True)

    # The cause turns out to be their leadership's shortened deadline: advise.
    with app.app_context():
        t = db.session.get(Ticket, tid)
        details = {
            "version": str(t.version),
            "subject": t.subject,
            "kind": "crisis",
            "category_id": str(t.category_id),
            "severity": "p1",
            "currency": "EUR",
            "cause_side": "theirs_internal",
        }
    assert agent.post(f"/tickets/{tid}/details", data=details).status_code == 302
    page = agent.get(f"/tickets/{tid}").get_data(as_text=True)
    assert "fits this ticket better now" in page
    version_id = re.search(r'name="version_id" value="(\d+)"', page).group(1)
    assert (
        agent.post(f"/tickets/{tid}/playbook", data={"version_id": version_id}).status_code == 302
    )
    state = _state(app, tid)
    assert state["advisory"] is True
    page = agent.get(f"/tickets/{tid}").get_data(as_text=True)
    assert "advisory playbook" in page and "Suggested goodwill" not in page


def _category(app, slug):
    with app.app_context():
        return factories.category_id(slug)
