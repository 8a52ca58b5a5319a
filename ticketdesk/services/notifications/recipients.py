"""Who receives the customer's e-mails about a ticket: its contact and the contacts copied.

Public: ``recipients``, ``allowed_addresses``, ``cc_contacts``, ``cc_candidates``. Copying
a contact and taking them off (``add_cc``, ``remove_cc``) are ticket use cases, in
``services.tickets.outgoing``.

A ticket's customer e-mails go to the ticket's contact (when it has an address) and to
the contacts an agent copied on the ticket (``TicketCc``). Only a contact of the
ticket's own customer with an e-mail address can be copied. The same rule is checked
again when each message is sent (``allowed_addresses``, used by the outbox), so a
contact moved to another customer, or taken off the ticket, receives nothing more.
"""

from dataclasses import dataclass

import sqlalchemy as sa

from ticketdesk.core import inputs
from ticketdesk.extensions import db
from ticketdesk.models import Contact, Ticket, TicketCc


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str

    @property
    def display(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


def contact_address(contact: Contact | None) -> str | None:
    return inputs.normalise_email(contact.email) if contact is not None else None


def cc_contacts(ticket: Ticket) -> list[Contact]:
    """The contacts copied on the ticket that may still receive its e-mails (by name)."""
    if ticket.id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Contact)
            .join(TicketCc, TicketCc.contact_id == Contact.id)
            .where(
                TicketCc.ticket_id == ticket.id,
                Contact.customer_id == ticket.customer_id,
                Contact.email.is_not(None),
                Contact.email != "",
            )
            .order_by(Contact.name, Contact.id)
        )
    )


def cc_candidates(ticket: Ticket) -> list[Contact]:
    """Contacts of the ticket's customer with an address that could be copied now."""
    copied = {contact.id for contact in cc_contacts(ticket)}
    return [
        contact
        for contact in db.session.scalars(
            sa.select(Contact)
            .where(
                Contact.customer_id == ticket.customer_id,
                Contact.email.is_not(None),
                Contact.email != "",
            )
            .order_by(Contact.name, Contact.id)
        )
        if contact.id not in copied and contact.id != ticket.contact_id
    ]


def recipients(ticket: Ticket) -> list[Recipient]:
    """Everyone a public reply goes to: the contact first, then the copied contacts.

    An address appears once. Empty when nobody has an address (then nothing is sent).
    """
    found: list[Recipient] = []
    seen: set[str] = set()
    for contact in [ticket.contact, *cc_contacts(ticket)]:
        address = contact_address(contact)
        if address and address not in seen:
            seen.add(address)
            found.append(Recipient(name=(contact.name or "").strip(), email=address))
    return found


def allowed_addresses(ticket: Ticket) -> set[str]:
    """The addresses that may receive the ticket's customer e-mails right now."""
    return {recipient.email for recipient in recipients(ticket)}
