"""Service levels: business calendars, SLA policies and the SLA events of tickets."""

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketdesk.database import utcnow
from ticketdesk.extensions import db


class BusinessCalendar(db.Model):
    """Opening hours in a timezone, and holidays. SLA clocks run only while it is open."""

    __tablename__ = "business_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    timezone: Mapped[str] = mapped_column(sa.String(64))
    # {"0": [["09:00", "17:00"]], ..., "6": []}: Monday=0; see services.business_time.
    hours: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    holidays: Mapped[list["CalendarHoliday"]] = relationship(
        back_populates="calendar", order_by="CalendarHoliday.day", cascade="all, delete-orphan"
    )


class CalendarHoliday(db.Model):
    __tablename__ = "calendar_holidays"
    __table_args__ = (sa.UniqueConstraint("calendar_id", "day", name="uq_calendar_holidays_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(
        sa.ForeignKey("business_calendars.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date]
    name: Mapped[str] = mapped_column(sa.String(120), default="")

    calendar: Mapped[BusinessCalendar] = relationship(back_populates="holidays")


class SlaPolicy(db.Model):
    """Targets for a kind of ticket. The most specific matching policy applies."""

    __tablename__ = "sla_policies"
    __table_args__ = (
        sa.Index(
            "uq_sla_policies_one_default",
            "is_default",
            unique=True,
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        ),
        sa.CheckConstraint("first_response_minutes > 0", name="first_response_positive"),
        sa.CheckConstraint("resolution_minutes > 0", name="resolution_positive"),
        sa.CheckConstraint(
            "at_risk_percent > 0 AND at_risk_percent < 100", name="at_risk_percent_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    is_default: Mapped[bool] = mapped_column(default=False)
    # Lists of allowed values: kinds, severities, tiers (empty or missing: anything).
    conditions: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # NULL: the clock runs around the clock (24/7).
    calendar_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("business_calendars.id", ondelete="SET NULL"), index=True
    )
    first_response_minutes: Mapped[int]
    next_response_minutes: Mapped[int | None]
    remedy_minutes: Mapped[int | None]
    resolution_minutes: Mapped[int]
    at_risk_percent: Mapped[int] = mapped_column(default=75)
    # What a breach sets off, besides its event.
    escalate_notify_lead: Mapped[bool] = mapped_column(default=True)
    escalate_raise_severity: Mapped[bool] = mapped_column(default=False)
    escalate_reassign: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    calendar: Mapped[BusinessCalendar | None] = relationship()


class SlaMilestone(enum.StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    REMEDY = "remedy"  # the make-whole delivered to the customer
    RESOLUTION = "resolution"


class SlaState(enum.StrEnum):
    AT_RISK = "at_risk"
    BREACHED = "breached"


class SlaEvent(db.Model):
    """A milestone of a ticket became at risk or breached, once per due time.

    The unique constraint makes the sweep idempotent: a second sweep, or two at
    once, cannot record (or announce) the same thing twice.
    """

    __tablename__ = "sla_events"
    __table_args__ = (
        sa.UniqueConstraint("ticket_id", "milestone", "state", "due_at", name="uq_sla_events_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    milestone: Mapped[SlaMilestone]
    state: Mapped[SlaState]
    due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
