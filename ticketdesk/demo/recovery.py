"""Demo data for what happens after a recovery: orders, satisfaction answers, standing changes
and a segment set by hand. ``demo.load_demo`` calls ``load`` once the tickets exist, inside its
unit of work (``load`` only adds to the session); the daily loyalty job then judges the
recoveries from these rows as it would on a real desk.

Buying is simulated per customer, day by day over 18 months, from a rate that fits the
account (its tier, whether it is a business) and a pattern: steady, falling off, or low and
needing a push. A recovery changes the 120 days after it: some customers stay away whatever
we did, more of them after a bad recovery; the others buy a little more after a good one and
less after a bad one. That is an assumption of the demo, not a finding: the outcome report
measures what the data says.
"""

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from ticketdesk.core.clock import desk_date
from ticketdesk.extensions import db
from ticketdesk.models import (
    Customer,
    CustomerTier,
    EngagementSegment,
    EventKind,
    Order,
    OrderSource,
    RemedyForm,
    RemedyKind,
    RemedyState,
    Standing,
    StandingChange,
    StepKind,
    Survey,
    Ticket,
    TicketEvent,
    TicketStatus,
    User,
)
from ticketdesk.services import timeline as events
from ticketdesk.services.recovery import surveys

HISTORY_DAYS = 540
RECOVERY_EFFECT_DAYS = 120

# Purchases per 30 days, by tier; small businesses and consumers buy less often.
_RATE = {CustomerTier.STRATEGIC: 5.0, CustomerTier.KEY: 2.5, CustomerTier.STANDARD: 1.2}
_CONSUMER_RATE = 0.45
_AMOUNTS = {
    CustomerTier.STRATEGIC: (4000, 70000),
    CustomerTier.KEY: (600, 14000),
    CustomerTier.STANDARD: (80, 2400),
}
_CONSUMER_AMOUNTS = (18, 380)

_GOOD_COMMENTS = (
    "Quick and friendly, thank you.",
    "The replacement came the next day. Very happy.",
    "You sorted it without any fuss. Appreciated.",
    "Good to speak to someone who took it seriously.",
    "",
    "",
)
_MIXED_COMMENTS = (
    "Fixed in the end, but it took several calls.",
    "Fine, though I had to explain it twice.",
    "The refund took longer than promised.",
    "",
)

# Standing changes with their reasons: (customer key, old, new, days ago, reason).
_STANDING_CHANGES = (
    (
        "brightline",
        Standing.STRATEGIC,
        Standing.QUALIFICATION_PENDING,
        45,
        "Their quality team moved us to qualification pending after the adapter batch failure; "
        "the next two deliveries decide whether we get back on the approved list.",
    ),
    (
        "pixel_forge",
        Standing.PREFERRED,
        Standing.ACTIVE_ELIMINATION,
        120,
        "Office supplies moved to another vendor after two late deliveries in a row; they still "
        "buy furniture from us.",
    ),
    (
        "fjord_fitness",
        Standing.PREFERRED,
        Standing.PASSIVE_ELIMINATION,
        75,
        "Quarterly price review: they are comparing three suppliers and have stopped reordering "
        "towels from us.",
    ),
    (
        "meridian",
        Standing.STRATEGIC,
        Standing.PREFERRED,
        200,
        "New procurement director split the linen contract between two suppliers.",
    ),
)


def _pattern(rng: random.Random, customer: Customer) -> str:
    """How the account buys: mostly steady; some fall off; some only buy when pushed."""
    if customer.standing in (Standing.ACTIVE_ELIMINATION, Standing.PASSIVE_ELIMINATION):
        return "falling"
    return rng.choices(("steady", "falling", "push"), weights=(60, 15, 25))[0]


def _pattern_factor(pattern: str, days_ago: int) -> float:
    if pattern == "falling":
        return 1.0 if days_ago > 200 else 0.45 if days_ago > 95 else 0.08
    if pattern == "push":
        return 0.45
    return 1.0


def _recovered_well(ticket: Ticket) -> bool:
    conceded = any(r.conceded for r in ticket.remedies if r.is_live)
    apologised = any(s.kind is StepKind.APOLOGY and s.is_done for s in ticket.steps)
    return not (ticket.remedy_breached or ticket.resolution_breached or conceded) and (
        apologised or not any(s.kind is StepKind.APOLOGY for s in ticket.steps)
    )


def _orders(
    rng: random.Random,
    customer: Customer,
    business: bool,
    currency: str,
    recoveries: list[tuple[date, bool]],
    today: date,
) -> list[Order]:
    rate = (_RATE[customer.tier] if business else _CONSUMER_RATE) / 30
    low, high = _AMOUNTS[customer.tier] if business else _CONSUMER_AMOUNTS
    if currency == "CNY":
        low, high = low * 7, high * 7
    pattern = _pattern(rng, customer)
    # After a recovery some customers stay away for a while, whatever we did; more of
    # them when it went badly. The others buy a little more or a little less than before.
    effects = [
        (resolved_on, 0.0 if rng.random() < (0.2 if good else 0.45) else 1.1 if good else 0.6)
        for resolved_on, good in recoveries
    ]
    orders, number = [], 0
    for days_ago in range(HISTORY_DAYS, -1, -1):
        day = today - timedelta(days=days_ago)
        chance = rate * _pattern_factor(pattern, days_ago)
        for resolved_on, factor in effects:
            if resolved_on < day <= resolved_on + timedelta(days=RECOVERY_EFFECT_DAYS):
                chance *= factor
        if rng.random() < chance:
            number += 1
            amount = Decimal(str(round(rng.uniform(low, high), 2))).quantize(Decimal("0.01"))
            orders.append(
                Order(
                    customer_id=customer.id,
                    reference=f"ORD-{customer.id:03d}-{number:04d}",
                    ordered_on=day,
                    amount=amount,
                    currency=currency,
                    source=OrderSource.IMPORT,
                    created_at=datetime.combine(day, time(9), tzinfo=UTC),
                )
            )
    return orders


def _remedy_shipments(tickets: list[Ticket]) -> list[Order]:
    """Reshipped goods appear in the ERP as orders of their own: not purchases."""
    shipments = []
    for ticket in tickets:
        for remedy in ticket.remedies:
            if (
                remedy.kind is RemedyKind.MAKE_WHOLE
                and remedy.form is RemedyForm.RESHIP
                and remedy.state is RemedyState.DELIVERED
                and remedy.delivered_at
            ):
                shipments.append(
                    Order(
                        customer_id=ticket.customer_id,
                        reference=f"RS-{ticket.reference}",
                        ordered_on=desk_date(remedy.delivered_at),
                        amount=Decimal("0.00"),
                        currency=ticket.currency,
                        remedy_ticket_id=ticket.id,
                        source=OrderSource.IMPORT,
                        created_at=remedy.delivered_at,
                    )
                )
                break
    return shipments


def _answer_surveys(rng: random.Random, tickets: list[Ticket], now: datetime) -> tuple[int, int]:
    """Most customers answer the survey their resolution sent them (``tickets`` sent one
    each as they were resolved); a few answers are still to come."""
    by_id = {t.id: t for t in tickets}
    db.session.flush()
    # An answer comes after everything already on the ticket's timeline (it is written last).
    last = dict(
        db.session.execute(
            sa.select(TicketEvent.ticket_id, sa.func.max(TicketEvent.created_at)).group_by(
                TicketEvent.ticket_id
            )
        ).all()
    )
    sent = answered = 0
    for survey in db.session.scalars(
        sa.select(Survey)
        .where(Survey.answered_at.is_(None), Survey.superseded_at.is_(None))
        .order_by(Survey.id)
    ):
        ticket = by_id.get(survey.ticket_id)
        if ticket is None or ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            continue
        sent += 1
        after = max(survey.sent_at, last.get(ticket.id, survey.sent_at))
        answered_at = after + timedelta(hours=rng.uniform(2, 96))
        if rng.random() < 0.35 or answered_at > min(now, survey.expires_at):
            continue  # no answer (yet)
        good = _recovered_well(ticket)
        score = rng.choice((5, 5, 5, 4, 4, 4, 4, 3) if good else (5, 4, 4, 3, 3))
        comment = rng.choice(_GOOD_COMMENTS if score >= 4 else _MIXED_COMMENTS)
        survey.answered_at, survey.score, survey.comment = answered_at, score, comment
        body = _("Satisfaction %(score)s.", score=surveys.score_text(score))
        events.record(
            ticket,
            EventKind.SURVEY,
            now=answered_at,
            actor=None,
            by_customer=True,
            body=body + ("\n" + comment if comment else ""),
            new=str(score),
        )
        answered += 1
    return sent, answered


def load(
    rng: random.Random,
    *,
    now: datetime,
    customers: dict,
    tickets: list[Ticket],
    staff: dict[str, User],
) -> str:
    """Orders, remedy shipments, surveys, standing changes and one segment set by hand.

    ``customers`` maps the demo's keys to (Customer, spec); the tickets are flushed.
    """
    today = desk_date(now)
    by_customer: dict[int, list[Ticket]] = {}
    for ticket in tickets:
        by_customer.setdefault(ticket.customer_id, []).append(ticket)
    orders: list[Order] = []
    for index, (_key, (customer, spec)) in enumerate(sorted(customers.items()), start=1):
        customer.external_ref = f"CRM-{10000 + index}"
        if spec.business and rng.random() < 0.5:
            customer.purchase_share = Decimal(rng.randint(15, 90))
        recoveries = [
            (desk_date(t.resolved_at), _recovered_well(t))
            for t in by_customer.get(customer.id, [])
            if t.resolved_at and t.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
        ]
        orders += _orders(rng, customer, spec.business, spec.currency, recoveries, today)
    shipments = _remedy_shipments(tickets)
    db.session.add_all(orders + shipments)
    sent, answered = _answer_surveys(rng, tickets, now)
    changes = 0
    for key, old, new, days, reason in _STANDING_CHANGES:
        if key not in customers:
            continue
        customer = customers[key][0]
        db.session.add(
            StandingChange(
                customer_id=customer.id,
                old_standing=old,
                new_standing=new,
                reason=reason,
                changed_by_id=(customer.account_manager_id or staff["lead"].id),
                changed_at=now - timedelta(days=days),
            )
        )
        changes += 1
    if "halvorsen" in customers:
        clinic = customers["halvorsen"][0]
        clinic.segment_override = EngagementSegment.SELF_DRIVEN
        clinic.segment_override_reason = (
            "Framework contract renewed: their purchasing system reorders gloves and dressings "
            "on its own every week, whatever the last quarter's numbers say."
        )
        clinic.segment_override_by_id = clinic.account_manager_id
        clinic.segment_override_at = now - timedelta(days=20)
    purchases = sum(1 for o in orders if o.amount > 0)
    return (
        f"  recovery: {purchases} orders, {len(shipments)} remedy shipments, "
        f"{answered} of {sent} satisfaction surveys answered, {changes} standing changes"
    )


def quiet_customer_count() -> int:
    """Customers without a single ticket (the matched groups of the outcome report)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(Customer.id)).where(
                ~sa.select(Ticket.id).where(Ticket.customer_id == Customer.id).exists()
            )
        )
        or 0
    )
