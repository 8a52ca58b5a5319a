"""Routing screens: the ordered rules, their form, the dry run, the fallback team (leads and
administrators), and staff availability with bulk re-routing (leads)."""

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ticketdesk.core import counters
from ticketdesk.core.errors import DomainError
from ticketdesk.core.forms import flash_error, show_error
from ticketdesk.core.security import roles_required
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import (
    AssignStrategy,
    AwayReason,
    CauseSide,
    Channel,
    CustomerTier,
    Role,
    RoutingRule,
    Severity,
    Standing,
    Ticket,
    TicketKind,
    User,
)
from ticketdesk.routing.forms import (
    AwayForm,
    BackForm,
    BulkRerouteForm,
    DryRunForm,
    FallbackForm,
    MoveForm,
    RuleForm,
)
from ticketdesk.services.customers import customers as customer_service
from ticketdesk.services.people import access
from ticketdesk.services.people import availability as availability_service
from ticketdesk.services.people import users as user_service
from ticketdesk.services.routing import engine as routing
from ticketdesk.services.routing import rules as routing_rules
from ticketdesk.services.tickets import assignment
from ticketdesk.services.tickets import categories as category_service
from ticketdesk.templating import LABELS

bp = Blueprint("routing", __name__)

EDITORS = routing_rules.EDITOR_ROLES  # rules, dry run, fallback team: leads and admins
LEADS = (Role.LEAD,)  # availability and bulk re-routing

# Condition key → (label, label group of its values); categories are named by the view.
CONDITION_LABELS = {
    "kinds": (_l("Kind"), "kind"),
    "severities": (_l("Severity"), "severity"),
    "channels": (_l("Received by"), "channel"),
    "tiers": (_l("Customer tier"), "tier"),
    "standings": (_l("Customer standing"), "standing"),
    "cause_sides": (_l("Cause side"), "cause_side"),
    "categories": (_l("Category"), None),
    "keywords": (_l("Keywords"), None),
}
ENUM_KEYS = ("kinds", "severities", "channels", "tiers", "standings", "cause_sides")


# ----------------------------------------------------------------- words for people


def away_text(user: User) -> str:
    """ "Mia is on holiday, back on 12 Mar 2026" (the day in the person's own timezone)."""
    phrases = {
        AwayReason.HOLIDAY: _("%(name)s is on holiday", name=user.name),
        AwayReason.SICK: _("%(name)s is off sick", name=user.name),
        AwayReason.OTHER: _("%(name)s is away", name=user.name),
    }
    text = phrases.get(user.away_reason, phrases[AwayReason.OTHER])
    if user.away_until is not None:
        day = user.away_until.astimezone(ZoneInfo(user.timezone or "UTC")).date()
        text = _("%(who)s, back on %(day)s", who=text, day=format_date(day, "medium"))
    return text


def _label(group: str, value: str) -> str:
    labels = LABELS.get(group, {})
    return str(next((text for member, text in labels.items() if member == value), value))


def condition_lines(conditions: dict, category_names: dict[str, str]) -> list[tuple[str, str]]:
    """[("Kind", "Crisis, Complaint"), ...] for each condition the rule sets."""
    lines = []
    for key, (label, group) in CONDITION_LABELS.items():
        values = (conditions or {}).get(key) or []
        if not values:
            continue
        if key == "categories":
            text = ", ".join(category_names.get(v, v) for v in values)
        elif key == "keywords":
            text = ", ".join(f"“{v}”" for v in values)
        else:
            text = ", ".join(_label(group, v) for v in values)
        lines.append((str(label), text))
    return lines


def action_lines(rule: RoutingRule) -> list[str]:
    """What a rule does, in words."""
    lines = []
    if rule.team is not None:
        if rule.strategy is AssignStrategy.USER and rule.assignee is not None:
            lines.append(
                _(
                    "Team %(team)s, assigned to %(name)s",
                    team=rule.team.name,
                    name=rule.assignee.name,
                )
            )
        else:
            lines.append(
                _(
                    "Team %(team)s: %(how)s",
                    team=rule.team.name,
                    how=_label("strategy", rule.strategy.value),
                )
            )
    if rule.raise_severity is not None:
        lines.append(
            _(
                "Raise severity to %(severity)s",
                severity=_label("severity", rule.raise_severity.value),
            )
        )
    if rule.watch_account_manager:
        lines.append(_("The account manager watches"))
    if rule.watch_lead:
        lines.append(_("A lead watches"))
    if rule.notify:
        lines.append(_("Notify: %(who)s", who=", ".join(_label("notify", t) for t in rule.notify)))
    return lines


def _category_names() -> dict[str, str]:
    return {c.slug: c.name for c in category_service.list_categories(include_inactive=True)}


# ----------------------------------------------------------------- the rule list


def _fallback_choices(form: FallbackForm) -> None:
    form.team_id.choices = [("", _("None chosen: the oldest team"))] + user_service.team_choices()


def _fallback_form(team) -> FallbackForm:
    form = FallbackForm(formdata=None)
    _fallback_choices(form)
    form.team_id.data = team.id if team is not None and team.is_fallback else None
    return form


@bp.route("/")
@roles_required(*EDITORS)
def index():
    rules = routing.list_rules()
    names = _category_names()
    fallback = routing.fallback_team()
    return render_template(
        "routing/index.html",
        rules=rules,
        fallback=fallback,
        fallback_form=_fallback_form(fallback),
        conditions={r.id: condition_lines(r.conditions, names) for r in rules},
        actions={r.id: action_lines(r) for r in rules},
    )


@bp.route("/<int:rule_id>/move", methods=["POST"])
@roles_required(*EDITORS)
def move(rule_id: int):
    rule = db.get_or_404(RoutingRule, rule_id)
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        routing_rules.move_rule(
            rule, actor=current_user, offset=-1 if form.direction.data == "up" else 1
        )
    except DomainError as exc:
        flash_error(exc, "warning")
    else:
        flash(_("Rule “%(name)s” is now number %(n)s.", name=rule.name, n=rule.position), "success")
    return redirect(url_for("routing.index", _anchor=f"rule-{rule.id}"))


@bp.route("/<int:rule_id>/delete", methods=["POST"])
@roles_required(*EDITORS)
def delete(rule_id: int):
    rule = db.get_or_404(RoutingRule, rule_id)
    name = rule.name
    routing_rules.delete_rule(rule, actor=current_user)
    flash(
        _("Rule “%(name)s” deleted. Tickets it routed keep its name in their timeline.", name=name),
        "success",
    )
    return redirect(url_for("routing.index"))


@bp.route("/fallback", methods=["POST"])
@roles_required(*EDITORS)
def fallback():
    form = FallbackForm()
    _fallback_choices(form)
    if form.validate_on_submit():
        try:
            team = routing_rules.set_fallback_team(actor=current_user, team_id=form.team_id.data)
        except DomainError as exc:
            flash_error(exc, "danger")
        else:
            if team is not None:
                flash(
                    _("Tickets no rule gives a team now go to %(team)s.", team=team.name), "success"
                )
            else:
                flash(_("Tickets no rule gives a team now go to the oldest team."), "success")
    else:
        flash(_("Choose a team from the list."), "danger")
    return redirect(url_for("routing.index", _anchor="fallback"))


# ----------------------------------------------------------------- the rule form


def _rule_choices(form: RuleForm) -> None:
    categories = category_service.list_categories(include_inactive=True)
    form.categories.choices = [
        (c.slug, c.name if c.active else _("%(name)s (retired)", name=c.name)) for c in categories
    ]
    form.team_id.choices = [
        ("", _("No team (this rule does not choose one)"))
    ] + user_service.team_choices()
    form.assignee_id.choices = [("", _("Nobody"))] + [
        (
            u.id,
            _("%(name)s (%(teams)s)", name=u.name, teams=", ".join(t.name for t in u.teams))
            if u.teams
            else u.name,
        )
        for u in assignment.assignable_users()
    ]


def _form_data(rule: RoutingRule) -> dict:
    cond = rule.conditions or {}
    data = {key: list(cond.get(key) or []) for key in ENUM_KEYS}
    data.update(
        name=rule.name,
        active=rule.active,
        continue_after=rule.continue_after,
        categories=list(cond.get("categories") or []),
        keywords=", ".join(cond.get("keywords") or []),
        team_id=rule.team_id,
        strategy=rule.strategy.value,
        assignee_id=rule.assignee_id,
        raise_severity=rule.raise_severity.value if rule.raise_severity else "",
        watch_account_manager=rule.watch_account_manager,
        watch_lead=rule.watch_lead,
        notify=list(rule.notify or []),
    )
    return data


def _rule_data(form: RuleForm) -> routing_rules.RuleData:
    return routing_rules.RuleData(
        name=form.name.data or "",
        active=bool(form.active.data),
        continue_after=bool(form.continue_after.data),
        **{key: tuple(getattr(form, key).data or ()) for key in ENUM_KEYS},
        categories=tuple(form.categories.data or ()),
        keywords=routing_rules.parse_keywords(form.keywords.data or ""),
        team_id=form.team_id.data,
        strategy=AssignStrategy(form.strategy.data),
        assignee_id=form.assignee_id.data,
        raise_severity=Severity(form.raise_severity.data) if form.raise_severity.data else None,
        watch_account_manager=bool(form.watch_account_manager.data),
        watch_lead=bool(form.watch_lead.data),
        notify=tuple(form.notify.data or ()),
    )


def _save_rule(rule: RoutingRule | None):
    form = RuleForm(data=_form_data(rule) if rule is not None and request.method == "GET" else None)
    _rule_choices(form)
    if form.validate_on_submit():
        try:
            if rule is None:
                saved = routing_rules.create_rule(
                    actor=current_user, data=_rule_data(form), now=utcnow()
                )
            else:
                saved = routing_rules.update_rule(
                    rule, actor=current_user, data=_rule_data(form), now=utcnow()
                )
        except DomainError as exc:
            show_error(form, exc)
        else:
            if rule is None:
                flash(
                    _(
                        "Rule “%(name)s” added as number %(n)s. It routes new tickets from now on.",
                        name=saved.name,
                        n=saved.position,
                    ),
                    "success",
                )
            else:
                flash(_("Rule “%(name)s” saved.", name=saved.name), "success")
            return redirect(url_for("routing.index", _anchor=f"rule-{saved.id}"))
    return render_template("routing/form.html", form=form, rule=rule)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new():
    return _save_rule(None)


@bp.route("/<int:rule_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit(rule_id: int):
    return _save_rule(db.get_or_404(RoutingRule, rule_id))


# ----------------------------------------------------------------- the dry run


def _find_ticket(reference: str) -> Ticket | None:
    ref = reference.strip().upper()
    if ref.isdigit():
        ref = counters.format_reference(int(ref))
    return db.session.scalar(sa.select(Ticket).where(Ticket.reference == ref))


def _sample_from_form(form: DryRunForm) -> routing.Sample:
    return routing.Sample(
        kind=TicketKind(form.kind.data),
        category_id=form.category_id.data,
        severity=Severity(form.severity.data),
        channel=Channel(form.channel.data),
        tier=CustomerTier(form.tier.data),
        standing=Standing(form.standing.data),
        cause_side=CauseSide(form.cause_side.data),
        subject=form.subject.data or "",
        description=form.description.data or "",
        account_manager_id=form.account_manager_id.data,
    )


def _fill_form(form: DryRunForm, sample: routing.Sample) -> None:
    """Show the ticket's details in the form, so the sample can be changed and run again."""
    form.kind.data, form.category_id.data = sample.kind.value, sample.category_id
    form.severity.data, form.channel.data = sample.severity.value, sample.channel.value
    form.tier.data, form.standing.data = sample.tier.value, sample.standing.value
    form.cause_side.data, form.account_manager_id.data = (
        sample.cause_side.value,
        sample.account_manager_id,
    )
    form.subject.data, form.description.data = sample.subject, sample.description


def _names(user_ids: list[int]) -> dict[int, str]:
    return {uid: user.name for uid in user_ids if (user := db.session.get(User, uid)) is not None}


@bp.route("/dry-run")
@roles_required(*EDITORS)
def dry_run():
    """Runs ``routing.decide`` on a sample ticket. Reads only: nothing is saved."""
    form = DryRunForm(request.args)
    form.category_id.choices = [("", _("No category"))] + category_service.category_choices()
    form.account_manager_id.choices = [("", _("None"))] + customer_service.account_manager_choices()
    decision = source = None
    if request.args and form.validate():
        sample, exclude = _sample_from_form(form), None
        if form.ticket.data and form.ticket.data.strip():
            ticket = _find_ticket(form.ticket.data)
            if ticket is None:
                form.ticket.errors = [_("No ticket has this reference.")]
            elif not access.can_view_ticket(current_user, ticket):
                form.ticket.errors = [_("You do not have access to this ticket.")]
            else:
                sample, exclude, source = routing.Sample.of(ticket), ticket.id, ticket
                _fill_form(form, sample)
        if not form.ticket.errors:
            decision = routing.decide(sample, now=utcnow(), exclude_ticket_id=exclude)
    people, inactive, unchecked = {}, 0, []
    if decision is not None:
        people = _names(decision.watcher_ids + decision.notify_ids)
        traced = {t.rule_id for t in decision.traces}
        rules = routing.list_rules()
        inactive = sum(1 for r in rules if not r.active)
        unchecked = [r.name for r in rules if r.active and r.id not in traced]
    return render_template(
        "routing/dry_run.html",
        form=form,
        decision=decision,
        people=people,
        source=source,
        inactive=inactive,
        unchecked=unchecked,
    )


# ----------------------------------------------------------------- availability


def _availability_page(status: int = 200, failed: dict[int, AwayForm] | None = None):
    now = utcnow()
    people = availability_service.overview(now=now)
    failed = failed or {}
    away_forms = {p.user.id: failed.get(p.user.id) or AwayForm(formdata=None) for p in people}
    for user_id, form in failed.items():
        if user_id not in away_forms:  # not listed (an administrator, say): say why up top
            for errors in form.errors.values():
                for error in errors:
                    flash(str(error), "danger")
    return render_template(
        "routing/availability.html",
        people=people,
        away_forms=away_forms,
        back_form=BackForm(formdata=None),
        reroute_form=BulkRerouteForm(formdata=None),
        away_texts={p.user.id: away_text(p.user) for p in people if p.away},
        away_total=sum(len(p.open_tickets) for p in people),
    ), status


@bp.route("/availability")
@roles_required(*LEADS)
def availability():
    return _availability_page()


def _user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.route("/availability/<int:user_id>/away", methods=["POST"])
@roles_required(*LEADS)
def set_away(user_id: int):
    user = _user(user_id)
    form = AwayForm()
    if form.validate_on_submit():
        try:
            availability_service.set_away(
                user,
                actor=current_user,
                reason=AwayReason(form.reason.data),
                back_on=form.back_on.data,
                note=form.note.data or "",
                now=utcnow(),
            )
        except DomainError as exc:
            show_error(form, exc, "reason")
        else:
            flash(_("%(who)s. Routing gives them no new tickets.", who=away_text(user)), "success")
            return redirect(url_for("routing.availability", _anchor=f"person-{user.id}"))
    return _availability_page(200, failed={user.id: form})


@bp.route("/availability/<int:user_id>/back", methods=["POST"])
@roles_required(*LEADS)
def set_back(user_id: int):
    user = _user(user_id)
    if BackForm().validate_on_submit():
        try:
            availability_service.set_back(user, actor=current_user)
        except DomainError as exc:
            flash_error(exc, "warning")
        else:
            flash(_("%(name)s is back and takes new tickets again.", name=user.name), "success")
    return redirect(url_for("routing.availability", _anchor=f"person-{user.id}"))


@bp.route("/reroute", methods=["POST"])
@roles_required(*LEADS)
def reroute():
    form = BulkRerouteForm()
    if not form.validate_on_submit():
        flash(_("Choose the tickets to re-route."), "danger")
        return redirect(url_for("routing.availability"))
    try:
        count = assignment.reroute_many(
            list(form.ticket_ids.data or []), actor=current_user, now=utcnow()
        )
    except DomainError as exc:
        flash_error(exc, "danger")
    else:
        flash(
            ngettext(
                "%(num)d ticket re-routed by the rules.",
                "%(num)d tickets re-routed by the rules.",
                count,
            ),
            "success",
        )
    return redirect(url_for("routing.availability"))
