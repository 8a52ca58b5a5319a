"""Engagement segments (seed 004): how an account buys from us, and how to work with it.

Computed from purchases (``purchase_clause()``) in two windows of
``segment_window_days`` each, counted back from the desk's day ``today``:

- N1, recent: ``today - days < ordered_on <= today``;
- N0, before: ``today - 2*days < ordered_on <= today - days``.

STALLED when N1 is 0, or when N0 > 0 and N1 <= N0 x (100 - stalled_drop_percent) / 100.
SELF_DRIVEN when not stalled, N1 >= self_driven_min_purchases and our share of their buying
is unknown or at least self_driven_min_share percent. NEEDS_PUSH otherwise.

An account manager (of that account), a lead or an admin may set the segment by hand
with a reason; the override is then the segment in force.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from ticketdesk.core import clock
from ticketdesk.core.errors import DomainError, PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import (
    Customer,
    EngagementSegment,
    Order,
    RecoveryRules,
    Ticket,
    User,
    purchase_clause,
)
from ticketdesk.services.ledger.remedies import OUR_CAUSE_SIDES
from ticketdesk.services.people import access
from ticketdesk.services.recovery import rules as rules_module

REASON_MAX = 500


@dataclass(frozen=True)
class SegmentView:
    customer_id: int
    segment: EngagementSegment  # in force: the override, else the computed one
    computed: EngagementSegment
    overridden: bool
    override_reason: str
    purchases_recent: int  # N1
    purchases_before: int  # N0
    share: Decimal | None
    stance: str  # translated recommended stance
    explanation: str  # translated: why this segment (the numbers)


@dataclass(frozen=True)
class _Counts:
    recent: int
    before: int


def windows(today: date, days: int) -> tuple[date, date, date]:
    """(start of the window before, start of the recent window, today): each window is
    ``start < ordered_on <= end``."""
    recent_start = today - timedelta(days=days)
    return recent_start - timedelta(days=days), recent_start, today


def classify(
    recent: int, before: int, share: Decimal | None, rules: RecoveryRules
) -> EngagementSegment:
    """The segment for the counts and share under ``rules`` (pure; no queries)."""
    keep = 100 - rules.stalled_drop_percent
    if recent == 0 or (before > 0 and recent * 100 <= before * keep):
        return EngagementSegment.STALLED
    if recent >= rules.self_driven_min_purchases and (
        share is None or share >= rules.self_driven_min_share
    ):
        return EngagementSegment.SELF_DRIVEN
    return EngagementSegment.NEEDS_PUSH


def stance(segment: EngagementSegment, *, our_complaint: bool) -> str:
    """The recommended way to work with an account of ``segment`` (translated)."""
    if segment is EngagementSegment.SELF_DRIVEN:
        return _(
            "Let it run: keep supply and service smooth and don't over-manage. "
            "They buy from us on their own."
        )
    if segment is EngagementSegment.NEEDS_PUSH:
        return _(
            "Work closely: keep in regular contact, plan together and make offers "
            "that give them a reason to order."
        )
    if our_complaint:
        return _(
            "Recover first: the stall may be ours. They complained about something we "
            "got wrong recently, so put that right before asking for new orders."
        )
    return _(
        "Find out why they stopped buying. Stop investing only if the cause is their "
        "own capability, not something we can help with."
    )


def _explain(
    segment: EngagementSegment,
    recent: int,
    before: int,
    share: Decimal | None,
    rules: RecoveryRules,
) -> str:
    days = rules.segment_window_days
    counts = ngettext(
        "%(num)d purchase in the last %(days)d days",
        "%(num)d purchases in the last %(days)d days",
        recent,
        days=days,
    )
    earlier = ngettext(
        "%(num)d in the %(days)d days before",
        "%(num)d in the %(days)d days before",
        before,
        days=days,
    )
    share_text = (
        _("our share of their buying is not known")
        if share is None
        else _("our share of their buying is %(share)s%%", share=f"{share.normalize():f}")
    )
    facts = _(
        "%(counts)s, %(earlier)s; %(share)s.", counts=counts, earlier=earlier, share=share_text
    )
    if segment is EngagementSegment.STALLED:
        if recent == 0:
            why = _("No purchases in the recent window.")
        else:
            why = _(
                "Purchases fell by %(drop)d%% or more against the window before.",
                drop=rules.stalled_drop_percent,
            )
    elif segment is EngagementSegment.SELF_DRIVEN:
        why = _(
            "At least %(min)d purchases without a steep drop, and our share is unknown or "
            "at least %(share)d%%.",
            min=rules.self_driven_min_purchases,
            share=rules.self_driven_min_share,
        )
    elif recent < rules.self_driven_min_purchases:
        why = _(
            "Still buying, but fewer than %(min)d purchases in the recent window.",
            min=rules.self_driven_min_purchases,
        )
    else:
        why = _(
            "Buying steadily, but our share is below %(share)d%%.",
            share=rules.self_driven_min_share,
        )
    return f"{facts} {why}"


def _purchase_counts(ids: list[int], today: date, days: int) -> dict[int, _Counts]:
    """Purchases per customer in both windows: one grouped query."""
    before_start, recent_start, end = windows(today, days)
    recent = sa.func.sum(sa.case((Order.ordered_on > recent_start, 1), else_=0))
    before = sa.func.sum(sa.case((Order.ordered_on <= recent_start, 1), else_=0))
    rows = db.session.execute(
        sa.select(Order.customer_id, recent.label("recent"), before.label("before"))
        .where(
            Order.customer_id.in_(ids),
            purchase_clause(),
            Order.ordered_on > before_start,
            Order.ordered_on <= end,
        )
        .group_by(Order.customer_id)
    )
    return {row.customer_id: _Counts(int(row.recent or 0), int(row.before or 0)) for row in rows}


def _our_complaints(ids: list[int], today: date, days: int) -> set[int]:
    """Customers with a complaint whose cause is ours, created in the recent window
    (its first desk day to the end of ``today``)."""
    _before_start, recent_start, _end = windows(today, days)
    since = clock.desk_day_start(recent_start + timedelta(days=1))
    until = clock.desk_day_start(today + timedelta(days=1))
    return set(
        db.session.scalars(
            sa.select(Ticket.customer_id)
            .where(
                Ticket.customer_id.in_(ids),
                Ticket.cause_side.in_(OUR_CAUSE_SIDES),
                Ticket.created_at >= since.astimezone(UTC),
                Ticket.created_at < until.astimezone(UTC),
            )
            .distinct()
        )
    )


def compute(customer_ids: Iterable[int], *, today: date | None = None) -> dict[int, SegmentView]:
    """The segment of every customer in ``customer_ids`` (unknown ids are left out).

    A constant number of queries, however many customers: the rules, the customers,
    one grouped count of purchases, one of recent complaints of ours.
    """
    ids = sorted({int(i) for i in customer_ids})
    if not ids:
        return {}
    rules = rules_module.current()
    today = today or clock.desk_date(utcnow())
    days = rules.segment_window_days
    customers = db.session.execute(
        sa.select(
            Customer.id,
            Customer.purchase_share,
            Customer.segment_override,
            Customer.segment_override_reason,
        ).where(Customer.id.in_(ids))
    ).all()
    counts = _purchase_counts(ids, today, days)
    ours = _our_complaints(ids, today, days)
    views = {}
    for row in customers:
        n = counts.get(row.id, _Counts(0, 0))
        computed = classify(n.recent, n.before, row.purchase_share, rules)
        segment = row.segment_override or computed
        views[row.id] = SegmentView(
            customer_id=row.id,
            segment=segment,
            computed=computed,
            overridden=row.segment_override is not None,
            override_reason=(row.segment_override_reason or "") if row.segment_override else "",
            purchases_recent=n.recent,
            purchases_before=n.before,
            share=row.purchase_share,
            stance=stance(segment, our_complaint=row.id in ours),
            explanation=_explain(computed, n.recent, n.before, row.purchase_share, rules),
        )
    return views


def can_override(user: User, customer: Customer) -> bool:
    """The account's own manager, leads and admins may set the segment by hand."""
    return access.can_manage_account(user, customer)


def set_override(
    customer: Customer,
    *,
    segment: EngagementSegment | None,
    reason: str,
    actor: User,
    now: datetime,
) -> Customer:
    """Set the segment by hand (a reason is required), or clear it with ``segment=None``."""
    if not can_override(actor, customer):
        raise PermissionDenied(
            _("Only the account's manager, team leads and admins can set its segment.")
        )
    reason = (reason or "").strip()
    if segment is not None:
        try:
            segment = EngagementSegment(segment)
        except ValueError:
            raise DomainError(_("Choose a segment."), field="segment") from None
        if not reason:
            raise DomainError(_("Say why you set the segment by hand."), field="reason")
        if len(reason) > REASON_MAX:
            raise DomainError(
                _("Keep the reason to %(max)d characters.", max=REASON_MAX), field="reason"
            )
    with unit_of_work():
        if segment is None:
            customer.segment_override = None
            customer.segment_override_reason = ""
            customer.segment_override_by_id = None
            customer.segment_override_at = None
        else:
            customer.segment_override = segment
            customer.segment_override_reason = reason
            customer.segment_override_by_id = actor.id
            customer.segment_override_at = now
    return customer
