"""Generated demo complaints with generic timelines.

``generic_drafts`` draws complaints from the random generator it is given: recent ones of the
last ``DEMO_DAYS`` days in every status, or finished ones from the ``HISTORY_DAYS`` before. Each
timeline follows the playbook (respond, make whole, add goodwill, confirm, explain, resolve),
with the detours real tickets take: questions, chasers, reopenings, raised severities, a cause
on the customer's own side. It writes nothing.
"""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from ticketdesk.demo.content import (
    ANSWERS,
    BUSINESS_CHANNELS,
    CATEGORY_WEIGHTS,
    CHASERS,
    CONFIRM_QUESTIONS,
    CONSUMER_CHANNELS,
    CRISIS_OPENINGS,
    DEMO_DAYS,
    EXTRA_CUSTOMERS,
    HISTORY_DAYS,
    LEAD_CRISIS_NOTES,
    MANAGER_NOTES,
    QUESTIONS,
    QUIET,
    RAISE_NOTES,
    REOPEN_FIXES,
    REOPENS,
    SEVERITY_ORDER,
    STORY_ONLY,
    TEAM_FOR_CATEGORY,
    TEXTS,
    THANKS,
    THEIRS,
    THEIRS_CHECKS,
    THEIRS_OPENINGS,
    CustomerSpec,
    Texts,
    cause_side,
    fill,
)
from ticketdesk.demo.timeline import FIRST, REST, Draft, Step
from ticketdesk.models import (
    CauseSide,
    Channel,
    Customer,
    CustomerTier,
    RootCause,
    Severity,
    Team,
    TicketKind,
    TicketStatus,
    User,
)
from ticketdesk.services.playbooks.shipped import (
    ACCOUNT_MANAGER,
    ACKNOWLEDGE_PRESSURE,
    BRIEF_MANAGER,
    CONFIRM,
    GOODWILL,
    LEAD_OWNS,
    MAKE_WHOLE,
    NEXT_CONTACT,
    OFFER_HELP,
    ROOT_CAUSE,
)


def _pick_status(rng: random.Random, age_hours: float) -> TicketStatus:
    if age_hours < 1.5:
        table = ((TicketStatus.NEW, 70), (TicketStatus.OPEN, 30))
    elif age_hours < 48:
        table = (
            (TicketStatus.NEW, 35),
            (TicketStatus.OPEN, 35),
            (TicketStatus.PENDING_CUSTOMER, 15),
            (TicketStatus.RESOLVED, 15),
        )
    elif age_hours < 7 * 24:
        table = (
            (TicketStatus.NEW, 8),
            (TicketStatus.OPEN, 35),
            (TicketStatus.PENDING_CUSTOMER, 20),
            (TicketStatus.RESOLVED, 30),
            (TicketStatus.CLOSED, 7),
        )
    elif age_hours < 21 * 24:
        table = (
            (TicketStatus.OPEN, 15),
            (TicketStatus.PENDING_CUSTOMER, 10),
            (TicketStatus.RESOLVED, 35),
            (TicketStatus.CLOSED, 40),
        )
    else:
        table = (
            (TicketStatus.OPEN, 5),
            (TicketStatus.PENDING_CUSTOMER, 3),
            (TicketStatus.RESOLVED, 20),
            (TicketStatus.CLOSED, 72),
        )
    return _weighted(rng, table)


def generic_drafts(
    rng: random.Random,
    now: datetime,
    count: int,
    staff: dict[str, User],
    teams: dict[str, Team],
    customers: dict[str, tuple[Customer, CustomerSpec]],
    *,
    history: bool = False,
) -> list[Draft]:
    """``count`` complaints of the last DEMO_DAYS days, or finished ones from the
    HISTORY_DAYS before them (``history``)."""
    tier_weight = {CustomerTier.STRATEGIC: 12, CustomerTier.KEY: 8, CustomerTier.STANDARD: 4}
    extra = {spec.key for spec in EXTRA_CUSTOMERS}
    # The generated accounts complain now and then: about once a year each.
    pool = [
        (pair, 0.6 if key in extra else tier_weight[pair[1].tier] if pair[1].business else 2)
        for key, pair in customers.items()
        if key not in STORY_ONLY | QUIET
    ]
    workers = {key: [u for u in team.members if u.works_tickets] for key, team in teams.items()}
    front = workers["front"]
    drafts = []
    for _ in range(count):
        customer, spec = _weighted(rng, pool)
        drafts.append(
            _generic_draft(rng, now, customer, spec, staff, teams, workers, front, history=history)
        )
    return drafts


def _generic_draft(
    rng, now, customer, spec, staff, teams, workers, front, *, history: bool = False
) -> Draft:
    crisis_rate = {
        CustomerTier.STRATEGIC: 0.15,
        CustomerTier.KEY: 0.06,
        CustomerTier.STANDARD: 0.01,
    }[spec.tier]
    kind = TicketKind.CRISIS if rng.random() < crisis_rate else TicketKind.COMPLAINT
    channel = _weighted(rng, BUSINESS_CHANNELS if spec.business else CONSUMER_CHANNELS)
    if history:
        age_days = DEMO_DAYS + HISTORY_DAYS * rng.random()
    else:
        age_days = DEMO_DAYS * rng.random() ** 1.2
    t0 = now - timedelta(days=age_days)
    t0 = t0.replace(second=0, microsecond=0)
    if channel in (Channel.PHONE, Channel.WALK_IN):
        t0 = _staff_hour(rng, t0, now)
    t0 = min(t0, now - timedelta(minutes=12))
    age_hours = (now - t0).total_seconds() / 3600
    if history:
        status = _weighted(rng, ((TicketStatus.RESOLVED, 15), (TicketStatus.CLOSED, 85)))
    else:
        status = _pick_status(rng, age_hours)

    # Money and the words the customer uses.
    if spec.tier is CustomerTier.STRATEGIC:
        value = _money(rng, 2000, 60000)
        qty = rng.randint(100, 2000)
    elif spec.tier is CustomerTier.KEY:
        value = _money(rng, 300, 12000)
        qty = rng.randint(20, 400)
    elif spec.business:
        value = _money(rng, 80, 2500)
        qty = rng.randint(10, 120)
    else:
        value = _money(rng, 15, 400)
        qty = rng.randint(2, 6)
    if spec.currency == "CNY":
        value = (value * 7).quantize(Decimal("0.01"))
    short = rng.randint(1, max(1, qty // 8))
    if spec.business and spec.tier is not CustomerTier.STANDARD:
        order = f"PO {rng.randint(4500100000, 4500999999)}"
    else:
        order = f"SO-{rng.randint(240000, 269999)}"
    item = rng.choice(spec.items)

    # Now and then a business customer's complaint comes from pressure inside their own
    # organisation; the agent who takes it sees that at once (advisory playbook). Tickets
    # nobody has looked at yet keep an unknown cause.
    theirs = (
        spec.business
        and kind is TicketKind.COMPLAINT
        and status is not TicketStatus.NEW
        and spec.tier is not CustomerTier.STANDARD
        and rng.random() < 0.08
    )
    if theirs:
        category, subject_t, description_t = rng.choice(THEIRS_OPENINGS)
    elif kind is TicketKind.CRISIS:
        category, subject_t, description_t = rng.choice(CRISIS_OPENINGS)
    else:
        category = _weighted(rng, CATEGORY_WEIGHTS.items())
        if category == "solution_failure" and spec.tier is CustomerTier.STANDARD:
            category = "late_delivery"
        subject_t, description_t = rng.choice(TEXTS[category].openings)
    claimed = (value * Decimal(rng.randint(5, 60)) / 100).quantize(Decimal("0.01"))
    if category in ("service_attitude", "other") and rng.random() < 0.7:
        claimed = None
    if theirs:
        claimed = None
    values = {
        "order": order,
        "item": item,
        "item_cap": item[:1].upper() + item[1:],
        "qty": qty,
        "short": short,
        "got": qty - short,
        "days": rng.randint(2, 9),
        "inv": f"INV-{t0.year}-{rng.randint(100, 9999):05d}",
        "phase": rng.randint(2, 3),
        "amount": _amount(claimed or value, spec.currency),
        "customer": spec.name,
        "tier": spec.tier.value,
    }
    texts = THEIRS if theirs else TEXTS[category]
    # What investigation will find (ours), or nothing to find on our side (theirs).
    cause = None if theirs else rng.choice(texts.causes)
    if kind is TicketKind.CRISIS:
        severity = Severity.P1 if rng.random() < 0.75 else Severity.P2
    else:
        severity = _weighted(
            rng, ((Severity.P1, 3), (Severity.P2, 22), (Severity.P3, 55), (Severity.P4, 20))
        )

    # Routing.
    if (
        kind is TicketKind.CRISIS
        or category == "solution_failure"
        or (spec.tier is not CustomerTier.STANDARD and rng.random() < 0.5)
    ):
        team_key = "key"
    elif rng.random() < 0.2:
        team_key = "front"
    else:
        team_key = TEAM_FOR_CATEGORY[category]
    team = teams[team_key]
    lead = staff["lead"]
    members = workers[team_key]
    if kind is TicketKind.CRISIS and rng.random() < 0.6:
        assignee = lead
    else:
        assignee = _weighted(rng, [(u, 1 if u is lead else 3) for u in members])
    by_staff = channel is not Channel.WEB
    creator = (
        (assignee if assignee in front and rng.random() < 0.5 else rng.choice(front))
        if by_staff
        else None
    )
    manager = customer.account_manager

    # Severity or kind raised later on some tickets.
    initial_severity, initial_kind, raise_step = severity, kind, None
    if status is not TicketStatus.NEW and rng.random() < 0.12 and severity is not Severity.P4:
        initial_severity = SEVERITY_ORDER[SEVERITY_ORDER.index(severity) - 1]
        raise_step = ("severity", severity)
    elif kind is TicketKind.CRISIS and status is not TicketStatus.NEW and rng.random() < 0.25:
        initial_kind = TicketKind.COMPLAINT
        raise_step = ("kind", kind)

    steps = _generic_steps(
        rng,
        status=status,
        crisis=kind is TicketKind.CRISIS,
        channel=channel,
        creator=creator,
        team=team,
        assignee=assignee,
        lead=lead,
        manager=manager,
        texts=texts,
        values=values,
        severity=severity,
        raise_step=raise_step,
        cause=cause,
    )
    description = fill(description_t, values)
    if by_staff and channel in (Channel.PHONE, Channel.WALK_IN):
        contact_name = spec.contacts[0][0]
        how = "called" if channel is Channel.PHONE else "came to the counter"
        description = f"{contact_name} {how}: {description}"
    return Draft(
        created_at=t0,
        customer=customer,
        contact=rng.choice(customer.contacts),
        channel=channel,
        creator=creator,
        category=category,
        kind=initial_kind,
        severity=initial_severity,
        subject=fill(subject_t, values),
        description=description,
        currency=spec.currency,
        order_reference="" if category == "service_attitude" and rng.random() < 0.5 else order,
        order_value=None if category == "other" and rng.random() < 0.5 else value,
        claimed_loss=claimed,
        cause_side=CauseSide.THEIRS_INTERNAL if theirs else CauseSide.UNKNOWN,
        steps=steps,
    )


def _generic_steps(
    rng,
    *,
    status,
    crisis,
    channel,
    creator,
    team,
    assignee,
    lead,
    manager,
    texts: Texts,
    values: dict,
    severity,
    raise_step,
    cause: tuple[RootCause, str, str] | None,
) -> list[Step]:
    """A timeline that follows the playbook: respond, make whole, add goodwill, confirm,
    explain, resolve. ``cause`` is what investigation finds; None for the customer's side."""
    steps: list[Step] = []
    h = 0.0
    via_link = channel is Channel.WEB
    theirs = cause is None
    finished = status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    progressed = finished or status is TicketStatus.PENDING_CUSTOMER

    def add(op: str, actor=None, body: str = "", **kwargs) -> None:
        steps.append(Step(h, op, actor, body, **kwargs))

    def tick(purpose: str, actor=None, note: str = "") -> None:
        add("tick", actor or assignee, note, value=purpose)

    def customer_says(body: str) -> None:
        add("customer", None if via_link or rng.random() < 0.5 else assignee, body)

    # Routing: staff log the ticket with its team; web tickets are triaged a little later.
    if via_link:
        h += rng.uniform(0.05, 0.4) if crisis else rng.uniform(0.2, 3)
        router = (
            lead
            if crisis or rng.random() < 0.4
            else rng.choice([m for m in team.members if m.works_tickets])
        )
        keep_unassigned = status is TicketStatus.NEW and rng.random() < 0.5
        if status is TicketStatus.NEW and rng.random() < 0.4:
            return steps  # not routed yet
        add("assign", router, team=team, assignee=None if keep_unassigned else assignee)
    else:
        add("assign", creator, team=team, assignee=assignee)
    if status is TicketStatus.NEW:
        if rng.random() < 0.3:
            h += rng.uniform(0.1, 2)
            add("note", assignee, fill(rng.choice(texts.notes), values))
        return steps

    # First response: within the hour for a crisis. It is the acknowledgement (or, on the
    # customer's side, the listening) step; an answer that says sorry is the apology.
    if crisis:
        h += rng.uniform(0.15, 0.9)
    elif severity in (Severity.P1, Severity.P2):
        h += rng.uniform(0.3, 4)
    else:
        h += rng.uniform(0.5, 22)
    ask_first = rng.random() < 0.25 and not theirs
    if ask_first:
        add("reply", assignee, rng.choice(QUESTIONS), status=TicketStatus.PENDING_CUSTOMER)
    else:
        add("reply", assignee, fill(rng.choice(texts.acks), values))
    tick(FIRST)
    if crisis:
        h += rng.uniform(0.05, 0.5)
        add("note", lead, fill(rng.choice(LEAD_CRISIS_NOTES), values))
        tick(LEAD_OWNS, lead)
    if manager is not None and (crisis or rng.random() < 0.35):
        h += rng.uniform(0.2, 6)
        add("note", manager, fill(rng.choice(MANAGER_NOTES), values))
        tick(ACCOUNT_MANAGER, manager)
        tick(BRIEF_MANAGER, manager)
    if rng.random() < 0.4:
        h += rng.uniform(0.1, 4)
        add("note", assignee, fill(rng.choice(texts.notes), values))
    # Investigation (our side): what went wrong, and so the cause side.
    if not theirs and (finished or rng.random() < 0.5):
        h += rng.uniform(0.3, 12)
        add("note", assignee, fill(cause[1], values))
        add("field", assignee, field="cause_side", value=cause_side(cause[0]))
    if raise_step is not None:
        h += rng.uniform(0.5, 12)
        add("note", lead, rng.choice(RAISE_NOTES))
        add("field", lead, field=raise_step[0], value=raise_step[1])
        if raise_step[0] == "kind":  # a crisis now: the lead takes the crisis playbook
            add("switch", lead)
            tick(LEAD_OWNS, lead)
    if ask_first:
        if status is TicketStatus.PENDING_CUSTOMER:
            return steps
        h += rng.uniform(2, 40)
        customer_says(rng.choice(ANSWERS))
        h += rng.uniform(0.3, 6)
        add("reply", assignee, fill(rng.choice(texts.acks), values))

    # The remedy (our side), or help within our remit (theirs).
    if theirs:
        if progressed or rng.random() < 0.7:
            tick(ACKNOWLEDGE_PRESSURE)
        if progressed or rng.random() < 0.5:
            h += rng.uniform(0.1, 8)
            tick(OFFER_HELP)
            tick(NEXT_CONTACT)
    else:
        if progressed or rng.random() < 0.6:
            h += rng.uniform(0.1, 6)
            tick(MAKE_WHOLE)
        if progressed or rng.random() < 0.3:
            h += rng.uniform(0.1, 24)
            tick(GOODWILL)

    if status is TicketStatus.OPEN:
        if rng.random() < 0.5:
            h += rng.uniform(6, 60)
            customer_says(rng.choice(CHASERS))
        return steps
    if status is TicketStatus.PENDING_CUSTOMER:
        h += rng.uniform(6, 72)
        add(
            "reply",
            assignee,
            rng.choice(THEIRS_CHECKS if theirs else CONFIRM_QUESTIONS),
            status=TicketStatus.PENDING_CUSTOMER,
        )
        return steps

    # Resolution: confirmed by the customer first, or by phone just before the final reply;
    # the cause is explained in writing before the ticket is resolved.
    # Most desks confirm within a working day or so; some cases drag on.
    h += (
        rng.uniform(2, 20)
        if rng.random() < 0.7
        else (rng.uniform(6, 120) if crisis else rng.uniform(20, 96))
    )
    explain = None if theirs else cause[0]

    def explained(body: str) -> str:
        return body if theirs else f"{body}\n\n{fill(cause[2], values)}"

    if not theirs and rng.random() < 0.4:
        add(
            "reply",
            assignee,
            explained(rng.choice(CONFIRM_QUESTIONS)),
            status=TicketStatus.PENDING_CUSTOMER,
            explain=explain,
        )
        h += rng.uniform(1, 24)
        customer_says(rng.choice(THANKS))
        h += rng.uniform(0.2, 8)
        tick(CONFIRM)
        if rng.random() < 0.5:
            tick(ROOT_CAUSE)
        tick(REST)
        add("status", assignee, status=TicketStatus.RESOLVED)
    else:
        tick(CONFIRM, note="" if theirs else "Confirmed by phone before the final reply.")
        if not theirs and rng.random() < 0.5:
            tick(ROOT_CAUSE)
        tick(REST)
        add(
            "reply",
            assignee,
            explained(fill(rng.choice(texts.resolutions), values)),
            status=TicketStatus.RESOLVED,
            explain=explain,
        )
    if rng.random() < 0.07:  # reopened once
        h += rng.uniform(12, 96)
        add("customer", None if via_link else assignee, rng.choice(REOPENS))
        h += rng.uniform(0.5, 8)
        add("reply", assignee, rng.choice(REOPEN_FIXES))
        h += rng.uniform(12, 72)
        add("status", assignee, status=TicketStatus.RESOLVED)
    if status is TicketStatus.CLOSED:
        h += rng.uniform(48, 168)
        add("status", assignee, status=TicketStatus.CLOSED)
    return steps


def _money(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(rng.randint(int(low * 100), int(high * 100))).scaleb(-2)


def _weighted(rng: random.Random, pairs):
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights=weights)[0]


def _amount(value: Decimal | None, currency: str) -> str:
    return f"{value or 0:,.2f} {currency}"


def _staff_hour(rng: random.Random, t: datetime, now: datetime) -> datetime:
    """Phone calls and walk-ins happen in opening hours.

    Draws from ``rng`` every time, so the rest of the data set does not depend on
    the time of day the demo is loaded.
    """
    hour, minute = rng.randint(8, 17), rng.randint(0, 59)
    if 7 <= t.hour < 19:
        return t
    t = t.replace(hour=hour, minute=minute)
    return t - timedelta(days=1) if t > now - timedelta(minutes=30) else t
