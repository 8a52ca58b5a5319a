"""The scheduler lease during long runs: renewed before each unit of work, fenced by a
token so a runner that lost it stops, and two real scheduler processes with a slow
SMTP server that never send at the same time."""

import asyncio
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.support import Recorder, free_port, scheduler_processes
from tests.test_outbox import fresh_message, queue
from ticketdesk import create_app
from ticketdesk import scheduler as background
from ticketdesk.core import lease
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import OutboxState
from ticketdesk.services.notifications import outbox
from ticketdesk.settings import TestingConfig

ROOT = Path(__file__).resolve().parent.parent
NAME = background.LEASE_NAME
TTL = 90


# ------------------------------------------------------------------ the fencing token


@pytest.mark.parametrize(
    "steps, expected_token",
    [
        ([("a", 0)], 1),  # taken: the first token
        ([("a", 0), ("a", 60)], 1),  # renewed: the same token
        ([("a", 0), ("b", TTL + 1)], 2),  # taken over: the next one
        ([("a", 0), ("b", TTL + 1), ("a", 2 * TTL + 2)], 3),
        ([("a", 0), ("a", TTL + 5)], 1),  # expired, nobody took it: same
    ],
)
def test_the_token_goes_up_each_time_the_lease_changes_hands(ctx, now, steps, expected_token):
    token = None
    for holder, seconds in steps:
        token = lease.acquire(
            NAME, holder=holder, now=now + timedelta(seconds=seconds), ttl_seconds=TTL
        )
    assert token == expected_token == lease.current(NAME).token


@pytest.mark.parametrize(
    "holder, token, taken_over, expected",
    [
        ("a", 1, False, True),  # still ours
        ("a", 2, False, False),  # a token we never had
        ("b", 1, False, False),  # someone else's
        ("a", 1, True, False),  # b took it over after it expired
    ],
)
def test_renew_answers_whether_the_lease_is_still_this_tenure(
    ctx, now, holder, token, taken_over, expected
):
    assert lease.acquire(NAME, holder="a", now=now, ttl_seconds=TTL) == 1
    later = now + timedelta(seconds=TTL + 1)
    if taken_over:
        assert lease.acquire(NAME, holder="b", now=later, ttl_seconds=TTL) == 2
    assert lease.renew(NAME, holder=holder, token=token, now=later, ttl_seconds=TTL) is expected
    if expected:
        assert lease.current(NAME).expires_at == later + timedelta(seconds=TTL)


def test_a_long_run_keeps_its_lease_by_renewing_before_each_unit_of_work(app, now):
    with app.app_context():
        token = lease.acquire(NAME, holder="a:1", now=now, ttl_seconds=TTL)
    at = {"now": now}
    fence = background.LeaseFence(app, holder="a:1", token=token, clock=lambda: at["now"])
    with app.app_context():
        for _ in range(5):  # five units of work, each a little shorter than the lease
            at["now"] += timedelta(seconds=TTL - 1)
            assert fence.check()
            assert not lease.acquire(NAME, holder="b:2", now=at["now"], ttl_seconds=TTL)
        assert lease.current(NAME).holder == "a:1"


def test_a_run_stops_when_a_second_runner_took_the_lease_over(app, now, monkeypatch):
    """Runner a stalls in its first job past the lease; runner b takes the lease and
    runs. Back in a, the fence fails before the next job, which does not run."""
    at = {"now": now}
    ran = []

    def b_job(now, fence):
        ran.append("b")
        return "b ran"

    def slow(now, fence):
        ran.append("a: slow")
        at["now"] = now + timedelta(seconds=TTL + 1)
        b_runs = [background.Job("b-job", "b's job", b_job)]
        with monkeypatch.context() as m:
            m.setattr(background, "JOBS", b_runs)
            assert background.run_due_jobs(app, holder="b:2", now=at["now"]) == ["b-job: b ran"]
        return "done"

    def second(now, fence):
        ran.append("a: second")
        return "done"

    monkeypatch.setattr(
        background,
        "JOBS",
        [background.Job("slow", "Slow", slow), background.Job("second", "Second", second)],
    )
    summaries = background.run_due_jobs(app, holder="a:1", now=now, clock=lambda: at["now"])
    assert summaries == ["slow: done", "second: skipped (lease lost)"]
    assert ran == ["a: slow", "b"]
    with app.app_context():
        assert lease.current(NAME).holder == "b:2"


def test_the_outbox_stops_between_messages_once_the_lease_is_lost(app, smtp, now):
    server = smtp(Recorder())
    with app.app_context():
        ids = [queue(now, to=f"u{i}@example.test") for i in range(3)]
        token = lease.acquire(NAME, holder="a:1", now=now, ttl_seconds=TTL)
    at = {"now": now}
    fence = background.LeaseFence(app, holder="a:1", token=token, clock=lambda: at["now"])

    def keep_going():
        if len(server.messages) == 1 and at["now"] == now:
            # After the first e-mail runner a stalls past its lease, and b takes over.
            at["now"] = now + timedelta(seconds=TTL + 1)
            assert lease.acquire(NAME, holder="b:2", now=at["now"], ttl_seconds=TTL)
        return fence.check()

    with app.app_context():
        report = outbox.send_due(now=now, keep_going=keep_going, clock=fence.clock)
        assert (report.sent, report.stopped) == (1, True)
        assert "stopped: lease lost" in report.summary()
        assert [fresh_message(mid).state for mid in ids] == [
            OutboxState.SENT,
            OutboxState.QUEUED,
            OutboxState.QUEUED,
        ]
    assert len(server.messages) == 1


# ------------------------------------------------------------------ two real processes

INTERVAL, LEASE, DELAY, MESSAGES = 1, 4, 1.0, 8


class SlowServer:
    """Accepts every message after DELAY seconds; records who sent what, and when."""

    def __init__(self):
        self.lock = threading.Lock()
        self.deliveries: list[tuple[tuple, float, float, str]] = []  # peer, start, end, to

    async def handle_DATA(self, server, session, envelope):
        start = time.monotonic()
        await asyncio.sleep(DELAY)
        with self.lock:
            self.deliveries.append((session.peer, start, time.monotonic(), envelope.rcpt_tos[0]))
        return "250 2.0.0 Accepted"


def _overlaps(deliveries) -> list:
    return [
        (a, b)
        for i, a in enumerate(deliveries)
        for b in deliveries[i + 1 :]
        if a[0] != b[0] and a[1] < b[2] and b[1] < a[2]
    ]


def test_two_scheduler_processes_never_send_at_the_same_time(tmp_path):
    """A run longer than the lease (slow SMTP): without renewal during the run the
    waiting process takes the lease and sends alongside the first one."""
    db_file = tmp_path / "db.sqlite"
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db_file}",
        "TICKETDESK_CONFIG": "development",
        "TICKETDESK_SCHEDULER_INTERVAL_SECONDS": str(INTERVAL),
        "TICKETDESK_SCHEDULER_LEASE_SECONDS": str(LEASE),
        "TICKETDESK_MAIL_SERVER": "127.0.0.1",
        "TICKETDESK_MAIL_PORT": str(port),
        "TICKETDESK_MAIL_TIMEOUT": "30",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("TICKETDESK_TEST_DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
    )

    class FileConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{db_file}"
        MAIL_FROM = "TicketDesk <desk@example.test>"

    app = create_app(FileConfig)
    with app.app_context():
        with unit_of_work():
            for i in range(MESSAGES):
                outbox.enqueue(
                    to=f"u{i}@example.test",
                    subject=f"Message {i}",
                    body="x",
                    now=background.utcnow() - timedelta(seconds=1),
                )
        db.engine.dispose()

    handler = SlowServer()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with scheduler_processes(env, tmp_path) as (procs, logs):
            deadline = time.monotonic() + MESSAGES * DELAY + 30
            while time.monotonic() < deadline:
                with handler.lock:
                    if len(handler.deliveries) >= MESSAGES:
                        break
                time.sleep(0.2)
            time.sleep(LEASE + INTERVAL)  # room for a late second sender to show itself
    finally:
        controller.stop()

    text = {pid: logs[pid].read_text(errors="replace") for pid in procs}
    with handler.lock:
        deliveries = list(handler.deliveries)
    assert sorted(d[3] for d in deliveries) == sorted(
        f"u{i}@example.test" for i in range(MESSAGES)
    ), text
    assert _overlaps(deliveries) == [], text
    # Only one of the two ever ran the jobs: the other waited the whole time.
    assert sum("Jobs run by" in log for log in text.values()) == 1, text
