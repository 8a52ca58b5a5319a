"""The built wheel is a desk on its own: installed into a fresh virtualenv with the locked
dependencies, it migrates a database and serves its pages from a folder with no checkout
around it (templates, static files and migrations travel inside the package).

One test, about a minute: it builds the wheel, makes a virtualenv and installs into it
(packages come from pip's cache after the first run). It needs the package index that
`make` installs from.
"""

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from alembic.script import ScriptDirectory

from ticketdesk import MIGRATIONS, ROOT

# Left out of the copy the wheel is built from: what a build or a run leaves in a checkout.
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "instance",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    "*.pyc",
    ".pytest_cache",
    ".hypothesis",
    "bench",
    "tests",
    "node_modules",
)


def _run(args: list, *, timeout: float, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=timeout, **kwargs
    )
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


@pytest.mark.skipif(
    bool(os.environ.get("TICKETDESK_TEST_DATABASE_URL")),
    reason="the wheel runs on its own SQLite file: once per `make test` is enough",
)
def test_the_wheel_installs_migrates_and_serves_from_any_folder(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", tmp_path / "dist", source],
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("ticketdesk-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], timeout=120)
    python, flask = venv / "bin" / "python", venv / "bin" / "flask"
    _run(
        [python, "-m", "pip", "install", "--require-hashes", "-r", ROOT / "requirements.lock"],
        timeout=600,
    )
    _run([python, "-m", "pip", "install", "--no-deps", wheel], timeout=300)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    database = elsewhere / "desk.db"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "TICKETDESK_CONFIG", "SECRET_KEY", "FLASK_APP")
        and not k.startswith("TICKETDESK_")
    }
    env["DATABASE_URL"] = f"sqlite:///{database}"
    app = ["--app", "ticketdesk:create_app"]

    # The package that runs is the installed one, with its own templates and migrations.
    where = _run(
        [
            python,
            "-c",
            "import ticketdesk; print(ticketdesk.TEMPLATES, "
            "ticketdesk.MIGRATIONS, ticketdesk.INSTALLED)",
        ],
        cwd=elsewhere,
        env=env,
        timeout=120,
    ).stdout.split()
    site = (
        venv
        / "lib"
        / f"python{sys.version_info.major}.{sys.version_info.minor}"
        / "site-packages"
        / "ticketdesk"
    )
    site = site.resolve()
    assert where == [str(site / "templates"), str(site / "migrations"), "True"]

    _run([flask, *app, "db", "upgrade"], cwd=elsewhere, env=env, timeout=180)
    with sqlite3.connect(database) as conn:
        (version,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version == ScriptDirectory(str(MIGRATIONS)).get_current_head()

    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [flask, *app, "run", "--port", str(port)],
            cwd=elsewhere,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        status, page = 0, ""
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, page = _get(f"http://127.0.0.1:{port}/login")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200, log.read_text()
        assert "<title>Log in" in page
        assert _get(f"http://127.0.0.1:{port}/static/app.css")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    # Flask's instance folder of an installed package: the development key was made there.
    assert (venv / "var" / "ticketdesk-instance" / "secret_key").is_file()
    assert not (elsewhere / "instance").exists()
