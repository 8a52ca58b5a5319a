"""Builders for test data. Each returns the new row's id, so tests never hold stale objects;
``load(Model, id)`` reads a row back in the current app context. Also: a prepared app, the
public complaint form, and a logged-in client."""

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from types import SimpleNamespace
from typing import TypeVar

import sqlalchemy as sa

from tests.support import ClosingClient
from ticketdesk import create_app
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import (
    Category,
    Channel,
    Contact,
    Customer,
    CustomerTier,
    Role,
    Severity,
    Team,
    TicketKind,
    User,
)
from ticketdesk.services.customers import customers as customer_service
from ticketdesk.services.playbooks import shipped as playbook_defaults
from ticketdesk.services.routing import rules as routing_rules
from ticketdesk.services.sla import clocks as sla
from ticketdesk.services.tickets import categories
from ticketdesk.services.tickets import intake as ticket_intake

PASSWORD = "correct horse battery"
_seq = itertools.count(1)
M = TypeVar("M")


def empty_all_tables() -> None:
    """Delete every row of every table (needs an app context)."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


def prepare_database() -> None:
    """A fresh schema with the default categories (needs an app context)."""
    db.create_all()
    empty_all_tables()
    categories.ensure_defaults()


def release_database() -> None:
    """Close the session and the engine (needs an app context).

    SQLite files lose their tables; a server database keeps its rows until the
    next ``prepare_database`` empties it.
    """
    db.session.remove()
    if db.engine.dialect.name == "sqlite":
        db.drop_all()
    db.engine.dispose()


@contextmanager
def prepared_app(config) -> Iterator:
    """An app made with ``config`` on a fresh schema with the default categories, released
    when the block ends. Its test clients read each response to the end and close it."""
    app = create_app(config)
    app.test_client_class = ClosingClient
    with app.app_context():
        prepare_database()
    try:
        yield app
    finally:
        with app.app_context():
            release_database()


def load(model: type[M], ident, *, fresh: bool = False) -> M:
    """The row ``ident`` of ``model`` in the current session (needs an app context).

    Fails (``NoResultFound``) when there is no such row. ``fresh``: expire what the session
    holds first, so the row is read again after another session or a request changed it.
    """
    if fresh:
        db.session.expire_all()
    return db.session.get_one(model, ident)


def make_user(
    role: Role = Role.AGENT,
    *,
    name: str | None = None,
    email: str | None = None,
    team_ids: tuple[int, ...] = (),
    active: bool = True,
) -> int:
    n = next(_seq)
    user = User(
        email=email or f"user{n}@example.test",
        name=name or f"{role.value.title()} {n}",
        role=role,
        active=active,
    )
    user.set_password(PASSWORD, method="pbkdf2:sha256:1000")
    if team_ids:
        user.teams = [db.session.get(Team, tid) for tid in team_ids]
    db.session.add(user)
    db.session.commit()
    return user.id


def log_in(client, user_id: int, *, remember: bool = False):
    """Log ``client`` in as ``user_id`` without the form: a server-side session, and its
    login id where Flask-Login keeps it. Returns the client."""
    from ticketdesk.services.people import sessions

    with client.application.app_context():
        user = db.session.get(User, user_id)
        login_id = sessions.start(user, remember=remember, now=utcnow()).login_id
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = login_id, True
    return client


COMPLAINT_FORM = {
    "name": "Pat Public",
    "email": "pat@public.example",
    "company": "",
    "order_reference": "WEB-1",
    "category_id": "0",
    "description": "The parcel arrived crushed and the jar was broken.",
}


def complaint_form(**fields) -> dict:
    """The public complaint form (/complain) filled in, with ``fields`` instead."""
    return {**COMPLAINT_FORM, **fields}


def submit_complaint(client, **fields):
    """Post the public complaint form as a browser does (multipart, so files can go along)."""
    return client.post(
        "/complain", data=complaint_form(**fields), content_type="multipart/form-data"
    )


def client_as(app, user_id: int):
    """A new test client of ``app``, logged in as ``user_id``."""
    return log_in(app.test_client(), user_id)


def make_team(name: str | None = None, *, member_ids: tuple[int, ...] = ()) -> int:
    team = Team(name=name or f"Team {next(_seq)}")
    team.members = [db.session.get(User, uid) for uid in member_ids]
    db.session.add(team)
    db.session.commit()
    return team.id


def make_customer(
    name: str | None = None,
    *,
    tier: CustomerTier = CustomerTier.STANDARD,
    account_manager_id: int | None = None,
    contact_email: str | None = None,
) -> int:
    customer = Customer(
        name=name or f"Customer {next(_seq)}", tier=tier, account_manager_id=account_manager_id
    )
    db.session.add(customer)
    if contact_email:
        db.session.add(Contact(customer=customer, name="Contact person", email=contact_email))
    db.session.commit()
    return customer.id


def make_front_desk() -> SimpleNamespace:
    """A team "Front desk" with an agent (Ada) and a lead (Lea), both members: their ids
    as ``team``, ``agent`` and ``lead``."""
    team = make_team("Front desk")
    return SimpleNamespace(
        team=team,
        agent=make_user(Role.AGENT, name="Ada", team_ids=(team,)),
        lead=make_user(Role.LEAD, name="Lea", team_ids=(team,)),
    )


def seed_shipped_defaults(now=None) -> None:
    """The shipped playbooks, service levels and routing rules, as on a real desk."""
    now = now or utcnow()
    playbook_defaults.seed_playbooks(now=now)
    sla.seed_defaults(now=now)
    routing_rules.seed_default_rules(now=now)


def category_id(slug: str = "other") -> int:
    return db.session.scalar(db.select(Category.id).where(Category.slug == slug))


def make_ticket(
    *,
    actor_id: int,
    customer_id: int | None = None,
    subject: str = "Bottle missing",
    description: str = "One bottle of olive oil was not in the box.",
    kind: TicketKind = TicketKind.COMPLAINT,
    severity: Severity = Severity.P3,
    category: str = "missing_short_shipment",
    team_id: int | None = None,
    assignee_id: int | None = None,
    order_value: Decimal | None = None,
    contact: str | None = None,
    contact_email: str | None = None,
    now=None,
    unrouted: bool = False,
) -> int:
    """Log a ticket through the intake service (which routes it).

    ``contact``: the name of the person who complained (with ``contact_email``, or none),
    found or added as a contact of the customer. ``unrouted``: clear its team and
    assignee afterwards, as for a ticket logged while no team existed.
    """
    actor = db.session.get(User, actor_id)
    customer_id = customer_id or make_customer()
    ticket = ticket_intake.log_complaint(
        actor=actor,
        now=now or utcnow(),
        customer_id=customer_id,
        fields=ticket_intake.TicketFields(
            subject=subject,
            description=description,
            channel=Channel.PHONE,
            kind=kind,
            category_id=category_id(category),
            severity=severity,
            order_value=order_value,
        ),
        contact=(
            customer_service.ContactData(name=contact, email=contact_email) if contact else None
        ),
        team_id=team_id,
        assignee_id=assignee_id,
    )
    if unrouted:
        ticket.team, ticket.assignee = None, None
        db.session.commit()
    return ticket.id
