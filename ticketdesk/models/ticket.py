"""Tickets, their append-only timeline, attachments and the category list."""

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketdesk.database import Money, TimestampMixin, utcnow
from ticketdesk.extensions import db
from ticketdesk.models.account import Contact, Customer
from ticketdesk.models.playbook import CauseSide, PlaybookVersion, RootCause, TicketStep
from ticketdesk.models.user import Team, User


class Channel(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WALK_IN = "walk_in"
    WEB = "web"
    CHAT = "chat"
    SOCIAL = "social"
    API = "api"


class TicketKind(enum.StrEnum):
    COMPLAINT = "complaint"
    CRISIS = "crisis"


class Severity(enum.StrEnum):
    P1 = "p1"
    P2 = "p2"
    P3 = "p3"
    P4 = "p4"


class TicketStatus(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING_CUSTOMER = "pending_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER)


class EventKind(enum.StrEnum):
    CREATED = "created"
    CUSTOMER_MESSAGE = "customer_message"
    PUBLIC_REPLY = "public_reply"
    INTERNAL_NOTE = "internal_note"
    STATUS_CHANGE = "status_change"
    ASSIGNMENT = "assignment"
    FIELD_CHANGE = "field_change"
    ATTACHMENT = "attachment"
    PLAYBOOK = "playbook"  # a playbook attached or switched
    REMEDY = "remedy"  # a remedy proposed, approved, delivered, rejected, withdrawn
    STEP_DONE = "step_done"  # a checklist step ticked
    STEP_REOPENED = "step_reopened"
    ROUTING = "routing"  # a routing rule (or the fallback team) decided something
    SLA = "sla"  # a service-level clock: policy, pause, at risk, breach
    SURVEY = "survey"  # a satisfaction survey sent or answered
    LOYALTY = "loyalty"  # the recovery judged: loyalty candidate, at risk, outcome
    PRIVATE_LINK = "private_link"  # the customer's private link e-mailed to them again


# Events the customer sees on the private ticket link.
PUBLIC_EVENT_KINDS = (EventKind.CREATED, EventKind.CUSTOMER_MESSAGE, EventKind.PUBLIC_REPLY)


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


REPORT_COLUMNS = (
    "created_at",
    "resolved_at",
    "made_whole_at",
    "team_id",
    "assignee_id",
    "category_id",
    "customer_id",
    "first_response_at",
    "first_response_due_at",
    "first_response_minutes",
    "first_response_breached",
    "next_response_breached",
    "resolution_due_at",
    "resolution_minutes",
    "resolution_breached",
    "remedy_due_at",
    "remedy_breached",
)


class Ticket(TimestampMixin, db.Model):
    __tablename__ = "tickets"
    __table_args__ = (
        sa.CheckConstraint("order_value IS NULL OR order_value >= 0", name="order_value_positive"),
        sa.CheckConstraint(
            "claimed_loss IS NULL OR claimed_loss >= 0", name="claimed_loss_positive"
        ),
        # The queues: a team's, a person's and everyone's open tickets. Each index also
        # holds the columns of the default order (due time, severity, received), and the
        # status one the team and assignee too, so a page's ids are sorted from the index
        # alone, without reading thousands of tickets (services/tickets/queue.py: list_tickets).
        sa.Index(
            "ix_tickets_team_queue", "team_id", "status", "sla_due_at", "severity", "created_at"
        ),
        sa.Index(
            "ix_tickets_assignee_queue",
            "assignee_id",
            "status",
            "sla_due_at",
            "severity",
            "created_at",
        ),
        sa.Index(
            "ix_tickets_status_queue",
            "status",
            "sla_due_at",
            "severity",
            "created_at",
            "team_id",
            "assignee_id",
        ),
        # A customer's earlier tickets in a category (repeat failures, ledger).
        sa.Index("ix_tickets_customer_category", "customer_id", "category_id", "created_at"),
        # The service-level dashboard: every column its figures read, so a period's tickets
        # are counted from this index alone (services/sla/dashboard.py).
        sa.Index("ix_tickets_report", *REPORT_COLUMNS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    channel: Mapped[Channel]
    kind: Mapped[TicketKind] = mapped_column(default=TicketKind.COMPLAINT, index=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    severity: Mapped[Severity] = mapped_column(default=Severity.P3, index=True)
    order_reference: Mapped[str] = mapped_column(sa.String(64), default="")
    currency: Mapped[str] = mapped_column(sa.String(3))
    order_value: Mapped[Decimal | None] = mapped_column(Money())
    claimed_loss: Mapped[Decimal | None] = mapped_column(Money())
    # Indexed first in ix_tickets_status_queue, and second in the team and assignee ones.
    status: Mapped[TicketStatus] = mapped_column(default=TicketStatus.NEW)
    team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Capability for the customer's private link; never shown to other customers.
    public_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(default=0)
    cause_side: Mapped[CauseSide] = mapped_column(default=CauseSide.UNKNOWN, index=True)
    root_cause: Mapped[RootCause | None]
    # The playbook version the ticket started with; its steps are copied onto the ticket.
    playbook_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("playbook_versions.id", ondelete="SET NULL"), index=True
    )
    # Resolve-first measures, stored when they happen.
    first_remedy_at: Mapped[datetime | None]
    made_whole_at: Mapped[datetime | None]
    replies_before_remedy: Mapped[int | None]
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Service level, stored when it changes so queues and reports read columns.
    sla_policy_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sla_policies.id", ondelete="SET NULL"), index=True
    )
    first_response_due_at: Mapped[datetime | None]
    next_response_due_at: Mapped[datetime | None]
    next_response_started_at: Mapped[datetime | None]  # the customer message it answers
    remedy_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    # The clocks run only while the ticket is new or open. sla_paused_at: when they stopped
    # (waiting on the customer, resolved or closed), NULL while they run; sla_stops: every
    # finished stop as [start, end] ISO UTC strings, so the stops can be measured again on
    # another calendar; sla_paused_minutes: their open minutes on the current calendar.
    sla_paused_at: Mapped[datetime | None]
    # JSONB on PostgreSQL: plain json has no equality, which SELECT DISTINCT on tickets needs.
    sla_stops: Mapped[list] = mapped_column(
        sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), default=list
    )
    sla_paused_minutes: Mapped[int] = mapped_column(default=0)
    # The earliest due time not met yet (the queue sorts by it; NULL while paused or done),
    # and the next moment the sweep has something to look at (at risk or due).
    sla_due_at: Mapped[datetime | None] = mapped_column(index=True)
    sla_next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    first_response_minutes: Mapped[int | None]  # open minutes taken, pauses excluded
    resolution_minutes: Mapped[int | None]
    first_response_breached: Mapped[bool] = mapped_column(default=False)
    next_response_breached: Mapped[bool] = mapped_column(default=False)
    remedy_breached: Mapped[bool] = mapped_column(default=False)
    resolution_breached: Mapped[bool] = mapped_column(default=False)
    # Why the ticket needs a person's look before anyone trusts it (empty: it does not):
    # an unverified contact, a mail that named a ticket its sender may not join.
    review_reason: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")
    # The ticket this one follows on from (a reply to a closed ticket, a mail naming another).
    related_ticket_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    customer: Mapped[Customer] = relationship()
    contact: Mapped[Contact | None] = relationship()
    category: Mapped[Category] = relationship()
    team: Mapped[Team | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    events: Mapped[list["TicketEvent"]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", passive_deletes=True
    )
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="ticket", order_by="Attachment.id", passive_deletes=True
    )
    playbook_version: Mapped[PlaybookVersion | None] = relationship()
    sla_policy: Mapped["SlaPolicy | None"] = relationship()  # noqa: F821 - sla module
    remedies: Mapped[list["Remedy"]] = relationship(  # noqa: F821 - ledger module
        back_populates="ticket", order_by="Remedy.id", passive_deletes=True
    )
    surveys: Mapped[list["Survey"]] = relationship(  # noqa: F821 - recovery module
        back_populates="ticket", order_by="Survey.id", passive_deletes=True
    )
    steps: Mapped[list[TicketStep]] = relationship(
        order_by=TicketStep.position, passive_deletes=True, cascade="all, delete-orphan"
    )
    related_ticket: Mapped["Ticket | None"] = relationship(remote_side=[id])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def __repr__(self) -> str:
        return f"<Ticket {self.reference} {self.status}>"


class TicketEvent(db.Model):
    """One entry on a ticket's timeline. Rows are written once and never changed."""

    __tablename__ = "ticket_events"
    __table_args__ = (sa.Index("ix_ticket_events_ticket_created", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(index=True)
    # Staff author; NULL with by_customer=True when the customer wrote it.
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    by_customer: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(sa.Text, default="")
    field: Mapped[str | None] = mapped_column(sa.String(64))
    old_value: Mapped[str | None] = mapped_column(sa.String(255))
    new_value: Mapped[str | None] = mapped_column(sa.String(255))
    # How a message travelled: a customer's came by "email" or "web" (the private link), or
    # was logged by staff ("staff"); a public reply was e-mailed ("email"), logged only
    # ("log_only") or had nobody to go to ("no_address"). Empty for other events.
    via: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")
    # The quoted history and signature cut from a customer's e-mail ("show quoted text").
    quoted_body: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="event", order_by="Attachment.id"
    )

    @property
    def is_public(self) -> bool:
        return self.kind in PUBLIC_EVENT_KINDS

    def __repr__(self) -> str:
        return f"<TicketEvent {self.kind} on {self.ticket_id}>"


class Attachment(db.Model):
    __tablename__ = "attachments"
    __table_args__ = (sa.CheckConstraint("size_bytes >= 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ticket_events.id", ondelete="SET NULL"), index=True
    )
    original_name: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")
    event: Mapped[TicketEvent | None] = relationship(back_populates="attachments")


@sa.event.listens_for(TicketEvent, "before_update")
def _events_are_append_only(mapper, connection, target):  # pragma: no cover - guard
    # Adding an attachment to an event's collection is fine; changing its columns is not.
    session = sa.orm.object_session(target)
    if session is None or session.is_modified(target, include_collections=False):
        raise RuntimeError("Ticket events are append-only and cannot be changed.")


@sa.event.listens_for(TicketEvent, "before_delete")
def _events_cannot_be_deleted(mapper, connection, target):  # pragma: no cover - guard
    raise RuntimeError("Ticket events are append-only and cannot be deleted.")
