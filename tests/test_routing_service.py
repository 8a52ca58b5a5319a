"""Routing without HTTP: rule order, first match and continue, assignee strategies,
availability, watchers, the fallback team, and dry runs equal to real routing."""

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.factories import load
from ticketdesk.core.errors import DomainError, PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    AssignStrategy,
    AwayReason,
    CauseSide,
    Channel,
    Customer,
    CustomerTier,
    EventKind,
    Notification,
    NotificationKind,
    NotifyTarget,
    Role,
    RoutingRule,
    Severity,
    Standing,
    Team,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
    User,
)
from ticketdesk.services.people import availability
from ticketdesk.services.routing import engine as routing
from ticketdesk.services.routing import rules as routing_rules
from ticketdesk.services.routing.rules import RuleData
from ticketdesk.services.tickets import assignment
from ticketdesk.services.tickets import intake as ticket_intake


@pytest.fixture
def desk(ctx, now):
    """Two teams: front desk (fallback, two agents) and key accounts (three agents, a lead)."""
    front = factories.make_team("Front desk")
    key = factories.make_team("Key accounts")
    a1 = factories.make_user(Role.AGENT, name="Ada", team_ids=(front,))
    a2 = factories.make_user(Role.AGENT, name="Ben", team_ids=(front,))
    k1 = factories.make_user(Role.AGENT, name="Kai", team_ids=(key,))
    k2 = factories.make_user(Role.AGENT, name="Kim", team_ids=(key,))
    k3 = factories.make_user(Role.AGENT, name="Kit", team_ids=(key,))
    lead = factories.make_user(Role.LEAD, name="Lea", team_ids=(front, key))
    am = factories.make_user(Role.ACCOUNT_MANAGER, name="Amy")
    with unit_of_work():
        db.session.get(Team, front).is_fallback = True

    class Desk:
        pass

    d = Desk()
    d.front, d.key, d.a1, d.a2, d.k1, d.k2, d.k3, d.lead, d.am = (
        front,
        key,
        a1,
        a2,
        k1,
        k2,
        k3,
        lead,
        am,
    )
    d.now = now
    return d


def rule(desk, name: str, **kwargs) -> int:
    data = RuleData(name=name, **kwargs)
    return routing_rules.create_rule(actor=load(User, desk.lead), data=data, now=desk.now).id


def intake(
    desk,
    *,
    customer_id=None,
    kind=TicketKind.COMPLAINT,
    severity=Severity.P3,
    subject="Parcel missing",
    description="The parcel never came.",
    when=None,
    actor=None,
) -> Ticket:
    tid = factories.make_ticket(
        actor_id=actor or desk.lead,
        customer_id=customer_id,
        kind=kind,
        severity=severity,
        subject=subject,
        description=description,
        now=when or desk.now,
    )
    return db.session.get(Ticket, tid)


def routing_events(ticket: Ticket) -> list[TicketEvent]:
    return [e for e in ticket.events if e.kind is EventKind.ROUTING]


# ----------------------------------------------------------------- order and matching


def test_first_match_wins_and_names_the_rule(desk):
    rule(desk, "Crises to key", kinds=("crisis",), team_id=desk.key)
    rule(desk, "Everything to front", team_id=desk.front)
    crisis = intake(desk, kind=TicketKind.CRISIS)
    plain = intake(desk)
    assert crisis.team_id == desk.key
    assert [e.new_value for e in routing_events(crisis)] == ["Crises to key"]
    assert plain.team_id == desk.front
    assert [e.new_value for e in routing_events(plain)] == ["Everything to front"]


def test_rule_order_decides_and_can_be_changed(desk):
    first = rule(desk, "All to front", team_id=desk.front)
    second = rule(desk, "All to key", team_id=desk.key)
    assert intake(desk).team_id == desk.front
    routing_rules.move_rule(
        db.session.get(RoutingRule, second), actor=load(User, desk.lead), offset=-1
    )
    assert [r.id for r in routing.list_rules()] == [second, first]
    assert intake(desk).team_id == desk.key


def test_continue_adds_to_later_rules_but_the_first_team_stays(desk):
    rule(
        desk,
        "Lawyers",
        keywords=("lawyer",),
        raise_severity=Severity.P1,
        watch_lead=True,
        continue_after=True,
    )
    rule(desk, "Crises", severities=("p1",), team_id=desk.key)
    rule(desk, "Rest", team_id=desk.front)
    ticket = intake(desk, description="Our LAWYER will call you.")
    assert ticket.severity is Severity.P1  # raised by the first rule ...
    assert ticket.team_id == desk.key  # ... and seen by the second one
    assert [e.new_value for e in routing_events(ticket)] == ["Lawyers", "Crises"]
    assert {w.user_id for w in assignment.watchers(ticket)} == {desk.lead}
    calm = intake(desk, description="Please check the order.")
    assert calm.severity is Severity.P3 and calm.team_id == desk.front


def test_later_rule_does_not_override_the_team_of_a_continuing_rule(desk):
    rule(desk, "Key first", kinds=("complaint",), team_id=desk.key, continue_after=True)
    rule(desk, "Front later", team_id=desk.front, watch_lead=True)
    ticket = intake(desk)
    assert ticket.team_id == desk.key
    assert {w.user_id for w in assignment.watchers(ticket)} == {desk.lead}


def test_severity_is_only_ever_raised(desk):
    rule(desk, "Raise to P2", raise_severity=Severity.P2, team_id=desk.front)
    assert intake(desk, severity=Severity.P1).severity is Severity.P1
    assert intake(desk, severity=Severity.P4).severity is Severity.P2


def test_each_condition_field(desk, now):
    cust_std = factories.make_customer(tier=CustomerTier.STANDARD)
    cust_key = factories.make_customer(tier=CustomerTier.KEY)
    with unit_of_work():
        db.session.get(Customer, cust_key).standing = Standing.PREFERRED
    rule(
        desk, "Preferred key customers", tiers=("key",), standings=("preferred",), team_id=desk.key
    )
    rule(desk, "Other", team_id=desk.front)
    assert intake(desk, customer_id=cust_key).team_id == desk.key
    assert intake(desk, customer_id=cust_std).team_id == desk.front

    sample = routing.Sample(
        kind=TicketKind.COMPLAINT,
        category_id=factories.category_id(),
        severity=Severity.P3,
        channel=Channel.EMAIL,
        tier=CustomerTier.STANDARD,
        standing=Standing.QUALIFICATION_PENDING,
        cause_side=CauseSide.OURS_PRODUCT,
        subject="Broken",
        description="",
    )
    checks = [
        ({"channels": ["email"]}, {"channels": ["phone"]}),
        ({"cause_sides": ["ours_product"]}, {"cause_sides": ["theirs_internal"]}),
        ({"categories": ["other"]}, {"categories": ["late_delivery"]}),
        ({"keywords": ["BROK"]}, {"keywords": ["refund"]}),
        ({"severities": ["p3", "p4"]}, {"severities": ["p1"]}),
    ]
    for good, bad in checks:
        assert routing._match(RoutingRule(name="x", conditions=good), sample)[0], good
        matched, why = routing._match(RoutingRule(name="x", conditions=bad), sample)
        assert not matched and why, bad


def test_keywords_match_chinese_text(desk):
    rule(desk, "Media threat", keywords=("曝光", "journalist"), team_id=desk.key)
    rule(desk, "Other", team_id=desk.front)
    assert intake(desk, description="再不解决我就去媒体曝光").team_id == desk.key


def test_no_matching_rule_goes_to_the_fallback_team_with_an_event(desk):
    rule(desk, "Only crises", kinds=("crisis",), team_id=desk.key)
    ticket = intake(desk)
    assert ticket.team_id == desk.front
    (event,) = routing_events(ticket)
    assert event.new_value is None and "Front desk" in event.body


def test_without_a_marked_fallback_the_oldest_team_takes_it(desk):
    with unit_of_work():
        db.session.get(Team, desk.front).is_fallback = False
    routing_rules.set_fallback_team(actor=load(User, desk.lead), team_id=desk.key)
    assert intake(desk).team_id == desk.key
    routing_rules.set_fallback_team(actor=load(User, desk.lead), team_id=None)
    assert routing.fallback_team().id == min(desk.front, desk.key)


def test_public_complaints_are_routed_too(desk, now):
    rule(
        desk, "Web to key", channels=("web",), team_id=desk.key, strategy=AssignStrategy.ROUND_ROBIN
    )
    ticket = ticket_intake.submit_public_complaint(
        complaint=ticket_intake.PublicComplaint(
            name="Ola",
            email="ola@example.test",
            company="",
            order_reference="",
            description="The parcel was empty.",
        ),
        ip="203.0.113.9",
        now=now,
    )
    assert ticket.team_id == desk.key and ticket.assignee_id == desk.k1
    assert routing_events(ticket)[0].actor_id is None


def test_a_team_chosen_at_intake_is_kept_but_rules_add_watchers(desk):
    rule(
        desk,
        "Everything to key",
        team_id=desk.key,
        strategy=AssignStrategy.ROUND_ROBIN,
        watch_lead=True,
    )
    tid = factories.make_ticket(
        actor_id=desk.lead, team_id=desk.front, assignee_id=desk.a2, now=desk.now
    )
    ticket = db.session.get(Ticket, tid)
    assert (ticket.team_id, ticket.assignee_id) == (desk.front, desk.a2)
    assert {w.user_id for w in assignment.watchers(ticket)} == {desk.lead}


def test_a_person_chosen_at_intake_is_kept_even_when_a_rule_names_a_team(desk):
    loner = factories.make_user(Role.AGENT, name="Lone")  # in no team at all
    rule(desk, "Everything to key", team_id=desk.key, strategy=AssignStrategy.ROUND_ROBIN)
    tid = factories.make_ticket(actor_id=desk.lead, assignee_id=loner, now=desk.now)
    ticket = db.session.get(Ticket, tid)
    assert ticket.assignee_id == loner and ticket.team_id == desk.key


# ----------------------------------------------------------------- strategies


def test_round_robin_is_fair_over_a_thousand_tickets(desk):
    rule(desk, "Key in turn", team_id=desk.key, strategy=AssignStrategy.ROUND_ROBIN)
    sample = routing.Sample.of(intake(desk))
    counts: Counter = Counter()
    order = []
    for _ in range(1000):
        decision = routing.decide(sample, now=desk.now)
        order.append(decision.assignee_id)
        counts[decision.assignee_id] += 1
        db.session.get(Team, desk.key).rr_last_user_id = decision.assignee_id
    db.session.rollback()
    assert set(counts) == {desk.k1, desk.k2, desk.k3}
    assert max(counts.values()) - min(counts.values()) <= 1
    assert order[:6] == [desk.k2, desk.k3, desk.k1, desk.k2, desk.k3, desk.k1]  # k1 took the first


def test_round_robin_through_real_intake_takes_turns_and_skips_away_agents(desk):
    rule(desk, "Key in turn", team_id=desk.key, strategy=AssignStrategy.ROUND_ROBIN)
    got = [intake(desk).assignee_id for _ in range(4)]
    assert got == [desk.k1, desk.k2, desk.k3, desk.k1]
    availability.set_away(
        load(User, desk.k2),
        actor=load(User, desk.k2),
        reason=AwayReason.HOLIDAY,
        back_on=None,
        note="",
        now=desk.now,
    )
    got = [intake(desk).assignee_id for _ in range(4)]
    assert got == [desk.k3, desk.k1, desk.k3, desk.k1]


def test_fewest_open_with_ties_going_to_who_waited_longest(desk):
    rule(desk, "Key by load", team_id=desk.key, strategy=AssignStrategy.FEWEST_OPEN)
    for _ in range(2):
        factories.make_ticket(
            actor_id=desk.lead, team_id=desk.key, assignee_id=desk.k1, now=desk.now
        )
    factories.make_ticket(actor_id=desk.lead, team_id=desk.key, assignee_id=desk.k2, now=desk.now)
    # k3 has none: gets the next one; then k2 and k3 tie at 1 and k2 waited longer.
    first = intake(desk, when=desk.now + timedelta(minutes=1))
    second = intake(desk, when=desk.now + timedelta(minutes=2))
    third = intake(desk, when=desk.now + timedelta(minutes=3))
    assert first.assignee_id == desk.k3
    assert second.assignee_id == desk.k2
    assert third.assignee_id == desk.k3
    # Resolved tickets do not count as load.
    for t in db.session.scalars(sa.select(Ticket).where(Ticket.assignee_id == desk.k1)):
        t.status = TicketStatus.RESOLVED
    db.session.commit()
    assert intake(desk, when=desk.now + timedelta(minutes=4)).assignee_id == desk.k1


def test_fewest_open_skips_away_and_inactive_agents(desk):
    rule(desk, "Key by load", team_id=desk.key, strategy=AssignStrategy.FEWEST_OPEN)
    availability.set_away(
        load(User, desk.k1),
        actor=load(User, desk.lead),
        reason=AwayReason.SICK,
        back_on=None,
        note="flu",
        now=desk.now,
    )
    with unit_of_work():
        load(User, desk.k2).active = False
    assert {intake(desk).assignee_id for _ in range(3)} == {desk.k3}


def test_named_person_away_falls_back_to_fewest_open(desk):
    rule(
        desk, "Kim's accounts", team_id=desk.key, strategy=AssignStrategy.USER, assignee_id=desk.k2
    )
    assert intake(desk).assignee_id == desk.k2
    availability.set_away(
        load(User, desk.k2),
        actor=load(User, desk.k2),
        reason=AwayReason.OTHER,
        back_on=None,
        note="",
        now=desk.now,
    )
    ticket = intake(desk)
    assert ticket.assignee_id in (desk.k1, desk.k3)
    assert "away" in routing_events(ticket)[0].body


def test_nobody_available_leaves_the_ticket_in_the_team_queue(desk):
    rule(desk, "Key in turn", team_id=desk.key, strategy=AssignStrategy.ROUND_ROBIN)
    for uid in (desk.k1, desk.k2, desk.k3):
        availability.set_away(
            load(User, uid),
            actor=load(User, uid),
            reason=AwayReason.HOLIDAY,
            back_on=None,
            note="",
            now=desk.now,
        )
    ticket = intake(desk)
    assert ticket.team_id == desk.key and ticket.assignee_id is None
    assert "Nobody" in routing_events(ticket)[0].body


def test_away_ends_on_the_day_of_return(desk):
    back_on = (desk.now + timedelta(days=2)).date()
    availability.set_away(
        load(User, desk.k1),
        actor=load(User, desk.k1),
        reason=AwayReason.HOLIDAY,
        back_on=back_on,
        note="",
        now=desk.now,
    )
    k1 = load(User, desk.k1)
    assert k1.is_away(desk.now) and k1.is_away(desk.now + timedelta(days=1))
    assert not k1.is_away(desk.now + timedelta(days=3))
    with pytest.raises(DomainError) as err:
        availability.set_away(
            k1,
            actor=k1,
            reason=AwayReason.SICK,
            back_on=(desk.now - timedelta(days=1)).date(),
            note="",
            now=desk.now,
        )
    assert err.value.field == "back_on"


def test_manual_assignment_to_an_away_agent_is_refused(desk):
    ticket = intake(desk)
    availability.set_away(
        load(User, desk.a1),
        actor=load(User, desk.a1),
        reason=AwayReason.HOLIDAY,
        back_on=None,
        note="",
        now=desk.now,
    )
    with pytest.raises(DomainError) as err:
        assignment.assign(
            ticket,
            actor=load(User, desk.lead),
            team_id=desk.front,
            assignee_id=desk.a1,
            expected_version=None,
            now=desk.now,
        )
    assert err.value.field == "assignee_id"


def test_only_leads_set_someone_elses_availability(desk):
    with pytest.raises(PermissionDenied):
        availability.set_away(
            load(User, desk.k1),
            actor=load(User, desk.k2),
            reason=AwayReason.SICK,
            back_on=None,
            note="",
            now=desk.now,
        )
    with pytest.raises(DomainError):
        availability.set_away(
            load(User, desk.am),
            actor=load(User, desk.lead),
            reason=AwayReason.SICK,
            back_on=None,
            note="",
            now=desk.now,
        )


def test_away_agents_tickets_show_for_the_lead_and_reroute_moves_them(desk):
    rule(desk, "Key in turn", team_id=desk.key, strategy=AssignStrategy.ROUND_ROBIN)
    tickets = [intake(desk) for _ in range(3)]
    assert [t.assignee_id for t in tickets] == [desk.k1, desk.k2, desk.k3]
    availability.set_away(
        load(User, desk.k1),
        actor=load(User, desk.lead),
        reason=AwayReason.SICK,
        back_on=None,
        note="",
        now=desk.now,
    )
    people = {p.user.id: p for p in availability.overview(now=desk.now)}
    assert people[desk.k1].away and [t.id for t in people[desk.k1].open_tickets] == [tickets[0].id]
    assert availability.away_ticket_count(now=desk.now) == 1
    moved = assignment.reroute_many([tickets[0].id], actor=load(User, desk.lead), now=desk.now)
    assert moved == 1
    db.session.expire_all()
    assert db.session.get(Ticket, tickets[0].id).assignee_id in (desk.k2, desk.k3)
    assert availability.away_ticket_count(now=desk.now) == 0
    with pytest.raises(PermissionDenied):
        assignment.reroute_many([tickets[1].id], actor=load(User, desk.k2), now=desk.now)


def test_reroute_on_the_ticket_page_applies_current_rules(desk):
    ticket = intake(desk)
    assert ticket.team_id == desk.front
    rule(desk, "Now everything to key", team_id=desk.key, strategy=AssignStrategy.FEWEST_OPEN)
    decision = assignment.reroute(
        ticket,
        actor=load(User, desk.lead),
        expected_version=ticket.version,
        now=desk.now + timedelta(hours=1),
    )
    assert ticket.team_id == desk.key == decision.team_id
    assert ticket.assignee_id == decision.assignee_id is not None
    assert routing_events(ticket)[-1].new_value == "Now everything to key"
    assert routing_events(ticket)[-1].actor_id == desk.lead


# ----------------------------------------------------------------- watchers and notifications


def test_defaults_send_key_accounts_to_the_key_team_with_manager_and_lead_watching(desk):
    assert routing_rules.seed_default_rules(now=desk.now) == 3
    assert routing_rules.seed_default_rules(now=desk.now) == 0
    cust = factories.make_customer(tier=CustomerTier.KEY, account_manager_id=desk.am)
    with unit_of_work():
        db.session.get(Customer, cust).standing = Standing.STRATEGIC
    ticket = intake(desk, customer_id=cust)
    assert ticket.team.name == "Key accounts" and ticket.assignee_id in (desk.k1, desk.k2, desk.k3)
    assert {w.user_id for w in assignment.watchers(ticket)} == {desk.am, desk.lead}
    crisis = intake(desk, kind=TicketKind.CRISIS)  # a standard account: the front desk
    assert crisis.team_id == desk.front
    assert {w.user_id for w in assignment.watchers(crisis)} == {desk.lead}


def test_rule_watchers_and_notify_targets_hear_about_it(desk):
    cust = factories.make_customer(account_manager_id=desk.am)
    rule(
        desk,
        "Key with everyone",
        team_id=desk.key,
        strategy=AssignStrategy.ROUND_ROBIN,
        watch_account_manager=True,
        notify=(NotifyTarget.TEAM.value,),
    )
    ticket = intake(desk, customer_id=cust)
    kinds = {
        (n.user_id, n.kind)
        for n in db.session.scalars(
            sa.select(Notification).where(Notification.ticket_id == ticket.id)
        )
    }
    assert (desk.k1, NotificationKind.ASSIGNED) in kinds
    assert (desk.am, NotificationKind.WATCHED) in kinds
    # Team members hear about the new ticket, except the one it was assigned to.
    assert {
        (desk.k2, NotificationKind.ROUTED),
        (desk.k3, NotificationKind.ROUTED),
        (desk.lead, NotificationKind.ROUTED),
    } <= kinds
    assert (desk.k1, NotificationKind.ROUTED) not in kinds


def test_watch_and_unwatch(desk):
    ticket = intake(desk)
    assignment.watch(ticket, actor=load(User, desk.a2), now=desk.now)
    assert assignment.is_watching(ticket, load(User, desk.a2))
    # Watching again changes nothing (two clicks at once must not fail either).
    again = assignment.watch(ticket, actor=load(User, desk.a2), now=desk.now)
    assert (again.ticket_id, again.user_id) == (ticket.id, desk.a2)
    assert [w.user_id for w in assignment.watchers(ticket)].count(desk.a2) == 1
    assignment.unwatch(ticket, actor=load(User, desk.a2))
    assert not assignment.is_watching(ticket, load(User, desk.a2))
    other = factories.make_user(Role.AGENT, team_ids=(desk.key,))
    key_ticket = db.session.get(
        Ticket, factories.make_ticket(actor_id=desk.lead, team_id=desk.key, now=desk.now)
    )
    with pytest.raises(PermissionDenied):
        assignment.watch(key_ticket, actor=load(User, desk.a1), now=desk.now)
    assignment.watch(key_ticket, actor=load(User, other), now=desk.now)


# ----------------------------------------------------------------- rule editing


def test_rule_validation_names_the_field_and_saves_nothing(desk):
    bad = [
        (RuleData(name=""), "name"),
        (RuleData(name="x", kinds=("riot",), team_id=desk.key), "kinds"),
        (RuleData(name="x", strategy=AssignStrategy.ROUND_ROBIN), "team_id"),
        (RuleData(name="x", team_id=desk.key, strategy=AssignStrategy.USER), "assignee_id"),
        (
            RuleData(name="x", team_id=desk.key, strategy=AssignStrategy.USER, assignee_id=desk.a1),
            "assignee_id",
        ),
        (RuleData(name="x", keywords=("a" * 61,), team_id=desk.key), "keywords"),
        (RuleData(name="x", categories=("no_such_category",), team_id=desk.key), "categories"),
        (RuleData(name="x", kinds=("crisis",)), "team_id"),  # does nothing
    ]
    for data, field in bad:
        with pytest.raises(DomainError) as err:
            routing_rules.create_rule(actor=load(User, desk.lead), data=data, now=desk.now)
        assert err.value.field == field, data
    rule(desk, "Taken", team_id=desk.key)
    with pytest.raises(DomainError) as err:
        routing_rules.create_rule(
            actor=load(User, desk.lead), data=RuleData(name="taken", team_id=desk.key), now=desk.now
        )
    assert err.value.field == "name"
    assert db.session.scalar(sa.select(sa.func.count(RoutingRule.id))) == 1
    with pytest.raises(PermissionDenied):
        routing_rules.create_rule(
            actor=load(User, desk.k1), data=RuleData(name="y", team_id=desk.key), now=desk.now
        )


def test_parse_keywords():
    assert routing_rules.parse_keywords(" lawyer, Lawyer ,\n曝光，press,, ") == (
        "lawyer",
        "曝光",
        "press",
    )


def test_delete_renumbers_and_keeps_the_rule_name_on_tickets(desk):
    gone = rule(desk, "Gone soon", team_id=desk.key)
    rule(desk, "Stays", kinds=("crisis",), team_id=desk.front)
    ticket = intake(desk)
    routing_rules.delete_rule(db.session.get(RoutingRule, gone), actor=load(User, desk.lead))
    assert [(r.position, r.name) for r in routing.list_rules()] == [(1, "Stays")]
    db.session.expire_all()
    assert routing_events(db.session.get(Ticket, ticket.id))[0].new_value == "Gone soon"


# ----------------------------------------------------------------- dry run == real routing


def test_dry_run_equals_real_routing(desk):
    cust = factories.make_customer(tier=CustomerTier.STRATEGIC, account_manager_id=desk.am)
    rule(
        desk,
        "Crisis watch",
        kinds=("crisis",),
        watch_lead=True,
        continue_after=True,
        notify=("leads",),
    )
    rule(
        desk,
        "Strategic",
        tiers=("strategic",),
        team_id=desk.key,
        strategy=AssignStrategy.ROUND_ROBIN,
        watch_account_manager=True,
    )
    for kind in (TicketKind.CRISIS, TicketKind.COMPLAINT, TicketKind.CRISIS):
        customer = db.session.get(Customer, cust)
        sample = routing.Sample(
            kind=kind,
            category_id=factories.category_id("missing_short_shipment"),
            severity=Severity.P3,
            channel=Channel.PHONE,
            tier=customer.tier,
            standing=customer.standing,
            cause_side=CauseSide.UNKNOWN,
            subject="Parcel missing",
            description="The parcel never came.",
            account_manager_id=desk.am,
        )
        dry = routing.decide(sample, now=desk.now)
        ticket = intake(desk, customer_id=cust, kind=kind)
        assert ticket.team_id == dry.team_id and ticket.assignee_id == dry.assignee_id
        assert ticket.severity is dry.severity
        assert {w.user_id for w in assignment.watchers(ticket)} == set(dry.watcher_ids)
        assert dry.watcher_ids  # the lead (crisis) or the account manager (strategic)
        assert [e.new_value for e in routing_events(ticket)] == [t.name for t in dry.matched]


SEVERITIES = [s.value for s in Severity]
KINDS = [k.value for k in TicketKind]
TIERS = [t.value for t in CustomerTier]
STANDINGS = [s.value for s in Standing]
CHANNELS = [c.value for c in Channel]

rule_strategy = st.fixed_dictionaries(
    {
        "kinds": st.lists(st.sampled_from(KINDS), max_size=2, unique=True),
        "severities": st.lists(st.sampled_from(SEVERITIES), max_size=3, unique=True),
        "tiers": st.lists(st.sampled_from(TIERS), max_size=2, unique=True),
        "standings": st.lists(st.sampled_from(STANDINGS), max_size=2, unique=True),
        "channels": st.lists(st.sampled_from(CHANNELS), max_size=3, unique=True),
        "keywords": st.lists(
            st.sampled_from(["parcel", "lawyer", "broken", "退款"]), max_size=2, unique=True
        ),
        "team": st.sampled_from([None, "front", "key"]),
        "strategy": st.sampled_from(list(AssignStrategy)),
        "raise": st.sampled_from([None, *SEVERITIES]),
        "continue": st.booleans(),
        "watch_lead": st.booleans(),
    }
)
sample_strategy = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(KINDS),
        "severity": st.sampled_from(SEVERITIES),
        "tier": st.sampled_from(TIERS),
        "standing": st.sampled_from(STANDINGS),
        "channel": st.sampled_from(CHANNELS),
        "text": st.sampled_from(["parcel lost", "my lawyer", "broken lid", "要求退款", "hello"]),
    }
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(rule_strategy, max_size=5),
    sample=sample_strategy,
    away=st.sets(st.sampled_from(["k1", "k2", "a1"])),
)
def test_routing_is_deterministic_always_yields_a_team_and_matches_its_dry_run(
    desk, specs, sample, away
):
    teams = {"front": desk.front, "key": desk.key}
    try:
        for uid in (getattr(desk, name) for name in away):
            load(User, uid).away_reason = AwayReason.HOLIDAY
        for i, spec in enumerate(specs):
            team_id = teams[spec["team"]] if spec["team"] else None
            strategy = spec["strategy"] if team_id else AssignStrategy.NONE
            assignee = None
            if strategy is AssignStrategy.USER:
                assignee = desk.k1 if team_id == desk.key else desk.a1
            db.session.add(
                RoutingRule(
                    name=f"r{i}",
                    position=i + 1,
                    active=True,
                    continue_after=spec["continue"],
                    conditions={
                        k: spec[k]
                        for k in (
                            "kinds",
                            "severities",
                            "tiers",
                            "standings",
                            "channels",
                            "keywords",
                        )
                        if spec[k]
                    },
                    team_id=team_id,
                    strategy=strategy,
                    assignee_id=assignee,
                    raise_severity=Severity(spec["raise"]) if spec["raise"] else None,
                    watch_lead=spec["watch_lead"],
                    notify=[],
                )
            )
        db.session.flush()
        s = routing.Sample(
            kind=TicketKind(sample["kind"]),
            category_id=factories.category_id(),
            severity=Severity(sample["severity"]),
            channel=Channel(sample["channel"]),
            tier=CustomerTier(sample["tier"]),
            standing=Standing(sample["standing"]),
            cause_side=CauseSide.UNKNOWN,
            subject="Complaint",
            description=sample["text"],
        )
        first = routing.decide(s, now=desk.now)
        second = routing.decide(s, now=desk.now)
        assert first.outcome() == second.outcome()
        assert first.team_id is not None
        assert routing.SEVERITY_RANK[first.severity] <= routing.SEVERITY_RANK[s.severity]
        if first.assignee_id is not None:
            chosen = load(User, first.assignee_id)
            assert not chosen.is_away(desk.now) and first.team_id in chosen.team_ids

        # Real routing of a ticket with the same facts does exactly what the dry run said.
        customer = Customer(name="Sample customer", tier=s.tier, standing=s.standing)
        ticket = Ticket(
            reference="TD-PROP",
            customer=customer,
            subject=s.subject,
            description=s.description,
            channel=s.channel,
            kind=s.kind,
            category_id=s.category_id,
            severity=s.severity,
            currency="EUR",
            public_token="prop-token",
            cause_side=s.cause_side,
        )
        db.session.add(ticket)
        db.session.flush()
        expected = routing.decide(
            routing.Sample.of(ticket), now=desk.now, exclude_ticket_id=ticket.id
        )
        done = routing.route(ticket, actor=None, now=desk.now)
        assert done.outcome() == expected.outcome()
        assert (ticket.team_id, ticket.assignee_id, ticket.severity) == (
            expected.team_id,
            expected.assignee_id,
            expected.severity,
        )
        assert [
            e.new_value for e in ticket.events if e.kind is EventKind.ROUTING and e.new_value
        ] == [t.name for t in expected.matched]
    finally:
        db.session.rollback()
