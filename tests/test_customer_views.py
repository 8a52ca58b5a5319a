"""Customer pages for staff, and the public side: complaint form and private follow-up link."""

import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from tests.support import field_error
from ticketdesk.extensions import db
from ticketdesk.models import (
    Channel,
    Contact,
    Customer,
    CustomerTier,
    EventKind,
    Role,
    Standing,
    StandingChange,
    Ticket,
    TicketEvent,
    TicketStatus,
    User,
)
from ticketdesk.services.tickets import conversation, workflow

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _count(build, model) -> int:
    return build(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(model)))


def _customer_links(resp) -> list[int]:
    assert resp.status_code == 200
    return [int(i) for i in re.findall(r'href="/customers/(\d+)"', resp.get_data(as_text=True))]


# ----------------------------------------------------------------- staff: customers


@pytest.fixture
def accounts(build):
    def make():
        am = factories.make_user(Role.ACCOUNT_MANAGER, name="Amy Manager")
        am2 = factories.make_user(Role.ACCOUNT_MANAGER, name="Zed Manager")
        agent = factories.make_user(Role.AGENT, name="Ann Agent")
        lead = factories.make_user(Role.LEAD)
        mine = factories.make_customer(
            "Acme Foods", account_manager_id=am, contact_email="buyer@acme.example"
        )
        mine2 = factories.make_customer("Apex Bakery", account_manager_id=am)
        theirs = factories.make_customer("Zenith Retail", account_manager_id=am2)
        nobody = factories.make_customer("Orphan Shop")
        return dict(
            am=am,
            am2=am2,
            agent=agent,
            lead=lead,
            mine=mine,
            mine2=mine2,
            theirs=theirs,
            nobody=nobody,
        )

    return build(make)


def test_account_manager_lists_only_their_customers(app, accounts):
    a = accounts
    assert sorted(_customer_links(factories.client_as(app, a["am"]).get("/customers/"))) == sorted(
        [a["mine"], a["mine2"]]
    )
    assert sorted(
        _customer_links(factories.client_as(app, a["agent"]).get("/customers/"))
    ) == sorted([a["mine"], a["mine2"], a["theirs"], a["nobody"]])


def test_customer_search(app, accounts):
    a = accounts
    agent = factories.client_as(app, a["agent"])
    assert _customer_links(agent.get("/customers/?q=acme")) == [a["mine"]]
    assert sorted(_customer_links(agent.get("/customers/?q=A"))) == sorted(
        [a["mine"], a["mine2"], a["theirs"], a["nobody"]]
    )  # "a" occurs in every name
    assert _customer_links(agent.get("/customers/?q=ZENITH")) == [a["theirs"]]
    assert _customer_links(agent.get("/customers/?q=nothing+like+it")) == []
    assert "No customers found." in agent.get("/customers/?q=nothing").get_data(as_text=True)
    # The account manager's search stays within their accounts.
    assert _customer_links(factories.client_as(app, a["am"]).get("/customers/?q=zenith")) == []


def test_create_customer_with_contact(app, build, accounts):
    client = factories.client_as(app, accounts["agent"])
    resp = client.post(
        "/customers/new",
        data={
            "name": "  Fresh Farms ",
            "tier": "strategic",
            "standing": "preferred",
            "account_manager_id": str(accounts["am"]),
            "preferences": "Calls before 10am.",
            "contact_name": "Fran",
            "contact_email": "Fran@Farms.example",
            "contact_phone": "123",
        },
    )
    assert resp.status_code == 302
    customer_id = int(re.fullmatch(r"/customers/(\d+)", resp.location).group(1))

    def check():
        c = db.session.get(Customer, customer_id)
        assert (c.name, c.tier, c.standing, c.account_manager_id, c.preferences) == (
            "Fresh Farms",
            CustomerTier.STRATEGIC,
            Standing.PREFERRED,
            accounts["am"],
            "Calls before 10am.",
        )
        assert [(k.name, k.email, k.phone) for k in c.contacts] == [
            ("Fran", "fran@farms.example", "123")
        ]

    build(check)
    page = client.get(resp.location).get_data(as_text=True)
    assert "Customer Fresh Farms created." in page
    assert "fran@farms.example" in page


def test_create_customer_errors(app, build, accounts):
    client = factories.client_as(app, accounts["agent"])
    before = _count(build, Customer)
    resp = client.post(
        "/customers/new",
        data={"name": "", "tier": "standard", "standing": "preferred", "account_manager_id": ""},
    )
    assert resp.status_code == 400
    assert field_error(resp.get_data(as_text=True), "name") == "This field is required."
    # Service check: the contact e-mail belongs to another customer.
    resp = client.post(
        "/customers/new",
        data={
            "name": "Copycat",
            "tier": "standard",
            "standing": "preferred",
            "account_manager_id": "",
            "contact_name": "Cop",
            "contact_email": "buyer@acme.example",
        },
    )
    assert resp.status_code == 400
    assert (
        field_error(resp.get_data(as_text=True), "contact_email")
        == "buyer@acme.example is already a contact of Acme Foods."
    )
    # Only active account managers can be chosen.
    resp = client.post(
        "/customers/new",
        data={
            "name": "Wrong AM",
            "tier": "standard",
            "standing": "preferred",
            "account_manager_id": str(accounts["agent"]),
        },
    )
    assert resp.status_code == 400
    assert (
        field_error(resp.get_data(as_text=True), "account_manager_id")
        == "Choose an active account manager."
    )
    assert _count(build, Customer) == before


def test_account_manager_new_customer_defaults_to_them(app, accounts):
    html = factories.client_as(app, accounts["am"]).get("/customers/new").get_data(as_text=True)
    assert f'<option selected value="{accounts["am"]}">Amy Manager</option>' in html


def test_edit_customer_tier_standing_and_account_manager(app, build, accounts):
    client = factories.client_as(app, accounts["lead"])
    page = client.get(f"/customers/{accounts['nobody']}/edit").get_data(as_text=True)
    assert 'value="Orphan Shop"' in page
    resp = client.post(
        f"/customers/{accounts['nobody']}/edit",
        data={
            "name": "Orphan Shop",
            "tier": "key",
            "standing": "active_elimination",
            "standing_reason": "They moved their volume to another supplier.",
            "tier_reason": "Signed a framework agreement.",
            "account_manager_id": str(accounts["am2"]),
            "preferences": "Values fast refunds.",
        },
    )
    assert resp.status_code == 302 and resp.location == f"/customers/{accounts['nobody']}"

    def check():
        c = db.session.get(Customer, accounts["nobody"])
        return c.tier, c.standing, c.account_manager_id, c.preferences

    assert build(check) == (
        CustomerTier.KEY,
        Standing.ACTIVE_ELIMINATION,
        accounts["am2"],
        "Values fast refunds.",
    )
    # The new account manager now sees it; the page shows the changes.
    am2 = factories.client_as(app, accounts["am2"])
    html = am2.get(f"/customers/{accounts['nobody']}").get_data(as_text=True)
    assert "Active elimination" in html and "Zed Manager" in html


def test_account_manager_edits_own_customer(app, build, accounts):
    client = factories.client_as(app, accounts["am"])
    resp = client.post(
        f"/customers/{accounts['mine']}/edit",
        data={
            "name": "Acme Foods Group",
            "tier": "standard",
            "standing": "strategic",
            "standing_reason": "Named us their strategic supplier at the annual review.",
            "account_manager_id": str(accounts["am"]),
        },
    )
    assert resp.status_code == 302
    assert build(lambda: db.session.get(Customer, accounts["mine"]).name) == "Acme Foods Group"


def test_add_contact_and_duplicate_email(app, build, accounts):
    client = factories.client_as(app, accounts["agent"])
    url = f"/customers/{accounts['mine2']}/contacts"
    resp = client.post(url, data={"name": "Bea", "email": "bea@apex.example", "phone": "9"})
    assert resp.status_code == 302 and resp.location == f"/customers/{accounts['mine2']}"
    before = _count(build, Contact)
    for email in ("bea@apex.example", "BUYER@acme.example"):
        resp = client.post(url, data={"name": "Dup", "email": email})
        assert resp.status_code == 400
        html = resp.get_data(as_text=True)
        assert field_error(html, "email") == f"{email.lower()} already belongs to a contact."
        assert 'value="Dup"' in html
    assert _count(build, Contact) == before
    resp = client.post(url, data={"name": "", "email": ""})
    assert resp.status_code == 400
    assert field_error(resp.get_data(as_text=True), "name") == "This field is required."


@pytest.mark.parametrize("route", ["new", "edit"])
def test_pejorative_words_trigger_a_warning(app, build, accounts, route):
    client = factories.client_as(app, accounts["agent"])
    data = {
        "name": "Tough Customer Ltd",
        "tier": "standard",
        "standing": "preferred",
        "standing_reason": "Confirmed us as preferred supplier.",
        "account_manager_id": "",
        "preferences": "Very UNREASONABLE about delivery times; rude on the phone.",
    }
    url = "/customers/new" if route == "new" else f"/customers/{accounts['nobody']}/edit"
    resp = client.post(url, data=data)
    assert resp.status_code == 302
    html = client.get(resp.location).get_data(as_text=True)
    assert "Please keep customer records factual" in html
    assert "unreasonable, rude" in html
    # Factual text gives no warning.
    data["preferences"] = "Prefers e-mail. Orders every Monday."
    url = f"/customers/{accounts['nobody']}/edit"
    html = client.get(client.post(url, data=data).location).get_data(as_text=True)
    assert "Please keep customer records factual" not in html


def test_customer_page_lists_its_tickets(app, build, accounts, now):
    lead = accounts["lead"]
    own = build(
        factories.make_ticket,
        actor_id=lead,
        customer_id=accounts["mine"],
        subject="Acme complaint one",
        now=now,
    )
    closed = build(
        factories.make_ticket,
        actor_id=lead,
        customer_id=accounts["mine"],
        subject="Acme complaint two",
        now=now,
    )

    def close():
        workflow.change_status(
            db.session.get(Ticket, closed),
            actor=db.session.get(User, lead),
            status=TicketStatus.CLOSED,
            expected_version=None,
            now=now,
        )

    build(close)
    other = build(
        factories.make_ticket,
        actor_id=lead,
        customer_id=accounts["theirs"],
        subject="Zenith complaint",
        now=now,
    )
    html = (
        factories.client_as(app, accounts["am"])
        .get(f"/customers/{accounts['mine']}")
        .get_data(as_text=True)
    )
    links = {int(i) for i in re.findall(r'href="/tickets/(\d+)"', html)}
    assert links == {own, closed}
    assert "Acme complaint one" in html and "Acme complaint two" in html
    assert "Zenith complaint" not in html and other not in links
    assert "buyer@acme.example" in html


def test_new_customer_with_external_ref_and_purchase_share(app, build, accounts):
    client = factories.client_as(app, accounts["agent"])
    form = client.get("/customers/new").get_data(as_text=True)
    assert 'name="external_ref"' in form and 'name="purchase_share"' in form
    assert 'name="standing_reason"' not in form  # nothing changes on a new customer
    resp = client.post(
        "/customers/new",
        data={
            "name": "Fresh Farms",
            "tier": "standard",
            "standing": "preferred",
            "account_manager_id": "",
            "external_ref": "  CRM-77 ",
            "purchase_share": "37.5",
        },
    )
    assert resp.status_code == 302
    customer_id = int(re.fullmatch(r"/customers/(\d+)", resp.location).group(1))
    assert build(
        lambda: (lambda c: (c.external_ref, c.purchase_share))(
            db.session.get(Customer, customer_id)
        )
    ) == ("CRM-77", Decimal("37.50"))
    html = client.get(resp.location).get_data(as_text=True)
    assert "<code>CRM-77</code>" in html and "37.50 %" in html
    # The same reference again is a clear error on its field.
    resp = client.post(
        "/customers/new",
        data={
            "name": "Copy Farms",
            "tier": "standard",
            "standing": "preferred",
            "account_manager_id": "",
            "external_ref": "CRM-77",
        },
    )
    assert resp.status_code == 400
    assert (
        field_error(resp.get_data(as_text=True), "external_ref")
        == "CRM-77 is already the external reference of Fresh Farms."
    )
    resp = client.post(
        "/customers/new",
        data={
            "name": "Big Share",
            "tier": "standard",
            "standing": "preferred",
            "account_manager_id": "",
            "purchase_share": "120",
        },
    )
    assert resp.status_code == 400
    assert field_error(resp.get_data(as_text=True), "purchase_share")
    assert _count(build, Customer) == 5


def test_edit_external_ref_duplicate_and_clearing(app, build, accounts):
    def set_ref():
        db.session.get(Customer, accounts["theirs"]).external_ref = "Z-1"
        db.session.commit()

    build(set_ref)
    client = factories.client_as(app, accounts["lead"])
    url = f"/customers/{accounts['nobody']}/edit"
    data = {
        "name": "Orphan Shop",
        "tier": "standard",
        "standing": "qualification_pending",
        "account_manager_id": "",
        "external_ref": "Z-1",
        "purchase_share": "",
    }
    resp = client.post(url, data=data)
    assert resp.status_code == 400
    assert (
        field_error(resp.get_data(as_text=True), "external_ref")
        == "Z-1 is already the external reference of Zenith Retail."
    )
    data["external_ref"] = "O-1"
    assert client.post(url, data=data).status_code == 302
    assert 'value="O-1"' in client.get(url).get_data(as_text=True)
    data["external_ref"] = ""
    assert client.post(url, data=data).status_code == 302
    assert build(lambda: db.session.get(Customer, accounts["nobody"]).external_ref) is None


def test_standing_change_in_the_edit_form_needs_a_reason(app, build, accounts):
    client = factories.client_as(app, accounts["am"])
    url = f"/customers/{accounts['mine']}/edit"
    data = {
        "name": "Acme Foods",
        "tier": "standard",
        "standing": "passive_elimination",
        "account_manager_id": str(accounts["am"]),
        "standing_reason": "  ",
    }
    resp = client.post(url, data=data)
    assert resp.status_code == 400
    assert field_error(resp.get_data(as_text=True), "standing_reason").startswith(
        "Say why the standing changes"
    )
    assert (
        build(lambda: db.session.get(Customer, accounts["mine"]).standing)
        is Standing.QUALIFICATION_PENDING
    )
    data["standing_reason"] = "Two late deliveries; they now order from a second supplier."
    assert client.post(url, data=data).status_code == 302
    data.update(standing="preferred", standing_reason="Back to normal after the recovery.")
    assert client.post(url, data=data).status_code == 302
    # Saving again with the same standing needs no reason and adds no history.
    data.update(standing_reason="")
    assert client.post(url, data=data).status_code == 302

    def history():
        return [
            (c.old_standing, c.new_standing, c.changed_by_id)
            for c in db.session.scalars(sa.select(StandingChange).order_by(StandingChange.id))
        ]

    assert build(history) == [
        (Standing.QUALIFICATION_PENDING, Standing.PASSIVE_ELIMINATION, accounts["am"]),
        (Standing.PASSIVE_ELIMINATION, Standing.PREFERRED, accounts["am"]),
    ]
    html = client.get(f"/customers/{accounts['mine']}").get_data(as_text=True)
    section = html[html.index('id="standing-history"') :]
    newest = section.index("Back to normal after the recovery.")
    oldest = section.index("Two late deliveries; they now order from a second supplier.")
    assert newest < oldest
    assert "Passive elimination → Preferred supplier" in html
    assert "Amy Manager" in section


def test_customer_without_history_or_orders(app, accounts):
    html = (
        factories.client_as(app, accounts["agent"])
        .get(f"/customers/{accounts['nobody']}")
        .get_data(as_text=True)
    )
    assert "The standing has not changed since the customer was added." in html
    assert "No orders recorded for this customer." in html
    assert "Not known" in html


# ----------------------------------------------------------------- public complaint form


def test_public_complaint_creates_ticket_customer_and_contact(client, build):
    resp = factories.submit_complaint(client, attachments=[(io.BytesIO(PNG), "crushed.png")])
    assert resp.status_code == 302 and resp.location == "/complain/received"
    page = client.get("/complain/received")
    assert page.status_code == 200
    html = page.get_data(as_text=True)

    def load():
        t = db.session.scalar(sa.select(Ticket))
        return {
            "reference": t.reference,
            "token": t.public_token,
            "channel": t.channel,
            "customer": t.customer.name,
            "contact": (t.contact.name, t.contact.email),
            "subject": t.subject,
            "category": t.category.slug,
            "order": t.order_reference,
            "events": [(e.kind, e.by_customer, e.actor_id) for e in t.events],
            "attachments": len(t.attachments),
        }

    t = build(load)
    assert f'id="reference">{t["reference"]}<' in html
    assert f"/complain/t/{t['token']}" in html
    assert t["channel"] is Channel.WEB
    assert t["customer"] == "Pat Public"  # no company: named after the person
    assert t["contact"] == ("Pat Public", "pat@public.example")
    assert t["subject"] == "The parcel arrived crushed and the jar was broken."
    assert t["category"] == "other" and t["order"] == "WEB-1"
    assert t["events"] == [(EventKind.CREATED, True, None)]
    assert t["attachments"] == 1
    assert (_count(build, Ticket), _count(build, Customer), _count(build, Contact)) == (1, 1, 1)


def test_public_complaint_validation(client, build):
    resp = factories.submit_complaint(client, email="not-an-email", description="short")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert field_error(html, "email") == "Invalid email address."
    assert field_error(html, "description")
    assert _count(build, Ticket) == 0 and _count(build, Customer) == 0


def test_public_complaint_bad_attachment_keeps_nothing(app, client, build):
    resp = factories.submit_complaint(client, attachments=[(io.BytesIO(b"MZ"), "virus.exe")])
    assert resp.status_code == 200
    assert "not accepted" in field_error(resp.get_data(as_text=True), "attachments")
    assert (_count(build, Ticket), _count(build, Customer), _count(build, Contact)) == (0, 0, 0)


def test_second_submission_from_same_email_links_to_same_contact(client, build):
    assert factories.submit_complaint(client).status_code == 302
    assert (
        factories.submit_complaint(
            client, email="PAT@Public.Example", name="Patricia", company="Some Other Company"
        ).status_code
        == 302
    )

    def load():
        return [
            (t.customer_id, t.contact_id)
            for t in db.session.scalars(sa.select(Ticket).order_by(Ticket.id))
        ]

    first, second = build(load)
    assert first == second
    assert (_count(build, Customer), _count(build, Contact)) == (1, 1)


def test_company_name_links_to_existing_customer(client, build):
    existing = build(
        factories.make_customer, "Olive Grove Ltd", contact_email="buyer@olive.example"
    )
    assert (
        factories.submit_complaint(
            client,
            email="new.person@olive.example",
            name="New Person",
            company="  olive grove LTD ",
        ).status_code
        == 302
    )

    def load():
        t = db.session.scalar(sa.select(Ticket))
        return t.customer_id, t.contact.email, len(t.customer.contacts)

    assert build(load) == (existing, "new.person@olive.example", 2)
    assert _count(build, Customer) == 1


def test_unknown_company_creates_a_customer_named_after_it(client, build):
    assert factories.submit_complaint(client, company="Brand New GmbH").status_code == 302
    assert build(lambda: db.session.scalar(sa.select(Customer.name))) == "Brand New GmbH"


def test_chosen_category_is_used(client, build):
    category = build(factories.category_id, "damaged_defective")
    assert factories.submit_complaint(client, category_id=str(category)).status_code == 302
    assert build(lambda: db.session.scalar(sa.select(Ticket.category_id))) == category


def test_honeypot_answers_success_but_stores_nothing(client, build):
    resp = factories.submit_complaint(client, website="http://spam.example")
    assert resp.status_code == 200
    assert "we have your complaint" in resp.get_data(as_text=True)
    assert (_count(build, Ticket), _count(build, Customer), _count(build, Contact)) == (0, 0, 0)


def test_public_rate_limit_per_ip(app, client, build):
    app.config["PUBLIC_RATE_LIMIT"] = 2
    for i in range(2):
        assert factories.submit_complaint(client, email=f"p{i}@public.example").status_code == 302
    resp = factories.submit_complaint(client, email="p3@public.example")
    assert resp.status_code == 429
    html = resp.get_data(as_text=True)
    assert "several complaints from your network" in html
    assert 'value="p3@public.example"' in html  # the visitor's input is kept
    assert _count(build, Ticket) == 2
    # Another address is not limited.
    resp = client.post(
        "/complain",
        data=factories.complaint_form(email="p4@public.example"),
        environ_base={"REMOTE_ADDR": "192.0.2.50"},
    )
    assert resp.status_code == 302
    assert _count(build, Ticket) == 3


def test_oversized_request_is_413(app, client, build):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    resp = factories.submit_complaint(
        client, attachments=[(io.BytesIO(PNG + b"\x00" * 5000), "huge.png")]
    )
    assert resp.status_code == 413
    assert "larger than we accept" in resp.get_data(as_text=True)
    assert _count(build, Ticket) == 0


def test_received_page_without_a_complaint_goes_back_to_the_form(client):
    resp = client.get("/complain/received")
    assert resp.status_code == 302 and resp.location == "/complain"


# ----------------------------------------------------------------- private link


@pytest.fixture
def public_ticket(build, now):
    def make():
        agent = factories.make_user(Role.AGENT, name="Ann Agent")
        tid = factories.make_ticket(
            actor_id=agent, now=now, description="Customer said the lid was cracked."
        )
        ticket = db.session.get(Ticket, tid)
        actor = db.session.get(User, agent)
        conversation.reply(
            ticket,
            actor=actor,
            body="PUBLIC REPLY: a new jar is on its way.",
            expected_version=None,
            now=now,
            status_after=TicketStatus.PENDING_CUSTOMER,
        )
        conversation.add_note(
            ticket, actor=actor, body="INTERNAL NOTE: check the supplier.", now=now
        )
        return {
            "id": tid,
            "token": ticket.public_token,
            "agent": agent,
            "reference": ticket.reference,
        }

    return build(make)


def test_private_link_shows_public_replies_but_not_internal_notes(client, public_ticket):
    resp = client.get(f"/complain/t/{public_ticket['token']}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert public_ticket["reference"] in html
    assert "PUBLIC REPLY: a new jar is on its way." in html
    assert "Customer said the lid was cracked." in html
    assert "INTERNAL NOTE" not in html
    assert "Status changed" not in html  # staff-only timeline entries are not shown
    assert "Waiting on customer" in html


def test_customer_replies_through_the_link(client, build, public_ticket):
    url = f"/complain/t/{public_ticket['token']}"
    resp = client.post(url, data={"body": "Thanks, please send it to the shop."})
    assert resp.status_code == 302 and resp.location == f"{url}?sent=1"
    html = client.get(resp.location).get_data(as_text=True)
    assert "Your message is sent." in html
    assert "Thanks, please send it to the shop." in html

    def load():
        t = db.session.get(Ticket, public_ticket["id"])
        last = db.session.scalars(
            sa.select(TicketEvent).where(
                TicketEvent.ticket_id == t.id, TicketEvent.kind == EventKind.CUSTOMER_MESSAGE
            )
        ).all()
        return t.status, [(e.by_customer, e.actor_id) for e in last]

    status, messages = build(load)
    assert status is TicketStatus.OPEN
    assert messages == [(True, None)]


def test_customer_text_is_escaped_on_staff_and_public_pages(app, client, public_ticket):
    url = f"/complain/t/{public_ticket['token']}"
    client.post(url, data={"body": "<script>alert(1)</script>\nsecond line"})
    staff = factories.client_as(app, public_ticket["agent"]).get(f"/tickets/{public_ticket['id']}")
    for html in (staff.get_data(as_text=True), client.get(url).get_data(as_text=True)):
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>second line" in html


def test_empty_customer_reply_is_refused(client, build, public_ticket):
    resp = client.post(f"/complain/t/{public_ticket['token']}", data={"body": ""})
    assert resp.status_code == 200
    assert field_error(resp.get_data(as_text=True), "body") == "This field is required."


def test_unknown_token_is_404(client):
    assert client.get("/complain/t/not-a-real-token").status_code == 404
    assert client.post("/complain/t/not-a-real-token", data={"body": "hi"}).status_code == 404
    assert client.get("/complain/t/" + "x" * 300).status_code == 404


def test_closed_ticket_refuses_new_messages(client, build, public_ticket, now):
    def close():
        workflow.change_status(
            db.session.get(Ticket, public_ticket["id"]),
            actor=db.session.get(User, public_ticket["agent"]),
            status=TicketStatus.CLOSED,
            expected_version=None,
            now=now,
        )

    build(close)
    url = f"/complain/t/{public_ticket['token']}"
    page = client.get(url).get_data(as_text=True)
    assert "This complaint is closed." in page
    assert 'name="body"' not in page
    before = _count(build, TicketEvent)
    resp = client.post(url, data={"body": "Hello? Still broken."})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "This complaint is closed." in html and public_ticket["reference"] in html
    assert "Hello? Still broken." not in html
    assert _count(build, TicketEvent) == before
    assert build(lambda: db.session.get(Ticket, public_ticket["id"]).status) is TicketStatus.CLOSED


def test_resolved_ticket_is_reopened_by_a_customer_message(client, build, public_ticket, now):
    def resolve():
        workflow.change_status(
            db.session.get(Ticket, public_ticket["id"]),
            actor=db.session.get(User, public_ticket["agent"]),
            status=TicketStatus.RESOLVED,
            expected_version=None,
            now=now,
        )

    build(resolve)
    resp = client.post(f"/complain/t/{public_ticket['token']}", data={"body": "Not fixed."})
    assert resp.status_code == 302

    def load():
        t = db.session.get(Ticket, public_ticket["id"])
        return t.status, t.reopen_count

    assert build(load) == (TicketStatus.OPEN, 1)
