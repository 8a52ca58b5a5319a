"""TicketDesk: a complaint and service-recovery desk."""

import os
import sqlite3
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from ticketdesk.extensions import babel, csrf, db, login_manager, migrate
from ticketdesk.settings import CONFIGS, Config

PACKAGE = Path(__file__).resolve().parent
# The checkout the package runs from (templates/, migrations/ and instance/ sit beside it).
ROOT = PACKAGE.parent


def _shipped(name: str) -> Path:
    """Where ``templates`` or ``migrations`` lies: inside the package when it was installed
    from a wheel (setup.py maps both there), else at the top of the checkout."""
    inside = PACKAGE / name
    return inside if inside.is_dir() else ROOT / name


TEMPLATES = _shipped("templates")
MIGRATIONS = _shipped("migrations")
# Installed from a wheel, the package has its own copies of templates and migrations; run from
# a checkout, it has not.
INSTALLED = TEMPLATES.parent == PACKAGE


def create_app(
    config_class: type[Config] | None = None, *, instance_path: str | Path | None = None
) -> Flask:
    """Build the web application. Never starts background jobs.

    Without a SECRET_KEY (development), the key is the random one in
    ``<instance>/secret_key``, generated on first run; production refuses to start.

    The instance folder (the default SQLite database, attachments, the key) is ``instance/``
    in a checkout; installed from a wheel, it is Flask's ``<prefix>/var/ticketdesk-instance``
    (``<prefix>`` being the virtualenv or Python installation). ``instance_path`` overrides both.
    """
    config_class = config_class or CONFIGS[os.environ.get("TICKETDESK_CONFIG", "development")]
    if instance_path is None and not INSTALLED:
        instance_path = ROOT / "instance"
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES),
        instance_path=str(instance_path) if instance_path else None,
    )
    app.config.from_object(config_class)
    app.config.from_prefixed_env("TICKETDESK")
    config_class.validate()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        from ticketdesk.core.security import instance_secret_key

        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))

    from ticketdesk.core import inputs

    # Before any blueprint: <int:...> in every route is a bounded id, and no NUL gets in.
    inputs.init_app(app)
    db.init_app(app)
    _sqlite_pragmas(app)
    from ticketdesk.services.tickets import search

    # Autogenerate leaves the search index (not in the models) alone.
    migrate.init_app(app, db, directory=str(MIGRATIONS), include_name=search.include_name)
    login_manager.init_app(app)
    csrf.init_app(app)

    from ticketdesk import cli, models, templating  # noqa: F401 - tables, commands, filters
    from ticketdesk.auth.loader import load_user  # noqa: F401 - registers the user loader

    babel.init_app(
        app, locale_selector=templating.select_locale, timezone_selector=templating.select_timezone
    )
    templating.init_app(app)

    from ticketdesk.accounts.views import bp as accounts_bp
    from ticketdesk.admin.views import bp as admin_bp
    from ticketdesk.approvals.views import bp as approvals_bp
    from ticketdesk.auth.views import bp as auth_bp
    from ticketdesk.customers.views import bp as customers_bp
    from ticketdesk.dashboard.views import bp as dashboard_bp
    from ticketdesk.ledger.views import bp as ledger_bp
    from ticketdesk.notifications.views import bp as notifications_bp
    from ticketdesk.playbooks.views import bp as playbooks_bp
    from ticketdesk.public.views import bp as public_bp
    from ticketdesk.recovery.views import bp as recovery_bp
    from ticketdesk.routing.views import bp as routing_bp
    from ticketdesk.sla_admin.views import bp as sla_admin_bp
    from ticketdesk.tickets.views import bp as tickets_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(tickets_bp, url_prefix="/tickets")
    app.register_blueprint(customers_bp, url_prefix="/customers")
    app.register_blueprint(public_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(approvals_bp, url_prefix="/approvals")
    app.register_blueprint(ledger_bp, url_prefix="/ledger")
    app.register_blueprint(playbooks_bp, url_prefix="/playbooks")
    app.register_blueprint(routing_bp, url_prefix="/routing")
    app.register_blueprint(sla_admin_bp, url_prefix="/sla")
    app.register_blueprint(dashboard_bp, url_prefix="/dashboard")
    app.register_blueprint(notifications_bp, url_prefix="/notifications")
    app.register_blueprint(recovery_bp, url_prefix="/recovery")
    app.register_blueprint(accounts_bp, url_prefix="/accounts")

    from ticketdesk import http_headers
    from ticketdesk.errors import register_error_handlers

    register_error_handlers(app)
    http_headers.init_app(app)
    cli.init_app(app)
    return app


def _sqlite_pragmas(app: Flask) -> None:
    """Foreign keys on, a busy timeout, and WAL for file databases (SQLite only)."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    in_memory = engine.url.database in (None, "", ":memory:")

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
