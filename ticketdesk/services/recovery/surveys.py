"""Satisfaction surveys: sent when a ticket is resolved, answered once through a signed link.

The link carries ``{"s": survey id, "n": nonce}`` signed with the app's secret key
(itsdangerous, salt ``ticketdesk-survey``). A link works until its survey's
``expires_at``, and stops working once the survey is answered or replaced by the
survey of a later resolution. Answering is a conditional update, so two posts racing
on one link cannot both count. A score below the rules' ``reopen_below_score``
reopens the ticket for review: answering is a ticket use case, in
``services.tickets.survey_answers``.
"""

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ticketdesk.core import inputs, links
from ticketdesk.core.errors import DomainError, NotFound
from ticketdesk.extensions import db
from ticketdesk.models import (
    EventKind,
    Survey,
    Ticket,
    User,
)
from ticketdesk.services import timeline as events
from ticketdesk.services.recovery import rules as rules_module

SALT = "ticketdesk-survey"
COMMENT_MAX = 2000
SCORES = (1, 2, 3, 4, 5)
SCORE_WORDS = {
    1: _l("Very dissatisfied"),
    2: _l("Dissatisfied"),
    3: _l("Neither satisfied nor dissatisfied"),
    4: _l("Satisfied"),
    5: _l("Very satisfied"),
}
# The signature alone never outlives the longest validity the rules allow (plus a day);
# each survey's own ``expires_at`` is the real limit, checked against ``now``.
TOKEN_MAX_AGE = timedelta(days=rules_module.limits()["survey_valid_days"][1] + 1)


class SurveyNotFound(NotFound):
    """The link is damaged, signed with another key, or names no survey."""


class SurveyClosed(DomainError):
    """The link worked once but no longer takes an answer (the page says 410 Gone)."""

    def __init__(self, message: str, survey: Survey):
        super().__init__(message)
        self.survey = survey


class SurveyExpired(SurveyClosed):
    pass


class SurveySuperseded(SurveyClosed):
    pass


class SurveyAnswered(DomainError):
    """The survey has its answer already; ``survey`` shows it (409 to a second answer)."""

    def __init__(self, message: str, survey: Survey):
        super().__init__(message)
        self.survey = survey


# ----------------------------------------------------------------- links


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(survey: Survey) -> str:
    """The signed token of the survey's link: its nonce, signed and dated."""
    return _serializer().dumps({"n": survey.nonce})


def survey_url(survey: Survey) -> str:
    """The absolute link for e-mails."""
    return links.external_url("public.survey", token=token_for(survey))


def open_survey(token: str, *, now: datetime) -> Survey:
    """The survey a link points to, if it still takes an answer.

    Raises ``SurveyNotFound`` (bad or unknown link), ``SurveyAnswered``,
    ``SurveySuperseded`` or ``SurveyExpired``.
    """
    unknown = SurveyNotFound(
        _(
            "This survey link is not valid. Please check that you copied "
            "the whole link from our e-mail."
        )
    )
    if not token or len(token) > 300:
        raise unknown
    try:
        payload = _serializer().loads(token, max_age=int(TOKEN_MAX_AGE.total_seconds()))
    except SignatureExpired:
        raise SurveyExpired(_("This survey link has expired."), survey=None) from None
    except BadSignature:
        raise unknown from None
    if not isinstance(payload, dict) or not isinstance(payload.get("n"), str):
        raise unknown
    survey = db.session.scalar(sa.select(Survey).where(Survey.nonce == payload["n"]))
    if survey is None:
        raise unknown
    if survey.answered_at is not None:
        raise already_answered_error(survey)
    if survey.superseded_at is not None:
        raise superseded_error(survey)
    if survey.expires_at <= now:
        raise SurveyExpired(_("This survey link has expired."), survey)
    return survey


def already_answered_error(survey: Survey) -> SurveyAnswered:
    return SurveyAnswered(_("You have already answered this survey. Thank you!"), survey)


def superseded_error(survey: Survey) -> SurveySuperseded:
    return SurveySuperseded(
        _("A newer survey was sent for this complaint: please use the link in our latest e-mail."),
        survey,
    )


def is_open(survey: Survey | None, *, now: datetime) -> bool:
    """Whether the survey still takes an answer."""
    return (
        survey is not None
        and survey.answered_at is None
        and survey.superseded_at is None
        and survey.expires_at > now
    )


def score_text(score: int) -> str:
    return _("%(score)d of 5 (%(words)s)", score=score, words=SCORE_WORDS[score])


# ----------------------------------------------------------------- sending (no commit)


def send_on_resolve(ticket: Ticket, *, now: datetime, actor: User | None = None) -> Survey | None:
    """Make the survey of a resolution (inside the caller's transaction).

    Earlier surveys of the ticket that were never answered stop working. Without a
    contact e-mail address no survey is made and None is returned. The invitation goes
    out in the resolution message (``tickets.outgoing.queue_resolution``), under the dedupe key
    ``survey:<nonce>``, so a survey is e-mailed once.
    """
    contact = ticket.contact
    email = inputs.normalise_email(contact.email) if contact is not None else None
    if not email:
        return None
    # Nothing here needs the pending changes written first: a ticket resolved again and
    # again inside one transaction (the demo's history) stays cheap.
    with db.session.no_autoflush:
        rules = rules_module.current()
        for earlier in ticket.surveys:
            if earlier.answered_at is None and earlier.superseded_at is None:
                earlier.superseded_at = now
        survey = Survey(
            ticket=ticket,
            contact_id=contact.id,
            email=email,
            nonce=secrets.token_urlsafe(24),
            sent_at=now,
            expires_at=now + timedelta(days=rules.survey_valid_days),
            comment="",
        )
        db.session.add(survey)
    events.record(
        ticket,
        EventKind.SURVEY,
        now=now,
        actor=actor,
        body=_("Satisfaction survey sent to %(email)s.", email=email),
    )
    return survey


# ----------------------------------------------------------------- reading


def latest_for(ticket_ids) -> dict[int, Survey]:
    """Per ticket: its latest answered survey, else its latest survey still in force.

    One query. Tickets without such a survey are missing from the result.
    """
    ids = list(set(ticket_ids))
    if not ids:
        return {}
    rows = db.session.scalars(
        sa.select(Survey)
        .where(
            Survey.ticket_id.in_(ids),
            sa.or_(Survey.answered_at.is_not(None), Survey.superseded_at.is_(None)),
        )
        .order_by(Survey.ticket_id, Survey.id)
    )
    answered: dict[int, Survey] = {}
    pending: dict[int, Survey] = {}
    for survey in rows:
        target = answered if survey.answered_at is not None else pending
        target[survey.ticket_id] = survey  # ordered by id: the last one wins
    return {**pending, **answered}
