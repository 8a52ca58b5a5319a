"""Routing: ordered rules send each new ticket to a team and a person, from every channel.

``decide`` only reads: it evaluates the active rules in order for a ticket (or a
sample ticket in the dry run) and returns a ``Decision`` with a trace of every
rule. ``_apply`` writes that decision onto a ticket: team, assignee, raised
severity, watchers, notifications and one timeline event per rule that acted.
The dry run and real routing share ``decide``, so they cannot disagree.

Matching is ``ticketdesk.conditions``: within a condition the listed values are
alternatives; all conditions of a rule must hold, so a rule without conditions
matches any ticket; keywords match anywhere in the subject or description,
ignoring case. The first matching rule ends routing unless it says to continue;
a later rule only adds what no earlier one decided (the team and its assignee
come from the first matching rule that names a team; severity only goes up).
When no rule names a team, the fallback team takes the ticket, so routing
always yields a team as long as one exists.
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ticketdesk import conditions
from ticketdesk.extensions import db
from ticketdesk.models import (
    OPEN_STATUSES,
    AssignStrategy,
    CauseSide,
    Channel,
    CustomerTier,
    EventKind,
    NotifyTarget,
    Role,
    RoutingRule,
    Severity,
    Standing,
    Team,
    Ticket,
    TicketKind,
    TicketWatcher,
    User,
    team_members,
)
from ticketdesk.services import timeline as events
from ticketdesk.services.notifications import notifications

SEVERITY_RANK = {Severity.P1: 1, Severity.P2: 2, Severity.P3: 3, Severity.P4: 4}

# How the dry run names each condition.
FIELD_NAMES = {
    "kinds": _l("kind"),
    "severities": _l("severity"),
    "channels": _l("channel"),
    "tiers": _l("customer tier"),
    "standings": _l("standing"),
    "cause_sides": _l("cause side"),
}

# How timeline events and the dry run name a strategy or a notify target.
STRATEGY_WORDS = {
    AssignStrategy.NONE: _l("team queue"),
    AssignStrategy.USER: _l("named in the rule"),
    AssignStrategy.ROUND_ROBIN: _l("round-robin"),
    AssignStrategy.FEWEST_OPEN: _l("fewest open tickets"),
}
NOTIFY_WORDS = {
    NotifyTarget.TEAM: _l("the team"),
    NotifyTarget.LEADS: _l("the team's leads"),
    NotifyTarget.ACCOUNT_MANAGER: _l("the account manager"),
}


@dataclass(frozen=True)
class Sample:
    """What routing looks at: a ticket, or the dry run's made-up one."""

    kind: TicketKind
    category_id: int | None
    severity: Severity
    channel: Channel
    tier: CustomerTier
    standing: Standing
    cause_side: CauseSide
    subject: str = ""
    description: str = ""
    account_manager_id: int | None = None

    @classmethod
    def of(cls, ticket: Ticket) -> "Sample":
        customer = ticket.customer
        return cls(
            kind=ticket.kind,
            category_id=ticket.category_id,
            severity=ticket.severity,
            channel=ticket.channel,
            tier=customer.tier,
            standing=customer.standing,
            cause_side=ticket.cause_side,
            subject=ticket.subject,
            description=ticket.description,
            account_manager_id=customer.account_manager_id,
        )


@dataclass
class RuleTrace:
    rule_id: int
    name: str
    matched: bool
    why: list[str] = field(default_factory=list)  # unmet conditions, or what matched
    actions: list[str] = field(default_factory=list)  # what this rule decided


@dataclass
class Decision:
    team_id: int | None = None
    team_name: str | None = None
    assignee_id: int | None = None
    assignee_name: str | None = None
    team_rule: str | None = None  # the rule that chose the team (None: fallback/kept)
    strategy: AssignStrategy = AssignStrategy.NONE
    severity: Severity = Severity.P3
    watcher_ids: list[int] = field(default_factory=list)
    watcher_rules: dict[int, str] = field(default_factory=dict)
    notify_ids: list[int] = field(default_factory=list)
    notify_rules: dict[int, str] = field(default_factory=dict)
    fallback: bool = False
    fallback_note: str | None = None
    notes: list[str] = field(default_factory=list)
    traces: list[RuleTrace] = field(default_factory=list)

    @property
    def matched(self) -> list[RuleTrace]:
        return [t for t in self.traces if t.matched]

    def outcome(self) -> tuple:
        """Everything routing decides, for comparing a dry run with real routing."""
        return (
            self.team_id,
            self.assignee_id,
            self.severity,
            tuple(self.watcher_ids),
            tuple(self.notify_ids),
            tuple(t.rule_id for t in self.matched),
            self.fallback,
        )


# ----------------------------------------------------------------- reading rules


def list_rules(*, active_only: bool = False) -> list[RoutingRule]:
    stmt = sa.select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)
    if active_only:
        stmt = stmt.where(RoutingRule.active.is_(True))
    return list(db.session.scalars(stmt))


def fallback_team() -> Team | None:
    """The team marked as fallback, else the oldest team."""
    team = db.session.scalar(sa.select(Team).where(Team.is_fallback.is_(True)))
    return team or db.session.scalar(sa.select(Team).order_by(Team.id).limit(1))


# ----------------------------------------------------------------- matching


def _match(rule: RoutingRule, sample: Sample) -> tuple[bool, list[str]]:
    """Whether ``rule`` matches, with the reasons it does not (or what it matched on)."""
    checks = conditions.explain(rule.conditions, conditions.facts(sample, conditions.ROUTING_KEYS))
    misses = [_why(check) for check in checks if not check.held]
    return (not misses), (misses or [_why(check) for check in checks])


def _why(check: conditions.Check) -> str:
    """One condition of the dry run's explanation, in words."""
    if check.key == "categories":
        return (
            _("the category is one of the rule's")
            if check.held
            else _("the category is not one of the rule's")
        )
    if check.key == "keywords":
        return (
            _("keyword “%(word)s”", word=check.value)
            if check.held
            else _("none of the keywords appears")
        )
    if check.held:
        return _("%(field)s is %(value)s", field=FIELD_NAMES[check.key], value=check.value)
    return _(
        "%(field)s is %(value)s, not %(allowed)s",
        field=FIELD_NAMES[check.key],
        value=check.value,
        allowed=" / ".join(check.allowed),
    )


# ----------------------------------------------------------------- choosing people


def _available_agents(team_id: int, now: datetime) -> list[User]:
    """The team's active agents who are not away, by id (the round-robin order)."""
    users = db.session.scalars(
        sa.select(User)
        .join(team_members, team_members.c.user_id == User.id)
        .where(team_members.c.team_id == team_id, User.active.is_(True), User.role == Role.AGENT)
        .order_by(User.id)
    )
    return [u for u in users if not u.is_away(now)]


def _round_robin(team: Team, agents: list[User]) -> User | None:
    if not agents:
        return None
    last = team.rr_last_user_id or 0
    return next((u for u in agents if u.id > last), agents[0])


def open_counts(user_ids: list[int], *, exclude_ticket_id: int | None = None) -> dict[int, int]:
    if not user_ids:
        return {}
    stmt = (
        sa.select(Ticket.assignee_id, sa.func.count(Ticket.id))
        .where(Ticket.assignee_id.in_(user_ids), Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.assignee_id)
    )
    if exclude_ticket_id is not None:
        stmt = stmt.where(Ticket.id != exclude_ticket_id)
    found = dict(db.session.execute(stmt).all())
    return {uid: found.get(uid, 0) for uid in user_ids}


def _fewest_open(agents: list[User], *, exclude_ticket_id: int | None) -> User | None:
    """Fewest open tickets; ties go to whoever waited longest since their last ticket."""
    if not agents:
        return None
    counts = open_counts([u.id for u in agents], exclude_ticket_id=exclude_ticket_id)
    never = datetime.min.replace(tzinfo=UTC)

    def key(user: User):
        last = user.last_assigned_at or never
        return counts[user.id], last, user.id

    return min(agents, key=key)


def _choose_assignee(
    rule: RoutingRule, team: Team, *, now: datetime, exclude_ticket_id: int | None, notes: list[str]
) -> tuple[User | None, AssignStrategy]:
    strategy = rule.strategy
    if strategy is AssignStrategy.NONE:
        return None, strategy
    agents = _available_agents(team.id, now)
    if strategy is AssignStrategy.USER:
        user = rule.assignee
        if user is not None and user.active and not user.is_away(now) and team.id in user.team_ids:
            return user, strategy
        who = user.name if user is not None else _("the named person")
        notes.append(
            _("%(who)s is away or not available; fewest open tickets decided instead.", who=who)
        )
        strategy = AssignStrategy.FEWEST_OPEN
    if strategy is AssignStrategy.ROUND_ROBIN:
        chosen = _round_robin(team, agents)
    else:
        chosen = _fewest_open(agents, exclude_ticket_id=exclude_ticket_id)
    if chosen is None:
        notes.append(
            _(
                "Nobody in %(team)s is available; the ticket waits in the team queue.",
                team=team.name,
            )
        )
    return chosen, strategy


def team_leads(team_id: int | None) -> list[User]:
    stmt = sa.select(User).where(User.role == Role.LEAD, User.active.is_(True)).order_by(User.id)
    if team_id is not None:
        leads = list(
            db.session.scalars(
                stmt.join(team_members, team_members.c.user_id == User.id).where(
                    team_members.c.team_id == team_id
                )
            )
        )
        if leads:
            return leads
    first = db.session.scalar(stmt.limit(1))
    return [first] if first is not None else []


def _team_members(team_id: int) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(team_members, team_members.c.user_id == User.id)
            .where(team_members.c.team_id == team_id, User.active.is_(True))
            .order_by(User.id)
        )
    )


# ----------------------------------------------------------------- deciding


def decide(
    sample: Sample,
    *,
    now: datetime,
    keep_team: Team | None = None,
    keep_assignee: User | None = None,
    exclude_ticket_id: int | None = None,
    rules: list[RoutingRule] | None = None,
) -> Decision:
    """What the rules do with ``sample`` right now. Reads only; changes nothing.

    ``keep_team``/``keep_assignee``: a person chose them at intake, so rules only
    add severity, watchers and notifications.
    """
    rules = list_rules(active_only=True) if rules is None else rules
    decision = Decision(severity=sample.severity)
    team: Team | None = None
    assignee: User | None = None
    kept = keep_team is not None or keep_assignee is not None
    if kept:
        team = keep_team or (
            keep_assignee.teams[0] if keep_assignee and keep_assignee.teams else None
        )
        assignee = keep_assignee
        decision.notes.append(_("Team and assignee were chosen at intake; rules add the rest."))
    team_decided = kept and team is not None
    watch_am: dict[str, bool] = {}
    watch_lead: list[str] = []
    notify: list[tuple[str, NotifyTarget]] = []
    current = sample
    for rule in rules:
        matched, why = _match(rule, current)
        trace = RuleTrace(rule_id=rule.id, name=rule.name, matched=matched, why=why)
        decision.traces.append(trace)
        if not matched:
            continue
        if rule.team is not None:
            if team_decided:
                trace.actions.append(
                    _("team already decided; %(team)s not used", team=rule.team.name)
                )
            else:
                team, team_decided = rule.team, True
                decision.team_rule = rule.name
                if keep_assignee is None:
                    assignee, decision.strategy = _choose_assignee(
                        rule,
                        team,
                        now=now,
                        exclude_ticket_id=exclude_ticket_id,
                        notes=decision.notes,
                    )
                trace.actions.append(_("team %(team)s", team=team.name))
                if assignee is not None:
                    trace.actions.append(
                        _(
                            "assignee %(name)s (%(how)s)",
                            name=assignee.name,
                            how=STRATEGY_WORDS[decision.strategy],
                        )
                    )
        if (
            rule.raise_severity is not None
            and SEVERITY_RANK[rule.raise_severity] < SEVERITY_RANK[current.severity]
        ):
            trace.actions.append(
                _(
                    "severity %(old)s → %(new)s",
                    old=current.severity.value.upper(),
                    new=rule.raise_severity.value.upper(),
                )
            )
            current = replace(current, severity=rule.raise_severity)
        if rule.watch_account_manager:
            watch_am.setdefault("rule", rule.name)
            trace.actions.append(_("account manager watches"))
        if rule.watch_lead:
            watch_lead.append(rule.name)
            trace.actions.append(_("a lead watches"))
        for target in rule.notify or []:
            notify.append((rule.name, NotifyTarget(target)))
            trace.actions.append(_("notify %(who)s", who=NOTIFY_WORDS[NotifyTarget(target)]))
        if not rule.continue_after:
            break
    if team is None:
        team = fallback_team()
        decision.fallback = team is not None
        if team is not None:
            decision.fallback_note = _(
                "No rule chose a team; the fallback team %(team)s takes it.", team=team.name
            )
    decision.severity = current.severity
    if team is not None:
        decision.team_id, decision.team_name = team.id, team.name
    if assignee is not None:
        decision.assignee_id, decision.assignee_name = assignee.id, assignee.name
    _decide_people(decision, sample, team, watch_am, watch_lead, notify)
    return decision


def _decide_people(
    decision: Decision,
    sample: Sample,
    team: Team | None,
    watch_am: dict[str, bool],
    watch_lead: list[str],
    notify: list[tuple[str, NotifyTarget]],
) -> None:
    def add(ids: list[int], rules: dict[int, str], users: list[User], rule_name: str) -> None:
        for user in users:
            if user.id not in ids:
                ids.append(user.id)
                rules[user.id] = rule_name

    manager = db.session.get(User, sample.account_manager_id) if sample.account_manager_id else None
    manager = manager if manager is not None and manager.active else None
    if watch_am and manager is not None:
        add(decision.watcher_ids, decision.watcher_rules, [manager], watch_am["rule"])
    if watch_lead:
        add(
            decision.watcher_ids,
            decision.watcher_rules,
            team_leads(team.id if team else None),
            watch_lead[0],
        )
    for rule_name, target in notify:
        if target is NotifyTarget.TEAM and team is not None:
            users = _team_members(team.id)
        elif target is NotifyTarget.LEADS:
            users = team_leads(team.id if team else None)
        elif target is NotifyTarget.ACCOUNT_MANAGER and manager is not None:
            users = [manager]
        else:
            users = []
        add(decision.notify_ids, decision.notify_rules, users, rule_name)


# ----------------------------------------------------------------- applying


def _apply(ticket: Ticket, decision: Decision, *, actor: User | None, now: datetime) -> None:
    """Write ``decision`` onto ``ticket`` (inside the caller's transaction)."""
    for trace in decision.matched:
        parts = list(trace.actions)
        if trace.name == decision.team_rule:
            parts += decision.notes
        events.record(
            ticket,
            EventKind.ROUTING,
            now=now,
            actor=actor,
            field="rule",
            new=trace.name,
            body="; ".join(parts) or _("matched; nothing left to decide"),
        )
    if decision.fallback:
        events.record(
            ticket,
            EventKind.ROUTING,
            now=now,
            actor=actor,
            field="rule",
            new=None,
            body=decision.fallback_note,
        )
    if decision.severity is not ticket.severity:
        old = ticket.severity
        ticket.severity = decision.severity
        events.record(
            ticket,
            EventKind.FIELD_CHANGE,
            now=now,
            actor=actor,
            field="severity",
            old=old.value,
            new=decision.severity.value,
        )
    old_team, old_assignee = ticket.team, ticket.assignee
    team = db.session.get(Team, decision.team_id) if decision.team_id else None
    assignee = db.session.get(User, decision.assignee_id) if decision.assignee_id else None
    ticket.team, ticket.assignee = team, assignee
    if (
        team is not None
        and assignee is not None
        and decision.strategy is AssignStrategy.ROUND_ROBIN
    ):
        team.rr_last_user_id = assignee.id
    events.record_assignment(
        ticket,
        old_team=old_team,
        old_assignee=old_assignee,
        actor=actor,
        now=now,
        rule_name=decision.team_rule,
    )
    _add_watchers(ticket, decision, now=now)
    if decision.notify_ids:
        users = db.session.scalars(sa.select(User).where(User.id.in_(decision.notify_ids)))
        by_id = {u.id: u for u in users}
        skip = {decision.assignee_id} if decision.assignee_id else set()
        for uid in decision.notify_ids:
            notifications.routed(
                ticket, [by_id[uid]], rule_name=decision.notify_rules[uid], now=now, skip=skip
            )
    ticket.last_activity_at = now


def _add_watchers(ticket: Ticket, decision: Decision, *, now: datetime) -> None:
    if not decision.watcher_ids:
        return
    if ticket.id is None:
        db.session.flush()
    already = set(
        db.session.scalars(
            sa.select(TicketWatcher.user_id).where(TicketWatcher.ticket_id == ticket.id)
        )
    )
    for uid in decision.watcher_ids:
        if uid in already:
            continue
        db.session.add(
            TicketWatcher(
                ticket_id=ticket.id,
                user_id=uid,
                rule_name=decision.watcher_rules[uid],
                created_at=now,
            )
        )
        user = db.session.get(User, uid)
        notifications.watching(ticket, [user], rule_name=decision.watcher_rules[uid], now=now)


def route(
    ticket: Ticket,
    *,
    actor: User | None,
    now: datetime,
    keep_team: Team | None = None,
    keep_assignee: User | None = None,
) -> Decision:
    """Route a ticket inside the caller's transaction (intake and re-routing)."""
    _lock_round_robin_teams()
    decision = decide(
        Sample.of(ticket),
        now=now,
        keep_team=keep_team,
        keep_assignee=keep_assignee,
        exclude_ticket_id=ticket.id,
    )
    _apply(ticket, decision, actor=actor, now=now)
    return decision


def _lock_round_robin_teams() -> None:
    """Serialise concurrent routings through round-robin teams (PostgreSQL row locks)."""
    team_ids = sa.select(RoutingRule.team_id).where(
        RoutingRule.active.is_(True), RoutingRule.strategy == AssignStrategy.ROUND_ROBIN
    )
    list(
        db.session.scalars(
            sa.select(Team.id).where(Team.id.in_(team_ids)).order_by(Team.id).with_for_update()
        )
    )
