"""Login loading, role checks and safe redirects."""

from functools import wraps
from urllib.parse import urlsplit

from flask import abort
from flask_login import current_user, login_required

from ticketdesk.extensions import db, login_manager
from ticketdesk.models import Role, User


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return user if user is not None and user.active else None


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
    ok = (not parts.scheme and not parts.netloc and norm.startswith("/")
          and not norm.startswith("//"))
    return target if ok else fallback


def home_endpoint(user: User) -> str:
    if user.role is Role.ADMIN:
        return "admin.users"
    return "tickets.queue"
