"""The bell, the notification list, unread.json, and the e-mail and availability settings."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from ticketdesk.extensions import db
from ticketdesk.models import (
    AwayReason,
    Notification,
    NotificationKind,
    NotificationPreference,
    Remedy,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    RemedyState,
    Role,
    Ticket,
    User,
)
from ticketdesk.services.ledger import remedies as ledger
from ticketdesk.services.notifications import notifications as notification_service

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _add(
    user_id: int,
    *,
    title: str = "Something happened",
    kind=NotificationKind.WATCHED,
    ticket_id: int | None = None,
    count: int = 1,
    minutes: int = 0,
    read: bool = False,
    body: str = "",
) -> int:
    """Insert one notification directly (needs an app context)."""
    created = T0 + timedelta(minutes=minutes)
    n = Notification(
        user_id=user_id,
        kind=kind,
        ticket_id=ticket_id,
        title=title,
        body=body,
        count=count,
        created_at=created,
        read_at=created if read else None,
    )
    db.session.add(n)
    db.session.commit()
    return n.id


def _read_at(notification_id: int):
    return db.session.get(Notification, notification_id).read_at


def _notifications_of(user_id: int) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        )
    )


@pytest.fixture
def assigned(build, make_user):
    """A lead logs a ticket and assigns it to an agent: the agent gets one notification."""
    lead = make_user(Role.LEAD, name="Lee Lead")
    agent = make_user(Role.AGENT, name="Alex Agent")
    ticket_id = build(
        factories.make_ticket, actor_id=lead, assignee_id=agent, subject="Olive oil missing"
    )
    [notification] = build(_notifications_of, agent)
    return {"lead": lead, "agent": agent, "ticket": ticket_id, "notification": notification.id}


# ----------------------------------------------------------------- the bell


def test_assignment_notifies_the_assignee_and_the_bell_counts_it(assigned, build, login):
    note = build(lambda: db.session.get(Notification, assigned["notification"]))
    assert note.kind is NotificationKind.ASSIGNED and note.ticket_id == assigned["ticket"]
    assert "Olive oil missing" in note.title
    assert build(_notifications_of, assigned["lead"]) == []  # the actor hears nothing

    html = login(assigned["agent"]).get("/settings").get_data(as_text=True)
    assert re.search(r'id="notification-badge" aria-hidden="true">1</span>', html)
    assert "1 unread notification<" in html
    assert 'href="/notifications/"' in html


def test_bell_counts_only_my_unread_notifications(build, make_user, login):
    me, other = make_user(Role.ACCOUNT_MANAGER), make_user(Role.AGENT)
    for i in range(3):
        build(_add, me, minutes=i)
    build(_add, me, minutes=5, read=True)
    build(_add, other)
    html = login(me).get("/customers/").get_data(as_text=True)
    assert re.search(r'id="notification-badge" aria-hidden="true">3</span>', html)
    assert "3 unread notifications" in html


def test_bell_with_nothing_unread_hides_the_badge(make_user, login):
    html = login(make_user(Role.ADMIN)).get("/admin/users").get_data(as_text=True)
    assert re.search(r'id="notification-badge" aria-hidden="true" hidden>0</span>', html)
    assert "No unread notifications" in html


def test_poll_script_is_included_for_staff_only(app, client, make_user, login):
    assert "notifications.js" not in client.get("/complain").get_data(as_text=True)
    assert "notification-badge" not in client.get("/login").get_data(as_text=True)

    app.config["NOTIFICATION_POLL_SECONDS"] = 45
    html = login(make_user(Role.AGENT)).get("/tickets/").get_data(as_text=True)
    assert re.search(
        r'<script src="/static/notifications\.js" defer\s+data-poll-seconds="45"', html
    )
    assert 'data-unread-url="/notifications/unread.json"' in html
    assert 'id="notification-toasts" aria-live="polite"' in html
    assert "<script>" not in html  # no inline script


def test_poll_script_is_served(client):
    resp = client.get("/static/notifications.js")
    assert resp.status_code == 200
    js = resp.get_data(as_text=True)
    assert "visibilitychange" in js and "cfg.unreadUrl" in js  # the URL comes from the page
    resp.close()


# ----------------------------------------------------------------- the list


def test_list_shows_kind_title_body_count_and_unread_state(build, make_user, login):
    me = make_user(Role.AGENT)
    build(_add, me, title="Old and read", read=True, minutes=1)
    build(_add, me, title="Three changes here", body="Customer wrote again", count=3, minutes=2)
    build(_add, make_user(Role.AGENT), title="Not mine")
    html = login(me).get("/notifications/").get_data(as_text=True)
    assert "Old and read" in html and "Three changes here" in html and "Not mine" not in html
    assert "Customer wrote again" in html
    assert "3 changes" in html
    assert "A ticket you watch changed" in html  # the kind's label
    # The newest comes first, and only the unread one carries the unread marker.
    assert html.index("Three changes here") < html.index("Old and read")
    assert html.count('<span class="badge text-bg-primary">Unread</span>') == 1
    assert "Mark all as read" in html


def test_unread_filter(build, make_user, login):
    me = make_user(Role.LEAD)
    build(_add, me, title="Read one", read=True)
    build(_add, me, title="Unread one", minutes=1)
    client = login(me)
    html = client.get("/notifications/?show=unread").get_data(as_text=True)
    assert "Unread one" in html and "Read one" not in html
    html = client.get("/notifications/?show=all").get_data(as_text=True)
    assert "Unread one" in html and "Read one" in html
    html = client.get("/notifications/?show=bogus").get_data(as_text=True)
    assert "Read one" in html  # an unknown filter means all


def test_list_empty_states(make_user, login):
    client = login(make_user(Role.AGENT))
    assert "No notifications yet." in client.get("/notifications/").get_data(as_text=True)
    html = client.get("/notifications/?show=unread").get_data(as_text=True)
    assert "No unread notifications." in html
    assert "Mark all as read" not in html


def test_list_pages(build, make_user, login):
    me = make_user(Role.AGENT)
    for i in range(35):
        build(_add, me, title=f"Note number {i:02d}", minutes=i)
    client = login(me)
    first = client.get("/notifications/").get_data(as_text=True)
    assert len(re.findall(r'id="notification-\d+"', first)) == 30
    assert "Note number 34" in first and "Note number 04" not in first
    assert "Page 1 of 2" in first and 'href="/notifications/?show=all&amp;page=2"' in first
    second = client.get("/notifications/?page=2").get_data(as_text=True)
    assert len(re.findall(r'id="notification-\d+"', second)) == 5
    assert "Note number 04" in second and "Note number 05" not in second
    resp = client.get("/notifications/?page=9&show=unread")
    assert resp.status_code == 302
    assert resp.location == "/notifications/?show=unread&page=2"


def test_admins_have_a_list_too(build, make_user, login):
    admin = make_user(Role.ADMIN)
    build(_add, admin, kind=NotificationKind.APPROVAL_WAITING, title="Approval needed")
    resp = login(admin).get("/notifications/")
    assert resp.status_code == 200 and "Approval needed" in resp.get_data(as_text=True)


def test_anonymous_is_sent_to_login(client):
    for url in ("/notifications/", "/notifications/unread.json"):
        resp = client.get(url)
        assert resp.status_code == 302 and resp.location.startswith("/login?next=")
    resp = client.post("/notifications/read-all")
    assert resp.status_code == 302 and resp.location.startswith("/login")


# ----------------------------------------------------------------- open and mark read


def test_open_marks_read_and_goes_to_the_ticket(assigned, build, login):
    nid = assigned["notification"]
    resp = login(assigned["agent"]).post(f"/notifications/{nid}/open")
    assert resp.status_code == 302
    assert resp.location == f"/tickets/{assigned['ticket']}"
    assert build(_read_at, nid) is not None


def test_open_without_a_ticket_goes_back_to_the_list(build, make_user, login):
    me = make_user(Role.AGENT)
    nid = build(_add, me)
    resp = login(me).post(
        f"/notifications/{nid}/open", data={"next": "/notifications/?show=unread"}
    )
    assert resp.status_code == 302 and resp.location == "/notifications/?show=unread"
    assert build(_read_at, nid) is not None


def test_a_notification_about_a_ticket_i_no_longer_see_is_gone(build, make_user, login):
    lead, agent = make_user(Role.LEAD), make_user(Role.AGENT)
    team = build(factories.make_team, "Key accounts")  # the agent is not in it
    ticket_id = build(factories.make_ticket, actor_id=lead, team_id=team)
    nid = build(_add, agent, ticket_id=ticket_id)
    client = login(agent)
    assert client.post(f"/notifications/{nid}/open").status_code == 404
    assert client.post(f"/notifications/{nid}/read").status_code == 404
    assert build(_read_at, nid) is None


def test_open_refuses_an_offsite_next(build, make_user, login):
    me = make_user(Role.AGENT)
    nid = build(_add, me)
    resp = login(me).post(f"/notifications/{nid}/read", data={"next": "//evil.example/"})
    assert resp.status_code == 302 and resp.location == "/notifications/"


def test_mark_one_read(build, make_user, login):
    me = make_user(Role.AGENT)
    first, second = build(_add, me), build(_add, me, minutes=1)
    resp = login(me).post(
        f"/notifications/{first}/read", data={"next": "/notifications/?show=unread&page=1"}
    )
    assert resp.status_code == 302 and resp.location == "/notifications/?show=unread&page=1"
    assert build(_read_at, first) is not None
    assert build(_read_at, second) is None


def test_mark_all_read_only_touches_mine(build, make_user, login):
    me, other = make_user(Role.LEAD), make_user(Role.LEAD)
    mine = [build(_add, me, minutes=i) for i in range(3)]
    theirs = build(_add, other)
    resp = login(me).post("/notifications/read-all")
    assert resp.status_code == 302 and resp.location == "/notifications/"
    assert all(build(_read_at, nid) is not None for nid in mine)
    assert build(_read_at, theirs) is None
    html = login(me).get("/notifications/").get_data(as_text=True)
    assert re.search(r'id="notification-badge" aria-hidden="true" hidden>0</span>', html)


@pytest.mark.parametrize("action", ["open", "read"])
def test_someone_elses_notification_is_404(build, make_user, login, action):
    owner, me = make_user(Role.AGENT), make_user(Role.AGENT)
    nid = build(_add, owner)
    assert login(me).post(f"/notifications/{nid}/{action}").status_code == 404
    assert login(me).post(f"/notifications/{nid + 1000}/{action}").status_code == 404
    assert build(_read_at, nid) is None


def test_mark_read_needs_csrf_when_enabled(app, build, make_user, login):
    me = make_user(Role.AGENT)
    nid = build(_add, me)
    client = login(me)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/notifications/{nid}/read").status_code == 400
    assert client.post("/notifications/read-all").status_code == 400
    assert build(_read_at, nid) is None
    html = client.get("/notifications/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post(f"/notifications/{nid}/read", data={"csrf_token": token}).status_code == 302
    assert build(_read_at, nid) is not None


def test_open_is_post_only(build, make_user, login):
    me = make_user(Role.AGENT)
    nid = build(_add, me)
    assert login(me).get(f"/notifications/{nid}/open").status_code == 405
    assert build(_read_at, nid) is None


# ----------------------------------------------------------------- unread.json


def test_unread_json(build, make_user, login):
    agent = make_user(Role.AGENT)
    build(_add, make_user(Role.AGENT), title="Someone else's", minutes=900)
    for i in range(6):
        build(_add, agent, title=f"Watched {i}", body=f"Change {i}", count=i + 1, minutes=60 + i)
    build(_add, agent, title="Already read", read=True, minutes=500)
    resp = login(agent).get("/notifications/unread.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert resp.headers["Cache-Control"] == "no-store"
    data = resp.get_json()
    assert data["unread"] == 6
    assert data["unread_text"] == "6 unread notifications"
    assert [item["title"] for item in data["items"]] == [f"Watched {i}" for i in (5, 4, 3, 2, 1)]
    newest = data["items"][0]
    assert newest["count"] == 6 and newest["body"] == "Change 5" and newest["kind"] == "watched"
    assert newest["url"] is None
    assert newest["created_at"] == (T0 + timedelta(minutes=65)).isoformat()
    assert set(newest) == {"id", "kind", "title", "body", "count", "created_at", "url"}


def test_unread_json_links_to_the_ticket(assigned, login):
    data = login(assigned["agent"]).get("/notifications/unread.json").get_json()
    assert data["unread"] == 1 and data["unread_text"] == "1 unread notification"
    [item] = data["items"]
    assert item["id"] == assigned["notification"] and item["kind"] == "assigned"
    assert item["url"] == f"/tickets/{assigned['ticket']}"


def test_unread_json_when_nothing_is_unread(make_user, login):
    data = login(make_user(Role.ADMIN)).get("/notifications/unread.json").get_json()
    assert data == {"unread": 0, "unread_text": "No unread notifications", "items": []}


# ----------------------------------------------------------------- e-mail choices


def _checked(html: str) -> set[str]:
    return set(
        re.findall(r'<input checked[^>]*name="notify-by_email"[^>]*value="([a-z_]+)"', html)
        + re.findall(r'<input[^>]*name="notify-by_email"[^>]*value="([a-z_]+)"[^>]*checked', html)
    )


def _saved_choices(user_id: int) -> dict:
    return notification_service.email_choices(db.session.get(User, user_id))


def test_settings_show_the_default_email_choices(make_user, login):
    html = login(make_user(Role.AGENT)).get("/settings").get_data(as_text=True)
    assert "E-mail me about" in html
    for kind in NotificationKind:
        assert f'value="{kind.value}"' in html
    assert "A crisis on one of your accounts" in html
    assert _checked(html) == {k.value for k, on in notification_service.DEFAULT_EMAIL.items() if on}


def test_save_email_choices(build, make_user, login):
    me = make_user(Role.ACCOUNT_MANAGER)
    client = login(me)
    resp = client.post(
        "/settings/notifications", data={"notify-by_email": ["watched", "step_overdue"]}
    )
    assert resp.status_code == 302 and resp.location == "/settings#email-choices"
    saved = build(_saved_choices, me)
    assert {k for k, on in saved.items() if on} == {
        NotificationKind.WATCHED,
        NotificationKind.STEP_OVERDUE,
    }
    html = client.get("/settings").get_data(as_text=True)
    assert _checked(html) == {"watched", "step_overdue"}
    assert "Your e-mail choices are saved." in html


def test_unticking_everything_turns_all_email_off(build, make_user, login):
    me = make_user(Role.LEAD)
    resp = login(me).post("/settings/notifications", data={})
    assert resp.status_code == 302
    assert not any(build(_saved_choices, me).values())
    rows = build(
        lambda: db.session.scalar(
            sa.select(sa.func.count())
            .select_from(NotificationPreference)
            .where(NotificationPreference.user_id == me)
        )
    )
    assert rows == len(NotificationKind)


def test_unknown_email_choice_is_a_field_error(build, make_user, login):
    me = make_user(Role.AGENT)
    resp = login(me).post(
        "/settings/notifications", data={"notify-by_email": ["watched", "everything"]}
    )
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'id="notify-by_email-error"' in html and "everything" in html
    assert build(_saved_choices, me) == notification_service.DEFAULT_EMAIL


def test_settings_say_whether_smtp_is_configured(app, make_user, login):
    client = login(make_user(Role.ADMIN))
    html = client.get("/settings").get_data(as_text=True)
    assert "No mail server (SMTP) is configured" in html
    assert "written to the server log" in html
    app.config["MAIL_SERVER"] = "smtp.example.test"
    html = client.get("/settings").get_data(as_text=True)
    assert "No mail server (SMTP) is configured" not in html
    assert "configured mail server (SMTP)" in html


# ----------------------------------------------------------------- availability


def _away_state(user_id: int):
    user = db.session.get(User, user_id)
    return user.away_reason, user.away_until, user.away_note


def test_agent_marks_themselves_away_and_back(build, make_user, login):
    agent = make_user(Role.AGENT)
    client = login(agent)
    html = client.get("/settings").get_data(as_text=True)
    assert "Availability" in html and "You are available" in html

    resp = client.post(
        "/settings/away",
        data={
            "away-reason": "holiday",
            "away-back_on": "2099-01-05",
            "away-note": "Maria covers for me",
        },
    )
    assert resp.status_code == 302 and resp.location == "/settings#availability"
    assert build(_away_state, agent) == (
        AwayReason.HOLIDAY,
        datetime(2099, 1, 5, tzinfo=UTC),
        "Maria covers for me",
    )

    html = client.get("/settings").get_data(as_text=True)
    assert "You are marked away: On holiday." in html
    assert "Monday, January 5, 2099" in html
    assert "Maria covers for me" in html
    assert 'action="/settings/back"' in html

    resp = client.post("/settings/back")
    assert resp.status_code == 302 and resp.location == "/settings#availability"
    assert build(_away_state, agent) == (None, None, "")
    assert "You are available" in client.get("/settings").get_data(as_text=True)


def test_lead_away_without_a_return_day(build, make_user, login):
    lead = make_user(Role.LEAD)
    resp = login(lead).post("/settings/away", data={"away-reason": "sick"})
    assert resp.status_code == 302
    assert build(_away_state, lead) == (AwayReason.SICK, None, "")
    html = login(lead).get("/settings").get_data(as_text=True)
    assert "You are marked away: Off sick." in html and "No day of return given." in html


def test_return_day_in_the_past_is_a_field_error(build, make_user, login):
    agent = make_user(Role.AGENT)
    resp = login(agent).post(
        "/settings/away", data={"away-reason": "holiday", "away-back_on": "2001-01-01"}
    )
    assert resp.status_code == 200
    assert re.search(
        r'id="away-back_on-error">The day of return must be in the future\.',
        resp.get_data(as_text=True),
    )
    assert build(_away_state, agent) == (None, None, "")


@pytest.mark.parametrize(
    "data, field",
    [
        ({"away-reason": "beach"}, "reason"),
        ({"away-reason": "other", "away-note": "x" * 201}, "note"),
        ({"away-reason": "other", "away-back_on": "soon"}, "back_on"),
    ],
)
def test_bad_away_form_is_a_field_error(build, make_user, login, data, field):
    agent = make_user(Role.AGENT)
    resp = login(agent).post("/settings/away", data=data)
    assert resp.status_code == 200
    assert f'id="away-{field}-error"' in resp.get_data(as_text=True)
    assert build(_away_state, agent) == (None, None, "")


def test_back_when_not_away_says_so_and_changes_nothing(build, make_user, login):
    user = make_user(Role.AGENT, name="Pat Present")
    client = login(user)
    resp = client.post("/settings/back")
    assert resp.status_code == 302
    assert "Pat Present is not marked away." in client.get(resp.location).get_data(as_text=True)
    assert build(_away_state, user) == (None, None, "")


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.ADMIN])
def test_only_agents_and_leads_set_their_availability(build, make_user, login, role):
    user = make_user(role)
    client = login(user)
    html = client.get("/settings").get_data(as_text=True)
    assert "Availability" not in html and 'action="/settings/away"' not in html
    assert client.post("/settings/away", data={"away-reason": "holiday"}).status_code == 403
    assert client.post("/settings/back").status_code == 403
    assert build(_away_state, user) == (None, None, "")


def test_other_settings_posts_keep_the_email_choices_on_screen(build, make_user, login):
    me = make_user(Role.AGENT)
    client = login(me)
    client.post("/settings/notifications", data={"notify-by_email": ["routed"]})
    resp = client.post(
        "/settings/password",
        data={
            "password-current_password": "wrong",
            "password-new_password": "short",
            "password-confirm": "short",
        },
    )
    assert resp.status_code == 200
    assert _checked(resp.get_data(as_text=True)) == {"routed"}


def _approval_request(agent: int) -> tuple[int, int]:
    """An agent proposes a remedy above their authority (needs an app context)."""
    ticket_id = factories.make_ticket(actor_id=agent, order_value=Decimal("1000.00"))
    ticket = db.session.get(Ticket, ticket_id)
    remedy = ledger.propose_remedy(
        ticket,
        actor=db.session.get(User, agent),
        now=T0,
        draft=ledger.RemedyDraft(
            kind=RemedyKind.GOODWILL,
            form=RemedyForm.CREDIT,
            description="Credit note",
            cost=Decimal("400.00"),
            reason=RemedyReason.GOODWILL_GESTURE,
        ),
    )
    assert remedy.state is RemedyState.PROPOSED
    return ticket_id, remedy.id


def test_admin_opens_an_approval_request_on_its_ticket_while_it_waits(build, make_user, login):
    agent, admin = make_user(Role.AGENT), make_user(Role.ADMIN)
    ticket_id, remedy_id = build(_approval_request, agent)
    [note] = [
        n for n in build(_notifications_of, admin) if n.kind is NotificationKind.APPROVAL_WAITING
    ]
    assert note.ticket_id == ticket_id
    client = login(admin)
    # While the remedy waits, the admin may read its ticket to judge it (docs/rules.md, 20).
    [item] = client.get("/notifications/unread.json").get_json()["items"]
    assert item["url"] == f"/tickets/{ticket_id}"
    resp = client.post(f"/notifications/{note.id}/open")
    assert resp.status_code == 302 and resp.location == f"/tickets/{ticket_id}"
    assert build(_read_at, note.id) is not None

    def withdraw():
        remedy = db.session.get(Remedy, remedy_id)
        ledger.withdraw_remedy(remedy, actor=db.session.get(User, agent), now=T0)

    build(withdraw)
    # No longer waiting: the ticket is closed to the admin; the approvals page it is.
    resp = client.post(f"/notifications/{note.id}/open")
    assert resp.status_code == 302 and resp.location == f"/approvals/#remedy-{remedy_id}"
