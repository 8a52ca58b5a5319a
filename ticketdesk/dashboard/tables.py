"""The dashboard's tables as cells, shared by the page and the CSV exports.

Both render the same cells, so an exported figure is the figure on the page: the page shows
a cell's text ("75.0%", "1.5 h"), the CSV its number (75.0, 1.5) under a column name that
says the unit (``..._percent``, ``..._hours``, ``..._count``). Every duration is in hours
with one decimal, next to its target in hours. A cell may carry a drill-down (the measure
and breakdown it counts) or a ticket to link to.
"""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ticketdesk.core.paging import Page
from ticketdesk.models import Ticket
from ticketdesk.services.sla import dashboard
from ticketdesk.services.sla.dashboard import Figures, Group, Report, key_text, nearest_rank
from ticketdesk.templating import LABELS


@dataclass
class Cell:
    text: str
    measure: str | None = None  # drill down to the tickets behind the number
    dim: str | None = None
    key: str | None = None
    ticket_id: int | None = None  # link to one ticket
    value: int | float | str | None = None  # what the CSV writes instead of ``text``
    number: bool = False  # a number column: no value is an empty cell, never "—"
    unit: str = ""  # "count", "percent" or "hours" for a number

    @property
    def export(self) -> str | int | float | None:
        """What the CSV export writes: the number where there is one, else the text."""
        if self.value is not None:
            return self.value
        return None if self.number else self.text


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    columns: list[str]  # the CSV header: machine names with the unit (``..._hours``)
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""
    headline: list[int] = field(default_factory=list)  # rows also shown as cards on top

    def export(self) -> list[list]:
        """The CSV rows, the header first."""
        return [self.columns, *([cell.export for cell in row] for row in self.rows)]


def percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def percent_number(value: float | None) -> float | None:
    """A share as the CSV writes it: percent without the sign, one decimal, like the page."""
    return None if value is None else round(value, 1)


def hours(minutes: int | None) -> float | None:
    """Minutes as hours with one decimal, the one unit of every duration on the dashboard."""
    return None if minutes is None else round(minutes / 60, 1)


def hours_text(minutes: int | None) -> str:
    """90 → "1.5 h"; None → "—"."""
    value = hours(minutes)
    return "—" if value is None else _("%(h)s h", h=format_decimal(value, "#,##0.0"))


def target_text(targets: list[int]) -> str:
    """The targets of a card's tickets in hours: one value, or the lowest to the highest."""
    if not targets:
        return ""
    low, high = min(targets), max(targets)
    if low == high:
        return _("target %(t)s", t=hours_text(low))
    return _("targets %(low)s to %(high)s", low=hours_text(low), high=hours_text(high))


def _percent(value: float | None) -> Cell:
    return Cell(percent_text(value), value=percent_number(value), number=True, unit="percent")


def _count(figures: Figures, measure: str, dim: str | None = None, key: str | None = None) -> Cell:
    n = figures.counts[measure]
    return Cell(str(n), measure if n else None, dim, key, value=n, number=True, unit="count")


def _rate(figures: Figures, met: str, missed: str, target: str, dim=None, key=None) -> Cell:
    rate = figures.rate(met, missed)
    return Cell(
        percent_text(rate),
        target if figures.counts[target] else None,
        dim,
        key,
        value=percent_number(rate),
        number=True,
        unit="percent",
    )


def _time(values: list[int], percent: int, measure: str, dim=None, key=None) -> Cell:
    minutes = nearest_rank(values, percent)
    return Cell(
        hours_text(minutes),
        measure if values else None,
        dim,
        key,
        value=hours(minutes),
        number=True,
        unit="hours",
    )


@dataclass
class Card:
    """A target's card: the within-target share of its tickets, their median and 90th
    percentile time, and the target, all durations in hours."""

    name: str
    title: str
    rate: Cell
    tickets: Cell
    median: Cell
    p90: Cell
    target: str
    clock: str


def cards(report: Report) -> list[Card]:
    """First response, resolution and make-whole, each against its target."""
    f = report.total
    business = _("business time, pauses excluded")
    calendar = _("calendar time from logging")
    return [
        Card(
            name,
            title,
            _rate(f, f"{prefix}_met", f"{prefix}_missed", f"{prefix}_target"),
            _count(f, f"{prefix}_target"),
            _time(values, 50, measured),
            _time(values, 90, measured),
            target_text(f.targets.get(prefix, [])),
            clock,
        )
        for name, title, prefix, values, measured, clock in (
            ("fr", _("First response within target"), "fr", f.fr_minutes, "fr_measured", business),
            ("res", _("Resolution within target"), "res", f.res_minutes, "res_measured", business),
            (
                "remedy",
                _("Make-whole within target"),
                "remedy",
                f.make_whole_minutes,
                "made_whole",
                calendar,
            ),
        )
    ]


SUMMARY_UNITS = ("count", "percent", "hours")


class SummaryTable(Table):
    """The summary's figures have different units, so its CSV spreads the value column
    into one column per unit; each row fills the one its figure is in."""

    def export(self) -> list[list]:
        rows = [self.columns]
        for title, value, tickets in self.rows:
            spread = [value.export if value.unit == unit else None for unit in SUMMARY_UNITS]
            rows.append([title.export, *spread, tickets.export])
        return rows


def summary(report: Report) -> Table:
    f = report.total
    table = SummaryTable(
        "summary",
        _("At a glance"),
        [_("Figure"), _("Value"), _("Tickets")],
        ["figure", "value_count", "within_target_percent", "value_hours", "tickets_count"],
        note=_(
            "Durations in hours. Medians and 90th percentiles by nearest rank. First "
            "response and resolution in business time, pauses excluded; time to make "
            "whole in calendar time from logging to delivery."
        ),
    )

    def count(title: str, measure: str, headline: bool = False) -> None:
        if headline:
            table.headline.append(len(table.rows))
        table.rows.append([Cell(title), _count(f, measure), Cell("", number=True)])

    def rate(title: str, met: str, missed: str, target: str, headline: bool = False) -> None:
        if headline:
            table.headline.append(len(table.rows))
        table.rows.append([Cell(title), _rate(f, met, missed, target), _count(f, target)])

    def times(title: str, values: list[int], percent: int, measure: str) -> None:
        table.rows.append([Cell(title), _time(values, percent, measure), _count(f, measure)])

    count(_("Tickets in"), "in", headline=True)
    count(_("Resolved"), "resolved", headline=True)
    count(_("Open at the end of the period"), "backlog", headline=True)
    rate(_("First response within target"), "fr_met", "fr_missed", "fr_target")
    count(_("First response missed"), "fr_missed")
    times(_("First response, median"), f.fr_minutes, 50, "fr_measured")
    times(_("First response, 90th percentile"), f.fr_minutes, 90, "fr_measured")
    rate(_("Resolution within target"), "res_met", "res_missed", "res_target")
    count(_("Resolution missed"), "res_missed")
    times(_("Resolution, median"), f.res_minutes, 50, "res_measured")
    times(_("Resolution, 90th percentile"), f.res_minutes, 90, "res_measured")
    count(_("Made whole"), "made_whole")
    rate(_("Make-whole within target"), "remedy_met", "remedy_missed", "remedy_target")
    times(_("Time to make whole, median"), f.make_whole_minutes, 50, "made_whole")
    times(_("Time to make whole, 90th percentile"), f.make_whole_minutes, 90, "made_whole")
    count(_("Tickets with a missed target"), "breached", headline=True)
    return table


# The counts of a breakdown row; each is the summary's figure of the same label, so the
# rows of a breakdown add up to the summary.
BREACH_COUNTS = ("in", "breached", "fr_missed", "res_missed")


def breaches(name: str, title: str, heading: str, dim: str, groups: list[Group]) -> Table:
    """Missed targets per group. "Resolution missed" is, as in the summary, the tickets
    resolved in the period whose resolution target was missed (logged in it or before);
    the other counts are of the tickets logged in the period. A group is listed when any
    of its counts is above zero."""
    table = Table(
        name,
        title,
        [
            heading,
            _("Tickets in"),
            _("With a missed target"),
            _("Share missed"),
            _("First response missed"),
            _("Resolution missed"),
        ],
        [
            dim if dim != "tier" else "customer_tier",
            "tickets_in_count",
            "missed_target_count",
            "missed_percent",
            "first_response_missed_count",
            "resolution_missed_count",
        ],
        note=_(
            "Resolution missed: tickets resolved in the period after their "
            "resolution target, wherever they were logged."
        ),
    )
    ordered = sorted(
        groups, key=lambda g: (-g.figures.counts["breached"], g.key is None, g.name.casefold())
    )
    for g in ordered:
        f, key = g.figures, key_text(g.key)
        if not any(f.counts[measure] for measure in BREACH_COUNTS):
            continue
        table.rows.append(
            [
                Cell(g.name),
                _count(f, "in", dim, key),
                _count(f, "breached", dim, key),
                _percent(dashboard.share(f.counts["breached"], f.counts["in"])),
                _count(f, "fr_missed", dim, key),
                _count(f, "res_missed", dim, key),
            ]
        )
    return table


def agents(report: Report) -> Table:
    table = Table(
        "agents",
        _("Per agent"),
        [
            _("Agent"),
            _("Open at the end"),
            _("Tickets in"),
            _("Resolved"),
            _("First response within target"),
            _("First response, median"),
            _("Resolution, median"),
            _("With a missed target"),
        ],
        [
            "agent",
            "open_at_end_count",
            "tickets_in_count",
            "resolved_count",
            "first_response_within_target_percent",
            "first_response_median_hours",
            "resolution_median_hours",
            "missed_target_count",
        ],
    )
    for g in report.by_agent:
        f, key = g.figures, key_text(g.key)
        table.rows.append(
            [
                Cell(g.name),
                _count(f, "backlog", "agent", key),
                _count(f, "in", "agent", key),
                _count(f, "resolved", "agent", key),
                _rate(f, "fr_met", "fr_missed", "fr_target", "agent", key),
                _time(f.fr_minutes, 50, "fr_measured", "agent", key),
                _time(f.res_minutes, 50, "res_measured", "agent", key),
                _count(f, "breached", "agent", key),
            ]
        )
    return table


def trend(report: Report) -> Table:
    table = Table(
        "weeks",
        _("Week by week"),
        [
            _("Week from"),
            _("Tickets in"),
            _("Resolved"),
            _("First response within target"),
            _("Resolution within target"),
            _("With a missed target"),
        ],
        [
            "week_from",
            "tickets_in_count",
            "resolved_count",
            "first_response_within_target_percent",
            "resolution_within_target_percent",
            "missed_target_count",
        ],
        note=_("Each ticket counts in the week it was logged, resolved or made whole."),
    )
    for g in report.weeks:
        f, key = g.figures, key_text(g.key)
        table.rows.append(
            [
                Cell(g.name),
                _count(f, "in", "week", key),
                _count(f, "resolved", "week", key),
                _rate(f, "fr_met", "fr_missed", "fr_target", "week", key),
                _rate(f, "res_met", "res_missed", "res_target", "week", key),
                _count(f, "breached", "week", key),
            ]
        )
    return table


def period_tables(report: Report) -> list[Table]:
    """Every table of the period, in page order."""
    return [
        summary(report),
        trend(report),
        agents(report),
        breaches("by_team", _("Missed targets by team"), _("Team"), "team", report.by_team),
        breaches("by_agent", _("Missed targets by agent"), _("Agent"), "agent", report.by_agent),
        breaches(
            "by_category",
            _("Missed targets by category"),
            _("Category"),
            "category",
            report.by_category,
        ),
        breaches(
            "by_tier",
            _("Missed targets by customer tier"),
            _("Customer tier"),
            "tier",
            report.by_tier,
        ),
    ]


def _left(ticket: Ticket, now: datetime) -> Cell:
    """The time left to the due time in hours; overdue is a negative number in the CSV."""
    minutes = math.floor((ticket.sla_due_at - now).total_seconds() / 60)
    if minutes < 0:
        text = _("overdue by %(t)s", t=hours_text(-minutes))
    else:
        text = _("%(t)s left", t=hours_text(minutes))
    return Cell(text, value=hours(minutes), number=True, unit="hours")


def live(which: str, page: Page, now: datetime) -> Table:
    titles = {"at_risk": _("At risk now"), "overdue": _("Overdue now")}
    table = Table(
        which,
        titles[which],
        [
            _("Ticket"),
            _("Subject"),
            _("Customer"),
            _("Team"),
            _("Assignee"),
            _("Due"),
            _("Time left"),
        ],
        [
            "ticket",
            "subject",
            "customer",
            "team",
            "assignee",
            "due_at_utc",
            "time_left_hours",
        ],
    )
    for t in page.items:
        table.rows.append(
            [
                Cell(t.reference, ticket_id=t.id),
                Cell(t.subject),
                Cell(t.customer.name),
                Cell(t.team.name if t.team else "—"),
                Cell(t.assignee.name if t.assignee else _("Unassigned")),
                Cell(
                    format_datetime(t.sla_due_at, "short"),
                    value=t.sla_due_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                ),
                _left(t, now),
            ]
        )
    return table


def tier_names() -> dict[str, str]:
    return {tier.value: str(text) for tier, text in LABELS["tier"].items()}


def period_text(period: dashboard.Period) -> str:
    return _(
        "%(first)s to %(last)s",
        first=format_date(period.first, "medium"),
        last=format_date(period.last, "medium"),
    )


MEASURE_TITLES = {
    "in": _l("Tickets in"),
    "resolved": _l("Resolved"),
    "backlog": _l("Open at the end of the period"),
    "fr_met": _l("First response within target"),
    "fr_missed": _l("First response missed"),
    "fr_target": _l("First response with a target, met or missed"),
    "fr_measured": _l("Answered, by time to first response"),
    "res_met": _l("Resolved within target"),
    "res_missed": _l("Resolution missed"),
    "res_target": _l("Resolved with a target, met or missed"),
    "res_measured": _l("Resolved, by time to resolution"),
    "made_whole": _l("Made whole, by time to make whole"),
    "remedy_met": _l("Made whole within target"),
    "remedy_missed": _l("Make-whole target missed"),
    "remedy_target": _l("Made whole with a target, met or missed"),
    "breached": _l("Tickets in with a missed target"),
    "at_risk": _l("At risk now"),
    "overdue": _l("Overdue now"),
}
