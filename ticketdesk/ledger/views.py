"""The compensation ledger over a period, for team leads and admins."""

from datetime import timedelta

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import Optional

from ticketdesk.core import clock
from ticketdesk.core.errors import DomainError
from ticketdesk.core.inputs import BoundedDateField
from ticketdesk.core.security import roles_required
from ticketdesk.database import utcnow
from ticketdesk.models import Role
from ticketdesk.services.ledger import remedies as ledger_service

bp = Blueprint("ledger", __name__)


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False

    since = BoundedDateField(_l("From"), validators=[Optional()])
    until = BoundedDateField(_l("Until (inclusive)"), validators=[Optional()])


@bp.route("/")
@roles_required(Role.LEAD, Role.ADMIN)
def index():
    form = PeriodForm(request.args)
    if not form.validate():
        # A date that is no date: say so next to the field, rather than silently showing
        # another period.
        return render_template("ledger/index.html", form=form, report=None, error=None), 400
    tz = clock.user_zone()
    today = clock.local_date(utcnow(), tz)
    until_day = form.until.data or today
    since_day = form.since.data or until_day - timedelta(days=29)
    form.since.data, form.until.data = since_day, until_day
    # Whole days in the user's timezone, ``until`` included.
    since, until = clock.day_span(since_day, until_day, tz)
    try:
        report = ledger_service.period_report(since=since, until=until)
    except DomainError as exc:
        return render_template("ledger/index.html", form=form, report=None, error=str(exc)), 400
    return render_template("ledger/index.html", form=form, report=report, error=None)
