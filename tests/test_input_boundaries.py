"""Input at every boundary (docs/rules.md, section 11): ids, numbers, dates and NUL.

Each rule has a property test (Hypothesis) on the shared parser or field and a table test
of the pages where the hostile value used to give a 500.
"""

import html as html_lib
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from tests import factories
from ticketdesk.core import inputs
from ticketdesk.core.inputs import BoundedDateField, IntField, NumberField
from ticketdesk.extensions import db
from ticketdesk.models import Category, Customer, Role, SlaPolicy, Ticket, User
from ticketdesk.services.sla import clocks as sla
from ticketdesk.sla_admin.forms import parse_duration

BOUNDED = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
HOSTILE_NUMBERS = [
    "Infinity",
    "-Infinity",
    "NaN",
    "sNaN",
    "1e309",
    "1e30",
    "9" * 5000,
    "99999999999999999999",
    "0x10",
    "1_000",
    "½",
    "٣",
]


def _text(resp) -> str:
    return html_lib.unescape(resp.get_data(as_text=True))


@pytest.fixture
def lead(build):
    return build(factories.make_user, Role.LEAD)


@pytest.fixture
def admin(build):
    return build(factories.make_user, Role.ADMIN)


# ----------------------------------------------------------------- ids


@BOUNDED
@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_an_id_is_a_whole_number_from_1_to_2147483647(number):
    text = str(number)
    if 1 <= number <= inputs.ID_MAX:
        assert inputs.parse_id(text) == number
    else:
        with pytest.raises(ValueError, match="Not a valid choice"):
            inputs.parse_id(text)


@BOUNDED
@given(st.text(max_size=40))
def test_anything_but_ascii_digits_is_no_id(text):
    stripped = text.strip()
    if (
        stripped.isascii()
        and stripped.isdigit()
        and len(stripped) <= 10
        and 1 <= int(stripped) <= inputs.ID_MAX
    ):
        assert inputs.parse_id(text) == int(stripped)
    else:
        with pytest.raises(ValueError, match="Not a valid choice"):
            inputs.parse_id(text)


GET_PATHS = [
    "/tickets/9223372036854775808",
    "/tickets/2147483648",
    "/tickets/2147483647",
    "/tickets/0",
    "/tickets/" + "9" * 5000,
    "/customers/2147483648",
    "/accounts/9223372036854775808",
    "/playbooks/2147483648",
    "/sla/policies/2147483648/edit",
    "/tickets/attachments/9223372036854775808",
]
POST_PATHS = [
    "/tickets/9223372036854775808/watch",
    "/tickets/2147483648/note",
    "/playbooks/9223372036854775808/default",
    "/tickets/remedies/2147483648/deliver",
    "/notifications/9223372036854775808/read",
]


@pytest.mark.parametrize("method, paths", [("get", GET_PATHS), ("post", POST_PATHS)])
def test_an_id_out_of_range_in_a_path_is_404(lead, login, method, paths):
    client = login(lead)
    for path in paths:
        assert getattr(client, method)(path, data={"body": "x"}).status_code == 404, path


def test_an_id_out_of_range_in_a_query_is_ignored_like_any_unknown_filter(build, lead, login):
    ticket = build(factories.make_ticket, actor_id=lead)
    with_ids = login(lead).get("/tickets/?scope=all").get_data(as_text=True)
    assert f"/tickets/{ticket}" in with_ids
    for query in (
        "customer=9223372036854775808",
        "assignee=2147483648",
        "team=9223372036854775808",
        "category=-1",
        "customer=1e3",
        "team=" + "9" * 5000,
        "customer=0",
    ):
        resp = login(lead).get("/tickets/?scope=all&" + query)
        assert resp.status_code == 200, query
        assert f"/tickets/{ticket}" in resp.get_data(as_text=True), query


@pytest.mark.parametrize(
    "url, code",
    [
        ("/recovery/loyalty?account_manager=9223372036854775808", 200),
        ("/tickets/new?customer=2147483648", 200),
        ("/tickets/?page=9223372036854775808", 200),
        ("/accounts/?page=9223372036854775808", 302),
        ("/notifications/?page=99999999999999999999", 302),
        ("/dashboard/tickets?measure=resolved&page=9223372036854775808", 200),
        ("/tickets/?page=abc", 200),
    ],
)
def test_ids_and_pages_in_other_queries(lead, login, url, code):
    assert login(lead).get(url).status_code == code


@BOUNDED
@given(st.one_of(st.integers(min_value=-(10**30), max_value=10**30).map(str), st.text(max_size=12)))
def test_a_page_number_is_1_to_a_million(app, raw):
    with app.test_request_context(query_string={"page": raw}):
        page = inputs.page_arg()
    assert 1 <= page <= inputs.PAGE_MAX
    stripped = raw.strip().lstrip("+")
    if stripped.isascii() and stripped.isdigit() and 1 <= int(stripped) <= inputs.PAGE_MAX:
        assert page == int(stripped)


def test_dashboard_team_out_of_range_is_a_form_error(lead, login):
    resp = login(lead).get("/dashboard/?team=9223372036854775808")
    assert resp.status_code == 400 and "Invalid choice" in _text(resp)


@pytest.mark.parametrize(
    "field, value",
    [
        ("customer_id", "2147483648"),
        ("customer_id", "9223372036854775808"),
        ("team_id", "9223372036854775808"),
        ("assignee_id", "-5"),
        ("category_id", "9223372036854775808"),
    ],
)
def test_an_id_out_of_range_in_a_form_is_a_field_error_and_nothing_is_saved(
    app, build, login, lead, field, value
):
    category = build(factories.category_id)
    customer = build(factories.make_customer)
    data = {
        "subject": "Bottle missing",
        "description": "One bottle was missing.",
        "kind": "complaint",
        "severity": "p3",
        "currency": "EUR",
        "channel": "phone",
        "cause_side": "unknown",
        "category_id": str(category),
        "customer_id": str(customer),
        "new_customer_tier": "standard",
        field: value,
    }
    resp = login(lead).post("/tickets/new", data=data)
    assert resp.status_code == 200
    assert "Not a valid choice" in _text(resp) or "could not coerce" in _text(resp)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_admin_team_ids_out_of_range_is_a_field_error(app, login, admin):
    resp = login(admin).post(
        "/admin/users/new",
        data={
            "name": "Ada",
            "email": "ada@example.test",
            "role": "agent",
            "password": "long enough pw",
            "team_ids": ["9223372036854775808"],
            "active": "y",
        },
    )
    assert resp.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "ada@example.test")) is None


# ----------------------------------------------------------------- numbers


class _Numbers(FlaskForm):
    class Meta:
        csrf = False

    whole = IntField()
    number = NumberField(places=None)


def _form(app, **values) -> _Numbers:
    with app.test_request_context():
        form = _Numbers(formdata=MultiDict(values))
        form.validate()
        return form


@BOUNDED
@given(
    st.one_of(
        st.integers(min_value=-(10**12), max_value=10**12).map(str),
        st.text(max_size=30),
        st.sampled_from(HOSTILE_NUMBERS),
    )
)
def test_a_whole_number_field_takes_only_digits_within_32_bits(app, text):
    form = _form(app, whole=text)
    stripped = text.strip()
    body = stripped[1:] if stripped[:1] in "+-" else stripped
    valid = (
        body.isascii()
        and body.isdigit()
        and len(body) <= 10
        and inputs.INT_MIN <= int(stripped) <= inputs.INT_MAX
    )
    if valid:
        assert form.whole.data == int(stripped) and not form.whole.errors
    else:
        assert form.whole.data is None and form.whole.errors


@BOUNDED
@given(
    st.one_of(
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.sampled_from(HOSTILE_NUMBERS),
        st.text(max_size=20),
    )
)
def test_a_decimal_field_takes_only_plain_finite_numbers(app, text):
    form = _form(app, number=text)
    if form.number.errors:
        assert form.number.data is None
    else:
        value = form.number.data
        assert value.is_finite() and value == Decimal(text.strip())
        assert "e" not in text.lower() and abs(value) < Decimal(10) ** 15


def test_hostile_percentages_on_a_customer_are_a_field_error(app, build, login, lead):
    customer = build(factories.make_customer, name="Olive Oil Shop")
    client = login(lead)
    for value in HOSTILE_NUMBERS + ["-1", "100.5"]:
        resp = client.post(
            f"/customers/{customer}/edit",
            data={
                "name": "Olive Oil Shop",
                "tier": "standard",
                "standing": "qualification_pending",
                "purchase_share": value,
            },
        )
        assert resp.status_code == 400 and "is-invalid" in _text(resp), value
    with app.app_context():
        assert db.session.get(Customer, customer).purchase_share is None


def test_hostile_numbers_in_sla_at_risk_and_category_position_are_field_errors(
    app, login, lead, admin
):
    for value in HOSTILE_NUMBERS + ["0", "100"]:
        resp = login(lead).post(
            "/sla/policies/new",
            data={
                "name": "Fast",
                "active": "y",
                "first_response_minutes": "1h",
                "resolution_minutes": "8h",
                "at_risk_percent": value,
            },
        )
        assert resp.status_code in (200, 400) and "is-invalid" in _text(resp), value
        resp = login(admin).post("/admin/categories", data={"name": "New one", "position": value})
        assert resp.status_code in (200, 302, 400), value
    with app.app_context():
        assert db.session.scalar(sa.select(SlaPolicy).where(SlaPolicy.name == "Fast")) is None
        position = db.session.scalar(sa.select(Category.position).where(Category.name == "New one"))
        assert position is None or 0 <= position <= 100000


def test_absurd_sla_durations_are_field_errors(app, login, lead):
    for value in (
        "9" * 400 + "h",
        "99999999999h",
        "1e309h",
        "Infinity",
        "9" * 5000 + ":00",
        "999999999h",
    ):
        resp = login(lead).post(
            "/sla/policies/new",
            data={
                "name": "Slow",
                "active": "y",
                "first_response_minutes": value,
                "resolution_minutes": "8h",
                "at_risk_percent": "75",
            },
        )
        assert resp.status_code in (200, 400) and "is-invalid" in _text(resp), value
    with app.app_context():
        assert db.session.scalar(sa.select(SlaPolicy).where(SlaPolicy.name == "Slow")) is None


@BOUNDED
@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=59))
def test_a_duration_is_whole_minutes_or_a_clear_error(hours, minutes):
    text = f"{hours}h {minutes}m"
    if len(str(hours)) <= 9:
        assert parse_duration(text) == hours * 60 + minutes
    else:
        with pytest.raises(ValueError, match="Write a duration like"):
            parse_duration(text)


def test_hostile_dashboard_days_are_a_form_error(login, lead):
    for value in ("9" * 50, "1e309", "Infinity", "2147483648", "-1", "0"):
        assert login(lead).get(f"/dashboard/?days={value}").status_code == 400, value


# ----------------------------------------------------------------- dates


@BOUNDED
@given(st.dates())
def test_a_date_field_takes_1900_to_2999_both_included(app, day):
    class _Dates(FlaskForm):
        class Meta:
            csrf = False

        day = BoundedDateField()

    with app.test_request_context():
        form = _Dates(formdata=MultiDict({"day": day.isoformat()}))
        form.validate()
    if date(1900, 1, 1) <= day <= date(2999, 12, 31):
        assert form.day.data == day and not form.day.errors
    else:
        assert form.day.data is None and form.day.errors


def test_calendar_extremes_on_the_dashboard_ledger_and_outcomes_are_a_field_error(login, lead):
    client = login(lead)
    for url in (
        "/dashboard/?until=9999-12-31",
        "/dashboard/?since=0001-01-01",
        "/dashboard/?since=9999-12-31&until=9999-12-31",
        "/dashboard/tickets?measure=resolved&since=0001-01-01",
    ):
        resp = client.get(url)
        assert resp.status_code == 400, url
        assert "between 1900-01-01 and 2999-12-31" in _text(resp), url
    assert client.get("/dashboard/summary.csv?until=9999-12-31").status_code == 400
    for url in (
        "/ledger/?until=9999-12-31",
        "/ledger/?since=0001-01-01",
        "/accounts/outcomes?until=9999-12-31",
    ):
        resp = client.get(url)
        assert resp.status_code in (200, 400), url
        assert "between 1900-01-01 and 2999-12-31" in _text(resp), url


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_calendar_extremes_for_away_and_orders_are_field_errors(app, build, login, lead, day):
    client = login(lead)
    assert client.post(
        "/settings/away", data={"reason": "holiday", "back_on": day}
    ).status_code in (200, 302, 400)
    customer = build(factories.make_customer)
    resp = client.post(
        f"/customers/{customer}/orders",
        data={"reference": "PO-9", "ordered_on": day, "amount": "10", "currency": "EUR"},
    )
    assert resp.status_code in (200, 302, 400)
    with app.app_context():
        assert db.session.get(User, lead).away_reason is None
        from ticketdesk.models import Order

        assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0


# ----------------------------------------------------------------- NUL


@pytest.mark.parametrize(
    "field", ["name", "email", "company", "order_reference", "description", "website"]
)
def test_nul_in_the_public_complaint_form_is_400_and_saves_nothing(app, client, field):
    data = {
        "name": "Ada",
        "email": "ada@example.test",
        "company": "Olive Oil Shop",
        "order_reference": "PO-1",
        "category_id": "1",
        "description": "The bottle of olive oil was missing from the box.",
        "website": "",
    }
    data[field] += "\x00"
    resp = client.post("/complain", data=data)
    assert resp.status_code == 400 and "NUL" in _text(resp)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_nul_on_the_private_link_the_survey_and_the_login_is_400(app, build, client, lead):
    ticket = build(factories.make_ticket, actor_id=lead)
    with app.app_context():
        token = db.session.get(Ticket, ticket).public_token
    assert (
        client.post(f"/complain/t/{token}", data={"body": "Still \x00 waiting"}).status_code == 400
    )
    assert client.get(f"/complain/t/{token}\x00").status_code in (400, 404)
    assert client.get("/complain/t/%00").status_code in (400, 404)
    assert client.post("/survey/abc%00def", data={"score": "5"}).status_code in (400, 404)
    assert client.post("/survey/abc", data={"score": "5", "comment": "ok\x00"}).status_code == 400
    assert (
        client.post("/login", data={"email": "a\x00@example.test", "password": "x"}).status_code
        == 400
    )
    assert client.get("/login?next=/\x00").status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


@BOUNDED
@given(
    st.text(min_size=0, max_size=20),
    st.text(min_size=0, max_size=20),
    st.sampled_from(["query", "form", "name"]),
)
def test_any_text_holding_nul_is_refused_before_the_view(app, before, after, where):
    """Wherever NUL sits — a query value, a form value or a field's name — the answer is
    400 with the same message, on pages that need no login and on staff pages alike."""
    client = app.test_client()
    value = before + "\x00" + after
    if where == "query":
        resp = client.get("/complain", query_string={"q": value})
    elif where == "form":
        resp = client.post("/login", data={"email": value, "password": "x"})
    else:
        resp = client.post("/complain", data={value: "x"})
    assert resp.status_code == 400 and "NUL" in _text(resp)


def test_nul_on_staff_pages_is_400(app, build, login, lead):
    ticket = build(factories.make_ticket, actor_id=lead)
    client = login(lead)
    assert client.post(f"/tickets/{ticket}/note", data={"body": "a\x00b"}).status_code == 400
    assert client.get("/tickets/?q=\x00").status_code == 400
    assert client.get("/customers/?q=olive\x00").status_code == 400
    with app.app_context():
        assert db.session.get(Ticket, ticket).version >= 1


def test_text_without_nul_keeps_every_other_character(app, build, login, lead):
    """CR/LF, tabs, other control characters and any script stay as they were typed."""
    ticket = build(factories.make_ticket, actor_id=lead)
    body = "Line one\r\nLine two\tand \x01 a bell \x07; 中文 ✓ 🎉"
    resp = login(lead).post(f"/tickets/{ticket}/note", data={"body": body})
    assert resp.status_code == 302
    with app.app_context():
        from ticketdesk.models import TicketEvent

        bodies = db.session.scalars(
            sa.select(TicketEvent.body).where(TicketEvent.ticket_id == ticket)
        ).all()
    assert any("Line two\tand \x01 a bell \x07; 中文 ✓ 🎉" in (b or "") for b in bodies)


# ----------------------------------------------------------------- a ticket's numbers


@pytest.mark.parametrize(
    "field, value",
    [
        ("quantity", "9223372036854775808"),
        ("quantity", "Infinity"),
        ("quantity", "100001"),
        ("affected_units", "1e309"),
        ("affected_units", "2147483648"),
        ("quantity", "sNaN"),
    ],
)
def test_hostile_remedy_quantities_are_field_errors(app, build, login, lead, field, value):
    team = build(factories.make_team, member_ids=(lead,))
    ticket = build(factories.make_ticket, actor_id=lead, team_id=team)
    data = {
        "kind": "make_whole",
        "form": "reship",
        "description": "Bottle reshipped",
        "quantity": "1",
        "cost": "5",
        "reason": "missing_items",
        field: value,
    }
    resp = login(lead).post(f"/tickets/{ticket}/remedies", data=data)
    assert resp.status_code == 200
    with app.app_context():
        from ticketdesk.models import Remedy

        assert db.session.scalar(sa.select(sa.func.count()).select_from(Remedy)) == 0


def test_seeded_sla_policies_survive_a_hostile_edit(app, build, login, lead):
    build(lambda: sla.seed_defaults(now=factories.utcnow() - timedelta(days=1)))
    with app.app_context():
        policy = db.session.scalar(sa.select(SlaPolicy).limit(1))
        policy_id, name = policy.id, policy.name
    resp = login(lead).post(
        f"/sla/policies/{policy_id}/edit",
        data={
            "name": name,
            "active": "y",
            "first_response_minutes": "9" * 400 + "h",
            "resolution_minutes": "8h",
            "at_risk_percent": "1e309",
        },
    )
    assert resp.status_code == 200
