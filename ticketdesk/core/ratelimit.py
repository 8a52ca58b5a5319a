"""Sliding-window rate limits kept in the database, so every web worker shares them."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ticketdesk.extensions import db
from ticketdesk.models import RateLimitHit


def _count_recent(key: str, *, window_seconds: int, now: datetime) -> int:
    since = now - timedelta(seconds=window_seconds)
    return (
        db.session.scalar(
            sa.select(sa.func.count(RateLimitHit.id)).where(
                RateLimitHit.key == key, RateLimitHit.created_at > since
            )
        )
        or 0
    )


def is_limited(key: str, *, limit: int, window_seconds: int, now: datetime) -> bool:
    return _count_recent(key, window_seconds=window_seconds, now=now) >= limit


def _record_hit(key: str, *, now: datetime) -> None:
    db.session.add(RateLimitHit(key=key, created_at=now))


def _prune(*, older_than: datetime) -> None:
    db.session.execute(sa.delete(RateLimitHit).where(RateLimitHit.created_at < older_than))


# ------------------------------------------------------------ atomic check-and-record
# ``is_limited`` followed by ``_record_hit`` lets concurrent requests all pass the check
# before any of them records its hit. ``acquire`` records first and counts afterwards,
# while holding a lock that serialises everyone counting the same key:
# - PostgreSQL: a transaction-level advisory lock per key (taken in key order, so two
#   requests with overlapping keys cannot deadlock);
# - SQLite: the INSERT takes the database's write lock, which other writers wait for
#   (busy_timeout) until this transaction ends, so the count sees every earlier hit.


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` hits under ``key`` within the last ``window_seconds``.

    ``cost`` is how many hits one attempt records (a message with three files costs three
    under the files key).
    """

    key: str
    limit: int
    window_seconds: int
    cost: int = 1


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def _lock(key: str) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_id(key))))


def acquire(limits: Sequence[Limit], *, now: datetime) -> list[int] | None:
    """Record one hit under every key, unless one of the keys has reached its limit.

    Call it inside the caller's unit of work and commit soon: the lock lasts until the
    transaction ends. Returns the new hits' ids (for ``release``), or None when a limit
    is reached; then nothing is recorded. A hit counts while it is younger than the
    window: one recorded at ``t`` counts for ``now`` in ``[t, t + window)``. Hits of these
    keys older than their window (and two days) are deleted on the way.
    """
    by_key = {limit.key: limit for limit in limits}
    ordered = [by_key[key] for key in sorted(by_key)]
    for limit in ordered:
        _lock(limit.key)
        keep = max(timedelta(seconds=limit.window_seconds), timedelta(days=2))
        db.session.execute(
            sa.delete(RateLimitHit).where(
                RateLimitHit.key == limit.key, RateLimitHit.created_at < now - keep
            )
        )
    hits = [
        RateLimitHit(key=limit.key, created_at=now)
        for limit in ordered
        for _n in range(max(limit.cost, 1))
    ]
    db.session.add_all(hits)
    db.session.flush()
    for limit in ordered:
        # The count includes the hit just added.
        if _count_recent(limit.key, window_seconds=limit.window_seconds, now=now) > limit.limit:
            for hit in hits:
                db.session.delete(hit)
            db.session.flush()
            return None
    return [hit.id for hit in hits]


def release(hit_ids: Sequence[int]) -> None:
    """Take back hits recorded by ``acquire`` (the attempt turned out not to count)."""
    if hit_ids:
        db.session.execute(sa.delete(RateLimitHit).where(RateLimitHit.id.in_(list(hit_ids))))
