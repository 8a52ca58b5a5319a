"""The day rules of recovery outcomes, loyalty and account history, edge by edge.

Orders carry desk days; tickets carry moments, read as desk days in the desk's zone
(``BABEL_DEFAULT_TIMEZONE``). The day of an event belongs to *before* it: a purchase on the
resolution day counts in the look-back (band, "90 days before") and never as buying again.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import factories
from ticketdesk.core import clock
from ticketdesk.extensions import db
from ticketdesk.models import (
    CauseSide,
    CustomerTier,
    Order,
    Role,
    Ticket,
    TicketStatus,
)
from ticketdesk.services.recovery import accounts, loyalty, outcomes

_refs = count(1)


def _order(customer: int, day: date, amount: str = "100.00") -> None:
    db.session.add(
        Order(
            customer_id=customer,
            reference=f"R-{next(_refs)}",
            ordered_on=day,
            amount=Decimal(amount),
            currency="EUR",
        )
    )


def _ticket(
    lead: int,
    customer: int,
    *,
    created: datetime,
    resolved: datetime | None,
    cause: CauseSide = CauseSide.UNKNOWN,
) -> int:
    tid = factories.make_ticket(actor_id=lead, customer_id=customer, now=created)
    t = db.session.get(Ticket, tid)
    t.created_at, t.resolved_at, t.cause_side = created, resolved, cause
    t.status = TicketStatus.RESOLVED if resolved else TicketStatus.OPEN
    db.session.commit()
    return tid


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


# ----------------------------------------------------------------- windows and maturity


@pytest.mark.parametrize(("offset", "matured"), [(-1, False), (0, False), (1, True), (2, True)])
def test_a_window_counts_once_its_last_day_is_over(offset, matured):
    """``today`` = resolution day + h + offset: on the window's last day it is still open."""
    resolved_on = date(2025, 10, 1)
    for h in (*outcomes.HORIZONS, outcomes.REPEAT_DAYS):
        today = resolved_on + timedelta(days=h + offset)
        assert outcomes.matured(resolved_on, h, today) is matured


def test_the_report_leaves_out_a_horizon_whose_last_day_is_today(app, build):
    def world():
        lead = factories.make_user(Role.LEAD)
        customer = factories.make_customer("Bakery")
        _ticket(lead, customer, created=_noon(date(2025, 9, 28)), resolved=_noon(date(2025, 10, 1)))
        _order(customer, date(2025, 10, 31))  # the 30th day after the resolution
        db.session.commit()

    build(world)
    with app.app_context():
        first, last = date(2025, 10, 1), date(2025, 10, 1)
        on_the_day = outcomes.report(first, last, today=date(2025, 10, 31)).total
        assert on_the_day.repurchase[30].n == 0
        day_after = outcomes.report(first, last, today=date(2025, 11, 1)).total
        assert (day_after.repurchase[30].hits, day_after.repurchase[30].n) == (1, 1)


# ----------------------------------------------------------------- the look-back and bands


@pytest.mark.parametrize(
    ("days_before_index", "counted"),
    [(366, False), (365, False), (364, True), (1, True), (0, True), (-1, False)],
)
def test_the_look_back_is_the_365_days_up_to_and_including_the_index_day(
    days_before_index, counted
):
    index = date(2025, 10, 1)
    purchases = outcomes._Purchases([(1, index - timedelta(days=days_before_index))])
    assert purchases.prior(1, index) == (1 if counted else 0)


@pytest.mark.parametrize(
    ("purchases", "band"),
    [(0, 0), (1, 1), (2, 1), (3, 2), (5, 2), (6, 3), (11, 3), (12, 4), (400, 4)],
)
def test_purchase_bands(purchases, band):
    """0 | 1–2 | 3–5 | 6–11 | 12 or more, both ends of each band included."""
    assert outcomes.volume_band(purchases) == band


@settings(max_examples=50, deadline=None)
@given(days=st.lists(st.integers(-500, 400), max_size=12), index_offset=st.integers(0, 90))
def test_the_matched_group_reads_the_same_look_back(days, index_offset):
    """Matched customers are banded by the very same window as the complainers: the
    matcher's count for every day equals counting each purchase one by one."""
    first = date(2025, 1, 1)
    last = first + timedelta(days=90)
    rows = [(1, first + timedelta(days=d)) for d in days]
    purchases = outcomes._Purchases(rows)
    matcher = outcomes._Matcher({"standard": [1]}, purchases, first, last)
    index = first + timedelta(days=index_offset)
    prior = sum(index - timedelta(days=364) <= day <= index for _c, day in rows)
    bought = {
        h: int(any(index < day <= index + timedelta(days=h) for _c, day in rows))
        for h in outcomes.HORIZONS
    }
    assert matcher.bands("standard", index) == {outcomes.volume_band(prior): (1, bought)}


def _band_world():
    """One complainer whose only purchase is on its resolution day; two possible matches:
    Ann with one purchase in the year before (band 1–2), Bo with none (band 0)."""
    lead = factories.make_user(Role.LEAD)
    index = date(2025, 10, 1)
    complainer = factories.make_customer("Complainer")
    _ticket(lead, complainer, created=_noon(date(2025, 9, 28)), resolved=_noon(index))
    _order(complainer, index)
    ann, bo = factories.make_customer("Ann"), factories.make_customer("Bo")
    _order(ann, date(2025, 6, 1))
    _order(ann, index + timedelta(days=10))
    _order(bo, index + timedelta(days=200))
    db.session.commit()


def test_a_purchase_on_the_resolution_day_counts_before_not_again(app, build):
    build(_band_world)
    with app.app_context():
        t = outcomes.report(date(2025, 10, 1), date(2025, 10, 1), today=date(2026, 1, 1)).total
        assert (t.repurchase[30].hits, t.repurchase[30].n) == (0, 1)  # not "again"
        c = t.comparisons[30]
        assert (c.n, c.matches, c.baseline) == (1, 1, 1.0)  # matched with Ann


# ----------------------------------------------------------------- who is matched


def _matched_world():
    """One standard complainer (resolved 1 Oct 2025, band 1–2) and four standard customers
    with one purchase in the year before: Never (no ticket), Old (complained 400 days before
    the period), Recent (complained 200 days before the period) and Late (logs a ticket
    after the period)."""
    lead = factories.make_user(Role.LEAD)
    index = date(2025, 10, 1)
    complainer = factories.make_customer("Complainer")
    _ticket(lead, complainer, created=_noon(date(2025, 9, 28)), resolved=_noon(index))
    _order(complainer, date(2025, 5, 1))
    names = {}
    for name in ("Never", "Old", "Recent", "Late"):
        names[name] = factories.make_customer(name)
        _order(names[name], date(2025, 5, 1))
    _ticket(
        lead,
        names["Old"],
        created=_noon(index - timedelta(days=400)),
        resolved=_noon(index - timedelta(days=390)),
    )
    _ticket(
        lead,
        names["Recent"],
        created=_noon(index - timedelta(days=200)),
        resolved=_noon(index - timedelta(days=190)),
    )
    _ticket(lead, names["Late"], created=_noon(index + timedelta(days=20)), resolved=None)
    db.session.commit()


def test_the_matched_group_leaves_out_who_complained_in_the_year_before_or_in_the_period(
    app, build
):
    build(_matched_world)
    with app.app_context():
        t = outcomes.report(date(2025, 10, 1), date(2025, 10, 1), today=date(2026, 1, 1)).total
        # Never, Old (400 days before the period's first day) and Late (after the period)
        # are matches; Recent complained within the 365 days before the period.
        assert t.comparisons[30].matches == 3


def test_figures_count_tickets_and_the_cost_per_retained_counts_customers(app, build):
    """Two resolved complaints of one customer who bought again: two cases of two."""

    def world():
        lead = factories.make_user(Role.LEAD)
        customer = factories.make_customer("Twice")
        for day in (date(2025, 10, 1), date(2025, 10, 5)):
            _ticket(lead, customer, created=_noon(day - timedelta(days=2)), resolved=_noon(day))
        _order(customer, date(2025, 10, 20))
        db.session.commit()

    build(world)
    with app.app_context():
        t = outcomes.report(date(2025, 10, 1), date(2025, 10, 31), today=date(2026, 1, 1)).total
        assert t.tickets == 2
        assert (t.repurchase[30].hits, t.repurchase[30].n) == (2, 2)


# ----------------------------------------------------------------- the account history


@pytest.mark.parametrize(
    ("offset", "before", "after"),
    [
        (-90, False, False),
        (-89, True, False),
        (-1, True, False),
        (0, True, False),
        (1, False, True),
        (90, False, True),
        (91, False, False),
    ],
)
def test_the_90_days_before_and_after_a_resolution(offset, before, after):
    """Before: the 90 desk days up to and including the resolution day. After: the 90 desk
    days that follow it. A purchase on the resolution day is before, never kept revenue."""
    resolved_on = date(2026, 1, 10)
    day = resolved_on + timedelta(days=offset)
    b_first, b_last = accounts.before_window(resolved_on)
    a_first, a_last = accounts.after_window(resolved_on)
    assert (b_first <= day <= b_last) is before
    assert (a_first <= day <= a_last) is after
    kept = accounts.revenue_kept([resolved_on], [accounts.Purchase(1, day, Decimal("10"), "EUR")])
    assert bool(kept) is after


# ----------------------------------------------------------------- 12-month look-backs


@pytest.mark.parametrize(
    ("earlier_utc", "counts"),
    [
        # This ticket: 15 March 2026, 10:00 in Berlin. The look-back starts at 00:00 on
        # 15 March 2025 in Berlin (23:00 UTC on the 14th) and that whole day counts.
        (datetime(2025, 3, 14, 23, 0, tzinfo=UTC), True),  # 00:00 on the 15th, Berlin
        (datetime(2025, 3, 14, 22, 59, tzinfo=UTC), False),  # 23:59 on the 14th, Berlin
        (datetime(2026, 3, 15, 8, 59, tzinfo=UTC), True),  # a minute before this ticket
    ],
)
def test_the_twelve_month_look_back_starts_at_the_desk_days_midnight(
    app, build, earlier_utc, counts
):
    def world():
        lead = factories.make_user(Role.LEAD)
        customer = factories.make_customer("Deli")
        _ticket(
            lead,
            customer,
            created=earlier_utc,
            resolved=earlier_utc + timedelta(hours=1),
            cause=CauseSide.OURS_PRODUCT,
        )
        return _ticket(
            lead,
            customer,
            created=datetime(2026, 3, 15, 9, tzinfo=UTC),
            resolved=datetime(2026, 3, 16, 9, tzinfo=UTC),
            cause=CauseSide.OURS_COORDINATION,
        )

    app.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Berlin"
    tid = build(world)
    with app.app_context():
        verdict = loyalty.assess(db.session.get(Ticket, tid))
        assert verdict.at_risk is counts
        assert (loyalty.NOT_FIRST_COMPLAINT in verdict.not_eligible) is counts


@pytest.mark.parametrize(
    ("created", "months", "start"),
    [
        (datetime(2026, 3, 15, 9, tzinfo=UTC), 12, datetime(2025, 3, 14, 23, tzinfo=UTC)),
        (datetime(2026, 3, 31, 22, 30, tzinfo=UTC), 1, datetime(2026, 2, 28, 23, tzinfo=UTC)),
        (datetime(2026, 7, 1, 12, tzinfo=UTC), 12, datetime(2025, 6, 30, 22, tzinfo=UTC)),
    ],
)
def test_look_back_start_in_berlin(app, created, months, start):
    """31 March 22:30 UTC is 1 April in Berlin: one month back is 1 March, midnight CET."""
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Berlin"
    with app.app_context():
        got = loyalty.look_back_start(created, months)
        assert got == start
        assert clock.desk_date(got) == loyalty.months_before(clock.desk_date(created), months)


@pytest.mark.parametrize(
    ("this", "earlier", "months_ago", "at_risk"),
    [
        (CauseSide.OURS_PRODUCT, CauseSide.OURS_COORDINATION, 11, True),
        (CauseSide.OURS_PRODUCT, CauseSide.OURS_COMMERCIAL, 12, True),
        (CauseSide.OURS_PRODUCT, CauseSide.OURS_PRODUCT, 13, False),
        (CauseSide.THEIRS_INTERNAL, CauseSide.OURS_PRODUCT, 1, False),
        (CauseSide.OURS_PRODUCT, CauseSide.THEIRS_INTERNAL, 1, False),
        (CauseSide.OURS_PRODUCT, CauseSide.UNKNOWN, 1, False),
    ],
)
def test_when_a_customer_is_at_risk(app, build, this, earlier, months_ago, at_risk):
    """At risk: this failure is ours and another of ours was logged in the 12 months
    before it (desk days), whatever the recovery's outcome."""
    created = datetime(2026, 3, 15, 9, tzinfo=UTC)

    def world():
        lead = factories.make_user(Role.LEAD)
        customer = factories.make_customer("Deli", tier=CustomerTier.KEY)
        before = loyalty.months_before(created, months_ago)
        _ticket(lead, customer, created=before, resolved=before + timedelta(days=1), cause=earlier)
        return _ticket(
            lead, customer, created=created, resolved=created + timedelta(days=1), cause=this
        )

    tid = build(world)
    with app.app_context():
        assert loyalty.assess(db.session.get(Ticket, tid)).at_risk is at_risk
