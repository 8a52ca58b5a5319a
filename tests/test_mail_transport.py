"""Getting mail in: `flask mail ingest` as a real process reading a pipe, and the IMAP
poll against a real Dovecot server (STARTTLS and TLS, the done folder, a crash between
storing and moving, refused logins), the `flask mail poll` exit statuses and the
scheduler's mail job."""

import os
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.mailserver import start_dovecot
from tests.support import free_port
from ticketdesk import scheduler as background
from ticketdesk.extensions import db
from ticketdesk.models import InboundMail, InboundSource, InboundState
from ticketdesk.services.mail import imap, inbound

ROOT = Path(__file__).resolve().parent.parent
FLASK = ROOT / ".venv" / "bin" / "flask"
DONE = "TicketDesk.Done"  # IMAP_DONE_FOLDER "TicketDesk/Done" on Dovecot's Maildir (".")


def message(n: int, *, message_id: bool = True, size: int = 0) -> bytes:
    """A plain customer e-mail, CRLF line ends as on the wire."""
    lines = [
        f"From: Customer {n} <customer{n}@example.org>",
        "To: desk@example.test",
        f"Subject: Order {n} arrived broken",
        "Date: Mon, 02 Mar 2026 08:30:00 +0000",
    ]
    if message_id:
        lines.append(f"Message-ID: <order-{n}@mail.example.org>")
    lines += [
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        f"Hello, the parcel for order {n} arrived with the lid cracked.",
        "x" * size,
    ]
    return "\r\n".join(lines).encode() + b"\r\n"


def stored_rows() -> list[InboundMail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(InboundMail).order_by(InboundMail.id)))


# ------------------------------------------------------------ the MTA pipe ---


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory):
    """A SQLite file brought up to date by `flask db upgrade` (once for the module)."""
    path = tmp_path_factory.mktemp("ingest") / "migrated.sqlite"
    done = subprocess.run(
        [str(FLASK), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=_env(f"sqlite:///{path}"),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    return path


def _env(url: str, **extra: str) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TICKETDESK_CONFIG": "development",
        "SECRET_KEY": "pipe-test-secret",
        "PYTHONPATH": str(ROOT),
        **extra,
    }
    env.pop("TICKETDESK_TEST_DATABASE_URL", None)
    return env


@pytest.fixture
def pipe_db(migrated_db, tmp_path):
    """A fresh copy of the migrated database for one test."""
    path = tmp_path / "desk.sqlite"
    # The backup API copies what is still in the write-ahead log too.
    with sqlite3.connect(migrated_db) as source, sqlite3.connect(path) as target:
        source.backup(target)
    return path


def ingest(raw: bytes, url: str, **extra: str) -> subprocess.CompletedProcess:
    """`flask --app wsgi mail ingest < message`, as a mail server's pipe runs it."""
    with tempfile.TemporaryFile() as stdin:
        stdin.write(raw)
        stdin.seek(0)
        return subprocess.run(
            [str(FLASK), "--app", "wsgi", "mail", "ingest"],
            cwd=ROOT,
            env=_env(url, **extra),
            stdin=stdin,
            capture_output=True,
            timeout=120,
        )


def rows_in(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT source, state, raw, size_bytes FROM inbound_mail ORDER BY id"
        ).fetchall()


def test_mail_ingest_process_stores_a_message_once_and_answers_0(pipe_db):
    url, raw = f"sqlite:///{pipe_db}", message(7)
    first = ingest(raw, url)
    assert first.returncode == 0, first.stderr
    assert b"Stored as inbound message 1" in first.stdout
    # Exit 0 only once the message is in the database, byte for byte.
    assert [(source, body, size) for source, _, body, size in rows_in(pipe_db)] == [
        ("pipe", raw, len(raw))
    ]
    second = ingest(raw, url)  # the mail server delivers it again
    assert second.returncode == 0, second.stderr
    assert b"Already stored as inbound message 1" in second.stdout
    assert [(source, body) for source, _, body, _ in rows_in(pipe_db)] == [("pipe", raw)]


def test_mail_ingest_process_refuses_empty_input_with_65(pipe_db):
    done = ingest(b"", f"sqlite:///{pipe_db}")
    assert done.returncode == 65
    assert b"empty" in done.stderr and rows_in(pipe_db) == []


@pytest.mark.parametrize(
    ("case", "raw", "settings", "status", "held"),
    [
        ("a customer's message", message(1), {}, 0, False),
        ("a message without Message-ID", message(2, message_id=False), {}, 0, False),
        (
            "over MAIL_MAX_MESSAGE_BYTES: stored, not refused",
            message(3, size=4000),
            {"MAIL_MAX_MESSAGE_BYTES": 1000},
            0,
            None,
        ),
        (
            "bytes that are no mail message: stored and held",
            b"\x00\x01 not a message\r\n",
            {},
            0,
            True,
        ),
        ("empty input", b"", {}, 65, None),
        ("only blank lines", b"\r\n \r\n", {}, 65, None),
    ],
)
def test_mail_ingest_exit_status_and_what_is_stored(app, case, raw, settings, status, held):
    app.config.update(settings)
    result = app.test_cli_runner().invoke(args=["mail", "ingest"], input=raw)
    assert result.exit_code == status, (case, result.stdout, result.stderr)
    with app.app_context():
        rows = stored_rows()
        if status == 0:
            # Exit 0 only once the message is in the database, byte for byte.
            assert [(row.source, row.raw, row.size_bytes) for row in rows] == [
                (InboundSource.PIPE, raw, len(raw))
            ]
            if held is not None:
                assert (rows[0].state is InboundState.HELD) is held, rows[0].state
            assert "inbound message" in result.stdout
        else:
            assert rows == []
            assert "empty" in result.stderr


@pytest.mark.parametrize(
    ("case", "url", "status"),
    [
        ("PostgreSQL on a closed port", "postgresql+psycopg://desk:pw@127.0.0.1:{port}/desk", 75),
        ("a SQLite file that is not a database", "sqlite:///{junk}", 70),
    ],
)
def test_mail_ingest_when_the_database_cannot_take_it(tmp_path, case, url, status):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a SQLite database file at all, " * 50)
    done = ingest(message(8), url.format(port=free_port(), junk=junk))
    assert done.returncode == status, (case, done.stdout, done.stderr)
    assert b"Traceback" not in done.stderr or status == 70
    if status == 75:
        assert b"database is unavailable" in done.stderr
    assert b"Stored" not in done.stdout


# ----------------------------------------------------------------- the IMAP poll ---


@pytest.fixture(scope="module")
def dovecot():
    directory = Path(tempfile.mkdtemp(prefix="ticketdesk-dovecot-"))
    directory.rmdir()  # the script makes it (and owns it)
    server = start_dovecot(directory)
    yield server
    server.stop()


@pytest.fixture
def mailbox(dovecot, app):
    """The Dovecot mailbox, empty, with the app pointed at it over STARTTLS."""
    dovecot.clear()
    app.config.update(dovecot.settings("starttls"))
    return dovecot


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_poll_stores_each_message_and_moves_it_to_the_done_folder(mailbox, app, ctx, now, security):
    app.config.update(mailbox.settings(security))
    sent = [message(1), message(2, message_id=False)]
    mailbox.deliver(*sent)
    report = imap.poll(now=now)
    assert (report.fetched, report.stored, report.duplicates, report.moved, report.failed) == (
        2,
        2,
        0,
        2,
        0,
    )
    rows = stored_rows()
    assert [(row.raw, row.source, row.received_at) for row in rows] == [
        (raw, InboundSource.IMAP, now) for raw in sent
    ]
    assert mailbox.messages("INBOX") == []
    moved = mailbox.messages(DONE)
    assert [raw for raw, _ in moved] == sent
    assert all("\\Seen" in flags for _, flags in moved)
    assert DONE in mailbox.folders()
    # Nothing left: a second run finds nothing and stores nothing.
    assert imap.poll(now=now).fetched == 0 and len(stored_rows()) == 2


def _copy_to_done(server, *, delete: bool) -> None:
    """What a run that stopped half-way did in the mailbox: copied the first message to
    the done folder, and (``delete``) moved it there altogether."""
    conn = server.connect()
    try:
        conn.create(f'"{DONE}"')
        conn.select("INBOX")
        uid = conn.uid("SEARCH", None, "ALL")[1][0].split()[0].decode()
        assert conn.uid("COPY", uid, f'"{DONE}"')[0] == "OK"
        if delete:
            conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
            conn.expunge()
    finally:
        conn.logout()


@pytest.mark.parametrize(
    ("where", "stored_again", "in_done"),
    [
        ("after storing, before moving", 1, 1),
        ("after copying to the done folder, before deleting (a server without MOVE)", 1, 2),
        ("after moving, before acting on it", 0, 1),
    ],
)
def test_a_run_that_stopped_half_way_neither_duplicates_nor_loses(
    mailbox, ctx, now, where, stored_again, in_done
):
    # No header line: acting on it holds it, which shows whether it was acted on.
    raw = b"a message the desk cannot read\r\n"
    mailbox.deliver(raw, message(4))
    # The run that stopped: it stored the first message (but did not act on it) ...
    inbound.store(raw, source=InboundSource.IMAP, now=now)
    assert stored_rows()[0].state is InboundState.RECEIVED
    # ... and got this far with it in the mailbox.
    if stored_again == 1 and in_done == 2:
        _copy_to_done(mailbox, delete=False)
    elif stored_again == 0:
        _copy_to_done(mailbox, delete=True)
    report = imap.poll(now=now)
    assert (report.stored, report.duplicates, report.failed) == (1, stored_again, 0), where
    rows = stored_rows()
    assert [row.raw for row in rows] == [raw, message(4)]  # one row each: no duplicate
    assert rows[0].state is InboundState.HELD  # acted on now: not lost
    assert mailbox.messages("INBOX") == []
    done = [m for m, _ in mailbox.messages(DONE)]
    assert done.count(raw) == in_done and done.count(message(4)) == 1


def test_without_a_done_folder_messages_are_deleted_once_stored(mailbox, app, ctx, now):
    app.config["IMAP_DONE_FOLDER"] = ""
    mailbox.deliver(message(5), message(6))
    report = imap.poll(now=now)
    assert (report.stored, report.moved) == (2, 2)
    assert len(stored_rows()) == 2
    assert mailbox.messages("INBOX") == []
    assert mailbox.folders() == ["INBOX"]


def test_a_message_that_is_no_mail_is_held_and_the_others_still_arrive(mailbox, ctx, now):
    mailbox.deliver(message(1), b"garbage without any header line\r\n", message(2))
    report = imap.poll(now=now)
    assert (report.stored, report.moved, report.failed) == (3, 3, 0)
    rows = stored_rows()
    assert [row.raw for row in rows] == [
        message(1),
        b"garbage without any header line\r\n",
        message(2),
    ]
    assert rows[1].state is InboundState.HELD
    assert mailbox.messages("INBOX") == []


@pytest.mark.parametrize(
    ("batch", "delivered", "first_run"), [(1, 2, 1), (2, 3, 2), (3, 3, 3), (50, 4, 4)]
)
def test_a_run_takes_at_most_imap_batch_messages(
    mailbox, app, ctx, now, batch, delivered, first_run
):
    app.config["IMAP_BATCH"] = batch
    sent = [message(n) for n in range(delivered)]
    mailbox.deliver(*sent)
    first = imap.poll(now=now)
    assert (first.stored, first.remaining) == (first_run, delivered - first_run)
    assert ("left for the next run" in first.summary()) is (delivered > first_run)
    assert [raw for raw, _ in mailbox.messages("INBOX")] == sent[first_run:]
    imap.poll(now=now)
    assert [row.raw for row in stored_rows()] == sent[: first_run + batch]


@pytest.mark.parametrize("allowed", [0, 1, 3])
def test_poll_stops_when_keep_going_says_no(mailbox, ctx, now, allowed):
    sent = [message(1), message(2), message(3)]
    mailbox.deliver(*sent)
    answers = iter([True] * allowed + [False])
    report = imap.poll(now=now, keep_going=lambda: next(answers))
    assert report.stopped is (allowed < 3)
    assert (report.stored, report.remaining) == (allowed, 3 - allowed)
    assert [raw for raw, _ in mailbox.messages("INBOX")] == sent[allowed:]
    assert [row.raw for row in stored_rows()] == sent[:allowed]


@pytest.fixture(scope="module")
def dovecot_without_move():
    directory = Path(tempfile.mkdtemp(prefix="ticketdesk-dovecot-nomove-"))
    directory.rmdir()
    server = start_dovecot(
        directory, capability="IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS"
    )
    yield server
    server.stop()


def test_a_server_without_move_gets_copy_delete_expunge(dovecot_without_move, app, ctx, now):
    server = dovecot_without_move
    server.clear()
    app.config.update(server.settings("ssl"))
    conn = server.connect()
    try:
        assert "MOVE" not in conn.capability()[1][0].decode().split()
    finally:
        conn.logout()
    server.deliver(message(1), message(2))
    report = imap.poll(now=now)
    assert (report.stored, report.moved, report.failed) == (2, 2, 0)
    assert server.messages("INBOX") == []
    assert [raw for raw, _ in server.messages(DONE)] == [message(1), message(2)]


@pytest.mark.parametrize(
    ("case", "settings", "words"),
    [
        ("wrong password", {"IMAP_PASSWORD": "not-the-password"}, "refused the login of"),
        ("unknown user", {"IMAP_USER": "nobody@example.test"}, "refused the login of"),
        (
            "certificate not trusted (no CA file), STARTTLS",
            {"IMAP_CA_FILE": None},
            "certificate verify failed",
        ),
        (
            "certificate not trusted (no CA file), TLS from the start",
            {"IMAP_CA_FILE": None, "IMAP_SECURITY": "ssl", "IMAP_PORT": "ssl"},
            "certificate verify failed",
        ),
        ("TLS from the start on the STARTTLS port", {"IMAP_SECURITY": "ssl"}, "Cannot connect"),
        # The server waits for a TLS handshake, the client for a greeting: IMAP_TIMEOUT ends it.
        (
            "STARTTLS on the TLS port: timed out",
            {"IMAP_PORT": "ssl", "IMAP_TIMEOUT": 1},
            "timed out",
        ),
        ("nothing listens on the port", {"IMAP_PORT": "closed"}, "Cannot connect"),
        ("a folder that does not exist", {"IMAP_FOLDER": "Nope"}, "Cannot open the folder"),
    ],
)
def test_mailbox_problems_raise_a_clear_error(mailbox, app, ctx, now, case, settings, words):
    if settings.get("IMAP_PORT") == "closed":
        settings = {**settings, "IMAP_PORT": free_port()}
    elif settings.get("IMAP_PORT") == "ssl":
        settings = {**settings, "IMAP_PORT": mailbox.ssl_port}
    app.config.update(settings)
    mailbox.deliver(message(1))
    with pytest.raises(imap.MailboxError) as raised:
        imap.poll(now=now)
    assert words in str(raised.value), case
    assert not isinstance(raised.value, imap.MailboxNotConfigured)
    assert stored_rows() == [] and len(mailbox.messages("INBOX")) == 1


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"IMAP_HOST": None}, "IMAP_HOST is not set"),
        (
            {"IMAP_HOST": "127.0.0.1", "IMAP_SECURITY": "none", "IMAP_USER": "u"},
            "IMAP_SECURITY must be",
        ),
        ({"IMAP_HOST": "127.0.0.1", "IMAP_USER": ""}, "IMAP_USER is not set"),
        ({"IMAP_HOST": "127.0.0.1", "IMAP_USER": "u", "IMAP_BATCH": 0}, "more than 0"),
    ],
)
def test_settings_that_name_no_usable_mailbox(app, ctx, now, settings, words):
    app.config.update(settings)
    with pytest.raises(imap.MailboxNotConfigured, match=words):
        imap.poll(now=now)


# ------------------------------------------------------- `flask mail poll` ---


@pytest.mark.parametrize(
    ("case", "settings", "status", "words"),
    [
        ("a run that worked", {}, 0, "fetched 1: 1 new, 0 already stored, 1 moved, 0 failed"),
        ("wrong password", {"IMAP_PASSWORD": "wrong"}, 75, "refused the login"),
        ("no IMAP_HOST", {"IMAP_HOST": None}, 78, "IMAP_HOST is not set"),
    ],
)
def test_mail_poll_command_exit_status(mailbox, app, case, settings, status, words):
    app.config.update(settings)
    mailbox.deliver(message(1))
    result = app.test_cli_runner().invoke(args=["mail", "poll"])
    assert result.exit_code == status, (case, result.output, result.stderr)
    assert words in (result.stdout if status == 0 else result.stderr)
    assert len(mailbox.messages("INBOX")) == (0 if status == 0 else 1)


# ---------------------------------------------------------------- the scheduler ---


@pytest.mark.parametrize(
    ("case", "settings", "mail_summary", "left_in_inbox", "rows"),
    [
        (
            "a mailbox",
            {},
            "mail: fetched 1: 1 new, 0 already stored, 1 moved, 0 failed; acted on ",
            0,
            2,
        ),
        (
            "a mailbox refusing the login",
            {"IMAP_PASSWORD": "wrong"},
            "mail: failed (The IMAP server 127.0.0.1:",
            1,
            1,
        ),
        ("no mailbox", {"IMAP_HOST": None}, "mail: no mailbox to poll; acted on 1 waiting", 1, 1),
    ],
)
def test_the_scheduler_runs_the_mail_job_first_every_run(
    mailbox, app, now, case, settings, mail_summary, left_in_inbox, rows
):
    assert background.JOBS[0].id == "mail"
    app.config.update(settings)
    with app.app_context():
        # Piped mail whose process stopped after storing it: waiting to be acted on.
        inbound.store(b"piped, never acted on\r\n", source=InboundSource.PIPE, now=now)
    mailbox.deliver(message(1))
    summaries = background.run_due_jobs(app, holder="a:1", now=now)
    assert summaries[0].startswith(mail_summary), (case, summaries[0])
    assert summaries[1].startswith("outbox: sent 0")  # the other jobs run all the same
    if "refusing" in case:
        assert "refused the login of desk@example.test" in summaries[0]
    assert len(mailbox.messages("INBOX")) == left_in_inbox
    if "refusing" in case or "no mailbox" in case:
        assert summaries[0].endswith("acted on 1 waiting")
    with app.app_context():
        stored = stored_rows()
        assert len(stored) == rows
        # The waiting message was acted on (held: it cannot be read), mailbox or not.
        assert stored[0].state is InboundState.HELD


@pytest.mark.parametrize(
    ("name", "on_the_wire"),
    [
        ("INBOX", "INBOX"),
        ("TicketDesk/Done", "TicketDesk/Done"),
        ("Büro & Co", "B&APw-ro &- Co"),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),  # RFC 3501, 5.1.3
    ],
)
def test_folder_names_are_sent_in_modified_utf7(name, on_the_wire):
    assert imap._utf7(name) == on_the_wire


def test_a_done_folder_with_any_name_is_created_where_the_server_puts_folders(
    mailbox, app, ctx, now
):
    app.config["IMAP_DONE_FOLDER"] = "Erledigt/Büro & Co"
    mailbox.deliver(message(1))
    assert imap.poll(now=now).moved == 1
    assert "Erledigt.B&APw-ro &- Co" in mailbox.folders()
    assert [raw for raw, _ in mailbox.messages("Erledigt.B&APw-ro &- Co")] == [message(1)]


def test_mail_stays_in_the_mailbox_while_the_database_is_down(mailbox, app):
    from ticketdesk import create_app
    from ticketdesk.settings import TestingConfig

    class DatabaseDown(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"postgresql+psycopg://desk:pw@127.0.0.1:{free_port()}/desk"

    down = create_app(DatabaseDown)
    down.config.update(mailbox.settings("ssl"))
    mailbox.deliver(message(1))
    result = down.test_cli_runner().invoke(args=["mail", "poll"])
    assert result.exit_code == 75, (result.stdout, result.stderr)
    assert "database is unavailable" in result.stderr
    assert [raw for raw, _ in mailbox.messages("INBOX")] == [message(1)]
    # Back up: the next run stores it and moves it.
    result = app.test_cli_runner().invoke(args=["mail", "poll"])
    assert result.exit_code == 0 and mailbox.messages("INBOX") == []
