"""The rolling windows of the ledger's history checks: a repeat failure within
REPEAT_FAILURE_DAYS and the no-proof fast path once per NO_PROOF_WINDOW_DAYS.

Both are exact durations (90 × 24 hours) back from the new ticket's creation, both ends
included, so they need no timezone: the same moments count on every desk.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from tests import factories
from tests.factories import load
from tests.test_ledger_service import _claim, _default_playbook, _draft
from ticketdesk.extensions import db
from ticketdesk.models import CauseSide, Role, Ticket, User
from ticketdesk.services.ledger import remedies as ledger

WINDOW = timedelta(days=90)


@pytest.mark.parametrize(
    ("gap", "earlier_cause", "repeat"),
    [
        (WINDOW, CauseSide.OURS_PRODUCT, True),  # exactly 90 days: in
        (WINDOW + timedelta(seconds=1), CauseSide.OURS_PRODUCT, False),  # a second more: out
        (WINDOW - timedelta(hours=1), CauseSide.OURS_COORDINATION, True),  # any cause of ours
        (timedelta(days=1), CauseSide.THEIRS_INTERNAL, False),  # theirs never counts
        (timedelta(days=1), CauseSide.UNKNOWN, False),  # nor an unknown cause
    ],
)
def test_a_repeat_failure_is_one_of_ours_within_the_last_90_days(
    ctx, now, gap, earlier_cause, repeat
):
    agent = factories.make_user(Role.AGENT)
    customer = factories.make_customer()
    first, second = (
        db.session.get(
            Ticket, factories.make_ticket(actor_id=agent, customer_id=customer, now=when)
        )
        for when in (now - gap, now)
    )
    first.cause_side, second.cause_side = earlier_cause, CauseSide.OURS_PRODUCT
    db.session.commit()
    assert ledger.is_repeat_failure(second) is repeat
    reason = ledger.goodwill_required(second)  # nothing else is missed yet
    assert (reason is not None and "second failure" in reason) is repeat


def test_the_same_category_only(ctx, now):
    agent = factories.make_user(Role.AGENT)
    customer = factories.make_customer()
    first = db.session.get(
        Ticket,
        factories.make_ticket(
            actor_id=agent,
            customer_id=customer,
            now=now - timedelta(days=3),
            category="damaged_defective",
        ),
    )
    second = db.session.get(
        Ticket, factories.make_ticket(actor_id=agent, customer_id=customer, now=now)
    )
    first.cause_side = second.cause_side = CauseSide.OURS_PRODUCT
    db.session.commit()
    assert not ledger.is_repeat_failure(second)


@pytest.mark.parametrize(
    ("gap", "eligible"),
    [
        (WINDOW, False),  # used exactly 90 days ago: still used
        (WINDOW + timedelta(seconds=1), True),  # a second longer ago: free again
    ],
)
def test_the_no_proof_fast_path_once_per_90_days(ctx, now, gap, eligible):
    agent = factories.make_user(Role.AGENT)
    _default_playbook(now - timedelta(days=200))
    customer = factories.make_customer()
    first = _claim(
        agent, now - gap, loss=Decimal("9.50"), customer=customer, category="damaged_defective"
    )
    ledger.propose_remedy(
        first, actor=load(User, agent), now=now - gap, draft=_draft(cost="9.50", no_proof=True)
    )
    second = _claim(agent, now, loss=Decimal("12.00"), customer=customer)
    path = ledger.fast_path(second)
    assert path.applies and path.eligible is eligible
