"""Business-hours arithmetic: hand-computed examples, DST days, the JSON spec, and properties."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ticketdesk.services.sla.business_time import (
    Calendar,
    add_minutes,
    is_open,
    minutes_between,
    next_opening,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")

WEEKDAYS_9_TO_5 = {str(d): [["09:00", "17:00"]] for d in range(5)}


def office(tz: str = "Europe/Berlin", holidays=()) -> Calendar:
    return Calendar.from_spec(tz, WEEKDAYS_9_TO_5, holidays)


def every_day(tz: str, *intervals: tuple[str, str]) -> Calendar:
    return Calendar.from_spec(tz, {d: [list(iv) for iv in intervals] for d in range(7)})


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)


# --- hand-computed examples ---------------------------------------------------------------


def test_friday_afternoon_rolls_over_the_weekend():
    due = add_minutes(office(), local(BERLIN, 2026, 3, 6, 16, 30), 60)  # a Friday
    assert due == local(BERLIN, 2026, 3, 9, 9, 30)  # Monday
    assert due.tzinfo is UTC and due == datetime(2026, 3, 9, 8, 30, tzinfo=UTC)


def test_within_one_day():
    assert add_minutes(office(), local(BERLIN, 2026, 3, 3, 10, 0), 90) == local(
        BERLIN, 2026, 3, 3, 11, 30
    )


def test_ending_exactly_at_closing_time_gives_closing_time():
    assert add_minutes(office(), local(BERLIN, 2026, 3, 3, 9, 0), 480) == local(
        BERLIN, 2026, 3, 3, 17, 0
    )
    assert add_minutes(office(), local(BERLIN, 2026, 3, 3, 9, 0), 481) == local(
        BERLIN, 2026, 3, 4, 9, 1
    )


@pytest.mark.parametrize(
    "start",
    [
        local(BERLIN, 2026, 3, 7, 11, 0),  # Saturday
        local(BERLIN, 2026, 3, 8, 23, 59),  # Sunday night
        local(BERLIN, 2026, 3, 9, 6, 0),  # Monday before opening
    ],
)
def test_start_outside_hours_begins_at_next_opening(start):
    assert add_minutes(office(), start, 30) == local(BERLIN, 2026, 3, 9, 9, 30)
    assert next_opening(office(), start) == local(BERLIN, 2026, 3, 9, 9, 0)


def test_start_at_night_midweek():
    assert add_minutes(office(), local(BERLIN, 2026, 3, 3, 20, 0), 30) == local(
        BERLIN, 2026, 3, 4, 9, 30
    )


def test_lunch_break_is_skipped():
    cal = Calendar.from_spec("Europe/Berlin", {"0": [["09:00", "12:30"], ["13:30", "17:00"]]})
    monday = date(2026, 3, 2)
    start = local(BERLIN, 2026, 3, 2, 12, 0)
    assert add_minutes(cal, start, 60) == local(BERLIN, 2026, 3, 2, 14, 0)
    assert add_minutes(cal, start, 30) == local(BERLIN, 2026, 3, 2, 12, 30)
    assert not is_open(cal, local(BERLIN, 2026, 3, 2, 12, 30))
    assert is_open(cal, local(BERLIN, 2026, 3, 2, 13, 30))
    day = datetime.combine(monday, time(0), tzinfo=BERLIN)
    assert minutes_between(cal, day, day + timedelta(days=1)) == 420


def test_holiday_monday_pushes_to_tuesday():
    cal = office(holidays=["2026-05-25"])  # Whit Monday
    assert add_minutes(cal, local(BERLIN, 2026, 5, 22, 16, 30), 60) == local(
        BERLIN, 2026, 5, 26, 9, 30
    )
    assert not is_open(cal, local(BERLIN, 2026, 5, 25, 10, 0))
    assert (
        minutes_between(cal, local(BERLIN, 2026, 5, 22, 0, 0), local(BERLIN, 2026, 5, 27, 0, 0))
        == 2 * 480
    )


def test_five_business_days():
    start = local(BERLIN, 2026, 3, 4, 11, 15)  # Wednesday
    assert add_minutes(office(), start, 5 * 480) == local(BERLIN, 2026, 3, 11, 11, 15)


def test_always_is_plain_addition():
    cal = Calendar.always()
    assert cal.is_always and cal.timezone == "UTC" and not cal.holidays
    start = datetime(2026, 3, 28, 22, 17, 5, 123, tzinfo=BERLIN)  # DST starts the next night
    elapsed = timedelta(minutes=60 * 24 * 3 + 7)
    assert add_minutes(cal, start, 60 * 24 * 3 + 7) == start.astimezone(UTC) + elapsed
    assert minutes_between(cal, start, start + timedelta(minutes=90, seconds=59)) == 90
    assert is_open(cal, start)


def test_is_always_needs_whole_days_and_no_holidays():
    assert every_day("Europe/Berlin", ("00:00", "24:00")).is_always
    assert every_day("UTC", ("00:00", "12:00"), ("12:00", "00:00")).is_always
    assert not every_day("UTC", ("00:00", "23:59")).is_always
    assert not office().is_always
    whole = {d: [["00:00", "24:00"]] for d in range(7)}
    assert not Calendar.from_spec("UTC", whole, ["2026-01-01"]).is_always


def test_minutes_between_floors_and_ignores_reversed_ranges():
    start = local(BERLIN, 2026, 3, 3, 9, 0)
    assert minutes_between(office(), start, start + timedelta(minutes=10, seconds=59)) == 10
    assert minutes_between(office(), start, start) == 0
    assert minutes_between(office(), start, start - timedelta(hours=5)) == 0
    # Friday 16:30 to Monday 09:30: 30 + 30 minutes
    friday, monday = local(BERLIN, 2026, 3, 6, 16, 30), local(BERLIN, 2026, 3, 9, 9, 30)
    assert minutes_between(office(), friday, monday) == 60


def test_is_open_half_open_intervals():
    assert is_open(office(), local(BERLIN, 2026, 3, 3, 9, 0))
    assert is_open(office(), local(BERLIN, 2026, 3, 3, 16, 59, 59))
    assert not is_open(office(), local(BERLIN, 2026, 3, 3, 17, 0))
    assert not is_open(office(), local(BERLIN, 2026, 3, 7, 12, 0))  # Saturday
    assert is_open(office(), datetime(2026, 3, 3, 8, 0, tzinfo=UTC))  # 09:00 in Berlin


def test_zero_minutes_returns_start_itself():
    inside, outside = local(BERLIN, 2026, 3, 3, 10, 0), local(BERLIN, 2026, 3, 7, 10, 0)
    assert add_minutes(office(), inside, 0) == inside
    assert add_minutes(office(), outside, 0) == outside  # no open time has to pass
    assert add_minutes(office(), outside, 0).tzinfo is UTC
    assert next_opening(office(), inside) == inside


# --- DST ----------------------------------------------------------------------------------


def _day(tz: ZoneInfo, d: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(d, time(0), tzinfo=tz),
        datetime.combine(d + timedelta(days=1), time(0), tzinfo=tz),
    )


@pytest.mark.parametrize(
    "d, hours", [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 3, 28), 24)]
)
def test_whole_day_calendar_counts_real_hours_on_dst_days(d, hours):
    cal = Calendar.from_spec("Europe/Berlin", {d.weekday(): [["00:00", "24:00"]]})
    start, end = _day(BERLIN, d)
    assert minutes_between(cal, start, end) == hours * 60
    assert add_minutes(cal, start, hours * 60) == end
    assert add_minutes(cal, start, hours * 60 + 1) == end + timedelta(days=6, minutes=1)


@pytest.mark.parametrize("d", [date(2026, 3, 29), date(2026, 10, 25)])
def test_office_hours_stay_eight_hours_on_dst_days(d):
    cal = every_day("Europe/Berlin", ("09:00", "17:00"))
    start, end = _day(BERLIN, d)
    assert minutes_between(cal, start, end) == 480
    nine = datetime.combine(d, time(9), tzinfo=BERLIN)
    assert add_minutes(cal, nine, 480) == datetime.combine(d, time(17), tzinfo=BERLIN)


@pytest.mark.parametrize(
    "d, interval, minutes",
    [
        # spring forward 02:00 CET -> 03:00 CEST: a time in the gap is read with the old offset
        (date(2026, 3, 29), ("01:00", "05:00"), 180),
        (date(2026, 3, 29), ("02:00", "03:00"), 0),  # the gap itself: nothing, no crash
        (date(2026, 3, 29), ("02:30", "03:30"), 0),  # 02:30 reads as 03:30 CEST: empty
        (date(2026, 3, 29), ("02:30", "04:00"), 30),  # 03:30-04:00 CEST
        # fall back 03:00 CEST -> 02:00 CET: an ambiguous time means its first occurrence
        (date(2026, 10, 25), ("01:00", "05:00"), 300),
        (date(2026, 10, 25), ("02:00", "03:00"), 120),  # first 02:00 to 03:00 CET, both passes
        (date(2026, 10, 25), ("01:00", "02:30"), 90),  # ends at the first 02:30
    ],
)
def test_intervals_touching_dst_changes(d, interval, minutes):
    cal = every_day("Europe/Berlin", interval)
    start, end = _day(BERLIN, d)
    assert minutes_between(cal, start, end) == minutes


def test_overlap_created_by_the_gap_is_counted_once():
    # 01:00-02:45 reads as 01:00 CET-03:45 CEST; 03:00-04:00 CEST lies inside it.
    cal = every_day("Europe/Berlin", ("01:00", "02:45"), ("03:00", "04:00"))
    start, end = _day(BERLIN, date(2026, 3, 29))
    assert minutes_between(cal, start, end) == 120  # 00:00Z-02:00Z
    assert add_minutes(cal, start, 120) == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)


def test_is_open_during_the_repeated_hour():
    cal = every_day("Europe/Berlin", ("02:00", "03:00"))
    first = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)  # fold=0: CEST
    second = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)  # CET
    assert is_open(cal, first) and is_open(cal, second)
    assert not is_open(cal, datetime(2026, 10, 25, 3, 0, tzinfo=BERLIN))


def test_new_york_weekend_with_dst_change():
    cal = office("America/New_York")
    due = add_minutes(cal, local(NEW_YORK, 2026, 3, 6, 16, 30), 60)  # EST Friday
    assert due == local(NEW_YORK, 2026, 3, 9, 9, 30)  # EDT Monday
    assert due == datetime(2026, 3, 9, 13, 30, tzinfo=UTC)
    assert minutes_between(cal, local(NEW_YORK, 2026, 3, 6, 16, 30), due) == 60


def test_shanghai_no_dst():
    cal = office("Asia/Shanghai")
    start = datetime(2026, 6, 1, 0, 30, tzinfo=UTC)  # Monday 08:30 in Shanghai
    assert not is_open(cal, start)
    assert add_minutes(cal, start, 60) == datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    assert add_minutes(cal, start, 60) == local(SHANGHAI, 2026, 6, 1, 10, 0)
    start, end = _day(SHANGHAI, date(2026, 6, 1))
    assert minutes_between(cal, start, end + timedelta(days=6)) == 5 * 480


# --- errors -------------------------------------------------------------------------------


def test_naive_datetimes_are_rejected():
    naive = datetime(2026, 3, 3, 10, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        add_minutes(office(), naive, 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        minutes_between(office(), naive, local(BERLIN, 2026, 3, 4, 10, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(office(), naive)


def test_negative_minutes_are_rejected():
    with pytest.raises(ValueError, match="negative"):
        add_minutes(office(), local(BERLIN, 2026, 3, 3, 10, 0), -1)


def test_calendar_without_hours_is_rejected():
    closed = Calendar.from_spec("UTC", {})
    start = datetime(2026, 3, 3, tzinfo=UTC)
    for minutes in (0, 1):
        with pytest.raises(ValueError, match="no opening hours"):
            add_minutes(closed, start, minutes)
    assert minutes_between(closed, start, start + timedelta(days=30)) == 0
    assert not is_open(closed, start)


def test_only_holidays_ahead_gives_up():
    start = date(2026, 1, 1)
    holidays = [start + timedelta(days=n) for n in range(4 * 366)]
    cal = office("UTC", holidays=holidays)
    with pytest.raises(ValueError, match="No open time"):
        add_minutes(cal, datetime(2026, 1, 1, tzinfo=UTC), 60)
    with pytest.raises(ValueError, match="No open time"):
        next_opening(cal, datetime(2026, 1, 1, tzinfo=UTC))


def test_long_closures_are_fine_when_they_end():
    holidays = [date(2026, 1, 1) + timedelta(days=n) for n in range(400)]
    due = add_minutes(office("UTC", holidays=holidays), datetime(2026, 1, 1, tzinfo=UTC), 60)
    assert due == datetime(2027, 2, 5, 10, 0, tzinfo=UTC)  # Friday after the closure


# --- the JSON spec ------------------------------------------------------------------------


def test_spec_round_trip():
    spec = {
        "0": [["09:00", "12:30"], ["13:30", "17:00"]],
        "1": [["09:00", "17:00"]],
        "2": [],
        "3": [["00:00", "24:00"]],
        "4": [["22:00", "24:00"]],
        "5": [],
        "6": [],
    }
    cal = Calendar.from_spec("Europe/Berlin", spec, ["2026-12-25", date(2026, 12, 26)])
    assert cal.hours[0] == ((time(9), time(12, 30)), (time(13, 30), time(17)))
    assert cal.hours[4] == ((time(22), time(0)),)
    assert cal.holidays == frozenset({date(2026, 12, 25), date(2026, 12, 26)})
    assert cal.to_spec() == spec
    assert Calendar.from_spec(cal.timezone, cal.to_spec(), cal.holidays) == cal
    assert Calendar.always().to_spec() == {str(d): [["00:00", "24:00"]] for d in range(7)}


def test_spec_accepts_int_keys_missing_days_unsorted_intervals_and_midnight_as_00_00():
    cal = Calendar.from_spec(
        "UTC", {1: [["13:00", "17:00"], ["08:00", "12:00"]], "5": [["20:00", "00:00"]]}
    )
    assert cal.hours[1] == ((time(8), time(12)), (time(13), time(17)))
    assert cal.hours[5] == ((time(20), time(0)),)
    assert cal.hours[0] == () and cal.hours[6] == ()
    assert cal.to_spec()["5"] == [["20:00", "24:00"]]


def test_calendar_is_hashable_and_built_from_lists():
    cal = Calendar("UTC", [[(time(9), time(17))]] + [[]] * 6, {date(2026, 1, 1)})
    assert cal == Calendar.from_spec("UTC", {"0": [["09:00", "17:00"]]}, ["2026-01-01"])
    assert hash(cal) == hash(Calendar.from_spec("UTC", {"0": [["09:00", "17:00"]]}, ["2026-01-01"]))


@pytest.mark.parametrize(
    "hours, message",
    [
        ({"0": [["25:00", "26:00"]]}, "not a time"),
        ({"0": [["9am", "17:00"]]}, "not a time"),
        ({"0": [["09:60", "17:00"]]}, "not a time"),
        ({"0": [["09:00", None]]}, "not a time"),
        ({"0": [["24:00", "24:00"]]}, "24:00 can only end"),
        ({"0": [["17:00", "09:00"]]}, "must end after"),
        ({"0": [["09:00", "09:00"]]}, "must end after"),
        ({"0": [["09:00", "12:00"], ["11:00", "17:00"]]}, "overlaps"),
        ({"0": [["09:00", "24:00"], ["10:00", "11:00"]]}, "overlaps"),
        ({"0": [["09:00", "12:00", "17:00"]]}, "pair"),
        ({"0": "09:00-17:00"}, "list"),
        ({"7": []}, "Unknown weekday"),
        ({"mon": []}, "Unknown weekday"),
        ({0: [], "0": []}, "given twice"),
        ([["09:00", "17:00"]], "mapping"),
    ],
)
def test_spec_errors(hours, message):
    with pytest.raises(ValueError, match=message):
        Calendar.from_spec("UTC", hours)


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "", "../etc/passwd", "europe/berlin "])
def test_unknown_timezone(tz):
    with pytest.raises(ValueError, match="Unknown timezone"):
        Calendar.from_spec(tz, WEEKDAYS_9_TO_5)


@pytest.mark.parametrize("holiday", ["2026-13-01", "Christmas", datetime(2026, 12, 25), 20261225])  # noqa: DTZ001
def test_bad_holidays(holiday):
    with pytest.raises(ValueError, match="date"):
        Calendar.from_spec("UTC", WEEKDAYS_9_TO_5, [holiday])


def test_constructor_checks_too():
    with pytest.raises(ValueError, match="7 days"):
        Calendar("UTC", ((),) * 6)
    with pytest.raises(ValueError, match="whole minutes"):
        Calendar("UTC", (((time(9, 0, 30), time(17)),),) + ((),) * 6)
    with pytest.raises(ValueError, match="overlaps"):
        Calendar("UTC", (((time(13), time(17)), (time(9), time(12))),) + ((),) * 6)


# --- properties ---------------------------------------------------------------------------

TIMEZONES = ["Europe/Berlin", "America/New_York", "Asia/Shanghai", "UTC", "Australia/Sydney"]


def _minute(n: int) -> time:
    return time(0) if n == 1440 else time(n // 60, n % 60)


@st.composite
def day_intervals(draw) -> tuple[tuple[time, time], ...]:
    points = sorted(draw(st.lists(st.integers(0, 1440), max_size=6)))
    pairs = [(a, b) for a, b in zip(points[::2], points[1::2], strict=False) if a < b]
    return tuple((_minute(a), _minute(b)) for a, b in pairs)


@st.composite
def calendars(draw) -> Calendar:
    hours = tuple(draw(day_intervals()) for _ in range(7))
    open_minutes = sum(
        (b.hour * 60 + b.minute or 1440) - (a.hour * 60 + a.minute) for day in hours for a, b in day
    )
    if open_minutes < 120:  # keep scans short: at least two hours a week
        hours = (((time(10), time(12)),),) + hours[1:]
    holidays = draw(st.frozensets(st.dates(date(2024, 12, 1), date(2028, 6, 30)), max_size=20))
    return Calendar(draw(st.sampled_from(TIMEZONES)), hours, holidays)


# st.datetimes takes naive bounds; the time zone it draws is attached afterwards.
FIRST_DRAWN = datetime(2025, 1, 1)  # noqa: DTZ001
LAST_DAY_DRAWN = datetime(2027, 12, 31)  # noqa: DTZ001
starts = st.datetimes(
    min_value=FIRST_DRAWN,
    max_value=LAST_DAY_DRAWN.replace(hour=23, minute=59),
    timezones=st.sampled_from([ZoneInfo(z) for z in TIMEZONES]),
)
minutes = st.integers(0, 20000)
PROPERTY = settings(deadline=None, max_examples=200)


@PROPERTY
@given(calendars(), starts, minutes, st.integers(0, 20000))
def test_due_is_never_early_and_is_monotone(cal, start, m, extra):
    due = add_minutes(cal, start, m)
    assert due >= start
    assert due.utcoffset() == timedelta(0)
    assert add_minutes(cal, start, m + extra) >= due


@PROPERTY
@given(calendars(), starts, minutes)
def test_minutes_between_inverts_add_minutes(cal, start, m):
    due = add_minutes(cal, start, m)
    assert minutes_between(cal, start, due) == m
    if m > 0:
        assert is_open(cal, due - timedelta(seconds=1))
        # earliest: one second less would not be enough
        assert minutes_between(cal, start, due - timedelta(seconds=1)) == m - 1


@PROPERTY
@given(calendars(), starts, st.integers(1, 10000), st.integers(0, 10000))
def test_add_minutes_composes(cal, start, a, b):
    assert add_minutes(cal, add_minutes(cal, start, a), b) == add_minutes(cal, start, a + b)


@PROPERTY
@given(calendars(), starts)
def test_next_opening_agrees_with_is_open(cal, start):
    opening = next_opening(cal, start)
    assert opening >= start
    assert is_open(cal, opening)
    # compare in UTC: "==" between zones is always False for a time in a DST gap or fold
    assert (opening == start.astimezone(UTC)) == is_open(cal, start)
    assert minutes_between(cal, start, opening) == 0


@PROPERTY
@given(calendars(), starts)
def test_is_open_matches_local_wall_time_away_from_dst_changes(cal, moment):
    """An independent oracle: read the moment's local date and time directly."""
    tz = ZoneInfo(cal.timezone)
    wall = moment.astimezone(tz)
    lo, hi = _day(tz, wall.date())
    if not (lo.utcoffset() == hi.utcoffset() == wall.utcoffset()):
        return  # a DST change that day: covered by the hand-computed tests
    t = wall.time().replace(tzinfo=None, fold=0)
    expected = wall.date() not in cal.holidays and any(
        a <= t and (t < b or b == time(0)) for a, b in cal.hours[wall.weekday()]
    )
    assert is_open(cal, moment) == expected


@PROPERTY
@given(
    calendars(), st.datetimes(min_value=FIRST_DRAWN, max_value=LAST_DAY_DRAWN), st.integers(0, 3000)
)
def test_minutes_between_counts_open_minutes_one_by_one(cal, naive, span):
    """On whole minutes, minutes_between equals a minute-by-minute count with is_open."""
    start = naive.replace(second=0, microsecond=0, tzinfo=UTC)
    by_minute = sum(is_open(cal, start + timedelta(minutes=k)) for k in range(span))
    assert minutes_between(cal, start, start + timedelta(minutes=span)) == by_minute


@PROPERTY
@given(st.sampled_from(TIMEZONES), starts, minutes)
def test_whole_days_in_any_timezone_are_plain_addition(tz, start, m):
    """Local days tile the timeline, DST or not; a far-away holiday forces the day-by-day path."""
    start = start.astimezone(UTC)  # elapsed time: "+" on a zoned datetime adds wall-clock time
    for holidays in ((), [date(1990, 1, 1)]):
        cal = Calendar.from_spec(tz, {d: [["00:00", "24:00"]] for d in range(7)}, holidays)
        assert cal.is_always == (not holidays)
        assert add_minutes(cal, start, m) == start + timedelta(minutes=m)
        assert minutes_between(cal, start, start + timedelta(minutes=m, seconds=30)) == m
