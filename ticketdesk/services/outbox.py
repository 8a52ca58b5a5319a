"""The outbox: every e-mail the product sends is queued here and sent by ``send_due``.

With an SMTP server configured (``MAIL_SERVER``), messages go out through the
standard library's ``smtplib``; a temporary failure (4xx reply, a refused or
dropped connection, a timeout) is retried later with growing delays, a permanent
one (5xx) fails at once. Without a server, each message is written to the log.

``send_due`` claims each message with a conditional update before sending it, so
two senders running at once never send the same message twice.
"""

import logging
import smtplib
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import sqlalchemy as sa
from flask import current_app

from ticketdesk.extensions import db
from ticketdesk.models import Notification, OutboxMessage, OutboxState
from ticketdesk.services.uow import unit_of_work

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
        return "no SMTP server configured (set TICKETDESK_MAIL_SERVER); e-mails are written to the log"
    return f"SMTP {cfg['MAIL_SERVER']}:{cfg['MAIL_PORT']}"


def _enqueue(*, to: str, subject: str, body: str, now: datetime, dedupe_key: str | None = None,
             notification: Notification | None = None) -> OutboxMessage:
    """Queue an e-mail inside the caller's transaction. A known ``dedupe_key`` adds nothing."""
    if dedupe_key is not None:
        existing = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    message = OutboxMessage(
        to_address=to, subject=subject[:255], body=body, dedupe_key=dedupe_key,
        state=OutboxState.QUEUED, attempts=0, next_attempt_at=now, last_error="",
        notification=notification, created_at=now,
    )
    db.session.add(message)
    return message


@dataclass
class SendReport:
    sent: int = 0
    logged: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.logged + self.retried + self.failed


def _due_ids(now: datetime, limit: int) -> list[int]:
    return list(db.session.scalars(
        sa.select(OutboxMessage.id)
        .where(sa.or_(
            sa.and_(OutboxMessage.state == OutboxState.QUEUED,
                    OutboxMessage.next_attempt_at <= now),
            sa.and_(OutboxMessage.state == OutboxState.SENDING,
                    OutboxMessage.claimed_until < now)))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)))


def _claim(message_id: int, now: datetime) -> bool:
    """Take the message for this sender; False when another sender has it."""
    with unit_of_work():
        result = db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message_id, sa.or_(
                sa.and_(OutboxMessage.state == OutboxState.QUEUED,
                        OutboxMessage.next_attempt_at <= now),
                sa.and_(OutboxMessage.state == OutboxState.SENDING,
                        OutboxMessage.claimed_until < now)))
            .values(state=OutboxState.SENDING,
                    claimed_until=now + timedelta(minutes=CLAIM_MINUTES))
            .execution_options(synchronize_session=False))
    return result.rowcount == 1


def _email(message: OutboxMessage, now: datetime) -> EmailMessage:
    cfg = current_app.config
    email = EmailMessage()
    email["From"] = cfg["MAIL_FROM"]
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now)
    domain = parseaddr(cfg["MAIL_FROM"])[1].rpartition("@")[2] or None
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=domain)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body)
    return email


class _SmtpTransport:
    """One SMTP connection per run, reopened after an error."""

    def __init__(self) -> None:
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        cfg = current_app.config
        timeout = float(cfg["MAIL_TIMEOUT"])
        if cfg["MAIL_USE_SSL"]:
            connection = smtplib.SMTP_SSL(cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]),
                                          timeout=timeout)
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
        except (smtplib.SMTPException, OSError):
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.connection = None


class _LogTransport:
    def send(self, email: EmailMessage) -> None:
        log.info("E-mail (no SMTP server configured)\nTo: %s\nSubject: %s\n\n%s",
                 email["To"], email["Subject"], email.get_content())

    def close(self) -> None:
        pass


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def send_due(*, now: datetime, limit: int = 200) -> SendReport:
    """Send what is due: queued messages whose time has come, and stale claims."""
    report = SendReport()
    use_smtp = smtp_configured()
    transport = _SmtpTransport() if use_smtp else _LogTransport()
    try:
        for message_id in _due_ids(now, limit):
            if not _claim(message_id, now):
                continue
            message = db.session.get(OutboxMessage, message_id)
            try:
                transport.send(_email(message, now))
            except PermanentFailure as exc:
                _finish_failed(message, str(exc), now=now, permanent=True)
                report.failed += 1
            except (smtplib.SMTPException, OSError, socket.timeout) as exc:
                if _finish_failed(message, f"{type(exc).__name__}: {exc}", now=now):
                    report.failed += 1
                else:
                    report.retried += 1
            else:
                with unit_of_work():
                    message.state = OutboxState.SENT if use_smtp else OutboxState.LOGGED
                    message.attempts += 1
                    message.sent_at, message.claimed_until, message.last_error = now, None, ""
                if use_smtp:
                    report.sent += 1
                else:
                    report.logged += 1
    finally:
        transport.close()
    return report


def _finish_failed(message: OutboxMessage, error: str, *, now: datetime,
                   permanent: bool = False) -> bool:
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
    log.warning("E-mail %s to %s failed (attempt %s): %s", message.id, message.to_address,
                message.attempts, error)
    return message.state is OutboxState.FAILED


def counts() -> dict[OutboxState, int]:
    rows = db.session.execute(
        sa.select(OutboxMessage.state, sa.func.count()).group_by(OutboxMessage.state))
    found = {state: n for state, n in rows}
    return {state: found.get(state, 0) for state in OutboxState}
