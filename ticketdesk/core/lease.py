"""Named leases in the database: at most one holder at a time, across processes and hosts.

A lease is a row in ``scheduler_leases``. ``acquire`` takes it when nobody holds it,
when its holder let it expire, or when the caller already holds it (which renews it).
Taking it is a single conditional UPDATE, or an INSERT for a lease that has no row yet,
so two processes racing for it on SQLite or PostgreSQL can never both win: the database
lets only one UPDATE match, and the primary key lets only one INSERT through.

Expiry is compared with the ``now`` that callers pass in, so processes on different
hosts need reasonably synchronised clocks (skew well under the lease length).

Fencing: each time the lease changes hands its ``token`` goes up by one (a renewal
keeps it), and ``acquire`` returns it. Work done under the lease calls ``renew`` with
its holder and token before each unit of work: that keeps the lease alive through a
long run, and answers False once another process has taken it over (after this one
stalled past the expiry), so the old holder stops instead of working alongside.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa

from ticketdesk.core.uow import unit_of_work
from ticketdesk.database import UTCDateTime
from ticketdesk.extensions import db
from ticketdesk.models import SchedulerLease

HOLDER_MAX = 120  # the length of SchedulerLease.holder


def acquire(name: str, *, holder: str, now: datetime, ttl_seconds: int) -> int | None:
    """Take or renew the lease ``name`` for ``holder`` until ``now + ttl_seconds``.

    The fencing token (a positive number) when ``holder`` holds the lease afterwards;
    None when another holder's lease is still valid (or another process took it at
    the same moment).
    """
    if not holder or len(holder) > HOLDER_MAX:
        raise ValueError(f"A lease holder needs 1 to {HOLDER_MAX} characters.")
    if ttl_seconds <= 0:
        raise ValueError("A lease needs a positive ttl_seconds.")
    expires_at = now + timedelta(seconds=ttl_seconds)
    try:
        with unit_of_work():
            # The UPDATE comes first, so on SQLite the transaction takes the write lock at
            # once instead of upgrading a read transaction (which fails with "locked").
            result = db.session.execute(
                sa.update(SchedulerLease)
                .where(
                    SchedulerLease.name == name,
                    sa.or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now),
                )
                .values(
                    # A renewal keeps the time the holder first took the lease.
                    acquired_at=sa.case(
                        (SchedulerLease.holder == holder, SchedulerLease.acquired_at),
                        else_=sa.literal(now, UTCDateTime()),
                    ),
                    # ... and its token; a new holder gets the next one.
                    token=sa.case(
                        (SchedulerLease.holder == holder, SchedulerLease.token),
                        else_=SchedulerLease.token + 1,
                    ),
                    holder=holder,
                    expires_at=expires_at,
                    heartbeat_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                return db.session.scalar(
                    sa.select(SchedulerLease.token)
                    .where(SchedulerLease.name == name)
                    .execution_options(populate_existing=True)
                )
            exists = db.session.scalar(sa.select(sa.literal(1)).where(SchedulerLease.name == name))
            if exists:
                return None  # held by someone else, and still valid
            db.session.execute(
                sa.insert(SchedulerLease).values(
                    name=name,
                    holder=holder,
                    acquired_at=now,
                    expires_at=expires_at,
                    heartbeat_at=now,
                    token=1,
                )
            )
    except sa.exc.IntegrityError:
        return None  # another process inserted the row first; unit_of_work rolled back
    return 1


def renew(name: str, *, holder: str, token: int, now: datetime, ttl_seconds: int) -> bool:
    """Extend the lease to ``now + ttl_seconds`` if ``holder`` still holds it under
    ``token``; False when it changed hands (or was released) meanwhile.

    A lease that expired but was taken by nobody is renewed: nobody else can have
    worked under it, since taking it would have changed holder and token.
    """
    if ttl_seconds <= 0:
        raise ValueError("A lease needs a positive ttl_seconds.")
    with unit_of_work():
        result = db.session.execute(
            sa.update(SchedulerLease)
            .where(
                SchedulerLease.name == name,
                SchedulerLease.holder == holder,
                SchedulerLease.token == token,
            )
            .values(expires_at=now + timedelta(seconds=ttl_seconds), heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
    return result.rowcount == 1


def release(name: str, *, holder: str) -> bool:
    """Give the lease up, but only if ``holder`` holds it. True when it was released."""
    with unit_of_work():
        result = db.session.execute(
            sa.delete(SchedulerLease)
            .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
            .execution_options(synchronize_session=False)
        )
    return result.rowcount == 1


def current(name: str) -> SchedulerLease | None:
    """The lease row as it is now (a detached snapshot), expired or not; None when free."""
    with unit_of_work():
        lease = db.session.scalar(
            sa.select(SchedulerLease)
            .where(SchedulerLease.name == name)
            .execution_options(populate_existing=True)
        )
        if lease is not None:
            db.session.expunge(lease)
    return lease
