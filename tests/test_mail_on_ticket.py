"""A received e-mail on the ticket page: the quoted history folded away behind "Show quoted
text", and the original message kept for audit, downloadable by whoever may see the ticket."""

from email.message import EmailMessage

import sqlalchemy as sa

from tests import factories
from ticketdesk.extensions import db
from ticketdesk.models import InboundMail, InboundSource, Role, Ticket
from ticketdesk.services.mail import inbound


def _mail(body: str, *, sender="mia@example.test", message_id="<q1@mail.example.test>") -> bytes:
    message = EmailMessage()
    message["From"] = f"Mia Chen <{sender}>"
    message["To"] = "desk@example.test"
    message["Subject"] = "The cups arrived broken"
    message["Message-ID"] = message_id
    message.set_content(body)
    return message.as_bytes()


QUOTED = (
    "Two cups were broken again.\n\nOn Mon, 7 Dec 2026 at 10:00, Customer Care wrote:\n"
    "> We are sending new cups today.\n> Kind regards\n"
)


def _received(app, raw: bytes, now) -> tuple[int, int]:
    with app.app_context():
        mail = inbound.ingest(raw, source=InboundSource.PIPE, now=now).mail
        return mail.ticket_id, mail.id


def test_quoted_history_is_folded_and_the_original_can_be_downloaded(app, client, login, now):
    ticket_id, mail_id = _received(app, _mail(QUOTED), now)
    with app.app_context():
        lead = factories.make_user(Role.LEAD)
    login(lead)
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Two cups were broken again." in page
    assert "<summary" in page and "Show quoted text" in page
    assert page.index("Show quoted text") < page.index("We are sending new cups today.")
    assert f"/tickets/{ticket_id}/mail/{mail_id}.eml" in page

    resp = client.get(f"/tickets/{ticket_id}/mail/{mail_id}.eml")
    assert resp.status_code == 200
    assert resp.mimetype == "message/rfc822"
    assert "attachment" in resp.headers["Content-Disposition"]
    with app.app_context():
        assert resp.data == db.session.get(InboundMail, mail_id).raw


def test_the_customer_does_not_see_the_download_link(app, client, now):
    ticket_id, mail_id = _received(app, _mail(QUOTED), now)
    with app.app_context():
        token = db.session.get(Ticket, ticket_id).public_token
    page = client.get(f"/complain/t/{token}").get_data(as_text=True)
    assert "Two cups were broken again." in page
    assert ".eml" not in page


def test_an_e_mail_of_another_ticket_is_404_under_this_one(app, client, login, now):
    first, mail_id = _received(app, _mail(QUOTED), now)
    second, _ = _received(
        app,
        _mail("Another complaint.", sender="ben@example.test", message_id="<q2@mail.example.test>"),
        now,
    )
    assert first != second
    with app.app_context():
        lead = factories.make_user(Role.LEAD)
    login(lead)
    assert client.get(f"/tickets/{second}/mail/{mail_id}.eml").status_code == 404
    assert client.get(f"/tickets/{first}/mail/999999.eml").status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(InboundMail)) == 2
