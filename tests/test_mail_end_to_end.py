"""The whole e-mail loop with real servers: a complaint by e-mail (fetched from Dovecot over
IMAP) → the acknowledgement reaches the SMTP server → an agent replies in Chromium → the
reply reaches the SMTP server threaded to the customer's mail → the customer's answer,
fetched from Dovecot again, lands on the same ticket and starts its clocks again.
"""

import re
import tempfile
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from config import TestingConfig
from tests import factories
from tests.live_server import live_server
from tests.mailserver import start_dovecot
from tests.support import Recorder, free_port
from tests.test_browser import CHROMIUM_ARGS, TIMEOUT_MS, chromium  # noqa: F401 - fixture
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import EventKind, InboundMail, Role, Ticket, TicketEvent, TicketStatus
from ticketdesk.services.mail import imap
from ticketdesk.services.notifications import outbox

pytestmark = pytest.mark.browser

DESK = "care@desk.example.test"
CUSTOMER = "mia.chen@example.com"
AGENT = "ada.agent@example.test"


@pytest.fixture
def dovecot():
    # Not under pytest's tmp_path: run as root, Dovecot drops to its own user, which may
    # not enter pytest's private directories.
    server = start_dovecot(Path(tempfile.mkdtemp(prefix="ticketdesk-dovecot-")))
    yield server
    server.stop()


@pytest.fixture
def smtp_server():
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield recorder, port
    controller.stop()


@pytest.fixture
def mail_app(tmp_path, dovecot, smtp_server):
    import os

    _, smtp_port = smtp_server
    db_url = os.environ.get("TICKETDESK_TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'loop.db'}"

    class LoopConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = db_url
        WTF_CSRF_ENABLED = True
        ATTACHMENT_DIR = str(tmp_path / "attachments")
        MAIL_SERVER = "127.0.0.1"
        MAIL_PORT = smtp_port
        MAIL_TIMEOUT = 5
        MAIL_FROM = f"Customer Care <{DESK}>"

    with factories.prepared_app(LoopConfig) as app:
        app.config.update(dovecot.settings("starttls"))
        with app.app_context():
            agent = factories.make_user(Role.AGENT, email=AGENT, name="Ada Agent")
            factories.make_team("Customer Care", member_ids=(agent,))
        yield app


def _customer_mail(subject: str, body: str, **headers) -> tuple[bytes, str]:
    message = EmailMessage()
    message["From"] = f"Mia Chen <{CUSTOMER}>"
    message["To"] = DESK
    message["Subject"] = subject
    message_id = make_msgid(domain="mail.example.com")
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes(), message_id


def _poll_and_send(app) -> None:
    with app.app_context():
        report = imap.poll(now=utcnow())
        assert report.failed == 0, report.errors
        outbox.send_due(now=utcnow())


def _received(recorder, index: int):
    return message_from_bytes(recorder.messages[index].content, policy=policy.default)


def _header(message, name: str) -> str:
    # A long header is folded onto the next line; the parser keeps that line's leading
    # space in the value.
    return str(message[name] or "").strip()


def test_a_complaint_by_email_is_answered_and_the_answer_lands_on_its_ticket(
    chromium,  # noqa: F811 - the chromium fixture, imported above
    mail_app,
    dovecot,
    smtp_server,
):
    from playwright.sync_api import expect, sync_playwright

    recorder, _ = smtp_server
    token = uuid.uuid4().hex[:6]

    # 1. The customer writes to the desk's mailbox; the desk fetches it and acknowledges it.
    first, first_id = _customer_mail(
        f"Teapot {token} arrived broken",
        "The lid of the teapot was in pieces when I opened the box.",
    )
    dovecot.deliver(first)
    _poll_and_send(mail_app)
    with mail_app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        reference, ticket_id = ticket.reference, ticket.id
        assert ticket.channel.value == "email" and ticket.contact.email == CUSTOMER
    assert dovecot.messages("INBOX") == []
    assert len(recorder.messages) == 1
    ack = _received(recorder, 0)
    assert recorder.messages[0].rcpt_tos == [CUSTOMER]
    assert f"[{reference}]" in _header(ack, "Subject")
    assert ack["Auto-Submitted"] == "auto-generated"
    assert _header(ack, "In-Reply-To") == first_id
    assert first_id in _header(ack, "References")
    ack_text = ack.get_body(preferencelist=("plain",)).get_content()
    assert "/complain/t/" in ack_text

    # 2. An agent answers in the browser and waits for the customer.
    with live_server(mail_app) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{base}/login")
            page.get_by_label("E-mail").fill(AGENT)
            page.get_by_label("Password").fill(factories.PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.goto(f"{base}/tickets/{ticket_id}")
            reply_form = page.locator("#pane-reply form")
            # The form says who will receive the reply.
            expect(page.locator("#reply-recipients")).to_contain_text(CUSTOMER)
            reply_form.get_by_label("Reply to the customer").fill(
                "We are sorry the teapot arrived broken. A new one leaves today."
            )
            reply_form.get_by_label("Then set status to").select_option(
                TicketStatus.PENDING_CUSTOMER.value
            )
            reply_form.get_by_role("button", name="Send reply").click()
            expect(page.locator("body")).to_contain_text("A new one leaves today")
        finally:
            browser.close()

    with mail_app.app_context():
        outbox.send_due(now=utcnow())
        assert db.session.get(Ticket, ticket_id).status is TicketStatus.PENDING_CUSTOMER
    assert len(recorder.messages) == 2
    reply = _received(recorder, 1)
    assert recorder.messages[1].rcpt_tos == [CUSTOMER]
    assert f"[{reference}]" in _header(reply, "Subject")
    assert reply["Auto-Submitted"] is None  # a person wrote it
    assert _header(reply, "In-Reply-To") == _header(ack, "Message-ID")
    assert first_id in _header(reply, "References")
    assert _header(ack, "Message-ID") in _header(reply, "References")
    assert "A new one leaves today" in reply.get_body(preferencelist=("plain",)).get_content()
    assert "Ada Agent" in reply.get_body(preferencelist=("plain",)).get_content()

    # 3. The customer answers from their mail client; the answer lands on the same ticket.
    answer, _ = _customer_mail(
        f"Re: {_header(reply, 'Subject')}",
        "Thank you, I will look out for it.",
        In_Reply_To=_header(reply, "Message-ID"),
        References=f"{_header(reply, 'References')} {_header(reply, 'Message-ID')}",
    )
    dovecot.deliver(answer)
    _poll_and_send(mail_app)
    with mail_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1
        ticket = db.session.get(Ticket, ticket_id)
        assert ticket.status is TicketStatus.OPEN
        assert ticket.sla_paused_at is None  # the clocks run again
        message = db.session.scalars(
            sa.select(TicketEvent)
            .where(
                TicketEvent.ticket_id == ticket_id, TicketEvent.kind == EventKind.CUSTOMER_MESSAGE
            )
            .order_by(TicketEvent.id)
        ).all()[-1]
        assert message.via == "email" and message.body.startswith("Thank you")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InboundMail)) == 2
    assert len(recorder.messages) == 2  # an answer gets no acknowledgement
    assert re.search(r"TD-\d{6}", reference)
