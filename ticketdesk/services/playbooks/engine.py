"""Playbooks: which one fits a ticket, attaching it, and the ticket's checklist."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from ticketdesk import conditions
from ticketdesk.core import money
from ticketdesk.core.errors import DomainError, InvalidTransition, NotFound, PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    OPEN_STATUSES,
    CauseGroup,
    EventKind,
    GoodwillBasis,
    Playbook,
    PlaybookStep,
    PlaybookVersion,
    RemedyForm,
    RemedyKind,
    Role,
    RootCause,
    StepKind,
    Ticket,
    TicketEvent,
    TicketStep,
    User,
)
from ticketdesk.services import timeline as events
from ticketdesk.services.people import access

# Condition keys of a playbook version (``ticketdesk.conditions`` matches them).
CONDITION_KEYS = conditions.PLAYBOOK_KEYS


@dataclass(frozen=True)
class StepSpec:
    title: str
    guidance: str = ""
    kind: StepKind = StepKind.TASK
    role: Role = Role.AGENT
    due_hours: Decimal = Decimal("0")
    required: bool = True
    recur_hours: int | None = None


@dataclass(frozen=True)
class PlaybookSpec:
    """Everything one version of a playbook holds, as entered or shipped."""

    name: str
    steps: tuple[StepSpec, ...]
    description: str = ""
    conditions: dict = field(default_factory=dict)
    advisory: bool = False
    evidence_threshold: Decimal = Decimal("0")
    make_whole_form: RemedyForm = RemedyForm.RESHIP
    goodwill_basis: GoodwillBasis = GoodwillBasis.AFFECTED_PERCENT
    goodwill_value: Decimal = Decimal("0")
    goodwill_cap_percent: Decimal = Decimal("30")
    total_cap_percent: Decimal = Decimal("150")
    # Largest total compensation each role may grant without approval, e.g. {"agent": "50"}.
    approval_limits: dict = field(default_factory=dict)


def check_amounts(spec: PlaybookSpec, currency: str | None = None) -> None:
    """The playbook's amounts (no-proof threshold, fixed goodwill, approval limits) are
    amounts: finite, not negative, below the largest amount. They carry no currency and
    apply to each ticket in its own currency; given ``currency`` (the desk's, when a lead
    saves a playbook), they are also held to its minor unit."""
    amounts = [("evidence_threshold", spec.evidence_threshold)]
    if spec.goodwill_basis is GoodwillBasis.FIXED:
        amounts.append(("goodwill_value", spec.goodwill_value))
    for limit in (spec.approval_limits or {}).values():
        try:
            amounts.append(("approval_limits", Decimal(str(limit))))
        except ArithmeticError:
            raise DomainError(
                _("Approval limits must be amounts of zero or more."), field="approval_limits"
            ) from None
    for name, value in amounts:
        problem = money.amount_problem(value, currency)
        if problem:
            raise DomainError(problem, field=name)


def validate_spec(spec: PlaybookSpec) -> None:
    """Raise DomainError naming the field for anything a playbook may not hold."""
    if not spec.name.strip():
        raise DomainError(_("A playbook needs a name."), field="name")
    if len(spec.name.strip()) > 120:
        raise DomainError(_("Keep the name under 120 characters."), field="name")
    unknown = set(spec.conditions) - set(CONDITION_KEYS)
    if unknown:
        raise DomainError(
            _("Unknown condition: %(key)s.", key=", ".join(sorted(unknown))), field="conditions"
        )
    if not spec.steps:
        raise DomainError(_("A playbook needs at least one step."), field="steps")
    for number, step in enumerate(spec.steps, start=1):
        if not step.title.strip():
            raise DomainError(_("Step %(n)s needs a title.", n=number), field="steps")
        if step.due_hours < 0:
            raise DomainError(
                _("Step %(n)s: the due time cannot be negative.", n=number), field="steps"
            )
        if step.kind is StepKind.STATUS_UPDATE and not (step.recur_hours or 0) > 0:
            raise DomainError(
                _("Step %(n)s: a recurring status update needs its interval in hours.", n=number),
                field="steps",
            )
    check_amounts(spec)
    for name in (
        "evidence_threshold",
        "goodwill_value",
        "goodwill_cap_percent",
        "total_cap_percent",
    ):
        if getattr(spec, name) < 0:
            raise DomainError(_("This value cannot be negative."), field=name)
    if (
        spec.goodwill_basis in (GoodwillBasis.AFFECTED_PERCENT, GoodwillBasis.ORDER_PERCENT)
        and spec.goodwill_value > spec.goodwill_cap_percent
    ):
        raise DomainError(
            _("The goodwill percentage is above the goodwill cap."), field="goodwill_value"
        )
    for role, limit in (spec.approval_limits or {}).items():
        if role not in {r.value for r in Role}:
            raise DomainError(_("Unknown role in the approval limits."), field="approval_limits")
        try:
            if Decimal(str(limit)) < 0:
                raise ValueError
        except (ArithmeticError, ValueError):
            raise DomainError(
                _("Approval limits must be amounts of zero or more."), field="approval_limits"
            ) from None
    if not spec.advisory:
        kinds = {step.kind for step in spec.steps}
        if StepKind.APOLOGY not in kinds:
            raise DomainError(
                _("A playbook for causes on our side needs an apology step."), field="steps"
            )
        if StepKind.EXPLANATION not in kinds:
            raise DomainError(
                _(
                    "A playbook for causes on our side needs a step that explains "
                    "the cause to the customer."
                ),
                field="steps",
            )


def new_version(
    playbook: Playbook, spec: PlaybookSpec, *, actor: User | None, now: datetime
) -> PlaybookVersion:
    """Add a frozen version to ``playbook`` and make it current (caller commits)."""
    validate_spec(spec)
    number = max((v.number for v in playbook.versions), default=0) + 1
    version = PlaybookVersion(
        playbook=playbook,
        number=number,
        description=spec.description.strip(),
        conditions={k: sorted(set(v)) for k, v in spec.conditions.items() if v},
        advisory=spec.advisory,
        evidence_threshold=spec.evidence_threshold,
        make_whole_form=spec.make_whole_form,
        goodwill_basis=spec.goodwill_basis,
        goodwill_value=spec.goodwill_value,
        goodwill_cap_percent=spec.goodwill_cap_percent,
        total_cap_percent=spec.total_cap_percent,
        approval_limits={k: str(Decimal(str(v))) for k, v in (spec.approval_limits or {}).items()},
        created_at=now,
        created_by_id=actor.id if actor else None,
        steps=[
            PlaybookStep(
                position=i,
                kind=st.kind,
                title=st.title.strip(),
                guidance=st.guidance.strip(),
                role=st.role,
                due_hours=st.due_hours,
                required=st.required,
                recur_hours=st.recur_hours,
            )
            for i, st in enumerate(spec.steps, start=1)
        ],
    )
    db.session.add(version)
    db.session.flush()
    playbook.current_version = version
    playbook.updated_at = now
    return version


def add_playbook(
    spec: PlaybookSpec,
    *,
    actor: User | None,
    now: datetime,
    is_default: bool = False,
    active: bool = True,
) -> Playbook:
    """A new playbook with its first version (caller commits)."""
    name = spec.name.strip()
    if db.session.scalar(
        sa.select(Playbook.id).where(sa.func.lower(Playbook.name) == name.lower())
    ):
        raise DomainError(_("A playbook with this name exists already."), field="name")
    playbook = Playbook(
        name=name, active=active, is_default=is_default, created_at=now, updated_at=now
    )
    db.session.add(playbook)
    db.session.flush()
    new_version(playbook, spec, actor=actor, now=now)
    return playbook


def candidates() -> list[Playbook]:
    return list(
        db.session.scalars(
            sa.select(Playbook)
            .where(Playbook.active.is_(True), Playbook.current_version_id.is_not(None))
            .options(selectinload(Playbook.current_version))
            .order_by(Playbook.id)
        )
    )


def choose_version(
    ticket: Ticket, playbooks: list[Playbook] | None = None
) -> PlaybookVersion | None:
    """The most specific active playbook matching the ticket, else the default one
    (``ticketdesk.conditions.choose``: a playbook without conditions only applies as the
    default); for a cause on the customer's side, advisory playbooks come first."""
    playbooks = candidates() if playbooks is None else playbooks

    def advice_first(fitting: list[Playbook]) -> list[Playbook]:
        # The customer's own pressures get advice, whatever else matches.
        if ticket.cause_side.group is CauseGroup.THEIRS:
            return [p for p in fitting if p.current_version.advisory] or fitting
        return fitting

    best = conditions.choose(
        playbooks,
        conditions.facts(ticket, CONDITION_KEYS),
        conditions_of=lambda p: p.current_version.conditions,
        narrow=advice_first,
    )
    return best.current_version if best else None


def _step_due(ticket: Ticket, hours: Decimal | float | int) -> datetime:
    return ticket.created_at + timedelta(hours=float(hours))


def _copy_steps(
    ticket: Ticket, version: PlaybookVersion, *, start: int, done: list[TicketStep]
) -> None:
    """Copy the version's steps onto the ticket, skipping what ``done`` already covers.

    A step is covered when a ticked step has the same kind and title; an apology or
    explanation once given is never asked for again.
    """
    done_titles = {(s.kind, s.title) for s in done}
    done_kinds = {s.kind for s in done} & {StepKind.APOLOGY, StepKind.EXPLANATION}
    position = start
    for step in version.steps:
        if (step.kind, step.title) in done_titles or step.kind in done_kinds:
            continue
        recurring = step.kind is StepKind.STATUS_UPDATE and bool(step.recur_hours)
        hours = step.recur_hours if recurring else step.due_hours
        ticket.steps.append(
            TicketStep(
                position=position,
                kind=step.kind,
                title=step.title,
                guidance=step.guidance,
                role=step.role,
                required=step.required and step.kind is not StepKind.STATUS_UPDATE,
                recur_hours=step.recur_hours,
                due_at=_step_due(ticket, hours),
            )
        )
        position += 1


def _event(
    ticket: Ticket,
    kind: EventKind,
    *,
    actor: User | None,
    now: datetime,
    body: str = "",
    field: str | None = None,
    old: str | None = None,
    new: str | None = None,
) -> TicketEvent:
    return events.record(
        ticket, kind, now=now, actor=actor, body=body, field=field, old=old, new=new
    )


def version_label(version: PlaybookVersion | None) -> str | None:
    if version is None:
        return None
    return f"{version.playbook.name} (v{version.number})"


def attach_version(
    ticket: Ticket, version: PlaybookVersion | None, *, actor: User | None, now: datetime
) -> None:
    """Attach ``version`` to a new ticket (inside the caller's transaction)."""
    if version is None:
        return
    ticket.playbook_version = version
    _copy_steps(ticket, version, start=1, done=[])
    _event(
        ticket,
        EventKind.PLAYBOOK,
        actor=actor,
        now=now,
        field="playbook",
        new=version_label(version),
    )


def attach_best(ticket: Ticket, *, actor: User | None, now: datetime) -> None:
    attach_version(ticket, choose_version(ticket), actor=actor, now=now)


def suggested_switch(ticket: Ticket) -> PlaybookVersion | None:
    """The playbook that fits an open ticket better than its own, if any.

    Offered after the category or cause side changed (or when none was attached).
    """
    if not ticket.is_open:
        return None
    best = choose_version(ticket)
    current = ticket.playbook_version
    if best is None or (current is not None and best.playbook_id == current.playbook_id):
        return None
    return best


def switch_playbook(ticket: Ticket, *, actor: User, version_id: int, now: datetime) -> Ticket:
    """Replace the open steps with those of another playbook; ticked steps stay on record."""
    access.require_work_ticket(actor, ticket)
    version = db.session.get(PlaybookVersion, version_id)
    if version is None or not version.playbook.active:
        raise NotFound(_("That playbook is not available."))
    if ticket.playbook_version_id == version.id:
        raise DomainError(_("The ticket already follows this playbook."))
    with unit_of_work():
        switch_version(ticket, version, actor=actor, now=now)
    return ticket


def switch_version(
    ticket: Ticket, version: PlaybookVersion, *, actor: User | None, now: datetime
) -> None:
    """Swap the open steps for ``version``'s (inside the caller's transaction)."""
    done = [s for s in ticket.steps if s.is_done]
    for step in [s for s in ticket.steps if not s.is_done]:
        ticket.steps.remove(step)
    db.session.flush()  # free the positions before the new steps take them
    old = version_label(ticket.playbook_version)
    ticket.playbook_version = version
    start = max((s.position for s in done), default=0) + 1
    _copy_steps(ticket, version, start=start, done=done)
    _event(
        ticket,
        EventKind.PLAYBOOK,
        actor=actor,
        now=now,
        field="playbook",
        old=old,
        new=version_label(version),
    )


# ----------------------------------------------------------------- the checklist


def _may_tick(actor: User, step: TicketStep) -> bool:
    return actor.role is Role.LEAD or actor.role is step.role


def _get_step(ticket: Ticket, step_id: int) -> TicketStep:
    step = next((s for s in ticket.steps if s.id == step_id), None)
    if step is None:
        raise NotFound(_("No such step on this ticket."))
    return step


def complete_step(
    ticket: Ticket, *, actor: User, step_id: int, now: datetime, note: str = ""
) -> TicketStep:
    """Tick a checklist step. Apologies and explanations are ticked by the reply that gives them."""
    access.require_view_ticket(actor, ticket)
    step = _get_step(ticket, step_id)
    if not _may_tick(actor, step):
        raise PermissionDenied(_("This step is for the %(role)s to do.", role=step.role.value))
    if step.is_done:
        raise DomainError(_("This step is already done."), field="step")
    if not step.kind.by_hand:
        raise DomainError(
            _("This step is done by a reply to the customer: tick it in the reply form."),
            field="step",
        )
    with unit_of_work():
        mark_done(ticket, step, actor=actor, now=now, note=note.strip()[:500])
    return step


def reopen_step(ticket: Ticket, *, actor: User, step_id: int, now: datetime) -> TicketStep:
    access.require_view_ticket(actor, ticket)
    step = _get_step(ticket, step_id)
    if not (actor.role is Role.LEAD or step.done_by_id == actor.id):
        raise PermissionDenied(_("Only whoever ticked this step, or a lead, can reopen it."))
    if not step.is_done:
        raise DomainError(_("This step is still open."), field="step")
    if not ticket.is_open:
        raise InvalidTransition(_("Reopen the ticket first."), field="step")
    with unit_of_work():
        step.done_at, step.done_by_id, step.reply_event_id = None, None, None
        _event(ticket, EventKind.STEP_REOPENED, actor=actor, now=now, body=step.title)
    return step


def mark_done(
    ticket: Ticket,
    step: TicketStep,
    *,
    actor: User | None,
    now: datetime,
    note: str = "",
    reply: TicketEvent | None = None,
    root_cause: RootCause | None = None,
) -> None:
    step.done_at, step.done_by_id = now, actor.id if actor else None
    step.note = note
    if reply is not None:
        step.reply_event = reply
    if root_cause is not None:
        step.root_cause = root_cause
    _event(
        ticket,
        EventKind.STEP_DONE,
        actor=actor,
        now=now,
        body=step.title,
        new=root_cause.value if root_cause else None,
        field="root_cause" if root_cause else None,
    )


def first_open(ticket: Ticket, kind: StepKind) -> TicketStep | None:
    return next((s for s in ticket.steps if s.kind is kind and not s.is_done), None)


def record_reply(
    ticket: Ticket,
    reply: TicketEvent,
    *,
    actor: User,
    now: datetime,
    apology: bool,
    explanation: RootCause | None,
) -> None:
    """What a public reply does to the checklist: apology, explanation, the first open
    answer step (late or not: the customer has their answer), status updates."""
    if apology:
        step = first_open(ticket, StepKind.APOLOGY)
        if step is not None:
            mark_done(ticket, step, actor=actor, now=now, reply=reply)
    if explanation is not None:
        ticket.root_cause = explanation
        step = first_open(ticket, StepKind.EXPLANATION)
        if step is not None:
            mark_done(ticket, step, actor=actor, now=now, reply=reply, root_cause=explanation)
    step = first_open(ticket, StepKind.ANSWER)
    if step is not None:
        mark_done(ticket, step, actor=actor, now=now, reply=reply)
    for step in ticket.steps:
        if step.kind is StepKind.STATUS_UPDATE and not step.is_done and step.recur_hours:
            step.due_at = now + timedelta(hours=step.recur_hours)


# The step a delivered remedy ticks, by the remedy's kind.
DELIVERY_STEPS = {
    RemedyKind.MAKE_WHOLE: StepKind.MAKE_WHOLE,
    RemedyKind.GOODWILL: StepKind.GOODWILL,
}


def record_delivery(
    ticket: Ticket, remedy_kind: RemedyKind, *, actor: User | None, now: datetime
) -> None:
    """What a delivered remedy does to the checklist: a make-whole ticks the first open
    make-whole step, goodwill the first open goodwill step (inside the caller's transaction;
    the ledger calls it)."""
    kind = DELIVERY_STEPS.get(remedy_kind)
    step = first_open(ticket, kind) if kind is not None else None
    if step is not None:
        mark_done(ticket, step, actor=actor, now=now)


def check_can_close(ticket: Ticket) -> None:
    """Resolving needs every required step done; raise naming the first open one."""
    open_steps = [s for s in ticket.steps if s.required and not s.is_done]
    if open_steps:
        raise InvalidTransition(
            _(
                "Complete the required step “%(step)s” before resolving this ticket.",
                step=open_steps[0].title,
            ),
            field="status",
        )


def close_recurring(ticket: Ticket, *, now: datetime) -> None:
    """Regular status updates end when the ticket is resolved."""
    for step in ticket.steps:
        if step.kind is StepKind.STATUS_UPDATE and not step.is_done:
            step.done_at = now


def reopen_recurring(ticket: Ticket, *, now: datetime) -> None:
    """...and start again when it is reopened."""
    for step in ticket.steps:
        if step.kind is StepKind.STATUS_UPDATE and step.recur_hours:
            step.done_at, step.done_by_id = None, None
            step.due_at = now + timedelta(hours=step.recur_hours)


@dataclass
class StepView:
    step: TicketStep
    overdue: bool
    may_tick: bool


def checklist(ticket: Ticket, *, user: User, now: datetime) -> list[StepView]:
    return [
        StepView(
            step=s,
            overdue=s.is_overdue(now) and ticket.is_open,
            may_tick=ticket.is_open and _may_tick(user, s) and access.can_view_ticket(user, ticket),
        )
        for s in ticket.steps
    ]


def overdue_counts(ticket_ids: list[int], *, now: datetime) -> dict[int, int]:
    """Open overdue steps per open ticket, in one query (for the queue).

    The WHERE clause names only the tickets, and the overdue test is inside the count, so
    every database reads the few steps of these tickets by ``ix_ticket_steps_ticket_id``.
    With ``done_at IS NULL AND due_at < now`` in WHERE, SQLite (whose statistics keep no
    histogram) takes ``ix_ticket_steps_open_due`` as the more selective index and reads
    every open step of every ticket: 0.2-0.3 s for one queue page at 100,000 tickets.
    """
    if not ticket_ids:
        return {}
    overdue = sa.and_(TicketStep.done_at.is_(None), TicketStep.due_at < now)
    rows = db.session.execute(
        sa.select(TicketStep.ticket_id, sa.func.count(sa.case((overdue, TicketStep.id))))
        .join(Ticket, Ticket.id == TicketStep.ticket_id)
        .where(TicketStep.ticket_id.in_(ticket_ids), Ticket.status.in_(OPEN_STATUSES))
        .group_by(TicketStep.ticket_id)
    )
    return {ticket_id: count for ticket_id, count in rows if count}
