"""Service-level screens: policies and business calendars (service rules and pages)."""

import html as html_lib
import re
from datetime import date

import pytest
import sqlalchemy as sa

from tests.support import field_error
from ticketdesk.core.errors import DomainError, PermissionDenied
from ticketdesk.extensions import db
from ticketdesk.models import BusinessCalendar, CalendarHoliday, Role, SlaPolicy, User
from ticketdesk.services.sla import admin as sla_admin
from ticketdesk.services.sla.admin import CalendarData, PolicyData
from ticketdesk.sla_admin.forms import format_duration, parse_duration

OFFICE = ("09:00-12:30, 13:30-17:00",) * 5 + ("", "")


# ----------------------------------------------------------------- helpers


def _text(html: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _policy(**changes) -> PolicyData:
    base = dict(name="Standard", first_response_minutes=240, resolution_minutes=2880)
    base.update(changes)
    return PolicyData(**base)


def _calendar(**changes) -> CalendarData:
    base = dict(
        name="Berlin office",
        timezone="Europe/Berlin",
        hours_text=OFFICE,
        holidays_text="2026-12-25 Christmas Day\n2026-12-26 Boxing Day",
    )
    base.update(changes)
    return CalendarData(**base)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def world(make_user):
    return {
        "lead": make_user(Role.LEAD),
        "admin": make_user(Role.ADMIN),
        "agent": make_user(Role.AGENT),
        "am": make_user(Role.ACCOUNT_MANAGER),
    }


def _make_policy(build, lead_id: int, now, **changes) -> int:
    def make():
        return sla_admin.create_policy(
            actor=db.session.get(User, lead_id), data=_policy(**changes), now=now
        ).id

    return build(make)


def _make_calendar(build, lead_id: int, now, **changes) -> int:
    def make():
        return sla_admin.create_calendar(
            actor=db.session.get(User, lead_id), data=_calendar(**changes), now=now
        ).id

    return build(make)


# ----------------------------------------------------------------- the service: policies

POLICY_ERRORS = [
    ({"name": "  "}, "name"),
    ({"name": "x" * 121}, "name"),
    ({"kinds": ("riot",)}, "kinds"),
    ({"severities": ("p9",)}, "severities"),
    ({"tiers": ("gold-plated",)}, "tiers"),
    ({"calendar_id": 9999}, "calendar_id"),
    ({"first_response_minutes": None}, "first_response_minutes"),
    ({"first_response_minutes": 0}, "first_response_minutes"),
    ({"resolution_minutes": -5}, "resolution_minutes"),
    ({"resolution_minutes": 1.5}, "resolution_minutes"),
    ({"next_response_minutes": 0}, "next_response_minutes"),
    ({"remedy_minutes": 10**9}, "remedy_minutes"),
    ({"at_risk_percent": 0}, "at_risk_percent"),
    ({"at_risk_percent": 100}, "at_risk_percent"),
    ({"at_risk_percent": None}, "at_risk_percent"),
]


@pytest.mark.parametrize("changes,field", POLICY_ERRORS)
def test_bad_policy_names_its_field_and_saves_nothing(ctx, make_user, now, changes, field):
    lead = db.session.get(User, make_user(Role.LEAD))
    with pytest.raises(DomainError) as err:
        sla_admin.create_policy(actor=lead, data=_policy(**changes), now=now)
    assert err.value.field == field and str(err.value)
    assert not isinstance(err.value, PermissionDenied)
    assert _count(SlaPolicy) == 0


def test_policy_names_are_unique_ignoring_case(ctx, make_user, now):
    lead = db.session.get(User, make_user(Role.LEAD))
    sla_admin.create_policy(actor=lead, data=_policy(), now=now)
    with pytest.raises(DomainError) as err:
        sla_admin.create_policy(actor=lead, data=_policy(name="STANDARD "), now=now)
    assert err.value.field == "name"
    assert _count(SlaPolicy) == 1


def test_create_and_update_policy(ctx, make_user, now):
    lead = db.session.get(User, make_user(Role.LEAD))
    cal = sla_admin.create_calendar(actor=lead, data=_calendar(), now=now)
    policy = sla_admin.create_policy(
        actor=lead,
        data=_policy(
            kinds=("crisis", "crisis"),
            tiers=("strategic",),
            calendar_id=cal.id,
            remedy_minutes=600,
            at_risk_percent=80,
            escalate_reassign=True,
        ),
        now=now,
    )
    db.session.expire_all()
    policy = db.session.get(SlaPolicy, policy.id)
    assert policy.conditions == {"kinds": ["crisis"], "tiers": ["strategic"]}
    assert policy.calendar_id == cal.id and policy.remedy_minutes == 600
    assert (policy.at_risk_percent, policy.escalate_reassign, policy.is_default) == (
        80,
        True,
        False,
    )
    sla_admin.update_policy(
        policy, actor=lead, data=_policy(name="Standard", active=False), now=now
    )
    db.session.expire_all()
    policy = db.session.get(SlaPolicy, policy.id)
    assert policy.conditions == {} and policy.calendar_id is None and not policy.active
    assert policy.remedy_minutes is None


def test_make_default_keeps_one_default(ctx, make_user, now):
    lead = db.session.get(User, make_user(Role.LEAD))
    first = sla_admin.create_policy(actor=lead, data=_policy(name="A"), now=now)
    second = sla_admin.create_policy(actor=lead, data=_policy(name="B"), now=now)
    sla_admin.make_default(first, actor=lead)
    sla_admin.make_default(second, actor=lead)
    db.session.expire_all()
    assert [
        p.name
        for p in db.session.scalars(sa.select(SlaPolicy).where(SlaPolicy.is_default.is_(True)))
    ] == ["B"]
    # The default stays in use; an unused policy cannot become the default.
    with pytest.raises(DomainError) as err:
        sla_admin.update_policy(
            db.session.get(SlaPolicy, second.id),
            actor=lead,
            data=_policy(name="B", active=False),
            now=now,
        )
    assert err.value.field == "active"
    unused = sla_admin.create_policy(actor=lead, data=_policy(name="C", active=False), now=now)
    with pytest.raises(DomainError):
        sla_admin.make_default(unused, actor=lead)
    db.session.expire_all()
    assert db.session.get(SlaPolicy, unused.id).is_default is False


@pytest.mark.parametrize("role", [Role.AGENT, Role.ACCOUNT_MANAGER])
def test_only_leads_and_admins_edit(ctx, make_user, now, role):
    lead = db.session.get(User, make_user(Role.LEAD))
    other = db.session.get(User, make_user(role))
    policy = sla_admin.create_policy(actor=lead, data=_policy(), now=now)
    cal = sla_admin.create_calendar(actor=lead, data=_calendar(), now=now)
    calls = [
        lambda: sla_admin.create_policy(actor=other, data=_policy(name="X"), now=now),
        lambda: sla_admin.update_policy(policy, actor=other, data=_policy(name="X"), now=now),
        lambda: sla_admin.make_default(policy, actor=other),
        lambda: sla_admin.create_calendar(actor=other, data=_calendar(name="X"), now=now),
        lambda: sla_admin.update_calendar(cal, actor=other, data=_calendar(name="X"), now=now),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    db.session.expire_all()
    assert _count(SlaPolicy) == 1 and _count(BusinessCalendar) == 1
    assert db.session.get(SlaPolicy, policy.id).is_default is False


# ----------------------------------------------------------------- the service: calendars


def _hours(day: int, text: str) -> tuple[str, ...]:
    hours = list(OFFICE)
    hours[day] = text
    return tuple(hours)


CALENDAR_ERRORS = [
    ({"name": ""}, "name"),
    ({"timezone": ""}, "timezone"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ({"hours_text": _hours(2, "9 to 5")}, "hours_2"),
    ({"hours_text": _hours(0, "17:00-09:00")}, "hours_0"),
    ({"hours_text": _hours(4, "09:00-25:00")}, "hours_4"),
    ({"hours_text": _hours(6, "09:00-13:00, 12:00-15:00")}, "hours_6"),
    ({"hours_text": ("",) * 7}, "hours_0"),
    ({"holidays_text": "25.12.2026 Christmas"}, "holidays_text"),
    ({"holidays_text": "2026-12-25 A\n2026-12-25 B"}, "holidays_text"),
    ({"holidays_text": "2026-02-30 Nope"}, "holidays_text"),
]


@pytest.mark.parametrize("changes,field", CALENDAR_ERRORS)
def test_bad_calendar_names_its_field_and_saves_nothing(ctx, make_user, now, changes, field):
    lead = db.session.get(User, make_user(Role.LEAD))
    with pytest.raises(DomainError) as err:
        sla_admin.create_calendar(actor=lead, data=_calendar(**changes), now=now)
    assert err.value.field == field and str(err.value)
    assert _count(BusinessCalendar) == 0 and _count(CalendarHoliday) == 0


def test_calendar_hours_and_holidays_round_trip(ctx, make_user, now):
    lead = db.session.get(User, make_user(Role.LEAD))
    hours = ("13:30-17:00,09:00-12:30", "9:00 - 17:00", "08:00–24:00", "", "", "10:00-14:00", "")
    cal = sla_admin.create_calendar(
        actor=lead,
        data=_calendar(
            hours_text=hours,
            holidays_text="\n2026-12-26 Boxing Day\n  2026-12-25   Christmas Day\n2027-01-01\n",
        ),
        now=now,
    )
    db.session.expire_all()
    cal = db.session.get(BusinessCalendar, cal.id)
    assert cal.hours["0"] == [["09:00", "12:30"], ["13:30", "17:00"]]
    assert cal.hours["1"] == [["09:00", "17:00"]] and cal.hours["2"] == [["08:00", "24:00"]]
    assert cal.hours["6"] == []
    assert [(h.day, h.name) for h in cal.holidays] == [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 26), "Boxing Day"),
        (date(2027, 1, 1), ""),
    ]
    texts = [sla_admin.day_text(cal.hours[str(i)]) for i in range(7)]
    assert texts[0] == "09:00-12:30, 13:30-17:00" and texts[3] == ""
    again = sla_admin.holidays_text(cal)
    assert again == "2026-12-25 Christmas Day\n2026-12-26 Boxing Day\n2027-01-01"
    # Saving the texts back changes nothing; editing a holiday keeps the unique day index.
    sla_admin.update_calendar(
        cal,
        actor=lead,
        data=_calendar(
            hours_text=tuple(texts),
            holidays_text=again.replace("Boxing Day", "St Stephen's Day").replace(
                "2027-01-01", "2026-12-24 Christmas Eve"
            ),
        ),
        now=now,
    )
    db.session.expire_all()
    cal = db.session.get(BusinessCalendar, cal.id)
    assert [sla_admin.day_text(cal.hours[str(i)]) for i in range(7)] == texts
    assert [(h.day.isoformat(), h.name) for h in cal.holidays] == [
        ("2026-12-24", "Christmas Eve"),
        ("2026-12-25", "Christmas Day"),
        ("2026-12-26", "St Stephen's Day"),
    ]
    assert _count(CalendarHoliday) == 3


def test_calendar_names_are_unique(ctx, make_user, now):
    lead = db.session.get(User, make_user(Role.LEAD))
    sla_admin.create_calendar(actor=lead, data=_calendar(), now=now)
    with pytest.raises(DomainError) as err:
        sla_admin.create_calendar(actor=lead, data=_calendar(name="berlin OFFICE"), now=now)
    assert err.value.field == "name" and _count(BusinessCalendar) == 1


def test_durations():
    assert [parse_duration(t) for t in ("4h", "1h 30m", "45m", "1:30", "2", "1.5", "")] == [
        240,
        90,
        45,
        90,
        120,
        90,
        None,
    ]
    for bad, error in (
        ("soon", "Write a duration"),
        ("0.01h", "Use whole minutes"),
        ("h", "Write a duration"),
    ):
        with pytest.raises(ValueError, match=error):
            parse_duration(bad)
    assert [format_duration(m) for m in (240, 90, 45, None)] == ["4h", "1h 30m", "45m", ""]


# ----------------------------------------------------------------- the pages

POLICY_POST = {
    "name": "Crisis for key accounts",
    "active": "y",
    "kinds": ["crisis"],
    "tiers": ["strategic"],
    "calendar_id": "",
    "first_response_minutes": "30m",
    "resolution_minutes": "1h 30m",
    "remedy_minutes": "8",
    "at_risk_percent": "80",
    "escalate_notify_lead": "y",
    "escalate_raise_severity": "y",
}
CALENDAR_POST = {
    "name": "London office",
    "timezone": "Europe/London",
    **{f"hours_{i}": "09:00-17:00" for i in range(5)},
    "hours_5": "",
    "hours_6": "",
    "holidays_text": "2026-12-25 Christmas Day",
}


def test_create_policy_through_the_page(world, build, login):
    client = login(world["lead"])
    assert client.get("/sla/policies/new").status_code == 200
    resp = client.post("/sla/policies/new", data=POLICY_POST)
    assert resp.status_code == 302 and "/sla/#policy-" in resp.headers["Location"]
    policy = build(lambda: db.session.scalar(sa.select(SlaPolicy)))
    assert policy.conditions == {"kinds": ["crisis"], "tiers": ["strategic"]}
    assert (
        policy.first_response_minutes,
        policy.resolution_minutes,
        policy.remedy_minutes,
        policy.next_response_minutes,
    ) == (30, 90, 480, None)
    assert policy.calendar_id is None and policy.at_risk_percent == 80
    assert policy.escalate_raise_severity and not policy.escalate_reassign
    page = _text(client.get("/sla/").get_data(as_text=True))
    for words in (
        "Crisis for key accounts",
        "Kind: Crisis",
        "First response: 30 min",
        "Resolution: 1 h 30 min",
        "Make-whole delivered: 8 h",
        "Clock runs around the clock (24/7)",
        "At risk after 80% of the target",
        "Raise the severity one step",
    ):
        assert words in page, words


def test_bad_policy_post_shows_the_error_on_its_field(world, build, login, now):
    _make_policy(build, world["lead"], now)
    client = login(world["admin"])
    html = client.post("/sla/policies/new", data={**POLICY_POST, "name": "standard"}).get_data(
        as_text=True
    )
    assert field_error(html, "name") == "Another policy has this name."
    html = client.post(
        "/sla/policies/new", data={**POLICY_POST, "first_response_minutes": "0"}
    ).get_data(as_text=True)
    assert field_error(html, "first_response_minutes")
    html = client.post(
        "/sla/policies/new", data={**POLICY_POST, "resolution_minutes": "soon"}
    ).get_data(as_text=True)
    assert "like 4h" in field_error(html, "resolution_minutes")
    html = client.post("/sla/policies/new", data={**POLICY_POST, "calendar_id": "999"}).get_data(
        as_text=True
    )
    assert field_error(html, "calendar_id") == "No such calendar."
    assert build(lambda: _count(SlaPolicy)) == 1


def test_edit_policy_through_the_page(world, build, login, now):
    cal_id = _make_calendar(build, world["lead"], now)
    policy_id = _make_policy(build, world["lead"], now, first_response_minutes=270)
    client = login(world["admin"])
    html = client.get(f"/sla/policies/{policy_id}/edit").get_data(as_text=True)
    assert 'value="4h 30m"' in html and "keep their due times" in html
    resp = client.post(
        f"/sla/policies/{policy_id}/edit",
        data={
            **POLICY_POST,
            "name": "Standard",
            "calendar_id": str(cal_id),
            "kinds": [],
            "tiers": [],
            "first_response_minutes": "2h",
        },
    )
    assert resp.status_code == 302
    policy = build(lambda: db.session.get(SlaPolicy, policy_id))
    assert policy.calendar_id == cal_id and policy.first_response_minutes == 120
    assert policy.conditions == {}
    page = _text(client.get("/sla/").get_data(as_text=True))
    assert "Clock runs during the hours of Berlin office" in page
    assert login(world["lead"]).get("/sla/policies/999/edit").status_code == 404


def test_make_default_through_the_page(world, build, login, now):
    first = _make_policy(build, world["lead"], now, name="A")
    second = _make_policy(build, world["lead"], now, name="B")
    client = login(world["lead"])
    assert client.post(f"/sla/policies/{first}/default").status_code == 302
    resp = client.post(f"/sla/policies/{second}/default", follow_redirects=True)
    assert "“B” is now the default policy" in html_lib.unescape(resp.get_data(as_text=True))
    defaults = build(
        lambda: list(
            db.session.scalars(sa.select(SlaPolicy.name).where(SlaPolicy.is_default.is_(True)))
        )
    )
    assert defaults == ["B"]
    assert client.post("/sla/policies/999/default").status_code == 404


def test_calendar_pages_round_trip(world, build, login):
    client = login(world["lead"])
    assert client.get("/sla/calendars/new").status_code == 200
    resp = client.post("/sla/calendars/new", data=CALENDAR_POST)
    assert resp.status_code == 302
    cal_id = build(lambda: db.session.scalar(sa.select(BusinessCalendar.id)))
    html = client.get(f"/sla/calendars/{cal_id}/edit").get_data(as_text=True)
    assert 'value="09:00-17:00"' in html and "2026-12-25 Christmas Day" in html
    resp = client.post(
        f"/sla/calendars/{cal_id}/edit",
        data={
            **CALENDAR_POST,
            "hours_5": "10:00-12:00, 13:00-15:00",
            "holidays_text": "2026-12-25 Christmas Day\n2026-12-26 Boxing Day",
        },
    )
    assert resp.status_code == 302
    page = _text(client.get("/sla/").get_data(as_text=True))
    assert "Europe/London" in page and "Saturday 10:00-12:00, 13:00-15:00" in page
    assert "Sunday Closed" in page and "2026-12-26 Boxing Day" in page
    html = client.post(
        f"/sla/calendars/{cal_id}/edit", data={**CALENDAR_POST, "hours_3": "18:00-09:00"}
    ).get_data(as_text=True)
    assert "Thursday" in field_error(html, "hours_3")
    html = client.post(
        "/sla/calendars/new", data={**CALENDAR_POST, "name": "Other", "timezone": "Nowhere/Land"}
    ).get_data(as_text=True)
    assert field_error(html, "timezone")
    assert build(lambda: _count(BusinessCalendar)) == 1
    assert client.get("/sla/calendars/999/edit").status_code == 404


# ----------------------------------------------------------------- who may


def _routes(policy_id: int, cal_id: int) -> list[tuple[str, str, dict | None]]:
    return [
        ("GET", "/sla/", None),
        ("GET", "/sla/policies/new", None),
        ("POST", "/sla/policies/new", {**POLICY_POST, "name": "Sneaky"}),
        ("GET", f"/sla/policies/{policy_id}/edit", None),
        ("POST", f"/sla/policies/{policy_id}/edit", {**POLICY_POST, "name": "Sneaky"}),
        ("POST", f"/sla/policies/{policy_id}/default", {}),
        ("GET", "/sla/calendars/new", None),
        ("POST", "/sla/calendars/new", {**CALENDAR_POST, "name": "Sneaky"}),
        ("GET", f"/sla/calendars/{cal_id}/edit", None),
        ("POST", f"/sla/calendars/{cal_id}/edit", {**CALENDAR_POST, "name": "Sneaky"}),
    ]


@pytest.mark.parametrize("role", ["agent", "am"])
def test_agents_and_account_managers_get_403_everywhere(world, build, login, now, role):
    policy_id = _make_policy(build, world["lead"], now)
    cal_id = _make_calendar(build, world["lead"], now)
    client = login(world[role])
    for method, url, data in _routes(policy_id, cal_id):
        resp = client.open(url, method=method, data=data)
        assert resp.status_code == 403, (method, url)
    names = build(
        lambda: (
            list(db.session.scalars(sa.select(SlaPolicy.name))),
            list(db.session.scalars(sa.select(BusinessCalendar.name))),
            db.session.get(SlaPolicy, policy_id).is_default,
        )
    )
    assert names == (["Standard"], ["Berlin office"], False)
    assert 'href="/sla/"' not in client.get("/tickets/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["lead", "admin"])
def test_leads_and_admins_get_every_page(world, build, login, now, role):
    policy_id = _make_policy(build, world["lead"], now)
    cal_id = _make_calendar(build, world["lead"], now)
    client = login(world[role])
    for method, url, _data in _routes(policy_id, cal_id):
        if method == "GET":
            assert client.get(url).status_code == 200, url
    assert client.post(f"/sla/policies/{policy_id}/default").status_code == 302
    nav = client.get("/sla/").get_data(as_text=True)
    assert 'href="/sla/">Service levels</a>' in nav


def test_anonymous_goes_to_login(world, build, client, now):
    policy_id = _make_policy(build, world["lead"], now)
    cal_id = _make_calendar(build, world["lead"], now)
    for method, url, data in _routes(policy_id, cal_id):
        resp = client.open(url, method=method, data=data)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], url
