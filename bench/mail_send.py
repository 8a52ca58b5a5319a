"""TicketDesk outbox benchmark: how many e-mails a second ``outbox.send_due`` hands to a
real SMTP server.

Run it with ``make bench-mail`` (1,000 messages) or ``make bench-mail MAILS=5000``;
directly: ``.venv/bin/python bench/mail_send.py --messages 1000``.

What it does, in order:

1. Starts an SMTP server (aiosmtpd, a process of its own so it does not share this
   process's interpreter lock, as a real mail server would not) on a free localhost port;
   it accepts every message and counts them.
2. Creates a fresh SQLite database in ``bench/.work/mail.db`` (git-ignored) with the
   production configuration pointed at that server, and queues N customer-like messages
   through ``outbox.enqueue``, each on a ticket of its own whose contact it is for (a
   customer e-mail goes out only while its recipient is on the ticket): a reply on a
   complaint with the reference in the subject,
   a text body of about 1.5 kB with the private link, an HTML version, threading headers,
   a Reply-To, and a CC on every fifth.
3. Times one ``outbox.send_due(now=..., limit=N)`` in this process: for each message the
   claim (one transaction), building the e-mail, the SMTP transaction over the one
   connection of the run, and recording it as sent (another transaction). Python start-up
   and queueing are not timed.
4. Checks every message is recorded as sent and the server received as many, then writes
   ``bench/results-mail.json`` and prints messages per second, with the CPU calibration
   of ``bench/run.py`` before and after (a fixed pure-Python task; lower is faster; compare
   runs only at a similar calibration).

The exit code is 0 when the run completed and 1 when it could not measure.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
DB_PATH = WORK / "mail.db"
RESULTS = ROOT / "bench" / "results-mail.json"


class BenchError(RuntimeError):
    """The run could not measure what it should; the message says why."""


def _calibration():
    """``cpu_calibration_ms`` of bench/run.py, so both benchmarks report the same figure."""
    spec = importlib.util.spec_from_file_location("ticketdesk_bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cpu_calibration_ms


# ----------------------------------------------------------------- the SMTP server


def serve_smtp(port: int) -> None:
    """The server process: accept every message, print how many on SIGTERM."""
    from aiosmtpd.controller import Controller

    class Counter:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Counter.received += 1
            return "250 2.0.0 Accepted"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    try:
        while not stop["now"]:
            time.sleep(0.05)
    finally:
        controller.stop()
        print(f"received {Counter.received}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """``with SmtpServer() as port:`` runs the counting server; ``received`` after exit."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: int | None = None
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> int:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve-smtp", str(self.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            self.proc.kill()
            raise BenchError(f"the SMTP server did not start: {line}{self.proc.stderr.read()}")
        return self.port

    def __exit__(self, *exc) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        for line in out.splitlines():
            if line.startswith("received "):
                self.received = int(line.split()[1])


# ----------------------------------------------------------------- the messages

PARAGRAPHS = (
    "Thank you for telling us about the cracked bottles in your last delivery. We are sorry "
    "for the trouble this has caused you and your customers.",
    "We have sent six replacement bottles by express courier today; they should reach you "
    "tomorrow before noon. You do not need to send anything back or prove the damage.",
    "As a small thank-you for your patience we have added two bottles of our new cold-pressed "
    "oil to the parcel, so your shop can try them with your next order.",
    "If anything else is not right, simply reply to this e-mail: it reaches the person "
    "handling your complaint, and the whole conversation stays in one place.",
)


def make_app(port: int):
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB_PATH}{suffix}").unlink(missing_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    from ticketdesk import create_app
    from ticketdesk.settings import ProductionConfig

    class BenchConfig(ProductionConfig):
        SECRET_KEY = secrets.token_hex(32)
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{DB_PATH}"
        MAIL_SERVER = "127.0.0.1"
        MAIL_PORT = port
        MAIL_TIMEOUT = 30
        MAIL_FROM = "Olive Grove Support <support@desk.example>"
        MAIL_REPLY_TO = "support@desk.example"

    os.environ.pop("DATABASE_URL", None)
    app = create_app(BenchConfig)
    with app.app_context():
        from ticketdesk.extensions import db

        db.create_all()
    return app


def queue_messages(count: int, now: datetime) -> None:
    """One ticket per message, whose contact the message is for: a customer e-mail is
    sent only while its recipient is the ticket's contact (or copied on it)."""
    from ticketdesk.core.uow import unit_of_work
    from ticketdesk.extensions import db
    from ticketdesk.models import Category, Channel, Contact, Customer, MailPurpose, Ticket
    from ticketdesk.services.notifications import outbox
    from ticketdesk.services.tickets import categories

    with unit_of_work():
        categories.add_default_categories()
        category = db.session.scalar(db.select(Category).order_by(Category.id).limit(1))
        for n in range(count):
            reference = f"TD-{100000 + n:06d}"
            customer = Customer(name=f"Shop {n}", created_at=now)
            contact = Contact(
                customer=customer, name=f"Customer {n}", email=f"customer{n}@shop{n % 97}.example"
            )
            copied = Contact(
                customer=customer,
                name=f"Purchasing {n}",
                email=f"purchasing{n}@shop{n % 97}.example",
            )
            ticket = Ticket(
                reference=reference,
                customer=customer,
                contact=contact,
                subject=f"Cracked bottles in pallet {n % 13}",
                description="Six bottles arrived cracked.",
                channel=Channel.EMAIL,
                category=category,
                currency="EUR",
                public_token=secrets.token_urlsafe(32),
                created_at=now,
                updated_at=now,
                last_activity_at=now,
            )
            db.session.add_all([customer, contact, copied, ticket])
            link = f"https://desk.example/c/{ticket.public_token}"
            body = (
                f"Dear customer {n},\n\n"
                + "\n\n".join(PARAGRAPHS)
                + f"\n\nYour reference: {reference}\nFollow your complaint: {link}\n\n"
                "Kind regards,\nAda Agent\nCustomer care, Olive Grove Trading\n"
            )
            html = (
                "<!doctype html><html><body>"
                + f"<p>Dear customer {n},</p>"
                + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
                + f'<p>Your reference: <b>{reference}</b><br><a href="{link}">Follow your '
                "complaint</a></p><p>Kind regards,<br>Ada Agent<br>Customer care, Olive "
                "Grove Trading</p></body></html>"
            )
            outbox.enqueue(
                to=contact.email,
                subject=f"[{reference}] Re: {ticket.subject}",
                body=body,
                html_body=html,
                now=now,
                purpose=MailPurpose.REPLY,
                ticket=ticket,
                reply_to="support@desk.example",
                from_name="Ada Agent, Olive Grove Support",
                in_reply_to=f"<complaint-{n}@shop{n % 97}.example>",
                references=[f"<complaint-{n}@shop{n % 97}.example>"],
                auto_generated=False,
                cc=[copied.email] if n % 5 == 0 else [],
            )


# ----------------------------------------------------------------- main


def run(count: int) -> dict:
    calibrate = _calibration()
    now = datetime.now(UTC).replace(microsecond=0)
    server = SmtpServer()
    with server as port:
        print(f"SMTP server (aiosmtpd, a process of its own) on 127.0.0.1:{port}")
        app = make_app(port)
        with app.app_context():
            from ticketdesk.extensions import db
            from ticketdesk.models import OutboxMessage, OutboxState
            from ticketdesk.services.notifications import outbox

            started = time.perf_counter()
            queue_messages(count, now)
            queue_s = time.perf_counter() - started
            print(f"Queued {count:,} messages in {queue_s:.1f} s into {DB_PATH.relative_to(ROOT)}")
            calibration = [calibrate()]
            started = time.perf_counter()
            report = outbox.send_due(now=now, limit=count)
            send_s = time.perf_counter() - started
            calibration.append(calibrate())
            sent = db.session.scalar(
                db.select(db.func.count(OutboxMessage.id)).where(
                    OutboxMessage.state == OutboxState.SENT
                )
            )
            size = db.session.scalar(
                db.select(
                    db.func.avg(
                        db.func.length(OutboxMessage.body) + db.func.length(OutboxMessage.html_body)
                    )
                )
            )
        print(f"send_due: {report.summary()} in {send_s:.2f} s")
    if report.sent != count or sent != count:
        raise BenchError(
            f"only {sent} of {count} messages are recorded as sent ({report.summary()})"
        )
    if server.received != count:
        raise BenchError(f"the SMTP server received {server.received} of {count} messages")
    return {
        "messages": count,
        "send_s": round(send_s, 2),
        "messages_per_s": round(count / send_s, 1),
        "ms_per_message": round(send_s * 1000 / count, 2),
        "queue_s": round(queue_s, 2),
        "server_received": server.received,
        "average_body_chars": round(size or 0),
        "cpu_calibration_ms": calibration,
        "transport": "SMTP, one connection per run, to aiosmtpd on 127.0.0.1 (own process)",
        "database": "SQLite file (WAL), production configuration",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--messages", type=int, default=1000, help="messages to queue and send (default 1000)"
    )
    parser.add_argument("--serve-smtp", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_smtp:
        serve_smtp(args.serve_smtp)
        return 0
    if args.messages < 1:
        parser.error("--messages must be at least 1")
    try:
        results = run(args.messages)
    except BenchError as exc:
        print(f"\nbench-mail: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbench-mail: interrupted.", file=sys.stderr)
        return 130
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    before, after = results["cpu_calibration_ms"]
    print(
        f"\nOutbox send rate: {results['messages']:,} messages in {results['send_s']} s = "
        f"{results['messages_per_s']} messages/s ({results['ms_per_message']} ms each), "
        f"all received by the SMTP server"
    )
    print(f"CPU calibration (fixed task, lower is faster): {before} ms before, {after} ms after")
    print(f"Results written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
