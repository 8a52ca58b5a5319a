"""Login throttling: per e-mail address and per client address, atomic under concurrency."""

import http.client
import os
import threading
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config import TestingConfig
from tests import factories
from tests.live_server import live_server
from ticketdesk.core import ratelimit
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import RateLimitHit, Role

GENERIC_LOGIN_ERROR = "E-mail or password is not right, or the account is not active."


def _attempt(client, email: str, password: str = factories.PASSWORD, *, address: str = "127.0.0.1"):
    return client.post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def _hits(app, key: str) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count(RateLimitHit.id)).where(RateLimitHit.key == key)
        )


# ------------------------------------------------------------ per client address


def test_spraying_many_accounts_from_one_address_is_paused(app, make_user):
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = 3
    for n in range(4):
        make_user(Role.AGENT, email=f"agent{n}@desk.example")
    # One wrong password on each of three accounts, all from the same address.
    for n in range(3):
        assert (
            _attempt(
                app.test_client(), f"agent{n}@desk.example", "Winter2026!", address="203.0.113.9"
            ).status_code
            == 200
        )
    # Now that address is paused, even with a right password for a fourth account...
    resp = _attempt(app.test_client(), "agent3@desk.example", address="203.0.113.9")
    assert resp.status_code == 200
    assert GENERIC_LOGIN_ERROR in resp.get_data(as_text=True)
    # ...which logs in at once from another address.
    assert (
        _attempt(app.test_client(), "agent3@desk.example", address="198.51.100.7").status_code
        == 302
    )
    assert _hits(app, "login-address:203.0.113.9") == 3


def test_the_address_pause_ends_with_its_window(app, make_user):
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = 2
    make_user(Role.AGENT, email="agent@desk.example")
    with app.app_context():
        ratelimit_key = "login-address:203.0.113.9"
        old = utcnow() - timedelta(seconds=app.config["LOGIN_ADDRESS_RATE_WINDOW_SECONDS"])
        db.session.add_all([RateLimitHit(key=ratelimit_key, created_at=old) for _ in range(2)])
        db.session.commit()
    assert (
        _attempt(app.test_client(), "agent@desk.example", address="203.0.113.9").status_code == 302
    )


def test_successful_logins_do_not_count(app, make_user):
    app.config["LOGIN_RATE_LIMIT"] = 2
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = 2
    make_user(Role.AGENT, email="agent@desk.example")
    for _ in range(5):
        assert _attempt(app.test_client(), "agent@desk.example").status_code == 302
    assert _hits(app, "login:agent@desk.example") == 0
    assert _hits(app, "login-address:127.0.0.1") == 0


def test_both_limits_are_settings(app):
    assert app.config["LOGIN_RATE_LIMIT"] == 10
    assert app.config["LOGIN_RATE_WINDOW_SECONDS"] == 900
    assert app.config["LOGIN_ADDRESS_RATE_LIMIT"] == 50
    assert app.config["LOGIN_ADDRESS_RATE_WINDOW_SECONDS"] == 900


# ------------------------------------------------------------ the rule as a property

EMAIL_LIMIT, ADDRESS_LIMIT = 3, 5


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    attempts=st.lists(
        st.tuples(st.integers(0, 40), st.sampled_from(["a", "b"]), st.sampled_from(["x", "y"])),
        max_size=25,
    ),
    window=st.integers(1, 30),
)
def test_a_hit_is_recorded_only_while_every_key_is_under_its_limit(ctx, now, attempts, window):
    """Reference model: an attempt at ``t`` is let through when, for each of its keys, fewer
    than the limit of earlier let-through attempts lie in ``(t - window, t]``; then it
    counts under all its keys; otherwise it counts under none."""
    db.session.execute(sa.delete(RateLimitHit))
    db.session.commit()
    accepted: dict[str, list[int]] = {}
    t = 0
    for step, email, address in attempts:
        t += step
        limits = [
            ratelimit.Limit(f"e:{email}", EMAIL_LIMIT, window),
            ratelimit.Limit(f"a:{address}", ADDRESS_LIMIT, window),
        ]
        expected = all(
            sum(1 for seen in accepted.get(lim.key, []) if seen > t - window) < lim.limit
            for lim in limits
        )
        hits = ratelimit.acquire(limits, now=now + timedelta(seconds=t))
        db.session.commit()
        assert (hits is not None) is expected
        if expected:
            assert len(hits) == 2
            for lim in limits:
                accepted.setdefault(lim.key, []).append(t)
    for key, times in accepted.items():
        recent = [seen for seen in times if seen > t - window]
        stored = db.session.scalar(
            sa.select(sa.func.count(RateLimitHit.id)).where(
                RateLimitHit.key == key,
                RateLimitHit.created_at > now + timedelta(seconds=t - window),
            )
        )
        assert stored == len(recent)


# ------------------------------------------------------------ concurrent attempts

THREADS = 12


@pytest.fixture
def served_app(tmp_path):
    """The app on a database that several server threads share for real: the test
    server database (PostgreSQL), else a SQLite file."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = (
            os.environ.get("TICKETDESK_TEST_DATABASE_URL")
            or f"sqlite:///{tmp_path / 'throttle.db'}"
        )
        # A slow password check widens the gap between checking the count and recording
        # the failure, where concurrent attempts used to slip through.
        PASSWORD_HASH_METHOD = "pbkdf2:sha256:60000"
        LOGIN_RATE_LIMIT = 3
        LOGIN_ADDRESS_RATE_LIMIT = 4

    with factories.prepared_app(Config) as app:
        yield app


def _burst(url: str, emails: list[str], password: str) -> list[int]:
    """POST the login form once per e-mail address, all at the same moment."""
    barrier = threading.Barrier(len(emails))
    statuses: list[int] = []

    host = urlsplit(url)

    def attempt(email: str) -> None:
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        conn.connect()
        barrier.wait()
        conn.request(
            "POST",
            "/login",
            body=urlencode({"email": email, "password": password}),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        statuses.append(conn.getresponse().status)
        conn.close()

    threads = [threading.Thread(target=attempt, args=(email,)) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_concurrent_failures_for_one_address_stop_at_the_limit(served_app):
    with live_server(served_app) as url:
        statuses = _burst(url, ["target@desk.example"] * THREADS, "guess")
        assert statuses == [200] * THREADS
        # Exactly the limit's worth of guesses were checked; the rest were refused unchecked.
        assert _hits(served_app, "login:target@desk.example") == 3


def test_concurrent_spraying_from_one_address_stops_at_the_limit(served_app):
    emails = [f"user{n}@desk.example" for n in range(THREADS)]
    with live_server(served_app) as url:
        statuses = _burst(url, emails, "guess")
        assert statuses == [200] * THREADS
        assert _hits(served_app, "login-address:127.0.0.1") == 4
        checked = sum(_hits(served_app, f"login:{email}") for email in emails)
        assert checked == 4
