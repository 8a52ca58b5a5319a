"""Forms of the recovery screens: the rules (team leads and admins) and the loyalty filter.

Forms check shape only; the bounds of every number live in ``services.recovery.rules``.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import InputRequired, Optional

from ticketdesk.core.inputs import IntField

# Field name → the section of the page it belongs to, in order.
SECTIONS = (
    (
        _l("Recovery success"),
        _l(
            "A resolved ticket is judged once its reopen window has passed. The recovery is a "
            "success when every rule switched on here is met."
        ),
        (
            "require_make_whole_in_sla",
            "require_apology",
            "exclude_conceded",
            "reopen_window_days",
            "min_satisfaction",
        ),
    ),
    (
        _l("Loyalty candidates"),
        _l(
            "A successful recovery makes the customer a loyalty candidate when these conditions "
            "hold too. Their account manager is told and follows up; a new order in the window "
            "counts as retained."
        ),
        (
            "first_complaint_months",
            "exclude_p1",
            "require_prior_purchase",
            "retention_window_days",
            "repeat_failure_months",
        ),
    ),
    (
        _l("Satisfaction surveys"),
        _l("Sent when a ticket is resolved; the customer answers once, by the link."),
        ("survey_valid_days", "reopen_below_score"),
    ),
    (
        _l("Engagement segments"),
        _l(
            "How an account buys from us, counted from its purchases: self-driven, needs a push, "
            "or stalled."
        ),
        (
            "segment_window_days",
            "self_driven_min_purchases",
            "self_driven_min_share",
            "stalled_drop_percent",
        ),
    ),
)


def _number(label, description):
    return IntField(label, validators=[InputRequired()], description=description)


class RulesForm(FlaskForm):
    """Every recovery rule: a ``recovery_rules.RulesData``."""

    require_make_whole_in_sla = BooleanField(
        _l("The make-whole reached the customer in time"),
        description=_l(
            "Where we owed the customer a make-whole, it was delivered within its "
            "service level. Cases that never needed one, such as advice when the "
            "cause was on their side, skip this rule."
        ),
    )
    require_apology = BooleanField(
        _l("We apologised"),
        description=_l(
            "The apology step of the checklist is ticked. Tickets whose checklist "
            "has no apology step skip this rule."
        ),
    )
    exclude_conceded = BooleanField(
        _l("Nothing was given only after the customer pushed"),
        description=_l(
            "A remedy marked as conceded (granted after an escalation or a threat) "
            "means the recovery did not succeed."
        ),
    )
    reopen_window_days = _number(
        _l("Reopen window (days)"),
        _l(
            "The ticket must not be reopened within this many days of being resolved. It is "
            "judged the day after the window ends."
        ),
    )
    min_satisfaction = _number(
        _l("Lowest satisfaction score that still counts (1 to 5)"),
        _l(
            "A survey answer below this score fails the recovery; no answer does not. 1 accepts "
            "every answer."
        ),
    )
    first_complaint_months = _number(
        _l("First complaint within (months)"),
        _l(
            "Only customers with no other complaint in this many months before it become "
            "candidates. 0 skips this check."
        ),
    )
    exclude_p1 = BooleanField(
        _l("Leave out critical (P1) cases"),
        description=_l(
            "A P1 case rarely says much about loyalty; its customer is not a candidate."
        ),
    )
    require_prior_purchase = BooleanField(
        _l("The customer had bought from us before the complaint"),
        description=_l(
            "Someone who never bought cannot come back; an order on the day of the "
            "complaint counts."
        ),
    )
    retention_window_days = _number(
        _l("Window to buy again (days)"),
        _l(
            "A candidate who orders again within this many days after the resolution day is "
            "retained; when the window passes without an order, lapsed."
        ),
    )
    repeat_failure_months = _number(
        _l("Second failure of ours within (months)"),
        _l(
            "When a complaint caused by us follows another one caused by us within this many "
            "months, the account is marked at risk. 0 turns this off."
        ),
    )
    survey_valid_days = _number(
        _l("Survey link works for (days)"),
        _l("After this the link expires; the ticket is judged without an answer."),
    )
    reopen_below_score = IntField(
        _l("Reopen for a second look below score"),
        validators=[Optional()],
        description=_l(
            "An answer below this score (2 to 5) reopens the ticket for review. "
            "Leave it empty to never reopen."
        ),
    )
    segment_window_days = _number(
        _l("Counting window (days)"),
        _l(
            "Purchases are counted in the last this-many days and compared with the same "
            "span just before."
        ),
    )
    self_driven_min_purchases = _number(
        _l("Purchases to count as self-driven"),
        _l("At least this many purchases in the window, without a steep drop."),
    )
    self_driven_min_share = _number(
        _l("Our share of their buying to count as self-driven (%)"),
        _l("Where we do not know the share, the number of purchases decides."),
    )
    stalled_drop_percent = _number(
        _l("Drop that means stalled (%)"),
        _l(
            "An account with no purchases in the window, or with purchases down by at least "
            "this much against the window before, has stalled."
        ),
    )

    def sections(self):
        """(title, introduction, fields) for each part of the page."""
        return [(title, intro, [self[name] for name in names]) for title, intro, names in SECTIONS]
