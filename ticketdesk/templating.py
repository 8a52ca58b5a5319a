"""Jinja filters, label maps and the locale/timezone selectors."""

from datetime import datetime
from decimal import Decimal

from flask import Flask, current_app, has_request_context, request
from flask_babel import format_currency, format_datetime, format_timedelta, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from ticketdesk.models import (
    AssignStrategy,
    AwayReason,
    CapBase,
    CauseSide,
    Channel,
    CustomerTier,
    EngagementSegment,
    EventKind,
    LoyaltyState,
    NotificationKind,
    NotifyTarget,
    OutboxState,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    RemedyState,
    Role,
    RootCause,
    Severity,
    SlaMilestone,
    Standing,
    StepKind,
    TicketKind,
    TicketStatus,
)
from ticketdesk.services.people import wording

LABELS = {
    "role": {
        Role.AGENT: _l("Agent"),
        Role.ACCOUNT_MANAGER: _l("Account manager"),
        Role.LEAD: _l("Team lead"),
        Role.ADMIN: _l("Administrator"),
    },
    "status": {
        TicketStatus.NEW: _l("New"),
        TicketStatus.OPEN: _l("Open"),
        TicketStatus.PENDING_CUSTOMER: _l("Waiting on customer"),
        TicketStatus.RESOLVED: _l("Resolved"),
        TicketStatus.CLOSED: _l("Closed"),
    },
    "kind": {TicketKind.COMPLAINT: _l("Complaint"), TicketKind.CRISIS: _l("Crisis")},
    "severity": {
        Severity.P1: _l("P1 · critical"),
        Severity.P2: _l("P2 · high"),
        Severity.P3: _l("P3 · normal"),
        Severity.P4: _l("P4 · low"),
    },
    "channel": {
        Channel.PHONE: _l("Phone"),
        Channel.EMAIL: _l("E-mail"),
        Channel.WALK_IN: _l("Walk-in"),
        Channel.WEB: _l("Web form"),
        Channel.CHAT: _l("Chat"),
        Channel.SOCIAL: _l("Social media"),
        Channel.API: _l("API"),
    },
    "tier": {
        CustomerTier.STRATEGIC: _l("Strategic"),
        CustomerTier.KEY: _l("Key"),
        CustomerTier.STANDARD: _l("Standard"),
    },
    "standing": {
        Standing.STRATEGIC: _l("Strategic supplier"),
        Standing.PREFERRED: _l("Preferred supplier"),
        Standing.QUALIFICATION_PENDING: _l("Qualification pending"),
        Standing.PASSIVE_ELIMINATION: _l("Passive elimination"),
        Standing.ACTIVE_ELIMINATION: _l("Active elimination"),
    },
    "segment": {
        EngagementSegment.SELF_DRIVEN: _l("Self-driven"),
        EngagementSegment.NEEDS_PUSH: _l("Needs a push"),
        EngagementSegment.STALLED: _l("Stalled"),
    },
    "loyalty": {
        LoyaltyState.CANDIDATE: _l("Loyalty candidate"),
        LoyaltyState.RETAINED: _l("Retained"),
        LoyaltyState.LAPSED: _l("Lapsed"),
        LoyaltyState.AT_RISK: _l("At risk"),
    },
    "event": {
        EventKind.CREATED: _l("Complaint received"),
        EventKind.CUSTOMER_MESSAGE: _l("Customer message"),
        EventKind.PUBLIC_REPLY: _l("Reply to customer"),
        EventKind.INTERNAL_NOTE: _l("Internal note"),
        EventKind.STATUS_CHANGE: _l("Status changed"),
        EventKind.ASSIGNMENT: _l("Assignment"),
        EventKind.FIELD_CHANGE: _l("Details changed"),
        EventKind.ATTACHMENT: _l("Files added"),
        EventKind.PLAYBOOK: _l("Playbook"),
        EventKind.REMEDY: _l("Remedy"),
        EventKind.STEP_DONE: _l("Step done"),
        EventKind.STEP_REOPENED: _l("Step reopened"),
        EventKind.ROUTING: _l("Routing"),
        EventKind.SLA: _l("Service level"),
        EventKind.SURVEY: _l("Satisfaction"),
        EventKind.LOYALTY: _l("Loyalty"),
        EventKind.PRIVATE_LINK: _l("Private link sent"),
    },
    "cause_side": {
        CauseSide.UNKNOWN: _l("Not yet known"),
        CauseSide.OURS_PRODUCT: _l("Ours: product or solution"),
        CauseSide.OURS_COMMERCIAL: _l("Ours: commercial terms"),
        CauseSide.OURS_COORDINATION: _l("Ours: team coordination"),
        CauseSide.THEIRS_INTERNAL: _l("Theirs: customer-internal"),
    },
    "root_cause": {
        RootCause.PRODUCT_DEFECT: _l("Product defect"),
        RootCause.PICKING_ERROR: _l("Picking error"),
        RootCause.PACKING_DAMAGE: _l("Packing damage"),
        RootCause.CARRIER_DAMAGE: _l("Damaged in transit"),
        RootCause.CARRIER_DELAY: _l("Carrier delay"),
        RootCause.STOCK_SHORTAGE: _l("Stock shortage"),
        RootCause.SYSTEM_ERROR: _l("System error"),
        RootCause.BILLING_ERROR: _l("Billing error"),
        RootCause.STAFF_CONDUCT: _l("Staff conduct"),
        RootCause.COORDINATION_GAP: _l("Coordination gap"),
        RootCause.COMMERCIAL_TERMS: _l("Commercial terms"),
        RootCause.SOLUTION_DESIGN: _l("Solution design"),
        RootCause.CUSTOMER_INTERNAL: _l("Customer-internal"),
        RootCause.OTHER: _l("Other"),
    },
    "remedy_kind": {RemedyKind.MAKE_WHOLE: _l("Make whole"), RemedyKind.GOODWILL: _l("Goodwill")},
    "remedy_form": {
        RemedyForm.RESHIP: _l("Reship"),
        RemedyForm.REFUND: _l("Refund"),
        RemedyForm.REPAIR: _l("Repair or redo"),
        RemedyForm.CREDIT: _l("Credit"),
        RemedyForm.COUPON: _l("Coupon"),
        RemedyForm.FREE_ITEM: _l("Free item or sample"),
        RemedyForm.SERVICE_VISIT: _l("Service visit"),
        RemedyForm.OTHER: _l("Other"),
    },
    "mail_state": {
        OutboxState.QUEUED: _l("queued"),
        OutboxState.SENDING: _l("sending"),
        OutboxState.SENT: _l("sent"),
        OutboxState.LOGGED: _l("logged (no mail server)"),
        OutboxState.FAILED: _l("failed"),
        OutboxState.WITHHELD: _l("withheld"),
        OutboxState.BOUNCED: _l("bounced"),
    },
    "remedy_state": {
        RemedyState.PROPOSED: _l("Waiting for approval"),
        RemedyState.APPROVED: _l("Approved"),
        RemedyState.DELIVERED: _l("Delivered"),
        RemedyState.REJECTED: _l("Rejected"),
        RemedyState.WITHDRAWN: _l("Withdrawn"),
    },
    "remedy_reason": {
        RemedyReason.MISSING_ITEMS: _l("Missing items"),
        RemedyReason.DAMAGED_ITEMS: _l("Damaged items"),
        RemedyReason.WRONG_ITEMS: _l("Wrong items"),
        RemedyReason.LATE_DELIVERY: _l("Late delivery"),
        RemedyReason.BILLING_ERROR: _l("Billing error"),
        RemedyReason.SERVICE_FAILURE: _l("Service failure"),
        RemedyReason.PROJECT_FAILURE: _l("Project failure"),
        RemedyReason.REPEAT_FAILURE: _l("Repeat failure"),
        RemedyReason.SLA_MISSED: _l("SLA missed"),
        RemedyReason.GOODWILL_GESTURE: _l("Goodwill gesture"),
        RemedyReason.OTHER: _l("Other"),
    },
    "cap_base": {CapBase.AFFECTED: _l("Affected value"), CapBase.ORDER: _l("Whole order")},
    "step_kind": {
        StepKind.TASK: _l("Task"),
        StepKind.APOLOGY: _l("Apology"),
        StepKind.EXPLANATION: _l("Explanation of the cause"),
        StepKind.STATUS_UPDATE: _l("Regular status update"),
        StepKind.ANSWER: _l("Answer: ticked by a public reply"),
        StepKind.MAKE_WHOLE: _l("Make-whole: ticked when one is delivered"),
        StepKind.GOODWILL: _l("Goodwill: ticked when it is delivered"),
    },
    "field": {
        "status": _l("Status"),
        "team": _l("Team"),
        "assignee": _l("Assignee"),
        "subject": _l("Subject"),
        "kind": _l("Kind"),
        "category": _l("Category"),
        "severity": _l("Severity"),
        "order_reference": _l("Order reference"),
        "currency": _l("Currency"),
        "order_value": _l("Order value"),
        "claimed_loss": _l("Claimed loss"),
        "cc": _l("Copied on replies (cc)"),
        "playbook": _l("Playbook"),
        "cause_side": _l("Cause side"),
        "root_cause": _l("Root cause"),
        "remedy": _l("Remedy"),
        "rule": _l("Routing rule"),
        "sla_policy": _l("Service-level policy"),
        "sla_clock": _l("Service-level clock"),
        "first_response": _l("First response"),
        "next_response": _l("Next response"),
        "resolution": _l("Resolution"),
        "customer_tier": _l("Customer tier"),
        "customer": _l("Customer"),
        "review": _l("Review"),
    },
    "milestone": {
        SlaMilestone.FIRST_RESPONSE: _l("First response"),
        SlaMilestone.NEXT_RESPONSE: _l("Next response"),
        SlaMilestone.REMEDY: _l("Make-whole delivered"),
        SlaMilestone.RESOLUTION: _l("Resolution"),
    },
    "strategy": {
        AssignStrategy.NONE: _l("Team queue only"),
        AssignStrategy.USER: _l("A named person"),
        AssignStrategy.ROUND_ROBIN: _l("Round-robin over available agents"),
        AssignStrategy.FEWEST_OPEN: _l("Agent with the fewest open tickets"),
    },
    "notify": {
        NotifyTarget.TEAM: _l("Everyone in the team"),
        NotifyTarget.LEADS: _l("The team's leads"),
        NotifyTarget.ACCOUNT_MANAGER: _l("The account manager"),
    },
    "away": {
        AwayReason.HOLIDAY: _l("On holiday"),
        AwayReason.SICK: _l("Off sick"),
        AwayReason.OTHER: _l("Away"),
    },
    "notification": {
        NotificationKind.ASSIGNED: _l("A ticket is assigned to you"),
        NotificationKind.ROUTED: _l("A routing rule asks you to look at a new ticket"),
        NotificationKind.WATCHED: _l("A ticket you watch changed"),
        NotificationKind.APPROVAL_WAITING: _l("A remedy waits for your approval"),
        NotificationKind.APPROVAL_DECIDED: _l("Your proposed remedy was approved or rejected"),
        NotificationKind.STEP_OVERDUE: _l("A playbook step of yours is overdue (hourly)"),
        NotificationKind.ACCOUNT_CRISIS: _l("A crisis on one of your accounts"),
        NotificationKind.SLA_AT_RISK: _l("A ticket of yours is close to its service-level target"),
        NotificationKind.SLA_BREACHED: _l("A ticket of yours or your team's missed its target"),
        NotificationKind.LOYALTY: _l("An account of yours is a loyalty candidate or at risk"),
        NotificationKind.CUSTOMER_REPLIED: _l("The customer answers a ticket of yours by e-mail"),
        NotificationKind.MAIL_BOUNCED: _l("An e-mail to the customer of your ticket came back"),
    },
}

# Which label map translates the stored old/new values of a change event.
_VALUE_MAPS = {
    "status": "status",
    "kind": "kind",
    "severity": "severity",
    "remedy": "remedy_state",
    "cause_side": "cause_side",
    "root_cause": "root_cause",
    "customer_tier": "tier",
}


def label(value, group: str):
    """Human label for an enum value (or its stored string) in ``group``."""
    if value is None or value == "":
        return "—"
    mapping = LABELS[group]
    for key, text in mapping.items():
        if key == value:
            return text
    return str(value)


def change_value(value: str | None, field: str | None):
    if value is None:
        return _l("none")
    group = _VALUE_MAPS.get(field or "")
    return label(value, group) if group else value


def money(amount: Decimal | None, currency: str | None = None) -> str:
    if amount is None:
        return "—"
    currency = currency or current_app.config["DEFAULT_CURRENCY"]
    return format_currency(amount, currency)


def duration_text(minutes: int | None) -> str:
    """270 → "4 h 30 min"; 240 → "4 h"; 45 → "45 min"; None → "—"."""
    if minutes is None:
        return "—"
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(h)s h %(m)s min", h=hours, m=rest)
    if hours:
        return _("%(h)s h", h=hours)
    return _("%(m)s min", m=rest)


def datetime_local(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return "—"
    return format_datetime(value, fmt)


def datetime_attr(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def since(later: datetime | None, earlier: datetime | None) -> str:
    """How long after ``earlier`` something happened, e.g. "after 1 hour"."""
    if later is None or earlier is None:
        return "—"
    return _l("after %(delta)s", delta=format_timedelta(later - earlier, threshold=1.5))


def nl2br(text: str | None) -> Markup:
    return Markup("<br>").join((text or "").splitlines())  # Markup.join escapes each line


def filesize(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def select_locale() -> str | None:
    """The user's language; the browser's choice for visitors; the default elsewhere (CLI)."""
    if not has_request_context():
        return None
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.locale
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])


def select_timezone() -> str | None:
    if has_request_context() and current_user and getattr(current_user, "is_authenticated", False):
        return current_user.timezone
    return None


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        label=label,
        money=money,
        dt=datetime_local,
        dt_attr=datetime_attr,
        nl2br=nl2br,
        filesize=filesize,
        change_value=change_value,
        since=since,
        duration=duration_text,
    )
    app.jinja_env.globals.update(
        LABELS=LABELS,
        Role=Role,
        get_locale=get_locale,
        waits_for_approval=wording.waits_for_approval,
        approval_reasons_text=wording.approval_reasons_text,
    )
