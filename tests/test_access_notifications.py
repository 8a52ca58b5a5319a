"""Who sees what: notifications, their e-mail copies and watches follow the access rule
when they are made, when they are shown or sent, and when access changes."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests import factories
from tests.factories import load
from tests.support import Recorder
from ticketdesk.core.errors import NotFound
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    Customer,
    Notification,
    NotificationKind,
    OutboxMessage,
    OutboxState,
    Role,
    Team,
    Ticket,
    TicketWatcher,
    User,
)
from ticketdesk.services.customers import customers
from ticketdesk.services.notifications import notifications, outbox
from ticketdesk.services.people import access, users
from ticketdesk.services.tickets import assignment, conversation

SECRET = "off the record: the courier admitted losing it"


def _note(tid: int, actor: int, body: str, at) -> None:
    conversation.add_note(load(Ticket, tid), actor=load(User, actor), body=body, now=at)


def _inbox(uid: int) -> list[Notification]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.user_id == uid).order_by(Notification.id)
        )
    )


def _mails(uid: int) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.to_address == load(User, uid).email)
            .order_by(OutboxMessage.id)
        )
    )


def _watching(tid: int, uid: int) -> bool:
    return db.session.get(TicketWatcher, (tid, uid)) is not None


def _shown(uid: int) -> list[Notification]:
    """Everything the list, the count and the bell's poller would show the user."""
    user = load(User, uid)
    listed = notifications.list_for(user).items
    assert notifications.unread_count(user) == sum(1 for n in listed if n.read_at is None)
    assert {n.id for n in notifications.latest_unread(user)} <= {n.id for n in listed}
    return listed


@pytest.fixture
def world(ctx, now):
    team = factories.make_team("Front desk")
    w = type("World", (), {})()
    w.team = team
    w.agent = factories.make_user(
        Role.AGENT, name="Ada", email="ada@example.test", team_ids=(team,)
    )
    w.other_agent = factories.make_user(Role.AGENT, name="Ben", team_ids=(team,))
    w.lead = factories.make_user(Role.LEAD, name="Lea", team_ids=(team,))
    w.admin = factories.make_user(Role.ADMIN, name="Sam")
    w.am = factories.make_user(Role.ACCOUNT_MANAGER, name="Amy", email="amy@example.test")
    w.am2 = factories.make_user(Role.ACCOUNT_MANAGER, name="Ali")
    w.customer = factories.make_customer("Chili House", account_manager_id=w.am)
    w.ticket = factories.make_ticket(
        actor_id=w.lead, customer_id=w.customer, team_id=team, assignee_id=w.other_agent, now=now
    )
    for uid in (w.agent, w.am):
        notifications.set_email_choices(load(User, uid), by_email={NotificationKind.WATCHED})
        assignment.watch(load(Ticket, w.ticket), actor=load(User, uid), now=now)
    # What intake queued (the assignee's e-mail) is out of the way.
    with unit_of_work():
        db.session.execute(sa.delete(OutboxMessage))
    return w


def _leave_team(w) -> None:
    agent = load(User, w.agent)
    users.update_user(
        agent,
        actor=load(User, w.admin),
        data=users.UserData(email=agent.email, name=agent.name, role=agent.role, team_ids=()),
    )


def _hand_account_over(w) -> None:
    customer = db.session.get(Customer, w.customer)
    customers.update_customer(
        customer,
        actor=load(User, w.lead),
        data=customers.CustomerData(
            name=customer.name,
            tier=customer.tier,
            standing=customer.standing,
            account_manager_id=w.am2,
        ),
    )


@pytest.mark.parametrize(
    "who, lose_access",
    [
        ("agent", _leave_team),
        ("am", _hand_account_over),
    ],
    ids=["agent leaves the team", "account changes manager"],
)
def test_who_loses_access_hears_no_more_about_the_ticket(world, smtp, now, who, lose_access):
    server = smtp(Recorder())
    w, uid = world, getattr(world, who)

    # While they may see the ticket: the note reaches them, text and e-mail.
    _note(w.ticket, w.lead, SECRET, now + timedelta(minutes=1))
    [before] = _inbox(uid)
    assert SECRET in before.body
    assert [n.id for n in _shown(uid)] == [before.id]
    [mail] = _mails(uid)
    assert mail.state is OutboxState.QUEUED and SECRET in mail.body

    lose_access(w)

    assert not access.can_view_ticket(load(User, uid), load(Ticket, w.ticket))
    assert not _watching(w.ticket, uid)  # the watch is gone
    assert _shown(uid) == []  # the old one is not shown
    with pytest.raises(NotFound):
        notifications.mark_read(load(User, uid), before.id, now=now)
    report = outbox.send_due(now=now + timedelta(minutes=2))  # the queued e-mail stays
    assert (report.sent, report.withheld) == (1, 1)  # (the other watcher's goes)
    assert load(User, uid).email not in [e.rcpt_tos[0] for e in server.messages]
    db.session.expire_all()
    withheld = db.session.get(OutboxMessage, mail.id)
    assert withheld.state is OutboxState.WITHHELD and "no longer" in withheld.last_error

    # The next note does not reach them at all.
    _note(w.ticket, w.lead, "second note", now + timedelta(minutes=3))
    [after] = _inbox(uid)
    assert (after.id, after.count, after.body) == (before.id, 1, before.body)
    assert len(_mails(uid)) == 1
    outbox.send_due(now=now + timedelta(minutes=4))
    assert load(User, uid).email not in [e.rcpt_tos[0] for e in server.messages]


def test_deactivation_removes_every_watch_and_stops_the_mail(world, smtp, now):
    server = smtp(Recorder())
    _note(world.ticket, world.lead, SECRET, now + timedelta(minutes=1))
    agent = load(User, world.agent)
    users.update_user(
        agent,
        actor=load(User, world.admin),
        data=users.UserData(
            email=agent.email,
            name=agent.name,
            role=agent.role,
            team_ids=(world.team,),
            active=False,
        ),
    )
    assert not _watching(world.ticket, world.agent)
    report = outbox.send_due(now=now + timedelta(minutes=2))
    assert report.withheld == 1 and report.sent == 1  # the manager's copy went
    assert [e.rcpt_tos for e in server.messages] == [["amy@example.test"]]
    [mine] = _mails(world.agent)
    assert mine.state is OutboxState.WITHHELD and "deactivated" in mine.last_error


def test_a_ticket_moved_out_of_sight_drops_the_watch_at_the_next_change(world, now):
    """No service changed the agent's access, the ticket moved: the watch goes when the
    next change would have been told to them, and they are not told."""
    other_team = factories.make_team("Key accounts")
    assignment.assign(
        load(Ticket, world.ticket),
        actor=load(User, world.lead),
        team_id=other_team,
        assignee_id=None,
        expected_version=None,
        now=now + timedelta(minutes=1),
    )
    assert not _watching(world.ticket, world.agent)
    assert _inbox(world.agent) == []
    _note(world.ticket, world.lead, SECRET, now + timedelta(minutes=2))
    assert _inbox(world.agent) == [] and _mails(world.agent) == []
    # The account manager still sees the ticket, watches it and hears about both.
    assert _watching(world.ticket, world.am)
    [told] = _inbox(world.am)
    assert told.count == 3 and SECRET in told.body  # team, assignee, note


def test_a_notification_is_not_made_for_someone_who_may_not_see_the_ticket(world, now):
    outsider = factories.make_user(Role.AGENT, team_ids=(factories.make_team("Elsewhere"),))
    with unit_of_work():
        made = notifications.notify(
            load(User, outsider),
            NotificationKind.WATCHED,
            now=now,
            ticket=load(Ticket, world.ticket),
            title=lambda: "TD",
            body=lambda: SECRET,
        )
    assert made is None
    assert _inbox(outsider) == [] and _mails(outsider) == []


def test_internal_notes_reach_only_those_who_may_see_internal_notes(world, now):
    _note(world.ticket, world.lead, SECRET, now + timedelta(minutes=1))
    told = {
        uid
        for uid in (world.agent, world.am, world.other_agent, world.lead)
        if any(SECRET in n.body for n in _inbox(uid))
    }
    assert told == {world.agent, world.am}  # the watchers; the author is not told
    ticket = load(Ticket, world.ticket)
    assert all(access.can_see_internal_notes(load(User, uid), ticket) for uid in told)


# ------------------------------------------------------------------ the rule, as a table


@pytest.mark.parametrize(
    "case, kind, expected",
    [
        ("lead", NotificationKind.WATCHED, True),
        ("inactive lead", NotificationKind.WATCHED, False),
        ("agent of the team", NotificationKind.WATCHED, True),
        ("agent of another team, assignee", NotificationKind.ASSIGNED, True),
        ("agent of another team", NotificationKind.WATCHED, False),
        ("agent, ticket not routed", NotificationKind.ROUTED, True),
        ("account's manager", NotificationKind.ACCOUNT_CRISIS, True),
        ("another account manager", NotificationKind.ACCOUNT_CRISIS, False),
        ("admin", NotificationKind.WATCHED, False),
        ("admin", NotificationKind.APPROVAL_WAITING, True),
        ("agent of another team", NotificationKind.APPROVAL_WAITING, False),
        ("agent of another team, no ticket", NotificationKind.LOYALTY, True),
    ],
)
def test_who_may_receive_a_notification(ctx, now, case, kind, expected):
    team, elsewhere = factories.make_team(), factories.make_team()
    lead = factories.make_user(Role.LEAD)
    am = factories.make_user(Role.ACCOUNT_MANAGER)
    customer = factories.make_customer(account_manager_id=am)
    users_by_case = {
        "lead": lead,
        "inactive lead": factories.make_user(Role.LEAD, active=False),
        "agent of the team": factories.make_user(Role.AGENT, team_ids=(team,)),
        "agent of another team": factories.make_user(Role.AGENT, team_ids=(elsewhere,)),
        "agent, ticket not routed": factories.make_user(Role.AGENT, team_ids=(elsewhere,)),
        "account's manager": am,
        "another account manager": factories.make_user(Role.ACCOUNT_MANAGER),
        "admin": factories.make_user(Role.ADMIN),
    }
    users_by_case["agent of another team, assignee"] = factories.make_user(
        Role.AGENT, team_ids=(team,)
    )
    users_by_case["agent of another team, no ticket"] = users_by_case["agent of another team"]
    uid = users_by_case[case]
    assignee = uid if case.endswith("assignee") else None
    ticket_id = factories.make_ticket(
        actor_id=lead,
        customer_id=customer,
        team_id=team,
        assignee_id=assignee,
        now=now,
        unrouted=case.endswith("not routed"),
    )
    if assignee is not None:  # then moved to another team, still the assignee
        load(User, assignee).teams = [db.session.get(Team, elsewhere)]
        db.session.commit()
    ticket = None if case.endswith("no ticket") else load(Ticket, ticket_id)
    user = load(User, uid)

    assert access.can_receive_notification(user, kind, ticket) is expected
    # The list applies the same rule in SQL to a notification already stored.
    with unit_of_work():
        stored = Notification(
            user_id=uid,
            kind=kind,
            title="TD",
            created_at=now,
            ticket_id=ticket.id if ticket is not None else None,
        )
        db.session.add(stored)
    assert (stored.id in {n.id for n in notifications.list_for(user).items}) is expected


# ------------------------------------------------------------------ over HTTP


def test_the_list_and_the_poller_hide_what_the_user_may_no_longer_see(app, build, login, now):
    def setup():
        team = factories.make_team()
        lead = factories.make_user(Role.LEAD, team_ids=(team,))
        agent = factories.make_user(Role.AGENT, team_ids=(team,))
        admin = factories.make_user(Role.ADMIN)
        tid = factories.make_ticket(actor_id=lead, team_id=team, assignee_id=lead, now=now)
        assignment.watch(load(Ticket, tid), actor=load(User, agent), now=now)
        _note(tid, lead, SECRET, now + timedelta(minutes=1))
        return agent, admin

    agent, admin = build(setup)
    client = login(agent)
    assert SECRET in client.get("/notifications/").get_data(as_text=True)
    assert SECRET in client.get("/notifications/unread.json").get_data(as_text=True)

    def leave():
        user = load(User, agent)
        users.update_user(
            user,
            actor=load(User, admin),
            data=users.UserData(email=user.email, name=user.name, role=user.role, team_ids=()),
        )

    build(leave)

    page = client.get("/notifications/")
    assert page.status_code == 200 and SECRET not in page.get_data(as_text=True)
    polled = client.get("/notifications/unread.json")
    assert polled.json["unread"] == 0 and polled.json["items"] == []
