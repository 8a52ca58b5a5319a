"""Routing screens: the rule list and form, moving and deleting rules, the fallback team, the
dry run, availability with bulk re-routing, and the ticket page's re-route and watch buttons."""

import html as html_lib
import re
from datetime import date

import pytest
import sqlalchemy as sa

from tests import factories
from tests.support import field_error
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import (
    AssignStrategy,
    AwayReason,
    CauseSide,
    Channel,
    CustomerTier,
    NotifyTarget,
    Role,
    RoutingRule,
    Severity,
    Standing,
    Team,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketWatcher,
    User,
)
from ticketdesk.services.people import availability
from ticketdesk.services.routing import engine as routing
from ticketdesk.services.routing import rules as routing_rules
from ticketdesk.services.routing.rules import RuleData

FUTURE = date(2099, 1, 5)


# ----------------------------------------------------------------- helpers


def _text(html: str) -> str:
    """The page as text: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _by_id(html: str, element_id: str) -> str:
    match = re.search(r'id="%s"[^>]*>(.*?)</dd>' % re.escape(element_id), html, re.S)
    assert match, f"no #{element_id}"
    return _text(match.group(1))


def _rules(build) -> list[dict]:
    def load():
        return [
            {
                "id": r.id,
                "name": r.name,
                "position": r.position,
                "active": r.active,
                "continue_after": r.continue_after,
                "conditions": r.conditions,
                "team_id": r.team_id,
                "strategy": r.strategy,
                "assignee_id": r.assignee_id,
                "raise_severity": r.raise_severity,
                "watch_account_manager": r.watch_account_manager,
                "watch_lead": r.watch_lead,
                "notify": r.notify,
            }
            for r in routing.list_rules()
        ]

    return build(load)


def _ticket(build, ticket_id: int) -> dict:
    def load():
        t = db.session.get(Ticket, ticket_id)
        return {
            "team_id": t.team_id,
            "assignee_id": t.assignee_id,
            "version": t.version,
            "severity": t.severity,
        }

    return build(load)


def _watchers(build, ticket_id: int) -> dict[int, str | None]:
    def load():
        return {
            w.user_id: w.rule_name
            for w in db.session.scalars(
                sa.select(TicketWatcher).where(TicketWatcher.ticket_id == ticket_id)
            )
        }

    return build(load)


def _count(build, model) -> int:
    return build(lambda: db.session.scalar(sa.select(sa.func.count()).select_from(model)))


def _ids(resp) -> list[int]:
    assert resp.status_code == 200, resp.status_code
    return [int(i) for i in re.findall(r'href="/tickets/(\d+)"', resp.get_data(as_text=True))]


def _add_rule(build, lead_id: int, now, **fields) -> int:
    def make():
        data = RuleData(**{"name": "Rule", **fields})
        return routing_rules.create_rule(actor=db.session.get(User, lead_id), data=data, now=now).id

    return build(make)


def _set_away(build, lead_id: int, user_id: int, now, back_on=None) -> None:
    def mark():
        availability.set_away(
            db.session.get(User, user_id),
            actor=db.session.get(User, lead_id),
            reason=AwayReason.HOLIDAY,
            back_on=back_on,
            note="",
            now=utcnow(),
        )

    build(mark)


@pytest.fixture
def world(build):
    """Two teams (Front desk is older), a lead of both, three agents, an account manager and an
    administrator."""

    def make():
        front = factories.make_team("Front desk")
        key = factories.make_team("Key accounts")
        w = dict(front=front, key=key)
        w["lead"] = factories.make_user(Role.LEAD, name="Lee Lead", team_ids=(front, key))
        w["mia"] = factories.make_user(Role.AGENT, name="Mia Key", team_ids=(key,))
        w["noor"] = factories.make_user(Role.AGENT, name="Noor Key", team_ids=(key,))
        w["fred"] = factories.make_user(Role.AGENT, name="Fred Front", team_ids=(front,))
        w["am"] = factories.make_user(Role.ACCOUNT_MANAGER, name="Ada Manager")
        w["admin"] = factories.make_user(Role.ADMIN, name="Root Admin")
        w["big"] = factories.make_customer(
            "Big Buyer BV", tier=CustomerTier.STRATEGIC, account_manager_id=w["am"]
        )
        w["small"] = factories.make_customer("Small Shop", account_manager_id=w["am"])
        return w

    return build(make)


RULE_FORM = {
    "name": "Strategic crises to key accounts",
    "active": "y",
    "continue_after": "y",
    "kinds": ["crisis"],
    "tiers": ["strategic"],
    "keywords": "recall, Leak\nmould, leak",
    "strategy": "round_robin",
    "raise_severity": "p2",
    "watch_lead": "y",
    "notify": ["leads", "account_manager"],
    "assignee_id": "",
}


# ----------------------------------------------------------------- the rule list and form


def test_create_rule(world, build, login):
    client = login(world["lead"])
    assert client.get("/routing/new").status_code == 200
    resp = client.post("/routing/new", data={**RULE_FORM, "team_id": str(world["key"])})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/routing/")
    [rule] = _rules(build)
    assert rule["name"] == "Strategic crises to key accounts"
    assert rule["position"] == 1 and rule["active"] and rule["continue_after"]
    assert rule["conditions"] == {
        "kinds": ["crisis"],
        "tiers": ["strategic"],
        "keywords": ["recall", "Leak", "mould"],
    }
    assert rule["team_id"] == world["key"] and rule["strategy"] is AssignStrategy.ROUND_ROBIN
    assert rule["raise_severity"] is Severity.P2 and rule["watch_lead"]
    assert not rule["watch_account_manager"]
    assert rule["notify"] == ["leads", "account_manager"]

    page = _text(client.get("/routing/").get_data(as_text=True))
    assert "1. Strategic crises to key accounts" in page
    assert "then continue" in page
    assert "Kind: Crisis" in page and "Customer tier: Strategic" in page
    assert "“recall”, “Leak”, “mould”" in page
    assert "Team Key accounts: Round-robin over available agents" in page
    assert "Raise severity to P2 · high" in page
    assert "Notify: The team's leads, The account manager" in page


def test_a_rule_names_its_categories_by_slug(world, build, login):
    """The form ticks categories by slug and stores them under ``categories``, the key
    playbooks use (docs/rules.md, section 19); the list and the form show them by name."""
    client = login(world["lead"])
    resp = client.post(
        "/routing/new",
        data={
            "name": "Shipping",
            "categories": ["wrong_item", "late_delivery"],
            "team_id": str(world["key"]),
            "strategy": "none",
        },
    )
    assert resp.status_code == 302
    [rule] = _rules(build)
    assert rule["conditions"] == {"categories": ["wrong_item", "late_delivery"]}
    page = _text(client.get("/routing/").get_data(as_text=True))
    assert "Category: Wrong item, Late delivery" in page
    html = client.get(f"/routing/{rule['id']}/edit").get_data(as_text=True)
    assert re.search(
        r'<input[^>]*checked[^>]*value="late_delivery"'
        r'|<input[^>]*value="late_delivery"[^>]*checked',
        html,
    )
    resp = client.post(
        "/routing/new",
        data={
            "name": "Nowhere",
            "categories": ["no_such_category"],
            "team_id": str(world["key"]),
            "strategy": "none",
        },
    )
    assert resp.status_code == 200
    assert field_error(resp.get_data(as_text=True), "categories")


def test_invalid_rule_shows_the_error_on_its_field_and_saves_nothing(world, build, login):
    client = login(world["lead"])
    # A named person is required for "a named person".
    resp = client.post(
        "/routing/new", data={**RULE_FORM, "team_id": str(world["key"]), "strategy": "user"}
    )
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert field_error(html, "assignee_id") == "Choose the person who gets these tickets."
    assert 'value="Strategic crises to key accounts"' in html  # the input is kept
    # Somebody from another team.
    resp = client.post(
        "/routing/new",
        data={
            **RULE_FORM,
            "team_id": str(world["key"]),
            "strategy": "user",
            "assignee_id": str(world["fred"]),
        },
    )
    assert (
        field_error(resp.get_data(as_text=True), "assignee_id")
        == "Fred Front is not a member of Key accounts."
    )
    # A rule that does nothing.
    resp = client.post(
        "/routing/new",
        data={"name": "Idle", "kinds": ["crisis"], "strategy": "none", "team_id": ""},
    )
    assert field_error(resp.get_data(as_text=True), "team_id").startswith("A rule must do")
    # A value that is not one of the choices (form shape).
    resp = client.post(
        "/routing/new", data={**RULE_FORM, "team_id": str(world["key"]), "kinds": ["riot"]}
    )
    assert resp.status_code == 200 and field_error(resp.get_data(as_text=True), "kinds")
    assert _rules(build) == []


def test_duplicate_name_is_a_name_error(world, build, login, now):
    _add_rule(build, world["lead"], now, name="Crises", kinds=("crisis",), team_id=world["key"])
    resp = login(world["lead"]).post(
        "/routing/new", data={**RULE_FORM, "name": "crises", "team_id": str(world["key"])}
    )
    assert field_error(resp.get_data(as_text=True), "name") == "Another rule has this name."
    assert [r["name"] for r in _rules(build)] == ["Crises"]


def test_edit_rule(world, build, login, now):
    rule_id = _add_rule(
        build,
        world["lead"],
        now,
        name="Crises",
        kinds=("crisis",),
        keywords=("recall", "leak"),
        team_id=world["key"],
        strategy=AssignStrategy.FEWEST_OPEN,
    )
    client = login(world["admin"])
    html = client.get(f"/routing/{rule_id}/edit").get_data(as_text=True)
    assert re.search(
        r'<input[^>]*checked[^>]*value="crisis"|<input[^>]*value="crisis"[^>]*checked', html
    )
    assert "recall, leak" in html
    resp = client.post(
        f"/routing/{rule_id}/edit",
        data={
            "name": "Crises from strategic customers",
            "kinds": ["crisis"],
            "tiers": ["strategic"],
            "keywords": "",
            "team_id": str(world["key"]),
            "strategy": "user",
            "assignee_id": str(world["noor"]),
            "raise_severity": "",
            "watch_account_manager": "y",
        },
    )
    assert resp.status_code == 302
    [rule] = _rules(build)
    assert rule["name"] == "Crises from strategic customers"
    assert not rule["active"]  # an unticked box switches the rule off
    assert rule["conditions"] == {"kinds": ["crisis"], "tiers": ["strategic"]}
    assert rule["strategy"] is AssignStrategy.USER and rule["assignee_id"] == world["noor"]
    assert rule["watch_account_manager"] and not rule["watch_lead"]
    assert login(world["lead"]).get("/routing/999/edit").status_code == 404


def test_move_rules(world, build, login, now):
    ids = [
        _add_rule(build, world["lead"], now, name=name, team_id=world["key"])
        for name in ("First", "Second", "Third")
    ]
    client = login(world["lead"])
    assert client.post(f"/routing/{ids[2]}/move", data={"direction": "up"}).status_code == 302
    assert [r["name"] for r in _rules(build)] == ["First", "Third", "Second"]
    client.post(f"/routing/{ids[0]}/move", data={"direction": "down"})
    assert [r["name"] for r in _rules(build)] == ["Third", "First", "Second"]
    assert [r["position"] for r in _rules(build)] == [1, 2, 3]
    # Off the top: a message, no change.
    resp = client.post(f"/routing/{ids[2]}/move", data={"direction": "up"}, follow_redirects=True)
    assert "The rule cannot move further." in resp.get_data(as_text=True)
    assert client.post(f"/routing/{ids[1]}/move", data={"direction": "sideways"}).status_code == 400
    assert [r["name"] for r in _rules(build)] == ["Third", "First", "Second"]


def test_delete_rule(world, build, login, now):
    ids = [
        _add_rule(build, world["lead"], now, name=name, team_id=world["key"])
        for name in ("First", "Second", "Third")
    ]
    html = login(world["lead"]).get("/routing/").get_data(as_text=True)
    assert f'action="/routing/{ids[1]}/delete"' in html
    resp = login(world["lead"]).post(f"/routing/{ids[1]}/delete", follow_redirects=True)
    assert "Rule “Second” deleted." in resp.get_data(as_text=True)
    assert [(r["name"], r["position"]) for r in _rules(build)] == [("First", 1), ("Third", 2)]
    assert login(world["lead"]).post(f"/routing/{ids[1]}/delete").status_code == 404


def test_fallback_team(world, build, login, now):
    def fallback():
        return [t.id for t in db.session.scalars(sa.select(Team).where(Team.is_fallback))]

    client = login(world["lead"])
    page = _text(client.get("/routing/").get_data(as_text=True))
    assert "go to the oldest team, Front desk" in page
    assert client.post("/routing/fallback", data={"team_id": str(world["key"])}).status_code == 302
    assert build(fallback) == [world["key"]]
    assert "Tickets no rule gives a team go to Key accounts." in _text(
        client.get("/routing/").get_data(as_text=True)
    )
    # New tickets no rule routes go there.
    ticket = build(
        factories.make_ticket, actor_id=world["lead"], customer_id=world["small"], now=now
    )
    assert _ticket(build, ticket)["team_id"] == world["key"]
    # Empty: back to the oldest team.
    client.post("/routing/fallback", data={"team_id": ""})
    assert build(fallback) == []
    resp = client.post("/routing/fallback", data={"team_id": "9999"}, follow_redirects=True)
    assert "No such team." in resp.get_data(as_text=True) and build(fallback) == []


# ----------------------------------------------------------------- the dry run


def _dry_run_rules(build, world, now) -> dict:
    lead = world["lead"]
    return dict(
        watch=_add_rule(
            build,
            lead,
            now,
            name="Every crisis: a lead watches",
            kinds=("crisis",),
            watch_lead=True,
            notify=("leads",),
            continue_after=True,
        ),
        key=_add_rule(
            build,
            lead,
            now,
            name="Strategic to key accounts",
            tiers=("strategic",),
            team_id=world["key"],
            strategy=AssignStrategy.FEWEST_OPEN,
            watch_account_manager=True,
            raise_severity=Severity.P2,
        ),
        late=_add_rule(build, lead, now, name="Never reached", team_id=world["front"]),
    )


def _trace_rows(html: str) -> list[tuple[str, str]]:
    table = re.search(r'<table[^>]*id="traces".*?</table>', html, re.S).group(0)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]
    return [
        tuple(_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[:2]) for row in rows
    ]


def test_dry_run_shows_the_decision_of_routing_decide(world, build, login, now):
    _dry_run_rules(build, world, now)
    query = {
        "kind": "crisis",
        "severity": "p3",
        "channel": "phone",
        "tier": "strategic",
        "standing": "qualification_pending",
        "cause_side": "unknown",
        "account_manager_id": str(world["am"]),
        "subject": "Oil recall",
        "description": "All bottles leak",
        "ticket": "",
    }
    before = (_count(build, Ticket), _count(build, TicketEvent), _count(build, TicketWatcher))
    resp = login(world["lead"]).get("/routing/dry-run", query_string=query)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)

    def expected():
        d = routing.decide(
            routing.Sample(
                kind=TicketKind.CRISIS,
                category_id=None,
                severity=Severity.P3,
                channel=Channel.PHONE,
                tier=CustomerTier.STRATEGIC,
                standing=Standing.QUALIFICATION_PENDING,
                cause_side=CauseSide.UNKNOWN,
                subject="Oil recall",
                description="All bottles leak",
                account_manager_id=world["am"],
            ),
            now=utcnow(),
        )
        names = {u.id: u.name for u in db.session.scalars(sa.select(User))}
        return dict(
            team=d.team_name,
            assignee=d.assignee_name,
            severity=d.severity,
            traces=[(t.name, "matched" if t.matched else "no match") for t in d.traces],
            watchers=[names[i] for i in d.watcher_ids],
            notified=[names[i] for i in d.notify_ids],
        )

    exp = build(expected)
    # What decide says, spelled out independently of it.
    assert exp["team"] == "Key accounts" and exp["assignee"] in ("Mia Key", "Noor Key")
    assert exp["severity"] is Severity.P2
    assert exp["traces"] == [
        ("Every crisis: a lead watches", "matched"),
        ("Strategic to key accounts", "matched"),
    ]
    assert sorted(exp["watchers"]) == ["Ada Manager", "Lee Lead"]
    # The page shows exactly that.
    assert _by_id(html, "result-team").startswith("Key accounts")
    assert "rule “Strategic to key accounts”" in _by_id(html, "result-team")
    assert _by_id(html, "result-assignee").startswith(exp["assignee"])
    assert "Agent with the fewest open tickets" in _by_id(html, "result-assignee")
    assert _by_id(html, "result-severity") == "P2 · high"
    for name in exp["watchers"]:
        assert name in _by_id(html, "result-watchers")
    for name in exp["notified"]:
        assert name in _by_id(html, "result-notified")
    assert _trace_rows(html) == exp["traces"]
    assert "Not checked, because an earlier matching rule ends routing: Never reached." in _text(
        html
    )
    # Read only.
    assert (
        _count(build, Ticket),
        _count(build, TicketEvent),
        _count(build, TicketWatcher),
    ) == before


def test_dry_run_without_a_matching_rule_names_the_fallback(world, build, login, now):
    _dry_run_rules(build, world, now)
    build(
        lambda: routing_rules.set_fallback_team(
            actor=db.session.get(User, world["lead"]), team_id=world["key"]
        )
    )
    client = login(world["admin"])
    _add = {
        "kind": "complaint",
        "tier": "standard",
        "channel": "web",
        "severity": "p4",
        "standing": "preferred",
        "cause_side": "unknown",
    }
    # Switch the catch-all rule off, so no rule names a team.
    rules = _rules(build)
    build(
        lambda: routing_rules.update_rule(
            db.session.get(RoutingRule, rules[2]["id"]),
            actor=db.session.get(User, world["lead"]),
            data=RuleData(name="Never reached", active=False, team_id=world["front"]),
            now=now,
        )
    )
    html = client.get("/routing/dry-run", query_string=_add).get_data(as_text=True)
    assert _trace_rows(html) == [
        ("Every crisis: a lead watches", "no match"),
        ("Strategic to key accounts", "no match"),
    ]
    assert _by_id(html, "result-team").startswith("Key accounts (fallback team)")
    assert "No rule chose a team; the fallback team Key accounts takes it." in _text(html)
    assert "1 rule not in use was skipped." in _text(html)


def test_dry_run_takes_the_sample_from_a_ticket(world, build, login, now):
    ticket = build(
        factories.make_ticket,
        actor_id=world["lead"],
        customer_id=world["big"],
        kind=TicketKind.CRISIS,
        now=now,
    )
    _dry_run_rules(build, world, now)
    reference = build(lambda: db.session.get(Ticket, ticket).reference)
    html = (
        login(world["lead"])
        .get("/routing/dry-run", query_string={"ticket": reference.lower()})
        .get_data(as_text=True)
    )
    assert f"What routing would do with {reference} now" in _text(html)
    assert _trace_rows(html) == [
        ("Every crisis: a lead watches", "matched"),
        ("Strategic to key accounts", "matched"),
    ]

    def expected():
        t = db.session.get(Ticket, ticket)
        return routing.decide(routing.Sample.of(t), now=utcnow(), exclude_ticket_id=t.id).team_name

    assert _by_id(html, "result-team").startswith(build(expected))
    # The form now shows the ticket's details.
    assert re.search(
        r'<option selected value="strategic">|<option value="strategic" selected', html
    )
    # Unknown reference: a field error, no result.
    html = (
        login(world["lead"])
        .get("/routing/dry-run", query_string={"ticket": "TD-999999"})
        .get_data(as_text=True)
    )
    assert field_error(html, "ticket") == "No ticket has this reference."
    assert 'id="result"' not in html
    # Administrators see no tickets, so they cannot borrow one.
    html = (
        login(world["admin"])
        .get("/routing/dry-run", query_string={"ticket": reference})
        .get_data(as_text=True)
    )
    assert field_error(html, "ticket") == "You do not have access to this ticket."


# ----------------------------------------------------------------- availability


def test_mark_away_and_back(world, build, login):
    client = login(world["lead"])
    resp = client.post(
        f"/routing/availability/{world['mia']}/away",
        data={"reason": "holiday", "back_on": FUTURE.isoformat(), "note": "Lisbon"},
    )
    assert resp.status_code == 302
    user = build(
        lambda: (lambda u: (u.away_reason, u.away_until.date(), u.away_note))(
            db.session.get(User, world["mia"])
        )
    )
    assert user == (AwayReason.HOLIDAY, FUTURE, "Lisbon")
    page = _text(client.get("/routing/availability").get_data(as_text=True))
    assert "Mia Key is on holiday, back on" in page and "Lisbon" in page
    assert "Mark Mia Key back" in page

    # A day of return in the past: the error on its field, nothing saved.
    resp = client.post(
        f"/routing/availability/{world['noor']}/away",
        data={"reason": "sick", "back_on": "2020-01-01", "note": ""},
    )
    assert resp.status_code == 200
    assert (
        field_error(resp.get_data(as_text=True), f"back_on-{world['noor']}")
        == "The day of return must be in the future."
    )
    assert build(lambda: db.session.get(User, world["noor"]).away_reason) is None

    assert client.post(f"/routing/availability/{world['mia']}/back").status_code == 302
    assert build(lambda: db.session.get(User, world["mia"]).away_reason) is None
    # Administrators take no tickets: not marked, and told why.
    resp = client.post(
        f"/routing/availability/{world['admin']}/away", data={"reason": "other", "note": ""}
    )
    assert "Only agents and leads take tickets." in resp.get_data(as_text=True)
    assert build(lambda: db.session.get(User, world["admin"]).away_reason) is None


def test_bulk_reroute_moves_an_away_agents_tickets(world, build, login, now):
    _add_rule(
        build,
        world["lead"],
        now,
        name="All to key accounts",
        team_id=world["key"],
        strategy=AssignStrategy.FEWEST_OPEN,
    )
    held = [
        build(
            factories.make_ticket,
            actor_id=world["lead"],
            customer_id=world["small"],
            team_id=world["key"],
            assignee_id=world["mia"],
            subject=f"Held {i}",
            now=now,
        )
        for i in range(2)
    ]
    _set_away(build, world["lead"], world["mia"], now, back_on=FUTURE)

    client = login(world["lead"])
    queue = _text(client.get("/tickets/").get_data(as_text=True))
    assert "2 open tickets are held by people who are away." in queue
    page = client.get("/routing/availability").get_data(as_text=True)
    for tid in held:
        assert f'name="ticket_ids" value="{tid}"' in page

    resp = client.post(
        "/routing/reroute", data={"ticket_ids": [str(t) for t in held]}, follow_redirects=True
    )
    assert "2 tickets re-routed by the rules." in resp.get_data(as_text=True)
    for tid in held:
        assert _ticket(build, tid)["assignee_id"] == world["noor"]
        assert _ticket(build, tid)["team_id"] == world["key"]
    assert "held by people who are away" not in _text(
        client.get("/tickets/").get_data(as_text=True)
    )
    # Nothing chosen: a message.
    resp = client.post("/routing/reroute", data={}, follow_redirects=True)
    assert "Choose at least one ticket." in resp.get_data(as_text=True)


# ----------------------------------------------------------------- the ticket page


def test_ticket_page_reroute(world, build, login, now):
    ticket = build(
        factories.make_ticket,
        actor_id=world["lead"],
        customer_id=world["small"],
        team_id=world["key"],
        assignee_id=world["mia"],
        now=now,
    )
    _add_rule(
        build,
        world["lead"],
        now,
        name="All to key accounts",
        team_id=world["key"],
        strategy=AssignStrategy.FEWEST_OPEN,
    )
    _set_away(build, world["lead"], world["mia"], now)
    client = login(world["noor"])
    html = client.get(f"/tickets/{ticket}").get_data(as_text=True)
    assert "Mia Key is on holiday — re-route or reassign this ticket." in _text(html)
    assert f'action="/tickets/{ticket}/reroute"' in html
    version = _ticket(build, ticket)["version"]

    # A stale version: refused, nothing changes.
    resp = client.post(f"/tickets/{ticket}/reroute", data={"version": str(version - 1)})
    assert resp.status_code == 409 and _ticket(build, ticket)["assignee_id"] == world["mia"]

    resp = client.post(
        f"/tickets/{ticket}/reroute", data={"version": str(version)}, follow_redirects=True
    )
    page = _text(resp.get_data(as_text=True))
    assert "Re-routed by the rules to Noor Key in Key accounts." in page
    assert _ticket(build, ticket)["assignee_id"] == world["noor"]
    assert "Routing rule “All to key accounts”: team Key accounts" in page
    assert "is on holiday" not in page
    # Account managers may watch but not re-route.
    assert (
        login(world["am"])
        .post(f"/tickets/{ticket}/reroute", data={"version": str(version + 1)})
        .status_code
        == 403
    )


def test_fallback_event_is_readable(world, build, login, now):
    ticket = build(
        factories.make_ticket, actor_id=world["lead"], customer_id=world["small"], now=now
    )
    page = _text(login(world["lead"]).get(f"/tickets/{ticket}").get_data(as_text=True))
    assert "Fallback team: No rule chose a team; the fallback team Front desk takes it." in page


def test_watch_and_unwatch(world, build, login, now):
    ticket = build(
        factories.make_ticket,
        actor_id=world["lead"],
        customer_id=world["small"],
        team_id=world["front"],
        now=now,
    )
    client = login(world["am"])
    assert "Nobody watches this ticket." in client.get(f"/tickets/{ticket}").get_data(as_text=True)
    resp = client.post(f"/tickets/{ticket}/watch", follow_redirects=True)
    assert "You watch this ticket" in resp.get_data(as_text=True)
    assert _watchers(build, ticket) == {world["am"]: None}
    html = client.get(f"/tickets/{ticket}").get_data(as_text=True)
    assert "Ada Manager" in _text(html) and f'action="/tickets/{ticket}/unwatch"' in html
    # Twice: nothing changes, still one row (watching is idempotent).
    resp = client.post(f"/tickets/{ticket}/watch", follow_redirects=True)
    assert "You watch this ticket" in resp.get_data(as_text=True)
    assert _watchers(build, ticket) == {world["am"]: None}

    assert client.post(f"/tickets/{ticket}/unwatch").status_code == 302
    assert _watchers(build, ticket) == {}
    # An agent of another team cannot see the ticket, so cannot watch it.
    assert login(world["mia"]).post(f"/tickets/{ticket}/watch").status_code == 403
    assert _watchers(build, ticket) == {}


def test_watchers_added_by_a_rule_say_so(world, build, login, now):
    _add_rule(
        build,
        world["lead"],
        now,
        name="Big buyers",
        tiers=("strategic",),
        watch_account_manager=True,
        notify=(NotifyTarget.LEADS.value,),
    )
    ticket = build(factories.make_ticket, actor_id=world["lead"], customer_id=world["big"], now=now)
    assert _watchers(build, ticket) == {world["am"]: "Big buyers"}
    page = _text(login(world["lead"]).get(f"/tickets/{ticket}").get_data(as_text=True))
    assert "Ada Manager (added by rule “Big buyers”)" in page


def test_watching_queue_lists_only_watched_tickets(world, build, login, now):
    tickets = [
        build(
            factories.make_ticket,
            actor_id=world["lead"],
            customer_id=world["small"],
            team_id=world["front"],
            subject=f"Ticket {i}",
            now=now,
        )
        for i in range(3)
    ]
    for user in ("fred", "am", "lead"):
        client = login(world[user])
        assert _ids(client.get("/tickets/?scope=watching")) == []
        client.post(f"/tickets/{tickets[1]}/watch")
        assert _ids(client.get("/tickets/?scope=watching")) == [tickets[1]]
        html = client.get("/tickets/?scope=watching").get_data(as_text=True)
        assert re.search(r'<option selected value="watching">Watching</option>', html)
    # Someone else's watching does not show up in mine.
    client = login(world["noor"])
    assert _ids(client.get("/tickets/?scope=watching")) == []
    assert login(world["admin"]).get("/tickets/?scope=watching").status_code == 403


# ----------------------------------------------------------------- who may do what


EDITOR_ROUTES = [
    ("get", "/routing/", None),
    ("get", "/routing/new", None),
    ("post", "/routing/new", {"name": "Forbidden", "team_id": "{key}", "strategy": "none"}),
    ("get", "/routing/{rule}/edit", None),
    ("post", "/routing/{rule}/edit", {"name": "Renamed", "team_id": "{key}", "strategy": "none"}),
    ("post", "/routing/{rule}/move", {"direction": "down"}),
    ("post", "/routing/{rule}/delete", {}),
    ("post", "/routing/fallback", {"team_id": "{key}"}),
    ("get", "/routing/dry-run?kind=crisis", None),
]
LEAD_ROUTES = [
    ("get", "/routing/availability", None),
    ("post", "/routing/availability/{mia}/away", {"reason": "holiday", "note": ""}),
    ("post", "/routing/availability/{mia}/back", {}),
    ("post", "/routing/reroute", {"ticket_ids": ["{ticket}"]}),
]


@pytest.fixture
def matrix(world, build, now):
    w = dict(world)
    w["rule"] = _add_rule(build, w["lead"], now, name="Only rule", team_id=w["front"])
    _add_rule(build, w["lead"], now, name="Second rule", team_id=w["front"])
    w["ticket"] = build(
        factories.make_ticket,
        actor_id=w["lead"],
        customer_id=w["small"],
        team_id=w["key"],
        assignee_id=w["mia"],
        now=now,
    )
    return w


def _fill(value, w):
    if isinstance(value, dict):
        return {k: _fill(v, w) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, w) for v in value]
    return value.format(**w) if isinstance(value, str) else value


def _state(build) -> tuple:
    def load():
        rules = [(r.name, r.position) for r in routing.list_rules()]
        fallback = [t.id for t in db.session.scalars(sa.select(Team).where(Team.is_fallback))]
        away = [
            u.id for u in db.session.scalars(sa.select(User).where(User.away_reason.is_not(None)))
        ]
        tickets = [(t.id, t.assignee_id, t.version) for t in db.session.scalars(sa.select(Ticket))]
        return rules, fallback, away, tickets

    return build(load)


def _call(client, method, url, data):
    return client.get(url) if method == "get" else client.post(url, data=data)


@pytest.mark.parametrize("method,url,data", EDITOR_ROUTES)
@pytest.mark.parametrize("role", ["agent", "am"])
def test_rule_screens_refuse_agents_and_account_managers(
    matrix, build, login, role, method, url, data
):
    user = matrix["mia"] if role == "agent" else matrix["am"]
    before = _state(build)
    resp = _call(login(user), method, _fill(url, matrix), _fill(data, matrix))
    assert resp.status_code == 403
    assert _state(build) == before


@pytest.mark.parametrize("method,url,data", EDITOR_ROUTES)
@pytest.mark.parametrize("role", ["lead", "admin"])
def test_rule_screens_let_leads_and_admins_in(matrix, login, role, method, url, data):
    resp = _call(login(matrix[role]), method, _fill(url, matrix), _fill(data, matrix))
    assert resp.status_code == (200 if method == "get" else 302)


@pytest.mark.parametrize("method,url,data", LEAD_ROUTES)
@pytest.mark.parametrize("role", ["admin", "mia", "am"])
def test_availability_is_for_leads_only(matrix, build, login, role, method, url, data):
    if "/back" in url:
        _set_away(build, matrix["lead"], matrix["mia"], None)
    before = _state(build)
    resp = _call(login(matrix[role]), method, _fill(url, matrix), _fill(data, matrix))
    assert resp.status_code == 403
    assert _state(build) == before


@pytest.mark.parametrize("method,url,data", LEAD_ROUTES)
def test_availability_lets_leads_in(matrix, build, login, method, url, data):
    if "/back" in url:
        _set_away(build, matrix["lead"], matrix["mia"], None)
    resp = _call(login(matrix["lead"]), method, _fill(url, matrix), _fill(data, matrix))
    assert resp.status_code == (200 if method == "get" else 302)


@pytest.mark.parametrize("method,url,data", EDITOR_ROUTES + LEAD_ROUTES)
def test_anonymous_users_are_sent_to_login(matrix, client, method, url, data):
    resp = _call(client, method, _fill(url, matrix), _fill(data, matrix))
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize("path", ["reroute", "watch", "unwatch"])
def test_ticket_buttons_refuse_administrators(matrix, build, login, path):
    before = _state(build), _watchers(build, matrix["ticket"])
    resp = login(matrix["admin"]).post(f"/tickets/{matrix['ticket']}/{path}", data={"version": "1"})
    assert resp.status_code == 403
    assert (_state(build), _watchers(build, matrix["ticket"])) == before


def test_agents_may_not_reroute_tickets_they_cannot_see(matrix, build, login):
    before = _state(build)
    version = _ticket(build, matrix["ticket"])["version"]
    resp = login(matrix["fred"]).post(
        f"/tickets/{matrix['ticket']}/reroute", data={"version": str(version)}
    )
    assert resp.status_code == 403 and _state(build) == before


def test_routing_forms_need_the_csrf_token(app, matrix, build, login):
    app.config["WTF_CSRF_ENABLED"] = True
    before = _state(build)
    client = login(matrix["lead"])
    assert client.post("/routing/fallback", data={"team_id": str(matrix["key"])}).status_code == 400
    assert client.post(f"/routing/{matrix['rule']}/delete").status_code == 400
    assert (
        client.post("/routing/reroute", data={"ticket_ids": [str(matrix["ticket"])]}).status_code
        == 400
    )
    assert _state(build) == before


@pytest.mark.parametrize(
    "who, shown", [("lead", True), ("admin", True), ("mia", False), ("am", False)]
)
def test_routing_is_in_the_navigation_for_leads_and_admins_only(world, login, who, shown):
    html = login(world[who]).get("/settings").get_data(as_text=True)
    assert ('href="/routing/"' in html) is shown
