"""Ticket use cases: intake from staff and the public, replies, notes, status, assignment."""

import secrets
from dataclasses import dataclass, fields as dc_fields
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from flask import current_app
from flask_babel import gettext as _

from ticketdesk.extensions import db
from ticketdesk.models import (
    PUBLIC_EVENT_KINDS,
    Category,
    CauseSide,
    Channel,
    EventKind,
    Role,
    RootCause,
    Severity,
    Team,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
    TicketWatcher,
    User,
)
from ticketdesk.services import (
    access,
    attachments,
    counters,
    customers,
    events,
    guards,
    ledger,
    money,
    notifications,
    playbooks,
    ratelimit,
    routing,
    sla,
    surveys,
)
from ticketdesk.services.attachments import Upload
from ticketdesk.services.mail import outgoing
from ticketdesk.services.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from ticketdesk.services.uow import unit_of_work

SUBJECT_MAX = 200
BODY_MAX = 20_000
REOPEN_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


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
class DetailChanges:
    """Editable categorisation of an existing ticket."""

    subject: str
    kind: TicketKind
    category_id: int
    severity: Severity
    order_reference: str
    currency: str
    order_value: Decimal | None
    claimed_loss: Decimal | None
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


REVIEW_REASON_MAX = 255


# ----------------------------------------------------------------- helpers (no commit)

def _event(ticket: Ticket, kind: EventKind, *, now: datetime, actor: User | None,
           body: str = "", field: str | None = None, old: str | None = None,
           new: str | None = None, by_customer: bool = False, via: str = "",
           quoted_body: str = "") -> TicketEvent:
    return events._record(ticket, kind, now=now, actor=actor, body=body, field=field, old=old,
                          new=new, by_customer=by_customer, via=via, quoted_body=quoted_body)


def _asks_for_proof(ticket: Ticket, body: str) -> list[str]:
    """Proof-asking words in a reply on a claim within the evidence threshold."""
    rules = ledger.rules_for(ticket)
    if rules.advisory or not ledger.claim_known(ticket) \
            or ledger.affected_value(ticket) > rules.evidence_threshold:
        return []
    return guards.proof_requests(body)


def _check_version(ticket: Ticket, expected_version: int | None) -> None:
    """Lock the ticket's row, then make sure nobody changed it since the user loaded it.

    Every change to a ticket takes this row lock before it writes anything, so two
    changes saved at the same moment queue up on the ticket in one fixed order instead
    of deadlocking on the rows they touch later (events, steps, notifications). The one
    that waited finds the version moved and gets the conflict message.
    """
    current = db.session.scalar(
        sa.select(Ticket.version).where(Ticket.id == ticket.id).with_for_update())
    if current == ticket.version and expected_version in (None, ticket.version):
        return
    # Notes and added files never change the ticket row, so they cannot have moved the version.
    last = db.session.scalar(
        sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                     TicketEvent.kind.not_in((EventKind.INTERNAL_NOTE,
                                                              EventKind.ATTACHMENT)))
        .order_by(TicketEvent.id.desc()).limit(1)
    )
    who = _("the customer") if last is not None and last.by_customer and last.actor is None else (
        last.actor.name if last is not None and last.actor is not None else _("someone else"))
    raise Conflict(_(
        "%(reference)s was changed by %(who)s while you were working on it. "
        "Nothing of yours was saved and your input is kept below: check the latest "
        "activity, then save again.",
        reference=ticket.reference, who=who,
    ))


def _clean_text(value: str, *, field: str, label: str, maximum: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(_("%(label)s cannot be empty.", label=label), field=field)
    if len(value) > maximum:
        raise DomainError(_("%(label)s is longer than %(maximum)s characters.", label=label,
                            maximum=maximum), field=field)
    return value


def check_money(value: Decimal | None, *, field: str, currency: str) -> Decimal | None:
    """A valid amount of ``currency`` (see ``services.money``), or DomainError on ``field``."""
    return money.check_amount(value, currency=currency, field=field)


def check_currency(code: str) -> str:
    return money.check_currency(code)


def _active_category(category_id: int | None) -> Category:
    category = db.session.get(Category, category_id) if category_id else None
    if category is None or not category.active:
        raise DomainError(_("Choose a category."), field="category_id")
    return category


def _fallback_category() -> Category:
    category = db.session.scalar(sa.select(Category).where(Category.slug == "other"))
    if category is None:
        category = db.session.scalar(
            sa.select(Category).where(Category.active.is_(True)).order_by(Category.position))
    if category is None:
        raise DomainError(_("No complaint categories are set up."), field="category_id")
    return category


def _resolve_assignment(team_id: int | None, assignee_id: int | None, *, now: datetime,
                        actor: User | None = None) -> tuple[Team | None, User | None]:
    team = db.session.get(Team, team_id) if team_id else None
    if team_id and team is None:
        raise DomainError(_("No such team."), field="team_id")
    assignee = db.session.get(User, assignee_id) if assignee_id else None
    if assignee_id and assignee is None:
        raise DomainError(_("No such user."), field="assignee_id")
    if assignee is not None:
        if not assignee.active or not assignee.works_tickets:
            raise DomainError(_("%(name)s cannot take tickets.", name=assignee.name),
                              field="assignee_id")
        if team is not None and team not in assignee.teams:
            raise DomainError(_("%(name)s is not a member of %(team)s.", name=assignee.name,
                                team=team.name), field="assignee_id")
        if assignee.is_away(now) and assignee is not actor:
            raise DomainError(_("%(name)s is away and takes no new tickets. Choose someone "
                                "else, or let routing decide.", name=assignee.name),
                              field="assignee_id")
    return team, assignee


def _new_ticket(*, fields: TicketFields, customer, contact, actor: User | None,
                team: Team | None, assignee: User | None, now: datetime) -> Ticket:
    category = _active_category(fields.category_id)
    currency = check_currency(fields.currency)
    ticket = Ticket(
        reference=counters.next_ticket_reference(),
        customer=customer,
        contact=contact,
        subject=_clean_text(fields.subject, field="subject", label=_("Subject"),
                             maximum=SUBJECT_MAX),
        description=_clean_text(fields.description, field="description", label=_("Description"),
                                maximum=BODY_MAX),
        channel=fields.channel,
        kind=fields.kind,
        category=category,
        severity=fields.severity,
        order_reference=(fields.order_reference or "").strip()[:64],
        currency=currency,
        order_value=check_money(fields.order_value, field="order_value", currency=currency),
        claimed_loss=check_money(fields.claimed_loss, field="claimed_loss", currency=currency),
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


def _run_with_files(action, uploads, *, field: str = "attachments"):
    """Run ``action(checked_files, written_paths)`` in one transaction.

    Files are validated before anything is written, and removed again when the
    transaction fails, so a failed action leaves neither rows nor files behind.
    """
    checked = attachments.check_uploads(uploads, field=field)
    written: list = []
    try:
        with unit_of_work():
            return action(checked, written)
    except Exception:
        attachments._discard(written)
        raise


def _attach(ticket: Ticket, event: TicketEvent, checked, uploader: User | None, written) -> None:
    if checked:
        attachments._store(ticket, event, checked, uploader, written)


# ----------------------------------------------------------------- intake

def _after_intake(ticket: Ticket, *, actor: User | None, now: datetime,
                  keep_team: Team | None = None, keep_assignee: User | None = None,
                  acknowledge: bool = True, answers: str = "") -> None:
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
    routing._route(ticket, actor=actor, now=now, keep_team=keep_team, keep_assignee=keep_assignee)
    sla._start(ticket, actor=actor, now=now)
    playbooks._attach_best(ticket, actor=actor, now=now)
    if ticket.kind is TicketKind.CRISIS:
        notifications._account_crisis(ticket, now=now)
    if acknowledge:
        outgoing._acknowledge(ticket, now=now, answers=answers)


def log_complaint(*, actor: User, fields: TicketFields, now: datetime,
                  customer_id: int | None = None,
                  new_customer: customers.CustomerData | None = None,
                  contact: customers.ContactData | None = None,
                  team_id: int | None = None, assignee_id: int | None = None,
                  uploads: list[Upload] = (), internal_note: str = "") -> Ticket:
    """Staff log a complaint received by phone, e-mail, walk-in or another channel.

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
    if len(note) > BODY_MAX:
        raise DomainError(_("%(label)s is longer than %(maximum)s characters.",
                            label=_("Internal note"), maximum=BODY_MAX), field="internal_note")

    def action(checked, written):
        if customer_id is not None:
            customer = customers.get_customer(customer_id)
        else:
            customer = customers._new_customer(new_customer)
        contact_row = None
        if contact is not None and contact.name.strip():
            contact_row = customers._new_contact(customer, contact, field_prefix="contact_")
        team, assignee = _resolve_assignment(team_id, assignee_id, now=now, actor=actor)
        ticket = _new_ticket(fields=fields, customer=customer, contact=contact_row, actor=actor,
                             team=team, assignee=assignee, now=now)
        created = _event(ticket, EventKind.CREATED, now=now, actor=actor,
                         body=ticket.description, new=ticket.channel.value)
        _attach(ticket, created, checked, actor, written)
        if note:
            _event(ticket, EventKind.INTERNAL_NOTE, now=now, actor=actor, body=note)
        _after_intake(ticket, actor=actor, now=now, keep_team=team, keep_assignee=assignee)
        return ticket

    return _run_with_files(action, uploads)


def _public_limit_message() -> str:
    return _("We have received several complaints from your network in the last hour. "
             "Please wait a little, or call us if it is urgent.")


def submit_public_complaint(*, complaint: PublicComplaint, ip: str, now: datetime,
                            uploads: list[Upload] = ()) -> Ticket:
    """A customer files a complaint on the public form (no login): the new ticket.

    See ``receive_public_complaint`` for who is told what.
    """
    return receive_public_complaint(complaint=complaint, ip=ip, now=now, uploads=uploads).ticket


def _unverified_reason(contact, customer) -> str:
    reason = _("Unverified contact: %(name)s <%(email)s> named the account %(customer)s on "
               "the public form. Confirm that they speak for it, or move the ticket.",
               name=contact.name, email=contact.email or "", customer=customer.name)
    return reason if len(reason) <= REVIEW_REASON_MAX else reason[:REVIEW_REASON_MAX - 1] + "…"


def receive_public_complaint(*, complaint: PublicComplaint, ip: str, now: datetime,
                             uploads: list[Upload] = ()) -> PublicReceipt:
    """A customer files a complaint on the public form (no login).

    Who the complaint is filed under (``customers._match_sender``) decides what the
    submitter is shown. An address that is already a contact's files the ticket under
    that contact, but the private link is not shown: it goes to the address by e-mail
    only. A new address naming an existing customer opens the ticket on a new unverified
    contact of that customer, flagged for review; the link is shown (the ticket is the
    submitter's own, on their own contact). A new address naming no customer makes a new
    customer and contact; the link is shown.
    """
    cfg = current_app.config
    key = f"complain:{ip}"
    if ratelimit.is_limited(key, limit=int(cfg["PUBLIC_RATE_LIMIT"]),
                            window_seconds=int(cfg["PUBLIC_RATE_WINDOW_SECONDS"]), now=now):
        raise RateLimited(_public_limit_message())
    name = _clean_text(complaint.name, field="name", label=_("Your name"), maximum=120)
    email = customers.normalise_email(complaint.email)
    if not email:
        raise DomainError(_("Your e-mail address is needed so we can answer."), field="email")
    description = _clean_text(complaint.description, field="description",
                              label=_("What happened"), maximum=BODY_MAX)

    def action(checked, written):
        match = customers._match_sender(name=name, email=email, company=complaint.company,
                                        now=now)
        customer, contact = match.customer, match.contact
        category = (_active_category(complaint.category_id) if complaint.category_id
                    else _fallback_category())
        first_line = description.splitlines()[0].strip()
        subject = first_line if len(first_line) <= 80 else first_line[:77].rstrip() + "…"
        fields = TicketFields(
            subject=subject, description=description, channel=Channel.WEB,
            kind=TicketKind.COMPLAINT, category_id=category.id, severity=Severity.P3,
            order_reference=complaint.order_reference, currency=cfg["DEFAULT_CURRENCY"],
        )
        ticket = _new_ticket(fields=fields, customer=customer, contact=contact, actor=None,
                             team=None, assignee=None, now=now)
        if not contact.verified:
            ticket.review_reason = _unverified_reason(contact, customer)
        created = _event(ticket, EventKind.CREATED, now=now, actor=None, by_customer=True,
                         body=description, new=Channel.WEB.value)
        _attach(ticket, created, checked, None, written)
        _after_intake(ticket, actor=None, now=now)
        if ratelimit.acquire([ratelimit.Limit(key, int(cfg["PUBLIC_RATE_LIMIT"]),
                                              int(cfg["PUBLIC_RATE_WINDOW_SECONDS"]))],
                             now=now) is None:
            raise RateLimited(_public_limit_message())
        return PublicReceipt(ticket=ticket, show_link=not match.known,
                             emailed_to=contact.email or email,
                             needs_review=bool(ticket.review_reason))

    return _run_with_files(action, uploads)


def ticket_by_token(token: str) -> Ticket:
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.public_token == token)) if (
        token and len(token) <= 64) else None
    if ticket is None:
        raise NotFound(_("No complaint matches this link."))
    return ticket


# ----------------------------------------------------------------- conversation

def reply(ticket: Ticket, *, actor: User, body: str, expected_version: int | None,
          now: datetime, status_after: TicketStatus | None = None,
          uploads: list[Upload] = (), apology: bool = False,
          explanation: RootCause | None = None, proof_reason: str = "",
          log_only: bool = False) -> TicketEvent:
    """A public reply the customer sees. The first one is the first response.

    It is e-mailed to the ticket's contact and the contacts copied on the ticket, unless
    ``log_only`` (what was said on the phone) or nobody has an address; the event's
    ``via`` records which ("email", "log_only", "no_address"). Whatever happens to the
    e-mail later, the reply stays on the ticket.

    ``apology`` and ``explanation`` record that this reply apologises, or explains
    the cause (with its root-cause code), ticking those playbook steps.

    Evidence guard: on a claim within the playbook's evidence threshold, a reply
    that asks the customer for proof is held back unless ``proof_reason`` says why;
    that reason is logged as an internal note.
    """
    access.require_work_ticket(actor, ticket)
    _check_version(ticket, expected_version)
    body = _clean_text(body, field="body", label=_("Reply"), maximum=BODY_MAX)
    if status_after is not None and status_after is TicketStatus.NEW:
        raise InvalidTransition(_("A reply cannot set a ticket back to new."), field="status_after")
    asks = _asks_for_proof(ticket, body)
    proof_reason = (proof_reason or "").strip()
    if asks and not proof_reason:
        raise DomainError(_(
            "This claim is within the no-proof limit (%(limit)s %(currency)s) and your reply "
            "asks for proof (“%(words)s”). Make the customer whole without it, or give a "
            "reason to send it anyway.", limit=ledger.rules_for(ticket).evidence_threshold,
            currency=ticket.currency, words="”, “".join(asks)), field="proof_reason")

    def action(checked, written):
        via = outgoing.reply_via(ticket, log_only=log_only)
        event = events._record(ticket, EventKind.PUBLIC_REPLY, now=now, actor=actor, body=body,
                               via=via)
        _attach(ticket, event, checked, actor, written)
        if via == outgoing.VIA_EMAIL:
            outgoing._reply(ticket, event, actor=actor, now=now)
        playbooks._record_reply(ticket, event, actor=actor, now=now, apology=apology,
                                explanation=explanation)
        if asks:
            _event(ticket, EventKind.INTERNAL_NOTE, now=now, actor=actor, body=_(
                "Asked the customer for proof within the no-proof limit. Reason: %(reason)s",
                reason=proof_reason))
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        sla._responded(ticket, now=now)
        target = status_after or (TicketStatus.OPEN if ticket.status is TicketStatus.NEW else None)
        if target is not None and target is not ticket.status:
            _set_status(ticket, target, actor=actor, now=now)
        ticket.last_activity_at = now
        return event

    return _run_with_files(action, uploads)


def add_note(ticket: Ticket, *, actor: User, body: str, now: datetime,
             uploads: list[Upload] = ()) -> TicketEvent:
    """An internal note: never shown to the customer. Does not change the ticket itself."""
    access.require_note_ticket(actor, ticket)
    body = _clean_text(body, field="body", label=_("Note"), maximum=BODY_MAX)

    def action(checked, written):
        event = _event(ticket, EventKind.INTERNAL_NOTE, now=now, actor=actor, body=body)
        _attach(ticket, event, checked, actor, written)
        return event

    return _run_with_files(action, uploads)


def add_attachments(ticket: Ticket, *, actor: User, now: datetime,
                    uploads: list[Upload]) -> TicketEvent:
    """Files added to the ticket on their own (internal, like every attachment)."""
    access.require_note_ticket(actor, ticket)

    def action(checked, written):
        if not checked:
            raise DomainError(_("Choose at least one file."), field="attachments")
        event = _event(ticket, EventKind.ATTACHMENT, now=now, actor=actor,
                       body=", ".join(item.original_name for item in checked))
        _attach(ticket, event, checked, actor, written)
        return event

    return _run_with_files(action, uploads)


def log_customer_message(ticket: Ticket, *, actor: User | None, body: str, now: datetime,
                         uploads: list[Upload] = (), ip: str | None = None) -> TicketEvent:
    """A message from the customer: via the private link (no actor) or logged by staff.

    A ticket waiting on the customer goes back to open; a resolved one is reopened.
    On the private link a closed ticket takes no more messages, and the link's limits
    apply (``ip`` is the sender's address): see ``_check_follow_up_limits``.
    """
    if actor is not None:
        access.require_work_ticket(actor, ticket)
    elif ticket.status is TicketStatus.CLOSED:
        raise InvalidTransition(_(
            "This complaint is closed. Please send a new complaint and mention "
            "%(reference)s.", reference=ticket.reference), field="body")
    else:
        _check_follow_up_limits(ticket, ip=ip, files=0, now=now)
    body = _clean_text(body, field="body", label=_("Message"), maximum=BODY_MAX)

    def action(checked, written):
        if actor is None:
            _check_follow_up_limits(ticket, ip=ip, files=len(checked), now=now)
            _record_follow_up(ticket, ip=ip, files=len(checked), now=now)
        return _customer_message(ticket, actor=actor, body=body, now=now, checked=checked,
                                 written=written, via="staff" if actor is not None else "web")

    return _run_with_files(action, uploads)


def _customer_message(ticket: Ticket, *, actor: User | None, body: str, now: datetime,
                      checked, written, via: str, quoted_body: str = "") -> TicketEvent:
    """The customer's message on the timeline, whichever way it came (the private link,
    staff logging it, e-mail), inside the caller's transaction.

    A ticket waiting on the customer, resolved or closed goes back to open (its clocks
    run again); which messages may reach a resolved or closed ticket is the caller's rule.
    """
    event = _event(ticket, EventKind.CUSTOMER_MESSAGE, now=now, actor=actor, body=body,
                   by_customer=True, via=via, quoted_body=quoted_body)
    _attach(ticket, event, checked, actor, written)
    if ticket.status in (TicketStatus.PENDING_CUSTOMER, *REOPEN_STATUSES):
        _set_status(ticket, TicketStatus.OPEN, actor=actor, now=now, by_customer=actor is None)
    sla._customer_wrote(ticket, now=now)
    ticket.last_activity_at = now
    return event


def _follow_up_keys(ticket: Ticket, ip: str | None) -> tuple[str, str, str]:
    """Rate-limit keys: posts per link, posts per address, files per link."""
    address = (ip or "unknown")[:100]
    return (f"follow:{ticket.id}", f"follow-ip:{address}", f"follow-files:{ticket.id}")


def _check_follow_up_limits(ticket: Ticket, *, ip: str | None, files: int,
                            now: datetime) -> None:
    """Refuse a message on the private link once the link or the address has sent its share.

    Within the last ``FOLLOW_UP_RATE_WINDOW_SECONDS`` (a sliding window; a message exactly
    that old no longer counts) a link takes at most ``FOLLOW_UP_POSTS_PER_LINK`` messages
    and ``FOLLOW_UP_FILES_PER_LINK`` files, and one address at most
    ``FOLLOW_UP_POSTS_PER_ADDRESS`` messages over all links. Only messages that were
    saved count; a refused one saves nothing.
    """
    cfg = current_app.config
    window = int(cfg["FOLLOW_UP_RATE_WINDOW_SECONDS"])
    link_key, address_key, files_key = _follow_up_keys(ticket, ip)
    if (ratelimit.is_limited(link_key, limit=int(cfg["FOLLOW_UP_POSTS_PER_LINK"]),
                             window_seconds=window, now=now)
            or ratelimit.is_limited(address_key, limit=int(cfg["FOLLOW_UP_POSTS_PER_ADDRESS"]),
                                    window_seconds=window, now=now)):
        raise RateLimited(_(
            "We have received several messages on this complaint in the last hour. "
            "Please wait a little before you write again, or call us if it is urgent."),
            field="body")
    most_files = int(cfg["FOLLOW_UP_FILES_PER_LINK"])
    # count + files > most  ⇔  count ≥ most − files + 1
    if files and ratelimit.is_limited(files_key, limit=most_files - files + 1,
                                      window_seconds=window, now=now):
        raise RateLimited(_(
            "This complaint takes at most %(n)s files an hour. Please send fewer files, "
            "or wait a little and send the rest later.", n=most_files), field="attachments")


def _record_follow_up(ticket: Ticket, *, ip: str | None, files: int, now: datetime) -> None:
    """Count a message on the private link, atomically with the limits' check.

    ``_check_follow_up_limits`` refuses early, before any file is read; this is the check
    that holds when messages race: the hits are recorded and counted under a lock, in the
    message's own transaction, so a refused message saves nothing and records nothing.
    """
    cfg = current_app.config
    window = int(cfg["FOLLOW_UP_RATE_WINDOW_SECONDS"])
    link_key, address_key, files_key = _follow_up_keys(ticket, ip)
    limits = [ratelimit.Limit(link_key, int(cfg["FOLLOW_UP_POSTS_PER_LINK"]), window),
              ratelimit.Limit(address_key, int(cfg["FOLLOW_UP_POSTS_PER_ADDRESS"]), window)]
    if files:
        limits.append(ratelimit.Limit(files_key, int(cfg["FOLLOW_UP_FILES_PER_LINK"]), window,
                                      cost=files))
    if ratelimit.acquire(limits, now=now) is None:
        # Lost a race with another message; the early check tells which limit it was.
        _check_follow_up_limits(ticket, ip=ip, files=files, now=now)
        raise RateLimited(_(
            "We have received several messages on this complaint in the last hour. "
            "Please wait a little before you write again, or call us if it is urgent."),
            field="body")


# ----------------------------------------------------------------- status, assignment, details

def allowed_statuses(ticket: Ticket) -> list[TicketStatus]:
    """Statuses a ticket may move to from where it is."""
    return [s for s in TicketStatus if s is not TicketStatus.NEW and s is not ticket.status]


def _set_status(ticket: Ticket, target: TicketStatus, *, actor: User | None, now: datetime,
                by_customer: bool = False) -> None:
    old = ticket.status
    if target is old:
        return
    if target not in allowed_statuses(ticket):
        raise InvalidTransition(_("A %(old)s ticket cannot become %(new)s.", old=old.value,
                                  new=target.value), field="status")
    if target is TicketStatus.RESOLVED or (
            target is TicketStatus.CLOSED and old is not TicketStatus.RESOLVED):
        playbooks._check_can_close(ticket)
        ledger._check_goodwill_given(ticket)
    if old in REOPEN_STATUSES and target not in REOPEN_STATUSES:
        ticket.reopen_count += 1
        ticket.resolved_at = None
        ticket.closed_at = None
        playbooks._reopen_recurring(ticket, now=now)
    if target in REOPEN_STATUSES:
        playbooks._close_recurring(ticket, now=now)
    if target is TicketStatus.RESOLVED:
        ticket.resolved_at = now
    if target is TicketStatus.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    ticket.status = target
    ticket.last_activity_at = now
    change = _event(ticket, EventKind.STATUS_CHANGE, now=now, actor=actor, field="status",
                    old=old.value, new=target.value, by_customer=by_customer)
    sla._status_changed(ticket, old, actor=actor, now=now)
    if target is TicketStatus.RESOLVED:
        # One e-mail: the resolution message, with the survey's invitation when one is made.
        survey = surveys._send_on_resolve(ticket, now=now, actor=actor)
        outgoing._resolution(ticket, change, now=now, survey=survey)


def _reopen(ticket: Ticket, *, now: datetime, actor: User | None = None,
            by_customer: bool = False) -> None:
    """A resolved or closed ticket goes back to open (inside the caller's transaction)."""
    if ticket.status not in REOPEN_STATUSES:
        raise InvalidTransition(_("Only a resolved or closed ticket can be reopened."),
                                field="status")
    _set_status(ticket, TicketStatus.OPEN, actor=actor, now=now, by_customer=by_customer)


def change_status(ticket: Ticket, *, actor: User, status: TicketStatus,
                  expected_version: int | None, now: datetime) -> Ticket:
    access.require_work_ticket(actor, ticket)
    _check_version(ticket, expected_version)
    if status is ticket.status:
        raise InvalidTransition(_("The ticket is already %(status)s.", status=status.value),
                                field="status")
    with unit_of_work():
        _set_status(ticket, status, actor=actor, now=now)
    return ticket


def assign(ticket: Ticket, *, actor: User, team_id: int | None, assignee_id: int | None,
           expected_version: int | None, now: datetime) -> Ticket:
    """Route a ticket to a team and/or a person (None clears)."""
    access.require_work_ticket(actor, ticket)
    _check_version(ticket, expected_version)
    team, assignee = _resolve_assignment(team_id, assignee_id, now=now, actor=actor)
    if team is ticket.team and assignee is ticket.assignee:
        raise DomainError(_("Nothing to change: the ticket is already assigned like that."),
                          field="assignee_id")
    with unit_of_work():
        old_team, old_assignee = ticket.team, ticket.assignee
        ticket.team, ticket.assignee = team, assignee
        ticket.last_activity_at = now
        events._assignment(ticket, old_team=old_team, old_assignee=old_assignee,
                           actor=actor, now=now)
    return ticket


def assign_to_me(ticket: Ticket, *, actor: User, expected_version: int | None,
                 now: datetime) -> Ticket:
    """Take a ticket. Keeps its team when the actor belongs to it, else the actor's first team."""
    team_id = ticket.team_id
    if team_id is not None and team_id not in actor.team_ids and actor.teams:
        team_id = actor.teams[0].id
    elif team_id is not None and team_id not in actor.team_ids:
        team_id = None
    return assign(ticket, actor=actor, team_id=team_id, assignee_id=actor.id,
                  expected_version=expected_version, now=now)


def reroute(ticket: Ticket, *, actor: User, expected_version: int | None,
            now: datetime) -> "routing.Decision":
    """Run the routing rules again on an open ticket; they may change team and assignee."""
    access.require_work_ticket(actor, ticket)
    _check_version(ticket, expected_version)
    if not ticket.is_open:
        raise InvalidTransition(_("Only open tickets can be re-routed."), field="reroute")
    with unit_of_work():
        return routing._route(ticket, actor=actor, now=now)


def reroute_many(ticket_ids: list[int], *, actor: User, now: datetime) -> int:
    """A lead re-routes several open tickets (an away agent's) in one go."""
    if actor.role is not Role.LEAD:
        raise PermissionDenied(_("Only leads re-route tickets in bulk."))
    if not ticket_ids:
        raise DomainError(_("Choose at least one ticket."), field="ticket_ids")
    found = list(db.session.scalars(
        sa.select(Ticket).where(Ticket.id.in_(ticket_ids)).order_by(Ticket.id)))
    if len(found) != len(set(ticket_ids)):
        raise NotFound(_("Some of these tickets no longer exist."))
    with unit_of_work():
        for ticket in found:
            if ticket.is_open:
                routing._route(ticket, actor=actor, now=now)
    return sum(1 for t in found if t.is_open)


def is_watching(ticket: Ticket, user: User) -> bool:
    return db.session.get(TicketWatcher, (ticket.id, user.id)) is not None


def watchers(ticket: Ticket) -> list[TicketWatcher]:
    return list(db.session.scalars(
        sa.select(TicketWatcher).where(TicketWatcher.ticket_id == ticket.id)
        .options(sa.orm.joinedload(TicketWatcher.user)).order_by(TicketWatcher.created_at)))


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
            .on_conflict_do_nothing(index_elements=["ticket_id", "user_id"]))
    return db.session.get(TicketWatcher, (ticket.id, actor.id), populate_existing=True)


def unwatch(ticket: Ticket, *, actor: User) -> None:
    access.require_view_ticket(actor, ticket)
    existing = db.session.get(TicketWatcher, (ticket.id, actor.id))
    if existing is None:
        raise DomainError(_("You do not watch this ticket."), field="watch")
    with unit_of_work():
        db.session.delete(existing)


_DETAIL_LABELS = {
    "cause_side": "cause_side",
    "subject": "subject", "kind": "kind", "category_id": "category", "severity": "severity",
    "order_reference": "order_reference", "currency": "currency",
    "order_value": "order_value", "claimed_loss": "claimed_loss",
}


def update_details(ticket: Ticket, *, actor: User, changes: DetailChanges,
                   expected_version: int | None, now: datetime) -> list[TicketEvent]:
    """Edit categorisation and money fields; one field-change event per changed field."""
    access.require_work_ticket(actor, ticket)
    _check_version(ticket, expected_version)
    currency = check_currency(changes.currency)
    new = {
        "subject": _clean_text(changes.subject, field="subject", label=_("Subject"),
                               maximum=SUBJECT_MAX),
        "kind": changes.kind,
        "category_id": _active_category(changes.category_id).id
        if changes.category_id != ticket.category_id else ticket.category_id,
        "severity": changes.severity,
        "order_reference": (changes.order_reference or "").strip()[:64],
        "currency": currency,
        "order_value": check_money(changes.order_value, field="order_value", currency=currency),
        "claimed_loss": check_money(changes.claimed_loss, field="claimed_loss",
                                    currency=currency),
        "cause_side": changes.cause_side,
    }
    changed: list[TicketEvent] = []
    with unit_of_work():
        for f in dc_fields(DetailChanges):
            name = f.name
            old_value, new_value = getattr(ticket, name), new[name]
            if old_value == new_value:
                continue
            if name == "category_id":
                old_text = ticket.category.name
                ticket.category = db.session.get(Category, new_value)
                new_text = ticket.category.name
            else:
                setattr(ticket, name, new_value)
                old_text, new_text = _display(name, old_value, ticket), _display(name, new_value, ticket)
            changed.append(_event(ticket, EventKind.FIELD_CHANGE, now=now, actor=actor,
                                 field=_DETAIL_LABELS[name], old=old_text, new=new_text))
        if not changed:
            raise DomainError(_("Nothing was changed."), field="subject")
        if ticket.kind is TicketKind.CRISIS:
            notifications._account_crisis(ticket, now=now)
        if any(e.field in ("severity", "kind") for e in changed):
            sla._recompute(ticket, actor=actor, now=now)
        ticket.last_activity_at = now
    return changed


def _display(name: str, value, ticket: Ticket) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        # In the ticket's (possibly new) currency: 368 JPY, 10.50 EUR, 1.250 KWD.
        return str(value.quantize(money.minor_unit(ticket.currency)))
    if hasattr(value, "value"):
        return value.value
    return str(value)


# ----------------------------------------------------------------- reading

def timeline(ticket: Ticket, *, public_only: bool = False) -> list[TicketEvent]:
    stmt = (
        sa.select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .options(sa.orm.selectinload(TicketEvent.actor),
                 sa.orm.selectinload(TicketEvent.attachments))
        .order_by(TicketEvent.created_at, TicketEvent.id)
    )
    if public_only:
        stmt = stmt.where(TicketEvent.kind.in_(PUBLIC_EVENT_KINDS))
    return list(db.session.scalars(stmt))


def _assignable(stmt: sa.Select) -> sa.Select:
    return (stmt.where(User.active.is_(True), User.role.in_((Role.AGENT, Role.LEAD)))
            .order_by(User.name))


def assignable_choices() -> list[tuple[int, str]]:
    """(id, name) of the active agents and leads, for assignment menus."""
    return [(i, name) for i, name in db.session.execute(_assignable(
        sa.select(User.id, User.name)))]


def assignable_users() -> list[User]:
    """Active agents and leads, with their teams loaded, for assignment menus."""
    return list(db.session.scalars(
        _assignable(sa.select(User)).options(sa.orm.selectinload(User.teams))))
