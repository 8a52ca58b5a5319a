"""The service-level dashboard for team leads: figures, drill-downs and CSV exports.

Every page takes the same query: ``since`` and ``until`` (whole days in the lead's
timezone, ``until`` included) or ``days`` (the last N days up to today), and ``team``
(repeated; none means every team).
"""

from datetime import date, timedelta

from flask import Blueprint, abort, render_template, request
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.validators import NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ticketdesk.core import clock, inputs
from ticketdesk.core.csv_export import csv_response
from ticketdesk.core.errors import DomainError
from ticketdesk.core.forms import show_error
from ticketdesk.core.inputs import BoundedDateField, IntField, parse_id
from ticketdesk.core.security import roles_required
from ticketdesk.dashboard import chart, tables
from ticketdesk.database import utcnow
from ticketdesk.services.sla import dashboard

bp = Blueprint("dashboard", __name__)

DEFAULT_DAYS = 30
PRESETS = (7, 30, 90)


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False

    since = BoundedDateField(_l("From"), validators=[Optional()])
    until = BoundedDateField(_l("Until (inclusive)"), validators=[Optional()])
    days = IntField(
        _l("Last days"), validators=[Optional(), NumberRange(min=1, max=dashboard.MAX_DAYS)]
    )
    team = SelectMultipleField(
        _l("Teams"),
        coerce=parse_id,
        validators=[Optional()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


def _period() -> tuple[PeriodForm, dashboard.Period | None]:
    """The form and the period it names; the period is None when the form has errors."""
    form = PeriodForm(request.args)
    form.team.choices = dashboard.team_choices()
    if not form.validate():
        return form, None
    tz = clock.user_zone()
    today = clock.local_date(utcnow(), tz)
    if form.days.data:
        last = today
        first = last - timedelta(days=form.days.data - 1)
    else:
        last = form.until.data or today
        first = form.since.data or last - timedelta(days=DEFAULT_DAYS - 1)
    form.since.data, form.until.data = first, last
    try:
        period = dashboard.Period(first, last, tz, tuple(sorted(form.team.data or ())))
    except DomainError as exc:
        show_error(form, exc, "since")
        return form, None
    return form, period


def _args(period: dashboard.Period) -> dict:
    """The query that names ``period`` again, for links and exports."""
    args = {"since": period.first.isoformat(), "until": period.last.isoformat()}
    if period.team_ids:
        args["team"] = list(period.team_ids)
    return args


def _week_label(monday: date) -> str:
    return format_date(monday, "d MMM")


@bp.route("/")
@roles_required(*dashboard.VIEWER_ROLES)
def index():
    form, period = _period()
    if period is None:
        return render_template("dashboard/index.html", form=form, period=None), 400
    report = dashboard.report(period, tier_names=tables.tier_names())
    now = utcnow()
    pages = {
        which: dashboard.live(period.team_ids, which, now=now) for which in dashboard.LIVE_LISTS
    }
    live = {which: tables.live(which, page, now) for which, page in pages.items()}
    live_totals = {which: page.total for which, page in pages.items()}
    return render_template(
        "dashboard/index.html",
        form=form,
        period=period,
        args=_args(period),
        period_text=tables.period_text(period),
        presets=PRESETS,
        tables={t.name: t for t in tables.period_tables(report)},
        cards=tables.cards(report),
        live=live,
        live_totals=live_totals,
        chart=chart.weekly(report.weeks, _week_label),
    )


@bp.route("/<name>.csv")
@roles_required(*dashboard.VIEWER_ROLES)
def export(name: str):
    form, period = _period()
    if period is None:
        abort(400)
    if name in dashboard.LIVE_LISTS:
        now = utcnow()
        table = tables.live(
            name, dashboard.live(period.team_ids, name, now=now, per_page=100_000), now
        )
    else:
        report = dashboard.report(period, tier_names=tables.tier_names())
        table = next((t for t in tables.period_tables(report) if t.name == name), None)
        if table is None:
            abort(404)
    filename = f"ticketdesk-{name}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return csv_response(table.export(), filename=filename)


@bp.route("/tickets")
@roles_required(*dashboard.VIEWER_ROLES)
def drill():
    form, period = _period()
    if period is None:
        return render_template("dashboard/index.html", form=form, period=None), 400
    measure = request.args.get("measure", "")
    dim = request.args.get("dim") or None
    key = request.args.get("key") or None
    page_no = inputs.page_arg()
    now = utcnow()
    try:
        if measure in dashboard.LIVE_LISTS:
            page = dashboard.live(period.team_ids, measure, now=now, page=page_no, per_page=50)
        else:
            page = dashboard.drill(period, measure, dim=dim, key=key, page=page_no)
    except DomainError:
        abort(404)
    return render_template(
        "dashboard/tickets.html",
        form=form,
        period=period,
        args=_args(period),
        period_text=tables.period_text(period),
        page=page,
        measure=measure,
        dim=dim,
        key=key,
        title=tables.MEASURE_TITLES.get(measure, measure),
        group=_group_name(dim, key),
        live=measure in dashboard.LIVE_LISTS,
        now=now,
        team_names=dict(form.team.choices),
    )


def _group_name(dim: str | None, key: str | None) -> str:
    """The breakdown a drill-down is limited to, in words (e.g. "Team: Logistics")."""
    if dim is None:
        return ""
    labels = {
        "team": _l("Team"),
        "agent": _l("Agent"),
        "category": _l("Category"),
        "tier": _l("Customer tier"),
        "week": _l("Week from"),
    }
    return f"{labels.get(dim, dim)}: {dashboard.group_name(dim, key, tables.tier_names())}"
