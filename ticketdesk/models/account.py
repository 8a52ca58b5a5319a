"""Customers (accounts) and their contacts."""

import enum
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models.user import User


class CustomerTier(enum.StrEnum):
    STRATEGIC = "strategic"
    KEY = "key"
    STANDARD = "standard"


class Standing(enum.StrEnum):
    """How the customer ranks us as a supplier."""

    STRATEGIC = "strategic"
    PREFERRED = "preferred"
    QUALIFICATION_PENDING = "qualification_pending"
    PASSIVE_ELIMINATION = "passive_elimination"
    ACTIVE_ELIMINATION = "active_elimination"


class EngagementSegment(enum.StrEnum):
    """How an account buys from us (seed 004): by itself, when pushed, or not at all."""

    SELF_DRIVEN = "self_driven"
    NEEDS_PUSH = "needs_push"
    STALLED = "stalled"


class Customer(db.Model):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(160), index=True)
    tier: Mapped[CustomerTier] = mapped_column(default=CustomerTier.STANDARD, index=True)
    standing: Mapped[Standing] = mapped_column(default=Standing.QUALIFICATION_PENDING)
    account_manager_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    preferences: Mapped[str] = mapped_column(sa.Text, default="")
    # The customer's number in the team's CRM/ERP (matches order imports).
    external_ref: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # Our share of what the customer buys in our line, in percent, where known.
    purchase_share: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    # A segment set by hand replaces the computed one, with the reason.
    segment_override: Mapped[EngagementSegment | None]
    segment_override_reason: Mapped[str] = mapped_column(sa.Text, default="")
    segment_override_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    segment_override_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    account_manager: Mapped[User | None] = relationship(foreign_keys=[account_manager_id])
    segment_override_by: Mapped[User | None] = relationship(foreign_keys=[segment_override_by_id])
    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="customer", order_by="Contact.name", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Customer {self.name}>"


class Contact(db.Model):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    # Stored lower-case; one contact per address so intake by email is unambiguous.
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    # False while nobody has confirmed the person speaks for the customer (a public form
    # naming an account from an address we did not know); an agent confirms or moves it.
    verified: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # The language and timezone of e-mails to this person ("": the desk's).
    locale: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="contacts")

    def __repr__(self) -> str:
        return f"<Contact {self.name} <{self.email}>>"
