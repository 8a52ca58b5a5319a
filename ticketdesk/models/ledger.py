"""The compensation ledger: every remedy on a ticket, with its cost and who did what."""

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketdesk.database import Money, utcnow
from ticketdesk.extensions import db
from ticketdesk.models.playbook import RemedyForm
from ticketdesk.models.user import Role, User


class RemedyKind(enum.StrEnum):
    MAKE_WHOLE = "make_whole"  # equal to the customer's loss
    GOODWILL = "goodwill"  # extra value on top, sized by rule and capped


class RemedyState(enum.StrEnum):
    PROPOSED = "proposed"  # waits for an approver with enough authority
    APPROVED = "approved"
    DELIVERED = "delivered"  # it reached the customer
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


LIVE_REMEDY_STATES = (RemedyState.PROPOSED, RemedyState.APPROVED, RemedyState.DELIVERED)


class RemedyReason(enum.StrEnum):
    MISSING_ITEMS = "missing_items"
    DAMAGED_ITEMS = "damaged_items"
    WRONG_ITEMS = "wrong_items"
    LATE_DELIVERY = "late_delivery"
    BILLING_ERROR = "billing_error"
    SERVICE_FAILURE = "service_failure"
    PROJECT_FAILURE = "project_failure"
    REPEAT_FAILURE = "repeat_failure"
    SLA_MISSED = "sla_missed"
    GOODWILL_GESTURE = "goodwill_gesture"
    OTHER = "other"


class ApprovalReason(enum.StrEnum):
    """Why a remedy needs more than its proposer's authority (stored with the remedy, since
    the rule's inputs move: later remedies, later failures, a changed tier)."""

    OVER_AGENT_LIMIT = "over_agent_limit"  # above the loss and the agent limit
    OVER_LEAD_LIMIT = "over_lead_limit"  # above the playbook's lead limit
    OVER_CAP = "over_cap"  # above the compensation cap
    STRATEGIC_CASH = "strategic_cash"  # a cash refund to a strategic account
    REPEAT_FAILURE = "repeat_failure"  # a second failure of ours: one tier up


class CapBase(enum.StrEnum):
    AFFECTED = "affected"  # the value the complaint is about (default)
    ORDER = "order"  # the whole order: small orders of many items (the bags case)


class Remedy(db.Model):
    __tablename__ = "remedies"
    __table_args__ = (
        sa.CheckConstraint("cost >= 0", name="cost_positive"),
        sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
        sa.CheckConstraint(
            "affected_value IS NULL OR affected_value >= 0", name="affected_value_positive"
        ),
        sa.CheckConstraint("cap_base >= 0", name="cap_base_positive"),
        sa.Index("ix_remedies_state_approval", "state", "approval_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[RemedyKind]
    form: Mapped[RemedyForm]
    description: Mapped[str] = mapped_column(sa.String(500))
    quantity: Mapped[int] = mapped_column(default=1)
    cost: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(sa.String(3))
    # What the remedy answers: how many units/lines, and their value.
    affected_units: Mapped[int | None]
    affected_value: Mapped[Decimal | None] = mapped_column(Money())
    reason: Mapped[RemedyReason]
    in_kind: Mapped[bool] = mapped_column(default=False)  # same item, or the work redone
    valued_at_cost: Mapped[bool] = mapped_column(default=False)  # goodwill items at our cost
    cap_base_kind: Mapped[CapBase] = mapped_column(default=CapBase.AFFECTED)
    cap_base: Mapped[Decimal] = mapped_column(Money())
    state: Mapped[RemedyState] = mapped_column(default=RemedyState.PROPOSED, index=True)
    # The role whose approval the remedy waits on (None: within the proposer's authority).
    approval_role: Mapped[Role | None]
    # Why that role (ApprovalReason values, comma-separated; empty: none needed or not known).
    approval_reasons: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    # Granted only after the customer escalated or threatened (not a recovery).
    conceded: Mapped[bool] = mapped_column(default=False)
    # Made whole on the no-proof fast path (a small missing or damaged claim).
    no_proof: Mapped[bool] = mapped_column(default=False)
    proposed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    delivered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    delivered_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    ticket: Mapped["Ticket"] = relationship(back_populates="remedies")  # noqa: F821
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    delivered_by: Mapped[User | None] = relationship(foreign_keys=[delivered_by_id])

    @property
    def approval_reason_list(self) -> list[ApprovalReason]:
        return [ApprovalReason(v) for v in (self.approval_reasons or "").split(",") if v]

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_REMEDY_STATES

    def __repr__(self) -> str:
        return f"<Remedy {self.kind} {self.cost} {self.currency} {self.state}>"
