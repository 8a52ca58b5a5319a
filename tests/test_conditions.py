"""The one condition matcher (ticketdesk/conditions.py): every key, empty sets, specificity,
the tie-break, validation, the facts of a ticket and of a sample, and what it means for the
playbooks, SLA policies and routing rules that use it (docs/rules.md, "Conditions")."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import factories
from ticketdesk import conditions
from ticketdesk.core.errors import DomainError
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    CauseGroup,
    CauseSide,
    Channel,
    CustomerTier,
    Role,
    Severity,
    Standing,
    StepKind,
    Ticket,
    TicketKind,
    User,
)
from ticketdesk.services.playbooks import admin as playbook_admin
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.playbooks.engine import PlaybookSpec, StepSpec
from ticketdesk.services.routing import engine as routing
from ticketdesk.services.sla import admin as sla_admin
from ticketdesk.services.sla import clocks as sla

FACTS = {
    "kinds": "complaint",
    "severities": "p3",
    "channels": "email",
    "tiers": "key",
    "standings": "preferred",
    "cause_sides": "ours_product",
    "causes": "ours",
    "categories": "late_delivery",
    "keywords": "Parcel late\nThe courier never came.",
}

# Every key: conditions that hold for FACTS, and conditions that do not.
EVERY_KEY = [
    ("kinds", ["crisis", "complaint"], ["crisis"]),
    ("severities", ["p3"], ["p1", "p2"]),
    ("channels", ["email"], ["phone"]),
    ("tiers", ["strategic", "key"], ["standard"]),
    ("standings", ["preferred"], ["qualification_pending"]),
    ("cause_sides", ["ours_product"], ["theirs_internal"]),
    ("causes", ["ours"], ["theirs"]),
    ("categories", ["late_delivery", "other"], ["wrong_item"]),
    ("keywords", ["refund", "COURIER"], ["refund", "lawyer"]),
]


def test_the_keys_cover_every_key_of_the_three_domains():
    assert set(conditions.KEYS) == {key for key, _good, _bad in EVERY_KEY} == set(FACTS)
    for domain in (conditions.PLAYBOOK_KEYS, conditions.SLA_KEYS, conditions.ROUTING_KEYS):
        assert set(domain) <= set(conditions.KEYS)
    assert "category_ids" not in conditions.KEYS


@pytest.mark.parametrize(("key", "good", "bad"), EVERY_KEY)
def test_each_key_holds_exactly_when_the_fact_is_allowed(key, good, bad):
    assert conditions.matches({key: good}, FACTS)
    assert not conditions.matches({key: bad}, FACTS)
    (check,) = conditions.explain({key: bad}, FACTS)
    assert (check.key, check.held, check.allowed) == (key, False, tuple(bad))
    (check,) = conditions.explain({key: good}, FACTS)
    assert check.held
    assert check.value == ("COURIER" if key == "keywords" else FACTS[key])


@pytest.mark.parametrize("empty", [{}, None, {"kinds": []}, {"kinds": [], "keywords": [" "]}])
def test_an_empty_set_holds_for_every_ticket_and_explains_nothing(empty):
    assert conditions.matches(empty, FACTS)
    assert conditions.matches(empty, dict.fromkeys(FACTS))
    assert conditions.explain(empty, FACTS) == []
    assert conditions.specificity(empty) == (0, 0)


def test_every_constrained_key_must_hold_and_misses_are_all_explained():
    cond = {"kinds": ["complaint"], "tiers": ["standard"], "keywords": ["lawyer"]}
    assert not conditions.matches(cond, FACTS)
    assert [(c.key, c.held) for c in conditions.explain(cond, FACTS)] == [
        ("kinds", True),
        ("tiers", False),
        ("keywords", False),
    ]


def test_a_missing_fact_never_matches_a_constrained_key():
    facts = dict(FACTS, categories=None, channels=None)
    assert not conditions.matches({"categories": ["late_delivery"]}, facts)
    assert conditions.matches({"kinds": ["complaint"]}, facts)


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ({}, (0, 0)),
        ({"kinds": ["crisis"]}, (1, 1)),
        ({"kinds": ["crisis", "complaint"], "tiers": ["key"]}, (2, 3)),
        ({"keywords": ["a", " "], "severities": []}, (1, 1)),
    ],
)
def test_specificity_counts_constrained_keys_then_values(cond, expected):
    assert conditions.specificity(cond) == expected


def _candidate(cid, cond, *, default=False):
    return SimpleNamespace(id=cid, is_default=default, cond=cond)


def _choose(*candidates, facts=FACTS):
    found = conditions.choose(candidates, facts, conditions_of=lambda c: c.cond)
    return found.id if found else None


@pytest.mark.parametrize(
    ("candidates", "winner"),
    [
        # more constrained keys wins, whatever the ids
        (
            [
                _candidate(1, {"kinds": ["complaint"]}),
                _candidate(2, {"kinds": ["complaint"], "tiers": ["key"]}),
            ],
            2,
        ),
        # equally many keys: fewer allowed values (narrower) wins
        ([_candidate(1, {"tiers": ["key", "strategic"]}), _candidate(2, {"tiers": ["key"]})], 2),
        # equally narrow: the oldest (lowest id) wins
        ([_candidate(5, {"tiers": ["key"]}), _candidate(3, {"kinds": ["complaint"]})], 3),
        # a candidate that does not hold never wins
        (
            [
                _candidate(1, {"kinds": ["complaint"]}),
                _candidate(2, {"kinds": ["complaint"], "tiers": ["standard"]}),
            ],
            1,
        ),
        # nothing holds: the default
        ([_candidate(1, {"kinds": ["crisis"]}), _candidate(9, {}, default=True)], 9),
        # the default never competes, even with conditions that hold
        (
            [
                _candidate(1, {"kinds": ["complaint"]}),
                _candidate(2, {"kinds": ["complaint"], "tiers": ["key"]}, default=True),
            ],
            1,
        ),
        # a candidate without conditions only applies as the default
        (
            [
                _candidate(1, {}),
                _candidate(2, {"kinds": ["crisis"]}),
                _candidate(3, {}, default=True),
            ],
            3,
        ),
        ([_candidate(1, {})], None),
        ([], None),
    ],
)
def test_choose_most_specific_then_narrower_then_oldest_else_the_default(candidates, winner):
    assert _choose(*candidates) == winner


def test_narrow_keeps_a_preferred_part_of_the_matches():
    candidates = [
        _candidate(1, {"kinds": ["complaint"], "tiers": ["key"]}),
        _candidate(2, {"kinds": ["complaint"]}),
    ]
    found = conditions.choose(
        candidates,
        FACTS,
        conditions_of=lambda c: c.cond,
        narrow=lambda fitting: [c for c in fitting if c.id == 2],
    )
    assert found.id == 2


# ----------------------------------------------------------------- the property

VALUES = {
    "kinds": [m.value for m in TicketKind],
    "severities": [m.value for m in Severity],
    "channels": [m.value for m in Channel],
    "tiers": [m.value for m in CustomerTier],
    "standings": [m.value for m in Standing],
    "cause_sides": [m.value for m in CauseSide],
    "causes": [m.value for m in CauseGroup],
    "categories": ["late_delivery", "wrong_item", "other"],
    "keywords": ["late", "LATE", "refund", "exposé", " ", "ß"],
}

condition_sets = st.fixed_dictionaries(
    {},
    optional={key: st.lists(st.sampled_from(values), max_size=3) for key, values in VALUES.items()},
)
fact_sets = st.fixed_dictionaries(
    {
        **{
            key: st.one_of(st.none(), st.sampled_from(values))
            for key, values in VALUES.items()
            if key != "keywords"
        },
        "keywords": st.text(alphabet="lateRFUNDexposé ß\n", max_size=20),
    }
)


@given(cond=condition_sets, facts=fact_sets)
def test_a_set_matches_iff_every_constrained_key_holds(cond, facts):
    def holds(key, values):
        if key == "keywords":
            return any(w.casefold() in facts["keywords"].casefold() for w in values)
        return facts[key] in values

    constrained = {k: [w for w in v if k != "keywords" or w.strip()] for k, v in cond.items()}
    constrained = {k: v for k, v in constrained.items() if v}
    expected = all(holds(k, v) for k, v in constrained.items())
    assert conditions.matches(cond, facts) is expected
    checks = conditions.explain(cond, facts)
    assert [c.key for c in checks] == [k for k in conditions.KEYS if k in constrained]
    assert all(c.held is holds(c.key, list(c.allowed)) for c in checks)
    assert conditions.specificity(cond) == (len(constrained), sum(map(len, constrained.values())))


@given(sets=st.lists(condition_sets, max_size=5), facts=fact_sets)
def test_the_chosen_candidate_holds_and_none_that_holds_is_more_specific(sets, facts):
    candidates = [_candidate(i, c) for i, c in enumerate(sets, start=1)]
    candidates.append(_candidate(99, {}, default=True))
    chosen = conditions.choose(candidates, facts, conditions_of=lambda c: c.cond)
    rivals = [
        c
        for c in candidates[:-1]
        if conditions.specificity(c.cond)[0] and conditions.matches(c.cond, facts)
    ]
    if not rivals:
        assert chosen.id == 99
    else:
        assert chosen in rivals
        assert all(
            conditions.rank(chosen.cond, chosen.id) <= conditions.rank(r.cond, r.id) for r in rivals
        )


# ----------------------------------------------------------------- validation


def test_validation_keeps_the_constrained_keys_without_repeats(ctx):
    cleaned = conditions.validate(
        {
            "kinds": ["crisis", "crisis"],
            "tiers": [],
            "categories": ("other", "late_delivery"),
            "keywords": ["late"],
        },
        conditions.ROUTING_KEYS,
    )
    assert cleaned == {
        "kinds": ["crisis"],
        "categories": ["other", "late_delivery"],
        "keywords": ["late"],
    }


@pytest.mark.parametrize(
    ("cond", "keys", "field"),
    [
        ({"kinds": ["nope"]}, conditions.SLA_KEYS, "kinds"),
        ({"severities": ["p9"]}, conditions.SLA_KEYS, "severities"),
        ({"tiers": ["gold"]}, conditions.SLA_KEYS, "tiers"),
        ({"channels": ["fax"]}, conditions.ROUTING_KEYS, "channels"),
        ({"standings": ["vip"]}, conditions.ROUTING_KEYS, "standings"),
        ({"cause_sides": ["mine"]}, conditions.ROUTING_KEYS, "cause_sides"),
        ({"categories": ["no_such_category"]}, conditions.ROUTING_KEYS, "categories"),
        ({"causes": ["nobody"]}, conditions.PLAYBOOK_KEYS, "causes"),
        ({"keywords": ["x" * (conditions.KEYWORD_MAX + 1)]}, conditions.ROUTING_KEYS, "keywords"),
        (
            {"keywords": [f"w{i}" for i in range(conditions.KEYWORDS_MAX + 1)]},
            conditions.ROUTING_KEYS,
            "keywords",
        ),
        ({"kinds": "crisis"}, conditions.SLA_KEYS, "kinds"),
        ({"kinds": [1]}, conditions.SLA_KEYS, "kinds"),
        ({"channels": ["email"]}, conditions.SLA_KEYS, "conditions"),  # not an SLA key
        ({"category_ids": [1]}, conditions.ROUTING_KEYS, "conditions"),  # the retired key
    ],
)
def test_validation_names_the_field(ctx, cond, keys, field):
    with pytest.raises(DomainError) as caught:
        conditions.validate(cond, keys)
    assert caught.value.field == field


def test_an_editor_showing_conditions_as_one_group_gets_its_field(ctx):
    with pytest.raises(DomainError) as caught:
        conditions.validate(
            {"categories": ["no_such_category"]}, conditions.PLAYBOOK_KEYS, field="conditions"
        )
    assert caught.value.field == "conditions"
    assert "no_such_category" in str(caught.value)


# ----------------------------------------------------------------- facts


def test_a_ticket_and_its_routing_sample_have_the_same_facts(ctx, now):
    agent = factories.make_user(Role.AGENT)
    customer = factories.make_customer(tier=CustomerTier.KEY)
    ticket = db.session.get(
        Ticket,
        factories.make_ticket(
            actor_id=agent,
            customer_id=customer,
            category="late_delivery",
            now=now,
            subject="Parcel late",
            description="The courier never came.",
        ),
    )
    facts = conditions.facts(ticket)
    assert facts == conditions.facts(routing.Sample.of(ticket))
    assert facts["categories"] == "late_delivery"
    assert facts["tiers"] == "key"
    assert facts["causes"] == ticket.cause_side.group.value
    assert facts["keywords"] == "Parcel late\nThe courier never came."
    assert conditions.facts(ticket, conditions.SLA_KEYS) == {
        "kinds": "complaint",
        "severities": "p3",
        "tiers": "key",
    }


def test_a_sample_without_a_category_matches_no_category_condition(ctx):
    sample = routing.Sample(
        kind=TicketKind.COMPLAINT,
        category_id=None,
        severity=Severity.P3,
        channel=Channel.EMAIL,
        tier=CustomerTier.STANDARD,
        standing=Standing.PREFERRED,
        cause_side=CauseSide.OURS_PRODUCT,
    )
    facts = conditions.facts(sample)
    assert facts["categories"] is None
    assert not conditions.matches({"categories": ["other"]}, facts)


# ----------------------------------------------------------------- the three domains

_STEPS = (
    StepSpec("Apologise", kind=StepKind.APOLOGY),
    StepSpec("Explain", kind=StepKind.EXPLANATION),
)


def _playbook(name, conditions_, *, now, default=False):
    with unit_of_work():
        return playbooks.add_playbook(
            PlaybookSpec(name=name, steps=_STEPS, conditions=conditions_),
            actor=None,
            now=now,
            is_default=default,
        )


def test_a_playbook_without_conditions_only_applies_as_the_default(ctx, now):
    """Deliberately the SLA policies' rule: before the one matcher, such a playbook took
    every ticket no other playbook fitted, also after it stopped being the default."""
    default = _playbook("New default", {}, now=now, default=True)
    _playbook("Old default", {}, now=now)
    crises = _playbook("Crises", {"kinds": ["crisis"]}, now=now)
    agent = factories.make_user(Role.AGENT)
    complaint = db.session.get(Ticket, factories.make_ticket(actor_id=agent, now=now))
    crisis = db.session.get(
        Ticket, factories.make_ticket(actor_id=agent, now=now, kind=TicketKind.CRISIS)
    )
    assert playbooks.choose_version(complaint).playbook_id == default.id
    assert playbooks.choose_version(crisis).playbook_id == crises.id


def test_sla_policies_with_equally_many_conditions_go_to_the_narrower(ctx, now):
    """Deliberately the playbooks' rule: before the one matcher, the oldest policy won."""
    admin = db.session.get(User, factories.make_user(Role.ADMIN))
    data = {"first_response_minutes": 60, "resolution_minutes": 600}
    sla_admin.create_policy(actor=admin, now=now, data=sla_admin.PolicyData(name="Default", **data))
    wide = sla_admin.create_policy(
        actor=admin,
        now=now,
        data=sla_admin.PolicyData(name="Any complaint", kinds=("complaint", "crisis"), **data),
    )
    narrow = sla_admin.create_policy(
        actor=admin, now=now, data=sla_admin.PolicyData(name="Key accounts", tiers=("key",), **data)
    )
    agent = factories.make_user(Role.AGENT)
    key = db.session.get(
        Ticket,
        factories.make_ticket(
            actor_id=agent, now=now, customer_id=factories.make_customer(tier=CustomerTier.KEY)
        ),
    )
    standard = db.session.get(Ticket, factories.make_ticket(actor_id=agent, now=now))
    assert sla.choose_policy(key).id == narrow.id
    assert sla.choose_policy(standard).id == wide.id


def test_playbook_preview_sql_agrees_with_matching(ctx, now):
    agent = factories.make_user(Role.AGENT)
    for category, kind in (
        ("late_delivery", TicketKind.COMPLAINT),
        ("late_delivery", TicketKind.CRISIS),
        ("wrong_item", TicketKind.CRISIS),
    ):
        factories.make_ticket(
            actor_id=agent, now=now - timedelta(hours=1), category=category, kind=kind
        )
    spec = PlaybookSpec(
        name="Late crises",
        steps=_STEPS,
        conditions={
            "categories": ["late_delivery"],
            "kinds": ["crisis"],
            "causes": [],
            "tiers": ["standard", "key", "strategic"],
        },
    )
    result = playbook_admin.preview(spec, now=now)
    assert result.total == len(result.rows) == 1
    assert conditions.facts(result.rows[0].ticket)["categories"] == "late_delivery"


def test_routing_explains_every_condition_of_a_rule(ctx):
    sample = routing.Sample(
        kind=TicketKind.CRISIS,
        category_id=factories.category_id("other"),
        severity=Severity.P2,
        channel=Channel.PHONE,
        tier=CustomerTier.STANDARD,
        standing=Standing.PREFERRED,
        cause_side=CauseSide.OURS_PRODUCT,
        subject="Refund now",
    )
    rule = routing.RoutingRule(
        name="x", conditions={"kinds": ["crisis"], "categories": ["other"], "keywords": ["refund"]}
    )
    matched, why = routing._match(rule, sample)
    assert matched and len(why) == 3
    rule.conditions = {"kinds": ["complaint"], "categories": ["wrong_item"], "severities": ["p2"]}
    matched, why = routing._match(rule, sample)
    assert not matched and len(why) == 2
