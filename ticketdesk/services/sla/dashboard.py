"""The team lead's service-level dashboard: figures for a period and a set of teams.

Every figure reads the tickets' stored columns (the SLA bookkeeping keeps them), never a
recomputation. One query fetches the handful of columns of every ticket that can count in
the period; each figure is then a named *measure*, a test on one such row. The page counts
rows per measure, and the drill-down lists the tickets behind a number by applying the very
same measure to the very same rows, so a number and its list can never disagree.

Periods are whole days in the viewer's timezone, half-open ``[since, until)`` from local
midnight to local midnight (``core.clock``; 23 or 25 hours when the clocks change). What
counts where:

* **in** – logged in the period; **resolved** – resolved in the period (a reopened ticket
  counts when it is resolved again); **backlog** – logged before the end of the period and
  not resolved by then.
* **First response within target** – of the tickets logged in the period that have a first
  response target: met (answered, not missed) against missed; tickets still waiting and not
  yet late count for neither. **Resolution within target** – of the tickets resolved in the
  period with a resolution target; **resolution missed** is the missed part of it, the
  same tickets in the summary and in every breakdown. **Make-whole within target** – of
  the tickets made whole in the period with a make-whole target.
* Median and 90th percentile use the nearest rank: the smallest value that at least half
  (nine tenths) of the tickets do not exceed. First response and resolution are in business
  minutes (pauses excluded, as stored); time to make whole is wall-clock minutes from the
  ticket being logged to the make-whole being delivered.
* **Targets** next to those times, in the same clock: first response and resolution, the
  business minutes of the ticket's service-level policy; make-whole, the wall-clock minutes
  from logging to the stored make-whole due time. Each card shows the lowest and highest
  target among the tickets it counts (met or missed).
* Breakdowns (team, agent, category, tier, week) use the ticket's current team, assignee,
  category and customer tier; weeks start on Monday at local midnight in the viewer's
  timezone. Each breakdown's counts add up to the summary's.

The live lists (at risk now, overdue now) ignore the period: open tickets of the chosen
teams whose clock is running, at risk as the sweep marked them, overdue by their due time.
"""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from operator import itemgetter

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ticketdesk.core import clock
from ticketdesk.core.errors import DomainError
from ticketdesk.core.paging import Page
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import (
    OPEN_STATUSES,
    Category,
    Customer,
    CustomerTier,
    Role,
    SlaEvent,
    SlaPolicy,
    SlaState,
    Team,
    Ticket,
    User,
)

VIEWER_ROLES = (Role.LEAD,)
MAX_DAYS = 366
LIVE_LIMIT = 20


# ----------------------------------------------------------------- period and rows


@dataclass(frozen=True)
class Period:
    """Whole days ``first``..``last`` in ``tz``, for the teams in ``team_ids`` (none: all).

    ``tz`` may be a zone name, a ``ZoneInfo`` or a pytz zone: it is kept as ``zoneinfo``
    (``clock.zone``), so the days start at local midnight, whatever the offset that day."""

    first: date
    last: date
    tz: "tzinfo | str"
    team_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tz", clock.zone(self.tz))
        if self.last < self.first:
            raise DomainError(_("The period ends before it starts."), "until")
        if (self.last - self.first).days + 1 > MAX_DAYS:
            raise DomainError(_("Choose a period of at most %(n)d days.", n=MAX_DAYS), "since")

    @property
    def since(self) -> datetime:
        return clock.day_start(self.first, self.tz)

    @property
    def until(self) -> datetime:
        return clock.day_start(self.last + timedelta(days=1), self.tz)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def _team_clause(team_ids: tuple[int, ...]) -> sa.ColumnElement[bool]:
    return Ticket.team_id.in_(team_ids) if team_ids else sa.true()


def _between(column, period: Period) -> sa.ColumnElement[bool]:
    return sa.and_(column >= period.since, column < period.until)


def _in_period(period: Period) -> sa.ColumnElement[bool]:
    """Tickets logged, resolved or made whole in the period: every measure but the backlog
    needs one of these moments (``tests/test_dashboard.py`` holds the measures to that)."""
    return sa.or_(
        _between(Ticket.created_at, period),
        _between(Ticket.resolved_at, period),
        _between(Ticket.made_whole_at, period),
    )


def _backlog_only(period: Period) -> sa.ColumnElement[bool]:
    """Tickets open at the period's end with no moment in it: they count for the backlog
    and nothing else."""
    t = Ticket
    return sa.and_(
        t.created_at < period.since,
        sa.or_(t.resolved_at.is_(None), t.resolved_at >= period.until),
        sa.or_(
            t.made_whole_at.is_(None),
            t.made_whole_at < period.since,
            t.made_whole_at >= period.until,
        ),
    )


# ----------------------------------------------------------------- measures


def atoms(period: Period) -> dict[str, sa.ColumnElement[bool]]:
    """The simple facts about a ticket every figure is built from, as SQL."""
    t = Ticket
    return {
        "in": _between(t.created_at, period),
        "resolved": _between(t.resolved_at, period),
        "made_whole": _between(t.made_whole_at, period),
        "open_at_end": sa.and_(
            t.created_at < period.until,
            sa.or_(t.resolved_at.is_(None), t.resolved_at >= period.until),
        ),
        "fr_target": t.first_response_due_at.is_not(None),
        "fr_answered": t.first_response_at.is_not(None),
        "fr_breached": t.first_response_breached,
        "fr_minutes": t.first_response_minutes.is_not(None),
        "next_breached": t.next_response_breached,
        "res_target": t.resolution_due_at.is_not(None),
        "res_breached": t.resolution_breached,
        "res_minutes": t.resolution_minutes.is_not(None),
        "remedy_target": t.remedy_due_at.is_not(None),
        "remedy_breached": t.remedy_breached,
    }


class _Sql:
    """Logic over SQL conditions (to select tickets)."""

    all = staticmethod(sa.and_)
    any = staticmethod(sa.or_)
    no = staticmethod(sa.not_)


class _Bits:
    """The same logic over booleans (to count the atoms' combinations)."""

    @staticmethod
    def all(*values: bool) -> bool:
        return all(values)

    @staticmethod
    def any(*values: bool) -> bool:
        return any(values)

    @staticmethod
    def no(value: bool) -> bool:
        return not value


def _fr_met(L, a):
    return L.all(a["in"], a["fr_target"], a["fr_answered"], L.no(a["fr_breached"]))


def _fr_missed(L, a):
    return L.all(a["in"], a["fr_breached"])


def _res_met(L, a):
    return L.all(a["resolved"], a["res_target"], L.no(a["res_breached"]))


def _res_missed(L, a):
    return L.all(a["resolved"], a["res_breached"])


def _remedy_met(L, a):
    return L.all(a["made_whole"], a["remedy_target"], L.no(a["remedy_breached"]))


def _remedy_missed(L, a):
    return L.all(a["made_whole"], a["remedy_breached"])


# Each figure once, as logic ``L`` over atoms ``a``: read as SQL it selects the tickets a
# drill-down lists; read over booleans it counts them for the page. One definition, so a
# number and its list cannot disagree.
MEASURES = {
    "in": lambda L, a: a["in"],
    "resolved": lambda L, a: a["resolved"],
    "backlog": lambda L, a: a["open_at_end"],
    "fr_met": _fr_met,
    "fr_missed": _fr_missed,
    "fr_target": lambda L, a: L.any(_fr_met(L, a), _fr_missed(L, a)),
    "fr_measured": lambda L, a: L.all(a["in"], a["fr_minutes"]),
    "res_met": _res_met,
    "res_missed": _res_missed,
    "res_target": lambda L, a: L.any(_res_met(L, a), _res_missed(L, a)),
    "res_measured": lambda L, a: L.all(a["resolved"], a["res_minutes"]),
    "made_whole": lambda L, a: a["made_whole"],
    "remedy_met": _remedy_met,
    "remedy_missed": _remedy_missed,
    "remedy_target": lambda L, a: L.any(_remedy_met(L, a), _remedy_missed(L, a)),
    "breached": lambda L, a: L.all(
        a["in"],
        L.any(a["fr_breached"], a["next_breached"], a["res_breached"], a["remedy_breached"]),
    ),
}


def measures(period: Period) -> dict[str, sa.ColumnElement[bool]]:
    """Each figure's test as SQL."""
    facts = atoms(period)
    return {name: define(_Sql, facts) for name, define in MEASURES.items()}


# The moment a measure is about, which decides its week.
_RESOLVED_MEASURES = frozenset({"resolved", "res_met", "res_missed", "res_target", "res_measured"})
_MADE_WHOLE_MEASURES = frozenset({"made_whole", "remedy_met", "remedy_missed", "remedy_target"})


def _moment(measure: str):
    if measure in _RESOLVED_MEASURES:
        return Ticket.resolved_at
    if measure in _MADE_WHOLE_MEASURES:
        return Ticket.made_whole_at
    return Ticket.created_at


# ----------------------------------------------------------------- dimensions


def weeks_of(period: Period) -> list[date]:
    first = period.first - timedelta(days=period.first.weekday())
    last = period.last - timedelta(days=period.last.weekday())
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def _week_start(monday: date, tz: tzinfo) -> datetime:
    return clock.day_start(monday, tz)


def _week_index(column, starts: list[datetime]) -> sa.ColumnElement:
    """Which of the weeks beginning at ``starts`` (plus one end) ``column`` falls in, found
    by halving: a few comparisons a row however long the period."""

    def within(low: int, high: int) -> sa.ColumnElement:  # starts[low] <= column < starts[high]
        if high - low == 1:
            return sa.literal(low, sa.Integer)
        middle = (low + high) // 2
        return sa.case((column < starts[middle], within(low, middle)), else_=within(middle, high))

    return sa.case(
        (column.is_(None), None),
        (column < starts[0], None),
        (column >= starts[-1], None),
        else_=within(0, len(starts) - 1),
    )


DIMENSIONS = {
    "team": Ticket.team_id,
    "agent": Ticket.assignee_id,
    "category": Ticket.category_id,
    "tier": Customer.tier,
}


def _execute(stmt: sa.Select) -> sa.CursorResult:
    """Run a column query on the session's connection: plain rows, no ORM bookkeeping."""
    return db.session.connection().execute(stmt)


def key_text(value: object) -> str:
    """A dimension value as it appears in a URL: ``none`` for no team or no assignee."""
    if value is None:
        return "none"
    if isinstance(value, date):
        return value.isoformat()
    return str(getattr(value, "value", value))


def _dimension_clause(
    dim: str, key: str | None, measure: str, period: Period
) -> sa.ColumnElement[bool]:
    if dim == "week":
        try:
            monday = date.fromisoformat(key or "")
        except ValueError:
            raise DomainError(_("Unknown week."), "key") from None
        column = _moment(measure)
        return sa.and_(
            column >= _week_start(monday, period.tz),
            column < _week_start(monday + timedelta(weeks=1), period.tz),
        )
    if dim not in DIMENSIONS:
        raise DomainError(_("Unknown breakdown."), "dim")
    column = DIMENSIONS[dim]
    if key in (None, "none"):
        return column.is_(None)
    if dim == "tier":
        try:
            return column == CustomerTier(key)
        except ValueError:
            raise DomainError(_("Unknown breakdown."), "key") from None
    if not key.isdigit():
        raise DomainError(_("Unknown breakdown."), "key")
    return column == int(key)


# ----------------------------------------------------------------- statistics


def nearest_rank(values: list[int], percent: int) -> int | None:
    """The smallest value that at least ``percent``% of ``values`` do not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def share(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, or None when there is nothing to share."""
    return None if whole == 0 else 100 * part / whole


@dataclass
class Figures:
    """The counts and times of one group of tickets (all of them, a team, a week…)."""

    counts: Counter = field(default_factory=Counter)
    fr_minutes: list[int] = field(default_factory=list)
    res_minutes: list[int] = field(default_factory=list)
    make_whole_minutes: list[int] = field(default_factory=list)
    # Per target ("fr", "res", "remedy"): the targets, in minutes, of the tickets that count
    # for its within-target share (the summary only).
    targets: dict[str, list[int]] = field(default_factory=dict)

    def rate(self, met: str, missed: str) -> float | None:
        return share(self.counts[met], self.counts[met] + self.counts[missed])

    @property
    def fr_rate(self) -> float | None:
        return self.rate("fr_met", "fr_missed")

    @property
    def res_rate(self) -> float | None:
        return self.rate("res_met", "res_missed")

    @property
    def remedy_rate(self) -> float | None:
        return self.rate("remedy_met", "remedy_missed")


@dataclass
class Group:
    key: object  # team id, user id, category id, tier value, week start; None: none
    name: str
    figures: Figures


@dataclass
class Report:
    period: Period
    total: Figures
    by_team: list[Group]
    by_agent: list[Group]
    by_category: list[Group]
    by_tier: list[Group]
    weeks: list[Group]


def _names(model, ids) -> dict[int, str]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return {
        i: n
        for i, n in db.session.execute(sa.select(model.id, model.name).where(model.id.in_(ids)))
    }


def group_name(dim: str, key: str | None, tier_names: dict[str, str]) -> str:
    """A breakdown's value in words, from its URL form (see ``key_text``)."""
    if key in (None, "none"):
        return {"agent": _("Unassigned"), "team": _("No team")}.get(dim, _("None"))
    if dim == "tier":
        return tier_names.get(key, key)
    if dim == "week":
        return key
    model = {"team": Team, "agent": User, "category": Category}.get(dim)
    if model is None or not key.isdigit():
        return key
    return _names(model, [int(key)]).get(int(key), key)


def _groups(figures: dict, names: dict, none_name: str) -> list[Group]:
    groups = [
        Group(key, names.get(key, none_name) if key is not None else none_name, f)
        for key, f in figures.items()
    ]
    return sorted(groups, key=lambda g: (g.key is None, g.name.casefold()))


def report(period: Period, *, tier_names: dict[str, str]) -> Report:
    """All figures of the dashboard for ``period``.

    One query reads each ticket with a moment in the period: its team, agent, category,
    customer, the weeks of its moments and the bits of the atoms it meets (a few cheap
    comparisons each, from a covering index); the tickets that are only backlog are
    counted grouped in SQL. The counting happens here, once per distinct combination, with the
    measures read over booleans; that is far cheaper than evaluating every figure in SQL or
    grouping the many combinations there. Small queries add tiers, names and the minutes
    behind the medians.
    """
    facts = atoms(period)
    names = list(MEASURES)
    mondays = weeks_of(period)
    starts = [_week_start(m, period.tz) for m in mondays]
    starts.append(_week_start(mondays[-1] + timedelta(weeks=1), period.tz))
    moments = (Ticket.created_at, Ticket.resolved_at, Ticket.made_whole_at)
    bits = sum(
        (sa.case((fact, 1 << bit), else_=0) for bit, fact in enumerate(facts.values())),
        sa.literal(0),
    )
    dims = [Ticket.team_id, Ticket.assignee_id, Ticket.category_id, Ticket.customer_id]
    stmt = sa.select(
        *dims,
        bits,
        *[_week_index(column, starts) for column in moments],
        Ticket.first_response_minutes,
        Ticket.resolution_minutes,
    ).where(_team_clause(period.team_ids), _in_period(period))
    at = len(dims)  # where the atoms' bits are in a row; the week indices follow them
    fr_at, res_at = at + 1 + len(moments), at + 2 + len(moments)
    rows = _execute(stmt).all()
    column = [list(map(itemgetter(i), rows)) for i in range(res_at + 1)]  # C-speed columns
    tiers = _tiers(set(column[3]))

    decoded: dict[int, list[str]] = {}

    def hits(mask: int) -> list[str]:
        """The measures a ticket meets, from the bits of the atoms it meets."""
        if mask not in decoded:
            values = {name: bool(mask >> bit & 1) for bit, name in enumerate(facts)}
            decoded[mask] = [name for name in names if MEASURES[name](_Bits, values)]
        return decoded[mask]

    per = {dim: defaultdict(Figures) for dim in DIMENSIONS}
    for i, dim in enumerate(DIMENSIONS):
        for (value, mask), n in Counter(zip(column[i], column[at], strict=True)).items():
            if dim == "tier":
                value = tiers.get(value)
            per[dim][value].counts.update(dict.fromkeys(hits(mask), n))
    _add_backlog_only(period, per)
    total = Figures()
    for figures in per["team"].values():
        total.counts.update(figures.counts)
    weeks = [Figures() for _ in mondays]
    week_of_measure = {name: moments.index(_moment(name)) for name in names}
    for (mask, *indices), n in Counter(zip(*column[at:fr_at], strict=True)).items():
        for name in hits(mask):
            index = indices[week_of_measure[name]]
            if name != "backlog" and index is not None:
                weeks[index].counts[name] += n
    for measure, at_minutes, attr in (
        ("fr_measured", fr_at, "fr_minutes"),
        ("res_measured", res_at, "res_minutes"),
    ):
        masks = {mask for mask in decoded if measure in decoded[mask]}
        measured = [
            (agent_id, minutes)
            for agent_id, mask, minutes in zip(
                column[1], column[at], column[at_minutes], strict=True
            )
            if mask in masks
        ]
        setattr(total, attr, [minutes for _agent, minutes in measured])
        by_agent = defaultdict(list)
        for agent_id, minutes in measured:
            by_agent[agent_id].append(minutes)
        for agent_id, values in by_agent.items():
            setattr(per["agent"][agent_id], attr, values)
    total.make_whole_minutes = _make_whole_minutes(period, facts)
    total.targets = _targets(period, facts)
    return Report(
        period=period,
        total=total,
        by_team=_groups(per["team"], _names(Team, per["team"]), _("No team")),
        by_agent=_groups(per["agent"], _names(User, per["agent"]), _("Unassigned")),
        by_category=_groups(per["category"], _names(Category, per["category"]), _("None")),
        by_tier=_groups(per["tier"], tier_names, _("None")),
        weeks=[
            Group(monday, monday.isoformat(), f) for monday, f in zip(mondays, weeks, strict=True)
        ],
    )


def _add_backlog_only(period: Period, per: dict[str, dict]) -> None:
    """Count the tickets that are only backlog, grouped in SQL: no week or minutes needed."""
    stmt = (
        sa.select(
            Ticket.team_id, Ticket.assignee_id, Ticket.category_id, Customer.tier, sa.func.count()
        )
        .join(Customer, Customer.id == Ticket.customer_id)
        .where(_team_clause(period.team_ids), _backlog_only(period))
        .group_by(Ticket.team_id, Ticket.assignee_id, Ticket.category_id, Customer.tier)
    )
    for *keys, n in _execute(stmt):
        for dim, value in zip(DIMENSIONS, keys, strict=True):
            if dim == "tier":
                value = value.value if isinstance(value, CustomerTier) else value
            per[dim][value].counts["backlog"] += n


def _tiers(customer_ids: set[int]) -> dict[int, str]:
    """Customers' tiers, read apart from the main query (see ``report``)."""
    ids, tiers = sorted(customer_ids), {}
    for start in range(0, len(ids), 5000):
        tiers.update(
            (i, tier.value)
            for i, tier in db.session.execute(
                sa.select(Customer.id, Customer.tier).where(
                    Customer.id.in_(ids[start : start + 5000])
                )
            )
        )
    return tiers


def _make_whole_minutes(period: Period, facts: dict) -> list[int]:
    """Minutes from logging to the make-whole being delivered, of tickets made whole."""
    made_whole = MEASURES["made_whole"](_Sql, facts)
    return [
        math.floor((delivered - created).total_seconds() / 60)
        for created, delivered in _execute(
            sa.select(Ticket.created_at, Ticket.made_whole_at).where(
                _team_clause(period.team_ids), made_whole
            )
        )
    ]


def _targets(period: Period, facts: dict) -> dict[str, list[int]]:
    """The targets of the tickets behind each within-target share, in the clock of the
    times they stand next to: policy business minutes for first response and resolution,
    wall-clock minutes from logging to the due time for the make-whole."""
    found: dict[str, list[int]] = {}
    for key, measure, minutes in (
        ("fr", "fr_target", SlaPolicy.first_response_minutes),
        ("res", "res_target", SlaPolicy.resolution_minutes),
    ):
        found[key] = [
            value
            for (value,) in _execute(
                sa.select(minutes)
                .select_from(Ticket)
                .join(SlaPolicy, SlaPolicy.id == Ticket.sla_policy_id)
                .where(_team_clause(period.team_ids), MEASURES[measure](_Sql, facts))
            )
            if value is not None
        ]
    found["remedy"] = [
        math.floor((due - created).total_seconds() / 60)
        for created, due in _execute(
            sa.select(Ticket.created_at, Ticket.remedy_due_at).where(
                _team_clause(period.team_ids), MEASURES["remedy_target"](_Sql, facts)
            )
        )
    ]
    return found


# ----------------------------------------------------------------- drill-down

# The value a measure's tickets are listed by in the drill-down (largest first).
_ORDER_BY = {
    "fr_measured": (Ticket.first_response_minutes.desc(), Ticket.id),
    "res_measured": (Ticket.resolution_minutes.desc(), Ticket.id),
}


def drill(
    period: Period,
    measure: str,
    *,
    dim: str | None = None,
    key: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """The tickets behind one number of the dashboard, a page at a time."""
    tests = measures(period)
    if measure not in tests:
        raise DomainError(_("Unknown figure."), "measure")
    if measure == "backlog" and dim == "week":
        raise DomainError(_("The backlog has no weekly breakdown."), "dim")
    stmt = (
        sa.select(Ticket)
        .join(Customer, Customer.id == Ticket.customer_id)
        .where(_team_clause(period.team_ids), tests[measure])
    )
    if dim is not None:
        stmt = stmt.where(_dimension_clause(dim, key, measure, period))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    order = _ORDER_BY.get(measure, (_moment(measure).desc(), Ticket.id.desc()))
    items = list(
        db.session.scalars(
            stmt.options(
                joinedload(Ticket.customer),
                joinedload(Ticket.team),
                joinedload(Ticket.assignee),
                joinedload(Ticket.category),
            )
            .order_by(*order)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).unique()
    )
    return Page(items=items, total=total, page=page, per_page=per_page)


# ----------------------------------------------------------------- live lists

LIVE_LISTS = ("at_risk", "overdue")


def _live_query(team_ids: tuple[int, ...], which: str, now: datetime) -> sa.Select:
    stmt = sa.select(Ticket).where(
        _team_clause(team_ids),
        Ticket.status.in_(OPEN_STATUSES),
        Ticket.sla_paused_at.is_(None),
        Ticket.sla_due_at.is_not(None),
    )
    if which == "overdue":
        return stmt.where(Ticket.sla_due_at < now)
    marked = sa.select(SlaEvent.id).where(
        SlaEvent.ticket_id == Ticket.id,
        SlaEvent.state == SlaState.AT_RISK,
        SlaEvent.due_at == Ticket.sla_due_at,
    )
    return stmt.where(Ticket.sla_due_at > now, marked.exists())


def live(
    team_ids: tuple[int, ...],
    which: str,
    *,
    now: datetime | None = None,
    page: int = 1,
    per_page: int = LIVE_LIMIT,
) -> Page:
    """Open tickets at risk now (least time left first) or overdue now (longest overdue first)."""
    if which not in LIVE_LISTS:
        raise DomainError(_("Unknown list."), "list")
    now = now or utcnow()
    stmt = _live_query(team_ids, which, now)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    items = list(
        db.session.scalars(
            stmt.options(
                joinedload(Ticket.customer),
                joinedload(Ticket.team),
                joinedload(Ticket.assignee),
                joinedload(Ticket.sla_policy),
            )
            .order_by(Ticket.sla_due_at, Ticket.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).unique()
    )
    return Page(items=items, total=total, page=page, per_page=per_page)


def team_choices() -> list[tuple[int, str]]:
    return [
        (i, n) for i, n in db.session.execute(sa.select(Team.id, Team.name).order_by(Team.name))
    ]
