"""Who may see and work which ticket or customer. Raised as PermissionDenied (HTTP 403)."""

import sqlalchemy as sa
from flask_babel import gettext as _

from ticketdesk.core.errors import PermissionDenied
from ticketdesk.extensions import db
from ticketdesk.models import (
    Customer,
    Notification,
    NotificationKind,
    Remedy,
    RemedyState,
    Role,
    Ticket,
    TicketWatcher,
    User,
    team_members,
)

# Authority, lowest first (as the ledger's tiers): who may decide a waiting remedy.
_APPROVAL_RANK = {Role.AGENT: 0, Role.LEAD: 1, Role.ADMIN: 2}


def _approvable_roles(user: User) -> list[Role]:
    """The ``approval_role`` values of the remedies ``user`` may decide."""
    rank = _APPROVAL_RANK.get(user.role, -1)
    return [role for role, r in _APPROVAL_RANK.items() if r <= rank] if rank >= 1 else []


def awaits_approval_by(user: User, ticket: Ticket) -> bool:
    """A remedy on ``ticket`` waits for an approval ``user`` may give (not their own)."""
    roles = _approvable_roles(user)
    return any(
        remedy.state is RemedyState.PROPOSED
        and remedy.approval_role in roles
        and remedy.proposed_by_id != user.id
        for remedy in ticket.remedies
    )


def _awaits_approval_clause(user: User) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        Remedy.ticket_id == Ticket.id,
        Remedy.state == RemedyState.PROPOSED,
        Remedy.approval_role.in_(_approvable_roles(user)),
        sa.or_(Remedy.proposed_by_id.is_(None), Remedy.proposed_by_id != user.id),
    )


def ticket_visibility_clause(user: User) -> sa.ColumnElement[bool]:
    """SQL condition for the tickets ``user`` may see.

    Leads see every ticket. Agents see tickets assigned to them, tickets of their
    teams and tickets not yet routed to a team. Account managers see the tickets
    of the customers they manage. Admins administer: they see a ticket only while a
    remedy on it waits for an approval they may give (to judge it), no other.
    """
    if user.role is Role.LEAD:
        return sa.true()
    if user.role is Role.AGENT:
        my_teams = sa.select(team_members.c.team_id).where(team_members.c.user_id == user.id)
        return sa.or_(
            Ticket.assignee_id == user.id,
            Ticket.team_id.is_(None),
            Ticket.team_id.in_(my_teams),
        )
    if user.role is Role.ACCOUNT_MANAGER:
        mine = sa.select(Customer.id).where(Customer.account_manager_id == user.id)
        return Ticket.customer_id.in_(mine)
    if user.role is Role.ADMIN:
        return _awaits_approval_clause(user)
    return sa.false()


def can_view_ticket(user: User, ticket: Ticket) -> bool:
    if user.role is Role.LEAD:
        return True
    if user.role is Role.AGENT:
        return (
            ticket.assignee_id == user.id
            or ticket.team_id is None
            or ticket.team_id in user.team_ids
        )
    if user.role is Role.ACCOUNT_MANAGER:
        return ticket.customer.account_manager_id == user.id
    if user.role is Role.ADMIN:
        return awaits_approval_by(user, ticket)
    return False


def can_work_ticket(user: User, ticket: Ticket) -> bool:
    """Reply, change status, assign and edit: agents and leads who can see it."""
    return user.works_tickets and can_view_ticket(user, ticket)


def can_note_ticket(user: User, ticket: Ticket) -> bool:
    """Internal notes (and watching): anyone who can see the ticket, account managers
    included; an administrator only reads the ticket they judge (the decision's reason is
    their word)."""
    return user.role is not Role.ADMIN and can_view_ticket(user, ticket)


def can_see_internal_notes(user: User, ticket: Ticket) -> bool:
    """Internal notes (on the ticket page, in notifications and e-mails): whoever may
    see the ticket; customers never."""
    return can_view_ticket(user, ticket)


# Administrators see a ticket only while a remedy on it waits for them, but the request
# to decide one reaches them (and stays in their list after the decision).
_ADMIN_KINDS = (NotificationKind.APPROVAL_WAITING,)


def can_receive_notification(user: User, kind: NotificationKind, ticket: Ticket | None) -> bool:
    """May ``user`` be told (in the app or by e-mail) about ``ticket``, now?

    Asked when a notification or e-mail is made and again when it is shown or sent:
    an active user who may see the ticket (a notification without a ticket: every
    active user it is meant for); an administrator also for approval requests.
    """
    if not user.active:
        return False
    if ticket is None or can_view_ticket(user, ticket):
        return True
    return user.role is Role.ADMIN and kind in _ADMIN_KINDS


def notification_visibility_clause(user: User) -> sa.ColumnElement[bool]:
    """SQL condition for the notifications ``user`` may see now (the same rule as
    ``can_receive_notification``): one whose ticket they can no longer see is hidden."""
    if not user.active:
        return sa.false()
    if user.role is Role.LEAD:
        return sa.true()
    clause = sa.or_(
        Notification.ticket_id.is_(None),
        sa.exists().where(Ticket.id == Notification.ticket_id, ticket_visibility_clause(user)),
    )
    if user.role is Role.ADMIN:
        clause = sa.or_(clause, Notification.kind.in_(_ADMIN_KINDS))
    return clause


def lost_watches_clause(user: User) -> sa.ColumnElement[bool]:
    """SQL condition for the watches of ``user`` that no longer pass the access rule:
    every watch of an inactive user, else those on tickets they may not see."""
    mine = TicketWatcher.user_id == user.id
    if not user.active:
        return mine
    return sa.and_(
        mine,
        ~sa.exists().where(Ticket.id == TicketWatcher.ticket_id, ticket_visibility_clause(user)),
    )


def drop_lost_watches(users) -> int:
    """Remove the watches of ``users`` that no longer pass the access rule (inside the
    caller's transaction, after its changes to teams, roles or account managers).
    Returns how many went."""
    db.session.flush()
    removed = 0
    for user in users:
        result = db.session.execute(
            sa.delete(TicketWatcher)
            .where(lost_watches_clause(user))
            .execution_options(synchronize_session=False)
        )
        removed += result.rowcount or 0
    return removed


def require_view_ticket(user: User, ticket: Ticket) -> None:
    if not can_view_ticket(user, ticket):
        raise PermissionDenied(_("You do not have access to this ticket."))


def require_work_ticket(user: User, ticket: Ticket) -> None:
    if not can_work_ticket(user, ticket):
        raise PermissionDenied(_("You may not change this ticket."))


def require_note_ticket(user: User, ticket: Ticket) -> None:
    if not can_note_ticket(user, ticket):
        raise PermissionDenied(_("You may not add notes to this ticket."))


def can_view_customer(user: User, customer: Customer) -> bool:
    if user.role in (Role.AGENT, Role.LEAD):
        return True
    if user.role is Role.ACCOUNT_MANAGER:
        return customer.account_manager_id == user.id
    return False


def can_manage_account(user: User, customer: Customer) -> bool:
    """The account's own manager, team leads and admins: recovery history, segment."""
    if user.role in (Role.LEAD, Role.ADMIN):
        return True
    return user.role is Role.ACCOUNT_MANAGER and customer.account_manager_id == user.id


def can_change_tier(user: User, customer: Customer) -> bool:
    """The tier decides who approves compensation, so those who propose it (agents) do not
    set it: the account's own manager, team leads and admins."""
    return can_manage_account(user, customer)


def require_change_tier(user: User, customer: Customer) -> None:
    if not can_change_tier(user, customer):
        raise PermissionDenied(
            _("Only the account manager or a team lead may change the tier of this customer.")
        )


def can_edit_customer(user: User, customer: Customer) -> bool:
    if user.role is Role.LEAD:
        return True
    if user.role is Role.ACCOUNT_MANAGER:
        return customer.account_manager_id == user.id
    return user.role is Role.AGENT


def require_view_customer(user: User, customer: Customer) -> None:
    if not can_view_customer(user, customer):
        raise PermissionDenied(_("You do not have access to this customer."))


def require_edit_customer(user: User, customer: Customer) -> None:
    if not can_edit_customer(user, customer):
        raise PermissionDenied(_("You may not change this customer."))
