"""The compensation ledger: suggesting, proposing, approving and delivering remedies.

Make the customer whole first, then add concrete goodwill, all on record:
- the playbook's rules size the suggestion, capped at a share of the cap base;
- authority tiers decide who may grant what (agent, lead, admin);
- the ticket keeps the resolve-first measures (time to first remedy, time to make
  whole, replies before the first remedy).
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ticketdesk.core import money
from ticketdesk.core.errors import DomainError, InvalidTransition, PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    LIVE_REMEDY_STATES,
    ApprovalReason,
    CapBase,
    CauseGroup,
    CauseSide,
    CustomerTier,
    EventKind,
    GoodwillBasis,
    PlaybookVersion,
    Remedy,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    RemedyState,
    Role,
    Ticket,
    TicketEvent,
    User,
)
from ticketdesk.services import timeline as events
from ticketdesk.services.customers import customers
from ticketdesk.services.notifications import notifications
from ticketdesk.services.people import access, wording
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.sla import clocks as sla

# Authority, lowest first. An account manager grants nothing alone.
TIERS = (Role.AGENT, Role.LEAD, Role.ADMIN)
IN_KIND_FORMS = (
    RemedyForm.RESHIP,
    RemedyForm.REPAIR,
    RemedyForm.FREE_ITEM,
    RemedyForm.SERVICE_VISIT,
)
FAST_PATH_CATEGORIES = ("missing_short_shipment", "damaged_defective")
# The reason a make-whole remedy is recorded under, by the ticket's category (slug).
MAKE_WHOLE_REASONS = {
    "missing_short_shipment": RemedyReason.MISSING_ITEMS,
    "damaged_defective": RemedyReason.DAMAGED_ITEMS,
    "wrong_item": RemedyReason.WRONG_ITEMS,
    "late_delivery": RemedyReason.LATE_DELIVERY,
    "billing_payment": RemedyReason.BILLING_ERROR,
    "service_attitude": RemedyReason.SERVICE_FAILURE,
    "solution_failure": RemedyReason.PROJECT_FAILURE,
}
HUNDRED = Decimal("100")


def tier_rank(role: Role | None) -> int:
    return TIERS.index(role) if role in TIERS else -1


round_money = money.round_money  # half up: amounts the desk suggests or averages
round_down = money.round_down  # caps and limits: never half a minor unit more


def configured_amount(name: str, currency: str) -> Decimal | None:
    """An amount setting for ``currency``.

    A plain number counts in every currency's own units (``SMALL_ORDER_LIMIT = 500`` is
    500 EUR on an EUR ticket and 500 JPY on a JPY ticket); a mapping gives one amount per
    currency (``{"EUR": 500, "JPY": 70000}``), and a currency it leaves out has none (None).
    """
    value = current_app.config[name]
    if isinstance(value, dict):
        value = value.get(currency)
        if value is None:
            return None
    return Decimal(str(value))


# ----------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rules:
    """The compensation rules a ticket follows (``rules_for``)."""

    advisory: bool
    evidence_threshold: Decimal
    make_whole_form: RemedyForm
    goodwill_basis: GoodwillBasis
    goodwill_value: Decimal
    goodwill_cap_percent: Decimal
    total_cap_percent: Decimal
    agent_limit: Decimal
    lead_limit: Decimal | None


# Rules of a ticket without a playbook that have no setting in config.py.
DESK_MAKE_WHOLE_FORM = RemedyForm.RESHIP
DESK_GOODWILL_BASIS = GoodwillBasis.AFFECTED_PERCENT
DESK_GOODWILL_CAP_PERCENT = Decimal("30")


def rules_for(ticket: Ticket) -> Rules:
    """The compensation rules ``ticket`` follows: every caller asks here (docs/rules.md,
    section 2, "Which rules a ticket follows").

    1. The ticket's playbook version (the one it runs under) gives every rule it holds:
       advisory, no-proof threshold, make-whole form, goodwill, goodwill cap, total cap; and
       the agent and lead limits for the roles its ``approval_limits`` name.
    2. Otherwise the desk-wide settings (config.py) in the ticket's currency:
       ``EVIDENCE_THRESHOLD``, ``GOODWILL_DEFAULT_PERCENT``, ``COMPENSATION_CAP_PERCENT`` and
       ``GOODWILL_AGENT_LIMIT`` (also the agent limit of a playbook that sets none), with the
       ``DESK_*`` rules above; an amount the setting gives no value for the currency is zero.
    3. A lead limit comes from a playbook only: without one a lead is bounded by the cap.

    The recovery rules (``services.recovery.rules``) hold no compensation rule.
    """
    cfg = current_app.config
    version: PlaybookVersion | None = ticket.playbook_version
    limits = (version.approval_limits if version else None) or {}
    currency = ticket.currency
    if "agent" in limits:
        agent_limit = Decimal(str(limits["agent"]))
    else:
        agent_limit = configured_amount("GOODWILL_AGENT_LIMIT", currency) or Decimal("0")
    lead_limit = Decimal(str(limits["lead"])) if "lead" in limits else None
    if version is None:
        threshold = configured_amount("EVIDENCE_THRESHOLD", currency) or Decimal("0")
        return Rules(
            advisory=False,
            evidence_threshold=threshold,
            make_whole_form=DESK_MAKE_WHOLE_FORM,
            goodwill_basis=DESK_GOODWILL_BASIS,
            goodwill_value=Decimal(str(cfg["GOODWILL_DEFAULT_PERCENT"])),
            goodwill_cap_percent=DESK_GOODWILL_CAP_PERCENT,
            total_cap_percent=Decimal(str(cfg["COMPENSATION_CAP_PERCENT"])),
            agent_limit=agent_limit,
            lead_limit=lead_limit,
        )
    return Rules(
        advisory=version.advisory,
        evidence_threshold=version.evidence_threshold,
        make_whole_form=version.make_whole_form,
        goodwill_basis=version.goodwill_basis,
        goodwill_value=version.goodwill_value,
        goodwill_cap_percent=version.goodwill_cap_percent,
        total_cap_percent=version.total_cap_percent,
        agent_limit=agent_limit,
        lead_limit=lead_limit,
    )


def make_whole_reason(ticket: Ticket) -> RemedyReason:
    """The reason a make-whole remedy on ``ticket`` starts with (the agent may pick another):
    the one its category implies, OTHER for a category without one."""
    return MAKE_WHOLE_REASONS.get(ticket.category.slug, RemedyReason.OTHER)


def claim_known(ticket: Ticket) -> bool:
    return ticket.claimed_loss is not None


def affected_value(ticket: Ticket) -> Decimal:
    """What the complaint is about: the claimed loss (zero until someone enters it)."""
    return ticket.claimed_loss if ticket.claimed_loss is not None else Decimal("0")


def default_cap_base_kind(ticket: Ticket) -> CapBase:
    """The whole order for small orders of which only part was affected (the bags case),
    and for any order while the claimed loss is not known yet.

    A claim of at least the order value uses the claim itself. The small-order limit is
    the one configured for the ticket's currency (``configured_amount``); a currency
    without one has no small orders.
    """
    small = configured_amount("SMALL_ORDER_LIMIT", ticket.currency)
    order = ticket.order_value
    if order is not None and (
        not claim_known(ticket)
        or (small is not None and order <= small and affected_value(ticket) < order)
    ):
        return CapBase.ORDER
    return CapBase.AFFECTED


def cap_base(ticket: Ticket, kind: CapBase | None = None) -> tuple[CapBase, Decimal]:
    kind = kind or default_cap_base_kind(ticket)
    if kind is CapBase.ORDER and ticket.order_value is not None:
        return kind, ticket.order_value
    return CapBase.AFFECTED, affected_value(ticket)


@dataclass(frozen=True)
class Totals:
    make_whole: Decimal
    goodwill: Decimal

    @property
    def total(self) -> Decimal:
        return self.make_whole + self.goodwill


def totals(ticket: Ticket, *, states=LIVE_REMEDY_STATES) -> Totals:
    """Live remedies on a ticket (proposed, approved, delivered), make-whole and goodwill apart."""
    mw = sum(
        (r.cost for r in ticket.remedies if r.state in states and r.kind is RemedyKind.MAKE_WHOLE),
        Decimal("0"),
    )
    gw = sum(
        (r.cost for r in ticket.remedies if r.state in states and r.kind is RemedyKind.GOODWILL),
        Decimal("0"),
    )
    return Totals(make_whole=mw, goodwill=gw)


def compensation_cap(ticket: Ticket, rules: Rules, kind: CapBase | None = None) -> Decimal:
    """The total cap: the rule's share of the cap base, rounded *down* to the currency's
    minor unit (150% of 245 JPY is 367.5, so the cap is 367), never below the loss."""
    _kind, base = cap_base(ticket, kind)
    cap = round_down(base * rules.total_cap_percent / HUNDRED, ticket.currency)
    # Making the customer whole is never capped below the loss itself.
    return max(cap, affected_value(ticket))


# ----------------------------------------------------------------- history checks

# The cause sides whose failure is ours (CauseSide.group), for filtering in SQL.
OUR_CAUSE_SIDES = tuple(side for side in CauseSide if side.group is CauseGroup.OURS)


def _earlier_failures(ticket: Ticket, days: int | None) -> list[sa.ColumnElement[bool]]:
    """The filter of earlier tickets of ours for the same customer and category in the window."""
    days = days or int(current_app.config["REPEAT_FAILURE_DAYS"])
    since = ticket.created_at - timedelta(days=days)
    return [
        Ticket.customer_id == ticket.customer_id,
        Ticket.category_id == ticket.category_id,
        Ticket.id != ticket.id,
        Ticket.created_at >= since,
        Ticket.created_at <= ticket.created_at,
        Ticket.cause_side.in_(OUR_CAUSE_SIDES),
    ]


def is_repeat_failure(ticket: Ticket, *, days: int | None = None) -> bool:
    """Whether the customer had an earlier failure of ours in the same category within the
    window (counted only when this ticket's cause is ours too): one indexed EXISTS."""
    if ticket.cause_side.group is not CauseGroup.OURS:
        return False
    return bool(db.session.scalar(sa.select(sa.exists().where(*_earlier_failures(ticket, days)))))


@dataclass(frozen=True)
class FastPath:
    """Whether a small missing/damaged claim is made whole without asking for proof."""

    applies: bool  # the claim is of the kind and size the fast path is for
    eligible: bool  # ... and the customer has not used it within the window
    threshold: Decimal
    used_on: list[Ticket] = field(default_factory=list)


def fast_path(ticket: Ticket, rules: Rules | None = None) -> FastPath:
    rules = rules or rules_for(ticket)
    if ticket.category.slug not in FAST_PATH_CATEGORIES or rules.evidence_threshold <= 0:
        return FastPath(applies=False, eligible=False, threshold=rules.evidence_threshold)
    days = int(current_app.config["NO_PROOF_WINDOW_DAYS"])
    since = ticket.created_at - timedelta(days=days)
    used = list(
        db.session.scalars(
            sa.select(Ticket)
            .join(Remedy, Remedy.ticket_id == Ticket.id)
            .where(
                Ticket.customer_id == ticket.customer_id,
                Ticket.id != ticket.id,
                Remedy.no_proof.is_(True),
                Remedy.state.in_(LIVE_REMEDY_STATES),
                Remedy.proposed_at >= since,
            )
            .order_by(Ticket.created_at.desc())
            .distinct()
        )
    )
    applies = claim_known(ticket) and affected_value(ticket) <= rules.evidence_threshold
    return FastPath(
        applies=applies,
        eligible=applies and not used,
        threshold=rules.evidence_threshold,
        used_on=used,
    )


def goodwill_required(ticket: Ticket) -> str | None:
    """Why goodwill is mandatory on this ticket, or None."""
    if is_repeat_failure(ticket):
        return _(
            "A second failure for this customer in this category within %(days)s days.",
            days=current_app.config["REPEAT_FAILURE_DAYS"],
        )
    missed = [
        name
        for name, flag in (
            (_("first response"), ticket.first_response_breached),
            (_("next response"), ticket.next_response_breached),
            (_("make-whole delivered"), ticket.remedy_breached),
            (_("resolution"), ticket.resolution_breached),
        )
        if flag
    ]
    if missed:
        return _("We missed our service-level target (%(targets)s).", targets=", ".join(missed))
    return None


def check_goodwill_given(ticket: Ticket) -> None:
    """Resolving a ticket where goodwill is mandatory needs a live goodwill remedy."""
    why = goodwill_required(ticket) if not rules_for(ticket).advisory else None
    if why and totals(ticket).goodwill <= 0:
        raise InvalidTransition(
            _("Add goodwill before resolving: %(why)s", why=why), field="status"
        )


# ----------------------------------------------------------------- the suggestion


@dataclass(frozen=True)
class Suggestion:
    make_whole_form: RemedyForm
    make_whole_cost: Decimal
    goodwill_cost: Decimal
    goodwill_units: int | None
    cap_base_kind: CapBase
    cap_base: Decimal
    cap: Decimal
    goodwill_required: str | None
    advisory: bool
    ideas: list[str]
    claim_known: bool = True


def suggest(ticket: Ticket) -> Suggestion:
    """The playbook's suggested make-whole and goodwill for the ticket, within the cap.

    Make-whole equals the affected value; goodwill follows the goodwill rule, is
    capped by the goodwill cap and by what the total cap leaves; the total never
    exceeds the cap and never falls below the make-whole value. Remedies already on
    the ledger are subtracted, so the suggestion is what is still missing.
    """
    rules = rules_for(ticket)
    currency = ticket.currency
    kind, base = cap_base(ticket)
    cap = compensation_cap(ticket, rules, kind)
    ideas = [
        line.strip()
        for line in re.split(r"[\n;]+", ticket.customer.preferences or "")
        if line.strip()
    ]
    if rules.advisory:
        return Suggestion(
            make_whole_form=rules.make_whole_form,
            make_whole_cost=Decimal("0"),
            goodwill_cost=Decimal("0"),
            goodwill_units=None,
            cap_base_kind=kind,
            cap_base=base,
            cap=cap,
            goodwill_required=None,
            advisory=True,
            ideas=ideas,
            claim_known=claim_known(ticket),
        )
    current = totals(ticket)
    # What is already on the ledger counts: suggest only what is still missing.
    make_whole = max(
        round_money(affected_value(ticket), currency) - current.make_whole, Decimal("0")
    )
    units = None
    if rules.goodwill_basis is GoodwillBasis.AFFECTED_PERCENT:
        goodwill = affected_value(ticket) * rules.goodwill_value / HUNDRED
    elif rules.goodwill_basis is GoodwillBasis.ORDER_PERCENT:
        goodwill = (ticket.order_value or Decimal("0")) * rules.goodwill_value / HUNDRED
    elif rules.goodwill_basis is GoodwillBasis.FIXED:
        goodwill = rules.goodwill_value
    elif rules.goodwill_basis is GoodwillBasis.EXTRA_UNITS:
        units = int(rules.goodwill_value)
        goodwill = Decimal("0")  # valued when the agent names the item and its cost
    else:
        goodwill = Decimal("0")
    # The rule's goodwill is rounded half up; both caps are rounded down, so the
    # suggestion never exceeds either of them.
    goodwill_cap = round_down(base * rules.goodwill_cap_percent / HUNDRED, currency)
    room = max(cap - current.total - make_whole, Decimal("0"))
    goodwill = min(round_money(goodwill, currency), goodwill_cap) - current.goodwill
    goodwill = max(min(goodwill, room), Decimal("0"))
    return Suggestion(
        make_whole_form=rules.make_whole_form,
        make_whole_cost=make_whole,
        goodwill_cost=goodwill,
        goodwill_units=units,
        cap_base_kind=kind,
        cap_base=base,
        cap=cap,
        goodwill_required=goodwill_required(ticket),
        advisory=False,
        ideas=ideas,
        claim_known=claim_known(ticket),
    )


# ----------------------------------------------------------------- authority


def authority_tier(ticket: Ticket, now: datetime) -> CustomerTier:
    """The customer tier approvals follow: the highest the customer held since the ticket
    was opened or within ``TIER_AUTHORITY_DAYS`` before ``now``, whichever reaches further
    back. Lowering a tier (and raising it again) therefore never lowers the approval a
    remedy needs."""
    since = customers.authority_window_start(ticket.created_at, now)
    return customers.authority_tier(ticket.customer, since=since)


@dataclass(frozen=True)
class ApprovalNeed:
    """Who may grant a total, and why that tier (empty for an agent's own authority)."""

    role: Role
    reasons: tuple[ApprovalReason, ...] = ()


def approval_need(
    ticket: Ticket,
    *,
    total_after: Decimal,
    form: RemedyForm,
    now: datetime,
    rules: Rules | None = None,
    cap_kind: CapBase | None = None,
) -> ApprovalNeed:
    """Who may grant a ticket's total compensation of ``total_after``, and why.

    An agent alone up to the larger of the loss (the make-whole value) and the agent
    limit; a lead up to the cap (and the lead limit, when the playbook sets one); above
    that, and for any cash refund on a strategic account (by ``authority_tier``), an
    admin. A second failure of ours moves the approval up one tier. The reasons name every
    bound that puts the remedy above an agent: ``OVER_AGENT_LIMIT`` (lead tier),
    ``OVER_CAP`` and/or ``OVER_LEAD_LIMIT`` (admin tier), ``STRATEGIC_CASH`` (admin
    tier, with any bound also passed) and ``REPEAT_FAILURE`` (when it moved the tier up).
    """
    rules = rules or rules_for(ticket)
    # A cap base picked by hand may lower the cap, never raise it: the proposer does not
    # choose the base their approver is judged against.
    cap = min(compensation_cap(ticket, rules, cap_kind), compensation_cap(ticket, rules))
    over_cap = total_after > cap
    over_lead = rules.lead_limit is not None and total_after > rules.lead_limit
    admin_bounds = tuple(
        reason
        for reason, applies in (
            (ApprovalReason.OVER_CAP, over_cap),
            (ApprovalReason.OVER_LEAD_LIMIT, over_lead),
        )
        if applies
    )
    if form is RemedyForm.REFUND and authority_tier(ticket, now) is CustomerTier.STRATEGIC:
        return ApprovalNeed(Role.ADMIN, (ApprovalReason.STRATEGIC_CASH, *admin_bounds))
    if total_after <= max(affected_value(ticket), rules.agent_limit):
        needed, reasons = Role.AGENT, ()
    elif not admin_bounds:
        needed, reasons = Role.LEAD, (ApprovalReason.OVER_AGENT_LIMIT,)
    else:
        needed, reasons = Role.ADMIN, admin_bounds
    if needed is not Role.ADMIN and is_repeat_failure(ticket):
        needed = TIERS[tier_rank(needed) + 1]
        reasons = (*reasons, ApprovalReason.REPEAT_FAILURE)
    return ApprovalNeed(needed, reasons)


def required_role(
    ticket: Ticket,
    *,
    total_after: Decimal,
    form: RemedyForm,
    now: datetime,
    rules: Rules | None = None,
    cap_kind: CapBase | None = None,
) -> Role:
    """Who may grant a ticket's total compensation of ``total_after`` (``approval_need``)."""
    return approval_need(
        ticket, total_after=total_after, form=form, now=now, rules=rules, cap_kind=cap_kind
    ).role


# ----------------------------------------------------------------- use cases


@dataclass(frozen=True)
class RemedyDraft:
    kind: RemedyKind
    form: RemedyForm
    description: str
    cost: Decimal
    reason: RemedyReason
    quantity: int = 1
    affected_units: int | None = None
    affected_value: Decimal | None = None
    in_kind: bool | None = None
    valued_at_cost: bool = False
    cap_base_kind: CapBase | None = None
    conceded: bool = False
    no_proof: bool = False


def _event(
    ticket: Ticket,
    remedy: Remedy,
    *,
    actor: User | None,
    now: datetime,
    old: str | None,
    new: str,
    body: str = "",
) -> None:
    events.record(
        ticket,
        EventKind.REMEDY,
        now=now,
        actor=actor,
        field="remedy",
        old=old,
        new=new,
        body=body or f"{remedy.quantity} × {remedy.description} · {remedy.cost} {remedy.currency}",
    )


def _validate(ticket: Ticket, draft: RemedyDraft) -> None:
    if not draft.description.strip():
        raise DomainError(_("Describe the remedy."), field="description")
    if len(draft.description) > 500:
        raise DomainError(_("Keep the description under 500 characters."), field="description")
    if draft.cost is None:
        raise DomainError(_("Enter the cost."), field="cost")
    money.check_amount(draft.cost, currency=ticket.currency, field="cost")
    money.check_amount(draft.affected_value, currency=ticket.currency, field="affected_value")
    if draft.quantity < 1:
        raise DomainError(_("The quantity must be at least 1."), field="quantity")
    if draft.affected_units is not None and draft.affected_units < 0:
        raise DomainError(_("Affected units cannot be negative."), field="affected_units")


def public_replies_so_far(ticket: Ticket) -> int:
    return sum(1 for e in ticket.events if e.kind is EventKind.PUBLIC_REPLY)


def argument_loop(ticket: Ticket) -> int | None:
    """Public replies sent before any remedy, when there are 2 or more: time to stop arguing."""
    if ticket.first_remedy_at is not None or not ticket.is_open:
        return None
    # Counted in SQL rather than by loading the ticket's events (the ticket page shows them
    # through its own query).
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.PUBLIC_REPLY)
    )
    return count if count >= int(current_app.config["ARGUMENT_LOOP_REPLIES"]) else None


def propose_remedy(ticket: Ticket, *, actor: User, draft: RemedyDraft, now: datetime) -> Remedy:
    """Put a remedy on the ticket: approved at once within the actor's authority, else waiting."""
    access.require_work_ticket(actor, ticket)
    if not ticket.is_open:
        raise InvalidTransition(_("Reopen the ticket to add a remedy."), field="description")
    _validate(ticket, draft)
    rules = rules_for(ticket)
    if draft.no_proof:
        path = fast_path(ticket, rules)
        if not (path.eligible and draft.kind is RemedyKind.MAKE_WHOLE):
            raise DomainError(
                _("The no-proof fast path does not apply to this remedy."), field="no_proof"
            )
    with unit_of_work():
        remedy = add_remedy(ticket, draft, actor=actor, now=now, rules=rules)
    return remedy


def add_remedy(
    ticket: Ticket, draft: RemedyDraft, *, actor: User, now: datetime, rules: Rules | None = None
) -> Remedy:
    """Add the remedy with the state the actor's authority gives it (caller commits)."""
    rules = rules or rules_for(ticket)
    kind, base = cap_base(ticket, draft.cap_base_kind)
    total_after = totals(ticket).total + draft.cost
    need = approval_need(
        ticket, total_after=total_after, form=draft.form, now=now, rules=rules, cap_kind=kind
    )
    needed = need.role
    within = tier_rank(actor.role) >= tier_rank(needed)
    remedy = Remedy(
        ticket=ticket,
        kind=draft.kind,
        form=draft.form,
        description=draft.description.strip(),
        quantity=draft.quantity,
        cost=draft.cost,
        currency=ticket.currency,
        affected_units=draft.affected_units,
        affected_value=draft.affected_value,
        reason=draft.reason,
        in_kind=draft.form in IN_KIND_FORMS if draft.in_kind is None else draft.in_kind,
        valued_at_cost=draft.valued_at_cost,
        cap_base_kind=kind,
        cap_base=base,
        state=RemedyState.APPROVED if within else RemedyState.PROPOSED,
        approval_role=None if within else needed,
        approval_reasons="" if within else ",".join(need.reasons),
        conceded=draft.conceded,
        no_proof=draft.no_proof,
        proposed_by_id=actor.id,
        proposed_at=now,
        decided_by_id=actor.id if within else None,
        decided_at=now if within else None,
    )
    db.session.add(remedy)
    if ticket.first_remedy_at is None:
        ticket.first_remedy_at = now
        ticket.replies_before_remedy = public_replies_so_far(ticket)
    ticket.last_activity_at = now
    _event(ticket, remedy, actor=actor, now=now, old=None, new=remedy.state.value)
    if not within:
        notifications.approval_waiting(
            remedy, roles=[role for role in TIERS if tier_rank(role) >= tier_rank(needed)], now=now
        )
    return remedy


def _require_approver(remedy: Remedy, actor: User) -> None:
    if remedy.state is not RemedyState.PROPOSED:
        raise InvalidTransition(
            _("This remedy was decided already. Withdraw it and propose a new one to change it."),
            field="reason",
        )
    if remedy.proposed_by_id == actor.id:
        raise PermissionDenied(_("Somebody else must approve your own proposal."))
    if tier_rank(actor.role) < tier_rank(remedy.approval_role):
        raise PermissionDenied(
            _(
                "You may not approve this remedy: it %(waits)s.",
                waits=wording.waits_for_approval(remedy.approval_role),
            )
        )


def approve_remedy(remedy: Remedy, *, actor: User, now: datetime, reason: str = "") -> Remedy:
    _require_approver(remedy, actor)
    with unit_of_work():
        approve(remedy, actor=actor, now=now, reason=reason)
    return remedy


def approve(remedy: Remedy, *, actor: User, now: datetime, reason: str = "") -> None:
    remedy.state, remedy.decided_by_id, remedy.decided_at = RemedyState.APPROVED, actor.id, now
    remedy.decision_reason = reason.strip()
    _event(
        remedy.ticket,
        remedy,
        actor=actor,
        now=now,
        old=RemedyState.PROPOSED.value,
        new=RemedyState.APPROVED.value,
    )
    notifications.approval_decided(remedy, actor=actor, now=now)


def reject_remedy(remedy: Remedy, *, actor: User, reason: str, now: datetime) -> Remedy:
    _require_approver(remedy, actor)
    if not reason.strip():
        raise DomainError(_("Say why the remedy is rejected."), field="reason")
    with unit_of_work():
        remedy.state, remedy.decided_by_id, remedy.decided_at = RemedyState.REJECTED, actor.id, now
        remedy.decision_reason = reason.strip()
        _event(
            remedy.ticket,
            remedy,
            actor=actor,
            now=now,
            old=RemedyState.PROPOSED.value,
            new=RemedyState.REJECTED.value,
            body=reason.strip(),
        )
        notifications.approval_decided(remedy, actor=actor, now=now)
    return remedy


def withdraw_remedy(remedy: Remedy, *, actor: User, now: datetime) -> Remedy:
    access.require_work_ticket(actor, remedy.ticket)
    if remedy.state not in (RemedyState.PROPOSED, RemedyState.APPROVED):
        raise InvalidTransition(_("Only a remedy not yet delivered can be withdrawn."))
    if remedy.proposed_by_id != actor.id and actor.role is not Role.LEAD:
        raise PermissionDenied(_("Only whoever proposed it, or a lead, can withdraw a remedy."))
    old = remedy.state
    with unit_of_work():
        remedy.state = RemedyState.WITHDRAWN
        notifications.approval_closed(remedy, now=now)
        _event(
            remedy.ticket,
            remedy,
            actor=actor,
            now=now,
            old=old.value,
            new=RemedyState.WITHDRAWN.value,
        )
    return remedy


def deliver_remedy(remedy: Remedy, *, actor: User, now: datetime) -> Remedy:
    """The remedy reached the customer. The first make-whole delivered makes the customer whole."""
    ticket = remedy.ticket
    access.require_work_ticket(actor, ticket)
    if remedy.state is not RemedyState.APPROVED:
        raise InvalidTransition(_("Only an approved remedy can be delivered."))
    with unit_of_work():
        deliver(remedy, actor=actor, now=now)
    return remedy


def deliver(remedy: Remedy, *, actor: User, now: datetime) -> None:
    ticket = remedy.ticket
    remedy.state, remedy.delivered_by_id, remedy.delivered_at = (
        RemedyState.DELIVERED,
        actor.id,
        now,
    )
    if remedy.kind is RemedyKind.MAKE_WHOLE and ticket.made_whole_at is None:
        ticket.made_whole_at = now
        sla.made_whole(ticket, now=now)
    ticket.last_activity_at = now
    playbooks.record_delivery(ticket, remedy.kind, actor=actor, now=now)
    _event(
        ticket,
        remedy,
        actor=actor,
        now=now,
        old=RemedyState.APPROVED.value,
        new=RemedyState.DELIVERED.value,
    )


# ----------------------------------------------------------------- reading


def pending_approvals(user: User) -> list[Remedy]:
    """Remedies waiting on someone with the user's authority (never their own)."""
    if tier_rank(user.role) < tier_rank(Role.LEAD):
        return []
    roles = [role for role in TIERS if tier_rank(role) <= tier_rank(user.role)]
    return list(
        db.session.scalars(
            sa.select(Remedy)
            .where(
                Remedy.state == RemedyState.PROPOSED,
                Remedy.approval_role.in_(roles),
                sa.or_(Remedy.proposed_by_id.is_(None), Remedy.proposed_by_id != user.id),
            )
            .options(
                joinedload(Remedy.ticket).joinedload(Ticket.customer),
                joinedload(Remedy.proposed_by),
            )
            .order_by(Remedy.proposed_at)
        ).unique()
    )


def my_decided(user: User, *, limit: int = 50) -> list[Remedy]:
    """The user's own proposals that needed approval, newest first, with their decision."""
    return list(
        db.session.scalars(
            sa.select(Remedy)
            .where(Remedy.proposed_by_id == user.id, Remedy.approval_role.is_not(None))
            .options(joinedload(Remedy.ticket), joinedload(Remedy.decided_by))
            .order_by(Remedy.proposed_at.desc())
            .limit(limit)
        ).unique()
    )


@dataclass(frozen=True)
class PeriodTotals:
    make_whole: Decimal
    goodwill: Decimal
    remedies: int


def customer_totals(
    customer_id: int, *, since: datetime | None = None, until: datetime | None = None
) -> dict[str, PeriodTotals]:
    """Approved and delivered compensation of one customer, per currency."""
    stmt = (
        sa.select(
            Remedy.currency,
            Remedy.kind,
            sa.func.count(Remedy.id),
            sa.func.coalesce(sa.func.sum(Remedy.cost), 0),
        )
        .join(Ticket, Ticket.id == Remedy.ticket_id)
        .where(
            Ticket.customer_id == customer_id,
            Remedy.state.in_((RemedyState.APPROVED, RemedyState.DELIVERED)),
        )
        .group_by(Remedy.currency, Remedy.kind)
    )
    if since is not None:
        stmt = stmt.where(Remedy.proposed_at >= since)
    if until is not None:
        stmt = stmt.where(Remedy.proposed_at < until)
    return _per_currency(db.session.execute(stmt))


def _per_currency(rows) -> dict[str, PeriodTotals]:
    """(currency, kind, count, sum) rows → make-whole and goodwill totals per currency."""
    result: dict[str, dict] = {}
    for currency, kind, count, total in rows:
        entry = result.setdefault(currency, {"mw": Decimal("0"), "gw": Decimal("0"), "n": 0})
        amount = round_money(Decimal(str(total)), currency)
        entry["mw" if kind is RemedyKind.MAKE_WHOLE else "gw"] += amount
        entry["n"] += count
    return {
        c: PeriodTotals(make_whole=e["mw"], goodwill=e["gw"], remedies=e["n"])
        for c, e in result.items()
    }


@dataclass(frozen=True)
class PeriodReport:
    since: datetime
    until: datetime
    totals: dict[str, PeriodTotals]
    states: dict[RemedyState, int]
    conceded: int
    tickets_with_remedies: int
    remedies: list[Remedy]


def period_report(*, since: datetime, until: datetime, limit: int = 200) -> PeriodReport:
    """Compensation proposed in ``[since, until)``: totals per currency and kind, states,
    how much was conceded rather than offered, and the newest remedies."""
    if until <= since:
        raise DomainError(_("The end of the period must come after its start."), field="until")
    in_period = (Remedy.proposed_at >= since, Remedy.proposed_at < until)
    states = {
        state: count
        for state, count in db.session.execute(
            sa.select(Remedy.state, sa.func.count(Remedy.id))
            .where(*in_period)
            .group_by(Remedy.state)
        )
    }
    conceded, tickets = db.session.execute(
        sa.select(
            sa.func.count(Remedy.id).filter(Remedy.conceded.is_(True)),
            sa.func.count(sa.distinct(Remedy.ticket_id)),
        ).where(*in_period)
    ).one()
    totals = _per_currency(
        db.session.execute(
            sa.select(
                Remedy.currency,
                Remedy.kind,
                sa.func.count(Remedy.id),
                sa.func.coalesce(sa.func.sum(Remedy.cost), 0),
            )
            .where(*in_period, Remedy.state.in_((RemedyState.APPROVED, RemedyState.DELIVERED)))
            .group_by(Remedy.currency, Remedy.kind)
        )
    )
    remedies = list(
        db.session.scalars(
            sa.select(Remedy)
            .where(*in_period)
            .options(
                joinedload(Remedy.ticket).joinedload(Ticket.customer),
                joinedload(Remedy.proposed_by),
            )
            .order_by(Remedy.proposed_at.desc())
            .limit(limit)
        ).unique()
    )
    return PeriodReport(
        since=since,
        until=until,
        totals=totals,
        states=states,
        conceded=conceded or 0,
        tickets_with_remedies=tickets or 0,
        remedies=remedies,
    )
