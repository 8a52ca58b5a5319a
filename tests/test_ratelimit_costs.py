"""A limit whose attempts cost several hits (files on the private link): the check counts
the whole cost, and a refused attempt records nothing."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketdesk.core import ratelimit
from ticketdesk.extensions import db
from ticketdesk.models import RateLimitHit

LIMIT = 7


@pytest.mark.parametrize(
    ("costs", "taken"),
    [
        ([3, 3, 1], [True, True, True]),  # 7 exactly reaches the limit
        ([3, 3, 2], [True, True, False]),  # 8 would pass it: refused whole
        ([8], [False]),  # one attempt over the limit alone
        ([7, 1], [True, False]),
        ([2, 6, 5], [True, False, True]),  # a refusal leaves room for a smaller one
    ],
)
def test_an_attempt_is_taken_only_when_its_whole_cost_fits(ctx, now, costs, taken):
    for cost, expected in zip(costs, taken, strict=True):
        hits = ratelimit.acquire([ratelimit.Limit("files:1", LIMIT, 3600, cost=cost)], now=now)
        db.session.commit()
        assert (hits is not None) is expected
        if expected:
            assert len(hits) == cost
    stored = db.session.scalar(
        sa.select(sa.func.count(RateLimitHit.id)).where(RateLimitHit.key == "files:1")
    )
    assert stored == sum(c for c, t in zip(costs, taken, strict=True) if t)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    attempts=st.lists(st.tuples(st.integers(0, 20), st.integers(0, 5)), max_size=20),
    window=st.integers(1, 30),
)
def test_costed_hits_follow_a_sliding_window_model(ctx, now, attempts, window):
    """Reference model: an attempt at ``t`` costing ``c`` messages-with-files is taken when
    the message limit (3) and the file limit (LIMIT) both still have room for it within
    ``(t - window, t]``; a message without files needs no room for files."""
    db.session.execute(sa.delete(RateLimitHit))
    db.session.commit()
    posts: list[int] = []
    files: list[tuple[int, int]] = []
    t = 0
    for step, cost in attempts:
        t += step
        limits = [ratelimit.Limit("posts", 3, window)]
        if cost:
            limits.append(ratelimit.Limit("files", LIMIT, window, cost=cost))
        recent_posts = sum(1 for seen in posts if seen > t - window)
        recent_files = sum(n for seen, n in files if seen > t - window)
        expected = recent_posts < 3 and (not cost or recent_files + cost <= LIMIT)
        hits = ratelimit.acquire(limits, now=now + timedelta(seconds=t))
        db.session.commit()
        assert (hits is not None) is expected
        if expected:
            posts.append(t)
            if cost:
                files.append((t, cost))
