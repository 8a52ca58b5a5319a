"""The outcome report: every figure against values worked out by hand, and the page.

Two fixed worlds. The desk's timezone is UTC unless a test says otherwise.

World 1, "figures": today is Monday 2 March 2026, the period 1 Sep 2025 – 28 Feb 2026.
A horizon h has passed for a ticket resolved on day R when R + h <= 2 March 2026:
30 days up to R = 31 Jan, 60 days up to 1 Jan, 90 days up to 2 Dec, 180 days up to 3 Sep.

  tkt cust tier      resolved  cause         sev  loss  counted remedies        apology SLA missed
  T1  A    standard  1 Sep     ours_product  P2   100   MW reship 100 + GW 20   done    —
  T2  B    standard  1 Nov     ours_product  P3   200   MW refund 200 + GW 100  done    resolution
  T3  C    key       15 Dec    ours_coord.   P3    80   MW reship 80            open    remedy
  T4  D    key       20 Jan    theirs        P1   100   MW credit 90            done    first resp.
  T5  E    strategic 20 Feb    theirs        P2   100   MW reship 100 + GW 60   (task)  next resp.
  T6  A    standard  10 Feb    unknown       P4   —     GW 30                   —       —
  T2 is closed, the others resolved; T3 was reopened once, T5 twice; T5 is in USD.
  Not counted: T2's rejected goodwill of 500, T4's proposed goodwill of 50.

  Left out of the cohort: X1 (resolved 5 Oct, then reopened: open now), X2 (resolved
  31 Aug 23:30 UTC, the day before the period), X5 (B's new complaint of 20 Dec, open).

Purchases (amount > 0, not a remedy shipment):
  A 1 Jun 2025, 15 Sep, 20 Feb 2026 · B 31 Dec (its remedy shipment of 5 Nov and a zero
  order of 10 Nov do not count) · C 1 Mar 2025, 15 Dec (the resolution day: not "again") ·
  D 19 Feb 2026 · E 25 Feb · F 1 May 2025, 20 Sep, 20 Nov · G 1 Dec · H none.
  F, G, H never complained: they are the customers who can be matched.

World 2, "comparison": see ``_comparison_world``.
"""

import itertools
import math
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from ticketdesk.accounts import report as report_view
from ticketdesk.core.errors import DomainError
from ticketdesk.extensions import db
from ticketdesk.models import (
    CauseSide,
    CustomerTier,
    LoyaltyState,
    Order,
    RecoveryOutcome,
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
    TicketStatus,
    TicketStep,
)
from ticketdesk.services.recovery import outcomes
from ticketdesk.services.recovery.outcomes import CompensationBand, Rate, Verdict, compare

FIRST, LAST, TODAY = date(2025, 9, 1), date(2026, 2, 28), date(2026, 3, 2)
MW, GW = RemedyKind.MAKE_WHOLE, RemedyKind.GOODWILL
DELIVERED, APPROVED = RemedyState.DELIVERED, RemedyState.APPROVED
_refs = itertools.count(1)


def at(y: int, m: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=UTC)


def _ticket(
    actor: int,
    customer: int,
    *,
    created: datetime,
    resolved: datetime | None,
    status: TicketStatus = TicketStatus.RESOLVED,
    reopen_count: int = 0,
    cause: CauseSide = CauseSide.UNKNOWN,
    severity: Severity = Severity.P3,
    loss: str | None = None,
    currency: str = "EUR",
    breached: tuple[str, ...] = (),
) -> int:
    tid = factories.make_ticket(actor_id=actor, customer_id=customer, now=created)
    t = db.session.get(Ticket, tid)
    t.created_at, t.resolved_at, t.status, t.reopen_count = created, resolved, status, reopen_count
    t.cause_side, t.severity, t.currency = cause, severity, currency
    t.claimed_loss = Decimal(loss) if loss is not None else None
    for flag in breached:
        setattr(t, f"{flag}_breached", True)
    db.session.commit()
    return tid


def _order(
    customer: int, day: date, amount: str = "100.00", *, remedy_ticket: int | None = None
) -> None:
    db.session.add(
        Order(
            customer_id=customer,
            reference=f"SO-{next(_refs)}",
            ordered_on=day,
            amount=Decimal(amount),
            currency="EUR",
            remedy_ticket_id=remedy_ticket,
        )
    )


def _remedy(
    ticket: int,
    kind: RemedyKind,
    form: RemedyForm,
    cost: str,
    state: RemedyState = DELIVERED,
    currency: str = "EUR",
) -> None:
    db.session.add(
        Remedy(
            ticket_id=ticket,
            kind=kind,
            form=form,
            description=form.value,
            cost=Decimal(cost),
            currency=currency,
            reason=RemedyReason.MISSING_ITEMS,
            cap_base=Decimal("1000"),
            state=state,
        )
    )


def _step(ticket: int, kind: StepKind, done: datetime | None) -> None:
    position = db.session.scalar(
        sa.select(sa.func.count(TicketStep.id)).where(TicketStep.ticket_id == ticket)
    )
    db.session.add(
        TicketStep(
            ticket_id=ticket,
            position=position,
            kind=kind,
            title=kind.value,
            due_at=at(2025, 1, 1),
            done_at=done,
        )
    )


def _survey(ticket: int, score: int | None, answered: datetime | None) -> None:
    sent = at(2025, 8, 1)
    db.session.add(
        Survey(
            ticket_id=ticket,
            email="buyer@example.test",
            nonce=f"n{next(_refs)}",
            sent_at=sent,
            expires_at=sent + timedelta(days=400),
            answered_at=answered,
            score=score,
        )
    )


def _outcome(ticket: int, customer: int, state: LoyaltyState | None, resolved_on: date) -> None:
    db.session.add(
        RecoveryOutcome(
            ticket_id=ticket,
            customer_id=customer,
            resolved_on=resolved_on,
            success=state is not None,
            state=state,
        )
    )


def _figures_world() -> dict:
    lead = factories.make_user(Role.LEAD)
    std, key, strategic = CustomerTier.STANDARD, CustomerTier.KEY, CustomerTier.STRATEGIC
    a, b, f, h = (factories.make_customer(n, tier=std) for n in ("A", "B", "F", "H"))
    c, d, g = (factories.make_customer(n, tier=key) for n in ("C", "D", "G"))
    e = factories.make_customer("E", tier=strategic)
    ours, coord, theirs = (
        CauseSide.OURS_PRODUCT,
        CauseSide.OURS_COORDINATION,
        CauseSide.THEIRS_INTERNAL,
    )

    t1 = _ticket(
        lead,
        a,
        created=at(2025, 8, 25),
        resolved=at(2025, 9, 1, 0, 30),
        cause=ours,
        severity=Severity.P2,
        loss="100",
    )
    t2 = _ticket(
        lead,
        b,
        created=at(2025, 10, 25),
        resolved=at(2025, 11, 1),
        status=TicketStatus.CLOSED,
        cause=ours,
        severity=Severity.P3,
        loss="200",
        breached=("resolution",),
    )
    t3 = _ticket(
        lead,
        c,
        created=at(2025, 12, 10),
        resolved=at(2025, 12, 15),
        reopen_count=1,
        cause=coord,
        severity=Severity.P3,
        loss="80",
        breached=("remedy",),
    )
    t4 = _ticket(
        lead,
        d,
        created=at(2026, 1, 15),
        resolved=at(2026, 1, 20),
        cause=theirs,
        severity=Severity.P1,
        loss="100",
        breached=("first_response",),
    )
    t5 = _ticket(
        lead,
        e,
        created=at(2026, 2, 15),
        resolved=at(2026, 2, 20),
        reopen_count=2,
        cause=theirs,
        severity=Severity.P2,
        loss="100",
        currency="USD",
        breached=("next_response",),
    )
    t6 = _ticket(lead, a, created=at(2026, 2, 1), resolved=at(2026, 2, 10), severity=Severity.P4)
    x1 = _ticket(
        lead,
        c,
        created=at(2025, 10, 1),
        resolved=at(2025, 10, 5),
        status=TicketStatus.OPEN,
        reopen_count=1,
    )
    x2 = _ticket(lead, d, created=at(2025, 8, 20), resolved=at(2025, 8, 31, 23, 30), loss="10")
    _ticket(lead, b, created=at(2025, 12, 20), resolved=None, status=TicketStatus.OPEN)

    _remedy(t1, MW, RemedyForm.RESHIP, "100")
    _remedy(t1, GW, RemedyForm.FREE_ITEM, "20")
    _remedy(t2, GW, RemedyForm.COUPON, "500", RemedyState.REJECTED)
    _remedy(t2, MW, RemedyForm.REFUND, "200", APPROVED)
    _remedy(t2, GW, RemedyForm.CREDIT, "100")
    _remedy(t3, MW, RemedyForm.RESHIP, "80")
    _remedy(t4, MW, RemedyForm.CREDIT, "90")
    _remedy(t4, GW, RemedyForm.FREE_ITEM, "50", RemedyState.PROPOSED)
    _remedy(t5, MW, RemedyForm.RESHIP, "100", currency="USD")
    _remedy(t5, GW, RemedyForm.FREE_ITEM, "60", currency="USD")
    _remedy(t6, GW, RemedyForm.FREE_ITEM, "30")
    _remedy(x2, MW, RemedyForm.REFUND, "1000")

    for ticket in (t1, t2, t4):
        _step(ticket, StepKind.APOLOGY, at(2025, 9, 1))
    _step(t3, StepKind.APOLOGY, None)
    _step(t5, StepKind.TASK, at(2026, 2, 16))

    _survey(t1, 5, at(2025, 9, 2))
    _survey(t2, 2, at(2025, 11, 2))  # superseded by the later answer below
    _survey(t2, 4, at(2025, 11, 10))
    _survey(t3, 2, at(2025, 12, 16))
    _survey(t4, None, None)  # sent, never answered
    _survey(t5, 3, at(2026, 2, 21))
    _survey(x1, 1, at(2025, 10, 6))
    _survey(x2, 1, at(2025, 9, 2))

    _outcome(t1, a, LoyaltyState.RETAINED, date(2025, 9, 1))
    _outcome(t2, b, LoyaltyState.LAPSED, date(2025, 11, 1))
    _outcome(t3, c, None, date(2025, 12, 15))
    _outcome(t4, d, LoyaltyState.RETAINED, date(2026, 1, 20))
    _outcome(t5, e, LoyaltyState.CANDIDATE, date(2026, 2, 20))
    _outcome(t6, a, LoyaltyState.RETAINED, date(2026, 2, 10))
    _outcome(x1, c, LoyaltyState.RETAINED, date(2025, 10, 5))
    _outcome(x2, d, LoyaltyState.LAPSED, date(2025, 8, 31))

    for day in (date(2025, 6, 1), date(2025, 9, 15), date(2026, 2, 20)):
        _order(a, day)
    _order(b, date(2025, 11, 5), "50.00", remedy_ticket=t2)
    _order(b, date(2025, 11, 10), "0.00")
    _order(b, date(2025, 12, 31))
    _order(c, date(2025, 3, 1))
    _order(c, date(2025, 12, 15))
    _order(d, date(2026, 2, 19))
    _order(e, date(2026, 2, 25))
    for day in (date(2025, 5, 1), date(2025, 9, 20), date(2025, 11, 20)):
        _order(f, day)
    _order(g, date(2025, 12, 1))
    db.session.commit()
    return dict(lead=lead, t1=t1, t2=t2, t3=t3, t4=t4, t5=t5, t6=t6, a=a, b=b, c=c, h=h)


@pytest.fixture
def world(build):
    return build(_figures_world)


def _rates(rates: dict[int, Rate]) -> dict[int, tuple[int, int]]:
    return {h: (r.hits, r.n) for h, r in rates.items()}


def _groups(report, name):
    return {g.key: g.figures for g in report.breakdowns[name]}


# ----------------------------------------------------------------- world 1: the figures


def test_cohort_repurchase_and_maturity(app, world):
    with app.app_context():
        r = outcomes.report(FIRST, LAST, today=TODAY)
        t = r.total
        # T1–T6; X1 is open again, X2 was resolved on 31 Aug, X5 is not resolved.
        assert t.tickets == 6
        # 30 days: matured T1 T2 T3 T4; bought T1 (15 Sep) and T4 (19 Feb = 20 Jan + 30).
        #   T2's remedy shipment (5 Nov) and zero order (10 Nov) do not count; C's order
        #   on T3's own resolution day does not either. T5 and T6 have not matured.
        # 60 days: matured T1 T2 T3; bought T1 and T2 (31 Dec = 1 Nov + 60).
        # 90 days: matured T1 T2, both bought. 180 days: only T1 (28 Feb = 1 Sep + 180).
        assert _rates(t.repurchase) == {30: (2, 4), 60: (2, 3), 90: (2, 2), 180: (1, 1)}
        assert t.repurchase[30].value == 0.5
        assert t.repurchase[60].value == pytest.approx(2 / 3)


def test_matched_group_with_too_few_tickets(app, world):
    """Matches (same tier, no ticket logged in the period, same volume band):
    T1 (A standard, 1 purchase in the year before 1 Sep: band 1–2) → F (1 purchase before
    1 Sep: band 1–2; bought 20 Sep). H (band 0) is no match.
    T2 (B standard, band 0 on 1 Nov) → H (band 0, never buys). F now has 2: band 1–2.
    T3 (C key, 1 purchase: band 1–2) → G (1 Dec: band 1–2, buys nothing after 15 Dec).
    T4 (D key, band 0 on 20 Jan) → none: G is in band 1–2.
    """
    with app.app_context():
        c = outcomes.report(FIRST, LAST, today=TODAY).total.comparisons
        margin = 1.96 * math.sqrt(2 / 27)  # (1/3)(2/3)/3 = 2/27; the matches' p(1−p) are 0
        # 30 days: T1 T2 T3 matched. Complainers 1/3 (T1); baseline (1 + 0 + 0)/3 = 1/3.
        c30 = c[30]
        assert (c30.n, c30.matches) == (3, 3)
        assert c30.complainers == pytest.approx(1 / 3)
        assert c30.baseline == pytest.approx(1 / 3)
        assert c30.difference == pytest.approx(0)
        assert (c30.low, c30.high) == (pytest.approx(-margin), pytest.approx(margin))
        assert c30.verdict is Verdict.TOO_FEW  # 3 < 10, whatever the interval
        # 60 days: complainers 2/3 (T1 T2), baseline 1/3 (F only) → d = 1/3, same margin.
        assert c[60].n == 3 and c[60].difference == pytest.approx(1 / 3)
        assert c[60].low == pytest.approx(1 / 3 - margin)
        # 90 days: T1 and T2; complainers 2/2, baseline (1 + 0)/2 → d = 0.5, SE 0.
        assert (c[90].n, c[90].complainers, c[90].baseline) == (2, 1.0, 0.5)
        assert c[90].low == pytest.approx(0.5) and c[90].high == pytest.approx(0.5)
        assert c[90].verdict is Verdict.TOO_FEW
        # 180 days: T1 alone, F bought too: d = 0.
        assert (c[180].n, c[180].difference) == (1, 0)


def test_reopen_repeat_and_satisfaction(app, world):
    with app.app_context():
        t = outcomes.report(FIRST, LAST, today=TODAY).total
        # Reopened: T3 and T5 of six.
        assert (t.reopened.hits, t.reopened.n) == (2, 6)
        # Again within 90 days, matured T1 and T2 only: B logged X5 on 20 Dec (within 90
        # days of 1 Nov); A's T6 of 1 Feb came 153 days after T1.
        assert (t.repeat.hits, t.repeat.n) == (1, 2)
        # Latest answer per ticket: T1 5, T2 4 (not its earlier 2), T3 2, T5 3; T4 none.
        s = t.satisfaction
        assert (s.n, s.mean) == (4, 3.5)
        assert (s.satisfied.hits, s.satisfied.n) == (2, 4)


def test_conversion_goodwill_and_cost_per_retained(app, world):
    with app.app_context():
        t = outcomes.report(FIRST, LAST, today=TODAY).total
        # Retained T1 T4 T6, lapsed T2 → 3 of 4 decided; T5 still a candidate; T3 none.
        # X1's retained and X2's lapsed outcome are outside the cohort.
        cv = t.conversion
        assert (cv.retained, cv.lapsed, cv.candidates, cv.at_risk) == (3, 1, 1, 0)
        assert cv.rate.value == 0.75
        # Goodwill ÷ make-whole: T1 20/100, T2 100/200, T3 0/80, T4 0/90 (proposed 50 not
        # counted), T5 60/100; T6 has no make-whole. (0.2 + 0.5 + 0 + 0 + 0.6) / 5 = 0.26.
        assert t.goodwill_ratio.n == 5
        assert t.goodwill_ratio.value == pytest.approx(0.26)
        # EUR: 120 + 300 (rejected 500 left out) + 80 + 90 + 30 = 620, retained customers
        # A (T1, T6 — once) and D → 310.00. USD: T5's 160, nobody retained yet → none.
        eur, usd = t.cost_per_retained
        assert (eur.currency, eur.cost, eur.customers, eur.per_customer) == (
            "EUR",
            Decimal("620.00"),
            2,
            Decimal("310.00"),
        )
        assert (usd.currency, usd.cost, usd.customers, usd.per_customer) == (
            "USD",
            Decimal("160.00"),
            0,
            None,
        )


def test_compensation_bands_at_their_boundaries():
    band = outcomes.compensation_band
    d = Decimal
    assert band(d("99.99"), d("100")) is CompensationBand.UNDER_100
    assert band(d("100"), d("100")) is CompensationBand.FROM_100_TO_120  # exactly 100%
    assert band(d("120"), d("100")) is CompensationBand.FROM_100_TO_120  # exactly 120%
    assert band(d("120.01"), d("100")) is CompensationBand.OVER_120_TO_150
    assert band(d("150"), d("100")) is CompensationBand.OVER_120_TO_150  # exactly 150%
    assert band(d("150.01"), d("100")) is CompensationBand.OVER_150
    assert band(d("50"), None) is CompensationBand.UNKNOWN
    assert band(d("0"), d("0")) is CompensationBand.UNKNOWN


def test_volume_bands():
    assert [outcomes.volume_band(n) for n in (0, 1, 2, 3, 5, 6, 11, 12, 40)] == [
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
    ]


def test_breakdowns(app, world):
    with app.app_context():
        r = outcomes.report(FIRST, LAST, today=TODAY)
        tickets = {
            name: {key: f.tickets for key, f in _groups(r, name).items()}
            for name in outcomes.BREAKDOWNS
        }
        assert tickets == {
            "cause_side": {
                "unknown": 1,
                "ours_product": 2,
                "ours_coordination": 1,
                "theirs_internal": 2,
            },
            "severity": {"p1": 1, "p2": 2, "p3": 2, "p4": 1},
            "remedy_form": {"reship": 3, "refund": 1, "credit": 1, "none": 1},
            # T4 90/100; T1 120/100 and T3 80/80; T2 300/200; T5 160/100; T6 no loss.
            "compensation": {
                "under_100": 1,
                "100_120": 2,
                "120_150": 1,
                "over_150": 1,
                "unknown": 1,
            },
            "sla": {"met": 2, "missed": 4},
            "apology": {"given": 3, "not_given": 3},
        }
        assert [g.key for g in r.breakdowns["compensation"]] == [
            "under_100",
            "100_120",
            "120_150",
            "over_150",
            "unknown",
        ]

        # Reship: T1 T3 T5. 30 days: T1 yes, T3 no, T5 not matured. Reopened T3 T5.
        # Scores 5, 2, 3 → mean 10/3, one satisfied. Goodwill (0.2 + 0 + 0.6)/3.
        # Cost: EUR 120 + 80 over A → 200; USD 160, nobody retained.
        reship = _groups(r, "remedy_form")["reship"]
        assert _rates(reship.repurchase)[30] == (1, 2)
        assert (reship.reopened.hits, reship.reopened.n) == (2, 3)
        assert reship.satisfaction.mean == pytest.approx(10 / 3)
        assert reship.satisfaction.satisfied.hits == 1
        assert reship.goodwill_ratio.value == pytest.approx(0.8 / 3)
        assert [(c.currency, c.per_customer) for c in reship.cost_per_retained] == [
            ("EUR", Decimal("200.00")),
            ("USD", None),
        ]

        # Apology given: T1 T2 T4. 30 days: T1 and T4 bought, T2 not → 2 of 3. Retained
        # T1 T4, lapsed T2 → 2 of 3. Matched at 30 days: T1 (F bought) and T2 (H did not):
        # complainers 1/2, baseline 1/2.
        given = _groups(r, "apology")["given"]
        assert _rates(given.repurchase)[30] == (2, 3)
        assert (given.conversion.retained, given.conversion.rate.n) == (2, 3)
        assert (given.comparisons[30].n, given.comparisons[30].difference) == (2, 0)
        # No apology: T3 T5 T6 → 30 days T3 only (not bought). Decided: T6 retained;
        # T5 still a candidate, T3 no candidate → 1 of 1.
        not_given = _groups(r, "apology")["not_given"]
        assert _rates(not_given.repurchase)[30] == (0, 1)
        assert (not_given.conversion.rate.hits, not_given.conversion.rate.n) == (1, 1)
        assert not_given.conversion.candidates == 1
        # Nobody in the P4 group (T6) has a matured horizon: every rate is empty.
        assert _groups(r, "severity")["p4"].repurchase[30].value is None

        # SLA met: T1 and T6, both retained by A → EUR (120 + 30) / 1 customer.
        met = _groups(r, "sla")["met"]
        assert met.conversion.rate.value == 1.0
        assert met.cost_per_retained[0].per_customer == Decimal("150.00")
        # Ours (product): T1 T2 → 30 days 1 of 2, 60 days 2 of 2; EUR 420 over A.
        ours = _groups(r, "cause_side")["ours_product"]
        assert _rates(ours.repurchase)[30] == (1, 2) and _rates(ours.repurchase)[60] == (2, 2)
        assert ours.cost_per_retained[0].per_customer == Decimal("420.00")
        # 100–120%: T1 and T3; P1: T4 alone, its first response missed.
        assert _groups(r, "compensation")["100_120"].reopened.hits == 1
        assert _groups(r, "severity")["p1"].repurchase[30].value == 1.0


def test_the_period_is_read_in_the_desk_timezone(app, world):
    """In Berlin (UTC+2 in summer), X2's 31 Aug 23:30 UTC is 1 Sep: it joins the cohort."""
    with app.app_context():
        app.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Berlin"
        assert outcomes.report(FIRST, LAST, today=TODAY).total.tickets == 7


def test_an_empty_period(app, world):
    with app.app_context():
        r = outcomes.report(date(2024, 1, 1), date(2024, 12, 31), today=TODAY)
        assert r.total.tickets == 0
        assert r.total.repurchase[30].value is None
        assert r.total.comparisons[30].verdict is Verdict.TOO_FEW
        assert r.total.cost_per_retained == []
        assert all(groups == [] for groups in r.breakdowns.values())


def test_period_validation(app, world):
    with app.app_context():
        with pytest.raises(DomainError) as reversed_:
            outcomes.report(LAST, FIRST, today=TODAY)
        assert reversed_.value.field == "until"
        with pytest.raises(DomainError) as too_long:
            outcomes.report(date(2023, 1, 1), date(2025, 1, 1), today=TODAY)
        assert too_long.value.field == "since"


def test_the_number_of_queries_does_not_grow_with_the_tickets(app, query_counter, world):
    def count_queries() -> int:
        with query_counter() as queries:
            outcomes.report(FIRST, LAST, today=TODAY)
        return queries.count

    with app.app_context():
        before = count_queries()
        for n in range(5):
            customer = factories.make_customer(f"More {n}")
            tid = _ticket(
                world["lead"],
                customer,
                created=at(2025, 10, 1),
                resolved=at(2025, 10, 2 + n),
                loss="50",
            )
            _remedy(tid, MW, RemedyForm.RESHIP, "50")
            _step(tid, StepKind.APOLOGY, at(2025, 10, 2))
            _survey(tid, 4, at(2025, 10, 3))
            _outcome(tid, customer, LoyaltyState.LAPSED, date(2025, 10, 2))
            _order(customer, date(2025, 10, 20))
        db.session.commit()
        db.session.expire_all()
        assert outcomes.report(FIRST, LAST, today=TODAY).total.tickets == 11
        assert count_queries() == before <= 8


# ----------------------------------------------------------------- world 2: the comparison


def _comparison_world() -> dict:
    """Ten key-tier complainers, all resolved on D = 1 Oct 2025; today is 9 Jan 2026, so
    30 (31 Oct), 60 (30 Nov) and 90 days (30 Dec) have passed and 180 days have not.

    Complainers C1–C10, one purchase each in the 365 days up to and including D (band
    1–2): C1's on 1 Oct 2024, 365 days before, falls out of them, but C1 also buys on D
    itself, which counts as before (not "again").
    C1–C5 buy again on 20 Nov (D + 50), C6–C10 on 10 Dec (D + 70). C6's remedy shipment
    (11 Oct) and zero order (12 Oct) do not count. C11 has six purchases before D (band
    6–11, nobody to match) and buys on 6 Oct.

    Matches for every ticket, the key customers in band 1–2 without a ticket logged in
    the period nor in the 365 days before it: M1 (buys 31 Oct = D + 30), M2 (two before D;
    buys 15 Nov = D + 45), M3 (buys 20 Dec = D + 80), M5 (only a zero order after D).
    m = 4; bought within 30 / 60 / 90 days: 1 / 2 / 3 of 4.

    Not matched, although each buys on 2 Oct: Z (its 30 Sep 2024 purchase is 366 days
    before D: band 0), W (three purchases: band 3–5), X (logged a ticket in November),
    Y (standard tier), M4 (band 1–2, but it complained in March 2025, in the year before
    the period).
    """
    lead = factories.make_user(Role.LEAD)
    key = CustomerTier.KEY
    index = date(2025, 10, 1)
    day = lambda n: index + timedelta(days=n)  # noqa: E731
    complainers = [factories.make_customer(f"C{n}", tier=key) for n in range(1, 12)]
    tickets = [
        _ticket(lead, c, created=at(2025, 9, 28), resolved=at(2025, 10, 1)) for c in complainers
    ]
    for n, customer in enumerate(complainers[:10], start=1):
        _order(customer, date(2024, 10, 1) if n == 1 else date(2025, 6, 1))
        _order(customer, day(50) if n <= 5 else day(70))
    _order(complainers[0], index)
    _order(complainers[5], day(10), "30.00", remedy_ticket=tickets[5])
    _order(complainers[5], day(11), "0.00")
    for month in range(3, 9):
        _order(complainers[10], date(2025, month, 1))
    _order(complainers[10], day(5))

    m1, m2, m3, m4, m5, z, w, x = (
        factories.make_customer(n, tier=key) for n in ("M1", "M2", "M3", "M4", "M5", "Z", "W", "X")
    )
    y = factories.make_customer("Y", tier=CustomerTier.STANDARD)
    _order(m1, date(2025, 5, 1))
    _order(m1, day(30))
    _order(m2, date(2025, 4, 1))
    _order(m2, date(2025, 7, 1))
    _order(m2, day(45))
    _order(m3, date(2025, 8, 1))
    _order(m3, day(80))
    m4_ticket = _ticket(lead, m4, created=at(2025, 3, 1), resolved=at(2025, 3, 5))
    _order(m4, date(2025, 9, 1))
    _order(m4, day(5), "40.00", remedy_ticket=m4_ticket)
    _order(m4, day(6), "0.00")
    _order(m5, date(2025, 9, 1))
    _order(m5, day(6), "0.00")
    _order(m4, day(1))
    _order(z, date(2024, 9, 30))
    _order(z, date(2025, 9, 15), "0.00")
    for month in (2, 3, 4):
        _order(w, date(2025, month, 1))
    _ticket(lead, x, created=at(2025, 11, 15), resolved=None, status=TicketStatus.OPEN)
    _order(x, date(2025, 6, 1))
    _order(y, date(2025, 6, 1))
    for customer in (z, w, x, y):
        _order(customer, day(1))
    db.session.commit()
    return dict(lead=lead)


def test_matched_comparison_and_its_verdicts(app, build):
    build(_comparison_world)
    with app.app_context():
        r = outcomes.report(date(2025, 9, 1), date(2025, 12, 31), today=date(2026, 1, 9))
        t = r.total
        # All 11 tickets matured for 30 days; only C11 bought within them (6 Oct).
        assert _rates(t.repurchase) == {30: (1, 11), 60: (6, 11), 90: (11, 11), 180: (0, 0)}
        c = t.comparisons
        assert [c[h].n for h in (30, 60, 90, 180)] == [10, 10, 10, 0]
        assert c[30].matches == 40  # four matches for each of ten tickets

        # 30 days: complainers 0/10, baseline 1/4 → d = −0.25.
        # SE² = 0 + 10 × (¼ × ¾ / 4) / 10² = 0.0046875; SE = 0.0684653; 1.96 SE = 0.134192.
        # Interval −0.384192 to −0.115808, wholly below zero: worse than baseline.
        assert (c[30].complainers, c[30].baseline) == (0.0, 0.25)
        assert c[30].difference == pytest.approx(-0.25)
        assert c[30].low == pytest.approx(-0.384192, abs=1e-6)
        assert c[30].high == pytest.approx(-0.115808, abs=1e-6)
        assert c[30].verdict is Verdict.WORSE
        # 60 days: complainers 5/10, baseline 2/4 → d = 0.
        # SE² = ½ × ½ / 10 + 10 × (½ × ½ / 4) / 100 = 0.025 + 0.00625 = 0.03125;
        # 1.96 SE = 0.346482: the interval holds zero → restored.
        assert c[60].difference == pytest.approx(0)
        assert c[60].high == pytest.approx(0.346482, abs=1e-6)
        assert c[60].verdict is Verdict.RESTORED
        # 90 days: complainers 10/10, baseline 3/4 → d = +0.25, SE² as at 30 days:
        # 0.115808 to 0.384192, wholly above zero → better than baseline.
        assert c[90].low == pytest.approx(0.115808, abs=1e-6)
        assert c[90].high == pytest.approx(0.384192, abs=1e-6)
        assert c[90].verdict is Verdict.BETTER
        # 180 days have not passed for anyone.
        assert c[180].verdict is Verdict.TOO_FEW and c[180].baseline is None


def test_nine_matched_tickets_are_too_few():
    nine = [(True, 4, 0)] * 9  # d = 1 − 0 with SE 0: clearly "better"…
    assert compare(nine, 30).verdict is Verdict.TOO_FEW  # …but 9 < 10
    assert compare(nine + [(True, 4, 0)], 30).verdict is Verdict.BETTER


def test_matched_counts_for_every_day_agree_with_counting_one_by_one():
    """The matcher adds each candidate to runs of days; counting every candidate on every
    day, the slow way, must give the same numbers (random purchases, fixed seed)."""
    rng = random.Random(7)
    first, last = date(2025, 1, 1), date(2025, 6, 30)
    rows, candidates = [], {"key": [], "standard": []}
    for cid in range(60):
        candidates["key" if cid % 3 else "standard"].append(cid)
        for _ in range(rng.choice((0, 1, 2, 4, 8, 14))):
            rows.append((cid, first + timedelta(days=rng.randint(-400, 380))))
    purchases = outcomes._Purchases(rows)
    matcher = outcomes._Matcher(candidates, purchases, first, last)
    for offset in range((last - first).days + 1):
        index = first + timedelta(days=offset)
        for tier, ids in candidates.items():
            expected: dict[int, tuple[int, dict[int, int]]] = {}
            for cid in ids:
                days = sorted(day for c, day in rows if c == cid)
                prior = sum(index - timedelta(days=364) <= day <= index for day in days)
                band = outcomes.volume_band(prior)
                m, bought = expected.get(band, (0, dict.fromkeys(outcomes.HORIZONS, 0)))
                for h in outcomes.HORIZONS:
                    bought[h] += any(index < day <= index + timedelta(days=h) for day in days)
                expected[band] = (m + 1, bought)
            assert matcher.bands(tier, index) == expected, (tier, index)


# ----------------------------------------------------------------- the page


@pytest.fixture
def fixed_today(monkeypatch):
    monkeypatch.setattr(report_view, "utcnow", lambda: at(2026, 3, 2, 9))


QUERY = "/accounts/outcomes?since=2025-09-01&until=2026-02-28"


def test_the_page_shows_the_figures_in_words(world, login, make_user, fixed_today):
    text = login(make_user(Role.LEAD)).get(QUERY).get_data(as_text=True)
    assert "Do recovered customers stay?" in text
    assert "50.0% (2 of 4)" in text  # bought again within 30 days
    assert "75.0% (3 of 4)" in text  # retained of those decided
    assert "85.0%" in text  # the trade's figure, beside it
    assert "€310.00" in text  # per retained customer (EUR)
    assert "nobody retained" not in text and "no customer retained" in text
    assert "Too few to judge" in text
    assert "normal approximation" in text
    assert "Over 150% of the loss" in text and "Unknown (no claimed loss)" in text
    assert "Ours: product or solution" in text and "No make-whole remedy" in text
    assert "<caption" in text
    assert "— (none yet)" in text  # T5's and T6's horizons


def test_the_default_period_is_the_last_365_days(world, login, make_user, fixed_today):
    answer = login(make_user(Role.ACCOUNT_MANAGER)).get("/accounts/outcomes")
    assert answer.status_code == 200
    text = answer.get_data(as_text=True)
    assert 'value="2025-03-03"' in text and 'value="2026-03-02"' in text


def test_bad_periods_get_a_message(world, login, make_user):
    client = login(make_user(Role.LEAD))
    answer = client.get("/accounts/outcomes?since=2026-02-01&until=2026-01-01")
    assert answer.status_code == 400
    assert "The period ends before it starts." in answer.get_data(as_text=True)
    assert client.get("/accounts/outcomes?since=yesterday").status_code == 400
    too_long = client.get("/accounts/outcomes?since=2022-01-01&until=2026-01-01")
    assert too_long.status_code == 400
    assert "at most 731 days" in too_long.get_data(as_text=True)


@pytest.mark.parametrize(
    "role, status",
    [(Role.AGENT, 403), (Role.ADMIN, 403), (Role.ACCOUNT_MANAGER, 200), (Role.LEAD, 200)],
)
def test_access_per_role(make_user, login, role, status):
    assert login(make_user(role)).get("/accounts/outcomes").status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client):
    answer = client.get("/accounts/outcomes")
    assert answer.status_code == 302
    assert "/login" in answer.headers["Location"]
