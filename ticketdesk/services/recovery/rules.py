"""The recovery rules: what makes a recovery a success, a customer a loyalty candidate,
when a survey reopens a ticket, and where the engagement segments begin.

One row, edited by team leads (and admins). Until someone saves it, the defaults of
``RecoveryRules``'s columns apply.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from ticketdesk.core.errors import DomainError, PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import RecoveryRules, Role, User

EDITOR_ROLES = (Role.LEAD, Role.ADMIN)

# (field, lowest, highest) for every whole-number rule. For the two look-backs in months,
# 0 switches the check off (no earlier ticket can fall in an empty window).
_LIMITS = {
    "reopen_window_days": (1, 365),
    "min_satisfaction": (1, 5),
    "first_complaint_months": (0, 60),
    "repeat_failure_months": (0, 60),
    "retention_window_days": (1, 730),
    "survey_valid_days": (1, 90),
    "reopen_below_score": (2, 5),
    "segment_window_days": (7, 730),
    "self_driven_min_purchases": (1, 1000),
    "stalled_drop_percent": (1, 100),
    "self_driven_min_share": (1, 100),
}
_FLAGS = (
    "require_make_whole_in_sla",
    "require_apology",
    "exclude_conceded",
    "exclude_p1",
    "require_prior_purchase",
)


def limits() -> dict[str, tuple[int, int]]:
    """The lowest and highest value allowed for every whole-number rule."""
    return dict(_LIMITS)


def defaults() -> dict:
    """The shipped value of every rule (the columns' defaults)."""
    return {
        column.key: column.default.arg
        for column in RecoveryRules.__table__.columns
        if column.key in _LIMITS or column.key in _FLAGS
    }


def current() -> RecoveryRules:
    """The rules in force: the saved row, or the defaults (not added to the session)."""
    rules = db.session.scalar(sa.select(RecoveryRules).order_by(RecoveryRules.id).limit(1))
    return rules if rules is not None else RecoveryRules(**defaults())


@dataclass(frozen=True)
class RulesData:
    require_make_whole_in_sla: bool
    require_apology: bool
    reopen_window_days: int
    min_satisfaction: int
    exclude_conceded: bool
    first_complaint_months: int
    exclude_p1: bool
    require_prior_purchase: bool
    repeat_failure_months: int
    retention_window_days: int
    survey_valid_days: int
    reopen_below_score: int | None
    segment_window_days: int
    self_driven_min_purchases: int
    stalled_drop_percent: int
    self_driven_min_share: int


def can_edit(user: User) -> bool:
    return user.role in EDITOR_ROLES


def update(data: RulesData, *, actor: User) -> RecoveryRules:
    """Save the rules; every number within its bounds (DomainError names the field)."""
    if not can_edit(actor):
        raise PermissionDenied(_("Only team leads and admins change the recovery rules."))
    for name, (low, high) in _LIMITS.items():
        value = getattr(data, name)
        if value is None and name == "reopen_below_score":
            continue
        if (
            value is None
            or isinstance(value, bool)
            or not isinstance(value, int)
            or not low <= value <= high
        ):
            raise DomainError(
                _("Enter a whole number from %(low)d to %(high)d.", low=low, high=high), field=name
            )
    with unit_of_work():
        rules = db.session.scalar(sa.select(RecoveryRules).order_by(RecoveryRules.id).limit(1))
        if rules is None:
            # Inserted with the defaults first: an INSERT leaves out None values and the
            # column default would replace them (reopen_below_score None means "never").
            rules = RecoveryRules()
            db.session.add(rules)
            db.session.flush()
        for name in _LIMITS:
            setattr(rules, name, getattr(data, name))
        for name in _FLAGS:
            setattr(rules, name, bool(getattr(data, name)))
        rules.updated_by_id = actor.id
    return rules
