"""Logging in and out, CSRF, safe redirects, the login rate limit and personal settings."""

import re
from urllib.parse import quote

import pytest

from tests import factories
from ticketdesk.extensions import db
from ticketdesk.models import Role, Ticket, TicketEvent, User

GENERIC_LOGIN_ERROR = "E-mail or password is not right, or the account is not active."


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no csrf_token in the page"
    return match.group(1)


def _form_login(
    client, email: str, password: str = factories.PASSWORD, next_url: str | None = None
):
    url = "/login" if next_url is None else f"/login?next={quote(next_url, safe='')}"
    return client.post(url, data={"email": email, "password": password})


def _logged_in(client) -> bool:
    """True when the client's session belongs to a logged-in user."""
    resp = client.get("/settings")
    return resp.status_code == 200


@pytest.fixture
def agent_email(make_user):
    make_user(Role.AGENT, email="alex@desk.example")
    return "alex@desk.example"


# ----------------------------------------------------------------- logging in


def test_form_login_then_pages_work(client, agent_email):
    resp = _form_login(client, agent_email)
    assert resp.status_code == 302
    assert resp.location == "/tickets/"
    assert client.get("/tickets/").status_code == 200


def test_login_email_is_case_insensitive_and_admin_lands_on_users(client, make_user):
    make_user(Role.ADMIN, email="root@desk.example")
    resp = _form_login(client, "  ROOT@Desk.Example ")
    assert resp.status_code == 302
    assert resp.location == "/admin/users"


def test_login_records_last_login(client, agent_email, build):
    _form_login(client, agent_email)
    last = build(
        lambda: db.session.scalar(db.select(User.last_login_at).where(User.email == agent_email))
    )
    assert last is not None


def test_full_login_with_csrf_enabled(app, client, agent_email):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.get("/login")
    assert page.status_code == 200
    token = _csrf(page.get_data(as_text=True))

    without = client.post("/login", data={"email": agent_email, "password": factories.PASSWORD})
    assert without.status_code == 400
    assert not _logged_in(client)

    resp = client.post(
        "/login", data={"email": agent_email, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert resp.status_code == 302
    assert resp.location == "/tickets/"
    assert client.get("/tickets/").status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(client, agent_email):
    wrong = _form_login(client, agent_email, "not the password")
    unknown = _form_login(client, "nobody@desk.example", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    for resp in (wrong, unknown):
        html = resp.get_data(as_text=True)
        assert GENERIC_LOGIN_ERROR in html
        assert html.count('class="alert alert-danger"') == 1

    # Apart from the echoed address (and the CSRF token, signed with the current second)
    # the two pages are identical.
    def same(resp, email):
        html = resp.get_data(as_text=True).replace(email, "X")
        return re.sub(r'"[\w-]{20,}\.[\w-]+\.[\w-]+"', '"TOKEN"', html)

    assert same(wrong, agent_email) == same(unknown, "nobody@desk.example")
    assert not _logged_in(client)


def test_inactive_user_cannot_log_in(client, make_user):
    make_user(Role.AGENT, email="gone@desk.example", active=False)
    resp = _form_login(client, "gone@desk.example")
    assert resp.status_code == 200
    assert GENERIC_LOGIN_ERROR in resp.get_data(as_text=True)
    assert not _logged_in(client)


def test_login_form_requires_both_fields(client):
    resp = client.post("/login", data={"email": "", "password": ""})
    assert resp.status_code == 200
    assert resp.get_data(as_text=True).count("This field is required.") == 2


def test_logged_in_user_visiting_login_goes_home(client, agent_email):
    _form_login(client, agent_email)
    resp = client.get("/login")
    assert resp.status_code == 302 and resp.location == "/tickets/"


# ----------------------------------------------------------------- next


def test_next_path_on_this_site_is_followed(client, make_user):
    make_user(Role.ADMIN, email="root@desk.example")  # home would be /admin/users
    resp = _form_login(client, "root@desk.example", next_url="/tickets/")
    assert resp.status_code == 302
    assert resp.location == "/tickets/"


def test_next_with_query_string_is_kept(client, agent_email):
    resp = _form_login(client, agent_email, next_url="/customers/?q=acme")
    assert resp.location == "/customers/?q=acme"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "evil.example",
    ],
)
def test_next_off_site_falls_back_to_home(client, make_user, target):
    make_user(Role.ADMIN, email="root@desk.example")
    resp = _form_login(client, "root@desk.example", next_url=target)
    assert resp.status_code == 302
    assert resp.location == "/admin/users"


def test_anonymous_request_carries_next_and_login_returns_there(client, agent_email):
    resp = client.get("/customers/?q=x")
    assert resp.status_code == 302
    assert resp.location == "/login?next=" + quote("/customers/?q=x", safe="")
    login = client.post(resp.location, data={"email": agent_email, "password": factories.PASSWORD})
    assert login.location == "/customers/?q=x"


# ----------------------------------------------------------------- logout and CSRF


def test_logout_is_post_only(client, agent_email):
    _form_login(client, agent_email)
    assert client.get("/logout").status_code == 405
    assert _logged_in(client)
    resp = client.post("/logout")
    assert resp.status_code == 302 and resp.location == "/login"
    assert not _logged_in(client)


def test_logout_requires_csrf_when_enabled(app, client, agent_email):
    _form_login(client, agent_email)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/logout").status_code == 400
    assert _logged_in(client)
    token = _csrf(client.get("/settings").get_data(as_text=True))
    resp = client.post("/logout", data={"csrf_token": token})
    assert resp.status_code == 302
    assert not _logged_in(client)


def test_ticket_reply_without_csrf_token_is_400(app, build, make_user, login):
    agent = make_user(Role.AGENT)
    ticket_id = build(factories.make_ticket, actor_id=agent)
    client = login(agent)
    app.config["WTF_CSRF_ENABLED"] = True
    resp = client.post(
        f"/tickets/{ticket_id}/reply", data={"version": "1", "body": "Hello", "status_after": ""}
    )
    assert resp.status_code == 400
    events = build(lambda: db.session.scalar(db.select(db.func.count()).select_from(TicketEvent)))
    assert events == 1  # only "created"


def test_public_complaint_without_csrf_token_is_400(app, client, build):
    app.config["WTF_CSRF_ENABLED"] = True
    resp = client.post(
        "/complain",
        data={
            "name": "Pat",
            "email": "pat@public.example",
            "category_id": "0",
            "description": "Everything arrived broken.",
        },
    )
    assert resp.status_code == 400
    tickets = build(lambda: db.session.scalar(db.select(db.func.count()).select_from(Ticket)))
    assert tickets == 0


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
def test_login_cookies_are_httponly_and_samesite_lax(client, agent_email, cookie):
    resp = client.post(
        "/login", data={"email": agent_email, "password": factories.PASSWORD, "remember": "y"}
    )
    assert resp.status_code == 302
    cookies = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith(f"{cookie}=")]
    assert cookies, resp.headers
    flags = [part.strip().lower() for part in cookies[-1].split(";")]
    assert "httponly" in flags
    assert "samesite=lax" in flags


# ----------------------------------------------------------------- rate limit


def test_login_rate_limit_refuses_even_the_right_password(app, client, agent_email):
    app.config["LOGIN_RATE_LIMIT"] = 3
    # Failures count per address whatever its spelling.
    for spelling in (agent_email, agent_email.upper(), f" {agent_email} "):
        assert _form_login(client, spelling, "wrong password").status_code == 200
    resp = _form_login(client, agent_email)
    assert resp.status_code == 200
    assert GENERIC_LOGIN_ERROR in resp.get_data(as_text=True)
    assert not _logged_in(client)


def test_login_rate_limit_is_per_email(app, client, agent_email, make_user):
    make_user(Role.LEAD, email="lee@desk.example")
    app.config["LOGIN_RATE_LIMIT"] = 2
    for _ in range(2):
        _form_login(client, agent_email, "wrong password")
    # Another address is not affected.
    assert _form_login(client, "lee@desk.example").status_code == 302


def test_failures_below_the_limit_do_not_block(app, client, agent_email):
    app.config["LOGIN_RATE_LIMIT"] = 3
    for _ in range(2):
        _form_login(client, agent_email, "wrong password")
    assert _form_login(client, agent_email).status_code == 302


# ----------------------------------------------------------------- settings


def test_timezone_setting_changes_times_on_ticket_page(build, make_user, login, now):
    agent = make_user(Role.AGENT)
    ticket_id = build(factories.make_ticket, actor_id=agent, now=now)  # Monday 09:00 UTC
    client = login(agent)
    before = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Mar 2, 2026, 9:00:00" in before

    resp = client.post(
        "/settings", data={"profile-name": "Agent Smith", "profile-timezone": "Asia/Tokyo"}
    )
    assert resp.status_code == 302 and resp.location == "/settings"
    assert build(lambda: db.session.get(User, agent).timezone) == "Asia/Tokyo"

    after = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Mar 2, 2026, 6:00:00" in after  # 18:00 in Tokyo
    assert "Mar 2, 2026, 9:00:00" not in after


def test_settings_reject_unknown_timezone(make_user, login, build):
    agent = make_user(Role.AGENT)
    resp = login(agent).post(
        "/settings", data={"profile-name": "A", "profile-timezone": "Mars/Olympus"}
    )
    assert resp.status_code == 200
    assert 'id="profile-timezone-error"' in resp.get_data(as_text=True)
    assert build(lambda: db.session.get(User, agent).timezone) == "UTC"


def test_change_password_with_wrong_current_password_is_a_field_error(make_user, login, build):
    agent = make_user(Role.AGENT, name="Pia Profile")
    old_hash = build(lambda: db.session.get(User, agent).password_hash)
    resp = login(agent).post(
        "/settings/password",
        data={
            "password-current_password": "not my password",
            "password-new_password": "a much better secret",
            "password-confirm": "a much better secret",
        },
    )
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert re.search(
        r'id="password-current_password-error">The current password is not right\.', html
    )
    assert 'value="Pia Profile"' in html  # the profile form next to it still shows the user
    assert build(lambda: db.session.get(User, agent).password_hash) == old_hash


def test_change_password_then_log_in_with_it(app, make_user, login):
    agent = make_user(Role.AGENT, email="pw@desk.example")
    client = login(agent)
    resp = client.post(
        "/settings/password",
        data={
            "password-current_password": factories.PASSWORD,
            "password-new_password": "a much better secret",
            "password-confirm": "a much better secret",
        },
    )
    assert resp.status_code == 302
    client.post("/logout")
    fresh = app.test_client()
    assert _form_login(fresh, "pw@desk.example").status_code == 200
    assert _form_login(fresh, "pw@desk.example", "a much better secret").status_code == 302


def test_change_password_mismatch_and_too_short(make_user, login):
    agent = make_user(Role.AGENT)
    resp = login(agent).post(
        "/settings/password",
        data={
            "password-current_password": factories.PASSWORD,
            "password-new_password": "short",
            "password-confirm": "different",
        },
    )
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'id="password-new_password-error"' in html
    assert "The passwords do not match." in html
