"""Managing playbooks: versions, validation, retire/activate, the single default, preview."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from tests.factories import load
from ticketdesk.core.errors import Conflict, DomainError, PermissionDenied
from ticketdesk.extensions import db
from ticketdesk.models import (
    CauseSide,
    CustomerTier,
    GoodwillBasis,
    Playbook,
    PlaybookVersion,
    Role,
    StepKind,
    Ticket,
    TicketKind,
    TicketStatus,
    User,
)
from ticketdesk.services.playbooks import admin as playbook_admin
from ticketdesk.services.playbooks.engine import PlaybookSpec, StepSpec

STEPS = (
    StepSpec("Call the customer back", due_hours=Decimal("1")),
    StepSpec("Apologise for the trouble", kind=StepKind.APOLOGY, due_hours=Decimal("1")),
    StepSpec("Reship the missing items", due_hours=Decimal("24")),
    StepSpec("Explain what went wrong", kind=StepKind.EXPLANATION, due_hours=Decimal("72")),
)


def _spec(name="Shortages", **kwargs) -> PlaybookSpec:
    return PlaybookSpec(name=name, steps=kwargs.pop("steps", STEPS), **kwargs)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def lead(ctx):
    return load(User, factories.make_user(Role.LEAD, name="Lee Lead"))


@pytest.fixture
def admin(ctx):
    return load(User, factories.make_user(Role.ADMIN))


@pytest.fixture
def agent_id(ctx):
    return factories.make_user(Role.AGENT)


# ----------------------------------------------------------------- create and update


def test_leads_and_admins_create_playbooks_with_a_first_version(lead, admin, now):
    playbook = playbook_admin.create_playbook(
        actor=lead, now=now, spec=_spec(conditions={"kinds": ["crisis"], "tiers": []})
    )
    assert playbook.active and not playbook.is_default
    version = playbook.current_version
    assert version.number == 1 and version.created_by_id == lead.id
    assert version.conditions == {"kinds": ["crisis"]}
    assert [s.title for s in version.steps] == [s.title for s in STEPS]
    other = playbook_admin.create_playbook(actor=admin, now=now, spec=_spec("Advice"))
    assert other.current_version.created_by_id == admin.id


def test_an_edit_adds_a_version_and_tickets_under_way_keep_theirs(lead, agent_id, now):
    playbook = playbook_admin.create_playbook(actor=lead, now=now, spec=_spec())
    playbook_admin.make_default(playbook, actor=lead, now=now)
    early = factories.make_ticket(actor_id=agent_id, now=now)
    reordered = (STEPS[1], StepSpec("Send a replacement today"), STEPS[3])
    later = now + timedelta(hours=2)
    playbook_admin.update_playbook(
        playbook, actor=lead, now=later, spec=_spec(steps=reordered), expected_version=1
    )
    assert [v.number for v in playbook.versions] == [1, 2]
    assert playbook.current_version.number == 2 and playbook.updated_at == later
    assert [s.title for s in playbook.versions[0].steps] == [s.title for s in STEPS]
    assert [s.title for s in load(Ticket, early).steps] == [s.title for s in STEPS]
    assert load(Ticket, early).playbook_version.number == 1
    fresh = factories.make_ticket(actor_id=agent_id, now=later)
    assert [s.title for s in load(Ticket, fresh).steps] == [
        "Apologise for the trouble",
        "Send a replacement today",
        "Explain what went wrong",
    ]
    assert playbook_admin.open_ticket_counts() == {playbook.id: 2}
    assert playbook_admin.open_ticket_counts_by_version(playbook) == {
        playbook.versions[0].id: 1,
        playbook.versions[1].id: 1,
    }


def test_saving_without_changes_adds_no_version_but_a_rename_is_kept(lead, now):
    playbook = playbook_admin.create_playbook(
        actor=lead,
        now=now,
        spec=_spec(
            conditions={"tiers": ["strategic", "key"]},
            goodwill_value=Decimal("10"),
            approval_limits={"agent": Decimal("50")},
        ),
    )
    same = playbook_admin.spec_from_version(playbook.current_version)
    playbook_admin.update_playbook(playbook, actor=lead, now=now, spec=same)
    assert len(playbook.versions) == 1
    playbook_admin.update_playbook(
        playbook, actor=lead, now=now, spec=replace(same, name="Key account shortages")
    )
    assert playbook.name == "Key account shortages" and len(playbook.versions) == 1
    playbook_admin.update_playbook(
        playbook, actor=lead, now=now, spec=replace(same, approval_limits={"agent": "60"})
    )
    assert len(playbook.versions) == 2
    assert playbook.current_version.approval_limits == {"agent": "60"}


def test_an_edit_based_on_an_old_version_is_refused(lead, now):
    playbook = playbook_admin.create_playbook(actor=lead, now=now, spec=_spec())
    playbook_admin.update_playbook(
        playbook, actor=lead, now=now, spec=_spec(description="Second"), expected_version=1
    )
    with pytest.raises(Conflict, match="version 2"):
        playbook_admin.update_playbook(
            playbook, actor=lead, now=now, spec=_spec(description="Third"), expected_version=1
        )
    assert playbook.current_version.description == "Second"


@pytest.mark.parametrize(
    "spec, field",
    [
        (_spec(" "), "name"),
        (_spec("x" * 121), "name"),
        (_spec(steps=()), "steps"),
        (_spec(steps=(StepSpec("Fix it"),)), "steps"),  # no apology
        (_spec(steps=STEPS + (StepSpec(" "),)), "steps"),  # no title
        (_spec(steps=STEPS + (StepSpec("t" * 161),)), "steps"),
        (_spec(steps=STEPS + (StepSpec("Update", kind=StepKind.STATUS_UPDATE),)), "steps"),
        (_spec(conditions={"colour": ["red"]}), "conditions"),
        (_spec(conditions={"tiers": ["platinum"]}), "conditions"),
        (_spec(conditions={"categories": ["no_such_category"]}), "conditions"),
        (_spec(goodwill_value=Decimal("40"), goodwill_cap_percent=Decimal("30")), "goodwill_value"),
        (_spec(evidence_threshold=Decimal("-1")), "evidence_threshold"),
        (_spec(approval_limits={"agent": "-5"}), "approval_limits"),
        (_spec(approval_limits={"agent": "lots"}), "approval_limits"),
        (_spec(approval_limits={"boss": "5"}), "approval_limits"),
    ],
)
def test_invalid_playbooks_name_the_field_and_save_nothing(lead, now, spec, field):
    with pytest.raises(DomainError) as err:
        playbook_admin.create_playbook(actor=lead, now=now, spec=spec)
    assert err.value.field == field
    assert _count(Playbook) == 0 and _count(PlaybookVersion) == 0


def test_invalid_edits_save_nothing(lead, now):
    playbook = playbook_admin.create_playbook(actor=lead, now=now, spec=_spec())
    playbook_admin.create_playbook(actor=lead, now=now, spec=_spec("Crises"))
    with pytest.raises(DomainError) as err:
        playbook_admin.update_playbook(playbook, actor=lead, now=now, spec=_spec("crises"))
    assert err.value.field == "name"
    with pytest.raises(DomainError) as err:
        playbook_admin.update_playbook(
            playbook, actor=lead, now=now, spec=_spec("Renamed", steps=(StepSpec("Only"),))
        )
    assert err.value.field == "steps"
    db.session.expire_all()
    assert playbook.name == "Shortages" and len(playbook.versions) == 1


def test_a_goodwill_percentage_may_exceed_the_cap_only_for_other_bases(lead, now):
    playbook = playbook_admin.create_playbook(
        actor=lead,
        now=now,
        spec=_spec(goodwill_basis=GoodwillBasis.FIXED, goodwill_value=Decimal("40")),
    )
    assert playbook.current_version.goodwill_value == Decimal("40")


# ----------------------------------------------------------------- permissions


@pytest.mark.parametrize("role", [Role.AGENT, Role.ACCOUNT_MANAGER])
def test_only_leads_and_admins_manage_playbooks(lead, now, role):
    playbook = playbook_admin.create_playbook(actor=lead, now=now, spec=_spec())
    actor = load(User, factories.make_user(role))
    with pytest.raises(PermissionDenied):
        playbook_admin.create_playbook(actor=actor, now=now, spec=_spec("Mine"))
    with pytest.raises(PermissionDenied):
        playbook_admin.update_playbook(playbook, actor=actor, now=now, spec=_spec(steps=STEPS[1:]))
    with pytest.raises(PermissionDenied):
        playbook_admin.set_active(playbook, actor=actor, active=False, now=now)
    with pytest.raises(PermissionDenied):
        playbook_admin.make_default(playbook, actor=actor, now=now)
    db.session.expire_all()
    assert _count(Playbook) == 1 and len(playbook.versions) == 1
    assert playbook.active and not playbook.is_default


# ----------------------------------------------------------------- retire, default


def test_retire_and_activate(lead, agent_id, now):
    default = playbook_admin.create_playbook(actor=lead, now=now, spec=_spec("General"))
    playbook_admin.make_default(default, actor=lead, now=now)
    crises = playbook_admin.create_playbook(
        actor=lead, now=now, spec=_spec("Crises", conditions={"kinds": ["crisis"]})
    )
    playbook_admin.set_active(crises, actor=lead, active=False, now=now)
    assert not crises.active
    tid = factories.make_ticket(actor_id=agent_id, kind=TicketKind.CRISIS, now=now)
    assert load(Ticket, tid).playbook_version.playbook_id == default.id
    playbook_admin.set_active(crises, actor=lead, active=True, now=now)
    tid = factories.make_ticket(actor_id=agent_id, kind=TicketKind.CRISIS, now=now)
    assert load(Ticket, tid).playbook_version.playbook_id == crises.id
    with pytest.raises(DomainError, match="default playbook cannot be retired"):
        playbook_admin.set_active(default, actor=lead, active=False, now=now)
    db.session.expire_all()
    assert default.active


def test_exactly_one_default_and_only_an_active_one(lead, admin, now):
    first = playbook_admin.create_playbook(actor=lead, now=now, spec=_spec("First"))
    second = playbook_admin.create_playbook(actor=lead, now=now, spec=_spec("Second"))
    playbook_admin.make_default(first, actor=lead, now=now)
    playbook_admin.make_default(second, actor=admin, now=now)
    playbook_admin.make_default(second, actor=admin, now=now)  # already: nothing changes
    defaults = db.session.scalars(sa.select(Playbook.name).where(Playbook.is_default)).all()
    assert defaults == ["Second"]
    playbook_admin.set_active(first, actor=lead, active=False, now=now)
    with pytest.raises(DomainError, match="back in use"):
        playbook_admin.make_default(first, actor=lead, now=now)
    assert db.session.scalars(sa.select(Playbook.name).where(Playbook.is_default)).all() == [
        "Second"
    ]


def test_order_steps_sorts_by_position_and_keeps_ties_in_order():
    a, b, c, d = (StepSpec(t) for t in "abcd")
    assert playbook_admin.order_steps([(3, a), (1, b), (None, c), (1, d)]) == (b, d, a, c)


# ----------------------------------------------------------------- preview


def test_preview_lists_matching_recent_tickets_and_who_wins(lead, agent_id, now):
    general = playbook_admin.create_playbook(actor=lead, now=now, spec=_spec("General"))
    playbook_admin.make_default(general, actor=lead, now=now)
    crises = playbook_admin.create_playbook(
        actor=lead, now=now, spec=_spec("Crises", conditions={"kinds": ["crisis"]})
    )
    narrow = playbook_admin.create_playbook(
        actor=lead,
        now=now,
        spec=_spec("Strategic crises", conditions={"kinds": ["crisis"], "tiers": ["strategic"]}),
    )
    strategic = factories.make_customer(tier=CustomerTier.STRATEGIC)
    plain_crisis = factories.make_ticket(
        actor_id=agent_id, kind=TicketKind.CRISIS, now=now - timedelta(days=3)
    )
    big_crisis = factories.make_ticket(
        actor_id=agent_id,
        kind=TicketKind.CRISIS,
        customer_id=strategic,
        now=now - timedelta(days=1),
    )
    complaint = factories.make_ticket(actor_id=agent_id, now=now - timedelta(days=2))
    factories.make_ticket(
        actor_id=agent_id, kind=TicketKind.CRISIS, now=now - timedelta(days=31)
    )  # too old
    db.session.expire_all()

    result = playbook_admin.preview(crises.current_version, now=now)
    assert [(r.ticket.id, r.chosen, r.winner) for r in result.rows] == [
        (big_crisis, False, "Strategic crises"),
        (plain_crisis, True, None),
    ]
    assert result.total == 2 and not result.truncated and result.chosen_count == 1

    result = playbook_admin.preview(narrow.current_version, now=now)
    assert [(r.ticket.id, r.chosen) for r in result.rows] == [(big_crisis, True)]

    # The default takes only what no other playbook matches.
    result = playbook_admin.preview(general.current_version, now=now)
    assert [(r.ticket.id, r.chosen, r.winner) for r in result.rows] == [
        (big_crisis, False, "Strategic crises"),
        (complaint, True, None),
        (plain_crisis, False, "Crises"),
    ]
    assert result.chosen_count == 1
    assert result.winners == [("Crises", 1), ("Strategic crises", 1)]
    # Leads see every listed ticket; administrators see no tickets.
    assert playbook_admin.visible_rows(result, lead) == result.rows
    assert playbook_admin.visible_rows(result, load(User, factories.make_user(Role.ADMIN))) == []


def test_preview_of_unsaved_conditions(lead, agent_id, now):
    crises = playbook_admin.create_playbook(
        actor=lead, now=now, spec=_spec("Crises", conditions={"kinds": ["crisis"]})
    )
    crisis = factories.make_ticket(
        actor_id=agent_id, kind=TicketKind.CRISIS, category="wrong_item", now=now
    )
    shortage = factories.make_ticket(actor_id=agent_id, now=now)
    theirs = factories.make_ticket(actor_id=agent_id, now=now)
    load(Ticket, theirs).cause_side = CauseSide.THEIRS_INTERNAL
    db.session.commit()

    # A new playbook as specific as "Crises" loses the tie (it would get a higher id) ...
    result = playbook_admin.preview(_spec("New", conditions={"kinds": ["crisis"]}), now=now)
    assert [(r.ticket.id, r.chosen, r.winner) for r in result.rows] == [(crisis, False, "Crises")]
    # ... and wins when more specific.
    spec = _spec("New", conditions={"kinds": ["crisis"], "categories": ["wrong_item"]})
    assert [(r.ticket.id, r.chosen) for r in playbook_admin.preview(spec, now=now).rows] == [
        (crisis, True)
    ]
    # An edit of "Crises" replaces its saved conditions instead of competing with them.
    spec = _spec(
        "Crises",
        conditions={"categories": ["missing_short_shipment"], "causes": ["ours", "unknown"]},
    )
    result = playbook_admin.preview(spec, now=now, playbook=crises)
    assert [(r.ticket.id, r.chosen) for r in result.rows] == [(shortage, True)]
    spec = _spec("Crises", conditions={"causes": ["theirs"], "severities": ["p3"]})
    assert [r.ticket.id for r in playbook_admin.preview(spec, now=now, playbook=crises).rows] == [
        theirs
    ]
    # A previewed playbook is not changed.
    db.session.expire_all()
    assert crises.current_version.conditions == {"kinds": ["crisis"]}


def test_preview_is_capped_and_ignores_the_ticket_state(lead, agent_id, now):
    playbook = playbook_admin.create_playbook(actor=lead, now=now, spec=_spec())
    ids = [factories.make_ticket(actor_id=agent_id, now=now - timedelta(hours=i)) for i in range(4)]
    load(Ticket, ids[0]).status = TicketStatus.CLOSED
    db.session.commit()
    result = playbook_admin.preview(playbook.current_version, now=now, limit=3)
    assert [r.ticket.id for r in result.rows] == ids[:3]
    assert result.total == 4 and result.truncated
    assert playbook_admin.preview(playbook.current_version, now=now, days=0).total == 1


def test_list_playbooks(lead, agent_id, now):
    general = playbook_admin.create_playbook(actor=lead, now=now, spec=_spec("general"))
    playbook_admin.make_default(general, actor=lead, now=now)
    retired = playbook_admin.create_playbook(actor=lead, now=now, spec=_spec("Advice"))
    playbook_admin.set_active(retired, actor=lead, active=False, now=now)
    playbook_admin.create_playbook(
        actor=lead, now=now, spec=_spec("Crises", steps=STEPS[1:], conditions={"kinds": ["crisis"]})
    )
    open_id = factories.make_ticket(actor_id=agent_id, now=now)
    closed_id = factories.make_ticket(actor_id=agent_id, now=now)
    load(Ticket, closed_id).status = TicketStatus.CLOSED
    db.session.commit()
    rows = playbook_admin.list_playbooks()
    assert [(r.playbook.name, r.step_count, r.open_tickets) for r in rows] == [
        ("Crises", 3, 0),
        ("general", 4, 1),
        ("Advice", 4, 0),
    ]
    assert load(Ticket, open_id).playbook_version.playbook_id == general.id
