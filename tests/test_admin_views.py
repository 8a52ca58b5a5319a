"""Administration screens: users, teams and the category list."""

import sqlalchemy as sa

from tests import factories
from tests.support import field_error
from ticketdesk.extensions import db
from ticketdesk.models import Category, Role, Team, Ticket, User


def _user(build, email: str) -> dict | None:
    def load():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            return None
        return {
            "id": user.id,
            "name": user.name,
            "role": user.role,
            "active": user.active,
            "teams": sorted(t.name for t in user.teams),
        }

    return build(load)


def _user_form(**overrides) -> dict:
    data = {
        "name": "Nina New",
        "email": "nina@desk.example",
        "role": "agent",
        "active": "y",
        "password": "a long initial pw",
    }
    data.update(overrides)
    return data


# ----------------------------------------------------------------- users


def test_create_user_and_log_in_with_it(app, ac, build):
    team = build(factories.make_team, "Returns")
    resp = ac.post(
        "/admin/users/new", data=_user_form(email="Nina@Desk.Example", team_ids=[str(team)])
    )
    assert resp.status_code == 302 and resp.location == "/admin/users"
    user = _user(build, "nina@desk.example")
    assert user == {
        "id": user["id"],
        "name": "Nina New",
        "role": Role.AGENT,
        "active": True,
        "teams": ["Returns"],
    }
    listing = ac.get("/admin/users").get_data(as_text=True)
    assert "User nina@desk.example created." in listing
    assert "nina@desk.example" in listing

    fresh = app.test_client()
    resp = fresh.post(
        "/login", data={"email": "nina@desk.example", "password": "a long initial pw"}
    )
    assert resp.status_code == 302 and resp.location == "/tickets/"


def test_duplicate_email_is_shown_next_to_the_email_field(ac, build, make_user):
    make_user(Role.AGENT, email="taken@desk.example")
    before = build(lambda: db.session.scalar(sa.select(sa.func.count(User.id))))
    resp = ac.post("/admin/users/new", data=_user_form(email="TAKEN@desk.example"))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert field_error(html, "email") == "A user with this e-mail address exists already."
    assert 'value="Nina New"' in html  # input kept
    assert build(lambda: db.session.scalar(sa.select(sa.func.count(User.id)))) == before


def test_new_user_form_errors(ac, build):
    resp = ac.post("/admin/users/new", data=_user_form(email="bad", password="short", name=""))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert field_error(html, "email") == "Invalid email address."
    assert field_error(html, "password")
    assert field_error(html, "name") == "This field is required."
    assert _user(build, "bad") is None


def test_edit_user_role_teams_and_deactivate(app, ac, build, make_user):
    user_id = make_user(Role.AGENT, email="edit.me@desk.example", name="Ed It")
    t1 = build(factories.make_team, "Alpha team")
    t2 = build(factories.make_team, "Beta team")
    page = ac.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert 'value="edit.me@desk.example"' in page
    assert '<option selected value="agent">' in page

    resp = ac.post(
        f"/admin/users/{user_id}",
        data={
            "name": "Ed It",
            "email": "edit.me@desk.example",
            "role": "lead",
            "team_ids": [str(t1), str(t2)],
            "active": "y",
        },
    )
    assert resp.status_code == 302
    user = _user(build, "edit.me@desk.example")
    assert user["role"] is Role.LEAD and user["teams"] == ["Alpha team", "Beta team"]
    assert user["active"]

    # Unchecked "active" deactivates; no teams clears them.
    resp = ac.post(
        f"/admin/users/{user_id}",
        data={"name": "Ed It", "email": "edit.me@desk.example", "role": "lead"},
    )
    assert resp.status_code == 302
    user = _user(build, "edit.me@desk.example")
    assert not user["active"] and user["teams"] == []
    assert "Deactivated" in ac.get("/admin/users").get_data(as_text=True)

    # A deactivated user cannot log in, and an open session of theirs stops working.
    fresh = app.test_client()
    resp = fresh.post(
        "/login", data={"email": "edit.me@desk.example", "password": factories.PASSWORD}
    )
    assert resp.status_code == 200
    assert "not active" in resp.get_data(as_text=True)
    session_client = app.test_client()
    factories.log_in(session_client, user_id)
    assert session_client.get("/tickets/").status_code == 302


def test_edit_user_sets_a_new_password(app, ac, make_user):
    user_id = make_user(Role.AGENT, email="pw.reset@desk.example")
    resp = ac.post(
        f"/admin/users/{user_id}",
        data={
            "name": "X",
            "email": "pw.reset@desk.example",
            "role": "agent",
            "active": "y",
            "new_password": "reset by admin 1",
        },
    )
    assert resp.status_code == 302
    fresh = app.test_client()
    assert (
        fresh.post(
            "/login", data={"email": "pw.reset@desk.example", "password": factories.PASSWORD}
        ).status_code
        == 200
    )
    assert (
        fresh.post(
            "/login", data={"email": "pw.reset@desk.example", "password": "reset by admin 1"}
        ).status_code
        == 302
    )


def test_edit_user_duplicate_email(ac, make_user, build):
    make_user(Role.AGENT, email="first@desk.example")
    second = make_user(Role.AGENT, email="second@desk.example")
    resp = ac.post(
        f"/admin/users/{second}",
        data={"name": "Second", "email": "first@desk.example", "role": "agent", "active": "y"},
    )
    assert resp.status_code == 200
    assert (
        field_error(resp.get_data(as_text=True), "email")
        == "A user with this e-mail address exists already."
    )
    assert _user(build, "second@desk.example") is not None


def test_admin_cannot_deactivate_themselves(ac, admin, make_user, build):
    make_user(Role.ADMIN, email="other.admin@desk.example")  # so the last-admin rule is not hit
    resp = ac.post(
        f"/admin/users/{admin}",
        data={"name": "Root Admin", "email": "root@desk.example", "role": "admin"},
    )
    assert resp.status_code == 200
    assert (
        field_error(resp.get_data(as_text=True), "active")
        == "You cannot deactivate your own account."
    )
    assert _user(build, "root@desk.example")["active"]


def test_last_active_admin_cannot_be_removed(ac, admin, make_user, build):
    make_user(Role.ADMIN, email="retired.admin@desk.example", active=False)
    resp = ac.post(
        f"/admin/users/{admin}",
        data={"name": "Root Admin", "email": "root@desk.example", "role": "lead", "active": "y"},
    )
    assert resp.status_code == 200
    assert (
        field_error(resp.get_data(as_text=True), "role")
        == "Keep at least one active administrator."
    )
    assert _user(build, "root@desk.example")["role"] is Role.ADMIN


def test_another_admin_can_be_demoted_while_one_remains(ac, make_user, build):
    other = make_user(Role.ADMIN, email="other.admin@desk.example")
    resp = ac.post(
        f"/admin/users/{other}",
        data={"name": "Other", "email": "other.admin@desk.example", "role": "agent", "active": "y"},
    )
    assert resp.status_code == 302
    assert _user(build, "other.admin@desk.example")["role"] is Role.AGENT


def test_unknown_team_id_is_not_a_valid_choice(ac, make_user, build):
    user_id = make_user(Role.AGENT, email="t@desk.example")
    resp = ac.post(
        f"/admin/users/{user_id}",
        data={
            "name": "T",
            "email": "t@desk.example",
            "role": "agent",
            "active": "y",
            "team_ids": ["99999"],
        },
    )
    assert resp.status_code == 200
    assert field_error(resp.get_data(as_text=True), "team_ids")


# ----------------------------------------------------------------- teams


def test_teams_create_rename_and_duplicates(ac, build):
    resp = ac.post("/admin/teams", data={"name": "Returns", "description": "RMA desk"})
    assert resp.status_code == 302
    assert "Team Returns created." in ac.get("/admin/teams").get_data(as_text=True)
    resp = ac.post("/admin/teams", data={"name": "  returns "})
    assert resp.status_code == 200
    assert (
        field_error(resp.get_data(as_text=True), "name") == "A team with this name exists already."
    )

    other = build(factories.make_team, "Billing")
    resp = ac.post(f"/admin/teams/{other}", data={"name": "RETURNS"})
    assert resp.status_code == 200
    assert (
        field_error(resp.get_data(as_text=True), "name") == "A team with this name exists already."
    )
    resp = ac.post(
        f"/admin/teams/{other}", data={"name": "Billing & Refunds", "description": "Money"}
    )
    assert resp.status_code == 302
    names = build(lambda: sorted(db.session.scalars(sa.select(Team.name))))
    assert names == ["Billing & Refunds", "Returns"]
    # Renaming a team to its own name (other case) is fine.
    resp = ac.post(f"/admin/teams/{other}", data={"name": "billing & refunds"})
    assert resp.status_code == 302


def test_team_page_lists_members(ac, build, make_user):
    team = build(factories.make_team, "Front")
    make_user(Role.AGENT, name="Mia Member", team_ids=(team,))
    html = ac.get("/admin/teams").get_data(as_text=True)
    assert "Mia Member" in html


# ----------------------------------------------------------------- categories


def test_categories_create_rename_and_duplicates(ac, build):
    resp = ac.post("/admin/categories", data={"name": "Packaging", "position": "15", "active": "y"})
    assert resp.status_code == 302
    resp = ac.post("/admin/categories", data={"name": "PACKAGING", "position": "16", "active": "y"})
    assert resp.status_code == 200
    assert (
        field_error(resp.get_data(as_text=True), "name")
        == "A category with this name exists already."
    )
    cat = build(lambda: db.session.scalar(sa.select(Category).where(Category.name == "Packaging")))
    assert cat.slug == "packaging" and cat.position == 15 and cat.active
    resp = ac.post(
        f"/admin/categories/{cat.id}", data={"name": "Wrong item", "position": "15", "active": "y"}
    )
    assert resp.status_code == 200
    assert (
        field_error(resp.get_data(as_text=True), "name")
        == "A category with this name exists already."
    )
    resp = ac.post(
        f"/admin/categories/{cat.id}",
        data={"name": "Packaging damage", "position": "15", "active": "y"},
    )
    assert resp.status_code == 302
    renamed = build(lambda: db.session.get(Category, cat.id))
    assert renamed.name == "Packaging damage" and renamed.slug == "packaging"


def test_retired_category_is_not_offered_but_stays_on_tickets(app, ac, build, make_user):
    agent = make_user(Role.AGENT)
    cat_id = build(factories.category_id, "late_delivery")
    ticket_id = build(factories.make_ticket, actor_id=agent, category="late_delivery")
    resp = ac.post(f"/admin/categories/{cat_id}", data={"name": "Late delivery", "position": "40"})
    assert resp.status_code == 302
    assert build(lambda: db.session.get(Category, cat_id).active) is False
    assert "Retired" in ac.get("/admin/categories").get_data(as_text=True)

    agent_client = app.test_client()
    factories.log_in(agent_client, agent)
    new_page = agent_client.get("/tickets/new").get_data(as_text=True)
    assert "Late delivery" not in new_page
    assert "Wrong item" in new_page
    ticket_page = agent_client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Late delivery" in ticket_page
    # The ticket's own details form still offers it (selected), so saving keeps it.
    assert f'<option selected value="{cat_id}">Late delivery</option>' in ticket_page
    # A new ticket cannot use it.
    resp = agent_client.post(
        "/tickets/new",
        data={
            "customer_id": "",
            "new_customer_name": "Late Co",
            "channel": "phone",
            "kind": "complaint",
            "category_id": str(cat_id),
            "severity": "p3",
            "subject": "Late",
            "description": "Too late.",
            "currency": "EUR",
        },
    )
    assert resp.status_code == 200
    assert build(lambda: db.session.scalar(sa.select(sa.func.count(Ticket.id)))) == 1
    # Retired categories can be brought back.
    resp = ac.post(
        f"/admin/categories/{cat_id}",
        data={"name": "Late delivery", "position": "40", "active": "y"},
    )
    assert resp.status_code == 302
    assert "Late delivery" in agent_client.get("/tickets/new").get_data(as_text=True)


def test_retired_category_kept_when_saving_other_ticket_details(app, ac, build, make_user):
    agent = make_user(Role.AGENT)
    cat_id = build(factories.category_id, "late_delivery")
    ticket_id = build(factories.make_ticket, actor_id=agent, category="late_delivery")
    ac.post(f"/admin/categories/{cat_id}", data={"name": "Late delivery", "position": "40"})
    agent_client = app.test_client()
    factories.log_in(agent_client, agent)
    version = build(lambda: db.session.get(Ticket, ticket_id).version)
    resp = agent_client.post(
        f"/tickets/{ticket_id}/details",
        data={
            "version": version,
            "subject": "New subject",
            "kind": "complaint",
            "category_id": str(cat_id),
            "severity": "p3",
            "currency": "EUR",
        },
    )
    assert resp.status_code == 302
    assert build(lambda: db.session.get(Ticket, ticket_id).category_id) == cat_id
