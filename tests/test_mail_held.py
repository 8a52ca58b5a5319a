"""The held-mail page: admins see what waits, read it safely, release or discard it, and
both decisions are recorded. Every other role gets 403."""

from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import sqlalchemy as sa

from tests import factories
from ticketdesk.core.errors import PermissionDenied
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import (
    EventKind,
    InboundMail,
    InboundSource,
    InboundState,
    Role,
    Ticket,
    TicketEvent,
    User,
)
from ticketdesk.services.mail import inbound

KNOWN = "mia@example.test"


def raw_mail(
    *, sender=f"Mia Chen <{KNOWN}>", subject="Broken cups", body="Two of the six cups were broken."
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "desk@example.test"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="mail.example.test")
    message.set_content(body)
    return message.as_bytes()


@pytest.fixture
def hold(app):
    """hold(raw) ingests ``raw`` while the sender limit is 0, so it is held (readable)."""

    def _hold(raw: bytes) -> int:
        limit = app.config["MAIL_NEW_TICKETS_PER_SENDER"]
        app.config["MAIL_NEW_TICKETS_PER_SENDER"] = 0
        try:
            with app.app_context():
                stored = inbound.ingest(raw, source=InboundSource.PIPE, now=utcnow())
                assert db.session.get(InboundMail, stored.mail.id).state is InboundState.HELD
                return stored.mail.id
        finally:
            app.config["MAIL_NEW_TICKETS_PER_SENDER"] = limit

    return _hold


def read(app, mail_id: int) -> InboundMail:
    with app.app_context():
        mail = db.session.get(InboundMail, mail_id)
        db.session.expunge(mail)
        return mail


def tickets_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Ticket.id)))


@pytest.mark.parametrize("role", [Role.AGENT, Role.ACCOUNT_MANAGER, Role.LEAD])
def test_every_other_role_gets_403_and_changes_nothing(app, make_user, login, hold, role):
    mail_id = hold(raw_mail())
    client = login(make_user(role))
    assert client.get("/admin/mail/held").status_code == 403
    assert client.get(f"/admin/mail/held/{mail_id}").status_code == 403
    assert (
        client.post(f"/admin/mail/held/{mail_id}/release", data={"target": "new"}).status_code
        == 403
    )
    assert client.post(f"/admin/mail/held/{mail_id}/discard").status_code == 403
    mail = read(app, mail_id)
    assert mail.state is InboundState.HELD and mail.decided_by_id is None
    assert tickets_count(app) == 0


@pytest.mark.parametrize("role", [Role.AGENT, Role.ACCOUNT_MANAGER, Role.LEAD])
def test_the_services_refuse_every_other_role(app, make_user, hold, role):
    mail_id = hold(raw_mail())
    user_id = make_user(role)
    with app.app_context():
        user = db.session.get(User, user_id)
        for call in (
            lambda: inbound.held(actor=user),
            lambda: inbound.release(mail_id, actor=user, now=utcnow()),
            lambda: inbound.discard(mail_id, actor=user, now=utcnow()),
        ):
            with pytest.raises(PermissionDenied):
                call()
    assert read(app, mail_id).state is InboundState.HELD


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login(client, hold):
    mail_id = hold(raw_mail())
    response = client.get(f"/admin/mail/held/{mail_id}")
    assert response.status_code == 302 and "login" in response.headers["Location"]


def test_the_list_shows_reason_sender_subject_and_received(make_user, login, hold):
    hold(raw_mail(subject="Cups again"))
    page = login(make_user(Role.ADMIN)).get("/admin/mail/held").get_data(as_text=True)
    assert "Cups again" in page and KNOWN in page
    assert "tickets by e-mail in the last hour" in page
    assert 'data-table="held-mail"' in page


def test_the_message_page_shows_the_raw_message_escaped_and_the_text(make_user, login, hold):
    mail_id = hold(raw_mail(subject="<b>bold</b>", body="Hello <script>alert(1)</script> there"))
    page = login(make_user(Role.ADMIN)).get(f"/admin/mail/held/{mail_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<b>bold</b>" not in page
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt; there" in page
    assert 'data-part="raw"' in page and "Message-ID:" in page


def test_an_admin_releases_a_message_as_a_new_ticket(app, make_user, login, hold):
    mail_id = hold(raw_mail())
    admin = make_user(Role.ADMIN, name="Ann Admin")
    response = login(admin).post(f"/admin/mail/held/{mail_id}/release", data={"target": "new"})
    assert response.status_code == 302
    mail = read(app, mail_id)
    assert mail.state is InboundState.RELEASED
    assert mail.decided_by_id == admin and mail.decided_at is not None
    with app.app_context():
        ticket = db.session.get(Ticket, mail.ticket_id)
        assert ticket.contact.email == KNOWN and ticket.description.startswith("Two of the six")
        kinds = [
            (e.kind, e.actor_id)
            for e in db.session.scalars(
                sa.select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
            )
        ]
        assert (EventKind.CREATED, None) in kinds
        assert (EventKind.INTERNAL_NOTE, admin) in kinds  # the release, audited


def test_an_admin_releases_a_message_onto_an_existing_ticket(app, make_user, login, hold):
    agent = make_user(Role.AGENT)
    with app.app_context():
        customer = factories.make_customer("Harbour Foods", contact_email=KNOWN)
        ticket_id = factories.make_ticket(actor_id=agent, customer_id=customer)
        reference = db.session.get(Ticket, ticket_id).reference
    mail_id = hold(raw_mail(sender="mia@example.test"))
    admin = make_user(Role.ADMIN)
    response = login(admin).post(
        f"/admin/mail/held/{mail_id}/release",
        data={"target": "ticket", "reference": f" {reference.lower()} "},
    )
    assert response.status_code == 302
    mail = read(app, mail_id)
    assert mail.state is InboundState.RELEASED and mail.ticket_id == ticket_id
    with app.app_context():
        event = db.session.get(TicketEvent, mail.event_id)
        assert event.kind is EventKind.CUSTOMER_MESSAGE and event.via == "email"
        audit = db.session.scalars(
            sa.select(TicketEvent).where(
                TicketEvent.ticket_id == ticket_id, TicketEvent.actor_id == admin
            )
        ).all()
        assert [e.kind for e in audit] == [EventKind.INTERNAL_NOTE]
    assert tickets_count(app) == 1


@pytest.mark.parametrize(
    "data, status, text",
    [
        ({"target": "ticket", "reference": "TD-999999"}, 404, "No ticket has the reference"),
        ({"target": "ticket", "reference": ""}, 400, "Enter the reference of the ticket."),
    ],
)
def test_a_release_that_cannot_be_done_says_why_and_keeps_the_message_held(
    app, make_user, login, hold, data, status, text
):
    mail_id = hold(raw_mail())
    response = login(make_user(Role.ADMIN)).post(f"/admin/mail/held/{mail_id}/release", data=data)
    assert response.status_code == status and text in response.get_data(as_text=True)
    assert read(app, mail_id).state is InboundState.HELD and tickets_count(app) == 0


def test_an_unreadable_message_cannot_be_released_but_can_be_discarded(app, make_user, login):
    with app.app_context():
        mail_id = inbound.ingest(
            b"not a message at all\n", source=InboundSource.PIPE, now=utcnow()
        ).mail.id
    admin = make_user(Role.ADMIN)
    client = login(admin)
    page = client.get(f"/admin/mail/held/{mail_id}").get_data(as_text=True)
    assert "It cannot be read" in page and "not a message at all" in page
    response = client.post(f"/admin/mail/held/{mail_id}/release", data={"target": "new"})
    assert response.status_code == 400 and "Discard it" in response.get_data(as_text=True)
    assert read(app, mail_id).state is InboundState.HELD
    assert client.post(f"/admin/mail/held/{mail_id}/discard").status_code == 302
    mail = read(app, mail_id)
    assert mail.state is InboundState.DISCARDED
    assert mail.decided_by_id == admin and mail.decided_at is not None and mail.raw
    assert tickets_count(app) == 0


def test_a_decided_message_cannot_be_decided_again(app, make_user, login, hold):
    mail_id = hold(raw_mail())
    client = login(make_user(Role.ADMIN))
    assert client.post(f"/admin/mail/held/{mail_id}/discard").status_code == 302
    again = client.post(f"/admin/mail/held/{mail_id}/release", data={"target": "new"})
    assert again.status_code == 409 and "no longer held" in again.get_data(as_text=True)
    twice = client.post(f"/admin/mail/held/{mail_id}/discard", follow_redirects=True)
    assert "no longer held" in twice.get_data(as_text=True)
    assert read(app, mail_id).state is InboundState.DISCARDED and tickets_count(app) == 0
    page = client.get("/admin/mail/held").get_data(as_text=True)
    assert "Broken cups" not in page.split('data-table="decided-mail"')[0]


def test_an_unknown_message_is_404(make_user, login):
    client = login(make_user(Role.ADMIN))
    assert client.get("/admin/mail/held/999").status_code == 404
    assert client.post("/admin/mail/held/999/discard").status_code == 404
    assert client.post("/admin/mail/held/999/release", data={"target": "new"}).status_code == 404


def test_release_and_discard_need_the_csrf_token(app, make_user, login, hold):
    mail_id = hold(raw_mail())
    client = login(make_user(Role.ADMIN))
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/admin/mail/held/{mail_id}/discard").status_code == 400
    assert (
        client.post(f"/admin/mail/held/{mail_id}/release", data={"target": "new"}).status_code
        == 400
    )
    assert read(app, mail_id).state is InboundState.HELD


def test_the_list_shows_who_decided_what_recently(app, make_user, login, hold):
    released = hold(raw_mail(subject="Released one"))
    discarded = hold(raw_mail(subject="Discarded one", sender="x@example.test"))
    client = login(make_user(Role.ADMIN, name="Ann Admin"))
    client.post(f"/admin/mail/held/{released}/release", data={"target": "new"})
    client.post(f"/admin/mail/held/{discarded}/discard")
    page = client.get("/admin/mail/held").get_data(as_text=True)
    waiting, decided = page.split('data-table="decided-mail"')
    assert "Released one" not in waiting and "Discarded one" not in waiting
    assert "Released one" in decided and "Discarded one" in decided
    assert decided.count("Ann Admin") == 2
    reference = read(app, released).ticket_id
    with app.app_context():
        assert f"Released to {db.session.get(Ticket, reference).reference}" in decided
