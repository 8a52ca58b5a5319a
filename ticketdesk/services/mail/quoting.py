"""What the person wrote, apart from the history their client quoted and their signature.

``mail-parser-reply`` finds most reply headers ("On … wrote:", Outlook's "From: … Sent: …"
block, "-----Original Message-----"); our own rules add what it misses in Chinese and
Japanese mail (QQ's "原始邮件" line, 163's "在 … 写道：", full-width colons, Big5 wording)
and a trailing block of "> " lines. HTML bodies become text with ``inscriptis`` after their
``<blockquote>`` history is marked with "> ", and are sanitised with ``nh3`` for display.
"""

import re

import inscriptis
import nh3
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig
from lxml import etree
from lxml import html as lxml_html
from mailparser_reply import EmailMessage as ReplyMessage

from ticketdesk.services.mail.charsets import clean_text

_LANGUAGES = ["en", "zh", "ja", "de", "fr", "es"]
# Longer texts are split by our own rules only (the library's patterns backtrack).
_LIBRARY_MAX_CHARS = 100_000
_LIBRARY_MAX_LINE = 300

_M = re.MULTILINE
# Reply headers the library does not know (or whose pattern fails, like its Chinese one).
_HISTORY = [
    re.compile(
        r"^[ \t>]*-{2,}[ \t]*(?:Original Message|原始邮件|原始郵件|原始信件|原始訊息)"
        r"[ \t]*-{2,}[ \t]*$",
        _M | re.IGNORECASE,
    ),
    re.compile(r"^[ \t>]*(?:在|於|于)[^\n]{4,160}?(?:写道|寫道)[ \t]*[:：][ \t]*$", _M),
    re.compile(
        r"^[ \t>]*\d{4}[ \t]*年[^\n]{0,160}?(?:写道|寫道|書きました|のメッセージ)"
        r"[ \t]*[:：][ \t]*$",
        _M,
    ),
    re.compile(
        r"^[ \t>]*[^\n]{0,160}[\d@][^\n]{0,160}(?:さんは書きました|wrote)[ \t]*[:：][ \t]*$", _M
    ),
    re.compile(
        r"^[ \t>]*\*?(?:发件人|發件人|寄件者|寄件人|差出人|From)\*?[ \t]*[:：][^\n]*\n"
        r"[ \t>]*\*?(?:发送时间|發送時間|寄件日期|日期|时间|時間|送信日時|日時|Sent|Date)"
        r"\*?[ \t]*[:：]",
        _M | re.IGNORECASE,
    ),
    re.compile(
        r"^[ \t>]*_{20,}[ \t]*\n(?=[ \t>]*\*?(?:发件人|發件人|寄件者|From)\*?[ \t]*[:：])",
        _M | re.IGNORECASE,
    ),
]
# Where forwarded mail starts: what follows is what the person sent us, never cut.
_FORWARD = re.compile(
    r"^[ \t]*(?:-{3,}[ \t]*(?:Forwarded message|Forwarded Message|Weitergeleitete Nachricht|"
    r"转发的邮件|轉寄的郵件|转发邮件|轉寄郵件|転送されたメッセージ)[ \t]*-{3,}|"
    r"Begin forwarded message:|"
    r"以下是转发的邮件[:：]?)",
    _M | re.IGNORECASE,
)
FORWARD_SUBJECT = re.compile(
    r"^\s*(?:\[[^\]]*\]\s*)?(?:fwd?|fw|wg|tr|rv|转发|轉寄|転送)\s*[:：]", re.IGNORECASE
)

# Signatures: the "-- " line, and phone clients' one-liners.
_SIGNATURE = [
    re.compile(r"^-- ?$", _M),
    re.compile(
        r"^[ \t]*(?:Sent from my [^\n]{1,40}|Get Outlook for [^\n]{1,40}|"
        r"Sent from Mail for Windows[^\n]{0,20}|"
        r"发自我的[^\n]{1,30}|来自我的[^\n]{1,30}|從我的[^\n]{1,30}傳送|从我的[^\n]{1,30}发送|"
        r"来自网易邮箱大师|发自网易邮箱大师|发自手机QQ邮箱|iPhoneから送信)[ \t]*$",
        _M | re.IGNORECASE,
    ),
]
# A sign-off cut as signature only when short and near the end (never a sentence).
_SIGN_OFF_MAX_CHARS = 40
_SIGNATURE_MAX_LINES = 8


def split_reply(text: str, *, forwarded: bool = False) -> tuple[str, str]:
    """``(what the person wrote, the quoted history and signature cut from it)``.

    Nothing is cut from forwarded mail, nor after a forward marker. When cutting would
    leave nothing (a reply written below the quote), the unquoted lines after the quote
    are the reply; if there are none, nothing is cut.
    """
    # No-break spaces (HTML's &nbsp;, QQ Mail's separator line) match as spaces.
    text = clean_text(text).replace("\xa0", " ").strip("\n")
    if not text.strip():
        return "", ""
    if forwarded:
        return text.strip(), ""
    limit = len(text)
    forward = _FORWARD.search(text)
    if forward:
        limit = forward.start()
    cut = _history_start(text[:limit])
    if cut is None:
        cut = len(text) if forward else _trailing_quote_start(text)
    reply, quoted = text[:cut], text[cut:]
    if not reply.strip():
        return _below_quote(text)
    signature = _signature_start(reply)
    if signature is not None and reply[:signature].strip():
        reply, quoted = reply[:signature], reply[signature:] + quoted
    return reply.strip(), quoted.strip()


def _history_start(text: str) -> int | None:
    starts = [m.start() for pattern in _HISTORY for m in [pattern.search(text)] if m]
    if len(text) > _LIBRARY_MAX_CHARS:
        return min(starts) if starts else None
    try:
        library = ReplyMessage(
            _short_lines(text), languages=list(_LANGUAGES), keep_hyphen_lists=True
        )
        found = library.HEADER_REGEX.search(library.text)
    except Exception:  # noqa: BLE001 - the library's patterns are a help, not a must
        found = None
    if found is not None and _is_reply_header(found.group()):
        # The library strips every line; find the same header line in our text.
        line = found.group().strip().split("\n", 1)[0].strip()
        if line:
            position = text.find(line)
            if position >= 0:
                starts.append(text.rfind("\n", 0, position) + 1)
    return min(starts) if starts else None


_FROM_LINE = re.compile(
    r"^[ \t>*]*(?:From|Von|De|Van|Da|Fra|Från|Od|发件人|發件人|寄件者|寄件人|差出人|보낸\s?사람)"
    r"\*?[ \t]*[:：]",
    re.MULTILINE | re.IGNORECASE,
)


def _is_reply_header(block: str) -> bool:
    """A header the library found is one when it names a sender ("From: …"), ends like
    "… wrote:", or is an "Original Message" line; two lines such as "Date: …" and
    "Subject: …" in a person's own letter are not."""
    ends_like_wrote = any(line.strip().endswith((":", "：")) for line in block.split("\n"))
    return bool(_FROM_LINE.search(block)) or ends_like_wrote or "original message" in block.lower()


def _short_lines(text: str) -> str:
    """``text`` with long lines cut short: reply headers are short, and the library's
    patterns take time that grows steeply with the length of a line."""
    return "\n".join(line[:_LIBRARY_MAX_LINE] for line in text.split("\n"))


def _trailing_quote_start(text: str) -> int:
    """Where a final block of "> " lines (blank lines allowed) starts; len(text) if none."""
    lines = text.split("\n")
    index = len(lines)
    seen_quote = False
    while index > 0:
        line = lines[index - 1].strip()
        if line.startswith(">"):
            seen_quote = True
        elif line:
            break
        index -= 1
    if not seen_quote:
        return len(text)
    return len("\n".join(lines[:index])) + (1 if index else 0)


def _below_quote(text: str) -> tuple[str, str]:
    lines = text.split("\n")
    index = 0
    while index < len(lines) and (
        not lines[index].strip() or lines[index].lstrip().startswith(">") or index == 0
    ):
        index += 1
    below = "\n".join(lines[index:]).strip()
    if below:
        return below, "\n".join(lines[:index]).strip()
    return text.strip(), ""


def _signature_start(reply: str) -> int | None:
    starts = [m.start() for pattern in _SIGNATURE for m in [pattern.search(reply)] if m]
    try:
        if len(reply) > _LIBRARY_MAX_CHARS:
            raise ValueError("too long for the library's patterns")
        library = ReplyMessage(
            _short_lines(reply), languages=list(_LANGUAGES), keep_hyphen_lists=True
        )
        found = library.SIGNATURE_REGEX.search(library.text)
    except Exception:  # noqa: BLE001
        found = None
    if found is not None:
        line = found.group().strip().split("\n", 1)[0].strip()
        position = reply.find(line) if line else -1
        if position > 0 and len(line) <= _SIGN_OFF_MAX_CHARS:
            starts.append(reply.rfind("\n", 0, position) + 1)
    good = []
    for start in starts:
        rest = [ln for ln in reply[start:].split("\n") if ln.strip()]
        if start > 0 and len(rest) <= _SIGNATURE_MAX_LINES:
            good.append(start)
    return min(good) if good else None


# -------------------------------------------------------------------- HTML ---

_TEXT_CONFIG = ParserConfig(css=CSS_PROFILES["strict"], display_images=False, display_links=False)


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body: lists bulleted, tables aligned, history as "> " lines."""
    markup = clean_text(markup)
    if not markup.strip():
        return ""
    try:
        tree = lxml_html.document_fromstring(
            markup.encode("utf-8"), parser=lxml_html.HTMLParser(encoding="utf-8")
        )
    except (etree.ParserError, ValueError):
        return re.sub(r"<[^>]*>", " ", markup).strip()
    for quote in list(tree.iter("blockquote")):
        if any(parent.tag == "blockquote" for parent in quote.iterancestors()):
            continue
        inner = _tree_text(quote).strip("\n")
        marked = "\n".join("> " + line if line.strip() else ">" for line in inner.split("\n"))
        pre = lxml_html.Element("pre")
        pre.text = "\n" + marked + "\n"
        pre.tail = quote.tail
        parent = quote.getparent()
        if parent is not None:
            parent.replace(quote, pre)
    text = "\n".join(line.rstrip() for line in _tree_text(tree).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _tree_text(element) -> str:
    try:
        return inscriptis.Inscriptis(element, _TEXT_CONFIG).get_text()
    except Exception:  # noqa: BLE001 - a tree the converter cannot walk: its bare text
        return " ".join(element.itertext())


_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "font",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "title"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign"},
    "font": {"color"},
    "blockquote": {"type"},
    "ol": {"start"},
}


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Remote images are trackers and leak the reader's address: only the message's own.
    if tag == "img" and attribute == "src" and not value.lower().startswith("cid:"):
        return None
    return value


def sanitise_html(markup: str) -> str:
    """The HTML body safe to show: no scripts, styles, event handlers or remote images."""
    markup = clean_text(markup)
    if not markup.strip():
        return ""
    return nh3.clean(
        markup,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        clean_content_tags={"script", "style", "title", "head"},
        url_schemes={"http", "https", "mailto", "cid"},
    ).strip()
