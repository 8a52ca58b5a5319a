"""TicketDesk ingest benchmark: how many received e-mails a second the desk takes in.

Run it with ``make bench-ingest`` (1,000 messages) or
``.venv/bin/python bench/mail_ingest.py --messages 1000 --pipe 50``.

What it does, in order:

1. Makes a fresh SQLite database in ``bench/.work/ingest.db`` (git-ignored) the way a new
   desk is made: ``flask db upgrade``, then the shipped playbooks, routing rules and SLA
   policies (``seed-playbooks``, ``seed-routing``, ``seed-sla``).
2. Builds N messages from the corpus in ``tests/mail_corpus/`` (Gmail, Outlook, Apple Mail,
   QQ and 163 Mail in GB18030, Big5, ISO-2022-JP, attachments and inline images): each
   gets a Message-ID and a sender of its own; seven in ten are new complaints, three in
   ten answer an earlier one by ``[TD-…]`` in the subject (from the same sender, so they
   land on that ticket and move it).
3. **Through the service**: times ``inbound.ingest`` for every message in this process —
   storing the raw message, reading it, and acting on it (a new ticket with routing,
   playbook, SLA clocks, files and the acknowledgement queued, or the answer on its
   ticket). Python start-up is not timed.
4. **Through the pipe**: runs ``flask --app wsgi mail ingest`` as a new process for each of
   ``--pipe`` further messages, as a mail server's pipe does, and times each process
   from start to exit status 0 (start-up included: that is what the mail server waits for).
5. Checks every message is stored and acted on, writes ``bench/results-ingest.json`` and
   prints the rates with the CPU calibration of ``bench/run.py`` (a fixed pure-Python
   task; lower is faster; compare runs only at a similar calibration).

The exit code is 0 when the run completed and 1 when it could not measure.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import secrets
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
DB_PATH = WORK / "ingest.db"
RESULTS = ROOT / "bench" / "results-ingest.json"
CORPUS = ROOT / "tests" / "mail_corpus"
FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]
SECRET_KEY = secrets.token_hex(32)


class BenchError(RuntimeError):
    """The run could not measure what it should; the message says why."""


def _calibration():
    spec = importlib.util.spec_from_file_location("ticketdesk_bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cpu_calibration_ms


def _env() -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite:///{DB_PATH}",
        TICKETDESK_CONFIG="production",
        SECRET_KEY=env.get("SECRET_KEY") or SECRET_KEY,
        TICKETDESK_MAIL_FROM="Customer Care <care@desk.example>",
        TICKETDESK_MAIL_NEW_TICKETS_PER_SENDER="1000000",
    )
    return env


def make_database() -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_PATH}{suffix}").unlink(missing_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    for command in (["db", "upgrade"], ["seed-playbooks"], ["seed-routing"], ["seed-sla"]):
        done = subprocess.run(FLASK + command, cwd=ROOT, env=_env(), capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchError(f"flask {' '.join(command)} failed:\n{done.stderr[-2000:]}")


# ----------------------------------------------------------------- the messages


def _templates() -> list[bytes]:
    """Corpus messages a person wrote that open a complaint (no bounces, no auto-replies)."""
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    return [
        (CORPUS / entry["file"]).read_bytes()
        for entry in manifest["messages"]
        if entry["outcome"] == "new_ticket"
        and not entry.get("config")
        and not entry.get("duplicate_of")
    ]


def _retarget(raw: bytes, *, n: int, sender: str, subject: str | None) -> bytes:
    """The corpus message with its own Message-ID and sender (and subject for answers)."""
    message = message_from_bytes(raw, policy=policy.compat32)
    for name in ("Message-ID", "From", "Reply-To", "In-Reply-To", "References"):
        del message[name]
    message["Message-ID"] = f"<bench.{n}.{secrets.token_hex(6)}@mail.example.com>"
    message["From"] = f"Customer {n} <{sender}>"
    if subject is not None:
        del message["Subject"]
        message["Subject"] = subject
    return message.as_bytes()


def build_messages(count: int, *, start: int = 0) -> list[tuple[bytes, str | None]]:
    """``count`` messages; an answer names the sender whose ticket it answers."""
    templates = _templates()
    messages: list[tuple[bytes, str | None]] = []
    for n in range(start, start + count):
        template = templates[n % len(templates)]
        if n % 10 < 7 or n - start < 10:
            messages.append(
                (_retarget(template, n=n, sender=f"customer{n}@shop.example", subject=None), None)
            )
        else:
            earlier = n - 7  # an earlier new complaint (n % 10 in 0..6)
            messages.append(
                (
                    _retarget(
                        template,
                        n=n,
                        sender=f"customer{earlier}@shop.example",
                        subject="Re: answer",
                    ),
                    f"customer{earlier}@shop.example",
                )
            )
    return messages


def _answer_subject(app, sender: str) -> str:
    from ticketdesk.extensions import db
    from ticketdesk.models import Contact, Ticket

    with app.app_context():
        reference = db.session.scalar(
            db.select(Ticket.reference)
            .join(Contact, Ticket.contact_id == Contact.id)
            .where(Contact.email == sender)
            .order_by(Ticket.id.desc())
            .limit(1)
        )
    return f"Re: [{reference}] about my complaint"


# ----------------------------------------------------------------- main


def run(count: int, pipe: int) -> dict:
    calibrate = _calibration()
    make_database()
    os.environ.update(_env())
    sys.path.insert(0, str(ROOT))
    from ticketdesk import create_app
    from ticketdesk.extensions import db
    from ticketdesk.models import InboundMail, InboundSource, InboundState, OutboxMessage, Ticket
    from ticketdesk.services.mail import inbound

    app = create_app()
    messages = build_messages(count + pipe)
    service_part, pipe_part = messages[:count], messages[count:]
    calibration = [calibrate()]
    elapsed = 0.0
    for raw, answers in service_part:
        if answers is not None:  # not timed: finding the reference
            raw = _retarget(raw, n=0, sender=answers, subject=_answer_subject(app, answers))
        with app.app_context():
            started = time.perf_counter()
            inbound.ingest(raw, source=InboundSource.PIPE, now=datetime.now(UTC))
            elapsed += time.perf_counter() - started
    calibration.append(calibrate())

    pipe_times = []
    for raw, answers in pipe_part:
        if answers is not None:
            raw = _retarget(raw, n=0, sender=answers, subject=_answer_subject(app, answers))
        started = time.perf_counter()
        done = subprocess.run(
            FLASK + ["mail", "ingest"], cwd=ROOT, env=_env(), input=raw, capture_output=True
        )
        pipe_times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise BenchError(
                f"mail ingest exited {done.returncode}: "
                f"{done.stderr.decode(errors='replace')[-1000:]}"
            )

    with app.app_context():
        stored = db.session.scalar(db.select(db.func.count(InboundMail.id)))
        acted = db.session.scalar(
            db.select(db.func.count(InboundMail.id)).where(
                InboundMail.state == InboundState.APPLIED
            )
        )
        tickets = db.session.scalar(db.select(db.func.count(Ticket.id)))
        acks = db.session.scalar(db.select(db.func.count(OutboxMessage.id)))
        average = db.session.scalar(db.select(db.func.avg(InboundMail.size_bytes)))
    total = count + pipe
    if stored != total or acted != total:
        raise BenchError(f"{stored} of {total} messages stored, {acted} acted on")
    pipe_times.sort()
    return {
        "messages": count,
        "service_s": round(elapsed, 2),
        "service_messages_per_s": round(count / elapsed, 1),
        "service_ms_per_message": round(elapsed * 1000 / count, 2),
        "pipe_processes": pipe,
        "pipe_median_ms": round(pipe_times[len(pipe_times) // 2] * 1000) if pipe_times else None,
        "pipe_messages_per_s_one_at_a_time": round(pipe / sum(pipe_times), 2)
        if pipe_times
        else None,
        "tickets": tickets,
        "outbox_messages_queued": acks,
        "average_message_bytes": round(average or 0),
        "cpu_calibration_ms": calibration,
        "database": "SQLite file (WAL), production configuration, migrated and seeded",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--messages",
        type=int,
        default=1000,
        help="messages taken in through the service (default 1000)",
    )
    parser.add_argument(
        "--pipe",
        type=int,
        default=50,
        help="further messages, each through its own `mail ingest` (default 50)",
    )
    args = parser.parse_args(argv)
    if args.messages < 10 or args.pipe < 0:
        parser.error("--messages must be at least 10 and --pipe at least 0")
    try:
        results = run(args.messages, args.pipe)
    except BenchError as exc:
        print(f"\nbench-ingest: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench-ingest: interrupted.", file=sys.stderr)
        return 130
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    before, after = results["cpu_calibration_ms"]
    print(
        f"Ingest through the service: {results['messages']:,} messages in "
        f"{results['service_s']} s = {results['service_messages_per_s']} messages/s "
        f"({results['service_ms_per_message']} ms each; {results['tickets']:,} tickets)"
    )
    if results["pipe_processes"]:
        print(
            f"Ingest through `flask mail ingest`, one process per message: median "
            f"{results['pipe_median_ms']} ms per process = "
            f"{results['pipe_messages_per_s_one_at_a_time']} messages/s one at a time"
        )
    print(f"CPU calibration (fixed task, lower is faster): {before} ms before, {after} ms after")
    print(f"Results written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
