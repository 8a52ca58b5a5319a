"""Business-hours arithmetic for SLA clocks: pure functions, no database and no Flask.

A :class:`Calendar` holds weekly opening hours in local wall time, a timezone and holidays.
The open time it describes is a set of UTC stretches, built one local day at a time:

* Each interval ``(start, end)`` on local date ``day`` becomes
  ``datetime.combine(day, start, tzinfo=ZoneInfo(tz))`` to the matching end (an end of
  ``time(0, 0)`` is midnight at the start of the next day), both converted to UTC. Durations
  are measured in UTC, so a whole-day calendar has 23 or 25 hours on a DST change day while
  09:00-17:00 stays 8 hours.
* Wall times are resolved with ``fold=0``, as zoneinfo does by default. A time that happens
  twice (fall back) means its *first* occurrence. A time that does not exist (spring-forward
  gap) is read with the offset in force before the change, i.e. it lands as far after the gap
  as it was into it (02:30 in Berlin on 2026-03-29 is 03:30 CEST).
* Every stretch is clamped to its own day, ``[UTC(day 00:00), UTC(next day 00:00))``; a stretch
  whose end is not after its start is dropped, and overlapping stretches of one day are merged.
  Days therefore never overlap, and nothing can end before it starts.
* Holidays are local dates with no open time.

Intervals are half-open: a desk open 09:00-17:00 is open at 09:00 and closed at 17:00.
Every result is an aware UTC datetime; every datetime argument must be aware (any zone; a
zoned argument is read through its own ``utcoffset()``, fold included). Compare results in
UTC: Python's ``==`` between two zones is always False for a time in a DST gap or fold.

Clocks that stop (SLA clocks while a ticket waits on the customer or is resolved) use
:func:`running_time` and :func:`add_running`: open time minus the open time of the stops,
exact to the microsecond; rounding is left to the caller.

No week-skipping: a week's length in UTC depends on DST changes that zoneinfo does not expose,
so the functions step whole intervals, day by day, through an LRU cache of each day's UTC
stretches (60 days of business minutes: under 1 ms uncached).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "Calendar",
    "add_minutes",
    "add_running",
    "is_open",
    "merge_stops",
    "minutes_between",
    "next_opening",
    "open_time",
    "running_time",
]

MIDNIGHT = time(0, 0)
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# add_minutes and next_opening give up after this many days in a row without open time.
MAX_CLOSED_DAYS = 3 * 366
_ONE_DAY = timedelta(days=1)
_ONE_MINUTE = timedelta(minutes=1)
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")

Interval = tuple[time, time]
Span = tuple[datetime, datetime]


def _zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValueError(f"Unknown timezone: {name!r}.")
    try:
        return ZoneInfo(name)  # zoneinfo keeps its own cache of instances
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"Unknown timezone: {name!r}.") from exc


def _fmt(t: time, *, end: bool = False) -> str:
    return "24:00" if end and t == MIDNIGHT else t.strftime("%H:%M")


def _check_day(weekday: int, intervals: tuple[Interval, ...]) -> None:
    day = DAY_NAMES[weekday]
    previous_end: time | None = None
    for interval in intervals:
        if len(interval) != 2:
            raise ValueError(f"{day}: each interval needs a start and an end.")
        start, end = interval
        for t in (start, end):
            if not isinstance(t, time) or isinstance(t, datetime):
                raise ValueError(f"{day}: {t!r} is not a time.")
            if t.tzinfo is not None:
                raise ValueError(f"{day}: opening times are local; {t} must not carry a tzinfo.")
            if t.second or t.microsecond:
                raise ValueError(f"{day}: opening times are whole minutes, not {t}.")
        if end != MIDNIGHT and end <= start:
            raise ValueError(
                f"{day}: interval {_fmt(start)}-{_fmt(end, end=True)} must end after it starts."
            )
        if previous_end is not None and (previous_end == MIDNIGHT or start < previous_end):
            raise ValueError(
                f"{day}: interval {_fmt(start)}-{_fmt(end, end=True)} overlaps the one before "
                "it (intervals must be sorted and must not overlap)."
            )
        previous_end = end


def _whole_day(intervals: tuple[Interval, ...]) -> bool:
    """Do the intervals cover 00:00-24:00 without a gap?"""
    if not intervals or intervals[0][0] != MIDNIGHT or intervals[-1][1] != MIDNIGHT:
        return False
    return all(a[1] == b[0] for a, b in pairwise(intervals))


@dataclass(frozen=True)
class Calendar:
    """Weekly opening hours in ``timezone``, Monday=0 .. Sunday=6, plus closed local dates.

    ``hours[weekday]`` is a sorted tuple of non-overlapping ``(start, end)`` local times in
    whole minutes; ``end`` may be ``time(0, 0)``, meaning midnight at the end of that day.
    The constructor checks all of this (and the timezone) and raises ``ValueError``; lists are
    accepted and stored as tuples, any iterable of dates as a frozenset.
    """

    timezone: str
    hours: tuple[tuple[Interval, ...], ...]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        _zone(self.timezone)
        try:
            hours = tuple(tuple(tuple(interval) for interval in day) for day in self.hours)
        except TypeError as exc:
            raise ValueError("hours must be 7 sequences of (start, end) pairs.") from exc
        if len(hours) != 7:
            raise ValueError(f"hours needs 7 days (Monday..Sunday), got {len(hours)}.")
        for weekday, intervals in enumerate(hours):
            _check_day(weekday, intervals)
        holidays = frozenset(self.holidays)
        for holiday in holidays:
            if not isinstance(holiday, date) or isinstance(holiday, datetime):
                raise ValueError(f"Holidays are dates, not {holiday!r}.")
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "holidays", holidays)
        # Not dataclass fields: they stay out of __eq__, __hash__ and __repr__.
        object.__setattr__(self, "_has_hours", any(hours))
        object.__setattr__(self, "_always", not holidays and all(_whole_day(d) for d in hours))

    @classmethod
    def always(cls) -> Calendar:
        """Open around the clock: every day whole, UTC, no holidays."""
        return cls(timezone="UTC", hours=(((MIDNIGHT, MIDNIGHT),),) * 7)

    @property
    def is_always(self) -> bool:
        """True when every moment is open: each day covers 00:00-24:00 and there are no holidays.

        The timezone does not matter then (the local days tile the whole timeline), so
        add_minutes is plain addition.
        """
        return self._always  # type: ignore[attr-defined]

    @classmethod
    def from_spec(cls, timezone: str, hours: Mapping, holidays: Iterable = ()) -> Calendar:
        """Build a calendar from its JSON form.

        ``hours`` maps weekday keys (``"0"``..``"6"`` or ``0``..``6``, Monday=0) to lists of
        ``["HH:MM", "HH:MM"]`` pairs; a missing day is closed. An end of ``"24:00"`` (or
        ``"00:00"``) means midnight at the end of the day. Intervals may come in any order; they
        are sorted. ``holidays`` holds dates or ISO strings (``"2026-12-25"``).
        Raises ``ValueError`` with a readable message for anything malformed.
        """
        if not isinstance(hours, Mapping):
            raise ValueError("Opening hours must be a mapping of weekday to intervals.")
        days: list[list[Interval]] = [[] for _ in range(7)]
        seen: set[int] = set()
        for key, value in hours.items():
            weekday = cls._parse_weekday(key)
            if weekday in seen:
                raise ValueError(f"{DAY_NAMES[weekday]} is given twice.")
            seen.add(weekday)
            if value is None:
                continue
            if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
                raise ValueError(f"{DAY_NAMES[weekday]}: expected a list of [start, end] pairs.")
            for pair in value:
                if isinstance(pair, (str, bytes)) or not isinstance(pair, Iterable):
                    raise ValueError(f"{DAY_NAMES[weekday]}: {pair!r} is not a [start, end] pair.")
                pair = list(pair)
                if len(pair) != 2:
                    raise ValueError(f"{DAY_NAMES[weekday]}: {pair!r} is not a [start, end] pair.")
                start = cls._parse_time(pair[0], weekday, end=False)
                end = cls._parse_time(pair[1], weekday, end=True)
                days[weekday].append((start, end))
        # Sort by start; a midnight end sorts last among equal starts.
        for intervals in days:
            intervals.sort(key=lambda iv: (iv[0], iv[1] == MIDNIGHT, iv[1]))
        return cls(
            timezone=timezone,
            hours=tuple(tuple(d) for d in days),
            holidays=frozenset(cls._parse_holiday(h) for h in holidays),
        )

    def to_spec(self) -> dict[str, list[list[str]]]:
        """The JSON form read by :meth:`from_spec`.

        All seven days, with ``"24:00"`` for a midnight end.
        """
        return {
            str(weekday): [[_fmt(start), _fmt(end, end=True)] for start, end in intervals]
            for weekday, intervals in enumerate(self.hours)
        }

    @staticmethod
    def _parse_weekday(key: object) -> int:
        if isinstance(key, bool):
            raise ValueError(f"Unknown weekday {key!r}; use 0 (Monday) to 6 (Sunday).")
        if isinstance(key, str) and key.strip().isdigit():
            key = int(key)
        if isinstance(key, int) and 0 <= key <= 6:
            return key
        raise ValueError(f"Unknown weekday {key!r}; use 0 (Monday) to 6 (Sunday).")

    @staticmethod
    def _parse_time(text: object, weekday: int, *, end: bool) -> time:
        day = DAY_NAMES[weekday]
        match = _TIME_RE.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"{day}: {text!r} is not a time (HH:MM).")
        hour, minute = int(match[1]), int(match[2])
        if (hour, minute) == (24, 0):
            if not end:
                raise ValueError(f"{day}: 24:00 can only end an interval.")
            return MIDNIGHT
        if hour > 23 or minute > 59:
            raise ValueError(f"{day}: {text!r} is not a time (HH:MM).")
        return time(hour, minute)

    @staticmethod
    def _parse_holiday(value: object) -> date:
        if isinstance(value, datetime):
            raise ValueError(f"Holidays are dates, not {value!r}.")
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise ValueError(f"Holiday {value!r} is not a date (YYYY-MM-DD).")


# --- the open time of one local day -------------------------------------------------------


@lru_cache(maxsize=4096)
def _spans(tz_name: str, intervals: tuple[Interval, ...], day: date) -> tuple[Span, ...]:
    """UTC open stretches of local ``day`` (not a holiday), sorted, merged, within the day."""
    tz = ZoneInfo(tz_name)
    lo = datetime.combine(day, MIDNIGHT, tzinfo=tz).astimezone(UTC)
    hi = datetime.combine(day + _ONE_DAY, MIDNIGHT, tzinfo=tz).astimezone(UTC)
    raw: list[list[datetime]] = []
    for start, end in intervals:
        a = max(datetime.combine(day, start, tzinfo=tz).astimezone(UTC), lo)
        b = (
            hi
            if end == MIDNIGHT
            else min(datetime.combine(day, end, tzinfo=tz).astimezone(UTC), hi)
        )
        if b > a:
            raw.append([a, b])
    raw.sort()
    merged: list[list[datetime]] = []
    for a, b in raw:  # a spring-forward gap can make two stretches overlap in UTC
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return tuple((a, b) for a, b in merged)


def _day_spans(calendar: Calendar, day: date) -> tuple[Span, ...]:
    intervals = calendar.hours[day.weekday()]
    if not intervals or day in calendar.holidays:
        return ()
    return _spans(calendar.timezone, intervals, day)


def _local_day(calendar: Calendar, moment: datetime) -> date:
    return moment.astimezone(ZoneInfo(calendar.timezone)).date()


def _utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise ValueError(f"{name} must be a datetime, not {moment!r}.")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}.")
    return moment.astimezone(UTC)


def _require_hours(calendar: Calendar) -> None:
    if not calendar._has_hours:  # type: ignore[attr-defined]
        raise ValueError("The calendar has no opening hours on any weekday.")


def _open_spans_from(calendar: Calendar, start: datetime):
    """Yield the open stretches that end after ``start`` (UTC), in order, clipped to begin at
    ``start`` at the earliest. Raises ValueError after MAX_CLOSED_DAYS days with none."""
    day = _local_day(calendar, start) - _ONE_DAY  # one day back: cheap insurance at DST edges
    closed_days = 0
    while True:
        found = False
        for a, b in _day_spans(calendar, day):
            if b > start:
                found = True
                yield max(a, start), b
        if found:
            closed_days = 0
        else:
            closed_days += 1
            if closed_days > MAX_CLOSED_DAYS:
                raise ValueError(
                    f"No open time within {MAX_CLOSED_DAYS} days after {start.isoformat()} "
                    "(are all days holidays?)."
                )
        day += _ONE_DAY


# --- public API ---------------------------------------------------------------------------


def _count_args(calendar: Calendar, start: datetime, minutes: int) -> tuple[datetime, int]:
    """The checked arguments of a count of open minutes from ``start``."""
    start_utc = _utc(start, "start")
    minutes = operator.index(minutes)
    if minutes < 0:
        raise ValueError(f"minutes must not be negative, got {minutes}.")
    _require_hours(calendar)
    return start_utc, minutes


def add_minutes(calendar: Calendar, start: datetime, minutes: int) -> datetime:
    """The earliest moment by which ``minutes`` of open time have passed since ``start``.

    Returns an aware UTC datetime, never earlier than ``start``. ``minutes=0`` returns
    ``start`` itself (converted to UTC) even when the desk is closed: no open time needs to
    pass. Use :func:`next_opening` for "the next moment the desk is open". When the count runs
    out exactly at closing time, the result is the closing moment (17:00), not the next opening.
    So ``minutes_between(c, s, add_minutes(c, s, m)) == m`` and
    ``add_minutes(c, add_minutes(c, s, a), b) == add_minutes(c, s, a + b)``.

    Raises ValueError for a naive ``start``, negative ``minutes``, a calendar without any
    opening hours, or when no open time turns up within MAX_CLOSED_DAYS days (all holidays).
    Steps whole intervals, never single minutes.
    """
    start_utc, minutes = _count_args(calendar, start, minutes)
    if minutes == 0:
        return start_utc
    remaining = timedelta(minutes=minutes)
    if calendar.is_always:
        return start_utc + remaining
    for a, b in _open_spans_from(calendar, start_utc):
        if remaining <= b - a:
            return a + remaining
        remaining -= b - a
    raise AssertionError("unreachable")  # pragma: no cover - the generator never ends


def next_opening(calendar: Calendar, moment: datetime) -> datetime:
    """``moment`` (in UTC) if the desk is open then, else the next moment it opens.

    Raises ValueError like :func:`add_minutes` (naive moment, no hours, no open time found).
    """
    moment_utc = _utc(moment, "moment")
    _require_hours(calendar)
    if calendar.is_always:
        return moment_utc
    for a, _b in _open_spans_from(calendar, moment_utc):
        return a
    raise AssertionError("unreachable")  # pragma: no cover


def minutes_between(calendar: Calendar, start: datetime, end: datetime) -> int:
    """Whole open minutes (rounded down) in ``[start, end)``; 0 when ``end <= start``."""
    return open_time(calendar, start, end) // _ONE_MINUTE


def is_open(calendar: Calendar, moment: datetime) -> bool:
    """Is ``moment`` (aware) inside open time? Intervals include their start, not their end."""
    moment_utc = _utc(moment, "moment")
    if calendar.is_always:
        return True
    day = _local_day(calendar, moment_utc)
    for offset in (-1, 0, 1):
        for a, b in _day_spans(calendar, day + timedelta(days=offset)):
            if a <= moment_utc < b:
                return True
    return False


# --- clocks that stop: open time minus stopped stretches -----------------------------------

Stop = tuple[datetime, "datetime | None"]


def open_time(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Exact open time in ``[start, end)`` (to the microsecond); zero when ``end <= start``."""
    start_utc, end_utc = _utc(start, "start"), _utc(end, "end")
    if end_utc <= start_utc:
        return timedelta(0)
    if calendar.is_always:
        return end_utc - start_utc
    total = timedelta(0)
    day = _local_day(calendar, start_utc) - _ONE_DAY
    last = _local_day(calendar, end_utc) + _ONE_DAY
    while day <= last:
        for a, b in _day_spans(calendar, day):
            a, b = max(a, start_utc), min(b, end_utc)
            if b > a:
                total += b - a
        day += _ONE_DAY
    return total


def merge_stops(stops: Iterable[Stop]) -> list[Stop]:
    """The stretches in ``stops`` as sorted, non-overlapping UTC stretches.

    A stop is ``(start, end)``, half-open; an ``end`` of ``None`` means "still stopped" (to
    the end of time). Stops that touch or overlap are merged; empty ones are dropped.
    """
    items = []
    for a, b in stops:
        a = _utc(a, "stop start")
        b = None if b is None else _utc(b, "stop end")
        if b is None or b > a:
            items.append((a, b))
    items.sort(key=lambda s: s[0])
    merged: list[list] = []
    for a, b in items:
        if merged and (merged[-1][1] is None or a <= merged[-1][1]):
            if merged[-1][1] is not None:
                merged[-1][1] = None if b is None else max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def running_time(
    calendar: Calendar, start: datetime, end: datetime, stops: Iterable[Stop] = ()
) -> timedelta:
    """Open time in ``[start, end)`` during which the clock was not stopped (exact)."""
    start_utc, end_utc = _utc(start, "start"), _utc(end, "end")
    total = open_time(calendar, start_utc, end_utc)
    for a, b in merge_stops(stops):
        a, b = max(a, start_utc), end_utc if b is None else min(b, end_utc)
        if b > a:
            total -= open_time(calendar, a, b)
    return total


def add_running(
    calendar: Calendar,
    start: datetime,
    minutes: int,
    stops: Iterable[Stop] = (),
    *,
    latest: bool = False,
) -> datetime | None:
    """The earliest moment by which ``minutes`` of open, not stopped time have passed since
    ``start``: :func:`add_minutes` with the ``stops`` left out. ``None`` when an open-ended
    stop begins before the count runs out (the moment is not known yet).

    Like :func:`add_minutes`, a count that runs out exactly where a stop or a closing begins
    returns that moment, and ``minutes=0`` returns ``start``. With ``latest=True`` it returns
    instead the *last* moment at which no more than ``minutes`` have passed: the same moment,
    except that a count running out where the clock stops (closing time, a stop) gives the
    moment the clock runs again. ``running_time(c, start, t, stops) > minutes`` exactly when
    ``t`` is after that moment.
    """
    start_utc, minutes = _count_args(calendar, start, minutes)
    if minutes == 0:
        return start_utc
    remaining = timedelta(minutes=minutes)
    pending = [s for s in merge_stops(stops) if s[1] is None or s[1] > start_utc]
    if calendar.is_always:
        spans = _always_spans(start_utc)
    else:
        spans = _open_spans_from(calendar, start_utc)
    for a, b in spans:
        while a < b:
            while pending and pending[0][1] is not None and pending[0][1] <= a:
                pending.pop(0)
            if pending and pending[0][0] <= a:  # stopped at a
                if pending[0][1] is None:
                    return None
                a = min(pending[0][1], b)
                continue
            piece_end = min(b, pending[0][0]) if pending else b
            if remaining < piece_end - a or (remaining == piece_end - a and not latest):
                return a + remaining
            remaining -= piece_end - a
            a = piece_end
    raise AssertionError("unreachable")  # pragma: no cover - the generator never ends


def _always_spans(start: datetime):
    while True:
        yield start, start + timedelta(days=366)
        start += timedelta(days=366)
