from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from ticketdesk.core.inputs import choice_id
from ticketdesk.services.recovery import surveys


class ComplaintForm(FlaskForm):
    name = StringField(
        _l("Your name"),
        validators=[DataRequired(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("Your e-mail address"),
        validators=[DataRequired(), Email(), Length(max=254)],
        render_kw={"autocomplete": "email"},
        description=_l("We answer here and send you a private link to follow your complaint."),
    )
    company = StringField(
        _l("Company (if you buy for a business)"),
        validators=[Optional(), Length(max=160)],
        render_kw={"autocomplete": "organization"},
    )
    order_reference = StringField(_l("Order number"), validators=[Optional(), Length(max=64)])
    category_id = SelectField(
        _l("What kind of problem is it?"), coerce=choice_id, validate_choice=False
    )
    description = TextAreaField(
        _l("What happened?"),
        validators=[DataRequired(), Length(min=10, max=20000)],
        render_kw={"rows": 7},
    )
    attachments = MultipleFileField(
        _l("Photos or documents (optional)"),
        description=_l("Images, PDF, text or e-mail files, up to 10 MB each, at most 5."),
    )
    # Honeypot: hidden from people, filled in by bots.
    website = StringField(_l("Leave this field empty"), validators=[Optional()])


class FollowUpForm(FlaskForm):
    body = TextAreaField(
        _l("Your message"), validators=[DataRequired(), Length(max=20000)], render_kw={"rows": 5}
    )
    attachments = MultipleFileField(_l("Photos or documents (optional)"))


def _score(value) -> int | None:
    """Radio value → whole number; nothing chosen stays None (the service says what is missing)."""
    if value in (None, ""):
        return None
    return int(value)


class SurveyForm(FlaskForm):
    score = RadioField(
        _l("How happy are you with the way we handled your complaint?"),
        coerce=_score,
        validate_choice=False,
        invalid_value_message=_l("Choose a score from 1 to 5."),
    )
    comment = TextAreaField(
        _l("Anything you would like to tell us? (optional)"),
        validators=[Optional(), Length(max=surveys.COMMENT_MAX)],
        render_kw={"rows": 4, "maxlength": surveys.COMMENT_MAX},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.score.choices = [(n, f"{n} – {surveys.SCORE_WORDS[n]}") for n in surveys.SCORES]
