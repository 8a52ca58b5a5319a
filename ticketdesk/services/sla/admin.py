"""Managing service levels (leads and administrators): SLA policies and business calendars.

How policies apply to tickets lives in ``ticketdesk.services.sla.clocks``. A change here applies to
tickets logged afterwards; tickets under way keep the due times they were given until those
are next worked out (a stop of their clocks ends, or their severity or kind changes), which
then follow the edited policy and calendar (docs/rules.md, "Service levels").
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from ticketdesk import conditions
from ticketdesk.core.errors import DomainError, PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    BusinessCalendar,
    CalendarHoliday,
    Role,
    SlaPolicy,
    User,
)
from ticketdesk.services.sla.business_time import Calendar

EDITOR_ROLES = (Role.LEAD, Role.ADMIN)
POLICY_NAME_MAX = 120
CALENDAR_NAME_MAX = 80
TIMEZONE_MAX = 64
HOLIDAY_NAME_MAX = 120
HOLIDAYS_MAX = 366
TARGET_MAX_MINUTES = 365 * 24 * 60  # a year: anything longer is a typo
TARGETS = (
    "first_response_minutes",
    "next_response_minutes",
    "remedy_minutes",
    "resolution_minutes",
)
REQUIRED_TARGETS = ("first_response_minutes", "resolution_minutes")
_INTERVAL_RE = re.compile(r"^(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})$")


@dataclass(frozen=True)
class PolicyData:
    name: str
    active: bool = True
    kinds: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    calendar_id: int | None = None  # None: around the clock (24/7)
    first_response_minutes: int | None = None
    next_response_minutes: int | None = None
    remedy_minutes: int | None = None
    resolution_minutes: int | None = None
    at_risk_percent: int | None = 75
    escalate_notify_lead: bool = True
    escalate_raise_severity: bool = False
    escalate_reassign: bool = False


@dataclass(frozen=True)
class CalendarData:
    name: str
    timezone: str
    hours_text: tuple[str, ...] = ("",) * 7  # Monday..Sunday: "09:00-12:30, 13:30-17:00"
    holidays_text: str = ""  # lines "YYYY-MM-DD Name"


def _require_editor(actor: User) -> None:
    if actor.role not in EDITOR_ROLES:
        raise PermissionDenied(_("Only leads and administrators manage service levels."))


# ----------------------------------------------------------------- policies


def _policy_conditions(data: PolicyData) -> dict:
    return conditions.validate(
        {key: getattr(data, key) for key in conditions.SLA_KEYS}, conditions.SLA_KEYS
    )


def _validate_policy(
    data: PolicyData, *, policy: SlaPolicy | None
) -> tuple[dict, BusinessCalendar | None]:
    name = (data.name or "").strip()
    if not name:
        raise DomainError(_("Give the policy a name."), field="name")
    if len(name) > POLICY_NAME_MAX:
        raise DomainError(
            _("Keep the name under %(n)s characters.", n=POLICY_NAME_MAX), field="name"
        )
    clash = db.session.scalar(
        sa.select(SlaPolicy.id).where(sa.func.lower(SlaPolicy.name) == name.lower())
    )
    if clash is not None and (policy is None or clash != policy.id):
        raise DomainError(_("Another policy has this name."), field="name")
    conditions = _policy_conditions(data)
    calendar = None
    if data.calendar_id is not None:
        calendar = db.session.get(BusinessCalendar, data.calendar_id)
        if calendar is None:
            raise DomainError(_("No such calendar."), field="calendar_id")
    for target in TARGETS:
        value = getattr(data, target)
        if value is None:
            if target in REQUIRED_TARGETS:
                raise DomainError(_("Set this target."), field=target)
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise DomainError(_("Use a whole number of minutes above zero."), field=target)
        if value > TARGET_MAX_MINUTES:
            raise DomainError(_("Keep targets under a year."), field=target)
    percent = data.at_risk_percent
    if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 99:
        raise DomainError(_("Use a whole percentage from 1 to 99."), field="at_risk_percent")
    if policy is not None and policy.is_default and not data.active:
        raise DomainError(
            _("The default policy stays in use; make another policy the default first."),
            field="active",
        )
    return conditions, calendar


def _fill_policy(
    policy: SlaPolicy,
    data: PolicyData,
    conditions: dict,
    calendar: BusinessCalendar | None,
    now: datetime,
) -> None:
    policy.name = data.name.strip()
    policy.active = data.active
    policy.conditions = conditions
    policy.calendar = calendar
    for target in TARGETS:
        setattr(policy, target, getattr(data, target))
    policy.at_risk_percent = data.at_risk_percent
    policy.escalate_notify_lead = data.escalate_notify_lead
    policy.escalate_raise_severity = data.escalate_raise_severity
    policy.escalate_reassign = data.escalate_reassign
    policy.updated_at = now


def create_policy(*, actor: User, data: PolicyData, now: datetime) -> SlaPolicy:
    """Add a policy. It applies to tickets logged from now on."""
    _require_editor(actor)
    conditions, calendar = _validate_policy(data, policy=None)
    with unit_of_work():
        policy = SlaPolicy(is_default=False, created_at=now)
        _fill_policy(policy, data, conditions, calendar, now)
        db.session.add(policy)
    return policy


def update_policy(policy: SlaPolicy, *, actor: User, data: PolicyData, now: datetime) -> SlaPolicy:
    """Change a policy. Tickets under way keep their due times; new tickets get the change."""
    _require_editor(actor)
    conditions, calendar = _validate_policy(data, policy=policy)
    with unit_of_work():
        _fill_policy(policy, data, conditions, calendar, now)
    return policy


def make_default(policy: SlaPolicy, *, actor: User) -> SlaPolicy:
    """Make ``policy`` the one that applies when no other policy matches."""
    _require_editor(actor)
    if not policy.active:
        raise DomainError(_("Put the policy in use before making it the default."), field="active")
    with unit_of_work():
        db.session.execute(
            sa.update(SlaPolicy)
            .where(SlaPolicy.is_default.is_(True), SlaPolicy.id != policy.id)
            .values(is_default=False)
        )
        db.session.flush()
        policy.is_default = True
    return policy


def list_policies() -> list[SlaPolicy]:
    return list(
        db.session.scalars(
            sa.select(SlaPolicy).order_by(SlaPolicy.is_default.desc(), SlaPolicy.name)
        )
    )


# ----------------------------------------------------------------- calendars


def parse_day(text: str, weekday: int) -> list[list[str]]:
    """ "09:00-12:30, 13:30-17:00" → [["09:00", "12:30"], ["13:30", "17:00"]] ("" → closed)."""
    field = f"hours_{weekday}"
    pairs = []
    for part in re.split(r"[,;\n]", text or ""):
        part = part.strip()
        if not part:
            continue
        match = _INTERVAL_RE.match(part)
        if match is None:
            raise DomainError(
                _("“%(part)s” is not a time range; write it like 09:00-17:00.", part=part),
                field=field,
            )
        pairs.append([match[1].zfill(5), match[2].zfill(5)])
    try:
        Calendar.from_spec("UTC", {str(weekday): pairs})
    except ValueError as exc:
        raise DomainError(_("Opening hours: %(problem)s", problem=str(exc)), field=field) from exc
    return pairs


def day_text(pairs: list) -> str:
    """[["09:00", "12:30"], ["13:30", "17:00"]] → "09:00-12:30, 13:30-17:00"."""
    return ", ".join(f"{start}-{end}" for start, end in pairs or [])


def parse_holidays(text: str) -> dict[date, str]:
    """Lines "YYYY-MM-DD Name" (the name may be left out) → {day: name}; blank lines skipped."""
    holidays: dict[date, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        day_part, _sep, name = line.partition(" ")
        try:
            day = date.fromisoformat(day_part.strip())
        except ValueError:
            raise DomainError(
                _(
                    "Line %(n)s: “%(text)s” is not a date; start the line with YYYY-MM-DD.",
                    n=number,
                    text=day_part,
                ),
                field="holidays_text",
            ) from None
        name = name.strip()
        if len(name) > HOLIDAY_NAME_MAX:
            raise DomainError(
                _(
                    "Line %(n)s: keep the name under %(max)s characters.",
                    n=number,
                    max=HOLIDAY_NAME_MAX,
                ),
                field="holidays_text",
            )
        if day in holidays:
            raise DomainError(
                _("Line %(n)s: %(day)s is listed twice.", n=number, day=day.isoformat()),
                field="holidays_text",
            )
        holidays[day] = name
    if len(holidays) > HOLIDAYS_MAX:
        raise DomainError(_("List at most %(n)s holidays.", n=HOLIDAYS_MAX), field="holidays_text")
    return holidays


def holidays_text(calendar: BusinessCalendar) -> str:
    return "\n".join(f"{h.day.isoformat()} {h.name}".rstrip() for h in calendar.holidays)


def _validate_calendar(
    data: CalendarData, *, calendar: BusinessCalendar | None
) -> tuple[str, str, dict, dict[date, str]]:
    name = (data.name or "").strip()
    if not name:
        raise DomainError(_("Give the calendar a name."), field="name")
    if len(name) > CALENDAR_NAME_MAX:
        raise DomainError(
            _("Keep the name under %(n)s characters.", n=CALENDAR_NAME_MAX), field="name"
        )
    clash = db.session.scalar(
        sa.select(BusinessCalendar.id).where(sa.func.lower(BusinessCalendar.name) == name.lower())
    )
    if clash is not None and (calendar is None or clash != calendar.id):
        raise DomainError(_("Another calendar has this name."), field="name")
    timezone = (data.timezone or "").strip()
    if not timezone:
        raise DomainError(_("Choose a timezone, like Europe/Berlin."), field="timezone")
    if len(timezone) > TIMEZONE_MAX:
        raise DomainError(_("Unknown timezone."), field="timezone")
    try:
        Calendar.from_spec(timezone, {})
    except ValueError as exc:
        raise DomainError(_("Timezone: %(problem)s", problem=str(exc)), field="timezone") from exc
    hours_text = tuple(data.hours_text)
    if len(hours_text) != 7:
        raise DomainError(_("Give the hours of all seven days."), field="hours_0")
    spec = {str(weekday): parse_day(text, weekday) for weekday, text in enumerate(hours_text)}
    if not any(spec.values()):
        raise DomainError(_("The calendar must be open on at least one day."), field="hours_0")
    holidays = parse_holidays(data.holidays_text)
    try:
        spec = Calendar.from_spec(timezone, spec, holidays=list(holidays)).to_spec()
    except ValueError as exc:  # each part was checked above; kept as a safety net
        raise DomainError(
            _("Opening hours: %(problem)s", problem=str(exc)), field="hours_0"
        ) from exc
    return name, timezone, spec, holidays


def _fill_calendar(
    calendar: BusinessCalendar, name: str, timezone: str, spec: dict, holidays: dict[date, str]
) -> None:
    calendar.name, calendar.timezone, calendar.hours = name, timezone, spec
    # Update in place (not delete-and-insert), so the unique (calendar, day) index holds.
    existing = {h.day: h for h in calendar.holidays}
    for day, holiday in existing.items():
        if day not in holidays:
            calendar.holidays.remove(holiday)
        else:
            holiday.name = holidays[day]
    for day, holiday_name in holidays.items():
        if day not in existing:
            calendar.holidays.append(CalendarHoliday(day=day, name=holiday_name))


def create_calendar(*, actor: User, data: CalendarData, now: datetime) -> BusinessCalendar:
    _require_editor(actor)
    name, timezone, spec, holidays = _validate_calendar(data, calendar=None)
    with unit_of_work():
        calendar = BusinessCalendar(created_at=now)
        _fill_calendar(calendar, name, timezone, spec, holidays)
        db.session.add(calendar)
    return calendar


def update_calendar(
    calendar: BusinessCalendar, *, actor: User, data: CalendarData, now: datetime
) -> BusinessCalendar:
    """Change a calendar. Tickets under way keep their due times; new tickets use the change."""
    _require_editor(actor)
    name, timezone, spec, holidays = _validate_calendar(data, calendar=calendar)
    with unit_of_work():
        _fill_calendar(calendar, name, timezone, spec, holidays)
    return calendar


def list_calendars() -> list[BusinessCalendar]:
    return list(db.session.scalars(sa.select(BusinessCalendar).order_by(BusinessCalendar.name)))


def calendar_choices() -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in list_calendars()]
