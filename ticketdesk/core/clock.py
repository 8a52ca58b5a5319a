"""Days and timezones, the one way: every computation uses ``zoneinfo``.

Flask-Babel's ``get_timezone()`` returns a *pytz* zone. Given to a ``datetime`` constructor
(``datetime.combine(..., tzinfo=...)``, ``datetime(..., tzinfo=...)``, ``.replace(tzinfo=...)``)
a pytz zone applies its first historical offset, the local mean time (Berlin +0:53, not
+1:00), so a day cut that way starts at the wrong minute. Nothing in the application calls
``get_timezone()`` but ``user_zone`` below, which hands back the same zone as a
``zoneinfo.ZoneInfo``; ``tests/test_days_timezones.py`` scans the package to keep it so.

A *day* ``d`` in zone ``z`` is the half-open span ``[day_start(d, z), day_start(d + 1, z))``:
23 or 25 hours on the days the clocks change, 24 otherwise.
"""

from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context
from flask_babel import get_timezone


def zone(value: "str | tzinfo | None") -> tzinfo:
    """``value`` as a zone that is safe in datetime constructors: a ``ZoneInfo`` for a name
    or a pytz zone, ``timezone.utc`` for UTC or nothing. Fixed offsets
    (``datetime.timezone``) and ``ZoneInfo`` pass through unchanged."""
    if value is None:
        return UTC
    if isinstance(value, (ZoneInfo, timezone)):
        return value
    name = (
        value
        if isinstance(value, str)
        else getattr(value, "zone", None) or getattr(value, "key", None)
    )
    if not name:
        raise TypeError(f"Not a usable timezone: {value!r}")
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Unknown timezone: {name!r}") from exc


def desk_zone() -> tzinfo:
    """The desk's zone (``BABEL_DEFAULT_TIMEZONE``); UTC outside an application."""
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return zone(name or "UTC")


def user_zone() -> tzinfo:
    """The current user's zone (their setting, else the desk's), as ``zoneinfo``."""
    try:
        return zone(get_timezone())
    except ValueError:
        return desk_zone()


def day_start(day: date, tz: "str | tzinfo | None") -> datetime:
    """The first moment of ``day`` in ``tz`` (aware; compare it with UTC columns freely)."""
    return datetime.combine(day, time.min, tzinfo=zone(tz))


def day_span(first: date, last: date, tz: "str | tzinfo | None") -> tuple[datetime, datetime]:
    """``[since, until)`` covering the whole days ``first`` to ``last`` (both included)."""
    return day_start(first, tz), day_start(last + timedelta(days=1), tz)


def local_date(moment: datetime, tz: "str | tzinfo | None") -> date:
    """The calendar day of the aware ``moment`` in ``tz``."""
    return moment.astimezone(zone(tz)).date()


def desk_day_start(day: date) -> datetime:
    """The first moment of the desk's ``day`` (local midnight in the desk's zone)."""
    return day_start(day, desk_zone())


def desk_date(moment: datetime) -> date:
    """The calendar day of ``moment`` where the desk is (orders carry days, not times)."""
    return local_date(moment, desk_zone())
