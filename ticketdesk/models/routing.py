"""Routing rules and ticket watchers."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models.ticket import Severity
from ticketdesk.models.user import Team, User


class AssignStrategy(enum.StrEnum):
    NONE = "none"  # the team only; somebody takes it from the queue
    USER = "user"  # a named member of the team
    ROUND_ROBIN = "round_robin"  # the team's available agents in turn
    FEWEST_OPEN = "fewest_open"  # the available agent with the fewest open tickets


class NotifyTarget(enum.StrEnum):
    TEAM = "team"  # every active member of the routed team
    LEADS = "leads"  # the routed team's leads
    ACCOUNT_MANAGER = "account_manager"  # the customer's account manager


class RoutingRule(db.Model):
    """One rule: conditions on the ticket, then actions. Rules run in ``position`` order.

    The first matching rule ends routing unless it says ``continue_after``. A later
    matching rule only adds what no earlier rule decided: the team and its assignee
    come from the first matching rule that names a team.
    """

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    position: Mapped[int] = mapped_column(default=0, index=True)
    active: Mapped[bool] = mapped_column(default=True)
    continue_after: Mapped[bool] = mapped_column(default=False)
    # Lists of allowed values per field (empty or missing: anything) and keywords,
    # any of which must appear in the subject or description.
    conditions: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    strategy: Mapped[AssignStrategy] = mapped_column(default=AssignStrategy.NONE)
    assignee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    raise_severity: Mapped[Severity | None]
    watch_account_manager: Mapped[bool] = mapped_column(default=False)
    watch_lead: Mapped[bool] = mapped_column(default=False)
    notify: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    team: Mapped[Team | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    def __repr__(self) -> str:
        return f"<RoutingRule {self.position} {self.name}>"


class TicketWatcher(db.Model):
    """A staff member who follows a ticket: it shows in their watching queue and they
    hear about its changes."""

    __tablename__ = "ticket_watchers"

    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # The rule that added the watcher; NULL when the person chose to watch.
    rule_name: Mapped[str | None] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
