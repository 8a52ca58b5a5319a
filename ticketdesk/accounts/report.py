"""The outcome report page: do customers whose complaint we resolved really stay?

Registered on the accounts blueprint (``/accounts/outcomes``). The query takes ``since``
and ``until`` (desk days, ``until`` included); without them, the last 365 days.
"""

from datetime import timedelta

from flask import render_template, request
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import Optional

from ticketdesk.accounts.views import bp
from ticketdesk.core.clock import desk_date
from ticketdesk.core.errors import DomainError
from ticketdesk.core.forms import show_error
from ticketdesk.core.inputs import BoundedDateField
from ticketdesk.core.security import roles_required
from ticketdesk.database import utcnow
from ticketdesk.services.recovery import outcomes as outcome_service
from ticketdesk.services.recovery.outcomes import CompensationBand, Rate, Verdict
from ticketdesk.templating import LABELS

DEFAULT_DAYS = 365

BREAKDOWN_TITLES = {
    "cause_side": _l("By cause side"),
    "severity": _l("By severity"),
    "remedy_form": _l("By form of the make-whole remedy"),
    "compensation": _l("By compensation against the claimed loss"),
    "sla": _l("By service level"),
    "apology": _l("By apology"),
}

_OWN_LABELS = {
    "remedy_form": {outcome_service.NO_REMEDY: _l("No make-whole remedy")},
    "compensation": {
        CompensationBand.UNDER_100: _l("Less than the loss (under 100%)"),
        CompensationBand.FROM_100_TO_120: _l("100% to 120% of the loss"),
        CompensationBand.OVER_120_TO_150: _l("Over 120%, up to 150% of the loss"),
        CompensationBand.OVER_150: _l("Over 150% of the loss"),
        CompensationBand.UNKNOWN: _l("Unknown (no claimed loss)"),
    },
    "sla": {
        outcome_service.SLA_MET: _l("All targets met"),
        outcome_service.SLA_MISSED: _l("A target missed"),
    },
    "apology": {
        outcome_service.APOLOGY_GIVEN: _l("Apology given"),
        outcome_service.APOLOGY_NOT_GIVEN: _l("No apology recorded"),
    },
}

VERDICTS = {
    Verdict.BETTER: _l("Better than baseline"),
    Verdict.WORSE: _l("Worse than baseline"),
    Verdict.RESTORED: _l("Restored: no measurable difference"),
    Verdict.TOO_FEW: _l("Too few to judge"),
}


class OutcomePeriodForm(FlaskForm):
    class Meta:
        csrf = False

    since = BoundedDateField(_l("Resolved from"), validators=[Optional()])
    until = BoundedDateField(_l("Resolved until (inclusive)"), validators=[Optional()])


def group_label(breakdown: str, key: str) -> str:
    own = _OWN_LABELS.get(breakdown, {})
    if key in own:
        return str(own[key])
    maps = {"cause_side": "cause_side", "severity": "severity", "remedy_form": "remedy_form"}
    for value, text in LABELS[maps[breakdown]].items():
        if value == key:
            return str(text)
    return key


def percent(value: float | None) -> str:
    return "—" if value is None else format_percent(value, "#,##0.0%")


def rate_text(rate: Rate) -> str:
    """ "50.0% (1 of 2)"; "— (none yet)" when nothing counts."""
    if not rate.n:
        return _("— (none yet)")
    return _("%(share)s (%(hits)d of %(n)d)", share=percent(rate.value), hits=rate.hits, n=rate.n)


def points(value: float | None) -> str:
    """A difference of two rates in percentage points, signed: "+12.5 points"."""
    if value is None:
        return "—"
    number = format_decimal(abs(value) * 100, "#,##0.0")
    sign = "−" if round(value * 1000) < 0 else "+"
    return _("%(sign)s%(number)s points", sign=sign, number=number)


def number(value: float | None, pattern: str = "#,##0.0") -> str:
    return "—" if value is None else format_decimal(value, pattern)


def _render(form: OutcomePeriodForm, report=None, status: int = 200):
    return render_template(
        "accounts/outcomes.html",
        form=form,
        report=report,
        horizons=outcome_service.HORIZONS,
        repeat_days=outcome_service.REPEAT_DAYS,
        min_matched=outcome_service.MIN_MATCHED,
        claimed=outcome_service.CLAIMED_CONVERSION,
        breakdown_titles=BREAKDOWN_TITLES,
        verdicts=VERDICTS,
        group_label=group_label,
        percent=percent,
        rate_text=rate_text,
        points=points,
        number=number,
    ), status


@bp.route("/outcomes")
@roles_required(*outcome_service.VIEWER_ROLES)
def outcomes():
    form = OutcomePeriodForm(request.args)
    if not form.validate():
        return _render(form, status=400)
    today = desk_date(utcnow())
    last = form.until.data or today
    first = form.since.data or last - timedelta(days=DEFAULT_DAYS - 1)
    form.since.data, form.until.data = first, last
    try:
        report = outcome_service.report(first, last, today=today)
    except DomainError as exc:
        show_error(form, exc, "since")
        return _render(form, status=400)
    return _render(form, report)
