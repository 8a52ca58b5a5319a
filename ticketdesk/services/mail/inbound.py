"""Mail received by the desk: each message is stored once, then acted on.

Storing comes first and commits on its own: a message the desk has answered "stored"
for (the pipe's exit status 0, the IMAP message moved away) is in the database before
anything else happens to it. ``dedupe_key`` makes a second delivery of the same message,
or a fetch repeated after a crash, find the stored one instead of storing it again.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ticketdesk.extensions import db
from ticketdesk.models import InboundMail, InboundSource, InboundState
from ticketdesk.services.mail import parse as mail_parse
from ticketdesk.services.outbox import clean_header
from ticketdesk.services.uow import unit_of_work


@dataclass(frozen=True)
class Stored:
    mail: InboundMail
    created: bool   # False: the same message was stored before


def dedupe_key(raw: bytes) -> str:
    """SHA-256 of the message's Message-ID, or of its bytes when it has none."""
    try:
        ids = mail_parse.message_ids(_message_id_header(raw))
    except Exception:  # noqa: BLE001 - unreadable headers: fall back to the bytes
        ids = ()
    basis = ("message-id:" + ids[0]).encode() if ids else b"raw:" + raw
    return hashlib.sha256(basis).hexdigest()


def _message_id_header(raw: bytes) -> str:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    from email.parser import BytesHeaderParser
    from email import policy

    return str(BytesHeaderParser(policy=policy.default).parsebytes(head).get("Message-ID") or "")


def find_stored(raw: bytes) -> InboundMail | None:
    """The stored row of ``raw`` (same dedupe key), or None."""
    return db.session.scalar(
        sa.select(InboundMail).where(InboundMail.dedupe_key == dedupe_key(raw)))


def store(raw: bytes, *, source: InboundSource, now: datetime) -> Stored:
    """Keep ``raw`` (once) in its own transaction; the stored row is returned either way."""
    key = dedupe_key(raw)
    existing = db.session.scalar(sa.select(InboundMail).where(InboundMail.dedupe_key == key))
    if existing is not None:
        return Stored(existing, False)
    try:
        summary = mail_parse.parse(raw)
        message_id, sender, subject = summary.message_id, summary.sender, summary.subject
    except Exception:  # noqa: BLE001 - stored all the same; acting on it will hold it
        message_id = sender = subject = ""
    try:
        with unit_of_work():
            mail = InboundMail(
                dedupe_key=key, message_id=message_id[:255], sender=sender[:254],
                subject=clean_header(subject), source=source, state=InboundState.RECEIVED,
                reason="", raw=raw, size_bytes=len(raw), received_at=now)
            db.session.add(mail)
    except IntegrityError:
        # Another process stored the same message a moment ago.
        existing = db.session.scalar(sa.select(InboundMail).where(InboundMail.dedupe_key == key))
        if existing is None:
            raise
        return Stored(existing, False)
    return Stored(mail, True)


def process(mail_id: int, *, now: datetime) -> InboundMail:
    """Act on a stored message that has not been acted on yet (state ``received``).

    A message that cannot be read is held for an admin with the reason. Never raises
    for a problem with the message itself: whatever cannot be done is held.
    """
    mail = db.session.get(InboundMail, mail_id)
    if mail is None or mail.state is not InboundState.RECEIVED:
        return mail
    try:
        mail_parse.parse(mail.raw)
    except mail_parse.UnreadableMail as exc:
        with unit_of_work():
            mail.state, mail.reason = InboundState.HELD, f"Cannot be read: {exc}"[:500]
    return mail


def process_pending(*, now: datetime) -> int:
    """Act on every stored message not acted on yet (state ``received``), oldest first.

    Messages stay ``received`` when the process that stored them stopped before acting
    on them (a crash, the database gone away in between); each mail poll and scheduler
    run calls this, so they are acted on once the desk runs again. Returns how many
    were waiting.
    """
    ids = db.session.scalars(
        sa.select(InboundMail.id).where(InboundMail.state == InboundState.RECEIVED)
        .order_by(InboundMail.received_at, InboundMail.id)).all()
    for mail_id in ids:
        process(mail_id, now=now)
    return len(ids)


def ingest(raw: bytes, *, source: InboundSource, now: datetime) -> Stored:
    """Store ``raw`` (once), then act on it unless that was done before."""
    stored = store(raw, source=source, now=now)
    process(stored.mail.id, now=now)
    return stored
