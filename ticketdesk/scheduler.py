"""Background jobs: APScheduler wiring only; every job is one call into a service.

The jobs run in a process of their own (``flask --app wsgi scheduler run``), never
inside ``create_app``. Several such processes may be started (by mistake, or one per
host for fail-over): on every tick each one tries to take or renew the database lease
``scheduler``, and only the holder runs the jobs. When the holder dies, its lease
expires after ``SCHEDULER_LEASE_SECONDS`` and the next waiting process takes over.

A run may last longer than the lease (a slow SMTP server): the jobs run under a
``LeaseFence`` that renews the lease before each unit of work (before each job, and
before each e-mail), so the lease does not lapse while the holder works. When the
fence finds the lease gone to another process (this one stalled past the expiry), the
run stops at once: two processes never run the jobs at the same time.
"""

import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import NamedTuple

import sqlalchemy as sa
from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app

from ticketdesk.core import clock as clock_module
from ticketdesk.core import lease
from ticketdesk.database import utcnow
from ticketdesk.services.mail import imap, inbound
from ticketdesk.services.notifications import notifications, outbox
from ticketdesk.services.recovery import loyalty
from ticketdesk.services.sla import clocks as sla

log = logging.getLogger("ticketdesk.scheduler")

LEASE_NAME = "scheduler"
DEFAULT_INTERVAL_SECONDS = 60
DEFAULT_LEASE_SECONDS = 90


class LeaseFence:
    """The lease a run works under: ``check()`` renews it and says whether it is still
    this run's (same holder, same fencing token). Once lost, it stays lost."""

    def __init__(
        self, app: Flask, *, holder: str, token: int, clock: Callable[[], datetime] = utcnow
    ):
        self.app, self.holder, self.token, self.clock = app, holder, token, clock
        self.lost = False

    def check(self) -> bool:
        if self.lost:
            return False
        try:
            ours = lease.renew(
                LEASE_NAME,
                holder=self.holder,
                token=self.token,
                now=self.clock(),
                ttl_seconds=lease_seconds(self.app),
            )
        except sa.exc.SQLAlchemyError:
            log.exception("Could not renew the scheduler lease")
            ours = False
        if not ours:
            self.lost = True
            log.warning(
                "%s lost the scheduler lease (token %s); stopping this run", self.holder, self.token
            )
        return ours


class Job(NamedTuple):
    id: str
    description: str
    # run(now, fence) -> a one-line summary; a job with several units of work calls
    # fence.check() before each one and stops when it answers False.
    run: Callable[[datetime, LeaseFence], str]


def _send_outbox(now: datetime, fence: LeaseFence) -> str:
    return outbox.send_due(now=now, keep_going=fence.check, clock=fence.clock).summary()


def _poll_mailbox(now: datetime, fence: LeaseFence) -> str:
    if not imap.configured():
        return f"no mailbox to poll; acted on {inbound.process_pending(now=now)} waiting"
    try:
        return imap.poll(now=now, keep_going=fence.check).summary()
    except imap.MailboxError as exc:
        # Expected while the server is down or the password wrong: one line, no traceback.
        log.warning("Mailbox not polled: %s", exc)
        return f"failed ({exc}); acted on {inbound.process_pending(now=now)} waiting"


def _remind_overdue_steps(now: datetime, fence: LeaseFence | None = None) -> str:
    return f"{notifications.run_due(now=now)} reminders"


def _sweep_sla(now: datetime, fence: LeaseFence | None = None) -> str:
    return str(sla.sweep(now=now))


class OncePerDeskDay:
    """Run ``run(now)`` at most once per desk day for this app in this process (if it
    raises, the next tick tries again). The job behind it is idempotent, so a second
    process, or a restart, running it again the same day changes nothing."""

    def __init__(self, run: Callable[[datetime], str]):
        self.run = run  # one unit of work: the fence is checked before it starts

    def __call__(self, now: datetime, fence: LeaseFence | None = None) -> str:
        last_days: dict[int, date] = current_app.extensions.setdefault("ticketdesk_daily_jobs", {})
        day = clock_module.desk_date(now)
        if last_days.get(id(self)) == day:
            return f"already ran for {day.isoformat()}"
        summary = self.run(now)
        last_days[id(self)] = day
        return summary


def _judge_recoveries(now: datetime) -> str:
    return loyalty.run_daily(now=now)


JOBS: list[Job] = [
    Job("mail", "Fetch the desk's mailbox (IMAP) and act on received mail", _poll_mailbox),
    Job("outbox", "Send the queued e-mails that are due", _send_outbox),
    Job("reminders", "Remind people of overdue playbook steps", _remind_overdue_steps),
    Job("sla-sweep", "Flag SLA warnings and breaches", _sweep_sla),
    Job(
        "loyalty",
        "Judge recoveries and follow loyalty candidates (once a day)",
        OncePerDeskDay(_judge_recoveries),
    ),
]


def holder_id() -> str:
    """This process as a lease holder: ``host:pid`` (the host name cut to fit the column)."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def lease_seconds(app: Flask) -> int:
    return int(app.config.get("SCHEDULER_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def interval_seconds(app: Flask) -> int:
    return int(app.config.get("SCHEDULER_INTERVAL_SECONDS", DEFAULT_INTERVAL_SECONDS))


def run_due_jobs(
    app: Flask, *, holder: str, now: datetime, clock: Callable[[], datetime] | None = None
) -> list[str] | None:
    """One tick: take or renew the lease, then run every job once.

    Returns one ``"<job id>: <summary>"`` line per job, or None when another process
    holds the lease (nothing runs then). A job that raises is logged and reported as
    failed; the jobs after it still run. Before each job the lease is renewed (at
    ``clock()``, by default ``now``); once it is lost, the remaining jobs are reported
    as skipped and do not run.
    """
    with app.app_context():
        try:
            ours = lease.acquire(LEASE_NAME, holder=holder, now=now, ttl_seconds=lease_seconds(app))
        except sa.exc.SQLAlchemyError:
            log.exception("Could not take the scheduler lease; no jobs run this time")
            return None
        if not ours:
            other = lease.current(LEASE_NAME)
            if other is not None:
                log.info(
                    "Waiting: %s holds the scheduler lease until %s",
                    other.holder,
                    other.expires_at.isoformat(timespec="seconds"),
                )
            else:
                log.info("Waiting: another process took the scheduler lease just now")
            return None
        fence = LeaseFence(app, holder=holder, token=ours, clock=clock or (lambda: now))
        summaries = []
        for job_id, _description, run in JOBS:
            if not fence.check():
                summaries.append(f"{job_id}: skipped (lease lost)")
                continue
            try:
                summary = f"{job_id}: {run(now, fence)}"
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
    run_due_jobs(app, holder=holder, now=utcnow(), clock=utcnow)


def build_scheduler(app: Flask, *, holder: str) -> BlockingScheduler:
    """A blocking scheduler with one job, ``run-due-jobs``, every SCHEDULER_INTERVAL_SECONDS.

    The first run is due at once. On shutdown (after running jobs finish) the lease
    is released, so a waiting process can take over without waiting for expiry.
    """
    interval, ttl = interval_seconds(app), lease_seconds(app)
    mail_timeout = float(app.config.get("MAIL_TIMEOUT") or 0)
    if app.config.get("MAIL_SERVER") and ttl <= mail_timeout:
        log.warning(
            "SCHEDULER_LEASE_SECONDS (%s) should be longer than MAIL_TIMEOUT (%s): "
            "one slow e-mail could outlast the lease",
            ttl,
            mail_timeout,
        )
    imap_timeout = float(app.config.get("IMAP_TIMEOUT") or 0)
    if app.config.get("IMAP_HOST") and ttl <= imap_timeout:
        log.warning(
            "SCHEDULER_LEASE_SECONDS (%s) should be longer than IMAP_TIMEOUT (%s): "
            "one slow mailbox command could outlast the lease",
            ttl,
            imap_timeout,
        )
    if ttl <= interval:
        log.warning(
            "SCHEDULER_LEASE_SECONDS (%s) should be longer than "
            "SCHEDULER_INTERVAL_SECONDS (%s), or the lease lapses between runs",
            ttl,
            interval,
        )
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(
        _tick,
        "interval",
        args=[app, holder],
        id="run-due-jobs",
        name="Take the lease, run the due jobs",
        seconds=interval,
        next_run_time=datetime.now(UTC),
        coalesce=True,
        max_instances=1,
        # A run that starts late still runs (once, thanks to coalesce), up to one interval late.
        misfire_grace_time=interval,
        replace_existing=True,
    )
    scheduler.add_listener(lambda _event: _release(app, holder), EVENT_SCHEDULER_SHUTDOWN)
    return scheduler
