"""Notifications without HTTP: who hears about what, adding up, e-mail copies, reminders."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from tests.factories import load
from ticketdesk.core.errors import NotFound
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    Notification,
    NotificationKind,
    OutboxMessage,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    Role,
    StepKind,
    Ticket,
    TicketKind,
    TicketStatus,
    User,
)
from ticketdesk.services.ledger import remedies as ledger
from ticketdesk.services.ledger.remedies import RemedyDraft
from ticketdesk.services.notifications import notifications
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.playbooks.engine import PlaybookSpec, StepSpec
from ticketdesk.services.tickets import assignment, conversation, editing


@pytest.fixture
def people(ctx, now):
    team = factories.make_team("Front desk")
    ids = dict(
        team=team,
        agent=factories.make_user(Role.AGENT, name="Ada", team_ids=(team,)),
        agent2=factories.make_user(Role.AGENT, name="Ben", team_ids=(team,)),
        lead=factories.make_user(Role.LEAD, name="Lea", team_ids=(team,)),
        lead2=factories.make_user(Role.LEAD, name="Leo"),
        admin=factories.make_user(Role.ADMIN, name="Sam"),
        am=factories.make_user(Role.ACCOUNT_MANAGER, name="Amy"),
    )
    return type("People", (), ids)


def inbox(uid, kind=None) -> list[Notification]:
    stmt = sa.select(Notification).where(Notification.user_id == uid).order_by(Notification.id)
    if kind is not None:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.session.scalars(stmt))


def mails(to: str) -> list[OutboxMessage]:
    return list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_address == to)))


def test_assigned_to_you_but_not_when_you_take_it_yourself(people, now):
    tid = factories.make_ticket(
        actor_id=people.lead, team_id=people.team, assignee_id=people.agent, now=now
    )
    (n,) = inbox(people.agent, NotificationKind.ASSIGNED)
    assert n.ticket_id == tid and "Lea" in n.body and n.read_at is None
    assert load(User, people.agent).last_assigned_at == now
    ticket = db.session.get(Ticket, tid)
    assignment.assign_to_me(ticket, actor=load(User, people.agent2), expected_version=None, now=now)
    assert inbox(people.agent2, NotificationKind.ASSIGNED) == []


def test_assigned_goes_by_email_by_default_with_a_link(people, now, app):
    factories.make_ticket(
        actor_id=people.lead, team_id=people.team, assignee_id=people.agent, now=now
    )
    (mail,) = mails(load(User, people.agent).email)
    assert mail.subject.startswith("Assigned to you: TD-")
    assert f"{app.config['BASE_URL']}/tickets/" in mail.body
    assert "/settings" in mail.body


def test_email_choices_are_respected(people, now):
    agent = load(User, people.agent)
    notifications.set_email_choices(agent, by_email={NotificationKind.WATCHED})
    choices = notifications.email_choices(agent)
    assert choices[NotificationKind.WATCHED] and not choices[NotificationKind.ASSIGNED]
    factories.make_ticket(
        actor_id=people.lead, team_id=people.team, assignee_id=people.agent, now=now
    )
    assert inbox(people.agent, NotificationKind.ASSIGNED) and mails(agent.email) == []


def test_watchers_hear_about_changes_which_add_up_until_read(people, now):
    ticket = db.session.get(
        Ticket, factories.make_ticket(actor_id=people.lead, team_id=people.team, now=now)
    )
    assignment.watch(ticket, actor=load(User, people.agent2), now=now)
    assignment.watch(ticket, actor=load(User, people.agent), now=now)
    later = now + timedelta(minutes=5)
    conversation.reply(
        ticket,
        actor=load(User, people.agent),
        body="We are on it.",
        expected_version=None,
        now=later,
    )
    conversation.add_note(ticket, actor=load(User, people.lead), body="Call at 3.", now=later)
    # The actor is not told about their own change, only about the lead's note.
    (own,) = inbox(people.agent, NotificationKind.WATCHED)
    assert own.count == 1 and own.body == "Lea added a note: Call at 3."
    (n,) = inbox(people.agent2, NotificationKind.WATCHED)
    assert n.count >= 2 and "Lea added a note" in n.body
    notifications.mark_read(load(User, people.agent2), n.id, now=later)
    conversation.add_note(
        ticket, actor=load(User, people.lead), body="Done.", now=later + timedelta(minutes=1)
    )
    assert len(inbox(people.agent2, NotificationKind.WATCHED)) == 2


def test_a_watcher_who_cannot_act_still_hears_and_inactive_users_do_not(people, now):
    ticket = db.session.get(
        Ticket, factories.make_ticket(actor_id=people.lead, team_id=people.team, now=now)
    )
    assignment.watch(ticket, actor=load(User, people.agent2), now=now)
    with unit_of_work():
        load(User, people.agent2).active = False
    conversation.add_note(ticket, actor=load(User, people.lead), body="x", now=now + timedelta(1))
    assert inbox(people.agent2) == []


APOLOGY = StepSpec("Apologise", kind=StepKind.APOLOGY, due_hours=Decimal("100"))
EXPLAIN = StepSpec("Explain the cause", kind=StepKind.EXPLANATION, due_hours=Decimal("100"))


def _playbook(now, steps, **kw):
    kinds = {step.kind for step in steps}
    steps = tuple(steps) + tuple(s for s in (APOLOGY, EXPLAIN) if s.kind not in kinds)
    spec = PlaybookSpec(
        name=kw.pop("name", "Default"),
        steps=steps,
        approval_limits={"agent": "50", "lead": "5000"},
        **kw,
    )
    with unit_of_work():
        playbooks.add_playbook(spec, actor=None, now=now, is_default=True)


def _draft(cost):
    return RemedyDraft(
        kind=RemedyKind.MAKE_WHOLE,
        form=RemedyForm.REFUND,
        description="Refund",
        cost=Decimal(cost),
        reason=RemedyReason.MISSING_ITEMS,
    )


def test_approval_waiting_and_decided(people, now):
    _playbook(now, (StepSpec("Call back", due_hours=Decimal("1")),))
    ticket = db.session.get(
        Ticket,
        factories.make_ticket(
            actor_id=people.lead, team_id=people.team, order_value=Decimal("400"), now=now
        ),
    )
    remedy = ledger.propose_remedy(
        ticket, actor=load(User, people.agent), draft=_draft("400.00"), now=now
    )
    assert remedy.approval_role is Role.LEAD
    waiting = {
        n.user_id
        for n in db.session.scalars(
            sa.select(Notification).where(Notification.kind == NotificationKind.APPROVAL_WAITING)
        )
    }
    assert waiting == {people.lead, people.lead2, people.admin}  # never the proposer
    ledger.approve_remedy(remedy, actor=load(User, people.lead2), now=now + timedelta(minutes=3))
    (decided,) = inbox(people.agent, NotificationKind.APPROVAL_DECIDED)
    assert decided.title.startswith("Approved") and "Leo" in decided.body
    assert all(
        n.read_at is not None
        for n in db.session.scalars(
            sa.select(Notification).where(Notification.kind == NotificationKind.APPROVAL_WAITING)
        )
    )

    rejected = ledger.propose_remedy(
        ticket, actor=load(User, people.agent), draft=_draft("150.00"), now=now
    )
    ledger.reject_remedy(
        rejected,
        actor=load(User, people.lead),
        reason="Too much for a bottle",
        now=now + timedelta(minutes=4),
    )
    last = inbox(people.agent, NotificationKind.APPROVAL_DECIDED)[-1]
    assert last.title.startswith("Rejected") and "Too much" in last.body


def test_withdrawn_proposals_stop_waiting(people, now):
    _playbook(now, (StepSpec("Call back", due_hours=Decimal("1")),))
    ticket = db.session.get(
        Ticket, factories.make_ticket(actor_id=people.lead, team_id=people.team, now=now)
    )
    remedy = ledger.propose_remedy(
        ticket, actor=load(User, people.agent), draft=_draft("400.00"), now=now
    )
    ledger.withdraw_remedy(remedy, actor=load(User, people.agent), now=now)
    assert notifications.unread_count(load(User, people.lead)) == 0


def test_a_crisis_on_your_account_tells_its_manager_once(people, now):
    cust = factories.make_customer(account_manager_id=people.am)
    tid = factories.make_ticket(
        actor_id=people.lead, customer_id=cust, kind=TicketKind.CRISIS, now=now
    )
    (n,) = inbox(people.am, NotificationKind.ACCOUNT_CRISIS)
    assert n.ticket_id == tid
    plain = db.session.get(
        Ticket, factories.make_ticket(actor_id=people.lead, customer_id=cust, now=now)
    )
    assert len(inbox(people.am, NotificationKind.ACCOUNT_CRISIS)) == 1
    changes = editing.DetailChanges(
        subject=plain.subject,
        kind=TicketKind.CRISIS,
        category_id=plain.category_id,
        severity=plain.severity,
        order_reference="",
        currency="EUR",
        order_value=None,
        claimed_loss=None,
    )
    editing.update_details(
        plain, actor=load(User, people.lead), changes=changes, expected_version=None, now=now
    )
    changes2 = editing.DetailChanges(**{**changes.__dict__, "subject": "Now a crisis"})
    editing.update_details(
        plain, actor=load(User, people.lead), changes=changes2, expected_version=None, now=now
    )
    assert [n.ticket_id for n in inbox(people.am, NotificationKind.ACCOUNT_CRISIS)] == [
        tid,
        plain.id,
    ]


STEPS = (
    StepSpec("Call the customer back", due_hours=Decimal("1")),
    StepSpec("Lead signs off", role=Role.LEAD, due_hours=Decimal("2")),
    StepSpec("Account manager visits", role=Role.ACCOUNT_MANAGER, due_hours=Decimal("2")),
    StepSpec("Apologise", kind=StepKind.APOLOGY, due_hours=Decimal("1")),
)


def test_overdue_steps_remind_their_owners_at_most_hourly(people, now, app):
    _playbook(now, STEPS)
    cust = factories.make_customer(account_manager_id=people.am)
    tid = factories.make_ticket(
        actor_id=people.lead,
        customer_id=cust,
        team_id=people.team,
        assignee_id=people.agent,
        now=now,
    )
    assert notifications.run_due(now=now + timedelta(minutes=30)) == 0
    t1 = now + timedelta(hours=1, minutes=1)
    assert notifications.run_due(now=t1) == 1  # the agent's two steps
    (n,) = inbox(people.agent, NotificationKind.STEP_OVERDUE)
    assert n.ticket_id == tid and "Call the customer back" in n.body and "Apologise" in n.body
    assert notifications.run_due(now=t1) == 0  # same moment: nothing new
    assert notifications.run_due(now=t1 + timedelta(minutes=59)) == 0
    t2 = now + timedelta(hours=2, minutes=1)
    # An hour later the agent again, now also the team's lead and the account manager.
    assert notifications.run_due(now=t2) == 3
    (again,) = inbox(people.agent, NotificationKind.STEP_OVERDUE)  # unread: added up
    assert again.count == 2 and again.created_at == t2
    assert [x.body for x in inbox(people.lead, NotificationKind.STEP_OVERDUE)] == [
        "Overdue: Lead signs off"
    ]
    assert len(inbox(people.am, NotificationKind.STEP_OVERDUE)) == 1
    assert inbox(people.lead2, NotificationKind.STEP_OVERDUE) == []  # not in the team

    # Done steps and closed tickets stop the reminders.
    ticket = db.session.get(Ticket, tid)
    for step in ticket.steps:
        if step.role is Role.AGENT and step.kind is StepKind.TASK:
            playbooks.complete_step(ticket, step_id=step.id, actor=load(User, people.agent), now=t2)
    t3 = t2 + timedelta(hours=1, minutes=1)
    notifications.mark_all_read(load(User, people.agent), now=t3)
    notifications.run_due(now=t3)
    latest = inbox(people.agent, NotificationKind.STEP_OVERDUE)[-1]
    assert latest.body == "Overdue: Apologise" and latest.read_at is None
    with unit_of_work():
        ticket.status = TicketStatus.CLOSED
    assert notifications.run_due(now=t3 + timedelta(hours=2)) == 0


def test_reminders_by_email_when_chosen(people, now):
    _playbook(now, STEPS[:1])
    notifications.set_email_choices(
        load(User, people.agent), by_email={NotificationKind.STEP_OVERDUE}
    )
    factories.make_ticket(
        actor_id=people.lead, team_id=people.team, assignee_id=people.agent, now=now
    )
    notifications.run_due(now=now + timedelta(hours=1, minutes=1))
    notifications.run_due(now=now + timedelta(hours=2, minutes=1))
    assert [
        m.subject.startswith("Playbook step overdue") for m in mails(load(User, people.agent).email)
    ] == [True, True]


def test_reading_and_marking(people, now):
    for i in range(3):
        factories.make_ticket(
            actor_id=people.lead,
            team_id=people.team,
            assignee_id=people.agent,
            now=now + timedelta(minutes=i),
        )
    agent = load(User, people.agent)
    assert notifications.unread_count(agent) == 3
    latest = notifications.latest_unread(agent, limit=2)
    assert [n.created_at for n in latest] == [
        now + timedelta(minutes=2),
        now + timedelta(minutes=1),
    ]
    notifications.mark_read(agent, latest[0].id, now=now)
    assert notifications.unread_count(agent) == 2
    page = notifications.list_for(agent, unread_only=True)
    assert page.total == 2
    with pytest.raises(NotFound):
        notifications.mark_read(load(User, people.agent2), latest[1].id, now=now)
    assert notifications.mark_all_read(agent, now=now) == 2
    assert notifications.unread_count(agent) == 0


def test_watchers_read_what_a_survey_or_loyalty_event_says():
    from ticketdesk.models import EventKind, TicketEvent

    answered = TicketEvent(
        kind=EventKind.SURVEY, body="Satisfaction 2 of 5.\nToo slow.", by_customer=True
    )
    flagged = TicketEvent(kind=EventKind.LOYALTY, body="Loyalty candidate until 1 June.")
    assert notifications.describe(answered, None) == "Satisfaction: Satisfaction 2 of 5. Too slow."
    assert notifications.describe(flagged, None) == "Loyalty: Loyalty candidate until 1 June."
