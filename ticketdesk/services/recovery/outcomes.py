"""The outcome report: do customers whose complaint we resolved really stay?

Everything here is read from tickets and orders; nothing is stored. Orders count only as
*purchases* (an amount above zero and not the shipment of a remedy, ``purchase_clause``).
Days are the desk's calendar days (``recovery_rules.desk_date``), as orders carry days.

Every figure counts **tickets** (one resolved complaint is one case: a customer with two
resolved complaints in the period counts twice), except the cost per retained *customer*.

* **Cohort** – tickets resolved on a day of the period (their latest resolution) and still
  resolved or closed.
* **Bought again within h days** (h = 30, 60, 90, 180) – a purchase on a day after the
  resolution day and at most h days after it (``resolved_on < day <= resolved_on + h``);
  a purchase on the resolution day itself belongs to *before*. A ticket counts for h only
  once the window's last day is over (``resolved_on + h < today``); every rate carries its
  own n.
* **Matched group** – for a ticket, the customers of the same tier who logged no ticket
  from 365 days before the period's first day to its last day (so nobody who complained in
  the look-back year or in the period) and are not in the cohort, whose purchases in the
  365 days up to and including the ticket's resolution day (``index − 364 <= day <=
  index``) fall in the same volume band: 0, 1–2, 3–5, 6–11, 12 or more purchases. Their
  rate of a purchase in (index, index + h] is the ticket's baseline. Over the tickets that have at
  least one match: complainers' rate p_c, baseline the mean of the p_i, d = p_c − baseline,
  SE = sqrt(p_c(1−p_c)/n + Σ p_i(1−p_i)/m_i / n²), 95% interval d ± 1.96·SE (a normal
  approximation). Fewer than 10 matched tickets: too few to judge.
* **Conversion** – retained ÷ (retained + lapsed) among the cohort's recovery outcomes;
  open candidates and customers at risk are counted apart.
* **Reopened** – ``reopen_count > 0``. **Complained again** – another ticket of the
  customer logged after the resolution and on a desk day at most 90 days after the
  resolution day (only once that day is over, ``resolved_on + 90 < today``).
* **Satisfaction** – each ticket's latest answered survey: n, mean score, share of 4 and 5.
* **Goodwill ÷ make-whole** – the mean, over tickets with a make-whole of non-zero cost, of
  goodwill cost ÷ make-whole cost. **Compensation band** – (make-whole + goodwill) ÷ the
  claimed loss: under 100%, 100–120% (both included), over 120 up to 150%, over 150%;
  unknown without a claimed loss. **Cost per retained customer** – compensation of the
  tickets in a currency ÷ the distinct customers of those tickets whose outcome is retained.
  Remedies count when approved or delivered.
* **SLA met** – none of the first response, next response, make-whole and resolution
  targets was missed. **Apology given** – a done apology step.

The report reads eight queries whatever the number of tickets, then computes in Python.
"""

import enum
import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

import sqlalchemy as sa
from flask_babel import gettext as _

from ticketdesk.core.clock import desk_date, desk_day_start
from ticketdesk.core.errors import DomainError
from ticketdesk.extensions import db
from ticketdesk.models import (
    CauseSide,
    Customer,
    LoyaltyState,
    Order,
    RecoveryOutcome,
    Remedy,
    RemedyForm,
    RemedyKind,
    RemedyState,
    Role,
    Severity,
    StepKind,
    Survey,
    Ticket,
    TicketStatus,
    TicketStep,
    purchase_clause,
)
from ticketdesk.services.ledger.remedies import round_money

VIEWER_ROLES = (Role.LEAD, Role.ACCOUNT_MANAGER)
MAX_DAYS = 731
HORIZONS = (30, 60, 90, 180)
REPEAT_DAYS = 90
PRIOR_DAYS = 365
MIN_MATCHED = 10
Z_95 = 1.96
# The trade's claim (seed 004) that about 85% of well-recovered customers become loyal;
# no study behind it could be traced, so the page shows it only for comparison.
CLAIMED_CONVERSION = 0.85
COUNTED_REMEDY_STATES = (RemedyState.APPROVED, RemedyState.DELIVERED)
# Purchases in the 365 days before the index day: the lowest count of each band.
VOLUME_BAND_STARTS = (0, 1, 3, 6, 12)
ZERO = Decimal("0")


class Verdict(enum.StrEnum):
    BETTER = "better"  # the whole interval lies above zero
    WORSE = "worse"  # the whole interval lies below zero
    RESTORED = "restored"  # no measurable difference
    TOO_FEW = "too_few"  # fewer than MIN_MATCHED matched tickets


class CompensationBand(enum.StrEnum):
    UNDER_100 = "under_100"
    FROM_100_TO_120 = "100_120"
    OVER_120_TO_150 = "120_150"
    OVER_150 = "over_150"
    UNKNOWN = "unknown"


NO_REMEDY = "none"
SLA_MET, SLA_MISSED = "met", "missed"
APOLOGY_GIVEN, APOLOGY_NOT_GIVEN = "given", "not_given"

BREAKDOWNS = ("cause_side", "severity", "remedy_form", "compensation", "sla", "apology")
_GROUP_ORDER = {
    "cause_side": [side.value for side in CauseSide],
    "severity": [severity.value for severity in Severity],
    "remedy_form": [form.value for form in RemedyForm] + [NO_REMEDY],
    "compensation": [band.value for band in CompensationBand],
    "sla": [SLA_MET, SLA_MISSED],
    "apology": [APOLOGY_GIVEN, APOLOGY_NOT_GIVEN],
}


# ----------------------------------------------------------------- figures


@dataclass(frozen=True)
class Rate:
    """``hits`` of ``n``; ``value`` is None when n is zero."""

    hits: int
    n: int

    @property
    def value(self) -> float | None:
        return self.hits / self.n if self.n else None


@dataclass(frozen=True)
class Mean:
    value: float | None
    n: int


@dataclass(frozen=True)
class Comparison:
    """Complainers against their matched groups, at one horizon."""

    horizon: int
    n: int  # matured tickets with at least one match
    matches: int  # customers matched, summed over those tickets
    complainers: float | None
    baseline: float | None
    difference: float | None
    low: float | None
    high: float | None
    verdict: Verdict


@dataclass(frozen=True)
class Satisfaction:
    mean: float | None
    n: int
    satisfied: Rate  # a score of 4 or 5


@dataclass(frozen=True)
class Conversion:
    retained: int
    lapsed: int
    candidates: int  # still open: no purchase yet, window not over
    at_risk: int

    @property
    def rate(self) -> Rate:
        return Rate(self.retained, self.retained + self.lapsed)


@dataclass(frozen=True)
class CostPerRetained:
    currency: str
    cost: Decimal  # approved and delivered compensation of the tickets
    customers: int  # distinct retained customers among them

    @property
    def per_customer(self) -> Decimal | None:
        if not self.customers:
            return None
        return round_money(self.cost / self.customers, self.currency)


@dataclass(frozen=True)
class Figures:
    tickets: int
    repurchase: dict[int, Rate]
    comparisons: dict[int, Comparison]
    reopened: Rate
    repeat: Rate
    satisfaction: Satisfaction
    conversion: Conversion
    goodwill_ratio: Mean
    cost_per_retained: list[CostPerRetained]


@dataclass(frozen=True)
class Group:
    key: str
    figures: Figures


@dataclass(frozen=True)
class OutcomeReport:
    first: date
    last: date
    today: date
    total: Figures
    breakdowns: dict[str, list[Group]] = field(default_factory=dict)


# ----------------------------------------------------------------- period


def check_period(first: date, last: date) -> None:
    if last < first:
        raise DomainError(_("The period ends before it starts."), "until")
    if (last - first).days + 1 > MAX_DAYS:
        raise DomainError(_("Choose a period of at most %(n)d days.", n=MAX_DAYS), "since")


def volume_band(purchases: int) -> int:
    """The band (0–4) of a count of purchases: 0, 1–2, 3–5, 6–11, 12+."""
    return bisect_right(VOLUME_BAND_STARTS, purchases) - 1


def compensation_band(total: Decimal, claimed_loss: Decimal | None) -> CompensationBand:
    if not claimed_loss:
        return CompensationBand.UNKNOWN
    ratio = total / claimed_loss
    if ratio < 1:
        return CompensationBand.UNDER_100
    if ratio <= Decimal("1.2"):
        return CompensationBand.FROM_100_TO_120
    if ratio <= Decimal("1.5"):
        return CompensationBand.OVER_120_TO_150
    return CompensationBand.OVER_150


# ----------------------------------------------------------------- per ticket


@dataclass
class _Row:
    """What the report needs to know about one cohort ticket."""

    ticket_id: int
    customer_id: int
    currency: str
    resolved_on: date
    reopened: bool
    claimed_loss: Decimal | None
    groups: dict[str, str]
    bought: dict[int, bool]  # matured horizons only
    matched: dict[int, tuple[int, int]]  # matured horizons: (matches, who bought)
    repeat: bool | None = None  # None until 90 days have passed
    score: int | None = None
    outcome: LoyaltyState | None = None
    make_whole: Decimal = ZERO
    goodwill: Decimal = ZERO


class _Purchases:
    """Each customer's purchase days, sorted, for counting windows by bisection."""

    def __init__(self, rows: Iterable[tuple[int, date]]):
        self.days: dict[int, list[date]] = defaultdict(list)
        for customer_id, day in rows:
            self.days[customer_id].append(day)
        for days in self.days.values():
            days.sort()

    def prior(self, customer_id: int, index: date) -> int:
        """Purchases in the PRIOR_DAYS days up to and including ``index``."""
        days = self.days.get(customer_id, ())
        return bisect_right(days, index) - bisect_right(days, index - timedelta(days=PRIOR_DAYS))

    def next_after(self, customer_id: int, index: date) -> date | None:
        days = self.days.get(customer_id, ())
        at = bisect_right(days, index)
        return days[at] if at < len(days) else None


def matured(resolved_on: date, days: int, today: date) -> bool:
    """Whether the window of ``days`` after ``resolved_on`` is over: its last day,
    ``resolved_on + days``, lies before ``today`` (a day still running may bring orders)."""
    return resolved_on + timedelta(days=days) < today


def _bought(next_day: date | None, index: date, horizon: int) -> bool:
    return next_day is not None and next_day <= index + timedelta(days=horizon)


class _Matcher:
    """The matched groups: for every index day of the period, per tier and volume band, how
    many candidates there are and how many of them bought within each horizon.

    A candidate's band and "bought within h" change only on a few days: a purchase p enters
    the 365-day look-back on p (the index day counts) and leaves it on p + 365; the next
    purchase after the index changes on p; buying within h begins on p − h. Between those
    days nothing changes, so each candidate adds its counts to whole runs of days
    (difference arrays), and the work grows with the purchases, not with days × customers.
    """

    def __init__(
        self, candidates: dict[str, list[int]], purchases: _Purchases, first: date, last: date
    ):
        self.first = first
        self.days = (last - first).days + 1
        self.purchases = purchases
        # tier → band → one running count per statistic (matches, then each horizon)
        self.counts: dict[str, dict[int, list[list[int]]]] = {}
        for tier, ids in candidates.items():
            diff: dict[int, list[list[int]]] = {}
            for cid in ids:
                self._add(diff, cid)
            for stats in diff.values():
                for column in stats:
                    total = 0
                    for day, change in enumerate(column):
                        total += change
                        column[day] = total
            self.counts[tier] = diff

    def _add(self, diff: dict[int, list[list[int]]], customer_id: int) -> None:
        days = self.purchases.days.get(customer_id, ())
        cuts = {0, self.days}
        for p in days:
            for moment in (
                p,
                p + timedelta(days=PRIOR_DAYS),
                *(p - timedelta(days=h) for h in HORIZONS),
            ):
                offset = (moment - self.first).days
                if 0 < offset < self.days:
                    cuts.add(offset)
        ordered = sorted(cuts)
        for begin, end in pairwise(ordered):
            index = self.first + timedelta(days=begin)
            band = volume_band(self.purchases.prior(customer_id, index))
            stats = diff.get(band)
            if stats is None:
                stats = diff[band] = [[0] * (self.days + 1) for _ in range(len(HORIZONS) + 1)]
            next_day = self.purchases.next_after(customer_id, index)
            flags = (True, *(_bought(next_day, index, h) for h in HORIZONS))
            for column, flag in zip(stats, flags, strict=True):
                if flag:
                    column[begin] += 1
                    column[end] -= 1

    def bands(self, tier: str, index: date) -> dict[int, tuple[int, dict[int, int]]]:
        """Band → (candidates, {horizon: candidates who bought within it}) on ``index``."""
        offset = (index - self.first).days
        result = {}
        for band, stats in self.counts.get(tier, {}).items():
            if stats[0][offset]:
                result[band] = (
                    stats[0][offset],
                    {h: stats[i][offset] for i, h in enumerate(HORIZONS, 1)},
                )
        return result


# ----------------------------------------------------------------- the report


def report(first: date, last: date, *, today: date) -> OutcomeReport:
    """The outcome figures of the tickets resolved from ``first`` to ``last`` (desk days,
    both included), seen from ``today``."""
    check_period(first, last)
    since, until = desk_day_start(first), desk_day_start(last + timedelta(days=1))
    cohort = sa.and_(
        Ticket.resolved_at >= since,
        Ticket.resolved_at < until,
        Ticket.status.in_((TicketStatus.RESOLVED, TicketStatus.CLOSED)),
    )
    cohort_ids = sa.select(Ticket.id).where(cohort)
    cohort_customers = sa.select(Ticket.customer_id).where(cohort)

    t = Ticket
    tickets = db.session.execute(
        sa.select(
            t.id,
            t.customer_id,
            Customer.tier,
            t.currency,
            t.resolved_at,
            t.reopen_count,
            t.cause_side,
            t.severity,
            t.claimed_loss,
            t.first_response_breached,
            t.next_response_breached,
            t.remedy_breached,
            t.resolution_breached,
        )
        .join(Customer, Customer.id == t.customer_id)
        .where(cohort)
        .order_by(t.id)
    ).all()
    if not tickets:
        empty = _figures([])
        return OutcomeReport(first, last, today, empty, {name: [] for name in BREAKDOWNS})

    remedies = db.session.execute(
        sa.select(Remedy.ticket_id, Remedy.kind, Remedy.form, Remedy.cost)
        .where(Remedy.ticket_id.in_(cohort_ids), Remedy.state.in_(COUNTED_REMEDY_STATES))
        .order_by(Remedy.id)
    ).all()
    apologised = set(
        db.session.scalars(
            sa.select(TicketStep.ticket_id)
            .distinct()
            .where(
                TicketStep.ticket_id.in_(cohort_ids),
                TicketStep.kind == StepKind.APOLOGY,
                TicketStep.done_at.is_not(None),
            )
        )
    )
    surveys = db.session.execute(
        sa.select(Survey.ticket_id, Survey.score)
        .where(
            Survey.ticket_id.in_(cohort_ids),
            Survey.answered_at.is_not(None),
            Survey.score.is_not(None),
        )
        .order_by(Survey.answered_at, Survey.id)
    ).all()
    decided = db.session.execute(
        sa.select(RecoveryOutcome.ticket_id, RecoveryOutcome.state).where(
            RecoveryOutcome.ticket_id.in_(cohort_ids)
        )
    ).all()
    later = db.session.execute(
        sa.select(Ticket.customer_id, Ticket.id, Ticket.created_at).where(
            Ticket.customer_id.in_(cohort_customers), Ticket.created_at >= since
        )
    ).all()
    # Who may be matched: customers of the cohort's tiers with no ticket logged from the
    # look-back year before the period to its end, and not in the cohort themselves.
    tiers = {row.tier for row in tickets}
    logged_in_period = sa.select(Ticket.customer_id).where(
        Ticket.created_at >= desk_day_start(first - timedelta(days=PRIOR_DAYS)),
        Ticket.created_at < until,
    )
    candidate_clause = sa.and_(
        Customer.tier.in_(tiers),
        Customer.id.not_in(logged_in_period),
        Customer.id.not_in(cohort_customers),
    )
    candidates: dict[str, list[int]] = defaultdict(list)
    for cid, tier in db.session.execute(
        sa.select(Customer.id, Customer.tier).where(candidate_clause)
    ):
        candidates[tier].append(cid)
    purchases = _Purchases(
        db.session.execute(
            sa.select(Order.customer_id, Order.ordered_on).where(
                purchase_clause(),
                Order.ordered_on >= first - timedelta(days=PRIOR_DAYS),
                Order.ordered_on <= last + timedelta(days=max(HORIZONS)),
                sa.or_(
                    Order.customer_id.in_(cohort_customers),
                    Order.customer_id.in_(sa.select(Customer.id).where(candidate_clause)),
                ),
            )
        )
    )

    matcher = _Matcher(candidates, purchases, first, last)
    later_by_customer: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for customer_id, ticket_id, created_at in later:
        later_by_customer[customer_id].append((ticket_id, created_at))

    rows: dict[int, _Row] = {}
    for tk in tickets:
        resolved_on = desk_date(tk.resolved_at)
        row = _Row(
            ticket_id=tk.id,
            customer_id=tk.customer_id,
            currency=tk.currency,
            resolved_on=resolved_on,
            reopened=tk.reopen_count > 0,
            claimed_loss=tk.claimed_loss,
            groups={
                "cause_side": tk.cause_side.value,
                "severity": tk.severity.value,
                "sla": SLA_MISSED
                if (
                    tk.first_response_breached
                    or tk.next_response_breached
                    or tk.remedy_breached
                    or tk.resolution_breached
                )
                else SLA_MET,
                "apology": APOLOGY_GIVEN if tk.id in apologised else APOLOGY_NOT_GIVEN,
            },
            bought={},
            matched={},
        )
        band = volume_band(purchases.prior(tk.customer_id, resolved_on))
        matched_band = matcher.bands(tk.tier, resolved_on).get(band)
        next_day = purchases.next_after(tk.customer_id, resolved_on)
        for h in HORIZONS:
            if not matured(resolved_on, h, today):
                continue
            row.bought[h] = _bought(next_day, resolved_on, h)
            if matched_band is not None:
                row.matched[h] = (matched_band[0], matched_band[1][h])
        if matured(resolved_on, REPEAT_DAYS, today):
            horizon_end = resolved_on + timedelta(days=REPEAT_DAYS)
            row.repeat = any(
                other_id != tk.id
                and created_at > tk.resolved_at
                and desk_date(created_at) <= horizon_end
                for other_id, created_at in later_by_customer[tk.customer_id]
            )
        rows[tk.id] = row

    forms: dict[int, RemedyForm] = {}
    for ticket_id, kind, form, cost in remedies:
        row = rows[ticket_id]
        if kind is RemedyKind.MAKE_WHOLE:
            row.make_whole += cost
            forms.setdefault(ticket_id, form)
        else:
            row.goodwill += cost
    for ticket_id, score in surveys:  # in answer order: the latest answer wins
        rows[ticket_id].score = score
    for ticket_id, state in decided:
        rows[ticket_id].outcome = state
    for row in rows.values():
        form = forms.get(row.ticket_id)
        row.groups["remedy_form"] = form.value if form else NO_REMEDY
        row.groups["compensation"] = compensation_band(
            row.make_whole + row.goodwill, row.claimed_loss
        ).value

    ordered = list(rows.values())
    return OutcomeReport(
        first,
        last,
        today,
        _figures(ordered),
        {name: _breakdown(ordered, name) for name in BREAKDOWNS},
    )


def _breakdown(rows: list[_Row], name: str) -> list[Group]:
    members: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        members[row.groups[name]].append(row)
    return [Group(key, _figures(members[key])) for key in _GROUP_ORDER[name] if key in members]


def _rate(rows: Iterable[_Row], test: Callable[[_Row], bool | None]) -> Rate:
    values = [value for value in map(test, rows) if value is not None]
    return Rate(sum(values), len(values))


def compare(pairs: list[tuple[bool, int, int]], horizon: int) -> Comparison:
    """Complainers against their matched groups: one (bought, matches, matches who bought)
    per matched ticket."""
    n = len(pairs)
    if not n:
        return Comparison(horizon, 0, 0, None, None, None, None, None, Verdict.TOO_FEW)
    p_c = sum(bought for bought, _m, _k in pairs) / n
    shares = [(k / m, m) for _bought, m, k in pairs]
    baseline = sum(p for p, _m in shares) / n
    difference = p_c - baseline
    variance = p_c * (1 - p_c) / n + sum(p * (1 - p) / m for p, m in shares) / n**2
    margin = Z_95 * math.sqrt(variance)
    low, high = difference - margin, difference + margin
    if n < MIN_MATCHED:
        verdict = Verdict.TOO_FEW
    elif low > 0:
        verdict = Verdict.BETTER
    elif high < 0:
        verdict = Verdict.WORSE
    else:
        verdict = Verdict.RESTORED
    return Comparison(
        horizon, n, sum(m for _b, m, _k in pairs), p_c, baseline, difference, low, high, verdict
    )


def _figures(rows: list[_Row]) -> Figures:
    scores = [row.score for row in rows if row.score is not None]
    ratios = [float(row.goodwill / row.make_whole) for row in rows if row.make_whole > 0]
    states = [row.outcome for row in rows]
    costs: dict[str, Decimal] = {}
    retained: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        costs[row.currency] = costs.get(row.currency, ZERO) + row.make_whole + row.goodwill
        if row.outcome is LoyaltyState.RETAINED:
            retained[row.currency].add(row.customer_id)
    return Figures(
        tickets=len(rows),
        repurchase={h: _rate(rows, lambda row, h=h: row.bought.get(h)) for h in HORIZONS},
        comparisons={
            h: compare([(row.bought[h], *row.matched[h]) for row in rows if h in row.matched], h)
            for h in HORIZONS
        },
        reopened=_rate(rows, lambda row: row.reopened),
        repeat=_rate(rows, lambda row: row.repeat),
        satisfaction=Satisfaction(
            sum(scores) / len(scores) if scores else None,
            len(scores),
            Rate(sum(score >= 4 for score in scores), len(scores)),
        ),
        conversion=Conversion(
            retained=states.count(LoyaltyState.RETAINED),
            lapsed=states.count(LoyaltyState.LAPSED),
            candidates=states.count(LoyaltyState.CANDIDATE),
            at_risk=states.count(LoyaltyState.AT_RISK),
        ),
        goodwill_ratio=Mean(sum(ratios) / len(ratios) if ratios else None, len(ratios)),
        cost_per_retained=[
            CostPerRetained(currency, costs[currency], len(retained[currency]))
            for currency in sorted(costs)
        ],
    )
