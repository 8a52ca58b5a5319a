"""Background jobs: APScheduler wiring only; every job is one call into a service.

The jobs run in a process of their own (``flask --app wsgi scheduler run``), never
inside ``create_app``. Several such processes may be started (by mistake, or one per
host for fail-over): on every tick each one tries to take or renew the database lease
``scheduler``, and only the holder runs the jobs. When the holder dies, its lease
expires after ``SCHEDULER_LEASE_SECONDS`` and the next waiting process takes over.
"""

import logging
import os
import socket
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import NamedTuple

import sqlalchemy as sa
from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app

from ticketdesk.database import utcnow
from ticketdesk.services import lease, loyalty, notifications, outbox, recovery_rules, sla

log = logging.getLogger("ticketdesk.scheduler")

LEASE_NAME = "scheduler"
DEFAULT_INTERVAL_SECONDS = 60
DEFAULT_LEASE_SECONDS = 90


class Job(NamedTuple):
    id: str
    description: str
    run: Callable[[datetime], str]  # run(now) -> a one-line summary


def _send_outbox(now: datetime) -> str:
    report = outbox.send_due(now=now)
    return (f"sent {report.sent}, logged {report.logged}, retried {report.retried}, "
            f"failed {report.failed}")


def _remind_overdue_steps(now: datetime) -> str:
    return f"{notifications.run_due(now=now)} reminders"


def _sweep_sla(now: datetime) -> str:
    return str(sla.sweep(now=now))


class OncePerDeskDay:
    """Run ``run(now)`` at most once per desk day for this app in this process (if it
    raises, the next tick tries again). The job behind it is idempotent, so a second
    process, or a restart, running it again the same day changes nothing."""

    def __init__(self, run: Callable[[datetime], str]):
        self.run = run

    def __call__(self, now: datetime) -> str:
        last_days: dict[int, date] = current_app.extensions.setdefault(
            "ticketdesk_daily_jobs", {})
        day = recovery_rules.desk_date(now)
        if last_days.get(id(self)) == day:
            return f"already ran for {day.isoformat()}"
        summary = self.run(now)
        last_days[id(self)] = day
        return summary


def _judge_recoveries(now: datetime) -> str:
    return loyalty.run_daily(now=now)


JOBS: list[Job] = [
    Job("outbox", "Send the queued e-mails that are due", _send_outbox),
    Job("reminders", "Remind people of overdue playbook steps", _remind_overdue_steps),
    Job("sla-sweep", "Flag SLA warnings and breaches", _sweep_sla),
    Job("loyalty", "Judge recoveries and follow loyalty candidates (once a day)",
        OncePerDeskDay(_judge_recoveries)),
]


def holder_id() -> str:
    """This process as a lease holder: ``host:pid`` (the host name cut to fit the column)."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def lease_seconds(app: Flask) -> int:
    return int(app.config.get("SCHEDULER_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def interval_seconds(app: Flask) -> int:
    return int(app.config.get("SCHEDULER_INTERVAL_SECONDS", DEFAULT_INTERVAL_SECONDS))


def run_due_jobs(app: Flask, *, holder: str, now: datetime) -> list[str] | None:
    """One tick: take or renew the lease, then run every job once.

    Returns one ``"<job id>: <summary>"`` line per job, or None when another process
    holds the lease (nothing runs then). A job that raises is logged and reported as
    failed; the jobs after it still run.
    """
    with app.app_context():
        try:
            ours = lease.acquire(LEASE_NAME, holder=holder, now=now,
                                 ttl_seconds=lease_seconds(app))
        except sa.exc.SQLAlchemyError:
            log.exception("Could not take the scheduler lease; no jobs run this time")
            return None
        if not ours:
            other = lease.current(LEASE_NAME)
            if other is not None:
                log.info("Waiting: %s holds the scheduler lease until %s", other.holder,
                         other.expires_at.isoformat(timespec="seconds"))
            else:
                log.info("Waiting: another process took the scheduler lease just now")
            return None
        summaries = []
        for job_id, _description, run in JOBS:
            try:
                summary = f"{job_id}: {run(now)}"
            except Exception as exc:
                log.exception("Job %s failed", job_id)
                summary = f"{job_id}: failed ({type(exc).__name__}: {exc})"
            summaries.append(summary)
        log.info("Jobs run by %s: %s", holder, "; ".join(summaries))
        return summaries


def _release(app: Flask, holder: str) -> None:
    with app.app_context():
        if lease.release(LEASE_NAME, holder=holder):
            log.info("Released the scheduler lease (%s)", holder)


def _tick(app: Flask, holder: str) -> None:
    run_due_jobs(app, holder=holder, now=utcnow())


def build_scheduler(app: Flask, *, holder: str) -> BlockingScheduler:
    """A blocking scheduler with one job, ``run-due-jobs``, every SCHEDULER_INTERVAL_SECONDS.

    The first run is due at once. On shutdown (after running jobs finish) the lease
    is released, so a waiting process can take over without waiting for expiry.
    """
    interval, ttl = interval_seconds(app), lease_seconds(app)
    if ttl <= interval:
        log.warning("SCHEDULER_LEASE_SECONDS (%s) should be longer than "
                    "SCHEDULER_INTERVAL_SECONDS (%s), or the lease lapses between runs",
                    ttl, interval)
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(
        _tick, "interval", args=[app, holder], id="run-due-jobs",
        name="Take the lease, run the due jobs", seconds=interval,
        next_run_time=datetime.now(timezone.utc), coalesce=True, max_instances=1,
        # A run that starts late still runs (once, thanks to coalesce), up to one interval late.
        misfire_grace_time=interval, replace_existing=True)
    scheduler.add_listener(lambda _event: _release(app, holder), EVENT_SCHEDULER_SHUTDOWN)
    return scheduler
