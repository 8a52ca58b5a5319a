from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ticketdesk.core.inputs import BoundedDateField


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me logged in on this device"))


class SettingsForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    timezone = SelectField(
        _l("Timezone"),
        validators=[DataRequired()],
        description=_l("All dates and times are shown in this timezone."),
    )


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=10, max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The passwords do not match.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class EmailChoicesForm(FlaskForm):
    """Which notification kinds also come by e-mail; the view passes the kinds as choices."""

    by_email = SelectMultipleField(
        _l("E-mail me about"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )


class AwayForm(FlaskForm):
    reason = SelectField(_l("Reason"), validators=[DataRequired()])
    back_on = BoundedDateField(
        _l("Back on"),
        validators=[Optional()],
        description=_l("The day you are back. Leave empty if you do not know yet."),
    )
    note = StringField(_l("Note for your lead"), validators=[Optional(), Length(max=200)])


__all__ = ["AwayForm", "Email", "EmailChoicesForm", "LoginForm", "PasswordForm", "SettingsForm"]
