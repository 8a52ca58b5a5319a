"""What happens after a recovery: orders, satisfaction surveys, loyalty outcomes, standing
changes, and the rules (set by team leads) that judge a recovery."""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketdesk.database import Money, utcnow
from ticketdesk.extensions import db
from ticketdesk.models.account import Customer, CustomerTier, Standing
from ticketdesk.models.user import User


class OrderSource(enum.StrEnum):
    MANUAL = "manual"
    IMPORT = "import"


class Order(db.Model):
    """A customer's order, as kept in the team's CRM/ERP.

    A *purchase* is an order with an amount above zero that is not the shipment of a
    remedy; free replacements and remedy shipments never count as buying again.
    """

    __tablename__ = "orders"
    __table_args__ = (
        sa.UniqueConstraint("customer_id", "reference", name="uq_orders_customer_reference"),
        sa.CheckConstraint("amount >= 0", name="amount_positive"),
        sa.Index("ix_orders_customer_date", "customer_id", "ordered_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(sa.String(64))
    ordered_on: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(sa.String(3))
    # Set when the order is the shipment of a remedy on that ticket (not a purchase).
    remedy_ticket_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[OrderSource] = mapped_column(default=OrderSource.MANUAL)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    customer: Mapped[Customer] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def is_purchase(self) -> bool:
        return self.amount > 0 and self.remedy_ticket_id is None

    def __repr__(self) -> str:
        return f"<Order {self.reference} {self.ordered_on} {self.amount} {self.currency}>"


def purchase_clause() -> sa.ColumnElement[bool]:
    """``Order.is_purchase`` in SQL."""
    return sa.and_(Order.amount > 0, Order.remedy_ticket_id.is_(None))


class Survey(db.Model):
    """A satisfaction survey sent when a ticket is resolved; answered once, by the link."""

    __tablename__ = "surveys"
    __table_args__ = (
        sa.CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    email: Mapped[str] = mapped_column(sa.String(254))
    # Random per survey and part of the signed link: a link stops working when its survey
    # is answered, expires, or is replaced by the survey of a later resolution.
    nonce: Mapped[str] = mapped_column(sa.String(32), unique=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    superseded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    score: Mapped[int | None]
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    ticket: Mapped["Ticket"] = relationship(back_populates="surveys")  # noqa: F821

    def __repr__(self) -> str:
        return f"<Survey {self.ticket_id} {self.score}>"


class LoyaltyState(enum.StrEnum):
    CANDIDATE = "candidate"  # recovered well; follow up and see whether they buy again
    RETAINED = "retained"  # bought again within the window
    LAPSED = "lapsed"  # the window passed without a purchase
    AT_RISK = "at_risk"  # a second failure of ours within the repeat window


class RecoveryOutcome(db.Model):
    """How one resolved ticket's recovery is judged, once the reopen window has passed."""

    __tablename__ = "recovery_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), unique=True
    )
    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    evaluated_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_on: Mapped[date]
    success: Mapped[bool]
    # The rules the recovery did not meet, and why the customer is no candidate (codes).
    failed: Mapped[list] = mapped_column(sa.JSON, default=list)
    not_eligible: Mapped[list] = mapped_column(sa.JSON, default=list)
    state: Mapped[LoyaltyState | None] = mapped_column(index=True)
    window_ends_on: Mapped[date | None]
    decided_on: Mapped[date | None]
    reorder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"))

    ticket: Mapped["Ticket"] = relationship()  # noqa: F821 - ticket module
    customer: Mapped[Customer] = relationship()
    reorder: Mapped[Order | None] = relationship()

    def __repr__(self) -> str:
        return f"<RecoveryOutcome {self.ticket_id} {self.state}>"


class StandingChange(db.Model):
    """A change of how the customer ranks us, with the reason given."""

    __tablename__ = "standing_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    old_standing: Mapped[Standing | None]
    new_standing: Mapped[Standing]
    reason: Mapped[str] = mapped_column(sa.Text)
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tickets.id", ondelete="SET NULL"))
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    changed_by: Mapped[User | None] = relationship()
    ticket: Mapped["Ticket | None"] = relationship()  # noqa: F821 - ticket module


class TierChange(db.Model):
    """A change of the customer's tier, with the reason given.

    The tier decides who may approve compensation (a cash refund to a strategic account
    needs an administrator), so approvals read the highest tier held over a recent window
    from these rows, not only the tier of the moment.
    """

    __tablename__ = "tier_changes"
    __table_args__ = (sa.Index("ix_tier_changes_customer_changed", "customer_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    old_tier: Mapped[CustomerTier]
    new_tier: Mapped[CustomerTier]
    reason: Mapped[str] = mapped_column(sa.Text)
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    changed_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<TierChange {self.customer_id} {self.old_tier} → {self.new_tier}>"


class RecoveryRules(db.Model):
    """The rules that judge recoveries and segment accounts: one row, edited by leads."""

    __tablename__ = "recovery_rules"
    __table_args__ = (
        sa.CheckConstraint("min_satisfaction BETWEEN 1 AND 5", name="min_satisfaction_range"),
        sa.CheckConstraint(
            "reopen_below_score IS NULL OR reopen_below_score BETWEEN 2 AND 5",
            name="reopen_below_score_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A recovery success
    require_make_whole_in_sla: Mapped[bool] = mapped_column(default=True)
    require_apology: Mapped[bool] = mapped_column(default=True)
    reopen_window_days: Mapped[int] = mapped_column(default=14)
    min_satisfaction: Mapped[int] = mapped_column(default=4)  # or no answer
    exclude_conceded: Mapped[bool] = mapped_column(default=True)
    # A loyalty candidate
    first_complaint_months: Mapped[int] = mapped_column(default=12)
    exclude_p1: Mapped[bool] = mapped_column(default=True)
    require_prior_purchase: Mapped[bool] = mapped_column(default=True)
    repeat_failure_months: Mapped[int] = mapped_column(default=12)
    retention_window_days: Mapped[int] = mapped_column(default=90)
    # Surveys
    survey_valid_days: Mapped[int] = mapped_column(default=14)
    # A score below this reopens the ticket for review (None: never).
    reopen_below_score: Mapped[int | None] = mapped_column(default=3)
    # Engagement segments
    segment_window_days: Mapped[int] = mapped_column(default=90)
    self_driven_min_purchases: Mapped[int] = mapped_column(default=3)
    stalled_drop_percent: Mapped[int] = mapped_column(default=50)
    self_driven_min_share: Mapped[int] = mapped_column(default=50)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
