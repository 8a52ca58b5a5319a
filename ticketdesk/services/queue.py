"""The ticket queue: scopes, filters, keyword search, sorting and pagination."""

import enum
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ticketdesk.extensions import db
from ticketdesk.models import (
    OPEN_STATUSES,
    Customer,
    Role,
    Severity,
    Ticket,
    TicketKind,
    TicketStatus,
    TicketWatcher,
    User,
    team_members,
)
from ticketdesk.services import access
from ticketdesk.services.customers import escape_like
from ticketdesk.services.errors import PermissionDenied
from ticketdesk.services.paging import Page


class Scope(enum.StrEnum):
    MINE = "mine"
    TEAMS = "teams"
    ACCOUNTS = "accounts"
    ALL = "all"
    WATCHING = "watching"


class Sort(enum.StrEnum):
    TIME_LEFT = "time_left"  # the nearest SLA due time first, then as URGENCY
    URGENCY = "urgency"      # severity first, then oldest
    NEWEST = "newest"
    OLDEST = "oldest"
    ACTIVITY = "activity"    # most recent activity first
    REFERENCE = "reference"


def scopes_for(user: User) -> list[Scope]:
    if user.role is Role.LEAD:
        return [Scope.MINE, Scope.TEAMS, Scope.ALL, Scope.WATCHING]
    if user.role is Role.AGENT:
        return [Scope.MINE, Scope.TEAMS, Scope.WATCHING]
    if user.role is Role.ACCOUNT_MANAGER:
        return [Scope.ACCOUNTS, Scope.WATCHING]
    return []


def default_scope(user: User) -> Scope:
    scopes = scopes_for(user)
    if not scopes:
        raise PermissionDenied(_("Your role has no ticket queue."))
    return Scope.TEAMS if Scope.TEAMS in scopes else scopes[0]


@dataclass
class QueueFilter:
    scope: Scope | None = None
    statuses: list[TicketStatus] = field(default_factory=list)  # empty: open ones
    kind: TicketKind | None = None
    category_id: int | None = None
    severity: Severity | None = None
    team_id: int | None = None
    assignee_id: int | None = None   # 0 means unassigned
    customer_id: int | None = None
    q: str = ""
    sort: Sort = Sort.TIME_LEFT
    include_closed: bool = False


_SEVERITY_ORDER = sa.case(
    {Severity.P1.value: 1, Severity.P2.value: 2, Severity.P3.value: 3, Severity.P4.value: 4},
    value=Ticket.severity, else_=5,
)
_ORDERING = {
    Sort.TIME_LEFT: (Ticket.sla_due_at.is_(None), Ticket.sla_due_at, _SEVERITY_ORDER,
                     Ticket.created_at, Ticket.id),
    Sort.URGENCY: (_SEVERITY_ORDER, Ticket.created_at, Ticket.id),
    Sort.NEWEST: (Ticket.created_at.desc(), Ticket.id.desc()),
    Sort.OLDEST: (Ticket.created_at, Ticket.id),
    Sort.ACTIVITY: (Ticket.last_activity_at.desc(), Ticket.id.desc()),
    Sort.REFERENCE: (Ticket.reference,),
}


def _scope_clause(user: User, scope: Scope) -> sa.ColumnElement[bool]:
    if scope not in scopes_for(user):
        raise PermissionDenied(_("That queue is not available to you."))
    if scope is Scope.MINE:
        return Ticket.assignee_id == user.id
    if scope is Scope.TEAMS:
        my_teams = sa.select(team_members.c.team_id).where(team_members.c.user_id == user.id)
        return sa.or_(Ticket.team_id.in_(my_teams), Ticket.team_id.is_(None),
                      Ticket.assignee_id == user.id)
    if scope is Scope.ACCOUNTS:
        mine = sa.select(Customer.id).where(Customer.account_manager_id == user.id)
        return Ticket.customer_id.in_(mine)
    if scope is Scope.WATCHING:
        watched = sa.select(TicketWatcher.ticket_id).where(TicketWatcher.user_id == user.id)
        return Ticket.id.in_(watched)
    return sa.true()


def filtered_query(user: User, flt: QueueFilter) -> sa.Select:
    scope = flt.scope or default_scope(user)
    stmt = sa.select(Ticket).where(access.ticket_visibility_clause(user),
                                   _scope_clause(user, scope))
    if flt.statuses:
        stmt = stmt.where(Ticket.status.in_(flt.statuses))
    elif not flt.include_closed:
        stmt = stmt.where(Ticket.status.in_(OPEN_STATUSES))
    if flt.kind:
        stmt = stmt.where(Ticket.kind == flt.kind)
    if flt.category_id:
        stmt = stmt.where(Ticket.category_id == flt.category_id)
    if flt.severity:
        stmt = stmt.where(Ticket.severity == flt.severity)
    if flt.team_id:
        stmt = stmt.where(Ticket.team_id == flt.team_id)
    if flt.assignee_id == 0:
        stmt = stmt.where(Ticket.assignee_id.is_(None))
    elif flt.assignee_id:
        stmt = stmt.where(Ticket.assignee_id == flt.assignee_id)
    if flt.customer_id:
        stmt = stmt.where(Ticket.customer_id == flt.customer_id)
    q = flt.q.strip()
    if q:
        if q.upper().startswith("TD-"):
            stmt = stmt.where(Ticket.reference == q.upper())
        else:
            for word in q.split()[:8]:
                pattern = f"%{escape_like(word)}%"
                stmt = stmt.where(sa.or_(Ticket.subject.ilike(pattern, escape="\\"),
                                         Ticket.description.ilike(pattern, escape="\\")))
    return stmt


def list_tickets(user: User, flt: QueueFilter, *, page: int = 1, per_page: int = 25) -> Page:
    """One page of the queue in a fixed number of SQL queries, whatever the page size."""
    per_page = max(1, min(per_page, 200))
    page = max(1, page)
    stmt = filtered_query(user, flt)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    items = list(db.session.scalars(
        stmt.options(
            joinedload(Ticket.customer),
            joinedload(Ticket.assignee),
            joinedload(Ticket.team),
            joinedload(Ticket.category),
            joinedload(Ticket.sla_policy),
        )
        .order_by(*_ORDERING[flt.sort])
        .limit(per_page).offset((page - 1) * per_page)
    ).unique())
    return Page(items=items, total=total, page=page, per_page=per_page)


def list_customer_tickets(user: User, customer: Customer, *, limit: int = 200) -> list[Ticket]:
    """A customer's tickets the user may see, newest first, open and closed alike."""
    stmt = (
        sa.select(Ticket)
        .where(Ticket.customer_id == customer.id, access.ticket_visibility_clause(user))
        .options(joinedload(Ticket.assignee), joinedload(Ticket.category), joinedload(Ticket.team))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt).unique())
