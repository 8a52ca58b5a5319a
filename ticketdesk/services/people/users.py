"""Staff accounts, teams and personal settings."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from zoneinfo import available_timezones

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from ticketdesk.core import ratelimit
from ticketdesk.core.errors import DomainError, PermissionDenied
from ticketdesk.core.inputs import normalise_email
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import Role, Team, User
from ticketdesk.services.people import access, sessions

MIN_PASSWORD_LENGTH = 10
TIMEZONES = sorted(available_timezones())


@dataclass(frozen=True)
class UserData:
    email: str
    name: str
    role: Role
    active: bool = True
    team_ids: tuple[int, ...] = ()


def _require_admin(actor: User) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied(_("Only administrators manage users and teams."))


def check_password_strength(password: str, *, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _("Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH), field=field
        )


def _teams(team_ids) -> list[Team]:
    if not team_ids:
        return []
    teams = list(db.session.scalars(sa.select(Team).where(Team.id.in_(team_ids))))
    if len(teams) != len(set(team_ids)):
        raise DomainError(_("One of the chosen teams does not exist."), field="team_ids")
    return teams


def _other_active_admins(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(User.id)).where(
                User.role == Role.ADMIN, User.active.is_(True), User.id != user.id
            )
        )
        or 0
    )


def _email_taken(email: str, *, except_id: int | None = None) -> bool:
    stmt = sa.select(User.id).where(User.email == email)
    if except_id is not None:
        stmt = stmt.where(User.id != except_id)
    return db.session.scalar(stmt) is not None


def new_user(data: UserData, password: str) -> User:
    email = normalise_email(data.email)
    if not email:
        raise DomainError(_("An e-mail address is needed."), field="email")
    if _email_taken(email):
        raise DomainError(_("A user with this e-mail address exists already."), field="email")
    if not data.name.strip():
        raise DomainError(_("A name is needed."), field="name")
    check_password_strength(password)
    user = User(email=email, name=data.name.strip(), role=data.role, active=data.active)
    user.set_password(password, method=_hash_method())
    user.teams = _teams(data.team_ids)
    db.session.add(user)
    return user


def create_user(*, actor: User, data: UserData, password: str) -> User:
    _require_admin(actor)
    with unit_of_work():
        user = new_user(data, password)
    return user


def update_user(
    user: User, *, actor: User, data: UserData, new_password: str | None = None
) -> User:
    """An admin changes a user (also their teams, role and active flag). Watches on
    tickets the user may no longer see are removed in the same transaction."""
    _require_admin(actor)
    email = normalise_email(data.email)
    if not email:
        raise DomainError(_("An e-mail address is needed."), field="email")
    if _email_taken(email, except_id=user.id):
        raise DomainError(_("A user with this e-mail address exists already."), field="email")
    if not data.name.strip():
        raise DomainError(_("A name is needed."), field="name")
    losing_admin = (
        user.role is Role.ADMIN and user.active and (data.role is not Role.ADMIN or not data.active)
    )
    if losing_admin and _other_active_admins(user) == 0:
        raise DomainError(_("Keep at least one active administrator."), field="role")
    if user.id == actor.id and not data.active:
        raise DomainError(_("You cannot deactivate your own account."), field="active")
    if new_password:
        check_password_strength(new_password, field="new_password")
    with unit_of_work():
        if new_password or (user.active and not data.active):
            # A reset password or a deactivated account ends every session and
            # remember-me cookie of the user (reactivating does not bring them back).
            sessions.end_all_sessions(user.id)
        user.email = email
        user.name = data.name.strip()
        user.role = data.role
        user.active = data.active
        user.teams = _teams(data.team_ids)
        if new_password:
            user.set_password(new_password, method=_hash_method())
        # Leaving a team, a new role or deactivation can take tickets out of sight:
        # their watches go, so nothing more about them reaches this user.
        access.drop_lost_watches([user])
    return user


def update_settings(user: User, *, name: str, timezone: str) -> User:
    """A user's own profile: display name and the timezone times are shown in."""
    if not name.strip():
        raise DomainError(_("A name is needed."), field="name")
    if timezone not in TIMEZONES:
        raise DomainError(_("Choose a timezone from the list."), field="timezone")
    with unit_of_work():
        user.name = name.strip()
        user.timezone = timezone
    return user


def change_password(
    user: User, *, current: str, new: str, now: datetime, login_id: str | None = None
) -> sessions.Started | None:
    """The user changes their own password: every session of theirs ends.

    ``login_id`` is the session the change was made in: that browser gets a fresh session
    (remembered if the old one was) so the user stays logged in there; it is returned.
    """
    if not user.check_password(current):
        raise DomainError(_("The current password is not right."), field="current_password")
    check_password_strength(new, field="new_password")
    remember = sessions.remembered(login_id)
    with unit_of_work():
        user.set_password(new, method=_hash_method())
        sessions.end_all_sessions(user.id)
        started = sessions.start_session(user, remember=remember, now=now) if login_id else None
    return started


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None. Same answer for every failure."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None:
        # Spend the same time as a real check so timing does not reveal addresses.
        check_password_hash(_dummy_hash(_hash_method()), password or "")
        return None
    if not user.check_password(password or "") or not user.active:
        return None
    return user


def login_attempt(
    *,
    email: str,
    password: str,
    now: datetime,
    limit: int,
    window_seconds: int,
    client_address: str | None = None,
    address_limit: int | None = None,
    address_window_seconds: int | None = None,
    remember: bool = False,
) -> User | None:
    """Check credentials and start a session, with a pause after too many failures.

    Failures are counted per e-mail address (``limit`` per ``window_seconds``) and, when
    ``client_address`` is given, per client address (``address_limit`` per
    ``address_window_seconds``, by default LOGIN_ADDRESS_RATE_LIMIT and
    LOGIN_ADDRESS_RATE_WINDOW_SECONDS). While either is paused even the right password is
    refused, with the same generic answer, and the refused attempt is not counted.

    Two transactions, on purpose: the first takes the attempt's place under both limits
    (atomically, so concurrent attempts cannot pass the limit together) and commits before
    the slow password check, so no lock is held while hashing; the second gives the place
    back when the password was right, and starts the session. On success the user comes
    back with ``login_id`` set for ``flask_login.login_user``.
    """
    cfg = current_app.config
    limits = [
        ratelimit.Limit(
            f"login:{normalise_email(email) or ''}"[:128], int(limit), int(window_seconds)
        )
    ]
    if client_address is not None:
        limits.append(
            ratelimit.Limit(
                f"login-address:{client_address}"[:128],
                int(cfg["LOGIN_ADDRESS_RATE_LIMIT"] if address_limit is None else address_limit),
                int(
                    cfg["LOGIN_ADDRESS_RATE_WINDOW_SECONDS"]
                    if address_window_seconds is None
                    else address_window_seconds
                ),
            )
        )
    with unit_of_work():
        hits = ratelimit.acquire(limits, now=now)
    if hits is None:
        return None
    user = authenticate(email, password)
    if user is None:
        return None  # the hits stay: they are this failure
    with unit_of_work():
        ratelimit.release(hits)
        user.last_login_at = now
        sessions.start_session(user, remember=remember, now=now)
    return user


def list_users() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .options(sa.orm.selectinload(User.teams))
            .order_by(User.active.desc(), User.name)
        )
    )


def list_teams() -> list[Team]:
    return list(
        db.session.scalars(
            sa.select(Team).options(sa.orm.selectinload(Team.members)).order_by(Team.name)
        )
    )


def team_choices() -> list[tuple[int, str]]:
    return [
        (row.id, row.name)
        for row in db.session.execute(sa.select(Team.id, Team.name).order_by(Team.name))
    ]


def save_team(team: Team | None, *, actor: User, name: str, description: str = "") -> Team:
    _require_admin(actor)
    name = name.strip()
    if not name:
        raise DomainError(_("A team needs a name."), field="name")
    clash = sa.select(Team.id).where(sa.func.lower(Team.name) == name.lower())
    if team is not None:
        clash = clash.where(Team.id != team.id)
    if db.session.scalar(clash) is not None:
        raise DomainError(_("A team with this name exists already."), field="name")
    with unit_of_work():
        if team is None:
            team = Team(name=name, description=description.strip())
            db.session.add(team)
        else:
            team.name, team.description = name, description.strip()
    return team


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not-a-real-password", method=method)


def _hash_method() -> str:
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
