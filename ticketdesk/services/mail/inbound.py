"""Mail received by the desk: each message is stored once, then acted on.

Storing comes first and commits on its own: a message the desk has answered "stored"
for (the pipe's exit status 0, the IMAP message moved away) is in the database before
anything else happens to it. ``dedupe_key`` makes a second delivery of the same message,
or a fetch repeated after a crash, find the stored one instead of storing it again.
"""

import hashlib
import logging
import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import getaddresses

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ticketdesk.core import ratelimit
from ticketdesk.core.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    Channel,
    Contact,
    Customer,
    EventKind,
    InboundMail,
    InboundSource,
    InboundState,
    OutboxMessage,
    OutboxState,
    Role,
    Severity,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
    User,
)
from ticketdesk.services.customers import customers
from ticketdesk.services.mail import parse as mail_parse
from ticketdesk.services.notifications import notifications
from ticketdesk.services.notifications.outbox import clean_header
from ticketdesk.services.recovery import rules as rules_module
from ticketdesk.services.tickets import attachments, common, conversation
from ticketdesk.services.tickets import intake as ticket_intake

log = logging.getLogger("ticketdesk.mail.inbound")


@dataclass(frozen=True)
class Stored:
    mail: InboundMail
    created: bool  # False: the same message was stored before


def dedupe_key(raw: bytes, message_id: str | None = None) -> str:
    """SHA-256 of the message's Message-ID, or of its bytes when it has none."""
    if message_id is None:
        message_id = mail_parse.envelope(raw).message_id
    basis = ("message-id:" + message_id).encode() if message_id else b"raw:" + raw
    return hashlib.sha256(basis).hexdigest()


def find_stored(raw: bytes) -> InboundMail | None:
    """The stored row of ``raw`` (same dedupe key), or None."""
    return db.session.scalar(
        sa.select(InboundMail).where(InboundMail.dedupe_key == dedupe_key(raw))
    )


def store(raw: bytes, *, source: InboundSource, now: datetime) -> Stored:
    """Keep ``raw`` (once) in its own transaction; the stored row is returned either way."""
    # The headers alone: reading the body (HTML, quoted history) is for acting on it.
    head = mail_parse.envelope(raw)
    key = dedupe_key(raw, head.message_id)
    existing = db.session.scalar(sa.select(InboundMail).where(InboundMail.dedupe_key == key))
    if existing is not None:
        return Stored(existing, False)
    message_id, sender, subject = head.message_id, head.sender, head.subject
    # NUL cannot be stored in a text column (PostgreSQL); the raw bytes keep it.
    message_id, sender = message_id.replace("\x00", ""), sender.replace("\x00", "")
    try:
        with unit_of_work():
            mail = InboundMail(
                dedupe_key=key,
                message_id=message_id[:255],
                sender=sender[:254],
                subject=clean_header(subject),
                source=source,
                state=InboundState.RECEIVED,
                reason="",
                raw=raw,
                size_bytes=len(raw),
                received_at=now,
            )
            db.session.add(mail)
    except IntegrityError:
        # Another process stored the same message a moment ago.
        existing = db.session.scalar(sa.select(InboundMail).where(InboundMail.dedupe_key == key))
        if existing is None:
            raise
        return Stored(existing, False)
    return Stored(mail, True)


# ----------------------------------------------------------------- kept for audit


def raw_by_event(ticket: Ticket) -> dict[int, int]:
    """For each timeline entry of ``ticket`` made from a received e-mail, that e-mail's id.

    The caller has checked the reader may see the ticket.
    """
    rows = db.session.execute(
        sa.select(InboundMail.event_id, InboundMail.id).where(
            InboundMail.ticket_id == ticket.id, InboundMail.event_id.is_not(None)
        )
    )
    return {event_id: mail_id for event_id, mail_id in rows}


def original(ticket: Ticket, mail_id: int) -> InboundMail | None:
    """The received e-mail ``mail_id`` when it belongs to ``ticket`` (else None)."""
    mail = db.session.get(InboundMail, mail_id)
    return mail if mail is not None and mail.ticket_id == ticket.id else None


# ----------------------------------------------------------------- acting on a message


class _Hold(Exception):
    """The message waits for an admin; nothing of acting on it is kept."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# How often acting is tried when a concurrent change (an agent saving the same ticket, a
# second process storing the same new contact) rolled it back, before it is held.
_ATTEMPTS = 3
_REFERENCE = re.compile(r"\[\s*(TD-\d{6,})\s*\]", re.IGNORECASE)
# Thread headers looked up per message: a long References chain is read from its end.
_MAX_THREAD_IDS = 50
_RAW_NOTE_LIMIT = 2000


@dataclass
class _Outcome:
    state: InboundState
    reason: str
    ticket: Ticket | None = None
    event: TicketEvent | None = None


def process(mail_id: int, *, now: datetime) -> InboundMail | None:
    """Act on a stored message that has not been acted on yet (state ``received``).

    Everything it does (a ticket, a message on one, a note, a bounce) happens in one
    transaction. If acting fails for any reason, that transaction is rolled back and the
    message is held for an admin, with the reason, in a transaction of its own: a message
    is never lost and never half applied. A message acted on before is left alone. When
    the database itself is unavailable the error is raised and the message stays
    ``received``, to be acted on by the next ``process`` or ``process_pending``.
    """
    return _process(mail_id, now=now)[0]


def _process(mail_id: int, *, now: datetime) -> tuple[InboundMail | None, bool]:
    """``process``, and whether this call acted on the message (False: done before)."""
    mail = db.session.get(InboundMail, mail_id)
    if mail is None or mail.state is not InboundState.RECEIVED:
        return mail, False
    limit = int(current_app.config["MAIL_MAX_MESSAGE_BYTES"])
    if mail.size_bytes > limit:
        return _act(
            mail_id,
            None,
            now=now,
            hold=_(
                "The message is larger than %(size)s, the most the desk reads.",
                size=attachments.size_text(limit),
            ),
        )
    try:
        parsed = mail_parse.parse(mail.raw)
    except mail_parse.UnreadableMail as exc:
        return _act(
            mail_id, None, now=now, hold=_("The message cannot be read: %(why)s", why=str(exc))
        )
    except Exception as exc:  # whatever the parser trips on, the mail is held
        log.exception("Received mail %s could not be parsed", mail_id)
        return _act(
            mail_id,
            None,
            now=now,
            hold=_("The message cannot be read: %(why)s", why=f"{type(exc).__name__}: {exc}"),
        )
    return _act(mail_id, parsed, now=now)


def process_pending(*, now: datetime, limit: int = 500) -> int:
    """Act on every message still ``received`` (stored, then interrupted), oldest first.

    Returns how many were acted on now. Safe to run while other processes ingest: each
    message is claimed before it is acted on, so none is acted on twice.
    """
    ids = list(
        db.session.scalars(
            sa.select(InboundMail.id)
            .where(InboundMail.state == InboundState.RECEIVED)
            .order_by(InboundMail.received_at, InboundMail.id)
            .limit(limit)
        )
    )
    db.session.rollback()  # end the read; every message gets a transaction of its own
    return sum(1 for mail_id in ids if _process(mail_id, now=now)[1])


def _act(
    mail_id: int, parsed: mail_parse.ParsedMail | None, *, now: datetime, hold: str | None = None
) -> tuple[InboundMail | None, bool]:
    """Apply ``parsed`` to the desk in one transaction, or hold the message.

    Returns the message and whether this call acted on it (False: another process did).
    """
    reason = hold
    for attempt in range(1, _ATTEMPTS + 1):
        if reason is not None:
            break
        written: list = []
        try:
            with unit_of_work():
                if not _claim(mail_id, InboundState.RECEIVED):
                    return db.session.get(InboundMail, mail_id), False
                mail = db.session.get(InboundMail, mail_id)
                outcome = _apply(parsed, now=now, written=written)
                _finish(mail, outcome)
            return mail, True
        except _Hold as exc:
            attachments.discard_files(written)
            reason = exc.reason
        except (sa.exc.OperationalError, sa.exc.InterfaceError):
            # The database is unavailable: nothing is held (that would fail too); the
            # message stays received for the next try (the pipe's caller retries).
            attachments.discard_files(written)
            raise
        except (Conflict, IntegrityError) as exc:
            attachments.discard_files(written)
            if attempt == _ATTEMPTS:
                reason = _("It could not be applied: %(why)s", why=_short_error(exc))
        except Exception as exc:  # held with the reason, never lost
            attachments.discard_files(written)
            log.exception("Received mail %s could not be applied", mail_id)
            reason = (
                str(exc)
                if isinstance(exc, DomainError)
                else _("It could not be applied: %(why)s", why=_short_error(exc))
            )
    with unit_of_work():
        held_now = _claim(mail_id, InboundState.RECEIVED)
        if held_now:
            mail = db.session.get(InboundMail, mail_id)
            mail.state, mail.reason = InboundState.HELD, (reason or "")[:500]
    return db.session.get(InboundMail, mail_id), held_now


def _short_error(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


def _claim(mail_id: int, state: InboundState) -> bool:
    """Take the message for this transaction if it is still in ``state``.

    The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) first, so a
    second process acting on the same message waits, then finds it moved on.
    """
    result = db.session.execute(
        sa.update(InboundMail)
        .where(InboundMail.id == mail_id, InboundMail.state == state)
        .values(state=state)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _finish(mail: InboundMail, outcome: _Outcome) -> None:
    mail.state, mail.reason = outcome.state, outcome.reason[:500]
    if outcome.ticket is not None:
        db.session.flush()
        mail.ticket_id = outcome.ticket.id
        mail.event_id = outcome.event.id if outcome.event is not None else None


def own_addresses() -> set[str]:
    """The desk's own addresses: MAIL_FROM, MAIL_REPLY_TO and MAIL_OWN_ADDRESSES."""
    cfg = current_app.config
    values = [
        cfg.get("MAIL_FROM") or "",
        cfg.get("MAIL_REPLY_TO") or "",
        *str(cfg.get("MAIL_OWN_ADDRESSES") or "").split(","),
    ]
    return {address.lower() for _name, address in getaddresses(values) if "@" in address}


def _apply(parsed: mail_parse.ParsedMail, *, now: datetime, written: list) -> _Outcome:
    """What the message means for the desk (inside the caller's transaction)."""
    if parsed.bounce is not None:
        return _bounce(parsed, now=now)
    if not parsed.sender:
        raise _Hold(_("The message has no sender address."))
    if len(parsed.sender) > 254 or clean_header(parsed.sender, limit=254) != parsed.sender:
        raise _Hold(_("The sender address is not valid."))
    automated = parsed.automated or (
        _("sent from the desk's own address") if parsed.sender in own_addresses() else ""
    )
    ticket = _threaded_ticket(parsed)
    if automated:
        if ticket is None:
            return _Outcome(
                InboundState.IGNORED,
                _("An automatic message (%(why)s) about no ticket: nothing to do.", why=automated),
            )
        event = common.event(
            ticket,
            EventKind.INTERNAL_NOTE,
            now=now,
            actor=None,
            via="email",
            body=_automatic_note(parsed, automated),
        )
        return _Outcome(
            InboundState.IGNORED,
            _(
                "An automatic message (%(why)s), recorded on %(reference)s without answering.",
                why=automated,
                reference=ticket.reference,
            ),
            ticket,
            event,
        )
    if ticket is None:
        ticket, event = _open_ticket(parsed, now=now, written=written)
        return _Outcome(
            InboundState.APPLIED,
            _("New ticket %(reference)s.", reference=ticket.reference),
            ticket,
            event,
        )
    return _to_ticket(parsed, ticket, now=now, written=written)


def _to_ticket(
    parsed: mail_parse.ParsedMail,
    ticket: Ticket,
    *,
    now: datetime,
    written: list,
    limited: bool = True,
) -> _Outcome:
    """A message that names ``ticket``: the customer's answer, or a new ticket beside it."""
    if not _speaks_for(parsed.sender, ticket):
        new, event = _open_ticket(
            parsed,
            now=now,
            written=written,
            related=ticket,
            limited=limited,
            review=_(
                "Sent by %(sender)s, who is not a known contact of "
                "%(customer)s, about %(reference)s: check it before "
                "answering.",
                sender=parsed.sender,
                customer=ticket.customer.name,
                reference=ticket.reference,
            ),
        )
        return _Outcome(
            InboundState.APPLIED,
            _(
                "New ticket %(new)s, flagged: the sender may not join %(reference)s.",
                new=new.reference,
                reference=ticket.reference,
            ),
            new,
            event,
        )
    if not _takes_answers(ticket, now=now):
        new, event = _open_ticket(parsed, now=now, written=written, related=ticket, limited=limited)
        return _Outcome(
            InboundState.APPLIED,
            _(
                "New ticket %(new)s: %(reference)s is %(status)s and takes no more messages.",
                new=new.reference,
                reference=ticket.reference,
                status=ticket.status.value,
            ),
            new,
            event,
        )
    was = ticket.status
    checked, refused = _files(parsed.files)
    event = conversation.customer_message(
        ticket,
        actor=None,
        body=_body_text(parsed, has_files=bool(checked)),
        now=now,
        checked=checked,
        written=written,
        via="email",
        quoted_body=_text(parsed.quoted),
    )
    _refused_note(ticket, refused, now=now)
    notifications.customer_replied(ticket, event, now=now)
    if was is not ticket.status:
        reason = _(
            "The customer's answer on %(reference)s (%(old)s → %(new)s).",
            reference=ticket.reference,
            old=was.value,
            new=ticket.status.value,
        )
    else:
        reason = _("The customer's answer on %(reference)s.", reference=ticket.reference)
    return _Outcome(InboundState.APPLIED, reason, ticket, event)


def _speaks_for(sender: str, ticket: Ticket) -> bool:
    """Whether ``sender`` is a verified contact of ``ticket``'s customer."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(Contact.id)).where(
                Contact.email == sender,
                Contact.customer_id == ticket.customer_id,
                Contact.verified.is_(True),
            )
        )
        > 0
    )


def _takes_answers(ticket: Ticket, *, now: datetime) -> bool:
    """Open tickets do; resolved ones within the reopen window (both ends included) do
    and are reopened; closed ones, and resolved ones past the window, do not."""
    if ticket.status is TicketStatus.CLOSED:
        return False
    if ticket.status is TicketStatus.RESOLVED and ticket.resolved_at is not None:
        window = timedelta(days=rules_module.current().reopen_window_days)
        return now - ticket.resolved_at <= window
    return True


def _threaded_ticket(parsed: mail_parse.ParsedMail) -> Ticket | None:
    """The ticket a message answers: by In-Reply-To and References (newest first) against
    the ids of mail we sent and received, then by the ``[TD-000123]`` token in the subject."""
    ids: list[str] = []
    for value in (*parsed.in_reply_to, *reversed(parsed.references)):
        if value not in ids and "\x00" not in value and len(value) <= 255:
            ids.append(value)
    for value in ids[:_MAX_THREAD_IDS]:
        ticket_id = db.session.scalar(
            sa.select(OutboxMessage.ticket_id).where(
                OutboxMessage.message_id == value, OutboxMessage.ticket_id.is_not(None)
            )
        )
        if ticket_id is None:
            ticket_id = db.session.scalar(
                sa.select(InboundMail.ticket_id)
                .where(InboundMail.message_id == value, InboundMail.ticket_id.is_not(None))
                .order_by(InboundMail.id)
                .limit(1)
            )
        if ticket_id is not None:
            return db.session.get(Ticket, ticket_id)
    match = _REFERENCE.search(parsed.subject or "")
    if match:
        return db.session.scalar(sa.select(Ticket).where(Ticket.reference == match[1].upper()))
    return None


def _open_ticket(
    parsed: mail_parse.ParsedMail,
    *,
    now: datetime,
    written: list,
    related: Ticket | None = None,
    review: str = "",
    limited: bool = True,
    acknowledge: bool = True,
) -> tuple[Ticket, TicketEvent]:
    """A new complaint from the message, through the same intake as every channel."""
    cfg = current_app.config
    if limited:
        most = int(cfg["MAIL_NEW_TICKETS_PER_SENDER"])
        if (
            ratelimit.acquire(
                [ratelimit.Limit(f"mail-new:{parsed.sender}"[:120], most, 3600)], now=now
            )
            is None
        ):
            raise _Hold(
                _(
                    "%(sender)s has opened %(most)s tickets by e-mail in the last hour; "
                    "further ones wait here.",
                    sender=parsed.sender,
                    most=most,
                )
            )
    customer, contact = _customer_for(parsed)
    if contact.verified is False and not review:
        review = _(
            "%(sender)s is not yet confirmed as a contact of %(customer)s.",
            sender=parsed.sender,
            customer=customer.name,
        )
    checked, refused = _files(parsed.files)
    description = _body_text(parsed, has_files=bool(checked))
    fields = ticket_intake.TicketFields(
        subject=_subject(parsed, description),
        description=description,
        channel=Channel.EMAIL,
        kind=TicketKind.COMPLAINT,
        category_id=ticket_intake.fallback_category().id,
        severity=Severity.P3,
        currency=cfg["DEFAULT_CURRENCY"],
    )
    ticket = ticket_intake.new_ticket(
        fields=fields,
        customer=customer,
        contact=contact,
        actor=None,
        team=None,
        assignee=None,
        now=now,
    )
    ticket.review_reason = review[:255]
    ticket.related_ticket = related
    created = common.event(
        ticket,
        EventKind.CREATED,
        now=now,
        actor=None,
        by_customer=True,
        body=description,
        new=Channel.EMAIL.value,
        via="email",
        quoted_body=_text(parsed.quoted),
    )
    common.attach(ticket, created, checked, None, written)
    _refused_note(ticket, refused, now=now)
    if related is not None:
        common.event(
            ticket,
            EventKind.INTERNAL_NOTE,
            now=now,
            actor=None,
            body=_(
                "This e-mail named %(reference)s (%(status)s); "
                "it was opened as a ticket of its own.",
                reference=related.reference,
                status=related.status.value,
            ),
        )
    ticket_intake.after_intake(
        ticket, actor=None, now=now, acknowledge=acknowledge, answers=parsed.message_id
    )
    return ticket, created


def _customer_for(parsed: mail_parse.ParsedMail) -> tuple[Customer, Contact]:
    """The customer whose contact has the sender's address, or a new customer and contact
    named after the sender's display name (else the address)."""
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == parsed.sender))
    if contact is not None:
        return contact.customer, contact
    name = " ".join(clean_header(parsed.sender_name, limit=120).split()) or parsed.sender[:120]
    customer = customers.new_customer(customers.CustomerData(name=name[:160]))
    # The address is the one the mail came from: the new contact speaks for the new customer.
    contact = Contact(customer=customer, name=name, email=parsed.sender, phone="", verified=True)
    db.session.add(contact)
    return customer, contact


def _subject(parsed: mail_parse.ParsedMail, description: str) -> str:
    subject = " ".join(clean_header(parsed.subject).split())
    if not subject:
        first = description.splitlines()[0].strip() if description.strip() else ""
        subject = first or _("E-mail from %(sender)s", sender=parsed.sender)
    return (
        subject
        if len(subject) <= common.SUBJECT_MAX
        else (subject[: common.SUBJECT_MAX - 1].rstrip() + "…")
    )


def _text(value: str | None) -> str:
    """Received text as it can be stored: NUL (which no text column takes) becomes U+FFFD."""
    return (value or "").replace("\x00", "\ufffd")


def _body_text(parsed: mail_parse.ParsedMail, *, has_files: bool) -> str:
    text = _text(parsed.text).strip()
    if not text:
        return (
            _("(The e-mail has no text; see its files.)")
            if has_files
            else _("(The e-mail has no text.)")
        )
    if len(text) > common.BODY_MAX:
        marker = "\n\n" + _("[Cut here: the whole message is kept with the received mail.]")
        text = text[: common.BODY_MAX - len(marker)].rstrip() + marker
    return text


class _MailFileUpload:
    """A received file seen as an upload, so it meets the web's rules."""

    def __init__(self, filename: str, data: bytes) -> None:
        self.filename, self._data = filename, data

    def read(self, size: int = -1) -> bytes:
        return self._data if size < 0 else self._data[:size]


def _file_name(item: mail_parse.MailFile, number: int) -> str:
    if item.filename.strip():
        return item.filename
    extension = mimetypes.guess_extension(item.content_type or "") or ".bin"
    extension = {".jpe": ".jpg"}.get(extension, extension)
    return f"{'image' if item.inline else 'file'}-{number}{extension}"


def _files(items) -> tuple[list, list[str]]:
    """The files (attachments and inline images) that meet the web's type and size rules,
    and a line for each refused one. At most MAX_ATTACHMENTS_PER_UPLOAD are kept."""
    most = int(current_app.config["MAX_ATTACHMENTS_PER_UPLOAD"])
    checked, refused = [], []
    for number, item in enumerate(items, start=1):
        name = _file_name(item, number)
        try:
            file = attachments.check_upload(_MailFileUpload(name, item.data), field="attachments")
        except DomainError as exc:
            refused.append(str(exc))
            continue
        if file is None:
            continue
        if len(checked) >= most:
            refused.append(
                _(
                    "%(name)s: only %(most)s files are kept from one message.",
                    name=file.original_name,
                    most=most,
                )
            )
            continue
        checked.append(file)
    return checked, refused


def _refused_note(ticket: Ticket, refused: list[str], *, now: datetime) -> None:
    if refused:
        common.event(
            ticket,
            EventKind.INTERNAL_NOTE,
            now=now,
            actor=None,
            body="\n".join(
                [
                    _("Files in the e-mail that were not accepted (the received mail keeps them):"),
                    *(f"- {line}" for line in refused),
                ]
            ),
        )


def _automatic_note(parsed: mail_parse.ParsedMail, why: str) -> str:
    text = _text(parsed.text).strip()
    if len(text) > _RAW_NOTE_LIMIT:
        text = text[:_RAW_NOTE_LIMIT].rstrip() + "…"
    head = _(
        "Automatic e-mail from %(sender)s (%(why)s), not answered. Subject: %(subject)s",
        sender=parsed.sender or "?",
        why=why,
        subject=clean_header(parsed.subject) or "—",
    )
    return head + ("\n\n" + text if text else "")


def _bounce(parsed: mail_parse.ParsedMail, *, now: datetime) -> _Outcome:
    """A delivery report: the message it refers to is marked bounced, on its ticket too."""
    report = parsed.bounce
    message = (
        db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.message_id == report.original_message_id)
        )
        if (report.original_message_id)
        else None
    )
    if message is None:
        return _Outcome(
            InboundState.IGNORED,
            _(
                "A delivery report about a message the desk does not know (%(id)s).",
                id=report.original_message_id or "?",
            ),
        )
    why = clean_header(
        " ".join(part for part in (report.status, report.reason) if part), limit=400
    ) or _("no reason given")
    recipient = clean_header(report.recipient, limit=254) or message.to_address
    message.state, message.bounced_at = OutboxState.BOUNCED, now
    message.last_error = clean_header(f"{recipient}: {why}", limit=500)
    ticket = db.session.get(Ticket, message.ticket_id) if message.ticket_id else None
    if ticket is None:
        return _Outcome(
            InboundState.BOUNCE,
            _("The e-mail to %(address)s came back: %(why)s", address=recipient, why=why),
        )
    event = common.event(
        ticket,
        EventKind.INTERNAL_NOTE,
        now=now,
        actor=None,
        via="email",
        body=_(
            "The e-mail “%(subject)s” to %(address)s came back: %(why)s",
            subject=message.subject,
            address=recipient,
            why=why,
        ),
    )
    author = None
    if message.event_id:
        source = db.session.get(TicketEvent, message.event_id)
        author = source.actor if source is not None else None
    notifications.mail_bounced(ticket, recipient=recipient, reason=why, author=author, now=now)
    return _Outcome(
        InboundState.BOUNCE,
        _(
            "The e-mail to %(address)s on %(reference)s came back: %(why)s",
            address=recipient,
            reference=ticket.reference,
            why=why,
        ),
        ticket,
        event,
    )


# ----------------------------------------------------------------- held mail (admins)


def _require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied(_("Only administrators handle held mail."))


def held(*, actor: User, limit: int = 500) -> list[InboundMail]:
    """Messages waiting for an admin, newest first."""
    _require_admin(actor)
    return list(
        db.session.scalars(
            sa.select(InboundMail)
            .where(InboundMail.state == InboundState.HELD)
            .order_by(InboundMail.received_at.desc(), InboundMail.id.desc())
            .limit(limit)
        )
    )


def recently_decided(*, actor: User, limit: int = 20) -> list[InboundMail]:
    """The last held messages an admin released or discarded, newest decision first."""
    _require_admin(actor)
    return list(
        db.session.scalars(
            sa.select(InboundMail)
            .where(InboundMail.state.in_((InboundState.RELEASED, InboundState.DISCARDED)))
            .options(
                sa.orm.joinedload(InboundMail.decided_by), sa.orm.joinedload(InboundMail.ticket)
            )
            .order_by(InboundMail.decided_at.desc(), InboundMail.id.desc())
            .limit(limit)
        )
    )


def get_mail(mail_id: int, *, actor: User) -> InboundMail:
    _require_admin(actor)
    mail = db.session.get(InboundMail, mail_id)
    if mail is None:
        raise NotFound(_("No such message."))
    return mail


@dataclass(frozen=True)
class MailView:
    """A received message as the held-mail page shows it."""

    raw_text: str  # the raw message, decoded for display (escaped by the template)
    raw_cut: bool  # True when only the beginning is shown
    text: str  # the parsed text, "" when it cannot be read
    problem: str  # why it cannot be read, "" when it can


RAW_DISPLAY_BYTES = 200_000


def view_mail(mail: InboundMail) -> MailView:
    raw = mail.raw or b""
    shown = raw[:RAW_DISPLAY_BYTES].decode("utf-8", "replace")
    try:
        parsed = mail_parse.parse(raw)
    except Exception as exc:  # noqa: BLE001 - shown as the problem
        return MailView(shown, len(raw) > RAW_DISPLAY_BYTES, "", str(exc) or type(exc).__name__)
    return MailView(shown, len(raw) > RAW_DISPLAY_BYTES, parsed.text, "")


def release(
    mail_id: int, *, actor: User, now: datetime, reference: str | None = None
) -> InboundMail:
    """An admin releases a held message: as a new ticket, or onto the ticket ``reference``
    names (where the usual rules apply: a stranger's message still opens a flagged ticket
    of its own). No per-sender limit applies. Audited: who, when, and an event on the ticket.
    """
    _require_admin(actor)
    reference = (reference or "").strip().strip("[]").strip().upper()
    written: list = []
    try:
        with unit_of_work():
            mail = get_mail(mail_id, actor=actor)
            if not _claim(mail_id, InboundState.HELD):
                raise InvalidTransition(_("This message is no longer held."))
            try:
                parsed = mail_parse.parse(mail.raw)
            except Exception as exc:  # an unreadable message cannot be released
                raise DomainError(
                    _(
                        "This message cannot be read, so it cannot become a "
                        "ticket: %(why)s. Discard it.",
                        why=str(exc),
                    )
                ) from exc
            if not parsed.sender:
                raise DomainError(
                    _(
                        "This message has no sender address, so it cannot "
                        "become a ticket. Discard it."
                    )
                )
            if reference:
                target = db.session.scalar(sa.select(Ticket).where(Ticket.reference == reference))
                if target is None:
                    raise NotFound(
                        _("No ticket has the reference %(reference)s.", reference=reference),
                        field="reference",
                    )
                outcome = _to_ticket(parsed, target, now=now, written=written, limited=False)
            else:
                automatic = parsed.automated or parsed.sender in own_addresses()
                ticket, event = _open_ticket(
                    parsed, now=now, written=written, limited=False, acknowledge=not automatic
                )
                outcome = _Outcome(
                    InboundState.APPLIED,
                    _("New ticket %(reference)s.", reference=ticket.reference),
                    ticket,
                    event,
                )
            common.event(
                outcome.ticket,
                EventKind.INTERNAL_NOTE,
                now=now,
                actor=actor,
                body=_(
                    "E-mail from %(sender)s released from held mail by %(name)s. It was held "
                    "because: %(reason)s",
                    sender=parsed.sender,
                    name=actor.name,
                    reason=mail.reason or "—",
                ),
            )
            held_because = mail.reason
            _finish(
                mail,
                _Outcome(
                    InboundState.RELEASED,
                    _(
                        "Released: %(what)s It was held because: %(reason)s",
                        what=outcome.reason,
                        reason=held_because,
                    ),
                    outcome.ticket,
                    outcome.event,
                ),
            )
            mail.decided_by_id, mail.decided_at = actor.id, now
        return mail
    except Exception:
        attachments.discard_files(written)
        raise


def discard(mail_id: int, *, actor: User, now: datetime) -> InboundMail:
    """An admin discards a held message (kept, marked discarded, with who and when)."""
    _require_admin(actor)
    with unit_of_work():
        mail = get_mail(mail_id, actor=actor)
        if not _claim(mail_id, InboundState.HELD):
            raise InvalidTransition(_("This message is no longer held."))
        mail.state = InboundState.DISCARDED
        mail.decided_by_id, mail.decided_at = actor.id, now
    return mail


def ingest(raw: bytes, *, source: InboundSource, now: datetime) -> Stored:
    """Store ``raw`` (once), then act on it unless that was done before."""
    stored = store(raw, source=source, now=now)
    process(stored.mail.id, now=now)
    return stored
