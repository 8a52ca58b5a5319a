"""The one place that writes a ticket's timeline, so every change reaches its watchers."""

from datetime import datetime

from ticketdesk.extensions import db
from ticketdesk.models import EventKind, Team, Ticket, TicketEvent, User
from ticketdesk.services.notifications import notifications


def _clip(value: str | None) -> str | None:
    return None if value is None else value[:255]


def record(
    ticket: Ticket,
    kind: EventKind,
    *,
    now: datetime,
    actor: User | None,
    body: str = "",
    field: str | None = None,
    old: str | None = None,
    new: str | None = None,
    by_customer: bool = False,
    via: str = "",
    quoted_body: str = "",
) -> TicketEvent:
    """Add an event to the timeline (inside the caller's transaction) and tell watchers.

    ``via`` and ``quoted_body`` are set here, at creation: events are append-only, so
    they cannot be filled in after the row is written.
    """
    event = TicketEvent(
        ticket=ticket,
        kind=kind,
        actor_id=actor.id if actor else None,
        by_customer=by_customer,
        body=body,
        field=field,
        old_value=_clip(old),
        new_value=_clip(new),
        created_at=now,
        via=via,
        quoted_body=quoted_body,
    )
    db.session.add(event)
    notifications.ticket_changed(ticket, event, actor=actor, now=now)
    return event


def record_assignment(
    ticket: Ticket,
    *,
    old_team: Team | None,
    old_assignee: User | None,
    actor: User | None,
    now: datetime,
    rule_name: str | None = None,
) -> None:
    """Events for a changed team or assignee, and the new assignee's notification."""
    if ticket.team is not old_team:
        record(
            ticket,
            EventKind.ASSIGNMENT,
            now=now,
            actor=actor,
            field="team",
            old=old_team.name if old_team else None,
            new=ticket.team.name if ticket.team else None,
        )
    if ticket.assignee is not old_assignee:
        record(
            ticket,
            EventKind.ASSIGNMENT,
            now=now,
            actor=actor,
            field="assignee",
            old=old_assignee.name if old_assignee else None,
            new=ticket.assignee.name if ticket.assignee else None,
        )
        notifications.assigned(ticket, ticket.assignee, actor=actor, now=now, rule_name=rule_name)
