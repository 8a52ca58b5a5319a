"""The shipped default playbooks: coverage, content rules, matching, seeding and the CLI."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from tests.factories import load
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    Category,
    CauseSide,
    Customer,
    CustomerTier,
    GoodwillBasis,
    Playbook,
    Role,
    RootCause,
    Standing,
    StepKind,
    Ticket,
    TicketKind,
    TicketStatus,
    User,
)
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.playbooks import shipped as defaults
from ticketdesk.services.playbooks.engine import PlaybookSpec, StepSpec
from ticketdesk.services.tickets import conversation, editing
from ticketdesk.services.tickets.categories import DEFAULT_CATEGORIES

NON_ADVISORY = [spec for spec, _ in defaults.SHIPPED if not spec.advisory]


def _playbook(name: str) -> Playbook:
    return db.session.scalars(sa.select(Playbook).where(Playbook.name == name)).one()


def _customer(tier: CustomerTier, standing: Standing) -> int:
    customer_id = factories.make_customer(tier=tier)
    db.session.get(Customer, customer_id).standing = standing
    db.session.commit()
    return customer_id


def _purposes(spec: PlaybookSpec) -> list[str | None]:
    return [defaults.purpose_of(step.title) for step in spec.steps]


@pytest.fixture
def agent(ctx, now):
    return factories.make_user(Role.AGENT)


@pytest.fixture
def seeded(ctx, now):
    return defaults.seed_playbooks(now=now)


# ----------------------------------------------------------------------------- the content


def test_every_shipped_playbook_passes_validation_and_the_resolve_first_rules():
    names = [spec.name for spec, _ in defaults.SHIPPED]
    assert len({n.lower() for n in names}) == len(names)
    for spec, _ in defaults.SHIPPED:
        playbooks.validate_spec(spec)  # raises on anything a lead could not save either
        assert spec.total_cap_percent == Decimal("150"), spec.name
        assert spec.approval_limits, spec.name
    for spec in NON_ADVISORY:
        kinds = [step.kind for step in spec.steps]
        assert StepKind.APOLOGY in kinds and StepKind.EXPLANATION in kinds, spec.name
        purposes = _purposes(spec)
        for purpose in (
            defaults.ACKNOWLEDGE,
            defaults.MAKE_WHOLE,
            defaults.GOODWILL,
            defaults.CONFIRM,
            defaults.ROOT_CAUSE,
        ):
            assert purpose in purposes, (spec.name, purpose)
        # Acknowledge first; the internal root cause only after the customer is whole.
        assert purposes[0] == defaults.ACKNOWLEDGE, spec.name
        root = spec.steps[purposes.index(defaults.ROOT_CAUSE)]
        assert not root.required, spec.name
        assert purposes.index(defaults.ROOT_CAUSE) > purposes.index(defaults.CONFIRM)
        assert root.due_hours > spec.steps[purposes.index(defaults.MAKE_WHOLE)].due_hours
        # The explanation comes before the ticket may close: it is required.
        assert all(s.required for s in spec.steps if s.kind is StepKind.EXPLANATION)
        assert spec.goodwill_basis is not GoodwillBasis.NONE, spec.name
        assert spec.goodwill_cap_percent <= Decimal("30"), spec.name
        # Make-whole in kind and now: never a coupon for later.
        assert spec.make_whole_form.value != "coupon", spec.name


def test_advisory_playbook_advises_and_compensates_nothing():
    advisory = [spec for spec, _ in defaults.SHIPPED if spec.advisory]
    assert advisory == [defaults.ADVISORY]
    spec = defaults.ADVISORY
    assert spec.conditions == {"causes": ["theirs"]}
    assert spec.goodwill_basis is GoodwillBasis.NONE
    assert spec.goodwill_value == 0 and spec.goodwill_cap_percent == 0
    assert Decimal(spec.approval_limits["agent"]) == 0  # any gesture needs a lead
    assert {step.kind for step in spec.steps} == {StepKind.TASK}
    assert _purposes(spec)[:4] == [
        defaults.LISTEN,
        defaults.ACKNOWLEDGE_PRESSURE,
        defaults.OFFER_HELP,
        defaults.NEXT_CONTACT,
    ]
    assert defaults.MAKE_WHOLE not in _purposes(spec)


def test_response_times_evidence_and_goodwill_follow_the_domain():
    within_the_hour = {
        spec.name
        for spec in (
            defaults.MISSING,
            defaults.DAMAGED,
            defaults.CRISIS_STRATEGIC,
            defaults.CRISIS_AT_RISK,
            defaults.CRISIS_STANDARD,
        )
    }
    for spec in NON_ADVISORY:
        first = spec.steps[0]
        if spec.name in within_the_hour:
            assert first.due_hours == 1, spec.name
        else:  # a few hours
            assert 1 < first.due_hours <= 4, spec.name
    for spec in (defaults.MISSING, defaults.DAMAGED, defaults.WRONG_ITEM):
        assert spec.evidence_threshold == Decimal("100.00"), spec.name
    assert defaults.MISSING.goodwill_basis is GoodwillBasis.AFFECTED_PERCENT
    assert defaults.MISSING.goodwill_value == 20
    assert (defaults.DAMAGED.goodwill_value, defaults.DAMAGED.goodwill_cap_percent) == (15, 30)
    assert defaults.SERVICE_ATTITUDE.goodwill_basis is GoodwillBasis.EXTRA_UNITS
    assert defaults.BILLING.make_whole_form.value == "refund"


def test_crisis_playbooks_bring_in_lead_account_manager_and_daily_updates():
    for spec in (defaults.CRISIS_STRATEGIC, defaults.CRISIS_AT_RISK, defaults.SOLUTION_FAILURE):
        updates = [s for s in spec.steps if s.kind is StepKind.STATUS_UPDATE]
        assert [s.recur_hours for s in updates] == [24], spec.name
        roles = {s.role for s in spec.steps}
        assert {Role.LEAD, Role.ACCOUNT_MANAGER} <= roles, spec.name
    standard = defaults.CRISIS_STANDARD
    assert any(s.kind is StepKind.STATUS_UPDATE and s.recur_hours == 24 for s in standard.steps)
    assert Role.LEAD in {s.role for s in standard.steps}
    assert Role.ACCOUNT_MANAGER not in {s.role for s in standard.steps}


# ----------------------------------------------------------------------------- matching


def test_every_category_has_its_own_playbook(seeded, agent, now):
    assert seeded == len(defaults.SHIPPED)
    for slug, _name in DEFAULT_CATEGORIES:
        tid = factories.make_ticket(actor_id=agent, category=slug, now=now)
        version = load(Ticket, tid).playbook_version
        assert version.conditions["categories"] == [slug], slug
        assert not version.playbook.is_default
        assert len(load(Ticket, tid).steps) == len(version.steps)


def test_crisis_default_and_advisory_playbooks_exist(seeded):
    names = set(db.session.scalars(sa.select(Playbook.name)))
    for spec in (
        defaults.CRISIS_STRATEGIC,
        defaults.CRISIS_AT_RISK,
        defaults.CRISIS_STANDARD,
        defaults.ADVISORY,
        defaults.DEFAULT,
    ):
        assert spec.name in names
    assert db.session.scalars(
        sa.select(Playbook.name).where(Playbook.is_default.is_(True))
    ).all() == [defaults.DEFAULT.name]
    assert _playbook(defaults.ADVISORY.name).current_version.advisory


@pytest.mark.parametrize(
    "tier, standing, expected",
    [
        (CustomerTier.STRATEGIC, Standing.STRATEGIC, defaults.CRISIS_STRATEGIC),
        (CustomerTier.KEY, Standing.PREFERRED, defaults.CRISIS_STRATEGIC),
        (CustomerTier.STRATEGIC, Standing.QUALIFICATION_PENDING, defaults.CRISIS_AT_RISK),
        (CustomerTier.KEY, Standing.PASSIVE_ELIMINATION, defaults.CRISIS_AT_RISK),
        (CustomerTier.STANDARD, Standing.PREFERRED, defaults.CRISIS_STANDARD),
    ],
)
def test_crises_get_a_crisis_playbook_by_account(seeded, agent, now, tier, standing, expected):
    customer = _customer(tier, standing)
    tid = factories.make_ticket(
        actor_id=agent,
        customer_id=customer,
        kind=TicketKind.CRISIS,
        category="late_delivery",
        now=now,
    )
    ticket = load(Ticket, tid)
    assert ticket.playbook_version.playbook.name == expected.name


def test_a_strategic_crisis_gets_daily_status_updates_a_lead_and_the_account_manager(
    seeded, agent, now
):
    customer = _customer(CustomerTier.STRATEGIC, Standing.STRATEGIC)
    tid = factories.make_ticket(
        actor_id=agent,
        customer_id=customer,
        kind=TicketKind.CRISIS,
        category="damaged_defective",
        now=now,
    )
    ticket = load(Ticket, tid)
    assert ticket.playbook_version.playbook.name == defaults.CRISIS_STRATEGIC.name
    update = next(s for s in ticket.steps if s.kind is StepKind.STATUS_UPDATE)
    assert update.recur_hours == 24 and not update.required
    assert (update.due_at - now).total_seconds() == 24 * 3600
    assert ticket.steps[0].due_at - now == ticket.steps[1].due_at - now  # call back, apologise
    assert (ticket.steps[0].due_at - now).total_seconds() == 3600
    assert {s.role for s in ticket.steps if s.required} >= {Role.LEAD, Role.ACCOUNT_MANAGER}
    # Each reply restarts the 24-hour clock.
    later = now + timedelta(hours=5)
    conversation.reply(
        ticket,
        actor=db.session.get(User, agent),
        body="Trucks are loading.",
        expected_version=None,
        now=later,
    )
    assert update.due_at == later + timedelta(hours=24)


def test_a_cause_on_the_customers_side_is_matched_to_the_advisory_playbook(seeded, agent, now):
    customer = _customer(CustomerTier.STRATEGIC, Standing.STRATEGIC)
    tid = factories.make_ticket(
        actor_id=agent,
        customer_id=customer,
        kind=TicketKind.CRISIS,
        category="solution_failure",
        now=now,
    )
    ticket = load(Ticket, tid)
    assert ticket.playbook_version.playbook.name == defaults.CRISIS_STRATEGIC.name
    editing.update_details(
        ticket,
        actor=db.session.get(User, agent),
        expected_version=None,
        now=now,
        changes=editing.DetailChanges(
            subject=ticket.subject,
            kind=ticket.kind,
            category_id=ticket.category_id,
            severity=ticket.severity,
            order_reference="",
            currency="EUR",
            order_value=None,
            claimed_loss=None,
            cause_side=CauseSide.THEIRS_INTERNAL,
        ),
    )
    best = playbooks.choose_version(ticket)
    assert best.playbook.name == defaults.ADVISORY.name and best.advisory
    assert playbooks.suggested_switch(ticket).id == best.id
    # Back on our side, the playbook fits again.
    ticket.cause_side = CauseSide.OURS_PRODUCT
    assert playbooks.choose_version(ticket).playbook.name == defaults.CRISIS_STRATEGIC.name


def test_a_category_added_later_falls_back_to_the_default(seeded, agent, now):
    with unit_of_work():
        db.session.add(Category(slug="customs_paperwork", name="Customs paperwork", position=90))
    tid = factories.make_ticket(actor_id=agent, category="customs_paperwork", now=now)
    assert load(Ticket, tid).playbook_version.playbook.name == defaults.DEFAULT.name


@pytest.mark.parametrize("spec", NON_ADVISORY, ids=lambda spec: spec.name)
def test_each_checklist_can_be_completed_and_the_ticket_resolved(ctx, now, spec):
    """Work a ticket under each shipped playbook through the services, as a lead would."""
    defaults.seed_playbooks(now=now)
    lead = factories.make_user(Role.LEAD)
    conditions = spec.conditions
    tier = CustomerTier(conditions.get("tiers", ["standard"])[0])
    at_risk = spec is defaults.CRISIS_AT_RISK
    standing = Standing(
        conditions.get("standings", ["qualification_pending" if at_risk else "preferred"])[0]
    )
    category = conditions.get("categories", ["late_delivery"])[0]
    kind = TicketKind(conditions.get("kinds", ["complaint"])[0])
    if spec is defaults.DEFAULT:
        with unit_of_work():
            db.session.add(Category(slug="new_kind", name="New kind", position=95))
        category = "new_kind"
    tid = factories.make_ticket(
        actor_id=lead, customer_id=_customer(tier, standing), kind=kind, category=category, now=now
    )
    ticket = load(Ticket, tid)
    assert ticket.playbook_version.playbook.name == spec.name
    actor = db.session.get(User, lead)
    conversation.reply(
        ticket,
        actor=actor,
        body="Sorry for the trouble; it is on its way.",
        expected_version=None,
        now=now,
        apology=True,
    )
    for step in list(ticket.steps):
        if step.kind.by_hand and not step.is_done:
            playbooks.complete_step(ticket, actor=actor, step_id=step.id, now=now)
    conversation.reply(
        ticket,
        actor=actor,
        body="What went wrong: a picking error.",
        expected_version=None,
        now=now,
        explanation=RootCause.PICKING_ERROR,
        status_after=TicketStatus.RESOLVED,
    )
    assert ticket.status is TicketStatus.RESOLVED
    assert all(s.is_done for s in ticket.steps)


# ----------------------------------------------------------------------------- seeding


def test_seeding_twice_adds_nothing_the_second_time(ctx, now):
    assert defaults.seed_playbooks(now=now) == len(defaults.SHIPPED)
    versions = db.session.scalar(sa.select(sa.func.count()).select_from(Playbook))
    assert defaults.seed_playbooks(now=now) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Playbook)) == versions


def test_reseeding_never_overwrites_a_leads_edits(ctx, now):
    defaults.seed_playbooks(now=now)
    edited = _playbook(defaults.MISSING.name)
    with unit_of_work():
        playbooks.new_version(
            edited,
            PlaybookSpec(
                name=edited.name,
                conditions={"categories": ["missing_short_shipment"]},
                steps=(
                    StepSpec("Ring them", due_hours=Decimal("0.5")),
                    StepSpec("Sorry", kind=StepKind.APOLOGY),
                    StepSpec("Say why", kind=StepKind.EXPLANATION),
                ),
            ),
            actor=None,
            now=now,
        )
        retired = _playbook(defaults.OTHER.name)
        retired.active = False
        _playbook(defaults.LATE.name).name = "Late deliveries (ours)"  # renamed by a lead
    assert defaults.seed_playbooks(now=now) == 0
    db.session.expire_all()
    edited = _playbook(defaults.MISSING.name)
    assert edited.current_version.number == 2
    assert [s.title for s in edited.current_version.steps] == ["Ring them", "Sorry", "Say why"]
    assert not _playbook(defaults.OTHER.name).active
    assert _playbook("Late deliveries (ours)").current_version.number == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Playbook)) == len(
        defaults.SHIPPED
    )


def test_seeding_matches_names_in_any_case_and_keeps_an_existing_default(ctx, now):
    with unit_of_work():
        playbooks.add_playbook(
            PlaybookSpec(
                name="house default",
                steps=(
                    StepSpec("Sorry", kind=StepKind.APOLOGY),
                    StepSpec("Why", kind=StepKind.EXPLANATION),
                ),
            ),
            actor=None,
            now=now,
            is_default=True,
        )
        playbooks.add_playbook(
            PlaybookSpec(
                name=defaults.WRONG_ITEM.name.upper(),
                steps=(
                    StepSpec("Sorry", kind=StepKind.APOLOGY),
                    StepSpec("Why", kind=StepKind.EXPLANATION),
                ),
            ),
            actor=None,
            now=now,
        )
    assert defaults.seed_playbooks(now=now) == len(defaults.SHIPPED) - 1
    defaults_now = db.session.scalars(
        sa.select(Playbook.name).where(Playbook.is_default.is_(True))
    ).all()
    assert defaults_now == ["house default"]
    assert not _playbook(defaults.DEFAULT.name).is_default


def test_cli_seeds_the_playbooks_once(app):
    runner = app.test_cli_runner()

    first = runner.invoke(args=["seed-playbooks"])
    assert first.exit_code == 0, first.output
    assert f"Added {len(defaults.SHIPPED)} shipped playbooks." in first.output

    again = runner.invoke(args=["seed-playbooks"])
    assert again.exit_code == 0, again.output
    assert "Added 0 shipped playbooks." in again.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Playbook)) == len(
            defaults.SHIPPED
        )
