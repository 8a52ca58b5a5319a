"""Compensation ledger rules: suggestion sizing, caps, authority tiers, states, measures."""

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.factories import load
from ticketdesk.core.errors import DomainError, InvalidTransition, PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    CapBase,
    Category,
    CauseSide,
    CustomerTier,
    EventKind,
    GoodwillBasis,
    PlaybookVersion,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    RemedyState,
    Role,
    StepKind,
    Ticket,
    TicketStatus,
    User,
)
from ticketdesk.services.ledger import remedies as ledger
from ticketdesk.services.ledger.remedies import RemedyDraft
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.playbooks.engine import PlaybookSpec, StepSpec
from ticketdesk.services.tickets import conversation, workflow

STEPS = (
    StepSpec("Apologise", kind=StepKind.APOLOGY, required=False),
    StepSpec("Explain", kind=StepKind.EXPLANATION, required=False),
)


def _default_playbook(now, **rules):
    spec = dict(
        name="Default",
        steps=STEPS,
        evidence_threshold=Decimal("100"),
        goodwill_basis=GoodwillBasis.AFFECTED_PERCENT,
        goodwill_value=Decimal("20"),
        goodwill_cap_percent=Decimal("30"),
        total_cap_percent=Decimal("150"),
        approval_limits={"agent": "50", "lead": "5000"},
    )
    spec.update(rules)
    with unit_of_work():
        playbooks.add_playbook(PlaybookSpec(**spec), actor=None, now=now, is_default=True)


def _claim(
    agent,
    now,
    *,
    order=None,
    loss=None,
    tier=CustomerTier.STANDARD,
    category="missing_short_shipment",
    customer=None,
    currency="EUR",
):
    customer = customer or factories.make_customer(tier=tier)
    tid = factories.make_ticket(
        actor_id=agent, customer_id=customer, category=category, now=now, order_value=order
    )
    ticket = load(Ticket, tid)
    ticket.claimed_loss = loss
    ticket.currency = currency
    db.session.commit()
    return ticket


def _draft(kind=RemedyKind.MAKE_WHOLE, cost="20.00", form=RemedyForm.RESHIP, **kw):
    return RemedyDraft(
        kind=kind,
        form=form,
        description=kw.pop("description", "Two bags"),
        cost=Decimal(cost),
        reason=kw.pop("reason", RemedyReason.MISSING_ITEMS),
        **kw,
    )


@pytest.fixture
def agent(ctx):
    return factories.make_user(Role.AGENT)


def test_suggestion_for_the_bags_case_uses_the_whole_small_order(agent, now):
    _default_playbook(now)
    # 22 bags for 220.00, two missing (20.00): the whole small order is the cap base.
    ticket = _claim(agent, now, order=Decimal("220.00"), loss=Decimal("20.00"))
    s = ledger.suggest(ticket)
    assert s.cap_base_kind is CapBase.ORDER and s.cap_base == Decimal("220.00")
    assert s.make_whole_cost == Decimal("20.00")
    assert s.goodwill_cost == Decimal("4.00")  # 20% of the affected value
    assert s.cap == Decimal("330.00")


def test_goodwill_is_capped_by_the_goodwill_cap_and_the_total_cap(agent, now):
    _default_playbook(
        now,
        goodwill_value=Decimal("30"),
        goodwill_cap_percent=Decimal("30"),
        total_cap_percent=Decimal("110"),
    )
    ticket = _claim(agent, now, order=Decimal("5000.00"), loss=Decimal("1000.00"))
    s = ledger.suggest(ticket)
    assert s.cap_base_kind is CapBase.AFFECTED
    assert s.make_whole_cost == Decimal("1000.00")
    assert s.goodwill_cost == Decimal("100.00")  # 300 by rule, 110% cap leaves 100


def test_rounding_follows_the_currency(agent, now):
    _default_playbook(now, goodwill_value=Decimal("15"))
    ticket = _claim(agent, now, loss=Decimal("333"), order=Decimal("9999"), currency="JPY")
    assert ledger.suggest(ticket).goodwill_cost == Decimal("50")  # 49.95 → 50 yen
    assert ledger.round_money(Decimal("2.345"), "EUR") == Decimal("2.35")


def test_advisory_playbooks_suggest_no_compensation(agent, now):
    _default_playbook(now)
    with unit_of_work():
        playbooks.add_playbook(
            PlaybookSpec(
                name="Advice",
                advisory=True,
                conditions={"causes": ["theirs"]},
                goodwill_basis=GoodwillBasis.NONE,
                steps=(StepSpec("Listen"),),
            ),
            actor=None,
            now=now,
        )
    ticket = _claim(agent, now, loss=Decimal("80.00"))
    ticket.cause_side = CauseSide.THEIRS_INTERNAL
    db.session.commit()
    version = playbooks.choose_version(ticket)
    playbooks.switch_playbook(ticket, actor=load(User, agent), version_id=version.id, now=now)
    s = ledger.suggest(ticket)
    assert s.advisory and s.make_whole_cost == 0 and s.goodwill_cost == 0


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    order=st.decimals(min_value=0, max_value=100000, places=2),
    loss=st.decimals(min_value=0, max_value=100000, places=2),
    percent=st.decimals(min_value=0, max_value=30, places=1),
    total_cap=st.decimals(min_value=0, max_value=300, places=0),
)
def test_suggestion_stays_between_make_whole_and_the_cap(
    agent, now, order, loss, percent, total_cap
):
    if not db.session.scalar(
        db.select(db.func.count()).select_from(db.metadata.tables["playbooks"])
    ):
        _default_playbook(now)
    ticket = _claim(agent, now, order=order, loss=loss)
    version = ticket.playbook_version
    version.goodwill_value, version.total_cap_percent = percent, total_cap
    s = ledger.suggest(ticket)
    assert s.make_whole_cost == ledger.round_money(loss, "EUR")
    assert s.goodwill_cost >= 0
    assert s.make_whole_cost + s.goodwill_cost <= max(s.cap, s.make_whole_cost)
    db.session.rollback()


def test_authority_tiers(agent, now):
    _default_playbook(now)
    lead = factories.make_user(Role.LEAD)
    admin = factories.make_user(Role.ADMIN)
    ticket = _claim(agent, now, order=Decimal("1000.00"), loss=Decimal("100.00"))
    # Up to the loss (or the agent limit): the agent alone.
    r1 = ledger.propose_remedy(
        ticket, actor=load(User, agent), draft=_draft(cost="100.00"), now=now
    )
    assert r1.state is RemedyState.APPROVED and r1.approval_role is None
    # Beyond that up to the cap (150% of 100): a lead.
    r2 = ledger.propose_remedy(
        ticket,
        actor=load(User, agent),
        now=now,
        draft=_draft(kind=RemedyKind.GOODWILL, cost="30.00", form=RemedyForm.FREE_ITEM),
    )
    assert r2.state is RemedyState.PROPOSED and r2.approval_role is Role.LEAD
    with pytest.raises(PermissionDenied):
        ledger.approve_remedy(r2, actor=load(User, agent), now=now)
    ledger.approve_remedy(r2, actor=load(User, lead), now=now)
    assert r2.state is RemedyState.APPROVED and r2.decided_by_id == lead
    with pytest.raises(InvalidTransition, match="decided already"):
        ledger.reject_remedy(r2, actor=load(User, admin), reason="no", now=now)
    # Above the cap: an admin.
    r3 = ledger.propose_remedy(
        ticket,
        actor=load(User, lead),
        now=now,
        draft=_draft(kind=RemedyKind.GOODWILL, cost="50.00", form=RemedyForm.CREDIT),
    )
    assert r3.approval_role is Role.ADMIN
    assert r3 in ledger.pending_approvals(load(User, admin))
    assert r3 not in ledger.pending_approvals(load(User, lead))
    with pytest.raises(DomainError, match="why"):
        ledger.reject_remedy(r3, actor=load(User, admin), reason=" ", now=now)
    ledger.reject_remedy(
        r3, actor=load(User, admin), reason="Past the cap; offer a visit instead.", now=now
    )
    assert r3.state is RemedyState.REJECTED
    assert ledger.totals(ticket).total == Decimal("130.00")


def test_requester_never_approves_their_own(agent, now):
    _default_playbook(now)
    lead = factories.make_user(Role.LEAD)
    ticket = _claim(agent, now, loss=Decimal("100.00"), order=Decimal("1000"))
    remedy = ledger.propose_remedy(
        ticket, actor=load(User, agent), now=now, draft=_draft(cost="120.00")
    )
    assert remedy.approval_role is Role.LEAD
    other_lead = factories.make_user(Role.LEAD)
    remedy.proposed_by_id = lead
    db.session.commit()
    with pytest.raises(PermissionDenied, match="Somebody else"):
        ledger.approve_remedy(remedy, actor=load(User, lead), now=now)
    ledger.approve_remedy(remedy, actor=load(User, other_lead), now=now)


def test_cash_refund_on_a_strategic_account_needs_an_admin(agent, now):
    _default_playbook(now)
    ticket = _claim(agent, now, loss=Decimal("10.00"), tier=CustomerTier.STRATEGIC)
    remedy = ledger.propose_remedy(
        ticket, actor=load(User, agent), now=now, draft=_draft(cost="10.00", form=RemedyForm.REFUND)
    )
    assert remedy.approval_role is Role.ADMIN


def test_second_failure_moves_approval_up_and_requires_goodwill(agent, now):
    _default_playbook(now)
    customer = factories.make_customer()
    first = _claim(agent, now - timedelta(days=30), loss=Decimal("20"), customer=customer)
    ticket = _claim(agent, now, loss=Decimal("20"), customer=customer)
    assert not ledger.goodwill_required(ticket)  # causes not yet known
    first.cause_side = ticket.cause_side = CauseSide.OURS_COORDINATION
    db.session.commit()
    assert ledger.goodwill_required(ticket)
    remedy = ledger.propose_remedy(ticket, actor=load(User, agent), now=now, draft=_draft())
    assert remedy.approval_role is Role.LEAD  # an agent's own make-whole now needs a lead
    with pytest.raises(InvalidTransition, match="Add goodwill"):
        workflow.change_status(
            ticket,
            actor=load(User, agent),
            status=TicketStatus.RESOLVED,
            expected_version=None,
            now=now,
        )
    ledger.propose_remedy(
        ticket,
        actor=load(User, agent),
        now=now,
        draft=_draft(kind=RemedyKind.GOODWILL, cost="5.00", form=RemedyForm.FREE_ITEM),
    )
    workflow.change_status(
        ticket,
        actor=load(User, agent),
        status=TicketStatus.RESOLVED,
        expected_version=None,
        now=now,
    )


def test_states_and_resolve_first_measures(agent, now):
    _default_playbook(now)
    ticket = _claim(agent, now, loss=Decimal("20.00"), order=Decimal("220.00"))
    for minutes in (5, 10):
        conversation.reply(
            ticket,
            actor=load(User, agent),
            body="Let me check.",
            expected_version=None,
            now=now + timedelta(minutes=minutes),
        )
    assert ledger.argument_loop(ticket) == 2
    remedy = ledger.propose_remedy(
        ticket,
        actor=load(User, agent),
        now=now + timedelta(minutes=30),
        draft=_draft(conceded=True),
    )
    assert ticket.first_remedy_at == now + timedelta(minutes=30)
    assert ticket.replies_before_remedy == 2 and remedy.conceded and remedy.in_kind
    assert ledger.argument_loop(ticket) is None
    ledger.deliver_remedy(remedy, actor=load(User, agent), now=now + timedelta(hours=3))
    assert ticket.made_whole_at == now + timedelta(hours=3)
    with pytest.raises(InvalidTransition):
        ledger.withdraw_remedy(remedy, actor=load(User, agent), now=now)
    events = [e for e in ticket.events if e.kind is EventKind.REMEDY]
    assert [(e.old_value, e.new_value) for e in events] == [
        (None, "approved"),
        ("approved", "delivered"),
    ]


def test_withdraw_and_propose_again(agent, now):
    _default_playbook(now)
    ticket = _claim(agent, now, loss=Decimal("20.00"))
    remedy = ledger.propose_remedy(ticket, actor=load(User, agent), now=now, draft=_draft())
    ledger.withdraw_remedy(remedy, actor=load(User, agent), now=now)
    assert remedy.state is RemedyState.WITHDRAWN and ledger.totals(ticket).total == 0
    other = factories.make_user(Role.AGENT)
    second = ledger.propose_remedy(ticket, actor=load(User, agent), now=now, draft=_draft())
    with pytest.raises(PermissionDenied):
        ledger.withdraw_remedy(second, actor=load(User, other), now=now)


def test_no_proof_fast_path_once_per_customer_in_the_window(agent, now):
    _default_playbook(now)
    customer = factories.make_customer()
    first = _claim(
        agent,
        now - timedelta(days=40),
        loss=Decimal("9.50"),
        customer=customer,
        category="damaged_defective",
    )
    path = ledger.fast_path(first)
    assert path.applies and path.eligible
    ledger.propose_remedy(
        first,
        actor=load(User, agent),
        now=now - timedelta(days=40),
        draft=_draft(cost="9.50", no_proof=True),
    )
    second = _claim(
        agent, now, loss=Decimal("12.00"), customer=customer, category="missing_short_shipment"
    )
    path = ledger.fast_path(second)
    assert path.applies and not path.eligible and [t.id for t in path.used_on] == [first.id]
    with pytest.raises(DomainError, match="fast path"):
        ledger.propose_remedy(
            second, actor=load(User, agent), now=now, draft=_draft(cost="12.00", no_proof=True)
        )
    big = _claim(agent, now, loss=Decimal("500.00"), category="damaged_defective")
    assert not ledger.fast_path(big).applies


def test_evidence_guard_on_replies(agent, now):
    _default_playbook(now)
    ticket = _claim(agent, now, loss=Decimal("9.90"))
    with pytest.raises(DomainError, match="no-proof limit") as err:
        conversation.reply(
            ticket,
            actor=load(User, agent),
            body="Please send a photo of the box.",
            expected_version=None,
            now=now,
        )
    assert err.value.field == "proof_reason"
    assert not [e for e in ticket.events if e.kind is EventKind.PUBLIC_REPLY]
    conversation.reply(
        ticket,
        actor=load(User, agent),
        body="Please send a photo of the box.",
        expected_version=None,
        now=now,
        proof_reason="The carrier insists on a photo for its claim.",
    )
    notes = [e.body for e in ticket.events if e.kind is EventKind.INTERNAL_NOTE]
    assert notes == [
        "Asked the customer for proof within the no-proof limit. Reason: "
        "The carrier insists on a photo for its claim."
    ]
    big = _claim(agent, now, loss=Decimal("900.00"))
    conversation.reply(
        big,
        actor=load(User, agent),
        body="Could you send photos of the damage?",
        expected_version=None,
        now=now,
    )


def test_customer_totals_per_currency(agent, now):
    _default_playbook(now)
    customer = factories.make_customer()
    ticket = _claim(agent, now, loss=Decimal("20.00"), order=Decimal("220"), customer=customer)
    ledger.propose_remedy(ticket, actor=load(User, agent), now=now, draft=_draft())
    ledger.propose_remedy(
        ticket,
        actor=load(User, agent),
        now=now,
        draft=_draft(kind=RemedyKind.GOODWILL, cost="4.00", form=RemedyForm.FREE_ITEM),
    )
    totals = ledger.customer_totals(customer)
    assert totals["EUR"].make_whole == Decimal("20.00")
    assert totals["EUR"].goodwill == Decimal("4.00") and totals["EUR"].remedies == 2
    assert ledger.customer_totals(customer, since=now + timedelta(days=1)) == {}


def test_validation(agent, now):
    _default_playbook(now)
    ticket = _claim(agent, now, loss=Decimal("20.00"))
    for draft, field in [
        (_draft(description=" "), "description"),
        (_draft(cost="-1"), "cost"),
        (_draft(cost="1.005"), "cost"),
        (_draft(quantity=0), "quantity"),
    ]:
        with pytest.raises(DomainError) as err:
            ledger.propose_remedy(ticket, actor=load(User, agent), now=now, draft=draft)
        assert err.value.field == field
    am = factories.make_user(Role.ACCOUNT_MANAGER)
    with pytest.raises(PermissionDenied):
        ledger.propose_remedy(ticket, actor=load(User, am), now=now, draft=_draft())


def test_suggestion_counts_what_is_already_on_the_ledger(agent, now):
    _default_playbook(now)
    ticket = _claim(agent, now, order=Decimal("220.00"), loss=Decimal("20.00"))
    ledger.propose_remedy(ticket, actor=load(User, agent), now=now, draft=_draft(cost="15.00"))
    s = ledger.suggest(ticket)
    assert s.make_whole_cost == Decimal("5.00") and s.goodwill_cost == Decimal("4.00")
    ledger.propose_remedy(ticket, actor=load(User, agent), now=now, draft=_draft(cost="5.00"))
    ledger.propose_remedy(
        ticket,
        actor=load(User, agent),
        now=now,
        draft=_draft(kind=RemedyKind.GOODWILL, cost="3.00", form=RemedyForm.FREE_ITEM),
    )
    s = ledger.suggest(ticket)
    assert s.make_whole_cost == 0 and s.goodwill_cost == Decimal("1.00")


# the ticket's category -> the reason a make-whole remedy starts with (the remedy form's
# default on the ticket page, and what the demo records)
MAKE_WHOLE_BY_CATEGORY = [
    ("missing_short_shipment", RemedyReason.MISSING_ITEMS),
    ("damaged_defective", RemedyReason.DAMAGED_ITEMS),
    ("wrong_item", RemedyReason.WRONG_ITEMS),
    ("late_delivery", RemedyReason.LATE_DELIVERY),
    ("billing_payment", RemedyReason.BILLING_ERROR),
    ("service_attitude", RemedyReason.SERVICE_FAILURE),
    ("solution_failure", RemedyReason.PROJECT_FAILURE),
    ("other", RemedyReason.OTHER),
    ("added_by_an_admin", RemedyReason.OTHER),
]


@pytest.mark.parametrize(("slug", "reason"), MAKE_WHOLE_BY_CATEGORY)
def test_a_make_whole_remedy_starts_with_the_reason_its_category_implies(ctx, slug, reason):
    ticket = Ticket(category=Category(slug=slug, name=slug))
    assert ledger.make_whole_reason(ticket) is reason


def test_every_shipped_category_has_a_make_whole_reason():
    from ticketdesk.services.tickets.categories import DEFAULT_CATEGORIES

    assert {slug for slug, _ in DEFAULT_CATEGORIES} - {"other"} == set(ledger.MAKE_WHOLE_REASONS)


_DESK = {
    "EVIDENCE_THRESHOLD": {"EUR": 70},
    "GOODWILL_DEFAULT_PERCENT": 12,
    "COMPENSATION_CAP_PERCENT": 140,
    "GOODWILL_AGENT_LIMIT": {"EUR": 45},
}
_VERSION = dict(
    advisory=True,
    evidence_threshold=Decimal("250"),
    make_whole_form=RemedyForm.REFUND,
    goodwill_basis=GoodwillBasis.FIXED,
    goodwill_value=Decimal("15"),
    goodwill_cap_percent=Decimal("40"),
    total_cap_percent=Decimal("120"),
)
_FROM_VERSION = _VERSION
_FROM_DESK = dict(
    advisory=False,
    evidence_threshold=Decimal("70"),
    make_whole_form=RemedyForm.RESHIP,
    goodwill_basis=GoodwillBasis.AFFECTED_PERCENT,
    goodwill_value=Decimal("12"),
    goodwill_cap_percent=Decimal("30"),
    total_cap_percent=Decimal("140"),
)

# (playbook version's approval limits or None for no playbook, currency) -> the rules
WHICH_RULES = [
    (None, "EUR", {**_FROM_DESK, "agent_limit": Decimal("45"), "lead_limit": None}),
    (
        None,
        "JPY",
        {
            **_FROM_DESK,
            "evidence_threshold": Decimal("0"),
            "agent_limit": Decimal("0"),
            "lead_limit": None,
        },
    ),
    ({}, "EUR", {**_FROM_VERSION, "agent_limit": Decimal("45"), "lead_limit": None}),
    ({"agent": "5"}, "EUR", {**_FROM_VERSION, "agent_limit": Decimal("5"), "lead_limit": None}),
    (
        {"lead": "900"},
        "EUR",
        {**_FROM_VERSION, "agent_limit": Decimal("45"), "lead_limit": Decimal("900")},
    ),
    (
        {"agent": "0", "lead": "500"},
        "JPY",
        {**_FROM_VERSION, "agent_limit": Decimal("0"), "lead_limit": Decimal("500")},
    ),
]


@pytest.mark.parametrize(("limits", "currency", "expected"), WHICH_RULES)
def test_which_rules_a_ticket_follows(app, limits, currency, expected):
    """The playbook version's rules, else the desk-wide settings, else the fixed defaults
    (docs/rules.md, section 2)."""
    app.config.update(_DESK)
    with app.app_context():
        version = None if limits is None else PlaybookVersion(**_VERSION, approval_limits=limits)
        rules = ledger.rules_for(Ticket(currency=currency, playbook_version=version))
        assert rules == ledger.Rules(**expected)
