"""`flask prepare`, what `make run` starts with: the six set-up commands in one process,
with their output and their exit status."""

import sqlalchemy as sa
from flask_migrate import upgrade

from tests import factories
from tests.test_migrations import _keep_logging  # noqa: F401 - env.py's logging set-up undone
from ticketdesk import create_app
from ticketdesk.extensions import db
from ticketdesk.models import Playbook, Role, RoutingRule, SlaPolicy
from ticketdesk.settings import TestingConfig

SIX = [
    ["db", "upgrade"],
    ["seed-playbooks"],
    ["demo-data", "--if-empty"],
    ["seed-routing"],
    ["seed-sla"],
    ["outbox", "transport"],
]


def _app(path):
    class FileDatabase(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{path}"

    return create_app(FileDatabase)


def _with_a_user(app):
    """Migrated, with one staff user: the demo data (slow to load) is then left out."""
    with app.app_context():
        upgrade()
        factories.make_user(Role.ADMIN)


def _counts(app) -> tuple[int, int, int]:
    """Playbooks, routing rules and SLA policies in the database."""
    with app.app_context():
        result = tuple(
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Playbook, RoutingRule, SlaPolicy)
        )
        db.engine.dispose()
        return result


def test_prepare_does_and_prints_what_the_six_commands_do(tmp_path):
    one_by_one, at_once = _app(tmp_path / "one.db"), _app(tmp_path / "once.db")
    _with_a_user(one_by_one)
    _with_a_user(at_once)

    printed = []
    for args in SIX:
        result = one_by_one.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines(keepends=True)
        printed += [f"==> {line}" for line in lines] if args[0] == "outbox" else lines
    result = at_once.test_cli_runner().invoke(args=["prepare"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "".join(printed)
    assert "Added 0 shipped playbooks" not in result.stdout
    assert "demo data not loaded" in result.stdout

    assert _counts(at_once) == _counts(one_by_one)
    assert all(_counts(at_once))
    # Safe to run again: nothing more is added.
    again = at_once.test_cli_runner().invoke(args=["prepare"])
    assert again.exit_code == 0, again.output
    assert "Added 0 shipped playbooks." in again.stdout
    assert _counts(at_once) == _counts(one_by_one)


def test_prepare_stops_where_the_migrations_fail_with_their_exit_status(tmp_path):
    app = _app(tmp_path / "unknown.db")
    _with_a_user(app)
    with app.app_context():
        db.session.execute(sa.text("UPDATE alembic_version SET version_num = 'no_such_revision'"))
        db.session.commit()
        db.engine.dispose()

    alone = app.test_cli_runner().invoke(args=["db", "upgrade"])
    result = app.test_cli_runner().invoke(args=["prepare"])
    assert alone.exit_code == 1
    assert result.exit_code == alone.exit_code
    assert "playbook" not in result.stdout
    assert _counts(app) == (0, 0, 0)
