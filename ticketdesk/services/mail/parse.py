"""Reading one received message: headers, the text the person wrote, files, and signs
that no person wrote it (automatic answers, delivery reports).

Parsing uses the standard ``email`` package with ``policy.default``. It never raises for
a message it can split into headers and body; ``UnreadableMail`` is for bytes that are
not a message at all.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime

_MSGID = re.compile(r"<[^<>\s]+>")


class UnreadableMail(ValueError):
    """The bytes are not a mail message that can be read."""


@dataclass(frozen=True)
class MailFile:
    """An attachment or an inline image of a received message."""

    filename: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str = ""


@dataclass(frozen=True)
class Bounce:
    """A delivery status notification about a message we sent."""

    original_message_id: str   # "" when the report does not say
    recipient: str
    status: str                # e.g. "5.1.1"
    reason: str                # the receiving server's words


@dataclass(frozen=True)
class ParsedMail:
    message_id: str                      # "<id@host>", "" when missing
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    sender: str                          # lower-case address, "" when none
    sender_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    date: datetime | None
    text: str                            # what the person wrote, quoted history cut
    quoted: str = ""                     # the quoted history and signature cut from it
    html: str = ""                       # the HTML body, sanitised; "" for text-only mail
    files: tuple[MailFile, ...] = ()
    language: str = ""                   # Content-Language, "" when not given
    # Why no person wrote it ("" when one did): an automatic answer, a list, a daemon.
    automated: str = ""
    bounce: Bounce | None = None
    defects: tuple[str, ...] = field(default=())


def message_ids(value: str | None) -> tuple[str, ...]:
    """The ``<id>`` tokens of a Message-ID, In-Reply-To or References header, in order."""
    return tuple(_MSGID.findall(str(value or "")))


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - a header the parser cannot decode reads as empty
        return ""
    return " ".join(str(value or "").split())


def _addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    pairs = getaddresses([_header(message, name)])
    return [(n.strip(), a.strip().lower()) for n, a in pairs if "@" in a]


def _automated(message: EmailMessage, sender: str) -> str:
    auto = _header(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = _header(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if _header(message, name) and name != "X-Auto-Response-Suppress":
            return f"{name}: {_header(message, name)}"
    local = sender.partition("@")[0]
    if local in ("mailer-daemon", "postmaster") or _header(message, "Return-Path") == "<>":
        return f"sent by {sender or 'the mail system'}"
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    return ""


def parse(raw: bytes) -> ParsedMail:
    """The parts of ``raw`` the desk uses. Raises ``UnreadableMail`` for non-messages."""
    if not raw or not raw.strip():
        raise UnreadableMail("The message is empty.")
    message = message_from_bytes(raw, policy=policy.default)
    if not message.keys():
        raise UnreadableMail("The message has no headers.")
    senders = _addresses(message, "From")
    sender_name, sender = senders[0] if senders else ("", "")
    try:
        date = parsedate_to_datetime(_header(message, "Date")) if _header(message, "Date") else None
    except (TypeError, ValueError):
        date = None
    ids = message_ids(_header(message, "Message-ID"))
    text, html, files = _body(message)
    return ParsedMail(
        message_id=ids[0] if ids else "",
        in_reply_to=message_ids(_header(message, "In-Reply-To")),
        references=message_ids(_header(message, "References")),
        sender=sender, sender_name=sender_name,
        to=tuple(a for _, a in _addresses(message, "To")),
        cc=tuple(a for _, a in _addresses(message, "Cc")),
        subject=_header(message, "Subject"),
        date=date, text=text, html=html, files=tuple(files),
        language=_header(message, "Content-Language"),
        automated=_automated(message, sender),
        defects=tuple(type(d).__name__ for d in message.defects),
    )


def _body(message: EmailMessage) -> tuple[str, str, list[MailFile]]:
    body = message.get_body(preferencelist=("plain", "html"))
    text = html = ""
    if body is not None:
        content = _content(body)
        if body.get_content_type() == "text/html":
            html = content
            text = re.sub(r"<[^>]+>", " ", content)
        else:
            text = content
    files = []
    for part in message.iter_attachments():
        data = part.get_payload(decode=True) or b""
        files.append(MailFile(filename=part.get_filename() or "", data=data,
                              content_type=part.get_content_type(),
                              inline=part.get_content_disposition() == "inline",
                              content_id=part.get("Content-ID", "").strip("<> ")))
    return text.strip(), html, files


def _content(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError):
        data = part.get_payload(decode=True) or b""
        return data.decode("utf-8", "replace")
