"""Server-side login sessions: one row per logged-in browser.

Logging in makes a random *login id*. Flask-Login keeps it in the signed session cookie and,
with "keep me logged in", in the remember-me cookie; the ``user_sessions`` row keeps only its
SHA-256 hash, the user, whether it was a remember-me login, and when it expires. Every
request looks the row up (``user_for``), so ending a session (deleting its row) ends it for
every copy of its cookies at once.

Public functions: ``start``, ``user_for``, ``end``, ``end_all``, ``count_active``.
``start_session`` and ``end_all_sessions`` are for other services, inside their own
transaction (logging in, password changes, deactivation).
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ticketdesk.core.errors import PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import User, UserSession

# A login id is 43 URL-safe characters; anything far off that shape is not one of ours.
_MIN_ID, _MAX_ID = 32, 128


@dataclass(frozen=True)
class Started:
    """A new session: its login id, and whether the browser keeps it after closing."""

    login_id: str
    remember: bool


def _hash(login_id: str) -> str:
    return hashlib.sha256(login_id.encode()).hexdigest()


def _seconds(value) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=int(value))


def lifetime(*, remember: bool) -> timedelta:
    """How long a session lasts from logging in, whatever happens meanwhile.

    "Keep me logged in": ``REMEMBER_COOKIE_DURATION`` (14 days); otherwise
    ``PERMANENT_SESSION_LIFETIME`` (12 hours).
    """
    cfg = current_app.config
    return _seconds(
        cfg["REMEMBER_COOKIE_DURATION"] if remember else cfg["PERMANENT_SESSION_LIFETIME"]
    )


def start_session(user: User, *, remember: bool, now: datetime) -> Started:
    """Add a session for ``user`` (no commit) and set ``user.login_id`` to its id."""
    db.session.execute(sa.delete(UserSession).where(UserSession.expires_at <= now))
    login_id = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=_hash(login_id),
            remember=remember,
            created_at=now,
            expires_at=now + lifetime(remember=remember),
        )
    )
    user.login_id = login_id
    return Started(login_id=login_id, remember=remember)


def start(user: User, *, remember: bool, now: datetime) -> Started:
    """Start a session for ``user`` (who has already proved who they are)."""
    with unit_of_work():
        started = start_session(user, remember=remember, now=now)
    return started


def user_for(login_id, *, now: datetime) -> User | None:
    """The active user whose live session has this login id, else None.

    The user comes back with ``login_id`` set, so Flask-Login keeps the same id.
    """
    if not isinstance(login_id, str) or not _MIN_ID <= len(login_id) <= _MAX_ID:
        return None
    user = db.session.scalar(
        sa.select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == _hash(login_id),
            UserSession.expires_at > now,
            User.active.is_(True),
        )
    )
    if user is not None:
        user.login_id = login_id
    return user


def end(login_id: str | None) -> None:
    """End one session (logging out). Unknown or already ended ids are ignored."""
    if not isinstance(login_id, str) or not login_id:
        return
    with unit_of_work():
        db.session.execute(sa.delete(UserSession).where(UserSession.token_hash == _hash(login_id)))


def end_all_sessions(user_id: int) -> None:
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user_id))


def end_all(user: User, *, actor: User) -> None:
    """End every session of ``user``, this browser's too ("log out everywhere")."""
    if actor.id != user.id:
        raise PermissionDenied(_("You can only log yourself out everywhere."))
    with unit_of_work():
        end_all_sessions(user.id)


def count_active(user: User, *, now: datetime) -> int:
    """How many sessions of ``user`` are live (browsers where they are logged in)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(UserSession.id)).where(
                UserSession.user_id == user.id, UserSession.expires_at > now
            )
        )
        or 0
    )


def remembered(login_id: str | None) -> bool:
    """Whether the session with this id came from a "keep me logged in" login."""
    if not isinstance(login_id, str) or not login_id:
        return False
    return bool(
        db.session.scalar(
            sa.select(UserSession.remember).where(UserSession.token_hash == _hash(login_id))
        )
    )
