"""TicketDesk benchmark: load a fresh database, time the SLA sweep and the busiest pages.

Run it with ``make bench`` (100,000 bulk tickets) or ``make bench TICKETS=10000`` for a
quicker run; ``make bench BENCH_SKIP=dashboard`` leaves out a page. Directly:

    .venv/bin/python bench/run.py --tickets 10000 --skip dashboard

What it does, in order:

1. Creates a fresh SQLite database in ``bench/.work/`` (git-ignored) and loads it the way
   an installation is prepared: ``flask db upgrade``, ``seed-playbooks``, ``demo-data``,
   ``seed-routing``, ``seed-sla``, then ``demo-data --tickets N`` (bulk tickets with
   timelines and checklists). Each command runs as its own process, as an operator would.
2. Runs the SLA sweep once to catch up after the bulk load (``catchup_sweep_ms``; the bulk
   tickets come with the marks the per-minute sweep would have made, so it is short), then
   times the steady per-minute sweep in this process: ``services.sla.sweep(now=...)`` at
   one, two, three ... minutes after the catch-up, each handling what came due in that
   minute; ``sweep_ms`` is their median. Only the sweep is timed, not Python start-up.
3. Starts gunicorn on a free localhost port, serving ``wsgi:app`` with the production
   configuration against that database, and logs in over HTTP as the demo lead.
4. Times full HTTP responses (after warm-up requests) of the queue of the team with the
   most open tickets, ticket pages of bulk tickets, keyword searches over all statuses and
   the lead's 90-day dashboard; the pages take turns in a few rounds. Every timed answer
   must be a 200 with the expected content, so an error page is never timed; a failure
   stops the run with a message.
5. Reads the gunicorn workers' peak memory (VmHWM) and the database size, writes
   ``bench/results.json`` and prints the figures against their targets.

Gunicorn is stopped at the end, also after an error or Ctrl-C. ``--reuse-db`` skips step 1
when an earlier run left a database (handy while working on a fix; it still applies new
migrations). The exit code is 0 when the run completed, even if a target was missed, and
1 when it could not measure.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import inspect
import json
import math
import os
import platform
import random
import re
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
DB_PATH = WORK / "bench.db"
RESULTS = ROOT / "bench" / "results.json"
BIN = Path(sys.executable).parent  # the venv's bin/, where flask and gunicorn live

LEAD_EMAIL = "lead@example.com"
PASSWORD = "ticketdesk-demo"

# What a page may take (p95) and what the sweep and a worker may use.
TARGETS = {
    "queue_p95_ms": 40,
    "ticket_p95_ms": 30,
    "search_p95_ms": 50,
    "dashboard_p95_ms": 300,
    "sweep_ms": 200,
    "peak_rss_mb": 150,
}
PAGES = ("queue", "ticket", "search", "dashboard")

# Words from the bulk tickets' subjects and descriptions (see the text pools in
# ticketdesk/demo/bulk.py): common ones, rare ones, and two words that must both match.
SEARCH_TERMS = (
    "damaged",
    "invoice",
    "refund",
    "tracking",
    "warranty",
    "driver",
    "leaking",
    "interface",
    "carton missing",
    "wrong colour",
)

# Two sync workers: the machine this runs on has two cores, and rendering a page is
# CPU-bound Python, so threads in one worker would queue behind the GIL instead of using
# the second core. Two processes use both cores; each holds its own app and connections.
# The benchmark sends one request at a time, so the figures are latencies, not throughput.
GUNICORN_WORKERS = 2

SWEEP_MINUTES = 7  # steady sweeps timed, one per simulated minute

# The pages take turns in rounds (each round times a share of every page's requests), so
# a slow spell of the machine (shared and virtual CPUs vary in speed) falls on every page
# rather than on whichever page was being timed; a round starts with a couple of untimed
# requests again.
ROUNDS = 4
ROUND_WARMUP = 2


class BenchError(RuntimeError):
    """The run could not measure what it should; the message says why."""


# ----------------------------------------------------------------- environment


def bench_env() -> dict[str, str]:
    """Production configuration against the benchmark database, for every process."""
    env = dict(os.environ)
    env.update(
        {
            "TICKETDESK_CONFIG": "production",
            "TICKETDESK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{DB_PATH}",
            "SECRET_KEY": env.get("BENCH_SECRET_KEY") or secrets.token_hex(32),
            # Plain HTTP on localhost: a Secure cookie would never come back to us.
            "SESSION_COOKIE_SECURE": "false",
            "FLASK_APP": "wsgi",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("DATABASE_URL", None)
    return env


def flask(env: dict[str, str], *args: str) -> float:
    """Run one ``flask`` command in its own process; its seconds (start-up included)."""
    started = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise BenchError(
            f"flask {' '.join(args)} failed ({proc.returncode}):\n"
            f"{proc.stdout[-2000:]}{proc.stderr[-4000:]}"
        )
    first = next((line for line in proc.stdout.splitlines() if line.strip()), "")
    print(f"  {'flask ' + ' '.join(args):<32} {elapsed:7.1f} s   {first[:70]}", flush=True)
    return elapsed


def load_database(env: dict[str, str], tickets: int) -> float:
    """A fresh database with the demo set and ``tickets`` bulk tickets; seconds taken."""
    WORK.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_PATH}{suffix}").unlink(missing_ok=True)
    print(f"Loading a fresh database at {DB_PATH.relative_to(ROOT)}")
    started = time.perf_counter()
    flask(env, "db", "upgrade")
    flask(env, "seed-playbooks")
    flask(env, "demo-data")
    flask(env, "seed-routing")
    flask(env, "seed-sla")
    flask(env, "demo-data", "--tickets", str(tickets))
    return time.perf_counter() - started


# ----------------------------------------------------------------- in-process work


def make_app(env: dict[str, str]):
    """The application, in this process, with the same configuration as the server."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from ticketdesk import create_app

    return create_app()


def time_sweeps(app) -> dict:
    """The catch-up sweep, then the median of the per-minute sweeps after it."""
    from ticketdesk.database import utcnow
    from ticketdesk.services.sla import clocks as sla

    with app.app_context():
        now = utcnow()
        started = time.perf_counter()
        report = sla.sweep(now=now)
        catchup_ms = (time.perf_counter() - started) * 1000
        print(f"  catch-up sweep: {catchup_ms:9.1f} ms   {report}")
        # One sweep handles at most `limit` tickets; a bigger backlog takes more than one.
        limit = inspect.signature(sla.sweep).parameters["limit"].default
        rounds = 1
        while report.checked >= limit:
            started = time.perf_counter()
            report = sla.sweep(now=now)
            catchup_ms += (time.perf_counter() - started) * 1000
            rounds += 1
            print(f"  catch-up round {rounds}: {report}")
        if rounds > 1:
            print(f"  catch-up in all: {catchup_ms:9.1f} ms in {rounds} sweeps")
        times, checked = [], 0
        for minute in range(1, SWEEP_MINUTES + 1):
            at = now + timedelta(minutes=minute)
            started = time.perf_counter()
            report = sla.sweep(now=at)
            times.append((time.perf_counter() - started) * 1000)
            checked += report.checked
            print(f"  sweep at +{minute} min: {times[-1]:7.1f} ms   {report}")
    return {
        "catchup_sweep_ms": round(catchup_ms, 1),
        "catchup_sweep_rounds": rounds,
        "sweep_ms": round(statistics.median(times), 1),
        "sweep_max_ms": round(max(times), 1),
        "sweep_tickets_checked": checked,
    }


def pick_targets(app, *, tickets: int, sample: int) -> dict:
    """What to request: the team with the most open tickets, and bulk ticket ids."""
    import sqlalchemy as sa

    from ticketdesk.extensions import db
    from ticketdesk.models import OPEN_STATUSES, Ticket

    with app.app_context():
        team_id, open_count = db.session.execute(
            sa.select(Ticket.team_id, sa.func.count())
            .where(Ticket.team_id.is_not(None), Ticket.status.in_(OPEN_STATUSES))
            .group_by(Ticket.team_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).one()
        total = db.session.scalar(sa.select(sa.func.count(Ticket.id)))
        # The bulk tickets are the last ones written; a fixed sample spread over all of them.
        bulk = list(
            db.session.scalars(sa.select(Ticket.id).order_by(Ticket.id.desc()).limit(tickets))
        )
        ids = random.Random(7).sample(bulk, min(sample, len(bulk)))
        db.session.remove()
        db.engine.dispose()  # leave the database to the server
    if not ids:
        raise BenchError("No bulk tickets found: did demo-data --tickets run?")
    return {"team_id": team_id, "team_open": open_count, "ticket_ids": ids, "total_tickets": total}


# ----------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving wsgi:app; always stopped by ``stop`` (a context manager)."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = WORK / "gunicorn.log"
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(GUNICORN_WORKERS),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--access-logfile",
                "-",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # our Ctrl-C goes to us; we stop it in __exit__
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()  # __exit__ does not run when __enter__ fails
            raise
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/login", timeout=5) as answer:
                    if answer.status == 200 and len(self.workers()) == GUNICORN_WORKERS:
                        print(
                            f"gunicorn: {GUNICORN_WORKERS} workers on {self.base} "
                            f"(pid {self.proc.pid})"
                        )
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        raise BenchError(f"gunicorn did not answer within 60 s:\n{self.log_tail()}")

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # graceful: workers finish their request
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if not self.log.closed:
            self.log.close()

    def workers(self) -> list[int]:
        """The worker processes: children of the gunicorn master (Linux /proc)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            if ppid == self.proc.pid:
                pids.append(int(stat.parent.name))
        return pids

    def peak_rss_mb(self) -> float:
        peaks = []
        for pid in self.workers():
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
            if match:
                peaks.append(int(match.group(1)) / 1024)
        if not peaks:
            raise BenchError("Could not read the workers' memory from /proc.")
        return max(peaks)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log.closed:
            self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


# ----------------------------------------------------------------- HTTP


class Browser:
    """A logged-in session over plain urllib (no extra dependency)."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str, str]:
        """(status, final URL, body) of a GET, redirects followed."""
        try:
            with self.opener.open(self.base + path, timeout=60) as answer:
                return answer.status, answer.url, answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.url, exc.read().decode("utf-8", "replace")

    def login(self, email: str, password: str) -> None:
        status, _url, body = self.get("/login")
        tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', body)
        token = re.search(r'value="([^"]+)"', tag.group(0)) if tag else None
        if status != 200 or token is None:
            raise BenchError(f"GET /login answered {status} without a csrf_token field.")
        data = urllib.parse.urlencode(
            {"csrf_token": token.group(1), "email": email, "password": password}
        ).encode()
        try:
            with self.opener.open(self.base + "/login", data=data, timeout=60) as answer:
                final = answer.url
        except urllib.error.HTTPError as exc:
            raise BenchError(f"POST /login answered {exc.code}.") from exc
        if urllib.parse.urlsplit(final).path == "/login":
            raise BenchError(f"Logging in as {email} failed (still on the login page).")


def measure(
    browser: Browser,
    name: str,
    paths: list[str],
    expect: str | None,
    *,
    warmup: int,
    count: int,
    start: int = 0,
) -> list[float]:
    """Milliseconds per full response of ``count`` GETs, rotating over ``paths`` from
    ``start``, after ``warmup`` untimed ones."""

    def fetch(path: str) -> float:
        started = time.perf_counter()
        status, url, body = browser.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if urllib.parse.urlsplit(url).path != urllib.parse.urlsplit(path).path:
            raise BenchError(f"{name}: GET {path} was redirected to {url} (logged out?).")
        if status != 200:
            hint = ""
            if name == "dashboard" and status == 404:
                hint = (
                    " The dashboard page does not exist yet; leave it out with "
                    "--skip dashboard (make bench BENCH_SKIP=dashboard)."
                )
            raise BenchError(f"{name}: GET {path} answered {status}, not 200.{hint}")
        if expect and expect not in body:
            raise BenchError(f"{name}: GET {path} answered 200 without {expect!r} in the page.")
        return elapsed

    for i in range(warmup):
        fetch(paths[(start + i) % len(paths)])
    return [fetch(paths[(start + i) % len(paths)]) for i in range(count)]


def warm_page_cache() -> None:
    """Read the database files, so the OS holds them in memory as a server's would.

    Some virtual machines page out memory left idle for a while, file cache included (the
    one this was written on does after about 30 s); without this, the first requests of a
    page would time the disk rather than TicketDesk.
    """
    for suffix in ("", "-wal"):
        path = Path(f"{DB_PATH}{suffix}")
        if path.exists():
            with open(path, "rb") as data:
                while data.read(1 << 20):
                    pass


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


# ----------------------------------------------------------------- report


def db_size_mb() -> float:
    return (
        sum(
            Path(f"{DB_PATH}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if Path(f"{DB_PATH}{suffix}").exists()
        )
        / 2**20
    )


def cpu_calibration_ms() -> float:
    """The best of five runs of a fixed pure-Python task: how fast this machine is right now.

    Virtual machines change speed from hour to hour; a run whose calibration is 1.5 times
    another's will show every page about that much slower. Compare runs by this figure.
    """
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i * i % 7
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def print_table(results: dict) -> None:
    rows = [
        ("Queue, one team, first page", "queue_p50_ms", "queue_p95_ms"),
        ("Ticket page", "ticket_p50_ms", "ticket_p95_ms"),
        ("Keyword search, all statuses", "search_p50_ms", "search_p95_ms"),
        ("Dashboard, 90 days", "dashboard_p50_ms", "dashboard_p95_ms"),
    ]
    print()
    print(
        f"TicketDesk benchmark: {results['tickets']:,} bulk tickets "
        f"({results['total_tickets']:,} in all), database {results['db_mb']:.1f} MB"
    )
    print(f"{'':32} {'p50':>9} {'p95':>9} {'target':>9}  result")

    def verdict(key: str) -> str:
        value = results.get(key)
        if value is None:
            return "skipped"
        return "ok" if value <= TARGETS[key] else "MISSED"

    for label, p50, p95 in rows:
        if results.get(p95) is None:
            print(f"{label:32} {'-':>9} {'-':>9} {TARGETS[p95]:>6} ms  skipped")
            continue
        print(
            f"{label:32} {results[p50]:>6.1f} ms {results[p95]:>6.1f} ms "
            f"{TARGETS[p95]:>6} ms  {verdict(p95)}"
        )
    print(
        f"{'SLA sweep, per minute (median)':32} {results['sweep_ms']:>6.1f} ms {'':9} "
        f"{TARGETS['sweep_ms']:>6} ms  {verdict('sweep_ms')}"
    )
    print(
        f"{'Worker peak memory (VmHWM)':32} {results['peak_rss_mb']:>6.1f} MB {'':9} "
        f"{TARGETS['peak_rss_mb']:>6} MB  {verdict('peak_rss_mb')}"
    )
    load = (
        f"load {results['load_s']:.1f} s"
        if results.get("load_s") is not None
        else "database reused"
    )
    print(f"Catch-up sweep after the load: {results['catchup_sweep_ms'] / 1000:.1f} s ({load})")
    if results.get("cpu_calibration_ms"):
        before, after = results["cpu_calibration_ms"]
        print(
            f"CPU calibration (fixed task, lower is faster): {before} ms before the pages, "
            f"{after} ms after"
        )
    print(f"Results written to {RESULTS.relative_to(ROOT)}")


# ----------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tickets", type=int, default=100_000, help="bulk tickets to generate (default 100000)"
    )
    parser.add_argument(
        "--requests", type=int, default=100, help="timed requests per page (default 100)"
    )
    parser.add_argument(
        "--warmup", type=int, default=10, help="untimed requests per page first (default 10)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=ROUNDS,
        help=f"rounds in which the pages take turns (default {ROUNDS})",
    )
    parser.add_argument(
        "--skip", default="", help=f"pages to leave out, comma-separated: {', '.join(PAGES)}"
    )
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="keep bench/.work/bench.db from an earlier run instead of loading "
        "(give the same --tickets)",
    )
    args = parser.parse_args(argv)
    if min(args.tickets, args.requests, args.rounds) < 1 or args.warmup < 0:
        parser.error("--tickets, --requests and --rounds must be at least 1")
    args.skip = {s.strip() for s in args.skip.replace(" ", ",").split(",") if s.strip()}
    unknown = args.skip - set(PAGES)
    if unknown:
        parser.error(f"unknown page(s) to skip: {', '.join(sorted(unknown))}")
    return args


def run(args: argparse.Namespace) -> dict:
    env = bench_env()
    load_s = None
    if args.reuse_db and DB_PATH.exists():
        print(f"Reusing {DB_PATH.relative_to(ROOT)}")
        flask(env, "db", "upgrade")
    else:
        load_s = load_database(env, args.tickets)
        print(f"Loaded in {load_s:.1f} s")

    print("SLA sweep (in process)")
    app = make_app(env)
    results: dict = {"tickets": args.tickets}
    results.update(time_sweeps(app))
    picked = pick_targets(app, tickets=args.tickets, sample=50)

    team = picked["team_id"]
    queue_path = f"/tickets/?scope=all&team={team}"
    searches = [
        f"/tickets/?scope=all&status=any&q={urllib.parse.quote_plus(term)}" for term in SEARCH_TERMS
    ]
    plans = {
        "queue": ([queue_path], "TD-"),
        "ticket": ([f"/tickets/{i}" for i in picked["ticket_ids"]], "TD-"),
        "search": (searches, "TD-"),
        "dashboard": (["/dashboard/?days=90"], None),
    }
    with Server(env) as server:
        browser = Browser(server.base)
        browser.login(LEAD_EMAIL, PASSWORD)
        print(
            f"Logged in as {LEAD_EMAIL}; queue of team {team} "
            f"({picked['team_open']:,} open tickets)"
        )
        pages = [name for name in PAGES if name not in args.skip]
        calibration = [cpu_calibration_ms()]
        times: dict[str, list[float]] = {name: [] for name in pages}
        for round_number in range(args.rounds):
            share = args.requests // args.rounds + (round_number < args.requests % args.rounds)
            for name in pages:
                paths, expect = plans[name]
                warm_page_cache()
                times[name] += measure(
                    browser,
                    name,
                    paths,
                    expect,
                    count=share,
                    start=len(times[name]),
                    warmup=args.warmup if round_number == 0 else ROUND_WARMUP,
                )
        for name in PAGES:
            if name in args.skip:
                results[f"{name}_p50_ms"] = results[f"{name}_p95_ms"] = None
                print(f"  {name:<10} skipped")
                continue
            results[f"{name}_p50_ms"] = round(statistics.median(times[name]), 1)
            results[f"{name}_p95_ms"] = round(percentile(times[name], 0.95), 1)
            print(
                f"  {name:<10} p50 {results[f'{name}_p50_ms']:7.1f} ms   "
                f"p95 {results[f'{name}_p95_ms']:7.1f} ms   max {max(times[name]):7.1f} ms"
            )
        calibration.append(cpu_calibration_ms())
        results["peak_rss_mb"] = round(server.peak_rss_mb(), 1)
        results["db_mb"] = round(db_size_mb(), 1)
        results["cpu_calibration_ms"] = calibration

    results.update(
        {
            "load_s": round(load_s, 1) if load_s is not None else None,
            "total_tickets": picked["total_tickets"],
            "queue_team_id": team,
            "queue_team_open_tickets": picked["team_open"],
            "requests_per_page": args.requests,
            "rounds": args.rounds,
            "gunicorn_workers": GUNICORN_WORKERS,
            "skipped": sorted(args.skip),
            "targets": TARGETS,
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
    )
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def stop(signum, _frame):
        raise SystemExit(128 + signum)  # unwinds through Server.__exit__

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    try:
        results = run(args)
    except BenchError as exc:
        print(f"\nbench: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench: interrupted; gunicorn stopped.", file=sys.stderr)
        return 130
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
