"""Service-level clocks: which policy a ticket gets, its due times, pauses and the sweep.

Every ``_`` function runs inside the caller's transaction. The clocks run on the policy's
business calendar (or around the clock) and only while the ticket is new or open: waiting
on the customer, resolved and closed stop them. Each stop is kept on the ticket
(``sla_stops``; the one going on starts at ``sla_paused_at``), so it can be measured again
on another calendar when the policy changes. A milestone's *running time* is the open time
from its start (the ticket's arrival; for the next response, the customer's message) to
the moment it is met, minus the open time of the stops in between, exact to the
microsecond. Its due time is the last moment at which no more than its target has run
(``business_time.add_running(..., latest=True)``): met at or before it is on time, later is
a breach, exactly when the running time is over the target. The stored measures are the
running time in minutes, rounded up, so a measure is over its target exactly when the
milestone was breached. A milestone keeps its due time, measure and breach once it is met;
a stop that begins after that (or after the due time) changes nothing for it, and a breach,
once recorded, is never taken back. See docs/rules.md, "Service levels".

``sweep`` looks only at tickets whose ``sla_next_check_at`` has come, marks
milestones at risk (a share of the target used) and breached, writes events and
notifications, and escalates per policy. Each mark is a row in ``sla_events``
under a unique constraint, inserted in a savepoint together with its timeline
event and notifications, so a second sweep at the same moment (or two at once)
adds nothing, and a sweep after downtime catches up without duplicates.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ticketdesk import conditions
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    OPEN_STATUSES,
    BusinessCalendar,
    EventKind,
    NotificationKind,
    Severity,
    SlaEvent,
    SlaMilestone,
    SlaPolicy,
    SlaState,
    Ticket,
    TicketStatus,
    User,
)
from ticketdesk.services import timeline as events
from ticketdesk.services.notifications import notifications
from ticketdesk.services.routing import engine as routing
from ticketdesk.services.sla import business_time

# The clocks run only in these statuses; every other status stops them.
RUNNING_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN)
_MINUTE = timedelta(minutes=1)
SEVERITY_UP = {Severity.P4: Severity.P3, Severity.P3: Severity.P2, Severity.P2: Severity.P1}
MILESTONE_WORDS = {
    SlaMilestone.FIRST_RESPONSE: "first response",
    SlaMilestone.NEXT_RESPONSE: "next response",
    SlaMilestone.REMEDY: "make-whole delivered",
    SlaMilestone.RESOLUTION: "resolution",
}


# ----------------------------------------------------------------- calendars and policies


def calendar_of(policy: SlaPolicy | None) -> business_time.Calendar:
    if policy is None or policy.calendar is None:
        return business_time.Calendar.always()
    cal = policy.calendar
    return business_time.Calendar.from_spec(
        cal.timezone, cal.hours, holidays=[h.day for h in cal.holidays]
    )


def _pick(policies: list[SlaPolicy], ticket_facts: dict) -> SlaPolicy | None:
    return conditions.choose(policies, ticket_facts, conditions_of=lambda p: p.conditions)


def _active_policies() -> list[SlaPolicy]:
    return list(
        db.session.scalars(
            sa.select(SlaPolicy).where(SlaPolicy.active.is_(True)).order_by(SlaPolicy.id)
        )
    )


def choose_policy(ticket: Ticket) -> SlaPolicy | None:
    """The most specific active policy that matches (ties: the narrower, then the oldest);
    else the default. A policy without conditions only applies as the default."""
    return _pick(_active_policies(), conditions.facts(ticket, conditions.SLA_KEYS))


class PolicyBook:
    """The active policies and their calendars, loaded once, for work on many tickets at
    once (bulk data): the same choice and due times as for one ticket, without queries."""

    def __init__(self) -> None:
        self.policies = _active_policies()
        self.calendars = {p.id: calendar_of(p) for p in self.policies}

    def columns(
        self,
        *,
        kind: str,
        severity: str,
        tier: str,
        created_at: datetime,
        first_response_at: datetime | None,
        resolved_at: datetime | None,
        is_open: bool,
        now: datetime,
        marks: list | None = None,
    ) -> dict:
        """The SLA columns of a ticket with these facts (no pauses known).

        Given a list as ``marks``, an open ticket is left as the per-minute sweep would have
        left it by ``now``: ``marks`` gets every at-risk and breach mark that sweep would have
        recorded, as ``(milestone, state, due_at, at)`` in the order of ``at``, and
        ``sla_next_check_at`` is the next moment still to come, so a sweep after a bulk load
        has nothing to catch up. The marks' notifications are not replayed; a ticket whose
        policy escalates by raising its severity or re-routing it is left to the sweep.
        """
        blank = {
            "sla_policy_id": None,
            "first_response_due_at": None,
            "remedy_due_at": None,
            "resolution_due_at": None,
            "first_response_minutes": None,
            "resolution_minutes": None,
            "sla_due_at": None,
            "sla_next_check_at": None,
            "first_response_breached": False,
            "remedy_breached": False,
            "resolution_breached": False,
        }
        policy = _pick(self.policies, {"kinds": kind, "severities": severity, "tiers": tier})
        if policy is None:
            return blank
        cal = self.calendars[policy.id]
        due = {
            name: business_time.add_running(cal, created_at, minutes, latest=True)
            if minutes is not None
            else None
            for name, minutes in (
                ("first_response", policy.first_response_minutes),
                ("remedy", policy.remedy_minutes),
                ("resolution", policy.resolution_minutes),
            )
        }
        met = {"first_response": first_response_at, "remedy": None, "resolution": resolved_at}
        row = {
            **blank,
            "sla_policy_id": policy.id,
            "first_response_due_at": due["first_response"],
            "remedy_due_at": due["remedy"],
            "resolution_due_at": due["resolution"],
        }
        for name in due:
            late = (
                due[name] is not None
                and ((met[name] or (now if is_open else None)) or due[name]) > due[name]
            )
            row[f"{name}_breached"] = bool(late)
        if first_response_at is not None:
            row["first_response_minutes"] = whole_minutes(
                business_time.open_time(cal, created_at, first_response_at)
            )
        if resolved_at is not None:
            row["resolution_minutes"] = whole_minutes(
                business_time.open_time(cal, created_at, resolved_at)
            )
        targets = {
            "first_response": policy.first_response_minutes,
            "remedy": policy.remedy_minutes,
            "resolution": policy.resolution_minutes,
        }
        pending = [n for n in due if due[n] is not None and met[n] is None] if is_open else []
        row["sla_due_at"] = min(due[n] for n in pending) if pending else None
        swept = (
            marks is not None
            and is_open
            and not (
                policy.escalate_reassign
                or (policy.escalate_raise_severity and Severity(severity) in SEVERITY_UP)
            )
        )
        risk = {
            n: business_time.add_minutes(
                cal, created_at, math.ceil(targets[n] * policy.at_risk_percent / 100)
            )
            for n in due
            if due[n] is not None and (n in pending or swept)
        }
        row["sla_next_check_at"] = min(risk[n] for n in pending) if pending else None
        if swept:
            row["sla_next_check_at"] = self._swept(due, risk, met, now, marks)
        return row

    @staticmethod
    def _swept(due: dict, risk: dict, met: dict, now: datetime, marks: list) -> datetime | None:
        """The marks a per-minute sweep made by ``now``, and its next check (``_schedule``)."""
        found, moments = [], []
        for name, due_at in due.items():
            if due_at is None:
                continue
            milestone = SlaMilestone(name)
            at_risk = risk[name] < due_at and _still_pending(risk[name], met[name], now)
            if at_risk:
                found.append((milestone, SlaState.AT_RISK, due_at, risk[name]))
            breached = due_at < met[name] if met[name] is not None else due_at < now
            if breached:
                found.append((milestone, SlaState.BREACHED, due_at, due_at))
            if met[name] is None and not breached:
                moments.append(due_at if at_risk or risk[name] >= due_at else risk[name])
        marks.extend(sorted(found, key=lambda mark: mark[3]))
        return min(moments) if moments else None


def _still_pending(at: datetime, met_at: datetime | None, now: datetime) -> bool:
    """Whether a sweep at ``at`` (by ``now``) found the milestone not met yet."""
    return at < met_at if met_at is not None else at <= now


# ----------------------------------------------------------------- due times


def whole_minutes(running: timedelta) -> int:
    """A running time in whole minutes, rounded up: a begun minute counts."""
    return -(-running // _MINUTE)


def _target(policy: SlaPolicy, milestone: SlaMilestone) -> int | None:
    return {
        SlaMilestone.FIRST_RESPONSE: policy.first_response_minutes,
        SlaMilestone.NEXT_RESPONSE: policy.next_response_minutes,
        SlaMilestone.REMEDY: policy.remedy_minutes,
        SlaMilestone.RESOLUTION: policy.resolution_minutes,
    }[milestone]


def _clock_start(ticket: Ticket, milestone: SlaMilestone) -> datetime | None:
    if milestone is SlaMilestone.NEXT_RESPONSE:
        return ticket.next_response_started_at
    return ticket.created_at


def _due_columns() -> dict[SlaMilestone, str]:
    return {
        SlaMilestone.FIRST_RESPONSE: "first_response_due_at",
        SlaMilestone.NEXT_RESPONSE: "next_response_due_at",
        SlaMilestone.REMEDY: "remedy_due_at",
        SlaMilestone.RESOLUTION: "resolution_due_at",
    }


MEASURE_COLUMNS = {
    SlaMilestone.FIRST_RESPONSE: "first_response_minutes",
    SlaMilestone.RESOLUTION: "resolution_minutes",
}


def _met_at(ticket: Ticket, milestone: SlaMilestone) -> datetime | None:
    if milestone is SlaMilestone.FIRST_RESPONSE:
        return ticket.first_response_at
    if milestone is SlaMilestone.REMEDY:
        return ticket.made_whole_at
    if milestone is SlaMilestone.RESOLUTION:
        return ticket.resolved_at
    return None  # the next response is cleared when it is met


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def stops_of(ticket: Ticket, *, until: datetime | None = None) -> list[business_time.Stop]:
    """The ticket's finished stops; given ``until``, also the stop going on, up to ``until``."""
    stops = [
        (datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in (ticket.sla_stops or ())
    ]
    if until is not None and ticket.sla_paused_at is not None and ticket.sla_paused_at < until:
        stops.append((ticket.sla_paused_at, until))
    return stops


def running_time(
    ticket: Ticket, policy: SlaPolicy, milestone: SlaMilestone, end: datetime
) -> timedelta:
    """How long ``milestone``'s clock ran from its start to ``end`` (stops left out)."""
    start = _clock_start(ticket, milestone)
    if start is None:
        return timedelta(0)
    return business_time.running_time(calendar_of(policy), start, end, stops_of(ticket, until=end))


def _due(
    ticket: Ticket,
    policy: SlaPolicy,
    milestone: SlaMilestone,
    cal,
    *,
    met_at: datetime | None = None,
) -> datetime | None:
    """The last on-time moment of ``milestone``. For a pending one only finished stops count
    (the stop going on is added when it ends); for one met at ``met_at``, the stops before
    ``met_at`` (the one going on included), and none after."""
    start, target = _clock_start(ticket, milestone), _target(policy, milestone)
    if start is None or target is None:
        return None
    if met_at is None:
        stops = stops_of(ticket)
    else:
        stops = [(a, min(b, met_at)) for a, b in stops_of(ticket, until=met_at) if a < met_at]
    return business_time.add_running(cal, start, target, stops, latest=True)


def _settle(ticket: Ticket, policy: SlaPolicy, milestone: SlaMilestone, met_at: datetime) -> None:
    """``milestone`` is met at ``met_at``: fix its due time, its measure and its breach flag
    (which only ever turns on)."""
    target = _target(policy, milestone)
    if target is None:
        return
    cal = calendar_of(policy)
    _set(ticket, _due_columns()[milestone], _due(ticket, policy, milestone, cal, met_at=met_at))
    running = running_time(ticket, policy, milestone, met_at)
    if running > timedelta(minutes=target):
        _set(ticket, f"{milestone.value}_breached", True)
    if milestone in MEASURE_COLUMNS:
        _set(ticket, MEASURE_COLUMNS[milestone], whole_minutes(running))


def _set_due_times(ticket: Ticket, policy: SlaPolicy | None) -> None:
    """Due times of the milestones still pending, on ``policy``'s calendar with every
    finished stop. A met milestone keeps its due time (one met before it had a target under
    this policy gets it now, with its measure and flag)."""
    cal = calendar_of(policy)
    for milestone in (SlaMilestone.FIRST_RESPONSE, SlaMilestone.REMEDY, SlaMilestone.RESOLUTION):
        column, met_at = _due_columns()[milestone], _met_at(ticket, milestone)
        if policy is None or _target(policy, milestone) is None:
            if met_at is None:
                _set(ticket, column, None)
        elif met_at is None:
            _set(ticket, column, _due(ticket, policy, milestone, cal))
        elif getattr(ticket, column) is None:
            _settle(ticket, policy, milestone, met_at)
    if ticket.next_response_started_at is not None:
        due = _due(ticket, policy, SlaMilestone.NEXT_RESPONSE, cal) if policy else None
        _set(ticket, "next_response_due_at", due)
        if due is None:
            _set(ticket, "next_response_started_at", None)
    stopped = sum(
        (
            business_time.open_time(cal, a, b)
            for a, b in business_time.merge_stops(stops_of(ticket))
        ),
        timedelta(0),
    )
    _set(ticket, "sla_paused_minutes", stopped // _MINUTE)


def _risk_at(ticket: Ticket, policy: SlaPolicy, milestone: SlaMilestone) -> datetime | None:
    """When ``milestone`` turns at risk: the policy's share of its target run."""
    start, minutes = _clock_start(ticket, milestone), _target(policy, milestone)
    if start is None or minutes is None:
        return None
    used = math.ceil(minutes * policy.at_risk_percent / 100)
    return business_time.add_running(calendar_of(policy), start, used, stops_of(ticket))


def _pending(ticket: Ticket) -> list[SlaMilestone]:
    """Milestones with a due time that are not met yet."""
    result = []
    for milestone, column in _due_columns().items():
        if getattr(ticket, column) is not None and (
            milestone is SlaMilestone.NEXT_RESPONSE or _met_at(ticket, milestone) is None
        ):
            result.append(milestone)
    return result


def _set(ticket: Ticket, key: str, value) -> None:
    """Assign only what changes, so a ticket is not updated (and its version moved) for nothing."""
    if getattr(ticket, key) != value:
        setattr(ticket, key, value)


def _store(ticket: Ticket, quiet: bool, **values) -> None:
    """Set SLA bookkeeping columns. ``quiet`` (the sweep) writes them with a plain UPDATE
    that leaves the ticket's version and ``updated_at`` alone, so a person editing the
    ticket at that moment gets no false conflict."""
    if not quiet:
        for key, value in values.items():
            _set(ticket, key, value)
        return
    db.session.execute(
        sa.update(Ticket)
        .where(Ticket.id == ticket.id)
        .values(updated_at=Ticket.updated_at, **values)
        .execution_options(synchronize_session=False)
    )
    for key, value in values.items():
        set_committed_value(ticket, key, value)


def _schedule(ticket: Ticket, now: datetime, *, quiet: bool = False) -> None:
    """Set ``sla_due_at`` (the earliest open due time) and ``sla_next_check_at`` (the next
    at-risk or due moment still to look at)."""
    policy = ticket.sla_policy
    if policy is None or ticket.sla_paused_at is not None or ticket.status not in OPEN_STATUSES:
        _store(ticket, quiet, sla_next_check_at=None, sla_due_at=None)
        return
    moments = []
    recorded = _recorded(ticket)
    dues = [getattr(ticket, _due_columns()[m]) for m in _pending(ticket)]
    due_at = min(dues) if dues else None
    for milestone in _pending(ticket):
        due = getattr(ticket, _due_columns()[milestone])
        if (milestone, SlaState.BREACHED, due) in recorded:
            continue
        risk = _risk_at(ticket, policy, milestone)
        if risk is not None and (milestone, SlaState.AT_RISK, due) not in recorded and risk < due:
            moments.append(risk)
        else:
            moments.append(due)
    _store(ticket, quiet, sla_due_at=due_at, sla_next_check_at=min(moments) if moments else None)


def _recorded(ticket: Ticket) -> set[tuple]:
    if ticket.id is None:
        return set()
    return {
        (e.milestone, e.state, e.due_at)
        for e in db.session.scalars(sa.select(SlaEvent).where(SlaEvent.ticket_id == ticket.id))
    }


# ----------------------------------------------------------------- hooks from the ticket services


def start_clocks(ticket: Ticket, *, actor: User | None, now: datetime) -> None:
    """A new ticket: its policy and due times."""
    policy = choose_policy(ticket)
    if policy is not None or ticket.sla_policy_id is not None:
        ticket.sla_policy = policy
    if ticket.sla_paused_minutes is None:
        ticket.sla_paused_minutes = 0
    if ticket.sla_stops is None:
        ticket.sla_stops = []
    _set_due_times(ticket, policy)
    _schedule(ticket, now)
    if policy is not None:
        events.record(
            ticket,
            EventKind.SLA,
            now=now,
            actor=actor,
            field="sla_policy",
            new=policy.name,
            body=_due_summary(ticket),
        )


def _due_summary(ticket: Ticket) -> str:
    parts = []
    if ticket.first_response_due_at:
        parts.append(_("first response by %(at)s", at=_utc(ticket.first_response_due_at)))
    if ticket.remedy_due_at:
        parts.append(_("make-whole by %(at)s", at=_utc(ticket.remedy_due_at)))
    if ticket.resolution_due_at:
        parts.append(_("resolution by %(at)s", at=_utc(ticket.resolution_due_at)))
    return "; ".join(parts)


def _utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def recompute(ticket: Ticket, *, actor: User | None, now: datetime) -> None:
    """Severity or kind changed: the policy may change, and with it the due times of the
    milestones still pending, with every stop measured again on the new calendar."""
    old = ticket.sla_policy
    policy = choose_policy(ticket)
    ticket.sla_policy = policy
    _set_due_times(ticket, policy)
    _schedule(ticket, now)
    events.record(
        ticket,
        EventKind.SLA,
        now=now,
        actor=actor,
        field="sla_policy",
        old=old.name if old else None,
        new=policy.name if policy else None,
        body=_due_summary(ticket),
    )


def responded(ticket: Ticket, *, now: datetime) -> None:
    """A public reply: the first one meets the first response; any one the next response.
    Both are timed with the stops up to the reply, the one going on included."""
    policy = ticket.sla_policy
    if policy is None:
        return
    if ticket.first_response_minutes is None and ticket.first_response_at is not None:
        _settle(ticket, policy, SlaMilestone.FIRST_RESPONSE, ticket.first_response_at)
    if ticket.next_response_due_at is not None:
        target = policy.next_response_minutes
        if target is not None and running_time(
            ticket, policy, SlaMilestone.NEXT_RESPONSE, now
        ) > timedelta(minutes=target):
            ticket.next_response_breached = True
        ticket.next_response_due_at = ticket.next_response_started_at = None
    _schedule(ticket, now)


def customer_wrote(ticket: Ticket, *, now: datetime) -> None:
    """After our first answer, a customer message starts the next-response clock."""
    policy = ticket.sla_policy
    if policy is None or policy.next_response_minutes is None or ticket.first_response_at is None:
        return
    if ticket.next_response_due_at is None:
        ticket.next_response_started_at = now
        ticket.next_response_due_at = _due(
            ticket, policy, SlaMilestone.NEXT_RESPONSE, calendar_of(policy)
        )
    _schedule(ticket, now)


def made_whole(ticket: Ticket, *, now: datetime) -> None:
    policy = ticket.sla_policy
    if policy is not None and ticket.made_whole_at is not None:
        _settle(ticket, policy, SlaMilestone.REMEDY, ticket.made_whole_at)
    _schedule(ticket, now)


def status_changed(ticket: Ticket, old: TicketStatus, *, actor: User | None, now: datetime) -> None:
    """The clocks stop when the ticket leaves new/open (waiting on the customer, resolved,
    closed) and run again when it comes back; a resolution is measured and settled."""
    policy = ticket.sla_policy
    if policy is None:
        return
    new = ticket.status
    was_running, runs = old in RUNNING_STATUSES, new in RUNNING_STATUSES
    if was_running and not runs and ticket.sla_paused_at is None:
        ticket.sla_paused_at = now
        if new is TicketStatus.PENDING_CUSTOMER:
            events.record(
                ticket,
                EventKind.SLA,
                now=now,
                actor=actor,
                field="sla_clock",
                new="paused",
                body=_("Waiting on the customer: the clocks stop."),
            )
    elif runs and not was_running and ticket.sla_paused_at is not None:
        stopped = ticket.sla_paused_at
        paused = business_time.minutes_between(calendar_of(policy), stopped, now)
        ticket.sla_stops = [*(ticket.sla_stops or ()), [_iso(stopped), _iso(now)]]
        ticket.sla_paused_at = None
        _set_due_times(ticket, policy)
        events.record(
            ticket,
            EventKind.SLA,
            now=now,
            actor=actor,
            field="sla_clock",
            new="running",
            body=_(
                "The clocks run again after %(minutes)s paused minutes; %(dues)s",
                minutes=paused,
                dues=_due_summary(ticket),
            ),
        )
    if new is TicketStatus.RESOLVED or (new is TicketStatus.CLOSED and ticket.resolved_at == now):
        _settle(ticket, policy, SlaMilestone.RESOLUTION, ticket.resolved_at or now)
    _schedule(ticket, now)


# ----------------------------------------------------------------- the sweep


@dataclass
class SweepReport:
    checked: int = 0
    at_risk: int = 0
    breached: int = 0

    def __str__(self) -> str:
        return f"checked {self.checked} tickets: {self.at_risk} at risk, {self.breached} breached"


def sweep(*, now: datetime, limit: int = 5000) -> SweepReport:
    """Mark what is at risk or breached now, once; escalate breaches. One transaction."""
    report = SweepReport()
    with unit_of_work():
        tickets = list(
            db.session.scalars(
                sa.select(Ticket)
                .where(
                    Ticket.sla_next_check_at <= now,
                    Ticket.status.in_(OPEN_STATUSES),
                    Ticket.sla_paused_at.is_(None),
                )
                .options(
                    joinedload(Ticket.sla_policy),
                    joinedload(Ticket.assignee),
                    joinedload(Ticket.customer),
                )
                .order_by(Ticket.sla_next_check_at, Ticket.id)
                .limit(limit)
            ).unique()
        )
        for ticket in tickets:
            report.checked += 1
            _sweep_ticket(ticket, now, report)
    return report


def _sweep_ticket(ticket: Ticket, now: datetime, report: SweepReport) -> None:
    policy = ticket.sla_policy
    if policy is None:
        _store(ticket, True, sla_next_check_at=None, sla_due_at=None)
        return
    for milestone in _pending(ticket):
        due = getattr(ticket, _due_columns()[milestone])
        if now > due:
            if _mark(ticket, milestone, SlaState.BREACHED, due, now):
                report.breached += 1
                _store(ticket, True, **{f"{milestone.value}_breached": True})
                _escalate(ticket, policy, milestone, now)
        else:
            risk = _risk_at(ticket, policy, milestone)
            if (
                risk is not None
                and now >= risk
                and _mark(ticket, milestone, SlaState.AT_RISK, due, now)
            ):
                report.at_risk += 1
    _schedule(ticket, now, quiet=True)


def _mark(
    ticket: Ticket, milestone: SlaMilestone, state: SlaState, due: datetime, now: datetime
) -> bool:
    """Record the mark with its event and notifications, unless it is recorded already."""
    try:
        with db.session.begin_nested():
            db.session.add(
                SlaEvent(
                    ticket_id=ticket.id,
                    milestone=milestone,
                    state=state,
                    due_at=due,
                    created_at=now,
                )
            )
            db.session.flush()
            body = mark_text(milestone, state, due)
            events.record(
                ticket,
                EventKind.SLA,
                now=now,
                actor=None,
                field=milestone.value,
                new=state.value,
                body=body,
            )
            _announce(ticket, state, body, now)
    except IntegrityError:
        return False
    return True


def mark_text(milestone: SlaMilestone, state: SlaState, due: datetime) -> str:
    """The timeline text of an at-risk or breach mark."""
    what = MILESTONE_WORDS[milestone]
    if state is SlaState.BREACHED:
        return _("The %(what)s target was missed (due %(at)s).", what=what, at=_utc(due))
    return _("The %(what)s target is close (due %(at)s).", what=what, at=_utc(due))


def _announce(ticket: Ticket, state: SlaState, body: str, now: datetime) -> None:
    kind = (
        NotificationKind.SLA_BREACHED
        if state is SlaState.BREACHED
        else NotificationKind.SLA_AT_RISK
    )
    title = (
        _("Missed its target: %(t)s", t=f"{ticket.reference} · {ticket.subject}")
        if state is SlaState.BREACHED
        else _("Close to its target: %(t)s", t=f"{ticket.reference} · {ticket.subject}")
    )
    if ticket.assignee is not None:
        notifications.notify(
            ticket.assignee, kind, now=now, ticket=ticket, title=lambda: title, body=lambda: body
        )


def _escalate(ticket: Ticket, policy: SlaPolicy, milestone: SlaMilestone, now: datetime) -> None:
    if policy.escalate_notify_lead:
        skip = {ticket.assignee_id}
        for lead in routing.team_leads(ticket.team_id):
            if lead.id not in skip:
                notifications.notify(
                    lead,
                    NotificationKind.SLA_BREACHED,
                    now=now,
                    ticket=ticket,
                    title=lambda: _(
                        "Missed its target: %(t)s", t=f"{ticket.reference} · {ticket.subject}"
                    ),
                    body=lambda: _(
                        "The %(what)s target was missed; please step in.",
                        what=MILESTONE_WORDS[milestone],
                    ),
                )
    if policy.escalate_raise_severity and ticket.severity in SEVERITY_UP:
        old = ticket.severity
        ticket.severity = SEVERITY_UP[old]
        events.record(
            ticket,
            EventKind.FIELD_CHANGE,
            now=now,
            actor=None,
            field="severity",
            old=old.value,
            new=ticket.severity.value,
        )
    if policy.escalate_reassign:
        routing.route(ticket, actor=None, now=now)


# ----------------------------------------------------------------- shipped defaults

OFFICE_HOURS = {str(day): [["09:00", "17:00"]] for day in range(5)}


def seed_defaults(*, now: datetime, timezone: str = "Europe/Berlin") -> int:
    """Office hours and the shipped policies, into a database that has no policy yet."""
    with unit_of_work():
        return add_default_policies(now=now, timezone=timezone)


def add_default_policies(*, now: datetime, timezone: str = "Europe/Berlin") -> int:
    if db.session.scalar(sa.select(sa.func.count(SlaPolicy.id))):
        return 0
    office = db.session.scalar(
        sa.select(BusinessCalendar).where(BusinessCalendar.name == "Office hours")
    )
    if office is None:
        office = BusinessCalendar(
            name="Office hours", timezone=timezone, hours=OFFICE_HOURS, created_at=now
        )
        db.session.add(office)
    policies = [
        SlaPolicy(
            name="Crisis: call back within the hour",
            conditions={"kinds": ["crisis"]},
            calendar=None,
            first_response_minutes=60,
            next_response_minutes=240,
            remedy_minutes=24 * 60,
            resolution_minutes=3 * 24 * 60,
            escalate_notify_lead=True,
            escalate_raise_severity=True,
        ),
        SlaPolicy(
            name="P1 complaints",
            conditions={"severities": ["p1"]},
            calendar=office,
            first_response_minutes=60,
            next_response_minutes=120,
            remedy_minutes=8 * 60,
            resolution_minutes=2 * 8 * 60,
            escalate_notify_lead=True,
        ),
        SlaPolicy(
            name="Strategic accounts",
            conditions={"tiers": ["strategic"]},
            calendar=office,
            first_response_minutes=120,
            next_response_minutes=240,
            remedy_minutes=8 * 60,
            resolution_minutes=3 * 8 * 60,
            escalate_notify_lead=True,
        ),
        SlaPolicy(
            name="Standard",
            is_default=True,
            calendar=office,
            first_response_minutes=4 * 60,
            next_response_minutes=8 * 60,
            remedy_minutes=2 * 8 * 60,
            resolution_minutes=5 * 8 * 60,
            escalate_notify_lead=True,
        ),
    ]
    for policy in policies:
        policy.active = True
        policy.created_at = policy.updated_at = now
        db.session.add(policy)
    return len(policies)


# ----------------------------------------------------------------- reading


@dataclass(frozen=True)
class Clock:
    """What an agent sees: the most urgent open milestone and how it stands."""

    milestone: SlaMilestone | None
    due_at: datetime | None
    state: str  # "ok", "at_risk", "breached", "paused", "met", "none"
    minutes_left: int | None  # wall-clock minutes to the due time (negative: overdue by)


def clock(ticket: Ticket, *, now: datetime) -> Clock:
    policy = ticket.sla_policy
    if policy is None:
        return Clock(None, None, "none", None)
    if ticket.status not in OPEN_STATUSES:
        return Clock(None, None, "met", None)
    if ticket.sla_paused_at is not None:
        return Clock(None, None, "paused", None)
    pending = _pending(ticket)
    if not pending:
        return Clock(None, None, "met", None)
    milestone = min(pending, key=lambda m: getattr(ticket, _due_columns()[m]))
    due = getattr(ticket, _due_columns()[milestone])
    left = math.floor((due - now).total_seconds() / 60)
    if now > due:
        return Clock(milestone, due, "breached", left)
    risk = _risk_at(ticket, policy, milestone)
    state = "at_risk" if risk is not None and now >= risk else "ok"
    return Clock(milestone, due, state, left)


def backfill(ticket: Ticket, *, now: datetime) -> None:
    """Give a ticket that predates the policies its policy, due times and measures.

    Stops in its past are not known, so none are counted; a ticket waiting on the customer
    now is stopped from its last activity, a resolved or closed one from its resolution.
    """
    policy = choose_policy(ticket)
    ticket.sla_policy = policy
    ticket.sla_paused_minutes = 0
    ticket.sla_stops = []
    ticket.sla_paused_at = None
    for column in ("first_response_due_at", "remedy_due_at", "resolution_due_at"):
        setattr(ticket, column, None)
    ticket.first_response_minutes = ticket.resolution_minutes = None
    if policy is not None and ticket.status not in RUNNING_STATUSES:
        ticket.sla_paused_at = (
            ticket.last_activity_at
            if ticket.status is TicketStatus.PENDING_CUSTOMER
            else ticket.resolved_at or ticket.closed_at
        )
    _set_due_times(ticket, policy)
    _schedule(ticket, now)


def backfill_open(*, now: datetime) -> int:
    """Give open tickets that have no policy yet (older than the policies) theirs."""
    with unit_of_work():
        tickets = list(
            db.session.scalars(
                sa.select(Ticket).where(
                    Ticket.sla_policy_id.is_(None), Ticket.status.in_(OPEN_STATUSES)
                )
            )
        )
        for ticket in tickets:
            backfill(ticket, now=now)
    return len(tickets)
