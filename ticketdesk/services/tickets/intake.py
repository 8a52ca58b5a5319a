"""Intake: a complaint logged by staff, or sent by the public, becomes a routed ticket.

The ticket comes with its playbook, its service levels and the customer's acknowledgement.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ticketdesk.core import counters, inputs, ratelimit
from ticketdesk.core.errors import DomainError, PermissionDenied, RateLimited
from ticketdesk.extensions import db
from ticketdesk.models import (
    Category,
    CauseSide,
    Channel,
    EventKind,
    Severity,
    Team,
    Ticket,
    TicketKind,
    TicketStatus,
    User,
)
from ticketdesk.services.customers import customers
from ticketdesk.services.notifications import notifications
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.routing import engine as routing
from ticketdesk.services.sla import clocks as sla
from ticketdesk.services.tickets import assignment, common, outgoing
from ticketdesk.services.tickets.attachments import Upload


@dataclass(frozen=True)
class TicketFields:
    """What intake and the categorisation form set on a ticket."""

    subject: str
    description: str
    channel: Channel
    kind: TicketKind
    category_id: int
    severity: Severity
    order_reference: str = ""
    currency: str = "EUR"
    order_value: Decimal | None = None
    claimed_loss: Decimal | None = None
    cause_side: CauseSide = CauseSide.UNKNOWN


@dataclass(frozen=True)
class PublicComplaint:
    name: str
    email: str
    company: str
    order_reference: str
    description: str
    category_id: int | None = None


@dataclass(frozen=True)
class PublicReceipt:
    """What the public form may tell whoever submitted it.

    ``show_link``: the private link may be shown on the page. It is False when the address
    was already a contact's: anyone can type a customer's address, so the link then goes
    only to that address, by e-mail (``emailed_to``), never to the browser.
    """

    ticket: Ticket
    show_link: bool
    emailed_to: str
    needs_review: bool


def fallback_category() -> Category:
    category = db.session.scalar(sa.select(Category).where(Category.slug == "other"))
    if category is None:
        category = db.session.scalar(
            sa.select(Category).where(Category.active.is_(True)).order_by(Category.position)
        )
    if category is None:
        raise DomainError(_("No complaint categories are set up."), field="category_id")
    return category


def new_ticket(
    *,
    fields: TicketFields,
    customer,
    contact,
    actor: User | None,
    team: Team | None,
    assignee: User | None,
    now: datetime,
) -> Ticket:
    category = common.active_category(fields.category_id)
    currency = common.check_currency(fields.currency)
    ticket = Ticket(
        reference=counters.next_ticket_reference(),
        customer=customer,
        contact=contact,
        subject=common.clean_text(
            fields.subject, field="subject", label=_("Subject"), maximum=common.SUBJECT_MAX
        ),
        description=common.clean_text(
            fields.description, field="description", label=_("Description"), maximum=common.BODY_MAX
        ),
        channel=fields.channel,
        kind=fields.kind,
        category=category,
        severity=fields.severity,
        order_reference=(fields.order_reference or "").strip()[:64],
        currency=currency,
        order_value=common.check_money(fields.order_value, field="order_value", currency=currency),
        claimed_loss=common.check_money(
            fields.claimed_loss, field="claimed_loss", currency=currency
        ),
        cause_side=fields.cause_side,
        reopen_count=0,
        status=TicketStatus.NEW,
        team=team,
        assignee=assignee,
        created_by_id=actor.id if actor else None,
        public_token=secrets.token_urlsafe(32),
        created_at=now,
        updated_at=now,
        last_activity_at=now,
    )
    db.session.add(ticket)
    return ticket


def after_intake(
    ticket: Ticket,
    *,
    actor: User | None,
    now: datetime,
    keep_team: Team | None = None,
    keep_assignee: User | None = None,
    acknowledge: bool = True,
    answers: str = "",
) -> None:
    """What every channel does with a new ticket: route it, then give it its playbook,
    then acknowledge it to the customer (in the thread of ``answers``, the Message-ID of
    the e-mail that opened it).

    Routing goes first, so a severity it raises counts when the playbook is chosen.
    A team or person chosen at intake is kept; rules then only add the rest. The
    acknowledgement (when the contact has an e-mail address) comes after the service
    level starts, so it can say when the customer will hear from us; ``acknowledge``
    False (mail from an automated sender) sends none.
    """
    ticket.team, ticket.assignee = None, None  # routing sets them, with their events
    routing.route(ticket, actor=actor, now=now, keep_team=keep_team, keep_assignee=keep_assignee)
    sla.start_clocks(ticket, actor=actor, now=now)
    playbooks.attach_best(ticket, actor=actor, now=now)
    if ticket.kind is TicketKind.CRISIS:
        notifications.account_crisis(ticket, now=now)
    if acknowledge:
        outgoing.queue_acknowledgement(ticket, now=now, answers=answers)


def log_complaint(
    *,
    actor: User,
    fields: TicketFields,
    now: datetime,
    customer_id: int | None = None,
    new_customer: customers.CustomerData | None = None,
    contact: customers.ContactData | None = None,
    team_id: int | None = None,
    assignee_id: int | None = None,
    uploads: list[Upload] = (),
    internal_note: str = "",
    allow_duplicate: bool = False,
) -> Ticket:
    """Staff log a complaint received by phone, e-mail, walk-in or another channel.

    A ``new_customer`` that is likely one we already have (``customers.likely_duplicates``:
    the same name, contact e-mail or phone digits) raises ``customers.LikelyDuplicate``
    with the matches, and nothing is written, unless ``allow_duplicate`` says a new
    customer is meant.

    ``fields.description`` is what the customer told us: the customer sees it on the
    private link and in the acknowledgement. ``internal_note`` (optional) is for staff
    only: it is stored as an internal note event in the same transaction and never shown
    or sent to the customer.
    """
    if not actor.works_tickets:
        raise PermissionDenied(_("Only agents and leads log complaints."))
    if customer_id is None and new_customer is None:
        raise DomainError(_("Choose a customer or enter a new one."), field="customer_id")
    note = (internal_note or "").strip()
    if len(note) > common.BODY_MAX:
        raise DomainError(
            _(
                "%(label)s is longer than %(maximum)s characters.",
                label=_("Internal note"),
                maximum=common.BODY_MAX,
            ),
            field="internal_note",
        )

    if customer_id is None and not allow_duplicate:
        matches = customers.likely_duplicates(
            user=actor,
            name=new_customer.name,
            email=contact.email if contact is not None else None,
            phone=contact.phone if contact is not None else "",
        )
        if matches:
            raise customers.LikelyDuplicate(matches)

    def action(checked, written):
        if customer_id is not None:
            customer = customers.get_customer(customer_id)
        else:
            customer = customers.new_customer(new_customer)
        contact_row = None
        if contact is not None and contact.name.strip():
            contact_row = customers.new_contact(customer, contact, field_prefix="contact_")
        team, assignee = assignment.resolve_assignment(team_id, assignee_id, now=now, actor=actor)
        ticket = new_ticket(
            fields=fields,
            customer=customer,
            contact=contact_row,
            actor=actor,
            team=team,
            assignee=assignee,
            now=now,
        )
        created = common.event(
            ticket,
            EventKind.CREATED,
            now=now,
            actor=actor,
            body=ticket.description,
            new=ticket.channel.value,
        )
        common.attach(ticket, created, checked, actor, written)
        if note:
            common.event(ticket, EventKind.INTERNAL_NOTE, now=now, actor=actor, body=note)
        after_intake(ticket, actor=actor, now=now, keep_team=team, keep_assignee=assignee)
        return ticket

    return common.run_with_files(action, uploads)


def _public_limit_message() -> str:
    return _(
        "We have received several complaints from your network in the last hour. "
        "Please wait a little, or call us if it is urgent."
    )


def submit_public_complaint(
    *, complaint: PublicComplaint, ip: str, now: datetime, uploads: list[Upload] = ()
) -> Ticket:
    """A customer files a complaint on the public form (no login): the new ticket.

    See ``receive_public_complaint`` for who is told what.
    """
    return receive_public_complaint(complaint=complaint, ip=ip, now=now, uploads=uploads).ticket


def _unverified_reason(contact, customer) -> str:
    reason = _(
        "Unverified contact: %(name)s <%(email)s> named the account %(customer)s on "
        "the public form. Confirm that they speak for it, or move the ticket.",
        name=contact.name,
        email=contact.email or "",
        customer=customer.name,
    )
    return (
        reason
        if len(reason) <= common.REVIEW_REASON_MAX
        else reason[: common.REVIEW_REASON_MAX - 1] + "…"
    )


def receive_public_complaint(
    *, complaint: PublicComplaint, ip: str, now: datetime, uploads: list[Upload] = ()
) -> PublicReceipt:
    """A customer files a complaint on the public form (no login).

    Who the complaint is filed under (``customers.match_sender``) decides what the
    submitter is shown. An address that is already a contact's files the ticket under
    that contact, but the private link is not shown: it goes to the address by e-mail
    only. A new address naming an existing customer opens the ticket on a new unverified
    contact of that customer, flagged for review; the link is shown (the ticket is the
    submitter's own, on their own contact). A new address naming no customer makes a new
    customer and contact; the link is shown.
    """
    cfg = current_app.config
    key = f"complain:{ip}"
    if ratelimit.is_limited(
        key,
        limit=int(cfg["PUBLIC_RATE_LIMIT"]),
        window_seconds=int(cfg["PUBLIC_RATE_WINDOW_SECONDS"]),
        now=now,
    ):
        raise RateLimited(_public_limit_message())
    name = common.clean_text(complaint.name, field="name", label=_("Your name"), maximum=120)
    email = inputs.normalise_email(complaint.email)
    if not email:
        raise DomainError(_("Your e-mail address is needed so we can answer."), field="email")
    description = common.clean_text(
        complaint.description,
        field="description",
        label=_("What happened"),
        maximum=common.BODY_MAX,
    )

    def action(checked, written):
        match = customers.match_sender(name=name, email=email, company=complaint.company, now=now)
        customer, contact = match.customer, match.contact
        category = (
            common.active_category(complaint.category_id)
            if complaint.category_id
            else fallback_category()
        )
        first_line = description.splitlines()[0].strip()
        subject = first_line if len(first_line) <= 80 else first_line[:77].rstrip() + "…"
        fields = TicketFields(
            subject=subject,
            description=description,
            channel=Channel.WEB,
            kind=TicketKind.COMPLAINT,
            category_id=category.id,
            severity=Severity.P3,
            order_reference=complaint.order_reference,
            currency=cfg["DEFAULT_CURRENCY"],
        )
        ticket = new_ticket(
            fields=fields,
            customer=customer,
            contact=contact,
            actor=None,
            team=None,
            assignee=None,
            now=now,
        )
        if not contact.verified:
            ticket.review_reason = _unverified_reason(contact, customer)
        created = common.event(
            ticket,
            EventKind.CREATED,
            now=now,
            actor=None,
            by_customer=True,
            body=description,
            new=Channel.WEB.value,
        )
        common.attach(ticket, created, checked, None, written)
        after_intake(ticket, actor=None, now=now)
        if (
            ratelimit.acquire(
                [
                    ratelimit.Limit(
                        key, int(cfg["PUBLIC_RATE_LIMIT"]), int(cfg["PUBLIC_RATE_WINDOW_SECONDS"])
                    )
                ],
                now=now,
            )
            is None
        ):
            raise RateLimited(_public_limit_message())
        return PublicReceipt(
            ticket=ticket,
            show_link=not match.known,
            emailed_to=contact.email or email,
            needs_review=bool(ticket.review_reason),
        )

    return common.run_with_files(action, uploads)
