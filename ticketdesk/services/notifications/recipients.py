"""Who receives the customer's e-mails about a ticket: its contact and the contacts copied.

Public: ``recipients``, ``allowed_addresses``, ``cc_contacts``, ``cc_candidates``,
``add_cc``, ``remove_cc``.

A ticket's customer e-mails go to the ticket's contact (when it has an address) and to
the contacts an agent copied on the ticket (``TicketCc``). Only a contact of the
ticket's own customer with an e-mail address can be copied. The same rule is checked
again when each message is sent (``allowed_addresses``, used by the outbox), so a
contact moved to another customer, or taken off the ticket, receives nothing more.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from ticketdesk.extensions import db
from ticketdesk.models import Contact, EventKind, Ticket, TicketCc, User
from ticketdesk.services.people import access
from ticketdesk.services.customers import customers
from ticketdesk.services import timeline as events
from ticketdesk.core.errors import DomainError, NotFound
from ticketdesk.core.uow import unit_of_work


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str

    @property
    def display(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


def _address(contact: Contact | None) -> str | None:
    return customers.normalise_email(contact.email) if contact is not None else None


def cc_contacts(ticket: Ticket) -> list[Contact]:
    """The contacts copied on the ticket that may still receive its e-mails (by name)."""
    if ticket.id is None:
        return []
    return list(db.session.scalars(
        sa.select(Contact).join(TicketCc, TicketCc.contact_id == Contact.id)
        .where(TicketCc.ticket_id == ticket.id, Contact.customer_id == ticket.customer_id,
               Contact.email.is_not(None), Contact.email != "")
        .order_by(Contact.name, Contact.id)))


def cc_candidates(ticket: Ticket) -> list[Contact]:
    """Contacts of the ticket's customer with an address that could be copied now."""
    copied = {contact.id for contact in cc_contacts(ticket)}
    return [contact for contact in db.session.scalars(
        sa.select(Contact).where(Contact.customer_id == ticket.customer_id,
                                 Contact.email.is_not(None), Contact.email != "")
        .order_by(Contact.name, Contact.id))
        if contact.id not in copied and contact.id != ticket.contact_id]


def recipients(ticket: Ticket) -> list[Recipient]:
    """Everyone a public reply goes to: the contact first, then the copied contacts.

    An address appears once. Empty when nobody has an address (then nothing is sent).
    """
    found: list[Recipient] = []
    seen: set[str] = set()
    for contact in [ticket.contact, *cc_contacts(ticket)]:
        address = _address(contact)
        if address and address not in seen:
            seen.add(address)
            found.append(Recipient(name=(contact.name or "").strip(), email=address))
    return found


def allowed_addresses(ticket: Ticket) -> set[str]:
    """The addresses that may receive the ticket's customer e-mails right now."""
    return {recipient.email for recipient in recipients(ticket)}


def _contact_of(ticket: Ticket, contact_id) -> Contact:
    contact = db.session.get(Contact, contact_id) if isinstance(contact_id, int) else None
    if contact is None or contact.customer_id != ticket.customer_id:
        raise NotFound(_("Choose a contact of %(customer)s.", customer=ticket.customer.name),
                       field="contact_id")
    return contact


def add_cc(ticket: Ticket, *, actor: User, contact_id: int, now: datetime) -> Contact:
    """Copy a contact of the ticket's customer on every public reply from now on."""
    access.require_work_ticket(actor, ticket)
    contact = _contact_of(ticket, contact_id)
    if not _address(contact):
        raise DomainError(_("%(name)s has no e-mail address to copy.", name=contact.name),
                          field="contact_id")
    if contact.id == ticket.contact_id:
        raise DomainError(_("%(name)s is the ticket's contact and receives every reply "
                            "already.", name=contact.name), field="contact_id")
    if db.session.get(TicketCc, (ticket.id, contact.id)) is not None:
        raise DomainError(_("%(name)s is copied already.", name=contact.name),
                          field="contact_id")
    with unit_of_work():
        db.session.add(TicketCc(ticket_id=ticket.id, contact_id=contact.id,
                                added_by_id=actor.id, created_at=now))
        events._record(ticket, EventKind.FIELD_CHANGE, now=now, actor=actor, field="cc",
                       old=None, new=Recipient(contact.name, contact.email).display)
    return contact


def remove_cc(ticket: Ticket, *, actor: User, contact_id: int, now: datetime) -> Contact:
    """Stop copying a contact: later replies, and messages still queued, skip them."""
    access.require_work_ticket(actor, ticket)
    contact = _contact_of(ticket, contact_id)
    row = db.session.get(TicketCc, (ticket.id, contact.id))
    if row is None:
        raise DomainError(_("%(name)s is not copied on this ticket.", name=contact.name),
                          field="contact_id")
    with unit_of_work():
        db.session.delete(row)
        events._record(ticket, EventKind.FIELD_CHANGE, now=now, actor=actor, field="cc",
                       old=Recipient(contact.name, contact.email or "").display, new=None)
    return contact
