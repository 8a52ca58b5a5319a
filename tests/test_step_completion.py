"""Steps that complete themselves: a public reply ticks the answer step, a delivered
make-whole or goodwill remedy ticks its step, and what does not happen ticks nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest

from tests import factories
from tests.factories import load
from ticketdesk.core.errors import InvalidTransition
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    GoodwillBasis,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    Role,
    RootCause,
    StepKind,
    Ticket,
    TicketStatus,
    User,
)
from ticketdesk.services.ledger import remedies as ledger
from ticketdesk.services.ledger.remedies import RemedyDraft
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.playbooks import shipped
from ticketdesk.services.playbooks.engine import PlaybookSpec, StepSpec
from ticketdesk.services.tickets import conversation, workflow

ANSWER, MAKE_WHOLE, GOODWILL, TASK = "Call back", "Reship", "Goodwill", "Check stock"
STEPS = (
    StepSpec("Apologise", kind=StepKind.APOLOGY),
    StepSpec(ANSWER, kind=StepKind.ANSWER, due_hours=Decimal("1")),
    StepSpec(MAKE_WHOLE, kind=StepKind.MAKE_WHOLE, due_hours=Decimal("8")),
    StepSpec(GOODWILL, kind=StepKind.GOODWILL, due_hours=Decimal("8")),
    StepSpec(TASK, due_hours=Decimal("8")),
    StepSpec("Explain", kind=StepKind.EXPLANATION, due_hours=Decimal("96")),
)


@pytest.fixture
def agent(ctx, now):
    with unit_of_work():
        playbooks.add_playbook(
            PlaybookSpec(
                name="Default",
                steps=STEPS,
                goodwill_basis=GoodwillBasis.AFFECTED_PERCENT,
                goodwill_value=Decimal("20"),
                approval_limits={"agent": "500"},
            ),
            actor=None,
            now=now,
            is_default=True,
        )
    return load(User, factories.make_user(Role.AGENT))


def _ticket(agent, now) -> Ticket:
    ticket = load(Ticket, factories.make_ticket(actor_id=agent.id, now=now))
    ticket.claimed_loss = Decimal("12.50")
    db.session.commit()
    return ticket


def _remedy(ticket, agent, now, kind: RemedyKind):
    draft = RemedyDraft(
        kind=kind,
        form=RemedyForm.RESHIP if kind is RemedyKind.MAKE_WHOLE else RemedyForm.FREE_ITEM,
        description="Reship 1 x olive oil 1 l" if kind is RemedyKind.MAKE_WHOLE else "Samples",
        cost=Decimal("12.50") if kind is RemedyKind.MAKE_WHOLE else Decimal("2.50"),
        reason=RemedyReason.MISSING_ITEMS
        if kind is RemedyKind.MAKE_WHOLE
        else RemedyReason.GOODWILL_GESTURE,
    )
    return ledger.propose_remedy(ticket, actor=agent, draft=draft, now=now)


def _reply(ticket, agent, now):
    conversation.reply(ticket, actor=agent, body="We are on it.", expected_version=None, now=now)


def _note(ticket, agent, now):
    conversation.add_note(ticket, actor=agent, body="Called the warehouse.", now=now)


def _late_reply(ticket, agent, now):
    _reply(ticket, agent, now + timedelta(hours=5))  # the answer step was due after 1 h


def _deliver_make_whole(ticket, agent, now):
    ledger.deliver_remedy(_remedy(ticket, agent, now, RemedyKind.MAKE_WHOLE), actor=agent, now=now)


def _approve_make_whole(ticket, agent, now):
    _remedy(ticket, agent, now, RemedyKind.MAKE_WHOLE)  # approved, not delivered


def _deliver_goodwill(ticket, agent, now):
    ledger.deliver_remedy(_remedy(ticket, agent, now, RemedyKind.GOODWILL), actor=agent, now=now)


def _withdraw_make_whole(ticket, agent, now):
    ledger.withdraw_remedy(_remedy(ticket, agent, now, RemedyKind.MAKE_WHOLE), actor=agent, now=now)


# What happened -> which steps it ticks (all others stay open).
CASES = [
    ("public reply", _reply, {ANSWER}),
    ("public reply after the step's due time", _late_reply, {ANSWER}),
    ("internal note", _note, set()),
    ("make-whole delivered", _deliver_make_whole, {MAKE_WHOLE}),
    ("make-whole approved, not delivered", _approve_make_whole, set()),
    ("make-whole withdrawn", _withdraw_make_whole, set()),
    ("goodwill delivered", _deliver_goodwill, {GOODWILL}),
]


@pytest.mark.parametrize(("what", "action", "ticked"), CASES, ids=[c[0] for c in CASES])
def test_event_ticks_its_step_and_nothing_else(agent, now, what, action, ticked):
    ticket = _ticket(agent, now)
    action(ticket, agent, now)
    assert {s.title for s in ticket.steps if s.is_done} == ticked
    for step in ticket.steps:
        if step.is_done:
            assert step.done_by_id == agent.id and step.done_at >= now


def test_a_reply_ticks_only_the_first_open_answer_step(agent, now):
    ticket = _ticket(agent, now)
    _reply(ticket, agent, now)
    step = next(s for s in ticket.steps if s.title == ANSWER)
    assert step.reply_event.body == "We are on it."
    _reply(ticket, agent, now + timedelta(minutes=5))  # nothing more to tick
    assert {s.title for s in ticket.steps if s.is_done} == {ANSWER}
    assert step.done_at == now


def test_the_new_kinds_can_still_be_ticked_by_hand(agent, now):
    """What happened outside the desk (a call not logged, a refund made in the shop)."""
    ticket = _ticket(agent, now)
    for title in (ANSWER, MAKE_WHOLE, GOODWILL):
        step = next(s for s in ticket.steps if s.title == title)
        playbooks.complete_step(ticket, actor=agent, step_id=step.id, now=now, note="By phone")
        assert step.is_done and step.note == "By phone"


def test_the_olive_oil_case_resolves_once_the_reship_is_delivered(ctx, now):
    """The shipped playbook for missing goods: reply with an apology, deliver the reship
    and the goodwill, explain, resolve; no step is ticked by hand."""
    shipped.seed_playbooks(now=now)
    agent = load(User, factories.make_user(Role.AGENT))
    ticket = _ticket(agent, now)
    titles = [s.title for s in ticket.steps]
    assert "Reship the missing goods today" in titles
    conversation.reply(
        ticket,
        actor=agent,
        body="Sorry, the bottle is on its way.",
        expected_version=None,
        now=now,
        apology=True,
    )
    make_whole = _remedy(ticket, agent, now, RemedyKind.MAKE_WHOLE)
    goodwill = _remedy(ticket, agent, now, RemedyKind.GOODWILL)
    ledger.deliver_remedy(make_whole, actor=agent, now=now + timedelta(hours=2))
    reship = next(s for s in ticket.steps if s.title == "Reship the missing goods today")
    assert reship.kind is StepKind.MAKE_WHOLE and reship.is_done
    ledger.deliver_remedy(goodwill, actor=agent, now=now + timedelta(hours=2))
    # Only the confirmation is left to tick by hand; then the explanation resolves it.
    for step in ticket.steps:
        if step.required and not step.is_done and step.kind is StepKind.TASK:
            playbooks.complete_step(ticket, actor=agent, step_id=step.id, now=now)
    with pytest.raises(InvalidTransition) as refused:
        workflow.change_status(
            ticket, actor=agent, status=TicketStatus.RESOLVED, expected_version=None, now=now
        )
    assert "Reship" not in str(refused.value)  # what is missing is the explanation
    conversation.reply(
        ticket,
        actor=agent,
        body="A picking error; we changed the packing check.",
        expected_version=None,
        now=now + timedelta(hours=3),
        explanation=RootCause.PICKING_ERROR,
        status_after=TicketStatus.RESOLVED,
    )
    assert ticket.status is TicketStatus.RESOLVED


def test_shipped_call_back_make_whole_and_goodwill_steps_name_their_event(ctx):
    kinds = {StepKind.ANSWER: 0, StepKind.MAKE_WHOLE: 0, StepKind.GOODWILL: 0}
    for spec, _default in shipped.SHIPPED:
        for step in spec.steps:
            purpose = shipped.purpose_of(step.title)
            expected = {
                shipped.ACKNOWLEDGE: StepKind.ANSWER,
                shipped.MAKE_WHOLE: StepKind.MAKE_WHOLE,
                shipped.GOODWILL: StepKind.GOODWILL,
            }.get(purpose)
            if expected is not None:
                assert step.kind is expected, step.title
                kinds[expected] += 1
    assert all(kinds.values())
