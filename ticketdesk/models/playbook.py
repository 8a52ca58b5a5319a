"""Resolve-first playbooks: match conditions, versioned steps and rules, and ticket checklists."""

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketdesk.database import Money, utcnow
from ticketdesk.extensions import db
from ticketdesk.models.user import Role, User


class CauseSide(enum.StrEnum):
    """Where the cause of a complaint lies (seed 002)."""

    UNKNOWN = "unknown"
    OURS_PRODUCT = "ours_product"  # product or solution defect
    OURS_COMMERCIAL = "ours_commercial"  # commercial terms
    OURS_COORDINATION = "ours_coordination"  # team coordination gaps
    THEIRS_INTERNAL = "theirs_internal"  # the customer's own internal pressures

    @property
    def group(self) -> "CauseGroup":
        if self is CauseSide.UNKNOWN:
            return CauseGroup.UNKNOWN
        if self is CauseSide.THEIRS_INTERNAL:
            return CauseGroup.THEIRS
        return CauseGroup.OURS


class CauseGroup(enum.StrEnum):
    OURS = "ours"
    THEIRS = "theirs"
    UNKNOWN = "unknown"


class StepKind(enum.StrEnum):
    TASK = "task"
    APOLOGY = "apology"  # ticked by a reply that apologises
    EXPLANATION = "explanation"  # the cause explained to the customer, with a root-cause code
    STATUS_UPDATE = "status_update"  # recurs: a public update at least every N hours
    # Ticked by what happens on the ticket (and still by hand, for what happened elsewhere):
    ANSWER = "answer"  # a public reply (or a logged call) answers the customer
    MAKE_WHOLE = "make_whole"  # a make-whole remedy delivered
    GOODWILL = "goodwill"  # a goodwill remedy delivered

    @property
    def by_hand(self) -> bool:
        """Whether an agent may tick the step in the checklist (apologies, explanations and
        status updates are ticked only by the reply that gives them)."""
        return self not in (StepKind.APOLOGY, StepKind.EXPLANATION, StepKind.STATUS_UPDATE)


class RemedyForm(enum.StrEnum):
    RESHIP = "reship"
    REFUND = "refund"
    REPAIR = "repair"
    CREDIT = "credit"
    COUPON = "coupon"
    FREE_ITEM = "free_item"
    SERVICE_VISIT = "service_visit"
    OTHER = "other"


class GoodwillBasis(enum.StrEnum):
    NONE = "none"  # advisory playbooks: no compensation by default
    AFFECTED_PERCENT = "affected_percent"
    ORDER_PERCENT = "order_percent"
    FIXED = "fixed"
    EXTRA_UNITS = "extra_units"


class RootCause(enum.StrEnum):
    PRODUCT_DEFECT = "product_defect"
    PICKING_ERROR = "picking_error"
    PACKING_DAMAGE = "packing_damage"
    CARRIER_DAMAGE = "carrier_damage"
    CARRIER_DELAY = "carrier_delay"
    STOCK_SHORTAGE = "stock_shortage"
    SYSTEM_ERROR = "system_error"
    BILLING_ERROR = "billing_error"
    STAFF_CONDUCT = "staff_conduct"
    COORDINATION_GAP = "coordination_gap"
    COMMERCIAL_TERMS = "commercial_terms"
    SOLUTION_DESIGN = "solution_design"
    CUSTOMER_INTERNAL = "customer_internal"
    OTHER = "other"


class Playbook(db.Model):
    """A named playbook. Its content lives in immutable versions; edits add a version."""

    __tablename__ = "playbooks"
    __table_args__ = (
        # At most one default playbook, whatever happens concurrently.
        sa.Index(
            "uq_playbooks_one_default",
            "is_default",
            unique=True,
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    active: Mapped[bool] = mapped_column(default=True, index=True)
    # The catch-all for tickets no other playbook matches (see uq_playbooks_one_default).
    is_default: Mapped[bool] = mapped_column(default=False)
    current_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("playbook_versions.id", use_alter=True, ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    current_version: Mapped["PlaybookVersion | None"] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )
    versions: Mapped[list["PlaybookVersion"]] = relationship(
        back_populates="playbook",
        foreign_keys="PlaybookVersion.playbook_id",
        order_by="PlaybookVersion.number",
    )

    def __repr__(self) -> str:
        return f"<Playbook {self.name}>"


class PlaybookVersion(db.Model):
    """One frozen version of a playbook: conditions, rules and steps. Never edited."""

    __tablename__ = "playbook_versions"
    __table_args__ = (
        sa.UniqueConstraint("playbook_id", "number", name="uq_playbook_versions_number"),
        sa.CheckConstraint("evidence_threshold >= 0", name="evidence_threshold_positive"),
        sa.CheckConstraint("goodwill_value >= 0", name="goodwill_value_positive"),
        sa.CheckConstraint("goodwill_cap_percent >= 0", name="goodwill_cap_positive"),
        sa.CheckConstraint("total_cap_percent >= 0", name="total_cap_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    playbook_id: Mapped[int] = mapped_column(
        sa.ForeignKey("playbooks.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Match conditions: lists of allowed values; an empty list matches anything.
    conditions: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    advisory: Mapped[bool] = mapped_column(default=False)
    # Evidence policy: claims up to this value must not require proof from the customer.
    evidence_threshold: Mapped[Decimal] = mapped_column(Money(), default=0)
    make_whole_form: Mapped[RemedyForm] = mapped_column(default=RemedyForm.RESHIP)
    goodwill_basis: Mapped[GoodwillBasis] = mapped_column(default=GoodwillBasis.AFFECTED_PERCENT)
    # Percent for the percent bases, an amount for FIXED, a number of units for EXTRA_UNITS.
    goodwill_value: Mapped[Decimal] = mapped_column(Money(), default=0)
    # Goodwill itself is capped at this percent of the cap base.
    goodwill_cap_percent: Mapped[Decimal] = mapped_column(default=30)
    # Make-whole plus goodwill together are capped at this percent of the cap base.
    total_cap_percent: Mapped[Decimal] = mapped_column(default=150)
    # Approval limits by role: the largest total compensation each role may grant alone.
    approval_limits: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    playbook: Mapped[Playbook] = relationship(back_populates="versions", foreign_keys=[playbook_id])
    created_by: Mapped[User | None] = relationship()
    steps: Mapped[list["PlaybookStep"]] = relationship(
        back_populates="version", order_by="PlaybookStep.position", cascade="all, delete-orphan"
    )


class PlaybookStep(db.Model):
    __tablename__ = "playbook_steps"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "position", name="uq_playbook_steps_position"),
        sa.CheckConstraint("due_hours >= 0", name="due_hours_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("playbook_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    kind: Mapped[StepKind] = mapped_column(default=StepKind.TASK)
    title: Mapped[str] = mapped_column(sa.String(160))
    guidance: Mapped[str] = mapped_column(sa.Text, default="")
    role: Mapped[Role] = mapped_column(default=Role.AGENT)
    due_hours: Mapped[Decimal] = mapped_column(default=0)
    required: Mapped[bool] = mapped_column(default=True)
    # For STATUS_UPDATE steps: the longest gap between public updates, in hours.
    recur_hours: Mapped[int | None]

    version: Mapped[PlaybookVersion] = relationship(back_populates="steps")


class TicketStep(db.Model):
    """A playbook step copied onto a ticket, so later playbook edits never change it."""

    __tablename__ = "ticket_steps"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "position", name="uq_ticket_steps_position"),
        sa.Index("ix_ticket_steps_open_due", "done_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    kind: Mapped[StepKind] = mapped_column(default=StepKind.TASK)
    title: Mapped[str] = mapped_column(sa.String(160))
    guidance: Mapped[str] = mapped_column(sa.Text, default="")
    role: Mapped[Role] = mapped_column(default=Role.AGENT)
    required: Mapped[bool] = mapped_column(default=True)
    recur_hours: Mapped[int | None]
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The public reply that carried the apology or the explanation.
    reply_event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ticket_events.id", ondelete="SET NULL")
    )
    root_cause: Mapped[RootCause | None]
    note: Mapped[str] = mapped_column(sa.String(500), default="")

    done_by: Mapped[User | None] = relationship()
    reply_event: Mapped["TicketEvent | None"] = relationship()  # noqa: F821 - ticket module

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def is_overdue(self, now: datetime) -> bool:
        return self.done_at is None and self.due_at < now
