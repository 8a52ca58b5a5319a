"""Fixtures: a fresh app and database per test, logged-in clients for every role.

The database comes from TICKETDESK_TEST_DATABASE_URL (PostgreSQL in CI) or an
in-memory SQLite database. HTTP tests run without an outer app context so every
request gets its own session, as in production.
"""

import functools
import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from config import TestingConfig
from tests import factories, support
from tests.support import Recorder, free_port
from ticketdesk.models import Role

URL_ENV = "TICKETDESK_TEST_DATABASE_URL"


def pytest_configure(config):
    """A server database starts each run with the current schema.

    Under pytest-xdist each worker gets a PostgreSQL database of its own, made afresh;
    a single run drops the tables it finds, so columns added since the last run exist.
    """
    url = os.environ.get(URL_ENV)
    if not url or not url.startswith("postgresql"):
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = sa.engine.make_url(url)
    if worker:
        name = f"{base.database}_{worker}"
        engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine.dispose()
        os.environ[URL_ENV] = base.set(database=name).render_as_string(hide_password=False)
    elif not hasattr(config, "workerinput"):
        from ticketdesk.extensions import db

        engine = sa.create_engine(base)
        db.metadata.drop_all(engine)
        engine.dispose()


@pytest.fixture
def app(tmp_path):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = os.environ.get(URL_ENV) or "sqlite://"
        ATTACHMENT_DIR = str(tmp_path / "attachments")

    with factories.prepared_app(Config) as app:
        yield app


@pytest.fixture
def ctx(app):
    """An app context for service and model tests (never for HTTP tests)."""
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def now():
    """A fixed Monday 09:00 UTC."""
    return datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def make_user(app):
    def _make(role: Role = Role.AGENT, **kwargs) -> int:
        with app.app_context():
            return factories.make_user(role, **kwargs)

    return _make


@pytest.fixture
def login(client):
    """Log the client in as a user without the form (a server-side session is started)."""

    def _login(user_id: int):
        return factories.log_in(client, user_id)

    return _login


@pytest.fixture
def admin(make_user):
    """An administrator, Root Admin (root@desk.example)."""
    return make_user(Role.ADMIN, email="root@desk.example", name="Root Admin")


@pytest.fixture
def ac(login, admin):
    """The administrator's client."""
    return login(admin)


@pytest.fixture
def build(app):
    """Run a factory inside a short app context: build(factories.make_ticket, actor_id=1)."""

    def _build(fn, *args, **kwargs):
        with app.app_context():
            return fn(*args, **kwargs)

    return _build


@pytest.fixture
def query_counter(app):
    """``with query_counter() as queries: ...`` records the SQL the block runs on the app's
    engine; then ``queries.count`` and ``queries.statements``."""
    return functools.partial(support.record_queries, app)


@pytest.fixture
def smtp(app):
    """start(handler) runs an SMTP server on a free port and points the app at it."""
    controllers: list[Controller] = []
    port = free_port()
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_TIMEOUT=5,
        MAIL_FROM="TicketDesk <desk@example.test>",
    )

    def start(handler: Recorder) -> Recorder:
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return handler

    yield start
    for controller in controllers:
        controller.stop()
