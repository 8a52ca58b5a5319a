from tests import factories
from ticketdesk.models import Role


def test_login_page_renders(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    assert b"Log in to TicketDesk" in resp.data


def test_pages_render_for_agent(app, make_user, login, build):
    agent = make_user(Role.AGENT)
    tid = build(factories.make_ticket, actor_id=agent)
    c = login(agent)
    for url in [
        "/tickets/",
        "/tickets/new",
        f"/tickets/{tid}",
        "/customers/",
        "/settings",
        "/customers/new",
    ]:
        resp = c.get(url)
        assert resp.status_code == 200, (url, resp.data[:2000])


def test_admin_pages(make_user, login):
    admin = make_user(Role.ADMIN)
    c = login(admin)
    for url in ["/admin/users", "/admin/users/new", "/admin/teams", "/admin/categories"]:
        assert c.get(url).status_code == 200, url


def test_public_form_renders(client):
    assert client.get("/complain").status_code == 200
