"""The service-level rules of docs/rules.md ("1. Service levels"), one test or table each.

Times are UTC; Berlin is UTC+1 until 29 March 2026 and UTC+2 from then on. The shipped
"Standard" policy runs on Berlin office hours (Monday–Friday 09:00–17:00): first response
4 h, resolution 5 office days (2400 minutes).
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tests import factories
from tests.factories import load
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    BusinessCalendar,
    CalendarHoliday,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    Severity,
    SlaEvent,
    SlaPolicy,
    Ticket,
    TicketStatus,
    User,
)
from ticketdesk.services.ledger import remedies as ledger
from ticketdesk.services.sla import business_time
from ticketdesk.services.sla import clocks as sla
from ticketdesk.services.tickets import conversation, editing, workflow


def at(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def desk(ctx, now):
    sla.seed_defaults(now=now)
    return factories.make_front_desk()


def new_ticket(desk, *, when, severity=Severity.P3) -> Ticket:
    customer = factories.make_customer()
    tid = factories.make_ticket(
        actor_id=desk.lead,
        customer_id=customer,
        severity=severity,
        team_id=desk.team,
        assignee_id=desk.agent,
        now=when,
    )
    return db.session.get(Ticket, tid)


def status(desk, ticket, new, when):
    workflow.change_status(
        ticket, actor=load(User, desk.agent), status=new, expected_version=None, now=when
    )


def reply(desk, ticket, when, after=None):
    conversation.reply(
        ticket,
        actor=load(User, desk.agent),
        body="Here is what we do.",
        expected_version=None,
        now=when,
        status_after=after,
    )


def customer_writes(ticket, when):
    conversation.log_customer_message(ticket, actor=None, body="Any news?", now=when)


def set_severity(desk, ticket, severity, when):
    changes = editing.DetailChanges(
        subject=ticket.subject,
        kind=ticket.kind,
        category_id=ticket.category_id,
        severity=severity,
        order_reference="",
        currency="EUR",
        order_value=None,
        claimed_loss=None,
    )
    editing.update_details(
        ticket, actor=load(User, desk.lead), changes=changes, expected_version=None, now=when
    )


# ------------------------------------------------------------------ audit findings


def test_a_first_reply_while_waiting_is_timed_with_the_clock_stopped(desk):
    """Logged Monday 09:00 Berlin, waiting from 10:00, answered Tuesday 12:00 while still
    waiting: the clock ran one hour, so 60 minutes, within the 4-hour target."""
    ticket = new_ticket(desk, when=at(3, 2, 8))
    status(desk, ticket, TicketStatus.PENDING_CUSTOMER, at(3, 2, 9))
    reply(desk, ticket, at(3, 3, 11))
    assert ticket.status is TicketStatus.PENDING_CUSTOMER
    assert ticket.first_response_minutes == 60
    assert not ticket.first_response_breached
    # Had the clock run on at the reply, 180 minutes were left: due Tuesday 15:00 Berlin.
    assert ticket.first_response_due_at == at(3, 3, 14)
    assert ledger.goodwill_required(ticket) is None  # no goodwill made mandatory


def test_a_policy_with_another_calendar_measures_the_stops_again(desk):
    """A P1 ticket on a 24/7 policy waits over the weekend, then becomes P4 (office hours):
    the weekend is no office time, so it pushes nothing and takes nothing off the measures."""
    with unit_of_work():
        for policy in db.session.query(SlaPolicy).filter(SlaPolicy.name == "P1 complaints"):
            policy.active = False
        db.session.add(
            SlaPolicy(
                name="P1 around the clock",
                conditions={"severities": ["p1"]},
                calendar=None,
                first_response_minutes=60,
                resolution_minutes=8 * 60,
                active=True,
            )
        )
    ticket = new_ticket(desk, when=at(3, 6, 15), severity=Severity.P1)  # Friday 16:00 Berlin
    assert ticket.sla_policy.name == "P1 around the clock"
    status(desk, ticket, TicketStatus.PENDING_CUSTOMER, at(3, 6, 16))  # Friday 17:00
    customer_writes(ticket, at(3, 9, 8))  # Monday 09:00
    set_severity(desk, ticket, Severity.P4, at(3, 9, 8))
    assert ticket.sla_policy.name == "Standard"
    assert ticket.sla_paused_minutes == 0  # no office time that weekend
    # 60 office minutes on Friday, 180 on Monday.
    assert ticket.first_response_due_at == at(3, 9, 11)
    # 2400 office minutes: Friday 60, Monday to Thursday 4 x 480, Friday 13 March 420.
    assert ticket.resolution_due_at == at(3, 13, 15)
    reply(desk, ticket, at(3, 9, 9))
    status(desk, ticket, TicketStatus.RESOLVED, at(3, 9, 10))
    assert (ticket.first_response_minutes, ticket.resolution_minutes) == (120, 180)
    assert not ticket.first_response_breached and not ticket.resolution_breached


# ------------------------------------------------------------------ stops after a milestone


def test_a_pause_after_the_first_response_stops_only_the_clocks_still_running(desk):
    ticket = new_ticket(desk, when=at(3, 2, 8))  # Monday 09:00 Berlin
    reply(desk, ticket, at(3, 2, 9))  # first response: 60 minutes
    first_due, resolution_due = ticket.first_response_due_at, ticket.resolution_due_at
    reply(desk, ticket, at(3, 2, 10), after=TicketStatus.PENDING_CUSTOMER)
    customer_writes(ticket, at(3, 3, 10))  # a whole office day later
    assert ticket.first_response_minutes == 60 and ticket.first_response_due_at == first_due
    assert ticket.resolution_due_at == resolution_due + timedelta(days=1)


def test_a_pause_after_a_breach_takes_nothing_back(desk):
    ticket = new_ticket(desk, when=at(3, 2, 8))  # first response due 12:00 UTC
    due = ticket.first_response_due_at
    assert sla.sweep(now=at(3, 2, 12, 1)).breached == 1
    status(desk, ticket, TicketStatus.PENDING_CUSTOMER, at(3, 2, 13))
    customer_writes(ticket, at(3, 3, 13))
    assert ticket.first_response_due_at == due  # the stop came after it
    reply(desk, ticket, at(3, 3, 13, 30))
    # Monday 09:00-14:00 Berlin ran (300), Tuesday 14:00-14:30 (30); the stop is left out.
    assert ticket.first_response_minutes == 330 and ticket.first_response_breached
    assert sla.sweep(now=at(3, 20, 12)).checked >= 1
    assert db.session.query(SlaEvent).filter_by(ticket_id=ticket.id, due_at=due).count() == 1


# ------------------------------------------------------------------ sub-minute stops


@pytest.mark.parametrize(
    ("stops", "seconds_stopped"),
    [
        ([(0, 20)], 20),  # one 20-second pause
        ([(60 * k, 60 * k + 20) for k in range(6)], 120),  # six of them: two minutes
        ([(0, 59)], 59),
        ([(0, 90), (30, 120)], 120),  # overlapping: counted once
    ],
)
def test_short_stops_count_to_the_second(stops, seconds_stopped):
    cal = sla.calendar_of(None)
    start = at(3, 2, 9)
    moments = [(start + timedelta(seconds=a), start + timedelta(seconds=b)) for a, b in stops]
    due = business_time.add_running(cal, start, 60, moments)
    assert due == start + timedelta(minutes=60, seconds=seconds_stopped)
    ran = business_time.running_time(cal, start, due, moments)
    assert ran == timedelta(minutes=60)


@pytest.mark.parametrize(
    ("ran", "stored"),
    [
        (timedelta(0), 0),
        (timedelta(seconds=1), 1),
        (timedelta(seconds=60), 1),
        (timedelta(seconds=61), 2),
        (timedelta(minutes=240), 240),
        (timedelta(minutes=240, microseconds=1), 241),
    ],
)
def test_measures_round_up_to_whole_minutes(ran, stored):
    assert sla.whole_minutes(ran) == stored


def test_a_twenty_second_pause_moves_the_due_time_twenty_seconds(desk):
    ticket = new_ticket(desk, when=at(3, 2, 8))
    due = ticket.resolution_due_at
    status(desk, ticket, TicketStatus.PENDING_CUSTOMER, at(3, 2, 9))
    customer_writes(ticket, at(3, 2, 9, 0, 20))
    assert ticket.resolution_due_at == due + timedelta(seconds=20)
    reply(desk, ticket, at(3, 2, 12, 0, 10))  # 4 h - 20 s + 10 s: on time
    assert ticket.first_response_minutes == 240 and not ticket.first_response_breached


def test_a_reply_one_second_late_is_a_breach_and_measures_over_the_target(desk):
    ticket = new_ticket(desk, when=at(3, 2, 8))
    reply(desk, ticket, at(3, 2, 12, 0, 1))
    assert ticket.first_response_minutes == 241 and ticket.first_response_breached


# ------------------------------------------------------------------ resolved time


def test_time_spent_resolved_does_not_count_after_reopening(desk):
    ticket = new_ticket(desk, when=at(3, 2, 8))  # Monday 09:00 Berlin
    reply(desk, ticket, at(3, 2, 9))
    due = ticket.resolution_due_at
    status(desk, ticket, TicketStatus.RESOLVED, at(3, 2, 10))
    assert ticket.resolution_minutes == 120
    customer_writes(ticket, at(3, 4, 10))  # reopened two office days on
    assert ticket.status is TicketStatus.OPEN
    assert ticket.resolution_due_at == due + timedelta(days=2)
    status(desk, ticket, TicketStatus.RESOLVED, at(3, 4, 11))
    assert ticket.resolution_minutes == 180 and not ticket.resolution_breached


def test_a_late_resolution_stays_breached_after_reopening(desk):
    ticket = new_ticket(desk, when=at(3, 2, 8))
    reply(desk, ticket, at(3, 2, 9))
    assert sla.sweep(now=at(3, 9, 9)).breached >= 1  # 2400 office minutes passed
    assert ticket.resolution_breached
    ledger.propose_remedy(
        ticket,
        actor=load(User, desk.agent),
        now=at(3, 9, 9),
        draft=ledger.RemedyDraft(
            kind=RemedyKind.GOODWILL,
            form=RemedyForm.COUPON,
            description="Voucher for the wait",
            cost=Decimal("10.00"),
            reason=RemedyReason.SLA_MISSED,
        ),
    )
    status(desk, ticket, TicketStatus.RESOLVED, at(3, 9, 10))
    customer_writes(ticket, at(3, 10, 10))
    assert ticket.resolution_breached


# ------------------------------------------------------------------ calendar edges


@pytest.fixture
def berlin(ctx):
    return business_time.Calendar.from_spec(
        "Europe/Berlin",
        {str(d): [["09:00", "17:00"]] for d in range(5)},
        holidays=["2026-04-03", "2026-04-06"],
    )


@pytest.mark.parametrize(
    ("start", "minutes", "stops", "due"),
    [
        # The count runs out at closing: due at the next opening (nothing is late while closed).
        (at(3, 2, 8), 480, [], at(3, 3, 8)),
        # Friday closing: due Monday 09:00.
        (at(3, 6, 8), 480, [], at(3, 9, 8)),
        # Logged before opening: the clock starts at 09:00.
        (at(3, 2, 6), 60, [], at(3, 2, 9)),
        # Logged exactly at closing: the first open minute is next morning.
        (at(3, 2, 16), 60, [], at(3, 3, 9)),
        # Closing on Thursday 2 April; Good Friday and Easter Monday are holidays: Tuesday
        # 7 April 09:00 (CEST, UTC+2).
        (at(4, 2, 7), 480, [], at(4, 7, 7)),
        # Across the spring change (29 March): 09:00 Berlin is 08:00 UTC before, 07:00 after.
        (at(3, 27, 15), 120, [], at(3, 30, 8)),
        # Across the autumn change (25 October): 09:00 Berlin is 07:00 UTC before, 08:00 after.
        (at(10, 23, 14), 120, [], at(10, 26, 9)),
        # A stop ending exactly at opening time changes nothing.
        (at(3, 2, 8), 60, [(at(3, 1, 20), at(3, 2, 8))], at(3, 2, 9)),
        # The count runs out exactly where a stop begins: due when the clock runs again.
        (at(3, 2, 8), 60, [(at(3, 2, 9), at(3, 2, 10))], at(3, 2, 10)),
        # A stop that never ends before the count runs out: no due time yet.
        (at(3, 2, 8), 60, [(at(3, 2, 8, 30), None)], None),
    ],
)
def test_due_times_at_calendar_edges(berlin, start, minutes, stops, due):
    assert business_time.add_running(berlin, start, minutes, stops, latest=True) == due
    if due is not None:
        assert business_time.running_time(berlin, start, due, stops) == timedelta(minutes=minutes)
        # ... and any moment later is over the target.
        assert business_time.running_time(
            berlin, start, due + timedelta(microseconds=1), stops
        ) > timedelta(minutes=minutes)


def test_a_holiday_added_to_the_calendar_applies_to_new_tickets(desk):
    with unit_of_work():
        office = db.session.query(BusinessCalendar).one()
        office.holidays.append(CalendarHoliday(day=date(2026, 3, 3), name="Closed"))
    ticket = new_ticket(desk, when=at(3, 2, 15))  # Monday 16:00 Berlin
    assert ticket.first_response_due_at == at(3, 4, 11)  # Wednesday 12:00 Berlin


@pytest.mark.parametrize(
    ("day", "open_minutes"),
    [
        (date(2026, 3, 22), 180),  # an ordinary Sunday: 01:00-04:00 is three hours
        (date(2026, 3, 29), 120),  # spring forward: 02:00-03:00 does not exist
        (date(2026, 10, 25), 240),  # fall back: 02:00-03:00 happens twice
    ],
)
def test_open_time_is_real_elapsed_time_across_dst(day, open_minutes):
    night = business_time.Calendar.from_spec("Europe/Berlin", {"6": [["01:00", "04:00"]]})
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=3)
    end = start + timedelta(hours=12)
    assert business_time.open_time(night, start, end) == timedelta(minutes=open_minutes)


@pytest.mark.parametrize(
    ("percent", "used"),
    [
        (75, 180),
        (50, 120),
        (33, 80),
        (99, 238),
        (1, 3),
    ],
)
def test_at_risk_share_rounds_up(desk, percent, used):
    """At risk once ceil(target x share) minutes have run (4-hour target, office hours)."""
    with unit_of_work():
        db.session.query(SlaPolicy).filter_by(name="Standard").one().at_risk_percent = percent
    ticket = new_ticket(desk, when=at(3, 2, 8))  # Monday 09:00 Berlin
    risk = at(3, 2, 8) + timedelta(minutes=used)
    assert sla.clock(ticket, now=risk - timedelta(seconds=1)).state == "ok"
    assert sla.clock(ticket, now=risk).state == "at_risk"
    assert sla.sweep(now=risk).at_risk == 1


@pytest.mark.parametrize("stop", [timedelta(seconds=30), timedelta(minutes=60), timedelta(days=1)])
def test_a_warning_is_given_once_per_due_time(desk, stop):
    """At risk at 12:00 Berlin (11:00 UTC); a stop then moves the due time, and the sweep warns
    again once the share of the target has run against the new due time."""
    ticket = new_ticket(desk, when=at(3, 2, 8))
    assert sla.sweep(now=at(3, 2, 11)).at_risk == 1
    assert sla.sweep(now=at(3, 2, 11, 0, 30)).at_risk == 0
    first_due = ticket.first_response_due_at
    status(desk, ticket, TicketStatus.PENDING_CUSTOMER, at(3, 2, 11, 1))
    customer_writes(ticket, at(3, 2, 11, 1) + stop)
    moved = ticket.first_response_due_at
    assert moved - first_due == (stop if stop < timedelta(hours=5) else timedelta(days=1))
    assert ticket.sla_next_check_at <= at(3, 2, 11, 1) + stop  # the new warning is due
    assert sla.sweep(now=at(3, 2, 11, 1) + stop).at_risk == 1
    dues = [e.due_at for e in db.session.query(SlaEvent).filter_by(ticket_id=ticket.id)]
    assert dues == [first_due, moved]


@pytest.mark.parametrize(
    ("edit", "moved"),
    [
        ("target", timedelta(minutes=60)),  # first response 4 h -> 5 h
        ("holiday", timedelta(days=1)),  # Tuesday becomes a holiday
        (None, timedelta(0)),
    ],
)
def test_an_edited_policy_or_calendar_applies_when_due_times_are_next_worked_out(desk, edit, moved):
    ticket = new_ticket(desk, when=at(3, 2, 15))  # Monday 16:00 Berlin
    due = ticket.first_response_due_at  # Tuesday 12:00 Berlin
    with unit_of_work():
        policy = db.session.query(SlaPolicy).filter_by(name="Standard").one()
        if edit == "target":
            policy.first_response_minutes = 300
        elif edit == "holiday":
            policy.calendar.holidays.append(CalendarHoliday(day=date(2026, 3, 3)))
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.first_response_due_at == due  # nothing changes at once
    status(desk, ticket, TicketStatus.PENDING_CUSTOMER, at(3, 2, 15, 30))
    customer_writes(ticket, at(3, 2, 15, 30))  # a stop of no time ends
    assert ticket.first_response_due_at == due + moved
