"""The status machine: which statuses a ticket may move to, and what each move does.

Each move acts on the ticket's playbook, goodwill checks and service-level clocks. Runs inside the
caller's transaction and sends nothing to the customer.
"""

from datetime import datetime

from flask_babel import gettext as _

from ticketdesk.core.errors import InvalidTransition
from ticketdesk.models import (
    EventKind,
    Ticket,
    TicketEvent,
    TicketStatus,
    User,
)
from ticketdesk.services.ledger import remedies as ledger
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.sla import clocks as sla
from ticketdesk.services.tickets import common

REOPEN_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


def allowed_statuses(ticket: Ticket) -> list[TicketStatus]:
    """Statuses a ticket may move to from where it is."""
    return [s for s in TicketStatus if s is not TicketStatus.NEW and s is not ticket.status]


def set_status(
    ticket: Ticket,
    target: TicketStatus,
    *,
    actor: User | None,
    now: datetime,
    by_customer: bool = False,
) -> TicketEvent | None:
    """Move ``ticket`` to ``target`` and return the status-change event (None when it is
    already there). Refuses a move the machine does not allow, and a resolution while a
    required step is open or promised goodwill is undelivered."""
    old = ticket.status
    if target is old:
        return None
    if target not in allowed_statuses(ticket):
        raise InvalidTransition(
            _("A %(old)s ticket cannot become %(new)s.", old=old.value, new=target.value),
            field="status",
        )
    if target is TicketStatus.RESOLVED or (
        target is TicketStatus.CLOSED and old is not TicketStatus.RESOLVED
    ):
        playbooks.check_can_close(ticket)
        ledger.check_goodwill_given(ticket)
    if old in REOPEN_STATUSES and target not in REOPEN_STATUSES:
        ticket.reopen_count += 1
        ticket.resolved_at = None
        ticket.closed_at = None
        playbooks.reopen_recurring(ticket, now=now)
    if target in REOPEN_STATUSES:
        playbooks.close_recurring(ticket, now=now)
    if target is TicketStatus.RESOLVED:
        ticket.resolved_at = now
    if target is TicketStatus.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    ticket.status = target
    ticket.last_activity_at = now
    change = common.event(
        ticket,
        EventKind.STATUS_CHANGE,
        now=now,
        actor=actor,
        field="status",
        old=old.value,
        new=target.value,
        by_customer=by_customer,
    )
    sla.status_changed(ticket, old, actor=actor, now=now)
    return change


def reopen(
    ticket: Ticket, *, now: datetime, actor: User | None = None, by_customer: bool = False
) -> None:
    """A resolved or closed ticket goes back to open (inside the caller's transaction)."""
    if ticket.status not in REOPEN_STATUSES:
        raise InvalidTransition(
            _("Only a resolved or closed ticket can be reopened."), field="status"
        )
    set_status(ticket, TicketStatus.OPEN, actor=actor, now=now, by_customer=by_customer)
