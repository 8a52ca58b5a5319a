"""Staff ticket screens: intake, attachments, the conversation, status, assignment, details,
and optimistic locking between two agents."""

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import factories
from tests.support import field_error
from ticketdesk.extensions import db
from ticketdesk.models import (
    Attachment,
    Contact,
    Customer,
    EventKind,
    Role,
    Severity,
    Ticket,
    TicketEvent,
    TicketStatus,
    User,
)
from ticketdesk.services.tickets import conversation as ticket_conversation

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


# ----------------------------------------------------------------- helpers


def _counts(build) -> dict[str, int]:
    def count():
        return {
            model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Ticket, Customer, Contact, TicketEvent, Attachment)
        }

    return build(count)


def _files(app) -> list[Path]:
    folder = Path(app.config["ATTACHMENT_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


def _ticket(build, ticket_id: int) -> dict:
    def load():
        t = db.session.get(Ticket, ticket_id)
        return {
            "status": t.status,
            "version": t.version,
            "subject": t.subject,
            "severity": t.severity,
            "first_response_at": t.first_response_at,
            "reopen_count": t.reopen_count,
            "assignee_id": t.assignee_id,
            "team_id": t.team_id,
            "resolved_at": t.resolved_at,
            "customer_id": t.customer_id,
            "contact_id": t.contact_id,
            "public_token": t.public_token,
        }

    return build(load)


def _events(build, ticket_id: int, kind: EventKind | None = None) -> list[dict]:
    def load():
        stmt = sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
        if kind is not None:
            stmt = stmt.where(TicketEvent.kind == kind)
        return [
            {
                "kind": e.kind,
                "field": e.field,
                "old": e.old_value,
                "new": e.new_value,
                "body": e.body,
                "actor_id": e.actor_id,
                "by_customer": e.by_customer,
            }
            for e in db.session.scalars(stmt.order_by(TicketEvent.id))
        ]

    return build(load)


def _form(html: str, action: str) -> str:
    match = re.search(r'<form[^>]*action="%s"[^>]*>(.*?)</form>' % re.escape(action), html, re.S)
    assert match, f"no form posting to {action}"
    return match.group(1)


def _version_in(html: str, action: str) -> str:
    match = re.search(r'name="version" type="hidden" value="(\d+)"', _form(html, action))
    assert match, f"no version in the form posting to {action}"
    return match.group(1)


@pytest.fixture
def desk(build, now):
    """A team with an agent, a second agent, a lead and a customer with one contact."""

    def make():
        team = factories.make_team("Front desk")
        agent = factories.make_user(Role.AGENT, name="Ann Agent", team_ids=(team,))
        agent2 = factories.make_user(Role.AGENT, name="Bob Agent", team_ids=(team,))
        lead = factories.make_user(Role.LEAD, name="Lee Lead")
        customer = factories.make_customer("Olive Grove Ltd", contact_email="buyer@olive.example")
        other = factories.make_customer("Other Ltd", contact_email="taken@other.example")
        ticket = factories.make_ticket(actor_id=lead, customer_id=customer, team_id=team, now=now)
        return dict(
            team=team,
            agent=agent,
            agent2=agent2,
            lead=lead,
            customer=customer,
            other=other,
            ticket=ticket,
            category=factories.category_id("wrong_item"),
        )

    return build(make)


def _intake(desk, **overrides) -> dict:
    data = {
        "customer_id": str(desk["customer"]),
        "new_customer_name": "",
        "new_customer_tier": "standard",
        "contact_name": "",
        "contact_email": "",
        "contact_phone": "",
        "channel": "email",
        "kind": "complaint",
        "category_id": str(desk["category"]),
        "severity": "p2",
        "subject": "Wrong colour delivered",
        "description": "Ordered green, got red.",
        "order_reference": "SO-77",
        "currency": "EUR",
        "order_value": "120.50",
        "claimed_loss": "",
        "team_id": "",
        "assignee_id": "",
    }
    data.update(overrides)
    return data


def _post_new(client, data: dict):
    return client.post("/tickets/new", data=data, content_type="multipart/form-data")


# ----------------------------------------------------------------- intake


def test_log_complaint_for_existing_customer(app, build, desk):
    before = _counts(build)
    client = factories.client_as(app, desk["agent"])
    resp = _post_new(
        client, _intake(desk, team_id=str(desk["team"]), assignee_id=str(desk["agent"]))
    )
    assert resp.status_code == 302
    ticket_id = int(re.fullmatch(r"/tickets/(\d+)", resp.location).group(1))
    after = _counts(build)
    assert after["tickets"] == before["tickets"] + 1
    assert after["customers"] == before["customers"]
    assert after["contacts"] == before["contacts"]
    t = _ticket(build, ticket_id)
    assert t["customer_id"] == desk["customer"]
    assert t["status"] is TicketStatus.NEW
    assert t["assignee_id"] == desk["agent"] and t["team_id"] == desk["team"]
    kinds = [e["kind"] for e in _events(build, ticket_id)]
    assert kinds[0] is EventKind.CREATED
    assert kinds.count(EventKind.ASSIGNMENT) == 2
    created = _events(build, ticket_id, EventKind.CREATED)[0]
    assert created["actor_id"] == desk["agent"] and created["body"] == "Ordered green, got red."
    page = client.get(resp.location).get_data(as_text=True)
    assert "Wrong colour delivered" in page
    assert re.search(r"Complaint TD-\d{6} logged\.", page)


def test_log_complaint_with_new_customer_and_contact(app, build, desk):
    resp = _post_new(
        factories.client_as(app, desk["lead"]),
        _intake(
            desk,
            customer_id="",
            new_customer_name="Brand New Bakery",
            new_customer_tier="key",
            contact_name="Bea Baker",
            contact_email="Bea@Bakery.example",
            contact_phone="+31 20 555",
        ),
    )
    assert resp.status_code == 302
    ticket_id = int(resp.location.rsplit("/", 1)[1])

    def check():
        t = db.session.get(Ticket, ticket_id)
        assert t.customer.name == "Brand New Bakery"
        assert t.customer.tier.value == "key"
        assert t.contact is not None and t.contact.customer_id == t.customer_id
        assert (t.contact.name, t.contact.email, t.contact.phone) == (
            "Bea Baker",
            "bea@bakery.example",
            "+31 20 555",
        )
        # Received, then routed: no rules yet, so the fallback team takes it.
        assert [e.kind for e in t.events][:2] == [EventKind.CREATED, EventKind.ROUTING]
        assert t.team is not None

    build(check)


def test_existing_contact_email_of_the_same_customer_is_reused(app, build, desk):
    before = _counts(build)
    resp = _post_new(
        factories.client_as(app, desk["agent"]),
        _intake(desk, contact_name="Buyer", contact_email="BUYER@olive.example"),
    )
    assert resp.status_code == 302
    assert _counts(build)["contacts"] == before["contacts"]


def test_validation_errors_are_shown_by_field_and_nothing_is_saved(app, build, desk):
    before = _counts(build)
    resp = _post_new(
        factories.client_as(app, desk["agent"]),
        _intake(
            desk,
            customer_id="",
            new_customer_name="Would Be Created",
            contact_name="Someone",
            contact_email="not-an-email",
            subject="",
            description="",
            currency="EURO",
            order_value="-5",
        ),
    )
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert field_error(html, "subject") == "This field is required."
    assert field_error(html, "description") == "This field is required."
    assert field_error(html, "contact_email") == "Invalid email address."
    assert field_error(html, "currency")
    assert field_error(html, "order_value")
    assert "Nothing was saved" in html
    # The user's input is kept.
    assert 'value="Would Be Created"' in html
    assert _counts(build) == before


def test_customer_or_new_customer_name_is_required(app, build, desk):
    before = _counts(build)
    resp = _post_new(factories.client_as(app, desk["agent"]), _intake(desk, customer_id=""))
    assert resp.status_code == 200
    assert "Choose a customer or enter a new customer name." in field_error(
        resp.get_data(as_text=True), "customer_id"
    )
    resp = _post_new(
        factories.client_as(app, desk["agent"]), _intake(desk, new_customer_name="Both")
    )
    assert field_error(resp.get_data(as_text=True), "new_customer_name")
    assert _counts(build) == before


def test_service_error_after_valid_form_saves_nothing(app, build, desk):
    """The contact e-mail belongs to another customer: found by the service, not the form.
    First it is offered as a likely duplicate; creating a new customer anyway is refused."""
    before = _counts(build)
    data = _intake(
        desk,
        customer_id="",
        new_customer_name="Fresh Customer",
        contact_name="Tess",
        contact_email="taken@other.example",
    )
    client = factories.client_as(app, desk["agent"])
    resp = _post_new(client, {**data, "attachments": [(io.BytesIO(PNG), "photo.png")]})
    assert resp.status_code == 200
    assert f'name="use_customer_id" value="{desk["other"]}"' in resp.get_data(as_text=True)
    assert _counts(build) == before
    resp = _post_new(
        client,
        {**data, "create_anyway": "y", "attachments": [(io.BytesIO(PNG), "photo.png")]},
    )
    assert resp.status_code == 200
    error = field_error(resp.get_data(as_text=True), "contact_email")
    assert error == "taken@other.example is already a contact of Other Ltd."
    assert _counts(build) == before
    assert _files(app) == []
    assert (
        build(
            lambda: db.session.scalar(
                sa.select(Customer.id).where(Customer.name == "Fresh Customer")
            )
        )
        is None
    )


def test_assignment_error_rolls_back_the_new_customer(app, build, desk):
    lone = build(factories.make_user, Role.AGENT)  # not in the team
    before = _counts(build)
    resp = _post_new(
        factories.client_as(app, desk["agent"]),
        _intake(
            desk,
            customer_id="",
            new_customer_name="Rollback Co",
            contact_name="Ron",
            contact_email="ron@rollback.example",
            team_id=str(desk["team"]),
            assignee_id=str(lone),
        ),
    )
    assert resp.status_code == 200
    assert "is not a member of Front desk" in field_error(
        resp.get_data(as_text=True), "assignee_id"
    )
    assert _counts(build) == before


def test_retired_or_unknown_category_is_refused(app, build, desk):
    before = _counts(build)
    resp = _post_new(factories.client_as(app, desk["agent"]), _intake(desk, category_id="99999"))
    assert resp.status_code == 200
    assert field_error(resp.get_data(as_text=True), "category_id")
    assert _counts(build) == before


# ----------------------------------------------------------------- attachments


def test_intake_with_attachment_stores_file_and_row(app, build, desk):
    resp = _post_new(
        factories.client_as(app, desk["agent"]),
        _intake(desk, attachments=[(io.BytesIO(PNG), "photo.png")]),
    )
    assert resp.status_code == 302
    ticket_id = int(resp.location.rsplit("/", 1)[1])

    def rows():
        return [
            (a.original_name, a.content_type, a.size_bytes, a.stored_name, a.event.kind)
            for a in db.session.get(Ticket, ticket_id).attachments
        ]

    [(name, ctype, size, stored, kind)] = build(rows)
    assert (name, ctype, size, kind) == ("photo.png", "image/png", len(PNG), EventKind.CREATED)
    files = _files(app)
    assert [f.name for f in files] == [stored]
    assert files[0].read_bytes() == PNG
    # The ticket page links the file.
    page = factories.client_as(app, desk["agent"]).get(resp.location).get_data(as_text=True)
    assert "photo.png" in page and "/tickets/attachments/" in page


@pytest.mark.parametrize(
    "upload, message",
    [
        ((b"MZ\x90\x00" + b"\x00" * 20, "setup.exe"), "this file type is not accepted"),
        ((b"GIF89a" + b"\x00" * 20, "fake.png"), "does not look like a PNG file"),
        ((b"", "empty.png"), "empty.png is empty"),
    ],
)
def test_bad_attachments_are_refused_and_leave_nothing(app, build, desk, upload, message):
    before = _counts(build)
    data, name = upload
    resp = _post_new(
        factories.client_as(app, desk["agent"]),
        _intake(
            desk,
            customer_id="",
            new_customer_name="Should Not Exist",
            attachments=[(io.BytesIO(PNG), "good.png"), (io.BytesIO(data), name)],
        ),
    )
    assert resp.status_code == 200
    error = field_error(resp.get_data(as_text=True), "attachments")
    assert error and message in error
    assert _counts(build) == before
    assert _files(app) == []


def test_attachment_over_the_size_limit_is_refused(app, build, desk):
    app.config["MAX_ATTACHMENT_BYTES"] = 100
    before = _counts(build)
    resp = _post_new(
        factories.client_as(app, desk["agent"]),
        _intake(desk, attachments=[(io.BytesIO(PNG + b"\x00" * 200), "big.png")]),
    )
    assert resp.status_code == 200
    error = field_error(resp.get_data(as_text=True), "attachments")
    assert error and "big.png is larger than" in error
    assert _counts(build) == before
    assert _files(app) == []


def test_too_many_attachments_are_refused(app, build, desk):
    app.config["MAX_ATTACHMENTS_PER_UPLOAD"] = 2
    before = _counts(build)
    resp = _post_new(
        factories.client_as(app, desk["agent"]),
        _intake(desk, attachments=[(io.BytesIO(PNG), f"p{i}.png") for i in range(3)]),
    )
    assert resp.status_code == 200
    assert "at most 2 files" in field_error(resp.get_data(as_text=True), "attachments")
    assert _counts(build) == before
    assert _files(app) == []


def _attach_note(build, desk, now, data=PNG, name="photo.png") -> int:
    from werkzeug.datastructures import FileStorage

    def make():
        event = ticket_conversation.add_note(
            db.session.get(Ticket, desk["ticket"]),
            actor=db.session.get(User, desk["lead"]),
            body="Photo",
            now=now,
            uploads=[FileStorage(io.BytesIO(data), filename=name)],
        )
        return event.attachments[0].id

    return build(make)


def test_attachment_download_rules_and_headers(app, build, desk, now):
    att = _attach_note(build, desk, now)
    url = f"/tickets/attachments/{att}"
    resp = factories.client_as(app, desk["agent"]).get(url)
    assert resp.status_code == 200
    assert resp.data == PNG
    assert resp.mimetype == "image/png"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in resp.headers["Cache-Control"]
    # Anonymous: to the login page. Other team: 403. Admin: 403.
    anon = app.test_client().get(url)
    assert anon.status_code == 302 and anon.location.startswith("/login?next=")
    other_team = build(factories.make_team, "Elsewhere")
    outsider = build(factories.make_user, Role.AGENT, team_ids=(other_team,))
    assert factories.client_as(app, outsider).get(url).status_code == 403
    assert (
        factories.client_as(app, build(factories.make_user, Role.ADMIN)).get(url).status_code == 403
    )
    # The customer's account manager may download it.
    am = build(factories.make_user, Role.ACCOUNT_MANAGER)

    def manage():
        db.session.get(Customer, desk["customer"]).account_manager_id = am
        db.session.commit()

    build(manage)
    assert factories.client_as(app, am).get(url).status_code == 200


def test_non_image_attachment_is_downloaded_not_shown(app, build, desk, now):
    att = _attach_note(build, desk, now, data=b"<script>alert(1)</script>", name="notes.txt")
    resp = factories.client_as(app, desk["agent"]).get(f"/tickets/attachments/{att}")
    assert resp.status_code == 200
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"].startswith("attachment")


def test_missing_file_is_404(app, build, desk, now):
    att = _attach_note(build, desk, now)
    for f in _files(app):
        f.unlink()
    assert (
        factories.client_as(app, desk["agent"]).get(f"/tickets/attachments/{att}").status_code
        == 404
    )


def test_reply_with_attachment(app, build, desk):
    t = _ticket(build, desk["ticket"])
    resp = factories.client_as(app, desk["agent"]).post(
        f"/tickets/{desk['ticket']}/reply",
        content_type="multipart/form-data",
        data={
            "version": t["version"],
            "body": "See the label",
            "status_after": "",
            "attachments": [(io.BytesIO(PNG), "label.png")],
        },
    )
    assert resp.status_code == 302
    assert _counts(build)["attachments"] == 1 and len(_files(app)) == 1


# ----------------------------------------------------------------- the conversation


def _post(app, user_id, ticket_id, action, **data):
    return factories.client_as(app, user_id).post(f"/tickets/{ticket_id}/{action}", data=data)


def test_reply_sets_first_response_and_opens(app, build, desk, now):
    tid = desk["ticket"]
    assert _ticket(build, tid)["first_response_at"] is None
    resp = _post(
        app,
        desk["agent"],
        tid,
        "reply",
        version=_ticket(build, tid)["version"],
        body="Sorry! A new one is on its way.",
        status_after="",
    )
    assert resp.status_code == 302 and resp.location == f"/tickets/{tid}"
    t = _ticket(build, tid)
    assert t["status"] is TicketStatus.OPEN
    first = t["first_response_at"]
    assert first is not None
    reply = _events(build, tid, EventKind.PUBLIC_REPLY)
    assert [e["body"] for e in reply] == ["Sorry! A new one is on its way."]
    assert [(e["old"], e["new"]) for e in _events(build, tid, EventKind.STATUS_CHANGE)] == [
        ("new", "open")
    ]
    # A second reply with a status leaves the first response alone.
    resp = _post(
        app,
        desk["agent"],
        tid,
        "reply",
        version=t["version"],
        body="Can you send a photo?",
        status_after="pending_customer",
    )
    assert resp.status_code == 302
    t2 = _ticket(build, tid)
    assert t2["status"] is TicketStatus.PENDING_CUSTOMER
    assert t2["first_response_at"] == first


def test_reply_with_status_after_resolved(app, build, desk):
    tid = desk["ticket"]
    resp = _post(
        app,
        desk["agent"],
        tid,
        "reply",
        version=_ticket(build, tid)["version"],
        body="Refunded.",
        status_after="resolved",
    )
    assert resp.status_code == 302
    t = _ticket(build, tid)
    assert t["status"] is TicketStatus.RESOLVED and t["resolved_at"] is not None


def test_empty_reply_is_a_field_error(app, build, desk):
    tid = desk["ticket"]
    resp = _post(
        app,
        desk["agent"],
        tid,
        "reply",
        version=_ticket(build, tid)["version"],
        body="   ",
        status_after="",
    )
    assert resp.status_code == 200
    assert field_error(resp.get_data(as_text=True), "body")
    assert _events(build, tid, EventKind.PUBLIC_REPLY) == []


def test_reply_cannot_close_or_go_back_to_new(app, build, desk):
    tid = desk["ticket"]
    for target in ("closed", "new"):
        resp = _post(
            app,
            desk["agent"],
            tid,
            "reply",
            version=_ticket(build, tid)["version"],
            body="Bye",
            status_after=target,
        )
        assert resp.status_code == 200, target
    assert _events(build, tid, EventKind.PUBLIC_REPLY) == []


def test_internal_note_never_reaches_the_public_page(app, build, desk):
    tid = desk["ticket"]
    version = _ticket(build, tid)["version"]
    assert (
        _post(app, desk["agent"], tid, "note", body="SECRET-NOTE: customer seems upset").status_code
        == 302
    )
    assert (
        _post(
            app,
            desk["agent"],
            tid,
            "reply",
            version=version,
            body="PUBLIC-REPLY: sorry",
            status_after="",
        ).status_code
        == 302
    )
    t = _ticket(build, tid)
    assert t["version"] == version + 1  # the note itself does not change the ticket
    staff = factories.client_as(app, desk["agent"]).get(f"/tickets/{tid}").get_data(as_text=True)
    assert "SECRET-NOTE" in staff and "PUBLIC-REPLY" in staff
    public = app.test_client().get(f"/complain/t/{t['public_token']}")
    assert public.status_code == 200
    body = public.get_data(as_text=True)
    assert "PUBLIC-REPLY: sorry" in body
    assert "SECRET-NOTE" not in body
    assert "Internal note" not in body


def test_customer_message_logged_by_staff_reopens_pending_ticket(app, build, desk):
    tid = desk["ticket"]
    _post(
        app,
        desk["agent"],
        tid,
        "reply",
        version=_ticket(build, tid)["version"],
        body="Which size?",
        status_after="pending_customer",
    )
    assert _ticket(build, tid)["status"] is TicketStatus.PENDING_CUSTOMER
    resp = _post(app, desk["agent"], tid, "customer-message", body="Size M, said on the phone.")
    assert resp.status_code == 302
    assert _ticket(build, tid)["status"] is TicketStatus.OPEN
    [msg] = _events(build, tid, EventKind.CUSTOMER_MESSAGE)
    assert msg["by_customer"] and msg["actor_id"] == desk["agent"]
    page = factories.client_as(app, desk["agent"]).get(f"/tickets/{tid}").get_data(as_text=True)
    assert "logged by Ann Agent" in page


def test_status_change_and_reopen_from_resolved(app, build, desk):
    tid = desk["ticket"]
    resp = _post(
        app, desk["agent"], tid, "status", version=_ticket(build, tid)["version"], status="resolved"
    )
    assert resp.status_code == 302
    t = _ticket(build, tid)
    assert t["status"] is TicketStatus.RESOLVED and t["reopen_count"] == 0
    resp = _post(app, desk["agent"], tid, "status", version=t["version"], status="open")
    assert resp.status_code == 302
    t = _ticket(build, tid)
    assert t["status"] is TicketStatus.OPEN
    assert t["reopen_count"] == 1 and t["resolved_at"] is None
    changes = [(e["old"], e["new"]) for e in _events(build, tid, EventKind.STATUS_CHANGE)]
    assert changes == [("new", "resolved"), ("resolved", "open")]
    page = factories.client_as(app, desk["agent"]).get(f"/tickets/{tid}").get_data(as_text=True)
    assert "1 time" in page


def test_status_cannot_be_set_to_new_or_to_itself(app, build, desk):
    tid = desk["ticket"]
    version = _ticket(build, tid)["version"]
    for target in ("new", "bogus"):
        resp = _post(app, desk["agent"], tid, "status", version=version, status=target)
        assert resp.status_code == 200
        assert "Not a valid choice" in _form(resp.get_data(as_text=True), f"/tickets/{tid}/status")
    assert _ticket(build, tid)["version"] == version


def test_assign_and_take(app, build, desk):
    tid = desk["ticket"]
    resp = _post(
        app,
        desk["agent"],
        tid,
        "assign",
        version=_ticket(build, tid)["version"],
        team_id=str(desk["team"]),
        assignee_id=str(desk["agent2"]),
    )
    assert resp.status_code == 302
    assert _ticket(build, tid)["assignee_id"] == desk["agent2"]
    # Intake wrote the team assignment; this adds only the assignee change.
    change = _events(build, tid, EventKind.ASSIGNMENT)[-1]
    assert (change["field"], change["old"], change["new"]) == ("assignee", None, "Bob Agent")

    resp = _post(app, desk["agent"], tid, "take", version=_ticket(build, tid)["version"])
    assert resp.status_code == 302
    t = _ticket(build, tid)
    assert t["assignee_id"] == desk["agent"] and t["team_id"] == desk["team"]

    # Assigning the same again is refused with a message; nobody else is written.
    events = len(_events(build, tid))
    resp = _post(
        app,
        desk["agent"],
        tid,
        "assign",
        version=t["version"],
        team_id=str(desk["team"]),
        assignee_id=str(desk["agent"]),
    )
    assert resp.status_code == 200
    assert "Nothing to change" in field_error(resp.get_data(as_text=True), "assignee_id")
    assert len(_events(build, tid)) == events


def test_assign_outside_the_team_is_refused(app, build, desk):
    tid = desk["ticket"]
    outsider = build(factories.make_user, Role.AGENT, name="Out Sider")
    resp = _post(
        app,
        desk["agent"],
        tid,
        "assign",
        version=_ticket(build, tid)["version"],
        team_id=str(desk["team"]),
        assignee_id=str(outsider),
    )
    assert resp.status_code == 200
    assert (
        field_error(resp.get_data(as_text=True), "assignee_id")
        == "Out Sider is not a member of Front desk."
    )
    assert _ticket(build, tid)["assignee_id"] is None


def test_lead_take_clears_a_team_they_are_not_in(app, build, desk):
    tid = desk["ticket"]
    resp = _post(app, desk["lead"], tid, "take", version=_ticket(build, tid)["version"])
    assert resp.status_code == 302
    t = _ticket(build, tid)
    assert t["assignee_id"] == desk["lead"] and t["team_id"] is None


def test_details_edit_writes_one_event_per_changed_field(app, build, desk):
    tid = desk["ticket"]
    category = build(factories.category_id, "missing_short_shipment")
    resp = _post(
        app,
        desk["agent"],
        tid,
        "details",
        version=_ticket(build, tid)["version"],
        subject="One bottle missing",
        kind="complaint",
        category_id=str(category),
        severity="p1",
        order_reference="",
        currency="EUR",
        order_value="",
        claimed_loss="",
    )
    assert resp.status_code == 302
    changes = [
        (e["field"], e["old"], e["new"]) for e in _events(build, tid, EventKind.FIELD_CHANGE)
    ]
    assert changes == [
        ("subject", "Bottle missing", "One bottle missing"),
        ("severity", "p3", "p1"),
    ]
    t = _ticket(build, tid)
    assert t["subject"] == "One bottle missing" and t["severity"] is Severity.P1


def test_details_money_fields(app, build, desk):
    tid = desk["ticket"]
    category = build(factories.category_id, "missing_short_shipment")
    base = dict(
        subject="Bottle missing",
        kind="complaint",
        category_id=str(category),
        severity="p3",
        order_reference="",
        currency="EUR",
    )
    resp = _post(
        app,
        desk["agent"],
        tid,
        "details",
        version=_ticket(build, tid)["version"],
        order_value="10.5",
        claimed_loss="3",
        **base,
    )
    assert resp.status_code == 302
    fields = [(e["field"], e["new"]) for e in _events(build, tid, EventKind.FIELD_CHANGE)]
    assert fields == [("order_value", "10.50"), ("claimed_loss", "3.00")]
    resp = _post(
        app,
        desk["agent"],
        tid,
        "details",
        version=_ticket(build, tid)["version"],
        order_value="-1",
        claimed_loss="3",
        **base,
    )
    assert resp.status_code == 200
    assert field_error(resp.get_data(as_text=True), "order_value")


def test_details_without_changes_is_a_message(app, build, desk):
    tid = desk["ticket"]
    category = build(factories.category_id, "missing_short_shipment")
    version = _ticket(build, tid)["version"]
    resp = _post(
        app,
        desk["agent"],
        tid,
        "details",
        version=version,
        subject="Bottle missing",
        kind="complaint",
        category_id=str(category),
        severity="p3",
        order_reference="",
        currency="EUR",
    )
    assert resp.status_code == 200
    assert field_error(resp.get_data(as_text=True), "subject") == "Nothing was changed."
    assert _ticket(build, tid)["version"] == version


# ----------------------------------------------------------------- optimistic locking


def test_details_conflict_between_two_agents(app, build, desk):
    tid = desk["ticket"]
    url = f"/tickets/{tid}"
    a, b = factories.client_as(app, desk["agent"]), factories.client_as(app, desk["agent2"])
    version_a = _version_in(a.get(url).get_data(as_text=True), f"{url}/details")
    version_b = _version_in(b.get(url).get_data(as_text=True), f"{url}/details")
    assert version_a == version_b
    category = str(build(factories.category_id, "missing_short_shipment"))

    def details(subject, version, severity):
        return {
            "version": version,
            "subject": subject,
            "kind": "complaint",
            "category_id": category,
            "severity": severity,
            "order_reference": "",
            "currency": "EUR",
        }

    assert (
        a.post(f"{url}/details", data=details("Subject from A", version_a, "p2")).status_code == 302
    )
    events_after_a = _events(build, tid)

    resp = b.post(f"{url}/details", data=details("Subject from B", version_b, "p4"))
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "was changed by Ann Agent while you were working on it" in html
    assert "Nothing of yours was saved" in html
    form = _form(html, f"{url}/details")
    assert 'value="Subject from B"' in form  # B's input is kept
    assert re.search(r'<option selected value="p4">', form)
    t = _ticket(build, tid)
    assert t["subject"] == "Subject from A" and t["severity"] is Severity.P2
    assert _events(build, tid) == events_after_a  # nothing of B's saved

    new_version = _version_in(html, f"{url}/details")
    assert int(new_version) == t["version"] != int(version_b)
    resp = b.post(f"{url}/details", data=details("Subject from B", new_version, "p4"))
    assert resp.status_code == 302
    t = _ticket(build, tid)
    assert t["subject"] == "Subject from B" and t["severity"] is Severity.P4


def test_reply_conflicts_with_a_status_change(app, build, desk):
    tid = desk["ticket"]
    url = f"/tickets/{tid}"
    a, b = factories.client_as(app, desk["agent"]), factories.client_as(app, desk["agent2"])
    version_a = _version_in(a.get(url).get_data(as_text=True), f"{url}/status")
    version_b = _version_in(b.get(url).get_data(as_text=True), f"{url}/reply")

    assert (
        a.post(f"{url}/status", data={"version": version_a, "status": "resolved"}).status_code
        == 302
    )

    reply = {"body": "Reply typed by B meanwhile", "status_after": ""}
    resp = b.post(f"{url}/reply", data={**reply, "version": version_b})
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "was changed by Ann Agent" in html
    assert "Reply typed by B meanwhile</textarea>" in _form(html, f"{url}/reply")
    assert _events(build, tid, EventKind.PUBLIC_REPLY) == []
    t = _ticket(build, tid)
    assert t["status"] is TicketStatus.RESOLVED and t["first_response_at"] is None

    resp = b.post(f"{url}/reply", data={**reply, "version": _version_in(html, f"{url}/reply")})
    assert resp.status_code == 302
    assert len(_events(build, tid, EventKind.PUBLIC_REPLY)) == 1


def test_conflict_names_the_customer_when_they_wrote(app, build, desk, now):
    tid = desk["ticket"]
    url = f"/tickets/{tid}"
    b = factories.client_as(app, desk["agent2"])
    version = _version_in(b.get(url).get_data(as_text=True), f"{url}/status")
    _post(
        app,
        desk["agent"],
        tid,
        "reply",
        version=version,
        body="Which size?",
        status_after="pending_customer",
    )
    token = _ticket(build, tid)["public_token"]
    app.test_client().post(f"/complain/t/{token}", data={"body": "Size M please"})
    resp = b.post(f"{url}/status", data={"version": version, "status": "resolved"})
    assert resp.status_code == 409
    assert "was changed by the customer" in resp.get_data(as_text=True)
    assert _ticket(build, tid)["status"] is TicketStatus.OPEN


def test_conflict_names_who_changed_the_ticket_not_who_added_a_note(app, build, desk):
    tid = desk["ticket"]
    url = f"/tickets/{tid}"
    a, b = factories.client_as(app, desk["agent"]), factories.client_as(app, desk["agent2"])
    version = _version_in(b.get(url).get_data(as_text=True), f"{url}/status")
    assert (
        a.post(f"{url}/status", data={"version": version, "status": "resolved"}).status_code == 302
    )
    # A note afterwards does not change the ticket (nor its version).
    assert _post(app, desk["lead"], tid, "note", body="FYI").status_code == 302
    resp = b.post(f"{url}/status", data={"version": version, "status": "pending_customer"})
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "was changed by Ann Agent" in html
    assert "was changed by Lee Lead" not in html


def test_stale_take_is_a_conflict(app, build, desk):
    tid = desk["ticket"]
    url = f"/tickets/{tid}"
    a, b = factories.client_as(app, desk["agent"]), factories.client_as(app, desk["agent2"])
    version = _version_in(b.get(url).get_data(as_text=True), f"{url}/take")
    assert a.post(f"{url}/take", data={"version": version}).status_code == 302
    resp = b.post(f"{url}/take", data={"version": version})
    assert resp.status_code == 409
    assert _ticket(build, tid)["assignee_id"] == desk["agent"]
