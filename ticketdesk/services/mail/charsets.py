"""Turning the bytes of received mail into text, whatever the sender's client claimed.

Mail clients mislabel their charsets: Chinese clients write GB18030 or GBK text and call
it GB2312, Taiwanese ones write Big5 with Hong Kong or Microsoft extensions, Japanese
ones put JIS X 0212 characters into ISO-2022-JP, and some send 8-bit text in headers
with no label at all. ``decode`` reads a label as the superset its senders really use
and falls back, never raising, so that a wrong label costs at most some characters.
"""

import base64
import binascii
import codecs
import quopri
import re

# A declared charset read as the codecs its senders really write, tried in order.
_SUPERSETS: dict[str, tuple[str, ...]] = {
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "cp936": ("gb18030",),
    "ms936": ("gb18030",),
    "euc-cn": ("gb18030",),
    "x-gbk": ("gb18030",),
    "x-euc-cn": ("gb18030",),
    "csgb2312": ("gb18030",),
    "chinese": ("gb18030",),
    "gb18030": ("gb18030",),
    "big5": ("big5hkscs", "cp950"),
    "big-5": ("big5hkscs", "cp950"),
    "x-big5": ("big5hkscs", "cp950"),
    "csbig5": ("big5hkscs", "cp950"),
    "cn-big5": ("big5hkscs", "cp950"),
    "big5-hkscs": ("big5hkscs", "cp950"),
    "cp950": ("cp950", "big5hkscs"),
    "iso-2022-jp": ("iso2022_jp", "iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_3"),
    "csiso2022jp": ("iso2022_jp", "iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_3"),
    "iso-2022-jp-2": ("iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_3"),
    "shift_jis": ("cp932", "shift_jis_2004"),
    "shift-jis": ("cp932", "shift_jis_2004"),
    "sjis": ("cp932", "shift_jis_2004"),
    "x-sjis": ("cp932", "shift_jis_2004"),
    "euc-jp": ("euc_jp", "euc_jis_2004"),
    "ks_c_5601-1987": ("cp949",),
    "euc-kr": ("cp949",),
    # WHATWG: these labels mean windows-1252 in practice (8-bit text labelled ASCII).
    "us-ascii": ("utf-8", "windows-1252"),
    "ascii": ("utf-8", "windows-1252"),
    "iso-8859-1": ("windows-1252",),
    "latin1": ("windows-1252",),
    "latin-1": ("windows-1252",),
    "utf8": ("utf-8",),
    "unicode-1-1-utf-7": ("utf-7",),
}

_LAST_RESORT = "windows-1252"


def candidates(label: str | None) -> list[str]:
    """The codecs to try for text labelled ``label``: the label's supersets, then UTF-8."""
    name = (label or "").strip().strip("\"'").lower()
    if not re.fullmatch(r"[a-z0-9_.:+-]{1,40}", name):
        name = ""
    tried: list[str] = []
    for codec in _SUPERSETS.get(name, (name,) if name else ()):
        try:
            codecs.lookup(codec)
        except (LookupError, ValueError):
            continue
        if codec not in tried:
            tried.append(codec)
    if "utf-8" not in tried and "utf_8" not in tried:
        tried.append("utf-8")
    return tried


def decode(data: bytes, label: str | None) -> tuple[str, bool]:
    """``data`` as text, and whether a fallback had to be used (the label was wrong).

    The declared charset (read as its superset) comes first, then UTF-8, then GB18030 for
    text that is neither (unlabelled Chinese mail), then windows-1252 with replacement
    characters for whatever bytes are left, so this never raises.
    """
    tried = candidates(label)
    for index, codec in enumerate(tried):
        try:
            return data.decode(codec), index > 0 and bool(label)
        except (UnicodeDecodeError, LookupError):
            continue
    for codec in ("gb18030", _LAST_RESORT):
        if codec in tried:
            continue
        try:
            if codec == "gb18030" and not _looks_like_gb(data):
                continue
            return data.decode(codec), True
        except UnicodeDecodeError:
            continue
    return data.decode(_LAST_RESORT, "replace"), True


def _looks_like_gb(data: bytes) -> bool:
    """Most high bytes pair into GB lead/trail bytes (so Latin text is not read as Chinese)."""
    high = sum(1 for b in data if b >= 0x81)
    if high < 4:
        return False
    pairs = len(re.findall(rb"[\xb0-\xf7][\xa1-\xfe]", data))
    return pairs * 2 >= high * 0.8


# ----------------------------------------------------------------- headers ---

_ENCODED_WORD = re.compile(
    r"=\?(?P<charset>[^?\s*]+)(?:\*[^?\s]*)?\?(?P<encoding>[bBqQ])\?(?P<text>[^?\s]*)\?="
)
_BETWEEN_WORDS = re.compile(r"^[ \t\r\n]+$")


def _decode_word(encoding: str, text: str) -> bytes | None:
    if encoding in "bB":
        compact = re.sub(r"[^A-Za-z0-9+/=_-]", "", text).rstrip("=")
        compact = compact.replace("-", "+").replace("_", "/")
        padded = compact + "=" * (-len(compact) % 4)
        try:
            return base64.b64decode(padded)
        except (binascii.Error, ValueError):
            try:  # one stray character too many: drop it rather than the word
                return base64.b64decode(compact[: len(compact) // 4 * 4])
            except (binascii.Error, ValueError):
                return None
    return quopri.decodestring(text.replace("_", " ").encode("ascii", "replace"), header=False)


def header_text(value: str | bytes | None) -> str:
    """A header's text: encoded words (RFC 2047) decoded, also when they are broken.

    Accepts raw 8-bit headers (sent without encoding, read as UTF-8 or GB18030), encoded
    words inside quotes or glued to other text, base64 without padding, a multibyte
    character split across two encoded words, and unknown charsets (read as UTF-8).
    The result is unfolded onto one line.
    """
    if value is None:
        return ""
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
    text, _ = decode(raw, "utf-8")
    pieces: list[str] = []
    # Adjacent words of one charset: (label, decoded bytes, base64 text or "").
    pending: list[tuple[str, bytes, str]] = []
    last_end = 0

    def flush() -> None:
        if not pending:
            return
        label = pending[0][0]
        joined = b"".join(data for _, data, _ in pending)
        if len(pending) > 1 and all(b64 for _, _, b64 in pending) and not _decodes(joined, label):
            # A base64 text split in the middle of a quantum: decode it as one.
            whole = _decode_word("B", "".join(b64.rstrip("=") for _, _, b64 in pending))
            if whole is not None and _decodes(whole, label):
                joined = whole
        pieces.append(decode(joined, label)[0])
        pending.clear()

    for match in _ENCODED_WORD.finditer(text):
        between = text[last_end : match.start()]
        data = _decode_word(match["encoding"], match["text"])
        if data is None:
            continue
        label = match["charset"].lower()
        adjacent = bool(pending) and (between == "" or bool(_BETWEEN_WORDS.match(between)))
        b64 = match["text"] if match["encoding"] in "bB" else ""
        if adjacent and pending[0][0] == label:
            pending.append((label, data, b64))
        else:
            flush()
            if not adjacent:  # white space between two encoded words is not text
                pieces.append(between)
            pending.append((label, data, b64))
        last_end = match.end()
    flush()
    pieces.append(text[last_end:])
    return clean_text(" ".join("".join(pieces).split()))


def _decodes(data: bytes, label: str) -> bool:
    for codec in candidates(label)[:-1] or ["utf-8"]:
        try:
            data.decode(codec)
            return True
        except (UnicodeDecodeError, LookupError):
            continue
    return False


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Text the database can store: no NUL or other C0 controls (tab and newlines stay)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
