"""The scheduler lease: which process may run the background jobs right now."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ticketdesk.extensions import db


class SchedulerLease(db.Model):
    """A named lease held by one process until ``expires_at`` unless it renews it.

    ``holder`` is ``host:pid`` of the process (see ``ticketdesk.scheduler.holder_id``);
    ``token`` tells one tenure of the lease from the next (see ``core.lease``).
    """

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(120))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
    # The fencing token: raised by one each time the lease changes hands (a renewal
    # keeps it). Work done under the lease checks holder and token before each step.
    token: Mapped[int] = mapped_column(default=1, server_default="1")

    def is_valid(self, now: datetime) -> bool:
        """True while the lease has not expired (``acquire`` takes it over once it has)."""
        return self.expires_at >= now

    def __repr__(self) -> str:
        return f"<SchedulerLease {self.name} {self.holder} until {self.expires_at.isoformat()}>"
