"""Playbook matching, attaching, the checklist and the resolve guard."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from tests.factories import load
from ticketdesk.core.errors import DomainError, InvalidTransition, PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    CauseSide,
    CustomerTier,
    EventKind,
    Role,
    RootCause,
    Severity,
    StepKind,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
    User,
)
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.playbooks.engine import PlaybookSpec, StepSpec
from ticketdesk.services.tickets import conversation, editing, intake, workflow

OUR_STEPS = (
    StepSpec("Call the customer back", due_hours=Decimal("1")),
    StepSpec("Apologise for the trouble", kind=StepKind.APOLOGY, due_hours=Decimal("1")),
    StepSpec("Reship the missing items", due_hours=Decimal("24")),
    StepSpec("Explain what went wrong", kind=StepKind.EXPLANATION, due_hours=Decimal("72")),
    StepSpec("Note the root cause for the team", required=False, due_hours=Decimal("120")),
)


def _playbook(name, *, conditions=None, steps=OUR_STEPS, default=False, advisory=False, now):
    with unit_of_work():
        return playbooks.add_playbook(
            PlaybookSpec(name=name, steps=steps, conditions=conditions or {}, advisory=advisory),
            actor=None,
            now=now,
            is_default=default,
        )


@pytest.fixture
def agent(ctx):
    return factories.make_user(Role.AGENT)


def test_most_specific_match_wins_with_a_default(agent, now):
    _playbook("Default", default=True, now=now)
    _playbook("Shortages", conditions={"categories": ["missing_short_shipment"]}, now=now)
    _playbook(
        "Strategic crises", now=now, conditions={"kinds": ["crisis"], "tiers": ["strategic", "key"]}
    )
    _playbook(
        "Strategic shortage crises",
        now=now,
        conditions={
            "kinds": ["crisis"],
            "tiers": ["strategic"],
            "categories": ["missing_short_shipment"],
        },
    )
    strategic = factories.make_customer(tier=CustomerTier.STRATEGIC)
    cases = [
        (dict(category="missing_short_shipment"), None, "Shortages"),
        (dict(category="wrong_item"), None, "Default"),
        (dict(category="wrong_item", kind=TicketKind.CRISIS), strategic, "Strategic crises"),
        (
            dict(category="missing_short_shipment", kind=TicketKind.CRISIS),
            strategic,
            "Strategic shortage crises",
        ),
    ]
    for kwargs, customer, expected in cases:
        tid = factories.make_ticket(actor_id=agent, customer_id=customer, now=now, **kwargs)
        assert load(Ticket, tid).playbook_version.playbook.name == expected, kwargs


def test_attaching_copies_steps_with_due_times_and_an_event(agent, now):
    _playbook("Default", default=True, now=now)
    tid = factories.make_ticket(actor_id=agent, now=now)
    ticket = load(Ticket, tid)
    assert [s.title for s in ticket.steps] == [s.title for s in OUR_STEPS]
    assert ticket.steps[2].due_at == now + timedelta(hours=24)
    event = db.session.scalar(
        sa.select(TicketEvent).where(
            TicketEvent.ticket_id == tid, TicketEvent.kind == EventKind.PLAYBOOK
        )
    )
    assert event.new_value == "Default (v1)"


def test_public_complaints_get_a_playbook_too(ctx, now):
    _playbook("Default", default=True, now=now)
    ticket = intake.submit_public_complaint(
        complaint=intake.PublicComplaint(
            name="A",
            email="a@shop.example",
            company="",
            order_reference="",
            description="A bottle was missing from the box.",
        ),
        ip="1.2.3.4",
        now=now,
    )
    assert ticket.playbook_version is not None and len(ticket.steps) == 5


def test_a_new_version_leaves_tickets_under_way_alone(agent, now):
    playbook = _playbook("Default", default=True, now=now)
    tid = factories.make_ticket(actor_id=agent, now=now)
    with unit_of_work():
        playbooks.new_version(
            playbook,
            PlaybookSpec(
                name="Default",
                steps=(
                    StepSpec("Only step", kind=StepKind.APOLOGY),
                    StepSpec("Explain", kind=StepKind.EXPLANATION),
                ),
            ),
            actor=None,
            now=now,
        )
    assert len(load(Ticket, tid).steps) == 5 and load(Ticket, tid).playbook_version.number == 1
    new_tid = factories.make_ticket(actor_id=agent, now=now)
    assert [s.title for s in load(Ticket, new_tid).steps] == ["Only step", "Explain"]


def test_cannot_resolve_with_a_required_step_open(agent, now):
    _playbook("Default", default=True, now=now)
    tid = factories.make_ticket(actor_id=agent, now=now)
    ticket = load(Ticket, tid)
    with pytest.raises(InvalidTransition, match="“Call the customer back”"):
        workflow.change_status(
            ticket,
            actor=load(User, agent),
            status=TicketStatus.RESOLVED,
            expected_version=None,
            now=now,
        )
    with pytest.raises(InvalidTransition):
        workflow.change_status(
            ticket,
            actor=load(User, agent),
            status=TicketStatus.CLOSED,
            expected_version=None,
            now=now,
        )
    for step in list(ticket.steps):
        if step.kind is StepKind.TASK and step.required:
            playbooks.complete_step(ticket, actor=load(User, agent), step_id=step.id, now=now)
    conversation.reply(
        ticket,
        actor=load(User, agent),
        body="We are sorry; a picking error.",
        expected_version=None,
        now=now,
        apology=True,
        explanation=RootCause.PICKING_ERROR,
        status_after=TicketStatus.RESOLVED,
    )
    assert ticket.status is TicketStatus.RESOLVED
    assert ticket.root_cause is RootCause.PICKING_ERROR
    apology = playbooks.first_open(ticket, StepKind.APOLOGY)
    assert apology is None
    done = {s.kind: s for s in ticket.steps if s.is_done}
    assert done[StepKind.APOLOGY].reply_event.kind is EventKind.PUBLIC_REPLY
    assert done[StepKind.EXPLANATION].root_cause is RootCause.PICKING_ERROR


def test_ticking_rules(agent, now):
    _playbook(
        "Default",
        default=True,
        now=now,
        steps=OUR_STEPS + (StepSpec("Lead signs off", role=Role.LEAD),),
    )
    tid = factories.make_ticket(actor_id=agent, now=now)
    ticket = load(Ticket, tid)
    first, apology, lead_step = ticket.steps[0], ticket.steps[1], ticket.steps[-1]
    with pytest.raises(DomainError, match="reply"):
        playbooks.complete_step(ticket, actor=load(User, agent), step_id=apology.id, now=now)
    with pytest.raises(PermissionDenied):
        playbooks.complete_step(ticket, actor=load(User, agent), step_id=lead_step.id, now=now)
    playbooks.complete_step(
        ticket, actor=load(User, agent), step_id=first.id, now=now, note="Called at 09:20"
    )
    assert first.done_by_id == agent and first.note == "Called at 09:20"
    with pytest.raises(DomainError, match="already done"):
        playbooks.complete_step(ticket, actor=load(User, agent), step_id=first.id, now=now)
    other = factories.make_user(Role.AGENT)
    with pytest.raises(PermissionDenied):
        playbooks.reopen_step(ticket, actor=load(User, other), step_id=first.id, now=now)
    playbooks.reopen_step(ticket, actor=load(User, agent), step_id=first.id, now=now)
    assert not first.is_done
    lead = factories.make_user(Role.LEAD)
    playbooks.complete_step(ticket, actor=load(User, lead), step_id=lead_step.id, now=now)
    kinds = [e.kind for e in ticket.events]
    assert kinds.count(EventKind.STEP_DONE) == 2 and EventKind.STEP_REOPENED in kinds


def test_recurring_status_updates_move_with_each_reply(agent, now):
    _playbook(
        "Key accounts",
        default=True,
        now=now,
        steps=OUR_STEPS
        + (StepSpec("Update the customer", kind=StepKind.STATUS_UPDATE, recur_hours=24),),
    )
    tid = factories.make_ticket(actor_id=agent, now=now)
    ticket = load(Ticket, tid)
    update = ticket.steps[-1]
    assert update.due_at == now + timedelta(hours=24) and not update.required
    assert update.is_overdue(now + timedelta(hours=25))
    later = now + timedelta(hours=20)
    conversation.reply(
        ticket, actor=load(User, agent), body="Still on it.", expected_version=None, now=later
    )
    assert update.due_at == later + timedelta(hours=24)
    # Call-back, apology and reship (due after 1, 1 and 24 h) plus the missed update.
    assert playbooks.overdue_counts([tid], now=later + timedelta(hours=25)) == {tid: 4}


def test_switching_keeps_ticked_steps(agent, now):
    _playbook("Default", default=True, now=now)
    _playbook(
        "Advice",
        advisory=True,
        conditions={"causes": ["theirs"]},
        now=now,
        steps=(StepSpec("Listen and acknowledge"), StepSpec("Offer advice")),
    )
    tid = factories.make_ticket(actor_id=agent, now=now)
    ticket = load(Ticket, tid)
    playbooks.complete_step(ticket, actor=load(User, agent), step_id=ticket.steps[0].id, now=now)
    assert playbooks.suggested_switch(ticket) is None
    editing.update_details(
        ticket,
        actor=load(User, agent),
        expected_version=None,
        now=now,
        changes=editing.DetailChanges(
            subject=ticket.subject,
            kind=ticket.kind,
            category_id=ticket.category_id,
            severity=ticket.severity,
            order_reference="",
            currency="EUR",
            order_value=None,
            claimed_loss=None,
            cause_side=CauseSide.THEIRS_INTERNAL,
        ),
    )
    offer = playbooks.suggested_switch(ticket)
    assert offer is not None and offer.playbook.name == "Advice"
    playbooks.switch_playbook(ticket, actor=load(User, agent), version_id=offer.id, now=now)
    assert [s.title for s in ticket.steps] == [
        "Call the customer back",
        "Listen and acknowledge",
        "Offer advice",
    ]
    assert ticket.steps[0].is_done
    assert playbooks.suggested_switch(ticket) is None


def test_validation_of_playbooks(ctx, now):
    with pytest.raises(DomainError, match="apology") as err:
        _playbook("No apology", steps=(StepSpec("Fix it"),), now=now)
    assert err.value.field == "steps"
    with pytest.raises(DomainError) as err:
        _playbook(" ", now=now)
    assert err.value.field == "name"
    with pytest.raises(DomainError, match="interval"):
        _playbook(
            "Bad recurring",
            now=now,
            steps=OUR_STEPS + (StepSpec("Update", kind=StepKind.STATUS_UPDATE),),
        )
    _playbook("Fine", now=now)
    with pytest.raises(DomainError, match="exists already"):
        _playbook("fine", now=now)


def test_tickets_without_playbooks_still_work(agent, now):
    tid = factories.make_ticket(actor_id=agent, now=now, severity=Severity.P2)
    ticket = load(Ticket, tid)
    assert ticket.playbook_version is None and ticket.steps == []
    workflow.change_status(
        ticket,
        actor=load(User, agent),
        status=TicketStatus.RESOLVED,
        expected_version=None,
        now=now,
    )


def test_customer_internal_causes_prefer_the_advisory_playbook(agent, now):
    _playbook("Default", default=True, now=now)
    _playbook("Strategic crises", now=now, conditions={"kinds": ["crisis"]})
    _playbook(
        "Advice",
        advisory=True,
        conditions={"causes": ["theirs"]},
        now=now,
        steps=(StepSpec("Listen"),),
    )
    tid = factories.make_ticket(actor_id=agent, kind=TicketKind.CRISIS, now=now)
    ticket = load(Ticket, tid)
    assert playbooks.choose_version(ticket).playbook.name == "Strategic crises"
    ticket.cause_side = CauseSide.THEIRS_INTERNAL
    assert playbooks.choose_version(ticket).playbook.name == "Advice"
