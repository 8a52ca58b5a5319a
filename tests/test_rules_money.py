"""Money rules: amounts where they enter, caps rounded down, cap bases, limits per currency,
and how a ticket's remedy form is classified (docs/rules.md, section 2)."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.factories import load
from tests.support import field_error
from tests.test_ledger_service import STEPS, _default_playbook
from ticketdesk.core import money
from ticketdesk.core.errors import DomainError
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import (
    CapBase,
    Customer,
    Order,
    PlaybookVersion,
    Remedy,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    RemedyState,
    Role,
    Ticket,
    User,
)
from ticketdesk.services.customers import orders
from ticketdesk.services.ledger import remedies as ledger
from ticketdesk.services.ledger.remedies import RemedyDraft
from ticketdesk.services.playbooks import admin as playbook_admin
from ticketdesk.services.playbooks.engine import PlaybookSpec
from ticketdesk.services.recovery import outcomes
from ticketdesk.services.tickets import intake

NOT_AMOUNTS = (
    "Infinity",
    "-Infinity",
    "NaN",
    "sNaN",
    "1e309",
    "1e30",
    "1E3",
    "inf",
    "1,000.50",
    "ten",
    "0x10",
    "--5",
    "1.2.3",
)


def _claim(agent, now, *, loss=None, order=None, currency="EUR"):
    tid = factories.make_ticket(actor_id=agent, now=now)
    ticket = db.session.get(Ticket, tid)
    ticket.claimed_loss, ticket.order_value, ticket.currency = loss, order, currency
    db.session.commit()
    return ticket


def _draft(cost, kind=RemedyKind.MAKE_WHOLE, form=RemedyForm.RESHIP, **kw):
    return RemedyDraft(
        kind=kind,
        form=form,
        description="Two bags",
        cost=Decimal(cost),
        reason=RemedyReason.MISSING_ITEMS,
        **kw,
    )


@pytest.fixture
def people(ctx):
    return {role: factories.make_user(role) for role in (Role.AGENT, Role.LEAD, Role.ADMIN)}


# ----------------------------------------------------------------- the cap is rounded down


@pytest.mark.parametrize(
    "base, currency, percent, cap",
    [
        ("245", "JPY", "150", "367"),  # 367.5 → 367, never 368
        ("10.01", "EUR", "150", "15.01"),  # 15.015 → 15.01
        ("10.00", "EUR", "150", "15.00"),
        ("1.001", "KWD", "150", "1.501"),  # 1.5015 → 1.501
        ("0.99", "EUR", "33", "0.99"),  # 0.3267 → 0.32, but never below the loss
    ],
)
def test_the_cap_is_rounded_down_to_the_minor_unit(people, now, base, currency, percent, cap):
    _default_playbook(now, total_cap_percent=Decimal(percent))
    ticket = _claim(people[Role.AGENT], now, loss=Decimal(base), currency=currency)
    assert ledger.compensation_cap(ticket, ledger.rules_for(ticket)) == Decimal(cap)


def test_a_lead_cannot_approve_past_the_cap_by_rounding(people, now):
    _default_playbook(now, approval_limits={"agent": "0"})
    ticket = _claim(people[Role.AGENT], now, loss=Decimal("245"), currency="JPY")
    lead = load(User, people[Role.LEAD])
    within = ledger.propose_remedy(ticket, actor=lead, now=now, draft=_draft("367"))
    assert within.state is RemedyState.APPROVED
    ledger.withdraw_remedy(within, actor=lead, now=now)
    over = ledger.propose_remedy(ticket, actor=lead, now=now, draft=_draft("368"))
    assert over.state is RemedyState.PROPOSED and over.approval_role is Role.ADMIN


def test_the_suggestion_never_exceeds_the_rounded_down_cap(people, now):
    _default_playbook(now, goodwill_value=Decimal("60"), goodwill_cap_percent=Decimal("60"))
    ticket = _claim(people[Role.AGENT], now, loss=Decimal("10.01"))
    s = ledger.suggest(ticket)
    assert s.cap == Decimal("15.01")
    assert s.make_whole_cost + s.goodwill_cost == Decimal("15.01")  # not 15.02


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
    units=st.integers(min_value=0, max_value=10_000_000),
    order_units=st.one_of(st.none(), st.integers(min_value=0, max_value=10_000_000)),
    goodwill=st.integers(min_value=0, max_value=100),
    total_cap=st.integers(min_value=0, max_value=300),
)
def test_caps_and_suggestions_stay_within_the_exact_percentage(
    people, now, currency, units, order_units, goodwill, total_cap
):
    """Property: the cap is the largest amount in minor units not above the exact share
    (or the loss itself), and the suggestion never passes it."""
    if not db.session.scalar(db.select(db.func.count()).select_from(PlaybookVersion)):
        _default_playbook(now)
    unit = money.minor_unit(currency)
    loss = units * unit
    order = None if order_units is None else order_units * unit
    ticket = _claim(people[Role.AGENT], now, loss=loss, order=order, currency=currency)
    version = ticket.playbook_version
    version.goodwill_value = version.goodwill_cap_percent = Decimal(goodwill)
    version.total_cap_percent = Decimal(total_cap)
    rules = ledger.rules_for(ticket)
    _kind, base = ledger.cap_base(ticket)
    exact = base * Decimal(total_cap) / 100
    cap = ledger.compensation_cap(ticket, rules)
    assert cap == max(loss, cap) and cap % unit == 0
    assert cap == loss or (cap <= exact < cap + unit)
    s = ledger.suggest(ticket)
    assert s.make_whole_cost + s.goodwill_cost <= cap
    assert s.goodwill_cost % unit == 0
    db.session.rollback()


# ----------------------------------------------------------------- cap base


@pytest.mark.parametrize(
    "order, loss, kind, base",
    [
        ("220.00", "20.00", CapBase.ORDER, "220.00"),  # small order, part affected: the bags
        ("220.00", "220.00", CapBase.AFFECTED, "220.00"),  # claim = order value: the claim
        ("220.00", "300.00", CapBase.AFFECTED, "300.00"),  # claim above the order: the claim
        ("220.00", None, CapBase.ORDER, "220.00"),  # claim unknown: the whole order
        (None, None, CapBase.AFFECTED, "0"),  # nothing known: zero
        ("5000.00", "20.00", CapBase.AFFECTED, "20.00"),  # large order: the claim
        ("500.00", "20.00", CapBase.ORDER, "500.00"),  # the limit is inclusive
        ("500.01", "20.00", CapBase.AFFECTED, "20.00"),
    ],
)
def test_the_cap_base(people, now, order, loss, kind, base):
    ticket = _claim(
        people[Role.AGENT], now, loss=loss and Decimal(loss), order=order and Decimal(order)
    )
    assert ledger.cap_base(ticket) == (kind, Decimal(base))


@pytest.mark.parametrize(
    "setting, currency, order, kind",
    [
        (500, "JPY", "22000", CapBase.AFFECTED),  # 500 means 500 JPY here
        (500, "JPY", "500", CapBase.ORDER),
        ({"EUR": 500}, "JPY", "300", CapBase.AFFECTED),  # JPY has no small orders
        ({"EUR": 500, "JPY": 70000}, "JPY", "22000", CapBase.ORDER),
        ({"EUR": 500, "JPY": 70000}, "EUR", "220.00", CapBase.ORDER),
    ],
)
def test_the_small_order_limit_per_currency(app, people, now, setting, currency, order, kind):
    app.config["SMALL_ORDER_LIMIT"] = setting
    ticket = _claim(
        people[Role.AGENT], now, loss=Decimal("20"), order=Decimal(order), currency=currency
    )
    assert ledger.cap_base(ticket)[0] is kind


# ----------------------------------------------------------------- the agent limit


@pytest.mark.parametrize(
    "loss, total, role",
    [
        ("100.00", "100.00", Role.AGENT),  # the loss itself
        ("100.00", "100.01", Role.LEAD),
        ("40.00", "50.00", Role.AGENT),  # the agent limit, inclusive
        ("40.00", "50.01", Role.LEAD),
        ("40.00", "60.00", Role.LEAD),  # not the loss plus the limit (90)
        ("40.00", "60.01", Role.ADMIN),  # past the cap (150% of 40)
    ],
)
def test_an_agent_grants_up_to_the_larger_of_loss_and_limit(people, now, loss, total, role):
    _default_playbook(now, approval_limits={"agent": "50"})
    ticket = _claim(people[Role.AGENT], now, loss=Decimal(loss))
    assert (
        ledger.required_role(ticket, total_after=Decimal(total), form=RemedyForm.RESHIP, now=now)
        is role
    )


@pytest.mark.parametrize(
    "setting, currency, limit",
    [
        (50, "EUR", "50"),
        (50, "JPY", "50"),
        ({"EUR": 50, "JPY": 7000}, "JPY", "7000"),
        ({"EUR": 50}, "USD", "0"),
    ],
)
def test_the_configured_agent_limit_per_currency(app, people, now, setting, currency, limit):
    app.config["GOODWILL_AGENT_LIMIT"] = setting
    ticket = _claim(people[Role.AGENT], now, loss=Decimal("1"), currency=currency)
    ticket.playbook_version = None
    assert ledger.rules_for(ticket).agent_limit == Decimal(limit)
    db.session.rollback()


# ----------------------------------------------------------------- amounts where they enter


@pytest.mark.parametrize(
    "value, currency, ok",
    [
        ("333", "JPY", True),
        ("333.5", "JPY", False),
        ("333.0", "JPY", True),
        ("10.01", "EUR", True),
        ("10.001", "EUR", False),
        ("10.010", "EUR", True),
        ("1.125", "KWD", True),
        ("1.1255", "KWD", False),
        ("0.125", "BHD", True),
        ("0", "EUR", True),
        ("-0.01", "EUR", False),
        ("9999999999.99", "EUR", True),
        ("10000000000", "EUR", False),
        ("Infinity", "EUR", False),
        ("-Infinity", "EUR", False),
        ("NaN", "EUR", False),
        ("sNaN", "EUR", False),
        ("1e309", "EUR", False),
        ("1e30", "EUR", False),
    ],
)
def test_the_service_check_of_an_amount(ctx, value, currency, ok):
    if ok:
        assert money.check_amount(Decimal(value), currency=currency, field="x") == Decimal(value)
    else:
        with pytest.raises(DomainError) as err:
            money.check_amount(Decimal(value), currency=currency, field="x")
        assert err.value.field == "x" and str(err.value)


@pytest.mark.parametrize(
    "currency, message",
    [
        ("JPY", "JPY amounts are whole numbers: use no decimal places."),
        ("EUR", "EUR amounts have at most 2 decimal places."),
    ],
)
def test_finer_than_the_minor_unit_is_refused_on_the_ticket(people, now, currency, message):
    value = Decimal("333.5") if currency == "JPY" else Decimal("10.001")
    fields = intake.TicketFields(
        subject="Short",
        description="Two bags missing",
        channel="phone",
        kind="complaint",
        category_id=factories.category_id(),
        severity="p3",
        currency=currency,
        claimed_loss=value,
    )
    with pytest.raises(DomainError) as err:
        intake.log_complaint(
            actor=load(User, people[Role.AGENT]),
            fields=fields,
            now=now,
            customer_id=factories.make_customer(),
        )
    assert (err.value.field, str(err.value)) == ("claimed_loss", message)
    assert db.session.scalar(db.select(db.func.count()).select_from(Ticket)) == 0


def test_remedy_costs_follow_the_ticket_currency(people, now):
    _default_playbook(now)
    agent = load(User, people[Role.AGENT])
    ticket = _claim(people[Role.AGENT], now, loss=Decimal("500"), currency="JPY")
    for cost in ("333.5", "Infinity", "NaN", "1e30"):
        with pytest.raises(DomainError) as err:
            ledger.propose_remedy(ticket, actor=agent, now=now, draft=_draft(cost))
        assert err.value.field == "cost"
    with pytest.raises(DomainError) as err:
        ledger.propose_remedy(
            ticket, actor=agent, now=now, draft=_draft("333", affected_value=Decimal("333.5"))
        )
    assert err.value.field == "affected_value"
    assert ledger.propose_remedy(ticket, actor=agent, now=now, draft=_draft("333")).cost == 333


def test_three_decimal_currencies_are_stored_to_the_fils(people, now):
    """KWD keeps its third decimal through the database; EUR reads back as before."""
    ticket = _claim(
        people[Role.AGENT], now, loss=Decimal("1.125"), order=Decimal("10.5"), currency="KWD"
    )
    tid = ticket.id
    db.session.expire_all()
    ticket = db.session.get(Ticket, tid)
    assert str(ticket.claimed_loss) == "1.125" and str(ticket.order_value) == "10.50"


def test_orders_by_hand_and_by_csv(people, now):
    customer = db.session.get(Customer, factories.make_customer())
    customer.external_ref = "C-1"
    db.session.commit()
    lead = load(User, people[Role.LEAD])
    day = date(2026, 3, 1)
    for amount, currency in (("333.5", "JPY"), ("10.001", "EUR"), ("Infinity", "EUR")):
        with pytest.raises(DomainError) as err:
            orders.add_order(
                customer,
                actor=lead,
                now=now,
                data=orders.OrderData(
                    reference="SO-1", ordered_on=day, amount=Decimal(amount), currency=currency
                ),
            )
        assert err.value.field == "amount"
    order = orders.add_order(
        customer,
        actor=lead,
        now=now,
        data=orders.OrderData(
            reference="SO-1", ordered_on=day, amount=Decimal("1.125"), currency="KWD"
        ),
    )
    assert order.amount == Decimal("1.125")
    lines = [
        "customer_ref,order_ref,ordered_on,amount,currency",
        "C-1,SO-2,2026-03-01,333.5,JPY",
        "C-1,SO-3,2026-03-01,10.001,EUR",
        "C-1,SO-4,2026-03-01,Infinity,EUR",
        "C-1,SO-5,2026-03-01,NaN,EUR",
        "C-1,SO-6,2026-03-01,1e30,EUR",
        "C-1,SO-7,2026-03-01,12.5,XYZ",
    ]
    result = orders.import_csv("\n".join(lines), actor=None, now=now)
    assert [(e.line, e.column) for e in result.errors] == [
        (2, "amount"),
        (3, "amount"),
        (4, "amount"),
        (5, "amount"),
        (6, "amount"),
        (7, "currency"),
    ]
    assert db.session.scalar(db.select(db.func.count()).select_from(Order)) == 1


@pytest.mark.parametrize(
    "limits, ok",
    [
        ({"agent": "50.00"}, True),
        ({"agent": "50.001"}, False),
        ({"agent": "Infinity"}, False),
        ({"lead": "NaN"}, False),
        ({"lead": "1e30"}, False),
    ],
)
def test_playbook_limits_are_amounts_of_the_desk_currency(ctx, now, limits, ok):
    spec = PlaybookSpec(name="Limits", steps=STEPS, approval_limits=limits)
    if ok:
        playbook_admin._check(spec)
    else:
        with pytest.raises(DomainError) as err:
            playbook_admin._check(spec)
        assert err.value.field == "approval_limits"


def test_unknown_currency_codes_are_refused(ctx):
    assert money.check_currency(" jpy ") == "JPY"
    for code in ("XYZ", "EURO", "E1R", ""):
        with pytest.raises(DomainError):
            money.check_currency(code)


# ----------------------------------------------------------------- every money form field


@pytest.fixture
def desk(app, build):
    def make():
        agent = factories.make_user(Role.AGENT)
        lead = factories.make_user(Role.LEAD)
        _default_playbook(utcnow())
        customer = factories.make_customer()
        ticket = factories.make_ticket(actor_id=agent, customer_id=customer)
        version = db.session.get(Ticket, ticket).version
        return dict(
            agent=agent,
            lead=lead,
            customer=customer,
            ticket=ticket,
            version=version,
            category=factories.category_id("missing_short_shipment"),
        )

    return build(make)


@pytest.mark.parametrize("text", NOT_AMOUNTS)
def test_money_fields_refuse_what_is_not_an_amount(app, build, desk, text):
    """Every form with an amount answers with a form error, never a server error."""
    agent, lead = factories.client_as(app, desk["agent"]), factories.client_as(app, desk["lead"])
    tid = desk["ticket"]
    base = dict(
        subject="Bottle missing",
        kind="complaint",
        category_id=str(desk["category"]),
        severity="p3",
        order_reference="",
        currency="EUR",
    )
    posts = [
        (
            agent,
            f"/tickets/{tid}/details",
            dict(base, version=desk["version"], order_value=text),
            "order_value",
        ),
        (
            agent,
            f"/tickets/{tid}/details",
            dict(base, version=desk["version"], claimed_loss=text),
            "claimed_loss",
        ),
        (
            agent,
            "/tickets/new",
            dict(
                base,
                customer_id=str(desk["customer"]),
                channel="phone",
                description="Missing",
                claimed_loss=text,
            ),
            "claimed_loss",
        ),
        (
            agent,
            f"/tickets/{tid}/remedies",
            dict(
                kind="make_whole",
                form="reship",
                description="Two bags",
                quantity="1",
                cost=text,
                reason="missing_items",
            ),
            "cost",
        ),
        (
            agent,
            f"/tickets/{tid}/remedies",
            dict(
                kind="make_whole",
                form="reship",
                description="Two bags",
                quantity="1",
                cost="1",
                affected_value=text,
                reason="missing_items",
            ),
            "affected_value",
        ),
        (
            lead,
            f"/customers/{desk['customer']}/orders",
            dict(reference="SO-9", ordered_on="2026-01-05", amount=text, currency="EUR"),
            "amount",
        ),
        (
            lead,
            "/playbooks/new",
            dict(
                name="P",
                evidence_threshold=text,
                goodwill_basis="none",
                goodwill_value="0",
                goodwill_cap_percent="30",
                total_cap_percent="150",
                make_whole_form="reship",
            ),
            "evidence_threshold",
        ),
        (
            lead,
            "/playbooks/new",
            dict(
                name="P",
                evidence_threshold="0",
                goodwill_basis="none",
                goodwill_value="0",
                goodwill_cap_percent="30",
                total_cap_percent="150",
                make_whole_form="reship",
                agent_limit=text,
            ),
            "agent_limit",
        ),
    ]
    for client, url, data, field in posts:
        resp = client.post(url, data=data)
        assert resp.status_code in (200, 400), (url, field, resp.status_code)
        error = field_error(resp.get_data(as_text=True), field)
        assert error, (url, field)
    assert build(lambda: db.session.scalar(db.select(db.func.count()).select_from(Remedy))) == 0
    assert build(lambda: db.session.scalar(db.select(db.func.count()).select_from(Order))) == 0


def test_the_ticket_form_says_which_minor_unit(app, build, desk):
    base = dict(
        subject="Bottle missing",
        kind="complaint",
        category_id=str(desk["category"]),
        severity="p3",
        order_reference="",
        version=desk["version"],
    )
    resp = factories.client_as(app, desk["agent"]).post(
        f"/tickets/{desk['ticket']}/details", data=dict(base, currency="JPY", claimed_loss="333.5")
    )
    assert (
        field_error(resp.get_data(as_text=True), "claimed_loss")
        == "JPY amounts are whole numbers: use no decimal places."
    )
    assert build(lambda: db.session.get(Ticket, desk["ticket"]).currency) == "EUR"


# ----------------------------------------------------------------- the remedy form of a ticket


MW, GW = RemedyKind.MAKE_WHOLE, RemedyKind.GOODWILL


@pytest.mark.parametrize(
    "remedies, group",
    [
        (
            [
                (MW, RemedyForm.RESHIP, RemedyState.DELIVERED),
                (MW, RemedyForm.REFUND, RemedyState.DELIVERED),
            ],
            "reship",
        ),  # the first make-whole
        (
            [
                (MW, RemedyForm.REFUND, RemedyState.REJECTED),
                (MW, RemedyForm.RESHIP, RemedyState.APPROVED),
            ],
            "reship",
        ),  # only granted ones
        (
            [
                (GW, RemedyForm.CREDIT, RemedyState.DELIVERED),
                (MW, RemedyForm.REFUND, RemedyState.DELIVERED),
            ],
            "refund",
        ),  # goodwill never decides
        ([(GW, RemedyForm.COUPON, RemedyState.DELIVERED)], "none"),  # goodwill only
        ([], "none"),
    ],
)
def test_the_remedy_form_of_a_ticket_in_the_outcome_report(app, build, remedies, group):
    from tests.test_outcomes import FIRST, LAST, TODAY, _remedy, _ticket, at

    def make():
        lead = factories.make_user(Role.LEAD)
        tid = _ticket(
            lead,
            factories.make_customer(),
            created=at(2025, 10, 1),
            resolved=at(2025, 10, 2),
            loss="100",
        )
        for kind, form, state in remedies:
            _remedy(tid, kind, form, "10", state=state)
        db.session.commit()

    build(make)
    with app.app_context():
        report = outcomes.report(FIRST, LAST, today=TODAY)
        assert {
            g.key: g.figures.tickets for g in report.breakdowns["remedy_form"] if g.figures.tickets
        } == {group: 1}
