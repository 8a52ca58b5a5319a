"""In-app notifications, each user's e-mail choices, and the outgoing e-mail outbox."""

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models.user import User


class NotificationKind(enum.StrEnum):
    ASSIGNED = "assigned"  # a ticket was assigned to you
    ROUTED = "routed"  # a routing rule told you about a new ticket
    WATCHED = "watched"  # a ticket you watch changed
    APPROVAL_WAITING = "approval_waiting"  # a remedy waits for your approval
    APPROVAL_DECIDED = "approval_decided"  # your proposal was approved or rejected
    STEP_OVERDUE = "step_overdue"  # a playbook step of yours is overdue
    ACCOUNT_CRISIS = "account_crisis"  # a crisis on one of your accounts
    SLA_AT_RISK = "sla_at_risk"  # a ticket of yours is close to its SLA target
    SLA_BREACHED = "sla_breached"  # a ticket of yours (or your team's) missed it
    LOYALTY = "loyalty"  # an account of yours is a loyalty candidate or at risk
    CUSTOMER_REPLIED = "customer_replied"  # the customer answered a ticket of yours by e-mail
    MAIL_BOUNCED = "mail_bounced"  # an e-mail to the customer of your ticket came back


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        # Reminders carry a key per step and hour, so no run can send one twice.
        sa.UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_user_dedupe"),
        sa.Index("ix_notifications_user_read", "user_id", "read_at"),
        sa.Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind]
    ticket_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    remedy_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("remedies.id", ondelete="CASCADE"), index=True
    )
    step_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ticket_steps.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[str] = mapped_column(sa.String(1000), default="")
    # Changes to a watched ticket add up in one unread notification.
    count: Mapped[int] = mapped_column(default=1)
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(db.Model):
    """Whether a user also gets a kind of notification by e-mail (no row: the default)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[NotificationKind] = mapped_column(primary_key=True)
    by_email: Mapped[bool] = mapped_column(default=False)


class OutboxState(enum.StrEnum):
    QUEUED = "queued"  # waiting for its (next) attempt
    SENDING = "sending"  # claimed by a sender
    SENT = "sent"  # accepted by the SMTP server
    LOGGED = "logged"  # no SMTP server configured: written to the log instead
    FAILED = "failed"  # gave up after the last retry, or could not be sent at all
    WITHHELD = "withheld"  # not sent: its recipient may no longer see what it is about
    BOUNCED = "bounced"  # accepted, then returned by the receiving side (a DSN came back)


class MailPurpose(enum.StrEnum):
    """Why an e-mail is sent: a staff notification, or one of the customer's messages."""

    NOTIFICATION = "notification"  # to a member of staff
    ACKNOWLEDGEMENT = "acknowledgement"  # to the customer: we have your complaint
    REPLY = "reply"  # to the customer: an agent's public reply
    RESOLUTION = "resolution"  # to the customer: the complaint is resolved
    SURVEY = "survey"  # to the customer: how did we do?
    PRIVATE_LINK = "private_link"  # to the customer: the link to their complaint again


def new_message_id(domain: str) -> str:
    """A Message-ID no other message has: 128 random bits from the operating system.

    Not ``email.utils.make_msgid``: its random part comes from the ``random`` module,
    whose state anything in the process may seed (test tools do), and two ids made in the
    same hundredth of a second would then be the same.
    """
    return f"<{secrets.token_hex(16)}.outbox@{domain}>"


class OutboxMessage(db.Model):
    """One e-mail to send. Every e-mail of the product goes through this table."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        sa.Index("ix_outbox_messages_state_next", "state", "next_attempt_at"),
        sa.CheckConstraint("attempts >= 0", name="attempts_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[str] = mapped_column(sa.Text)
    # Optional: the same key is never queued twice (a survey per ticket, for instance).
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(160), unique=True)
    # Made when the message is queued and sent on every attempt, so a receiving system
    # can drop the copy a resend after a lost acknowledgement delivers again.
    # (The outbox gives it the sender's domain; this default is for rows made elsewhere.)
    message_id: Mapped[str] = mapped_column(
        sa.String(255), unique=True, default=lambda: new_message_id("ticketdesk.invalid")
    )
    state: Mapped[OutboxState] = mapped_column(default=OutboxState.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    notification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notifications.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    # What the message is, and for the customer's messages the ticket (and the timeline
    # entry) it belongs to, so the ticket shows each message's delivery state.
    purpose: Mapped[MailPurpose] = mapped_column(
        default=MailPurpose.NOTIFICATION, server_default=MailPurpose.NOTIFICATION.value
    )
    ticket_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ticket_events.id", ondelete="SET NULL"), index=True
    )
    # Further recipients (comma separated) and the headers that thread the conversation.
    cc_addresses: Mapped[str] = mapped_column(sa.String(2000), default="", server_default="")
    reply_to: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    from_name: Mapped[str] = mapped_column(sa.String(160), default="", server_default="")
    in_reply_to: Mapped[str] = mapped_column(sa.String(998), default="", server_default="")
    thread_references: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Auto-Submitted: auto-generated on everything a person did not write.
    auto_generated: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # The HTML alternative of ``body`` (None: plain text only), and its language.
    html_body: Mapped[str | None] = mapped_column(sa.Text)
    locale: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")
    bounced_at: Mapped[datetime | None]
    # The last time an administrator put the message back in the queue, and who
    # (``outbox.retry``); kept after it is sent, for the audit.
    retried_at: Mapped[datetime | None]
    retried_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    notification: Mapped[Notification | None] = relationship()
    retried_by: Mapped[User | None] = relationship()
    ticket: Mapped["Ticket | None"] = relationship()  # noqa: F821 - ticket module
    event: Mapped["TicketEvent | None"] = relationship()  # noqa: F821 - ticket module
