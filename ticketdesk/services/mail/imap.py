"""Fetching the desk's mailbox over IMAP: ``poll(now=, keep_going=)``.

Each message of ``IMAP_FOLDER`` is read without marking it (``BODY.PEEK[]``), stored
(``inbound.store``, which commits), and only then taken out of the folder: moved to
``IMAP_DONE_FOLDER`` (UID MOVE, or UID COPY + ``\\Deleted`` + expunge on servers without
MOVE), or flagged ``\\Seen \\Deleted`` and expunged when there is no done folder. Then
the desk acts on it (``inbound.process``).

A run that stops between storing and moving (a crash, a dropped connection) leaves the
message in the folder: the next run finds it already stored (``inbound.dedupe_key``),
stores nothing new and moves it. A message that cannot be stored stays in the folder
and is tried again next run; it never stops the others.

The connection always uses TLS (``IMAP_SECURITY`` "ssl": from the start, or
"starttls"), verified against the system's certificate authorities or ``IMAP_CA_FILE``.
"""

import base64
import contextlib
import imaplib
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from ticketdesk.core.uow import is_database_unavailable
from ticketdesk.extensions import db
from ticketdesk.models import InboundSource, InboundState
from ticketdesk.services.mail import inbound

log = logging.getLogger("ticketdesk.mail.imap")

SECURITY_MODES = ("ssl", "starttls")


class MailboxError(Exception):
    """The mailbox cannot be used now: no connection, TLS refused, login refused, or
    the folder cannot be opened. Trying again later may work."""


class MailboxNotConfigured(MailboxError):
    """The settings do not say which mailbox to read (IMAP_HOST, IMAP_USER, ...)."""


@dataclass
class PollReport:
    fetched: int = 0  # messages read from the folder in this run
    stored: int = 0  # of those, new ones now stored
    duplicates: int = 0  # of those, already stored (delivered twice, or not moved last time)
    moved: int = 0  # taken out of the folder (moved to the done folder, or deleted)
    failed: int = 0  # left in the folder because of an error; tried again next run
    processed: int = 0  # stored messages acted on (this run's and any left waiting)
    remaining: int = 0  # messages in the folder beyond this run's batch
    stopped: bool = False  # keep_going said no before the batch ended
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"fetched {self.fetched}: {self.stored} new, {self.duplicates} already "
            f"stored, {self.moved} moved, {self.failed} failed; acted on {self.processed}"
        )
        if self.remaining:
            text += f"; {self.remaining} left for the next run"
        if self.stopped:
            text += "; stopped early"
        return text


def configured() -> bool:
    """Whether a mailbox is set up to be polled (IMAP_HOST is set)."""
    return bool(current_app.config.get("IMAP_HOST"))


@dataclass(frozen=True)
class _Settings:
    host: str
    port: int
    security: str
    ca_file: str | None
    user: str
    password: str
    folder: str
    done_folder: str
    batch: int
    timeout: float

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port} ({self.security})"


def _settings() -> _Settings:
    config = current_app.config
    host = (config.get("IMAP_HOST") or "").strip()
    if not host:
        raise MailboxNotConfigured("IMAP_HOST is not set: there is no mailbox to poll.")
    security = str(config.get("IMAP_SECURITY") or "ssl").strip().lower()
    if security not in SECURITY_MODES:
        raise MailboxNotConfigured(
            f"IMAP_SECURITY must be 'ssl' or 'starttls', not {security!r} "
            "(the password never travels unencrypted)."
        )
    user = config.get("IMAP_USER") or ""
    if not user:
        raise MailboxNotConfigured("IMAP_USER is not set.")
    try:
        port, batch = int(config.get("IMAP_PORT") or 0), int(config.get("IMAP_BATCH") or 0)
        timeout = float(config.get("IMAP_TIMEOUT") or 0)
    except (TypeError, ValueError) as exc:
        raise MailboxNotConfigured(
            f"IMAP_PORT, IMAP_BATCH and IMAP_TIMEOUT must be numbers: {exc}"
        ) from exc
    if not 0 < port < 65536 or batch < 1 or timeout <= 0:
        raise MailboxNotConfigured(
            "IMAP_PORT must be a port number, IMAP_BATCH and IMAP_TIMEOUT more than 0."
        )
    return _Settings(
        host=host,
        port=port,
        security=security,
        ca_file=config.get("IMAP_CA_FILE") or None,
        user=user,
        password=config.get("IMAP_PASSWORD") or "",
        folder=config.get("IMAP_FOLDER") or "INBOX",
        done_folder=(config.get("IMAP_DONE_FOLDER") or "").strip(),
        batch=batch,
        timeout=timeout,
    )


def _connect(settings: _Settings) -> imaplib.IMAP4:
    """A logged-in connection; ``MailboxError`` saying what failed otherwise."""
    try:
        context = ssl.create_default_context(cafile=settings.ca_file)
    except OSError as exc:
        raise MailboxNotConfigured(f"IMAP_CA_FILE cannot be read: {exc}") from exc
    try:
        if settings.security == "ssl":
            conn = imaplib.IMAP4_SSL(
                settings.host, settings.port, ssl_context=context, timeout=settings.timeout
            )
        else:
            conn = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
            try:
                conn.starttls(ssl_context=context)
            except BaseException:
                _close(conn)
                raise
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(
            f"Cannot connect to the IMAP server {settings.where}: {_words(exc)}"
        ) from exc
    try:
        conn.login(settings.user, settings.password)
    except (OSError, imaplib.IMAP4.error) as exc:
        _close(conn)
        raise MailboxError(
            f"The IMAP server {settings.where} refused the login of {settings.user}: {_words(exc)}"
        ) from exc
    return conn


def _words(exc: BaseException) -> str:
    """An exception as the server's or the system's words, for a person to read."""
    arg = exc.args[0] if len(exc.args) == 1 else exc
    if isinstance(arg, bytes):
        arg = arg.decode("utf-8", "replace")
    return str(arg) or type(exc).__name__


def _close(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(Exception):  # the connection may be gone already
        conn.logout()


def _capabilities(conn: imaplib.IMAP4) -> frozenset[str]:
    """What the server can do once logged in (it may say more than before the login)."""
    typ, data = conn.capability()
    if typ == "OK" and data and data[0]:
        return frozenset(data[0].decode("ascii", "replace").upper().split())
    return frozenset(name.upper() for name in conn.capabilities)


def _quote(name: str) -> str:
    """A mailbox name as an IMAP quoted string, in modified UTF-7 (RFC 3501 5.1.3)."""
    encoded = _utf7(name)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _utf7(name: str) -> str:
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + data.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?:"(?P<delim>[^"]*)"|NIL) ')


def _delimiter(conn: imaplib.IMAP4) -> str:
    """The server's hierarchy separator ("/" on many servers, "." on others)."""
    typ, data = conn.list('""', '""')
    if typ == "OK":
        for line in data:
            if isinstance(line, bytes):
                match = _LIST_LINE.match(line)
                if match and match.group("delim"):
                    return match.group("delim").decode("ascii", "replace").replace("\\\\", "\\")
    return "/"


def _ensure_folder(conn: imaplib.IMAP4, configured_name: str) -> str:
    """The done folder's name on this server (``/`` in the setting is its separator),
    created (and subscribed to) when missing; returned quoted for commands."""
    delimiter = _delimiter(conn)
    name = configured_name.replace("/", delimiter) if delimiter != "/" else configured_name
    quoted = _quote(name)
    typ, data = conn.list('""', quoted)
    if typ == "OK" and any(item for item in data if item):
        return quoted
    typ, data = conn.create(quoted)
    if typ != "OK":
        # Another poller may have created it a moment ago.
        typ2, data2 = conn.list('""', quoted)
        if not (typ2 == "OK" and any(item for item in data2 if item)):
            raise MailboxError(f"Cannot create the folder {name!r}: {_words_list(data)}")
    conn.subscribe(quoted)  # so mail clients show it; not needed for the desk
    return quoted


def _words_list(data) -> str:
    return (
        " ".join(
            item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
            for item in (data or [])
            if item
        )
        or "no reason given"
    )


def _uids(conn: imaplib.IMAP4) -> list[int]:
    """UIDs of the messages in the selected folder not already flagged for deletion."""
    typ, data = conn.uid("SEARCH", None, "UNDELETED")
    if typ != "OK":
        raise MailboxError(f"The IMAP server could not list the messages: {_words_list(data)}")
    return sorted(int(token) for token in b" ".join(d for d in data if d).split())


def _fetch(conn: imaplib.IMAP4, uid: int) -> bytes | None:
    """The raw message, read without setting ``\\Seen``; None when it has gone."""
    typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if typ != "OK":
        raise imaplib.IMAP4.error(f"FETCH failed: {_words_list(data)}")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and b"BODY[]" in item[0].upper():
            return item[1]
    return None


def _ok(result: tuple[str, list], what: str) -> None:
    typ, data = result
    if typ != "OK":
        raise imaplib.IMAP4.error(f"{what} failed: {_words_list(data)}")


def _take_out(
    conn: imaplib.IMAP4, uid: int, *, done: str | None, capabilities: frozenset[str]
) -> None:
    """Move message ``uid`` to the done folder, or delete it when there is none."""
    uid_text = str(uid)
    _ok(conn.uid("STORE", uid_text, "+FLAGS.SILENT", r"(\Seen)"), "Marking as read")
    if done is not None and "MOVE" in capabilities:
        _ok(conn.uid("MOVE", uid_text, done), "MOVE")
        return
    if done is not None:
        _ok(conn.uid("COPY", uid_text, done), "COPY")
    _ok(conn.uid("STORE", uid_text, "+FLAGS.SILENT", r"(\Deleted)"), "Flagging as deleted")
    if "UIDPLUS" in capabilities:
        _ok(conn.uid("EXPUNGE", uid_text), "UID EXPUNGE")
    else:
        _ok(conn.expunge(), "EXPUNGE")


def poll(*, now: datetime, keep_going: Callable[[], bool] | None = None) -> PollReport:
    """Fetch up to IMAP_BATCH messages from IMAP_FOLDER: store each, take it out of the
    folder, act on it; then act on any stored message still waiting.

    ``keep_going`` is asked before each message (the scheduler passes its lease check);
    when it says no, the run stops there. Raises ``MailboxNotConfigured`` without
    IMAP_HOST (or with unusable settings), ``MailboxError`` when the server cannot be
    reached, refuses the login or the folder; a database that cannot be reached raises
    its own error (SQLAlchemy's), with the messages not stored left in the folder.
    """
    settings = _settings()
    report = PollReport()
    conn = _connect(settings)
    try:
        try:
            capabilities = _capabilities(conn)
            typ, data = conn.select(_quote(settings.folder))
            if typ != "OK":
                raise MailboxError(
                    f"Cannot open the folder {settings.folder!r}: {_words_list(data)}"
                )
            uids = _uids(conn)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"The IMAP server {settings.where} failed: {_words(exc)}") from exc
        report.remaining = max(0, len(uids) - settings.batch)
        done: str | None = None
        batch = uids[: settings.batch]
        for index, uid in enumerate(batch):
            if keep_going is not None and not keep_going():
                report.stopped = True
                report.remaining += len(batch) - index
                break
            try:
                raw = _fetch(conn, uid)
            except imaplib.IMAP4.abort as exc:
                raise MailboxError(
                    f"The IMAP server {settings.where} closed the connection: {_words(exc)}"
                ) from exc
            except (OSError, imaplib.IMAP4.error) as exc:
                _failed(report, uid, f"cannot be fetched: {_words(exc)}")
                continue
            if raw is None:
                continue  # removed by another client since the search
            report.fetched += 1
            try:
                stored = inbound.store(raw, source=InboundSource.IMAP, now=now)
            except Exception as exc:
                db.session.rollback()
                if is_database_unavailable(exc):
                    raise  # every message would fail alike; they stay in the folder
                log.exception("Message UID %s could not be stored", uid)
                _failed(report, uid, f"cannot be stored: {type(exc).__name__}: {exc}")
                continue
            if stored.created:
                report.stored += 1
            else:
                report.duplicates += 1
            try:
                if done is None and settings.done_folder:
                    done = _ensure_folder(conn, settings.done_folder)
                _take_out(conn, uid, done=done, capabilities=capabilities)
                report.moved += 1
            except imaplib.IMAP4.abort as exc:
                raise MailboxError(
                    f"The IMAP server {settings.where} closed the connection: {_words(exc)}"
                ) from exc
            except (OSError, imaplib.IMAP4.error) as exc:
                # Stored, so nothing is lost: the next run finds it stored and moves it.
                _failed(report, uid, f"stored, but not moved: {_words(exc)}")
            if stored.mail.state is InboundState.RECEIVED:
                report.processed += _process(stored.mail.id, now=now)
            _forget(stored.mail)
    finally:
        _close(conn)
    if not report.stopped:
        report.processed += inbound.process_pending(now=now)
    return report


def _process(mail_id: int, *, now: datetime) -> int:
    """Act on one stored message; a failure leaves it waiting for ``process_pending``."""
    try:
        inbound.process(mail_id, now=now)
    except Exception:
        db.session.rollback()
        log.exception("Stored message %s could not be acted on; it waits for the next run", mail_id)
        return 0
    return 1


def _forget(mail) -> None:
    """Let the session drop a stored message (up to MAIL_MAX_MESSAGE_BYTES of raw bytes
    each) instead of holding a whole batch of them until the run ends."""
    if mail in db.session:
        db.session.expunge(mail)


def _failed(report: PollReport, uid: int, reason: str) -> None:
    report.failed += 1
    report.errors.append(f"UID {uid}: {reason}")
    log.warning("IMAP message UID %s %s", uid, reason)
