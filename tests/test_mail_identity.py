"""Who may join a complaint's thread: the public form never hands a known contact's private
link to whoever typed the address; a new address naming an existing account opens a ticket on
an unverified contact that an agent confirms or moves; staff intake keeps what the customer
told us apart from the internal note; a contact's language and timezone are checked."""

import functools
import html as html_lib
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.support import Recorder, field_error
from ticketdesk.core.errors import Conflict, DomainError, InvalidTransition, PermissionDenied
from ticketdesk.extensions import db
from ticketdesk.models import (
    Channel,
    Contact,
    Customer,
    CustomerTier,
    EventKind,
    OutboxMessage,
    Role,
    Severity,
    Team,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
    User,
)
from ticketdesk.services.customers import customers as customer_service
from ticketdesk.services.notifications import outbox
from ticketdesk.services.tickets import conversation, review, workflow
from ticketdesk.services.tickets import intake as ticket_intake

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
VICTIM = "buyer@olive.example"


# Eve, a stranger to the desk, on the public form.
_submit = functools.partial(
    factories.submit_complaint,
    name="Eve Stranger",
    email="eve@elsewhere.example",
    order_reference="",
    description="My parcel never arrived and nobody answers the phone.",
)


def _session(client) -> dict:
    with client.session_transaction() as sess:
        return dict(sess)


@pytest.fixture
def olive(build, now):
    """Olive Grove Ltd with its buyer, who has an open ticket with a reply from us."""

    def make():
        customer = factories.make_customer("Olive Grove Ltd", contact_email=VICTIM)
        agent = factories.make_user(Role.AGENT, name="Ann Agent")
        contact = db.session.scalar(sa.select(Contact).where(Contact.email == VICTIM))
        ticket = ticket_intake.log_complaint(
            actor=db.session.get(User, agent),
            now=now,
            customer_id=customer,
            fields=ticket_intake.TicketFields(
                subject="Invoice 2231",
                description="The invoice is wrong.",
                channel=Channel.PHONE,
                kind=TicketKind.COMPLAINT,
                category_id=factories.category_id(),
                severity=Severity.P3,
            ),
        )
        ticket.contact = contact
        db.session.commit()
        conversation.reply(
            ticket,
            actor=db.session.get(User, agent),
            body="Your account number is 88-1234; the credit note follows.",
            expected_version=None,
            now=now,
        )
        return {
            "customer": customer,
            "agent": agent,
            "contact": contact.id,
            "ticket": ticket.id,
            "token": ticket.public_token,
        }

    return build(make)


def _latest(build):
    def load():
        t = db.session.scalar(sa.select(Ticket).order_by(Ticket.id.desc()).limit(1))
        return {
            "id": t.id,
            "token": t.public_token,
            "reference": t.reference,
            "customer": t.customer.name,
            "customer_id": t.customer_id,
            "contact_id": t.contact_id,
            "contact_email": t.contact.email,
            "verified": t.contact.verified,
            "review": t.review_reason,
        }

    return build(load)


# ----------------------------------------------------------------- the public form

# email typed, company typed → link on the page, filed under (customer), contact verified,
# flagged for review, a contact was created
INTAKE_CASES = [
    pytest.param(VICTIM, "", False, "Olive Grove Ltd", True, False, False, id="known-address"),
    pytest.param(
        "Buyer@OLIVE.example",
        "Some Other Co",
        False,
        "Olive Grove Ltd",
        True,
        False,
        False,
        id="known-address-other-spelling-and-company",
    ),
    pytest.param(
        "eve@elsewhere.example",
        "  olive GROVE ltd ",
        True,
        "Olive Grove Ltd",
        False,
        True,
        True,
        id="new-address-names-the-account",
    ),
    pytest.param(
        "eve@elsewhere.example",
        "Nobody Trading",
        True,
        "Nobody Trading",
        True,
        False,
        True,
        id="new-address-new-company",
    ),
    pytest.param(
        "eve@elsewhere.example",
        "",
        True,
        "Eve Stranger",
        True,
        False,
        True,
        id="new-address-no-company",
    ),
]


@pytest.mark.parametrize(
    "email, company, link_shown, customer, verified, flagged, new_contact", INTAKE_CASES
)
def test_public_form_filing_and_what_the_page_shows(
    client, build, olive, email, company, link_shown, customer, verified, flagged, new_contact
):
    contacts_before = build(lambda: db.session.scalar(sa.select(sa.func.count(Contact.id))))
    resp = _submit(client, email=email, company=company)
    assert resp.status_code == 302 and resp.location == "/complain/received"
    page = client.get("/complain/received").get_data(as_text=True)
    t = _latest(build)
    assert f'id="reference">{t["reference"]}<' in page
    assert t["customer"] == customer
    assert t["verified"] is verified
    assert bool(t["review"]) is flagged
    contacts_after = build(lambda: db.session.scalar(sa.select(sa.func.count(Contact.id))))
    assert contacts_after - contacts_before == (1 if new_contact else 0)
    stored = _session(client)["last_complaint"]
    if link_shown:
        assert f"/complain/t/{t['token']}" in page and 'id="private-link"' in page
        assert stored["token"] == t["token"]
    else:
        assert t["contact_id"] == olive["contact"]  # filed under the known contact
        assert "/complain/t/" not in page and 'id="private-link"' not in page
        assert t["token"] not in page and olive["token"] not in page
        assert f"to {VICTIM}" in html_lib.unescape(page)
        assert stored["token"] is None
        assert t["token"] not in repr(_session(client))
    # Never the token of the account's other tickets.
    assert olive["token"] not in page and olive["token"] not in repr(_session(client))


def test_impostor_with_a_known_address_cannot_read_our_replies(client, build, olive):
    """The whole impostor path: the response, the redirect, the page and the session cookie
    carry no private link, so our reply to the real customer stays out of reach."""
    resp = _submit(client, email=VICTIM, name="Not The Buyer")
    raw = resp.get_data(as_text=True) + " ".join(resp.headers.getlist("Set-Cookie"))
    page = client.get("/complain/received")
    t = _latest(build)
    for text in (raw, page.get_data(as_text=True), repr(_session(client))):
        assert t["token"] not in text and olive["token"] not in text
        assert "/complain/t/" not in text
    # Following the new ticket's reference leads nowhere without the token.
    assert client.get(f"/complain/t/{t['reference']}").status_code == 404
    # The real customer's link still works and shows our reply; the impostor never had it.
    follow = client.get(f"/complain/t/{olive['token']}").get_data(as_text=True)
    assert "88-1234" in follow


def test_a_stale_or_forged_receipt_in_the_session_goes_back_to_the_form(client, build, olive):
    for value in ("a-bare-token", {"token": olive["token"]}, {"reference": 7}, None):
        with client.session_transaction() as sess:
            sess["last_complaint"] = value
        resp = client.get("/complain/received")
        assert resp.status_code == 302 and resp.location == "/complain"


def test_the_unverified_contact_writing_again_is_a_known_address(client, build, olive):
    assert _submit(client, company="Olive Grove Ltd").status_code == 302
    first = _latest(build)
    assert first["review"] and not first["verified"]
    second_client = client.application.test_client()
    assert _submit(second_client, company="").status_code == 302
    second = _latest(build)
    page = second_client.get("/complain/received").get_data(as_text=True)
    assert second["contact_id"] == first["contact_id"]
    assert second["review"], "a ticket of an unconfirmed contact is flagged too"
    assert second["token"] not in page and "/complain/t/" not in page


def test_flag_reason_names_the_person_and_the_account(ctx, now):
    factories.make_customer("Olive Grove Ltd", contact_email=VICTIM)
    receipt = ticket_intake.receive_public_complaint(
        complaint=ticket_intake.PublicComplaint(
            name="E" * 120,
            email="eve@elsewhere.example",
            company="Olive Grove Ltd",
            order_reference="",
            description="Where is my parcel?",
        ),
        ip="10.0.0.1",
        now=now,
    )
    assert receipt.show_link and receipt.needs_review
    assert receipt.emailed_to == "eve@elsewhere.example"
    reason = receipt.ticket.review_reason
    assert reason.startswith("Unverified contact: EEE") and len(reason) <= 255
    assert receipt.ticket.contact.verified is False


# ----------------------------------------------------------------- review: confirm and move


@pytest.fixture
def flagged(build, now):
    """Eve named Olive Grove on the public form: a flagged ticket in team A (Ann's)."""

    def make():
        team = factories.make_team("Team A")
        other_team = factories.make_team("Team B")
        ids = {
            "team": team,
            "agent": factories.make_user(Role.AGENT, name="Ann Agent", team_ids=(team,)),
            "outsider": factories.make_user(Role.AGENT, team_ids=(other_team,)),
            "lead": factories.make_user(Role.LEAD),
            "admin": factories.make_user(Role.ADMIN),
            "am": factories.make_user(Role.ACCOUNT_MANAGER),
        }
        olive = factories.make_customer(
            "Olive Grove Ltd", account_manager_id=ids["am"], contact_email=VICTIM
        )
        other = factories.make_customer("Fig Tree GmbH", tier=CustomerTier.KEY)
        ticket = ticket_intake.submit_public_complaint(
            complaint=ticket_intake.PublicComplaint(
                name="Eve Stranger",
                email="eve@elsewhere.example",
                company="Olive Grove Ltd",
                order_reference="",
                description="Where is my parcel?",
            ),
            ip="10.0.0.9",
            now=now,
        )
        ticket.team = db.session.get(Team, team)
        db.session.commit()
        ids.update(
            olive=olive,
            other=other,
            ticket=ticket.id,
            contact=ticket.contact_id,
            version=ticket.version,
        )
        return ids

    return build(make)


def test_confirm_verifies_the_contact_and_clears_the_flag(app, flagged, now):
    with app.app_context():
        ticket = factories.load(Ticket, flagged["ticket"], fresh=True)
        review.confirm_contact(
            ticket,
            actor=factories.load(User, flagged["agent"]),
            expected_version=ticket.version,
            now=now,
        )
        ticket = factories.load(Ticket, flagged["ticket"], fresh=True)
        assert ticket.review_reason == "" and ticket.contact.verified is True
        assert ticket.customer_id == flagged["olive"]
        event = db.session.scalar(
            sa.select(TicketEvent).where(
                TicketEvent.ticket_id == ticket.id, TicketEvent.field == "review"
            )
        )
        assert event.old_value.startswith("Unverified contact: Eve Stranger")
        assert event.new_value is None and event.actor_id == flagged["agent"]
        assert event.body == "Eve Stranger confirmed as a contact of Olive Grove Ltd."
        with pytest.raises(InvalidTransition):  # nothing left to review
            review.confirm_contact(
                ticket, actor=factories.load(User, flagged["agent"]), expected_version=None, now=now
            )


# who → HTTP status on confirm and move (the ticket is in Ann's team A)
REVIEW_ROLES = [
    pytest.param("agent", 302, id="agent-of-the-team"),
    pytest.param("lead", 302, id="lead"),
    pytest.param("outsider", 403, id="agent-of-another-team"),
    pytest.param("am", 403, id="account-manager-of-the-customer"),
    pytest.param("admin", 403, id="admin-sees-no-tickets"),
]


@pytest.mark.parametrize("who, status", REVIEW_ROLES)
@pytest.mark.parametrize(
    "action, data",
    [
        pytest.param("confirm", {}, id="confirm"),
        pytest.param("move", {"customer_id": "new"}, id="move-to-new"),
    ],
)
def test_who_may_confirm_or_move(app, build, flagged, who, status, action, data):
    client = factories.client_as(app, flagged[who])
    resp = client.post(
        f"/tickets/{flagged['ticket']}/review/{action}",
        data={"version": flagged["version"], **data},
    )
    assert resp.status_code == status
    state = build(
        lambda: (
            factories.load(Ticket, flagged["ticket"], fresh=True).review_reason,
            factories.load(Ticket, flagged["ticket"], fresh=True).contact.verified,
        )
    )
    if status == 403:
        assert state[0] and state[1] is False, "a refused request changes nothing"
    else:
        assert state == ("", True)


@pytest.mark.parametrize("who", ["outsider", "am", "admin"])
def test_services_refuse_those_who_may_not_work_the_ticket(app, flagged, now, who):
    with app.app_context():
        ticket = factories.load(Ticket, flagged["ticket"], fresh=True)
        with pytest.raises(PermissionDenied):
            review.confirm_contact(
                ticket, actor=factories.load(User, flagged[who]), expected_version=None, now=now
            )
        with pytest.raises(PermissionDenied):
            review.move_ticket(
                ticket,
                actor=factories.load(User, flagged[who]),
                target=review.MoveTarget(new_customer=True),
                expected_version=None,
                now=now,
            )


def test_banner_and_actions_on_the_ticket_page(app, flagged):
    html = (
        factories.client_as(app, flagged["agent"])
        .get(f"/tickets/{flagged['ticket']}")
        .get_data(as_text=True)
    )
    assert 'id="review-banner"' in html and "Unverified contact: Eve Stranger" in html
    assert 'id="review-confirm"' in html and 'id="review-move"' in html
    assert "A new customer named “Eve Stranger”" in html
    choices = re.search(r'<select[^>]*id="customer_id".*?</select>', html, re.S).group(0)
    assert ">Fig Tree GmbH<" in choices and ">Olive Grove Ltd<" not in choices
    # The account manager sees the warning but has no buttons.
    am = (
        factories.client_as(app, flagged["am"])
        .get(f"/tickets/{flagged['ticket']}")
        .get_data(as_text=True)
    )
    assert 'id="review-banner"' in am and 'id="review-confirm"' not in am


def test_move_to_an_existing_customer_takes_the_contact_and_its_tickets(app, build, flagged, now):
    with app.app_context():
        # Eve writes a second time from her address (now known): a second flagged ticket.
        second = ticket_intake.submit_public_complaint(
            complaint=ticket_intake.PublicComplaint(
                name="Eve Stranger",
                email="eve@elsewhere.example",
                company="",
                order_reference="",
                description="Still nothing.",
            ),
            ip="10.0.0.9",
            now=now,
        )
        assert second.review_reason and second.contact_id == flagged["contact"]
        second_id = second.id
    client = factories.client_as(app, flagged["agent"])
    resp = client.post(
        f"/tickets/{flagged['ticket']}/review/move",
        data={"version": flagged["version"], "customer_id": flagged["other"]},
    )
    assert resp.status_code == 302
    assert "Moved to Fig Tree GmbH." in client.get(resp.location).get_data(as_text=True)

    def load():
        rows = [
            factories.load(Ticket, flagged["ticket"], fresh=True),
            factories.load(Ticket, second_id, fresh=True),
        ]
        contact = db.session.get(Contact, flagged["contact"])
        moved = db.session.scalars(
            sa.select(TicketEvent)
            .where(TicketEvent.field == "customer")
            .order_by(TicketEvent.ticket_id)
        ).all()
        sla_events = db.session.scalar(
            sa.select(sa.func.count(TicketEvent.id)).where(
                TicketEvent.ticket_id == flagged["ticket"],
                TicketEvent.kind == EventKind.SLA,
                TicketEvent.actor_id == flagged["agent"],
            )
        )
        return (
            [(t.customer_id, t.review_reason) for t in rows],
            (contact.customer_id, contact.verified),
            [(e.ticket_id, e.old_value, e.new_value) for e in moved],
            sla_events,
        )

    tickets, contact, moved, sla_events = build(load)
    assert tickets == [(flagged["other"], ""), (flagged["other"], "")]
    assert contact == (flagged["other"], True)
    assert moved == [
        (flagged["ticket"], "Olive Grove Ltd", "Fig Tree GmbH"),
        (second_id, "Olive Grove Ltd", "Fig Tree GmbH"),
    ]
    assert sla_events == 1, "a new tier gives the open ticket its service level again"
    # The real account keeps its own contact and nothing of Eve's.
    assert build(
        lambda: [c.email for c in db.session.get(Customer, flagged["olive"]).contacts]
    ) == [VICTIM]


def test_move_to_a_new_customer_named_after_the_contact(app, build, flagged, now):
    with app.app_context():
        ticket = factories.load(Ticket, flagged["ticket"], fresh=True)
        customer = review.move_ticket(
            ticket,
            actor=factories.load(User, flagged["lead"]),
            target=review.MoveTarget(new_customer=True),
            expected_version=ticket.version,
            now=now,
        )
        assert customer.name == "Eve Stranger" and customer.tier is CustomerTier.STANDARD
        ticket = factories.load(Ticket, flagged["ticket"], fresh=True)
        assert ticket.customer_id == customer.id == ticket.contact.customer_id
        assert ticket.contact.verified and ticket.review_reason == ""


@pytest.mark.parametrize(
    "target, field, message",
    [
        pytest.param(review.MoveTarget(), "customer_id", "Choose the customer", id="no-choice"),
        pytest.param("same", "customer_id", "already on Olive Grove Ltd", id="same-customer"),
        pytest.param(
            review.MoveTarget(customer_id=999_999), None, "No such customer", id="unknown-customer"
        ),
    ],
)
def test_move_refuses_a_bad_target_and_changes_nothing(app, flagged, now, target, field, message):
    with app.app_context():
        if target == "same":
            target = review.MoveTarget(customer_id=flagged["olive"])
        ticket = factories.load(Ticket, flagged["ticket"], fresh=True)
        with pytest.raises(DomainError) as caught:
            review.move_ticket(
                ticket,
                actor=factories.load(User, flagged["agent"]),
                target=target,
                expected_version=ticket.version,
                now=now,
            )
        assert caught.value.field == field and message in str(caught.value)
        ticket = factories.load(Ticket, flagged["ticket"], fresh=True)
        assert ticket.customer_id == flagged["olive"] and ticket.review_reason
        assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 2


def test_move_of_a_contact_with_a_ticket_the_agent_may_not_change_is_refused(app, flagged, now):
    """The contact's tickets move together; one in another team's queue stops the agent
    (403) and nothing moves; a lead can move them all."""
    with app.app_context():
        second = ticket_intake.submit_public_complaint(
            complaint=ticket_intake.PublicComplaint(
                name="Eve Stranger",
                email="eve@elsewhere.example",
                company="",
                order_reference="",
                description="Still nothing.",
            ),
            ip="10.0.0.9",
            now=now,
        )
        second.team = db.session.scalar(sa.select(Team).where(Team.name == "Team B"))
        db.session.commit()
        ticket = factories.load(Ticket, flagged["ticket"], fresh=True)
        with pytest.raises(PermissionDenied) as caught:
            review.move_ticket(
                ticket,
                actor=factories.load(User, flagged["agent"]),
                target=review.MoveTarget(customer_id=flagged["other"]),
                expected_version=ticket.version,
                now=now,
            )
        assert second.reference in str(caught.value)
        assert {
            t.customer_id
            for t in db.session.scalars(
                sa.select(Ticket).where(Ticket.contact_id == flagged["contact"])
            )
        } == {flagged["olive"]}
        ticket = factories.load(Ticket, flagged["ticket"], fresh=True)
        review.move_ticket(
            ticket,
            actor=factories.load(User, flagged["lead"]),
            target=review.MoveTarget(customer_id=flagged["other"]),
            expected_version=ticket.version,
            now=now,
        )
        assert {
            t.customer_id
            for t in db.session.scalars(
                sa.select(Ticket).where(Ticket.contact_id == flagged["contact"])
            )
        } == {flagged["other"]}


def test_a_confirmed_contact_is_not_moved_and_a_stale_form_conflicts(app, flagged, now):
    with app.app_context():
        ticket = factories.load(Ticket, flagged["ticket"], fresh=True)
        with pytest.raises(DomainError) as stale:
            review.confirm_contact(
                ticket,
                actor=factories.load(User, flagged["agent"]),
                expected_version=ticket.version - 1,
                now=now,
            )
        assert isinstance(stale.value, Conflict)
        ticket.review_reason = "A mail named TD-000001 from someone else."
        ticket.contact.verified = True
        db.session.commit()
        with pytest.raises(InvalidTransition):
            review.move_ticket(
                ticket,
                actor=factories.load(User, flagged["agent"]),
                target=review.MoveTarget(new_customer=True),
                expected_version=None,
                now=now,
            )


def test_confirming_an_unflagged_ticket_says_so_on_the_page(app, build, flagged):
    client = factories.client_as(app, flagged["agent"])
    assert (
        client.post(
            f"/tickets/{flagged['ticket']}/review/confirm", data={"version": flagged["version"]}
        ).status_code
        == 302
    )
    version = build(lambda: factories.load(Ticket, flagged["ticket"], fresh=True).version)
    resp = client.post(f"/tickets/{flagged['ticket']}/review/confirm", data={"version": version})
    assert resp.status_code == 200
    assert "is not waiting for a review" in resp.get_data(as_text=True)


def test_queue_marks_and_filters_tickets_that_need_review(app, build, flagged, now):
    plain = build(factories.make_ticket, actor_id=flagged["lead"], team_id=flagged["team"], now=now)
    client = factories.client_as(app, flagged["lead"])
    html = client.get("/tickets/?scope=all").get_data(as_text=True)
    row = re.search(
        r"<tr>\s*<td><a href=\"/tickets/%d\".*?</tr>" % flagged["ticket"], html, re.S
    ).group(0)
    assert "review-marker" in row
    plain_row = re.search(r"<tr>\s*<td><a href=\"/tickets/%d\".*?</tr>" % plain, html, re.S).group(
        0
    )
    assert "review-marker" not in plain_row
    only = client.get("/tickets/?scope=all&review=needed").get_data(as_text=True)
    assert f'href="/tickets/{flagged["ticket"]}"' in only
    assert f'href="/tickets/{plain}"' not in only


# ----------------------------------------------------------------- staff intake: the split

NOTE = "Caller sounded like the competitor's buyer; check account 88-1234 before refunding."
TOLD = "Two of the twenty-two bags were missing from the box."


def _log_by_form(app, build, *, note: str = NOTE):
    lead = build(factories.make_user, Role.LEAD)
    client = factories.client_as(app, lead)
    form = client.get("/tickets/new").get_data(as_text=True)
    resp = client.post(
        "/tickets/new",
        content_type="multipart/form-data",
        data={
            "new_customer_name": "Bag Shop",
            "new_customer_tier": "standard",
            "contact_name": "Mia Wong",
            "contact_email": "mia@bags.example",
            "channel": "phone",
            "kind": "complaint",
            "category_id": str(build(factories.category_id, "missing_short_shipment")),
            "severity": "p3",
            "cause_side": "unknown",
            "currency": "EUR",
            "subject": "Two bags short",
            "description": TOLD,
            "internal_note": note,
            "attachments": [(io.BytesIO(PNG), "box.png")],
        },
    )
    return lead, form, resp


def test_staff_form_labels_what_the_customer_sees(app, build):
    _lead, form, _resp = _log_by_form(app, build)
    assert "What the customer told us" in form
    assert "Shown to the customer on their private link and in the acknowledgement" in form
    assert "Internal note (optional)" in form and "never shown or sent to the customer" in form


def test_internal_note_never_reaches_the_customer(app, build, client, smtp, now):
    server = smtp(Recorder())
    lead, _form, resp = _log_by_form(app, build)
    assert resp.status_code == 302

    def load():
        t = db.session.scalar(sa.select(Ticket))
        return (
            t.id,
            t.public_token,
            [
                (e.kind, e.body)
                for e in t.events
                if e.kind in (EventKind.CREATED, EventKind.INTERNAL_NOTE)
            ],
        )

    tid, token, events = build(load)
    assert events == [(EventKind.CREATED, TOLD), (EventKind.INTERNAL_NOTE, NOTE)]
    # Staff see the note on the ticket page ...
    staff = factories.client_as(app, lead).get(f"/tickets/{tid}").get_data(as_text=True)
    assert html_lib.escape(NOTE) in staff or NOTE in html_lib.unescape(staff)
    # ... the customer's private link shows what they told us and not the note.
    public = html_lib.unescape(client.get(f"/complain/t/{token}").get_data(as_text=True))
    assert TOLD in public and NOTE not in public and "88-1234" not in public

    # The customer's e-mails (the survey on resolving; with the e-mail channel also the
    # acknowledgement and replies) never carry it, through a real SMTP server.
    def resolve_and_send():
        workflow.change_status(
            db.session.get(Ticket, tid),
            actor=factories.load(User, lead),
            status=TicketStatus.RESOLVED,
            expected_version=None,
            now=now + timedelta(hours=1),
        )
        outbox.send_due(now=now + timedelta(hours=2))
        return [
            m.body + (m.html_body or "")
            for m in db.session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.to_address == "mia@bags.example")
            )
        ]

    bodies = build(resolve_and_send)
    to_customer = [
        e.content.decode("utf-8", "replace")
        for e in server.messages
        if "mia@bags.example" in e.rcpt_tos
    ]
    assert bodies and to_customer, "the customer was sent at least the survey"
    for text in bodies + to_customer:
        assert "88-1234" not in text and "competitor" not in text


@pytest.mark.parametrize(
    "note, kept",
    [
        pytest.param("", None, id="empty"),
        pytest.param("   \n ", None, id="blank"),
        pytest.param("  Call back after 3 pm.  ", "Call back after 3 pm.", id="trimmed"),
        pytest.param("x" * 20_000, "x" * 20_000, id="longest"),
    ],
)
def test_internal_note_at_intake_is_optional_and_trimmed(ctx, now, note, kept):
    agent = factories.make_user(Role.AGENT)
    ticket = ticket_intake.log_complaint(
        actor=factories.load(User, agent),
        now=now,
        customer_id=factories.make_customer(),
        fields=ticket_intake.TicketFields(
            subject="Late",
            description=TOLD,
            channel=Channel.PHONE,
            kind=TicketKind.COMPLAINT,
            category_id=factories.category_id(),
            severity=Severity.P3,
        ),
        internal_note=note,
    )
    notes = [e.body for e in ticket.events if e.kind is EventKind.INTERNAL_NOTE]
    assert notes == ([] if kept is None else [kept])
    assert ticket.description == TOLD


def test_too_long_internal_note_saves_nothing(ctx, now):
    agent = factories.make_user(Role.AGENT)
    with pytest.raises(DomainError) as caught:
        ticket_intake.log_complaint(
            actor=factories.load(User, agent),
            now=now,
            customer_id=factories.make_customer(),
            fields=ticket_intake.TicketFields(
                subject="Late",
                description=TOLD,
                channel=Channel.PHONE,
                kind=TicketKind.COMPLAINT,
                category_id=factories.category_id(),
                severity=Severity.P3,
            ),
            internal_note="x" * 20_001,
        )
    assert caught.value.field == "internal_note"
    assert db.session.scalar(sa.select(sa.func.count(Ticket.id))) == 0


# ----------------------------------------------------------------- contact language, timezone

# locale, timezone → error field (None: saved as given, trimmed)
CONTACT_CASES = [
    pytest.param("", "", None, id="desk-defaults"),
    pytest.param("en", "Europe/Berlin", None, id="english-berlin"),
    pytest.param(" en ", " Asia/Shanghai ", None, id="trimmed"),
    pytest.param("en", "UTC", None, id="utc"),
    pytest.param("en", "America/Argentina/Buenos_Aires", None, id="three-part-zone"),
    pytest.param("fr", "", "locale", id="language-not-offered"),
    pytest.param("EN", "", "locale", id="language-case"),
    pytest.param("en", "europe/berlin", "timezone", id="zone-wrong-case"),
    pytest.param("en", "Mars/Olympus_Mons", "timezone", id="zone-unknown"),
    pytest.param("en", "../../etc/passwd", "timezone", id="zone-path"),
    pytest.param("en", "+08:00", "timezone", id="zone-offset"),
    pytest.param("en", "Europe/Berlin\n", None, id="zone-trailing-newline"),
    pytest.param("en", "A" * 65, "timezone", id="zone-too-long"),
]


@pytest.mark.parametrize("locale, timezone, error", CONTACT_CASES)
def test_contact_language_and_timezone(ctx, locale, timezone, error):
    agent = factories.make_user(Role.AGENT)
    factories.make_customer("Olive Grove Ltd", contact_email=VICTIM)
    contact = db.session.scalar(sa.select(Contact).where(Contact.email == VICTIM))
    changes = customer_service.ContactChanges(
        name="Buyer", email=VICTIM, locale=locale, timezone=timezone
    )
    if error:
        with pytest.raises(DomainError) as caught:
            customer_service.update_contact(
                contact, actor=factories.load(User, agent), changes=changes
            )
        assert caught.value.field == error
        db.session.expire_all()
        contact = db.session.get(Contact, contact.id)
        assert (contact.locale, contact.timezone) == ("", "")
    else:
        customer_service.update_contact(contact, actor=factories.load(User, agent), changes=changes)
        db.session.expire_all()
        contact = db.session.get(Contact, contact.id)
        assert (contact.locale, contact.timezone) == (locale.strip(), timezone.strip())


def test_contact_edit_page_saves_and_refuses(app, build):
    def make():
        am = factories.make_user(Role.ACCOUNT_MANAGER)
        other_am = factories.make_user(Role.ACCOUNT_MANAGER)
        customer = factories.make_customer(
            "Olive Grove Ltd", account_manager_id=am, contact_email=VICTIM
        )
        factories.make_customer("Fig Tree GmbH", contact_email="fig@fig.example")
        contact = db.session.scalar(sa.select(Contact.id).where(Contact.email == VICTIM))
        return am, other_am, customer, contact

    am, other_am, customer, contact = build(make)
    url = f"/customers/{customer}/contacts/{contact}/edit"
    client = factories.client_as(app, am)
    page = client.get(url).get_data(as_text=True)
    assert "Desk default (English)" in page and '<option value="Asia/Shanghai">' in page
    resp = client.post(
        url,
        data={
            "name": "Li Buyer",
            "email": VICTIM,
            "phone": "+86 10 1234",
            "locale": "en",
            "timezone": "Asia/Shanghai",
        },
    )
    assert resp.status_code == 302
    assert build(
        lambda: (lambda c: (c.name, c.phone, c.locale, c.timezone))(
            db.session.get(Contact, contact)
        )
    ) == ("Li Buyer", "+86 10 1234", "en", "Asia/Shanghai")
    detail = client.get(f"/customers/{customer}").get_data(as_text=True)
    assert "Asia/Shanghai" in detail
    bad = client.post(
        url,
        data={
            "name": "Li Buyer",
            "email": "fig@fig.example",
            "locale": "xx",
            "timezone": "Nowhere/Land",
        },
    )
    assert bad.status_code == 400
    assert "already belongs to a contact" in (
        field_error(bad.get_data(as_text=True), "email") or ""
    )
    bad = client.post(
        url, data={"name": "Li Buyer", "email": VICTIM, "locale": "en", "timezone": "Nowhere/Land"}
    )
    assert bad.status_code == 400
    assert "Choose a timezone" in field_error(bad.get_data(as_text=True), "timezone")
    # Another customer's account manager may not edit it; a wrong customer id is 404.
    assert (
        factories.client_as(app, other_am)
        .post(url, data={"name": "X", "locale": "", "timezone": ""})
        .status_code
        == 403
    )
    assert client.get(f"/customers/{customer + 1}/contacts/{contact}/edit").status_code == 404
    assert build(lambda: db.session.get(Contact, contact).name) == "Li Buyer"
