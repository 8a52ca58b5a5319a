"""Configuration: production safety, environment overrides, the SQLite pragmas."""

import pytest
import sqlalchemy as sa

from ticketdesk import create_app
from ticketdesk.extensions import db
from ticketdesk.settings import DEV_SECRET_KEY, ProductionConfig, TestingConfig


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


# ----------------------------------------------------------------- where e-mail links point


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, "http://127.0.0.1:5000"),  # the default
        ({"PORT": "5101"}, "http://127.0.0.1:5101"),  # make run PORT=5101
        ({"HOST": "192.168.1.20", "PORT": "8001"}, "http://192.168.1.20:8001"),
        (
            {"BASE_URL": "https://desk.example.com/support", "PORT": "5101"},
            "https://desk.example.com/support",
        ),  # BASE_URL wins
        ({"BASE_URL": "   ", "PORT": "5101"}, "http://127.0.0.1:5101"),  # blank: not given
        ({"HOST": "0.0.0.0", "PORT": "5101"}, "http://127.0.0.1:5101"),  # every interface
        ({"HOST": "::", "PORT": "5101"}, "http://127.0.0.1:5101"),
        ({"HOST": "::1", "PORT": "5101"}, "http://[::1]:5101"),  # IPv6 in brackets
        ({"HOST": "", "PORT": ""}, "http://127.0.0.1:5000"),
        ({"PORT": "0"}, "http://127.0.0.1:5000"),  # not a port
        ({"PORT": "65536"}, "http://127.0.0.1:5000"),
        ({"PORT": "65535"}, "http://127.0.0.1:65535"),
        ({"PORT": "1"}, "http://127.0.0.1:1"),
        ({"PORT": "51o1"}, "http://127.0.0.1:5000"),
        ({"PORT": "٥١٠١"}, "http://127.0.0.1:5000"),  # ASCII digits only
    ],
)
def test_base_url_comes_from_base_url_else_host_and_port(environ, expected):
    from ticketdesk.settings import base_url_from

    assert base_url_from(environ) == expected


def _config_base_url(**environ: str) -> str:
    """BASE_URL of a freshly imported ticketdesk.settings in a process with this environment."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in ("BASE_URL", "HOST", "PORT")}
    env.update(environ)
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", "from ticketdesk.settings import Config; print(Config.BASE_URL)"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_configuration_reads_the_environment_of_its_process():
    assert _config_base_url() == "http://127.0.0.1:5000"
    assert _config_base_url(PORT="5101") == "http://127.0.0.1:5101"
    assert (
        _config_base_url(PORT="5101", BASE_URL="https://desk.example.com")
        == "https://desk.example.com"
    )


def test_make_passes_port_to_the_processes_it_starts():
    """`make urls PORT=5101` runs `flask outbox transport` as `make run` does: the links
    and the outbox page it names are on port 5101."""
    import os
    import shutil
    import subprocess
    from pathlib import Path

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    root = Path(__file__).resolve().parent.parent
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("BASE_URL", "HOST", "PORT", "MAKEFLAGS", "MFLAGS")
        and not k.startswith("TICKETDESK_")
    }
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", "urls", "PORT=5101"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "TicketDesk listens on http://127.0.0.1:5101" in result.stdout
    assert "Links in e-mails point to http://127.0.0.1:5101\n" in result.stdout
    assert "http://127.0.0.1:5101/admin/outbox" in result.stdout
    given = subprocess.run(
        [
            "make",
            "-s",
            "--no-print-directory",
            "urls",
            "PORT=5101",
            "BASE_URL=https://desk.example.com",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Links in e-mails point to https://desk.example.com\n" in given.stdout
    assert "https://desk.example.com/admin/outbox" in given.stdout


def test_the_top_level_config_module_is_the_package_settings():
    """A checkout's ``config.py`` hands out the very classes ``ticketdesk.settings`` defines."""
    import config
    from ticketdesk import settings

    assert config.CONFIGS is settings.CONFIGS
    assert config.ProductionConfig is settings.ProductionConfig
    assert set(config.__all__) <= set(vars(settings))
