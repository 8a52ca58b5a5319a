"""Reading received mail: every corpus message against its manifest entry, the charset
and header rules as tables, and a fuzz test on mangled corpus bytes."""

import base64
import contextlib
import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketdesk.services.mail import charsets, quoting
from ticketdesk.services.mail.parse import ParsedMail, UnreadableMail, message_ids, parse, unflow

CORPUS = Path(__file__).parent / "mail_corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["messages"]
OUTCOMES = {"new_ticket", "reply", "bounce", "ignored_automatic", "held"}


def _read(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def test_the_corpus_is_large_and_every_file_has_one_entry():
    files = sorted(p.name for p in CORPUS.glob("*.eml"))
    entries = sorted(e["file"] for e in MANIFEST)
    assert files == entries
    assert len(files) >= 45
    for entry in MANIFEST:
        assert entry["outcome"] in OUTCOMES, entry["file"]
        assert isinstance(entry["acknowledge"], bool)
        assert isinstance(entry["refused_files"], list)


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
def test_corpus_message_reads_as_the_manifest_says(entry):
    raw = _read(entry["file"])
    if entry.get("unreadable"):
        with pytest.raises(UnreadableMail):
            parse(raw)
        return
    mail = parse(raw)
    assert mail.sender == entry["sender"]
    if "sender_name" in entry:
        assert mail.sender_name == entry["sender_name"]
    assert mail.subject == entry["subject"]
    assert mail.message_id == entry["message_id"]
    assert list(mail.in_reply_to) == entry["in_reply_to"]
    assert mail.text.startswith(entry["text_starts"]), mail.text[:200]
    for part in entry["text_contains"]:
        assert part in mail.text
    for part in entry["text_excludes"]:
        assert part not in mail.text
    assert bool(mail.quoted) == entry["quoted"], mail.quoted
    for part in entry["quoted_contains"]:
        assert part in mail.quoted
    assert bool(mail.html) == entry["html"]
    for part in entry.get("html_contains", ()):
        assert part in mail.html
    for part in entry.get("html_excludes", ()):
        assert part not in mail.html
    assert [
        {
            "name": f.filename,
            "type": f.content_type,
            "inline": f.inline,
            **({"content_id": f.content_id} if "content_id" in e else {}),
        }
        for f, e in zip(mail.files, entry["files"], strict=False)
    ] == entry["files"]
    assert len(mail.files) == len(entry["files"])
    assert all(f.data for f in mail.files)
    assert bool(mail.automated) == entry["automated"], mail.automated
    if entry["bounce"] is None:
        assert mail.bounce is None
    else:
        assert mail.bounce is not None
        assert mail.bounce.original_message_id == entry["bounce"]["original_message_id"]
        assert mail.bounce.recipient == entry["bounce"]["recipient"]
        assert mail.bounce.status == entry["bounce"]["status"]
        assert entry["bounce"]["reason_contains"] in mail.bounce.reason
    if "language" in entry:
        assert mail.language == entry["language"]
    if "forwarded" in entry:
        assert mail.forwarded == entry["forwarded"]
    if "date" in entry:
        assert mail.date == entry["date"]
    else:
        assert mail.date is not None and mail.date.tzinfo is not None
    for value in (mail.text, mail.quoted, mail.subject, mail.sender_name, mail.html):
        assert "\x00" not in value and "\ufffd" not in value


def test_a_message_delivered_twice_reads_the_same():
    first, second = (
        parse(_read("duplicate_delivery_a.eml")),
        parse(_read("duplicate_delivery_b.eml")),
    )
    assert first.message_id == second.message_id != ""
    assert (first.text, first.sender, first.subject) == (second.text, second.sender, second.subject)


# --------------------------------------------------------------- charsets ---


@pytest.mark.parametrize(
    "text, label, codec",
    [
        ("王喆 𠮷祥 镕", "gb2312", "gb18030"),  # GB2312 label, GB18030 text
        ("朱镕基", "GB2312", "gbk"),
        ("朱镕基 䶮", "gbk", "gb18030"),
        ("我們 裏 €35", "big5", "cp950"),  # Microsoft's Big5 (cp950)
        ("陳嘉峯 冇聲", "big5", "big5hkscs"),  # Hong Kong's Big5 (HKSCS)
        ("ﾘﾓｺﾝ 加湿器", "iso-2022-jp", "iso2022_jp_ext"),
        ("Café £25", "utf-8", "windows-1252"),  # wrong label: falls back
        ("Café £25", "us-ascii", "windows-1252"),
        ("Crème brûlée", "x-unknown-charset", "utf-8"),
        ("电饭煲无法通电，请尽快处理", None, "gb18030"),  # unlabelled Chinese
        ("plain ascii", None, "ascii"),
    ],
)
def test_charset_labels_are_read_as_what_clients_really_send(text, label, codec):
    decoded, _ = charsets.decode(text.encode(codec), label)
    assert decoded == text


@given(
    st.binary(max_size=300),
    st.sampled_from(
        ["utf-8", "gb2312", "big5", "iso-2022-jp", "x-bogus", "", "us-ascii", "shift_jis"]
    ),
)
@settings(max_examples=100, deadline=None)
def test_decoding_never_raises_and_round_trips_valid_utf8(data, label):
    text, _ = charsets.decode(data, label or None)
    assert isinstance(text, str)
    if label == "utf-8":
        with contextlib.suppress(UnicodeDecodeError):  # not UTF-8 at all: nothing to compare
            assert text == data.decode("utf-8")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("=?gb2312?B?xOO6wyDKwL3n?=", "你好 世界"),
        (
            "Re: =?UTF-8?B?5oiR55qE6K6i5Y2V?= =?UTF-8?B?5rKh5pyJ5pS25Yiw?= [TD-000123]",
            "Re: 我的订单没有收到 [TD-000123]",
        ),
        # a character split across two words (bytes joined before decoding)
        ("=?utf-8?B?6YCA?= =?utf-8?B?5qy+?=", "退款"),
        ("=?utf-8?B?6Y?= =?utf-8?B?CA5qy+?=", "退款"),
        ('"=?utf-8?q?Jos=C3=A9_Garc=C3=ADa?="', '"José García"'),
        ("=?utf-8?B?RnJhbsOnb2lzIER1cG9udA?=", "François Dupont"),  # no padding
        ("=?x-unknown?Q?caf=C3=A9?= ok", "café ok"),  # unknown charset
        ("abc=?utf-8?Q?=C3=A9?=def", "abcédef"),  # glued to text
        ("=?utf-8?B?5oiR55qE?", "=?utf-8?B?5oiR55qE?"),  # unterminated: kept
        (
            "=?ISO-2022-JP?B?"
            + base64.b64encode("加湿器が動きません".encode("iso2022_jp")).decode()
            + "?=",
            "加湿器が動きません",
        ),
        ("one\r\n two\r\n\tthree", "one two three"),
        ("nul\x00 inside", "nul inside"),
    ],
)
def test_encoded_words_are_decoded_even_when_broken(raw, expected):
    assert charsets.header_text(raw) == expected


def test_raw_8bit_header_bytes_are_read_as_utf8_or_gb18030():
    assert charsets.header_text("我的订单".encode("gbk")) == "我的订单"
    assert charsets.header_text("Zoë".encode()) == "Zoë"


@pytest.mark.parametrize(
    "value, ids",
    [
        ("<a@b>", ("<a@b>",)),
        ("<a@b> <c@d>\r\n <e@f>", ("<a@b>", "<c@d>", "<e@f>")),
        ("a@b.example", ("<a@b.example>",)),  # brackets forgotten by the client
        ("no id here", ()),
        ("", ()),
    ],
)
def test_message_ids(value, ids):
    assert message_ids(value) == ids


@pytest.mark.parametrize(
    "flowed, delsp, text",
    [
        ("one \ntwo", False, "one two"),
        ("one \ntwo", True, "onetwo"),
        ("hard\nbreak", False, "hard\nbreak"),
        ("> quoted \n> line\n>> deeper", False, "> quoted line\n>> deeper"),
        ("end of depth 1 \n>> depth 2", False, "end of depth 1\n>> depth 2"),
        ("text\n-- \nsignature", False, "text\n-- \nsignature"),
        (" From stuffed", False, "From stuffed"),
    ],
)
def test_format_flowed_lines_are_joined(flowed, delsp, text):
    assert unflow(flowed, delsp=delsp) == text


# ---------------------------------------------------------------- quoting ---


@pytest.mark.parametrize(
    "body, text, quoted_part",
    [
        (
            "Fine.\n\nOn Tue, 1 Dec 2026 at 10:02, Desk <d@x.example> wrote:\n> old\n",
            "Fine.",
            "> old",
        ),
        (
            "Fine.\n\nOn Tue, Dec 1, 2026 at 10:02 AM Desk <\nd@x.example> wrote:\n\n> old\n",
            "Fine.",
            "> old",
        ),
        ("Fine.\n\n-----Original Message-----\nFrom: Desk\nSent: Tuesday\n\nold", "Fine.", "old"),
        (
            "Fine.\n\n________________________________\nFrom: Desk <d@x.example>\n"
            "Sent: Tuesday\nTo: A\nSubject: RE: x\n\nold",
            "Fine.",
            "old",
        ),
        (
            "好的。\n\n发件人: Desk <d@x.example>\n发送时间: 2026年12月1日 10:02\n"
            "收件人: 张伟\n主题: 回复\n\n旧",
            "好的。",
            "旧",
        ),
        (
            "好的。\n\n发件人： Desk\n发送时间： 2026年12月1日 10:02\n收件人： 张伟\n\n旧",
            "好的。",
            "旧",
        ),
        (
            "收到。\n\n------------------ 原始邮件 ------------------\n"
            '发件人: "Desk"<d@x.example>;\n\n旧',
            "收到。",
            "原始邮件",
        ),
        (
            "收到。\n\n------------------\xa0原始邮件\xa0------------------\n发件人: x\n\n旧",
            "收到。",
            "旧",
        ),
        (
            '还是没有。\n\n在 2026-12-01 10:02:11，"Desk" <d@x.example> 写道：\n>您好\n',
            "还是没有。",
            ">您好",
        ),
        ("好\n\n2026年12月1日 10:02，Desk <d@x.example> 写道：\n> 旧\n", "好", "> 旧"),
        ("好\n\n於 2026年12月1日 上午10:02，Desk <d@x.example> 寫道：\n> 舊\n", "好", "> 舊"),
        ("了解。\n\n2026年12月1日(火) 10:02 Desk <d@x.example>:\n> 旧\n", "了解。", "> 旧"),
        (
            "Kaputt.\n\nAm 01.12.2026 um 10:02 schrieb Desk <d@x.example>:\n> alt",
            "Kaputt.",
            "> alt",
        ),
        (
            "Cassé.\n\nLe mar. 1 déc. 2026 à 10:02, Desk <d@x.example> a écrit :\n> vieux",
            "Cassé.",
            "> vieux",
        ),
        ("Answer.\n\n> a quoted line\n> another\n", "Answer.", "> another"),
        # a reply written below the quote
        (
            "On 02/12/2026 10:15, Desk wrote:\n> question?\n\nThe answer.\n",
            "The answer.",
            "question?",
        ),
        # signatures: "-- ", phone footers, short sign-offs near the end
        ("Broken again.\n\n-- \nAnna Smith\nAcme Ltd", "Broken again.", "Acme Ltd"),
        ("Broken again.\n\nSent from my iPhone", "Broken again.", "iPhone"),
        ("坏了。\n\n发自我的iPhone", "坏了。", "iPhone"),
        ("Broken again.\n\nThanks,\nAnna", "Broken again.", "Anna"),
        ("坏了，请尽快处理。\n\n此致，\n张伟", "坏了，请尽快处理。", "张伟"),
    ],
)
def test_quoted_history_and_signatures_are_cut(body, text, quoted_part):
    got_text, got_quoted = quoting.split_reply(body)
    assert got_text == text
    assert quoted_part in got_quoted


@pytest.mark.parametrize(
    "body",
    [
        # what the person wrote is kept whole
        "Thanks, but the replacement was broken too.\nIt arrived yesterday.",
        "Items missing:\n- lamp\n- chair\n- table",
        "The manager wrote:\nwe cannot help you.\nThat is not acceptable.",
        "Dear team,\n\nDate: 1 December 2026\nSubject: my refund\n\nI am still waiting for it.",
        "To: the manager\nCc: my lawyer\n\nThis is my third complaint.",
        "No history here at all.",
        # inline forwards are what was sent
        "See below.\n\n---------- Forwarded message ---------\nFrom: Shop <s@shop.example>\n"
        "Date: Tue, 1 Dec 2026\nSubject: Order\nTo: <a@example.com>\n\nShipped.",
        "Look:\n\nBegin forwarded message:\n\n"
        "From: Shop <s@shop.example>\nSubject: Order\nDate: 1 Dec\n\nShipped.",
        # a long text ending in a sign-off block longer than a signature
        "Long story.\n\nThanks,\n" + "\n".join(f"line {n} of what happened" for n in range(12)),
    ],
)
def test_what_the_person_wrote_is_not_cut(body):
    text, quoted = quoting.split_reply(body)
    assert text == body.strip() and quoted == ""


def test_a_forward_subject_keeps_everything():
    body = "请查一下。\n\n------------------ 原始邮件 ------------------\n发件人: x\n\n签收了"
    assert quoting.split_reply(body, forwarded=True) == (body, "")


@pytest.mark.parametrize(
    "subject, forward",
    [
        ("Fwd: order", True),
        ("FW: order", True),
        ("WG: Bestellung", True),
        ("TR: commande", True),
        ("RV: pedido", True),
        ("转发：快递", True),
        ("轉寄: 包裹", True),
        ("[EXT] Fwd: x", True),
        ("Re: order", False),
        ("Forward planning", False),
        ("Trouble: order", False),
        ("", False),
    ],
)
def test_which_subjects_mark_a_forward(subject, forward):
    assert bool(quoting.FORWARD_SUBJECT.match(subject)) is forward


@pytest.mark.parametrize(
    "markup, expected",
    [
        ("<ul><li>late</li><li>broken</li></ul>", "* late\n  * broken"),
        (
            "<table><tr><td>A-1</td><td>12.50</td></tr><tr><td>A-22</td><td>3.00</td></tr></table>",
            "A-1",
        ),
        ("<div>Hello,<br>line two<br><br>new</div>", "Hello,\nline two\n\nnew"),
        ("<p>Answer.</p><blockquote><p>old</p></blockquote>", "Answer.\n\n> old"),
        (
            "<style>p{color:red}</style><script>alert(1)</script><p>Body &amp; more</p>",
            "Body & more",
        ),
        ("", ""),
    ],
)
def test_html_becomes_readable_text(markup, expected):
    assert expected in quoting.html_to_text(markup)


@pytest.mark.parametrize(
    "markup, kept, removed",
    [
        ('<p onclick="x()">Hi</p><script>alert(1)</script>', "<p>Hi</p>", "script"),
        ('<a href="javascript:alert(1)">x</a>', ">x</a>", "javascript"),
        (
            '<img src="https://t.example/p.gif"><img src="cid:img1@x">',
            'src="cid:img1@x"',
            "t.example",
        ),
        ("<style>body{}</style><b>bold</b>", "<b>bold</b>", "body{}"),
        (
            '<a href="https://shop.example/o/1">order</a>',
            'rel="noopener noreferrer"',
            "onmouseover",
        ),
    ],
)
def test_html_is_sanitised_for_display(markup, kept, removed):
    clean = quoting.sanitise_html(markup)
    assert kept in clean and removed not in clean


# -------------------------------------------------------------- automated ---


def _message(headers: str, body: str = "Hello.") -> bytes:
    return (
        headers.strip("\n")
        + "\nMessage-ID: <m1@example.com>\nDate: Tue, 1 Dec 2026 10:00:00 +0000\n"
        "\n" + body + "\n"
    ).encode()


@pytest.mark.parametrize(
    "headers, reason",
    [
        ("From: a@example.com\nSubject: hi\nAuto-Submitted: auto-replied", "Auto-Submitted"),
        (
            "From: a@example.com\nSubject: hi\nAuto-Submitted: auto-generated; owner=x",
            "Auto-Submitted",
        ),
        ("From: a@example.com\nSubject: hi\nPrecedence: bulk", "Precedence: bulk"),
        ("From: a@example.com\nSubject: hi\nPrecedence: junk", "Precedence: junk"),
        ("From: a@example.com\nSubject: hi\nPrecedence: list", "Precedence: list"),
        ("From: a@example.com\nSubject: hi\nX-Autoreply: yes", "X-Autoreply"),
        ("From: a@example.com\nSubject: hi\nX-Autorespond: yes", "X-Autorespond"),
        ("From: a@example.com\nSubject: hi\nList-Id: <users.lists.example.org>", "mailing list"),
        ("From: MAILER-DAEMON@mx.example.com\nSubject: hi", "sent by mailer-daemon@mx.example.com"),
        ("From: postmaster@example.com\nSubject: hi", "sent by postmaster@example.com"),
        ("From: a@example.com\nReturn-Path: <>\nSubject: hi", "empty Return-Path"),
        (
            "From: a@example.com\nSubject: Out of Office: hi\nX-Auto-Response-Suppress: All",
            "out-of-office subject",
        ),
        (
            "From: a@example.com\nSubject: 自动回复：hi\nX-Auto-Response-Suppress: OOF",
            "out-of-office subject",
        ),
        ("From: noreply@example.com\nSubject: Automatic reply: your message", "no-reply sender"),
    ],
)
def test_automated_messages_are_recognised(headers, reason):
    assert reason in parse(_message(headers)).automated


@pytest.mark.parametrize(
    "headers",
    [
        "From: a@example.com\nSubject: hi\nAuto-Submitted: no",
        "From: a@example.com\nSubject: Out of office all last week, now the fridge broke",
        "From: a@example.com\nSubject: 我休假回来了，冰箱坏了",
        "From: a@example.com\nSubject: hi\nX-Auto-Response-Suppress: All",
        "From: noreply@example.com\nSubject: hi",
        "From: a@example.com\nSubject: hi\nPrecedence: first-class",
        "From: a@example.com\nSubject: hi\nX-Autoreply: no",
    ],
)
def test_a_person_s_message_is_not_automated(headers):
    assert parse(_message(headers)).automated == ""


# ---------------------------------------------------------------- parsing ---


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \r\n  ",
        b"\x00\x01\x02\x03binary",
        b"just some words\n",
        b'{"json": true}\n',
        b"\x89PNG\r\n\x1a\n\x00\x00",
    ],
)
def test_bytes_that_are_no_message_are_unreadable(raw):
    with pytest.raises(UnreadableMail):
        parse(raw)


@pytest.mark.parametrize(
    "raw, check",
    [
        (b"Subject: no sender\n\nbody\n", lambda m: m.sender == "" and "MissingFrom" in m.defects),
        (
            b"From: a@example.com\n\nbody\n",
            lambda m: m.message_id == "" and "MissingMessageId" in m.defects,
        ),
        (
            b"From: a@example.com\nDate: 99 Foo 2026\n\nx\n",
            lambda m: m.date is None and "BadDate" in m.defects,
        ),
        (
            b"From: a@example.com\nDate: Tue, 1 Dec 2026 10:00:00 -0000\n\nx\n",
            lambda m: m.date is not None and m.date.tzinfo is not None,
        ),
        (b"From: Anna\n\nx\n", lambda m: m.sender == ""),
        (
            b'From: "Wang, Wei" <WANG.Wei@Example.CN>\n\nx\n',
            lambda m: (m.sender, m.sender_name) == ("wang.wei@example.cn", "Wang, Wei"),
        ),
        (
            b"From: =?utf-8?B?546L5LyfLCDlvKA=?= <w@example.cn>\n\nx\n",
            lambda m: (m.sender, m.sender_name) == ("w@example.cn", "王伟, 张"),
        ),
        (b"Sender: s@example.com\n\nx\n", lambda m: m.sender == "s@example.com"),
        (
            b"From: a@example.com\nSubject: a\x00b\n\nNUL\x00here\n",
            lambda m: m.subject == "ab" and m.text == "NULhere",
        ),
        (
            b"From: a@example.com\nContent-Type: multipart/mixed; boundary=x\n\n"
            b"--x\nContent-Type: text/plain\n\nhi\n",
            lambda m: m.text == "hi",
        ),
        (
            b"From: a@example.com\nContent-Transfer-Encoding: base64\n\n!!!not base64!!!\n",
            lambda m: True,
        ),
        (
            b"From: a@example.com\nReply-To: b@example.com, c@example.com\n\nx\n",
            lambda m: m.reply_to == ("b@example.com", "c@example.com"),
        ),
    ],
)
def test_malformed_messages_never_crash(raw, check):
    assert check(parse(raw))


def test_a_forward_of_a_forward_is_read_to_a_limited_depth():
    inner = b"From: shop@example.com\nSubject: level\n\nthe original\n"
    for level in range(6):
        inner = (
            b"From: a@example.com\nSubject: Fwd: level "
            + str(level).encode()
            + b"\nContent-Type: multipart/mixed; boundary=b"
            + str(level).encode()
            + b"\n\n--b"
            + str(level).encode()
            + b"\nContent-Type: text/plain\n\nsee attached\n--b"
            + str(level).encode()
            + b"\nContent-Type: message/rfc822\n\n"
            + inner
            + b"\n--b"
            + str(level).encode()
            + b"--\n"
        )
    mail = parse(inner)
    assert mail.files[0].content_type == "message/rfc822"
    assert mail.text.count("Forwarded message") == 3


# -------------------------------------------------------------------- fuzz ---

_FUZZ_SOURCES = sorted(e["file"] for e in MANIFEST if not e.get("unreadable"))


@given(st.sampled_from(_FUZZ_SOURCES), st.data())
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_mangled_corpus_bytes_never_raise_anything_but_unreadable(name, data):
    raw = bytearray(_read(name))
    for _ in range(data.draw(st.integers(1, 12))):
        position = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate", "nul"]))
        if action == "flip":
            raw[position] = data.draw(st.integers(0, 255))
        elif action == "delete":
            del raw[position : position + data.draw(st.integers(1, 40))]
        elif action == "insert":
            raw[position:position] = data.draw(st.binary(min_size=1, max_size=20))
        elif action == "truncate":
            del raw[max(position, 1) :]
        else:
            raw[position:position] = b"\x00"
        if not raw:
            raw = bytearray(b"x")
    try:
        mail = parse(bytes(raw))
    except UnreadableMail:
        return
    assert isinstance(mail, ParsedMail)
    for value in (mail.text, mail.quoted, mail.subject, mail.sender, mail.sender_name, mail.html):
        assert isinstance(value, str) and "\x00" not in value


@given(st.sampled_from(_FUZZ_SOURCES), st.binary(min_size=1, max_size=200), st.integers(0, 10_000))
@settings(max_examples=50, deadline=None)
def test_garbage_in_the_body_still_reads_the_headers(name, garbage, where):
    raw = _read(name)
    split = raw.find(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.find(b"\n\n")
    head, body = raw[:split], raw[split:]
    where = min(where, len(body))
    mail = parse(head + body[:where] + garbage + body[where:])
    entry = next(e for e in MANIFEST if e["file"] == name)
    assert mail.sender == entry["sender"]
    assert mail.message_id == entry["message_id"]


@pytest.mark.parametrize(
    "body",
    [
        "Hi\n" + "On a long line without the closing word " * 2000,  # backtracking trap
        "Hi\n" + ("On " + "a" * 296 + "\n") * 300,
        "Hi\n" + "From: a\nTo: b\n" * 6000,
    ],
)
def test_long_adversarial_text_is_split_in_reasonable_time(body):
    started = time.monotonic()
    quoting.split_reply(body)
    assert time.monotonic() - started < 10


# ------------------------------------------- with the desk's rules and database ---


class _Upload:
    """A received file offered to the attachment rules the web form uses."""

    def __init__(self, mail_file):
        self.filename = mail_file.filename
        self._data = mail_file.data

    def read(self, size=-1):
        return self._data if size is None or size < 0 else self._data[:size]


_WITH_FILES = [e for e in MANIFEST if e["files"] and e["outcome"] in ("new_ticket", "reply")]


@pytest.mark.parametrize("entry", _WITH_FILES, ids=[e["file"] for e in _WITH_FILES])
def test_the_refused_files_are_those_the_attachment_rules_refuse(app, entry):
    from ticketdesk.core.errors import DomainError
    from ticketdesk.services.tickets import attachments

    mail = parse(_read(entry["file"]))
    refused = []
    with app.app_context():
        app.config.update(entry.get("config", {}))
        for mail_file in mail.files:
            try:
                attachments.check_uploads([_Upload(mail_file)])
            except DomainError:
                refused.append(mail_file.filename)
    assert refused == entry["refused_files"]


def test_every_corpus_message_is_stored_once_with_what_was_read(ctx, now):
    from ticketdesk.models import InboundSource
    from ticketdesk.services.mail import inbound

    stored_ids = {}
    for entry in MANIFEST:
        raw = _read(entry["file"])
        stored = inbound.store(raw, source=InboundSource.PIPE, now=now)
        assert stored.created is ("duplicate_of" not in entry), entry["file"]
        if "duplicate_of" in entry:
            assert stored.mail.id == stored_ids[entry["duplicate_of"]]
        stored_ids[entry["file"]] = stored.mail.id
        again = inbound.store(raw, source=InboundSource.IMAP, now=now)
        assert (again.created, again.mail.id) == (False, stored.mail.id)
        if not entry.get("unreadable"):
            assert (stored.mail.sender, stored.mail.message_id, stored.mail.subject) == (
                entry["sender"],
                entry["message_id"],
                entry["subject"],
            )
        assert stored.mail.raw == (
            raw if "duplicate_of" not in entry else _read(entry["duplicate_of"])
        )


def _nested(depth: int) -> bytes:
    opening = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(depth)
    )
    closing = b"".join(b"--b%d--\n" % i for i in reversed(range(depth)))
    return (
        b"From: a@example.com\nSubject: deep\nMIME-Version: 1.0\n"
        + opening
        + b"Content-Type: text/plain\n\nhello\n"
        + closing
    )


@pytest.mark.parametrize(
    "depth, readable", [(5, True), (39, True), (60, False), (900, False), (3000, False)]
)
def test_deeply_nested_parts_are_followed_to_a_limit(depth, readable):
    try:
        mail = parse(_nested(depth))
    except UnreadableMail:
        assert depth > 1000  # the standard parser itself gives up
        return
    assert (mail.text == "hello") is readable
    assert ("TooDeeplyNested" in mail.defects) is not readable


def _report(fields: str, *, returned: str = "", headers: str = "") -> bytes:
    parts = [
        "--R\nContent-Type: text/plain\n\nDelivery report.\n",
        "--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        + fields,
    ]
    if returned:
        parts.append("--R\nContent-Type: message/rfc822\n\n" + returned)
    if headers:
        parts.append("--R\nContent-Type: text/rfc822-headers\n\n" + headers)
    return (
        "From: MAILER-DAEMON@mx.example.net\nSubject: Delivery report\n"
        "Message-ID: <r@mx.example.net>\nIn-Reply-To: <sent.9@desk.example>\nMIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=R\n\n"
        + "\n".join(parts)
        + "\n--R--\n"
    ).encode()


_FAILED = (
    "Final-Recipient: rfc822; gone@example.com\nAction: failed\nStatus: 5.1.1\n"
    "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n"
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (
            _report(_FAILED, returned="Message-ID: <sent.1@desk.example>\nSubject: x\n\nbody\n"),
            ("<sent.1@desk.example>", "gone@example.com", "5.1.1", "550 5.1.1 User unknown"),
        ),
        (
            _report(_FAILED, headers="Message-ID: <sent.2@desk.example>\nSubject: x\n"),
            ("<sent.2@desk.example>", "gone@example.com", "5.1.1", "550 5.1.1 User unknown"),
        ),
        # nothing returned: the report's own In-Reply-To
        (
            _report(_FAILED),
            ("<sent.9@desk.example>", "gone@example.com", "5.1.1", "550 5.1.1 User unknown"),
        ),
        # no Action, a permanent status; only Original-Recipient; a folded diagnostic
        (
            _report(
                "Original-Recipient: rfc822;Old@Example.com\nStatus: 5.2.2\n"
                "Diagnostic-Code: smtp; 552 5.2.2 Mailbox\n full\n"
            ),
            ("<sent.9@desk.example>", "old@example.com", "5.2.2", "552 5.2.2 Mailbox full"),
        ),
        # the first failed recipient of several
        (
            _report(
                "Final-Recipient: rfc822; ok@example.com\nAction: delivered\nStatus: 2.0.0\n\n"
                + _FAILED
            ),
            ("<sent.9@desk.example>", "gone@example.com", "5.1.1", "550 5.1.1 User unknown"),
        ),
        # no failure: delayed, delivered, relayed, expanded
        (
            _report("Final-Recipient: rfc822; slow@example.com\nAction: delayed\nStatus: 4.4.1\n"),
            None,
        ),
        (
            _report("Final-Recipient: rfc822; ok@example.com\nAction: delivered\nStatus: 2.0.0\n"),
            None,
        ),
        (
            _report("Final-Recipient: rfc822; ok@example.com\nAction: relayed\nStatus: 2.0.0\n"),
            None,
        ),
        (
            _report("Final-Recipient: rfc822; ok@example.com\nAction: expanded\nStatus: 2.0.0\n"),
            None,
        ),
        # word-only bounces
        (
            b"From: MAILER-DAEMON@old.example.com\nReturn-Path: <>\nSubject: failure notice\n\n"
            b"Hi. This is the qmail-send program at old.example.com.\n"
            b"I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
            b"<x@old.example.com>:\nRemote host said: 550 5.1.1 No such user\n\n"
            b"--- Below this line is a copy of the message.\n\nMessage-ID: <sent.3@desk.example>\n",
            (
                "<sent.3@desk.example>",
                "x@old.example.com",
                "5.1.1",
                "Remote host said: 550 5.1.1 No such user",
            ),
        ),
        (
            b"From: postmaster@corp.example.com\nSubject: Undeliverable: hello\n"
            b"X-Failed-Recipients: y@corp.example.com\n\n"
            b"Delivery has failed to these recipients.\n550 Requested action not taken\n",
            ("", "y@corp.example.com", "5.0.0", "550 Requested action not taken"),
        ),
        # a person's message about a failed delivery is no bounce
        (
            b"From: anna@example.com\nSubject: Undeliverable parcel\n\n"
            b"My parcel was undeliverable, 550 km away.\n",
            None,
        ),
        (
            b"From: MAILER-DAEMON@mx.example.net\n"
            b"Subject: Your mailbox is almost full\n\nWarning only.\n",
            None,
        ),
    ],
)
def test_bounces_are_read_from_reports_and_words(raw, expected):
    bounce = parse(raw).bounce
    if expected is None:
        assert bounce is None
    else:
        assert (
            bounce.original_message_id,
            bounce.recipient,
            bounce.status,
            bounce.reason,
        ) == expected


# ------------------------------------------------------- round-trip properties ---

_ALPHABET = st.sampled_from(
    list(
        "abcdefghijklmnopqrstuvwxyzABCDEFG0123456789 .,!?()éüñçß€£"
        "退款订单没有收到请尽快处理谢谢們裏峯碁喆镕𠮷加湿器が動きませんﾘﾓｺﾝ"
    )
)
_WORDS = st.lists(
    st.text(_ALPHABET, min_size=1, max_size=30).map(str.strip).filter(bool), min_size=1, max_size=6
)


def _label_and_codec(text):
    """A charset a client would label ``text`` with, and the codec it really writes."""
    choices = [
        ("utf-8", "utf-8"),
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("gb18030", "gb18030"),
        ("big5", "big5hkscs"),
        ("big5", "cp950"),
        ("iso-2022-jp", "iso2022_jp_ext"),
        ("iso-8859-1", "windows-1252"),
        ("shift_jis", "cp932"),
    ]
    usable = []
    for label, codec in choices:
        try:
            text.encode(codec)
        except UnicodeEncodeError:
            continue
        usable.append((label, codec))
    return usable


@given(_WORDS, st.data())
@settings(max_examples=60, deadline=None)
def test_text_and_subject_come_back_whatever_the_charset_and_encoding(words, data):
    # Each line starts with its number, so no line reads as a sign-off or reply header.
    text = "\n".join(f"{n}. {word}" for n, word in enumerate(words, 1))
    label, codec = data.draw(st.sampled_from(_label_and_codec(text)))
    encoding = data.draw(st.sampled_from(["base64", "quoted-printable", "8bit"]))
    body = text.encode(codec)
    if encoding == "base64":
        body = base64.encodebytes(body)
    elif encoding == "quoted-printable":
        import quopri

        body = quopri.encodestring(body)
    if codec.startswith("iso2022") and encoding == "8bit":
        encoding = "7bit"
    # The subject as encoded words, split at any byte (clients split characters too).
    subject = words[0]
    raw_subject = subject.encode(codec)
    cut = data.draw(st.integers(0, len(raw_subject)))
    pieces = [p for p in (raw_subject[:cut], raw_subject[cut:]) if p]
    if codec.startswith("iso2022"):
        pieces = [raw_subject]  # stateful: split words would each need their escapes
    encoded_subject = "\r\n ".join(f"=?{label}?B?{base64.b64encode(p).decode()}?=" for p in pieces)
    structure = data.draw(st.sampled_from(["plain", "alternative", "mixed"]))
    part = (
        f'Content-Type: text/plain; charset="{label}"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n".encode()
        + body
        + b"\r\n"
    )
    if structure == "plain":
        mime = part
    elif structure == "alternative":
        mime = (
            b'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n--alt\r\n'
            + part
            + b"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html</p>\r\n--alt--\r\n"
        )
    else:
        mime = (
            b'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n--mix\r\n'
            + part
            + b'--mix\r\nContent-Type: application/pdf; name="a.pdf"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--mix--\r\n"
        )
    raw = (
        f"From: =?utf-8?B?{base64.b64encode('张伟'.encode()).decode()}?= <zw@example.cn>\r\n"
        f"To: support@ticketdesk.example\r\nSubject: {encoded_subject}\r\n"
        f"Message-ID: <p@example.cn>\r\nMIME-Version: 1.0\r\n"
    ).encode() + mime
    mail = parse(raw)
    assert mail.text == text
    # Headers are unfolded onto one line: runs of spaces read as one (rules, section 16).
    assert mail.subject == " ".join(subject.split())
    assert mail.sender_name == "张伟"
    assert (mail.html != "") is (structure == "alternative")
    assert len(mail.files) == (1 if structure == "mixed" else 0)
