"""What the customer receives, checked on a real SMTP server (aiosmtpd) started by the test:
the acknowledgement, replies with their copies and threading headers, the resolution message
with the survey, the private link again, and the check made again when each message goes."""

import email
import email.policy
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.factories import load
from tests.support import Recorder
from ticketdesk.core.errors import DomainError, PermissionDenied, RateLimited
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    Channel,
    Contact,
    Customer,
    EventKind,
    InboundMail,
    InboundSource,
    InboundState,
    MailPurpose,
    OutboxMessage,
    OutboxState,
    Remedy,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    RemedyState,
    Role,
    Severity,
    Ticket,
    TicketCc,
    TicketEvent,
    TicketKind,
    TicketStatus,
    User,
)
from ticketdesk.services.notifications import outbox, recipients
from ticketdesk.services.sla import clocks as sla
from ticketdesk.services.tickets import common, conversation, outgoing, workflow
from ticketdesk.services.tickets import intake as ticket_intake

MIA = "mia.chen@example.test"
BEN = "ben.ode@example.test"


# ----------------------------------------------------------------- helpers


@pytest.fixture
def desk(ctx, app, now):
    app.config.update(
        MAIL_REPLY_TO="Support <support@example.test>", BASE_URL="https://desk.example.test/help"
    )
    sla.seed_defaults(now=now)  # the "Standard" policy: first response due within the day
    team = factories.make_team("Customer Care")
    agent = factories.make_user(Role.AGENT, name="Anna Berg", team_ids=(team,))
    other_team = factories.make_team("Billing")
    outsider = factories.make_user(Role.AGENT, name="Otto Out", team_ids=(other_team,))
    manager = factories.make_user(Role.ACCOUNT_MANAGER, name="Ama Manager")
    return {"team": team, "agent": agent, "outsider": outsider, "manager": manager}


def _log(
    desk,
    now,
    *,
    email: str | None = MIA,
    description="Two bags short.\nThe box was open.",
    timezone: str = "",
    locale: str = "",
) -> Ticket:
    customer_id = factories.make_customer()
    if email and (timezone or locale):
        # A contact we know, with their timezone and language: intake finds it by address.
        with unit_of_work():
            db.session.add(
                Contact(
                    customer_id=customer_id,
                    name="Mia Chen",
                    email=email,
                    timezone=timezone,
                    locale=locale,
                )
            )
    return load(
        Ticket,
        factories.make_ticket(
            actor_id=desk["agent"],
            now=now,
            customer_id=customer_id,
            subject="Bags missing",
            description=description,
            contact="Mia Chen",
            contact_email=email,
            team_id=desk["team"],
            assignee_id=desk["agent"],
        ),
    )


def _contact(ticket: Ticket, name: str, address: str | None, *, customer_id=None) -> Contact:
    with unit_of_work():
        contact = Contact(customer_id=customer_id or ticket.customer_id, name=name, email=address)
        db.session.add(contact)
    return contact


def _messages(ticket: Ticket, purpose: MailPurpose | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    stmt = sa.select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)
    if purpose is not None:
        stmt = stmt.where(OutboxMessage.purpose == purpose)
    return list(db.session.scalars(stmt.order_by(OutboxMessage.id)))


def _parsed(envelope) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.content, policy=email.policy.default)


def _parts(mail) -> tuple[str, str]:
    return tuple(
        mail.get_body(preferencelist=(kind,)).get_content().replace("\r\n", "\n")
        for kind in ("plain", "html")
    )


def _reply(ticket: Ticket, desk, now, body="We are sending the two bags today.", **kwargs):
    return conversation.reply(
        ticket, actor=load(User, desk["agent"]), body=body, expected_version=None, now=now, **kwargs
    )


# ----------------------------------------------------------------- acknowledgement


def test_the_acknowledgement_reaches_the_customer_with_everything_they_need(desk, smtp, now):
    server = smtp(Recorder())
    ticket = _log(
        desk,
        now,
        timezone="Europe/Berlin",
        description="Two bags short.\n<script>alert(1)</script> & more",
    )
    (queued,) = _messages(ticket)
    assert queued.purpose is MailPurpose.ACKNOWLEDGEMENT and queued.auto_generated
    assert outbox.send_due(now=now).sent == 1
    (envelope,) = server.messages
    assert envelope.rcpt_tos == [MIA]
    mail = _parsed(envelope)
    assert mail["Subject"] == f"[{ticket.reference}] We have your complaint: Bags missing"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Reply-To"] == "support@example.test"
    assert mail["From"] == "TicketDesk <desk@example.test>"
    assert mail["Message-ID"] == queued.message_id
    assert mail["In-Reply-To"] is None and mail["References"] is None
    assert mail.get_content_type() == "multipart/alternative"
    text, html = _parts(mail)
    follow = f"https://desk.example.test/help/complain/t/{ticket.public_token}"
    assert ticket.reference in text and follow in text and follow in html
    assert "Hello Mia Chen," in text
    assert "Two bags short.\n<script>alert(1)</script> & more" in text
    # The customer's words are escaped in HTML and keep their line break.
    assert "Two bags short.<br>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert "<script>" not in html
    # When they will hear from us: the first-response due time in their timezone, named.
    due = ticket.first_response_due_at.astimezone(outgoing._zone_for(ticket.contact))
    assert due.utcoffset() == timedelta(hours=1)
    assert f"You will hear from us by {due:%A, %B} {due.day}, {due.year} at" in text
    assert "(Europe/Berlin time)" in text


def test_no_acknowledgement_without_an_address_or_when_told_not_to(desk, now):
    without = _log(desk, now, email=None)
    assert _messages(without) == []
    # The inbound mail part passes acknowledge=False for automated senders.
    customer_id = factories.make_customer()
    with unit_of_work():
        contact = Contact(customer_id=customer_id, name="Auto Responder", email="bot@example.test")
        db.session.add(contact)
        ticket = ticket_intake.new_ticket(
            fields=ticket_intake.TicketFields(
                subject="Out of office",
                description="I am away.",
                channel=Channel.EMAIL,
                kind=TicketKind.COMPLAINT,
                category_id=factories.category_id("other"),
                severity=Severity.P3,
            ),
            customer=db.session.get(Customer, customer_id),
            contact=contact,
            actor=None,
            team=None,
            assignee=None,
            now=now,
        )
        common.event(
            ticket, EventKind.CREATED, now=now, actor=None, by_customer=True, body="I am away."
        )
        ticket_intake.after_intake(ticket, actor=None, now=now, acknowledge=False)
    assert _messages(ticket) == []


def test_a_public_complaint_is_acknowledged_to_the_address_given(desk, now):
    ticket = ticket_intake.submit_public_complaint(
        complaint=ticket_intake.PublicComplaint(
            name="Lena Park",
            email="Lena.Park@Example.test",
            company="",
            order_reference="A-1",
            description="The kettle arrived broken.",
        ),
        ip="192.0.2.7",
        now=now,
    )
    (ack,) = _messages(ticket)
    assert ack.purpose is MailPurpose.ACKNOWLEDGEMENT
    assert ack.to_address == "lena.park@example.test"
    assert "The kettle arrived broken." in ack.body
    assert ack.event_id == next(e.id for e in ticket.events if e.kind is EventKind.CREATED)


@pytest.mark.parametrize(
    "text, limit, expected",
    [
        ("Short.", 300, "Short."),
        ("x" * 300, 300, "x" * 300),
        ("word " * 100, 300, ("word " * 59).strip() + "…"),
        ("y" * 301, 300, "y" * 300 + "…"),
        ("  padded  ", 300, "padded"),
    ],
)
def test_the_summary_is_cut_at_a_word(text, limit, expected):
    assert outgoing.shorten(text, limit) == expected


@pytest.mark.parametrize(
    "contact_locale, contact_zone, languages, locale, zone",
    [
        ("", "", ["en"], "en", "UTC"),
        ("de", "Europe/Berlin", ["en"], "en", "Europe/Berlin"),  # language not offered
        ("de", "", ["en", "de"], "de", "UTC"),
        ("", "Not/AZone", ["en"], "en", "UTC"),  # unknown zone: the desk's
        ("", "Asia/Shanghai", ["en"], "en", "Asia/Shanghai"),
    ],
)
def test_language_and_timezone_are_the_contacts_when_usable(
    ctx, app, contact_locale, contact_zone, languages, locale, zone
):
    app.config["LANGUAGES"] = languages
    contact = Contact(name="Mia", email=MIA, locale=contact_locale, timezone=contact_zone)
    assert outgoing._locale_for(contact) == locale
    assert outgoing._zone_name(outgoing._zone_for(contact)) == zone
    assert outgoing._locale_for(None) == "en"


# ----------------------------------------------------------------- replies


def test_a_reply_goes_to_the_contact_and_the_copies_threaded_and_signed(desk, smtp, now):
    server = smtp(Recorder())
    ticket = _log(desk, now)
    ben = _contact(ticket, "Ben Ode", BEN)
    outgoing.add_cc(ticket, actor=load(User, desk["agent"]), contact_id=ben.id, now=now)
    (ack,) = _messages(ticket)
    event = _reply(
        ticket, desk, now + timedelta(minutes=5), body="Dear Mia,\nwe are sending <two> bags today."
    )
    assert event.via == "email"
    reply = _messages(ticket, MailPurpose.REPLY)[0]
    assert reply.event_id == event.id and not reply.auto_generated
    assert outbox.send_due(now=now + timedelta(minutes=5)).sent == 2
    envelope = server.messages[-1]
    assert sorted(envelope.rcpt_tos) == sorted([MIA, BEN])
    mail = _parsed(envelope)
    assert mail["To"] == "Mia Chen <mia.chen@example.test>" or mail["To"] == MIA
    assert mail["Cc"] == BEN
    assert mail["From"] == '"Anna Berg, Customer Care" <desk@example.test>'
    assert mail["Auto-Submitted"] is None
    assert mail["Subject"] == f"[{ticket.reference}] Re: Bags missing"
    assert mail["In-Reply-To"] == ack.message_id
    assert mail["References"] == ack.message_id
    assert mail["Reply-To"] == "support@example.test"
    text, html = _parts(mail)
    assert "we are sending <two> bags today." in text
    assert "Dear Mia,<br>we are sending &lt;two&gt; bags today." in html
    assert "Anna Berg\nCustomer Care" in text
    assert "<strong>Anna Berg</strong><br>Customer Care" in html


def test_the_thread_takes_in_the_customers_mail_and_keeps_the_first_and_latest(desk, now):
    ticket = _log(desk, now)
    (ack,) = _messages(ticket)
    with unit_of_work():
        db.session.add(
            InboundMail(
                dedupe_key="a" * 64,
                message_id="<answer-1@mail.example.test>",
                sender=MIA,
                subject="Re: bags",
                source=InboundSource.PIPE,
                state=InboundState.APPLIED,
                raw=b"x",
                size_bytes=1,
                received_at=now + timedelta(minutes=1),
                ticket_id=ticket.id,
            )
        )
        db.session.add(
            InboundMail(
                dedupe_key="b" * 64,
                message_id="<held@mail.example.test>",
                sender=MIA,
                subject="spam",
                source=InboundSource.PIPE,
                state=InboundState.HELD,
                raw=b"x",
                size_bytes=1,
                received_at=now + timedelta(minutes=2),
                ticket_id=ticket.id,
            )
        )
    _reply(ticket, desk, now + timedelta(minutes=3))
    reply = _messages(ticket, MailPurpose.REPLY)[0]
    assert reply.in_reply_to == "<answer-1@mail.example.test>"
    assert reply.thread_references.split() == [ack.message_id, "<answer-1@mail.example.test>"]


@pytest.mark.parametrize(
    "count, kept",
    [
        (0, []),
        (1, [0]),
        (2, [0, 1]),
        (10, list(range(10))),
        (11, [0, *range(2, 11)]),
        (25, [0, *range(16, 25)]),
    ],
)
def test_references_keep_the_first_message_and_the_latest(count, kept):
    ids = [f"<m{i}@example.test>" for i in range(count)]
    in_reply_to, references = outgoing.thread_headers(ids)
    assert in_reply_to == (ids[-1] if ids else "")
    assert references == [ids[i] for i in kept]
    assert len(references) <= outgoing.REFERENCES_KEPT


@pytest.mark.parametrize(
    "address, log_only, via, mailed",
    [
        (MIA, False, "email", True),
        (MIA, True, "log_only", False),
        (None, False, "no_address", False),
        (None, True, "log_only", False),
    ],
)
def test_how_a_reply_travels(desk, now, address, log_only, via, mailed):
    ticket = _log(desk, now, email=address)
    event = _reply(ticket, desk, now, log_only=log_only)
    assert event.via == via
    assert bool(_messages(ticket, MailPurpose.REPLY)) is mailed
    # Whatever happens to the e-mail, the reply is on the ticket.
    assert event in conversation.timeline(ticket, public_only=True)


def test_without_a_contact_address_the_first_copy_receives_the_reply(desk, now):
    ticket = _log(desk, now, email=None)
    agent = load(User, desk["agent"])
    ben = _contact(ticket, "Ben Ode", BEN)
    ada = _contact(ticket, "Ada Ode", "ada.ode@example.test")
    for contact in (ben, ada):
        outgoing.add_cc(ticket, actor=agent, contact_id=contact.id, now=now)
    assert _reply(ticket, desk, now).via == "email"
    (reply,) = _messages(ticket, MailPurpose.REPLY)
    assert (reply.to_address, reply.cc_addresses) == ("ada.ode@example.test", BEN)


def test_internal_notes_never_leave(desk, smtp, now):
    server = smtp(Recorder())
    ticket = _log(desk, now)
    ben = _contact(ticket, "Ben Ode", BEN)
    outgoing.add_cc(ticket, actor=load(User, desk["agent"]), contact_id=ben.id, now=now)
    conversation.add_note(
        ticket, actor=load(User, desk["agent"]), body="SECRET: customer is VIP", now=now
    )
    outbox.send_due(now=now)
    assert [m.purpose for m in _messages(ticket)] == [MailPurpose.ACKNOWLEDGEMENT]
    for envelope in server.messages:
        assert b"SECRET" not in envelope.content


def test_a_failed_reply_stays_on_the_ticket_with_the_servers_reason(desk, smtp, now):
    smtp(Recorder(refuse=5, code="550 5.1.1 No such mailbox"))
    ticket = _log(desk, now)
    event = _reply(ticket, desk, now)
    outbox.send_due(now=now)
    (delivery,) = outgoing.deliveries(ticket)[event.id]
    assert delivery.state is OutboxState.FAILED and "550 5.1.1 No such mailbox" in delivery.reason
    assert delivery.recipients == MIA
    assert db.session.get(TicketEvent, event.id).body == "We are sending the two bags today."


# ----------------------------------------------------------------- copies (cc)


def test_copies_are_contacts_of_the_customer_with_an_address(desk, now):
    ticket = _log(desk, now)
    agent = load(User, desk["agent"])
    no_mail = _contact(ticket, "No Mail", None)
    stranger = _contact(
        ticket, "Stranger", "stranger@example.test", customer_id=factories.make_customer()
    )
    ben = _contact(ticket, "Ben Ode", BEN)
    assert [c.id for c in recipients.cc_candidates(ticket)] == [ben.id]
    for contact_id in (no_mail.id, stranger.id, ticket.contact_id, 999_999):
        with pytest.raises(DomainError):
            outgoing.add_cc(ticket, actor=agent, contact_id=contact_id, now=now)
    outgoing.add_cc(ticket, actor=agent, contact_id=ben.id, now=now)
    with pytest.raises(DomainError):
        outgoing.add_cc(ticket, actor=agent, contact_id=ben.id, now=now)
    assert [r.email for r in recipients.recipients(ticket)] == [MIA, BEN]
    outgoing.remove_cc(ticket, actor=agent, contact_id=ben.id, now=now)
    assert [r.email for r in recipients.recipients(ticket)] == [MIA]
    changes = [
        (e.field, e.old_value, e.new_value)
        for e in conversation.timeline(ticket)
        if e.kind is EventKind.FIELD_CHANGE
    ]
    assert changes == [
        ("cc", None, "Ben Ode <ben.ode@example.test>"),
        ("cc", "Ben Ode <ben.ode@example.test>", None),
    ]


@pytest.mark.parametrize("who", ["outsider", "manager"])
def test_only_who_may_work_the_ticket_manages_copies_and_resends(desk, now, who):
    ticket = _log(desk, now)
    ben = _contact(ticket, "Ben Ode", BEN)
    user = load(User, desk[who])
    with pytest.raises(PermissionDenied):
        outgoing.add_cc(ticket, actor=user, contact_id=ben.id, now=now)
    with pytest.raises(PermissionDenied):
        outgoing.resend_private_link(ticket, actor=user, now=now)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketCc)) == 0


# ----------------------------------------------------------------- checked again when sent


def test_a_recipient_who_left_the_ticket_receives_nothing_more(desk, smtp, now):
    server = smtp(Recorder())
    ticket = _log(desk, now)
    ben = _contact(ticket, "Ben Ode", BEN)
    agent = load(User, desk["agent"])
    outgoing.add_cc(ticket, actor=agent, contact_id=ben.id, now=now)
    outbox.send_due(now=now)  # the acknowledgement
    _reply(ticket, desk, now)
    outgoing.remove_cc(ticket, actor=agent, contact_id=ben.id, now=now)
    assert outbox.send_due(now=now).sent == 1
    assert server.messages[-1].rcpt_tos == [MIA]
    (reply,) = _messages(ticket, MailPurpose.REPLY)
    assert reply.cc_addresses == "" and BEN in reply.last_error
    # The contact's address changes before the next reply leaves: withheld.
    _reply(ticket, desk, now, body="One more thing.")
    with unit_of_work():
        ticket.contact.email = "mia.new@example.test"
    report = outbox.send_due(now=now)
    assert (report.sent, report.withheld) == (0, 1)
    withheld = _messages(ticket, MailPurpose.REPLY)[-1]
    assert withheld.state is OutboxState.WITHHELD and "no longer" in withheld.last_error


def test_a_copied_contact_moved_to_another_customer_is_not_copied(desk, now):
    ticket = _log(desk, now)
    ben = _contact(ticket, "Ben Ode", BEN)
    outgoing.add_cc(ticket, actor=load(User, desk["agent"]), contact_id=ben.id, now=now)
    with unit_of_work():
        ben.customer_id = factories.make_customer()
    assert recipients.allowed_addresses(ticket) == {MIA}


# ----------------------------------------------------------------- resolution and survey


def _deliver(ticket: Ticket, form: RemedyForm, description: str, cost: str, now) -> None:
    from decimal import Decimal

    with unit_of_work():
        db.session.add(
            Remedy(
                ticket=ticket,
                kind=RemedyKind.MAKE_WHOLE,
                form=form,
                description=description,
                quantity=1,
                cost=Decimal(cost),
                currency="EUR",
                reason=RemedyReason.MISSING_ITEMS,
                cap_base=Decimal(cost),
                state=RemedyState.DELIVERED,
                proposed_at=now,
                decided_at=now,
            )
        )


def test_resolving_sends_one_email_with_what_was_done_and_the_survey(desk, smtp, now):
    server = smtp(Recorder())
    ticket = _log(desk, now)
    _deliver(ticket, RemedyForm.RESHIP, "Two cosmetic bags, sent by express", "8.00", now)
    _deliver(ticket, RemedyForm.REFUND, "Shipping costs", "4.95", now)
    outbox.send_due(now=now)
    workflow.change_status(
        ticket,
        actor=load(User, desk["agent"]),
        status=TicketStatus.RESOLVED,
        expected_version=None,
        now=now,
    )
    (message,) = _messages(ticket, MailPurpose.SURVEY)
    assert _messages(ticket, MailPurpose.RESOLUTION) == []
    (survey,) = ticket.surveys
    assert message.dedupe_key == f"survey:{survey.nonce}"
    change = db.session.get(TicketEvent, message.event_id)
    assert change.kind is EventKind.STATUS_CHANGE and change.new_value == "resolved"
    assert outbox.send_due(now=now).sent == 1
    mail = _parsed(server.messages[-1])
    assert mail["Subject"] == f"[{ticket.reference}] Resolved: Bags missing — how did we do?"
    assert mail["Auto-Submitted"] == "auto-generated"
    text, html = _parts(mail)
    assert "- We sent the missing or replacement items: Two cosmetic bags, sent by express" in text
    assert "- We refunded €4.95: Shipping costs" in text
    assert "answer this e-mail within 14 days and we will reopen your complaint" in text
    assert "/help/survey/" in text and "/help/survey/" in html
    assert "for 14 days (until March 16, 2026)" in text


def test_the_resolution_message_alone_when_there_is_no_survey(desk, now):
    ticket = _log(desk, now)
    with unit_of_work():
        message = outgoing.queue_resolution(ticket, None, now=now, survey=None)
    assert message.purpose is MailPurpose.RESOLUTION and message.dedupe_key is None
    assert "how did we do" not in message.subject and "/survey/" not in message.body
    assert "we will reopen your complaint" in message.body


def test_no_resolution_email_without_an_address(desk, now):
    ticket = _log(desk, now, email=None)
    workflow.change_status(
        ticket,
        actor=load(User, desk["agent"]),
        status=TicketStatus.RESOLVED,
        expected_version=None,
        now=now,
    )
    assert _messages(ticket) == []


# ----------------------------------------------------------------- the private link again


def test_the_private_link_goes_to_the_contact_only_and_not_too_often(desk, smtp, now):
    server = smtp(Recorder())
    ticket = _log(desk, now)
    ben = _contact(ticket, "Ben Ode", BEN)
    agent = load(User, desk["agent"])
    outgoing.add_cc(ticket, actor=agent, contact_id=ben.id, now=now)
    for minute in range(outgoing.PRIVATE_LINK_RESENDS):
        outgoing.resend_private_link(ticket, actor=agent, now=now + timedelta(minutes=minute))
    with pytest.raises(RateLimited):
        outgoing.resend_private_link(ticket, actor=agent, now=now + timedelta(minutes=59))
    links_sent = _messages(ticket, MailPurpose.PRIVATE_LINK)
    assert len(links_sent) == outgoing.PRIVATE_LINK_RESENDS
    assert all(m.to_address == MIA and m.cc_addresses == "" for m in links_sent)
    events = [e for e in conversation.timeline(ticket) if e.kind is EventKind.PRIVATE_LINK]
    assert len(events) == outgoing.PRIVATE_LINK_RESENDS
    assert events[0].body == "Private link e-mailed to Mia Chen <mia.chen@example.test>."
    # An hour after the first, one more may go.
    outgoing.resend_private_link(ticket, actor=agent, now=now + timedelta(minutes=60))
    outbox.send_due(now=now + timedelta(hours=2))
    mail = _parsed(server.messages[-1])
    assert mail["Auto-Submitted"] == "auto-generated"
    assert f"/help/complain/t/{ticket.public_token}" in _parts(mail)[0]
    assert all(rcpt == [MIA] for rcpt in (e.rcpt_tos for e in server.messages))


def test_no_private_link_without_an_address(desk, now):
    ticket = _log(desk, now, email=None)
    with pytest.raises(DomainError):
        outgoing.resend_private_link(ticket, actor=load(User, desk["agent"]), now=now)
    assert _messages(ticket) == []


# ----------------------------------------------------------------- headers are safe

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    subject=_TEXT,
    from_name=_TEXT,
    in_reply_to=_TEXT,
    reference=_TEXT,
    reply_to=_TEXT,
    copies=st.lists(st.emails(), max_size=3),
    auto=st.booleans(),
)
def test_no_header_value_can_add_a_header_or_a_line(
    ctx, now, subject, from_name, in_reply_to, reference, reply_to, copies, auto
):
    with unit_of_work():
        message = outbox.enqueue(
            to=MIA,
            subject=subject,
            body="Body",
            html_body="<p>Body</p>",
            now=now,
            purpose=MailPurpose.REPLY,
            cc=copies,
            from_name=from_name,
            in_reply_to=in_reply_to,
            references=[reference, "<first@example.test>"],
            reply_to=reply_to,
            auto_generated=auto,
        )
    built = outbox._email(message, now)
    raw = built.as_bytes()
    head = raw.split(b"\n\n", 1)[0]
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    names = {name.lower() for name in parsed}
    expected = {
        "from",
        "to",
        "reply-to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
    }
    expected |= {"cc"} if copies else set()
    expected |= {"in-reply-to"} if message.in_reply_to else set()
    expected |= {"references"}
    expected |= {"auto-submitted"} if auto else set()
    assert names == expected
    # Every line of the head is a header line or a folded continuation of one.
    for line in head.split(b"\n"):
        assert line[:1] in (b" ", b"\t") or b":" in line, line
    for name in names:
        for value in parsed.get_all(name):
            assert "\r" not in str(value) and "\n" not in str(value)
    db.session.delete(message)
    db.session.commit()
