"""Recovery success, loyalty candidates, at risk, the daily job and the follow-up page."""

import logging
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from ticketdesk import scheduler
from ticketdesk.core.errors import PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    CauseSide,
    Customer,
    EngagementSegment,
    EventKind,
    LoyaltyState,
    Notification,
    NotificationKind,
    Order,
    RecoveryOutcome,
    RecoveryRules,
    Remedy,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    RemedyState,
    Role,
    Severity,
    StepKind,
    Survey,
    Ticket,
    TicketEvent,
    TicketStatus,
    TicketStep,
    User,
)
from ticketdesk.services.recovery import loyalty, segments

CREATED = datetime(2026, 1, 2, 10, 0, tzinfo=UTC)
RESOLVED = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # resolved on 5 January
LAST_WINDOW_DAY = date(2026, 1, 19)  # 5 January + 14 days
WINDOW_ENDS = date(2026, 4, 5)  # 5 January + 90 days
_refs = iter(range(1, 10**6))


def at(day: date, hour: int = 6) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)


JUDGE = at(LAST_WINDOW_DAY + timedelta(days=1))


# ----------------------------------------------------------------- builders (need a context)


def _order(customer_id: int, day: date, amount: str = "250.00", **extra) -> int:
    order = Order(
        customer_id=customer_id,
        reference=f"SO-{next(_refs)}",
        ordered_on=day,
        amount=Decimal(amount),
        currency="EUR",
        **extra,
    )
    db.session.add(order)
    db.session.commit()
    return order.id


def _status(ticket: Ticket, old: TicketStatus, new: TicketStatus, when: datetime) -> None:
    db.session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind=EventKind.STATUS_CHANGE,
            field="status",
            old_value=old.value,
            new_value=new.value,
            created_at=when,
        )
    )


def _ticket(
    agent_id: int,
    customer_id: int,
    *,
    created: datetime = CREATED,
    resolved: datetime | None = RESOLVED,
    severity: Severity = Severity.P3,
    cause: CauseSide = CauseSide.UNKNOWN,
    status: TicketStatus = TicketStatus.RESOLVED,
) -> int:
    tid = factories.make_ticket(
        actor_id=agent_id, customer_id=customer_id, now=created, severity=severity
    )
    ticket = db.session.get(Ticket, tid)
    ticket.cause_side = cause
    if resolved is not None:
        ticket.status, ticket.resolved_at = status, resolved
        if status is TicketStatus.CLOSED:
            ticket.closed_at = resolved
        _status(ticket, TicketStatus.OPEN, status, resolved)
    db.session.commit()
    return tid


def _remedy(
    ticket_id: int, *, kind=RemedyKind.MAKE_WHOLE, state=RemedyState.DELIVERED, conceded=False
) -> None:
    db.session.add(
        Remedy(
            ticket_id=ticket_id,
            kind=kind,
            form=RemedyForm.RESHIP,
            description="Reship the missing bottle",
            cost=Decimal("12.00"),
            currency="EUR",
            reason=RemedyReason.MISSING_ITEMS,
            cap_base=Decimal("12.00"),
            state=state,
            conceded=conceded,
        )
    )
    db.session.commit()


def _step(ticket_id: int, kind: StepKind, done: bool, position: int = 1) -> None:
    db.session.add(
        TicketStep(
            ticket_id=ticket_id,
            position=position,
            kind=kind,
            title="Say sorry",
            due_at=CREATED,
            done_at=CREATED + timedelta(hours=1) if done else None,
        )
    )
    db.session.commit()


def _survey(
    ticket_id: int,
    *,
    score: int | None = None,
    answered: datetime | None = None,
    expires: datetime | None = None,
    superseded: datetime | None = None,
) -> None:
    db.session.add(
        Survey(
            ticket_id=ticket_id,
            email="buyer@example.test",
            nonce=f"n{next(_refs)}",
            sent_at=RESOLVED,
            expires_at=expires or RESOLVED + timedelta(days=14),
            answered_at=answered,
            score=score,
            superseded_at=superseded,
        )
    )
    db.session.commit()


def _rules(**changes) -> None:
    rules = db.session.scalar(sa.select(RecoveryRules)) or RecoveryRules()
    for name, value in changes.items():
        setattr(rules, name, value)
    db.session.add(rules)
    db.session.commit()


def _outcome(ticket_id: int) -> RecoveryOutcome | None:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(RecoveryOutcome).where(RecoveryOutcome.ticket_id == ticket_id)
    )


def _judge(ticket_id: int, now: datetime = JUDGE) -> RecoveryOutcome:
    loyalty.run_daily(now=now)
    outcome = _outcome(ticket_id)
    assert outcome is not None
    return outcome


def _loyalty_events(ticket_id: int) -> list[TicketEvent]:
    return list(
        db.session.scalars(
            sa.select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == EventKind.LOYALTY)
            .order_by(TicketEvent.id)
        )
    )


def _loyalty_notes(user_id: int | None = None) -> list[Notification]:
    stmt = sa.select(Notification).where(Notification.kind == NotificationKind.LOYALTY)
    if user_id is not None:
        stmt = stmt.where(Notification.user_id == user_id)
    return list(db.session.scalars(stmt.order_by(Notification.id)))


@pytest.fixture
def world(ctx):
    am = factories.make_user(Role.ACCOUNT_MANAGER, name="Mia Manager")
    customer = factories.make_customer("Harbour Deli", account_manager_id=am)
    _order(customer, date(2025, 12, 1))  # they bought from us before complaining
    return {"am": am, "agent": factories.make_user(Role.AGENT), "customer": customer}


def _new(world, **kwargs) -> int:
    return _ticket(world["agent"], world["customer"], **kwargs)


# ----------------------------------------------------------------- a good recovery


def test_good_recovery_becomes_a_candidate_with_event_and_notification(world):
    db.session.get(Customer, world["customer"]).preferences = "Extra chili oil\nFast couriers"
    db.session.commit()
    tid = _new(world)
    summary = loyalty.run_daily(now=JUDGE)
    assert summary == (
        "judged 1 resolved ticket (1 loyalty candidate, 0 at risk); 0 retained, 0 lapsed"
    )
    outcome = _outcome(tid)
    assert outcome.success and outcome.failed == [] and outcome.not_eligible == []
    assert outcome.state is LoyaltyState.CANDIDATE
    assert outcome.resolved_on == date(2026, 1, 5)
    assert outcome.window_ends_on == WINDOW_ENDS
    assert outcome.customer_id == world["customer"] and outcome.evaluated_at == JUDGE
    assert outcome.decided_on is None and outcome.reorder_id is None
    [event] = _loyalty_events(tid)
    assert event.new_value == "candidate" and event.actor_id is None
    assert "Harbour Deli is a loyalty candidate" in event.body
    [note] = _loyalty_notes()
    assert note.user_id == world["am"] and note.ticket_id == tid
    assert note.title == "Loyalty candidate: Harbour Deli"
    assert "Extra chili oil" in note.body


def test_no_account_manager_means_no_notification(world):
    customer = factories.make_customer("Lone Shop")
    _order(customer, date(2025, 11, 1))
    tid = _ticket(world["agent"], customer)
    assert _judge(tid).state is LoyaltyState.CANDIDATE
    assert len(_loyalty_events(tid)) == 1
    assert _loyalty_notes() == []


def test_closed_tickets_are_judged_too(world):
    tid = _new(world, status=TicketStatus.CLOSED)
    assert _judge(tid).state is LoyaltyState.CANDIDATE


# ----------------------------------------------------------------- when a ticket is judged


def test_judged_the_day_after_the_reopen_window_not_on_its_last_day(world):
    tid = _new(world)
    loyalty.run_daily(now=datetime(2026, 1, 19, 23, 59, tzinfo=UTC))
    assert _outcome(tid) is None
    loyalty.run_daily(now=datetime(2026, 1, 20, 0, 0, tzinfo=UTC))
    assert _outcome(tid) is not None


def test_due_ticket_ids_boundary(world):
    tid = _new(world)
    assert loyalty.due_ticket_ids(now=datetime(2026, 1, 19, 23, 59, tzinfo=UTC)) == []
    assert loyalty.due_ticket_ids(now=datetime(2026, 1, 20, 0, 0, tzinfo=UTC)) == [tid]
    loyalty.run_daily(now=JUDGE)
    assert loyalty.due_ticket_ids(now=JUDGE) == []


def test_the_desk_day_decides_in_the_desk_timezone(app, world):
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Shanghai"  # UTC+8
    # 20:00 UTC on 4 January is already 5 January at the desk.
    tid = _new(world, resolved=datetime(2026, 1, 4, 20, 0, tzinfo=UTC))
    loyalty.run_daily(now=datetime(2026, 1, 19, 15, 0, tzinfo=UTC))  # 19 Jan 23:00 desk
    assert _outcome(tid) is None
    outcome = _judge(tid, datetime(2026, 1, 19, 16, 0, tzinfo=UTC))  # 20 Jan 00:00 desk
    assert outcome.resolved_on == date(2026, 1, 5)


def test_open_tickets_are_not_judged(world):
    tid = _new(world)
    ticket = db.session.get(Ticket, tid)
    ticket.status, ticket.resolved_at = TicketStatus.OPEN, None
    _status(ticket, TicketStatus.RESOLVED, TicketStatus.OPEN, RESOLVED + timedelta(days=2))
    db.session.commit()
    loyalty.run_daily(now=JUDGE + timedelta(days=30))
    assert _outcome(tid) is None


def test_an_open_survey_holds_the_judgement(world):
    tid = _new(world)
    _survey(tid, expires=JUDGE + timedelta(days=2))
    loyalty.run_daily(now=JUDGE)
    assert _outcome(tid) is None
    # Expired: judged without an answer.
    assert _judge(tid, JUDGE + timedelta(days=2)).success


@pytest.mark.parametrize(
    "survey",
    [
        {"score": 5, "answered": RESOLVED + timedelta(days=1)},
        {"superseded": RESOLVED + timedelta(days=1)},
    ],
)
def test_answered_or_superseded_surveys_do_not_hold(world, survey):
    tid = _new(world)
    _survey(tid, expires=JUDGE + timedelta(days=10), **survey)
    assert _judge(tid).state is LoyaltyState.CANDIDATE


# ----------------------------------------------------------------- the success rules


def test_make_whole_in_time(world):
    tid = _new(world)
    _remedy(tid)
    ticket = db.session.get(Ticket, tid)
    ticket.remedy_due_at, ticket.made_whole_at = CREATED + timedelta(hours=8), CREATED
    db.session.commit()
    assert _judge(tid).success


@pytest.mark.parametrize("case", ["never_delivered", "breached", "due_only"])
def test_make_whole_late_or_missing_fails(world, case):
    tid = _new(world)
    ticket = db.session.get(Ticket, tid)
    if case == "never_delivered":
        db.session.commit()
        _remedy(tid, state=RemedyState.APPROVED)
    elif case == "breached":
        _remedy(tid)
        ticket.made_whole_at, ticket.remedy_breached = RESOLVED, True
    else:  # the SLA set a make-whole due time, nothing was granted
        ticket.remedy_due_at = CREATED + timedelta(hours=8)
    db.session.commit()
    outcome = _judge(tid)
    assert not outcome.success and outcome.failed == ["make_whole_late"]
    assert outcome.state is None and outcome.window_ends_on is None
    assert _loyalty_events(tid) == [] and _loyalty_notes() == []


def test_make_whole_rule_switched_off(world):
    _rules(require_make_whole_in_sla=False)
    tid = _new(world)
    _remedy(tid, state=RemedyState.APPROVED)
    assert _judge(tid).success


def test_no_make_whole_needed_skips_the_rule(world):
    tid = _new(world, cause=CauseSide.THEIRS_INTERNAL)  # advice only
    _remedy(tid, kind=RemedyKind.GOODWILL)
    _remedy(tid, state=RemedyState.WITHDRAWN)  # proposed, then taken back
    assert _judge(tid).success


def test_apology_rule(world):
    done, missing, none = _new(world), _new(world), _new(world)
    _step(done, StepKind.APOLOGY, done=True)
    _step(missing, StepKind.APOLOGY, done=False)
    _step(none, StepKind.TASK, done=False)  # no apology step: rule skipped
    loyalty.run_daily(now=JUDGE)
    assert _outcome(done).success
    assert _outcome(missing).failed == ["no_apology"]
    assert _outcome(none).success


def test_apology_rule_switched_off(world):
    _rules(require_apology=False)
    tid = _new(world)
    _step(tid, StepKind.APOLOGY, done=False)
    assert _judge(tid).success


def _resolved_twice(world, reopen_after: timedelta) -> int:
    first = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)
    tid = _new(world, created=first - timedelta(days=1), resolved=first)
    ticket = db.session.get(Ticket, tid)
    _status(ticket, TicketStatus.RESOLVED, TicketStatus.OPEN, first + reopen_after)
    _status(ticket, TicketStatus.OPEN, TicketStatus.RESOLVED, RESOLVED)
    ticket.reopen_count = 1
    db.session.commit()
    return tid


@pytest.mark.parametrize("days, reopened", [(3, True), (14, True), (15, False)])
def test_reopen_within_the_window_of_a_resolution(world, days, reopened):
    _order(world["customer"], date(2025, 10, 1))
    tid = _resolved_twice(world, timedelta(days=days))
    outcome = _judge(tid)
    assert (outcome.failed == ["reopened"]) is reopened
    assert outcome.success is not reopened


def test_reopen_from_closed_counts(world):
    first = datetime(2025, 12, 20, 12, 0, tzinfo=UTC)
    tid = _new(world, created=first - timedelta(days=1), resolved=first, status=TicketStatus.CLOSED)
    ticket = db.session.get(Ticket, tid)
    _status(ticket, TicketStatus.CLOSED, TicketStatus.OPEN, first + timedelta(days=2))
    _status(ticket, TicketStatus.OPEN, TicketStatus.RESOLVED, RESOLVED)
    ticket.status = TicketStatus.RESOLVED
    db.session.commit()
    assert _judge(tid).failed == ["reopened"]


@pytest.mark.parametrize(
    "scores, success",
    [
        ([], True),  # no answer
        ([4], True),  # at the minimum
        ([3], False),  # below it
        ([2, 5], True),  # the latest answer counts
        ([5, 3], False),
    ],
)
def test_satisfaction(world, scores, success):
    tid = _new(world)
    for i, score in enumerate(scores):
        _survey(
            tid,
            score=score,
            answered=RESOLVED + timedelta(hours=i + 1),
            superseded=RESOLVED + timedelta(hours=i + 2) if i < len(scores) - 1 else None,
        )
    outcome = _judge(tid)
    assert outcome.success is success
    assert outcome.failed == ([] if success else ["low_satisfaction"])


def test_satisfaction_minimum_of_one_accepts_every_answer(world):
    _rules(min_satisfaction=1)
    tid = _new(world)
    _survey(tid, score=1, answered=RESOLVED + timedelta(hours=1))
    assert _judge(tid).success


@pytest.mark.parametrize(
    "state, conceded, success",
    [
        (RemedyState.DELIVERED, True, False),
        (RemedyState.PROPOSED, True, False),
        (RemedyState.REJECTED, True, True),  # never granted
        (RemedyState.DELIVERED, False, True),
    ],
)
def test_conceded_remedies(world, state, conceded, success):
    tid = _new(world)
    _remedy(tid, kind=RemedyKind.GOODWILL, state=state, conceded=conceded)
    outcome = _judge(tid)
    assert outcome.success is success
    assert outcome.failed == ([] if success else ["conceded"])


def test_conceded_rule_switched_off(world):
    _rules(exclude_conceded=False)
    tid = _new(world)
    _remedy(tid, kind=RemedyKind.GOODWILL, conceded=True)
    assert _judge(tid).success


def test_every_failed_rule_is_recorded(world):
    tid = _new(world)
    ticket = db.session.get(Ticket, tid)
    ticket.remedy_due_at = CREATED
    db.session.commit()
    _step(tid, StepKind.APOLOGY, done=False)
    _survey(tid, score=1, answered=RESOLVED)
    _remedy(tid, kind=RemedyKind.GOODWILL, conceded=True)
    outcome = _judge(tid)
    assert outcome.failed == ["make_whole_late", "no_apology", "low_satisfaction", "conceded"]


# ----------------------------------------------------------------- candidate conditions


@pytest.mark.parametrize("months_before, first", [(11, False), (13, True)])
def test_first_complaint_in_twelve_months(world, months_before, first):
    earlier = loyalty.months_before(CREATED, months_before)
    _new(world, created=earlier, resolved=earlier + timedelta(days=1))
    tid = _new(world)
    loyalty.run_daily(now=JUDGE)
    outcome = _outcome(tid)
    assert outcome.success
    assert outcome.not_eligible == ([] if first else ["not_first_complaint"])
    assert outcome.state is (LoyaltyState.CANDIDATE if first else None)


def test_first_complaint_check_switched_off_with_zero(world):
    _rules(first_complaint_months=0)
    _new(world, created=CREATED - timedelta(days=3), resolved=None)
    assert _judge(_new(world)).state is LoyaltyState.CANDIDATE


def test_later_tickets_do_not_spoil_the_first_complaint(world):
    tid = _new(world)
    _new(world, created=CREATED + timedelta(days=5), resolved=None)
    assert _judge(tid).not_eligible == []


def test_p1_cases_are_no_candidates(world):
    tid = _new(world, severity=Severity.P1)
    outcome = _judge(tid)
    assert outcome.success and outcome.not_eligible == ["p1"] and outcome.state is None


def test_p1_rule_switched_off(world):
    _rules(exclude_p1=False)
    assert _judge(_new(world, severity=Severity.P1)).state is LoyaltyState.CANDIDATE


@pytest.mark.parametrize(
    "order, eligible",
    [
        ({"day": date(2026, 1, 2)}, True),  # on the day of the complaint
        ({"day": date(2026, 1, 3)}, False),  # only after it
        ({"day": date(2025, 12, 1), "amount": "0.00"}, False),  # free of charge
        ({"day": date(2025, 12, 1), "remedy": True}, False),  # a remedy shipment
        (None, False),
    ],
)
def test_prior_purchase(world, order, eligible):
    customer = factories.make_customer("New Buyer", account_manager_id=world["am"])
    tid = _ticket(world["agent"], customer)
    if order:
        extra = {"remedy_ticket_id": tid} if order.get("remedy") else {}
        _order(customer, order["day"], order.get("amount", "99.00"), **extra)
    outcome = _judge(tid)
    assert outcome.not_eligible == ([] if eligible else ["no_prior_purchase"])


def test_prior_purchase_rule_switched_off(world):
    _rules(require_prior_purchase=False)
    customer = factories.make_customer("New Buyer")
    assert _judge(_ticket(world["agent"], customer)).state is LoyaltyState.CANDIDATE


def test_not_eligible_lists_every_condition(world):
    customer = factories.make_customer("Busy Buyer")
    _ticket(world["agent"], customer, created=CREATED - timedelta(days=30), resolved=None)
    tid = _ticket(world["agent"], customer, severity=Severity.P1)
    assert _judge(tid).not_eligible == ["not_first_complaint", "p1", "no_prior_purchase"]


# ----------------------------------------------------------------- at risk


@pytest.mark.parametrize("months_before, at_risk", [(11, True), (12, True), (13, False)])
def test_second_failure_of_ours_within_twelve_months(world, months_before, at_risk):
    earlier = loyalty.months_before(CREATED, months_before)
    _new(
        world,
        created=earlier,
        resolved=earlier + timedelta(days=2),
        cause=CauseSide.OURS_COORDINATION,
    )
    tid = _new(world, cause=CauseSide.OURS_PRODUCT)
    outcome = _judge(tid)
    assert outcome.success
    if at_risk:
        assert outcome.state is LoyaltyState.AT_RISK and outcome.window_ends_on is None
        [event] = _loyalty_events(tid)
        assert event.new_value == "at_risk" and "second failure" in event.body
        [note] = _loyalty_notes(world["am"])
        assert note.title == "Account at risk: Harbour Deli" and note.ticket_id == tid
    else:
        # 13 months back it is no longer a repeat (nor a complaint in the last 12 months).
        assert outcome.state is LoyaltyState.CANDIDATE


def test_at_risk_whether_or_not_the_recovery_succeeded(world):
    _new(
        world,
        created=CREATED - timedelta(days=60),
        resolved=CREATED - timedelta(days=50),
        cause=CauseSide.OURS_PRODUCT,
    )
    tid = _new(world, cause=CauseSide.OURS_PRODUCT)
    _step(tid, StepKind.APOLOGY, done=False)
    outcome = _judge(tid)
    assert not outcome.success and outcome.state is LoyaltyState.AT_RISK


@pytest.mark.parametrize(
    "earlier, this",
    [
        (CauseSide.THEIRS_INTERNAL, CauseSide.OURS_PRODUCT),
        (CauseSide.OURS_PRODUCT, CauseSide.THEIRS_INTERNAL),
        (CauseSide.UNKNOWN, CauseSide.OURS_COMMERCIAL),
    ],
)
def test_at_risk_needs_two_failures_of_ours(world, earlier, this):
    _new(world, created=CREATED - timedelta(days=60), resolved=None, cause=earlier)
    assert _judge(_new(world, cause=this)).state is None  # not first complaint, not at risk


def test_repeat_failure_switched_off_with_zero(world):
    _rules(repeat_failure_months=0)
    _new(world, created=CREATED - timedelta(days=60), resolved=None, cause=CauseSide.OURS_PRODUCT)
    assert _judge(_new(world, cause=CauseSide.OURS_PRODUCT)).state is None


# ----------------------------------------------------------------- retained and lapsed


def _candidate(world) -> int:
    tid = _new(world)
    assert _judge(tid).state is LoyaltyState.CANDIDATE
    return tid


def test_an_order_on_the_resolution_day_does_not_count(world):
    tid = _candidate(world)
    _order(world["customer"], date(2026, 1, 5))
    loyalty.run_daily(now=at(date(2026, 1, 21)))
    assert _outcome(tid).state is LoyaltyState.CANDIDATE


@pytest.mark.parametrize("day", [date(2026, 1, 6), WINDOW_ENDS])
def test_an_order_on_day_one_or_the_last_day_retains(world, day):
    tid = _candidate(world)
    order_id = _order(world["customer"], day)
    summary = loyalty.run_daily(now=at(WINDOW_ENDS + timedelta(days=1)))
    assert summary.endswith("1 retained, 0 lapsed")
    outcome = _outcome(tid)
    assert outcome.state is LoyaltyState.RETAINED
    assert (outcome.decided_on, outcome.reorder_id) == (day, order_id)
    events = _loyalty_events(tid)
    assert [e.new_value for e in events] == ["candidate", "retained"]
    assert events[1].old_value == "candidate" and "bought again" in events[1].body


def test_the_first_order_in_the_window_decides(world):
    tid = _candidate(world)
    _order(world["customer"], date(2026, 3, 1))
    first = _order(world["customer"], date(2026, 2, 1))
    loyalty.run_daily(now=at(date(2026, 3, 2)))
    assert _outcome(tid).reorder_id == first


def test_non_purchases_do_not_retain(world):
    tid = _candidate(world)
    _order(world["customer"], date(2026, 2, 1), amount="0.00")
    _order(world["customer"], date(2026, 2, 1), remedy_ticket_id=tid)
    loyalty.run_daily(now=at(date(2026, 2, 2)))
    assert _outcome(tid).state is LoyaltyState.CANDIDATE


def test_an_order_after_the_window_does_not_count(world):
    tid = _candidate(world)
    _order(world["customer"], WINDOW_ENDS + timedelta(days=1))
    loyalty.run_daily(now=at(WINDOW_ENDS + timedelta(days=1)))
    assert _outcome(tid).state is LoyaltyState.LAPSED


def test_lapsed_the_day_after_the_window_not_before(world):
    tid = _candidate(world)
    loyalty.run_daily(now=datetime(2026, 4, 5, 23, 59, tzinfo=UTC))
    assert _outcome(tid).state is LoyaltyState.CANDIDATE
    summary = loyalty.run_daily(now=at(date(2026, 4, 6)))
    assert summary == (
        "judged 0 resolved tickets (0 loyalty candidates, 0 at risk); 0 retained, 1 lapsed"
    )
    outcome = _outcome(tid)
    assert outcome.state is LoyaltyState.LAPSED and outcome.decided_on == date(2026, 4, 6)
    assert outcome.reorder_id is None
    assert [e.new_value for e in _loyalty_events(tid)] == ["candidate", "lapsed"]
    # Decided is decided: a late order changes nothing.
    _order(world["customer"], date(2026, 3, 1))
    loyalty.run_daily(now=at(date(2026, 4, 7)))
    assert _outcome(tid).state is LoyaltyState.LAPSED


def test_an_order_already_made_retains_at_judging(world):
    tid = _new(world)
    order_id = _order(world["customer"], date(2026, 1, 12))
    summary = loyalty.run_daily(now=JUDGE)
    assert summary == (
        "judged 1 resolved ticket (1 loyalty candidate, 0 at risk); 1 retained, 0 lapsed"
    )
    outcome = _outcome(tid)
    assert outcome.state is LoyaltyState.RETAINED and outcome.reorder_id == order_id
    assert [e.new_value for e in _loyalty_events(tid)] == ["candidate", "retained"]
    assert len(_loyalty_notes()) == 1


def test_the_retention_window_follows_the_rules(world):
    _rules(retention_window_days=30)
    tid = _new(world)
    assert _judge(tid).window_ends_on == date(2026, 2, 4)


# ----------------------------------------------------------------- the daily job


def _snapshot():
    db.session.expire_all()
    return (
        [
            (o.ticket_id, o.state, o.decided_on, o.evaluated_at)
            for o in db.session.scalars(sa.select(RecoveryOutcome).order_by(RecoveryOutcome.id))
        ],
        db.session.scalar(sa.select(sa.func.count()).select_from(TicketEvent)),
        db.session.scalar(sa.select(sa.func.count()).select_from(Notification)),
    )


def test_run_daily_is_idempotent(world):
    _new(world)  # a candidate
    _new(world, created=CREATED + timedelta(hours=1), cause=CauseSide.OURS_PRODUCT)  # neither
    other = factories.make_customer("Second Shop", account_manager_id=world["am"])
    _ticket(
        world["agent"],
        other,
        created=CREATED - timedelta(days=60),
        resolved=None,
        cause=CauseSide.OURS_PRODUCT,
    )
    _ticket(world["agent"], other, cause=CauseSide.OURS_PRODUCT)  # at risk
    first = loyalty.run_daily(now=JUDGE)
    assert first.startswith("judged 3 resolved tickets (1 loyalty candidate, 1 at risk)")
    before = _snapshot()
    assert loyalty.run_daily(now=JUDGE) == (
        "judged 0 resolved tickets (0 loyalty candidates, 0 at risk); 0 retained, 0 lapsed"
    )
    assert loyalty.run_daily(now=JUDGE + timedelta(hours=5)).startswith("judged 0")
    assert _snapshot() == before


def test_a_ticket_that_fails_does_not_stop_the_others(world, monkeypatch, caplog):
    bad, good = _new(world), _new(world)
    real = loyalty._judge

    def judge(ticket, rules, *, now):
        if ticket.id == bad:
            db.session.add(
                RecoveryOutcome(
                    ticket_id=bad,
                    customer_id=ticket.customer_id,
                    resolved_on=date(2026, 1, 5),
                    success=True,
                )
            )
            raise RuntimeError("boom")
        return real(ticket, rules, now=now)

    monkeypatch.setattr(loyalty, "_judge", judge)
    with caplog.at_level(logging.ERROR, logger="ticketdesk.loyalty"):
        summary = loyalty.run_daily(now=JUDGE)
    assert summary.endswith("; 1 failed (see the log)")
    assert f"Could not judge the recovery of ticket {bad}" in caplog.text
    assert _outcome(bad) is None  # rolled back, nothing half-written
    assert _outcome(good) is not None
    monkeypatch.setattr(loyalty, "_judge", real)
    assert loyalty.run_daily(now=JUDGE).startswith("judged 1 resolved ticket ")
    assert _outcome(bad) is not None


def test_the_scheduler_runs_it_once_per_desk_day(app, world, monkeypatch):
    calls = []
    gate = scheduler.OncePerDeskDay(lambda now: calls.append(now) or "ran")
    assert gate(JUDGE) == "ran"
    assert gate(JUDGE + timedelta(hours=17)) == "already ran for 2026-01-20"
    assert gate(JUDGE + timedelta(hours=18)) == "ran"  # 21 January
    assert calls == [JUDGE, JUDGE + timedelta(hours=18)]
    loyalty_job = {job.id: job for job in scheduler.JOBS}["loyalty"]
    _new(world)
    assert loyalty_job.run(JUDGE).startswith("judged 1 resolved ticket ")
    assert loyalty_job.run(JUDGE + timedelta(hours=1)) == "already ran for 2026-01-20"


def test_a_failing_run_is_tried_again_on_the_next_tick(ctx):
    attempts = []

    def flaky(now):
        attempts.append(now)
        if len(attempts) == 1:
            raise RuntimeError("database away")
        return "ran"

    gate = scheduler.OncePerDeskDay(flaky)
    with pytest.raises(RuntimeError):
        gate(JUDGE)
    assert gate(JUDGE + timedelta(minutes=1)) == "ran"


# ----------------------------------------------------------------- for other pages


def test_latest_by_customer(world):
    _order(world["customer"], date(2023, 12, 1))
    old = _new(
        world, created=datetime(2024, 1, 2, tzinfo=UTC), resolved=datetime(2024, 1, 3, tzinfo=UTC)
    )
    new = _new(world)
    unflagged_customer = factories.make_customer("Never Bought")
    _ticket(world["agent"], unflagged_customer)
    loyalty.run_daily(now=JUDGE)
    assert _outcome(old).state is LoyaltyState.LAPSED
    latest = loyalty.latest_by_customer([world["customer"], unflagged_customer, 4242])
    assert set(latest) == {world["customer"]}
    assert latest[world["customer"]].ticket_id == new
    assert loyalty.latest_by_customer([]) == {}


def _view(segment: EngagementSegment) -> segments.SegmentView:
    return segments.SegmentView(
        customer_id=1,
        segment=segment,
        computed=segment,
        overridden=False,
        override_reason="",
        purchases_recent=1,
        purchases_before=1,
        share=None,
        stance="",
        explanation="",
    )


@pytest.mark.parametrize(
    "segment, words",
    [
        (EngagementSegment.SELF_DRIVEN, "don't chase them"),
        (EngagementSegment.NEEDS_PUSH, "agree the next order together"),
        (EngagementSegment.STALLED, "find out what would bring them back"),
        (None, "Check in before the window ends"),
    ],
)
def test_next_step_follows_preferences_and_segment(segment, words):
    customer = Customer(name="Chili House", preferences="- extra chili on the side.\nquiet tables")
    text = loyalty.next_step(customer, _view(segment) if segment else None)
    assert text.startswith("Offer something they like (extra chili on the side)")
    assert words in text


def test_next_step_without_preferences_asks():
    text = loyalty.next_step(Customer(name="Blank", preferences=""), None)
    assert text.startswith("No preferences are recorded")


def test_follow_up_refuses_agents(world):
    agent = db.session.get(User, world["agent"])
    with pytest.raises(PermissionDenied):
        loyalty.follow_up(viewer=agent, now=JUDGE)


def test_follow_up_rows_for_a_lead(world):
    _new(world, created=CREATED - timedelta(days=40), resolved=None, cause=CauseSide.OURS_PRODUCT)
    risky = _new(world, cause=CauseSide.OURS_PRODUCT)
    _step(risky, StepKind.APOLOGY, done=False)
    other = factories.make_customer("Other Co", account_manager_id=world["am"])
    _order(other, date(2025, 5, 1))
    candidate = _ticket(world["agent"], other)
    loyalty.run_daily(now=JUDGE)
    lead = db.session.get(User, factories.make_user(Role.LEAD))
    view = loyalty.follow_up(viewer=lead, now=at(date(2026, 4, 5)))
    [row] = view.at_risk
    assert row.outcome.ticket_id == risky and row.failed_reasons == ["no apology"]
    assert row.can_open_ticket and row.can_open_customer and row.next_step == ""
    [row] = view.candidates
    assert row.outcome.ticket_id == candidate and row.days_left == 0
    assert row.next_step.startswith("No preferences are recorded")
    assert view.totals == {
        LoyaltyState.CANDIDATE: 1,
        LoyaltyState.RETAINED: 0,
        LoyaltyState.LAPSED: 0,
        LoyaltyState.AT_RISK: 1,
    }
    assert loyalty.follow_up(viewer=lead, account_manager_id=lead.id, now=JUDGE).candidates == []


def test_an_account_at_risk_is_listed_once_until_a_clean_recovery(world):
    """Three failures of ours: one at-risk row (the latest). A later recovery that makes the
    customer a candidate again takes them off the list."""
    lead = db.session.get(User, factories.make_user(Role.LEAD))
    _new(world, created=CREATED - timedelta(days=60), resolved=None, cause=CauseSide.OURS_PRODUCT)
    first = _new(
        world,
        created=CREATED - timedelta(days=30),
        resolved=RESOLVED - timedelta(days=25),
        cause=CauseSide.OURS_PRODUCT,
    )
    second = _new(world, cause=CauseSide.OURS_PRODUCT)
    loyalty.run_daily(now=JUDGE)
    assert {_outcome(first).state, _outcome(second).state} == {LoyaltyState.AT_RISK}
    view = loyalty.follow_up(viewer=lead, now=JUDGE)
    assert [row.outcome.ticket_id for row in view.at_risk] == [second]
    assert view.totals[LoyaltyState.AT_RISK] == 1
    with unit_of_work():
        latest = _outcome(second)
        db.session.add(
            RecoveryOutcome(
                ticket_id=_ticket(world["agent"], latest.customer_id),
                customer_id=latest.customer_id,
                resolved_on=LAST_WINDOW_DAY,
                success=True,
                state=LoyaltyState.CANDIDATE,
                window_ends_on=WINDOW_ENDS,
            )
        )
    view = loyalty.follow_up(viewer=lead, now=JUDGE)
    assert view.at_risk == [] and view.totals[LoyaltyState.AT_RISK] == 0


def test_months_before_clamps_to_the_month_end():
    moment = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)
    assert loyalty.months_before(moment, 1) == datetime(2026, 2, 28, 8, 0, tzinfo=UTC)
    assert loyalty.months_before(moment, 13) == datetime(2025, 2, 28, 8, 0, tzinfo=UTC)
    assert loyalty.months_before(moment, 0) == moment


# ----------------------------------------------------------------- the follow-up page


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def desk(app, build):
    """Two account managers' accounts with one outcome in each state, judged and followed."""

    def make():
        agent = factories.make_user(Role.AGENT)
        ams = {
            name: factories.make_user(Role.ACCOUNT_MANAGER, name=name)
            for name in ("Mia Manager", "Otto Other")
        }
        ids = {"agent": agent, **ams}
        for am_name, prefix in (("Mia Manager", "Mia"), ("Otto Other", "Otto")):
            am = ams[am_name]
            cands = factories.make_customer(f"{prefix} Candidate Co", account_manager_id=am)
            kept = factories.make_customer(f"{prefix} Retained Co", account_manager_id=am)
            gone = factories.make_customer(f"{prefix} Lapsed Co", account_manager_id=am)
            risky = factories.make_customer(f"{prefix} Risky Co", account_manager_id=am)
            for cid in (cands, kept, gone, risky):
                _order(cid, date(2025, 6, 1))
            ids[f"{prefix}-candidate"] = _ticket(
                agent,
                cands,
                created=datetime(2026, 3, 1, tzinfo=UTC),
                resolved=datetime(2026, 3, 5, tzinfo=UTC),
            )
            ids[f"{prefix}-retained"] = _ticket(agent, kept)
            _order(kept, date(2026, 2, 14))
            ids[f"{prefix}-lapsed"] = _ticket(
                agent,
                gone,
                created=datetime(2025, 9, 1, tzinfo=UTC),
                resolved=datetime(2025, 9, 3, tzinfo=UTC),
            )
            _ticket(
                agent,
                risky,
                created=datetime(2025, 10, 1, tzinfo=UTC),
                resolved=None,
                cause=CauseSide.OURS_PRODUCT,
            )
            ids[f"{prefix}-risk"] = _ticket(agent, risky, cause=CauseSide.OURS_PRODUCT)
        loyalty.run_daily(now=datetime(2026, 1, 20, tzinfo=UTC))
        loyalty.run_daily(now=datetime(2026, 3, 25, tzinfo=UTC))
        ids["refs"] = {
            key: db.session.get(Ticket, tid).reference
            for key, tid in ids.items()
            if isinstance(tid, int) and "-" in key
        }
        return ids

    return build(make)


def test_follow_up_page_access(desk, client, login, make_user):
    resp = client.get("/recovery/loyalty")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert login(desk["agent"]).get("/recovery/loyalty").status_code == 403
    for role in (Role.ACCOUNT_MANAGER, Role.LEAD, Role.ADMIN):
        assert login(make_user(role)).get("/recovery/loyalty").status_code == 200


def test_account_manager_sees_only_own_accounts(desk, login, monkeypatch):
    from ticketdesk.recovery import views

    monkeypatch.setattr(views, "utcnow", lambda: datetime(2026, 3, 25, 9, tzinfo=UTC))
    client = login(desk["Mia Manager"])
    html = client.get(f"/recovery/loyalty?account_manager={desk['Otto Other']}").get_data(
        as_text=True
    )
    text = _text(html)
    for name in ("Mia Candidate Co", "Mia Retained Co", "Mia Lapsed Co", "Mia Risky Co"):
        assert name in text
    assert "Otto" not in text
    assert 'name="account_manager"' not in html  # no filter for account managers
    refs = desk["refs"]
    # Ticket references link to the ticket: the account manager may read them.
    assert f'/tickets/{desk["Mia-candidate"]}">{refs["Mia-candidate"]}</a>' in html
    assert "/customers/" in html
    # The candidate's window: resolved 5 March, ends 3 June; 70 days left on 25 March.
    assert "70 days left" in text and "Suggested next step" in text
    assert "Mia Retained Co" in text and "Feb 14, 2026" in text  # the confirming order
    for state, count in (("candidate", 1), ("retained", 1), ("lapsed", 1), ("at_risk", 1)):
        assert f'id="total-{state}">{count}<' in html


def test_lead_sees_everyone_and_filters_by_manager(desk, login, make_user):
    lead = login(make_user(Role.LEAD))
    text = _text(lead.get("/recovery/loyalty").get_data(as_text=True))
    assert "Mia Candidate Co" in text and "Otto Candidate Co" in text
    html = lead.get(f"/recovery/loyalty?account_manager={desk['Otto Other']}").get_data(
        as_text=True
    )
    text = _text(html)
    assert "Otto Risky Co" in text and "Mia" not in text.replace("Mia Manager", "")
    assert f'<option value="{desk["Otto Other"]}" selected>' in html
    assert f'/tickets/{desk["Otto-risk"]}"' in html
    # Nonsense filters show everyone.
    everyone = _text(lead.get("/recovery/loyalty?account_manager=abc").get_data(as_text=True))
    assert "Mia Candidate Co" in everyone and "Otto Candidate Co" in everyone


def test_admin_sees_all_without_ticket_or_customer_links(desk, login, make_user):
    html = login(make_user(Role.ADMIN)).get("/recovery/loyalty").get_data(as_text=True)
    text = _text(html)
    assert "Mia Candidate Co" in text and "Otto Lapsed Co" in text
    assert desk["refs"]["Mia-candidate"] in text
    assert not re.search(r'href="/(tickets|customers)/\d', html)


def test_lists_are_newest_first(desk, login, make_user, build):
    def another_risk():
        am = desk["Mia Manager"]
        risky = factories.make_customer("Mia Second Risk", account_manager_id=am)
        _ticket(
            desk["agent"],
            risky,
            created=datetime(2026, 1, 1, tzinfo=UTC),
            resolved=None,
            cause=CauseSide.OURS_PRODUCT,
        )
        _ticket(
            desk["agent"],
            risky,
            created=datetime(2026, 2, 1, tzinfo=UTC),
            resolved=datetime(2026, 2, 3, tzinfo=UTC),
            cause=CauseSide.OURS_PRODUCT,
        )
        loyalty.run_daily(now=datetime(2026, 3, 25, tzinfo=UTC))

    build(another_risk)
    text = _text(login(make_user(Role.LEAD)).get("/recovery/loyalty").get_data(as_text=True))
    at_risk = text[text.index("Accounts at risk") : text.index("Retained: bought again")]
    assert at_risk.index("Mia Second Risk") < at_risk.index("Mia Risky Co")
