"""Who works a ticket: assignment, taking it, rerouting, watchers, the people who can be chosen."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from ticketdesk.core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    Role,
    Team,
    Ticket,
    TicketWatcher,
    User,
)
from ticketdesk.services import timeline as events
from ticketdesk.services.people import access
from ticketdesk.services.routing import engine as routing
from ticketdesk.services.tickets import common


def resolve_assignment(
    team_id: int | None, assignee_id: int | None, *, now: datetime, actor: User | None = None
) -> tuple[Team | None, User | None]:
    team = db.session.get(Team, team_id) if team_id else None
    if team_id and team is None:
        raise DomainError(_("No such team."), field="team_id")
    assignee = db.session.get(User, assignee_id) if assignee_id else None
    if assignee_id and assignee is None:
        raise DomainError(_("No such user."), field="assignee_id")
    if assignee is not None:
        if not assignee.active or not assignee.works_tickets:
            raise DomainError(
                _("%(name)s cannot take tickets.", name=assignee.name), field="assignee_id"
            )
        if team is not None and team not in assignee.teams:
            raise DomainError(
                _("%(name)s is not a member of %(team)s.", name=assignee.name, team=team.name),
                field="assignee_id",
            )
        if assignee.is_away(now) and assignee is not actor:
            raise DomainError(
                _(
                    "%(name)s is away and takes no new tickets. Choose someone "
                    "else, or let routing decide.",
                    name=assignee.name,
                ),
                field="assignee_id",
            )
    return team, assignee


def assign(
    ticket: Ticket,
    *,
    actor: User,
    team_id: int | None,
    assignee_id: int | None,
    expected_version: int | None,
    now: datetime,
) -> Ticket:
    """Route a ticket to a team and/or a person (None clears)."""
    access.require_work_ticket(actor, ticket)
    common.check_version(ticket, expected_version)
    team, assignee = resolve_assignment(team_id, assignee_id, now=now, actor=actor)
    if team is ticket.team and assignee is ticket.assignee:
        raise DomainError(
            _("Nothing to change: the ticket is already assigned like that."), field="assignee_id"
        )
    with unit_of_work():
        old_team, old_assignee = ticket.team, ticket.assignee
        ticket.team, ticket.assignee = team, assignee
        ticket.last_activity_at = now
        events.record_assignment(
            ticket, old_team=old_team, old_assignee=old_assignee, actor=actor, now=now
        )
    return ticket


def assign_to_me(
    ticket: Ticket, *, actor: User, expected_version: int | None, now: datetime
) -> Ticket:
    """Take a ticket. Keeps its team when the actor belongs to it, else the actor's first team."""
    team_id = ticket.team_id
    if team_id is not None and team_id not in actor.team_ids and actor.teams:
        team_id = actor.teams[0].id
    elif team_id is not None and team_id not in actor.team_ids:
        team_id = None
    return assign(
        ticket,
        actor=actor,
        team_id=team_id,
        assignee_id=actor.id,
        expected_version=expected_version,
        now=now,
    )


def reroute(
    ticket: Ticket, *, actor: User, expected_version: int | None, now: datetime
) -> "routing.Decision":
    """Run the routing rules again on an open ticket; they may change team and assignee."""
    access.require_work_ticket(actor, ticket)
    common.check_version(ticket, expected_version)
    if not ticket.is_open:
        raise InvalidTransition(_("Only open tickets can be re-routed."), field="reroute")
    with unit_of_work():
        return routing.route(ticket, actor=actor, now=now)


def reroute_many(ticket_ids: list[int], *, actor: User, now: datetime) -> int:
    """A lead re-routes several open tickets (an away agent's) in one go."""
    if actor.role is not Role.LEAD:
        raise PermissionDenied(_("Only leads re-route tickets in bulk."))
    if not ticket_ids:
        raise DomainError(_("Choose at least one ticket."), field="ticket_ids")
    found = list(
        db.session.scalars(sa.select(Ticket).where(Ticket.id.in_(ticket_ids)).order_by(Ticket.id))
    )
    if len(found) != len(set(ticket_ids)):
        raise NotFound(_("Some of these tickets no longer exist."))
    with unit_of_work():
        for ticket in found:
            if ticket.is_open:
                routing.route(ticket, actor=actor, now=now)
    return sum(1 for t in found if t.is_open)


def is_watching(ticket: Ticket, user: User) -> bool:
    return db.session.get(TicketWatcher, (ticket.id, user.id)) is not None


def watchers(ticket: Ticket) -> list[TicketWatcher]:
    return list(
        db.session.scalars(
            sa.select(TicketWatcher)
            .where(TicketWatcher.ticket_id == ticket.id)
            .options(sa.orm.joinedload(TicketWatcher.user))
            .order_by(TicketWatcher.created_at)
        )
    )


def watch(ticket: Ticket, *, actor: User, now: datetime) -> TicketWatcher:
    """Follow a ticket: it shows in the watching queue and its changes notify you.

    Idempotent: watching a ticket you already watch changes nothing, also when two
    clicks arrive at the same moment (INSERT ... ON CONFLICT DO NOTHING on the primary
    key: the second request keeps the first one's row instead of failing).
    """
    access.require_view_ticket(actor, ticket)
    existing = db.session.get(TicketWatcher, (ticket.id, actor.id))
    if existing is not None:
        return existing
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    with unit_of_work():
        db.session.execute(
            dialect.insert(TicketWatcher)
            .values(ticket_id=ticket.id, user_id=actor.id, created_at=now)
            .on_conflict_do_nothing(index_elements=["ticket_id", "user_id"])
        )
    return db.session.get(TicketWatcher, (ticket.id, actor.id), populate_existing=True)


def unwatch(ticket: Ticket, *, actor: User) -> None:
    access.require_view_ticket(actor, ticket)
    existing = db.session.get(TicketWatcher, (ticket.id, actor.id))
    if existing is None:
        raise DomainError(_("You do not watch this ticket."), field="watch")
    with unit_of_work():
        db.session.delete(existing)


def _assignable(stmt: sa.Select) -> sa.Select:
    return stmt.where(User.active.is_(True), User.role.in_((Role.AGENT, Role.LEAD))).order_by(
        User.name
    )


def assignable_choices() -> list[tuple[int, str]]:
    """(id, name) of the active agents and leads, for assignment menus."""
    return [(i, name) for i, name in db.session.execute(_assignable(sa.select(User.id, User.name)))]


def assignable_users() -> list[User]:
    """Active agents and leads, with their teams loaded, for assignment menus."""
    return list(
        db.session.scalars(_assignable(sa.select(User)).options(sa.orm.selectinload(User.teams)))
    )
