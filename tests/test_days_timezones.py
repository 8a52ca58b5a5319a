"""Days in the viewer's timezone: the dashboard, its CSV files and the ledger cut days at
local midnight (zoneinfo), never at a pytz zone's local-mean-time offset.

Flask-Babel's ``get_timezone()`` gives a pytz zone; in ``datetime.combine(..., tzinfo=)`` it
takes Berlin's LMT, +0:53, so a ticket logged at 00:03 on 1 March in Berlin fell on
28 February. ``ticketdesk.core.clock`` is the one place that reads it, as ``zoneinfo``; the
source scan below keeps it so.
"""

import ast
import csv
import io
import pathlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import pytz
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import factories
from ticketdesk.core import clock
from ticketdesk.extensions import db
from ticketdesk.models import (
    Remedy,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    RemedyState,
    Role,
    Ticket,
    User,
)
from ticketdesk.services.sla import dashboard

BERLIN = ZoneInfo("Europe/Berlin")
PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "ticketdesk"
CLOCK = PACKAGE / "core" / "clock.py"


# ----------------------------------------------------------------- the source scan


def _called_name(node: ast.AST) -> str | None:
    """``f`` for ``f(...)`` and ``x.f(...)``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _from_pytz_or_babel(node: ast.AST, tainted: set[str]) -> bool:
    """Whether ``node`` is (or names) a zone from Flask-Babel's get_timezone or pytz."""
    if isinstance(node, ast.Name):
        return node.id in tainted
    if isinstance(node, ast.Call):
        func = node.func
        if _called_name(func) in ("get_timezone", "timezone") and (
            (isinstance(func, ast.Name) and func.id == "get_timezone")
            or (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id in ("pytz", "flask_babel")
            )
        ):
            return True
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id == "pytz"
    return False


def scan(source: str, *, is_clock: bool = False) -> list[str]:
    """The lines where a pytz zone may reach a datetime constructor, or where the zone is
    read other than through ``clock.user_zone``."""
    problems = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "pytz" for a in node.names):
            problems.append(f"{line}: imports pytz")
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pytz":
            problems.append(f"{line}: imports from pytz")
        if (
            not is_clock
            and isinstance(node, ast.ImportFrom)
            and any(a.name == "get_timezone" for a in node.names)
        ):
            problems.append(f"{line}: imports get_timezone (use clock.user_zone)")
        if not is_clock and isinstance(node, ast.Attribute) and node.attr == "get_timezone":
            problems.append(f"{line}: reads get_timezone (use clock.user_zone)")
        if isinstance(node, ast.Call) and _called_name(node.func) == "localize":
            problems.append(f"{line}: pytz-style localize()")
    # Names bound to a pytz or Babel zone, per function (and module), then every tzinfo
    # given to a constructor, .replace() or datetime.combine's third argument.
    scopes = [tree] + [
        n
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
    ]
    for scope in scopes:
        tainted: set[str] = set()
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign) and _from_pytz_or_babel(node.value, tainted):
                tainted.update(t.id for t in node.targets if isinstance(t, ast.Name))
            if isinstance(node, ast.NamedExpr) and _from_pytz_or_babel(node.value, tainted):
                tainted.add(node.target.id)
        for node in ast.walk(scope):
            if not isinstance(node, ast.Call):
                continue
            given_tz = [k.value for k in node.keywords if k.arg == "tzinfo"]
            if _called_name(node.func) == "combine" and len(node.args) >= 3:
                given_tz.append(node.args[2])
            for value in given_tz:
                if _from_pytz_or_babel(value, tainted):
                    problems.append(f"{node.lineno}: a pytz/Babel zone given as tzinfo")
    return sorted(set(problems))


@pytest.mark.parametrize(
    "source",
    [
        "from flask_babel import get_timezone\n"
        "def f(d):\n    tz = get_timezone()\n    return datetime.combine(d, time.min, tzinfo=tz)\n",
        "import flask_babel\nx = datetime(2026, 3, 1, tzinfo=flask_babel.get_timezone())\n",
        "import pytz\nx = datetime(2026, 3, 1, tzinfo=pytz.timezone('Europe/Berlin'))\n",
        "def f(m, z):\n    return z.localize(m)\n",
        "def f(m):\n    return m.replace(tzinfo=pytz.utc)\n",
    ],
)
def test_the_scan_catches_a_pytz_zone_in_a_datetime_constructor(source):
    assert scan(source)


@pytest.mark.parametrize(
    "source",
    [
        "def f(d):\n    return datetime.combine(d, time.min, tzinfo=ZoneInfo('Europe/Berlin'))\n",
        "x = datetime(2026, 3, 1, tzinfo=timezone.utc)\n",
        "def f(m):\n    return m.replace(tzinfo=None)\n",
    ],
)
def test_the_scan_lets_zoneinfo_pass(source):
    assert scan(source) == []


def test_no_pytz_zone_reaches_a_datetime_anywhere_in_the_package():
    problems = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        found = scan(path.read_text(encoding="utf-8"), is_clock=path == CLOCK)
        if found:
            problems[str(path.relative_to(PACKAGE))] = found
    assert problems == {}


# ----------------------------------------------------------------- the zone helper


def test_user_zone_is_zoneinfo_for_the_users_setting(app, build):
    lead = build(factories.make_user, Role.LEAD)
    with app.app_context():
        db.session.get(User, lead).timezone = "Europe/Berlin"
        db.session.commit()
    from flask_login import login_user

    from ticketdesk.services.people import sessions

    with app.test_request_context("/"):
        user = db.session.get(User, lead)
        sessions.start(user, remember=False, now=datetime.now(UTC))
        login_user(user)
        zone = clock.user_zone()
        assert zone == BERLIN and isinstance(zone, ZoneInfo)
    with app.test_request_context("/"):  # nobody logged in: the desk's
        assert clock.user_zone() == UTC


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (pytz.timezone("Europe/Berlin"), BERLIN),
        ("Europe/Berlin", BERLIN),
        (BERLIN, BERLIN),
        (pytz.utc, UTC),
        ("UTC", UTC),
        (None, UTC),
    ],
)
def test_zone_turns_any_zone_into_zoneinfo(given, expected):
    assert clock.zone(given) == expected
    # …and a day then starts at local midnight: 1 March in Berlin at 23:00 UTC the day before.
    if expected is BERLIN:
        assert clock.day_start(date(2026, 3, 1), given) == datetime(2026, 2, 28, 23, tzinfo=UTC)


ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "America/Santiago",
    "Pacific/Chatham",
    "UTC",
]
# st.datetimes takes naive bounds and attaches the zone it is given.
FIRST_DRAWN = datetime(2020, 1, 1)  # noqa: DTZ001
LAST_DRAWN = datetime(2030, 12, 31)  # noqa: DTZ001


@settings(max_examples=100, deadline=None)
@given(
    moment=st.datetimes(min_value=FIRST_DRAWN, max_value=LAST_DRAWN, timezones=st.just(UTC)),
    name=st.sampled_from(ZONES),
    as_pytz=st.booleans(),
)
def test_a_moment_falls_in_exactly_its_local_day(moment, name, as_pytz):
    """A day in a zone is [its local midnight, the next local midnight): every moment lies in
    the day its local calendar shows, in no other, and days are 23 to 25 hours long."""
    tz = pytz.timezone(name) if as_pytz else name
    day = moment.astimezone(ZoneInfo(name)).date()
    period = dashboard.Period(day, day, tz)
    assert period.since <= moment < period.until
    assert timedelta(hours=23) <= period.until - period.since <= timedelta(hours=25)
    before = dashboard.Period(day - timedelta(days=1), day - timedelta(days=1), tz)
    assert before.until == period.since
    assert clock.local_date(moment, tz) == day


# ----------------------------------------------------------------- the dashboard


def _berlin_world():
    lead = factories.make_user(Role.LEAD, name="Lena Lead")
    db.session.get(User, lead).timezone = "Europe/Berlin"
    team = factories.make_team("Alpha")
    refs = {}
    for subject, created in (
        ("late 28 Feb", datetime(2026, 2, 28, 22, 55, tzinfo=UTC)),  # 23:55 CET, 28 Feb
        ("00:03 1 Mar", datetime(2026, 2, 28, 23, 3, tzinfo=UTC)),  # 00:03 CET, 1 Mar
        ("23:59 1 Mar", datetime(2026, 3, 1, 22, 59, tzinfo=UTC)),  # 23:59 CET, 1 Mar
        ("00:00 2 Mar", datetime(2026, 3, 1, 23, 0, tzinfo=UTC)),  # 00:00 CET, 2 Mar
    ):
        tid = factories.make_ticket(actor_id=lead, team_id=team, subject=subject, now=created)
        ticket = db.session.get(Ticket, tid)
        ticket.created_at, ticket.team_id = created, team
        refs[subject] = tid
    db.session.commit()
    return lead, refs


BERLIN_DAY = "since=2026-03-01&until=2026-03-01"


def test_dashboard_counts_the_berlin_day_from_local_midnight(build, login):
    lead, _refs = build(_berlin_world)
    client = login(lead)
    html = client.get(f"/dashboard/?{BERLIN_DAY}").get_data(as_text=True)
    assert client.get(f"/dashboard/?{BERLIN_DAY}").status_code == 200
    drilled = client.get(f"/dashboard/tickets?{BERLIN_DAY}&measure=in").get_data(as_text=True)
    assert "00:03 1 Mar" in drilled and "23:59 1 Mar" in drilled
    assert "late 28 Feb" not in drilled and "00:00 2 Mar" not in drilled
    assert 'data-total="2"' in drilled
    assert "Tickets in" in html


def test_dashboard_csv_counts_the_berlin_day_from_local_midnight(build, login):
    lead, _refs = build(_berlin_world)
    client = login(lead)
    answer = client.get(f"/dashboard/summary.csv?{BERLIN_DAY}")
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(answer.get_data(as_text=True)))}
    assert rows["Tickets in"][0] == "2"
    teams = list(
        csv.reader(
            io.StringIO(client.get(f"/dashboard/by_team.csv?{BERLIN_DAY}").get_data(as_text=True))
        )
    )
    assert teams[1][:2] == ["Alpha", "2"]
    # The day before holds the 23:55 ticket only; the day after the midnight one only.
    before = client.get("/dashboard/summary.csv?since=2026-02-28&until=2026-02-28")
    after = client.get("/dashboard/summary.csv?since=2026-03-02&until=2026-03-02")
    for answer, expected in ((before, "1"), (after, "1")):
        rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(answer.get_data(as_text=True)))}
        assert rows["Tickets in"][0] == expected


def _dst_world():
    lead = factories.make_user(Role.LEAD, name="Lena Lead")
    db.session.get(User, lead).timezone = "Europe/Berlin"
    moments = {
        # Spring: Sunday 29 March 2026 has 23 hours in Berlin.
        "sun 29 Mar 00:30 CET": datetime(2026, 3, 28, 23, 30, tzinfo=UTC),
        "sun 29 Mar 23:59 CEST": datetime(2026, 3, 29, 21, 59, tzinfo=UTC),
        "mon 30 Mar 00:10 CEST": datetime(2026, 3, 29, 22, 10, tzinfo=UTC),
        # Autumn: Sunday 25 October 2026 has 25 hours.
        "sun 25 Oct 00:10 CEST": datetime(2026, 10, 24, 22, 10, tzinfo=UTC),
        "sun 25 Oct 23:30 CET": datetime(2026, 10, 25, 22, 30, tzinfo=UTC),
        "mon 26 Oct 00:10 CET": datetime(2026, 10, 25, 23, 10, tzinfo=UTC),
    }
    for subject, created in moments.items():
        tid = factories.make_ticket(actor_id=lead, subject=subject, now=created)
        db.session.get(Ticket, tid).created_at = created
    db.session.commit()
    return lead


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-03-29", {"sun 29 Mar 00:30 CET", "sun 29 Mar 23:59 CEST"}),
        ("2026-03-30", {"mon 30 Mar 00:10 CEST"}),
        ("2026-10-25", {"sun 25 Oct 00:10 CEST", "sun 25 Oct 23:30 CET"}),
        ("2026-10-26", {"mon 26 Oct 00:10 CET"}),
    ],
)
def test_days_around_the_clock_changes(build, login, day, expected):
    client = login(build(_dst_world))
    query = f"since={day}&until={day}&measure=in"
    drilled = client.get(f"/dashboard/tickets?{query}").get_data(as_text=True)
    shown = {
        subject
        for subject in (
            "sun 29 Mar 00:30 CET",
            "sun 29 Mar 23:59 CEST",
            "mon 30 Mar 00:10 CEST",
            "sun 25 Oct 00:10 CEST",
            "sun 25 Oct 23:30 CET",
            "mon 26 Oct 00:10 CET",
        )
        if subject in drilled
    }
    assert shown == expected


def test_weeks_start_on_monday_at_local_midnight_after_the_clock_change(app, build):
    build(_dst_world)
    with app.app_context():
        period = dashboard.Period(
            date(2026, 3, 23), date(2026, 4, 5), pytz.timezone("Europe/Berlin")
        )
        report = dashboard.report(period, tier_names={})
        weeks = {g.key: g.figures.counts["in"] for g in report.weeks}
        # Monday 30 March 00:10 CEST opens the second week.
        assert weeks == {date(2026, 3, 23): 2, date(2026, 3, 30): 1}


# ----------------------------------------------------------------- the ledger


def _ledger_world():
    lead = factories.make_user(Role.LEAD, name="Lena Lead")
    db.session.get(User, lead).timezone = "Europe/Berlin"
    for description, proposed in (
        ("proposed 23:55 28 Feb", datetime(2026, 2, 28, 22, 55, tzinfo=UTC)),
        ("proposed 00:03 1 Mar", datetime(2026, 2, 28, 23, 3, tzinfo=UTC)),
        ("proposed 00:00 2 Mar", datetime(2026, 3, 1, 23, 0, tzinfo=UTC)),
    ):
        tid = factories.make_ticket(actor_id=lead, subject=description, now=proposed)
        db.session.add(
            Remedy(
                ticket_id=tid,
                kind=RemedyKind.GOODWILL,
                form=RemedyForm.COUPON,
                description=description,
                cost=Decimal("10"),
                currency="EUR",
                reason=RemedyReason.MISSING_ITEMS,
                cap_base=Decimal("100"),
                state=RemedyState.APPROVED,
                proposed_at=proposed,
            )
        )
    db.session.commit()
    return lead


def test_ledger_period_is_the_berlin_day(build, login):
    client = login(build(_ledger_world))
    html = client.get(f"/ledger/?{BERLIN_DAY}").get_data(as_text=True)
    assert "proposed 00:03 1 Mar" in html
    assert "proposed 23:55 28 Feb" not in html and "proposed 00:00 2 Mar" not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=yesterday", "Not a valid date value."),
        ("until=2026-02-30", "Not a valid date value."),
        ("since=2026-03-02&until=2026-03-01", "The end of the period must come after its start."),
    ],
)
def test_a_bad_ledger_period_gets_a_message(build, login, query, message):
    client = login(build(_ledger_world))
    answer = client.get(f"/ledger/?{query}")
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
