"""The compensation ledger over a period, for team leads and admins."""

from datetime import datetime, time, timedelta

from flask import Blueprint, render_template, request
from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import Optional

from ticketdesk.core.inputs import BoundedDateField
from ticketdesk.database import utcnow
from ticketdesk.models import Role
from ticketdesk.security import roles_required
from ticketdesk.services import ledger as ledger_service
from ticketdesk.services.errors import DomainError

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
    form.validate()
    tz = get_timezone()
    today = utcnow().astimezone(tz).date()
    until_day = form.until.data or today
    since_day = form.since.data or until_day - timedelta(days=29)
    form.since.data, form.until.data = since_day, until_day
    # Whole days in the user's timezone.
    since = datetime.combine(since_day, time.min, tzinfo=tz)
    until = datetime.combine(until_day + timedelta(days=1), time.min, tzinfo=tz)
    report, error = None, None
    try:
        report = ledger_service.period_report(since=since, until=until)
    except DomainError as exc:
        error = str(exc)
    return render_template("ledger/index.html", form=form, report=report, error=error)
