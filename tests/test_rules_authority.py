"""Authority rules: who may change a customer's tier, and which tier approvals read
(docs/rules.md, section 3)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from tests import factories
from tests.factories import load
from tests.support import field_error
from tests.test_ledger_service import _default_playbook
from ticketdesk.core.errors import DomainError, PermissionDenied
from ticketdesk.extensions import db
from ticketdesk.models import (
    ApprovalReason,
    CapBase,
    Customer,
    CustomerTier,
    EventKind,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    RemedyState,
    Role,
    Ticket,
    TicketEvent,
    TierChange,
    User,
)
from ticketdesk.services.customers import customers
from ticketdesk.services.ledger import remedies as ledger
from ticketdesk.services.ledger.remedies import RemedyDraft

STRATEGIC, KEY, STANDARD = CustomerTier.STRATEGIC, CustomerTier.KEY, CustomerTier.STANDARD
AGENT_LIMIT, LEAD_LIMIT = ApprovalReason.OVER_AGENT_LIMIT, ApprovalReason.OVER_LEAD_LIMIT
CAP, CASH, REPEAT = (
    ApprovalReason.OVER_CAP,
    ApprovalReason.STRATEGIC_CASH,
    ApprovalReason.REPEAT_FAILURE,
)


def _refund(cost="40.00"):
    return RemedyDraft(
        kind=RemedyKind.MAKE_WHOLE,
        form=RemedyForm.REFUND,
        description="Refund of the two bags",
        cost=Decimal(cost),
        reason=RemedyReason.MISSING_ITEMS,
    )


def _data(customer, **changes):
    values = dict(
        name=customer.name,
        tier=customer.tier,
        standing=customer.standing,
        account_manager_id=customer.account_manager_id,
    )
    values.update(changes)
    return customers.CustomerData(**values)


@pytest.fixture
def people(ctx):
    manager = factories.make_user(Role.ACCOUNT_MANAGER)
    return dict(
        agent=factories.make_user(Role.AGENT),
        lead=factories.make_user(Role.LEAD),
        admin=factories.make_user(Role.ADMIN),
        manager=manager,
        other_manager=factories.make_user(Role.ACCOUNT_MANAGER),
        customer=factories.make_customer(tier=STRATEGIC, account_manager_id=manager),
    )


# ----------------------------------------------------------------- who may change a tier


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("agent", False),
        ("other_manager", False),
        ("manager", True),
        ("lead", True),
        ("admin", True),
    ],
)
def test_who_may_change_a_tier(people, now, who, allowed):
    customer = db.session.get(Customer, people["customer"])
    actor = load(User, people[who])
    if allowed:
        change = customers.change_tier(
            customer, tier=STANDARD, reason="Contract ended.", actor=actor, now=now
        )
        assert (change.old_tier, change.new_tier, change.changed_by_id) == (
            STRATEGIC,
            STANDARD,
            actor.id,
        )
    else:
        with pytest.raises(PermissionDenied):
            customers.change_tier(
                customer, tier=STANDARD, reason="Contract ended.", actor=actor, now=now
            )
        assert db.session.get(Customer, people["customer"]).tier is STRATEGIC


def test_an_agent_editing_the_customer_cannot_change_the_tier(people, now):
    customer = db.session.get(Customer, people["customer"])
    agent = load(User, people["agent"])
    with pytest.raises(PermissionDenied):
        customers.update_customer(
            customer,
            actor=agent,
            now=now,
            data=_data(customer, tier=STANDARD, tier_reason="Why not"),
        )
    db.session.rollback()
    # The rest of the profile stays theirs to edit.
    customers.update_customer(
        customer, actor=agent, now=now, data=_data(customer, preferences="Likes calls before noon.")
    )
    assert customer.tier is STRATEGIC and customer.preferences == "Likes calls before noon."


def test_a_tier_change_needs_a_reason_and_is_audited(people, now):
    customer = db.session.get(Customer, people["customer"])
    lead = load(User, people["lead"])
    open_ticket = factories.make_ticket(actor_id=people["agent"], customer_id=customer.id, now=now)
    for reason in ("", "   "):
        with pytest.raises(DomainError) as err:
            customers.update_customer(
                customer, actor=lead, now=now, data=_data(customer, tier=KEY, tier_reason=reason)
            )
        assert err.value.field == "tier_reason"
    assert db.session.scalar(db.select(db.func.count()).select_from(TierChange)) == 0
    customers.update_customer(
        customer, actor=lead, now=now, data=_data(customer, tier=KEY, tier_reason="Volume halved.")
    )
    [change] = customers.tier_history(customer.id)
    assert (change.old_tier, change.new_tier, change.reason) == (STRATEGIC, KEY, "Volume halved.")
    event = db.session.scalar(
        db.select(TicketEvent).where(
            TicketEvent.ticket_id == open_ticket, TicketEvent.field == "customer_tier"
        )
    )
    assert (event.kind, event.old_value, event.new_value, event.body, event.actor_id) == (
        EventKind.FIELD_CHANGE,
        "strategic",
        "key",
        "Volume halved.",
        lead.id,
    )


# ----------------------------------------------------------------- the bypass is closed


def test_lowering_the_tier_does_not_lower_the_approval_of_a_refund(people, now):
    """The bypass: lower a strategic customer's tier, refund within an agent's limit, raise
    the tier again. Even when the tier is lowered by someone allowed to, a refund on that
    customer needs an admin until the window has passed."""
    _default_playbook(now)
    customer = db.session.get(Customer, people["customer"])
    tid = factories.make_ticket(actor_id=people["agent"], customer_id=customer.id, now=now)
    ticket = db.session.get(Ticket, tid)
    ticket.claimed_loss = Decimal("40.00")
    db.session.commit()
    customers.change_tier(
        customer,
        tier=STANDARD,
        reason="Test",
        actor=load(User, people["lead"]),
        now=now + timedelta(minutes=1),
    )
    remedy = ledger.propose_remedy(
        ticket, actor=load(User, people["agent"]), now=now + timedelta(minutes=2), draft=_refund()
    )
    assert remedy.state is RemedyState.PROPOSED and remedy.approval_role is Role.ADMIN


DAY = timedelta(days=1)


@pytest.mark.parametrize(
    "changes, opened_days_ago, expected",
    [
        # (days ago, old tier, new tier) of each change; the customer ends on the last new tier.
        ([], 0, STRATEGIC),
        ([(10, STRATEGIC, STANDARD)], 0, STRATEGIC),  # lowered 10 days ago: still strategic
        ([(89, STRATEGIC, STANDARD)], 0, STRATEGIC),  # inside the 90 days
        ([(91, STRATEGIC, STANDARD)], 0, STANDARD),  # the window has passed
        ([(91, STRATEGIC, STANDARD)], 100, STRATEGIC),  # ...but the ticket is older than that
        ([(5, STRATEGIC, STANDARD), (1, STANDARD, STRATEGIC)], 0, STRATEGIC),  # down and up
        ([(5, STANDARD, STRATEGIC)], 0, STRATEGIC),  # raising counts at once
        ([(5, KEY, STANDARD)], 0, KEY),
    ],
)
def test_approvals_read_the_highest_tier_of_the_window(
    people, now, changes, opened_days_ago, expected
):
    customer = db.session.get(Customer, people["customer"])
    for days, old, new in changes:
        db.session.add(
            TierChange(
                customer_id=customer.id,
                old_tier=old,
                new_tier=new,
                reason="r",
                changed_at=now - days * DAY,
            )
        )
        customer.tier = new
    db.session.commit()
    since = customers.authority_window_start(now - opened_days_ago * DAY, now)
    assert customers.authority_tier(customer, since=since) is expected


# ----------------------------------------------------------------- on the web


@pytest.fixture
def web(app, build):
    def make():
        manager = factories.make_user(Role.ACCOUNT_MANAGER)
        return dict(
            agent=factories.make_user(Role.AGENT),
            lead=factories.make_user(Role.LEAD),
            manager=manager,
            customer=factories.make_customer("Acme", tier=STRATEGIC, account_manager_id=manager),
        )

    return build(make)


def _form(web, **changes):
    data = dict(
        name="Acme",
        tier="strategic",
        standing="qualification_pending",
        account_manager_id=str(web["manager"]),
        preferences="",
    )
    data.update(changes)
    return data


def test_an_agent_gets_403_for_a_tier_change(app, build, web):
    client = factories.client_as(app, web["agent"])
    url = f"/customers/{web['customer']}/edit"
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'<select[^>]*disabled[^>]*id="tier"|<select[^>]*id="tier"[^>]*disabled', page)
    resp = client.post(url, data=_form(web, tier="standard", tier_reason="Lower it"))
    assert resp.status_code == 403
    assert build(lambda: db.session.get(Customer, web["customer"]).tier) is STRATEGIC
    # Without the (disabled) tier field the agent still edits the rest.
    data = _form(web, preferences="Prefers e-mail.")
    del data["tier"]
    assert client.post(url, data=data).status_code == 302
    assert build(
        lambda: (
            db.session.get(Customer, web["customer"]).tier,
            db.session.get(Customer, web["customer"]).preferences,
        )
    ) == (STRATEGIC, "Prefers e-mail.")


@pytest.mark.parametrize("who", ["lead", "manager"])
def test_a_tier_change_on_the_web_needs_a_reason_and_shows_in_the_history(app, build, web, who):
    client = factories.client_as(app, web[who])
    url = f"/customers/{web['customer']}/edit"
    resp = client.post(url, data=_form(web, tier="key"))
    assert resp.status_code == 400
    assert (
        field_error(resp.get_data(as_text=True), "tier_reason")
        == "Say why the tier changes: the tier decides who approves compensation."
    )
    resp = client.post(url, data=_form(web, tier="key", tier_reason="Volume moved to Asia."))
    assert resp.status_code == 302
    page = client.get(f"/customers/{web['customer']}").get_data(as_text=True)
    assert 'id="tier-history"' in page and "Volume moved to Asia." in page
    history = factories.client_as(app, web["lead"]).get(f"/accounts/{web['customer']}")
    assert history.status_code == 200
    assert "tier-change" in history.get_data(as_text=True)


# ----------------------------------------------------------------- the authority ladder


@pytest.mark.parametrize(
    "tier, form, total, lead_limit, repeat, role, reasons",
    [
        (STANDARD, RemedyForm.RESHIP, "40.00", None, False, Role.AGENT, ()),  # the loss
        (STANDARD, RemedyForm.RESHIP, "50.00", None, False, Role.AGENT, ()),  # the agent limit
        (STANDARD, RemedyForm.RESHIP, "60.00", None, False, Role.LEAD, (AGENT_LIMIT,)),  # cap
        (STANDARD, RemedyForm.RESHIP, "60.01", None, False, Role.ADMIN, (CAP,)),  # past the cap
        (STANDARD, RemedyForm.RESHIP, "55.00", "55", False, Role.LEAD, (AGENT_LIMIT,)),
        (STANDARD, RemedyForm.RESHIP, "55.01", "55", False, Role.ADMIN, (LEAD_LIMIT,)),
        (STANDARD, RemedyForm.RESHIP, "70.00", "55", False, Role.ADMIN, (CAP, LEAD_LIMIT)),
        (STANDARD, RemedyForm.REFUND, "40.00", None, False, Role.AGENT, ()),
        (KEY, RemedyForm.REFUND, "40.00", None, False, Role.AGENT, ()),
        (STRATEGIC, RemedyForm.REFUND, "0.01", None, False, Role.ADMIN, (CASH,)),  # any refund
        (STRATEGIC, RemedyForm.REFUND, "60.01", None, False, Role.ADMIN, (CASH, CAP)),
        (STRATEGIC, RemedyForm.REFUND, "0.01", None, True, Role.ADMIN, (CASH,)),  # top already
        (STRATEGIC, RemedyForm.CREDIT, "40.00", None, False, Role.AGENT, ()),  # not cash
        (STANDARD, RemedyForm.RESHIP, "40.00", None, True, Role.LEAD, (REPEAT,)),  # one up
        (STANDARD, RemedyForm.RESHIP, "60.00", None, True, Role.ADMIN, (AGENT_LIMIT, REPEAT)),
        (STANDARD, RemedyForm.RESHIP, "60.01", None, True, Role.ADMIN, (CAP,)),  # top already
    ],
)
def test_the_authority_ladder(people, now, tier, form, total, lead_limit, repeat, role, reasons):
    """Situation → tier → the reasons the remedy keeps (docs/rules.md, section 3)."""
    limits = {"agent": "50"} | ({"lead": lead_limit} if lead_limit else {})
    _default_playbook(now, approval_limits=limits)
    customer = factories.make_customer(tier=tier)
    tickets = []
    for days in (30, 0) if repeat else (0,):
        tid = factories.make_ticket(
            actor_id=people["agent"], customer_id=customer, now=now - days * DAY
        )
        ticket = db.session.get(Ticket, tid)
        ticket.claimed_loss = Decimal("40.00")
        if repeat:
            ticket.cause_side = "ours_coordination"
        tickets.append(ticket)
    db.session.commit()
    need = ledger.approval_need(tickets[-1], total_after=Decimal(total), form=form, now=now)
    assert (need.role, need.reasons) == (role, reasons)
    assert ledger.required_role(tickets[-1], total_after=Decimal(total), form=form, now=now) is role


@pytest.mark.parametrize(
    "order, picked, total, role",
    [
        ("5000.00", None, "60.00", Role.LEAD),  # cap 150% of the loss (40): 60
        ("5000.00", "order", "60.01", Role.ADMIN),  # the whole order does not raise it
        ("5000.00", "order", "7500.00", Role.ADMIN),
        ("220.00", None, "330.00", Role.LEAD),  # small order: the whole order
        ("220.00", "affected", "60.01", Role.ADMIN),  # picking a lower base lowers it
    ],
)
def test_a_cap_base_picked_by_hand_never_raises_the_cap(people, now, order, picked, total, role):
    _default_playbook(now)
    lead = load(User, people["lead"])
    tid = factories.make_ticket(actor_id=people["agent"], now=now)
    ticket = db.session.get(Ticket, tid)
    ticket.claimed_loss, ticket.order_value = Decimal("40.00"), Decimal(order)
    db.session.commit()
    remedy = ledger.propose_remedy(
        ticket,
        actor=lead,
        now=now,
        draft=RemedyDraft(
            kind=RemedyKind.GOODWILL,
            form=RemedyForm.CREDIT,
            description="Credit",
            cost=Decimal(total),
            reason=RemedyReason.GOODWILL_GESTURE,
            cap_base_kind=CapBase(picked) if picked else None,
        ),
    )
    assert (remedy.approval_role or Role.LEAD) is role
