"""The ticket page's e-mail side, through HTTP: who a reply goes to, "log only", copies,
resending the private link (and who may), delivery states on the timeline, and the
acknowledgement of a complaint sent on the public form."""

import email
import email.policy
import html as html_lib
import re

import pytest
import sqlalchemy as sa

from tests import factories
from tests.support import Recorder
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import (
    Contact,
    EventKind,
    MailPurpose,
    OutboxMessage,
    Role,
    Ticket,
    TicketCc,
    TicketEvent,
)
from ticketdesk.services.notifications import outbox

MIA = "mia.chen@example.test"
BEN = "ben.ode@example.test"


def _text(page: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def desk(app, build):
    def make():
        team = factories.make_team("Customer Care")
        agent = factories.make_user(Role.AGENT, name="Anna Berg", team_ids=(team,))
        outsider = factories.make_user(
            Role.AGENT, name="Otto Out", team_ids=(factories.make_team("Billing"),)
        )
        manager = factories.make_user(Role.ACCOUNT_MANAGER, name="Ama Manager")
        customer_id = factories.make_customer("Chen Trading", account_manager_id=manager)
        ticket = factories.load(
            Ticket,
            factories.make_ticket(
                actor_id=agent,
                now=utcnow(),
                customer_id=customer_id,
                subject="Bags missing",
                description="Two bags short.",
                contact="Mia Chen",
                contact_email=MIA,
                team_id=team,
                assignee_id=agent,
            ),
        )
        ben = Contact(customer_id=customer_id, name="Ben Ode", email=BEN)
        db.session.add(ben)
        db.session.commit()
        return {
            "agent": agent,
            "outsider": outsider,
            "manager": manager,
            "ticket": ticket.id,
            "ben": ben.id,
        }

    return build(make)


def _version(build, ticket_id: int) -> str:
    return str(build(lambda: db.session.get(Ticket, ticket_id).version))


def _outbox(build, ticket_id: int, purpose: MailPurpose) -> list[dict]:
    def load():
        return [
            {"to": m.to_address, "cc": m.cc_addresses, "state": m.state, "id": m.id}
            for m in db.session.scalars(
                sa.select(OutboxMessage)
                .where(OutboxMessage.ticket_id == ticket_id, OutboxMessage.purpose == purpose)
                .order_by(OutboxMessage.id)
            )
        ]

    return build(load)


def _replies(build, ticket_id: int) -> list[tuple[str, str]]:
    return build(
        lambda: [
            (e.body, e.via)
            for e in db.session.scalars(
                sa.select(TicketEvent)
                .where(
                    TicketEvent.ticket_id == ticket_id, TicketEvent.kind == EventKind.PUBLIC_REPLY
                )
                .order_by(TicketEvent.id)
            )
        ]
    )


def _copy(app, desk):
    resp = factories.client_as(app, desk["agent"]).post(
        f"/tickets/{desk['ticket']}/cc", data={"contact_id": str(desk["ben"])}
    )
    assert resp.status_code == 302


# ----------------------------------------------------------------- the reply form


def test_the_reply_form_says_who_will_receive_it(app, desk):
    client = factories.client_as(app, desk["agent"])
    page = _text(client.get(f"/tickets/{desk['ticket']}").get_data(as_text=True))
    assert f"E-mailed to Mia Chen <{MIA}>" in page and "cc" not in page.split("E-mailed to")[1][:40]
    assert "Log only, do not e-mail" in page
    _copy(app, desk)
    page = _text(client.get(f"/tickets/{desk['ticket']}").get_data(as_text=True))
    assert f"E-mailed to Mia Chen <{MIA}>, cc Ben Ode <{BEN}>" in page


def test_a_reply_is_emailed_and_its_delivery_shows_on_the_timeline(app, desk, build, smtp):
    smtp(Recorder(refuse=5, code="550 5.1.1 Mailbox unavailable"))
    client = factories.client_as(app, desk["agent"])
    _copy(app, desk)
    resp = client.post(
        f"/tickets/{desk['ticket']}/reply",
        follow_redirects=True,
        data={
            "body": "We are sending the bags today.",
            "version": _version(build, desk["ticket"]),
            "status_after": "",
        },
    )
    page = _text(resp.get_data(as_text=True))
    assert "Reply saved and queued to be e-mailed to the customer." in page
    assert _replies(build, desk["ticket"]) == [("We are sending the bags today.", "email")]
    (reply,) = _outbox(build, desk["ticket"], MailPurpose.REPLY)
    assert (reply["to"], reply["cc"]) == (MIA, BEN)
    assert f"queued to {MIA}, {BEN}" in page
    build(lambda: outbox.send_due(now=utcnow()))
    page = _text(client.get(f"/tickets/{desk['ticket']}").get_data(as_text=True))
    # The server refused it: the reply stays on the ticket, marked with the reason.
    assert f"failed to {MIA}, {BEN}" in page and "550 5.1.1 Mailbox unavailable" in page
    assert "We are sending the bags today." in page
    # The customer's private page shows the reply, never the delivery details.
    token = build(lambda: db.session.get(Ticket, desk["ticket"]).public_token)
    public = _text(app.test_client().get(f"/complain/t/{token}").get_data(as_text=True))
    assert "We are sending the bags today." in public
    assert "550" not in public and BEN not in public and "failed" not in public


def test_log_only_keeps_the_reply_off_email(app, desk, build):
    client = factories.client_as(app, desk["agent"])
    resp = client.post(
        f"/tickets/{desk['ticket']}/reply",
        follow_redirects=True,
        data={
            "body": "Told Mia on the phone: new bags today.",
            "log_only": "y",
            "version": _version(build, desk["ticket"]),
            "status_after": "",
        },
    )
    page = _text(resp.get_data(as_text=True))
    assert "Reply logged on the ticket; it was not e-mailed." in page
    assert "Logged only, not e-mailed." in page
    assert _replies(build, desk["ticket"]) == [
        ("Told Mia on the phone: new bags today.", "log_only")
    ]
    assert _outbox(build, desk["ticket"], MailPurpose.REPLY) == []


def test_an_internal_note_is_never_emailed(app, desk, build):
    _copy(app, desk)
    resp = factories.client_as(app, desk["agent"]).post(
        f"/tickets/{desk['ticket']}/note", data={"body": "Customer seems upset, be kind."}
    )
    assert resp.status_code == 302
    sent = build(lambda: [m.body for m in db.session.scalars(sa.select(OutboxMessage))])
    assert sent and all("be kind" not in body for body in sent)
    assert _outbox(build, desk["ticket"], MailPurpose.REPLY) == []


# ----------------------------------------------------------------- copies


def test_copies_are_added_and_removed_on_the_ticket_page(app, desk, build):
    client = factories.client_as(app, desk["agent"])
    page = _text(client.get(f"/tickets/{desk['ticket']}").get_data(as_text=True))
    assert "Nobody else is copied." in page
    resp = client.post(
        f"/tickets/{desk['ticket']}/cc",
        data={"contact_id": str(desk["ben"])},
        follow_redirects=True,
    )
    assert "Ben Ode is copied on every reply from now on." in _text(resp.get_data(as_text=True))
    assert build(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(TicketCc))) == 1
    # Copying twice, or a contact of another customer, is refused with a message.
    stranger = build(lambda: _stranger())
    for contact_id in (desk["ben"], stranger, "x"):
        resp = client.post(f"/tickets/{desk['ticket']}/cc", data={"contact_id": str(contact_id)})
        assert resp.status_code == 200
    assert build(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(TicketCc))) == 1
    resp = client.post(f"/tickets/{desk['ticket']}/cc/{desk['ben']}/remove", follow_redirects=True)
    assert "Ben Ode is no longer copied on replies." in _text(resp.get_data(as_text=True))
    assert build(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(TicketCc))) == 0


def _stranger() -> int:
    contact = Contact(
        customer_id=factories.make_customer(), name="Sam Stranger", email="sam@example.test"
    )
    db.session.add(contact)
    db.session.commit()
    return contact.id


@pytest.mark.parametrize("who", ["outsider", "manager"])
@pytest.mark.parametrize("action", ["cc", "remove", "link"])
def test_who_may_not_work_the_ticket_gets_403(app, desk, build, who, action):
    _copy(app, desk)
    url = {
        "cc": f"/tickets/{desk['ticket']}/cc",
        "remove": f"/tickets/{desk['ticket']}/cc/{desk['ben']}/remove",
        "link": f"/tickets/{desk['ticket']}/private-link",
    }[action]
    resp = factories.client_as(app, desk[who]).post(url, data={"contact_id": str(desk["ben"])})
    assert resp.status_code == 403
    assert build(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(TicketCc))) == 1
    assert _outbox(build, desk["ticket"], MailPurpose.PRIVATE_LINK) == []


# ----------------------------------------------------------------- the private link


def test_resending_the_private_link(app, desk, build, smtp):
    server = smtp(Recorder())
    client = factories.client_as(app, desk["agent"])
    page = _text(client.get(f"/tickets/{desk['ticket']}").get_data(as_text=True))
    assert f"E-mail the private link to {MIA} again" in page
    assert client.get(f"/tickets/{desk['ticket']}/private-link").status_code == 405
    for _n in range(3):
        resp = client.post(f"/tickets/{desk['ticket']}/private-link", follow_redirects=True)
        assert f"The private link is queued to be e-mailed to {MIA}." in _text(
            resp.get_data(as_text=True)
        )
    resp = client.post(f"/tickets/{desk['ticket']}/private-link", follow_redirects=True)
    assert "The private link was sent 3 times in the last hour." in _text(
        resp.get_data(as_text=True)
    )
    assert len(_outbox(build, desk["ticket"], MailPurpose.PRIVATE_LINK)) == 3
    build(lambda: outbox.send_due(now=utcnow()))
    links = [
        email.message_from_bytes(e.content, policy=email.policy.default)
        for e in server.messages
        if b"The link to your complaint" in e.content
    ]
    assert len(links) == 3 and all(m["To"] == MIA and m["Cc"] is None for m in links)
    token = build(lambda: db.session.get(Ticket, desk["ticket"]).public_token)
    assert all(f"/complain/t/{token}" in m.get_body(("plain",)).get_content() for m in links)
    page = _text(client.get(f"/tickets/{desk['ticket']}").get_data(as_text=True))
    assert page.count(f"Private link e-mailed to Mia Chen <{MIA}>.") == 3


# ----------------------------------------------------------------- the public form


def test_a_complaint_on_the_public_form_is_acknowledged_by_email(app, client, build, smtp):
    server = smtp(Recorder())
    resp = client.post(
        "/complain",
        data={
            "name": "Lena Park",
            "email": "lena.park@public.example",
            "company": "",
            "order_reference": "A-77",
            "category_id": "0",
            "description": "The kettle arrived with a broken lid.",
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302, _text(resp.get_data(as_text=True))
    build(lambda: outbox.send_due(now=utcnow()))
    (envelope,) = [e for e in server.messages if e.rcpt_tos == ["lena.park@public.example"]]
    mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
    reference = build(lambda: db.session.scalar(sa.select(Ticket.reference)))
    # (A subject folded whole onto its second line reads back with a leading space.)
    assert mail["Subject"].strip() == (
        f"[{reference}] We have your complaint: The kettle arrived with a broken lid."
    )
    assert mail["Auto-Submitted"] == "auto-generated"
    text = mail.get_body(("plain",)).get_content()
    assert "The kettle arrived with a broken lid." in text and "/complain/t/" in text
