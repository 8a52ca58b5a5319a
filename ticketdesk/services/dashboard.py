"""The team lead's service-level dashboard: figures for a period and a set of teams.

Every figure reads the tickets' stored columns (the SLA bookkeeping keeps them), never a
recomputation. One query fetches the handful of columns of every ticket that can count in
the period; each figure is then a named *measure*, a test on one such row. The page counts
rows per measure, and the drill-down lists the tickets behind a number by applying the very
same measure to the very same rows, so a number and its list can never disagree.

Periods are half-open, ``[since, until)``. What counts where:

* **in** – logged in the period; **resolved** – resolved in the period (a reopened ticket
  counts when it is resolved again); **backlog** – logged before the end of the period and
  not resolved by then.
* **First response within target** – of the tickets logged in the period that have a first
  response target: met (answered, not missed) against missed; tickets still waiting and not
  yet late count for neither. **Resolution within target** – of the tickets resolved in the
  period with a resolution target. **Make-whole within target** – of the tickets made whole
  in the period with a make-whole target.
* Median and 90th percentile use the nearest rank: the smallest value that at least half
  (nine tenths) of the tickets do not exceed. First response and resolution are in business
  minutes (pauses excluded, as stored); time to make whole is wall-clock minutes from the
  ticket being logged to the make-whole being delivered.
* Breakdowns (team, agent, category, tier, week) use the ticket's current team, assignee,
  category and customer tier; weeks start on Monday in the viewer's timezone.

The live lists (at risk now, overdue now) ignore the period: open tickets of the chosen
teams whose clock is running, at risk as the sweep marked them, overdue by their due time.
"""

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import (
    OPEN_STATUSES,
    Category,
    Customer,
    Role,
    SlaEvent,
    SlaState,
    Team,
    Ticket,
    User,
)
from ticketdesk.services.errors import DomainError, PermissionDenied
from ticketdesk.services.paging import Page

VIEWER_ROLES = (Role.LEAD,)
MAX_DAYS = 366
LIVE_LIMIT = 20


def require_viewer(user: User) -> None:
    if user.role not in VIEWER_ROLES:
        raise PermissionDenied(_("The service-level dashboard is for team leads."))


# ----------------------------------------------------------------- period and rows

@dataclass(frozen=True)
class Period:
    """Whole days ``first``..``last`` in ``tz``, for the teams in ``team_ids`` (none: all)."""

    first: date
    last: date
    tz: tzinfo
    team_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise DomainError(_("The period ends before it starts."), "until")
        if (self.last - self.first).days + 1 > MAX_DAYS:
            raise DomainError(_("Choose a period of at most %(n)d days.", n=MAX_DAYS), "since")

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first, datetime.min.time(), tzinfo=self.tz)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), datetime.min.time(),
                                tzinfo=self.tz)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


_COLUMNS = (
    Ticket.id, Ticket.team_id, Ticket.assignee_id, Ticket.category_id, Customer.tier,
    Ticket.created_at, Ticket.resolved_at, Ticket.made_whole_at,
    Ticket.first_response_at, Ticket.first_response_due_at, Ticket.first_response_minutes,
    Ticket.first_response_breached, Ticket.next_response_breached,
    Ticket.resolution_due_at, Ticket.resolution_minutes, Ticket.resolution_breached,
    Ticket.remedy_due_at, Ticket.remedy_breached,
)


def _team_clause(team_ids: tuple[int, ...]) -> sa.ColumnElement[bool]:
    return Ticket.team_id.in_(team_ids) if team_ids else sa.true()


def _rows(period: Period) -> list[sa.Row]:
    """Every ticket of the teams that any measure can count in the period."""
    since, until = period.since, period.until
    stmt = (
        sa.select(*_COLUMNS)
        .join(Customer, Customer.id == Ticket.customer_id)
        .where(
            _team_clause(period.team_ids),
            sa.or_(
                sa.and_(Ticket.created_at >= since, Ticket.created_at < until),
                sa.and_(Ticket.resolved_at >= since, Ticket.resolved_at < until),
                sa.and_(Ticket.made_whole_at >= since, Ticket.made_whole_at < until),
                sa.and_(Ticket.created_at < until,
                        sa.or_(Ticket.resolved_at.is_(None), Ticket.resolved_at >= until)),
            ),
        )
    )
    return list(db.session.execute(stmt))


# ----------------------------------------------------------------- measures

Measure = Callable[[sa.Row, Period], bool]


def _within(moment: datetime | None, period: Period) -> bool:
    return moment is not None and period.since <= moment < period.until


def _in(r, p) -> bool:
    return _within(r.created_at, p)


def _resolved(r, p) -> bool:
    return _within(r.resolved_at, p)


def _made_whole(r, p) -> bool:
    return _within(r.made_whole_at, p)


def _fr_met(r, p) -> bool:
    return (_in(r, p) and r.first_response_due_at is not None
            and r.first_response_at is not None and not r.first_response_breached)


def _fr_missed(r, p) -> bool:
    return _in(r, p) and r.first_response_breached


def _res_met(r, p) -> bool:
    return _resolved(r, p) and r.resolution_due_at is not None and not r.resolution_breached


def _res_missed(r, p) -> bool:
    return _resolved(r, p) and r.resolution_breached


def _remedy_met(r, p) -> bool:
    return _made_whole(r, p) and r.remedy_due_at is not None and not r.remedy_breached


def _remedy_missed(r, p) -> bool:
    return _made_whole(r, p) and r.remedy_breached


def _any_breach(r) -> bool:
    return bool(r.first_response_breached or r.next_response_breached
                or r.resolution_breached or r.remedy_breached)


MEASURES: dict[str, Measure] = {
    "in": _in,
    "resolved": _resolved,
    "backlog": lambda r, p: r.created_at < p.until and (r.resolved_at is None
                                                        or r.resolved_at >= p.until),
    "fr_met": _fr_met,
    "fr_missed": _fr_missed,
    "fr_target": lambda r, p: _fr_met(r, p) or _fr_missed(r, p),
    "fr_measured": lambda r, p: _in(r, p) and r.first_response_minutes is not None,
    "res_met": _res_met,
    "res_missed": _res_missed,
    "res_target": lambda r, p: _res_met(r, p) or _res_missed(r, p),
    "res_measured": lambda r, p: _resolved(r, p) and r.resolution_minutes is not None,
    "made_whole": _made_whole,
    "remedy_met": _remedy_met,
    "remedy_missed": _remedy_missed,
    "remedy_target": lambda r, p: _remedy_met(r, p) or _remedy_missed(r, p),
    "breached": lambda r, p: _in(r, p) and _any_breach(r),
    "res_breached_in": lambda r, p: _in(r, p) and r.resolution_breached,
}


def make_whole_minutes(r) -> int:
    return math.floor((r.made_whole_at - r.created_at).total_seconds() / 60)


# The value a measure's tickets are listed by in the drill-down (largest first), if any.
SORT_VALUES: dict[str, Callable[[sa.Row], int]] = {
    "fr_measured": lambda r: r.first_response_minutes,
    "res_measured": lambda r: r.resolution_minutes,
    "made_whole": make_whole_minutes,
}


# ----------------------------------------------------------------- dimensions


def week_of(moment: datetime, tz: tzinfo) -> date:
    """The Monday (in ``tz``) of the week ``moment`` falls in."""
    day = moment.astimezone(tz).date()
    return day - timedelta(days=day.weekday())


DIMENSIONS: dict[str, Callable[[sa.Row, Period], object]] = {
    "team": lambda r, p: r.team_id,
    "agent": lambda r, p: r.assignee_id,
    "category": lambda r, p: r.category_id,
    "tier": lambda r, p: r.tier.value,
}


def _week_key(measure: str, r, period: Period) -> date:
    """A row's week: the week of the moment its measure is about."""
    if measure in ("resolved", "res_met", "res_missed", "res_target", "res_measured"):
        moment = r.resolved_at
    elif measure in ("made_whole", "remedy_met", "remedy_missed", "remedy_target"):
        moment = r.made_whole_at
    else:
        moment = r.created_at
    return week_of(moment, period.tz)


def key_text(value: object) -> str:
    """A dimension value as it appears in a URL: ``none`` for no team or no assignee."""
    if value is None:
        return "none"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _matches(measure: str, dim: str | None, key: str | None, r, period: Period) -> bool:
    if not MEASURES[measure](r, period):
        return False
    if dim is None:
        return True
    if dim == "week":
        return key_text(_week_key(measure, r, period)) == key
    return key_text(DIMENSIONS[dim](r, period)) == key


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
    """The counts and times of one group of rows (the whole selection, a team, a week…)."""

    counts: Counter = field(default_factory=Counter)
    fr_minutes: list[int] = field(default_factory=list)
    res_minutes: list[int] = field(default_factory=list)
    make_whole_minutes: list[int] = field(default_factory=list)

    def add(self, r, hits: list[str]) -> None:
        """Count row ``r``, which meets the measures named in ``hits``."""
        self.counts.update(hits)
        if "fr_measured" in hits:
            self.fr_minutes.append(r.first_response_minutes)
        if "res_measured" in hits:
            self.res_minutes.append(r.resolution_minutes)
        if "made_whole" in hits:
            self.make_whole_minutes.append(make_whole_minutes(r))

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
    key: object          # team id, user id, category id, tier value, week start; None: none
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
    return {i: n for i, n in db.session.execute(
        sa.select(model.id, model.name).where(model.id.in_(ids)))}


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
    groups = [Group(key, names.get(key, none_name) if key is not None else none_name, f)
              for key, f in figures.items()]
    return sorted(groups, key=lambda g: (g.key is None, g.name.casefold()))


def weeks_of(period: Period) -> list[date]:
    first, last = week_of(period.since, period.tz), week_of(period.until - timedelta(
        microseconds=1), period.tz)
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def report(period: Period, *, tier_names: dict[str, str]) -> Report:
    """All figures of the dashboard for ``period``, from one pass over its rows."""
    total = Figures()
    per: dict[str, dict] = {dim: defaultdict(Figures) for dim in DIMENSIONS}
    weeks: dict[date, Figures] = {monday: Figures() for monday in weeks_of(period)}
    for r in _rows(period):
        hits = [name for name, test in MEASURES.items() if test(r, period)]
        if not hits:
            continue
        total.add(r, hits)
        for dim, key_of in DIMENSIONS.items():
            per[dim][key_of(r, period)].add(r, hits)
        by_week: dict[date, list[str]] = defaultdict(list)
        for name in hits:
            if name != "backlog":
                by_week[_week_key(name, r, period)].append(name)
        for monday, names in by_week.items():
            if monday in weeks:
                weeks[monday].add(r, names)
    return Report(
        period=period, total=total,
        by_team=_groups(per["team"], _names(Team, per["team"]), _("No team")),
        by_agent=_groups(per["agent"], _names(User, per["agent"]), _("Unassigned")),
        by_category=_groups(per["category"], _names(Category, per["category"]), _("None")),
        by_tier=_groups(per["tier"], tier_names, _("None")),
        weeks=[Group(monday, monday.isoformat(), f) for monday, f in weeks.items()],
    )


# ----------------------------------------------------------------- drill-down


def drill(period: Period, measure: str, *, dim: str | None = None, key: str | None = None,
          page: int = 1, per_page: int = 50) -> Page:
    """The tickets behind one number of the dashboard, a page at a time."""
    if measure not in MEASURES:
        raise DomainError(_("Unknown figure."), "measure")
    if dim is not None and dim != "week" and dim not in DIMENSIONS:
        raise DomainError(_("Unknown breakdown."), "dim")
    if measure == "backlog" and dim == "week":
        raise DomainError(_("The backlog has no weekly breakdown."), "dim")
    rows = [r for r in _rows(period) if _matches(measure, dim, key, r, period)]
    by_value = SORT_VALUES.get(measure)
    if by_value is not None:
        rows.sort(key=lambda r: (-by_value(r), r.id))
    else:
        rows.sort(key=lambda r: (r.created_at, r.id), reverse=True)
    page = max(1, page)
    ids = [r.id for r in rows[(page - 1) * per_page: page * per_page]]
    tickets = {t.id: t for t in db.session.scalars(
        sa.select(Ticket).where(Ticket.id.in_(ids)).options(
            joinedload(Ticket.customer), joinedload(Ticket.team),
            joinedload(Ticket.assignee), joinedload(Ticket.category))).unique()}
    return Page(items=[tickets[i] for i in ids], total=len(rows), page=page, per_page=per_page)


# ----------------------------------------------------------------- live lists

LIVE_LISTS = ("at_risk", "overdue")


def _live_query(team_ids: tuple[int, ...], which: str, now: datetime) -> sa.Select:
    stmt = sa.select(Ticket).where(
        _team_clause(team_ids), Ticket.status.in_(OPEN_STATUSES),
        Ticket.sla_paused_at.is_(None), Ticket.sla_due_at.is_not(None))
    if which == "overdue":
        return stmt.where(Ticket.sla_due_at <= now)
    marked = sa.select(SlaEvent.id).where(
        SlaEvent.ticket_id == Ticket.id, SlaEvent.state == SlaState.AT_RISK,
        SlaEvent.due_at == Ticket.sla_due_at)
    return stmt.where(Ticket.sla_due_at > now, marked.exists())


def live(team_ids: tuple[int, ...], which: str, *, now: datetime | None = None,
         page: int = 1, per_page: int = LIVE_LIMIT) -> Page:
    """Open tickets at risk now (least time left first) or overdue now (longest overdue first)."""
    if which not in LIVE_LISTS:
        raise DomainError(_("Unknown list."), "list")
    now = now or utcnow()
    stmt = _live_query(team_ids, which, now)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    items = list(db.session.scalars(
        stmt.options(joinedload(Ticket.customer), joinedload(Ticket.team),
                     joinedload(Ticket.assignee), joinedload(Ticket.sla_policy))
        .order_by(Ticket.sla_due_at, Ticket.id)
        .limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items=items, total=total, page=page, per_page=per_page)


def team_choices() -> list[tuple[int, str]]:
    return [(i, n) for i, n in db.session.execute(sa.select(Team.id, Team.name).order_by(Team.name))]
