"""Fixtures: a fresh app and database per test, logged-in clients for every role.

The database comes from TICKETDESK_TEST_DATABASE_URL (PostgreSQL in CI) or an
in-memory SQLite database. HTTP tests run without an outer app context so every
request gets its own session, as in production.
"""

import os
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from ticketdesk.settings import TestingConfig
from ticketdesk import create_app
from ticketdesk.models import Role
from tests import factories


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

    app = create_app(Config)
    with app.app_context():
        factories.prepare_database()
    yield app
    with app.app_context():
        factories.release_database()


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
    return datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


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
def build(app):
    """Run a factory inside a short app context: build(factories.make_ticket, actor_id=1)."""
    def _build(fn, *args, **kwargs):
        with app.app_context():
            return fn(*args, **kwargs)
    return _build
