from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from ticketdesk.core.inputs import IntField, parse_id
from ticketdesk.models import Role
from ticketdesk.tickets.forms import enum_choices


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=enum_choices(Role, "role"), default=Role.AGENT.value)
    team_ids = SelectMultipleField(_l("Teams"), coerce=parse_id, validate_choice=True,
                                   description=_l("Hold Ctrl (or ⌘) to pick several."))
    active = BooleanField(_l("Active (can log in)"), default=True)


class NewUserForm(UserForm):
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=10, max=200)],
                             render_kw={"autocomplete": "new-password"})


class EditUserForm(UserForm):
    new_password = PasswordField(_l("Set a new password (optional)"),
                                 validators=[Optional(), Length(min=10, max=200)],
                                 render_kw={"autocomplete": "new-password"})


class TeamForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=255)])


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    position = IntField(_l("Position in lists"), default=100,
                            validators=[DataRequired(), NumberRange(min=0, max=100000)])
    active = BooleanField(_l("Offered for new tickets"), default=True)
