"""Managing playbooks: create, edit (a new version each time), retire, default, preview.

Team leads and administrators manage playbooks. Matching and attaching playbooks to
tickets lives in ``ticketdesk.services.playbooks.engine``; this module reuses its rules
(``_validate``, ``_new_version``, ``_create_playbook``, ``choose_version``) rather than
repeating them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ticketdesk import conditions as matcher
from ticketdesk.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    OPEN_STATUSES,
    Playbook,
    PlaybookVersion,
    Role,
    Ticket,
    User,
)
from ticketdesk.services.people import access
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.playbooks.engine import CONDITION_KEYS, PlaybookSpec, StepSpec

MANAGER_ROLES = (Role.LEAD, Role.ADMIN)

# Upper bounds that keep values inside their columns (Numeric(12, 2), INTEGER).
_MAX_AMOUNT = Decimal("1000000000")
_MAX_HOURS = Decimal("100000")
_MAX_TITLE = 160


# ----------------------------------------------------------------- checks


def _require_manager(actor: User) -> None:
    if actor.role not in MANAGER_ROLES:
        raise PermissionDenied(_("Only team leads and administrators manage playbooks."))


def _check(spec: PlaybookSpec) -> None:
    """Everything ``playbooks.validate_spec`` checks, plus condition values and column bounds,
    and amounts to the minor unit of the desk's currency."""
    playbooks.validate_spec(spec)
    playbooks.check_amounts(spec, current_app.config["DEFAULT_CURRENCY"])
    matcher.validate(spec.conditions, CONDITION_KEYS, field="conditions")
    for name in (
        "evidence_threshold",
        "goodwill_value",
        "goodwill_cap_percent",
        "total_cap_percent",
    ):
        if getattr(spec, name) >= _MAX_AMOUNT:
            raise DomainError(_("This value is too large."), field=name)
    for limit in (spec.approval_limits or {}).values():
        if Decimal(str(limit)) >= _MAX_AMOUNT:
            raise DomainError(
                _("Approval limits must stay below %(max)s.", max=_MAX_AMOUNT),
                field="approval_limits",
            )
    for number, step in enumerate(spec.steps, start=1):
        if len(step.title.strip()) > _MAX_TITLE:
            raise DomainError(
                _("Step %(n)s: keep the title under %(max)s characters.", n=number, max=_MAX_TITLE),
                field="steps",
            )
        if step.due_hours > _MAX_HOURS or (step.recur_hours or 0) > _MAX_HOURS:
            raise DomainError(
                _("Step %(n)s: the number of hours is too large.", n=number), field="steps"
            )
        if step.recur_hours is not None and step.recur_hours < 0:
            raise DomainError(
                _("Step %(n)s: the interval cannot be negative.", n=number), field="steps"
            )


def _name_taken(name: str, *, except_id: int | None = None) -> bool:
    stmt = sa.select(Playbook.id).where(sa.func.lower(Playbook.name) == name.strip().lower())
    if except_id is not None:
        stmt = stmt.where(Playbook.id != except_id)
    return db.session.scalar(stmt) is not None


def _content(spec: PlaybookSpec) -> tuple:
    """What a version holds, normalised the way ``_new_version`` stores it (for equality)."""
    return (
        spec.description.strip(),
        {k: sorted(set(v)) for k, v in spec.conditions.items() if v},
        bool(spec.advisory),
        Decimal(spec.evidence_threshold),
        spec.make_whole_form,
        spec.goodwill_basis,
        Decimal(spec.goodwill_value),
        Decimal(spec.goodwill_cap_percent),
        Decimal(spec.total_cap_percent),
        {k: Decimal(str(v)) for k, v in (spec.approval_limits or {}).items()},
        tuple(
            (
                s.kind,
                s.title.strip(),
                s.guidance.strip(),
                s.role,
                Decimal(s.due_hours),
                bool(s.required),
                s.recur_hours,
            )
            for s in spec.steps
        ),
    )


# ----------------------------------------------------------------- reading


def spec_from_version(version: PlaybookVersion) -> PlaybookSpec:
    """The spec that would recreate ``version`` (to fill the edit form)."""
    return PlaybookSpec(
        name=version.playbook.name,
        description=version.description or "",
        conditions={k: list(v) for k, v in (version.conditions or {}).items() if v},
        advisory=version.advisory,
        evidence_threshold=version.evidence_threshold,
        make_whole_form=version.make_whole_form,
        goodwill_basis=version.goodwill_basis,
        goodwill_value=version.goodwill_value,
        goodwill_cap_percent=version.goodwill_cap_percent,
        total_cap_percent=version.total_cap_percent,
        approval_limits={k: Decimal(str(v)) for k, v in (version.approval_limits or {}).items()},
        steps=tuple(
            StepSpec(
                title=s.title,
                guidance=s.guidance,
                kind=s.kind,
                role=s.role,
                due_hours=s.due_hours,
                required=s.required,
                recur_hours=s.recur_hours,
            )
            for s in version.steps
        ),
    )


def order_steps(rows: Iterable[tuple[int | None, StepSpec]]) -> tuple[StepSpec, ...]:
    """Steps sorted by their entered position; ties keep their order, blanks go last."""
    indexed = [(position, index, step) for index, (position, step) in enumerate(rows)]
    indexed.sort(key=lambda row: (row[0] is None, row[0] or 0, row[1]))
    return tuple(step for _position, _index, step in indexed)


@dataclass(frozen=True)
class PlaybookRow:
    playbook: Playbook
    version: PlaybookVersion | None
    step_count: int
    open_tickets: int


def open_ticket_counts() -> dict[int, int]:
    """Open tickets per playbook (any version), in one grouped query."""
    rows = db.session.execute(
        sa.select(PlaybookVersion.playbook_id, sa.func.count(Ticket.id))
        .join(Ticket, Ticket.playbook_version_id == PlaybookVersion.id)
        .where(Ticket.status.in_(OPEN_STATUSES))
        .group_by(PlaybookVersion.playbook_id)
    )
    return {playbook_id: count for playbook_id, count in rows}


def open_ticket_counts_by_version(playbook: Playbook) -> dict[int, int]:
    """Open tickets per version of ``playbook``, in one grouped query."""
    rows = db.session.execute(
        sa.select(Ticket.playbook_version_id, sa.func.count(Ticket.id))
        .join(PlaybookVersion, Ticket.playbook_version_id == PlaybookVersion.id)
        .where(PlaybookVersion.playbook_id == playbook.id, Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.playbook_version_id)
    )
    return {version_id: count for version_id, count in rows}


def list_playbooks() -> list[PlaybookRow]:
    """Every playbook (in use first, then by name) with what the list shows; constant queries."""
    items = db.session.scalars(
        sa.select(Playbook)
        .options(
            selectinload(Playbook.current_version).options(
                selectinload(PlaybookVersion.steps), joinedload(PlaybookVersion.created_by)
            )
        )
        .order_by(Playbook.active.desc(), sa.func.lower(Playbook.name), Playbook.id)
    ).all()
    counts = open_ticket_counts()
    return [
        PlaybookRow(
            playbook=p,
            version=p.current_version,
            step_count=len(p.current_version.steps) if p.current_version else 0,
            open_tickets=counts.get(p.id, 0),
        )
        for p in items
    ]


def get_playbook(playbook_id: int) -> Playbook:
    """One playbook with its versions (and their authors) and current steps."""
    playbook = db.session.scalar(
        sa.select(Playbook)
        .where(Playbook.id == playbook_id)
        .options(
            selectinload(Playbook.versions).joinedload(PlaybookVersion.created_by),
            selectinload(Playbook.current_version).selectinload(PlaybookVersion.steps),
        )
    )
    if playbook is None:
        raise NotFound(_("No such playbook."))
    return playbook


# ----------------------------------------------------------------- changes


def create_playbook(*, actor: User, spec: PlaybookSpec, now: datetime) -> Playbook:
    """A new, active, non-default playbook with its version 1."""
    _require_manager(actor)
    _check(spec)
    try:
        with unit_of_work():
            return playbooks.add_playbook(spec, actor=actor, now=now)
    except sa.exc.IntegrityError as exc:  # the same name saved at the same moment
        raise Conflict(_("A playbook with this name exists already."), field="name") from exc


def update_playbook(
    playbook: Playbook,
    *,
    actor: User,
    spec: PlaybookSpec,
    now: datetime,
    expected_version: int | None = None,
) -> Playbook:
    """Save an edit as a new version; tickets under way keep the version they started with.

    ``expected_version`` is the version number the editor started from: if somebody saved
    a newer one since, nothing is saved. A save that changes nothing but the name adds no
    version.
    """
    _require_manager(actor)
    current = playbook.current_version
    if expected_version is not None and current is not None and current.number != expected_version:
        raise Conflict(
            _(
                "Someone saved version %(n)s of this playbook while you were editing. "
                "Nothing of yours was saved; reload and try again.",
                n=current.number,
            )
        )
    _check(spec)
    name = spec.name.strip()
    if _name_taken(name, except_id=playbook.id):
        raise DomainError(_("A playbook with this name exists already."), field="name")
    unchanged = current is not None and _content(spec) == _content(spec_from_version(current))
    try:
        with unit_of_work():
            if name != playbook.name:
                playbook.name = name
                playbook.updated_at = now
            if not unchanged:
                playbooks.new_version(playbook, spec, actor=actor, now=now)
    except sa.exc.IntegrityError as exc:  # a version number or the name taken meanwhile
        raise Conflict(
            _(
                "Someone else saved this playbook at the same moment. Nothing of "
                "yours was saved; reload and try again."
            )
        ) from exc
    return playbook


def set_active(playbook: Playbook, *, actor: User, active: bool, now: datetime) -> Playbook:
    """Retire a playbook (new tickets no longer get it) or put it back in use."""
    _require_manager(actor)
    if not active and playbook.is_default:
        raise DomainError(
            _("The default playbook cannot be retired. Make another playbook the default first."),
            field="active",
        )
    if playbook.active == active:
        return playbook
    with unit_of_work():
        playbook.active = active
        playbook.updated_at = now
    return playbook


def make_default(playbook: Playbook, *, actor: User, now: datetime) -> Playbook:
    """Make ``playbook`` the one default (used when no other playbook matches a ticket)."""
    _require_manager(actor)
    if not playbook.active:
        raise DomainError(
            _("Put this playbook back in use before making it the default."), field="is_default"
        )
    if playbook.is_default:
        return playbook
    with unit_of_work():
        for other in db.session.scalars(
            sa.select(Playbook).where(Playbook.is_default.is_(True), Playbook.id != playbook.id)
        ):
            other.is_default = False
            other.updated_at = now
        # The old default must be cleared in the database before the new one is set:
        # a flush writes rows in id order, and uq_playbooks_one_default refuses two
        # defaults even for a moment.
        db.session.flush()
        playbook.is_default = True
        playbook.updated_at = now
    return playbook


# ----------------------------------------------------------------- preview


@dataclass(frozen=True)
class PreviewRow:
    ticket: Ticket
    chosen: bool  # this playbook would be attached to the ticket
    winner: str | None  # else: the name of the playbook that would be


@dataclass(frozen=True)
class Preview:
    rows: list[PreviewRow]
    total: int  # matching tickets in the window (rows is capped)
    since: datetime
    days: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)

    @property
    def chosen_count(self) -> int:
        return sum(1 for row in self.rows if row.chosen)

    @property
    def winners(self) -> list[tuple[str, int]]:
        """The other playbooks that would win, with how many of the rows each (most first)."""
        counts: dict[str, int] = {}
        for row in self.rows:
            if row.winner is not None:
                counts[row.winner] = counts.get(row.winner, 0) + 1
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def visible_rows(result: Preview, user: User) -> list[PreviewRow]:
    """The preview rows whose ticket ``user`` may see (administrators see no tickets)."""
    return [row for row in result.rows if access.can_view_ticket(user, row.ticket)]


def _stand_in(
    playbook_id, name: str, conditions: dict, is_default: bool, advisory: bool
) -> SimpleNamespace:
    """What ``choose_version`` reads of a playbook, without touching the ORM objects."""
    version = SimpleNamespace(conditions=conditions, advisory=advisory)
    stand_in = SimpleNamespace(
        id=playbook_id, name=name, is_default=is_default, current_version=version
    )
    version.playbook = stand_in
    return stand_in


def preview(
    spec_or_version: PlaybookSpec | PlaybookVersion,
    *,
    now: datetime,
    days: int = 30,
    limit: int = 200,
    playbook: Playbook | None = None,
) -> Preview:
    """Tickets of the last ``days`` whose facts match the conditions, newest first.

    For each: would this playbook be chosen (``choose_version``: the most specific active
    playbook wins, the default only when nothing else fits) against the other active
    playbooks, or which one wins instead. ``playbook`` says which playbook an unsaved
    spec belongs to (its saved version then does not compete with the edit); a version
    brings its own. A retired playbook is previewed as if it were in use. Read-only.
    """
    advisory = spec_or_version.advisory
    if isinstance(spec_or_version, PlaybookVersion):
        conditions = dict(spec_or_version.conditions or {})
        playbook = playbook or spec_or_version.playbook
    else:
        conditions = {k: list(v) for k, v in spec_or_version.conditions.items() if v}
    since = now - timedelta(days=days)
    where = [Ticket.created_at >= since, Ticket.created_at <= now, *matcher.clauses(conditions)]
    total = (
        db.session.scalar(
            sa.select(sa.func.count(Ticket.id))
            .join(Ticket.customer)
            .join(Ticket.category)
            .where(*where)
        )
        or 0
    )
    tickets = db.session.scalars(
        sa.select(Ticket)
        .join(Ticket.customer)
        .join(Ticket.category)
        .options(contains_eager(Ticket.customer), contains_eager(Ticket.category))
        .where(*where)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    ).all()

    if playbook is not None:
        subject = _stand_in(playbook.id, playbook.name, conditions, playbook.is_default, advisory)
    else:  # a new playbook: it would get the highest id, so it loses exact ties
        subject = _stand_in(float("inf"), "", conditions, False, advisory)
    candidates = [subject] + [
        _stand_in(
            p.id,
            p.name,
            p.current_version.conditions or {},
            p.is_default,
            p.current_version.advisory,
        )
        for p in playbooks.candidates()
        if playbook is None or p.id != playbook.id
    ]

    rows = []
    for ticket in tickets:
        if not matcher.matches(conditions, matcher.facts(ticket, CONDITION_KEYS)):
            continue  # the SQL above already said so; kept as the single source of truth
        best = playbooks.choose_version(ticket, candidates)
        chosen = best is not None and best.playbook is subject
        rows.append(
            PreviewRow(
                ticket=ticket,
                chosen=chosen,
                winner=None if chosen or best is None else best.playbook.name,
            )
        )
    return Preview(rows=rows, total=total, since=since, days=days)
