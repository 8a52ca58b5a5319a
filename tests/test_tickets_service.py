"""Ticket rules without HTTP: intake, conversation, status, assignment, conflicts."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from tests.factories import load
from ticketdesk.core.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    PermissionDenied,
    RateLimited,
)
from ticketdesk.extensions import db
from ticketdesk.models import (
    Attachment,
    Channel,
    Contact,
    Customer,
    EventKind,
    Role,
    Severity,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
    User,
)
from ticketdesk.services.customers import customers as customer_service
from ticketdesk.services.tickets import assignment as ticket_assignment
from ticketdesk.services.tickets import conversation as ticket_conversation
from ticketdesk.services.tickets import editing, guards, lifecycle, workflow
from ticketdesk.services.tickets import intake as ticket_intake


class FakeUpload:
    def __init__(self, filename: str, data: bytes):
        self.filename = filename
        self._stream = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _kinds(tid: int) -> list[EventKind]:
    return list(
        db.session.scalars(
            sa.select(TicketEvent.kind).where(TicketEvent.ticket_id == tid).order_by(TicketEvent.id)
        )
    )


def _fields(**overrides) -> ticket_intake.TicketFields:
    base = dict(
        subject="Two bags short",
        description="Ordered 22 bags, 20 arrived.",
        channel=Channel.EMAIL,
        kind=TicketKind.COMPLAINT,
        category_id=factories.category_id("missing_short_shipment"),
        severity=Severity.P3,
        order_reference="SO-1",
        currency="EUR",
        order_value=Decimal("440.00"),
        claimed_loss=Decimal("40.00"),
    )
    base.update(overrides)
    return ticket_intake.TicketFields(**base)


@pytest.fixture
def agent(ctx):
    return factories.make_user(Role.AGENT, name="Ana Agent")


def test_log_complaint_with_new_customer_and_contact(agent, now):
    ticket = ticket_intake.log_complaint(
        actor=load(User, agent),
        now=now,
        fields=_fields(),
        new_customer=customer_service.CustomerData(name="Bag Boutique"),
        contact=customer_service.ContactData(name="Mei", email="MEI@Boutique.example"),
    )
    assert ticket.reference == "TD-000001"
    assert ticket.status is TicketStatus.NEW
    assert ticket.customer.name == "Bag Boutique"
    assert ticket.contact.email == "mei@boutique.example"
    assert ticket.order_value == Decimal("440.00")
    assert ticket.created_at == now
    assert _kinds(ticket.id) == [EventKind.CREATED]
    second = ticket_intake.log_complaint(
        actor=load(User, agent), now=now, fields=_fields(), customer_id=ticket.customer_id
    )
    assert second.reference == "TD-000002"


def test_log_complaint_saves_nothing_when_a_rule_fails(agent, now):
    other = factories.make_customer("Other Co", contact_email="taken@example.test")
    for allow_duplicate, field in ((False, "new_customer_name"), (True, "contact_email")):
        # First the address is offered as a likely duplicate; creating the customer anyway
        # then meets the rule that an address belongs to one customer.
        with pytest.raises(DomainError) as err:
            ticket_intake.log_complaint(
                actor=load(User, agent),
                now=now,
                fields=_fields(),
                new_customer=customer_service.CustomerData(name="New Co"),
                contact=customer_service.ContactData(name="X", email="taken@example.test"),
                allow_duplicate=allow_duplicate,
            )
        assert err.value.field == field
        assert isinstance(err.value, customer_service.LikelyDuplicate) is not allow_duplicate
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 0
    assert db.session.scalar(sa.select(Customer.id).where(Customer.name == "New Co")) is None
    assert other


@pytest.mark.parametrize(
    "change, field",
    [
        (dict(subject="  "), "subject"),
        (dict(description=""), "description"),
        (dict(currency="EURO"), "currency"),
        (dict(order_value=Decimal("-5")), "order_value"),
        (dict(claimed_loss=Decimal("1.234")), "claimed_loss"),
        (dict(category_id=999999), "category_id"),
    ],
)
def test_intake_validation_names_the_field(agent, now, change, field):
    cid = factories.make_customer()
    with pytest.raises(DomainError) as err:
        ticket_intake.log_complaint(
            actor=load(User, agent), now=now, fields=_fields(**change), customer_id=cid
        )
    assert err.value.field == field
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 0


def test_account_managers_and_admins_cannot_log_complaints(ctx, now):
    cid = factories.make_customer()
    for role in (Role.ACCOUNT_MANAGER, Role.ADMIN):
        with pytest.raises(PermissionDenied):
            ticket_intake.log_complaint(
                actor=load(User, factories.make_user(role)),
                now=now,
                fields=_fields(),
                customer_id=cid,
            )


def test_assignee_must_belong_to_the_team(agent, now):
    team = factories.make_team("Logistics")
    cid = factories.make_customer()
    with pytest.raises(DomainError) as err:
        ticket_intake.log_complaint(
            actor=load(User, agent),
            now=now,
            fields=_fields(),
            customer_id=cid,
            team_id=team,
            assignee_id=agent,
        )
    assert err.value.field == "assignee_id"


def test_reply_is_first_response_and_opens_a_new_ticket(agent, now):
    tid = factories.make_ticket(actor_id=agent, now=now)
    ticket = load(Ticket, tid)
    later = now + timedelta(minutes=40)
    ticket_conversation.reply(
        ticket,
        actor=load(User, agent),
        body="We are sending it today.",
        expected_version=ticket.version,
        now=later,
    )
    assert ticket.first_response_at == later
    assert ticket.status is TicketStatus.OPEN
    ticket_conversation.reply(
        ticket,
        actor=load(User, agent),
        body="Tracking number follows.",
        expected_version=ticket.version,
        now=later + timedelta(hours=1),
        status_after=TicketStatus.PENDING_CUSTOMER,
    )
    assert ticket.first_response_at == later
    assert ticket.status is TicketStatus.PENDING_CUSTOMER
    assert _kinds(tid) == [
        EventKind.CREATED,
        EventKind.PUBLIC_REPLY,
        EventKind.STATUS_CHANGE,
        EventKind.PUBLIC_REPLY,
        EventKind.STATUS_CHANGE,
    ]


def test_internal_note_does_not_touch_the_ticket(agent, now):
    tid = factories.make_ticket(actor_id=agent, now=now)
    ticket = load(Ticket, tid)
    version = ticket.version
    ticket_conversation.add_note(
        ticket, actor=load(User, agent), body="Warehouse says 22 left.", now=now
    )
    assert ticket.version == version
    assert ticket_conversation.timeline(ticket, public_only=True)[-1].kind is EventKind.CREATED


def test_customer_message_moves_waiting_ticket_back_to_open(agent, now):
    tid = factories.make_ticket(actor_id=agent, now=now)
    ticket = load(Ticket, tid)
    workflow.change_status(
        ticket,
        actor=load(User, agent),
        status=TicketStatus.PENDING_CUSTOMER,
        expected_version=ticket.version,
        now=now,
    )
    ticket_conversation.log_customer_message(ticket, actor=None, body="Here is the photo.", now=now)
    assert ticket.status is TicketStatus.OPEN
    event = db.session.scalar(
        sa.select(TicketEvent)
        .where(TicketEvent.kind == EventKind.STATUS_CHANGE)
        .order_by(TicketEvent.id.desc())
    )
    assert event.by_customer and event.actor_id is None


def test_customer_message_reopens_a_resolved_ticket(agent, now):
    tid = factories.make_ticket(actor_id=agent, now=now)
    ticket = load(Ticket, tid)
    workflow.change_status(
        ticket,
        actor=load(User, agent),
        status=TicketStatus.RESOLVED,
        expected_version=ticket.version,
        now=now,
    )
    assert ticket.resolved_at == now
    ticket_conversation.log_customer_message(
        ticket, actor=load(User, agent), body="Still broken (phone).", now=now + timedelta(days=1)
    )
    assert ticket.status is TicketStatus.OPEN
    assert ticket.reopen_count == 1
    assert ticket.resolved_at is None


def test_closed_ticket_refuses_messages_on_the_private_link(agent, now):
    tid = factories.make_ticket(actor_id=agent, now=now)
    ticket = load(Ticket, tid)
    workflow.change_status(
        ticket,
        actor=load(User, agent),
        status=TicketStatus.CLOSED,
        expected_version=ticket.version,
        now=now,
    )
    with pytest.raises(InvalidTransition):
        ticket_conversation.log_customer_message(ticket, actor=None, body="Hello?", now=now)


def test_status_rules(agent, now):
    tid = factories.make_ticket(actor_id=agent, now=now)
    ticket = load(Ticket, tid)
    assert TicketStatus.NEW not in lifecycle.allowed_statuses(ticket)
    with pytest.raises(InvalidTransition):
        workflow.change_status(
            ticket,
            actor=load(User, agent),
            status=TicketStatus.NEW,
            expected_version=ticket.version,
            now=now,
        )
    workflow.change_status(
        ticket,
        actor=load(User, agent),
        status=TicketStatus.CLOSED,
        expected_version=ticket.version,
        now=now,
    )
    assert ticket.closed_at == now and ticket.resolved_at == now
    workflow.change_status(
        ticket,
        actor=load(User, agent),
        status=TicketStatus.OPEN,
        expected_version=ticket.version,
        now=now,
    )
    assert ticket.reopen_count == 1 and ticket.closed_at is None


def test_stale_version_is_a_conflict_and_saves_nothing(agent, now):
    other = factories.make_user(Role.AGENT, name="Bo Other")
    tid = factories.make_ticket(actor_id=agent, now=now)
    ticket = load(Ticket, tid)
    seen = ticket.version
    workflow.change_status(
        ticket, actor=load(User, other), status=TicketStatus.OPEN, expected_version=seen, now=now
    )
    with pytest.raises(Conflict, match="Bo Other"):
        ticket_conversation.reply(
            ticket, actor=load(User, agent), body="Sorry!", expected_version=seen, now=now
        )
    assert EventKind.PUBLIC_REPLY not in _kinds(tid)


def test_details_change_writes_one_event_per_field(agent, now):
    tid = factories.make_ticket(actor_id=agent, now=now)
    ticket = load(Ticket, tid)
    events = editing.update_details(
        ticket,
        actor=load(User, agent),
        expected_version=ticket.version,
        now=now,
        changes=editing.DetailChanges(
            subject=ticket.subject,
            kind=TicketKind.CRISIS,
            category_id=factories.category_id("damaged_defective"),
            severity=Severity.P1,
            order_reference="",
            currency="EUR",
            order_value=Decimal("12.50"),
            claimed_loss=None,
        ),
    )
    changed = {(e.field, e.old_value, e.new_value) for e in events}
    assert changed == {
        ("kind", "complaint", "crisis"),
        ("category", "Missing or short shipment", "Damaged or defective"),
        ("severity", "p3", "p1"),
        ("order_value", None, "12.50"),
    }
    with pytest.raises(DomainError, match="Nothing was changed"):
        editing.update_details(
            ticket,
            actor=load(User, agent),
            expected_version=ticket.version,
            now=now,
            changes=editing.DetailChanges(
                subject=ticket.subject,
                kind=ticket.kind,
                category_id=ticket.category_id,
                severity=ticket.severity,
                order_reference=ticket.order_reference,
                currency=ticket.currency,
                order_value=ticket.order_value,
                claimed_loss=ticket.claimed_loss,
            ),
        )


def test_assign_and_take(agent, now):
    team = factories.make_team("Front desk", member_ids=(agent,))
    lead = factories.make_user(Role.LEAD)
    tid = factories.make_ticket(actor_id=lead, now=now)
    ticket = load(Ticket, tid)
    ticket_assignment.assign(
        ticket,
        actor=load(User, lead),
        team_id=team,
        assignee_id=agent,
        expected_version=ticket.version,
        now=now,
    )
    assert ticket.assignee_id == agent and ticket.team_id == team
    fields = [e.field for e in ticket.events if e.kind is EventKind.ASSIGNMENT]
    assert fields == ["team", "assignee"]
    with pytest.raises(DomainError, match="Nothing to change"):
        ticket_assignment.assign(
            ticket,
            actor=load(User, lead),
            team_id=team,
            assignee_id=agent,
            expected_version=ticket.version,
            now=now,
        )
    ticket_assignment.assign_to_me(
        ticket, actor=load(User, lead), expected_version=ticket.version, now=now
    )
    assert ticket.assignee_id == lead and ticket.team_id is None


def test_agents_cannot_work_other_teams_tickets(ctx, now):
    mine = factories.make_user(Role.AGENT)
    theirs = factories.make_user(Role.AGENT)
    team = factories.make_team("Key accounts", member_ids=(theirs,))
    tid = factories.make_ticket(actor_id=theirs, team_id=team, now=now)
    with pytest.raises(PermissionDenied):
        ticket_conversation.reply(
            load(Ticket, tid), actor=load(User, mine), body="Hi", expected_version=None, now=now
        )


def test_public_complaint_links_by_email_then_company(ctx, now):
    complaint = ticket_intake.PublicComplaint(
        name="Li Wei",
        email="li@shop.example",
        company="Olive House",
        order_reference="A-7",
        description="One bottle of olive oil was missing.\nThe rest was fine.",
    )
    first = ticket_intake.submit_public_complaint(complaint=complaint, ip="10.0.0.1", now=now)
    assert first.channel is Channel.WEB and first.created_by_id is None
    assert first.subject == "One bottle of olive oil was missing."
    assert first.category.slug == "other"
    again = ticket_intake.submit_public_complaint(complaint=complaint, ip="10.0.0.1", now=now)
    assert again.customer_id == first.customer_id and again.contact_id == first.contact_id
    colleague = ticket_intake.submit_public_complaint(
        complaint=ticket_intake.PublicComplaint(
            name="Zhang",
            email="zhang@shop.example",
            company="olive house",
            order_reference="",
            description="Same order, wrong label.",
        ),
        ip="10.0.0.2",
        now=now,
    )
    assert colleague.customer_id == first.customer_id
    assert colleague.contact_id != first.contact_id
    created = db.session.scalar(sa.select(TicketEvent).where(TicketEvent.ticket_id == first.id))
    assert created.by_customer and created.actor_id is None
    assert db.session.scalar(sa.select(sa.func.count(Contact.id))) == 2


def test_public_complaint_rate_limit_per_ip(app, ctx, now):
    app.config["PUBLIC_RATE_LIMIT"] = 2
    complaint = ticket_intake.PublicComplaint(
        name="Spam",
        email="s@example.test",
        company="",
        order_reference="",
        description="Something went wrong with my order.",
    )
    for _ in range(2):
        ticket_intake.submit_public_complaint(complaint=complaint, ip="10.9.9.9", now=now)
    with pytest.raises(RateLimited):
        ticket_intake.submit_public_complaint(complaint=complaint, ip="10.9.9.9", now=now)
    ticket_intake.submit_public_complaint(complaint=complaint, ip="10.9.9.10", now=now)
    later = now + timedelta(hours=1, seconds=1)
    ticket_intake.submit_public_complaint(complaint=complaint, ip="10.9.9.9", now=later)


def test_attachments_are_stored_and_rolled_back_on_failure(app, agent, now, tmp_path):
    tid = factories.make_ticket(actor_id=agent, now=now)
    ticket = load(Ticket, tid)
    ticket_conversation.add_note(
        ticket,
        actor=load(User, agent),
        body="Photo of the box",
        now=now,
        uploads=[FakeUpload("box.PNG", PNG)],
    )
    stored = db.session.scalar(sa.select(Attachment))
    assert stored.original_name == "box.PNG" and stored.content_type == "image/png"
    directory = app.config["ATTACHMENT_DIR"]
    files = list((tmp_path / "attachments").iterdir())
    assert [f.name for f in files] == [stored.stored_name]
    assert str(tmp_path) in directory

    with pytest.raises(DomainError, match="not accepted"):
        ticket_conversation.add_note(
            ticket,
            actor=load(User, agent),
            body="x",
            now=now,
            uploads=[FakeUpload("run.exe", b"MZ")],
        )
    with pytest.raises(DomainError, match="does not look like"):
        ticket_conversation.add_note(
            ticket,
            actor=load(User, agent),
            body="x",
            now=now,
            uploads=[FakeUpload("fake.png", b"GIF89a")],
        )
    # Another writer bumps the row behind this session's back: the save fails at
    # commit, after the file was written, and the file is removed again.
    db.session.connection().execute(
        sa.text("UPDATE tickets SET version = version + 1 WHERE id = :id"), {"id": tid}
    )
    with pytest.raises(Conflict):
        ticket_conversation.reply(
            ticket,
            actor=load(User, agent),
            body="Sent a new box.",
            expected_version=None,
            now=now,
            uploads=[FakeUpload("ok.png", PNG)],
        )
    assert len(list((tmp_path / "attachments").iterdir())) == 1
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 1


def test_attachment_size_and_count_limits(app, agent, now):
    app.config["MAX_ATTACHMENT_BYTES"] = 100
    tid = factories.make_ticket(actor_id=agent, now=now)
    with pytest.raises(DomainError, match="larger than"):
        ticket_conversation.add_note(
            load(Ticket, tid),
            actor=load(User, agent),
            body="x",
            now=now,
            uploads=[FakeUpload("big.txt", b"a" * 101)],
        )
    with pytest.raises(DomainError, match="at most 5"):
        ticket_conversation.add_note(
            load(Ticket, tid),
            actor=load(User, agent),
            body="x",
            now=now,
            uploads=[FakeUpload(f"f{i}.txt", b"hi") for i in range(6)],
        )


def test_pejorative_terms_are_found():
    assert guards.pejorative_terms("Very UNREASONABLE and rude, rude.") == ["unreasonable", "rude"]
    assert guards.pejorative_terms("Likes extra chili; orders monthly.") == []
    assert guards.pejorative_terms("这个客户无理取闹，很难缠") == ["无理取闹", "难缠"]


def test_proof_requests_are_found():
    assert guards.proof_requests("Could you send a photo of the box?") == ["photo"]
    assert guards.proof_requests("请提供照片和凭证") == ["照片", "凭证"]
    assert guards.proof_requests("Photographer visit booked; we reship today.") == []


def test_size_limit_message_reads_well(app, agent, now):
    app.config["MAX_ATTACHMENT_BYTES"] = 5_000_000
    tid = factories.make_ticket(actor_id=agent, now=now)
    with pytest.raises(DomainError, match=r"larger than 4.8 MB\."):
        ticket_conversation.add_note(
            load(Ticket, tid),
            actor=load(User, agent),
            body="x",
            now=now,
            uploads=[FakeUpload("big.txt", b"a" * 5_000_001)],
        )


def test_files_added_on_their_own_get_an_attachment_event(app, agent, now):
    tid = factories.make_ticket(actor_id=agent, now=now)
    with pytest.raises(DomainError, match="at least one file") as err:
        ticket_conversation.add_attachments(
            load(Ticket, tid), actor=load(User, agent), now=now, uploads=[]
        )
    assert err.value.field == "attachments"
    event = ticket_conversation.add_attachments(
        load(Ticket, tid),
        actor=load(User, agent),
        now=now,
        uploads=[FakeUpload("label.pdf", b"%PDF-1.7 ..."), FakeUpload("mail.eml", b"From: a")],
    )
    assert event.kind is EventKind.ATTACHMENT
    assert event.body == "label.pdf, mail.eml"
    assert [a.content_type for a in event.attachments] == ["application/pdf", "message/rfc822"]
    assert event not in ticket_conversation.timeline(load(Ticket, tid), public_only=True)
