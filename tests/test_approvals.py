"""Approvals an approver can judge: who may open the ticket, why the tier, how the waiting
state is worded (docs/rules.md, "Approvals an approver can judge")."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from tests.test_ledger_views import _setup
from ticketdesk.core.errors import PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    ApprovalReason,
    CustomerTier,
    Notification,
    NotificationKind,
    Remedy,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    RemedyState,
    Role,
    Ticket,
    User,
)
from ticketdesk.services.ledger import remedies as ledger
from ticketdesk.services.people import access, wording


@pytest.fixture
def desk(build, now):
    """Agent limit 50, a loss of 20 on an order of 220 (cap 330), plus an admin."""
    people = build(_setup, now)
    people["admin"] = build(factories.make_user, Role.ADMIN)
    people["other"] = build(
        factories.make_ticket, actor_id=people["agent"], now=now, order_value=Decimal("90.00")
    )
    return people


def _propose(client, tid, cost, form="credit", kind="goodwill"):
    return client.post(
        f"/tickets/{tid}/remedies",
        data={
            "kind": kind,
            "form": form,
            "description": f"Credit of {cost}",
            "quantity": "1",
            "cost": cost,
            "reason": "goodwill_gesture",
        },
        follow_redirects=True,
    )


def _remedy(build, tid):
    return build(
        lambda: [
            (r.id, r.state, r.approval_role, r.approval_reason_list)
            for r in db.session.get(Ticket, tid).remedies
        ][-1]
    )


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", html.replace("&#39;", "'"))


# ----------------------------------------------------------------- wording


@pytest.mark.parametrize(
    "role, text",
    [
        (Role.ADMIN, "waits for an administrator's approval"),
        (Role.LEAD, "waits for a team lead's approval"),
        (Role.AGENT, "waits for an agent's approval"),
        (None, "waits for approval"),
    ],
)
def test_the_waiting_state_names_the_role(app, role, text):
    with app.test_request_context():
        assert wording.waits_for_approval(role) == text


@pytest.mark.parametrize(
    "reasons, text",
    [
        ([ApprovalReason.OVER_AGENT_LIMIT], "over the agent limit"),
        (
            [ApprovalReason.OVER_CAP, ApprovalReason.OVER_LEAD_LIMIT],
            "over the compensation cap; over the lead limit",
        ),
        (
            [ApprovalReason.STRATEGIC_CASH],
            "cash refund to a strategic account",
        ),
        (
            [ApprovalReason.OVER_AGENT_LIMIT, ApprovalReason.REPEAT_FAILURE],
            "over the agent limit; repeat failure: one tier up",
        ),
    ],
)
def test_the_reasons_read_as_a_sentence(app, reasons, text):
    with app.test_request_context():
        assert wording.approval_reasons_text(reasons) == text


# ----------------------------------------------------------------- each approving role


@pytest.mark.parametrize(
    "approver, cost, role, wait, why",
    [
        ("lead", "200.00", Role.LEAD, "waits for a team lead's approval", "over the agent limit"),
        (
            "admin",
            "400.00",
            Role.ADMIN,
            "waits for an administrator's approval",
            "over the compensation cap",
        ),
    ],
)
def test_the_approver_opens_the_ticket_from_the_list_and_approves(
    app, build, login, desk, approver, cost, role, wait, why
):
    agent = login(desk["agent"])
    flashed = _text(_propose(agent, desk["ticket"], cost).get_data(as_text=True))
    assert f"The remedy {wait}. Why: {why}." in flashed
    remedy_id, state, needed, _reasons = _remedy(build, desk["ticket"])
    assert state is RemedyState.PROPOSED and needed is role

    client = app.test_client()
    factories.log_in(client, desk[approver])
    listing = _text(client.get("/approvals/").get_data(as_text=True))
    assert f"It {wait}." in listing and f"Why: {why}." in listing
    link = f'href="/tickets/{desk["ticket"]}"'
    assert link in listing
    page = client.get(f"/tickets/{desk['ticket']}")
    assert page.status_code == 200
    html = _text(page.get_data(as_text=True))
    # The ledger so far, the waiting remedy with why, and the way back to decide it.
    assert f"Credit of {cost}" in html
    assert f'It {wait}. <span class="approval-why">Why: {why}.</span>' in html
    assert f'href="/approvals/#remedy-{remedy_id}"' in html
    # The note and watch forms are not offered to someone who only judges.
    if approver == "admin":
        assert f'action="/tickets/{desk["ticket"]}/note"' not in html
        assert f'action="/tickets/{desk["ticket"]}/watch"' not in html

    assert client.post(f"/approvals/{remedy_id}/approve", data={}).status_code == 302
    assert _remedy(build, desk["ticket"])[1] is RemedyState.APPROVED
    # Decided: an admin no longer sees the ticket; a lead sees every ticket anyway.
    after = client.get(f"/tickets/{desk['ticket']}").status_code
    assert after == (403 if approver == "admin" else 200)


def test_the_agent_sees_the_same_wording_on_their_ticket_and_requests(build, login, desk):
    agent = login(desk["agent"])
    _propose(agent, desk["ticket"], "400.00")
    html = _text(agent.get(f"/tickets/{desk['ticket']}").get_data(as_text=True))
    assert "It waits for an administrator's approval." in html
    assert "Why: over the compensation cap." in html
    assert "Decide on the approvals page" not in html  # the agent cannot decide it
    mine = _text(agent.get("/approvals/").get_data(as_text=True))
    assert "It waits for an administrator's approval." in mine


def test_the_notification_says_who_must_approve_and_why(build, login, desk):
    _propose(login(desk["agent"]), desk["ticket"], "400.00")

    def bodies():
        return {
            db.session.get(User, n.user_id).role: n.body
            for n in db.session.scalars(
                sa.select(Notification).where(
                    Notification.kind == NotificationKind.APPROVAL_WAITING
                )
            )
        }

    got = build(bodies)
    assert set(got) == {Role.ADMIN}
    assert got[Role.ADMIN] == (
        "Credit of 400.00 · 400.00 EUR, proposed by "
        + build(lambda: db.session.get(User, desk["agent"]).name)
        + ", waits for an administrator's approval. Why: over the compensation cap."
    )


# ----------------------------------------------------------------- the access rule


def test_an_admin_without_a_pending_approval_gets_403(app, build, login, desk):
    admin = login(desk["admin"])
    assert admin.get(f"/tickets/{desk['ticket']}").status_code == 403
    # A remedy waiting on another ticket opens that ticket only.
    agent = app.test_client()
    factories.log_in(agent, desk["agent"])
    _propose(agent, desk["other"], "400.00")
    assert _remedy(build, desk["other"])[2] is Role.ADMIN
    assert admin.get(f"/tickets/{desk['other']}").status_code == 200
    assert admin.get(f"/tickets/{desk['ticket']}").status_code == 403


@pytest.mark.parametrize(
    "state, proposer, admin_sees",
    [
        (RemedyState.PROPOSED, "agent", True),
        (RemedyState.PROPOSED, "admin", False),  # never their own proposal
        (RemedyState.APPROVED, "agent", False),
        (RemedyState.REJECTED, "agent", False),
        (RemedyState.WITHDRAWN, "agent", False),
        (None, None, False),  # no remedy
    ],
)
def test_the_admin_rule_in_python_and_sql_agree(build, desk, now, state, proposer, admin_sees):
    def check():
        ticket = db.session.get(Ticket, desk["ticket"])
        if state is not None:
            with unit_of_work():
                db.session.add(
                    Remedy(
                        ticket=ticket,
                        kind=RemedyKind.GOODWILL,
                        form=RemedyForm.CREDIT,
                        description="Credit",
                        cost=Decimal("400.00"),
                        currency="EUR",
                        reason=RemedyReason.GOODWILL_GESTURE,
                        cap_base=Decimal("220.00"),
                        state=state,
                        approval_role=Role.ADMIN,
                        proposed_by_id=desk[proposer],
                        proposed_at=now,
                    )
                )
            db.session.refresh(ticket)
        results = {}
        for who in ("admin", "agent", "lead"):
            user = db.session.get(User, desk[who])
            in_sql = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Ticket)
                .where(Ticket.id == ticket.id, access.ticket_visibility_clause(user))
            )
            assert bool(in_sql) is access.can_view_ticket(user, ticket)
            results[who] = access.can_view_ticket(user, ticket)
        return results

    got = build(check)
    assert got["admin"] is admin_sees
    assert got["lead"] is True and got["agent"] is True  # unchanged for the desk


def test_an_account_manager_never_judges(build, desk, now):
    """Account managers grant nothing, so a waiting remedy opens nothing for them."""

    def check():
        manager = factories.make_user(Role.ACCOUNT_MANAGER)
        ticket = db.session.get(Ticket, desk["ticket"])
        ticket.customer.tier = CustomerTier.STANDARD
        db.session.add(
            Remedy(
                ticket=ticket,
                kind=RemedyKind.GOODWILL,
                form=RemedyForm.CREDIT,
                description="Credit",
                cost=Decimal("400.00"),
                currency="EUR",
                reason=RemedyReason.GOODWILL_GESTURE,
                cap_base=Decimal("220.00"),
                state=RemedyState.PROPOSED,
                approval_role=Role.AGENT,
                proposed_at=now,
            )
        )
        db.session.commit()
        return access.can_view_ticket(db.session.get(User, manager), ticket)

    assert build(check) is False


def test_an_approver_without_enough_authority_is_told_whose_approval_it_waits_for(
    app, build, login, desk
):
    agent = app.test_client()
    factories.log_in(agent, desk["agent"])
    _propose(agent, desk["ticket"], "400.00")
    remedy_id = _remedy(build, desk["ticket"])[0]

    def lead_approves():
        remedy = db.session.get(Remedy, remedy_id)
        with pytest.raises(PermissionDenied) as refused:
            ledger.approve_remedy(
                remedy, actor=db.session.get(User, desk["lead"]), now=remedy.proposed_at
            )
        return str(refused.value)

    with app.test_request_context():
        assert build(lead_approves) == (
            "You may not approve this remedy: it waits for an administrator's approval."
        )
    assert _remedy(build, desk["ticket"])[1] is RemedyState.PROPOSED
    assert login(desk["lead"]).post(f"/approvals/{remedy_id}/approve").status_code == 403
