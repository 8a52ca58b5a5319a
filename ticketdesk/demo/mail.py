"""The demo's mailbox: a few e-mails taken in through the same path as real mail.

``flask demo-data`` loads it after the demo set (``demo.load_demo``), at the real time:
it goes through the desk's intake, which stamps what it creates with the clock.

They show the e-mail channel on a fresh desk: a complaint that arrives by e-mail (in
Chinese, from a QQ Mail client, in GB18030) and is acknowledged, a customer answering a
ticket that waits on them, an out-of-office reply that is recorded but never answered,
and a message that cannot be read, waiting on *Held mail* for an admin.
"""

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import sqlalchemy as sa

from ticketdesk.extensions import db
from ticketdesk.models import Contact, InboundSource, InboundState, Ticket, TicketStatus
from ticketdesk.services.mail import inbound

# Complaints the mailbox opens (the other messages answer a ticket, or open none).
NEW_COMPLAINTS = 1


def _message(
    *,
    sender: str,
    subject: str,
    body: str,
    at: datetime,
    number: int,
    charset: str = "utf-8",
    headers: dict | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@ticketdesk.example"
    message["Subject"] = subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = f"<demo.{number}.{int(at.timestamp())}@mail.example.com>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body, charset=charset)
    return message.as_bytes()


def _waiting_ticket() -> Ticket | None:
    """A ticket waiting on a customer who has an e-mail address."""
    return db.session.scalar(
        sa.select(Ticket)
        .join(Contact, Ticket.contact_id == Contact.id)
        .where(
            Ticket.status == TicketStatus.PENDING_CUSTOMER,
            Contact.email.is_not(None),
            Contact.verified.is_(True),
        )
        .order_by(Ticket.id)
        .limit(1)
    )


def load(*, now: datetime) -> str:
    """Take the demo's e-mails in; returns a one-line summary."""
    mails = [
        _message(
            sender="Lin Xiaoyu <lin.xiaoyu@example.cn>",
            number=1,
            subject="化妆包订单少发了两件",
            body=(
                "您好，\n\n我在贵店订购了二十个化妆包（订单号 EX-20931），今天收到货，"
                "只有十八个，而且有一个拉链坏了。下周我们要在店里上架，"
                "请尽快补发，谢谢。\n\n林晓雨"
            ),
            charset="gb18030",
            at=now - timedelta(hours=3),
        ),
        _message(
            sender="Out of office <tomas.novak@example.com>",
            number=3,
            subject="Automatic reply: your complaint",
            at=now - timedelta(hours=2),
            body="I am out of the office until Monday and will read your message then.",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        # No headers at all: nothing to read, so it waits for an admin.
        b"this is not an e-mail message, only a line of text\n",
    ]
    waiting = _waiting_ticket()
    if waiting is not None:
        mails.insert(
            1,
            _message(
                sender=f"{waiting.contact.name} <{waiting.contact.email}>",
                number=2,
                subject=f"Re: [{waiting.reference}] {waiting.subject}",
                at=now - timedelta(hours=1),
                body=(
                    "Thank you for getting back to me. The photos you asked for are not needed "
                    "any more: the replacement arrived this morning and everything is fine.\n\n"
                    f"On an earlier day, Customer Care wrote:\n> About {waiting.reference}"
                ),
            ),
        )
    states = [inbound.ingest(raw, source=InboundSource.IMAP, now=now).mail.state for raw in mails]
    applied = sum(state is InboundState.APPLIED for state in states)
    held = sum(state is InboundState.HELD for state in states)
    ignored = sum(state is InboundState.IGNORED for state in states)
    return (
        f"  e-mail: {len(mails)} received ({applied} on tickets, {ignored} automatic "
        f"reply ignored, {held} held for an admin)"
    )
