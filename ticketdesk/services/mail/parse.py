"""Reading one received message: headers, the text the person wrote, files, and signs
that no person wrote it (automatic answers, delivery reports).

Parsing uses the standard ``email`` package with ``policy.default``; headers and text are
decoded by ``charsets`` (wrong and missing charset labels), the written text is told apart
from quoted history by ``quoting``, and HTML is turned into text and sanitised there too.
It never raises for a message it can split into headers and body; ``UnreadableMail`` is
for bytes that are not a message at all. The rules are in docs/rules.md, "Reading
received mail".
"""

import base64
import mimetypes
import os
import quopri
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import Message
from email.parser import BytesHeaderParser, HeaderParser
from email.utils import getaddresses, parsedate_to_datetime

from flask_babel import gettext as _

from ticketdesk.services.mail import charsets, quoting

_MSGID = re.compile(r"<[^<>\s]+>")
_BARE_MSGID = re.compile(r"^[^<>\s@]+@[^<>\s@]+$")

# A message must have at least one of these headers to be a message at all.
_MESSAGE_HEADERS = {
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "received",
    "sender",
    "return-path",
    "mime-version",
    "content-type",
    "delivered-to",
    "reply-to",
}
# How deep forwarded messages inside forwarded messages are read.
_MAX_DEPTH = 3
# How deep MIME parts inside MIME parts are followed (real mail nests a handful).
_MAX_NESTING = 40


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

    original_message_id: str  # "" when the report does not say
    recipient: str
    status: str  # e.g. "5.1.1"
    reason: str  # the receiving server's words


@dataclass(frozen=True)
class ParsedMail:
    message_id: str  # "<id@host>", "" when missing
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    sender: str  # lower-case address, "" when none
    sender_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    date: datetime | None
    text: str  # what the person wrote, quoted history cut
    quoted: str = ""  # the quoted history and signature cut from it
    html: str = ""  # the HTML body, sanitised; "" for text-only mail
    files: tuple[MailFile, ...] = ()
    language: str = ""  # Content-Language, "" when not given
    # Why no person wrote it ("" when one did): an automatic answer, a list, a daemon.
    automated: str = ""
    bounce: Bounce | None = None
    defects: tuple[str, ...] = field(default=())
    # Added: the Reply-To addresses, and the messages forwarded as attachments (their
    # text is also at the end of ``text``; each is one of ``files`` as an .eml).
    reply_to: tuple[str, ...] = ()
    forwarded: int = 0


def message_ids(value: str | None) -> tuple[str, ...]:
    """The ``<id>`` tokens of a Message-ID, In-Reply-To or References header, in order.

    A lone id without its angle brackets (``abc@host``, sent by some broken clients) is
    read as ``<abc@host>``.
    """
    text = str(value or "")
    found = tuple(_MSGID.findall(text))
    if not found and _BARE_MSGID.match(text.strip()):
        return (f"<{text.strip()}>",)
    return found


# ----------------------------------------------------------------- headers ---


def _raw_header(message: Message, name: str) -> str | None:
    """The header as received (encoded words and 8-bit bytes intact), first occurrence."""
    wanted = name.lower()
    try:
        for key, value in message.raw_items():
            if key.lower() == wanted:
                return value if isinstance(value, str) else str(value)
    except Exception:  # noqa: BLE001 - a header block the parser could not keep
        return None
    return None


def _header(message: Message, name: str) -> str:
    return charsets.header_text(_raw_header(message, name))


def _addresses(message: Message, name: str) -> list[tuple[str, str]]:
    raw = _raw_header(message, name)
    if raw is None:
        return []
    # Split the raw value first (a decoded name may hold commas), then decode each name.
    unfolded = " ".join(raw.replace("\x00", "").split())
    try:
        pairs = getaddresses([unfolded])
    except Exception:  # noqa: BLE001 - some Python versions raise on odd input
        pairs = []
    result = []
    for display, address in pairs:
        address = charsets.header_text(address).strip().strip("<>").lower()
        if "@" not in address or " " in address:
            continue
        result.append((charsets.header_text(display).strip().strip('"').strip(), address))
    if not result:
        # A bare address somewhere in a value getaddresses could not split.
        found = re.search(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", charsets.header_text(raw)[:2000])
        if found:
            result.append(("", found.group().lower()))
    return result


def _date(message: Message, defects: list[str]) -> datetime | None:
    value = _header(message, "Date")
    if not value:
        defects.append("MissingDate")
        return None
    try:
        date = parsedate_to_datetime(value)
    except Exception:  # noqa: BLE001 - TypeError, ValueError, OverflowError, IndexError
        defects.append("BadDate")
        return None
    if date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    return date


# ---------------------------------------------------------------- automata ---

_OUT_OF_OFFICE = re.compile(
    r"(?:out of (?:the )?office|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|"
    r"away from (?:the )?office|on (?:annual )?leave|on vacation|"
    r"自动回复|自動回覆|自动答复|外出|休假|不在办公室|不在辦公室|放假|请假)",
    re.IGNORECASE,
)
_NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|donotreply|noreply-[\w.-]+|notifications?)$")
_DAEMONS = {"mailer-daemon", "postmaster", "mail-daemon", "maildaemon", "mailerdaemon"}


def _empty_return_path(message: Message) -> bool:
    """Return-Path ``<>``: the mail system's own messages (bounces, reports) have no sender."""
    value = _raw_header(message, "Return-Path")
    return value is not None and value.strip() in ("<>", "")


def _automated(message: Message, sender: str, subject: str, bounce: "Bounce | None") -> str:
    """Why no person wrote this message, or "" when one did (see docs/rules.md)."""
    auto = _header(message, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto}"
    precedence = _header(message, "Precedence").lower()
    if precedence in ("bulk", "junk", "list", "auto_reply", "auto-reply"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autogenerated", "X-AutoReply-From"):
        value = _header(message, name)
        if value and value.lower() not in ("no", "false", "0"):
            return f"{name}: {value}"
    mailing_list = _header(message, "List-Id") or _header(message, "List-Post")
    if mailing_list:
        return _("mailing list: %(list)s", list=mailing_list)
    if sender.partition("@")[0] in _DAEMONS:
        return _("sent by %(sender)s", sender=sender)
    if _empty_return_path(message):
        return _("empty Return-Path (a message from the mail system)")
    if bounce is not None or _ctype(message) == "multipart/report":
        return _("delivery report")
    supporting = []
    if _OUT_OF_OFFICE.search(subject):
        supporting.append(_("out-of-office subject (%(subject)s)", subject=subject[:80]))
    if _header(message, "X-Auto-Response-Suppress"):
        supporting.append("X-Auto-Response-Suppress")
    if _NO_REPLY.match(sender.partition("@")[0]):
        supporting.append(_("no-reply sender %(sender)s", sender=sender))
    if len(supporting) >= 2:
        return _("%(first)s and %(second)s", first=supporting[0], second=supporting[1])
    return ""


# ------------------------------------------------------------------- parse ---


@dataclass(frozen=True)
class Envelope:
    """What storing a message needs, read from its header block alone."""

    message_id: str  # "" when missing
    sender: str  # lower-case address, "" when none
    subject: str


def envelope(raw: bytes) -> Envelope:
    """Message-ID, sender and subject of ``raw``, read the way ``parse`` reads them, from the
    headers only (no body is decoded). Never raises: unreadable headers read as empty."""
    head = bytes(raw).split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    try:
        message = BytesHeaderParser(policy=policy.default).parsebytes(head)
        senders = _addresses(message, "From") or _addresses(message, "Sender")
        ids = message_ids(_header(message, "Message-ID"))
        return Envelope(
            ids[0] if ids else "", senders[0][1] if senders else "", _header(message, "Subject")
        )
    except Exception:  # noqa: BLE001 - stored all the same; acting on it decides
        return Envelope("", "", "")


def parse(raw: bytes) -> ParsedMail:
    """The parts of ``raw`` the desk uses. Raises ``UnreadableMail`` for non-messages."""
    if not isinstance(raw, (bytes, bytearray)) or not raw.strip():
        raise UnreadableMail(_("The message is empty."))
    try:
        message = message_from_bytes(bytes(raw), policy=policy.default)
    except Exception as exc:  # the parser gave up on these bytes
        raise UnreadableMail(
            _("The message cannot be split into headers and body (%(error)s).", error=exc)
        ) from exc
    try:
        names = {key.lower() for key in message}  # a Message iterates over its header names
    except Exception:  # noqa: BLE001
        names = set()
    if not names & _MESSAGE_HEADERS:
        raise UnreadableMail(_("The message has no mail headers."))
    try:
        return _read(message, depth=0)
    except RecursionError as exc:
        raise UnreadableMail(_("The message is nested too deeply to be read.")) from exc


def _read(message: Message, *, depth: int) -> ParsedMail:
    defects = [type(d).__name__ for d in getattr(message, "defects", [])]
    senders = _addresses(message, "From") or _addresses(message, "Sender")
    if not _addresses(message, "From"):
        defects.append("MissingFrom")
    sender_name, sender = senders[0] if senders else ("", "")
    ids = message_ids(_header(message, "Message-ID"))
    if not ids:
        defects.append("MissingMessageId")
    subject = _header(message, "Subject")
    date = _date(message, defects)

    body = _Body(depth=depth)
    body.walk(message, role="any")
    defects.extend(body.defects)
    own_text = "\n\n".join(t.strip("\n") for t in body.texts if t.strip())
    if not own_text.strip() and body.htmls:
        own_text = quoting.html_to_text("\n".join(body.htmls))
    is_forward = bool(quoting.FORWARD_SUBJECT.match(subject))
    text, quoted = quoting.split_reply(own_text, forwarded=is_forward)
    if body.forwarded_texts:
        text = "\n\n".join([t for t in [text] if t] + body.forwarded_texts)
    bounce = _bounce(message, sender, subject) if depth == 0 else None
    return ParsedMail(
        message_id=ids[0] if ids else "",
        in_reply_to=message_ids(_header(message, "In-Reply-To")),
        references=message_ids(_header(message, "References")),
        sender=sender,
        sender_name=sender_name,
        to=tuple(a for _name, a in _addresses(message, "To")),
        cc=tuple(a for _name, a in _addresses(message, "Cc")),
        subject=subject,
        date=date,
        text=text,
        quoted=quoted,
        html=quoting.sanitise_html("\n".join(body.htmls)) if body.htmls else "",
        files=tuple(body.files),
        language=_header(message, "Content-Language"),
        automated=_automated(message, sender, subject, bounce),
        bounce=bounce,
        defects=tuple(dict.fromkeys(defects)),
        reply_to=tuple(a for _name, a in _addresses(message, "Reply-To")),
        forwarded=len(body.forwarded_texts),
    )


_SIGNATURE_TYPES = {
    "application/pgp-signature",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
}
_TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}


class _Body:
    """Walks a message's parts: body text and HTML, files, forwarded messages."""

    def __init__(self, *, depth: int) -> None:
        self.depth = depth
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.files: list[MailFile] = []
        self.forwarded_texts: list[str] = []
        self.defects: list[str] = []

    def walk(self, part: Message, *, role: str, related: bool = False, level: int = 0) -> None:
        if level > _MAX_NESTING:
            self.defects.append("TooDeeplyNested")
            return
        ctype = _ctype(part)
        if ctype in ("message/rfc822", "message/global"):
            self._forwarded(part)
            return
        if part.is_multipart():
            children = [c for c in part.get_payload() if isinstance(c, Message)]
            if ctype == "multipart/alternative":
                self._alternative(children, role=role, level=level + 1)
            elif ctype == "multipart/report":
                if children:  # the human-readable part; the rest is read by _bounce
                    self.walk(children[0], role=role, level=level + 1)
            else:
                for child in children:
                    self.walk(
                        child,
                        role=role,
                        related=related or ctype == "multipart/related",
                        level=level + 1,
                    )
            return
        self._leaf(part, role=role, related=related)

    def _alternative(self, children: list[Message], *, role: str, level: int) -> None:
        plain = [c for c in children if _ctype(c) == "text/plain"]
        rich = [c for c in children if _ctype(c) == "text/html" or c.is_multipart()]
        if plain and role in ("any", "plain"):
            self.walk(plain[-1], role="plain", level=level)
        if rich and role in ("any", "html"):
            self.walk(rich[-1], role="html" if plain else role, level=level)
        elif not plain and not rich and children:
            self.walk(children[-1], role=role, level=level)

    def _leaf(self, part: Message, *, role: str, related: bool) -> None:
        ctype = _ctype(part)
        disposition = _disposition(part)
        filename = _filename(part)
        if ctype in _SIGNATURE_TYPES:
            return
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            content = self._text(part)
            if ctype == "text/html":
                self.htmls.append(content)
            elif role != "html":
                self.texts.append(content)
            return
        data = _payload(part)
        content_id = _header(part, "Content-ID").strip().strip("<>").strip()
        if ctype in _TNEF_TYPES or filename.lower() == "winmail.dat":
            filename, ctype = "winmail.dat", "application/ms-tnef"
        if not filename:
            extension = mimetypes.guess_extension(ctype) or ".bin"
            stem = "image" if ctype.startswith("image/") else "attachment"
            filename = f"{stem}-{len(self.files) + 1}{extension}"
        inline = disposition == "inline" or (disposition is None and bool(content_id) and related)
        self.files.append(
            MailFile(
                filename=filename,
                content_type=ctype,
                data=data,
                inline=inline and ctype.startswith("image/"),
                content_id=content_id,
            )
        )

    def _text(self, part: Message) -> str:
        data = _payload(part)
        label = _charset(part)
        text, fell_back = charsets.decode(data, label)
        if fell_back:
            self.defects.append(f"CharsetFallback:{label}")
        text = charsets.clean_text(text)
        if _ctype(part) == "text/plain" and _param(part, "format").lower() == "flowed":
            text = unflow(text, delsp=_param(part, "delsp").lower() == "yes")
        return text

    def _forwarded(self, part: Message) -> None:
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            data = _payload(part)
            inner = message_from_bytes(data, policy=policy.default) if data else None
        if inner is None:
            return
        data = _message_bytes(inner)
        encoding = _header(part, "Content-Transfer-Encoding").lower()
        if encoding in ("base64", "quoted-printable"):
            # Not allowed for message/rfc822 (RFC 2046), but some servers send it: the
            # parser then read the encoded text as a message; decode it and read again.
            encoded = inner.get_payload() if not inner.keys() else None
            if isinstance(encoded, str):
                raw = encoded.encode("ascii", "replace")
                data = (
                    base64.b64decode(raw)
                    if encoding == "base64" and _is_base64(raw)
                    else quopri.decodestring(raw)
                    if encoding == "quoted-printable"
                    else data
                )
                inner = message_from_bytes(data, policy=policy.default)
        subject = _header(inner, "Subject")
        name = _filename(part) or f"{_safe_stem(subject) or 'forwarded message'}.eml"
        if not name.lower().endswith(".eml"):
            name += ".eml"
        self.files.append(MailFile(filename=name, content_type="message/rfc822", data=data))
        if self.depth >= _MAX_DEPTH:
            return
        forwarded = _read(inner, depth=self.depth + 1)
        lines = [_("---------- Forwarded message ----------")]
        if forwarded.sender:
            who = (
                f"{forwarded.sender_name} <{forwarded.sender}>"
                if forwarded.sender_name
                else forwarded.sender
            )
            lines.append(_("From: %(sender)s", sender=who))
        for label, value in (
            (_("Date"), _header(inner, "Date")),
            (_("Subject"), forwarded.subject),
            (_("To"), ", ".join(forwarded.to)),
        ):
            if value:
                lines.append(f"{label}: {value}")
        body = "\n\n".join(t for t in (forwarded.text, forwarded.quoted) if t)
        self.forwarded_texts.append("\n".join(lines) + ("\n\n" + body if body else ""))


def _is_base64(data: bytes) -> bool:
    compact = re.sub(rb"\s+", b"", data)
    return (
        bool(compact)
        and len(compact) % 4 == 0
        and re.fullmatch(rb"[A-Za-z0-9+/]+={0,2}", compact) is not None
    )


def _param(part: Message, name: str) -> str:
    try:
        return str(part.get_param(name, "") or "")
    except Exception:  # noqa: BLE001
        return ""


def unflow(text: str, *, delsp: bool = False) -> str:
    """``format=flowed`` text (RFC 3676) with its soft line breaks joined again.

    A line ending in a space continues on the next line of the same quote depth; the
    signature line "-- " is never joined; a leading space added for stuffing is removed.
    """
    lines = text.split("\n")
    result: list[str] = []
    joining = False
    for line in lines:
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        prefix = ">" * depth + (" " if depth and content else "")
        if joining and result and result[-1][1] == depth:
            result[-1] = (result[-1][0] + content, depth)
        else:
            result.append((prefix + content, depth))
        joining = content.endswith(" ") and content != "-- "
        if joining and delsp:
            result[-1] = (result[-1][0][:-1], depth)
    return "\n".join(line.rstrip(" ") if line != "-- " else line for line, _depth in result)


def _ctype(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # noqa: BLE001 - an unreadable Content-Type reads as plain text
        return "text/plain"


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:  # noqa: BLE001
        return None


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except Exception:  # noqa: BLE001
        return None


def _payload(part: Message) -> bytes:
    """The part's bytes, transfer encoding (quoted-printable, base64) undone."""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - a transfer encoding the parser cannot undo
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def _message_bytes(message: Message) -> bytes:
    try:
        return message.as_bytes(policy=policy.default.clone(max_line_length=0))
    except Exception:  # noqa: BLE001 - headers that cannot be written back as they came
        try:
            return message.as_bytes(policy=policy.compat32)
        except Exception:  # noqa: BLE001
            return str(message.get_payload()).encode("utf-8", "surrogateescape")


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001 - an unreadable parameter
        name = ""
    if not name:
        for header, param in (("Content-Disposition", "filename"), ("Content-Type", "name")):
            raw = _raw_header(part, header) or ""
            found = re.search(param + r'\s*=\s*"?([^";]+)"?', raw, re.IGNORECASE)
            if found:
                name = found.group(1)
                break
    if isinstance(name, tuple):  # compat32 RFC 2231 triple
        name = name[2]
    name = charsets.header_text(name) if name else ""
    name = os.path.basename(name.replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[-200:]


def _safe_stem(subject: str) -> str:
    return re.sub(r"[\\/:*?\"<>|\x00-\x1f]+", " ", subject).strip()[:100]


# ----------------------------------------------------------------- bounces ---

_BOUNCE_SUBJECT = re.compile(
    r"(?:undeliver|undelivered|delivery status notification|delivery (?:has )?failed|"
    r"delivery failure|failure notice|returned mail|mail delivery (?:failed|failure|system)|"
    r"non[- ]?delivery|could not be delivered|退信|系统退信|未能送达|无法送达|投遞失敗|送信失敗)",
    re.IGNORECASE,
)
_STATUS = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])")
_SMTP_CODE = re.compile(r"(?<!\d)([45]\d\d)(?:[ -]|$)", re.MULTILINE)
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_FAILED_ACTIONS = {"failed"}
# A word-only bounce says what matters at its start; longer text is not searched.
_BOUNCE_TEXT_CHARS = 50_000


def _bounce(message: Message, sender: str, subject: str) -> Bounce | None:
    """The delivery failure this message reports, or None (also for delay warnings)."""
    report = _find(message, ("message/delivery-status", "message/global-delivery-status"))
    if report is not None:
        return _standard_bounce(message, report)
    if not (sender.partition("@")[0] in _DAEMONS or _empty_return_path(message)):
        return None
    text = _all_text(message)[:_BOUNCE_TEXT_CHARS]
    qmail = "wasn't able to deliver your message" in text or "I'm afraid I wasn't able" in text
    if not (_BOUNCE_SUBJECT.search(subject) or qmail):
        return None
    return _loose_bounce(message, text, sender)


def _standard_bounce(message: Message, report: Message) -> Bounce | None:
    blocks = _report_blocks(report)
    recipients = blocks[1:] if len(blocks) > 1 else blocks
    chosen = None
    for block in recipients:
        action = block.get("action", "").lower()
        status = block.get("status", "")
        if action in _FAILED_ACTIONS or (not action and status.startswith("5")):
            chosen = block
            break
    if chosen is None:
        return None  # delayed, delivered, relayed or expanded: no failure to report
    recipient = chosen.get("final-recipient") or chosen.get("original-recipient") or ""
    recipient = recipient.split(";", 1)[-1].strip().strip("<>").lower()
    reason = chosen.get("diagnostic-code", "").split(";", 1)[-1].strip()
    status = _STATUS.search(chosen.get("status", "")) or _STATUS.search(reason)
    return Bounce(
        original_message_id=_original_id(message),
        recipient=recipient[:254],
        status=status.group(1) if status else chosen.get("status", "")[:20],
        reason=" ".join((reason or _human_text(message)).split())[:1000],
    )


def _report_blocks(report: Message) -> list[dict[str, str]]:
    """The delivery-status fields, one dict (lower-case names) per block."""
    payload = report.get_payload()
    blocks: list[dict[str, str]] = []
    if isinstance(payload, list):
        for block in payload:
            if isinstance(block, Message):
                blocks.append({k.lower(): _header(block, k) for k in block})
    if not any(blocks):
        text = charsets.decode(_payload(report), "utf-8")[0]
        for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
            fields = HeaderParser().parsestr(chunk.strip() + "\n")
            if fields.keys():
                blocks.append({k.lower(): " ".join(str(v).split()) for k, v in fields.items()})
    return [b for b in blocks if b]


def _loose_bounce(message: Message, text: str, sender: str) -> Bounce:
    """A bounce in words only (qmail, old Exchange, webmail): read what it says."""
    failed = _header(message, "X-Failed-Recipients")
    recipient = ""
    if failed:
        found = _ADDRESS.search(failed)
        recipient = found.group() if found else ""
    if not recipient:
        found = re.search(r"^<([^<>\s]+@[^<>\s]+)>:", text, re.MULTILINE)
        recipient = found.group(1) if found else ""
    if not recipient:
        own = {sender} | {a for _name, a in _addresses(message, "To")}
        head = re.split(
            r"(?im)^(?:--- Below this line|-+ ?original message|Original message|"
            r"Return-Path:|Received:)",
            text,
        )[0]
        for found in _ADDRESS.finditer(head):
            address = found.group().lower()
            if address not in own and address.partition("@")[0] not in _DAEMONS:
                recipient = address
                break
    status = _STATUS.search(text)
    code = _SMTP_CODE.search(text)
    reason = ""
    for line in text.split("\n"):
        if (status and status.group(1) in line) or (code and code.group(1) in line):
            reason = line.strip()
            break
    if status:
        status_text = status.group(1)
    elif code:
        status_text = f"{code.group(1)[0]}.0.0"
    else:
        status_text = "5.0.0"
    return Bounce(
        original_message_id=_original_id(message),
        recipient=recipient.lower()[:254],
        status=status_text,
        reason=" ".join((reason or _human_text(message)).split())[:1000],
    )


def _original_id(message: Message) -> str:
    """The Message-ID of the message returned with a bounce ("" when it is not there)."""
    returned = _find(message, ("message/rfc822", "message/global"))
    if returned is not None:
        payload = returned.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if isinstance(inner, Message):
            ids = message_ids(_header(inner, "Message-ID"))
            if ids:
                return ids[0]
    headers = _find(
        message, ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers")
    )
    if headers is not None:
        fields = HeaderParser().parsestr(charsets.decode(_payload(headers), "utf-8")[0])
        ids = message_ids(charsets.header_text(fields.get("Message-ID")))
        if ids:
            return ids[0]
    found = re.search(
        r"^\s*Message-ID:\s*(<[^<>\s]+>)",
        _all_text(message)[: _BOUNCE_TEXT_CHARS * 4],
        re.MULTILINE | re.IGNORECASE,
    )
    if found:
        return found.group(1)
    # Exchange and Gmail also name the returned message in the report's own In-Reply-To.
    replied = message_ids(_header(message, "In-Reply-To"))
    return replied[0] if replied else ""


def _parts(message: Message, *, into_messages: bool):
    """Every part of ``message`` in order, at most ``_MAX_NESTING`` levels deep."""
    stack = [(message, 0)]
    while stack:
        part, level = stack.pop()
        yield part
        if level >= _MAX_NESTING or not part.is_multipart():
            continue
        if not into_messages and _ctype(part) in ("message/rfc822", "message/global"):
            continue
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        stack.extend((child, level + 1) for child in reversed(children))


def _find(message: Message, types: tuple[str, ...]) -> Message | None:
    """The first part of one of ``types``, not looking inside attached messages."""
    for part in _parts(message, into_messages=False):
        if _ctype(part) in types:
            return part
    return None


def _all_text(message: Message) -> str:
    """Every text/plain part's text, the returned message included (for word-only bounces)."""
    texts = []
    for part in _parts(message, into_messages=True):
        if _ctype(part) in ("text/plain", "text/rfc822-headers") and not part.is_multipart():
            texts.append(charsets.decode(_payload(part), _charset(part))[0])
    return charsets.clean_text("\n".join(texts))


def _human_text(message: Message) -> str:
    first = (
        message.get_payload()[0] if message.is_multipart() and message.get_payload() else message
    )
    if isinstance(first, Message) and _ctype(first) == "text/plain":
        return charsets.decode(_payload(first), _charset(first))[0][:1000]
    return ""
