"""Engagement segments: thresholds, windows, stance, overrides and query counts."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tests import factories
from tests.factories import load
from ticketdesk.core.errors import DomainError, PermissionDenied
from ticketdesk.extensions import db
from ticketdesk.models import (
    CauseSide,
    Customer,
    EngagementSegment,
    Order,
    RecoveryRules,
    Role,
    Ticket,
    User,
)
from ticketdesk.services.recovery import segments

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_refs = iter(range(1, 10**6))


def _order(customer_id: int, day: date, amount: str = "100.00", **extra) -> None:
    db.session.add(
        Order(
            customer_id=customer_id,
            reference=f"SO-{next(_refs)}",
            ordered_on=day,
            amount=Decimal(amount),
            currency="EUR",
            **extra,
        )
    )


def _orders(customer_id: int, *, recent: int = 0, before: int = 0) -> None:
    """``recent`` purchases inside the last 90 days, ``before`` in the 90 days before that."""
    for i in range(recent):
        _order(customer_id, TODAY - timedelta(days=i % 89))
    for i in range(before):
        _order(customer_id, TODAY - timedelta(days=90 + i % 89))
    db.session.commit()


def _customer(share: str | None = None, am_id: int | None = None) -> int:
    cid = factories.make_customer(account_manager_id=am_id)
    if share is not None:
        db.session.get(Customer, cid).purchase_share = Decimal(share)
        db.session.commit()
    return cid


def _view(cid: int) -> segments.SegmentView:
    return segments.compute([cid], today=TODAY)[cid]


# ----------------------------------------------------------------- thresholds (defaults:
# window 90 days, self-driven from 3 purchases and 50 % share, stalled at a 50 % drop)


@pytest.mark.parametrize(
    "recent, before, share, expected",
    [
        (0, 0, None, EngagementSegment.STALLED),  # nothing bought lately
        (0, 5, "80", EngagementSegment.STALLED),
        (2, 4, None, EngagementSegment.STALLED),  # exactly half: stalled
        (3, 5, None, EngagementSegment.SELF_DRIVEN),  # 40 % fewer: not stalled
        (3, 6, None, EngagementSegment.STALLED),  # 50 % fewer
        (3, 0, None, EngagementSegment.SELF_DRIVEN),  # share unknown: the count decides
        (2, 0, None, EngagementSegment.NEEDS_PUSH),  # one short of self-driven
        (3, 0, "50", EngagementSegment.SELF_DRIVEN),  # share at the threshold
        (3, 0, "49.99", EngagementSegment.NEEDS_PUSH),  # share just below
        (1, 1, None, EngagementSegment.NEEDS_PUSH),  # steady but few
    ],
)
def test_segment_thresholds(ctx, recent, before, share, expected):
    cid = _customer(share)
    _orders(cid, recent=recent, before=before)
    view = _view(cid)
    assert (view.segment, view.computed) == (expected, expected)
    assert (view.purchases_recent, view.purchases_before) == (recent, before)
    assert view.share == (Decimal(share) if share else None)
    assert not view.overridden and view.override_reason == ""


def test_rules_move_the_thresholds(ctx):
    db.session.add(
        RecoveryRules(
            self_driven_min_purchases=5,
            stalled_drop_percent=75,
            self_driven_min_share=60,
            segment_window_days=90,
        )
    )
    cid = _customer("70")
    _orders(cid, recent=4, before=8)
    assert _view(cid).segment is EngagementSegment.NEEDS_PUSH  # 50 % drop < 75 %; 4 < 5
    _orders(cid, recent=1)
    assert _view(cid).segment is EngagementSegment.SELF_DRIVEN


def test_windows_end_today_and_do_not_overlap(ctx):
    cid = _customer()
    _order(cid, TODAY)  # recent (today counts)
    _order(cid, TODAY - timedelta(days=89))  # recent (first day of the window)
    _order(cid, TODAY - timedelta(days=90))  # before (last day of the window before)
    _order(cid, TODAY - timedelta(days=179))  # before (its first day)
    _order(cid, TODAY - timedelta(days=180))  # too old
    _order(cid, TODAY + timedelta(days=1))  # after today
    db.session.commit()
    view = _view(cid)
    assert (view.purchases_recent, view.purchases_before) == (2, 2)


def test_only_purchases_count(ctx):
    cid = _customer()
    ticket_id = factories.make_ticket(actor_id=factories.make_user(), customer_id=cid, now=NOW)
    _order(cid, TODAY, amount="0.00")  # free replacement
    _order(cid, TODAY, remedy_ticket_id=ticket_id)  # a remedy shipment
    _order(cid, TODAY)
    db.session.commit()
    assert _view(cid).purchases_recent == 1


def test_explanation_gives_the_numbers(ctx):
    cid = _customer("62.50")
    _orders(cid, recent=2, before=6)
    text = _view(cid).explanation
    assert "2 purchases in the last 90 days" in text
    assert "6 in the 90 days before" in text
    assert "62.5%" in text
    assert "fell by 50% or more" in text


# ----------------------------------------------------------------- stance


def _our_complaint(cid: int, created: datetime, side: CauseSide = CauseSide.OURS_PRODUCT):
    tid = factories.make_ticket(actor_id=factories.make_user(), customer_id=cid, now=created)
    db.session.get(Ticket, tid).cause_side = side
    db.session.commit()


def test_stance_per_segment(ctx):
    driven, push, stalled = _customer(), _customer(), _customer()
    _orders(driven, recent=5)
    _orders(push, recent=1)
    views = segments.compute([driven, push, stalled], today=TODAY)
    assert views[driven].stance.startswith("Let it run")
    assert views[push].stance.startswith("Work closely")
    assert views[stalled].stance.startswith("Find out why")
    assert "their own capability" in views[stalled].stance


def test_stalled_after_our_failure_recovers_first(ctx):
    ours, theirs, old = _customer(), _customer(), _customer()
    _our_complaint(ours, NOW - timedelta(days=30))
    _our_complaint(theirs, NOW - timedelta(days=30), CauseSide.THEIRS_INTERNAL)
    _our_complaint(old, NOW - timedelta(days=120))
    first_day = _customer()  # on the window's first day (today - 89)
    _our_complaint(first_day, datetime(2025, 12, 3, 0, 0, tzinfo=UTC))
    day_before = _customer()  # the day before it
    _our_complaint(day_before, datetime(2025, 12, 2, 23, 59, tzinfo=UTC))
    views = segments.compute([ours, theirs, old, first_day, day_before], today=TODAY)
    assert views[ours].stance.startswith("Recover first: the stall may be ours")
    assert views[theirs].stance.startswith("Find out why")
    assert views[old].stance.startswith("Find out why")
    assert views[first_day].stance.startswith("Recover first")
    assert views[day_before].stance.startswith("Find out why")


# ----------------------------------------------------------------- overrides


@pytest.fixture
def people(ctx):
    am = factories.make_user(Role.ACCOUNT_MANAGER)
    return {
        "am": am,
        "other_am": factories.make_user(Role.ACCOUNT_MANAGER),
        "lead": factories.make_user(Role.LEAD),
        "admin": factories.make_user(Role.ADMIN),
        "agent": factories.make_user(Role.AGENT),
        "customer": _customer(am_id=am),
    }


def test_override_with_reason_wins(people):
    cid = people["customer"]
    customer = db.session.get(Customer, cid)
    segments.set_override(
        customer,
        segment=EngagementSegment.SELF_DRIVEN,
        reason="  Orders through their parent company  ",
        actor=load(User, people["am"]),
        now=NOW,
    )
    db.session.expire_all()
    customer = db.session.get(Customer, cid)
    assert customer.segment_override is EngagementSegment.SELF_DRIVEN
    assert customer.segment_override_reason == "Orders through their parent company"
    assert (customer.segment_override_by_id, customer.segment_override_at) == (people["am"], NOW)
    view = _view(cid)
    assert view.segment is EngagementSegment.SELF_DRIVEN
    assert view.computed is EngagementSegment.STALLED
    assert view.overridden and view.override_reason == "Orders through their parent company"
    assert view.stance.startswith("Let it run")


@pytest.mark.parametrize("reason", ["", "   "])
def test_override_needs_a_reason(people, reason):
    customer = db.session.get(Customer, people["customer"])
    with pytest.raises(DomainError) as err:
        segments.set_override(
            customer,
            segment=EngagementSegment.STALLED,
            reason=reason,
            actor=load(User, people["lead"]),
            now=NOW,
        )
    assert err.value.field == "reason"
    db.session.expire_all()
    assert db.session.get(Customer, people["customer"]).segment_override is None


def test_override_reason_length_and_segment_checked(people):
    customer = db.session.get(Customer, people["customer"])
    with pytest.raises(DomainError) as err:
        segments.set_override(
            customer,
            segment=EngagementSegment.STALLED,
            reason="x" * 501,
            actor=load(User, people["lead"]),
            now=NOW,
        )
    assert err.value.field == "reason"
    with pytest.raises(DomainError) as err:
        segments.set_override(
            customer, segment="sleepy", reason="Why not", actor=load(User, people["lead"]), now=NOW
        )
    assert err.value.field == "segment"


def test_clearing_the_override_needs_no_reason(people):
    cid = people["customer"]
    customer = db.session.get(Customer, cid)
    segments.set_override(
        customer,
        segment=EngagementSegment.NEEDS_PUSH,
        reason="New buyer",
        actor=load(User, people["admin"]),
        now=NOW,
    )
    segments.set_override(
        customer, segment=None, reason="", actor=load(User, people["admin"]), now=NOW
    )
    db.session.expire_all()
    customer = db.session.get(Customer, cid)
    assert customer.segment_override is None and customer.segment_override_reason == ""
    assert customer.segment_override_by_id is None and customer.segment_override_at is None
    view = _view(cid)
    assert not view.overridden and view.segment is view.computed


@pytest.mark.parametrize(
    "who, allowed",
    [("am", True), ("lead", True), ("admin", True), ("other_am", False), ("agent", False)],
)
def test_who_may_override(people, who, allowed):
    customer = db.session.get(Customer, people["customer"])
    user = load(User, people[who])
    assert segments.can_override(user, customer) is allowed
    if allowed:
        segments.set_override(
            customer, segment=EngagementSegment.STALLED, reason="Closed a site", actor=user, now=NOW
        )
        assert customer.segment_override is EngagementSegment.STALLED
    else:
        with pytest.raises(PermissionDenied):
            segments.set_override(
                customer,
                segment=EngagementSegment.STALLED,
                reason="Closed a site",
                actor=user,
                now=NOW,
            )


# ----------------------------------------------------------------- queries


def test_query_count_does_not_grow_with_customers(ctx, query_counter):
    few = [_customer()]
    many = [_customer(share="40") for _ in range(25)]
    for i, cid in enumerate(few + many):
        _orders(cid, recent=i % 4, before=i % 3)
        if i % 5 == 0:
            _our_complaint(cid, NOW - timedelta(days=10))
    db.session.expire_all()
    with query_counter() as one:
        segments.compute(few, today=TODAY)
    db.session.expire_all()
    with query_counter() as lots:
        result = segments.compute(few + many, today=TODAY)
    assert len(result) == 26
    assert one.count == lots.count <= 4


def test_empty_and_unknown_ids(ctx):
    assert segments.compute([], today=TODAY) == {}
    assert segments.compute([987654], today=TODAY) == {}
