"""Models and database constraints."""

from datetime import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from tests import factories
from ticketdesk.extensions import db
from ticketdesk.models import Contact, Customer, Role, Ticket, TicketEvent, User


def test_user_email_is_unique(ctx):
    factories.make_user(Role.AGENT, email="same@example.test")
    with pytest.raises(IntegrityError):
        factories.make_user(Role.LEAD, email="same@example.test")
    db.session.rollback()


def test_passwords_are_hashed(ctx):
    uid = factories.make_user(Role.AGENT)
    user = db.session.get(User, uid)
    assert factories.PASSWORD not in user.password_hash
    assert user.check_password(factories.PASSWORD)
    assert not user.check_password("wrong")


def test_role_is_stored_as_its_value(ctx):
    uid = factories.make_user(Role.ACCOUNT_MANAGER)
    raw = db.session.execute(sa.text("SELECT role FROM users WHERE id = :id"), {"id": uid}).scalar()
    assert raw == "account_manager"


def test_contact_email_is_unique(ctx):
    factories.make_customer(contact_email="buyer@example.test")
    with pytest.raises(IntegrityError):
        factories.make_customer(contact_email="buyer@example.test")
    db.session.rollback()


def test_naive_datetimes_are_rejected(ctx):
    db.session.add(Customer(name="Naive", created_at=datetime(2026, 1, 1)))  # noqa: DTZ001
    with pytest.raises(StatementError):
        db.session.flush()
    db.session.rollback()


def test_datetimes_come_back_aware(ctx, now):
    cid = factories.make_customer()
    db.session.execute(sa.update(Customer).where(Customer.id == cid).values(created_at=now))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Customer, cid).created_at == now
    assert db.session.get(Customer, cid).created_at.tzinfo is not None


def test_money_is_exact_and_not_negative(ctx, now):
    agent = factories.make_user(Role.AGENT)
    tid = factories.make_ticket(actor_id=agent, order_value=Decimal("19.99"), now=now)
    db.session.expire_all()
    ticket = db.session.get(Ticket, tid)
    assert ticket.order_value == Decimal("19.99")
    assert isinstance(ticket.order_value, Decimal)
    with pytest.raises(IntegrityError):
        db.session.execute(
            sa.update(Ticket).where(Ticket.id == tid).values(order_value=Decimal("-1"))
        )
    db.session.rollback()


def test_ticket_events_are_append_only(ctx, now):
    agent = factories.make_user(Role.AGENT)
    tid = factories.make_ticket(actor_id=agent, now=now)
    event = db.session.scalar(sa.select(TicketEvent).where(TicketEvent.ticket_id == tid))
    event.body = "rewritten history"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    event = db.session.scalar(sa.select(TicketEvent).where(TicketEvent.ticket_id == tid))
    db.session.delete(event)
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_version_counter_increments_on_update(ctx, now):
    agent = factories.make_user(Role.AGENT)
    tid = factories.make_ticket(actor_id=agent, now=now)
    ticket = db.session.get(Ticket, tid)
    assert ticket.version == 1
    ticket.subject = "Changed"
    db.session.commit()
    assert ticket.version == 2


def test_foreign_keys_are_enforced(ctx):
    db.session.add(Contact(customer_id=999999, name="Orphan"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
