"""Who is away: away staff get no new tickets, and leads re-route what they hold."""

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ticketdesk.core.errors import DomainError, PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import OPEN_STATUSES, WORKING_ROLES, AwayReason, Role, Ticket, User

NOTE_MAX = 200


def _require_may_set(user: User, actor: User) -> None:
    if actor.id != user.id and actor.role is not Role.LEAD:
        raise PermissionDenied(_("Only leads set someone else's availability."))
    if not user.works_tickets:
        raise DomainError(_("Only agents and leads take tickets."), field="reason")


def back_on_at(back_on: date, timezone: str) -> datetime:
    """The start of ``back_on`` in the person's own timezone."""
    return datetime.combine(back_on, time.min, tzinfo=ZoneInfo(timezone or "UTC"))


def set_away(
    user: User, *, actor: User, reason: AwayReason, back_on: date | None, note: str, now: datetime
) -> User:
    """Mark ``user`` away (by themselves or a lead). ``back_on``: the day they return."""
    _require_may_set(user, actor)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_("Keep the note under %(n)s characters.", n=NOTE_MAX), field="note")
    until = back_on_at(back_on, user.timezone) if back_on else None
    if until is not None and until <= now:
        raise DomainError(_("The day of return must be in the future."), field="back_on")
    with unit_of_work():
        user.away_reason, user.away_until, user.away_note = reason, until, note
    return user


def set_back(user: User, *, actor: User) -> User:
    _require_may_set(user, actor)
    if user.away_reason is None:
        raise DomainError(_("%(name)s is not marked away.", name=user.name), field="reason")
    with unit_of_work():
        user.away_reason, user.away_until, user.away_note = None, None, ""
    return user


@dataclass
class Person:
    user: User
    away: bool
    open_tickets: list[Ticket]


def overview(*, now: datetime) -> list[Person]:
    """Every active agent and lead with their availability; away ones with their open tickets."""
    users = list(
        db.session.scalars(
            sa.select(User)
            .where(User.active.is_(True), User.role.in_(WORKING_ROLES))
            .options(joinedload(User.teams))
            .order_by(User.name)
        ).unique()
    )
    away_ids = [u.id for u in users if u.is_away(now)]
    held: dict[int, list[Ticket]] = {uid: [] for uid in away_ids}
    if away_ids:
        for ticket in db.session.scalars(
            sa.select(Ticket)
            .where(Ticket.assignee_id.in_(away_ids), Ticket.status.in_(OPEN_STATUSES))
            .options(joinedload(Ticket.customer), joinedload(Ticket.team))
            .order_by(Ticket.created_at)
        ):
            held[ticket.assignee_id].append(ticket)
    return [Person(user=u, away=u.id in held, open_tickets=held.get(u.id, [])) for u in users]


def away_ticket_count(*, now: datetime) -> int:
    """Open tickets held by people who are away (for the lead's queue banner)."""
    candidates = db.session.execute(
        sa.select(User, sa.func.count(Ticket.id))
        .join(Ticket, Ticket.assignee_id == User.id)
        .where(User.away_reason.is_not(None), Ticket.status.in_(OPEN_STATUSES))
        .group_by(User.id)
    ).all()
    return sum(n for user, n in candidates if user.is_away(now))
