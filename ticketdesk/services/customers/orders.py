"""Customers' orders: added by hand on the customer page or imported from the CRM/ERP as CSV.

Orders tell whether a customer buys again after a recovery. A *purchase* is an order with
an amount above zero that is not the shipment of a remedy (``Order.is_purchase``).
"""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from ticketdesk.core import money
from ticketdesk.core.clock import desk_date
from ticketdesk.core.errors import Conflict, DomainError, PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import Customer, Order, OrderSource, Role, Ticket, User, purchase_clause
from ticketdesk.services.people import access

REFERENCE_MAX = 64
MAX_IMPORT_BYTES = 5 * 1024 * 1024
HEADER = ("customer_ref", "order_ref", "ordered_on", "amount", "currency")
EXAMPLE_LINES = (
    "C-1001,SO-2026-0042,2026-02-27,1234.50,EUR",
    "Olive Grove Ltd,SO-2026-0043,2026-03-01,89.90,EUR",
)
SHOWN_ERRORS = 100
IMPORT_ROLES = (Role.ADMIN,)
_CHUNK = 500  # values per IN (...) in the bulk lookups
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# ----------------------------------------------------------------- reading


def list_orders(customer_id: int, *, limit: int = 20) -> list[Order]:
    """The customer's newest orders (by order date, then by when they were recorded)."""
    return list(
        db.session.scalars(
            sa.select(Order)
            .where(Order.customer_id == customer_id)
            .order_by(Order.ordered_on.desc(), Order.id.desc())
            .limit(limit)
        )
    )


def count_orders(customer_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Order.id)).where(Order.customer_id == customer_id)
        )
        or 0
    )


def revenue(customer_id: int, first: date, last: date) -> dict[str, Decimal]:
    """Purchase amounts per currency with ``first <= ordered_on <= last``.

    Remedy shipments and zero-amount orders are not purchases and do not count.
    """
    rows = db.session.execute(
        sa.select(Order.currency, sa.func.sum(Order.amount))
        .where(
            Order.customer_id == customer_id,
            purchase_clause(),
            Order.ordered_on >= first,
            Order.ordered_on <= last,
        )
        .group_by(Order.currency)
        .order_by(Order.currency)
    )
    return {currency: money.round_money(Decimal(str(total)), currency) for currency, total in rows}


def year_before(day: date) -> date:
    """The same calendar day a year earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def last_twelve_months(now: datetime) -> tuple[date, date]:
    """The desk days of the last twelve months up to today: (first, last), both included."""
    today = desk_date(now)
    return year_before(today) + timedelta(days=1), today


def remedy_tickets(orders: list[Order]) -> dict[int, str]:
    """Ticket id → reference for the remedy shipments among ``orders`` (one query)."""
    ids = {o.remedy_ticket_id for o in orders if o.remedy_ticket_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Ticket.id, Ticket.reference).where(Ticket.id.in_(ids)))
    return {row.id: row.reference for row in rows}


# ----------------------------------------------------------------- by hand


@dataclass(frozen=True)
class OrderData:
    reference: str
    ordered_on: date | None
    amount: Decimal | None
    currency: str
    # Reference of a ticket of the same customer when the order ships its remedy.
    remedy_ticket: str = ""


def _check_reference(value: str | None, *, field: str = "reference") -> str:
    reference = (value or "").strip()
    if not reference:
        raise DomainError(_("An order needs its reference."), field=field)
    if len(reference) > REFERENCE_MAX:
        raise DomainError(
            _("Keep the order reference to %(n)d characters or fewer.", n=REFERENCE_MAX),
            field=field,
        )
    return reference


def _check_date(value: date | None, *, today: date, field: str = "ordered_on") -> date:
    if value is None:
        raise DomainError(_("Enter the order date."), field=field)
    if value > today:
        raise DomainError(
            _("The order date cannot be after today (%(today)s).", today=today.isoformat()),
            field=field,
        )
    return value


def _remedy_ticket(customer: Customer, reference: str) -> Ticket | None:
    reference = (reference or "").strip().upper()
    if not reference:
        return None
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.reference == reference))
    if ticket is None:
        raise DomainError(_("There is no ticket %(ref)s.", ref=reference), field="remedy_ticket")
    if ticket.customer_id != customer.id:
        raise DomainError(
            _("Ticket %(ref)s belongs to another customer.", ref=reference), field="remedy_ticket"
        )
    return ticket


def add_order(customer: Customer, *, actor: User, data: OrderData, now: datetime) -> Order:
    """Record one order by hand. Allowed to whoever may edit the customer."""
    access.require_edit_customer(actor, customer)
    reference = _check_reference(data.reference)
    ordered_on = _check_date(data.ordered_on, today=desk_date(now))
    if data.amount is None:
        raise DomainError(_("Enter the amount (0 for a free shipment)."), field="amount")
    currency = money.check_currency(data.currency)
    amount = money.check_amount(data.amount, currency=currency, field="amount")
    ticket = _remedy_ticket(customer, data.remedy_ticket)
    duplicate = db.session.scalar(
        sa.select(Order.id).where(Order.customer_id == customer.id, Order.reference == reference)
    )
    if duplicate is not None:
        raise DomainError(
            _("%(customer)s already has an order %(ref)s.", customer=customer.name, ref=reference),
            field="reference",
        )
    with unit_of_work():
        order = Order(
            customer_id=customer.id,
            reference=reference,
            ordered_on=ordered_on,
            amount=amount,
            currency=currency,
            remedy_ticket_id=ticket.id if ticket is not None else None,
            source=OrderSource.MANUAL,
            created_at=now,
            created_by_id=actor.id,
        )
        db.session.add(order)
    return order


def delete_order(order: Order, *, actor: User) -> None:
    """Remove an order recorded by mistake. Allowed to whoever may edit the customer."""
    access.require_edit_customer(actor, order.customer)
    with unit_of_work():
        db.session.delete(order)


def get_order(order_id: int) -> Order | None:
    return db.session.get(Order, order_id)


# ----------------------------------------------------------------- CSV import


@dataclass(frozen=True)
class LineError:
    """One problem of an import: its line in the file (1 is the header) and column."""

    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        text = f"{self.column}: {self.message}" if self.column else self.message
        return f"line {self.line}: {text}" if self.line is not None else text


@dataclass(frozen=True)
class ImportResult:
    added: int = 0
    already_there: int = 0
    errors: tuple[LineError, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def shown_errors(self) -> tuple[LineError, ...]:
        return self.errors[:SHOWN_ERRORS]

    @property
    def more_errors(self) -> int:
        return max(len(self.errors) - SHOWN_ERRORS, 0)


def can_import(user: User | None) -> bool:
    """``None`` is the command line, run by whoever operates the server."""
    return user is None or user.role in IMPORT_ROLES


@dataclass
class _Row:
    line: int
    customer_ref: str
    reference: str
    ordered_on: date | None
    amount: Decimal | None
    currency: str | None
    customer_id: int | None = None


def _decode(data: bytes | str) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8-sig")
    return data[1:] if data.startswith("\ufeff") else data


def _size(data: bytes | str) -> int:
    return len(data) if isinstance(data, bytes) else len(data.encode("utf-8"))


class _Unreadable(Exception):
    def __init__(self, line: int, error: csv.Error):
        super().__init__(str(error))
        self.line = line


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, stripped cells) per CSV record; blank lines skipped.

    Raises ``_Unreadable`` with the line number where the CSV cannot be read.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _Unreadable(reader.line_num, exc) from exc
        start, line = line, reader.line_num + 1
        cells = [cell.strip() for cell in cells]
        if any(cells):
            yield start, cells


def _parse_date(value: str) -> date | None:
    if not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _parse(line: int, cells: list[str], today: date, errors: list[LineError]) -> _Row | None:
    if len(cells) != len(HEADER):
        errors.append(
            LineError(
                line,
                None,
                _(
                    "Expected %(n)d values (%(columns)s), found %(found)d.",
                    n=len(HEADER),
                    columns=",".join(HEADER),
                    found=len(cells),
                ),
            )
        )
        return None
    customer_ref, reference, day, amount_text, currency_text = cells
    before = len(errors)
    if not customer_ref:
        errors.append(LineError(line, "customer_ref", _("The customer is missing.")))
    try:
        reference = _check_reference(reference)
    except DomainError as exc:
        errors.append(LineError(line, "order_ref", exc.message))
    ordered_on = _parse_date(day)
    if ordered_on is None:
        errors.append(
            LineError(
                line,
                "ordered_on",
                _("“%(value)s” is not a date; write it as YYYY-MM-DD, like 2026-03-01.", value=day),
            )
        )
    elif ordered_on > today:
        errors.append(
            LineError(
                line,
                "ordered_on",
                _(
                    "The order date %(day)s is after today (%(today)s).",
                    day=day,
                    today=today.isoformat(),
                ),
            )
        )
    currency = None
    try:
        currency = money.check_currency(currency_text)
    except DomainError as exc:
        errors.append(LineError(line, "currency", exc.message))
    amount = None
    try:
        amount = money.parse_amount(amount_text)
        if amount is None:
            raise ValueError(_("The amount is missing."))
        # Checked against the line's currency when that is valid (333.5 JPY is refused).
        amount = (
            money.check_amount(amount, currency=currency, field="amount") if currency else amount
        )
    except ValueError as exc:
        errors.append(LineError(line, "amount", str(exc)))
    except DomainError as exc:
        errors.append(LineError(line, "amount", exc.message))
    if len(errors) > before:
        return None
    return _Row(line, customer_ref, reference, ordered_on, amount, currency)


def _chunks(values: list, size: int = _CHUNK) -> Iterator[list]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _match_customers(refs: set[str]) -> tuple[dict[str, tuple[int, str]], set[str]]:
    """customer_ref → (id, name) by external reference, else by exact name; and the refs
    whose name belongs to more than one customer."""
    found: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(sorted(refs)):
        rows = db.session.execute(
            sa.select(Customer.external_ref, Customer.id, Customer.name).where(
                Customer.external_ref.in_(chunk)
            )
        )
        for ref, cid, name in rows:
            found[ref] = (cid, name)
    by_name: dict[str, list[tuple[int, str]]] = {}
    for chunk in _chunks(sorted(refs - found.keys())):
        rows = db.session.execute(
            sa.select(Customer.name, Customer.id).where(Customer.name.in_(chunk))
        )
        for name, cid in rows:
            by_name.setdefault(name, []).append((cid, name))
    ambiguous = {name for name, hits in by_name.items() if len(hits) > 1}
    found.update({name: hits[0] for name, hits in by_name.items() if len(hits) == 1})
    return found, ambiguous


def _existing_orders(keys: list[tuple[int, str]]) -> dict[tuple[int, str], tuple]:
    """(customer id, reference) → (date, amount, currency) of the orders already stored.

    ``keys`` sorted: each chunk then spans few customers, and ``customer_id IN (...) AND
    reference IN (...)`` is answered from the unique index on both columns.
    """
    wanted = set(keys)
    existing: dict[tuple[int, str], tuple] = {}
    for chunk in _chunks(keys):
        rows = db.session.execute(
            sa.select(
                Order.customer_id, Order.reference, Order.ordered_on, Order.amount, Order.currency
            ).where(
                Order.customer_id.in_(sorted({cid for cid, _ref in chunk})),
                Order.reference.in_(sorted({ref for _cid, ref in chunk})),
            )
        )
        for cid, ref, day, amount, currency in rows:
            if (cid, ref) in wanted:
                existing[(cid, ref)] = (day, Decimal(amount), currency)
    return existing


def import_csv(data: bytes | str, *, actor: User | None, now: datetime) -> ImportResult:
    """Import orders from CSV with the header ``customer_ref,order_ref,ordered_on,amount,
    currency``: all or nothing, and safe to repeat.

    ``customer_ref`` is a customer's external reference, else its exact name. A line whose
    order is already stored with the same values counts as *already there*; any error
    (every one is collected, with its line number) means nothing is written. ``actor``
    None is the command line.
    """
    if not can_import(actor):
        raise PermissionDenied(_("Only administrators import orders."))
    if _size(data) > MAX_IMPORT_BYTES:
        return _failed(
            None,
            _(
                "The file is larger than %(mb)d MB; split it into smaller files.",
                mb=MAX_IMPORT_BYTES // (1024 * 1024),
            ),
        )
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        return _failed(None, _("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."))
    records = _records(text)
    try:
        header_line, header = next(records)
    except StopIteration:
        return _failed(None, _("The file is empty."))
    except _Unreadable as exc:
        return _failed(exc.line, _("This line cannot be read as CSV (%(error)s).", error=str(exc)))
    if tuple(header) != HEADER:
        return _failed(
            header_line, _("The first line must be exactly “%(header)s”.", header=",".join(HEADER))
        )

    errors: list[LineError] = []
    rows: list[_Row] = []
    today = desk_date(now)
    try:
        for line, cells in records:
            row = _parse(line, cells, today, errors)
            if row is not None:
                rows.append(row)
    except _Unreadable as exc:
        errors.append(
            LineError(
                exc.line,
                None,
                _(
                    "This line cannot be read as CSV (%(error)s); nothing after it was checked.",
                    error=str(exc),
                ),
            )
        )
    if not rows and not errors:
        return _failed(None, _("The file has the header but no orders."))

    customers, ambiguous = _match_customers({row.customer_ref for row in rows})
    for row in rows:
        if row.customer_ref in customers:
            row.customer_id = customers[row.customer_ref][0]
        elif row.customer_ref in ambiguous:
            errors.append(
                LineError(
                    row.line,
                    "customer_ref",
                    _(
                        "“%(ref)s” is ambiguous: more than one customer has that name. Give the "
                        "customer an external reference and use it.",
                        ref=row.customer_ref,
                    ),
                )
            )
        else:
            errors.append(
                LineError(
                    row.line,
                    "customer_ref",
                    _(
                        "No customer has the external reference or the name “%(ref)s”.",
                        ref=row.customer_ref,
                    ),
                )
            )
    names = {cid: name for cid, name in customers.values()}
    matched = [row for row in rows if row.customer_id is not None]
    existing = _existing_orders(sorted({(row.customer_id, row.reference) for row in matched}))

    seen: dict[tuple[int, str], _Row] = {}
    new: list[_Row] = []
    already = 0
    for row in matched:
        key = (row.customer_id, row.reference)
        values = (row.ordered_on, row.amount, row.currency)
        if key in seen:
            first = seen[key]
            if (first.ordered_on, first.amount, first.currency) != values:
                errors.append(
                    LineError(
                        row.line,
                        "order_ref",
                        _(
                            "Order %(ref)s of %(customer)s is already on line %(first)d with other "
                            "values.",
                            ref=row.reference,
                            customer=names[row.customer_id],
                            first=first.line,
                        ),
                    )
                )
            continue
        seen[key] = row
        stored = existing.get(key)
        if stored is None:
            new.append(row)
        elif stored == values:
            already += 1
        else:
            errors.append(
                LineError(
                    row.line,
                    "order_ref",
                    _(
                        "Order %(ref)s of %(customer)s already exists with other values "
                        "(%(day)s, %(amount)s %(currency)s).",
                        ref=row.reference,
                        customer=names[row.customer_id],
                        day=stored[0].isoformat(),
                        amount=stored[1],
                        currency=stored[2],
                    ),
                )
            )

    if errors:
        errors.sort(key=lambda e: (e.line or 0, HEADER.index(e.column) if e.column else -1))
        return ImportResult(errors=tuple(errors))
    actor_id = actor.id if actor is not None else None
    try:
        with unit_of_work():
            for chunk in _chunks(new, 5000):
                db.session.execute(
                    sa.insert(Order),
                    [
                        {
                            "customer_id": row.customer_id,
                            "reference": row.reference,
                            "ordered_on": row.ordered_on,
                            "amount": row.amount,
                            "currency": row.currency,
                            "source": OrderSource.IMPORT,
                            "created_at": now,
                            "created_by_id": actor_id,
                        }
                        for row in chunk
                    ],
                )
    except sa.exc.IntegrityError as exc:
        raise Conflict(
            _(
                "Some of these orders were recorded by someone else at the same "
                "moment. Nothing was imported; import the file again."
            )
        ) from exc
    return ImportResult(added=len(new), already_there=already)


def _failed(line: int | None, message: str) -> ImportResult:
    return ImportResult(errors=(LineError(line, None, message),))
