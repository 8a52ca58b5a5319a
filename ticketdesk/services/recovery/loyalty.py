"""After the recovery: was it a success, is the customer a loyalty candidate, did they stay?

Once a resolved ticket's reopen window has passed (its desk day of resolution plus
``reopen_window_days`` lies before today) and no survey of it is still open, the ticket
is judged once and gets a ``RecoveryOutcome``:

- **success**: every rule that is switched on is met (``failed`` lists the codes of the
  rules that were not): make-whole delivered within its SLA, an apology given, no reopen
  within the window of a resolution, satisfaction not below the minimum, nothing conceded;
- **loyalty candidate**: a success, and (where switched on) the customer's first complaint
  in ``first_complaint_months``, not P1, and a purchase before the complaint (``not_eligible``
  lists what was missing). A candidate is followed for ``retention_window_days``: a
  purchase after the resolution day and up to the window's end makes them RETAINED; the
  window passing without one makes them LAPSED;
- **at risk**: the cause is ours and the customer had another failure of ours within
  ``repeat_failure_months`` before this ticket, whether the recovery went well or not.

Days are the desk's (``BABEL_DEFAULT_TIMEZONE``). A look-back of N months (first complaint,
repeat failure) starts at the first moment of the same desk day N calendar months before
the ticket's day (that whole day counts; the 31st → the month's end) and ends just before
the ticket was logged. The retention window is the desk days after the resolution day up
to ``window_ends_on`` = resolution day + ``retention_window_days``, both ends included: an
order on the resolution day itself never retains (it may predate the resolution), and the
candidate lapses on the first desk day after the window.

``run_daily`` does it all; the scheduler runs it once a desk day, and running it more
often changes nothing (an outcome is unique per ticket, and a decided one stays decided).
"""

import calendar
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from ticketdesk.core import clock
from ticketdesk.core.errors import PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    LIVE_REMEDY_STATES,
    Customer,
    EngagementSegment,
    EventKind,
    LoyaltyState,
    NotificationKind,
    Order,
    RecoveryOutcome,
    RecoveryRules,
    RemedyKind,
    Role,
    Severity,
    StepKind,
    Survey,
    Ticket,
    TicketEvent,
    TicketStatus,
    User,
    purchase_clause,
)
from ticketdesk.services import timeline as events
from ticketdesk.services.ledger.remedies import OUR_CAUSE_SIDES
from ticketdesk.services.notifications import notifications
from ticketdesk.services.people import access
from ticketdesk.services.recovery import rules as rules_module
from ticketdesk.services.recovery import segments

log = logging.getLogger("ticketdesk.loyalty")

# Codes of the success rules not met (RecoveryOutcome.failed).
MAKE_WHOLE_LATE = "make_whole_late"
NO_APOLOGY = "no_apology"
REOPENED = "reopened"
LOW_SATISFACTION = "low_satisfaction"
CONCEDED = "conceded"
# Codes of the candidate conditions not met (RecoveryOutcome.not_eligible).
NOT_FIRST_COMPLAINT = "not_first_complaint"
P1 = "p1"
NO_PRIOR_PURCHASE = "no_prior_purchase"

# Plain words for the codes, for pages.
REASON_LABELS = {
    MAKE_WHOLE_LATE: _l("make-whole late or missing"),
    NO_APOLOGY: _l("no apology"),
    REOPENED: _l("reopened"),
    LOW_SATISFACTION: _l("low satisfaction"),
    CONCEDED: _l("granted only after pushing"),
    NOT_FIRST_COMPLAINT: _l("not their first complaint"),
    P1: _l("critical (P1) case"),
    NO_PRIOR_PURCHASE: _l("no purchase before the complaint"),
}

# Who sees the loyalty follow-up lists (account managers only their own accounts).
FOLLOW_UP_ROLES = (Role.ACCOUNT_MANAGER, Role.LEAD, Role.ADMIN)
RESOLVED_STATUSES = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
FOLLOWED_STATES = (
    LoyaltyState.CANDIDATE,
    LoyaltyState.RETAINED,
    LoyaltyState.LAPSED,
    LoyaltyState.AT_RISK,
)
LIST_LIMIT = 100


# ----------------------------------------------------------------- dates

DayOrMoment = TypeVar("DayOrMoment", date, datetime)


def months_before(moment: DayOrMoment, months: int) -> DayOrMoment:
    """The same day (and time, for a datetime) ``months`` calendar months earlier (the 31st →
    the month's end)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month0 = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month0 + 1)[1])
    return moment.replace(year=year, month=month0 + 1, day=day)


# ----------------------------------------------------------------- judging


@dataclass(frozen=True)
class Verdict:
    """How a resolved ticket's recovery is judged under the rules (nothing written)."""

    success: bool
    failed: list[str]
    not_eligible: list[str]
    at_risk: bool

    @property
    def candidate(self) -> bool:
        return self.success and not self.not_eligible and not self.at_risk

    @property
    def state(self) -> LoyaltyState | None:
        if self.at_risk:
            return LoyaltyState.AT_RISK
        return LoyaltyState.CANDIDATE if self.candidate else None


def _open_survey_clause(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        Survey.answered_at.is_(None), Survey.superseded_at.is_(None), Survey.expires_at > now
    )


def due_ticket_ids(*, now: datetime, rules: RecoveryRules | None = None) -> list[int]:
    """Resolved or closed tickets whose reopen window has passed and that are not judged
    yet, with no survey still open: one query, oldest resolution first."""
    rules = rules or rules_module.current()
    today = clock.desk_date(now)
    # desk_date(resolved_at) + window < today  ⇔  resolved_at < start of (today - window)
    cutoff = clock.desk_day_start(today - timedelta(days=rules.reopen_window_days))
    judged = sa.select(RecoveryOutcome.id).where(RecoveryOutcome.ticket_id == Ticket.id)
    surveying = sa.select(Survey.id).where(Survey.ticket_id == Ticket.id, _open_survey_clause(now))
    return list(
        db.session.scalars(
            sa.select(Ticket.id)
            .where(
                Ticket.status.in_(RESOLVED_STATUSES),
                Ticket.resolved_at.is_not(None),
                Ticket.resolved_at < cutoff,
                ~judged.exists(),
                ~surveying.exists(),
            )
            .order_by(Ticket.resolved_at, Ticket.id)
        )
    )


def _is_due(ticket: Ticket, rules: RecoveryRules, now: datetime) -> bool:
    if ticket.status not in RESOLVED_STATUSES or ticket.resolved_at is None:
        return False
    day = clock.desk_date(ticket.resolved_at)
    if day + timedelta(days=rules.reopen_window_days) >= clock.desk_date(now):
        return False
    judged = sa.exists().where(RecoveryOutcome.ticket_id == ticket.id)
    surveying = sa.exists().where(Survey.ticket_id == ticket.id, _open_survey_clause(now))
    return not db.session.scalar(sa.select(sa.or_(judged, surveying)))


def _needed_make_whole(ticket: Ticket) -> bool:
    """A make-whole was owed: one was granted (live), or the SLA set a due time for it."""
    return ticket.remedy_due_at is not None or any(
        r.kind is RemedyKind.MAKE_WHOLE and r.state in LIVE_REMEDY_STATES for r in ticket.remedies
    )


def _reopened_within(ticket: Ticket, days: int) -> bool:
    """Whether the ticket was reopened within ``days`` desk days of one of its resolutions."""
    done = {TicketStatus.RESOLVED.value, TicketStatus.CLOSED.value}
    changes = db.session.execute(
        sa.select(TicketEvent.created_at, TicketEvent.old_value, TicketEvent.new_value)
        .where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.kind == EventKind.STATUS_CHANGE,
            TicketEvent.field == "status",
        )
        .order_by(TicketEvent.created_at, TicketEvent.id)
    )
    resolved_on = None
    for change in changes:
        if change.new_value in done and change.old_value not in done:
            resolved_on = clock.desk_date(change.created_at)
        elif change.old_value in done and change.new_value not in done:
            if resolved_on is not None and (
                clock.desk_date(change.created_at) <= resolved_on + timedelta(days=days)
            ):
                return True
            resolved_on = None
    return False


def _latest_score(ticket: Ticket) -> int | None:
    return db.session.scalar(
        sa.select(Survey.score)
        .where(
            Survey.ticket_id == ticket.id,
            Survey.answered_at.is_not(None),
            Survey.score.is_not(None),
        )
        .order_by(Survey.answered_at.desc(), Survey.id.desc())
        .limit(1)
    )


def _failed_rules(ticket: Ticket, rules: RecoveryRules) -> list[str]:
    failed = []
    if (
        rules.require_make_whole_in_sla
        and _needed_make_whole(ticket)
        and (ticket.made_whole_at is None or ticket.remedy_breached)
    ):
        failed.append(MAKE_WHOLE_LATE)
    apologies = [step for step in ticket.steps if step.kind is StepKind.APOLOGY]
    if rules.require_apology and apologies and not any(s.done_at for s in apologies):
        failed.append(NO_APOLOGY)
    if _reopened_within(ticket, rules.reopen_window_days):
        failed.append(REOPENED)
    score = _latest_score(ticket)
    if score is not None and score < rules.min_satisfaction:
        failed.append(LOW_SATISFACTION)
    if rules.exclude_conceded and any(
        r.conceded and r.state in LIVE_REMEDY_STATES for r in ticket.remedies
    ):
        failed.append(CONCEDED)
    return failed


def look_back_start(created_at: datetime, months: int) -> datetime:
    """Where a look-back of ``months`` from a ticket logged at ``created_at`` begins: the
    first moment of the same desk day ``months`` calendar months earlier (that day counts)."""
    day = months_before(clock.desk_date(created_at), months)
    return clock.desk_day_start(day)


def _earlier_ticket_exists(ticket: Ticket, months: int, *conditions) -> bool:
    """Another ticket of the customer logged in the look-back: from the start of the same
    desk day ``months`` months earlier up to (not including) this ticket's own moment."""
    if months <= 0:
        return False
    since = look_back_start(ticket.created_at, months)
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    Ticket.customer_id == ticket.customer_id,
                    Ticket.id != ticket.id,
                    Ticket.created_at >= since,
                    Ticket.created_at < ticket.created_at,
                    *conditions,
                )
            )
        )
    )


def _ineligible(ticket: Ticket, rules: RecoveryRules) -> list[str]:
    codes = []
    if _earlier_ticket_exists(ticket, rules.first_complaint_months):
        codes.append(NOT_FIRST_COMPLAINT)
    if rules.exclude_p1 and ticket.severity is Severity.P1:
        codes.append(P1)
    if rules.require_prior_purchase:
        # Orders carry a day: one on the day of the complaint was placed before it.
        bought = db.session.scalar(
            sa.select(
                sa.exists().where(
                    Order.customer_id == ticket.customer_id,
                    purchase_clause(),
                    Order.ordered_on <= clock.desk_date(ticket.created_at),
                )
            )
        )
        if not bought:
            codes.append(NO_PRIOR_PURCHASE)
    return codes


def _at_risk(ticket: Ticket, rules: RecoveryRules) -> bool:
    return ticket.cause_side in OUR_CAUSE_SIDES and _earlier_ticket_exists(
        ticket, rules.repeat_failure_months, Ticket.cause_side.in_(OUR_CAUSE_SIDES)
    )


def assess(ticket: Ticket, rules: RecoveryRules | None = None) -> Verdict:
    """Judge ``ticket``'s recovery under ``rules`` (the rules in force by default); read only."""
    rules = rules or rules_module.current()
    failed = _failed_rules(ticket, rules)
    return Verdict(
        success=not failed,
        failed=failed,
        not_eligible=_ineligible(ticket, rules),
        at_risk=_at_risk(ticket, rules),
    )


def _judge(ticket: Ticket, rules: RecoveryRules, *, now: datetime) -> RecoveryOutcome:
    """Write the ticket's outcome, flag it, and check at once for a purchase already made."""
    verdict = assess(ticket, rules)
    resolved_on = clock.desk_date(ticket.resolved_at)
    outcome = RecoveryOutcome(
        ticket=ticket,
        customer_id=ticket.customer_id,
        evaluated_at=now,
        resolved_on=resolved_on,
        success=verdict.success,
        failed=verdict.failed,
        not_eligible=verdict.not_eligible,
        state=verdict.state,
    )
    if verdict.state is LoyaltyState.CANDIDATE:
        outcome.window_ends_on = resolved_on + timedelta(days=rules.retention_window_days)
    db.session.add(outcome)
    db.session.flush()
    if verdict.state is LoyaltyState.CANDIDATE:
        _flag_candidate(outcome, now=now)
        _follow_up(outcome, now=now)
    elif verdict.state is LoyaltyState.AT_RISK:
        _flag_at_risk(outcome, rules, now=now)
    return outcome


# ----------------------------------------------------------------- flags and follow-up


def _day(value: date) -> str:
    return format_date(value, "medium")


def _flag_candidate(outcome: RecoveryOutcome, *, now: datetime) -> None:
    ticket, customer = outcome.ticket, outcome.ticket.customer
    events.record(
        ticket,
        EventKind.LOYALTY,
        now=now,
        actor=None,
        field="loyalty",
        new=LoyaltyState.CANDIDATE.value,
        body=_(
            "The recovery went well: %(customer)s is a loyalty candidate. If they "
            "buy again by %(day)s, they count as retained.",
            customer=customer.name,
            day=_day(outcome.window_ends_on),
        ),
    )
    manager = customer.account_manager
    if manager is None:
        return
    view = segments.compute([customer.id], today=clock.desk_date(now)).get(customer.id)
    notifications.notify(
        manager,
        NotificationKind.LOYALTY,
        now=now,
        ticket=ticket,
        dedupe_key=f"loyalty:{ticket.id}",
        title=lambda: _("Loyalty candidate: %(customer)s", customer=customer.name),
        body=lambda: _(
            "The recovery of %(reference)s went well. Follow up by %(day)s. "
            "Suggested next step: %(step)s",
            reference=ticket.reference,
            day=_day(outcome.window_ends_on),
            step=next_step(customer, view),
        ),
    )


def _flag_at_risk(outcome: RecoveryOutcome, rules: RecoveryRules, *, now: datetime) -> None:
    ticket, customer = outcome.ticket, outcome.ticket.customer

    def text() -> str:
        return ngettext(
            "%(customer)s is at risk: this is our second failure with them within "
            "%(num)d month. Put things right before asking for new business.",
            "%(customer)s is at risk: this is our second failure with them within "
            "%(num)d months. Put things right before asking for new business.",
            rules.repeat_failure_months,
            customer=customer.name,
        )

    events.record(
        ticket,
        EventKind.LOYALTY,
        now=now,
        actor=None,
        field="loyalty",
        new=LoyaltyState.AT_RISK.value,
        body=text(),
    )
    notifications.notify(
        customer.account_manager,
        NotificationKind.LOYALTY,
        now=now,
        ticket=ticket,
        dedupe_key=f"loyalty:{ticket.id}",
        title=lambda: _("Account at risk: %(customer)s", customer=customer.name),
        body=text,
    )


def _first_reorder(outcome: RecoveryOutcome) -> Order | None:
    return db.session.scalar(
        sa.select(Order)
        .where(
            Order.customer_id == outcome.customer_id,
            purchase_clause(),
            Order.ordered_on > outcome.resolved_on,
            Order.ordered_on <= outcome.window_ends_on,
        )
        .order_by(Order.ordered_on, Order.id)
        .limit(1)
    )


def _follow_up(outcome: RecoveryOutcome, *, now: datetime) -> LoyaltyState | None:
    """Move a candidate to retained or lapsed when the facts say so; returns the new state."""
    if outcome.state is not LoyaltyState.CANDIDATE or outcome.window_ends_on is None:
        return None
    today = clock.desk_date(now)
    order = _first_reorder(outcome)
    if order is not None:
        outcome.state, outcome.decided_on, outcome.reorder_id = (
            LoyaltyState.RETAINED,
            order.ordered_on,
            order.id,
        )
        body = _(
            "Retained: %(customer)s bought again on %(day)s (order %(reference)s).",
            customer=outcome.ticket.customer.name,
            day=_day(order.ordered_on),
            reference=order.reference,
        )
    elif today > outcome.window_ends_on:
        outcome.state, outcome.decided_on = LoyaltyState.LAPSED, today
        body = _(
            "Lapsed: %(customer)s placed no new order by %(day)s.",
            customer=outcome.ticket.customer.name,
            day=_day(outcome.window_ends_on),
        )
    else:
        return None
    events.record(
        outcome.ticket,
        EventKind.LOYALTY,
        now=now,
        actor=None,
        field="loyalty",
        old=LoyaltyState.CANDIDATE.value,
        new=outcome.state.value,
        body=body,
    )
    return outcome.state


# ----------------------------------------------------------------- the daily job


@dataclass
class DailyReport:
    judged: int = 0
    candidates: int = 0
    at_risk: int = 0
    retained: int = 0
    lapsed: int = 0
    failed: int = 0

    def count(self, state: LoyaltyState | None) -> None:
        if state is LoyaltyState.RETAINED:
            self.retained += 1
        elif state is LoyaltyState.LAPSED:
            self.lapsed += 1

    def __str__(self) -> str:
        def n(count: int, word: str) -> str:
            return f"{count} {word}" if count == 1 else f"{count} {word}s"

        text = (
            f"judged {n(self.judged, 'resolved ticket')} "
            f"({n(self.candidates, 'loyalty candidate')}, {self.at_risk} at risk); "
            f"{self.retained} retained, {self.lapsed} lapsed"
        )
        if self.failed:
            text += f"; {self.failed} failed (see the log)"
        return text


def run_daily(*, now: datetime) -> str:
    """Judge every ticket that is due, then move candidates to retained or lapsed.

    One transaction per ticket: one that fails is logged and the rest go on. Running it
    again the same day changes nothing. Returns a one-line summary.
    """
    report = DailyReport()
    rules = rules_module.current()
    for ticket_id in due_ticket_ids(now=now, rules=rules):
        try:
            with unit_of_work():
                ticket = db.session.get(Ticket, ticket_id)
                if ticket is None or not _is_due(ticket, rules, now):
                    continue
                outcome = _judge(ticket, rules, now=now)
                state = outcome.state
        except sa.exc.IntegrityError:
            log.info("Ticket %s was judged by another run meanwhile", ticket_id)
            continue
        except Exception:
            log.exception("Could not judge the recovery of ticket %s", ticket_id)
            report.failed += 1
            continue
        report.judged += 1
        if state is LoyaltyState.AT_RISK:
            report.at_risk += 1
        elif state is not None:
            # Flagged as a candidate; an order already made (or a window already over,
            # for a ticket judged late) decides it at once.
            report.candidates += 1
            report.count(state)
    candidates = list(
        db.session.scalars(
            sa.select(RecoveryOutcome.id)
            .where(RecoveryOutcome.state == LoyaltyState.CANDIDATE)
            .order_by(RecoveryOutcome.id)
        )
    )
    for outcome_id in candidates:
        try:
            with unit_of_work():
                outcome = db.session.get(RecoveryOutcome, outcome_id)
                state = _follow_up(outcome, now=now) if outcome is not None else None
        except Exception:
            log.exception("Could not follow up the loyalty candidate %s", outcome_id)
            report.failed += 1
            continue
        report.count(state)
    log.info("Loyalty: %s", report)
    return str(report)


# ----------------------------------------------------------------- for other pages


def latest_by_customer(customer_ids) -> dict[int, RecoveryOutcome]:
    """Each customer's latest flagged outcome (candidate, retained, lapsed or at risk)."""
    ids = {int(i) for i in customer_ids}
    if not ids:
        return {}
    latest: dict[int, RecoveryOutcome] = {}
    for outcome in db.session.scalars(
        sa.select(RecoveryOutcome)
        .where(RecoveryOutcome.customer_id.in_(ids), RecoveryOutcome.state.is_not(None))
        .order_by(RecoveryOutcome.resolved_on.desc(), RecoveryOutcome.id.desc())
    ):
        latest.setdefault(outcome.customer_id, outcome)
    return latest


def _first_preference(text: str, limit: int = 120) -> str:
    for line in (text or "").splitlines():
        line = line.strip().lstrip("-*•·").strip().rstrip(".;,")
        if line:
            return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
    return ""


def next_step(customer: Customer, segment_view: "segments.SegmentView | None") -> str:
    """The suggested next step with a loyalty candidate: something concrete they like,
    at the pace their segment calls for (translated)."""
    liked = _first_preference(customer.preferences)
    if liked:
        offer = _("Offer something they like (%(liked)s) with your next contact.", liked=liked)
    else:
        offer = _(
            "No preferences are recorded: ask what would be useful to them and note it "
            "on the account."
        )
    segment = segment_view.segment if segment_view is not None else None
    if segment is EngagementSegment.SELF_DRIVEN:
        pace = _(
            "They buy on their own: a short thank-you and a smooth next delivery are "
            "enough; don't chase them."
        )
    elif segment is EngagementSegment.NEEDS_PUSH:
        pace = _("Call them well before the window ends and agree the next order together.")
    elif segment is EngagementSegment.STALLED:
        pace = _(
            "Their buying has stalled: check in soon and find out what would bring them "
            "back before the window ends."
        )
    else:
        pace = _("Check in before the window ends.")
    return f"{offer} {pace}"


@dataclass(frozen=True)
class FollowUpRow:
    outcome: RecoveryOutcome
    days_left: int | None  # candidates: days until the window ends (0: last day)
    next_step: str  # candidates only
    can_open_ticket: bool  # the viewer may read the ticket
    can_open_customer: bool  # the viewer may open the customer's page

    @property
    def failed_reasons(self) -> list[str]:
        """The success rules the recovery did not meet, in words."""
        return [str(REASON_LABELS.get(code, code)) for code in self.outcome.failed or []]


@dataclass(frozen=True)
class FollowUp:
    candidates: list[FollowUpRow]
    retained: list[FollowUpRow]
    lapsed: list[FollowUpRow]
    at_risk: list[FollowUpRow]
    totals: dict[LoyaltyState, int]
    limit: int = LIST_LIMIT


def can_view_follow_up(user: User) -> bool:
    return user.role in FOLLOW_UP_ROLES


_ORDER = {
    LoyaltyState.CANDIDATE: (RecoveryOutcome.resolved_on.desc(),),
    LoyaltyState.RETAINED: (RecoveryOutcome.decided_on.desc(), RecoveryOutcome.resolved_on.desc()),
    LoyaltyState.LAPSED: (RecoveryOutcome.decided_on.desc(), RecoveryOutcome.resolved_on.desc()),
    LoyaltyState.AT_RISK: (RecoveryOutcome.resolved_on.desc(),),
}


def follow_up(*, viewer: User, account_manager_id: int | None = None, now: datetime) -> FollowUp:
    """The loyalty follow-up lists, newest first (at most LIST_LIMIT each).

    Account managers see their own accounts only (``account_manager_id`` is ignored);
    leads and admins see every account, or one account manager's.
    """
    if not can_view_follow_up(viewer):
        raise PermissionDenied(
            _("Only account managers, team leads and admins see the loyalty follow-up.")
        )
    if viewer.role is Role.ACCOUNT_MANAGER:
        account_manager_id = viewer.id
    where = [RecoveryOutcome.state.is_not(None)]
    if account_manager_id is not None:
        where.append(Customer.account_manager_id == account_manager_id)
    base = sa.select(RecoveryOutcome).join(Customer, Customer.id == RecoveryOutcome.customer_id)
    # Accounts at risk are listed once each: those whose latest flagged recovery put them
    # at risk (a later clean recovery takes them off the list).
    latest = (
        sa.select(sa.func.max(RecoveryOutcome.id))
        .where(RecoveryOutcome.state.is_not(None))
        .group_by(RecoveryOutcome.customer_id)
    )
    only = {LoyaltyState.AT_RISK: RecoveryOutcome.id.in_(latest)}
    counted = sa.or_(RecoveryOutcome.state != LoyaltyState.AT_RISK, only[LoyaltyState.AT_RISK])
    totals = dict(
        db.session.execute(
            sa.select(RecoveryOutcome.state, sa.func.count())
            .join(Customer, Customer.id == RecoveryOutcome.customer_id)
            .where(*where, counted)
            .group_by(RecoveryOutcome.state)
        ).all()
    )
    lists = {}
    for state in FOLLOWED_STATES:
        lists[state] = list(
            db.session.scalars(
                base.where(*where, RecoveryOutcome.state == state, only.get(state, sa.true()))
                .options(
                    joinedload(RecoveryOutcome.ticket),
                    joinedload(RecoveryOutcome.customer),
                    joinedload(RecoveryOutcome.reorder),
                )
                .order_by(*_ORDER[state], RecoveryOutcome.id.desc())
                .limit(LIST_LIMIT)
            )
        )
    today = clock.desk_date(now)
    views = segments.compute({o.customer_id for o in lists[LoyaltyState.CANDIDATE]}, today=today)

    def row(outcome: RecoveryOutcome) -> FollowUpRow:
        candidate = outcome.state is LoyaltyState.CANDIDATE
        return FollowUpRow(
            outcome=outcome,
            days_left=(outcome.window_ends_on - today).days
            if candidate and outcome.window_ends_on
            else None,
            next_step=next_step(outcome.customer, views.get(outcome.customer_id))
            if candidate
            else "",
            can_open_ticket=access.can_view_ticket(viewer, outcome.ticket),
            can_open_customer=access.can_view_customer(viewer, outcome.customer),
        )

    return FollowUp(
        candidates=[row(o) for o in lists[LoyaltyState.CANDIDATE]],
        retained=[row(o) for o in lists[LoyaltyState.RETAINED]],
        lapsed=[row(o) for o in lists[LoyaltyState.LAPSED]],
        at_risk=[row(o) for o in lists[LoyaltyState.AT_RISK]],
        totals={state: totals.get(state, 0) for state in FOLLOWED_STATES},
    )
