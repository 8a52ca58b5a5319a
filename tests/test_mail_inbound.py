"""Acting on received mail: new complaints, answers on tickets, strangers, loops, bounces,
limits, and mail that waits for an admin. Messages are built with ``EmailMessage``."""

import os
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.support import at_once
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    Attachment,
    Category,
    Channel,
    Contact,
    Customer,
    EventKind,
    InboundMail,
    InboundSource,
    InboundState,
    MailPurpose,
    Notification,
    NotificationKind,
    OutboxMessage,
    OutboxState,
    RateLimitHit,
    Role,
    Ticket,
    TicketEvent,
    TicketStatus,
    User,
)
from ticketdesk.services.mail import inbound
from ticketdesk.services.mail.parse import Bounce, ParsedMail
from ticketdesk.services.notifications import outbox
from ticketdesk.services.recovery import rules
from ticketdesk.services.sla import clocks as sla
from ticketdesk.services.tickets import common, workflow

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
KNOWN = "mia@example.test"


def build(
    *,
    sender: str = f"Mia Chen <{KNOWN}>",
    subject: str = "The box arrived broken",
    body: str = "Two of the six cups were broken.",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict | None = None,
    files=(),
    when=None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "desk@example.test"
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="mail.example.test")
    if when is not None:
        message["Date"] = format_datetime(when)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content_type, data, disposition in files:
        maintype, subtype = content_type.split("/")
        message.add_attachment(
            data, maintype=maintype, subtype=subtype, filename=filename, disposition=disposition
        )
    return message.as_bytes()


def ingest(raw: bytes, now) -> InboundMail:
    stored = inbound.ingest(raw, source=InboundSource.PIPE, now=now)
    db.session.expire_all()
    return db.session.get(InboundMail, stored.mail.id)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def events(ticket_id: int) -> list[TicketEvent]:
    return list(
        db.session.scalars(
            sa.select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.id)
        )
    )


@pytest.fixture
def agent(ctx):
    return factories.make_user(Role.AGENT, name="Ada Agent")


@pytest.fixture
def customer(ctx):
    """A customer whose (verified) contact writes from KNOWN."""
    return factories.make_customer("Harbour Foods", contact_email=KNOWN)


def ticket_for(agent_id: int, customer_id: int, now, **kwargs) -> Ticket:
    tid = factories.make_ticket(
        actor_id=agent_id, customer_id=customer_id, now=now, assignee_id=agent_id, **kwargs
    )
    return db.session.get(Ticket, tid)


def reply_message(ticket: Ticket, now, *, author: int | None = None) -> OutboxMessage:
    """An e-mail we sent on ``ticket`` (as the outgoing side stores it)."""
    with unit_of_work():
        message = outbox.enqueue(
            to=KNOWN,
            subject=f"[{ticket.reference}] {ticket.subject}",
            body="We are sending new cups today.",
            now=now,
        )
        message.purpose, message.ticket_id = MailPurpose.REPLY, ticket.id
        if author is not None:
            event = common.event(
                ticket,
                EventKind.PUBLIC_REPLY,
                now=now,
                actor=db.session.get(User, author),
                body="We are sending new cups today.",
            )
            db.session.flush()
            message.event_id = event.id
    return message


def set_status(ticket: Ticket, agent_id: int, status: TicketStatus, now) -> None:
    workflow.change_status(
        ticket,
        actor=db.session.get(User, agent_id),
        status=status,
        expected_version=ticket.version,
        now=now,
    )


# ----------------------------------------------------------------- new complaints


def test_mail_from_a_new_address_opens_a_complaint_for_a_new_customer(ctx, now):
    mail = ingest(
        build(
            sender="Li Wei <li.wei@shop.example>",
            subject="Wrong colour delivered",
            body="I ordered blue towels and got orange ones.",
        ),
        now,
    )
    assert mail.state is InboundState.APPLIED
    ticket = db.session.get(Ticket, mail.ticket_id)
    assert ticket.channel is Channel.EMAIL and ticket.status is TicketStatus.NEW
    assert ticket.subject == "Wrong colour delivered"
    assert ticket.description == "I ordered blue towels and got orange ones."
    assert ticket.customer.name == "Li Wei"
    assert (ticket.contact.name, ticket.contact.email) == ("Li Wei", "li.wei@shop.example")
    assert ticket.review_reason == "" and ticket.related_ticket_id is None
    created = db.session.get(TicketEvent, mail.event_id)
    assert created.kind is EventKind.CREATED and created.by_customer and created.via == "email"
    assert created.actor_id is None
    assert ticket.reference in mail.reason


def test_mail_from_a_known_contact_opens_a_complaint_on_their_customer(customer, now):
    mail = ingest(build(subject="Late again"), now)
    ticket = db.session.get(Ticket, mail.ticket_id)
    assert ticket.customer_id == customer
    assert ticket.contact.email == KNOWN
    assert count(Customer) == 1 and count(Contact) == 1


def test_a_sender_without_a_display_name_is_named_after_the_address(ctx, now):
    mail = ingest(build(sender="plain@shop.example", subject=""), now)
    ticket = db.session.get(Ticket, mail.ticket_id)
    assert ticket.customer.name == "plain@shop.example"
    # No subject: the first line of the text stands in.
    assert ticket.subject == "Two of the six cups were broken."


def test_files_follow_the_web_rules_and_refused_ones_are_named(ctx, app, now):
    app.config["MAX_ATTACHMENT_BYTES"] = 1000
    raw = build(
        files=[
            ("photo.png", "image/png", PNG, "attachment"),
            ("", "image/png", PNG, "inline"),
            ("setup.exe", "application/octet-stream", b"MZ" + b"\x00" * 10, "attachment"),
            ("huge.pdf", "application/pdf", b"%PDF-" + b"0" * 2000, "attachment"),
        ]
    )
    mail = ingest(raw, now)
    assert mail.state is InboundState.APPLIED
    kept = db.session.scalars(
        sa.select(Attachment).where(Attachment.ticket_id == mail.ticket_id).order_by(Attachment.id)
    ).all()
    assert [a.original_name for a in kept] == ["photo.png", "image-2.png"]
    assert all(a.event_id == mail.event_id for a in kept)
    note = [e for e in events(mail.ticket_id) if e.kind is EventKind.INTERNAL_NOTE]
    assert len(note) == 1
    assert "setup.exe" in note[0].body and "huge.pdf" in note[0].body
    assert "photo.png" not in note[0].body


# ----------------------------------------------------------------- threading


def test_an_answer_threads_by_in_reply_to_to_the_message_we_sent(agent, customer, now):
    ticket = ticket_for(agent, customer, now)
    sent = reply_message(ticket, now)
    mail = ingest(
        build(
            subject="Re: something else entirely",
            in_reply_to=sent.message_id,
            files=[("receipt.png", "image/png", PNG, "attachment")],
        ),
        now + timedelta(hours=1),
    )
    assert mail.state is InboundState.APPLIED and mail.ticket_id == ticket.id
    event = db.session.get(TicketEvent, mail.event_id)
    assert event.kind is EventKind.CUSTOMER_MESSAGE and event.via == "email"
    assert event.by_customer and event.body == "Two of the six cups were broken."
    assert [a.original_name for a in event.attachments] == ["receipt.png"]
    assert count(Ticket) == 1


def test_an_answer_threads_by_references_and_by_an_earlier_received_message(agent, customer, now):
    ticket = ticket_for(agent, customer, now)
    sent = reply_message(ticket, now)
    first = ingest(build(references=f"<unknown@else.example> {sent.message_id}"), now)
    assert first.ticket_id == ticket.id
    # The customer answers their own message (no id of ours in it).
    second = ingest(build(subject="Also", in_reply_to=first.message_id), now + timedelta(minutes=5))
    assert second.ticket_id == ticket.id
    assert count(Ticket) == 1


def test_an_answer_threads_by_the_reference_in_the_subject(agent, customer, now):
    ticket = ticket_for(agent, customer, now)
    mail = ingest(build(subject=f"Re: [{ticket.reference.lower()}] Bottle missing"), now)
    assert mail.ticket_id == ticket.id
    assert db.session.get(TicketEvent, mail.event_id).kind is EventKind.CUSTOMER_MESSAGE


def test_a_stranger_naming_a_ticket_opens_a_flagged_ticket_of_their_own(agent, customer, now):
    ticket = ticket_for(agent, customer, now)
    sent = reply_message(ticket, now)
    before = len(events(ticket.id))
    mail = ingest(
        build(
            sender="Eve <eve@elsewhere.example>",
            in_reply_to=sent.message_id,
            subject=f"Re: [{ticket.reference}] Bottle missing",
        ),
        now,
    )
    assert mail.state is InboundState.APPLIED and mail.ticket_id != ticket.id
    new = db.session.get(Ticket, mail.ticket_id)
    assert new.related_ticket_id == ticket.id
    assert "eve@elsewhere.example" in new.review_reason and ticket.reference in new.review_reason
    assert new.customer_id != customer and new.contact.email == "eve@elsewhere.example"
    assert len(events(ticket.id)) == before  # nothing reached the named ticket


def test_an_unconfirmed_contact_of_the_same_customer_does_not_join_the_thread(agent, customer, now):
    with unit_of_work():
        db.session.add(
            Contact(
                customer_id=customer, name="Unsure", email="unsure@example.test", verified=False
            )
        )
    ticket = ticket_for(agent, customer, now)
    mail = ingest(build(sender="unsure@example.test", subject=f"[{ticket.reference}] me too"), now)
    new = db.session.get(Ticket, mail.ticket_id)
    assert new.id != ticket.id and new.related_ticket_id == ticket.id
    assert new.customer_id == customer and new.review_reason


# ----------------------------------------------------------------- the answer moves the ticket


def test_an_answer_to_a_ticket_waiting_on_the_customer_opens_it_and_tells_the_assignee(
    agent, customer, now
):
    sla.seed_defaults(now=now)
    ticket = ticket_for(agent, customer, now)
    set_status(ticket, agent, TicketStatus.PENDING_CUSTOMER, now)
    assert ticket.sla_paused_at is not None
    mail = ingest(build(subject=f"Re: [{ticket.reference}] photos"), now + timedelta(hours=2))
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status is TicketStatus.OPEN
    assert ticket.sla_paused_at is None  # the clocks run again
    told = db.session.scalars(
        sa.select(Notification).where(
            Notification.user_id == agent, Notification.kind == NotificationKind.CUSTOMER_REPLIED
        )
    ).all()
    assert len(told) == 1 and told[0].ticket_id == ticket.id
    assert "pending_customer" in mail.reason


@pytest.mark.parametrize(
    "after, reopened",
    [
        (-timedelta(seconds=1), True),
        (timedelta(0), True),  # the window's last moment counts
        (timedelta(seconds=1), False),
    ],
)
def test_an_answer_to_a_resolved_ticket_reopens_it_only_within_the_window(
    agent, customer, now, after, reopened
):
    after += timedelta(days=rules.current().reopen_window_days)
    ticket = ticket_for(agent, customer, now)
    set_status(ticket, agent, TicketStatus.RESOLVED, now)
    mail = ingest(build(subject=f"Re: [{ticket.reference}] still broken"), now + after)
    old = db.session.get(Ticket, ticket.id)
    if reopened:
        assert mail.ticket_id == ticket.id
        assert old.status is TicketStatus.OPEN and old.reopen_count == 1
    else:
        assert old.status is TicketStatus.RESOLVED and old.reopen_count == 0
        new = db.session.get(Ticket, mail.ticket_id)
        assert new.id != ticket.id and new.related_ticket_id == ticket.id
        assert new.review_reason == ""  # the customer's own follow-up


def test_an_answer_to_a_closed_ticket_opens_a_new_linked_one(agent, customer, now):
    ticket = ticket_for(agent, customer, now)
    set_status(ticket, agent, TicketStatus.CLOSED, now)
    before = len(events(ticket.id))
    mail = ingest(build(subject=f"Re: [{ticket.reference}] again"), now + timedelta(hours=1))
    new = db.session.get(Ticket, mail.ticket_id)
    assert new.id != ticket.id and new.related_ticket_id == ticket.id
    assert new.channel is Channel.EMAIL and new.customer_id == customer
    assert db.session.get(Ticket, ticket.id).status is TicketStatus.CLOSED
    assert len(events(ticket.id)) == before


# ----------------------------------------------------------------- loops and noise

AUTOMATIC = [
    {"Auto-Submitted": "auto-replied"},
    {"Precedence": "bulk"},
    {"Precedence": "list"},
    {"X-Autoreply": "yes"},
]


@pytest.mark.parametrize("headers", AUTOMATIC)
def test_an_automatic_answer_on_a_ticket_is_a_note_that_moves_nothing(
    agent, customer, now, headers
):
    ticket = ticket_for(agent, customer, now)
    set_status(ticket, agent, TicketStatus.PENDING_CUSTOMER, now)
    version = db.session.get(Ticket, ticket.id).version
    mail = ingest(
        build(
            subject=f"Out of office: [{ticket.reference}]",
            headers=headers,
            body="I am away until Monday.",
        ),
        now,
    )
    assert mail.state is InboundState.IGNORED and mail.ticket_id == ticket.id
    note = db.session.get(TicketEvent, mail.event_id)
    assert note.kind is EventKind.INTERNAL_NOTE and "I am away until Monday." in note.body
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.status is TicketStatus.PENDING_CUSTOMER and ticket.version == version
    assert count(Ticket) == 1
    assert not db.session.scalars(
        sa.select(Notification).where(Notification.kind == NotificationKind.CUSTOMER_REPLIED)
    ).all()


@pytest.mark.parametrize(
    "sender, headers",
    [
        ("someone@example.test", AUTOMATIC[0]),
        ("someone@example.test", AUTOMATIC[1]),
        ("MAILER-DAEMON@mx.example.test", {}),
        ("TicketDesk <desk@example.test>", {}),  # MAIL_FROM
        ("helpdesk@example.test", {}),  # MAIL_REPLY_TO
        ("Other desk <alias@example.test>", {}),  # MAIL_OWN_ADDRESSES
    ],
)
def test_automatic_and_own_mail_that_threads_nowhere_is_ignored(app, ctx, now, sender, headers):
    app.config.update(
        MAIL_FROM="TicketDesk <desk@example.test>",
        MAIL_REPLY_TO="helpdesk@example.test",
        MAIL_OWN_ADDRESSES="noreply@example.test, alias@example.test",
    )
    mail = ingest(build(sender=sender, headers=headers), now)
    assert mail.state is InboundState.IGNORED and mail.ticket_id is None
    assert (count(Ticket), count(Customer), count(Contact), count(OutboxMessage)) == (0, 0, 0, 0)


def test_mail_from_our_own_address_on_a_ticket_is_recorded_never_answered(
    app, agent, customer, now
):
    app.config.update(MAIL_FROM="TicketDesk <desk@example.test>")
    ticket = ticket_for(agent, customer, now)
    queued = count(OutboxMessage)
    mail = ingest(build(sender="desk@example.test", subject=f"[{ticket.reference}] loop"), now)
    assert mail.state is InboundState.IGNORED and mail.ticket_id == ticket.id
    assert "own address" in mail.reason
    assert count(OutboxMessage) == queued and count(Ticket) == 1


def bounce_for(message_id: str, *, reason="Mailbox unknown") -> ParsedMail:
    return ParsedMail(
        message_id=make_msgid(domain="mx.example.test"),
        in_reply_to=(),
        references=(),
        sender="mailer-daemon@mx.example.test",
        sender_name="Mail Delivery System",
        to=(),
        cc=(),
        subject="Undelivered Mail Returned to Sender",
        date=None,
        text="This is the mail system.",
        automated="sent by mailer-daemon@mx.example.test",
        bounce=Bounce(
            original_message_id=message_id, recipient=KNOWN, status="5.1.1", reason=reason
        ),
    )


def stored_report(now) -> InboundMail:
    raw = build(
        sender="Mail Delivery System <mailer-daemon@mx.example.test>",
        subject="Undelivered Mail Returned to Sender",
        body="This is the mail system.",
    )
    return inbound.store(raw, source=InboundSource.IMAP, now=now).mail


def test_a_bounce_marks_our_message_and_tells_the_agents(agent, customer, now):
    lead = factories.make_user(Role.LEAD, name="Lena Lead")
    ticket = ticket_for(agent, customer, now)
    sent = reply_message(ticket, now, author=lead)
    report = stored_report(now)
    later = now + timedelta(minutes=3)
    assert inbound._act(report.id, bounce_for(sent.message_id), now=later)[1]
    db.session.expire_all()
    message = db.session.get(OutboxMessage, sent.id)
    assert message.state is OutboxState.BOUNCED and message.bounced_at == later
    assert "5.1.1" in message.last_error and "Mailbox unknown" in message.last_error
    mail = db.session.get(InboundMail, report.id)
    assert mail.state is InboundState.BOUNCE and mail.ticket_id == ticket.id
    note = db.session.get(TicketEvent, mail.event_id)
    assert note.kind is EventKind.INTERNAL_NOTE and KNOWN in note.body
    told = {
        n.user_id
        for n in db.session.scalars(
            sa.select(Notification).where(Notification.kind == NotificationKind.MAIL_BOUNCED)
        )
    }
    assert told == {agent, lead}  # the assignee and the reply's author
    assert db.session.get(Ticket, ticket.id).status is TicketStatus.NEW


def test_a_bounce_about_a_message_we_do_not_know_is_ignored(ctx, now):
    report = stored_report(now)
    inbound._act(report.id, bounce_for("<never-sent@example.test>"), now=now)
    db.session.expire_all()
    assert db.session.get(InboundMail, report.id).state is InboundState.IGNORED
    assert count(Ticket) == 0


def test_a_real_delivery_report_never_opens_a_ticket(ctx, now):
    report = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.test>\r\n"
        b"To: desk@example.test\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <dsn-1@mx.example.test>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        b"\r\n--b1\r\nContent-Type: text/plain\r\n\r\n"
        b"Your message could not be delivered.\r\n"
        b"--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.test\r\n\r\n"
        b"Final-Recipient: rfc822; mia@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"--b1--\r\n"
    )
    mail = ingest(report, now)
    assert mail.state in (InboundState.IGNORED, InboundState.BOUNCE)
    assert count(Ticket) == 0 and count(Customer) == 0


# ----------------------------------------------------------------- limits and held mail


@pytest.mark.parametrize(
    "limit, sent, opened",
    [
        (0, 1, 0),
        (2, 1, 1),
        (2, 2, 2),
        (2, 3, 2),
        (3, 5, 3),
    ],
)
def test_new_tickets_per_sender_per_hour(app, ctx, now, limit, sent, opened):
    app.config["MAIL_NEW_TICKETS_PER_SENDER"] = limit
    mails = [
        ingest(build(subject=f"Complaint {n}"), now + timedelta(minutes=n)) for n in range(sent)
    ]
    assert count(Ticket) == opened
    assert [m.state for m in mails] == (
        [InboundState.APPLIED] * opened + [InboundState.HELD] * (sent - opened)
    )
    for held in mails[opened:]:
        assert "mia@example.test" in held.reason and held.ticket_id is None


def test_the_sender_limit_is_a_sliding_hour_and_counts_each_sender_alone(app, ctx, now):
    app.config["MAIL_NEW_TICKETS_PER_SENDER"] = 1
    assert ingest(build(subject="one"), now).state is InboundState.APPLIED
    assert ingest(build(subject="two"), now + timedelta(minutes=59)).state is InboundState.HELD
    assert (
        ingest(build(sender="other@example.test"), now + timedelta(minutes=59)).state
        is InboundState.APPLIED
    )
    assert ingest(build(subject="three"), now + timedelta(hours=1)).state is InboundState.APPLIED


def test_answers_on_a_ticket_do_not_count_against_the_sender_limit(app, agent, customer, now):
    app.config["MAIL_NEW_TICKETS_PER_SENDER"] = 1
    ticket = ticket_for(agent, customer, now)
    for n in range(3):
        mail = ingest(build(subject=f"Re: [{ticket.reference}] {n}"), now)
        assert mail.state is InboundState.APPLIED and mail.ticket_id == ticket.id


@pytest.mark.parametrize("extra, state", [(0, InboundState.APPLIED), (1, InboundState.HELD)])
def test_a_message_over_the_size_limit_is_held_unread(app, ctx, now, extra, state):
    raw = build()
    app.config["MAIL_MAX_MESSAGE_BYTES"] = len(raw) - extra
    mail = ingest(raw, now)
    assert mail.state is state
    if state is InboundState.HELD:
        assert "larger than" in mail.reason and count(Ticket) == 0


@pytest.mark.parametrize(
    "raw, why",
    [
        (b"   \r\n", "empty"),
        (b"this line is no header and there is no body\n", "no mail headers"),
    ],
)
def test_an_unreadable_message_is_held_with_the_reason(ctx, now, raw, why):
    mail = ingest(raw, now)
    assert mail.state is InboundState.HELD and why in mail.reason
    assert mail.raw == raw and count(Ticket) == 0


@pytest.mark.parametrize(
    "local, state",
    [
        ("a" * 241, InboundState.APPLIED),  # 241 + len("@example.test") = 254
        ("a" * 242, InboundState.HELD),  # 255 characters
    ],
)
def test_a_sender_address_longer_than_254_characters_is_held(ctx, now, local, state):
    mail = ingest(build(sender=f"{local}@example.test"), now)
    assert mail.state is state
    if state is InboundState.HELD:
        assert "not valid" in mail.reason and count(Contact) == 0


def test_a_message_without_a_sender_is_held(ctx, now):
    raw = build().replace(f"From: Mia Chen <{KNOWN}>\n".encode(), b"")
    mail = ingest(raw, now)
    assert mail.state is InboundState.HELD and "sender" in mail.reason


def test_nul_in_a_received_message_is_stored_raw_and_left_out_of_the_text(ctx, now):
    raw = (
        b"From: Mia <mia@example.test>\r\nMessage-ID: <a\x00b@mail.example.test>\r\n"
        b"In-Reply-To: <x\x00y@example.test>\r\nSubject: bad\x00byte\r\n\r\n"
        b"before\x00after\r\n"
    )
    mail = ingest(raw, now)
    assert mail.state is InboundState.APPLIED and mail.raw == raw
    ticket = db.session.get(Ticket, mail.ticket_id)
    assert ticket.description == "beforeafter" and ticket.subject == "badbyte"


def test_an_unavailable_database_leaves_the_message_received_for_the_next_try(tmp_path, now):
    """A locked SQLite file stands in for a database that cannot be written: acting raises,
    nothing is held, and the next run acts on the message."""
    import sqlite3

    from ticketdesk import create_app
    from ticketdesk.settings import TestingConfig

    path = tmp_path / "desk.db"

    class FileConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"
        ATTACHMENT_DIR = str(tmp_path / "attachments")

    app = create_app(FileConfig)
    with app.app_context():
        factories.prepare_database()
        mail_id = inbound.store(build(), source=InboundSource.PIPE, now=now).mail.id
        db.session.remove()
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(sa.exc.OperationalError):
                inbound.process(mail_id, now=now)
        finally:
            other.execute("ROLLBACK")
            other.close()
        db.session.remove()
        assert db.session.get(InboundMail, mail_id).state is InboundState.RECEIVED
        assert inbound.process_pending(now=now) == 1
        assert db.session.get(InboundMail, mail_id).state is InboundState.APPLIED
        factories.release_database()


def test_a_message_delivered_twice_is_stored_once_and_acted_on_once(customer, now):
    raw = build(message_id="<once@mail.example.test>")
    first = inbound.ingest(raw, source=InboundSource.PIPE, now=now)
    again = inbound.ingest(
        raw.replace(b"Two of", b"2 of"), source=InboundSource.IMAP, now=now + timedelta(minutes=1)
    )
    assert first.created and not again.created and again.mail.id == first.mail.id
    assert count(InboundMail) == 1 and count(Ticket) == 1
    assert inbound.process(first.mail.id, now=now) is not None
    assert count(Ticket) == 1


def test_pending_messages_are_acted_on_once_after_an_interruption(customer, now):
    stored = [
        inbound.store(build(subject=f"Stored {n}"), source=InboundSource.IMAP, now=now)
        for n in range(3)
    ]
    assert {s.mail.state for s in stored} == {InboundState.RECEIVED}
    assert inbound.process_pending(now=now) == 3
    assert inbound.process_pending(now=now) == 0
    db.session.expire_all()
    assert {db.session.get(InboundMail, s.mail.id).state for s in stored} == {InboundState.APPLIED}
    assert count(Ticket) == 3


def test_a_rule_that_fails_while_acting_holds_the_message_and_keeps_nothing(ctx, now):
    with unit_of_work():
        db.session.execute(sa.delete(Category))
    mail = ingest(build(), now)
    assert mail.state is InboundState.HELD
    assert "No complaint categories are set up." in mail.reason
    assert (count(Ticket), count(Customer), count(Contact), count(RateLimitHit)) == (0, 0, 0, 0)


def test_files_written_before_a_failure_are_removed(app, ctx, now, tmp_path):
    """The service levels' calendar is broken, so intake fails after the files were
    written: the message is held and neither rows nor files are left."""
    from ticketdesk.models import BusinessCalendar

    sla.seed_defaults(now=now)
    with unit_of_work():
        db.session.execute(sa.update(BusinessCalendar).values(timezone="Nowhere/Atlantis"))
    mail = ingest(
        build(
            files=[
                ("photo.png", "image/png", PNG, "attachment"),
                ("scan.pdf", "application/pdf", b"%PDF-1.4 x", "attachment"),
            ]
        ),
        now,
    )
    assert mail.state is InboundState.HELD and "could not be applied" in mail.reason
    assert "Atlantis" in mail.reason  # the service level starts after the files
    assert (count(Ticket), count(Customer), count(Attachment)) == (0, 0, 0)
    folder = tmp_path / "attachments"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_crash_while_acting_holds_the_message_and_keeps_nothing(app, ctx, now, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    app.config["ATTACHMENT_DIR"] = str(blocker)  # writing the file fails after the rows
    mail = ingest(build(files=[("photo.png", "image/png", PNG, "attachment")]), now)
    assert mail.state is InboundState.HELD and "could not be applied" in mail.reason
    assert (
        count(Ticket),
        count(Customer),
        count(Contact),
        count(TicketEvent),
        count(Attachment),
        count(RateLimitHit),
    ) == (0, 0, 0, 0, 0, 0)
    # Once the cause is gone an admin releases it, whole.
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "attachments")
    admin = db.session.get(User, factories.make_user(Role.ADMIN))
    released = inbound.release(mail.id, actor=admin, now=now + timedelta(hours=1))
    assert released.state is InboundState.RELEASED
    assert [a.original_name for a in db.session.get(Ticket, released.ticket_id).attachments] == [
        "photo.png"
    ]


# ----------------------------------------------------------------- properties

FINAL = {InboundState.APPLIED, InboundState.IGNORED, InboundState.BOUNCE, InboundState.HELD}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    raw=st.one_of(
        st.binary(max_size=400),
        st.lists(
            st.sampled_from(
                [
                    b"From: ",
                    b"a@b.example",
                    b"Subject: ",
                    b"=?utf-8?q?x?=",
                    b"\r\n",
                    b"\n",
                    b"In-Reply-To: <",
                    b">",
                    b"[TD-000001]",
                    b"Content-Type: multipart/mixed; boundary=x",
                    b"--x",
                    b"\xff\xfe",
                    b"Auto-Submitted: auto-replied",
                ]
            ),
            max_size=30,
        ).map(b"".join),
    )
)
def test_any_bytes_are_kept_and_end_in_a_final_state(ctx, now, raw):
    """Whatever arrives is stored with its bytes and acted on or held: never lost, never
    left half-done, never an error for the mail server."""
    stored = inbound.ingest(raw, source=InboundSource.PIPE, now=now)
    db.session.expire_all()
    mail = db.session.get(InboundMail, stored.mail.id)
    assert mail.raw == raw and mail.state in FINAL
    if mail.state is InboundState.HELD:
        assert mail.reason and mail.ticket_id is None


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    local=st.from_regex(r"[a-z][a-z0-9.]{0,12}", fullmatch=True),
    domain=st.sampled_from(["example.test", "elsewhere.example", "EXAMPLE.TEST"]),
    prefix=st.sampled_from(["", "Re: ", "AW: ", "回复："]),
    by_header=st.booleans(),
)
def test_a_stranger_never_joins_a_thread(agent, customer, now, local, domain, prefix, by_header):
    """Any sender that is not a verified contact of the ticket's customer, naming the
    ticket by header or by reference, gets a flagged ticket of their own."""
    sender = f"{local}@{domain}"
    assume(sender.lower() != KNOWN)
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.customer_id == customer))
    if ticket is None:
        ticket = ticket_for(agent, customer, now)
    sent = reply_message(ticket, now)
    before = len(events(ticket.id))
    mail = ingest(
        build(
            sender=sender,
            subject=f"{prefix}[{ticket.reference}] hello",
            in_reply_to=sent.message_id if by_header else None,
        ),
        now,
    )
    assert len(events(ticket.id)) == before
    if mail.state is InboundState.APPLIED:
        new = db.session.get(Ticket, mail.ticket_id)
        assert new.id != ticket.id and new.related_ticket_id == ticket.id and new.review_reason
    else:  # over the sender's hourly limit: held, still nowhere near the thread
        assert mail.state is InboundState.HELD and mail.ticket_id is None


# ----------------------------------------------------------------- at the same moment

on_postgresql = pytest.mark.skipif(
    not os.environ.get("TICKETDESK_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="in-memory SQLite hands every thread one connection; needs PostgreSQL",
)


@on_postgresql
def test_two_processes_working_through_pending_mail_act_on_each_message_once(app, now):
    with app.app_context():
        ids = [
            inbound.store(
                build(sender=f"Sender {n} <s{n}@example.test>"), source=InboundSource.IMAP, now=now
            ).mail.id
            for n in range(8)
        ]

    def worker():
        with app.app_context():
            return inbound.process_pending(now=now)

    done = at_once(worker, worker)
    assert sum(done) == 8, done
    with app.app_context():
        assert count(Ticket) == 8 and count(Customer) == 8
        assert {db.session.get(InboundMail, i).state for i in ids} == {InboundState.APPLIED}


@on_postgresql
def test_two_messages_from_one_new_address_at_once_make_one_customer(app, now):
    with app.app_context():
        ids = [
            inbound.store(
                build(sender="New Person <new@example.test>", subject=f"n{n}"),
                source=InboundSource.PIPE,
                now=now,
            ).mail.id
            for n in range(2)
        ]

    def act(mail_id):
        def call():
            with app.app_context():
                return inbound.process(mail_id, now=now).state

        return call

    assert at_once(act(ids[0]), act(ids[1])) == [InboundState.APPLIED] * 2
    with app.app_context():
        assert (count(Ticket), count(Customer), count(Contact)) == (2, 1, 1)
