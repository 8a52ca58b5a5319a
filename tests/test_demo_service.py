"""The demo data set and the bulk generator (``flask demo-data``)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from ticketdesk import demo
from ticketdesk.core import counters
from ticketdesk.demo import content as demo_content
from ticketdesk.demo import mail as demo_mail
from ticketdesk.extensions import db
from ticketdesk.models import (
    Category,
    CauseGroup,
    CauseSide,
    Channel,
    Contact,
    Counter,
    Customer,
    CustomerTier,
    EventKind,
    Playbook,
    RemedyKind,
    Role,
    Severity,
    StepKind,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
    TicketStep,
    User,
)
from ticketdesk.services.ledger import remedies as ledger
from ticketdesk.services.people.users import authenticate
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.playbooks import shipped as playbook_defaults

CLOSED_STATES = ("resolved", "closed")
# Timeline events that do not change the ticket itself (the services leave its last
# activity alone for them).
BOOKKEEPING = (
    EventKind.INTERNAL_NOTE,
    EventKind.PLAYBOOK,
    EventKind.STEP_DONE,
    EventKind.STEP_REOPENED,
    EventKind.SLA,
    EventKind.SURVEY,
    EventKind.LOYALTY,
)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _tickets() -> list[Ticket]:
    return list(
        db.session.scalars(
            sa.select(Ticket)
            .options(
                sa.orm.selectinload(Ticket.events),
                sa.orm.selectinload(Ticket.customer),
                sa.orm.selectinload(Ticket.team),
                sa.orm.selectinload(Ticket.assignee),
                sa.orm.selectinload(Ticket.steps),
                sa.orm.selectinload(Ticket.remedies),
                sa.orm.selectinload(Ticket.playbook_version),
            )
            .order_by(Ticket.id)
        )
    )


def _empty_database() -> None:
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
    db.session.expunge_all()


def _snapshot() -> list[tuple]:
    done_steps = (
        sa.select(sa.func.count(TicketStep.id))
        .where(TicketStep.ticket_id == Ticket.id, TicketStep.done_at.is_not(None))
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(
            Ticket.reference,
            Ticket.subject,
            Ticket.status,
            Ticket.kind,
            Ticket.severity,
            Ticket.channel,
            Ticket.created_at,
            Ticket.public_token,
            Ticket.order_value,
            Ticket.cause_side,
            Ticket.root_cause,
            Customer.name,
            sa.func.count(TicketEvent.id),
            done_steps,
        )
        .join(Customer, Ticket.customer_id == Customer.id)
        .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
        .group_by(Ticket.id, Customer.name)
        .order_by(Ticket.reference)
    )
    return [tuple(row) for row in rows]


# ----------------------------------------------------------------------------- load_demo


def test_demo_has_one_login_per_role_and_the_password_works(ctx, now):
    summary = demo.load_demo(now=now)

    assert f"{demo.DEMO_TICKETS + demo.HISTORY_TICKETS} tickets" in summary
    assert {role for _, role, _ in demo.DEMO_LOGINS} == set(Role)
    for email, role, name in demo.DEMO_LOGINS:
        user = authenticate(email, demo.DEMO_PASSWORD)
        assert user is not None, email
        assert (user.role, user.name) == (role, name)
    assert authenticate("agent@example.com", "wrong password") is None
    # More agents so that assignment looks real, all with the demo password.
    agents = db.session.scalars(sa.select(User).where(User.role == Role.AGENT)).all()
    assert len(agents) >= 3
    assert all(authenticate(a.email, demo.DEMO_PASSWORD) for a in agents)
    users = db.session.scalars(sa.select(User)).all()
    assert {"Asia/Shanghai", "Europe/Berlin"} <= {u.timezone for u in users}
    assert all(u.teams for u in users if u.works_tickets)


def test_demo_customers_are_mixed_and_written_after_the_cases(ctx, now):
    demo.load_demo(now=now)

    customers = db.session.scalars(
        sa.select(Customer).options(
            sa.orm.selectinload(Customer.contacts), sa.orm.selectinload(Customer.account_manager)
        )
    ).all()
    assert 90 <= len(customers) <= 120
    assert {c.tier for c in customers} == set(CustomerTier)
    assert len({c.standing for c in customers}) >= 4
    for customer in customers:
        assert 1 <= len(customer.contacts) <= 3, customer.name
        if customer.tier in (CustomerTier.STRATEGIC, CustomerTier.KEY):
            assert customer.account_manager.role is Role.ACCOUNT_MANAGER, customer.name
        assert customer.created_at < now - timedelta(days=60)
    emails = db.session.scalars(sa.select(Contact.email)).all()
    assert all(e == e.lower() and e.endswith(".example") for e in emails)
    assert len(emails) == len(set(emails))
    preferences = " ".join(c.preferences for c in customers)
    for idea in ("extra chili", "cosmetic bags", "olive oil"):
        assert idea in preferences


def test_demo_tickets_cover_every_category_kind_severity_and_status(ctx, now):
    demo.load_demo(now=now)

    tickets = _tickets()
    assert 330 <= len(tickets) <= 370
    used = {t.category_id for t in tickets}
    assert used == set(db.session.scalars(sa.select(Category.id)))
    assert {t.kind for t in tickets} == set(TicketKind)
    assert {t.severity for t in tickets} == set(Severity)
    assert {t.status for t in tickets} == set(TicketStatus)
    assert len({t.channel for t in tickets}) >= 5
    span = demo.DEMO_DAYS + demo.HISTORY_DAYS + 1
    assert all(t.created_at >= now - timedelta(days=span) for t in tickets)
    history = [t for t in tickets if t.created_at < now - timedelta(days=demo.DEMO_DAYS)]
    assert len(history) >= demo.HISTORY_TICKETS
    assert all(t.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) for t in history)

    crises = [t for t in tickets if t.kind is TicketKind.CRISIS]
    assert 0 < len(crises) < len(tickets) / 5
    big = [t for t in crises if t.customer.tier is not CustomerTier.STANDARD]
    assert len(big) > len(crises) / 2

    # Older tickets are mostly finished, recent ones mostly still open.
    old = [t for t in tickets if t.created_at < now - timedelta(days=21)]
    recent = [t for t in tickets if t.created_at > now - timedelta(days=3)]
    assert sum(t.status.value in CLOSED_STATES for t in old) > 0.8 * len(old)
    assert sum(t.is_open for t in recent) > 0.5 * len(recent)

    for t in tickets:
        for amount in (t.order_value, t.claimed_loss):
            assert amount is None or (
                isinstance(amount, Decimal) and amount.as_tuple().exponent == -2
            )
        assert len(t.currency) == 3
        if t.assignee is not None and t.team is not None:
            assert t.team in t.assignee.teams, t.reference
    assert {t.currency for t in tickets} >= {"EUR", "USD", "CNY"}

    assert [t.reference for t in tickets] == [
        counters.format_reference(n) for n in range(1, len(tickets) + 1)
    ]
    assert len({t.public_token for t in tickets}) == len(tickets)
    assert db.session.get(Counter, "ticket").value == len(tickets)
    # Ticket numbers follow the creation time.
    assert [t.created_at for t in tickets] == sorted(t.created_at for t in tickets)


def test_demo_timelines_are_complete_and_consistent(ctx, now):
    demo.load_demo(now=now)

    for t in _tickets():
        events = t.events  # ordered by id, i.e. in the order they were written
        first = events[0]
        assert first.kind is EventKind.CREATED, t.reference
        assert first.created_at == t.created_at
        # The playbook is attached at intake, right after the ticket was created.
        assert events[1].kind is EventKind.PLAYBOOK, t.reference
        assert (events[1].created_at, events[1].actor_id) == (t.created_at, first.actor_id)
        if t.channel is Channel.WEB:
            assert first.by_customer and first.actor_id is None
        if t.channel in (Channel.PHONE, Channel.EMAIL, Channel.WALK_IN):
            assert not first.by_customer and first.actor_id is not None
            assert t.created_by_id == first.actor_id
        times = [e.created_at for e in events]
        assert times == sorted(times), t.reference
        assert times[-1] <= now

        replies = [e for e in events if e.kind is EventKind.PUBLIC_REPLY]
        assert t.first_response_at == (replies[0].created_at if replies else None)
        assert all(
            e.kind is not EventKind.PUBLIC_REPLY for e in events if t.status is TicketStatus.NEW
        )

        status = "new"
        reopens = 0
        for e in events:
            if e.kind is EventKind.STATUS_CHANGE:
                assert (e.field, e.old_value) == ("status", status), t.reference
                if status in CLOSED_STATES and e.new_value not in CLOSED_STATES:
                    reopens += 1
                status = e.new_value
        assert status == t.status.value
        assert t.reopen_count == reopens
        assert (t.resolved_at is not None) == (t.status.value in CLOSED_STATES)
        assert (t.closed_at is not None) == (t.status is TicketStatus.CLOSED)

        assignees = [e for e in events if e.kind is EventKind.ASSIGNMENT and e.field == "assignee"]
        teams = [e for e in events if e.kind is EventKind.ASSIGNMENT and e.field == "team"]
        assert (assignees[-1].new_value if assignees else None) == (
            t.assignee.name if t.assignee else None
        )
        assert (teams[-1].new_value if teams else None) == (t.team.name if t.team else None)
        changes = [e.created_at for e in events if e.kind not in BOOKKEEPING]
        assert t.last_activity_at == changes[-1]
        assert t.updated_at == t.last_activity_at


def test_demo_tickets_follow_their_playbooks(ctx, now):
    summary = demo.load_demo(now=now)

    assert f"{len(playbook_defaults.SHIPPED)} playbooks" in summary
    tickets = _tickets()
    assert all(t.playbook_version is not None and t.steps for t in tickets)
    candidates = playbooks.candidates()
    for t in tickets:
        # Each ticket follows the playbook that fits it (after any switch a lead made).
        assert playbooks.choose_version(t, candidates) is t.playbook_version, t.reference
        assert t.playbook_version.advisory == (t.cause_side.group is CauseGroup.THEIRS)
        done_events = [e for e in t.events if e.kind is EventKind.STEP_DONE]
        assert len(done_events) == sum(
            1 for s in t.steps if s.is_done and s.kind is not StepKind.STATUS_UPDATE
        )
        for step in t.steps:
            if not step.is_done:
                continue
            assert step.done_at >= t.created_at and step.done_at <= now, t.reference
            if step.kind in (StepKind.APOLOGY, StepKind.EXPLANATION):
                # Given in a public reply, by whoever wrote it, when it was sent.
                reply = step.reply_event
                assert reply.kind is EventKind.PUBLIC_REPLY, t.reference
                assert (reply.created_at, reply.actor_id) == (step.done_at, step.done_by_id)
            if step.kind is StepKind.EXPLANATION:
                assert step.root_cause is not None and step.root_cause is t.root_cause
            if step.kind is StepKind.TASK and step.done_by_id is not None:
                ticker = db.session.get(User, step.done_by_id)
                assert ticker.role is Role.LEAD or ticker.role is step.role, t.reference

        if t.status.value in CLOSED_STATES:
            required = [s for s in t.steps if s.required]
            assert all(s.is_done and s.done_at <= t.resolved_at for s in required), t.reference
            if not t.playbook_version.advisory:
                assert t.root_cause is not None, t.reference
                assert any(r.kind is RemedyKind.MAKE_WHOLE for r in t.remedies), t.reference
                if ledger.goodwill_required(t):
                    assert ledger.totals(t).goodwill > 0, t.reference
        if t.status is TicketStatus.NEW:
            assert t.cause_side is CauseSide.UNKNOWN and t.root_cause is None

    # Open tickets show the checklist at work: done, still open and overdue steps.
    open_steps = [s for t in tickets if t.is_open for s in t.steps]
    assert any(s.is_done for s in open_steps)
    assert any(not s.is_done and not s.is_overdue(now) for s in open_steps)
    assert any(s.is_overdue(now) for s in open_steps)
    # Cause sides: mostly ours once investigated, a few the customer's own, new ones unknown.
    finished = [t for t in tickets if t.status.value in CLOSED_STATES]
    groups = [t.cause_side.group for t in finished]
    assert groups.count(CauseGroup.OURS) > 0.75 * len(finished)
    assert len({t.cause_side for t in finished}) >= 4
    theirs = [t for t in tickets if t.cause_side is CauseSide.THEIRS_INTERNAL]
    assert 3 <= len(theirs) <= 20
    assert all(t.playbook_version.playbook.name == playbook_defaults.ADVISORY.name for t in theirs)
    names = {t.playbook_version.playbook.name for t in tickets}
    assert len(names) >= 10


def test_load_demo_keeps_playbooks_that_are_there_already(ctx, now):
    playbook_defaults.seed_playbooks(now=now)
    before = db.session.scalars(sa.select(Playbook.id).order_by(Playbook.id)).all()

    summary = demo.load_demo(now=now)

    assert "(0 shipped ones added now)" in summary
    assert db.session.scalars(sa.select(Playbook.id).order_by(Playbook.id)).all() == before


def test_demo_tells_the_domain_stories(ctx, now):
    demo.load_demo(now=now)

    def ticket(subject_part: str) -> Ticket:
        return db.session.scalars(
            sa.select(Ticket).where(Ticket.subject.contains(subject_part))
        ).one()

    bags = ticket("20 of 22 cosmetic bags")
    assert bags.status is TicketStatus.CLOSED
    assert sum(e.kind is EventKind.PUBLIC_REPLY for e in bags.events) >= 3
    assert any("conceded" in e.body for e in bags.events if e.kind is EventKind.INTERNAL_NOTE)
    assert bags.remedies and all(r.conceded for r in bags.remedies)
    assert bags.replies_before_remedy >= 2  # the argument loop

    oil = ticket("bottle of olive oil")
    assert oil.first_response_at - oil.created_at <= timedelta(hours=1)
    call_back = oil.steps[0]
    assert call_back.done_at <= call_back.due_at  # called back within the hour
    assert any(r.no_proof for r in oil.remedies)

    angry = ticket("Rollout phase 2 stalled")
    assert (angry.kind, angry.customer.tier) == (TicketKind.CRISIS, CustomerTier.STRATEGIC)
    assert angry.is_open
    assert angry.first_response_at - angry.created_at <= timedelta(hours=1)
    assert angry.playbook_version.playbook.name == playbook_defaults.CRISIS_STRATEGIC.name
    assert angry.cause_side is CauseSide.OURS_PRODUCT
    assert any(s.kind is StepKind.STATUS_UPDATE and s.recur_hours == 24 for s in angry.steps)
    assert {s.role for s in angry.steps if s.is_done} >= {Role.LEAD, Role.ACCOUNT_MANAGER}

    pressure = ticket("moved three weeks forward by their CIO")
    assert pressure.cause_side is CauseSide.THEIRS_INTERNAL
    assert pressure.playbook_version.advisory and not pressure.remedies

    promotion = ticket("Promotion stock 4 days late")
    switches = [e for e in promotion.events if e.kind is EventKind.PLAYBOOK]
    assert [e.new_value for e in switches] == [
        f"{playbook_defaults.LATE.name} (v1)",
        f"{playbook_defaults.CRISIS_STRATEGIC.name} (v1)",
    ]
    assert promotion.playbook_version.playbook.name == playbook_defaults.CRISIS_STRATEGIC.name

    assert (
        db.session.scalar(sa.select(sa.func.count(Ticket.id)).where(Ticket.reopen_count > 0)) >= 2
    )


def test_same_seed_gives_the_same_data_and_another_seed_does_not(ctx, now):
    demo.load_demo(now=now, seed=7)
    first = _snapshot()
    _empty_database()

    demo.load_demo(now=now, seed=7)
    assert _snapshot() == first
    _empty_database()

    demo.load_demo(now=now, seed=8)
    assert _snapshot() != first


def test_load_demo_needs_an_empty_database(ctx, now):
    demo.load_demo(now=now)
    tickets = _count(Ticket)

    with pytest.raises(RuntimeError, match="empty database"):
        demo.load_demo(now=now)
    assert _count(Ticket) == tickets


# ----------------------------------------------------------------------------- generate_bulk


def test_generate_bulk_appends_tickets_with_timelines(ctx, now, monkeypatch):
    demo.load_demo(now=now)
    before = _count(Ticket)
    events_before = _count(TicketEvent)
    monkeypatch.setattr(demo, "BULK_BATCH", 128)  # several batches

    elapsed, written = demo.generate_bulk(count=500, now=now)

    assert written == 500 and elapsed >= 0
    assert _count(Ticket) == before + 500
    new_events = _count(TicketEvent) - events_before
    assert 3 * 500 <= new_events <= 8 * 500
    refs = db.session.scalars(sa.select(Ticket.reference)).all()
    tokens = db.session.scalars(sa.select(Ticket.public_token)).all()
    assert len(set(refs)) == len(refs) and len(set(tokens)) == len(tokens)
    expected = {counters.format_reference(n) for n in range(before + 1, before + 501)}
    assert expected <= set(refs)
    assert db.session.get(Counter, "ticket").value == before + 500

    bulk = sa.select(Ticket.id).where(Ticket.reference.in_(expected))
    # Every ticket has a timeline that starts with its creation and stays before now.
    first_kinds = db.session.execute(
        sa.select(TicketEvent.ticket_id, TicketEvent.kind).where(
            TicketEvent.id.in_(
                sa.select(sa.func.min(TicketEvent.id))
                .where(TicketEvent.ticket_id.in_(bulk))
                .group_by(TicketEvent.ticket_id)
            )
        )
    ).all()
    assert len(first_kinds) == 500
    assert {kind for _, kind in first_kinds} == {EventKind.CREATED}
    early = db.session.scalar(
        sa.select(sa.func.count(TicketEvent.id))
        .join(Ticket, TicketEvent.ticket_id == Ticket.id)
        .where(Ticket.id.in_(bulk), TicketEvent.created_at < Ticket.created_at)
    )
    assert early == 0
    assert db.session.scalar(sa.select(sa.func.max(TicketEvent.created_at))) <= now
    oldest = db.session.scalar(sa.select(sa.func.min(Ticket.created_at)).where(Ticket.id.in_(bulk)))
    assert oldest >= now - timedelta(days=366)
    open_share = (
        db.session.scalar(
            sa.select(sa.func.count(Ticket.id)).where(
                Ticket.id.in_(bulk),
                Ticket.status.in_(
                    (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER)
                ),
            )
        )
        / 500
    )
    assert 0.05 < open_share < 0.3
    statuses = set(db.session.scalars(sa.select(Ticket.status).where(Ticket.id.in_(bulk))))
    assert statuses == set(TicketStatus)

    # Every bulk ticket has its playbook's checklist; finished ones have it done in time.
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Ticket.id)).where(
                Ticket.id.in_(bulk), Ticket.playbook_version_id.is_(None)
            )
        )
        == 0
    )
    without_steps = db.session.scalar(
        sa.select(sa.func.count(Ticket.id)).where(
            Ticket.id.in_(bulk), ~sa.exists().where(TicketStep.ticket_id == Ticket.id)
        )
    )
    assert without_steps == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count(TicketEvent.id)).where(
                TicketEvent.ticket_id.in_(bulk), TicketEvent.kind == EventKind.PLAYBOOK
            )
        )
        == 500
    )
    finished = (
        Ticket.id.in_(bulk),
        Ticket.status.in_((TicketStatus.RESOLVED, TicketStatus.CLOSED)),
    )
    steps = sa.select(sa.func.count(TicketStep.id)).join(Ticket, TicketStep.ticket_id == Ticket.id)
    assert (
        db.session.scalar(
            steps.where(*finished, TicketStep.required.is_(True), TicketStep.done_at.is_(None))
        )
        == 0
    )
    assert db.session.scalar(steps.where(*finished, TicketStep.done_at > Ticket.resolved_at)) == 0
    assert (
        db.session.scalar(steps.where(Ticket.id.in_(bulk), TicketStep.done_at.is_not(None))) > 1000
    )
    # Apologies and explanations point at the reply that gave them.
    given = db.session.execute(
        sa.select(TicketStep, TicketEvent)
        .join(TicketEvent, TicketStep.reply_event_id == TicketEvent.id)
        .where(TicketStep.ticket_id.in_(bulk))
    ).all()
    assert given
    for step, reply in given:
        assert step.kind in (StepKind.APOLOGY, StepKind.EXPLANATION)
        assert (reply.ticket_id, reply.kind, reply.created_at) == (
            step.ticket_id,
            EventKind.PUBLIC_REPLY,
            step.done_at,
        )
    assert (
        db.session.scalar(
            steps.where(
                Ticket.id.in_(bulk),
                TicketStep.kind.in_((StepKind.APOLOGY, StepKind.EXPLANATION)),
                TicketStep.done_at.is_not(None),
                TicketStep.reply_event_id.is_(None),
            )
        )
        == 0
    )
    explained = db.session.execute(
        sa.select(TicketStep.root_cause, Ticket.root_cause)
        .join(Ticket, TicketStep.ticket_id == Ticket.id)
        .where(
            Ticket.id.in_(bulk),
            TicketStep.kind == StepKind.EXPLANATION,
            TicketStep.done_at.is_not(None),
        )
    ).all()
    assert explained and all(a is b and a is not None for a, b in explained)

    # A ticket logged afterwards through the service gets the next number (and a fresh id).
    agent = db.session.scalar(sa.select(User.id).where(User.email == "agent@example.com"))
    new_id = factories.make_ticket(actor_id=agent, now=now)
    assert db.session.get(Ticket, new_id).reference == counters.format_reference(before + 501)


def test_generate_bulk_twice_keeps_references_and_tokens_unique(ctx, now):
    demo.load_demo(now=now)
    demo.generate_bulk(count=150, now=now)
    demo.generate_bulk(count=150, now=now)

    total = _count(Ticket)
    assert len(set(db.session.scalars(sa.select(Ticket.reference)))) == total
    assert len(set(db.session.scalars(sa.select(Ticket.public_token)))) == total
    assert db.session.get(Counter, "ticket").value == total


def test_generate_bulk_needs_demo_data_first(ctx, now):
    with pytest.raises(RuntimeError, match="load the demo data"):
        demo.generate_bulk(count=10, now=now)
    assert _count(Ticket) == 0


# ----------------------------------------------------------------------------- the CLI


def test_cli_loads_demo_data_and_prints_the_logins(app):
    runner = app.test_cli_runner()

    result = runner.invoke(args=["demo-data"])

    assert result.exit_code == 0, result.output
    assert "Demo data loaded" in result.output
    assert "http://127.0.0.1:5000" in result.output
    assert demo.DEMO_PASSWORD in result.output
    for email, _, _ in demo.DEMO_LOGINS:
        assert email in result.output
    assert "e-mail: 4 received (2 on tickets, 1 automatic reply ignored, 1 held" in result.output
    with app.app_context():
        loaded = _count(Ticket)
    assert loaded == demo.DEMO_TICKETS + demo.HISTORY_TICKETS + demo_mail.NEW_COMPLAINTS
    with app.app_context():
        # The mailbox went through the desk: a complaint by e-mail, acknowledged in Chinese
        # text decoded from GB18030, an answer that reopened the clock, the rest not acted on.
        from ticketdesk.models import Channel, InboundMail, InboundState, MailPurpose, OutboxMessage

        states = sorted(m.state.value for m in db.session.scalars(sa.select(InboundMail)))
        assert states == ["applied", "applied", "held", "ignored"]
        by_mail = db.session.scalar(
            sa.select(Ticket)
            .where(Ticket.channel == Channel.EMAIL)
            .order_by(Ticket.id.desc())
            .limit(1)
        )
        assert by_mail.subject == "化妆包订单少发了两件"
        ack = db.session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.purpose == MailPurpose.ACKNOWLEDGEMENT)
        )
        assert ack.ticket_id == by_mail.id and ack.to_address == "lin.xiaoyu@example.cn"
        answered = db.session.scalar(
            sa.select(InboundMail).where(
                InboundMail.state == InboundState.APPLIED, InboundMail.ticket_id != by_mail.id
            )
        )
        assert db.session.get(Ticket, answered.ticket_id).status.value == "open"

    again = runner.invoke(args=["demo-data", "--if-empty"])
    assert again.exit_code == 0, again.output
    assert "not loaded" in again.output
    assert "agent@example.com" in again.output

    refused = runner.invoke(args=["demo-data"])
    assert refused.exit_code == 1

    with app.app_context():
        assert _count(Ticket) == loaded
        assert _count(User) == len(demo_content.STAFF)


def test_cli_bulk_option_appends_tickets(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["demo-data", "--if-empty"])

    result = runner.invoke(args=["demo-data", "--tickets", "40"])

    assert result.exit_code == 0, result.output
    assert "Generated 40 tickets" in result.output
    with app.app_context():
        assert _count(Ticket) == (
            demo.DEMO_TICKETS + demo.HISTORY_TICKETS + demo_mail.NEW_COMPLAINTS + 40
        )


def test_demo_recoveries_have_orders_answers_and_loyalty_outcomes(ctx, now):
    """Every figure of the outcome report, the loyalty page and the accounts pages has data."""
    from ticketdesk.core.clock import desk_date
    from ticketdesk.models import (
        LoyaltyState,
        Order,
        RecoveryOutcome,
        StandingChange,
        Survey,
        purchase_clause,
    )
    from ticketdesk.services.recovery import outcomes, segments

    summary = demo.load_demo(now=now)
    assert "loyalty: judged" in summary
    customers = db.session.scalars(sa.select(Customer)).all()
    refs = [c.external_ref for c in customers]
    assert all(refs) and len(set(refs)) == len(refs)
    # Customers who never complained (the matched groups), in more than one tier.
    quiet = [
        c
        for c in customers
        if not db.session.scalar(
            sa.select(sa.func.count(Ticket.id)).where(Ticket.customer_id == c.id)
        )
    ]
    assert len(quiet) >= 20 and len({c.tier for c in quiet}) >= 2
    # Purchases over 18 months, and reshipped goods that are no purchase.
    today = desk_date(now)
    first_order = db.session.scalar(sa.select(sa.func.min(Order.ordered_on)))
    assert (today - first_order).days > 500
    assert db.session.scalar(sa.select(sa.func.count(Order.id)).where(purchase_clause())) > 1000
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Order.id)).where(
                Order.remedy_ticket_id.is_not(None), Order.amount == 0
            )
        )
        > 50
    )
    # Surveys: answered with every kind of score, some without an answer.
    scores = db.session.scalars(sa.select(Survey.score)).all()
    assert {3, 4, 5} <= set(scores) and None in scores
    # Loyalty: every state, with the order that confirmed each retained customer.
    outcomes_ = db.session.scalars(sa.select(RecoveryOutcome)).all()
    states = {o.state for o in outcomes_}
    assert {
        LoyaltyState.CANDIDATE,
        LoyaltyState.RETAINED,
        LoyaltyState.LAPSED,
        LoyaltyState.AT_RISK,
        None,
    } <= states
    assert all(o.reorder_id for o in outcomes_ if o.state is LoyaltyState.RETAINED)
    assert any(o.success for o in outcomes_) and not all(o.success for o in outcomes_)
    # Accounts: standing changes with reasons, a segment set by hand, every segment.
    assert db.session.scalar(sa.select(sa.func.count(StandingChange.id))) >= 3
    assert any(c.segment_override for c in customers)
    views = segments.compute([c.id for c in customers], today=today)
    assert {v.computed for v in views.values()} == set(segments.EngagementSegment)
    # The outcome report compares recovered customers with the matched group.
    report = outcomes.report(today - timedelta(days=364), today, today=today)
    for horizon in (30, 60, 90):
        comparison = report.total.comparisons[horizon]
        assert comparison.n >= 10 and comparison.verdict is not None, horizon
    conversion = report.total.conversion
    assert conversion.retained and conversion.lapsed
