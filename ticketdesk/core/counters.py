"""Gap-free named counters, safe under concurrent writers on SQLite and PostgreSQL."""

import sqlalchemy as sa

from ticketdesk.extensions import db
from ticketdesk.models import Counter


def _next_value(name: str) -> int:
    """Increment and return the counter inside the caller's transaction.

    The UPDATE takes a row lock (PostgreSQL) or the write lock (SQLite), so two
    transactions can never get the same number.
    """
    result = db.session.execute(
        sa.update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    ).scalar_one_or_none()
    if result is not None:
        return result
    db.session.add(Counter(name=name, value=1))
    db.session.flush()
    return 1


def next_ticket_reference() -> str:
    return format_reference(_next_value("ticket"))


def format_reference(number: int) -> str:
    return f"TD-{number:06d}"


def advance_ticket_counter(to: int) -> None:
    """Move the ticket counter forward after bulk inserts (never backwards)."""
    counter = db.session.get(Counter, "ticket")
    if counter is None:
        db.session.add(Counter(name="ticket", value=to))
    elif counter.value < to:
        counter.value = to
