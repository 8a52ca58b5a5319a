"""Test tools that are not data: the SQL an app runs, calls made at the same moment,
a free port for a server started by a test, what an SMTP server received, scheduler
processes, and a test client that closes its responses."""

import html
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from ticketdesk.extensions import db

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Queries:
    """The statements seen so far, in the order the database received them."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def clear(self) -> None:
        self.statements.clear()


@contextmanager
def record_queries(app: Flask) -> Iterator[Queries]:
    """Record every statement sent on ``app``'s engine while the block runs.

    Works with or without an outer app context, and for requests made by a test client
    (which run in their own contexts) as well as for service calls.
    """
    with app.app_context():
        engine = db.engine
    queries = Queries()

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        queries.statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield queries
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)


def at_once(*calls: Callable[[], object]) -> list:
    """Run ``calls`` in threads released together by a barrier; their results in order.

    A call that raises gives its exception as its result (the test client re-raises what
    would be a 500), so the test can assert on who won and who conflicted.
    """
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - reported in the test's assertion
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def field_error(page: str, field_id: str) -> str | None:
    """The error shown under form field ``field_id`` of an HTML page (unescaped, without
    the white space around it), or None when the field shows none."""
    match = re.search(r'id="%s-error">([^<]*)<' % re.escape(field_id), page)
    return html.unescape(match.group(1)).strip() if match else None


class Recorder:
    """An SMTP handler (for aiosmtpd) that keeps what it accepts in ``messages`` and
    refuses the first ``refuse`` messages with ``code``."""

    def __init__(self, refuse: int = 0, code: str = "451 4.3.0 Try again later"):
        self.refuse, self.code = refuse, code
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            return self.code
        self.messages.append(envelope)
        return "250 2.0.0 Accepted"


class ClosingClient(FlaskClient):
    """A test client that reads each response to the end and closes it (``buffered``).

    A WSGI server closes what the app returns; an unbuffered test response stays open
    until someone calls ``close()``, so a file served by ``send_file`` (attachments,
    static files) would be left to the garbage collector and reported as unclosed.
    """

    def open(self, *args, buffered: bool = True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


@contextmanager
def scheduler_processes(
    env: dict[str, str], log_dir: Path, count: int = 2
) -> Iterator[tuple[dict[int, subprocess.Popen], dict[int, Path]]]:
    """``count`` processes of ``flask scheduler run`` with ``env``, each writing its output
    to a log file in ``log_dir``: yields the processes and the log files by pid.

    When the block ends, those still running are asked to stop (SIGTERM), and killed if
    they have not within ten seconds.
    """
    procs: dict[int, subprocess.Popen] = {}
    logs: dict[int, Path] = {}
    try:
        for n in range(count):
            log_file = log_dir / f"scheduler{n}.log"
            with log_file.open("wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            procs[proc.pid], logs[proc.pid] = proc, log_file
        yield procs, logs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
