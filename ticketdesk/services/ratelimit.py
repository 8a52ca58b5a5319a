"""Sliding-window rate limits kept in the database, so every web worker shares them."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from ticketdesk.extensions import db
from ticketdesk.models import RateLimitHit


def _count_recent(key: str, *, window_seconds: int, now: datetime) -> int:
    since = now - timedelta(seconds=window_seconds)
    return db.session.scalar(
        sa.select(sa.func.count(RateLimitHit.id))
        .where(RateLimitHit.key == key, RateLimitHit.created_at > since)
    ) or 0


def is_limited(key: str, *, limit: int, window_seconds: int, now: datetime) -> bool:
    return _count_recent(key, window_seconds=window_seconds, now=now) >= limit


def _record_hit(key: str, *, now: datetime) -> None:
    db.session.add(RateLimitHit(key=key, created_at=now))


def _prune(*, older_than: datetime) -> None:
    db.session.execute(sa.delete(RateLimitHit).where(RateLimitHit.created_at < older_than))
