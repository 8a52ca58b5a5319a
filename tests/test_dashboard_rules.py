"""The dashboard's rules: every breakdown adds up to the summary, one label is one figure.

A pool of tickets is built once; each example rewrites their team, assignee, customer,
moments and breach flags, so Hypothesis can try many mixes of tickets quickly.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from ticketdesk.dashboard import tables
from ticketdesk.extensions import db
from ticketdesk.models import CustomerTier, Role, Ticket, TicketStatus
from ticketdesk.services.sla import dashboard

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 15)
POOL = 10
# The count columns of the breakdown tables and the summary row that holds their total.
SUMMARY_ROW = {
    "Tickets in": "Tickets in",
    "Resolved": "Resolved",
    "Open at the end": "Open at the end of the period",
    "With a missed target": "Tickets with a missed target",
    "First response missed": "First response missed",
    "Resolution missed": "Resolution missed",
}


def _pool():
    lead = factories.make_user(Role.LEAD, name="Lena Lead")
    teams = [factories.make_team("Alpha"), factories.make_team("Bravo")]
    agents = [
        factories.make_user(Role.AGENT, name=n, team_ids=tuple(teams)) for n in ("Ann", "Bob")
    ]
    customers = [
        factories.make_customer("Big", tier=CustomerTier.STRATEGIC),
        factories.make_customer("Small"),
    ]
    categories = [
        factories.category_id("damaged_defective"),
        factories.category_id("late_delivery"),
    ]
    tickets = [
        factories.make_ticket(actor_id=lead, subject=f"P{n}", now=datetime(2026, 3, 1, tzinfo=UTC))
        for n in range(POOL)
    ]
    return dict(
        teams=teams, agents=agents, customers=customers, categories=categories, tickets=tickets
    )


@pytest.fixture
def pool(build):
    return build(_pool)


def _moment(hours: int | None) -> datetime | None:
    """Hours from 1 March 00:00 UTC: the period (2–15 March) lies at hours 24 to 359."""
    return None if hours is None else datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=hours)


ticket_mix = st.lists(
    st.fixed_dictionaries(
        {
            "team": st.integers(0, 2),
            "agent": st.integers(0, 2),
            "customer": st.integers(0, 1),
            "category": st.integers(0, 1),
            "created": st.integers(-200, 420),
            "resolved_after": st.none() | st.integers(0, 400),
            "made_whole_after": st.none() | st.integers(0, 400),
            "fr": st.sampled_from(["none", "met", "missed", "waiting"]),
            "next_breached": st.booleans(),
            "res_target": st.booleans(),
            "res_breached": st.booleans(),
            "remedy_breached": st.booleans(),
        }
    ),
    min_size=POOL,
    max_size=POOL,
)


def _apply(pool, mix) -> None:
    for tid, spec in zip(pool["tickets"], mix, strict=True):
        t = db.session.get(Ticket, tid)
        pick = lambda options, i: options[i] if i < len(options) else None  # noqa: E731
        t.team_id = pick(pool["teams"], spec["team"])
        t.assignee_id = pick(pool["agents"], spec["agent"])
        t.customer_id = pool["customers"][spec["customer"]]
        t.category_id = pool["categories"][spec["category"]]
        created = _moment(spec["created"])
        t.created_at = created
        fr = spec["fr"]
        t.first_response_due_at = None if fr == "none" else created + timedelta(hours=1)
        t.first_response_at = created + timedelta(minutes=30) if fr in ("met", "missed") else None
        t.first_response_minutes = {"met": 30, "missed": 90}.get(fr)
        t.first_response_breached = fr == "missed"
        t.next_response_breached = spec["next_breached"]
        resolved = (
            None
            if spec["resolved_after"] is None
            else created + timedelta(hours=spec["resolved_after"])
        )
        t.resolved_at = resolved
        t.status = TicketStatus.RESOLVED if resolved else TicketStatus.OPEN
        t.resolution_due_at = created + timedelta(days=2) if spec["res_target"] else None
        t.resolution_breached = spec["res_target"] and spec["res_breached"]
        t.resolution_minutes = 600 if resolved else None
        made_whole = (
            None
            if spec["made_whole_after"] is None
            else created + timedelta(hours=spec["made_whole_after"])
        )
        t.made_whole_at = made_whole
        t.remedy_due_at = created + timedelta(days=1) if made_whole else None
        t.remedy_breached = bool(made_whole) and spec["remedy_breached"]
    db.session.commit()


def _column_sums(table: tables.Table) -> dict[str, int]:
    sums = {}
    for i, header in enumerate(table.headers):
        if header in SUMMARY_ROW:
            sums[SUMMARY_ROW[header]] = sum(int(row[i].text) for row in table.rows)
    return sums


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mix=ticket_mix)
def test_every_breakdown_adds_up_to_the_summary(app, pool, mix):
    """Each count column of the breakdowns (by team, agent, category, tier, week, and the
    per-agent table) sums to the summary row of the same name: one label, one figure."""
    with app.test_request_context("/"):
        _apply(pool, mix)
        report = dashboard.report(dashboard.Period(FIRST, LAST, UTC), tier_names={})
        by_name = {t.name: t for t in tables.period_tables(report)}
        summary = {
            row[0].text: int(row[1].text)
            for row in by_name["summary"].rows
            if row[1].text.isdigit()
        }
        for name in ("weeks", "agents", "by_team", "by_agent", "by_category", "by_tier"):
            for label, total in _column_sums(by_name[name]).items():
                assert total == summary[label], (name, label)
        # The labelled figure is the measure of the same name, in the summary and the rows.
        resolved_late = db.session.scalar(
            sa.select(sa.func.count()).where(
                Ticket.resolved_at >= datetime(2026, 3, 2, tzinfo=UTC),
                Ticket.resolved_at < datetime(2026, 3, 16, tzinfo=UTC),
                Ticket.resolution_breached.is_(True),
            )
        )
        assert summary["Resolution missed"] == resolved_late


def test_a_team_whose_only_miss_was_resolved_in_the_period_has_a_row(app, pool):
    """A ticket logged before the period and resolved late in it counts as a missed
    resolution for its team, in the summary and in the team's row alike."""
    mix = [
        dict(
            team=1,
            agent=1,
            customer=1,
            category=0,
            created=-100,
            resolved_after=200,
            made_whole_after=None,
            fr="met",
            next_breached=False,
            res_target=True,
            res_breached=True,
            remedy_breached=False,
        )
    ]
    mix += [
        dict(mix[0], team=0, created=500, resolved_after=None, res_breached=False)
        for _ in range(POOL - 1)
    ]
    with app.test_request_context("/"):
        _apply(pool, mix)
        report = dashboard.report(dashboard.Period(FIRST, LAST, UTC), tier_names={})
        by_team = tables.breaches("by_team", "", "Team", "team", report.by_team)
        rows = {row[0].text: [cell.text for cell in row[1:]] for row in by_team.rows}
        # Tickets in, with a missed target, share, first response missed, resolution missed.
        assert rows == {"Bravo": ["0", "0", "—", "0", "1"]}


# ----------------------------------------------------------------- what counts where

_NO = dict.fromkeys(dashboard.atoms(dashboard.Period(FIRST, LAST, UTC)), False)
COUNTS = (
    "in",
    "resolved",
    "backlog",
    "fr_met",
    "fr_missed",
    "res_met",
    "res_missed",
    "made_whole",
    "remedy_met",
    "remedy_missed",
    "breached",
)


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        # Logged in the period, answered in time, still open at the end.
        (
            {"in": True, "open_at_end": True, "fr_target": True, "fr_answered": True},
            {"in", "backlog", "fr_met"},
        ),
        # Logged in the period, still waiting for its first answer and not yet late: neither.
        ({"in": True, "open_at_end": True, "fr_target": True}, {"in", "backlog"}),
        # Logged and resolved in the period, the resolution late.
        (
            {"in": True, "resolved": True, "res_target": True, "res_breached": True},
            {"in", "resolved", "res_missed", "breached"},
        ),
        # Logged before the period, resolved late in it: a missed resolution, not a ticket in.
        ({"resolved": True, "res_target": True, "res_breached": True}, {"resolved", "res_missed"}),
        # Logged in the period, resolution target already missed, still open.
        (
            {"in": True, "open_at_end": True, "res_target": True, "res_breached": True},
            {"in", "backlog", "breached"},
        ),
        # Logged before, late first answer before the period, still open: backlog only.
        ({"open_at_end": True, "fr_target": True, "fr_breached": True}, {"backlog"}),
        # Made whole in the period within its target; the next response was late.
        (
            {
                "in": True,
                "made_whole": True,
                "remedy_target": True,
                "next_breached": True,
                "open_at_end": True,
            },
            {"in", "made_whole", "remedy_met", "backlog", "breached"},
        ),
    ],
)
def test_what_counts_where(facts, expected):
    values = dict(_NO, **facts)
    counted = {name for name in COUNTS if dashboard.MEASURES[name](dashboard._Bits, values)}
    assert counted == expected


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(0, 10_000), max_size=40), percent=st.sampled_from([50, 90]))
def test_nearest_rank_is_the_smallest_value_enough_tickets_do_not_exceed(values, percent):
    got = dashboard.nearest_rank(values, percent)
    if not values:
        assert got is None
        return
    enough = lambda v: 100 * sum(x <= v for x in values) >= percent * len(values)  # noqa: E731
    assert got in values and enough(got)
    assert not any(enough(v) for v in values if v < got)


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        (date(2026, 3, 1), date(2026, 3, 1), None),  # one day
        (date(2025, 3, 2), date(2026, 3, 2), None),  # 366 days, the most
        (date(2025, 3, 1), date(2026, 3, 2), "since"),  # 367 days
        (date(2026, 3, 2), date(2026, 3, 1), "until"),  # ends before it starts
    ],
)
def test_period_bounds(first, last, field):
    if field is None:
        assert dashboard.Period(first, last, "Europe/Berlin").days == (last - first).days + 1
    else:
        with pytest.raises(dashboard.DomainError) as error:
            dashboard.Period(first, last, "Europe/Berlin")
        assert error.value.field == field
