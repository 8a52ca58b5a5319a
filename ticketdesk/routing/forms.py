"""Forms of the routing screens. Choices that come from the database are set by the views."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ticketdesk.core.inputs import BoundedDateField, optional_id, parse_id
from ticketdesk.models import (
    AssignStrategy,
    AwayReason,
    CauseSide,
    Channel,
    CustomerTier,
    NotifyTarget,
    Severity,
    Standing,
    TicketKind,
)
from ticketdesk.tickets.forms import enum_choices

NAME_MAX = 120
KEYWORDS_TEXT_MAX = 2000
NOTE_MAX = 200


def optional_int(value):
    """ "" (the empty choice) → None; anything else must be an id."""
    return optional_id(value)


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes (templates/routing/form.html renders it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _checks(label, choices=None, **kwargs):
    return MultiCheckboxField(label, choices=choices, validators=[Optional()], **kwargs)


class RuleForm(FlaskForm):
    """One routing rule: a ``RuleData`` (field names equal its attributes)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    active = BooleanField(_l("In use"), default=True)
    continue_after = BooleanField(
        _l("Then continue with the next rules"),
        description=_l("Off: routing stops at this rule when it matches."),
    )

    kinds = _checks(_l("Kinds"), enum_choices(TicketKind, "kind"))
    severities = _checks(_l("Severities"), enum_choices(Severity, "severity"))
    channels = _checks(_l("Received by"), enum_choices(Channel, "channel"))
    tiers = _checks(_l("Customer tiers"), enum_choices(CustomerTier, "tier"))
    standings = _checks(_l("Customer standings"), enum_choices(Standing, "standing"))
    cause_sides = _checks(_l("Cause side"), enum_choices(CauseSide, "cause_side"))
    categories = _checks(_l("Categories"))  # category slugs; choices: set by the view
    keywords = TextAreaField(
        _l("Keywords"),
        validators=[Optional(), Length(max=KEYWORDS_TEXT_MAX)],
        render_kw={"rows": 3},
        description=_l(
            "Separate them with commas or new lines. The rule matches when any of "
            "them appears in the subject or description (case does not matter)."
        ),
    )

    team_id = SelectField(_l("Send to team"), coerce=optional_int, validate_choice=False)
    strategy = SelectField(
        _l("Then assign to"),
        choices=enum_choices(AssignStrategy, "strategy"),
        default=AssignStrategy.NONE.value,
    )
    assignee_id = SelectField(
        _l("Named person"),
        coerce=optional_int,
        validate_choice=False,
        description=_l("Only for “A named person”: a member of the team."),
    )
    raise_severity = SelectField(
        _l("Raise severity to"),
        choices=[SelectChoice("", _l("Leave as it is"))] + enum_choices(Severity, "severity"),
        default="",
        description=_l("Severity only goes up, never down."),
    )
    watch_account_manager = BooleanField(_l("The customer's account manager watches the ticket"))
    watch_lead = BooleanField(_l("A lead of the team watches the ticket"))
    notify = _checks(_l("Notify"), enum_choices(NotifyTarget, "notify"))


class MoveForm(FlaskForm):
    direction = SelectField(
        choices=[SelectChoice("up", _l("Up")), SelectChoice("down", _l("Down"))],
        validators=[DataRequired()],
    )


class FallbackForm(FlaskForm):
    team_id = SelectField(_l("Fallback team"), coerce=optional_int, validate_choice=False)


class DryRunForm(FlaskForm):
    """A made-up ticket for the dry run; sent by GET, so the result can be bookmarked."""

    class Meta:
        csrf = False

    ticket = StringField(
        _l("Take the sample from ticket"),
        validators=[Optional(), Length(max=20)],
        render_kw={"placeholder": "TD-000123"},
        description=_l("Optional: a ticket reference; its details replace the ones below."),
    )
    kind = SelectField(
        _l("Kind"), choices=enum_choices(TicketKind, "kind"), default=TicketKind.COMPLAINT.value
    )
    category_id = SelectField(_l("Category"), coerce=optional_int, validate_choice=False)
    severity = SelectField(
        _l("Severity"), choices=enum_choices(Severity, "severity"), default=Severity.P3.value
    )
    channel = SelectField(
        _l("Received by"), choices=enum_choices(Channel, "channel"), default=Channel.WEB.value
    )
    tier = SelectField(
        _l("Customer tier"),
        choices=enum_choices(CustomerTier, "tier"),
        default=CustomerTier.STANDARD.value,
    )
    standing = SelectField(
        _l("Customer standing"),
        choices=enum_choices(Standing, "standing"),
        default=Standing.QUALIFICATION_PENDING.value,
    )
    cause_side = SelectField(
        _l("Cause side"),
        choices=enum_choices(CauseSide, "cause_side"),
        default=CauseSide.UNKNOWN.value,
    )
    account_manager_id = SelectField(
        _l("Account manager of the customer"), coerce=optional_int, validate_choice=False
    )
    subject = StringField(_l("Subject"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 3}
    )


class AwayForm(FlaskForm):
    reason = SelectField(
        _l("Reason"), choices=enum_choices(AwayReason, "away"), default=AwayReason.HOLIDAY.value
    )
    back_on = BoundedDateField(
        _l("Back on"), validators=[Optional()], description=_l("Empty: until marked back.")
    )
    note = StringField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX)])


class BackForm(FlaskForm):
    pass


class BulkRerouteForm(FlaskForm):
    ticket_ids = SelectMultipleField(_l("Tickets"), coerce=parse_id, validate_choice=False)
