"""Status changes as people make them.

``move`` runs the status machine (``lifecycle``), then sends what a resolution sends: the
resolution e-mail, with the survey's invitation when one is made.
"""

from datetime import datetime

from flask_babel import gettext as _

from ticketdesk.core.errors import InvalidTransition
from ticketdesk.core.uow import unit_of_work
from ticketdesk.models import (
    Ticket,
    TicketStatus,
    User,
)
from ticketdesk.services.people import access
from ticketdesk.services.recovery import surveys
from ticketdesk.services.tickets import common, lifecycle, outgoing


def change_status(
    ticket: Ticket,
    *,
    actor: User,
    status: TicketStatus,
    expected_version: int | None,
    now: datetime,
) -> Ticket:
    access.require_work_ticket(actor, ticket)
    common.check_version(ticket, expected_version)
    if status is ticket.status:
        raise InvalidTransition(
            _("The ticket is already %(status)s.", status=status.value), field="status"
        )
    with unit_of_work():
        move(ticket, status, actor=actor, now=now)
    return ticket


def move(
    ticket: Ticket,
    target: TicketStatus,
    *,
    actor: User | None,
    now: datetime,
    by_customer: bool = False,
) -> None:
    """One status move (``lifecycle.set_status``) inside the caller's transaction. A
    resolution also sends the customer one e-mail: the resolution message, with the
    survey's invitation when one is made."""
    change = lifecycle.set_status(ticket, target, actor=actor, now=now, by_customer=by_customer)
    if change is not None and target is TicketStatus.RESOLVED:
        survey = surveys.send_on_resolve(ticket, now=now, actor=actor)
        outgoing.queue_resolution(ticket, change, now=now, survey=survey)
