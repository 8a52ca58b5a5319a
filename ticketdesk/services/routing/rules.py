"""Managing routing rules (leads and administrators), the fallback team, the shipped defaults.

How rules are evaluated lives in ``ticketdesk.services.routing.engine``.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from ticketdesk import conditions
from ticketdesk.core.errors import DomainError, PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    AssignStrategy,
    NotifyTarget,
    Role,
    RoutingRule,
    Severity,
    Team,
    User,
)

EDITOR_ROLES = (Role.LEAD, Role.ADMIN)
NAME_MAX = 120
KEY_ACCOUNTS_TEAM = "Key accounts"
FRONT_DESK_TEAM = "Front desk"


@dataclass(frozen=True)
class RuleData:
    name: str
    active: bool = True
    continue_after: bool = False
    kinds: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    standings: tuple[str, ...] = ()
    cause_sides: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # category slugs
    keywords: tuple[str, ...] = ()
    team_id: int | None = None
    strategy: AssignStrategy = AssignStrategy.NONE
    assignee_id: int | None = None
    raise_severity: Severity | None = None
    watch_account_manager: bool = False
    watch_lead: bool = False
    notify: tuple[str, ...] = ()


def parse_keywords(text: str) -> tuple[str, ...]:
    """Keywords from a comma- or line-separated text, trimmed, without repeats."""
    seen: list[str] = []
    for part in (text or "").replace("，", ",").replace("\n", ",").split(","):
        word = part.strip()
        if word and word.casefold() not in (w.casefold() for w in seen):
            seen.append(word)
    return tuple(seen)


def _require_editor(actor: User) -> None:
    if actor.role not in EDITOR_ROLES:
        raise PermissionDenied(_("Only leads and administrators manage routing."))


def _conditions(data: RuleData) -> dict:
    return conditions.validate(
        {key: getattr(data, key) for key in conditions.ROUTING_KEYS}, conditions.ROUTING_KEYS
    )


def _validate(data: RuleData, *, rule_id: int | None) -> tuple[dict, Team | None, User | None]:
    name = data.name.strip()
    if not name:
        raise DomainError(_("Give the rule a name."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError(_("Keep the name under %(n)s characters.", n=NAME_MAX), field="name")
    clash = db.session.scalar(
        sa.select(RoutingRule.id).where(sa.func.lower(RoutingRule.name) == name.lower())
    )
    if clash is not None and clash != rule_id:
        raise DomainError(_("Another rule has this name."), field="name")
    conditions = _conditions(data)
    team = db.session.get(Team, data.team_id) if data.team_id else None
    if data.team_id and team is None:
        raise DomainError(_("No such team."), field="team_id")
    assignee = None
    if data.strategy is not AssignStrategy.NONE and team is None:
        raise DomainError(_("Choose the team whose people share these tickets."), field="team_id")
    if data.strategy is AssignStrategy.USER:
        assignee = db.session.get(User, data.assignee_id) if data.assignee_id else None
        if assignee is None:
            raise DomainError(_("Choose the person who gets these tickets."), field="assignee_id")
        if not assignee.active or not assignee.works_tickets:
            raise DomainError(
                _("%(name)s cannot take tickets.", name=assignee.name), field="assignee_id"
            )
        if team not in assignee.teams:
            raise DomainError(
                _("%(name)s is not a member of %(team)s.", name=assignee.name, team=team.name),
                field="assignee_id",
            )
    allowed_targets = {t.value for t in NotifyTarget}
    if any(t not in allowed_targets for t in data.notify):
        raise DomainError(_("Unknown value in this condition."), field="notify")
    if (
        team is None
        and data.raise_severity is None
        and not data.watch_account_manager
        and not data.watch_lead
        and not data.notify
    ):
        raise DomainError(
            _(
                "A rule must do something: choose a team, raise the severity, "
                "add watchers or notify someone."
            ),
            field="team_id",
        )
    return conditions, team, assignee


def _fill(
    rule: RoutingRule,
    data: RuleData,
    conditions: dict,
    team: Team | None,
    assignee: User | None,
    actor: User,
    now: datetime,
) -> None:
    rule.name = data.name.strip()
    rule.active = data.active
    rule.continue_after = data.continue_after
    rule.conditions = conditions
    rule.team = team
    rule.strategy = data.strategy if team is not None else AssignStrategy.NONE
    rule.assignee = assignee
    rule.raise_severity = data.raise_severity
    rule.watch_account_manager = data.watch_account_manager
    rule.watch_lead = data.watch_lead
    rule.notify = list(dict.fromkeys(data.notify))
    rule.updated_by_id = actor.id
    rule.updated_at = now


def create_rule(*, actor: User, data: RuleData, now: datetime) -> RoutingRule:
    """Add a rule at the end of the list."""
    _require_editor(actor)
    conditions, team, assignee = _validate(data, rule_id=None)
    with unit_of_work():
        last = db.session.scalar(sa.select(sa.func.max(RoutingRule.position))) or 0
        rule = RoutingRule(position=last + 1, created_at=now)
        _fill(rule, data, conditions, team, assignee, actor, now)
        db.session.add(rule)
    return rule


def update_rule(rule: RoutingRule, *, actor: User, data: RuleData, now: datetime) -> RoutingRule:
    _require_editor(actor)
    conditions, team, assignee = _validate(data, rule_id=rule.id)
    with unit_of_work():
        _fill(rule, data, conditions, team, assignee, actor, now)
    return rule


def delete_rule(rule: RoutingRule, *, actor: User) -> None:
    """Remove a rule. Tickets keep its name in their timeline events."""
    _require_editor(actor)
    with unit_of_work():
        db.session.delete(rule)
        db.session.flush()
        _renumber()


def move_rule(rule: RoutingRule, *, actor: User, offset: int) -> RoutingRule:
    """Move a rule up (-1) or down (+1) in the evaluation order."""
    _require_editor(actor)
    rules = list(
        db.session.scalars(sa.select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id))
    )
    index = rules.index(rule)
    target = index + offset
    if offset not in (-1, 1) or not 0 <= target < len(rules):
        raise DomainError(_("The rule cannot move further."), field="position")
    rules[index], rules[target] = rules[target], rules[index]
    with unit_of_work():
        for position, item in enumerate(rules, start=1):
            item.position = position
    return rule


def _renumber() -> None:
    rules = db.session.scalars(
        sa.select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)
    )
    for position, item in enumerate(rules, start=1):
        item.position = position


def set_fallback_team(*, actor: User, team_id: int | None) -> Team | None:
    """The team that takes tickets no rule gives a team (None: the oldest team)."""
    _require_editor(actor)
    team = db.session.get(Team, team_id) if team_id else None
    if team_id and team is None:
        raise DomainError(_("No such team."), field="team_id")
    with unit_of_work():
        db.session.execute(
            sa.update(Team).where(Team.is_fallback.is_(True)).values(is_fallback=False)
        )
        db.session.flush()
        if team is not None:
            team.is_fallback = True
    return team


def _team(name: str, description: str) -> Team:
    team = db.session.scalar(sa.select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name, description=description)
        db.session.add(team)
        db.session.flush()
    return team


def seed_default_rules(*, now: datetime) -> int:
    """Ship the default rules into a database that has none. Returns how many were added.

    A crisis always gets a lead watching (and routing continues); crises and
    complaints from strategic or preferred accounts, and everything from
    strategic-tier customers, go to the key-account team in turn, with the
    account manager and a lead watching. The front desk, when it exists, takes
    the rest.
    """
    with unit_of_work():
        return add_default_rules(now=now)


def add_default_rules(*, now: datetime) -> int:
    """``seed_default_rules`` inside the caller's transaction."""
    if db.session.scalar(sa.select(sa.func.count(RoutingRule.id))):
        return 0
    key = _team(KEY_ACCOUNTS_TEAM, "Strategic and key customers: crises and escalations.")
    front = db.session.scalar(sa.select(Team).where(Team.name == FRONT_DESK_TEAM))
    has_fallback = db.session.scalar(sa.select(Team.id).where(Team.is_fallback.is_(True)))
    if front is not None and has_fallback is None:
        front.is_fallback = True
    specs = [
        RoutingRule(
            name="Every crisis: a lead watches",
            conditions={"kinds": ["crisis"]},
            watch_lead=True,
            notify=[NotifyTarget.LEADS.value],
            continue_after=True,
        ),
        RoutingRule(
            name="Strategic and preferred accounts to key accounts",
            conditions={"kinds": ["complaint", "crisis"], "standings": ["strategic", "preferred"]},
            team=key,
            strategy=AssignStrategy.ROUND_ROBIN,
            watch_account_manager=True,
            watch_lead=True,
        ),
        RoutingRule(
            name="Strategic-tier customers to key accounts",
            conditions={"tiers": ["strategic"]},
            team=key,
            strategy=AssignStrategy.ROUND_ROBIN,
            watch_account_manager=True,
            watch_lead=True,
        ),
    ]
    for position, rule in enumerate(specs, start=1):
        rule.position, rule.active = position, True
        rule.created_at = rule.updated_at = now
        db.session.add(rule)
    return len(specs)
