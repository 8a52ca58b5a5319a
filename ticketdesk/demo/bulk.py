"""The bulk generator: many tickets with short timelines, for benchmarks.

``generate_bulk`` (``flask demo-data --tickets N``, which ``bench/run.py`` runs) appends tickets
to a database that holds the demo set. It uses Core bulk inserts with precomputed ticket ids and
commits per batch; it is a CLI loader, not a user action, so it does not run as one unit of
work, nor inside the caller's transaction.
"""

import base64
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app

from ticketdesk.core import counters
from ticketdesk.database import Money, UTCDateTime
from ticketdesk.demo.content import (
    BULK_BATCH,
    BULK_DAYS,
    GENERIC_ITEMS,
    QUESTIONS,
    REOPEN_FIXES,
    REOPENS,
    TEXTS,
    cause_side,
    fill,
)
from ticketdesk.extensions import db
from ticketdesk.models import (
    Category,
    CauseSide,
    Channel,
    Contact,
    Counter,
    Customer,
    CustomerTier,
    EventKind,
    Playbook,
    Role,
    Severity,
    SlaEvent,
    StepKind,
    Team,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
    TicketStep,
    User,
    team_members,
)
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.sla import clocks as sla


def generate_bulk(*, count: int, now: datetime, seed: int = 42) -> tuple[float, int]:
    """Append ``count`` tickets with short timelines, fast, for benchmarks.

    Needs customers, staff who work tickets and categories (load the demo set first).
    Every ticket gets the playbook that fits it, with its checklist: resolved and closed
    tickets have every required step done by the time they were resolved (the apology and
    the explanation by the replies that gave them); open ones have the first steps done.
    Step ticks get no timeline events and no remedies are written: these tickets are for
    measuring queues and reports, not for reading one by one. Open tickets carry the
    service-level marks the per-minute sweep would have made by ``now`` (at-risk and breach
    marks with their timeline events, at the moments they happened; no notifications), so
    the first sweep after the load has next to nothing to catch up.
    Commits per batch; returns (elapsed seconds, tickets written).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware.")
    if count < 1:
        return 0.0, 0
    started = time.perf_counter()
    now = now.astimezone(UTC)  # every time below is UTC (see _fast_insert)
    refs = _bulk_reference_data()
    rng = random.Random(f"bulk:{seed}:{_counter_value()}")
    pools = _bulk_text_pools(rng, refs["categories"])
    written = 0
    while written < count:
        n = min(BULK_BATCH, count - written)
        _bulk_batch(rng, n, now, refs, pools)
        written += n
    _analyze()
    return time.perf_counter() - started, written


def _analyze() -> None:
    """Refresh the planner's statistics after a bulk load, so queries keep good plans."""
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def _counter_value() -> int:
    return db.session.scalar(sa.select(Counter.value).where(Counter.name == "ticket")) or 0


def _bulk_reference_data() -> dict:
    customers = [
        (row.id, row.tier, row.account_manager_id, row.standing)
        for row in db.session.execute(
            sa.select(
                Customer.id, Customer.tier, Customer.account_manager_id, Customer.standing
            ).order_by(Customer.id)
        )
    ]
    contacts: dict[int, list[int]] = {}
    for row in db.session.execute(sa.select(Contact.id, Contact.customer_id).order_by(Contact.id)):
        contacts.setdefault(row.customer_id, []).append(row.id)
    workers = [
        (row.id, row.name, row.role)
        for row in db.session.execute(
            sa.select(User.id, User.name, User.role)
            .where(User.active.is_(True), User.role.in_((Role.AGENT, Role.LEAD)))
            .order_by(User.id)
        )
    ]
    cats = [
        (row.id, row.slug)
        for row in db.session.execute(
            sa.select(Category.id, Category.slug)
            .where(Category.active.is_(True))
            .order_by(Category.position, Category.id)
        )
    ]
    if not customers or not workers or not cats:
        raise RuntimeError(
            "Bulk generation needs customers, active agents or leads and categories: "
            "load the demo data set first (flask demo-data)."
        )
    memberships: dict[int, set[int]] = {}
    for row in db.session.execute(sa.select(team_members.c.team_id, team_members.c.user_id)):
        memberships.setdefault(row.team_id, set()).add(row.user_id)
    teams = []
    for team_id, team_name in db.session.execute(sa.select(Team.id, Team.name).order_by(Team.id)):
        members = [w for w in workers if w[0] in memberships.get(team_id, ())]
        if members:
            teams.append((team_id, team_name, members))
    if not teams:  # no teams: assign people directly
        teams.append((None, None, workers))
    leads = [w for w in workers if w[2] is Role.LEAD] or workers
    currency = current_app.config.get("DEFAULT_CURRENCY", "EUR")
    return {
        "customers": customers,
        "contacts": contacts,
        "workers": workers,
        "teams": teams,
        "leads": leads,
        "categories": cats,
        "currency": currency,
        "playbooks": _BulkPlaybooks(playbooks.candidates()),
        "sla": sla.PolicyBook(),
    }


class _BulkPlaybooks:
    """The playbook for a combination of ticket facts, chosen by the service's own rule."""

    def __init__(self, candidates: list[Playbook]):
        self.candidates = candidates
        self.cache: dict[tuple, tuple | None] = {}

    def choose(self, kind, slug, cause, severity, tier, standing) -> tuple | None:
        """(version id, label, step templates) or None, for these facts."""
        key = (kind, slug, cause, severity, tier, standing)
        if key not in self.cache:
            facts = SimpleNamespace(
                kind=kind,
                category=SimpleNamespace(slug=slug),
                cause_side=cause,
                severity=severity,
                customer=SimpleNamespace(tier=tier, standing=standing),
            )
            version = playbooks.choose_version(facts, self.candidates)
            steps = []
            for s in version.steps if version is not None else ():
                required = s.required and s.kind is not StepKind.STATUS_UPDATE
                hours = s.recur_hours if s.kind is StepKind.STATUS_UPDATE else s.due_hours
                # The copied columns, in _STEP_COLUMNS order after ticket_id.
                fixed = (
                    s.position,
                    s.kind.value,
                    s.title,
                    s.guidance,
                    s.role.value,
                    required,
                    s.recur_hours,
                    "",
                )
                steps.append((fixed, timedelta(hours=float(hours or 0)), s.kind, s.role, required))
            self.cache[key] = (
                None
                if version is None
                else (version.id, playbooks.version_label(version), tuple(steps))
            )
        return self.cache[key]


def _bulk_text_pools(rng: random.Random, cats: list[tuple[int, str]]) -> dict[int, tuple]:
    """A few rendered texts per category, reused across rows (cheap, still varied).

    Resolutions are (reply, root cause): the reply explains the cause it is coded with.
    """
    pools = {}
    for cat_id, slug in cats:
        texts = TEXTS.get(slug, TEXTS["other"])
        openings, acks, notes, resolutions = [], [], [], []
        for _ in range(24):
            item = rng.choice(GENERIC_ITEMS)
            qty = rng.randint(4, 200)
            short = rng.randint(1, max(1, qty // 8))
            values = {
                "order": f"SO-{rng.randint(240000, 269999)}",
                "item": item,
                "item_cap": item[:1].upper() + item[1:],
                "qty": qty,
                "short": short,
                "got": qty - short,
                "days": rng.randint(2, 9),
                "inv": f"INV-{rng.randint(100, 99999):05d}",
                "phase": rng.randint(2, 3),
                "amount": f"{rng.randint(20, 5000)}.00 EUR",
            }
            subject, description = rng.choice(texts.openings)
            openings.append((fill(subject, values)[:200], fill(description, values)))
            acks.append(fill(rng.choice(texts.acks), values))
            notes.append(fill(rng.choice(texts.notes), values))
            code, _finding, explanation = rng.choice(texts.causes)
            resolution = fill(rng.choice(texts.resolutions), values)
            resolutions.append((resolution, f"{resolution}\n\n{fill(explanation, values)}", code))
        pools[cat_id] = (openings, acks, notes, resolutions)
    return pools


def _bulk_batch(rng: random.Random, n: int, now: datetime, refs: dict, pools: dict) -> None:
    """Insert ``n`` tickets, their events and their checklists in one transaction."""
    session = db.session
    sla_book = refs["sla"]
    # Reserve n reference numbers: the UPDATE holds the counter row (PostgreSQL) or the
    # write lock (SQLite) until commit, so a ticket logged meanwhile waits and then
    # continues after our numbers.
    first_n = session.execute(
        sa.update(Counter)
        .where(Counter.name == "ticket")
        .values(value=Counter.value + n)
        .returning(Counter.value)
    ).scalar_one_or_none()
    if first_n is None:
        session.add(Counter(name="ticket", value=n))
        session.flush()
        first_n = n
    first_n -= n - 1
    first_id = (session.scalar(sa.select(sa.func.max(Ticket.id))) or 0) + 1

    customers, contacts, teams = refs["customers"], refs["contacts"], refs["teams"]
    leads, cat_ids, currency = refs["leads"], [c[0] for c in refs["categories"]], refs["currency"]
    slugs = dict(refs["categories"])
    choose = refs["playbooks"].choose
    rand, choice, randint = rng.random, rng.choice, rng.randint
    year_seconds = BULK_DAYS * 86400
    statuses_open = (
        TicketStatus.NEW,
        TicketStatus.OPEN,
        TicketStatus.OPEN,
        TicketStatus.PENDING_CUSTOMER,
    )
    complaint, crisis = TicketKind.COMPLAINT, TicketKind.CRISIS
    severities = (
        Severity.P1,
        Severity.P2,
        Severity.P2,
        Severity.P3,
        Severity.P3,
        Severity.P3,
        Severity.P3,
        Severity.P4,
        Severity.P4,
    )
    channels = (
        Channel.EMAIL,
        Channel.EMAIL,
        Channel.WEB,
        Channel.WEB,
        Channel.WEB,
        Channel.PHONE,
        Channel.PHONE,
        Channel.CHAT,
        Channel.WALK_IN,
        Channel.SOCIAL,
    )
    web, standard = Channel.WEB, CustomerTier.STANDARD
    # Rows carry the stored values of enums (see _fast_insert).
    K_CREATED, K_ASSIGN, K_REPLY, K_STATUS = (
        EventKind.CREATED.value,
        EventKind.ASSIGNMENT.value,
        EventKind.PUBLIC_REPLY.value,
        EventKind.STATUS_CHANGE.value,
    )
    K_NOTE, K_MSG, K_PLAYBOOK = (
        EventKind.INTERNAL_NOTE.value,
        EventKind.CUSTOMER_MESSAGE.value,
        EventKind.PLAYBOOK.value,
    )
    K_SLA = EventKind.SLA.value
    S_NEW, S_OPEN, S_PENDING = TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER
    S_RESOLVED, S_CLOSED = TicketStatus.RESOLVED, TicketStatus.CLOSED
    C_UNKNOWN, C_THEIRS = CauseSide.UNKNOWN, CauseSide.THEIRS_INTERNAL
    APOLOGY, EXPLANATION, UPDATE = (StepKind.APOLOGY, StepKind.EXPLANATION, StepKind.STATUS_UPDATE)
    R_LEAD, R_MANAGER = Role.LEAD, Role.ACCOUNT_MANAGER
    minute = timedelta(minutes=1)
    lead_id = leads[0][0]

    tickets, events, steps, sla_marks = [], [], [], []
    append_event, append_step = events.append, steps.append
    # Steps ticked by a reply: (index in ``steps``, ticket id, which of the ticket's public
    # replies). The replies' ids are read back after the insert.
    by_reply: list[tuple[int, int, int]] = []
    replies = 0  # public replies written on the current ticket so far

    def ev(ticket_id, kind, actor_id, at, body="", fld=None, old=None, new=None, cust=False):
        nonlocal replies
        append_event(
            {
                "ticket_id": ticket_id,
                "kind": kind,
                "actor_id": actor_id,
                "by_customer": cust,
                "body": body,
                "field": fld,
                "old_value": old,
                "new_value": new,
                "created_at": at,
            }
        )
        if kind == K_REPLY:
            replies += 1
            return replies - 1
        return None

    for i in range(n):
        tid = first_id + i
        replies = 0
        age = rand() * year_seconds
        t0 = now - timedelta(seconds=age)
        customer_id, tier, manager_id, standing = choice(customers)
        contact_ids = contacts.get(customer_id)
        cat_id = choice(cat_ids)
        openings, acks, notes, resolutions = pools[cat_id]
        subject, description = choice(openings)
        channel = choice(channels)
        kind = crisis if tier is not standard and rand() < 0.05 else complaint
        severity = Severity.P1 if kind is crisis else choice(severities)
        # A few complaints of big accounts come from pressure inside their organisation.
        theirs = kind is complaint and tier is not standard and rand() < 0.03
        team_id, team_name, members = choice(teams)
        if rand() < 0.35:  # routed to a person only
            team_id = None
        assignee_id, assignee_name, _role = choice(members)
        creator_id = None if channel is web else assignee_id
        value = Decimal(randint(1500, 2500000)).scaleb(-2)

        open_p = 0.6 if age < 7 * 86400 else 0.35 if age < 30 * 86400 else 0.12
        if rand() < open_p:
            status = choice(statuses_open)
        else:
            status = S_RESOLVED if age < 14 * 86400 or rand() < 0.15 else S_CLOSED
        resolution, explained, code = choice(resolutions)

        cause = C_THEIRS if theirs else C_UNKNOWN
        chosen = choose(kind, slugs[cat_id], cause, severity, tier, standing)
        ev(tid, K_CREATED, creator_id, t0, description, new=channel.value, cust=creator_id is None)
        if chosen is not None:
            ev(tid, K_PLAYBOOK, creator_id, t0, fld="playbook", new=chosen[1])
        t = t0 if creator_id else min(t0 + minute * randint(5, 180), now)
        actor = creator_id or choice(leads)[0]
        if team_id is not None:
            ev(tid, K_ASSIGN, actor, t, fld="team", new=team_name)
        first_response = resolved = closed = None
        apology_at = apology_event = explained_at = explained_event = None
        reopen_count = 0
        if status is S_NEW:
            last = t
            ticket_assignee = None
        else:
            ticket_assignee = assignee_id
            ev(tid, K_ASSIGN, actor, t, fld="assignee", new=assignee_name)
            t = min(t + minute * (randint(10, 90) if kind is crisis else randint(15, 1440)), now)
            first_response = t
            if status is S_PENDING:
                ev(tid, K_REPLY, assignee_id, t, choice(QUESTIONS))
                ev(tid, K_STATUS, assignee_id, t, fld="status", old="new", new="pending_customer")
            elif status is S_OPEN:
                apology_at, apology_event = t, ev(tid, K_REPLY, assignee_id, t, choice(acks))
                ev(tid, K_STATUS, assignee_id, t, fld="status", old="new", new="open")
                if rand() < 0.5:
                    t = min(t + minute * randint(30, 600), now)
                    ev(tid, K_NOTE, assignee_id, t, choice(notes))
            else:
                before = "new"
                if rand() < 0.3:  # acknowledged first, resolved later; else solved at once
                    apology_at, apology_event = t, ev(tid, K_REPLY, assignee_id, t, choice(acks))
                    ev(tid, K_STATUS, assignee_id, t, fld="status", old="new", new="open")
                    t = min(t + minute * randint(120, 7200), now)
                    before = "open"
                resolved = t
                if theirs:
                    reply = ev(tid, K_REPLY, assignee_id, t, resolution)
                elif apology_event is None:  # apologise and explain in one reply
                    reply = ev(tid, K_REPLY, assignee_id, t, f"Sorry for the trouble. {explained}")
                    apology_at, apology_event = t, reply
                else:
                    reply = ev(tid, K_REPLY, assignee_id, t, explained)
                if not theirs:
                    explained_at, explained_event = t, reply
                ev(tid, K_STATUS, assignee_id, t, fld="status", old=before, new="resolved")
                if rand() < 0.03:
                    t = min(t + minute * randint(600, 4000), now)
                    ev(tid, K_MSG, None, t, choice(REOPENS), cust=True)
                    ev(tid, K_STATUS, None, t, fld="status", old="resolved", new="open", cust=True)
                    reopen_count = 1
                    t = min(t + minute * randint(60, 2000), now)
                    resolved = t
                    ev(tid, K_REPLY, assignee_id, t, choice(REOPEN_FIXES))
                    ev(tid, K_STATUS, assignee_id, t, fld="status", old="open", new="resolved")
                if status is S_CLOSED:
                    t = min(t + minute * randint(2880, 10080), now)
                    closed = t
                    ev(tid, K_STATUS, assignee_id, t, fld="status", old="resolved", new="closed")
            last = t

        # Cause side and root cause: found by investigation on our side.
        root_cause = None
        if not theirs and (resolved is not None or (first_response is not None and rand() < 0.5)):
            cause = cause_side(code)
            root_cause = code if resolved is not None else None

        # The checklist, copied from the playbook version (rows in _STEP_COLUMNS order).
        if chosen is not None:
            tasks_done = 0
            for fixed, due, step_kind, role, required in chosen[2]:
                due_at, done_at, event, explained_code = t0 + due, None, None, None
                if step_kind is APOLOGY:
                    done_at, event = apology_at, apology_event
                elif step_kind is EXPLANATION:
                    if explained_event is not None:
                        done_at, event = explained_at, explained_event
                        explained_code = code.value
                elif step_kind is UPDATE:
                    if first_response is not None:
                        due_at = first_response + due
                    done_at = resolved
                elif resolved is not None:
                    if required or tid % 2:
                        # Spread between the first response and the resolution, in order.
                        tasks_done += 1
                        done_at = min(
                            first_response + (resolved - first_response) * (tasks_done - 1) / 8,
                            resolved,
                        )
                elif first_response is not None and tasks_done == 0:
                    tasks_done, done_at = 1, first_response  # responded: acknowledged
                done_by = None
                if done_at is not None:
                    done_by = (
                        lead_id
                        if role is R_LEAD
                        else (manager_id or lead_id)
                        if role is R_MANAGER
                        else assignee_id
                    )
                    if event is not None:
                        by_reply.append((len(steps), tid, event))
                append_step([tid, *fixed, due_at, done_at, done_by, None, explained_code])

        marks: list = []  # filled by sla_book.columns below: what the sweep has marked
        tickets.append(
            {
                "id": tid,
                "reference": counters.format_reference(first_n + i),
                "customer_id": customer_id,
                "contact_id": choice(contact_ids) if contact_ids else None,
                "subject": subject,
                "description": description,
                "channel": channel.value,
                "kind": kind.value,
                "category_id": cat_id,
                "severity": severity.value,
                "order_reference": f"SO-{randint(100000, 999999)}",
                "currency": currency,
                "order_value": value,
                "claimed_loss": (value * randint(5, 60) / 100).quantize(Decimal("0.01")),
                "status": status.value,
                "team_id": team_id,
                "assignee_id": ticket_assignee,
                "created_by_id": creator_id,
                "public_token": base64.urlsafe_b64encode(rng.randbytes(24)).decode("ascii"),
                "first_response_at": first_response,
                "resolved_at": resolved,
                "closed_at": closed,
                "reopen_count": reopen_count,
                "cause_side": cause.value,
                "root_cause": root_cause.value if root_cause else None,
                "playbook_version_id": chosen[0] if chosen else None,
                "last_activity_at": last,
                "version": 1,
                "created_at": t0,
                "updated_at": last,
                "sla_paused_minutes": 0,
                "next_response_breached": False,
                # The clocks stand still while waiting on the customer and once resolved.
                "sla_paused_at": last
                if status is S_PENDING
                else (resolved or closed if status in (S_RESOLVED, S_CLOSED) else None),
                "sla_stops": "[]",  # JSON text: the bulk insert writes driver values
                **sla_book.columns(
                    kind=kind.value,
                    severity=severity.value,
                    tier=tier.value,
                    created_at=t0,
                    first_response_at=first_response,
                    resolved_at=resolved,
                    is_open=status in (S_NEW, S_OPEN),
                    now=now,
                    marks=marks,
                ),
            }
        )
        for milestone, state, due_at, at in marks:
            ev(
                tid,
                K_SLA,
                None,
                at,
                sla.mark_text(milestone, state, due_at),
                fld=milestone.value,
                new=state.value,
            )
            sla_marks.append([tid, milestone.value, state.value, due_at, at])
    _fast_insert(Ticket.__table__, tickets)
    _fast_insert(TicketEvent.__table__, events)
    if by_reply:
        # Link the steps to the replies that ticked them: a ticket's replies, by id, are in
        # the order they were written.
        reply_ids: dict[int, list[int]] = {}
        for ticket_id, event_id in session.execute(
            sa.select(TicketEvent.ticket_id, TicketEvent.id)
            .where(
                TicketEvent.ticket_id.between(first_id, first_id + n - 1),
                TicketEvent.kind == K_REPLY,
            )
            .order_by(TicketEvent.ticket_id, TicketEvent.id)
        ):
            reply_ids.setdefault(ticket_id, []).append(event_id)
        reply_column = _STEP_COLUMNS.index("reply_event_id")
        for step_index, ticket_id, ordinal in by_reply:
            steps[step_index][reply_column] = reply_ids[ticket_id][ordinal]
    if steps:
        _fast_insert(TicketStep.__table__, steps, keys=_STEP_COLUMNS)
    if sla_marks:
        _fast_insert(
            SlaEvent.__table__,
            sla_marks,
            keys=("ticket_id", "milestone", "state", "due_at", "created_at"),
        )
    if session.get_bind().dialect.name == "postgresql":
        # Explicit ids leave the id sequence behind; move it past what we wrote.
        session.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence('tickets', 'id'), "
                "(SELECT MAX(id) FROM tickets))"
            )
        )
    session.commit()


# The columns of the ticket_steps rows the bulk generator writes, in order.
_STEP_COLUMNS = (
    "ticket_id",
    "position",
    "kind",
    "title",
    "guidance",
    "role",
    "required",
    "recur_hours",
    "note",
    "due_at",
    "done_at",
    "done_by_id",
    "reply_event_id",
    "root_cause",
)


def _fast_insert(table: sa.Table, rows: list, *, keys: tuple[str, ...] | None = None) -> None:
    """Insert many rows of one shape, handing the driver values it stores as they are.

    Like ``session.execute(sa.insert(table), rows)`` but without type processing per value
    in Python, which is most of the time of a bulk load, and with COPY on PostgreSQL. Rows
    hold enum columns as their stored values (strings) and datetimes as aware UTC values;
    these are written the way ``UTCDateTime`` writes them (naive UTC text on SQLite), and
    amounts as the driver takes them. Rows are dicts of one shape, or lists in the order of
    ``keys``.
    """
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    sqlite = dialect.name == "sqlite"
    if keys is None:
        keys = list(rows[0])
        rows = [[row[key] for key in keys] for row in rows]
    keys = list(keys)
    convert = []
    for position, key in enumerate(keys):
        column_type = table.c[key].type
        if isinstance(column_type, UTCDateTime):
            convert.append((position, _sqlite_time if sqlite else _utc))
        elif isinstance(column_type, (sa.Numeric, Money)) and sqlite:
            convert.append((position, float))
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        # COPY is many times faster than INSERTs on PostgreSQL; same transaction.
        quote = dialect.identifier_preparer.quote
        columns = ", ".join(quote(key) for key in keys)
        cursor = connection.connection.cursor()
        with cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
            for values in rows:
                for position, fn in convert:
                    value = values[position]
                    if value is not None:
                        values[position] = fn(value)
                copy.write_row(values)
        return
    statement = sa.insert(sa.table(table.name, *(sa.column(key) for key in keys)))
    compiled = statement.compile(dialect=dialect)
    named = dialect.paramstyle in ("named", "pyformat")
    if not named and list(compiled.positiontup) != keys:  # pragma: no cover - guard
        raise RuntimeError("Unexpected parameter order in the bulk insert.")
    params = []
    for values in rows:
        for position, fn in convert:
            value = values[position]
            if value is not None:
                values[position] = fn(value)
        params.append(dict(zip(keys, values, strict=True)) if named else tuple(values))
    connection.exec_driver_sql(str(compiled), params)


def _sqlite_time(value: datetime) -> str:
    """What UTCDateTime stores on SQLite: naive UTC, with microseconds."""
    if value.tzinfo is not UTC:
        value = _utc(value)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        raise ValueError("Naive datetime given; use an aware UTC datetime.")
    return value.astimezone(UTC)
