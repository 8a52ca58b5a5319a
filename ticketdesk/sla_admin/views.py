"""Service-level screens: SLA policies and business calendars (leads and administrators).

Changes apply to tickets logged afterwards; tickets under way keep their due times.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ticketdesk.core.errors import DomainError
from ticketdesk.core.forms import flash_error, show_error
from ticketdesk.core.security import roles_required
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import BusinessCalendar, SlaPolicy
from ticketdesk.services.sla import admin as sla_admin
from ticketdesk.services.sla.admin import CalendarData, PolicyData
from ticketdesk.sla_admin.forms import WEEKDAYS, CalendarForm, DefaultForm, PolicyForm
from ticketdesk.templating import LABELS, duration_text

bp = Blueprint("sla_admin", __name__)

EDITORS = sla_admin.EDITOR_ROLES

CONDITION_LABELS = {
    "kinds": (_l("Kind"), "kind"),
    "severities": (_l("Severity"), "severity"),
    "tiers": (_l("Customer tier"), "tier"),
}
TARGET_LABELS = {
    "first_response_minutes": _l("First response"),
    "next_response_minutes": _l("Next response"),
    "remedy_minutes": _l("Make-whole delivered"),
    "resolution_minutes": _l("Resolution"),
}


# ----------------------------------------------------------------- words for people


def _label(group: str, value: str) -> str:
    labels = LABELS.get(group, {})
    return str(next((text for member, text in labels.items() if member == value), value))


def condition_lines(policy: SlaPolicy) -> list[tuple[str, str]]:
    lines = []
    for key, (label, group) in CONDITION_LABELS.items():
        values = (policy.conditions or {}).get(key) or []
        if values:
            lines.append((str(label), ", ".join(_label(group, v) for v in values)))
    return lines


def target_lines(policy: SlaPolicy) -> list[tuple[str, str]]:
    return [
        (str(label), duration_text(getattr(policy, key)))
        for key, label in TARGET_LABELS.items()
        if getattr(policy, key)
    ]


def escalation_lines(policy: SlaPolicy) -> list[str]:
    lines = []
    if policy.escalate_notify_lead:
        lines.append(_("Notify the leads"))
    if policy.escalate_raise_severity:
        lines.append(_("Raise the severity one step"))
    if policy.escalate_reassign:
        lines.append(_("Re-route the ticket by the rules"))
    return lines


def week_lines(calendar: BusinessCalendar) -> list[tuple[str, str]]:
    hours = calendar.hours or {}
    return [
        (str(day), sla_admin.day_text(hours.get(str(i)) or []) or _("Closed"))
        for i, day in enumerate(WEEKDAYS)
    ]


# ----------------------------------------------------------------- the overview


@bp.route("/")
@roles_required(*EDITORS)
def index():
    policies = sla_admin.list_policies()
    calendars = sla_admin.list_calendars()
    return render_template(
        "sla_admin/index.html",
        policies=policies,
        calendars=calendars,
        conditions={p.id: condition_lines(p) for p in policies},
        targets={p.id: target_lines(p) for p in policies},
        escalations={p.id: escalation_lines(p) for p in policies},
        weeks={c.id: week_lines(c) for c in calendars},
    )


# ----------------------------------------------------------------- policies


def _policy_form_data(policy: SlaPolicy) -> dict:
    cond = policy.conditions or {}
    return {
        "name": policy.name,
        "active": policy.active,
        "kinds": cond.get("kinds", []),
        "severities": cond.get("severities", []),
        "tiers": cond.get("tiers", []),
        "calendar_id": policy.calendar_id,
        **{key: getattr(policy, key) for key in sla_admin.TARGETS},
        "at_risk_percent": policy.at_risk_percent,
        "escalate_notify_lead": policy.escalate_notify_lead,
        "escalate_raise_severity": policy.escalate_raise_severity,
        "escalate_reassign": policy.escalate_reassign,
    }


def _policy_data(form: PolicyForm) -> PolicyData:
    return PolicyData(
        name=form.name.data or "",
        active=bool(form.active.data),
        kinds=tuple(form.kinds.data or ()),
        severities=tuple(form.severities.data or ()),
        tiers=tuple(form.tiers.data or ()),
        calendar_id=form.calendar_id.data,
        **{key: form[key].data for key in sla_admin.TARGETS},
        at_risk_percent=form.at_risk_percent.data,
        escalate_notify_lead=bool(form.escalate_notify_lead.data),
        escalate_raise_severity=bool(form.escalate_raise_severity.data),
        escalate_reassign=bool(form.escalate_reassign.data),
    )


def _save(form, existing, *, create, update, data, saved_message, anchor, template, **context):
    """Shared POST handling of the policy and calendar forms: save, or show the errors."""
    if form.validate_on_submit():
        try:
            if existing is None:
                saved = create(actor=current_user, data=data(form), now=utcnow())
            else:
                saved = update(existing, actor=current_user, data=data(form), now=utcnow())
        except DomainError as exc:
            show_error(form, exc)
        else:
            flash(saved_message(saved), "success")
            return redirect(url_for("sla_admin.index", _anchor=f"{anchor}-{saved.id}"))
    return render_template(template, form=form, **context)


def _save_policy(policy: SlaPolicy | None):
    editing = policy is not None and request.method == "GET"
    form = PolicyForm(data=_policy_form_data(policy) if editing else None)
    form.calendar_id.choices = [("", _("Around the clock (24/7)"))] + sla_admin.calendar_choices()
    return _save(
        form,
        policy,
        create=sla_admin.create_policy,
        update=sla_admin.update_policy,
        data=_policy_data,
        anchor="policy",
        template="sla_admin/policy_form.html",
        policy=policy,
        saved_message=lambda saved: _(
            "Policy “%(name)s” saved. It applies to tickets logged from now on; "
            "tickets under way keep their due times.",
            name=saved.name,
        ),
    )


@bp.route("/policies/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new_policy():
    return _save_policy(None)


@bp.route("/policies/<int:policy_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_policy(policy_id: int):
    return _save_policy(db.get_or_404(SlaPolicy, policy_id))


@bp.route("/policies/<int:policy_id>/default", methods=["POST"])
@roles_required(*EDITORS)
def make_default(policy_id: int):
    policy = db.get_or_404(SlaPolicy, policy_id)
    if DefaultForm().validate_on_submit():
        try:
            sla_admin.make_default(policy, actor=current_user)
        except DomainError as exc:
            flash_error(exc)
        else:
            flash(
                _(
                    "“%(name)s” is now the default policy: it applies to new tickets no other "
                    "policy matches.",
                    name=policy.name,
                ),
                "success",
            )
    return redirect(url_for("sla_admin.index", _anchor=f"policy-{policy.id}"))


# ----------------------------------------------------------------- calendars


def _calendar_form_data(calendar: BusinessCalendar) -> dict:
    hours = calendar.hours or {}
    data = {
        "name": calendar.name,
        "timezone": calendar.timezone,
        "holidays_text": sla_admin.holidays_text(calendar),
    }
    for i in range(7):
        data[f"hours_{i}"] = sla_admin.day_text(hours.get(str(i)) or [])
    return data


def _calendar_data(form: CalendarForm) -> CalendarData:
    return CalendarData(
        name=form.name.data or "",
        timezone=form.timezone.data or "",
        hours_text=tuple(f.data or "" for f in form.day_fields()),
        holidays_text=form.holidays_text.data or "",
    )


def _save_calendar(calendar: BusinessCalendar | None):
    editing = calendar is not None and request.method == "GET"
    form = CalendarForm(data=_calendar_form_data(calendar) if editing else None)
    return _save(
        form,
        calendar,
        create=sla_admin.create_calendar,
        update=sla_admin.update_calendar,
        data=_calendar_data,
        anchor="calendar",
        template="sla_admin/calendar_form.html",
        calendar=calendar,
        saved_message=lambda saved: _(
            "Calendar “%(name)s” saved. Tickets logged from now on use it; tickets "
            "under way keep their due times.",
            name=saved.name,
        ),
    )


@bp.route("/calendars/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new_calendar():
    return _save_calendar(None)


@bp.route("/calendars/<int:calendar_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_calendar(calendar_id: int):
    return _save_calendar(db.get_or_404(BusinessCalendar, calendar_id))
