"""SLA clocks without HTTP: policy choice, due times on office hours, pauses, recorded
measures, and the sweep (at risk, breached, escalation, idempotence, catching up)."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tests import factories
from tests.factories import load
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    CustomerTier,
    EventKind,
    Notification,
    NotificationKind,
    Severity,
    SlaEvent,
    SlaMilestone,
    SlaPolicy,
    SlaState,
    Ticket,
    TicketKind,
    TicketStatus,
    User,
)
from ticketdesk.services.sla import clocks as sla
from ticketdesk.services.tickets import conversation, editing, workflow


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in March 2026, UTC (Berlin is UTC+1 until 29 March)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def desk(ctx, now):
    assert sla.seed_defaults(now=now) == 4
    assert sla.seed_defaults(now=now) == 0
    return factories.make_front_desk()


def new_ticket(
    desk, *, when, kind=TicketKind.COMPLAINT, severity=Severity.P3, tier=CustomerTier.STANDARD
) -> Ticket:
    customer = factories.make_customer(tier=tier)
    tid = factories.make_ticket(
        actor_id=desk.lead,
        customer_id=customer,
        kind=kind,
        severity=severity,
        team_id=desk.team,
        assignee_id=desk.agent,
        now=when,
    )
    return db.session.get(Ticket, tid)


def marks(ticket) -> list[tuple]:
    return [
        (e.milestone, e.state)
        for e in db.session.scalars(
            sa.select(SlaEvent).where(SlaEvent.ticket_id == ticket.id).order_by(SlaEvent.id)
        )
    ]


def test_policy_choice_most_specific_first(desk):
    monday = at(2, 9)
    assert new_ticket(desk, when=monday, kind=TicketKind.CRISIS).sla_policy.name.startswith(
        "Crisis"
    )
    assert new_ticket(desk, when=monday, severity=Severity.P1).sla_policy.name == "P1 complaints"
    assert (
        new_ticket(desk, when=monday, tier=CustomerTier.STRATEGIC).sla_policy.name
        == "Strategic accounts"
    )
    assert new_ticket(desk, when=monday).sla_policy.name == "Standard"
    with unit_of_work():
        db.session.add(
            SlaPolicy(
                name="Strategic P1",
                conditions={"tiers": ["strategic"], "severities": ["p1"]},
                first_response_minutes=30,
                resolution_minutes=240,
            )
        )
    ticket = new_ticket(desk, when=monday, severity=Severity.P1, tier=CustomerTier.STRATEGIC)
    assert ticket.sla_policy.name == "Strategic P1"


def test_due_times_follow_office_hours_and_crises_run_around_the_clock(desk):
    # Friday 15:30 Berlin (14:30 UTC): 4 office hours = 1.5 h Friday + 2.5 h Monday.
    friday = new_ticket(desk, when=at(6, 14, 30))
    assert friday.first_response_due_at == at(9, 10, 30)  # Monday 11:30 Berlin
    assert friday.resolution_due_at == at(13, 14, 30)  # five office days later
    crisis = new_ticket(desk, when=at(6, 22, 0), kind=TicketKind.CRISIS)
    assert crisis.first_response_due_at == at(6, 23, 0)  # 24/7: one hour
    (event,) = [e for e in friday.events if e.kind is EventKind.SLA]
    assert event.new_value == "Standard" and "first response by" in event.body


def test_first_response_and_resolution_are_measured_in_open_minutes(desk):
    ticket = new_ticket(desk, when=at(2, 9))  # Monday 10:00 Berlin
    conversation.reply(
        ticket, actor=load(User, desk.agent), body="On it.", expected_version=None, now=at(2, 11)
    )
    assert ticket.first_response_minutes == 120 and not ticket.first_response_breached
    workflow.change_status(
        ticket,
        actor=load(User, desk.agent),
        status=TicketStatus.RESOLVED,
        expected_version=None,
        now=at(3, 9),
    )
    # Monday 10:00–17:00 (420) + Tuesday 09:00–10:00 (60) Berlin.
    assert ticket.resolution_minutes == 480 and not ticket.resolution_breached


def test_late_first_response_is_flagged(desk):
    ticket = new_ticket(desk, when=at(2, 9))
    conversation.reply(
        ticket,
        actor=load(User, desk.agent),
        body="Sorry for the wait.",
        expected_version=None,
        now=at(2, 15),
    )
    assert ticket.first_response_minutes == 360 and ticket.first_response_breached


def test_waiting_on_the_customer_pauses_the_clocks(desk):
    ticket = new_ticket(desk, when=at(2, 9))
    first_due = ticket.resolution_due_at
    conversation.reply(
        ticket,
        actor=load(User, desk.agent),
        body="Which size?",
        expected_version=None,
        now=at(2, 10),
        status_after=TicketStatus.PENDING_CUSTOMER,
    )
    assert ticket.sla_paused_at == at(2, 10) and ticket.sla_next_check_at is None
    conversation.log_customer_message(ticket, actor=None, body="Size 42.", now=at(3, 10))
    # Paused Monday 11:00–17:00 (360) and Tuesday 09:00–11:00 (120) Berlin.
    assert ticket.sla_paused_minutes == 480 and ticket.sla_paused_at is None
    assert ticket.resolution_due_at == first_due + timedelta(days=1)  # one office day later
    bodies = [e.body for e in ticket.events if e.kind is EventKind.SLA]
    assert any("480 paused minutes" in b for b in bodies)


def test_next_response_clock_after_a_customer_message(desk):
    ticket = new_ticket(desk, when=at(2, 9))
    conversation.reply(
        ticket, actor=load(User, desk.agent), body="Hello", expected_version=None, now=at(2, 9, 30)
    )
    assert ticket.next_response_due_at is None
    conversation.log_customer_message(ticket, actor=None, body="Any news?", now=at(2, 12))
    assert ticket.next_response_due_at == at(3, 12)  # 8 office hours
    conversation.reply(
        ticket, actor=load(User, desk.agent), body="Tomorrow.", expected_version=None, now=at(2, 13)
    )
    assert ticket.next_response_due_at is None and not ticket.next_response_breached


def test_severity_change_recomputes_the_due_times(desk):
    ticket = new_ticket(desk, when=at(2, 9))
    assert ticket.first_response_due_at == at(2, 13)
    changes = editing.DetailChanges(
        subject=ticket.subject,
        kind=ticket.kind,
        category_id=ticket.category_id,
        severity=Severity.P1,
        order_reference="",
        currency="EUR",
        order_value=None,
        claimed_loss=None,
    )
    editing.update_details(
        ticket,
        actor=load(User, desk.lead),
        changes=changes,
        expected_version=None,
        now=at(2, 9, 10),
    )
    assert ticket.sla_policy.name == "P1 complaints"
    assert ticket.first_response_due_at == at(2, 10)
    last = [e for e in ticket.events if e.kind is EventKind.SLA][-1]
    assert (last.old_value, last.new_value) == ("Standard", "P1 complaints")


def test_sweep_marks_at_risk_then_breached_once_and_escalates(desk):
    ticket = new_ticket(desk, when=at(2, 9))  # first response due 13:00 UTC
    assert str(sla.sweep(now=at(2, 11, 59))).startswith("checked 0")
    report = sla.sweep(now=at(2, 12))  # 75% of 240 minutes used
    assert (report.at_risk, report.breached) == (1, 0)
    assert marks(ticket) == [(SlaMilestone.FIRST_RESPONSE, SlaState.AT_RISK)]
    again = sla.sweep(now=at(2, 12))
    assert (again.at_risk, again.breached) == (0, 0)
    report = sla.sweep(now=at(2, 13))  # due at 13:00: answered now is still on time
    assert report.breached == 0 and not ticket.first_response_breached
    report = sla.sweep(now=at(2, 13, 1))
    assert report.breached == 1 and ticket.first_response_breached
    assert sla.sweep(now=at(2, 13, 1)).breached == 0
    assert len(marks(ticket)) == 2
    kinds = {
        (n.user_id, n.kind)
        for n in db.session.scalars(
            sa.select(Notification).where(Notification.ticket_id == ticket.id)
        )
    }
    assert (desk.agent, NotificationKind.SLA_AT_RISK) in kinds
    assert (desk.agent, NotificationKind.SLA_BREACHED) in kinds
    assert (desk.lead, NotificationKind.SLA_BREACHED) in kinds
    sla_events = [e for e in ticket.events if e.kind is EventKind.SLA and e.field]
    assert [e.new_value for e in sla_events if e.field == "first_response"] == [
        "at_risk",
        "breached",
    ]


def test_crisis_breach_raises_the_severity(desk):
    crisis = new_ticket(desk, when=at(2, 9), kind=TicketKind.CRISIS, severity=Severity.P2)
    sla.sweep(now=at(2, 10, 1))
    assert crisis.severity is Severity.P1


def test_after_downtime_the_sweep_catches_up_without_duplicates(desk):
    ticket = new_ticket(desk, when=at(2, 9))
    report = sla.sweep(now=at(20, 12))  # weeks later: everything is overdue
    assert report.at_risk == 0 and report.breached == 3
    assert set(marks(ticket)) == {
        (SlaMilestone.FIRST_RESPONSE, SlaState.BREACHED),
        (SlaMilestone.REMEDY, SlaState.BREACHED),
        (SlaMilestone.RESOLUTION, SlaState.BREACHED),
    }
    assert ticket.sla_next_check_at is None
    assert sla.sweep(now=at(21, 12)).checked == 0


def test_the_unique_constraint_keeps_one_mark_per_due_time(desk):
    ticket = new_ticket(desk, when=at(2, 9))
    with unit_of_work():
        db.session.add(
            SlaEvent(
                ticket_id=ticket.id,
                milestone=SlaMilestone.RESOLUTION,
                state=SlaState.BREACHED,
                due_at=ticket.resolution_due_at,
            )
        )
    with pytest.raises(IntegrityError), unit_of_work():
        db.session.add(
            SlaEvent(
                ticket_id=ticket.id,
                milestone=SlaMilestone.RESOLUTION,
                state=SlaState.BREACHED,
                due_at=ticket.resolution_due_at,
            )
        )


def test_paused_and_closed_tickets_are_not_swept(desk):
    paused = new_ticket(desk, when=at(2, 9))
    workflow.change_status(
        paused,
        actor=load(User, desk.agent),
        status=TicketStatus.PENDING_CUSTOMER,
        expected_version=None,
        now=at(2, 9, 5),
    )
    assert sla.sweep(now=at(20, 12)).checked == 0
    assert marks(paused) == []


def test_the_sweep_never_causes_an_edit_conflict(desk):
    ticket = new_ticket(desk, when=at(2, 9))
    version = ticket.version
    assert sla.sweep(now=at(2, 12)).at_risk == 1
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.version == version and ticket.sla_next_check_at == at(2, 13)
    conversation.reply(
        ticket,
        actor=load(User, desk.agent),
        body="Answer",
        expected_version=version,
        now=at(2, 12, 30),
    )
    assert not ticket.first_response_breached


def test_the_clock_agents_see(desk):
    ticket = new_ticket(desk, when=at(2, 9))  # first response due 13:00
    ok = sla.clock(ticket, now=at(2, 10))
    assert (ok.state, ok.milestone, ok.minutes_left) == ("ok", SlaMilestone.FIRST_RESPONSE, 180)
    assert sla.clock(ticket, now=at(2, 12, 30)).state == "at_risk"
    late = sla.clock(ticket, now=at(2, 15))
    assert (late.state, late.minutes_left) == ("breached", -120)
    workflow.change_status(
        ticket,
        actor=load(User, desk.agent),
        status=TicketStatus.PENDING_CUSTOMER,
        expected_version=None,
        now=at(2, 15),
    )
    assert sla.clock(ticket, now=at(2, 16)).state == "paused"


def test_a_missed_target_makes_goodwill_mandatory_before_resolving(desk):
    from decimal import Decimal

    from ticketdesk.core.errors import InvalidTransition
    from ticketdesk.models import RemedyForm, RemedyKind, RemedyReason
    from ticketdesk.services.ledger import remedies as ledger

    ticket = new_ticket(desk, when=at(2, 9))
    conversation.reply(
        ticket,
        actor=load(User, desk.agent),
        body="Sorry for the wait.",
        expected_version=None,
        now=at(2, 15),
    )  # first response late
    assert "first response" in ledger.goodwill_required(ticket)
    with pytest.raises(InvalidTransition, match="Add goodwill before resolving"):
        workflow.change_status(
            ticket,
            actor=load(User, desk.agent),
            status=TicketStatus.RESOLVED,
            expected_version=None,
            now=at(2, 16),
        )
    ledger.propose_remedy(
        ticket,
        actor=load(User, desk.agent),
        now=at(2, 16),
        draft=ledger.RemedyDraft(
            kind=RemedyKind.GOODWILL,
            form=RemedyForm.COUPON,
            description="Voucher for the wait",
            cost=Decimal("10.00"),
            reason=RemedyReason.SLA_MISSED,
        ),
    )
    workflow.change_status(
        ticket,
        actor=load(User, desk.agent),
        status=TicketStatus.RESOLVED,
        expected_version=None,
        now=at(2, 16),
    )
    assert ticket.status is TicketStatus.RESOLVED


def test_bulk_columns_match_what_one_ticket_gets(desk):
    book = sla.PolicyBook()
    for kind, severity, tier in (
        (TicketKind.COMPLAINT, Severity.P3, CustomerTier.STANDARD),
        (TicketKind.CRISIS, Severity.P1, CustomerTier.KEY),
        (TicketKind.COMPLAINT, Severity.P1, CustomerTier.STRATEGIC),
    ):
        ticket = new_ticket(desk, when=at(6, 14, 30), kind=kind, severity=severity, tier=tier)
        row = book.columns(
            kind=kind.value,
            severity=severity.value,
            tier=tier.value,
            created_at=ticket.created_at,
            first_response_at=None,
            resolved_at=None,
            is_open=True,
            now=at(6, 14, 31),
        )
        assert row["sla_policy_id"] == ticket.sla_policy_id
        for column in (
            "first_response_due_at",
            "remedy_due_at",
            "resolution_due_at",
            "sla_due_at",
            "sla_next_check_at",
        ):
            assert row[column] == getattr(ticket, column), column
    late = book.columns(
        kind="complaint",
        severity="p3",
        tier="standard",
        created_at=at(2, 9),
        first_response_at=at(2, 15),
        resolved_at=None,
        is_open=True,
        now=at(20, 9),
    )
    assert late["first_response_breached"] and late["first_response_minutes"] == 360
    assert late["resolution_breached"] and late["sla_due_at"] == late["remedy_due_at"]
