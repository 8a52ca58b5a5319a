"""Customers' orders: added by hand, deleted, summed as revenue, imported from CSV (service,
command line and the administrators' upload page)."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from tests.factories import load
from tests.support import field_error
from ticketdesk.core.errors import DomainError, PermissionDenied
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import Customer, Order, OrderSource, Role, Ticket, User
from ticketdesk.services.customers import orders as order_service
from ticketdesk.services.customers.orders import OrderData

HEADER = "customer_ref,order_ref,ordered_on,amount,currency"


def _set_ref(cid: int, ref: str) -> None:
    db.session.get(Customer, cid).external_ref = ref
    db.session.commit()


def _orders() -> list[tuple]:
    return [
        (o.customer_id, o.reference, o.ordered_on, o.amount, o.currency, o.source)
        for o in db.session.scalars(sa.select(Order).order_by(Order.id))
    ]


def _count_orders() -> int:
    return db.session.scalar(sa.select(sa.func.count(Order.id)))


def _csv(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join((header, *lines)) + "\n").encode()


def _errors(result) -> list[tuple]:
    return [(e.line, e.column) for e in result.errors]


def _messages(result) -> list[str]:
    return [str(e) for e in result.errors]


# ----------------------------------------------------------------- service: by hand


def _staff_and_acme() -> dict:
    """Two account managers, an agent, a lead, an admin, and Acme Foods (the first
    manager's account)."""
    am = factories.make_user(Role.ACCOUNT_MANAGER)
    other_am = factories.make_user(Role.ACCOUNT_MANAGER)
    agent = factories.make_user(Role.AGENT)
    lead = factories.make_user(Role.LEAD)
    admin = factories.make_user(Role.ADMIN)
    acme = factories.make_customer("Acme Foods", account_manager_id=am)
    return dict(am=am, other_am=other_am, agent=agent, lead=lead, admin=admin, acme=acme)


@pytest.fixture
def people(ctx):
    people = _staff_and_acme()
    people["zenith"] = factories.make_customer(
        "Zenith Retail", account_manager_id=people["other_am"]
    )
    return people


def _order(
    reference="SO-1",
    ordered_on=date(2026, 2, 20),
    amount="120.50",
    currency="eur",
    remedy_ticket="",
):
    return OrderData(
        reference=reference,
        ordered_on=ordered_on,
        amount=Decimal(amount) if amount is not None else None,
        currency=currency,
        remedy_ticket=remedy_ticket,
    )


def test_add_order_by_hand(people, now):
    order = order_service.add_order(
        load(Customer, people["acme"]),
        actor=load(User, people["am"]),
        data=_order(reference="  SO-1  "),
        now=now,
    )
    db.session.expire_all()
    stored = db.session.get(Order, order.id)
    assert (
        stored.reference,
        stored.ordered_on,
        stored.amount,
        stored.currency,
        stored.source,
        stored.created_by_id,
        stored.remedy_ticket_id,
    ) == (
        "SO-1",
        date(2026, 2, 20),
        Decimal("120.50"),
        "EUR",
        OrderSource.MANUAL,
        people["am"],
        None,
    )
    assert stored.is_purchase


@pytest.mark.parametrize(
    "data, field",
    [
        (_order(reference="  "), "reference"),
        (_order(reference="X" * 65), "reference"),
        (_order(ordered_on=None), "ordered_on"),
        (_order(ordered_on=date(2026, 3, 3)), "ordered_on"),  # tomorrow at the desk
        (_order(amount=None), "amount"),
        (_order(amount="-1"), "amount"),
        (_order(amount="1.005"), "amount"),
        (_order(currency="EURO"), "currency"),
        (_order(currency="E1R"), "currency"),
        (_order(remedy_ticket="TD-999999"), "remedy_ticket"),
    ],
)
def test_add_order_refuses_bad_input(people, now, data, field):
    with pytest.raises(DomainError) as err:
        order_service.add_order(
            load(Customer, people["acme"]), actor=load(User, people["lead"]), data=data, now=now
        )
    assert err.value.field == field
    assert _count_orders() == 0


def test_order_dated_today_at_the_desk_is_accepted(people, now):
    order_service.add_order(
        load(Customer, people["acme"]),
        actor=load(User, people["lead"]),
        data=_order(ordered_on=date(2026, 3, 2)),
        now=now,
    )
    assert _count_orders() == 1


def test_duplicate_reference_is_a_field_error_but_other_customers_may_use_it(people, now):
    lead = load(User, people["lead"])
    order_service.add_order(load(Customer, people["acme"]), actor=lead, data=_order(), now=now)
    with pytest.raises(DomainError) as err:
        order_service.add_order(
            load(Customer, people["acme"]), actor=lead, data=_order(amount="5"), now=now
        )
    assert err.value.field == "reference"
    assert str(err.value) == "Acme Foods already has an order SO-1."
    order_service.add_order(load(Customer, people["zenith"]), actor=lead, data=_order(), now=now)
    assert _count_orders() == 2


def test_remedy_shipment_must_be_for_a_ticket_of_the_same_customer(people, now):
    lead = people["lead"]
    own = factories.make_ticket(actor_id=lead, customer_id=people["acme"], now=now)
    foreign = factories.make_ticket(actor_id=lead, customer_id=people["zenith"], now=now)
    own_ref = db.session.get(Ticket, own).reference
    foreign_ref = db.session.get(Ticket, foreign).reference
    with pytest.raises(DomainError) as err:
        order_service.add_order(
            load(Customer, people["acme"]),
            actor=load(User, lead),
            data=_order(remedy_ticket=foreign_ref),
            now=now,
        )
    assert err.value.field == "remedy_ticket"
    assert "belongs to another customer" in str(err.value)
    order = order_service.add_order(
        load(Customer, people["acme"]),
        actor=load(User, lead),
        data=_order(remedy_ticket=" " + own_ref.lower()),
        now=now,
    )
    assert order.remedy_ticket_id == own
    assert not order.is_purchase


def test_who_may_add_and_delete_orders(people, now):
    acme = load(Customer, people["acme"])
    for who in ("other_am", "admin"):
        with pytest.raises(PermissionDenied):
            order_service.add_order(acme, actor=load(User, people[who]), data=_order(), now=now)
    assert _count_orders() == 0
    for n, who in enumerate(("am", "agent", "lead")):
        order_service.add_order(
            acme, actor=load(User, people[who]), data=_order(reference=f"SO-{n}"), now=now
        )
    assert _count_orders() == 3
    order = db.session.scalar(sa.select(Order).where(Order.reference == "SO-0"))
    with pytest.raises(PermissionDenied):
        order_service.delete_order(order, actor=load(User, people["other_am"]))
    assert _count_orders() == 3
    order_service.delete_order(order, actor=load(User, people["am"]))
    assert _count_orders() == 2
    assert db.session.scalar(sa.select(Order).where(Order.reference == "SO-0")) is None


# ----------------------------------------------------------------- revenue


def test_revenue_sums_purchases_per_currency_within_the_days(people, now):
    lead = load(User, people["lead"])
    acme = load(Customer, people["acme"])
    ticket = factories.make_ticket(actor_id=people["lead"], customer_id=people["acme"], now=now)
    ref = db.session.get(Ticket, ticket).reference
    rows = [
        ("A", date(2025, 12, 31), "999.99", "EUR", ""),  # the day before: out
        ("B", date(2026, 1, 1), "100.10", "EUR", ""),  # first day: in
        ("C", date(2026, 1, 15), "0.20", "EUR", ""),
        ("D", date(2026, 1, 20), "0", "EUR", ""),  # free: not a purchase
        ("E", date(2026, 1, 21), "50.00", "EUR", ref),  # remedy shipment: not a purchase
        ("F", date(2026, 1, 31), "30.05", "USD", ""),
        ("G", date(2026, 1, 31), "19.95", "USD", ""),  # last day: in
        ("H", date(2026, 2, 1), "1000", "USD", ""),  # the day after: out
    ]
    for reference, day, amount, currency, remedy in rows:
        order_service.add_order(
            acme,
            actor=lead,
            data=OrderData(
                reference=reference,
                ordered_on=day,
                amount=Decimal(amount),
                currency=currency,
                remedy_ticket=remedy,
            ),
            now=now,
        )
    order_service.add_order(
        load(Customer, people["zenith"]),
        actor=lead,
        data=_order(reference="Z", ordered_on=date(2026, 1, 10), amount="77"),
        now=now,
    )
    assert order_service.revenue(people["acme"], date(2026, 1, 1), date(2026, 1, 31)) == {
        "EUR": Decimal("100.30"),
        "USD": Decimal("50.00"),
    }
    assert order_service.revenue(people["acme"], date(2026, 2, 1), date(2026, 3, 1)) == {
        "USD": Decimal("1000.00")
    }
    assert order_service.revenue(people["acme"], date(2025, 1, 1), date(2025, 12, 30)) == {}
    assert order_service.revenue(people["zenith"], date(2026, 1, 1), date(2026, 1, 31)) == {
        "EUR": Decimal("77.00")
    }


def test_last_twelve_months_and_year_before(ctx, now):
    assert order_service.last_twelve_months(now) == (date(2025, 3, 3), date(2026, 3, 2))
    assert order_service.year_before(date(2028, 2, 29)) == date(2027, 2, 28)


# ----------------------------------------------------------------- import: service


@pytest.fixture
def shop(ctx):
    admin = factories.make_user(Role.ADMIN)
    acme = factories.make_customer("Acme Foods")
    _set_ref(acme, "C-1001")
    olive = factories.make_customer("Olive Grove Ltd")
    twin_a = factories.make_customer("Twin Shop")
    twin_b = factories.make_customer("Twin Shop")
    return dict(admin=admin, acme=acme, olive=olive, twin_a=twin_a, twin_b=twin_b)


def _import(data, shop, now):
    return order_service.import_csv(data, actor=load(User, shop["admin"]), now=now)


def test_import_good_file_matches_by_external_ref_and_exact_name(shop, now):
    data = (
        "\ufeff" + HEADER + "\r\n"
        " C-1001 , SO-1 , 2026-02-27 , 1234.50 , eur \r\n"
        "\r\n"
        "Olive Grove Ltd,SO-2,2026-03-02,89.9,USD\r\n"
        "C-1001,SO-3,2025-01-05,0,EUR\r\n"
    ).encode()
    result = _import(data, shop, now)
    assert result.ok and (result.added, result.already_there) == (3, 0)
    admin = shop["admin"]
    assert _orders() == [
        (shop["acme"], "SO-1", date(2026, 2, 27), Decimal("1234.50"), "EUR", OrderSource.IMPORT),
        (shop["olive"], "SO-2", date(2026, 3, 2), Decimal("89.90"), "USD", OrderSource.IMPORT),
        (shop["acme"], "SO-3", date(2025, 1, 5), Decimal("0.00"), "EUR", OrderSource.IMPORT),
    ]
    assert {o.created_by_id for o in db.session.scalars(sa.select(Order))} == {admin}


def test_external_ref_wins_over_a_name(shop, now):
    # Olive Grove's external reference is literally another customer's name.
    _set_ref(shop["olive"], "Acme Foods")
    result = _import(_csv("Acme Foods,SO-1,2026-01-01,10,EUR"), shop, now)
    assert result.ok
    assert _orders()[0][0] == shop["olive"]


def test_name_match_is_exact(shop, now):
    result = _import(
        _csv("acme foods,SO-1,2026-01-01,10,EUR", "Olive Grove,SO-2,2026-01-01,10,EUR"), shop, now
    )
    assert _errors(result) == [(2, "customer_ref"), (3, "customer_ref")]
    assert _messages(result)[0] == (
        "line 2: customer_ref: No customer has the external reference or the name “acme foods”."
    )


def test_ambiguous_name_is_an_error(shop, now):
    result = _import(_csv("Twin Shop,SO-1,2026-01-01,10,EUR"), shop, now)
    assert _errors(result) == [(2, "customer_ref")]
    assert "ambiguous" in result.errors[0].message
    assert _count_orders() == 0
    # With an external reference the twin can be told apart.
    _set_ref(shop["twin_b"], "T-2")
    assert _import(_csv("T-2,SO-1,2026-01-01,10,EUR"), shop, now).added == 1
    assert _orders()[0][0] == shop["twin_b"]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf\r\n  \r\n", "The file is empty."),
        (HEADER.encode() + b"\r\n", "The file has the header but no orders."),
        (
            b"\xff\xfec\x00u\x00",
            "The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.",
        ),
    ],
)
def test_import_refuses_empty_and_unreadable_files(shop, now, data, message):
    result = _import(data, shop, now)
    assert [(e.line, e.column, e.message) for e in result.errors] == [(None, None, message)]


@pytest.mark.parametrize(
    "header",
    [
        "customer,order_ref,ordered_on,amount,currency",
        "customer_ref,order_ref,ordered_on,amount",
        "order_ref,customer_ref,ordered_on,amount,currency",
        "customer_ref;order_ref;ordered_on;amount;currency",
    ],
)
def test_wrong_header_is_one_clear_error(shop, now, header):
    result = _import(_csv("C-1001,SO-1,2026-01-01,10,EUR", header=header), shop, now)
    assert _messages(result) == [
        "line 1: The first line must be exactly “customer_ref,order_ref,ordered_on,amount,"
        "currency”."
    ]
    assert _count_orders() == 0


def test_header_tolerates_spaces_and_leading_blank_lines(shop, now):
    data = (
        b"\n customer_ref , order_ref,ordered_on , amount,currency\nC-1001,SO-1,2026-01-01,10,EUR\n"
    )
    result = _import(data, shop, now)
    assert result.ok and result.added == 1


def test_import_too_large_is_refused(shop, now, monkeypatch):
    monkeypatch.setattr(order_service, "MAX_IMPORT_BYTES", 100)
    data = _csv(*[f"C-1001,SO-{i},2026-01-01,10,EUR" for i in range(5)])
    assert len(data) > 100
    result = _import(data, shop, now)
    assert [e.message for e in result.errors] == [
        "The file is larger than 0 MB; split it into smaller files."
    ]
    assert _count_orders() == 0


def test_real_size_limit_is_five_megabytes():
    assert order_service.MAX_IMPORT_BYTES == 5 * 1024 * 1024


def test_every_kind_of_line_error_with_line_and_column(shop, now):
    data = _csv(
        "C-1001,SO-1,2026-01-01,10,EUR",  # 2 good
        "C-1001,SO-2,2026-01-01,10",  # 3 four values
        ",SO-3,2026-01-01,10,EUR",  # 4 no customer
        "C-1001,,2026-01-01,10,EUR",  # 5 no order reference
        "C-1001," + "X" * 65 + ",2026-01-01,10,EUR",  # 6 reference too long
        "C-1001,SO-7,01/02/2026,10,EUR",  # 7 not ISO
        "C-1001,SO-8,2026-02-30,10,EUR",  # 8 no such day
        "C-1001,SO-9,2026-03-03,10,EUR",  # 9 after today
        "C-1001,SO-10,2026-01-01,1.234,EUR",  # 10 three decimals
        "C-1001,SO-11,2026-01-01,-5,EUR",  # 11 negative
        'C-1001,SO-12,2026-01-01,"1,234.50",EUR',  # 12 not a plain number
        "C-1001,SO-13,2026-01-01,ten,EUR",  # 13 not a number
        "C-1001,SO-14,2026-01-01,10,EURO",  # 14 currency
        "Nobody Inc,SO-15,2026-01-01,10,EUR",  # 15 unknown customer
        "C-1001,SO-16,tomorrow,1e3,€",  # 16 three errors on one line
    )
    result = _import(data, shop, now)
    assert _errors(result) == [
        (3, None),
        (4, "customer_ref"),
        (5, "order_ref"),
        (6, "order_ref"),
        (7, "ordered_on"),
        (8, "ordered_on"),
        (9, "ordered_on"),
        (10, "amount"),
        (11, "amount"),
        (12, "amount"),
        (13, "amount"),
        (14, "currency"),
        (15, "customer_ref"),
        (16, "ordered_on"),
        (16, "amount"),
        (16, "currency"),
    ]
    text = {(e.line, e.column): e.message for e in result.errors}
    assert text[(3, None)] == (
        "Expected 5 values (customer_ref,order_ref,ordered_on,amount,currency), found 4."
    )
    assert text[(9, "ordered_on")] == "The order date 2026-03-03 is after today (2026-03-02)."
    assert text[(10, "amount")] == "EUR amounts have at most 2 decimal places."
    assert text[(11, "amount")] == "Amounts cannot be negative."
    assert text[(12, "amount")] == (
        "“1,234.50” is not an amount; write a plain number like 1234.50."
    )
    assert text[(14, "currency")] == "Use a three-letter currency code such as EUR."
    # All or nothing: the good line 2 is not imported either.
    assert (result.added, result.already_there) == (0, 0)
    assert _count_orders() == 0


def test_one_bad_line_in_many_adds_nothing(shop, now):
    lines = [f"C-1001,SO-{i},2026-01-01,{i}.50,EUR" for i in range(200)]
    lines[150] = "C-1001,SO-150,2026-01-01,abc,EUR"
    result = _import(_csv(*lines), shop, now)
    assert _errors(result) == [(152, "amount")]
    assert _count_orders() == 0


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(shop, now):
    data = _csv("", 'C-1001,"SO\n1",2026-01-01,10,EUR', "", "C-1001,SO-2,2026-01-01,x,EUR")
    result = _import(data, shop, now)
    # Line 3 holds a reference with a line break (lines 3-4); the bad amount is on line 6.
    assert _errors(result) == [(6, "amount")]


def test_unreadable_csv_line_is_reported(shop, now):
    result = _import(
        _csv("C-1001,SO-1,2026-01-01,10,EUR", 'C-1001,"SO-2"x,2026-01-01,10,EUR'), shop, now
    )
    assert [(e.line, e.column) for e in result.errors] == [(3, None)]
    assert "cannot be read as CSV" in result.errors[0].message
    assert _count_orders() == 0


def test_import_twice_adds_nothing_the_second_time(shop, now):
    data = _csv("C-1001,SO-1,2026-01-01,10.5,EUR", "Olive Grove Ltd,SO-1,2026-01-02,0,USD")
    first = _import(data, shop, now)
    assert (first.added, first.already_there, first.errors) == (2, 0, ())
    before = _orders()
    second = _import(data, shop, now)
    assert (second.added, second.already_there, second.errors) == (0, 2, ())
    assert _orders() == before
    # One new line in the file: only it is added. "10.50" equals the stored 10.5.
    third = _import(
        _csv("C-1001,SO-1,2026-01-01,10.50,eur", "C-1001,SO-9,2026-01-03,1,EUR"), shop, now
    )
    assert (third.added, third.already_there) == (1, 1)


def test_manual_order_with_the_same_values_counts_as_already_there(shop, now):
    lead = factories.make_user(Role.LEAD)
    order_service.add_order(
        load(Customer, shop["acme"]),
        actor=load(User, lead),
        data=_order(reference="SO-1", ordered_on=date(2026, 1, 1), amount="10", currency="EUR"),
        now=now,
    )
    result = _import(_csv("C-1001,SO-1,2026-01-01,10.00,EUR"), shop, now)
    assert (result.added, result.already_there, result.errors) == (0, 1, ())


@pytest.mark.parametrize(
    "line",
    [
        "C-1001,SO-1,2026-01-02,10,EUR",  # other date
        "C-1001,SO-1,2026-01-01,11,EUR",  # other amount
        "C-1001,SO-1,2026-01-01,10,USD",  # other currency
    ],
)
def test_same_reference_with_other_values_is_an_error(shop, now, line):
    assert _import(_csv("C-1001,SO-1,2026-01-01,10,EUR"), shop, now).added == 1
    result = _import(_csv("C-1001,SO-5,2026-01-01,10,EUR", line), shop, now)
    assert _messages(result) == [
        "line 3: order_ref: Order SO-1 of Acme Foods already exists with other values "
        "(2026-01-01, 10.00 EUR)."
    ]
    assert _count_orders() == 1  # SO-5 was not added either


def test_same_order_twice_in_one_file(shop, now):
    identical = _import(
        _csv(
            "C-1001,SO-1,2026-01-01,10,EUR",
            "Acme Foods,SO-1,2026-01-01,10.00,eur",  # same customer by name
            "C-1001,SO-2,2026-01-01,20,EUR",
        ),
        shop,
        now,
    )
    assert (identical.added, identical.already_there, identical.errors) == (2, 0, ())
    conflicting = _import(
        _csv(
            "C-1001,SO-7,2026-01-01,10,EUR",
            "C-1001,SO-8,2026-01-01,10,EUR",
            "Acme Foods,SO-7,2026-01-01,12,EUR",
        ),
        shop,
        now,
    )
    assert _messages(conflicting) == [
        "line 4: order_ref: Order SO-7 of Acme Foods is already on line 2 with other values."
    ]
    assert _count_orders() == 2


def test_same_reference_for_two_customers_is_fine(shop, now):
    result = _import(
        _csv("C-1001,SO-1,2026-01-01,10,EUR", "Olive Grove Ltd,SO-1,2026-01-01,12,EUR"), shop, now
    )
    assert result.added == 2


def test_at_most_a_hundred_errors_are_shown(shop, now):
    result = _import(_csv(*[f"C-1001,SO-{i},bad,10,EUR" for i in range(130)]), shop, now)
    assert len(result.errors) == 130
    assert len(result.shown_errors) == 100 and result.more_errors == 30
    assert result.shown_errors[0].line == 2 and result.shown_errors[-1].line == 101


def test_only_admins_and_the_command_line_import(shop, now):
    for role in (Role.AGENT, Role.ACCOUNT_MANAGER, Role.LEAD):
        with pytest.raises(PermissionDenied):
            order_service.import_csv(
                _csv("C-1001,SO-1,2026-01-01,10,EUR"),
                actor=load(User, factories.make_user(role)),
                now=now,
            )
    assert _count_orders() == 0
    result = order_service.import_csv(_csv("C-1001,SO-1,2026-01-01,10,EUR"), actor=None, now=now)
    assert result.added == 1
    assert db.session.scalar(sa.select(Order.created_by_id)) is None


def test_import_accepts_text(shop, now):
    result = _import("\ufeff" + HEADER + "\nC-1001,SO-1,2026-01-01,10,EUR\n", shop, now)
    assert result.added == 1


def test_large_import_uses_bulk_lookups(query_counter, shop, now):
    """20,000 lines for 200 customers: a few dozen statements, not one per line."""
    refs = []
    for i in range(200):
        cid = factories.make_customer(f"Bulk {i}")
        _set_ref(cid, f"B-{i}")
        refs.append(f"B-{i}")
    lines = [f"{refs[i % 200]},SO-{i},2026-01-{1 + i % 28:02d},{i}.25,EUR" for i in range(20000)]
    with query_counter() as queries:
        result = _import(_csv(*lines), shop, now)
    assert (result.added, result.errors) == (20000, ())
    assert queries.count < 120
    assert _count_orders() == 20000
    again = _import(_csv(*lines), shop, now)
    assert (again.added, again.already_there) == (0, 20000)


# ----------------------------------------------------------------- command line


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def cli_shop(build):
    def make():
        acme = factories.make_customer("Acme Foods")
        _set_ref(acme, "C-1001")
        return acme

    return build(make)


def test_cli_imports_and_is_idempotent(runner, build, cli_shop, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(_csv("C-1001,SO-1,2024-01-01,10,EUR", "Acme Foods,SO-2,2024-01-02,5,EUR"))
    result = runner.invoke(args=["import-orders", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Imported 2 orders (0 already there).\n"
    again = runner.invoke(args=["import-orders", str(path)])
    assert again.exit_code == 0
    assert again.stdout == "Imported 0 orders (2 already there).\n"
    assert build(_count_orders) == 2
    assert build(lambda: {o[5] for o in _orders()}) == {OrderSource.IMPORT}


def test_cli_errors_exit_1_and_import_nothing(runner, build, cli_shop, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(
        _csv(
            "C-1001,SO-1,2024-01-01,10,EUR",
            "C-1001,SO-2,2024-01-02,x,EUR",
            "Nobody,SO-3,2024-01-02,1,EUR",
        )
    )
    result = runner.invoke(args=["import-orders", str(path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "line 3: amount: “x” is not an amount; write a plain number like 1234.50.",
        "line 4: customer_ref: No customer has the external reference or the name “Nobody”.",
        "Nothing was imported.",
    ]
    assert build(_count_orders) == 0


def test_cli_header_error_exits_1(runner, cli_shop, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(b"a,b,c\n1,2,3\n")
    result = runner.invoke(args=["import-orders", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("line 1: The first line must be exactly")


def test_cli_missing_file_exits_2(runner, tmp_path):
    result = runner.invoke(args=["import-orders", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


# ----------------------------------------------------------------- pages


@pytest.fixture
def world(build):
    def make():
        people = _staff_and_acme()
        _set_ref(people["acme"], "C-1001")
        return SimpleWorld(**people)

    return build(make)


class SimpleWorld(dict):
    __getattr__ = dict.__getitem__


def _upload(client, content: bytes, name: str = "orders.csv"):
    return client.post(
        "/customers/orders/import",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_import_page_access(app, client, world):
    resp = client.get("/customers/orders/import")
    assert resp.status_code == 302 and resp.location.startswith("/login?next=")
    resp = _upload(client, _csv("C-1001,SO-1,2024-01-01,10,EUR"))
    assert resp.status_code == 302 and resp.location.startswith("/login?next=")
    for key in ("agent", "am", "lead"):
        user = factories.client_as(app, world[key])
        assert user.get("/customers/orders/import").status_code == 403
        assert _upload(user, _csv("C-1001,SO-1,2024-01-01,10,EUR")).status_code == 403
    admin = factories.client_as(app, world.admin)
    page = admin.get("/customers/orders/import")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert HEADER in html and "C-1001,SO-2026-0042,2026-02-27,1234.50,EUR" in html
    assert 'enctype="multipart/form-data"' in html


def test_admin_uploads_a_file(app, build, world):
    admin = factories.client_as(app, world.admin)
    data = _csv("C-1001,SO-1,2024-01-01,10,EUR", "Acme Foods,SO-2,2024-01-02,0,EUR")
    resp = _upload(admin, data)
    assert resp.status_code == 302 and resp.location == "/customers/orders/import"
    html = admin.get(resp.location).get_data(as_text=True)
    assert "Imported 2 orders (0 already there)." in html
    again = _upload(admin, data)
    assert "Imported 0 orders (2 already there)." in admin.get(again.location).get_data(
        as_text=True
    )
    assert build(_count_orders) == 2


def test_admin_upload_with_errors_lists_them_and_imports_nothing(app, build, world):
    admin = factories.client_as(app, world.admin)
    lines = ["C-1001,SO-0,2024-01-01,10,EUR"] + [
        f"C-1001,SO-{i},2024-13-01,10,EUR" for i in range(1, 106)
    ]
    resp = _upload(admin, _csv(*lines))
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "Nothing was imported." in html
    assert "<tr><td>3</td><td><code>ordered_on</code></td>" in html
    assert "<tr><td>102</td>" in html and "<tr><td>103</td>" not in html
    assert "…and 5 more problems." in html
    assert build(_count_orders) == 0
    # A wrong header.
    resp = _upload(admin, b"name;amount\nAcme;10\n")
    assert resp.status_code == 400
    assert "The first line must be exactly" in resp.get_data(as_text=True)


def test_admin_upload_without_a_file(app, world):
    resp = factories.client_as(app, world.admin).post(
        "/customers/orders/import", data={}, content_type="multipart/form-data"
    )
    assert resp.status_code == 400
    assert field_error(resp.get_data(as_text=True), "file") == "Choose a CSV file."


def _order_post(client, customer_id, **overrides):
    data = {
        "reference": "SO-77",
        "ordered_on": "2024-05-01",
        "amount": "250.00",
        "currency": "eur",
        "remedy_ticket": "",
    }
    data.update(overrides)
    return client.post(f"/customers/{customer_id}/orders", data=data)


def test_add_order_on_the_customer_page(app, build, world):
    am = factories.client_as(app, world.am)
    resp = _order_post(am, world.acme)
    assert resp.status_code == 302 and resp.location == f"/customers/{world.acme}#orders"
    html = am.get(f"/customers/{world.acme}").get_data(as_text=True)
    assert "Order SO-77 added." in html
    assert "SO-77" in html and "2024-05-01" in html and "€250.00" in html
    assert build(_orders) == [
        (world.acme, "SO-77", date(2024, 5, 1), Decimal("250.00"), "EUR", OrderSource.MANUAL)
    ]
    # Errors go next to their field, with status 400.
    resp = _order_post(am, world.acme)
    assert resp.status_code == 400
    assert (
        field_error(resp.get_data(as_text=True), "reference")
        == "Acme Foods already has an order SO-77."
    )
    resp = _order_post(am, world.acme, reference="SO-78", ordered_on="2999-01-01")
    assert resp.status_code == 400
    assert field_error(resp.get_data(as_text=True), "ordered_on").startswith(
        "The order date cannot be after today"
    )
    resp = _order_post(am, world.acme, reference="SO-78", remedy_ticket="TD-424242")
    assert (
        field_error(resp.get_data(as_text=True), "remedy_ticket") == "There is no ticket TD-424242."
    )
    resp = _order_post(am, world.acme, reference="", amount="")
    assert resp.status_code == 400
    assert build(_count_orders) == 1


def test_order_routes_access(app, client, build, world):
    resp = _order_post(client, world.acme)
    assert resp.status_code == 302 and resp.location.startswith("/login?next=")
    for key in ("other_am", "admin"):
        assert _order_post(factories.client_as(app, world[key]), world.acme).status_code == 403
    assert build(_count_orders) == 0
    for n, key in enumerate(("agent", "am", "lead")):
        assert (
            _order_post(
                factories.client_as(app, world[key]), world.acme, reference=f"SO-{n}"
            ).status_code
            == 302
        )
    order_ids = build(
        lambda: [o.id for o in db.session.scalars(sa.select(Order).order_by(Order.id))]
    )
    url = f"/customers/{world.acme}/orders/{{}}/delete"
    resp = client.post(url.format(order_ids[0]))
    assert resp.status_code == 302 and resp.location.startswith("/login?next=")
    for key in ("other_am", "admin"):
        assert (
            factories.client_as(app, world[key]).post(url.format(order_ids[0])).status_code == 403
        )
    assert build(_count_orders) == 3
    for key, order_id in zip(("agent", "am", "lead"), order_ids, strict=True):
        resp = factories.client_as(app, world[key]).post(url.format(order_id))
        assert resp.status_code == 302 and resp.location == f"/customers/{world.acme}#orders"
    assert build(_count_orders) == 0


def test_delete_order_of_another_customer_is_404(app, build, world, now):
    other = build(factories.make_customer, "Elsewhere")

    def make():
        order_service.add_order(
            load(Customer, other),
            actor=load(User, world.lead),
            data=_order(ordered_on=date(2026, 1, 1)),
            now=now,
        )
        return db.session.scalar(sa.select(Order.id))

    order_id = build(make)
    lead = factories.client_as(app, world.lead)
    assert lead.post(f"/customers/{world.acme}/orders/{order_id}/delete").status_code == 404
    assert lead.post(f"/customers/{world.acme}/orders/999999/delete").status_code == 404
    assert build(_count_orders) == 1


def test_customer_page_orders_section(app, build, world):
    from ticketdesk.core.clock import desk_date

    def make():
        today = desk_date(utcnow())
        ticket = factories.make_ticket(actor_id=world.lead, customer_id=world.acme)
        ref = db.session.get(Ticket, ticket).reference
        lead, acme = load(User, world.lead), load(Customer, world.acme)
        for i in range(23):
            order_service.add_order(
                acme,
                actor=lead,
                data=OrderData(
                    reference=f"R-{i:02d}",
                    ordered_on=today - timedelta(days=i * 30),
                    amount=Decimal("10.00"),
                    currency="EUR",
                ),
                now=utcnow(),
            )
        order_service.add_order(
            acme,
            actor=lead,
            data=OrderData(
                reference="REPLACEMENT",
                ordered_on=today,
                amount=Decimal("99"),
                currency="EUR",
                remedy_ticket=ref,
            ),
            now=utcnow(),
        )
        order_service.add_order(
            acme,
            actor=lead,
            data=OrderData(
                reference="US-1", ordered_on=today, amount=Decimal("5.5"), currency="USD"
            ),
            now=utcnow(),
        )
        return ref

    ticket_ref = build(make)
    html = (
        factories.client_as(app, world.agent).get(f"/customers/{world.acme}").get_data(as_text=True)
    )
    section = html[html.index('id="orders"') : html.index('id="standing-history"')]
    assert "25" in section and "Showing the newest 20 of 25 orders." in section
    # Orders 0, 30, …, 360 days ago are within the last 12 months (390 is not): 13 × €10;
    # the €99 replacement does not count.
    assert "<strong>€130.00</strong>, <strong>$5.50</strong>" in section
    assert "Remedy shipment" in section and ticket_ref in section
    # The newest 20: REPLACEMENT, US-1 and R-00 … R-17 (R-18 and older are not shown).
    assert "R-17" in section and "R-18" not in section
    assert "Add order" in section


def test_account_manager_of_another_customer_sees_no_orders(app, world):
    assert (
        factories.client_as(app, world.other_am).get(f"/customers/{world.acme}").status_code == 403
    )


def test_upload_needs_the_csrf_token_when_enabled(app, build, world):
    app.config["WTF_CSRF_ENABLED"] = True
    resp = _upload(factories.client_as(app, world.admin), _csv("C-1001,SO-1,2024-01-01,10,EUR"))
    assert resp.status_code == 400
    assert build(_count_orders) == 0


def test_add_order_form_starts_with_today_and_the_default_currency(app, world):
    from ticketdesk.core.clock import desk_date

    html = factories.client_as(app, world.am).get(f"/customers/{world.acme}").get_data(as_text=True)
    with app.app_context():
        today = desk_date(utcnow()).isoformat()
    assert f'name="ordered_on" required type="date" value="{today}"' in html
    assert 'name="currency" required type="text" value="EUR"' in html
