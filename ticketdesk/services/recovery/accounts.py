"""Accounts for account managers: the accounts a person looks after, and each account's
recovery history with what the recoveries cost and what they kept.

Revenue after recoveries against their cost, per currency (not a return on investment: it
does not ask what the customer would have bought without the recovery; the outcome report,
``outcomes.py``, compares with a matched baseline):

- a *recovery* is a resolved complaint (``resolved_at`` set); its resolution day is the
  desk's day of ``resolved_at`` (``clock.desk_date``);
- *revenue kept* is the sum of purchases (``purchase_clause()``: amount above zero, not a
  remedy shipment) dated in the 90 days after a resolution day,
  ``[resolved_on + 1, resolved_on + 90]``; where the windows of several recoveries
  overlap a purchase counts once; a purchase on the resolution day itself is not kept
  revenue (it may predate the resolution) but counts in the 90 days *before*
  (``[resolved_on − 89, resolved_on]``) shown on the history;
- *cost* is the approved and delivered remedies (make-whole and goodwill) of those
  complaints;
- revenue per unit of cost is revenue kept ÷ cost (none without cost) and net is revenue
  kept − cost.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from ticketdesk.core import clock
from ticketdesk.core.errors import NotFound, PermissionDenied
from ticketdesk.core.paging import Page
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import (
    OPEN_STATUSES,
    Customer,
    LoyaltyState,
    Order,
    RecoveryOutcome,
    Remedy,
    RemedyState,
    Role,
    StandingChange,
    Survey,
    Ticket,
    TierChange,
    User,
    purchase_clause,
)
from ticketdesk.services.people import access
from ticketdesk.services.recovery import segments

VIEW_ROLES = (Role.ACCOUNT_MANAGER, Role.LEAD, Role.ADMIN)
# Roles that see every account (and may filter the list by account manager).
ALL_ACCOUNTS_ROLES = (Role.LEAD, Role.ADMIN)
REVENUE_WINDOW_DAYS = 90
COST_STATES = (RemedyState.APPROVED, RemedyState.DELIVERED)
_ZERO = Decimal("0")
_TENTH = Decimal("0.1")


# ----------------------------------------------------------------- access


def can_view(user: User, customer: Customer) -> bool:
    """The account's own manager, team leads and admins."""
    return access.can_manage_account(user, customer)


def require_view(user: User, customer: Customer) -> None:
    if not can_view(user, customer):
        raise PermissionDenied(
            _("Only the account's manager, team leads and admins can see this account.")
        )


def get_account(customer_id: int) -> Customer:
    """The customer with its account manager and who set its segment (404 if unknown)."""
    customer = db.session.scalar(
        sa.select(Customer)
        .where(Customer.id == customer_id)
        .options(joinedload(Customer.account_manager), joinedload(Customer.segment_override_by))
    )
    if customer is None:
        raise NotFound(_("No such account."))
    return customer


# ----------------------------------------------------------------- my accounts


@dataclass(frozen=True)
class AccountRow:
    customer: Customer
    segment: "segments.SegmentView | None"
    open_complaints: int
    last_resolved_at: datetime | None  # the latest resolved complaint, if any
    last_ticket_id: int | None
    last_loyalty: LoyaltyState | None  # its loyalty state, if judged


def my_accounts(
    user: User,
    *,
    manager_id: int | None = None,
    page: int = 1,
    per_page: int = 25,
    today: date | None = None,
) -> Page[AccountRow]:
    """The accounts ``user`` looks after, sorted by name, a page at a time.

    Account managers get their own accounts (``manager_id`` is ignored); leads and admins
    get every account, or one manager's with ``manager_id``. A constant number of queries.
    """
    if user.role not in VIEW_ROLES:
        raise PermissionDenied(_("Only account managers, team leads and admins have accounts."))
    if user.role is Role.ACCOUNT_MANAGER:
        manager_id = user.id
    stmt = sa.select(Customer)
    if manager_id is not None:
        stmt = stmt.where(Customer.account_manager_id == manager_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    customers = list(
        db.session.scalars(
            stmt.options(joinedload(Customer.account_manager))
            .order_by(Customer.name, Customer.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    ids = [c.id for c in customers]
    if not ids:
        return Page(items=[], total=total, page=page, per_page=per_page)
    open_counts = {
        customer_id: count
        for customer_id, count in db.session.execute(
            sa.select(Ticket.customer_id, sa.func.count(Ticket.id))
            .where(Ticket.customer_id.in_(ids), Ticket.status.in_(OPEN_STATUSES))
            .group_by(Ticket.customer_id)
        )
    }
    last = _last_recoveries(ids)
    views = segments.compute(ids, today=today)
    items = []
    for customer in customers:
        ticket_id, resolved_at, state = last.get(customer.id, (None, None, None))
        items.append(
            AccountRow(
                customer=customer,
                segment=views.get(customer.id),
                open_complaints=open_counts.get(customer.id, 0),
                last_resolved_at=resolved_at,
                last_ticket_id=ticket_id,
                last_loyalty=state,
            )
        )
    return Page(items=items, total=total, page=page, per_page=per_page)


def _last_recoveries(ids: list[int]) -> dict[int, tuple[int, datetime, LoyaltyState | None]]:
    """Per customer: its latest resolved ticket, when, and that ticket's loyalty state."""
    ranked = (
        sa.select(
            Ticket.id,
            Ticket.customer_id,
            Ticket.resolved_at,
            sa.func.row_number()
            .over(
                partition_by=Ticket.customer_id,
                order_by=(Ticket.resolved_at.desc(), Ticket.id.desc()),
            )
            .label("rank"),
        )
        .where(Ticket.customer_id.in_(ids), Ticket.resolved_at.is_not(None))
        .subquery()
    )
    rows = db.session.execute(
        sa.select(ranked.c.customer_id, ranked.c.id, ranked.c.resolved_at, RecoveryOutcome.state)
        .outerjoin(RecoveryOutcome, RecoveryOutcome.ticket_id == ranked.c.id)
        .where(ranked.c.rank == 1)
    )
    return {row.customer_id: (row.id, row.resolved_at, row.state) for row in rows}


def manager_choices() -> list[tuple[int, str]]:
    """Everyone who manages an account or could (active account managers), by name."""
    rows = db.session.execute(
        sa.select(User.id, User.name)
        .where(
            sa.or_(
                sa.and_(User.role == Role.ACCOUNT_MANAGER, User.active.is_(True)),
                User.id.in_(sa.select(Customer.account_manager_id)),
            )
        )
        .order_by(User.name, User.id)
    )
    return [(row.id, row.name) for row in rows]


# ----------------------------------------------------------------- revenue after recoveries


@dataclass(frozen=True)
class Purchase:
    id: int
    ordered_on: date
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class CurrencyFigures:
    """One currency's compensation, recovery cost and revenue kept."""

    currency: str
    compensation: Decimal  # approved + delivered remedies on every complaint of the account
    cost: Decimal  # approved + delivered remedies on the resolved complaints
    revenue_kept: Decimal  # purchases in the 90 days after a resolution, each counted once

    @property
    def net(self) -> Decimal:
        return self.revenue_kept - self.cost

    @property
    def revenue_per_cost(self) -> Decimal | None:
        """Revenue kept ÷ cost to one decimal; None when nothing was spent. Not a return
        on the compensation: the purchases might have come without the recovery."""
        if self.cost <= 0:
            return None
        return (self.revenue_kept / self.cost).quantize(_TENTH, rounding=ROUND_HALF_UP)


def after_window(resolved_on: date) -> tuple[date, date]:
    """The 90 desk days after the resolution day, both ends included."""
    return (resolved_on + timedelta(days=1), resolved_on + timedelta(days=REVENUE_WINDOW_DAYS))


def before_window(resolved_on: date) -> tuple[date, date]:
    """The 90 desk days up to and including the resolution day: an order on that day may
    predate the resolution, so it counts before, never after."""
    return (resolved_on - timedelta(days=REVENUE_WINDOW_DAYS - 1), resolved_on)


def _merge(windows: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Overlapping or touching day ranges joined, so no day is in two of them."""
    merged: list[tuple[date, date]] = []
    for first, last in sorted(windows):
        if merged and first <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


class _Purchases:
    """Purchases sorted by day, summed per currency over a range by bisection."""

    def __init__(self, purchases: Iterable[Purchase]):
        self.items = sorted(purchases, key=lambda p: (p.ordered_on, p.id))
        self.days = [p.ordered_on for p in self.items]

    def in_range(self, first: date, last: date) -> list[Purchase]:
        return self.items[bisect_left(self.days, first) : bisect_right(self.days, last)]

    def totals(self, first: date, last: date) -> dict[str, Decimal]:
        return _by_currency((p.currency, p.amount) for p in self.in_range(first, last))


def _by_currency(pairs: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    result: dict[str, Decimal] = {}
    for currency, amount in pairs:
        result[currency] = result.get(currency, _ZERO) + amount
    return dict(sorted(result.items()))


def revenue_kept(
    resolution_days: Iterable[date], purchases: Iterable[Purchase]
) -> dict[str, Decimal]:
    """Purchases in the 90 days after any resolution day, per currency, each counted once."""
    book = purchases if isinstance(purchases, _Purchases) else _Purchases(purchases)
    kept: dict[int, Purchase] = {}
    for first, last in _merge(after_window(day) for day in resolution_days):
        kept.update((p.id, p) for p in book.in_range(first, last))
    return _by_currency((p.currency, p.amount) for p in kept.values())


def recovery_figures(
    *,
    revenue: dict[str, Decimal],
    cost: dict[str, Decimal],
    compensation: dict[str, Decimal] | None = None,
) -> list[CurrencyFigures]:
    """One row per currency that has revenue kept, cost or compensation, by currency code."""
    compensation = compensation or {}
    currencies = sorted(set(revenue) | set(cost) | set(compensation))
    return [
        CurrencyFigures(
            currency=c,
            compensation=compensation.get(c, _ZERO),
            cost=cost.get(c, _ZERO),
            revenue_kept=revenue.get(c, _ZERO),
        )
        for c in currencies
    ]


# ----------------------------------------------------------------- recovery history


@dataclass(frozen=True)
class RevenueWindow:
    first: date
    last: date
    totals: dict[str, Decimal]  # purchases per currency
    complete: bool  # the window lies wholly before today


@dataclass(frozen=True)
class ComplaintEntry:
    ticket: Ticket
    remedies: list[Remedy]
    survey: Survey | None  # the latest answered survey
    outcome: RecoveryOutcome | None
    resolved_on: date | None  # the desk's day of the resolution
    before: RevenueWindow | None
    after: RevenueWindow | None
    kind: str = "complaint"

    @property
    def moment(self) -> datetime:
        return self.ticket.created_at

    @property
    def make_whole_minutes(self) -> int | None:
        """Minutes from logging the complaint to making the customer whole."""
        if self.ticket.made_whole_at is None:
            return None
        return int((self.ticket.made_whole_at - self.ticket.created_at).total_seconds() // 60)


@dataclass(frozen=True)
class ProfileChangeEntry:
    """A change of standing (``kind="standing"``) or of tier (``kind="tier"``), with its reason."""

    change: StandingChange | TierChange
    kind: str

    @property
    def moment(self) -> datetime:
        return self.change.changed_at


@dataclass(frozen=True)
class AccountHistory:
    customer: Customer
    segment: "segments.SegmentView | None"
    complaints: int
    open_complaints: int
    recoveries: int  # resolved complaints
    figures: list[CurrencyFigures]
    timeline: list[ComplaintEntry | ProfileChangeEntry]  # newest first
    today: date


def history(customer: Customer, *, today: date | None = None) -> AccountHistory:
    """Every complaint of ``customer`` with its remedies, satisfaction, loyalty outcome and
    revenue around the resolution, its standing changes, and the recovery figures.

    A constant number of queries, however many complaints the account has.
    """
    today = today or clock.desk_date(utcnow())
    tickets = list(
        db.session.scalars(
            sa.select(Ticket)
            .where(Ticket.customer_id == customer.id)
            .options(selectinload(Ticket.remedies))
            .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        )
    )
    ids = [t.id for t in tickets]
    surveys: dict[int, Survey] = {}
    outcomes: dict[int, RecoveryOutcome] = {}
    if ids:
        for survey in db.session.scalars(
            sa.select(Survey)
            .where(Survey.ticket_id.in_(ids), Survey.answered_at.is_not(None))
            .order_by(Survey.answered_at, Survey.id)
        ):
            surveys[survey.ticket_id] = survey  # the latest answer wins
        outcomes = {
            o.ticket_id: o
            for o in db.session.scalars(
                sa.select(RecoveryOutcome).where(RecoveryOutcome.ticket_id.in_(ids))
            )
        }
    resolved_on = {
        t.id: clock.desk_date(t.resolved_at) for t in tickets if t.resolved_at is not None
    }
    book = _Purchases(_purchases(customer.id, resolved_on.values()))
    changes = list(
        db.session.scalars(
            sa.select(StandingChange)
            .where(StandingChange.customer_id == customer.id)
            .options(joinedload(StandingChange.changed_by), joinedload(StandingChange.ticket))
            .order_by(StandingChange.changed_at.desc(), StandingChange.id.desc())
        )
    )

    tier_changes = list(
        db.session.scalars(
            sa.select(TierChange)
            .where(TierChange.customer_id == customer.id)
            .options(joinedload(TierChange.changed_by))
            .order_by(TierChange.changed_at.desc(), TierChange.id.desc())
        )
    )

    entries: list[ComplaintEntry | ProfileChangeEntry] = []
    for ticket in tickets:
        day = resolved_on.get(ticket.id)
        before = after = None
        if day is not None:
            before, after = (
                _window(book, *window(day), today) for window in (before_window, after_window)
            )
        entries.append(
            ComplaintEntry(
                ticket=ticket,
                remedies=list(ticket.remedies),
                survey=surveys.get(ticket.id),
                outcome=outcomes.get(ticket.id),
                resolved_on=day,
                before=before,
                after=after,
            )
        )
    entries.extend(ProfileChangeEntry(change, "standing") for change in changes)
    entries.extend(ProfileChangeEntry(change, "tier") for change in tier_changes)
    entries.sort(key=lambda e: (e.moment, e.kind != "complaint"), reverse=True)

    counted = [r for t in tickets for r in t.remedies if r.state in COST_STATES]
    cost = _by_currency((r.currency, r.cost) for r in counted if r.ticket_id in resolved_on)
    compensation = _by_currency((r.currency, r.cost) for r in counted)
    figures = recovery_figures(
        revenue=revenue_kept(resolved_on.values(), book), cost=cost, compensation=compensation
    )
    return AccountHistory(
        customer=customer,
        segment=segments.compute([customer.id], today=today).get(customer.id),
        complaints=len(tickets),
        open_complaints=sum(1 for t in tickets if t.is_open),
        recoveries=len(resolved_on),
        figures=figures,
        timeline=entries,
        today=today,
    )


def _window(book: _Purchases, first: date, last: date, today: date) -> RevenueWindow:
    return RevenueWindow(
        first=first, last=last, totals=book.totals(first, last), complete=last < today
    )


def _purchases(customer_id: int, days: Iterable[date]) -> list[Purchase]:
    """The customer's purchases from 90 days before the first resolution to 90 after the last."""
    days = list(days)
    if not days:
        return []
    first, last = before_window(min(days))[0], after_window(max(days))[1]
    rows = db.session.execute(
        sa.select(Order.id, Order.ordered_on, Order.amount, Order.currency).where(
            Order.customer_id == customer_id,
            purchase_clause(),
            Order.ordered_on >= first,
            Order.ordered_on <= last,
        )
    )
    return [
        Purchase(id=r.id, ordered_on=r.ordered_on, amount=r.amount, currency=r.currency)
        for r in rows
    ]
