"""Configuration: production safety, environment overrides, the SQLite pragmas."""

import pytest
import sqlalchemy as sa

from config import DEV_SECRET_KEY, ProductionConfig, TestingConfig
from ticketdesk import create_app
from ticketdesk.extensions import db


def test_production_refuses_the_default_secret_key(monkeypatch):
    class Prod(ProductionConfig):
        SECRET_KEY = DEV_SECRET_KEY
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Prod)


def test_production_starts_with_a_real_secret_and_secure_cookies():
    class Prod(ProductionConfig):
        SECRET_KEY = "a-long-random-value-from-the-environment"
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    app = create_app(Prod)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not app.debug


def test_prefixed_environment_variables_override_settings(monkeypatch):
    monkeypatch.setenv("TICKETDESK_PUBLIC_RATE_LIMIT", "7")
    app = create_app(TestingConfig)
    assert app.config["PUBLIC_RATE_LIMIT"] == 7


def test_sqlite_enforces_foreign_keys(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_create_app_starts_no_background_threads():
    import threading

    before = {t.ident for t in threading.enumerate()}
    create_app(TestingConfig)
    assert {t.ident for t in threading.enumerate()} == before
