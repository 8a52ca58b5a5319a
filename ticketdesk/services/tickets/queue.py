"""The ticket queue: scopes, filters, keyword search, sorting and pagination."""

import enum
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ticketdesk.core.errors import PermissionDenied
from ticketdesk.core.paging import Page
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
from ticketdesk.services.customers.customers import escape_like
from ticketdesk.services.people import access
from ticketdesk.services.tickets import search


class Scope(enum.StrEnum):
    MINE = "mine"
    TEAMS = "teams"
    ACCOUNTS = "accounts"
    ALL = "all"
    WATCHING = "watching"


class Sort(enum.StrEnum):
    TIME_LEFT = "time_left"  # the nearest SLA due time first, then as URGENCY
    URGENCY = "urgency"  # severity first, then oldest
    NEWEST = "newest"
    OLDEST = "oldest"
    ACTIVITY = "activity"  # most recent activity first
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
    assignee_id: int | None = None  # 0 means unassigned
    customer_id: int | None = None
    q: str = ""
    sort: Sort | None = None  # None: the natural order (see sort_for)
    include_closed: bool = False
    needs_review: bool = False  # only tickets flagged for a person's look (review_reason)


# A keyword search counts its matches up to this many; the queue then says "1000+".
SEARCH_COUNT_CAP = 1000
# Words of a search that count; more are ignored.
SEARCH_MAX_WORDS = 8


@dataclass
class QueuePage(Page[Ticket]):
    more: bool = False  # more tickets match than ``total``, the search's count cap


def sort_for(flt: QueueFilter) -> Sort:
    """The order chosen, or else the natural one: the nearest SLA due time first for a
    queue, the newest ticket first for a keyword search.

    A search is for finding a ticket someone remembers, not for working through a queue;
    helpdesks list the matches newest first. And it can match half of all tickets, which
    only a search that need not sort every match by its due time answers quickly.
    """
    if flt.sort is not None:
        return flt.sort
    return Sort.NEWEST if _searches_text(flt) else Sort.TIME_LEFT


_SEVERITY_ORDER = sa.case(
    {Severity.P1.value: 1, Severity.P2.value: 2, Severity.P3.value: 3, Severity.P4.value: 4},
    value=Ticket.severity,
    else_=5,
)
_ORDERING = {
    Sort.TIME_LEFT: (
        Ticket.sla_due_at.is_(None),
        Ticket.sla_due_at,
        _SEVERITY_ORDER,
        Ticket.created_at,
        Ticket.id,
    ),
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
        return sa.or_(
            Ticket.team_id.in_(my_teams), Ticket.team_id.is_(None), Ticket.assignee_id == user.id
        )
    if scope is Scope.ACCOUNTS:
        mine = sa.select(Customer.id).where(Customer.account_manager_id == user.id)
        return Ticket.customer_id.in_(mine)
    if scope is Scope.WATCHING:
        watched = sa.select(TicketWatcher.ticket_id).where(TicketWatcher.user_id == user.id)
        return Ticket.id.in_(watched)
    return sa.true()


def filtered_query(user: User, flt: QueueFilter) -> sa.Select:
    scope = flt.scope or default_scope(user)
    stmt = sa.select(Ticket).where(
        access.ticket_visibility_clause(user), _scope_clause(user, scope)
    )
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
    if flt.needs_review:
        stmt = stmt.where(Ticket.review_reason != "")
    q = flt.q.strip()
    if q:
        if q.upper().startswith("TD-"):
            stmt = stmt.where(Ticket.reference == q.upper())
        else:
            stmt = stmt.where(*_word_conditions(q.split()[:SEARCH_MAX_WORDS]))
    return stmt


# SQLite's way to say "do not look rows up by this column" (sqlite.org/optoverview.html).
_UNARY_PLUS = sa.sql.operators.custom_op("+")


def _word_conditions(words: list[str]) -> list[sa.ColumnElement[bool]]:
    """Every word in the subject or the description, as a substring, ignoring ASCII case.

    With SQLite's trigram index (services/tickets/search.py), the words it can look up are found
    there, and only shorter ones are scanned for with LIKE. On PostgreSQL, whose trigram
    indexes serve ILIKE, and on a SQLite without the index, every word is an (I)LIKE.

    The best plan on SQLite depends on how many tickets the index finds, so count them
    first, up to the cap (that reads the index only: about a millisecond). Up to the cap,
    the tickets are looked up by id and sorted. Beyond it, a row lookup each would cost
    more than the rest of the page (20 ms for 10,000 matches at 100,000 tickets), so
    ``+tickets.id`` keeps SQLite from driving the query by the ids: it walks the index of
    the sort order (or of the other filters) and keeps the tickets among the matches,
    until the page is full (2-6 ms). For a handful of matches that walk would read every
    entry instead (10 ms), hence the count.
    """
    conditions = []
    indexed = [w for w in words if search.indexable(w)] if search.has_index() else []
    if indexed:
        ids = search.matching_ids(indexed)
        found = db.session.scalar(
            sa.select(sa.func.count()).select_from(ids.limit(SEARCH_COUNT_CAP + 1).subquery())
        )
        ticket_id = (
            Ticket.id
            if found <= SEARCH_COUNT_CAP
            else sa.sql.expression.UnaryExpression(Ticket.id, operator=_UNARY_PLUS)
        )
        conditions.append(ticket_id.in_(ids))
    match = _case_insensitive_like()
    for word in words:
        if word in indexed:
            continue
        pattern = f"%{escape_like(word)}%"
        conditions.append(
            sa.or_(match(Ticket.subject, pattern), match(Ticket.description, pattern))
        )
    return conditions


def _case_insensitive_like():
    """``column ILIKE pattern``, written so that SQLite needs no lowercase copy of each text.

    SQLAlchemy renders ILIKE on SQLite as ``lower(x) LIKE lower(y)``. SQLite's LIKE already
    ignores case, for the same (ASCII) letters its ``lower()`` folds, so a plain LIKE finds
    the same tickets and scans the descriptions in half the time.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        return lambda column, pattern: column.like(pattern, escape="\\")
    return lambda column, pattern: column.ilike(pattern, escape="\\")


def list_tickets(user: User, flt: QueueFilter, *, page: int = 1, per_page: int = 25) -> QueuePage:
    """One page of the queue in a fixed number of SQL queries, whatever the page size.

    The page's ids are sorted first, by a query that reads only columns the queue indexes
    hold (models/ticket.py), so the database sorts index entries rather than the rows of
    every matching ticket; then the page's tickets are loaded with what the page shows.
    A keyword search counts its matches only up to ``SEARCH_COUNT_CAP`` (``more`` says
    there are more), so that a word in half of all tickets need not be counted through.
    """
    per_page = max(1, min(per_page, 200))
    page = max(1, page)
    stmt = filtered_query(user, flt)
    ids = list(
        db.session.scalars(
            stmt.with_only_columns(Ticket.id)
            .order_by(*_ORDERING[sort_for(flt)])
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    more = False
    if _searches_text(flt):
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(
                stmt.with_only_columns(Ticket.id).limit(SEARCH_COUNT_CAP + 1).subquery()
            )
        )
        more = total > SEARCH_COUNT_CAP
        total = min(total, SEARCH_COUNT_CAP)
    else:
        total = (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(stmt.with_only_columns(Ticket.id).subquery())
            )
            or 0
        )
    by_id = {}
    if ids:
        by_id = {
            ticket.id: ticket
            for ticket in db.session.scalars(
                sa.select(Ticket)
                .where(Ticket.id.in_(ids))
                .options(
                    joinedload(Ticket.customer),
                    joinedload(Ticket.assignee),
                    joinedload(Ticket.team),
                    joinedload(Ticket.category),
                    joinedload(Ticket.sla_policy),
                )
            )
        }
    items = [by_id[i] for i in ids if i in by_id]
    return QueuePage(items=items, total=total, page=page, per_page=per_page, more=more)


def _searches_text(flt: QueueFilter) -> bool:
    q = flt.q.strip()
    return bool(q) and not q.upper().startswith("TD-")


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
