"""The lead's dashboard: figures against hand-computed values, drill-downs, CSV, live lists.

The fixed data set: two weeks, Monday 2 March to Sunday 15 March 2026 (UTC), two teams, two
agents, eight tickets whose stored SLA columns are set by hand (the SLA service's own tests
prove how they are kept). Expected values are worked out in the comments.
"""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import factories
from ticketdesk.extensions import db
from ticketdesk.models import (
    CustomerTier,
    Role,
    Severity,
    SlaPolicy,
    Ticket,
    TicketKind,
    TicketStatus,
    User,
)
from ticketdesk.services.sla import clocks as sla
from ticketdesk.services.sla import dashboard
from ticketdesk.services.sla.dashboard import Period, nearest_rank
from ticketdesk.services.tickets import conversation

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 15)


def at(day: int, hour: int = 9, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def _fixed_world():
    team_a, team_b = factories.make_team("Alpha"), factories.make_team("Bravo")
    lead = factories.make_user(Role.LEAD, name="Lena Lead", team_ids=(team_a, team_b))
    db.session.get(User, lead).timezone = "UTC"
    a1 = factories.make_user(Role.AGENT, name="Ann Agent", team_ids=(team_a,))
    a2 = factories.make_user(Role.AGENT, name="Bob Agent", team_ids=(team_b,))
    strategic = factories.make_customer("Big Buyer", tier=CustomerTier.STRATEGIC)
    standard = factories.make_customer("Small Shop")

    def ticket(
        ref,
        team,
        agent,
        customer,
        category,
        created,
        *,
        resolved=None,
        fr_minutes=None,
        fr_breached=False,
        fr_target=True,
        res_minutes=None,
        res_breached=False,
        made_whole=None,
        remedy_breached=False,
    ):
        tid = factories.make_ticket(
            actor_id=lead,
            customer_id=customer,
            team_id=team,
            assignee_id=agent,
            category=category,
            subject=ref,
            now=created,
        )
        t = db.session.get(Ticket, tid)
        t.team_id, t.assignee_id, t.created_at = team, agent, created
        t.first_response_due_at = created + timedelta(hours=1) if fr_target else None
        t.first_response_at = created + timedelta(minutes=fr_minutes) if fr_minutes else None
        t.first_response_minutes, t.first_response_breached = fr_minutes, fr_breached
        t.resolution_due_at = created + timedelta(days=2)
        t.resolved_at, t.resolution_minutes, t.resolution_breached = (
            resolved,
            res_minutes,
            res_breached,
        )
        t.status = TicketStatus.RESOLVED if resolved else TicketStatus.OPEN
        t.remedy_due_at = created + timedelta(days=1) if made_whole else None
        t.made_whole_at, t.remedy_breached = made_whole, remedy_breached
        db.session.commit()
        return tid

    X, Y = "damaged_defective", "late_delivery"
    ids = dict(
        # Week of 2 March. T1: all met. T2: strategic, everything missed.
        t1=ticket(
            "T1",
            team_a,
            a1,
            standard,
            X,
            at(2, 10),
            resolved=at(3, 10),
            fr_minutes=30,
            res_minutes=480,
            made_whole=at(2, 12),
        ),
        t2=ticket(
            "T2",
            team_a,
            a1,
            strategic,
            X,
            at(3, 9),
            resolved=at(5, 9),
            fr_minutes=90,
            fr_breached=True,
            res_minutes=960,
            res_breached=True,
            made_whole=at(4, 9),
            remedy_breached=True,
        ),
        t8=ticket(
            "T8",
            team_b,
            a2,
            standard,
            X,
            at(4, 10),
            resolved=at(6, 10),
            fr_minutes=45,
            res_minutes=600,
        ),
        # Week of 9 March. T3 answered, open. T4 strategic, not answered yet, not late: open.
        t3=ticket("T3", team_a, a1, standard, Y, at(9, 8), fr_minutes=10),
        t4=ticket("T4", team_b, a2, strategic, Y, at(10, 12)),
        # Logged before the period. T5 resolved late within it; T6 unassigned, still open,
        # its first response missed (before the period, so not counted as missed in it).
        t5=ticket(
            "T5",
            team_b,
            a2,
            standard,
            X,
            at(20, 9, month=2),
            resolved=at(11, 12),
            fr_minutes=20,
            res_minutes=2000,
            res_breached=True,
        ),
        t6=ticket("T6", team_b, None, standard, Y, at(25, 9, month=2), fr_breached=True),
        # After the period: counts nowhere.
        t7=ticket("T7", team_a, a1, standard, X, at(16, 9)),
    )
    return dict(ids, lead=lead, a1=a1, a2=a2, team_a=team_a, team_b=team_b)


@pytest.fixture
def world(build):
    return build(_fixed_world)


def _period(world, teams=()):
    return Period(FIRST, LAST, UTC, tuple(world[t] for t in teams))


def test_nearest_rank():
    assert nearest_rank([], 50) is None
    assert nearest_rank([7], 90) == 7
    assert nearest_rank([90, 10, 45, 30], 50) == 30  # rank ceil(0.5 × 4) = 2
    assert nearest_rank([90, 10, 45, 30], 90) == 90  # rank ceil(0.9 × 4) = 4
    assert nearest_rank(list(range(1, 11)), 90) == 9  # rank 9 of 10


def test_period_validation():
    with pytest.raises(dashboard.DomainError) as ends:
        Period(LAST, FIRST, UTC)
    assert ends.value.field == "until"
    with pytest.raises(dashboard.DomainError):
        Period(date(2025, 1, 1), date(2026, 1, 2), UTC)
    assert Period(FIRST, LAST, UTC).days == 14


def test_totals_match_hand_computed_values(app, world):
    with app.app_context():
        r = dashboard.report(_period(world), tier_names={})
        c = r.total.counts
        # in: T1 T2 T3 T4 T8; resolved: T1 T2 T5 T8; open at the end: T3 T4 T6.
        assert (c["in"], c["resolved"], c["backlog"]) == (5, 4, 3)
        # First response among tickets in: met T1 T3 T8, missed T2; T4 is pending.
        assert (c["fr_met"], c["fr_missed"], r.total.fr_rate) == (3, 1, 75.0)
        # Minutes 10, 30, 45, 90: median rank 2 → 30; p90 rank 4 → 90.
        assert nearest_rank(r.total.fr_minutes, 50) == 30
        assert nearest_rank(r.total.fr_minutes, 90) == 90
        # Resolution among tickets resolved: met T1 T8, missed T2 T5.
        assert (c["res_met"], c["res_missed"], r.total.res_rate) == (2, 2, 50.0)
        # 480, 600, 960, 2000 → median 600, p90 2000.
        assert sorted(r.total.res_minutes) == [480, 600, 960, 2000]
        assert nearest_rank(r.total.res_minutes, 50) == 600
        # Made whole: T1 after 2 h (met), T2 after 24 h (missed).
        assert (c["made_whole"], c["remedy_met"], c["remedy_missed"]) == (2, 1, 1)
        assert sorted(r.total.make_whole_minutes) == [120, 1440]
        # Tickets in with any missed target: T2 only (T5 and T6 were logged before).
        assert c["breached"] == 1


def test_breakdowns_match_hand_computed_values(app, world):
    with app.app_context():
        r = dashboard.report(
            _period(world), tier_names={"strategic": "Strategic", "standard": "Standard"}
        )
        teams = {g.name: g.figures.counts for g in r.by_team}
        assert (teams["Alpha"]["in"], teams["Alpha"]["breached"]) == (3, 1)
        assert (teams["Bravo"]["in"], teams["Bravo"]["breached"]) == (2, 0)
        assert teams["Bravo"]["res_missed"] == 1  # T5, resolved late in the period
        agents = {g.name: g.figures for g in r.by_agent}
        assert [g.name for g in r.by_agent] == ["Ann Agent", "Bob Agent", "Unassigned"]
        ann, bob = agents["Ann Agent"], agents["Bob Agent"]
        assert (ann.counts["backlog"], ann.counts["in"], ann.counts["resolved"]) == (1, 3, 2)
        assert round(ann.fr_rate, 1) == 66.7 and nearest_rank(ann.fr_minutes, 50) == 30
        assert nearest_rank(ann.res_minutes, 50) == 480
        assert (bob.counts["backlog"], bob.counts["in"], bob.counts["resolved"]) == (1, 2, 2)
        assert bob.fr_rate == 100.0 and nearest_rank(bob.res_minutes, 50) == 600
        assert agents["Unassigned"].counts["backlog"] == 1
        tiers = {g.name: g.figures.counts for g in r.by_tier}
        assert (tiers["Strategic"]["in"], tiers["Strategic"]["breached"]) == (2, 1)
        assert (tiers["Standard"]["in"], tiers["Standard"]["breached"]) == (3, 0)
        categories = {g.name: g.figures.counts["in"] for g in r.by_category}
        assert sorted(categories.values()) == [2, 3]


def test_weeks_count_each_ticket_in_the_week_of_its_moment(app, world):
    with app.app_context():
        r = dashboard.report(_period(world), tier_names={})
        assert [g.key for g in r.weeks] == [date(2026, 3, 2), date(2026, 3, 9)]
        first, second = (g.figures for g in r.weeks)
        assert (first.counts["in"], first.counts["resolved"]) == (3, 3)
        assert round(first.fr_rate, 1) == 66.7 and round(first.res_rate, 1) == 66.7
        assert first.counts["breached"] == 1
        # T5 was logged in February but resolved (late) on 11 March.
        assert (second.counts["in"], second.counts["resolved"]) == (2, 1)
        assert second.fr_rate == 100.0 and second.res_rate == 0.0


def test_weeks_of_a_long_period(app, world):
    """Fifty-two weeks (the week index halves its way to the right week)."""
    period = Period(date(2025, 3, 17), date(2026, 3, 15), UTC)
    with app.app_context():
        start = datetime(2025, 3, 17, tzinfo=UTC)
        moments = [start + timedelta(days=n, hours=7) for n in range(0, 364, 9)]
        moments += [
            start + timedelta(weeks=w, seconds=s)  # on and just before edges
            for w in range(0, 53, 5)
            for s in (-1, 0)
        ]
        for n, moment in enumerate(moments):
            tid = factories.make_ticket(actor_id=world["lead"], subject=f"W{n}", now=moment)
            db.session.get(Ticket, tid).created_at = moment
        db.session.commit()
        report = dashboard.report(period, tier_names={})
        assert len(report.weeks) == 52
        for week in report.weeks:
            begins = datetime.combine(week.key, datetime.min.time(), tzinfo=UTC)
            expected = sum(
                1
                for (day,) in db.session.execute(dashboard.sa.select(Ticket.created_at))
                if begins <= day.astimezone(UTC) < begins + timedelta(days=7)
            )
            assert week.figures.counts["in"] == expected


def test_only_the_backlog_counts_tickets_without_a_moment_in_the_period():
    """``report`` counts such tickets apart, for the backlog alone: no other measure may
    count a ticket that was not logged, resolved or made whole in the period."""
    names = list(dashboard.atoms(Period(FIRST, LAST, UTC)))
    others = [n for n in names if n not in ("in", "resolved", "made_whole")]
    for mask in range(1 << len(others)):
        values = dict.fromkeys(("in", "resolved", "made_whole"), False)
        values.update({name: bool(mask >> bit & 1) for bit, name in enumerate(others)})
        counted = {
            name for name, define in dashboard.MEASURES.items() if define(dashboard._Bits, values)
        }
        assert counted <= {"backlog"}


def test_team_choice_limits_every_figure(app, world):
    with app.app_context():
        r = dashboard.report(_period(world, teams=("team_b",)), tier_names={})
        c = r.total.counts
        assert (c["in"], c["resolved"], c["backlog"]) == (2, 2, 2)  # T4 T8 / T5 T8 / T4 T6
        assert [g.name for g in r.by_team] == ["Bravo"]


def test_a_timezone_moves_tickets_across_the_period_edge(app, world):
    """Days are the viewer's: T7, logged 16 March 09:00 UTC, is 15 March 23:00 in Honolulu
    (UTC−10), so it counts there."""
    from zoneinfo import ZoneInfo

    with app.app_context():
        r = dashboard.report(Period(FIRST, LAST, ZoneInfo("Pacific/Honolulu")), tier_names={})
        page = dashboard.drill(Period(FIRST, LAST, ZoneInfo("Pacific/Honolulu")), "in")
        refs = sorted(t.subject for t in page.items)
        assert "T7" in refs and r.total.counts["in"] == page.total


@pytest.mark.parametrize("measure", sorted(dashboard.measures(Period(FIRST, LAST, UTC))))
def test_drill_down_lists_exactly_the_counted_tickets(app, world, measure):
    with app.app_context():
        period = _period(world)
        r = dashboard.report(period, tier_names={})
        page = dashboard.drill(period, measure, per_page=100)
        assert page.total == r.total.counts[measure]
        for g in r.by_team:
            key = dashboard.key_text(g.key)
            assert (
                dashboard.drill(period, measure, dim="team", key=key).total
                == g.figures.counts[measure]
            )
        if measure != "backlog":
            for g in r.weeks:
                assert (
                    dashboard.drill(period, measure, dim="week", key=g.key.isoformat()).total
                    == g.figures.counts[measure]
                )


def test_drill_down_orders_times_largest_first(app, world):
    with app.app_context():
        page = dashboard.drill(_period(world), "res_measured")
        assert [t.subject for t in page.items] == ["T5", "T2", "T8", "T1"]
        with pytest.raises(dashboard.DomainError):
            dashboard.drill(_period(world), "nonsense")
        with pytest.raises(dashboard.DomainError):
            dashboard.drill(_period(world), "in", dim="colour", key="1")


# ----------------------------------------------------------------- live lists


def _live_world(now):
    sla.seed_defaults(now=now)
    team = factories.make_team("Front")
    other = factories.make_team("Elsewhere")
    lead = factories.make_user(Role.LEAD, team_ids=(team,))
    mk = lambda t=team, **kw: factories.make_ticket(actor_id=lead, team_id=t, **kw)  # noqa: E731
    ids = dict(
        lead=lead,
        team=team,
        other=other,
        overdue_old=mk(subject="Old", now=now - timedelta(days=30)),
        overdue_new=mk(subject="Newer", now=now - timedelta(days=20)),
        # A crisis: first response within 1 h, round the clock; 50 minutes used → at risk.
        at_risk=mk(subject="Crisis", kind=TicketKind.CRISIS, now=now - timedelta(minutes=50)),
        fresh=mk(subject="Fresh", severity=Severity.P4, now=now),
        elsewhere=mk(t=other, subject="Elsewhere", now=now - timedelta(days=30)),
    )
    sla.sweep(now=now)
    return ids


def test_live_lists_at_risk_and_overdue(app, build):
    now = datetime.now(UTC).replace(microsecond=0)
    w = build(_live_world, now)
    with app.app_context():
        at_risk = dashboard.live((w["team"],), "at_risk", now=now)
        assert [t.subject for t in at_risk.items] == ["Crisis"]
        overdue = dashboard.live((w["team"],), "overdue", now=now)
        assert [t.subject for t in overdue.items] == ["Old", "Newer"]
        everywhere = dashboard.live((), "overdue", now=now)
        assert everywhere.total == 3
        # Answered: the crisis leaves the list.
        ticket = db.session.get(Ticket, w["at_risk"])
        conversation.reply(
            ticket,
            actor=db.session.get(User, w["lead"]),
            body="We are on it.",
            expected_version=None,
            now=now,
        )
        assert dashboard.live((w["team"],), "at_risk", now=now).total == 0


# ----------------------------------------------------------------- the pages


class _Tables(HTMLParser):
    """The cell texts of every ``data-table`` table of a page, header row first."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-table" in attrs:
            self._table = self.tables.setdefault(attrs["data-table"], [])
        elif self._table is not None and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


QUERY = f"since={FIRST.isoformat()}&until={LAST.isoformat()}"


def test_page_shows_the_figures(world, login):
    html = login(world["lead"]).get(f"/dashboard/?{QUERY}").get_data(as_text=True)
    tables = _page_tables(html)
    summary = {row[0]: row[1:] for row in tables["summary"][1:]}
    assert summary["Tickets in"] == ["5", ""]
    assert summary["Open at the end of the period"] == ["3", ""]
    assert summary["First response within target"] == ["75.0%", "4"]
    # Every duration in hours with one decimal.
    assert summary["First response, median"] == ["0.5 h", "4"]
    assert summary["First response, 90th percentile"] == ["1.5 h", "4"]
    assert summary["Resolution within target"] == ["50.0%", "4"]
    assert summary["Resolution, 90th percentile"] == ["33.3 h", "4"]
    assert summary["Make-whole within target"] == ["50.0%", "2"]
    assert summary["Time to make whole, median"] == ["2.0 h", "2"]
    assert summary["Time to make whole, 90th percentile"] == ["24.0 h", "2"]
    agents = {row[0]: row[1:] for row in tables["agents"][1:]}
    assert agents["Ann Agent"] == ["1", "3", "2", "66.7%", "0.5 h", "8.0 h", "1"]
    # The three target cards; T1's and T2's make-whole was due a day after logging.
    assert _cards(html)["remedy"] == ["50.0%", "2", "2.0 h", "24.0 h", "target 24.0 h"]
    assert _cards(html)["fr"][:4] == ["75.0%", "4", "0.5 h", "1.5 h"]
    assert _cards(html)["res"][:4] == ["50.0%", "4", "10.0 h", "33.3 h"]
    assert agents["Unassigned"] == ["1", "0", "0", "—", "—", "—", "0"]
    assert tables["by_team"][1] == ["Alpha", "3", "1", "33.3%", "1", "1"]
    assert tables["weeks"][1:] == [
        ["2026-03-02", "3", "3", "66.7%", "66.7%", "1"],
        ["2026-03-09", "2", "1", "100.0%", "0.0%", "0"],
    ]
    assert '<svg class="trend-chart"' in html and "Hatched bars: resolved" in html


def test_every_number_drills_down_to_as_many_tickets(world, login):
    client = login(world["lead"])
    html = client.get(f"/dashboard/?{QUERY}").get_data(as_text=True)
    links = re.findall(r'<a href="(/dashboard/tickets\?[^"]+)">([^<]+)</a>', html)
    assert len(links) > 40
    checked = 0
    for href, text in set(links):
        href = href.replace("&amp;", "&")
        drilled = client.get(href)
        assert drilled.status_code == 200, href
        total = int(re.search(r'data-total="(\d+)"', drilled.get_data(as_text=True)).group(1))
        measure = parse_qs(urlsplit(href).query)["measure"][0]
        if text.strip().isdigit() and measure not in dashboard.LIVE_LISTS:
            assert total == int(text), (href, text)
            checked += 1
    assert checked > 30


def _cards(html: str) -> dict[str, list[str]]:
    """Each target card's share, tickets, median, 90th percentile and target, as shown."""
    cards = {}
    for name, body in re.findall(r'data-card="(\w+)">(.*?)</div></div>', html, re.S):
        text = [
            " ".join(re.sub(r"<[^>]+>", "", part).split())
            for part in re.findall(
                r'fs-4 fw-semibold">(.*?)</div>.*?of (.*?)</div>.*?card-median">(.*?)</span>'
                r'.*?card-p90">(.*?)</span>.*?card-target">(.*?)</span>',
                body,
                re.S,
            )[0]
        ]
        cards[name] = text
    return cards


def _make_whole_world(case: str):
    """One ticket logged on 2 March 09:00 with a make-whole due a day later, in the state
    the case names."""
    team = factories.make_team("Alpha")
    lead = factories.make_user(Role.LEAD, name="Lena Lead", team_ids=(team,))
    db.session.get(User, lead).timezone = "UTC"
    customer = factories.make_customer("Small Shop")
    tid = factories.make_ticket(
        actor_id=lead, customer_id=customer, team_id=team, subject=case, now=at(2)
    )
    t = db.session.get(Ticket, tid)
    t.team_id, t.created_at = team, at(2)
    t.remedy_due_at = at(3)
    if case == "met":
        t.made_whole_at, t.remedy_breached = at(2, 15), False
    elif case == "missed":
        t.made_whole_at, t.remedy_breached = at(4, 15), True
    elif case == "none delivered":  # resolved without a make-whole
        t.status, t.resolved_at = TicketStatus.RESOLVED, at(3, 9)
        t.made_whole_at, t.remedy_breached = None, False
    else:  # open: due time passed, nothing delivered yet
        t.made_whole_at, t.remedy_breached = None, True
    db.session.commit()
    return {"lead": lead}


@pytest.mark.parametrize(
    ("case", "card", "csv_rows"),
    [
        # Delivered 6 h after logging, within its day: met.
        ("met", ["100.0%", "1", "6.0 h", "6.0 h", "target 24.0 h"], (100.0, 6.0, 6.0)),
        # Delivered 54 h after logging, past its day: missed.
        ("missed", ["0.0%", "1", "54.0 h", "54.0 h", "target 24.0 h"], (0.0, 54.0, 54.0)),
        # Never delivered, resolved: counts for neither share nor time.
        ("none delivered", ["—", "0", "—", "—", "no target"], (None, None, None)),
        # Open and late: not made whole in the period, so not counted yet (the live lists
        # and the ticket's clock show it).
        ("open", ["—", "0", "—", "—", "no target"], (None, None, None)),
    ],
)
def test_the_make_whole_card(build, login, case, card, csv_rows):
    world = build(_make_whole_world, case)
    client = login(world["lead"])
    html = client.get(f"/dashboard/?{QUERY}").get_data(as_text=True)
    assert _cards(html)["remedy"] == card
    assert "calendar time from logging" in html
    text = client.get(f"/dashboard/summary.csv?{QUERY}").get_data(as_text=True)
    rows = {row[0]: row for row in csv.reader(io.StringIO(text))}
    header = rows["figure"]
    values = tuple(
        float(rows[title][header.index(column)]) if rows[title][header.index(column)] else None
        for title, column in (
            ("Make-whole within target", "within_target_percent"),
            ("Time to make whole, median", "value_hours"),
            ("Time to make whole, 90th percentile", "value_hours"),
        )
    )
    assert values == csv_rows


def _with_policies(world):
    """T1 and T8 on a 1 h / 8 h policy, T2 and T5 on a 4 h / 48 h one."""
    fast = SlaPolicy(name="Fast", first_response_minutes=60, resolution_minutes=480)
    slow = SlaPolicy(name="Slow", first_response_minutes=240, resolution_minutes=2880)
    db.session.add_all([fast, slow])
    db.session.flush()
    for ref, policy in (("t1", fast), ("t8", fast), ("t2", slow), ("t5", slow)):
        db.session.get(Ticket, world[ref]).sla_policy_id = policy.id
    for ref in ("t3", "t4", "t6", "t7"):
        db.session.get(Ticket, world[ref]).sla_policy_id = None
    db.session.commit()


def test_cards_show_the_targets_of_their_tickets_in_hours(app, world, login):
    with app.app_context():
        _with_policies(world)
    html = login(world["lead"]).get(f"/dashboard/?{QUERY}").get_data(as_text=True)
    cards = _cards(html)
    # First response counts T1 T2 T3 T8 (T3 has no policy): targets 1 h and 4 h.
    assert cards["fr"][-1] == "targets 1.0 h to 4.0 h"
    # Resolution counts T1 T2 T5 T8: targets 8 h and 48 h.
    assert cards["res"][-1] == "targets 8.0 h to 48.0 h"
    assert cards["remedy"][-1] == "target 24.0 h"


# A CSV column whose name ends in one of these holds numbers only (or nothing).
UNITS = ("_count", "_percent", "_hours")


def _page_number(text: str) -> float | None:
    """The number a page cell shows: "75.0%" → 75.0, "1.5 h" → 1.5, "—" → None."""
    if text in ("", "—"):
        return None
    return float(text.removesuffix("%").removesuffix(" h").replace(",", ""))


def test_csv_holds_the_page_numbers_under_unit_headers(world, login):
    client = login(world["lead"])
    html = client.get(
        f"/dashboard/?{QUERY}&team={world['team_a']}&team={world['team_b']}"
    ).get_data(as_text=True)
    tables = _page_tables(html)
    assert set(tables) >= {
        "summary",
        "weeks",
        "agents",
        "by_team",
        "by_agent",
        "by_category",
        "by_tier",
    }
    for name, rows in tables.items():
        if name in dashboard.LIVE_LISTS and len(rows) == 1:
            continue
        answer = client.get(
            f"/dashboard/{name}.csv?{QUERY}&team={world['team_a']}&team={world['team_b']}"
        )
        assert answer.status_code == 200 and answer.mimetype == "text/csv"
        assert "attachment" in answer.headers["Content-Disposition"]
        header, *exported = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
        assert len(exported) == len(rows) - 1 and rows[1:], name
        assert all(column == column.lower() and " " not in column for column in header), name
        for page_row, row in zip(rows[1:], exported, strict=True):
            if name == "summary":  # one value column per unit; the row fills its own
                filled = [cell for cell in row[1:4] if cell]
                assert len(filled) <= 1 and row[0] == page_row[0], row
                page_row = [
                    page_row[0],
                    *(page_row[1] if cell else "" for cell in row[1:4]),
                    page_row[2],
                ]
            for column, shown, cell in zip(header, page_row, row, strict=True):
                if column.endswith(UNITS) or column.startswith("value_"):
                    number = float(cell) if cell else None  # every cell parses as a number
                    assert number == _page_number(shown), (name, column, shown, cell)
                else:
                    assert cell == shown, (name, column)


def test_bad_periods_get_a_message(world, login):
    client = login(world["lead"])
    answer = client.get("/dashboard/?since=2026-03-10&until=2026-03-01")
    assert answer.status_code == 400
    assert "The period ends before it starts." in answer.get_data(as_text=True)
    assert client.get("/dashboard/?days=0").status_code == 400
    assert client.get("/dashboard/?since=yesterday").status_code == 400
    assert client.get(f"/dashboard/nonsense.csv?{QUERY}").status_code == 404
    assert client.get(f"/dashboard/tickets?{QUERY}&measure=nonsense").status_code == 404


def test_only_leads_open_the_dashboard(world, build, login, client):
    agent = world["a1"]
    manager = build(factories.make_user, Role.ACCOUNT_MANAGER)
    admin = build(factories.make_user, Role.ADMIN)
    for user in (agent, manager, admin):
        for url in ("/dashboard/", "/dashboard/summary.csv", "/dashboard/tickets?measure=in"):
            assert login(user).get(url).status_code == 403, (user, url)
    assert 'href="/dashboard/"' in login(world["lead"]).get("/tickets/").get_data(as_text=True)
    assert 'href="/dashboard/"' not in login(agent).get("/tickets/").get_data(as_text=True)
