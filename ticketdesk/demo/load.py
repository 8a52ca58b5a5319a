"""Loading the demo set: ``load_demo``, and the teams, staff, customers, routing rules,
watchers and notifications it sets up around the tickets.
"""

import base64
import random
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import flag_modified

from ticketdesk.core import counters
from ticketdesk.core.uow import unit_of_work
from ticketdesk.demo import recovery as demo_recovery
from ticketdesk.demo.content import (
    CUSTOMERS,
    DEMO_PASSWORD,
    DEMO_TICKETS,
    EXTRA_CUSTOMERS,
    HISTORY_TICKETS,
    STAFF,
    TEAMS,
    CustomerSpec,
)
from ticketdesk.demo.generic import generic_drafts
from ticketdesk.demo.stories import story_drafts
from ticketdesk.demo.timeline import Draft, Timeline
from ticketdesk.extensions import db
from ticketdesk.models import (
    AssignStrategy,
    AwayReason,
    Category,
    Contact,
    Customer,
    CustomerTier,
    EventKind,
    Notification,
    NotificationKind,
    OutboxMessage,
    Playbook,
    Remedy,
    RemedyState,
    RoutingRule,
    Standing,
    Team,
    Ticket,
    TicketKind,
    TicketStatus,
    TicketWatcher,
    User,
)
from ticketdesk.services.ledger import remedies as ledger
from ticketdesk.services.notifications import notifications
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.playbooks import shipped as playbook_defaults
from ticketdesk.services.recovery import loyalty
from ticketdesk.services.routing import engine as routing
from ticketdesk.services.routing import rules as routing_rules
from ticketdesk.services.sla import clocks as sla
from ticketdesk.services.tickets import categories


def load_demo(*, now: datetime, seed: int = 42) -> str:
    """Load the demo data set into an empty database and return a short summary."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware.")
    rng = random.Random(seed)
    with unit_of_work():
        if (
            db.session.scalar(sa.select(sa.func.count(User.id)))
            or db.session.scalar(sa.select(sa.func.count(Customer.id)))
            or db.session.scalar(sa.select(sa.func.count(Ticket.id)))
        ):
            raise RuntimeError("The demo data set can only be loaded into an empty database.")
        categories.add_default_categories()
        # The shipped playbooks, unless they are there already (``flask seed-playbooks``).
        added = playbook_defaults.add_shipped(now - timedelta(days=400))
        db.session.flush()
        cats = {c.slug: c for c in db.session.scalars(sa.select(Category))}
        candidates = playbooks.candidates()
        teams = _demo_teams(now)
        staff = _demo_staff(teams, now)
        customers = _demo_customers(rng, staff, now)
        db.session.flush()  # ids for the tickets and events below
        drafts = story_drafts(now, staff, teams, customers)
        drafts += generic_drafts(rng, now, DEMO_TICKETS - len(drafts), staff, teams, customers)
        drafts += generic_drafts(rng, now, HISTORY_TICKETS, staff, teams, customers, history=True)
        drafts.sort(key=lambda d: d.created_at)
        tickets = []
        unflushed: set[int] = set()
        for number, draft in enumerate(drafts, start=1):
            # The ledger's history checks (repeat failures, the no-proof window) look at the
            # customer's earlier tickets in the database: flush those first. Flushing only
            # then, not before every query, keeps the load fast.
            if draft.customer.id in unflushed:
                db.session.flush()
                unflushed.clear()
            unflushed.add(draft.customer.id)
            with db.session.no_autoflush:
                tickets.append(
                    _build_ticket(
                        rng,
                        draft,
                        number,
                        cats,
                        now,
                        lead=staff["lead"],
                        admin=staff["admin"],
                        candidates=candidates,
                    )
                )
        counters.advance_ticket_counter(len(drafts))
        db.session.flush()
        sla.add_default_policies(now=now - timedelta(days=400))
        for ticket in tickets:
            touched = ticket.updated_at  # the history's own last change stays
            sla.backfill(ticket, now=now)
            ticket.updated_at = touched
            flag_modified(ticket, "updated_at")  # written as is, not stamped with "now"
        extras = _demo_routing(now, staff, tickets)
        recovery = demo_recovery.load(
            rng, now=now, customers=customers, tickets=tickets, staff=staff
        )
        summary = _summary(
            teams, staff, customers, tickets, len(cats), playbooks=(len(candidates), added)
        )
    reminders = notifications.run_due(now=now)
    swept = sla.sweep(now=now)
    judged = loyalty.run_daily(now=now)
    with unit_of_work():
        db.session.execute(sa.delete(OutboxMessage))  # the demo's past sends no e-mail
    return "\n".join(
        [
            summary,
            extras + f", {reminders} overdue-step reminders",
            f"  service levels: {swept.at_risk} tickets at risk, {swept.breached} targets missed",
            recovery,
            f"  loyalty: {judged}",
        ]
    )


def _demo_routing(now: datetime, staff: dict[str, User], tickets: list[Ticket]) -> str:
    """Routing rules, watchers, an away agent and the notifications people would have now.

    The shipped routing rules decide who watches: the account manager and a lead on
    open tickets of strategic and preferred accounts, a lead on every open crisis.
    """
    lead = staff["lead"]
    routing_rules.add_default_rules(now=now - timedelta(days=300))
    crisis_rule, standing_rule, tier_rule = routing.list_rules()
    # This desk's own rules: shipping problems to logistics by load, billing in turn.
    teams = {t.name: t for t in db.session.scalars(sa.select(Team))}
    for position, (name, slugs, team, strategy) in enumerate(
        (
            (
                "Shipping problems to logistics",
                ("missing_short_shipment", "damaged_defective", "wrong_item", "late_delivery"),
                TEAMS["logistics"][0],
                AssignStrategy.FEWEST_OPEN,
            ),
            (
                "Invoices and payments to billing",
                ("billing_payment",),
                TEAMS["billing"][0],
                AssignStrategy.ROUND_ROBIN,
            ),
        ),
        start=4,
    ):
        db.session.add(
            RoutingRule(
                name=name,
                position=position,
                active=True,
                continue_after=False,
                conditions={"categories": sorted(slugs)},
                team=teams[team],
                strategy=strategy,
                notify=[],
                created_at=now - timedelta(days=200),
                updated_at=now - timedelta(days=200),
                updated_by_id=lead.id,
            )
        )
    rules = routing.list_rules()
    watched = 0
    for ticket in tickets:
        if not ticket.is_open:
            continue
        customer = ticket.customer
        watchers: dict[int, str] = {}
        if ticket.kind is TicketKind.CRISIS:
            watchers[lead.id] = crisis_rule.name
        key_rule = (
            standing_rule
            if customer.standing in (Standing.STRATEGIC, Standing.PREFERRED)
            else tier_rule
            if customer.tier is CustomerTier.STRATEGIC
            else None
        )
        if key_rule is not None:
            watchers.setdefault(lead.id, key_rule.name)
            if customer.account_manager_id:
                watchers.setdefault(customer.account_manager_id, key_rule.name)
        for user_id, rule_name in watchers.items():
            db.session.add(
                TicketWatcher(
                    ticket_id=ticket.id,
                    user_id=user_id,
                    rule_name=rule_name,
                    created_at=ticket.created_at,
                )
            )
            watched += 1
    # Tom is on holiday this week; the lead sees his open tickets to hand on.
    tom = staff["agent3"]
    tom.away_reason, tom.away_note = AwayReason.HOLIDAY, "Walking in the Lake District"
    tom.away_until = (now + timedelta(days=6)).replace(hour=8, minute=0, second=0, microsecond=0)
    # What people were told recently: assignments, approvals waiting, crises on accounts.
    recent = [t for t in tickets if t.is_open and now - t.created_at < timedelta(days=3)]
    for ticket in recent:
        if ticket.assignee is not None and ticket.assignee is not ticket.created_by:
            notifications.notify(
                ticket.assignee,
                NotificationKind.ASSIGNED,
                now=ticket.created_at,
                ticket=ticket,
                title=lambda t=ticket: f"Assigned to you: {t.reference} · {t.subject}",
            )
        if ticket.kind is TicketKind.CRISIS:
            notifications.account_crisis(ticket, now=ticket.created_at)
    for remedy in db.session.scalars(sa.select(Remedy).where(Remedy.state == RemedyState.PROPOSED)):
        roles = [
            r for r in ledger.TIERS if ledger.tier_rank(r) >= ledger.tier_rank(remedy.approval_role)
        ]
        notifications.approval_waiting(remedy, roles=roles, now=remedy.proposed_at)
    # The demo's history was read long ago and sends no e-mail.
    db.session.flush()
    db.session.execute(
        sa.update(Notification)
        .where(Notification.created_at < now - timedelta(days=2))
        .values(read_at=now - timedelta(days=1))
    )
    db.session.execute(sa.delete(OutboxMessage))
    n_notes = db.session.scalar(sa.select(sa.func.count(Notification.id)))
    return (
        f"  {len(rules)} routing rules, {watched} watchers, 1 agent away (Tom Baker), "
        f"{n_notes} notifications"
    )


def _demo_teams(now: datetime) -> dict[str, Team]:
    teams = {}
    for key, (name, description) in TEAMS.items():
        teams[key] = Team(name=name, description=description, created_at=now - timedelta(days=400))
        db.session.add(teams[key])
    return teams


def _demo_staff(teams: dict[str, Team], now: datetime) -> dict[str, User]:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    probe = User()
    probe.set_password(DEMO_PASSWORD, method=method)  # hash once, reuse for every demo user
    staff = {}
    for index, (key, (email, name, role, tz, team_keys)) in enumerate(STAFF.items()):
        user = User(
            email=email,
            name=name,
            role=role,
            timezone=tz,
            locale="en",
            active=True,
            password_hash=probe.password_hash,
            created_at=now - timedelta(days=380 - 20 * index),
        )
        user.teams = [teams[k] for k in team_keys]
        db.session.add(user)
        staff[key] = user
    return staff


def _demo_customers(
    rng: random.Random, staff: dict[str, User], now: datetime
) -> dict[str, tuple[Customer, CustomerSpec]]:
    customers = {}
    emails: set[str] = set()
    for spec in CUSTOMERS + EXTRA_CUSTOMERS:
        created = now - timedelta(days=rng.randint(600, 1500), minutes=rng.randint(0, 1439))
        customer = Customer(
            name=spec.name,
            tier=spec.tier,
            standing=spec.standing,
            account_manager_id=None,
            preferences=spec.preferences,
            created_at=created,
        )
        if spec.manager:
            customer.account_manager = staff[spec.manager]
        db.session.add(customer)
        for name, email, phone in spec.contacts:
            email = email.lower()
            if email in emails:  # pragma: no cover - guards the data in content
                raise RuntimeError(f"Duplicate demo contact e-mail {email}")
            emails.add(email)
            db.session.add(
                Contact(customer=customer, name=name, email=email, phone=phone, created_at=created)
            )
        customers[spec.key] = (customer, spec)
    return customers


def _build_ticket(
    rng: random.Random,
    draft: Draft,
    number: int,
    cats: dict[str, Category],
    now: datetime,
    *,
    lead: User,
    admin: User,
    candidates: list[Playbook],
) -> Ticket:
    t0 = draft.created_at
    ticket = Ticket(
        reference=counters.format_reference(number),
        customer=draft.customer,
        customer_id=draft.customer.id,
        category_id=cats[draft.category].id,
        contact=draft.contact,
        subject=draft.subject[:200],
        description=draft.description,
        channel=draft.channel,
        kind=draft.kind,
        category=cats[draft.category],
        severity=draft.severity,
        order_reference=draft.order_reference[:64],
        currency=draft.currency,
        order_value=draft.order_value,
        claimed_loss=draft.claimed_loss,
        cause_side=draft.cause_side,
        status=TicketStatus.NEW,
        team_id=None,
        assignee_id=None,
        created_by_id=draft.creator.id if draft.creator else None,
        public_token=_token(rng),
        first_response_at=None,
        resolved_at=None,
        closed_at=None,
        reopen_count=0,
        created_at=t0,
        updated_at=t0,
        last_activity_at=t0,
    )
    db.session.add(ticket)
    timeline = Timeline(ticket, t0, lead=lead, admin=admin, candidates=candidates)
    by_customer = draft.creator is None
    timeline.event(
        EventKind.CREATED,
        t0,
        draft.creator,
        body=draft.description,
        new=draft.channel.value,
        by_customer=by_customer,
    )
    timeline.attach_playbook(t0, draft.creator)
    # Squeeze a timeline that would run past ``now`` into the time there is.
    span = max((s.hours for s in draft.steps), default=0.0)
    room = (now - t0).total_seconds() / 3600 - 0.05
    scale = room / span if span > room and span > 0 else 1.0
    last = t0
    for step in draft.steps:
        at = max(_at(t0, step.hours * scale).replace(microsecond=0), last)
        timeline.apply(step, at)
        last = at
    ticket.updated_at = timeline.last_change
    return ticket


def _summary(
    teams, staff, customers, tickets: list[Ticket], n_cats: int, *, playbooks: tuple[int, int]
) -> str:
    n_contacts = sum(len(spec.contacts) for _, spec in customers.values())
    by_status = dict.fromkeys(TicketStatus, 0)
    for ticket in tickets:
        by_status[ticket.status] += 1
    crises = sum(1 for t in tickets if t.kind is TicketKind.CRISIS)
    events = sum(len(t.events) for t in tickets)
    steps = [s for t in tickets for s in t.steps]
    done = sum(1 for s in steps if s.is_done)
    statuses = ", ".join(f"{n} {s.value.replace('_', ' ')}" for s, n in by_status.items())
    n_playbooks, added = playbooks
    return "\n".join(
        [
            "Demo data loaded:",
            f"  {len(teams)} teams, {len(staff)} staff users, {n_cats} categories",
            f"  {n_playbooks} playbooks ({added} shipped ones added now)",
            f"  {len(customers)} customers with {n_contacts} contacts",
            f"  {len(tickets)} tickets ({crises} crises) with {events} timeline events",
            f"  {len(steps)} checklist steps, {done} done",
            f"  {statuses}",
        ]
    )


def _token(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(24)).decode("ascii")


def _at(created_at: datetime, hours: float) -> datetime:
    return created_at + timedelta(hours=hours)
