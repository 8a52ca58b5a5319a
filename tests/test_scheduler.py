"""The scheduler process: the database lease, one tick of jobs, the APScheduler wiring,
and two real `flask scheduler run` processes handing the lease over."""

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.base import BaseScheduler

from tests.support import scheduler_processes
from ticketdesk import create_app
from ticketdesk import scheduler as background
from ticketdesk.core import lease
from ticketdesk.database import utcnow
from ticketdesk.settings import TestingConfig

ROOT = Path(__file__).resolve().parent.parent
NAME = background.LEASE_NAME
TTL = 90


# ------------------------------------------------------------------ lease ---


def test_lease_is_taken_when_free(ctx, now):
    assert lease.current(NAME) is None
    assert lease.acquire(NAME, holder="a:1", now=now, ttl_seconds=TTL)
    held = lease.current(NAME)
    assert (held.holder, held.acquired_at, held.heartbeat_at) == ("a:1", now, now)
    assert held.expires_at == now + timedelta(seconds=TTL)


def test_lease_is_renewed_by_its_holder(ctx, now):
    assert lease.acquire(NAME, holder="a:1", now=now, ttl_seconds=TTL)
    later = now + timedelta(seconds=60)
    assert lease.acquire(NAME, holder="a:1", now=later, ttl_seconds=TTL)
    held = lease.current(NAME)
    assert held.holder == "a:1"
    assert held.acquired_at == now  # still the first time it was taken
    assert (held.heartbeat_at, held.expires_at) == (later, later + timedelta(seconds=TTL))


def test_lease_is_refused_to_a_second_holder_while_valid(ctx, now):
    assert lease.acquire(NAME, holder="a:1", now=now, ttl_seconds=TTL)
    for seconds in (0, 1, TTL):  # up to and including the moment it expires
        assert not lease.acquire(
            NAME, holder="b:2", now=now + timedelta(seconds=seconds), ttl_seconds=TTL
        )
    held = lease.current(NAME)
    assert held.holder == "a:1" and held.expires_at == now + timedelta(seconds=TTL)


def test_lease_is_taken_over_after_expiry(ctx, now):
    assert lease.acquire(NAME, holder="a:1", now=now, ttl_seconds=TTL)
    later = now + timedelta(seconds=TTL + 1)
    assert lease.acquire(NAME, holder="b:2", now=later, ttl_seconds=TTL)
    held = lease.current(NAME)
    assert (held.holder, held.acquired_at, held.expires_at) == (
        "b:2",
        later,
        later + timedelta(seconds=TTL),
    )
    # The old holder has lost it now.
    assert not lease.acquire(NAME, holder="a:1", now=later, ttl_seconds=TTL)


def test_lease_is_released_only_by_its_holder(ctx, now):
    assert lease.acquire(NAME, holder="a:1", now=now, ttl_seconds=TTL)
    assert not lease.release(NAME, holder="b:2")
    assert lease.current(NAME).holder == "a:1"
    assert lease.release(NAME, holder="a:1")
    assert lease.current(NAME) is None
    assert not lease.release(NAME, holder="a:1")  # nothing left to release
    # Free again: the next one takes it at once, no expiry to wait for.
    assert lease.acquire(NAME, holder="b:2", now=now, ttl_seconds=TTL)
    assert lease.current(NAME).holder == "b:2"


def test_leases_with_different_names_are_independent(ctx, now):
    assert lease.acquire("one", holder="a:1", now=now, ttl_seconds=TTL)
    assert lease.acquire("two", holder="b:2", now=now, ttl_seconds=TTL)
    assert not lease.acquire("one", holder="b:2", now=now, ttl_seconds=TTL)


def test_lease_rejects_a_holder_that_does_not_fit(ctx, now):
    with pytest.raises(ValueError, match="A lease holder needs 1 to"):
        lease.acquire(NAME, holder="x" * 121, now=now, ttl_seconds=TTL)
    with pytest.raises(ValueError, match="A lease holder needs 1 to"):
        lease.acquire(NAME, holder="", now=now, ttl_seconds=TTL)


def test_holder_id_is_host_and_pid():
    host, _, pid = background.holder_id().rpartition(":")
    assert host and int(pid) == os.getpid()
    assert len(background.holder_id()) <= 120


# ------------------------------------------------------------ run_due_jobs ---


@pytest.fixture
def ran(monkeypatch):
    """Replace the jobs with recorders; ``ran`` lists (job id, now) per call."""
    calls: list[tuple[str, object]] = []

    def job(job_id):
        def run(now, fence):
            calls.append((job_id, now))
            return f"did {job_id}"

        return run

    monkeypatch.setattr(
        background,
        "JOBS",
        [
            background.Job("first", "First job", job("first")),
            background.Job("second", "Second job", job("second")),
        ],
    )
    return calls


def test_jobs_list_names_each_job_once():
    ids = [job.id for job in background.JOBS]
    assert ids == ["mail", "outbox", "reminders", "sla-sweep", "loyalty"]
    assert all(job.description and callable(job.run) for job in background.JOBS)


def test_run_due_jobs_runs_every_job_for_the_holder(app, now):
    assert background.run_due_jobs(app, holder="a:1", now=now) == [
        "mail: no mailbox to poll; acted on 0 waiting",
        "outbox: sent 0, logged 0, retried 0, failed 0, withheld 0",
        "reminders: 0 reminders",
        "sla-sweep: checked 0 tickets: 0 at risk, 0 breached",
        "loyalty: judged 0 resolved tickets (0 loyalty candidates, 0 at risk); 0 retained, "
        "0 lapsed",
    ]


def test_second_holder_waits_then_takes_over_after_expiry(app, now, ran, caplog):
    caplog.set_level(logging.INFO, logger="ticketdesk.scheduler")
    ttl = app.config["SCHEDULER_LEASE_SECONDS"]
    assert ttl == 90  # the default

    assert background.run_due_jobs(app, holder="a:1", now=now) == [
        "first: did first",
        "second: did second",
    ]
    assert ran == [("first", now), ("second", now)]

    ran.clear()
    assert background.run_due_jobs(app, holder="b:2", now=now + timedelta(seconds=30)) is None
    assert ran == []
    assert "a:1 holds the scheduler lease" in caplog.text

    # The holder keeps renewing it ...
    beat = now + timedelta(seconds=60)
    assert background.run_due_jobs(app, holder="a:1", now=beat) is not None
    assert background.run_due_jobs(app, holder="b:2", now=beat + timedelta(seconds=ttl)) is None
    # ... until it stops: after its last renewal expires, the second one takes over.
    ran.clear()
    takeover = beat + timedelta(seconds=ttl + 1)
    assert background.run_due_jobs(app, holder="b:2", now=takeover) == [
        "first: did first",
        "second: did second",
    ]
    assert ran == [("first", takeover), ("second", takeover)]
    assert background.run_due_jobs(app, holder="a:1", now=takeover) is None
    with app.app_context():
        assert lease.current(NAME).holder == "b:2"


def test_lease_length_comes_from_config(app, now, ran):
    app.config["SCHEDULER_LEASE_SECONDS"] = 5
    assert background.run_due_jobs(app, holder="a:1", now=now) is not None
    assert background.run_due_jobs(app, holder="b:2", now=now + timedelta(seconds=5)) is None
    assert background.run_due_jobs(app, holder="b:2", now=now + timedelta(seconds=6)) is not None


def test_a_failing_job_is_logged_and_the_others_still_run(app, now, ran, monkeypatch, caplog):
    def broken(now, fence):
        raise RuntimeError("mail server on fire")

    monkeypatch.setattr(
        background,
        "JOBS",
        [background.JOBS[0], background.Job("broken", "Always fails", broken), background.JOBS[1]],
    )
    caplog.set_level(logging.INFO, logger="ticketdesk.scheduler")

    summaries = background.run_due_jobs(app, holder="a:1", now=now)

    assert summaries == [
        "first: did first",
        "broken: failed (RuntimeError: mail server on fire)",
        "second: did second",
    ]
    assert [job_id for job_id, _ in ran] == ["first", "second"]
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1 and "broken" in failures[0].getMessage()
    assert failures[0].exc_info[0] is RuntimeError
    # The failure did not cost the lease: the next tick runs everything again.
    assert background.run_due_jobs(app, holder="a:1", now=now + timedelta(seconds=60))


def test_a_failing_job_fails_only_itself(app, now, monkeypatch):
    def no_sla(now, fence):
        raise ImportError("cannot import name 'sla'")

    jobs = {job.id: job for job in background.JOBS}
    monkeypatch.setattr(
        background,
        "JOBS",
        [jobs["outbox"], background.Job("sla-sweep", "SLA", no_sla), jobs["reminders"]],
    )
    summaries = background.run_due_jobs(app, holder="a:1", now=now)
    assert summaries[0].startswith("outbox: sent 0")
    assert summaries[1].startswith("sla-sweep: failed (ImportError")
    assert summaries[2] == "reminders: 0 reminders"


# --------------------------------------------------------- build_scheduler ---


def test_build_scheduler_registers_one_interval_job(app):
    app.config["SCHEDULER_INTERVAL_SECONDS"] = 42
    scheduler = background.build_scheduler(app, holder="a:1")

    assert not scheduler.running
    [job] = scheduler.get_jobs()
    assert job.trigger.interval == timedelta(seconds=42)
    assert (job.coalesce, job.max_instances) == (True, 1)
    assert job.next_run_time is not None  # the first run is due at once
    assert job.args == (app, "a:1")


def test_build_scheduler_default_interval(app):
    [job] = background.build_scheduler(app, holder="a:1").get_jobs()
    assert job.trigger.interval == timedelta(seconds=60)


def test_create_app_never_starts_a_scheduler(monkeypatch):
    created, started = [], []
    original_init, original_start = BaseScheduler.__init__, BaseScheduler.start

    def spy_init(self, *args, **kwargs):
        created.append(self)
        original_init(self, *args, **kwargs)

    def spy_start(self, *args, **kwargs):
        started.append(self)
        return original_start(self, *args, **kwargs)

    monkeypatch.setattr(BaseScheduler, "__init__", spy_init)
    monkeypatch.setattr(BaseScheduler, "start", spy_start)
    threads_before = {t.ident for t in threading.enumerate()}
    # Also as the reloader's child process of `flask run --debug` sees it.
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")

    for _ in range(2):
        app = create_app(TestingConfig)
        with app.app_context():
            pass

    assert created == [] and started == []
    new_threads = [t for t in threading.enumerate() if t.ident not in threads_before]
    assert new_threads == []


# --------------------------------------------------------------------- CLI ---


def test_cli_status_shows_the_holder_or_none(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["scheduler", "status"])
    assert result.exit_code == 0, result.output
    assert "No scheduler holds the lease" in result.output

    with app.app_context():
        lease.acquire(NAME, holder="host-a:123", now=utcnow(), ttl_seconds=TTL)
    result = runner.invoke(args=["scheduler", "status"])
    assert "Held by host-a:123" in result.output and "expires" in result.output

    with app.app_context():
        assert lease.release(NAME, holder="host-a:123")
        lease.acquire(NAME, holder="host-b:456", now=utcnow() - timedelta(hours=1), ttl_seconds=TTL)
    result = runner.invoke(args=["scheduler", "status"])
    assert "No scheduler holds the lease: host-b:456 let it expire" in result.output


# ------------------------------------------------------------- end to end ---
# Two real scheduler processes on one SQLite file migrated as in production.

INTERVAL, LEASE = 1, 3


def _lease_row(db_file: Path) -> tuple[str, str] | None:
    try:
        with sqlite3.connect(db_file, timeout=5) as conn:
            return conn.execute(
                "SELECT holder, expires_at FROM scheduler_leases WHERE name = ?", (NAME,)
            ).fetchone()
    except sqlite3.OperationalError:
        return None  # locked for a moment, or no table yet


def _holder_pid(db_file: Path) -> int | None:
    row = _lease_row(db_file)
    return int(row[0].rpartition(":")[2]) if row else None


def _wait_for(predicate, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def test_two_scheduler_processes_share_one_lease(tmp_path):
    db_file = tmp_path / "db.sqlite"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db_file}",
        "TICKETDESK_CONFIG": "development",
        "TICKETDESK_SCHEDULER_INTERVAL_SECONDS": str(INTERVAL),
        "TICKETDESK_SCHEDULER_LEASE_SECONDS": str(LEASE),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("TICKETDESK_TEST_DATABASE_URL", None)
    setup = [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"]
    subprocess.run(setup, cwd=ROOT, env=env, check=True, timeout=60, capture_output=True)

    with scheduler_processes(env, tmp_path) as (procs, logs):

        def waiting(pid):
            return "Waiting:" in logs[pid].read_text(errors="replace")

        # One holds the lease; the other is alive and has been refused it. (The
        # generous timeouts only matter for a slow start-up on a busy machine.)
        first = _wait_for(lambda: _holder_pid(db_file) in procs and _holder_pid(db_file), 20)
        assert first in procs, "no scheduler took the lease"
        [second] = [pid for pid in procs if pid != first]
        assert _wait_for(lambda: waiting(second), 20), logs[second].read_text(errors="replace")
        assert procs[first].poll() is None and procs[second].poll() is None
        assert _holder_pid(db_file) == first
        assert not waiting(first)

        # Kill the holder without any chance to clean up: the other takes over once
        # the lease has expired, within lease + interval seconds of the last renewal
        # (plus a little slack for process start-up noise on a busy machine).
        limit = LEASE + INTERVAL + 2
        killed_at = time.monotonic()
        procs[first].send_signal(signal.SIGKILL)
        procs[first].wait(5)
        assert _wait_for(lambda: _holder_pid(db_file) == second, limit), logs[second].read_text(
            errors="replace"
        )
        assert time.monotonic() - killed_at <= limit

        # SIGTERM stops the new holder cleanly, and it gives the lease back.
        procs[second].send_signal(signal.SIGTERM)
        assert procs[second].wait(10) == 0, logs[second].read_text(errors="replace")
        assert _lease_row(db_file) is None
        assert "stopped" in logs[second].read_text(errors="replace")
