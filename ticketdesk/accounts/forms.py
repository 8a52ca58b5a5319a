"""Forms of the account pages: the list's filter and the segment set by hand."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from ticketdesk.models import EngagementSegment
from ticketdesk.services.recovery.segments import REASON_MAX
from ticketdesk.tickets.forms import enum_choices, int_or_none


class AccountFilterForm(FlaskForm):
    """The list's filter (leads and admins): one account manager's accounts, or all."""

    class Meta:
        csrf = False

    manager = SelectField(
        _l("Account manager"), coerce=int_or_none, validate_choice=False, validators=[Optional()]
    )


class SegmentOverrideForm(FlaskForm):
    segment = SelectField(
        _l("Segment"),
        choices=[SelectChoice("", _l("Use the computed segment"))]
        + enum_choices(EngagementSegment, "segment"),
        default="",
    )
    reason = TextAreaField(
        _l("Why"),
        validators=[Optional(), Length(max=REASON_MAX)],
        render_kw={"rows": 2},
        description=_l(
            "Needed when you choose a segment: what you know that the purchase figures don't show."
        ),
    )
