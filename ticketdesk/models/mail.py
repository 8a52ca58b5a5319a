"""The e-mail channel: every message received, and the contacts copied on a ticket."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models.account import Contact
from ticketdesk.models.ticket import Ticket, TicketEvent
from ticketdesk.models.user import User


class InboundSource(enum.StrEnum):
    PIPE = "pipe"  # handed over by the mail server (`flask mail ingest` on stdin)
    IMAP = "imap"  # fetched from the desk's mailbox (`flask mail poll`, the scheduler)


class InboundState(enum.StrEnum):
    RECEIVED = "received"  # stored, not applied yet (a crash in between leaves this)
    APPLIED = "applied"  # became a ticket, or a message on one
    IGNORED = "ignored"  # nothing to do (an automatic answer recorded on its ticket)
    BOUNCE = "bounce"  # a delivery report for one of our messages
    HELD = "held"  # waits for an admin: cannot be read, refused, or over a limit
    RELEASED = "released"  # held, then released to a ticket by an admin
    DISCARDED = "discarded"  # held, then discarded by an admin


class InboundMail(db.Model):
    """One message received, kept raw for audit with what the desk did with it.

    ``dedupe_key`` is the SHA-256 of the Message-ID (or of the raw bytes for a message
    without one), so a message delivered twice, or fetched again after a crash, is
    stored once.
    """

    __tablename__ = "inbound_mail"
    __table_args__ = (sa.Index("ix_inbound_mail_state_received", "state", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    message_id: Mapped[str] = mapped_column(sa.String(255), default="", index=True)
    sender: Mapped[str] = mapped_column(sa.String(254), default="", index=True)
    subject: Mapped[str] = mapped_column(sa.String(255), default="")
    source: Mapped[InboundSource]
    state: Mapped[InboundState] = mapped_column(default=InboundState.RECEIVED)
    # What happened, or why it is held, in words for the admin.
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    raw: Mapped[bytes] = mapped_column(sa.LargeBinary)
    size_bytes: Mapped[int]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    ticket_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ticket_events.id", ondelete="SET NULL"), index=True
    )
    # The admin who released or discarded a held message, and when.
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]

    ticket: Mapped[Ticket | None] = relationship()
    event: Mapped[TicketEvent | None] = relationship()
    decided_by: Mapped[User | None] = relationship()


class TicketCc(db.Model):
    """A contact of the ticket's customer who receives a copy of every public reply."""

    __tablename__ = "ticket_cc_contacts"

    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    contact_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship()
    contact: Mapped[Contact] = relationship()
