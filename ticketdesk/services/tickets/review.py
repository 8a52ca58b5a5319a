"""An agent's look at a flagged ticket: confirm who wrote it, or move it where it belongs.

A ticket is flagged (``Ticket.review_reason``) when it must not be trusted before a person
has looked: a public complaint from a new address that named an existing customer opens a
ticket on a new, unverified contact of that customer. Public functions:

- ``confirm_contact``: the contact speaks for the customer; the contact becomes verified and
  the flag is cleared.
- ``move_ticket``: the ticket, its unverified contact and the contact's other tickets go to
  another existing customer, or to a new customer named after the contact; the contact is
  then verified (the agent decided where the person belongs) and the flags are cleared.

Both are for those who may work the ticket (agents who see it, leads); others get
PermissionDenied. Each is one transaction with its events.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from ticketdesk.core.errors import DomainError, InvalidTransition, PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    OPEN_STATUSES,
    Contact,
    Customer,
    EventKind,
    Ticket,
    User,
)
from ticketdesk.services import timeline as events
from ticketdesk.services.customers import customers
from ticketdesk.services.people import access
from ticketdesk.services.sla import clocks as sla
from ticketdesk.services.tickets import common


@dataclass(frozen=True)
class MoveTarget:
    """Where ``move_ticket`` puts the ticket: an existing customer (``customer_id``) or,
    with ``new_customer``, a new standard customer named after the contact."""

    customer_id: int | None = None
    new_customer: bool = False


def needs_review(ticket: Ticket) -> bool:
    return bool(ticket.review_reason)


def _check_flagged(ticket: Ticket) -> None:
    if not ticket.review_reason:
        raise InvalidTransition(
            _("%(reference)s is not waiting for a review.", reference=ticket.reference),
            field="review",
        )


def _clear(ticket: Ticket, *, actor: User, now: datetime, body: str) -> None:
    old = ticket.review_reason
    ticket.review_reason = ""
    ticket.last_activity_at = now
    events.record(
        ticket,
        EventKind.FIELD_CHANGE,
        now=now,
        actor=actor,
        field="review",
        old=old or None,
        new=None,
        body=body,
    )


def confirm_contact(
    ticket: Ticket, *, actor: User, expected_version: int | None, now: datetime
) -> Ticket:
    """The ticket's contact speaks for its customer: verify the contact, clear the flag.

    Only a flagged ticket can be confirmed. A contact that is already verified stays so;
    the flag is cleared all the same (the agent looked). Other flagged tickets of the same
    contact keep their flags: each is confirmed on its own page.
    """
    access.require_work_ticket(actor, ticket)
    _check_flagged(ticket)
    common.check_version(ticket, expected_version)
    contact = ticket.contact
    with unit_of_work():
        if contact is not None and not contact.verified:
            contact.verified = True
            body = _(
                "%(name)s confirmed as a contact of %(customer)s.",
                name=contact.name,
                customer=ticket.customer.name,
            )
        else:
            body = _("Reviewed: nothing to change.")
        _clear(ticket, actor=actor, now=now, body=body)
    return ticket


def _contact_tickets(contact: Contact, ticket: Ticket) -> list[Ticket]:
    """Every ticket of ``contact`` on its present customer, ``ticket`` first, then by id."""
    others = db.session.scalars(
        sa.select(Ticket)
        .where(
            Ticket.contact_id == contact.id,
            Ticket.customer_id == contact.customer_id,
            Ticket.id != ticket.id,
        )
        .order_by(Ticket.id)
    )
    return [ticket, *others]


def move_ticket(
    ticket: Ticket, *, actor: User, target: MoveTarget, expected_version: int | None, now: datetime
) -> Customer:
    """Move a flagged ticket and its unverified contact to another customer.

    The contact's other tickets on the same customer move with it (a contact belongs to
    one customer, and so do its tickets); each moved ticket gets an event and loses its
    flag, the reason staying in the event. The actor must be allowed to work every one
    of them. The contact becomes verified. Open tickets whose customer tier changes get
    their service-level targets again; the former account manager's watches that no
    longer pass the access rule go. Returns the customer the ticket is now on.
    """
    access.require_work_ticket(actor, ticket)
    _check_flagged(ticket)
    contact = ticket.contact
    if contact is None or contact.verified:
        raise InvalidTransition(
            _(
                "Only a ticket whose contact is not yet confirmed can be moved. Confirm the "
                "review instead."
            ),
            field="review",
        )
    if not target.new_customer and not target.customer_id:
        raise DomainError(
            _("Choose the customer to move the ticket to, or a new one."), field="customer_id"
        )
    destination = None
    if not target.new_customer:
        destination = customers.get_customer(target.customer_id)
        if destination.id == ticket.customer_id:
            raise DomainError(
                _(
                    "The ticket is already on %(customer)s. Choose another "
                    "customer, or confirm the contact instead.",
                    customer=destination.name,
                ),
                field="customer_id",
            )
    common.check_version(ticket, expected_version)
    moving = _contact_tickets(contact, ticket)
    for other in moving[1:]:
        if not access.can_work_ticket(actor, other):
            raise PermissionDenied(
                _(
                    "%(name)s also has %(reference)s, which you may not change; the contact's "
                    "tickets move together. Ask a team lead to move them.",
                    name=contact.name,
                    reference=other.reference,
                )
            )
        common.check_version(other, None)
    source = ticket.customer
    old_manager = source.account_manager
    with unit_of_work():
        if destination is None:
            destination = customers.new_customer(customers.CustomerData(name=contact.name))
            db.session.flush()
        tier_changes = destination.tier != source.tier
        contact.customer = destination
        contact.verified = True
        for moved in moving:
            moved.customer = destination
            events.record(
                moved,
                EventKind.FIELD_CHANGE,
                now=now,
                actor=actor,
                field="customer",
                old=source.name,
                new=destination.name,
                body=_(
                    "Moved with %(name)s, who does not speak for %(old)s.",
                    name=contact.name,
                    old=source.name,
                ),
            )
            if moved.review_reason:
                _clear(
                    moved,
                    actor=actor,
                    now=now,
                    body=_(
                        "%(name)s is a contact of %(customer)s.",
                        name=contact.name,
                        customer=destination.name,
                    ),
                )
            moved.last_activity_at = now
            if tier_changes and moved.status in OPEN_STATUSES:
                sla.recompute(moved, actor=actor, now=now)
        if old_manager is not None and old_manager.id != destination.account_manager_id:
            access.drop_lost_watches([old_manager])
    return destination


def customer_choices(ticket: Ticket) -> list[tuple[int, str]]:
    """The customers a flagged ticket can move to: every customer but its own."""
    return [(i, name) for i, name in customers.customer_choices() if i != ticket.customer_id]
