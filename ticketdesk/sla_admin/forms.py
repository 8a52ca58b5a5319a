"""Forms of the service-level screens. Calendar choices come from the database (set by views)."""

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import TextInput

from ticketdesk.core.inputs import IntField
from ticketdesk.models import CustomerTier, Severity, TicketKind
from ticketdesk.routing.forms import MultiCheckboxField, optional_int
from ticketdesk.tickets.forms import enum_choices

# At most nine digits in each part: anything longer is no target (the service keeps
# targets under a year) and must not reach int() or the arithmetic below.
_DURATION_RE = re.compile(
    r"^(?:(?P<h>[0-9]{1,9}(?:[.,][0-9]{1,9})?)\s*h(?:ours?)?)?\s*"
    r"(?:(?P<m>[0-9]{1,9})\s*m(?:in(?:utes?)?)?)?$",
    re.I,
)
_CLOCK_RE = re.compile(r"^([0-9]{1,9}):([0-5][0-9])$")


def parse_duration(text: str) -> int | None:
    """ "4h", "1h 30m", "45m", "1:30" or "2" (hours) → minutes; "" → None.

    Raises ``ValueError`` for anything else, or for a part of a minute.
    """
    text = (text or "").strip()
    if not text:
        return None
    if (clock := _CLOCK_RE.match(text)) is not None:
        return int(clock[1]) * 60 + int(clock[2])
    if re.fullmatch(r"[0-9]+(?:[.,][0-9]+)?", text):
        text += "h"
    match = _DURATION_RE.match(text)
    if match is None or not (match["h"] or match["m"]):
        raise ValueError(_l("Write a duration like 4h, 1h 30m, 45m or 1:30."))
    hours = Decimal(match["h"].replace(",", ".")) if match["h"] else Decimal(0)
    minutes = hours * 60 + int(match["m"] or 0)
    if minutes != minutes.to_integral_value():
        raise ValueError(_l("Use whole minutes."))
    return int(minutes)


def format_duration(minutes: int | None) -> str:
    """The form's text for ``minutes``: 270 → "4h 30m", 240 → "4h", 45 → "45m"."""
    if not minutes:
        return ""
    hours, rest = divmod(minutes, 60)
    return " ".join(
        part for part in (f"{hours}h" if hours else "", f"{rest}m" if rest else "") if part
    )


class DurationField(Field):
    """A target typed as hours and minutes; ``data`` holds whole minutes (or None)."""

    widget = TextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_duration(self.data)

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = None
            self.data = parse_duration(valuelist[0])


def _checks(label, choices):
    return MultiCheckboxField(label, choices=choices, validators=[Optional()])


DURATION_HELP = _l(
    "Hours and minutes, like 4h, 1h 30m, 45m or 1:30. A plain number counts as hours."
)


class PolicyForm(FlaskForm):
    """One SLA policy: a ``PolicyData`` (targets typed as durations, stored as minutes)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    active = BooleanField(_l("In use"), default=True)
    kinds = _checks(_l("Kinds"), enum_choices(TicketKind, "kind"))
    severities = _checks(_l("Severities"), enum_choices(Severity, "severity"))
    tiers = _checks(_l("Customer tiers"), enum_choices(CustomerTier, "tier"))
    calendar_id = SelectField(
        _l("Clock runs"),
        coerce=optional_int,
        validate_choice=False,
        description=_l("Only during a calendar's opening hours, or around the clock."),
    )
    first_response_minutes = DurationField(
        _l("First response within"), validators=[InputRequired()], description=DURATION_HELP
    )
    next_response_minutes = DurationField(
        _l("Next response within"),
        validators=[Optional()],
        description=_l("Optional: after each customer message that follows our answer."),
    )
    remedy_minutes = DurationField(
        _l("Make-whole delivered within"), validators=[Optional()], description=_l("Optional.")
    )
    resolution_minutes = DurationField(
        _l("Resolution within"), validators=[InputRequired()], description=DURATION_HELP
    )
    at_risk_percent = IntField(
        _l("At risk after (% of the target used)"),
        default=75,
        validators=[InputRequired(), NumberRange(min=1, max=99)],
    )
    escalate_notify_lead = BooleanField(_l("Notify the leads"), default=True)
    escalate_raise_severity = BooleanField(_l("Raise the severity one step"))
    escalate_reassign = BooleanField(_l("Re-route the ticket by the rules"))


class DefaultForm(FlaskForm):
    pass


WEEKDAYS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)


def _day(index: int) -> StringField:
    return StringField(
        WEEKDAYS[index],
        validators=[Optional(), Length(max=200)],
        render_kw={"placeholder": "09:00-12:30, 13:30-17:00"},
    )


class CalendarForm(FlaskForm):
    """One business calendar: a ``CalendarData``."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    timezone = StringField(
        _l("Timezone"),
        validators=[DataRequired(), Length(max=64)],
        render_kw={"placeholder": "Europe/Berlin"},
        description=_l("An IANA timezone name, like Europe/Berlin."),
    )
    hours_0, hours_1, hours_2, hours_3 = _day(0), _day(1), _day(2), _day(3)
    hours_4, hours_5, hours_6 = _day(4), _day(5), _day(6)
    holidays_text = TextAreaField(
        _l("Holidays"),
        validators=[Optional(), Length(max=20000)],
        render_kw={"rows": 6},
        description=_l(
            "One a line: the date, then its name, like “2026-12-25 Christmas Day”. "
            "The clock stops for the whole day."
        ),
    )

    def day_fields(self):
        return [self[f"hours_{i}"] for i in range(7)]
