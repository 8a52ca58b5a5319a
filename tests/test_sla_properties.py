"""Stored SLA measures against an independent re-computation, minute by minute.

Random short histories (replies, waiting on the customer, customer messages, resolving,
reopening, severity changes onto a policy with another calendar, sweeps) run through the
real ticket services on a Berlin calendar whose Sunday hours cross both daylight-saving
changes. A plain model then walks the UTC minutes one by one: a minute counts for a clock
when the ticket is new or open during it and the policy's calendar is open at its start
(read on Berlin wall time with zoneinfo, not through business_time), and compares what it
finds with what the services stored.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from ticketdesk.core.errors import DomainError
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    BusinessCalendar,
    Severity,
    SlaPolicy,
    Ticket,
    TicketStatus,
    User,
)
from ticketdesk.services.sla import clocks as sla
from ticketdesk.services.tickets import conversation, editing, workflow

BERLIN = ZoneInfo("Europe/Berlin")
MINUTE = timedelta(minutes=1)
# Weekday -> local opening hours; Sunday 01:00-04:00 holds both DST changes.
HOURS = {
    0: [("09:00", "12:30"), ("13:30", "17:00")],
    1: [("09:00", "12:30"), ("13:30", "17:00")],
    2: [("09:00", "12:30"), ("13:30", "17:00")],
    3: [("09:00", "12:30"), ("13:30", "17:00")],
    4: [("09:00", "12:30"), ("13:30", "17:00")],
    5: [("10:00", "14:00")],
    6: [("01:00", "04:00")],
}
HOLIDAYS = {date(2026, 3, 31), date(2026, 10, 27)}
# Targets that end exactly at a closing (09:00 + 210 = 12:30, a whole day = 420), so the
# histories, whose times are often whole half hours from an opening, hit the edges.
OFFICE = {"fr": 210, "nr": 45, "res": 420}  # default policy, Berlin calendar
ALWAYS = {"fr": 60, "nr": 30, "res": 300}  # P1 policy, around the clock
RUNNING = (TicketStatus.NEW, TicketStatus.OPEN)
ANCHORS = (
    datetime(2026, 3, 27, 8, tzinfo=UTC),  # Friday 09:00 before the spring change
    datetime(2026, 3, 28, 9, tzinfo=UTC),  # Saturday 10:00, the night before it
    datetime(2026, 10, 23, 7, tzinfo=UTC),  # Friday 09:00 before the autumn change
    datetime(2026, 10, 24, 8, tzinfo=UTC),  # Saturday 10:00, the night before it
    datetime(2026, 3, 2, 8, tzinfo=UTC),
)  # Monday 09:00 of an ordinary week


def _t(text: str) -> time:
    return time.fromisoformat(text)


def office_open(moment: datetime) -> bool:
    local = moment.astimezone(BERLIN)
    if local.date() in HOLIDAYS:
        return False
    return any(_t(a) <= local.time() < _t(b) for a, b in HOURS[local.weekday()])


@pytest.fixture
def desk(ctx, now):
    with unit_of_work():
        cal = BusinessCalendar(
            name="Berlin test",
            timezone="Europe/Berlin",
            hours={str(d): [list(iv) for iv in ivs] for d, ivs in HOURS.items()},
            created_at=now,
        )
        from ticketdesk.models import CalendarHoliday

        cal.holidays = [CalendarHoliday(day=d) for d in sorted(HOLIDAYS)]
        db.session.add(cal)
        for name, spec, calendar, extra in (
            ("Office", OFFICE, cal, {"is_default": True}),
            ("P1 24/7", ALWAYS, None, {"conditions": {"severities": ["p1"]}}),
        ):
            db.session.add(
                SlaPolicy(
                    name=name,
                    calendar=calendar,
                    first_response_minutes=spec["fr"],
                    next_response_minutes=spec["nr"],
                    resolution_minutes=spec["res"],
                    remedy_minutes=None,
                    at_risk_percent=75,
                    escalate_notify_lead=False,
                    escalate_raise_severity=False,
                    escalate_reassign=False,
                    active=True,
                    created_at=now,
                    updated_at=now,
                    **extra,
                )
            )
    return factories.make_front_desk()


ACTIONS = ("reply", "reply_wait", "wait", "open", "customer", "resolve", "sweep", "p1", "p3")
# Minutes: any, or whole half hours (which meet openings, closings and targets exactly).
minutes = st.one_of(st.integers(1, 900), st.integers(1, 30).map(lambda n: 30 * n))
histories = st.tuples(
    st.sampled_from(ANCHORS),
    st.one_of(st.just(0), minutes),
    st.sampled_from((Severity.P1, Severity.P3)),
    st.lists(st.tuples(minutes, st.sampled_from(ACTIONS)), max_size=9),
)


class Model:
    """What happened, as observed after each successful action, and the re-computation."""

    def __init__(self, created: datetime, severity: Severity):
        self.created = created
        self.changes = [(created, TicketStatus.NEW, severity)]  # (at, status, severity)
        self.replies: list[datetime] = []
        self.customer: list[datetime] = []
        self.sweeps: list[datetime] = []
        self.resolves: list[datetime] = []

    def state(self, moment: datetime) -> tuple[TicketStatus, Severity]:
        current = self.changes[0]
        for change in self.changes:
            if change[0] <= moment:
                current = change
        return current[1], current[2]

    def spec(self, moment: datetime) -> dict:
        return ALWAYS if self.state(moment)[1] is Severity.P1 else OFFICE

    @staticmethod
    def opener(spec: dict):
        return (lambda m: True) if spec is ALWAYS else office_open

    def runs(self, moment: datetime, is_open, *, after: datetime | None = None) -> bool:
        """Does the clock run in the minute from ``moment``? After ``after`` the status no
        longer matters (the clock is taken to run on)."""
        if not is_open(moment):
            return False
        return (after is not None and moment >= after) or self.state(moment)[0] in RUNNING

    def count(self, start: datetime, end: datetime, is_open) -> int:
        n, m = 0, start
        while m < end:
            n += self.runs(m, is_open)
            m += MINUTE
        return n

    def due(self, start: datetime, target: int, is_open, *, after: datetime) -> datetime:
        """Start of the first running minute after ``target`` minutes have run."""
        n, m = 0, start
        while True:
            if self.runs(m, is_open, after=after):
                if n == target:
                    return m
                n += 1
            m += MINUTE


def _act(desk, ticket: Ticket, model: Model, action: str, at: datetime) -> None:
    agent = db.session.get(User, desk.agent)
    if action == "sweep":
        sla.sweep(now=at)
        model.sweeps.append(at)
        return
    try:
        if action in ("reply", "reply_wait"):
            conversation.reply(
                ticket,
                actor=agent,
                body="Our answer.",
                expected_version=None,
                now=at,
                status_after=TicketStatus.PENDING_CUSTOMER if action == "reply_wait" else None,
            )
            model.replies.append(at)
        elif action == "customer":
            conversation.log_customer_message(ticket, actor=None, body="And?", now=at)
            model.customer.append(at)
        elif action in ("p1", "p3"):
            editing.update_details(
                ticket,
                actor=db.session.get(User, desk.lead),
                expected_version=None,
                now=at,
                changes=editing.DetailChanges(
                    subject=ticket.subject,
                    kind=ticket.kind,
                    category_id=ticket.category_id,
                    severity=Severity(action),
                    order_reference="",
                    currency="EUR",
                    order_value=None,
                    claimed_loss=None,
                ),
            )
        else:
            target = {
                "wait": TicketStatus.PENDING_CUSTOMER,
                "open": TicketStatus.OPEN,
                "resolve": TicketStatus.RESOLVED,
            }[action]
            workflow.change_status(
                ticket, actor=agent, status=target, expected_version=None, now=at
            )
            if target is TicketStatus.RESOLVED:
                model.resolves.append(at)
    except DomainError:
        db.session.rollback()
        return
    model.changes.append((at, ticket.status, ticket.severity))


def _breached_by_sweep(model: Model, key: str, start_of, pending_at) -> bool:
    for s in model.sweeps:
        if model.state(s)[0] not in RUNNING or not pending_at(s):
            continue
        spec = model.spec(s)
        if model.count(start_of(s), s, Model.opener(spec)) > spec[key]:
            return True
    return False


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories)
def test_stored_measures_match_a_minute_by_minute_recount(desk, history):
    anchor, offset, severity, steps = history
    created = anchor + timedelta(minutes=offset)
    customer = factories.make_customer()
    tid = factories.make_ticket(
        actor_id=desk.lead,
        customer_id=customer,
        severity=severity,
        team_id=desk.team,
        assignee_id=desk.agent,
        now=created,
    )
    ticket = db.session.get(Ticket, tid)
    model = Model(created, severity)
    at = created
    for gap, action in steps:
        at += timedelta(minutes=gap)
        _act(desk, ticket, model, action, at)
    db.session.expire_all()
    ticket = db.session.get(Ticket, tid)
    end = at
    final_status = model.state(end)[0]

    # First response: measured at the first reply, on the policy in force then.
    first = model.replies[0] if model.replies else None
    late = False
    if first is not None:
        spec = model.spec(first)
        minutes = model.count(created, first, Model.opener(spec))
        assert ticket.first_response_minutes == minutes
        late = minutes > spec["fr"]
        assert ticket.first_response_due_at == model.due(
            created, spec["fr"], Model.opener(spec), after=first
        )
    else:
        assert ticket.first_response_minutes is None
    late = late or _breached_by_sweep(
        model, "fr", lambda s: created, lambda s: first is None or s < first
    )
    assert ticket.first_response_breached == late

    # Resolution: measured at each resolution; the last one is stored; a breach stays.
    if model.resolves:
        last = model.resolves[-1]
        spec = model.spec(last)
        assert ticket.resolution_minutes == model.count(created, last, Model.opener(spec))
    late = any(
        model.count(created, r, Model.opener(model.spec(r))) > model.spec(r)["res"]
        for r in model.resolves
    )
    late = late or _breached_by_sweep(model, "res", lambda s: created, lambda s: True)
    assert ticket.resolution_breached == late

    # Next response: from a customer message after our first reply to our next reply.
    periods, started = [], None
    for moment in sorted(model.customer + model.replies):
        if moment in model.replies:
            if started is not None:
                periods.append((started, moment))
            started = None
        elif first is not None and first < moment and started is None:
            started = moment
    late = any(
        model.count(a, b, Model.opener(model.spec(b))) > model.spec(b)["nr"] for a, b in periods
    )
    windows = periods + ([(started, None)] if started is not None else [])
    for a, b in windows:
        late = late or _breached_by_sweep(
            model, "nr", lambda s, a=a: a, lambda s, a=a, b=b: a <= s and (b is None or s < b)
        )
    assert ticket.next_response_breached == late

    # Due times of the clocks still running at the end, on the policy in force then.
    if final_status in RUNNING:
        spec = model.spec(end)
        is_open = Model.opener(spec)
        if first is None:
            assert ticket.first_response_due_at == model.due(
                created, spec["fr"], is_open, after=end
            )
        assert ticket.resolution_due_at == model.due(created, spec["res"], is_open, after=end)
        if started is not None:
            assert ticket.next_response_due_at == model.due(started, spec["nr"], is_open, after=end)
        else:
            assert ticket.next_response_due_at is None
        assert ticket.sla_paused_at is None
    else:
        assert ticket.sla_paused_at is not None
