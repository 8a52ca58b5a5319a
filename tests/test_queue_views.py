"""The ticket queue: scopes per role, filters, keyword search, sorting, pagination, query count."""

import html as html_lib
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest

from tests import factories
from ticketdesk.extensions import db
from ticketdesk.models import (
    Role,
    Severity,
    Ticket,
    TicketKind,
    TicketStatus,
    User,
)
from ticketdesk.services.tickets import conversation, workflow


def _ids(resp) -> list[int]:
    """Ticket ids linked from the queue table, in page order."""
    assert resp.status_code == 200, resp.status_code
    html = resp.get_data(as_text=True)
    return [int(i) for i in re.findall(r'href="/tickets/(\d+)"', html)]


def _set_status(ticket_id: int, actor_id: int, *statuses: TicketStatus, now=None) -> None:
    for status in statuses:
        ticket = db.session.get(Ticket, ticket_id)
        workflow.change_status(
            ticket,
            actor=db.session.get(User, actor_id),
            status=status,
            expected_version=None,
            now=now or ticket.created_at,
        )


# ----------------------------------------------------------------- scopes


def _scope_world(now) -> SimpleNamespace:
    w = SimpleNamespace()
    w.team_a = factories.make_team("Team A")
    w.team_b = factories.make_team("Team B")
    w.agent = factories.make_user(Role.AGENT, team_ids=(w.team_a,))
    w.other_agent = factories.make_user(Role.AGENT, team_ids=(w.team_a,))
    w.agent_b = factories.make_user(Role.AGENT, team_ids=(w.team_b,))
    w.lead = factories.make_user(Role.LEAD, team_ids=(w.team_b,))
    w.am = factories.make_user(Role.ACCOUNT_MANAGER)
    w.admin = factories.make_user(Role.ADMIN)
    w.managed = factories.make_customer("Managed", account_manager_id=w.am)
    w.unmanaged = factories.make_customer("Unmanaged")
    mk = factories.make_ticket
    w.mine = mk(
        actor_id=w.lead, customer_id=w.managed, team_id=w.team_a, assignee_id=w.agent, now=now
    )
    w.team_a_other = mk(
        actor_id=w.lead,
        customer_id=w.unmanaged,
        team_id=w.team_a,
        assignee_id=w.other_agent,
        now=now,
    )
    w.unrouted = mk(actor_id=w.lead, customer_id=w.unmanaged, now=now, unrouted=True)
    w.team_b_t = mk(actor_id=w.lead, customer_id=w.managed, team_id=w.team_b, now=now)
    w.lead_own = mk(
        actor_id=w.lead, customer_id=w.unmanaged, team_id=w.team_b, assignee_id=w.lead, now=now
    )
    return w


@pytest.fixture
def sw(build, now):
    return build(_scope_world, now)


def test_agent_default_scope_is_teams_and_unrouted(sw, login):
    assert sorted(_ids(login(sw.agent).get("/tickets/"))) == sorted(
        [sw.mine, sw.team_a_other, sw.unrouted]
    )


def test_agent_scope_mine(sw, login):
    assert _ids(login(sw.agent).get("/tickets/?scope=mine")) == [sw.mine]


def test_agent_of_other_team(sw, login):
    assert sorted(_ids(login(sw.agent_b).get("/tickets/?scope=teams"))) == sorted(
        [sw.unrouted, sw.team_b_t, sw.lead_own]
    )


@pytest.mark.parametrize("scope", ["all", "accounts", "nonsense"])
def test_agent_cannot_use_other_scopes(sw, login, scope):
    assert login(sw.agent).get(f"/tickets/?scope={scope}").status_code == 403


def test_lead_scopes(sw, login):
    client = login(sw.lead)
    assert len(_ids(client.get("/tickets/?scope=all"))) == 5
    assert sorted(_ids(client.get("/tickets/"))) == sorted([sw.unrouted, sw.team_b_t, sw.lead_own])
    assert _ids(client.get("/tickets/?scope=mine")) == [sw.lead_own]
    assert client.get("/tickets/?scope=accounts").status_code == 403


def test_account_manager_sees_only_their_accounts(sw, login):
    client = login(sw.am)
    assert sorted(_ids(client.get("/tickets/"))) == sorted([sw.mine, sw.team_b_t])
    assert sorted(_ids(client.get("/tickets/?scope=accounts"))) == sorted([sw.mine, sw.team_b_t])
    for scope in ("mine", "teams", "all"):
        assert client.get(f"/tickets/?scope={scope}").status_code == 403
    # A customer filter does not widen what they see.
    assert _ids(client.get(f"/tickets/?customer={sw.unmanaged}")) == []


def test_admin_has_no_queue(sw, login):
    assert login(sw.admin).get("/tickets/").status_code == 403


def test_scope_choices_offered_per_role(sw, login):
    def offered(user_id):
        html = login(user_id).get("/tickets/").get_data(as_text=True)
        select = re.search(r'<select[^>]*name="scope".*?</select>', html, re.S).group(0)
        return re.findall(r'value="(\w+)"', select)

    assert offered(sw.agent) == ["mine", "teams", "watching"]
    assert offered(sw.lead) == ["mine", "teams", "all", "watching"]
    assert offered(sw.am) == ["accounts", "watching"]


# ----------------------------------------------------------------- filters


def _filter_world(now) -> SimpleNamespace:
    w = SimpleNamespace()
    w.team_a = factories.make_team("Team A")
    w.team_b = factories.make_team("Team B")
    w.lead = factories.make_user(Role.LEAD, team_ids=(w.team_a, w.team_b))
    w.agent = factories.make_user(Role.AGENT, team_ids=(w.team_a,))
    w.c1 = factories.make_customer("Alpha")
    w.c2 = factories.make_customer("Beta")
    mk = factories.make_ticket
    w.new_p1 = mk(
        actor_id=w.lead,
        customer_id=w.c1,
        severity=Severity.P1,
        category="damaged_defective",
        team_id=w.team_a,
        assignee_id=w.agent,
        now=now,
    )
    w.open_crisis = mk(
        actor_id=w.lead,
        customer_id=w.c2,
        kind=TicketKind.CRISIS,
        category="late_delivery",
        team_id=w.team_b,
        now=now,
    )
    w.pending = mk(
        actor_id=w.lead, customer_id=w.c1, category="late_delivery", now=now, unrouted=True
    )
    w.resolved = mk(actor_id=w.lead, customer_id=w.c2, now=now)
    w.closed = mk(actor_id=w.lead, customer_id=w.c2, now=now)
    _set_status(w.open_crisis, w.lead, TicketStatus.OPEN)
    _set_status(w.pending, w.lead, TicketStatus.PENDING_CUSTOMER)
    _set_status(w.resolved, w.lead, TicketStatus.RESOLVED)
    _set_status(w.closed, w.lead, TicketStatus.CLOSED)
    w.cat_damaged = factories.category_id("damaged_defective")
    w.cat_late = factories.category_id("late_delivery")
    return w


@pytest.fixture
def fw(build, now):
    return build(_filter_world, now)


def _q(login, w, query: str) -> set[int]:
    return set(_ids(login(w.lead).get(f"/tickets/?scope=all&{query}")))


def test_status_filters(fw, login):
    open_ones = {fw.new_p1, fw.open_crisis, fw.pending}
    assert _q(login, fw, "") == open_ones
    assert _q(login, fw, "status=") == open_ones
    assert _q(login, fw, "status=new") == {fw.new_p1}
    assert _q(login, fw, "status=open") == {fw.open_crisis}
    assert _q(login, fw, "status=pending_customer") == {fw.pending}
    assert _q(login, fw, "status=resolved") == {fw.resolved}
    assert _q(login, fw, "status=closed") == {fw.closed}
    assert _q(login, fw, "status=any") == open_ones | {fw.resolved, fw.closed}


def test_kind_severity_and_category_filters(fw, login):
    assert _q(login, fw, "kind=crisis") == {fw.open_crisis}
    assert _q(login, fw, "kind=complaint") == {fw.new_p1, fw.pending}
    assert _q(login, fw, "severity=p1") == {fw.new_p1}
    assert _q(login, fw, f"category={fw.cat_damaged}") == {fw.new_p1}
    assert _q(login, fw, f"category={fw.cat_late}") == {fw.open_crisis, fw.pending}
    assert _q(login, fw, f"category={fw.cat_late}&kind=complaint") == {fw.pending}


def test_team_assignee_and_customer_filters(fw, login):
    assert _q(login, fw, f"team={fw.team_a}") == {fw.new_p1}
    assert _q(login, fw, f"team={fw.team_b}") == {fw.open_crisis}
    assert _q(login, fw, f"assignee={fw.agent}") == {fw.new_p1}
    assert _q(login, fw, "assignee=none") == {fw.open_crisis, fw.pending}
    assert _q(login, fw, f"customer={fw.c1}") == {fw.new_p1, fw.pending}
    assert _q(login, fw, f"customer={fw.c2}&status=any") == {fw.open_crisis, fw.resolved, fw.closed}


def test_garbage_filter_values_are_ignored(fw, login):
    assert _q(login, fw, "kind=zzz&severity=p9&category=abc&team=x&assignee=y&sort=up") == {
        fw.new_p1,
        fw.open_crisis,
        fw.pending,
    }


def test_customer_filter_shows_a_way_back(fw, login):
    html = login(fw.lead).get(f"/tickets/?scope=all&customer={fw.c1}").get_data(as_text=True)
    assert "Showing one customer's tickets." in html_lib.unescape(html)
    assert f'name="customer" value="{fw.c1}"' in html


# ----------------------------------------------------------------- search


def _search_world(now) -> SimpleNamespace:
    w = SimpleNamespace()
    w.lead = factories.make_user(Role.LEAD)
    mk = factories.make_ticket
    w.lid = mk(
        actor_id=w.lead, subject="Broken bottle", description="The LID was cracked.", now=now
    )
    w.box = mk(actor_id=w.lead, subject="Broken box", description="Corner crushed.", now=now)
    w.pct = mk(actor_id=w.lead, subject="Wants 50% refund", description="Price issue.", now=now)
    w.five = mk(actor_id=w.lead, subject="Wants 500 refund", description="Price issue.", now=now)
    w.under = mk(actor_id=w.lead, subject="Field order_ref empty", description="Form.", now=now)
    w.nounder = mk(actor_id=w.lead, subject="Field orderXref empty", description="Form.", now=now)
    w.box_ref = db.session.get(Ticket, w.box).reference
    return w


@pytest.fixture
def qw(build, now):
    return build(_search_world, now)


def _search(login, w, q: str) -> set[int]:
    from urllib.parse import quote

    return set(_ids(login(w.lead).get(f"/tickets/?scope=all&q={quote(q)}")))


def test_search_words_are_anded_over_subject_and_description(qw, login):
    assert _search(login, qw, "broken") == {qw.lid, qw.box}
    assert _search(login, qw, "broken lid") == {qw.lid}  # "lid" only in description
    assert _search(login, qw, "lid broken") == {qw.lid}
    assert _search(login, qw, "broken crushed") == {qw.box}
    assert _search(login, qw, "broken nowhere") == set()


def test_search_is_case_insensitive(qw, login):
    assert _search(login, qw, "BROKEN") == {qw.lid, qw.box}
    assert _search(login, qw, "cRaCkEd") == {qw.lid}


def test_search_treats_percent_and_underscore_literally(qw, login):
    assert _search(login, qw, "50%") == {qw.pct}
    assert _search(login, qw, "%") == {qw.pct}
    assert _search(login, qw, "order_ref") == {qw.under}
    assert _search(login, qw, "_") == {qw.under}
    assert _search(login, qw, "\\") == set()


def test_search_by_reference(qw, login):
    assert _search(login, qw, qw.box_ref) == {qw.box}
    assert _search(login, qw, qw.box_ref.lower()) == {qw.box}
    assert _search(login, qw, "TD-999999") == set()


def test_search_is_kept_in_the_form(qw, login):
    html = login(qw.lead).get("/tickets/?scope=all&q=broken+lid").get_data(as_text=True)
    assert 'value="broken lid"' in html


# ----------------------------------------------------------------- sorting and pages


def _sort_world(now) -> SimpleNamespace:
    w = SimpleNamespace()
    w.lead = factories.make_user(Role.LEAD)
    mk = factories.make_ticket
    # Created in this order, one hour apart.
    w.t1 = mk(actor_id=w.lead, severity=Severity.P3, now=now)
    w.t2 = mk(actor_id=w.lead, severity=Severity.P1, now=now + timedelta(hours=1))
    w.t3 = mk(actor_id=w.lead, severity=Severity.P4, now=now + timedelta(hours=2))
    w.t4 = mk(actor_id=w.lead, severity=Severity.P1, now=now + timedelta(hours=3))
    # The oldest ticket gets the latest activity.
    conversation.reply(
        db.session.get(Ticket, w.t1),
        actor=db.session.get(User, w.lead),
        body="Update",
        expected_version=None,
        now=now + timedelta(hours=5),
    )
    return w


@pytest.fixture
def ow(build, now):
    return build(_sort_world, now)


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("", ["t2", "t4", "t1", "t3"]),  # default: urgency
        ("urgency", ["t2", "t4", "t1", "t3"]),
        ("newest", ["t4", "t3", "t2", "t1"]),
        ("oldest", ["t1", "t2", "t3", "t4"]),
        ("activity", ["t1", "t4", "t3", "t2"]),
        ("reference", ["t1", "t2", "t3", "t4"]),
    ],
)
def test_sort_options(ow, login, sort, expected):
    ids = _ids(login(ow.lead).get(f"/tickets/?scope=all&sort={sort}"))
    assert ids == [getattr(ow, name) for name in expected]


def test_pagination(app, build, login, now):
    lead = build(factories.make_user, Role.LEAD)
    ids = [
        build(factories.make_ticket, actor_id=lead, now=now + timedelta(minutes=i))
        for i in range(7)
    ]
    client = login(lead)
    first = client.get("/tickets/?scope=all&sort=oldest&per_page=5")
    second = client.get("/tickets/?scope=all&sort=oldest&per_page=5&page=2")
    assert _ids(first) == ids[:5]
    assert _ids(second) == ids[5:]
    first_html = first.get_data(as_text=True)
    assert "7 tickets" in first_html
    assert "Page 1 of 2" in first_html
    # The next link keeps the filters.
    next_link = re.search(r'href="([^"]*page=2[^"]*)"', first_html).group(1).replace("&amp;", "&")
    assert "per_page=5" in next_link and "sort=oldest" in next_link and "scope=all" in next_link
    assert _ids(client.get(next_link)) == ids[5:]
    assert "Page 2 of 2" in second.get_data(as_text=True)
    # Past the end: an empty page, not an error.
    assert _ids(client.get("/tickets/?scope=all&per_page=5&page=9")) == []
    # The configured page size is the default.
    app.config["QUEUE_PAGE_SIZE"] = 3
    assert _ids(client.get("/tickets/?scope=all&sort=oldest")) == ids[:3]
    assert _ids(client.get("/tickets/?scope=all&sort=oldest&page=3")) == ids[6:]
    # Nonsense page numbers and sizes fall back to sane values.
    assert _ids(client.get("/tickets/?scope=all&sort=oldest&page=-4&per_page=0")) == ids[:3]
    assert _ids(client.get("/tickets/?scope=all&sort=oldest&page=x&per_page=-2")) == ids[:1]


# ----------------------------------------------------------------- constant query count


def _varied_tickets(count: int, start: int, lead_id: int, now) -> None:
    """Tickets with distinct customers, teams, assignees and categories."""
    slugs = [
        "missing_short_shipment",
        "damaged_defective",
        "wrong_item",
        "late_delivery",
        "billing_payment",
        "service_attitude",
        "solution_failure",
        "other",
    ]
    for i in range(start, start + count):
        team = factories.make_team(f"Queue team {i}")
        agent = factories.make_user(Role.AGENT, team_ids=(team,))
        customer = factories.make_customer(f"Customer no {i}")
        factories.make_ticket(
            actor_id=lead_id,
            customer_id=customer,
            team_id=team,
            assignee_id=agent,
            category=slugs[i % len(slugs)],
            severity=list(Severity)[i % 4],
            now=now + timedelta(minutes=i),
        )


def _count_queries(query_counter, client, url: str) -> tuple[int, list[int]]:
    with query_counter() as queries:
        resp = client.get(url)
    return queries.count, _ids(resp)


def test_queue_runs_a_constant_number_of_queries(query_counter, build, login, now):
    lead = build(factories.make_user, Role.LEAD)
    build(_varied_tickets, 5, 0, lead, now)
    client = login(lead)
    small, small_ids = _count_queries(query_counter, client, "/tickets/?scope=all&per_page=5")
    assert len(small_ids) == 5

    build(_varied_tickets, 45, 5, lead, now)
    large, large_ids = _count_queries(query_counter, client, "/tickets/?scope=all&per_page=50")
    assert len(large_ids) == 50
    assert large == small, f"{small} queries for 5 tickets but {large} for 50"

    # Each row really shows its own customer, team, assignee and category.
    html = client.get("/tickets/?scope=all&per_page=50").get_data(as_text=True)
    assert "Customer no 0" in html and "Customer no 49" in html
    assert "Queue team 49" in html


def test_account_manager_queue_counts_are_constant_too(query_counter, build, login, now):
    am = build(factories.make_user, Role.ACCOUNT_MANAGER)
    lead = build(factories.make_user, Role.LEAD)

    def managed(count):
        for _ in range(count):
            customer = factories.make_customer(account_manager_id=am)
            factories.make_ticket(actor_id=lead, customer_id=customer, now=now)

    build(managed, 2)
    client = login(am)
    small, ids = _count_queries(query_counter, client, "/tickets/")
    assert len(ids) == 2
    build(managed, 10)
    large, ids = _count_queries(query_counter, client, "/tickets/")
    assert len(ids) == 12
    assert large == small


def test_queue_customer_names_are_escaped(build, login, now):
    lead = build(factories.make_user, Role.LEAD)
    customer = build(factories.make_customer, "<b>Bold & Co</b>")
    build(factories.make_ticket, actor_id=lead, customer_id=customer, now=now)
    html = login(lead).get("/tickets/?scope=all").get_data(as_text=True)
    assert "<b>Bold" not in html
    assert "&lt;b&gt;Bold &amp; Co&lt;/b&gt;" in html
