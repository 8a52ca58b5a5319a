from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ticketdesk.core.inputs import IntField, parse_id
from ticketdesk.models import Role
from ticketdesk.tickets.forms import enum_choices


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=enum_choices(Role, "role"), default=Role.AGENT.value)
    team_ids = SelectMultipleField(
        _l("Teams"),
        coerce=parse_id,
        validate_choice=True,
        description=_l("Hold Ctrl (or ⌘) to pick several."),
    )
    active = BooleanField(_l("Active (can log in)"), default=True)


class NewUserForm(UserForm):
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(min=10, max=200)],
        render_kw={"autocomplete": "new-password"},
    )


class EditUserForm(UserForm):
    new_password = PasswordField(
        _l("Set a new password (optional)"),
        validators=[Optional(), Length(min=10, max=200)],
        render_kw={"autocomplete": "new-password"},
    )


class TeamForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=255)])


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    position = IntField(
        _l("Position in lists"),
        default=100,
        validators=[DataRequired(), NumberRange(min=0, max=100000)],
    )
    active = BooleanField(_l("Offered for new tickets"), default=True)


class ReleaseMailForm(FlaskForm):
    """Release a held message: as a new ticket, or onto the ticket a reference names."""

    target = RadioField(
        _l("Release"),
        default="new",
        choices=[
            SelectChoice("new", _l("as a new ticket")),
            SelectChoice("ticket", _l("onto an existing ticket")),
        ],
    )
    reference = StringField(
        _l("Ticket reference"),
        validators=[Length(max=24)],
        description=_l("For example TD-000123 (only when releasing onto an existing ticket)."),
    )

    def validate_reference(self, field) -> None:
        if self.target.data == "ticket" and not (field.data or "").strip():
            raise ValidationError(_l("Enter the reference of the ticket."))


class DiscardMailForm(FlaskForm):
    """Discard a held message (a button with its CSRF token)."""
