"""The customer's answer to a satisfaction survey: the ticket use case behind the survey link.

Public: ``answer`` (one transaction). The survey itself (its link, its validity, the
survey made on resolution) is ``services.recovery.surveys``. Answering is a conditional
update, so two posts racing on one link cannot both count; a score below the rules'
``reopen_below_score`` reopens a resolved or closed ticket for review.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ticketdesk.core import ratelimit
from ticketdesk.core.errors import DomainError, RateLimited
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import EventKind, NotificationKind, Survey, Ticket, TicketStatus
from ticketdesk.services import timeline as events
from ticketdesk.services.notifications import notifications
from ticketdesk.services.recovery import rules as rules_module
from ticketdesk.services.recovery import surveys
from ticketdesk.services.routing import engine as routing
from ticketdesk.services.tickets import lifecycle

# Tickets whose survey answer may reopen them.
_REOPENABLE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


@dataclass(frozen=True)
class Answer:
    survey: Survey
    reopened: bool


def _check_answer(score, comment: str | None) -> tuple[int, str]:
    if isinstance(score, str) and score.strip().isdigit():
        score = int(score)
    if not isinstance(score, int) or isinstance(score, bool) or score not in surveys.SCORES:
        raise DomainError(_("Choose a score from 1 to 5."), field="score")
    comment = (comment or "").strip()
    if len(comment) > surveys.COMMENT_MAX:
        raise DomainError(
            _(
                "Please keep the comment to %(maximum)d characters or fewer.",
                maximum=surveys.COMMENT_MAX,
            ),
            field="comment",
        )
    return score, comment


def _claim_answer(survey_id: int, *, score: int, comment: str, now: datetime) -> bool:
    """Store the answer unless the survey has one (or was replaced): True when stored.

    A conditional UPDATE: of two requests answering at once, only one matches the row.
    """
    result = db.session.execute(
        sa.update(Survey)
        .where(Survey.id == survey_id, Survey.answered_at.is_(None), Survey.superseded_at.is_(None))
        .values(answered_at=now, score=score, comment=comment)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _rate_key(ip: str) -> str:
    return f"survey:{ip}"


def _limit_message() -> str:
    return _(
        "We have received many answers from your network in the last hour. "
        "Please try again a little later."
    )


def answer(token: str, *, score, comment: str, now: datetime, ip: str = "unknown") -> Answer:
    """The customer answers the survey behind ``token`` (no login). One transaction.

    Records the score and comment, writes the timeline, and reopens a resolved or closed
    ticket for review when the score is below the rules' ``reopen_below_score``; its
    assignee (or the team's leads) hears about it.
    """
    cfg = current_app.config
    if ratelimit.is_limited(
        _rate_key(ip),
        limit=int(cfg["PUBLIC_RATE_LIMIT"]),
        window_seconds=int(cfg["PUBLIC_RATE_WINDOW_SECONDS"]),
        now=now,
    ):
        raise RateLimited(_limit_message())
    survey = surveys.open_survey(token, now=now)
    score, comment = _check_answer(score, comment)
    rules = rules_module.current()
    threshold = rules.reopen_below_score
    try:
        with unit_of_work():
            if not _claim_answer(survey.id, score=score, comment=comment, now=now):
                raise _LostRace()
            db.session.refresh(survey)
            ticket = survey.ticket
            body = _("Satisfaction %(score)s.", score=surveys.score_text(score))
            if comment:
                body += "\n" + comment
            events.record(
                ticket,
                EventKind.SURVEY,
                now=now,
                actor=None,
                by_customer=True,
                body=body,
                new=str(score),
            )
            reopened = threshold is not None and score < threshold and ticket.status in _REOPENABLE
            if reopened:
                _reopen_for_review(ticket, survey, score=score, comment=comment, now=now)
            if (
                ratelimit.acquire(
                    [
                        ratelimit.Limit(
                            _rate_key(ip),
                            int(cfg["PUBLIC_RATE_LIMIT"]),
                            int(cfg["PUBLIC_RATE_WINDOW_SECONDS"]),
                        )
                    ],
                    now=now,
                )
                is None
            ):
                raise RateLimited(_limit_message())
    except _LostRace:
        # Rolled back, so ``survey`` reloads what the other request stored.
        raise (
            surveys.already_answered_error(survey)
            if survey.answered_at is not None
            else surveys.superseded_error(survey)
        ) from None
    return Answer(survey=survey, reopened=reopened)


class _LostRace(Exception):
    """Another request answered (or replaced) the survey first."""


def _reopen_for_review(
    ticket: Ticket, survey: Survey, *, score: int, comment: str, now: datetime
) -> None:
    reason = _("Reopened for review: satisfaction %(score)d of 5", score=score)
    events.record(ticket, EventKind.SURVEY, now=now, actor=None, body=reason)
    lifecycle.reopen(ticket, now=now, by_customer=True)
    recipients = (
        [ticket.assignee] if ticket.assignee is not None else routing.team_leads(ticket.team_id)
    )
    for user in recipients:
        notifications.notify(
            user,
            NotificationKind.ASSIGNED,
            now=now,
            ticket=ticket,
            dedupe_key=f"survey-reopen:{survey.id}",
            title=lambda: _(
                "Reopened for review: %(title)s", title=f"{ticket.reference} · {ticket.subject}"
            ),
            body=lambda: (
                _("The customer rated our handling %(score)d of 5.", score=score)
                + (f" “{notifications.snippet(comment)}”" if comment else "")
            ),
        )
