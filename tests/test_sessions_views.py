"""Server-side sessions: logging out, "log out everywhere", password changes and
deactivation end sessions for good; a login starts a fresh session; sessions expire."""

import re
from datetime import timedelta

import pytest

from tests import factories
from ticketdesk.core.errors import PermissionDenied
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import Role, User, UserSession
from ticketdesk.services.people import sessions

NEW_PASSWORD = "a much better secret"


def _form_login(client, email: str, password: str = factories.PASSWORD, *, remember: bool = False):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


def _logged_in(client) -> bool:
    return client.get("/settings").status_code == 200


def _replay(app, cookie: str, value: str):
    """A new browser holding only a copy of one cookie."""
    thief = app.test_client()
    thief.set_cookie(cookie, value)
    return thief


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no csrf_token in the page"
    return match.group(1)


@pytest.fixture
def agent(make_user):
    return make_user(Role.AGENT, email="alex@desk.example")


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, email="root@desk.example")


# ------------------------------------------------------------ ending sessions


def _logout(app, client, agent, admin):
    client.post("/logout")


def _logout_everywhere(app, client, agent, admin):
    assert client.post("/settings/sessions/end-all").status_code == 302


def _own_password_change_elsewhere(app, client, agent, admin):
    other = factories.log_in(app.test_client(), agent)
    resp = other.post(
        "/settings/password",
        data={
            "password-current_password": factories.PASSWORD,
            "password-new_password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
    )
    assert resp.status_code == 302


def _admin_password_reset(app, client, agent, admin):
    resp = factories.log_in(app.test_client(), admin).post(
        f"/admin/users/{agent}",
        data={
            "email": "alex@desk.example",
            "name": "Alex",
            "role": "agent",
            "active": "y",
            "new_password": NEW_PASSWORD,
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)


def _admin_deactivation_and_reactivation(app, client, agent, admin):
    admin_client = factories.log_in(app.test_client(), admin)
    for active in ({}, {"active": "y"}):
        resp = admin_client.post(
            f"/admin/users/{agent}",
            data={"email": "alex@desk.example", "name": "Alex", "role": "agent", **active},
        )
        assert resp.status_code == 302, resp.get_data(as_text=True)


ENDINGS = [
    _logout,
    _logout_everywhere,
    _own_password_change_elsewhere,
    _admin_password_reset,
    _admin_deactivation_and_reactivation,
]


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
@pytest.mark.parametrize("ending", ENDINGS, ids=lambda f: f.__name__.strip("_"))
def test_a_copied_cookie_is_dead_once_its_session_ends(app, client, agent, admin, ending, cookie):
    assert _form_login(client, "alex@desk.example", remember=True).status_code == 302
    copy = client.get_cookie(cookie).value
    assert _logged_in(_replay(app, cookie, copy))  # the copy works while the session lives

    ending(app, client, agent, admin)

    thief = _replay(app, cookie, copy)
    assert not _logged_in(thief)
    assert thief.get("/tickets/").status_code == 302


def test_logout_everywhere_ends_the_other_browsers_too(app, agent):
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        assert _form_login(browser, "alex@desk.example").status_code == 302
    page = first.get("/settings").get_data(as_text=True)
    assert "You are logged in on 2 devices or browsers." in page

    resp = first.post("/settings/sessions/end-all")
    assert resp.status_code == 302 and resp.location == "/login"
    assert not _logged_in(first)
    assert not _logged_in(second)
    # Logging in again works, and counts one browser.
    _form_login(second, "alex@desk.example")
    assert "You are logged in on 1 device or browser." in second.get("/settings").get_data(
        as_text=True
    )


def test_logout_everywhere_is_post_only_needs_csrf_and_a_login(app, client, agent):
    assert client.post("/settings/sessions/end-all").status_code == 302  # to the login page
    _form_login(client, "alex@desk.example")
    assert client.get("/settings/sessions/end-all").status_code == 405
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/settings/sessions/end-all").status_code == 400
    assert _logged_in(client)
    token = _csrf(client.get("/settings").get_data(as_text=True))
    assert client.post("/settings/sessions/end-all", data={"csrf_token": token}).status_code == 302
    assert not _logged_in(client)


def test_only_the_user_ends_all_their_sessions(app, agent, admin):
    with app.app_context():
        user, other = db.session.get(User, agent), db.session.get(User, admin)
        sessions.start(user, remember=False, now=utcnow())
        with pytest.raises(PermissionDenied):
            sessions.end_all(user, actor=other)
        assert sessions.count_active(user, now=utcnow()) == 1


def test_own_password_change_keeps_this_browser_with_a_fresh_session(app, client, agent):
    _form_login(client, "alex@desk.example", remember=True)
    old_session = client.get_cookie("session").value
    old_remember = client.get_cookie("remember_token").value
    resp = client.post(
        "/settings/password",
        data={
            "password-current_password": factories.PASSWORD,
            "password-new_password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
    )
    assert resp.status_code == 302
    assert _logged_in(client)
    # Still "kept logged in" here, with a new remember-me cookie; the old cookies are dead.
    new_remember = client.get_cookie("remember_token").value
    assert new_remember != old_remember
    assert _logged_in(_replay(app, "remember_token", new_remember))
    assert not _logged_in(_replay(app, "session", old_session))
    assert not _logged_in(_replay(app, "remember_token", old_remember))


def test_a_wrong_current_password_ends_nothing(app, client, agent):
    _form_login(client, "alex@desk.example")
    copy = client.get_cookie("session").value
    resp = client.post(
        "/settings/password",
        data={
            "password-current_password": "not my password",
            "password-new_password": NEW_PASSWORD,
            "password-confirm": NEW_PASSWORD,
        },
    )
    assert resp.status_code == 200
    assert _logged_in(client) and _logged_in(_replay(app, "session", copy))


def test_admin_edit_without_reset_keeps_the_sessions(app, client, agent, admin):
    _form_login(client, "alex@desk.example")
    resp = factories.log_in(app.test_client(), admin).post(
        f"/admin/users/{agent}",
        data={"email": "alex@desk.example", "name": "Alex Renamed", "role": "agent", "active": "y"},
    )
    assert resp.status_code == 302
    assert _logged_in(client)


# ------------------------------------------------------------ starting sessions


def test_login_starts_a_fresh_session(client, agent):
    # Whatever the browser's session held before logging in (a session planted by
    # someone else, its CSRF token) is not carried into the logged-in session.
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
        sess["csrf_token"] = "known-to-someone-else"
    assert _form_login(client, "alex@desk.example").status_code == 302
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("csrf_token") != "known-to-someone-else"
    assert _logged_in(client)


def test_each_login_gets_its_own_session(app, agent):
    first, second = app.test_client(), app.test_client()
    _form_login(first, "alex@desk.example")
    _form_login(second, "alex@desk.example")
    with first.session_transaction() as a, second.session_transaction() as b:
        assert a["_user_id"] != b["_user_id"]
    first.post("/logout")
    assert _logged_in(second)  # logging out in one browser ends only that session


@pytest.mark.parametrize(
    "login_id", [None, "", "1", "2", "alex@desk.example", "x" * 43, "x" * 500, 7]
)
def test_a_session_without_a_live_login_id_is_not_logged_in(app, client, agent, login_id):
    # The bare user id (what sessions carried before) and made-up ids log nobody in.
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = login_id, True
    assert not _logged_in(client)


@pytest.mark.parametrize(
    "remember, lifetime", [(False, timedelta(hours=12)), (True, timedelta(days=14))]
)
@pytest.mark.parametrize(
    "after, alive",
    [
        (lambda life: timedelta(0), True),
        (lambda life: life - timedelta(seconds=1), True),
        (lambda life: life - timedelta(microseconds=1), True),
        (lambda life: life, False),
        (lambda life: life + timedelta(seconds=1), False),
    ],
    ids=["start", "1s-before-end", "1us-before-end", "end", "after-end"],
)
def test_session_lives_until_its_lifetime_is_over(
    app, agent, now, remember, lifetime, after, alive
):
    with app.app_context():
        user = db.session.get(User, agent)
        login_id = sessions.start(user, remember=remember, now=now).login_id
        assert sessions.lifetime(remember=remember) == lifetime
        assert (sessions.user_for(login_id, now=now + after(lifetime)) is not None) is alive


def test_expired_sessions_are_deleted_when_someone_logs_in(app, agent, admin, now):
    with app.app_context():
        user, other = db.session.get(User, agent), db.session.get(User, admin)
        sessions.start(user, remember=False, now=now)
        sessions.start(user, remember=True, now=now)
        sessions.start(other, remember=False, now=now + timedelta(hours=12))
        rows = db.session.scalars(db.select(UserSession.remember)).all()
        assert sorted(rows) == [False, True]


def test_inactive_user_sessions_do_not_log_in(app, agent, now):
    with app.app_context():
        user = db.session.get(User, agent)
        login_id = sessions.start(user, remember=False, now=now).login_id
        user.active = False
        db.session.commit()
        assert sessions.user_for(login_id, now=now) is None
