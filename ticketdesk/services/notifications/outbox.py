"""The outbox: every e-mail the product sends is queued here and sent by ``send_due``.

With an SMTP server configured (``MAIL_SERVER``), messages go out through the
standard library's ``smtplib``; a temporary failure (4xx reply, a refused or
dropped connection, a timeout) is retried later with growing delays, a permanent
one (5xx) fails at once. Without a server, each message is written to the log.

``send_due`` claims each message with a conditional update before sending it, so
two senders running at once never send the same message at the same time. Delivery
is at-least-once: a sender killed after the server accepted a message but before it
recorded that leaves the claim to expire (``CLAIM_MINUTES``), and the message is sent
again, with the same ``Message-ID`` (made when it was queued), so receiving systems
that drop duplicates by Message-ID show it once.

Headers are made safe when a message is queued (``clean_header``); a message that
still cannot be built or sent fails alone, with the reason, and the run goes on. An
e-mail copy of a notification is sent only while its recipient may still see what it
is about (``access.can_receive_notification``); otherwise it is marked withheld.
"""

import contextlib
import logging
import re
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import sqlalchemy as sa
from flask import current_app

from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    MailPurpose,
    Notification,
    OutboxMessage,
    OutboxState,
    Ticket,
    TicketEvent,
)
from ticketdesk.models.notification import new_message_id
from ticketdesk.services.notifications import recipients
from ticketdesk.services.people import access

log = logging.getLogger("ticketdesk.outbox")

# Minutes to wait after the 1st, 2nd, ... failed attempt. One more failure than
# there are delays gives up.
RETRY_MINUTES = (1, 5, 15, 60, 240)
MAX_ATTEMPTS = len(RETRY_MINUTES) + 1
# A sender that dies mid-send frees its message again after this long.
CLAIM_MINUTES = 5


class PermanentFailure(Exception):
    """The server refused the message for good (a 5xx reply)."""


def smtp_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def transport_description() -> str:
    cfg = current_app.config
    if not smtp_configured():
        return (
            "no SMTP server configured (set TICKETDESK_MAIL_SERVER); e-mails are not sent: "
            "they are kept on the outbox page (/admin/outbox) and written to the log"
        )
    return f"SMTP {cfg['MAIL_SERVER']}:{cfg['MAIL_PORT']}"


# C0 and C1 control characters (CR, LF and TAB among them), DEL, and the Unicode
# line and paragraph separators: none of them belongs in a header line.
_CONTROL_RUN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
SUBJECT_MAX = 255


def clean_header(text: str | None, *, limit: int = SUBJECT_MAX) -> str:
    """A header value on one line: each run of control characters becomes one space,
    spaces at both ends go, and the result is cut to ``limit`` characters."""
    return _CONTROL_RUN.sub(" ", text or "").strip()[:limit].rstrip()


def _mail_domain() -> str:
    return (
        parseaddr(clean_header(current_app.config["MAIL_FROM"]))[1].rpartition("@")[2]
        or "localhost"
    )


def _from_address() -> str:
    """The address part of ``MAIL_FROM``."""
    return parseaddr(clean_header(current_app.config["MAIL_FROM"]))[1]


_PLAIN_ADDRESS = re.compile(r"[^\s@<>()\[\],;:\\\"]+@[^\s@<>()\[\],;:\\\"]+")


def plain_address(value: str | None) -> str:
    """The bare address in ``value`` ("Desk <desk@x>" or "desk@x"); "" when there is none."""
    address = parseaddr(clean_header(value, limit=998))[1]
    return address if _PLAIN_ADDRESS.fullmatch(address) else ""


def desk_mailbox() -> str:
    """Where customers' answers go: ``MAIL_REPLY_TO``, else ``MAIL_FROM``'s address."""
    return plain_address(current_app.config.get("MAIL_REPLY_TO")) or _from_address()


# The longest References header we build; RFC 5322 sets no limit, but mail servers do.
REFERENCES_MAX = 998 * 4


def enqueue(
    *,
    to: str,
    subject: str,
    body: str,
    now: datetime,
    dedupe_key: str | None = None,
    notification: Notification | None = None,
    purpose: MailPurpose = MailPurpose.NOTIFICATION,
    ticket: Ticket | None = None,
    event: TicketEvent | None = None,
    cc: "list[str] | tuple[str, ...]" = (),
    html_body: str | None = None,
    in_reply_to: str = "",
    references: "list[str] | tuple[str, ...]" = (),
    auto_generated: bool = True,
    from_name: str = "",
    reply_to: str = "",
    locale: str = "",
) -> OutboxMessage:
    """Queue an e-mail inside the caller's transaction. A known ``dedupe_key`` adds nothing.

    Every header value is cleaned here (``clean_header``), and the message gets the
    Message-ID every attempt to send it will carry. ``purpose``, ``ticket`` and ``event``
    say what the message is and where it shows on the ticket; ``cc`` are further
    recipients; ``in_reply_to`` and ``references`` thread it; ``auto_generated`` marks
    what no person wrote (``Auto-Submitted``); ``from_name`` is the display name before
    ``MAIL_FROM``'s address; ``html_body`` the HTML alternative of ``body``.
    """
    if dedupe_key is not None:
        existing = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
        )
        if existing is not None:
            return existing
    copies = [clean_header(address, limit=254) for address in cc]
    # The ticket and event only when given: a relationship set to None would overwrite
    # a ticket_id the caller sets on the row afterwards.
    links = {
        name: value for name, value in (("ticket", ticket), ("event", event)) if value is not None
    }
    message = OutboxMessage(
        to_address=clean_header(to, limit=254),
        subject=clean_header(subject),
        body=body,
        dedupe_key=dedupe_key,
        message_id=new_message_id(_mail_domain()),
        state=OutboxState.QUEUED,
        attempts=0,
        next_attempt_at=now,
        last_error="",
        notification=notification,
        created_at=now,
        purpose=purpose,
        **links,
        cc_addresses=", ".join(address for address in copies if address)[:2000],
        html_body=html_body,
        in_reply_to=clean_header(in_reply_to, limit=998),
        thread_references=clean_header(" ".join(references), limit=REFERENCES_MAX),
        auto_generated=auto_generated,
        from_name=clean_header(from_name, limit=160),
        reply_to=clean_header(reply_to, limit=254),
        locale=clean_header(locale, limit=16),
    )
    db.session.add(message)
    return message


def cc_list(message: OutboxMessage) -> list[str]:
    return [
        address.strip() for address in (message.cc_addresses or "").split(",") if address.strip()
    ]


@dataclass
class SendReport:
    sent: int = 0
    logged: int = 0
    retried: int = 0
    failed: int = 0
    withheld: int = 0
    # True when ``keep_going`` said no and the run stopped before the due messages ended.
    stopped: bool = False

    @property
    def total(self) -> int:
        return self.sent + self.logged + self.retried + self.failed + self.withheld

    def summary(self) -> str:
        text = (
            f"sent {self.sent}, logged {self.logged}, retried {self.retried}, "
            f"failed {self.failed}, withheld {self.withheld}"
        )
        return text + (" (stopped: lease lost)" if self.stopped else "")


def _due_ids(now: datetime, limit: int) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(
                sa.or_(
                    sa.and_(
                        OutboxMessage.state == OutboxState.QUEUED,
                        OutboxMessage.next_attempt_at <= now,
                    ),
                    sa.and_(
                        OutboxMessage.state == OutboxState.SENDING,
                        OutboxMessage.claimed_until < now,
                    ),
                )
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    )


def _claim(message_id: int, now: datetime) -> bool:
    """Take the message for this sender; False when another sender has it."""
    with unit_of_work():
        result = db.session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                sa.or_(
                    sa.and_(
                        OutboxMessage.state == OutboxState.QUEUED,
                        OutboxMessage.next_attempt_at <= now,
                    ),
                    sa.and_(
                        OutboxMessage.state == OutboxState.SENDING,
                        OutboxMessage.claimed_until < now,
                    ),
                ),
            )
            .values(state=OutboxState.SENDING, claimed_until=now + timedelta(minutes=CLAIM_MINUTES))
            .execution_options(synchronize_session=False)
        )
    return result.rowcount == 1


def _email(message: OutboxMessage, now: datetime) -> EmailMessage:
    """The message to send; raises ValueError (or another error) when it cannot be built.

    The row's header values were cleaned when it was queued (``enqueue``); a row written
    otherwise with a line break in a header cannot be built and fails alone. ``From`` is
    ``from_name`` with ``MAIL_FROM``'s address when a name is set; ``Reply-To`` the row's,
    else the desk's mailbox; ``Cc``, ``In-Reply-To`` and ``References`` only when set;
    ``Auto-Submitted: auto-generated`` only on messages no person wrote; text and HTML
    alternatives when there is HTML.
    """
    cfg = current_app.config
    email = EmailMessage()
    if message.from_name:
        email["From"] = Address(display_name=message.from_name, addr_spec=_from_address())
    else:
        email["From"] = clean_header(cfg["MAIL_FROM"])
    email["To"] = message.to_address
    copies = cc_list(message)
    if copies:
        email["Cc"] = ", ".join(copies)
    email["Reply-To"] = plain_address(message.reply_to) or desk_mailbox()
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message.message_id
    if message.in_reply_to:
        email["In-Reply-To"] = message.in_reply_to
    if message.thread_references:
        email["References"] = message.thread_references
    if message.auto_generated:
        email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    return email


class _SmtpTransport:
    """One SMTP connection per run, reopened after an error."""

    def __init__(self) -> None:
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        cfg = current_app.config
        timeout = float(cfg["MAIL_TIMEOUT"])
        if cfg["MAIL_USE_SSL"]:
            connection = smtplib.SMTP_SSL(
                cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]), timeout=timeout
            )
        else:
            connection = smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]), timeout=timeout)
            if cfg["MAIL_USE_TLS"]:
                connection.starttls()
        if cfg.get("MAIL_USERNAME"):
            connection.login(cfg["MAIL_USERNAME"], cfg.get("MAIL_PASSWORD") or "")
        return connection

    def send(self, email: EmailMessage) -> None:
        try:
            if self.connection is None:
                self.connection = self._connect()
            self.connection.send_message(email)
        except smtplib.SMTPResponseException as exc:
            self.close()
            if 500 <= exc.smtp_code < 600:
                raise PermanentFailure(f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
            raise
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                details = "; ".join(f"{code} {_text(msg)}" for code, msg in exc.recipients.values())
                raise PermanentFailure(details) from exc
            raise
        except Exception:
            self.close()  # the session may be half-way through a message
            raise

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.quit()
            self.connection = None


class _LogTransport:
    def send(self, email: EmailMessage) -> None:
        text = email.get_body(preferencelist=("plain",))
        log.info(
            "E-mail (no SMTP server configured)\nTo: %s\nCc: %s\nSubject: %s\n\n%s",
            email["To"],
            email["Cc"] or "",
            email["Subject"],
            text.get_content() if text is not None else "",
        )

    def close(self) -> None:
        pass


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _customer_withheld_reason(message: OutboxMessage) -> str | None:
    """Why a customer e-mail may not go out now (None: it may).

    Its recipient must still be the ticket's contact or a copied contact of the ticket's
    customer (``recipients.allowed_addresses``). A copy (Cc) that no longer may
    receive it is taken off the message, which then goes to the others.
    """
    ticket = message.ticket
    if ticket is None:
        return "Not sent: the complaint this e-mail is about no longer exists."
    allowed = recipients.allowed_addresses(ticket)
    if message.to_address.lower() not in allowed:
        return "Not sent: the recipient is no longer the complaint's contact or copied on it."
    copies = cc_list(message)
    kept = [address for address in copies if address.lower() in allowed]
    if kept != copies:
        dropped = [address for address in copies if address not in kept]
        with unit_of_work():
            message.cc_addresses = ", ".join(kept)
            message.last_error = (
                "Not copied to %s: no longer copied on the complaint." % ", ".join(dropped)
            )[:500]
    return None


def _withheld_reason(message: OutboxMessage) -> str | None:
    """Why the message may not go out now (None: it may): a customer e-mail whose
    recipient may no longer receive it, or a notification whose recipient may no longer
    see what it is about."""
    if message.purpose is not MailPurpose.NOTIFICATION:
        return _customer_withheld_reason(message)
    notification = message.notification
    if notification is None:
        return None
    user = notification.user
    ticket = (
        db.session.get(Ticket, notification.ticket_id)
        if notification.ticket_id is not None
        else None
    )
    if access.can_receive_notification(user, notification.kind, ticket):
        return None
    if not user.active:
        return "Not sent: the recipient's account is deactivated."
    # Defensively: their watch on a ticket they may no longer see goes too.
    with unit_of_work():
        access.drop_lost_watches([user])
    return "Not sent: the recipient may no longer see this ticket."


def send_due(
    *,
    now: datetime,
    limit: int = 200,
    keep_going: Callable[[], bool] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> SendReport:
    """Send what is due: queued messages whose time has come, and stale claims.

    ``keep_going`` is asked before each message (the scheduler passes its lease
    check, which also renews the lease); when it says no, the run stops there.
    ``clock`` gives the time for each message's claim and record (default: ``now``),
    so a long run claims with the real time. One message that cannot be built or
    sent is marked failed with the reason; the others still go.
    """
    clock = clock or (lambda: now)
    report = SendReport()
    use_smtp = smtp_configured()
    transport = _SmtpTransport() if use_smtp else _LogTransport()
    try:
        for message_id in _due_ids(now, limit):
            if keep_going is not None and not keep_going():
                report.stopped = True
                break
            at = clock()
            if not _claim(message_id, at):
                continue
            message = db.session.get(OutboxMessage, message_id)
            try:
                reason = _withheld_reason(message)
                email = None if reason else _email(message, at)
            except Exception as exc:  # one bad message must not stop the run
                db.session.rollback()
                log.exception("E-mail %s cannot be built", message_id)
                _finish_failed(
                    message, f"Cannot be built: {type(exc).__name__}: {exc}", now=at, permanent=True
                )
                report.failed += 1
                continue
            if reason:
                _finish_withheld(message, reason, now=at)
                report.withheld += 1
                continue
            try:
                transport.send(email)
            except PermanentFailure as exc:
                _finish_failed(message, str(exc), now=at, permanent=True)
                report.failed += 1
            except (TimeoutError, smtplib.SMTPException, OSError) as exc:
                if _finish_failed(message, f"{type(exc).__name__}: {exc}", now=at):
                    report.failed += 1
                else:
                    report.retried += 1
            except Exception as exc:  # noqa: BLE001 - e.g. an address smtplib cannot encode
                _finish_failed(message, f"{type(exc).__name__}: {exc}", now=at, permanent=True)
                report.failed += 1
            else:
                with unit_of_work():
                    message.state = OutboxState.SENT if use_smtp else OutboxState.LOGGED
                    message.attempts += 1
                    message.sent_at, message.claimed_until = at, None
                    if not message.last_error.startswith("Not copied to"):
                        message.last_error = ""
                if use_smtp:
                    report.sent += 1
                else:
                    report.logged += 1
    finally:
        transport.close()
    return report


def _finish_withheld(message: OutboxMessage, reason: str, *, now: datetime) -> None:
    with unit_of_work():
        message.state = OutboxState.WITHHELD
        message.last_error = reason[:500]
        message.claimed_until = None
    log.info("E-mail %s to %s withheld: %s", message.id, message.to_address, reason)


def _finish_failed(
    message: OutboxMessage, error: str, *, now: datetime, permanent: bool = False
) -> bool:
    """Record a failed attempt; True when the message is given up."""
    with unit_of_work():
        message.attempts += 1
        message.last_error = error[:500]
        message.claimed_until = None
        if permanent or message.attempts >= MAX_ATTEMPTS:
            message.state = OutboxState.FAILED
        else:
            message.state = OutboxState.QUEUED
            message.next_attempt_at = now + timedelta(minutes=RETRY_MINUTES[message.attempts - 1])
    log.warning(
        "E-mail %s to %s failed (attempt %s): %s",
        message.id,
        message.to_address,
        message.attempts,
        error,
    )
    return message.state is OutboxState.FAILED


def counts() -> dict[OutboxState, int]:
    rows = db.session.execute(
        sa.select(OutboxMessage.state, sa.func.count()).group_by(OutboxMessage.state)
    )
    found = {state: n for state, n in rows}
    return {state: found.get(state, 0) for state in OutboxState}


# ----------------------------------------------------------------- the outbox page
# Administrators read every outgoing message (``/admin/outbox``) and put a failed,
# bounced or withheld one back in the queue. Every function here checks its actor.

from flask_babel import gettext as _  # noqa: E402 - the admin page's part of the module

from ticketdesk.core.errors import InvalidTransition, NotFound, PermissionDenied  # noqa: E402
from ticketdesk.core.paging import Page  # noqa: E402
from ticketdesk.models import MailPurpose, Role, User  # noqa: E402

# The states an administrator may put back in the queue.
RETRYABLE = (OutboxState.FAILED, OutboxState.BOUNCED, OutboxState.WITHHELD)
PAGE_SIZE = 50


def _require_admin(actor: User) -> None:
    if actor is None or not actor.active or actor.role is not Role.ADMIN:
        raise PermissionDenied(_("Only administrators see the outbox."))


def _filtered(stmt, state: OutboxState | None, purpose: MailPurpose | None):
    if state is not None:
        stmt = stmt.where(OutboxMessage.state == state)
    if purpose is not None:
        stmt = stmt.where(OutboxMessage.purpose == purpose)
    return stmt


def list_messages(
    *,
    actor: User,
    state: OutboxState | None = None,
    purpose: MailPurpose | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> Page[OutboxMessage]:
    """Outgoing messages newest first (by when they were queued), filtered by state and
    purpose; administrators only."""
    _require_admin(actor)
    page = max(1, page)
    total = (
        db.session.scalar(_filtered(sa.select(sa.func.count(OutboxMessage.id)), state, purpose))
        or 0
    )
    items = list(
        db.session.scalars(
            _filtered(sa.select(OutboxMessage), state, purpose)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return Page(items=items, total=total, page=page, per_page=per_page)


def state_counts(*, actor: User, purpose: MailPurpose | None = None) -> dict[OutboxState, int]:
    """Messages in each state (every state, zero included), of one purpose or of all."""
    _require_admin(actor)
    rows = db.session.execute(
        _filtered(sa.select(OutboxMessage.state, sa.func.count()), None, purpose).group_by(
            OutboxMessage.state
        )
    )
    found = {state: n for state, n in rows}
    return {state: found.get(state, 0) for state in OutboxState}


def get_message(message_id: int, *, actor: User) -> OutboxMessage:
    _require_admin(actor)
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(_("There is no such message in the outbox."))
    return message


@dataclass
class Preview:
    """The headers a message goes out with, or why it cannot be built."""

    headers: list[tuple[str, str]]
    error: str = ""


def preview(message: OutboxMessage, *, actor: User) -> Preview:
    """The message's headers exactly as the sender builds them (``_email``), dated when
    it was sent or else when it was queued. Nothing is sent or changed."""
    _require_admin(actor)
    try:
        email = _email(message, message.sent_at or message.created_at)
    except Exception as exc:  # noqa: BLE001 - shown to the admin, as the sender would fail
        return Preview(headers=[], error=f"{type(exc).__name__}: {exc}")
    return Preview(
        headers=[
            (name, str(value))
            for name, value in email.items()
            if name.lower() not in ("content-type", "content-transfer-encoding", "mime-version")
        ]
    )


def retry(message_id: int, *, actor: User, now: datetime) -> OutboxMessage:
    """Put a failed, bounced or withheld message back in the queue, due at once.

    Administrators only. It starts afresh: no attempts counted, no claim, no sent or
    bounced time; it keeps its Message-ID. Who did it and when is stored on the message
    (``retried_by``, ``retried_at``, kept after it is sent), ``last_error`` says so with
    the reason it had, and a log line records it. Whether its recipient may still receive
    it is checked again when it is sent, as for every message. Any other state is refused
    (``InvalidTransition``), also when a second administrator was a moment faster.
    """
    message = get_message(message_id, actor=actor)
    if message.state not in RETRYABLE:
        raise InvalidTransition(
            _(
                "Only a failed, bounced or withheld message can be sent "
                "again; this one is %(state)s.",
                state=message.state.value,
            )
        )
    before, reason = message.state, message.last_error
    note = _(
        "Put back in the queue by %(who)s at %(when)s; it was %(state)s: %(reason)s",
        who=actor.email,
        when=now.isoformat(timespec="seconds"),
        state=before.value,
        reason=reason or "-",
    )
    with unit_of_work():
        result = db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message.id, OutboxMessage.state == before)
            .values(
                state=OutboxState.QUEUED,
                next_attempt_at=now,
                attempts=0,
                claimed_until=None,
                sent_at=None,
                bounced_at=None,
                last_error=note[:500],
                retried_at=now,
                retried_by_id=actor.id,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise InvalidTransition(
                _(
                    "Someone else changed this message at the same "
                    "moment; nothing was done. Reload the page."
                )
            )
    db.session.expire(message)
    log.info(
        "E-mail %s to %s put back in the queue by %s (user %s) at %s; it was %s: %s",
        message.id,
        message.to_address,
        actor.email,
        actor.id,
        now.isoformat(timespec="seconds"),
        before.value,
        reason or "-",
    )
    return message
