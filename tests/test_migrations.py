"""The migrations build exactly the schema the models describe, and can be undone.

Each case migrates a database of its own: a temporary SQLite file, and, when
TICKETDESK_TEST_DATABASE_URL is set (PostgreSQL in CI), a temporary database
created next to the shared test database and dropped afterwards. The shared
database, where the other tests ``create_all()`` their tables, is never touched.
"""

import logging
import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from ticketdesk import ROOT, create_app
from ticketdesk.extensions import db
from ticketdesk.models import Category
from ticketdesk.services.tickets import search
from ticketdesk.services.tickets.categories import DEFAULT_CATEGORIES
from ticketdesk.settings import TestingConfig

MIGRATIONS = ROOT / "migrations"
PG_URL_ENV = "TICKETDESK_TEST_DATABASE_URL"


@pytest.fixture(autouse=True)
def _keep_logging():
    """migrations/env.py runs logging.config.fileConfig(), which disables every
    logger that exists already and resets the root logger. Put it all back so
    later tests (caplog, app loggers) are unaffected."""
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))
    loggers = [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    saved = {lg: (lg.disabled, lg.level, list(lg.handlers), lg.propagate) for lg in loggers}
    yield
    root.setLevel(saved_root[0])
    root.handlers[:] = saved_root[1]
    for lg in list(logging.Logger.manager.loggerDict.values()):
        if not isinstance(lg, logging.Logger):
            continue
        if lg in saved:
            disabled, level, handlers, propagate = saved[lg]
            lg.disabled, lg.propagate = disabled, propagate
            lg.setLevel(level)
            lg.handlers[:] = handlers
        else:  # created during the test, then disabled by a later fileConfig()
            lg.disabled = False


# ------------------------------------------------------------ databases ---


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'migrated.db'}"


@pytest.fixture
def postgresql_url():
    """A brand-new PostgreSQL database on the test server, dropped afterwards."""
    server_url = os.environ.get(PG_URL_ENV)
    if not server_url:
        pytest.skip(
            f"{PG_URL_ENV} is not set: the PostgreSQL migration check runs in CI "
            "(or with a local server, see .ci/postgres.sh)"
        )
    url = sa.make_url(server_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip(f"{PG_URL_ENV} is not a PostgreSQL URL")
    name = f"ticketdesk_mig_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            force = " WITH (FORCE)" if conn.dialect.server_version_info >= (13,) else ""
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"{force}')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_app(request):
    """An app bound to an empty database of its own (not yet migrated)."""
    url = request.getfixturevalue(f"{request.param}_url")

    class Migrated(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Migrated)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # close every connection before the database is dropped


# -------------------------------------------------------------- helpers ---

# The keyword search's index (an FTS5 table and the tables it keeps its data in on SQLite,
# trigram indexes on PostgreSQL) is not in the models' metadata: services/tickets/search.py owns it,
# and tests/test_search.py checks that the migrations make it.


def _drift() -> list:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": search.include_name}
        )
        return compare_metadata(ctx, db.metadata)


def _tables() -> set[str]:
    return {
        name
        for name in sa.inspect(db.engine).get_table_names()
        if search.include_name(name, "table", {})
    }


# ---------------------------------------------------------------- tests ---


def test_single_head():
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert len(heads) == 1, f"more than one migration head: {heads} (run flask db merge)"


def test_upgrade_matches_models_and_downgrade_works(migrated_app):
    with migrated_app.app_context():
        assert _tables() == set()

        upgrade(directory=str(MIGRATIONS))
        assert _drift() == []
        assert _tables() == set(db.metadata.tables) | {"alembic_version"}

        # The shipped default categories come with the first migration.
        rows = db.session.execute(
            sa.select(Category.slug, Category.name, Category.active).order_by(Category.position)
        ).all()
        assert len(rows) == 8
        assert [(r.slug, r.name) for r in rows] == list(DEFAULT_CATEGORIES)
        assert all(r.active for r in rows)
        db.session.remove()

        downgrade(directory=str(MIGRATIONS), revision="base")
        assert _tables() <= {"alembic_version"}

        upgrade(directory=str(MIGRATIONS))
        assert _drift() == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Category)) == 8
        db.session.remove()
