"""Finding the customer at intake: the picker's search (service and JSON endpoint) and the
likely-duplicate rule that asks before a second "Anna Schmidt" is created."""

import re

import pytest
import sqlalchemy as sa

from tests import factories
from tests.factories import load
from tests.support import field_error
from ticketdesk.core.errors import DomainError
from ticketdesk.core.uow import unit_of_work
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import Channel, Contact, Customer, Role, Severity, Ticket, TicketKind, User
from ticketdesk.services.customers import customers as customer_service
from ticketdesk.services.tickets import intake as ticket_intake

# ----------------------------------------------------------------- the duplicate rule


def _anna() -> int:
    """Anna Schmidt with a contact: anna@example.test, +49 30 1234-567."""
    cid = factories.make_customer("Anna Schmidt")
    with unit_of_work():
        db.session.add(
            Contact(
                customer_id=cid,
                name="Anna Schmidt",
                email="anna@example.test",
                phone="+49 30 1234-567",
            )
        )
    return cid


@pytest.mark.parametrize(
    ("name", "email", "phone", "duplicate"),
    [
        # The name, case- and space-insensitively.
        ("Anna Schmidt", None, "", True),
        ("  anna   SCHMIDT ", None, "", True),
        ("AnnaSchmidt", None, "", True),
        ("Anna Schmitt", None, "", False),
        ("Anna", None, "", False),
        ("Anna Schmidt GmbH", None, "", False),
        # The contact's e-mail, normalised (case, spaces around).
        ("Someone Else", "anna@example.test", "", True),
        ("Someone Else", " ANNA@Example.TEST ", "", True),
        ("Someone Else", "anna@example.org", "", False),
        # The contact's phone digits, whatever the separators.
        ("Someone Else", None, "+49 (30) 1234567", True),
        ("Someone Else", None, "49301234567", True),
        ("Someone Else", None, "+49 30 1234-568", False),
        # Fewer than PHONE_DIGITS_MIN digits never match (an extension, a typo).
        ("Someone Else", None, "567", False),
        # Nothing given, nothing found.
        ("", None, "", False),
    ],
)
def test_likely_duplicate_rule(ctx, name, email, phone, duplicate):
    anna = _anna()
    factories.make_customer("Bert Bauer", contact_email="bert@example.test")
    agent = load(User, factories.make_user(Role.AGENT))
    found = customer_service.likely_duplicates(user=agent, name=name, email=email, phone=phone)
    assert [c.id for c in found] == ([anna] if duplicate else [])


def test_duplicates_name_every_match_once_oldest_first(ctx):
    anna = _anna()
    second = factories.make_customer("anna schmidt", contact_email="a.schmidt@example.test")
    agent = load(User, factories.make_user(Role.AGENT))
    found = customer_service.likely_duplicates(
        user=agent, name="Anna Schmidt", email="anna@example.test", phone="+49 30 1234567"
    )
    assert [c.id for c in found] == [anna, second]


def test_duplicates_are_only_customers_the_user_may_see(ctx):
    am = factories.make_user(Role.ACCOUNT_MANAGER)
    other_am = factories.make_user(Role.ACCOUNT_MANAGER)
    mine = factories.make_customer("Anna Schmidt", account_manager_id=am)
    factories.make_customer("Anna Schmidt", account_manager_id=other_am)
    found = customer_service.likely_duplicates(user=load(User, am), name="anna schmidt")
    assert [c.id for c in found] == [mine]


# ----------------------------------------------------------------- search


def _search(user_id: int, query: str, **kwargs) -> list[str]:
    user = load(User, user_id)
    return [m.name for m in customer_service.search_customers(user=user, query=query, **kwargs)]


def test_search_finds_by_name_email_phone_and_external_reference(ctx):
    _anna()
    cid = factories.make_customer("Olive Grove Trading")
    load(Customer, cid).external_ref = "CRM-4711"
    db.session.commit()
    agent = factories.make_user(Role.AGENT)
    assert _search(agent, "schm") == ["Anna Schmidt"]
    assert _search(agent, "ANNA@EXAMPLE") == ["Anna Schmidt"]
    assert _search(agent, "1234-5") == ["Anna Schmidt"]
    assert _search(agent, "crm-47") == ["Olive Grove Trading"]
    assert _search(agent, "olive") == ["Olive Grove Trading"]
    assert _search(agent, "nobody") == []


def test_search_labels_say_why_a_customer_matched(ctx):
    _anna()
    agent = load(User, factories.make_user(Role.AGENT))
    (by_mail,) = customer_service.search_customers(user=agent, query="anna@")
    assert by_mail.label == "Anna Schmidt · Anna Schmidt <anna@example.test>"
    (by_phone,) = customer_service.search_customers(user=agent, query="30 1234")
    assert by_phone.label == "Anna Schmidt · Anna Schmidt <+49 30 1234-567>"
    (by_name,) = customer_service.search_customers(user=agent, query="anna s")
    assert by_name.label == "Anna Schmidt"


def test_search_treats_wildcards_as_text_and_short_queries_find_nothing(ctx):
    factories.make_customer("100% Organic")
    factories.make_customer("Plain Foods")
    agent = factories.make_user(Role.AGENT)
    assert _search(agent, "0%") == ["100% Organic"]
    assert _search(agent, "%") == []
    assert _search(agent, "__") == []
    assert _search(agent, "o") == []  # under two characters
    assert _search(agent, "   ") == []


def test_search_is_limited_and_puts_name_matches_first(ctx):
    for i in range(12):
        factories.make_customer(f"Baker {i:02d}")
    factories.make_customer("Anna Kowalski", contact_email="baker@kowalski.example")
    agent = factories.make_user(Role.AGENT)
    found = _search(agent, "baker")
    assert len(found) == customer_service.SEARCH_LIMIT
    assert found == [f"Baker {i:02d}" for i in range(10)]
    assert _search(agent, "baker", limit=20)[-1] == "Anna Kowalski"


def test_search_shows_account_managers_their_own_customers_and_admins_none(ctx):
    am = factories.make_user(Role.ACCOUNT_MANAGER)
    factories.make_customer("Delta Mine", account_manager_id=am)
    factories.make_customer("Delta Theirs")
    admin = factories.make_user(Role.ADMIN)
    assert _search(am, "delta") == ["Delta Mine"]
    assert _search(admin, "delta") == []
    assert _search(factories.make_user(Role.LEAD), "delta") == ["Delta Mine", "Delta Theirs"]


def test_search_endpoint_returns_ids_and_labels(app, build):
    cid = build(_anna)
    agent = build(factories.make_user, Role.AGENT)
    resp = factories.client_as(app, agent).get("/customers/search?q=anna")
    assert resp.status_code == 200
    assert resp.get_json() == {
        "results": [{"id": cid, "name": "Anna Schmidt", "label": "Anna Schmidt"}]
    }
    resp = factories.client_as(app, agent).get("/customers/search?q=" + "x" * 5000)
    assert resp.status_code == 200 and resp.get_json() == {"results": []}
    assert factories.client_as(app, agent).get("/customers/search").get_json() == {"results": []}


def test_search_endpoint_hides_other_managers_customers(app, build):
    am = build(factories.make_user, Role.ACCOUNT_MANAGER)
    build(factories.make_customer, "Anna Schmidt")
    resp = factories.client_as(app, am).get("/customers/search?q=anna")
    assert resp.get_json() == {"results": []}


# ----------------------------------------------------------------- the intake form


@pytest.fixture
def intake(build):
    def make():
        return dict(
            anna=_anna(),
            agent=factories.make_user(Role.AGENT, name="Ann Agent"),
            category=factories.category_id("wrong_item"),
        )

    return build(make)


def _form(intake, **overrides) -> dict:
    data = {
        "customer_id": "",
        "new_customer_name": "Anna  schmidt",
        "new_customer_tier": "standard",
        "contact_name": "",
        "contact_email": "",
        "contact_phone": "",
        "channel": "phone",
        "kind": TicketKind.COMPLAINT.value,
        "category_id": str(intake["category"]),
        "severity": "p3",
        "subject": "One bottle missing",
        "description": "The olive oil was not in the box.",
        "currency": "EUR",
        "team_id": "",
        "assignee_id": "",
    }
    data.update(overrides)
    return data


def _counts(build) -> tuple[int, int]:
    def count():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(Customer)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)),
        )

    return build(count)


def test_a_likely_duplicate_is_offered_and_nothing_is_saved(app, build, intake):
    before = _counts(build)
    client = factories.client_as(app, intake["agent"])
    resp = client.post("/tickets/new", data=_form(intake))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "We may already have this customer" in html
    assert f'name="use_customer_id" value="{intake["anna"]}"' in html
    assert "anna@example.test" in html
    assert "Create a new customer anyway" in html
    assert field_error(html, "new_customer_name")
    assert _counts(build) == before


def test_a_matching_phone_is_a_likely_duplicate_too(app, build, intake):
    client = factories.client_as(app, intake["agent"])
    resp = client.post(
        "/tickets/new",
        data=_form(
            intake,
            new_customer_name="Schmidt Catering",
            contact_name="A. Schmidt",
            contact_phone="0049 (30) 1234567",
        ),
    )
    # Leading zeros are digits too: 00 49 … is not +49 … (no guessing at dial prefixes).
    assert resp.status_code == 302
    resp = client.post(
        "/tickets/new",
        data=_form(
            intake,
            new_customer_name="Schmidt Partyservice",
            contact_name="A. Schmidt",
            contact_phone="+49 (30) 1234567",
            subject="Second call",
        ),
    )
    assert resp.status_code == 200
    assert f'value="{intake["anna"]}"' in resp.get_data(as_text=True)


def test_use_this_customer_logs_the_complaint_on_the_existing_one(app, build, intake):
    customers_before, tickets_before = _counts(build)
    client = factories.client_as(app, intake["agent"])
    resp = client.post("/tickets/new", data=_form(intake, use_customer_id=str(intake["anna"])))
    assert resp.status_code == 302
    ticket_id = int(re.fullmatch(r"/tickets/(\d+)", resp.location).group(1))
    assert build(lambda: load(Ticket, ticket_id).customer_id) == intake["anna"]
    assert _counts(build) == (customers_before, tickets_before + 1)


def test_create_anyway_makes_the_new_customer(app, build, intake):
    customers_before, tickets_before = _counts(build)
    client = factories.client_as(app, intake["agent"])
    resp = client.post("/tickets/new", data=_form(intake, create_anyway="y"))
    assert resp.status_code == 302
    ticket_id = int(re.fullmatch(r"/tickets/(\d+)", resp.location).group(1))
    customer_id = build(lambda: load(Ticket, ticket_id).customer_id)
    assert customer_id != intake["anna"]
    assert build(lambda: load(Customer, customer_id).name) == "Anna  schmidt"
    assert _counts(build) == (customers_before + 1, tickets_before + 1)


def test_the_service_refuses_a_likely_duplicate_without_the_confirmation(ctx):
    anna = _anna()
    agent = load(User, factories.make_user(Role.AGENT))
    fields = ticket_intake.TicketFields(
        subject="Missing bottle",
        description="Not in the box.",
        channel=Channel.PHONE,
        kind=TicketKind.COMPLAINT,
        category_id=factories.category_id("wrong_item"),
        severity=Severity.P3,
        order_reference="",
    )
    with pytest.raises(customer_service.LikelyDuplicate) as err:
        ticket_intake.log_complaint(
            actor=agent,
            now=utcnow(),
            fields=fields,
            new_customer=customer_service.CustomerData(name="Somebody"),
            contact=customer_service.ContactData(name="Anna", email="ANNA@example.test"),
        )
    assert isinstance(err.value, DomainError)
    assert err.value.field == "new_customer_name"
    assert [c.id for c in err.value.matches] == [anna]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0
