"""A real HTTP server for browser tests: the app served by werkzeug in a thread."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from ticketdesk.extensions import db


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1; yields the base URL.

    The server is shut down and its socket closed when the block ends, also on errors.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def empty_all_tables() -> None:
    """Delete every row (needs an app context), as tests/conftest.py does."""
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
