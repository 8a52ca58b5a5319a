"""Staff users and teams (queues)."""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ticketdesk.database import utcnow
from ticketdesk.extensions import db


class AwayReason(enum.StrEnum):
    """Why a staff member takes no new tickets for now."""

    HOLIDAY = "holiday"
    SICK = "sick"
    OTHER = "other"


class Role(enum.StrEnum):
    AGENT = "agent"
    ACCOUNT_MANAGER = "account_manager"
    LEAD = "lead"
    ADMIN = "admin"


# Roles that work tickets (reply, assign, change status).
WORKING_ROLES = (Role.AGENT, Role.LEAD)

team_members = sa.Table(
    "team_members",
    db.metadata,
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(index=True)
    active: Mapped[bool] = mapped_column(default=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    locale: Mapped[str] = mapped_column(sa.String(16), default="en")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Availability: while away (until ``away_until``, or until they come back) a user
    # gets no new tickets from routing or assignment.
    away_reason: Mapped[AwayReason | None]
    away_until: Mapped[datetime | None]
    away_note: Mapped[str] = mapped_column(sa.String(200), default="")
    # When routing or a person last gave this user a ticket (ties in fewest-open).
    last_assigned_at: Mapped[datetime | None]

    teams: Mapped[list["Team"]] = relationship(
        secondary=team_members, back_populates="members", order_by="Team.name"
    )

    # The login id of the server-side session this object was loaded for (not a column).
    # Flask-Login stores it in the session and the remember-me cookie: see
    # ``login_manager.id_attribute`` in ``ticketdesk.auth.loader`` and
    # ``services.people.sessions``.
    login_id = None

    def get_login_id(self) -> str:
        if not self.login_id:
            raise RuntimeError("Start a server-side session before logging a user in.")
        return self.login_id

    def set_password(self, password: str, *, method: str = "scrypt") -> None:
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login: inactive users cannot log in
        return self.active

    @property
    def works_tickets(self) -> bool:
        return self.role in WORKING_ROLES

    def is_away(self, now: datetime) -> bool:
        return self.away_reason is not None and (self.away_until is None or self.away_until > now)

    @property
    def team_ids(self) -> set[int]:
        return {team.id for team in self.teams}

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class UserSession(db.Model):
    """One logged-in browser. The cookies carry a random token; only its hash is stored.

    Ending a session deletes its row, so a copy of its cookies no longer logs anyone in.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"


class Team(db.Model):
    __tablename__ = "teams"
    __table_args__ = (
        # At most one fallback team: where routing sends what no rule gives a team.
        sa.Index(
            "uq_teams_one_fallback",
            "is_fallback",
            unique=True,
            sqlite_where=sa.text("is_fallback"),
            postgresql_where=sa.text("is_fallback"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    description: Mapped[str] = mapped_column(sa.String(255), default="")
    is_fallback: Mapped[bool] = mapped_column(default=False)
    # Round-robin position: the member who got this team's last round-robin ticket.
    rr_last_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[User]] = relationship(
        secondary=team_members, back_populates="teams", order_by="User.name"
    )

    def __repr__(self) -> str:
        return f"<Team {self.name}>"
