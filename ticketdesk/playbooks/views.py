"""Playbook management for team leads and administrators: list, detail, edit, preview."""

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from ticketdesk.core.errors import DomainError, PermissionDenied
from ticketdesk.core.forms import flash_error, show_error
from ticketdesk.core.security import roles_required
from ticketdesk.database import utcnow
from ticketdesk.models import Category, GoodwillBasis, RemedyForm, Role, StepKind
from ticketdesk.playbooks.forms import (
    CONDITION_LABELS,
    MAX_STEPS,
    PLAYBOOK_LABELS,
    PlaybookForm,
)
from ticketdesk.services.playbooks import admin as playbook_admin
from ticketdesk.services.playbooks.engine import CONDITION_KEYS, PlaybookSpec, StepSpec
from ticketdesk.services.tickets import categories as category_service
from ticketdesk.templating import LABELS

bp = Blueprint("playbooks", __name__)

MANAGERS = playbook_admin.MANAGER_ROLES
BLANK_ROWS = 3
# Errors of the service that belong to a group of inputs rather than one field.
GROUP_ERRORS = ("conditions", "steps", "approval_limits")


def plain_number(value) -> str:
    """24.00 → "24", 1.50 → "1.5" (for hours and percentages)."""
    if value is None:
        return ""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return str(value.normalize())


@bp.context_processor
def _helpers():
    return {
        "PLAYBOOK_LABELS": PLAYBOOK_LABELS,
        "plain_number": plain_number,
        "GoodwillBasis": GoodwillBasis,
        "StepKind": StepKind,
    }


# ----------------------------------------------------------------- conditions in words


def _value_label(key: str, value: str, category_names: dict[str, str]) -> str:
    if key == "categories":
        return category_names.get(value, value)
    group = CONDITION_LABELS[key][1]
    labels = LABELS.get(group) or PLAYBOOK_LABELS.get(group) or {}
    return str(next((text for member, text in labels.items() if member == value), value))


def _ordered(key: str, values, category_order: list[str]) -> list[str]:
    """Values in the order of their choice lists (Strategic before Key), unknown ones last."""
    if key == "categories":
        order = category_order
    else:
        group = CONDITION_LABELS[key][1]
        order = [str(m) for m in (LABELS.get(group) or PLAYBOOK_LABELS.get(group) or {})]
    rank = {value: i for i, value in enumerate(order)}
    return sorted(values, key=lambda v: (rank.get(v, len(rank)), v))


def condition_lines(conditions: dict, categories: list[Category]) -> list[tuple[str, str]]:
    """[(label, "Strategic, Key"), ...] for each constrained condition."""
    names = {c.slug: c.name for c in categories}
    order = [c.slug for c in categories]
    lines = []
    for key in CONDITION_KEYS:
        values = (conditions or {}).get(key) or []
        if values:
            lines.append(
                (
                    str(CONDITION_LABELS[key][0]),
                    ", ".join(_value_label(key, v, names) for v in _ordered(key, values, order)),
                )
            )
    return lines


def conditions_text(
    conditions: dict, categories: list[Category], *, is_default: bool = True
) -> str:
    """ "Crisis · Strategic, Key", else "Any ticket" for the default (a playbook without
    conditions only applies as the default: docs/rules.md, section 19)."""
    lines = condition_lines(conditions, categories)
    if lines:
        return " · ".join(text for _label, text in lines)
    return _("Any ticket") if is_default else _("No conditions: only applies as the default")


# ----------------------------------------------------------------- form <-> spec


def _category_choices(categories: list[Category]) -> list[SelectChoice]:
    return [
        SelectChoice(c.slug, c.name if c.active else _("%(name)s (retired)", name=c.name))
        for c in categories
    ]


def _blank_rows() -> list[dict]:
    return [{"position": None, "due_hours": None} for _ in range(BLANK_ROWS)]


def _form_data(spec: PlaybookSpec | None, base_version: int | None = None) -> dict:
    if spec is None:
        return {"steps": _blank_rows()}
    limits = spec.approval_limits or {}
    data = {
        "base_version": base_version,
        "name": spec.name,
        "description": spec.description,
        "advisory": spec.advisory,
        "evidence_threshold": spec.evidence_threshold,
        "make_whole_form": spec.make_whole_form.value,
        "goodwill_basis": spec.goodwill_basis.value,
        "goodwill_value": Decimal(plain_number(spec.goodwill_value)),
        "goodwill_cap_percent": Decimal(plain_number(spec.goodwill_cap_percent)),
        "total_cap_percent": Decimal(plain_number(spec.total_cap_percent)),
        "agent_limit": limits.get(Role.AGENT.value),
        "lead_limit": limits.get(Role.LEAD.value),
        "steps": [
            {
                "position": i,
                "kind": s.kind.value,
                "title": s.title,
                "guidance": s.guidance,
                "role": s.role.value,
                "due_hours": Decimal(plain_number(s.due_hours)),
                "required": s.required,
                "recur_hours": s.recur_hours,
            }
            for i, s in enumerate(spec.steps, start=1)
        ]
        + _blank_rows(),
    }
    for key in CONDITION_KEYS:
        data[key] = list(spec.conditions.get(key) or [])
    return data


def _make_form(
    categories: list[Category], spec: PlaybookSpec | None = None, base_version: int | None = None
) -> PlaybookForm:
    form = PlaybookForm(data=_form_data(spec, base_version) if request.method == "GET" else None)
    form.categories.choices = _category_choices(categories)
    return form


def _conditions(form: PlaybookForm) -> dict:
    return {
        key: list(getattr(form, key).data or [])
        for key in CONDITION_KEYS
        if getattr(form, key).data
    }


def _spec(form: PlaybookForm) -> PlaybookSpec:
    """The playbook as entered: removed and empty rows dropped, steps sorted by position."""
    rows = []
    for entry in form.steps:
        row = entry.form
        if row.remove.data or row.is_blank:
            continue
        rows.append(
            (
                row.position.data,
                StepSpec(
                    title=row.title.data or "",
                    guidance=row.guidance.data or "",
                    kind=StepKind(row.kind.data),
                    role=Role(row.role.data),
                    due_hours=row.due_hours.data if row.due_hours.data is not None else Decimal(0),
                    required=bool(row.required.data),
                    recur_hours=row.recur_hours.data,
                ),
            )
        )
    limits = {}
    if form.agent_limit.data is not None:
        limits[Role.AGENT.value] = form.agent_limit.data
    if form.lead_limit.data is not None:
        limits[Role.LEAD.value] = form.lead_limit.data
    return PlaybookSpec(
        name=form.name.data or "",
        description=form.description.data or "",
        conditions=_conditions(form),
        advisory=bool(form.advisory.data),
        evidence_threshold=form.evidence_threshold.data or Decimal(0),
        make_whole_form=RemedyForm(form.make_whole_form.data),
        goodwill_basis=GoodwillBasis(form.goodwill_basis.data),
        goodwill_value=form.goodwill_value.data or Decimal(0),
        goodwill_cap_percent=(
            form.goodwill_cap_percent.data
            if form.goodwill_cap_percent.data is not None
            else Decimal(0)
        ),
        total_cap_percent=(
            form.total_cap_percent.data if form.total_cap_percent.data is not None else Decimal(0)
        ),
        approval_limits=limits,
        steps=playbook_admin.order_steps(rows),
    )


def _show_error(form: PlaybookForm, exc: DomainError, errors: dict[str, list[str]]) -> None:
    """A service error next to its field, in its group, or above the form."""
    if exc.field in GROUP_ERRORS and not isinstance(exc, PermissionDenied):
        errors.setdefault(exc.field, []).append(str(exc))
    else:
        show_error(form, exc)


def _preview_context(result) -> dict:
    if result is None:
        return {"preview": None}
    rows = playbook_admin.visible_rows(result, current_user)
    return {"preview": result, "preview_rows": rows, "preview_hidden": len(result.rows) - len(rows)}


def _edit_page(form, categories, *, playbook, errors, result=None):
    if request.method == "POST":  # keep empty rows for new steps after a preview or an error
        trailing = 0
        for entry in reversed(form.steps.entries):
            if not entry.form.is_blank:
                break
            trailing += 1
        for _i in range(BLANK_ROWS - trailing):
            if len(form.steps) < MAX_STEPS:
                form.steps.append_entry({"position": None, "due_hours": None})
    return render_template(
        "playbooks/form.html",
        form=form,
        playbook=playbook,
        errors=errors,
        categories=categories,
        **_preview_context(result),
        condition_lines=condition_lines(_conditions(form), categories),
    )


# ----------------------------------------------------------------- pages


@bp.route("/")
@roles_required(*MANAGERS)
def index():
    categories = category_service.list_categories(include_inactive=True)
    rows = playbook_admin.list_playbooks()
    return render_template(
        "playbooks/index.html",
        rows=rows,
        texts={
            row.playbook.id: conditions_text(
                row.version.conditions if row.version else {},
                categories,
                is_default=row.playbook.is_default,
            )
            for row in rows
        },
        has_default=any(row.playbook.is_default and row.playbook.active for row in rows),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def new():
    categories = category_service.list_categories(include_inactive=True)
    form = _make_form(categories)
    errors: dict[str, list[str]] = {}
    result = None
    if request.method == "POST" and form.preview.data:
        result = playbook_admin.preview(
            PlaybookSpec(name="", steps=(), conditions=_conditions(form)), now=utcnow()
        )
    elif form.validate_on_submit():
        try:
            playbook = playbook_admin.create_playbook(
                actor=current_user, spec=_spec(form), now=utcnow()
            )
        except DomainError as exc:
            _show_error(form, exc, errors)
        else:
            flash(
                _(
                    "Playbook %(name)s created as version 1. It is in use for new tickets "
                    "that match its conditions.",
                    name=playbook.name,
                ),
                "success",
            )
            return redirect(url_for("playbooks.detail", playbook_id=playbook.id))
    return _edit_page(form, categories, playbook=None, errors=errors, result=result)


@bp.route("/<int:playbook_id>")
@roles_required(*MANAGERS)
def detail(playbook_id: int):
    playbook = playbook_admin.get_playbook(playbook_id)
    categories = category_service.list_categories(include_inactive=True)
    version = playbook.current_version
    return render_template(
        "playbooks/detail.html",
        playbook=playbook,
        version=version,
        condition_lines=condition_lines(version.conditions if version else {}, categories),
        open_counts=playbook_admin.open_ticket_counts_by_version(playbook),
        **_preview_context(playbook_admin.preview(version, now=utcnow()) if version else None),
    )


@bp.route("/<int:playbook_id>/edit", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit(playbook_id: int):
    playbook = playbook_admin.get_playbook(playbook_id)
    categories = category_service.list_categories(include_inactive=True)
    version = playbook.current_version
    form = _make_form(
        categories,
        playbook_admin.spec_from_version(version) if version else None,
        base_version=version.number if version else None,
    )
    errors: dict[str, list[str]] = {}
    result = None
    if request.method == "POST" and form.preview.data:
        result = playbook_admin.preview(
            PlaybookSpec(name=playbook.name, steps=(), conditions=_conditions(form)),
            now=utcnow(),
            playbook=playbook,
        )
    elif form.validate_on_submit():
        before = version.number if version else 0
        try:
            playbook_admin.update_playbook(
                playbook,
                actor=current_user,
                spec=_spec(form),
                now=utcnow(),
                expected_version=form.base_version.data,
            )
        except DomainError as exc:
            _show_error(form, exc, errors)
        else:
            number = playbook.current_version.number
            if number == before:
                flash(
                    _(
                        "Saved. The steps and rules did not change, so this is still "
                        "version %(n)s.",
                        n=number,
                    ),
                    "info",
                )
            else:
                flash(
                    _(
                        "Saved as version %(n)s. Tickets under way keep the version they "
                        "started with.",
                        n=number,
                    ),
                    "success",
                )
            return redirect(url_for("playbooks.detail", playbook_id=playbook.id))
    return _edit_page(form, categories, playbook=playbook, errors=errors, result=result)


def _action(playbook_id: int, change, message):
    """Run one button's change; flash ``message(name)`` or the rule it broke."""
    playbook = playbook_admin.get_playbook(playbook_id)
    try:
        change(playbook)
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(message(playbook.name), "success")
    return redirect(url_for("playbooks.detail", playbook_id=playbook_id))


@bp.route("/<int:playbook_id>/retire", methods=["POST"])
@roles_required(*MANAGERS)
def retire(playbook_id: int):
    return _action(
        playbook_id,
        lambda p: playbook_admin.set_active(p, actor=current_user, active=False, now=utcnow()),
        lambda name: _(
            "%(name)s is retired: new tickets no longer get it; tickets under way "
            "keep their steps.",
            name=name,
        ),
    )


@bp.route("/<int:playbook_id>/activate", methods=["POST"])
@roles_required(*MANAGERS)
def activate(playbook_id: int):
    return _action(
        playbook_id,
        lambda p: playbook_admin.set_active(p, actor=current_user, active=True, now=utcnow()),
        lambda name: _("%(name)s is in use again for new tickets that match it.", name=name),
    )


@bp.route("/<int:playbook_id>/default", methods=["POST"])
@roles_required(*MANAGERS)
def make_default(playbook_id: int):
    return _action(
        playbook_id,
        lambda p: playbook_admin.make_default(p, actor=current_user, now=utcnow()),
        lambda name: _(
            "%(name)s is now the default playbook for tickets no other playbook matches.", name=name
        ),
    )
