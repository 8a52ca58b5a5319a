"""Role checks, safe redirects, the client's address and the secret key."""

import contextlib
import os
import secrets
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit

from flask import abort, request
from flask_login import current_user, login_required

from ticketdesk.models import Role, User


def client_address() -> str:
    """The client's IP address, as the rate limits see it.

    Behind a reverse proxy, wrap the app in werkzeug's ProxyFix so ``remote_addr`` is the
    client's address rather than the proxy's.
    """
    return request.remote_addr or "unknown"


SECRET_KEY_FILE = "secret_key"


def instance_secret_key(instance_dir: Path) -> str:
    """The random signing key kept in ``instance_dir/secret_key`` (mode 0600).

    Made on first use. Processes starting at the same moment (web server, reloader,
    scheduler) agree on one key: the file appears at once, complete, or not at all.
    """
    path = instance_dir / SECRET_KEY_FILE
    if not path.exists():
        tmp = instance_dir / f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)  # fails if another process was first: use its key
        finally:
            tmp.unlink(missing_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} does not hold a usable secret key; delete it to get a new one.")
    return key


def roles_required(*roles: Role):
    """Allow the view only to logged-in users with one of ``roles``; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` if it is a path on this site, else ``fallback``."""
    if not target or any(ord(c) < 32 for c in target):
        return fallback
    norm = target.replace("\\", "/")
    parts = urlsplit(norm)
    ok = (
        not parts.scheme and not parts.netloc and norm.startswith("/") and not norm.startswith("//")
    )
    return target if ok else fallback


def home_endpoint(user: User) -> str:
    if user.role is Role.ADMIN:
        return "admin.users"
    return "tickets.queue"
