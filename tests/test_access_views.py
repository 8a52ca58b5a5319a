"""Who may call which route: every URL rule × every role (and anonymous), plus object-level rules.

``CASES`` is the matrix: one entry per (method, rule) with the expected outcome for each role.
It is checked against ``app.url_map``, so a new route without an entry fails
``test_every_route_is_in_the_matrix``. Reads and refusals of one route share a world (and must
leave the data unchanged); every allowed POST runs in a fresh world of its own.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from tests import factories
from ticketdesk.core.uow import unit_of_work
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import (
    BusinessCalendar,
    Contact,
    Customer,
    InboundMail,
    InboundSource,
    InboundState,
    Notification,
    NotificationKind,
    Order,
    OutboxState,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    Role,
    SlaPolicy,
    StepKind,
    Survey,
    Ticket,
    TicketCc,
    TicketWatcher,
    User,
)
from ticketdesk.services.ledger import remedies as ledger
from ticketdesk.services.notifications import outbox
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.playbooks.engine import PlaybookSpec, StepSpec
from ticketdesk.services.recovery import surveys
from ticketdesk.services.routing import rules as routing_rules
from ticketdesk.services.tickets import conversation

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

ROLES = ("anon", "agent", "account_manager", "lead", "admin")

# Outcomes
OK = "ok"  # GET: 200; POST: a 302 that is not a login redirect (valid data is posted)
DENY = "403"
LOGIN = "login"  # 302 to /login?next=<the requested path>
REDIRECT = "302"  # a redirect somewhere that is not a login-with-next redirect


def _roles(anon, agent, am, lead, admin) -> dict[str, str]:
    return dict(zip(ROLES, (anon, agent, am, lead, admin), strict=True))


VIEW = _roles(LOGIN, OK, OK, OK, DENY)  # ticket reading, notes, customers
WORK = _roles(LOGIN, OK, DENY, OK, DENY)  # working tickets
ADMIN = _roles(LOGIN, DENY, DENY, DENY, OK)
EDITORS = _roles(LOGIN, DENY, DENY, OK, OK)  # routing rules, like playbooks
LEADS = _roles(LOGIN, DENY, DENY, OK, DENY)  # availability and bulk re-routing
ANY_USER = _roles(LOGIN, OK, OK, OK, OK)
ACCOUNTS = _roles(LOGIN, DENY, OK, OK, OK)  # the account's manager (w.am), leads, admins
PUBLIC = _roles(OK, OK, OK, OK, OK)


@dataclass(frozen=True)
class Case:
    method: str
    rule: str
    url: Callable[[SimpleNamespace], str]
    expect: dict[str, str]
    data: Callable[[SimpleNamespace], dict] | None = None
    session: Callable[[SimpleNamespace], dict] | None = None
    content_type: str | None = None


def _ticket_details(w):
    return {
        "version": w.version,
        "subject": "Edited subject",
        "kind": "complaint",
        "category_id": w.category,
        "severity": "p2",
        "currency": "EUR",
        "order_reference": "SO-1",
    }


def _new_ticket(w):
    return {
        "customer_id": w.cust_am,
        "subject": "Matrix complaint",
        "description": "It broke.",
        "channel": "phone",
        "kind": "complaint",
        "category_id": w.category,
        "severity": "p3",
        "currency": "EUR",
    }


def _user_form(w):
    return {
        "name": "Agent Renamed",
        "email": "agent.matrix@desk.example",
        "role": "agent",
        "active": "y",
        "team_ids": [w.team_a],
    }


def _customer_form(w):
    # The tier stays: agents may edit the profile but not the tier (test_rules_authority).
    return {
        "name": "Managed Co",
        "tier": "standard",
        "standing": "preferred",
        "account_manager_id": w.am,
        "preferences": "Likes phone calls.",
        "standing_reason": "Confirmed us as preferred supplier.",
    }


def _rules_form():
    from ticketdesk.services.recovery import rules as rules_module

    return {
        name: ("y" if value is True else value)
        for name, value in rules_module.defaults().items()
        if value is not False and value is not None
    }


CASES = [
    # --- auth
    Case("GET", "/", lambda w: "/", _roles(REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    Case("GET", "/login", lambda w: "/login", _roles(OK, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    Case(
        "POST",
        "/login",
        lambda w: "/login",
        PUBLIC,
        data=lambda w: {"email": w.agent_email, "password": factories.PASSWORD},
    ),
    Case("POST", "/logout", lambda w: "/logout", PUBLIC),
    Case("GET", "/settings", lambda w: "/settings", ANY_USER),
    Case(
        "POST",
        "/settings",
        lambda w: "/settings",
        ANY_USER,
        data=lambda w: {"profile-name": "Renamed", "profile-timezone": "Europe/Berlin"},
    ),
    Case(
        "POST",
        "/settings/password",
        lambda w: "/settings/password",
        ANY_USER,
        data=lambda w: {
            "password-current_password": factories.PASSWORD,
            "password-new_password": "a brand new secret",
            "password-confirm": "a brand new secret",
        },
    ),
    Case("POST", "/settings/sessions/end-all", lambda w: "/settings/sessions/end-all", ANY_USER),
    # --- tickets
    Case("GET", "/tickets/", lambda w: "/tickets/", VIEW),
    Case("GET", "/tickets/new", lambda w: "/tickets/new", WORK),
    Case(
        "POST",
        "/tickets/new",
        lambda w: "/tickets/new",
        WORK,
        data=_new_ticket,
        content_type="multipart/form-data",
    ),
    # t_a has a remedy waiting for a lead's approval, which an admin may give: an admin
    # opens it to judge (test_approvals.py: without a waiting remedy, 403).
    Case(
        "GET",
        "/tickets/<int:ticket_id>",
        lambda w: f"/tickets/{w.t_a}",
        _roles(LOGIN, OK, OK, OK, OK),
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/reply",
        lambda w: f"/tickets/{w.t_a}/reply",
        WORK,
        data=lambda w: {"version": w.version, "body": "We are on it.", "status_after": ""},
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/note",
        lambda w: f"/tickets/{w.t_a}/note",
        VIEW,
        data=lambda w: {"body": "Internal remark."},
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/customer-message",
        lambda w: f"/tickets/{w.t_a}/customer-message",
        WORK,
        data=lambda w: {"body": "Customer called again."},
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/status",
        lambda w: f"/tickets/{w.t_a}/status",
        WORK,
        data=lambda w: {"version": w.version, "status": "open"},
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/assign",
        lambda w: f"/tickets/{w.t_a}/assign",
        WORK,
        data=lambda w: {"version": w.version, "team_id": w.team_a, "assignee_id": w.agent},
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/take",
        lambda w: f"/tickets/{w.t_a}/take",
        WORK,
        data=lambda w: {"version": w.version},
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/review/confirm",
        lambda w: f"/tickets/{w.t_review}/review/confirm",
        WORK,
        data=lambda w: {"version": w.version_review},
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/review/move",
        lambda w: f"/tickets/{w.t_review}/review/move",
        WORK,
        data=lambda w: {"version": w.version_review, "customer_id": "new"},
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/details",
        lambda w: f"/tickets/{w.t_a}/details",
        WORK,
        data=_ticket_details,
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/cc",
        lambda w: f"/tickets/{w.t_a}/cc",
        WORK,
        data=lambda w: {"contact_id": w.cc_new},
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/cc/<int:contact_id>/remove",
        lambda w: f"/tickets/{w.t_a}/cc/{w.cc_copied}/remove",
        WORK,
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/private-link",
        lambda w: f"/tickets/{w.t_a}/private-link",
        WORK,
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/attachments",
        lambda w: f"/tickets/{w.t_a}/attachments",
        VIEW,
        data=lambda w: {"attachments": [(io.BytesIO(PNG), "more.png")]},
        content_type="multipart/form-data",
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/steps/<int:step_id>/done",
        lambda w: f"/tickets/{w.t_a}/steps/{w.step_open}/done",
        WORK,
        data=lambda w: {"note": "Called back."},
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/steps/<int:step_id>/reopen",
        lambda w: f"/tickets/{w.t_a}/steps/{w.step_done}/reopen",
        _roles(LOGIN, DENY, DENY, OK, DENY),
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/playbook",
        lambda w: f"/tickets/{w.t_a}/playbook",
        WORK,
        data=lambda w: {"version_id": w.alt_version},
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/remedies",
        lambda w: f"/tickets/{w.t_a}/remedies",
        WORK,
        data=lambda w: {
            "kind": "goodwill",
            "form": "free_item",
            "quantity": "1",
            "description": "Sample of the new range",
            "cost": "5.00",
            "reason": "goodwill_gesture",
        },
    ),
    Case(
        "POST",
        "/tickets/remedies/<int:remedy_id>/deliver",
        lambda w: f"/tickets/remedies/{w.rem_approved}/deliver",
        WORK,
    ),
    Case(
        "POST",
        "/tickets/remedies/<int:remedy_id>/withdraw",
        lambda w: f"/tickets/remedies/{w.rem_approved}/withdraw",
        _roles(LOGIN, DENY, DENY, OK, DENY),
    ),
    Case(
        "GET",
        "/tickets/<int:ticket_id>/mail/<int:mail_id>.eml",
        lambda w: f"/tickets/{w.t_a}/mail/{w.mail_in}.eml",
        VIEW,
    ),
    Case(
        "GET",
        "/tickets/attachments/<int:attachment_id>",
        lambda w: f"/tickets/attachments/{w.att_a}",
        VIEW,
    ),
    # --- customers
    Case("GET", "/customers/", lambda w: "/customers/", VIEW),
    Case("GET", "/customers/new", lambda w: "/customers/new", VIEW),
    # The intake form's customer picker: matches the user may see, as JSON.
    Case("GET", "/customers/search", lambda w: "/customers/search?q=co", VIEW),
    Case(
        "POST",
        "/customers/new",
        lambda w: "/customers/new",
        VIEW,
        data=lambda w: {
            "name": "Fresh Co",
            "tier": "standard",
            "standing": "qualification_pending",
            "account_manager_id": w.am,
            "contact_name": "Fay",
            "contact_email": "fay@fresh.example",
        },
    ),
    Case("GET", "/customers/<int:customer_id>", lambda w: f"/customers/{w.cust_am}", VIEW),
    Case(
        "GET", "/customers/<int:customer_id>/edit", lambda w: f"/customers/{w.cust_am}/edit", VIEW
    ),
    Case(
        "POST",
        "/customers/<int:customer_id>/edit",
        lambda w: f"/customers/{w.cust_am}/edit",
        VIEW,
        data=_customer_form,
    ),
    Case(
        "POST",
        "/customers/<int:customer_id>/contacts",
        lambda w: f"/customers/{w.cust_am}/contacts",
        VIEW,
        data=lambda w: {"name": "New Contact", "email": "new.contact@managed.example"},
    ),
    Case(
        "GET",
        "/customers/<int:customer_id>/contacts/<int:contact_id>/edit",
        lambda w: f"/customers/{w.cust_am}/contacts/{w.contact_am}/edit",
        VIEW,
    ),
    Case(
        "POST",
        "/customers/<int:customer_id>/contacts/<int:contact_id>/edit",
        lambda w: f"/customers/{w.cust_am}/contacts/{w.contact_am}/edit",
        VIEW,
        data=lambda w: {
            "name": "Buyer",
            "email": "buyer@managed.example",
            "phone": "",
            "locale": "en",
            "timezone": "Asia/Shanghai",
        },
    ),
    Case(
        "POST",
        "/customers/<int:customer_id>/orders",
        lambda w: f"/customers/{w.cust_am}/orders",
        VIEW,
        data=lambda w: {
            "reference": "SO-MATRIX-2",
            "ordered_on": "2024-01-02",
            "amount": "10.00",
            "currency": "EUR",
            "remedy_ticket": "",
        },
    ),
    Case(
        "POST",
        "/customers/<int:customer_id>/orders/<int:order_id>/delete",
        lambda w: f"/customers/{w.cust_am}/orders/{w.order_am}/delete",
        VIEW,
    ),
    Case("GET", "/customers/orders/import", lambda w: "/customers/orders/import", ADMIN),
    Case(
        "POST",
        "/customers/orders/import",
        lambda w: "/customers/orders/import",
        ADMIN,
        data=lambda w: {
            "file": (
                io.BytesIO(
                    b"customer_ref,order_ref,ordered_on,amount,currency\n"
                    b"Managed Co,SO-MATRIX-3,2024-01-02,10.00,EUR\n"
                ),
                "orders.csv",
            )
        },
        content_type="multipart/form-data",
    ),
    # --- accounts: the account's manager, leads and admins; the outcome report
    Case("GET", "/accounts/", lambda w: "/accounts/", ACCOUNTS),
    Case("GET", "/accounts/<int:customer_id>", lambda w: f"/accounts/{w.cust_am}", ACCOUNTS),
    Case(
        "POST",
        "/accounts/<int:customer_id>/segment",
        lambda w: f"/accounts/{w.cust_am}/segment",
        ACCOUNTS,
        data=lambda w: {"segment": "needs_push", "reason": "Checked with their buyer."},
    ),
    Case(
        "GET",
        "/accounts/outcomes",
        lambda w: "/accounts/outcomes",
        _roles(LOGIN, DENY, OK, OK, DENY),
    ),
    # --- recovery rules (leads and admins) and the loyalty follow-up
    Case("GET", "/recovery/rules", lambda w: "/recovery/rules", EDITORS),
    Case(
        "POST",
        "/recovery/rules",
        lambda w: "/recovery/rules",
        EDITORS,
        data=lambda w: _rules_form(),
    ),
    Case("GET", "/recovery/loyalty", lambda w: "/recovery/loyalty", ACCOUNTS),
    # --- the satisfaction survey (public, by its signed link)
    Case("GET", "/survey/<token>", lambda w: f"/survey/{w.survey_token}", PUBLIC),
    Case(
        "POST",
        "/survey/<token>",
        lambda w: f"/survey/{w.survey_token}",
        PUBLIC,
        data=lambda w: {"score": "4", "comment": "Quick and kind."},
    ),
    # --- ledger
    Case("GET", "/ledger/", lambda w: "/ledger/", _roles(LOGIN, DENY, DENY, OK, OK)),
    # --- the service-level dashboard
    Case("GET", "/dashboard/", lambda w: "/dashboard/?days=30", LEADS),
    Case("GET", "/dashboard/<name>.csv", lambda w: "/dashboard/by_team.csv?days=30", LEADS),
    Case("GET", "/dashboard/tickets", lambda w: "/dashboard/tickets?days=30&measure=in", LEADS),
    # --- approvals
    Case("GET", "/approvals/", lambda w: "/approvals/", _roles(LOGIN, OK, DENY, OK, OK)),
    Case(
        "POST",
        "/approvals/<int:remedy_id>/approve",
        lambda w: f"/approvals/{w.rem_pending}/approve",
        _roles(LOGIN, DENY, DENY, OK, OK),
    ),
    Case(
        "POST",
        "/approvals/<int:remedy_id>/reject",
        lambda w: f"/approvals/{w.rem_pending}/reject",
        _roles(LOGIN, DENY, DENY, OK, OK),
        data=lambda w: {"reason": "Offer a service visit instead."},
    ),
    # --- admin
    Case("GET", "/admin/users", lambda w: "/admin/users", ADMIN),
    Case("GET", "/admin/users/new", lambda w: "/admin/users/new", ADMIN),
    Case(
        "POST",
        "/admin/users/new",
        lambda w: "/admin/users/new",
        ADMIN,
        data=lambda w: {
            "name": "New Person",
            "email": "new.person@desk.example",
            "role": "agent",
            "active": "y",
            "password": "long enough pw",
        },
    ),
    Case("GET", "/admin/users/<int:user_id>", lambda w: f"/admin/users/{w.agent}", ADMIN),
    Case(
        "POST",
        "/admin/users/<int:user_id>",
        lambda w: f"/admin/users/{w.agent}",
        ADMIN,
        data=_user_form,
    ),
    Case("GET", "/admin/teams", lambda w: "/admin/teams", ADMIN),
    Case(
        "POST",
        "/admin/teams",
        lambda w: "/admin/teams",
        ADMIN,
        data=lambda w: {"name": "Escalations"},
    ),
    Case("GET", "/admin/teams/<int:team_id>", lambda w: f"/admin/teams/{w.team_a}", ADMIN),
    Case(
        "POST",
        "/admin/teams/<int:team_id>",
        lambda w: f"/admin/teams/{w.team_a}",
        ADMIN,
        data=lambda w: {"name": "Team A renamed"},
    ),
    Case("GET", "/admin/categories", lambda w: "/admin/categories", ADMIN),
    Case("GET", "/admin/outbox", lambda w: "/admin/outbox", ADMIN),
    Case("GET", "/admin/outbox/<int:message_id>", lambda w: f"/admin/outbox/{w.mail}", ADMIN),
    Case(
        "POST",
        "/admin/outbox/<int:message_id>/retry",
        lambda w: f"/admin/outbox/{w.mail}/retry",
        ADMIN,
    ),
    Case("GET", "/admin/mail/held", lambda w: "/admin/mail/held", ADMIN),
    Case("GET", "/admin/mail/held/<int:mail_id>", lambda w: f"/admin/mail/held/{w.held}", ADMIN),
    Case(
        "POST",
        "/admin/mail/held/<int:mail_id>/release",
        lambda w: f"/admin/mail/held/{w.held}/release",
        ADMIN,
        data=lambda w: {"target": "new"},
    ),
    Case(
        "POST",
        "/admin/mail/held/<int:mail_id>/discard",
        lambda w: f"/admin/mail/held/{w.held}/discard",
        ADMIN,
        data=lambda w: {},
    ),
    Case(
        "POST",
        "/admin/categories",
        lambda w: "/admin/categories",
        ADMIN,
        data=lambda w: {"name": "Packaging", "position": "5", "active": "y"},
    ),
    Case(
        "GET",
        "/admin/categories/<int:category_id>",
        lambda w: f"/admin/categories/{w.category}",
        ADMIN,
    ),
    Case(
        "POST",
        "/admin/categories/<int:category_id>",
        lambda w: f"/admin/categories/{w.category}",
        ADMIN,
        data=lambda w: {"name": "Other things", "position": "99", "active": "y"},
    ),
    # --- playbooks (id 2: the world's "Alternative" playbook; ids start at 1 in every world)
    Case("GET", "/playbooks/", lambda w: "/playbooks/", _roles(LOGIN, DENY, DENY, OK, OK)),
    Case("GET", "/playbooks/new", lambda w: "/playbooks/new", _roles(LOGIN, DENY, DENY, OK, OK)),
    Case(
        "POST",
        "/playbooks/new",
        lambda w: "/playbooks/new",
        _roles(LOGIN, DENY, DENY, OK, OK),
        data=lambda w: {
            "name": "Matrix advice",
            "advisory": "y",
            "evidence_threshold": "0",
            "make_whole_form": "reship",
            "goodwill_basis": "none",
            "goodwill_value": "0",
            "goodwill_cap_percent": "30",
            "total_cap_percent": "150",
            "steps-0-position": "1",
            "steps-0-kind": "task",
            "steps-0-title": "Listen",
            "steps-0-role": "agent",
            "steps-0-due_hours": "2",
        },
    ),
    Case(
        "GET",
        "/playbooks/<int:playbook_id>",
        lambda w: f"/playbooks/{w.playbook}",
        _roles(LOGIN, DENY, DENY, OK, OK),
    ),
    Case(
        "GET",
        "/playbooks/<int:playbook_id>/edit",
        lambda w: f"/playbooks/{w.playbook}/edit",
        _roles(LOGIN, DENY, DENY, OK, OK),
    ),
    Case(
        "POST",
        "/playbooks/<int:playbook_id>/edit",
        lambda w: f"/playbooks/{w.playbook}/edit",
        _roles(LOGIN, DENY, DENY, OK, OK),
        data=lambda w: {
            "name": "Alternative",
            "kinds": ["crisis"],
            "evidence_threshold": "0",
            "make_whole_form": "reship",
            "goodwill_basis": "affected_percent",
            "goodwill_value": "10",
            "goodwill_cap_percent": "30",
            "total_cap_percent": "150",
            "steps-0-kind": "apology",
            "steps-0-title": "Apologise at once",
            "steps-0-role": "agent",
            "steps-1-kind": "explanation",
            "steps-1-title": "Explain",
            "steps-1-role": "agent",
        },
    ),
    Case(
        "POST",
        "/playbooks/<int:playbook_id>/retire",
        lambda w: f"/playbooks/{w.playbook}/retire",
        _roles(LOGIN, DENY, DENY, OK, OK),
    ),
    Case(
        "POST",
        "/playbooks/<int:playbook_id>/activate",
        lambda w: f"/playbooks/{w.playbook}/activate",
        _roles(LOGIN, DENY, DENY, OK, OK),
    ),
    Case(
        "POST",
        "/playbooks/<int:playbook_id>/default",
        lambda w: f"/playbooks/{w.playbook}/default",
        _roles(LOGIN, DENY, DENY, OK, OK),
    ),
    # --- public
    Case("GET", "/complain", lambda w: "/complain", PUBLIC),
    Case(
        "POST",
        "/complain",
        lambda w: "/complain",
        PUBLIC,
        data=lambda w: {
            "name": "Pat Public",
            "email": "pat@public.example",
            "company": "",
            "category_id": "0",
            "description": "The parcel arrived crushed.",
        },
        content_type="multipart/form-data",
    ),
    Case(
        "GET",
        "/complain/received",
        lambda w: "/complain/received",
        PUBLIC,
        session=lambda w: {
            "last_complaint": {
                "reference": "TD-000001",
                "token": w.token_a,
                "emailed_to": "buyer@managed.example",
            }
        },
    ),
    Case("GET", "/complain/t/<token>", lambda w: f"/complain/t/{w.token_a}", PUBLIC),
    Case(
        "POST",
        "/complain/t/<token>",
        lambda w: f"/complain/t/{w.token_a}",
        PUBLIC,
        data=lambda w: {"body": "Any news?"},
    ),
    Case("GET", "/static/<path:filename>", lambda w: "/static/app.css", PUBLIC),
    # --- routing, watching, availability
    Case("GET", "/routing/", lambda w: "/routing/", EDITORS),
    Case("GET", "/routing/new", lambda w: "/routing/new", EDITORS),
    Case(
        "POST",
        "/routing/new",
        lambda w: "/routing/new",
        EDITORS,
        data=lambda w: {
            "name": "Matrix rule",
            "active": "y",
            "kinds": ["crisis"],
            "team_id": w.team_a,
            "strategy": "none",
        },
    ),
    Case("GET", "/routing/<int:rule_id>/edit", lambda w: f"/routing/{w.rule}/edit", EDITORS),
    Case(
        "POST",
        "/routing/<int:rule_id>/edit",
        lambda w: f"/routing/{w.rule}/edit",
        EDITORS,
        data=lambda w: {
            "name": "Matrix rule edited",
            "active": "y",
            "team_id": w.team_a,
            "strategy": "round_robin",
        },
    ),
    Case(
        "POST",
        "/routing/<int:rule_id>/move",
        lambda w: f"/routing/{w.rule}/move",
        EDITORS,
        data=lambda w: {"direction": "down"},
    ),
    Case("POST", "/routing/<int:rule_id>/delete", lambda w: f"/routing/{w.rule}/delete", EDITORS),
    Case(
        "POST",
        "/routing/fallback",
        lambda w: "/routing/fallback",
        EDITORS,
        data=lambda w: {"team_id": w.team_a},
    ),
    Case("GET", "/routing/dry-run", lambda w: "/routing/dry-run", EDITORS),
    Case("GET", "/routing/availability", lambda w: "/routing/availability", LEADS),
    Case(
        "POST",
        "/routing/availability/<int:user_id>/away",
        lambda w: f"/routing/availability/{w.agent}/away",
        LEADS,
        data=lambda w: {"reason": "sick", "back_on": "2099-01-05", "note": "Flu"},
    ),
    Case(
        "POST",
        "/routing/availability/<int:user_id>/back",
        lambda w: f"/routing/availability/{w.agent}/back",
        LEADS,
    ),
    Case(
        "POST",
        "/routing/reroute",
        lambda w: "/routing/reroute",
        LEADS,
        data=lambda w: {"ticket_ids": [w.t_a]},
    ),
    Case(
        "POST",
        "/tickets/<int:ticket_id>/reroute",
        lambda w: f"/tickets/{w.t_a}/reroute",
        WORK,
        data=lambda w: {"version": w.version},
    ),
    Case("POST", "/tickets/<int:ticket_id>/watch", lambda w: f"/tickets/{w.t_w}/watch", VIEW),
    Case("POST", "/tickets/<int:ticket_id>/unwatch", lambda w: f"/tickets/{w.t_a}/unwatch", VIEW),
    Case(
        "POST",
        "/settings/away",
        lambda w: "/settings/away",
        WORK,
        data=lambda w: {
            "away-reason": "holiday",
            "away-back_on": "2099-01-05",
            "away-note": "Back in January",
        },
    ),
    Case("POST", "/settings/back", lambda w: "/settings/back", WORK),
    # --- service levels
    Case("GET", "/sla/", lambda w: "/sla/", EDITORS),
    Case("GET", "/sla/policies/new", lambda w: "/sla/policies/new", EDITORS),
    Case(
        "POST",
        "/sla/policies/new",
        lambda w: "/sla/policies/new",
        EDITORS,
        data=lambda w: {
            "name": "Matrix policy",
            "active": "y",
            "kinds": ["crisis"],
            "calendar_id": w.calendar,
            "first_response_minutes": "30m",
            "resolution_minutes": "8h",
            "at_risk_percent": "75",
        },
    ),
    Case(
        "GET",
        "/sla/policies/<int:policy_id>/edit",
        lambda w: f"/sla/policies/{w.policy}/edit",
        EDITORS,
    ),
    Case(
        "POST",
        "/sla/policies/<int:policy_id>/edit",
        lambda w: f"/sla/policies/{w.policy}/edit",
        EDITORS,
        data=lambda w: {
            "name": "Matrix policy edited",
            "active": "y",
            "calendar_id": "",
            "first_response_minutes": "1h",
            "resolution_minutes": "1:30",
            "at_risk_percent": "80",
        },
    ),
    Case(
        "POST",
        "/sla/policies/<int:policy_id>/default",
        lambda w: f"/sla/policies/{w.policy}/default",
        EDITORS,
    ),
    Case("GET", "/sla/calendars/new", lambda w: "/sla/calendars/new", EDITORS),
    Case(
        "POST",
        "/sla/calendars/new",
        lambda w: "/sla/calendars/new",
        EDITORS,
        data=lambda w: {
            "name": "London office",
            "timezone": "Europe/London",
            "hours_0": "09:00-17:00",
            "hours_1": "09:00-12:30, 13:30-17:00",
            "holidays_text": "2026-12-25 Christmas Day",
        },
    ),
    Case(
        "GET",
        "/sla/calendars/<int:calendar_id>/edit",
        lambda w: f"/sla/calendars/{w.calendar}/edit",
        EDITORS,
    ),
    Case(
        "POST",
        "/sla/calendars/<int:calendar_id>/edit",
        lambda w: f"/sla/calendars/{w.calendar}/edit",
        EDITORS,
        data=lambda w: {
            "name": "Office hours edited",
            "timezone": "Europe/Berlin",
            "hours_0": "08:00-16:00",
        },
    ),
    # --- notifications (each role opens and marks its own)
    Case("GET", "/notifications/", lambda w: "/notifications/", ANY_USER),
    Case("GET", "/notifications/unread.json", lambda w: "/notifications/unread.json", ANY_USER),
    Case(
        "POST",
        "/notifications/<int:notification_id>/open",
        lambda w: f"/notifications/{w.notes.get(w.role, 1)}/open",
        ANY_USER,
    ),
    Case(
        "POST",
        "/notifications/<int:notification_id>/read",
        lambda w: f"/notifications/{w.notes.get(w.role, 1)}/read",
        ANY_USER,
    ),
    Case("POST", "/notifications/read-all", lambda w: "/notifications/read-all", ANY_USER),
    Case(
        "POST",
        "/settings/notifications",
        lambda w: "/settings/notifications",
        ANY_USER,
        data=lambda w: {"notify-by_email": ["assigned", "watched"]},
    ),
]


def _case_id(case: Case) -> str:
    return f"{case.method} {case.rule}"


# ----------------------------------------------------------------- the world


def _note_with_file(ticket_id: int, actor_id: int, now) -> int:
    ticket = db.session.get(Ticket, ticket_id)
    actor = db.session.get(User, actor_id)
    event = conversation.add_note(
        ticket,
        actor=actor,
        body="Photo from the customer",
        now=now,
        uploads=[FileStorage(io.BytesIO(PNG), filename="photo.png")],
    )
    return event.attachments[0].id


def _make_world(now, *, full: bool = True) -> SimpleNamespace:
    """Users of every role, a managed customer with a team ticket and its attachment.

    ``full`` adds a second team, agent, account manager and customer with a team-B
    ticket and a ticket without a team, for the object-level checks.
    """
    w = SimpleNamespace()
    w.team_a = factories.make_team("Team A")
    w.agent_email = "agent.a@desk.example"
    w.agent = factories.make_user(Role.AGENT, email=w.agent_email, team_ids=(w.team_a,))
    w.lead = factories.make_user(Role.LEAD)
    w.am = factories.make_user(Role.ACCOUNT_MANAGER)
    w.admin = factories.make_user(Role.ADMIN)
    w.cust_am = factories.make_customer(
        "Managed Co", account_manager_id=w.am, contact_email="buyer@managed.example"
    )
    w.category = factories.category_id("other")
    with unit_of_work():
        steps = (
            StepSpec("Call back"),
            StepSpec("Check the stock"),
            StepSpec("Apologise", kind=StepKind.APOLOGY),
            StepSpec("Explain", kind=StepKind.EXPLANATION),
        )
        playbooks.add_playbook(
            PlaybookSpec(name="Default", steps=steps), actor=None, now=now, is_default=True
        )
        alt = playbooks.add_playbook(
            PlaybookSpec(name="Alternative", steps=steps, conditions={"kinds": ["crisis"]}),
            actor=None,
            now=now,
        )
    w.alt_version, w.playbook = alt.current_version_id, alt.id
    w.t_a = factories.make_ticket(actor_id=w.lead, customer_id=w.cust_am, team_id=w.team_a, now=now)
    ticket_a = db.session.get(Ticket, w.t_a)
    w.step_open, w.step_done = ticket_a.steps[0].id, ticket_a.steps[1].id
    playbooks.complete_step(
        ticket_a, actor=db.session.get(User, w.lead), step_id=w.step_done, now=now
    )
    ticket_a.claimed_loss, ticket_a.order_value = Decimal("100.00"), Decimal("1000.00")
    db.session.commit()

    def mk(actor, cost):
        return ledger.propose_remedy(
            ticket_a,
            actor=db.session.get(User, actor),
            now=now,
            draft=ledger.RemedyDraft(
                kind=RemedyKind.MAKE_WHOLE,
                form=RemedyForm.RESHIP,
                description="Reship",
                cost=Decimal(cost),
                reason=RemedyReason.MISSING_ITEMS,
            ),
        ).id

    w.rem_approved = mk(w.lead, "100.00")
    w.rem_pending = mk(w.agent, "20.00")
    w.att_a = _note_with_file(w.t_a, w.lead, now)
    w.token_a = db.session.get(Ticket, w.t_a).public_token
    # The ticket's contact (its e-mails, the private link), one contact copied on its
    # replies and one that could be.
    with unit_of_work():
        buyer = db.session.scalar(
            sa.select(Contact).where(Contact.email == "buyer@managed.example")
        )
        ticket_a.contact_id = buyer.id
        copied = Contact(customer_id=w.cust_am, name="Copied Buyer", email="copied@managed.example")
        new_copy = Contact(
            customer_id=w.cust_am, name="Second Buyer", email="second@managed.example"
        )
        db.session.add_all([copied, new_copy])
        db.session.flush()
        db.session.add(TicketCc(ticket_id=w.t_a, contact_id=copied.id))
    w.cc_copied, w.cc_new = copied.id, new_copy.id
    with unit_of_work():
        order = Order(
            customer_id=w.cust_am,
            reference="SO-MATRIX-1",
            ordered_on=date(2026, 2, 1),
            amount=Decimal("10.00"),
            currency="EUR",
        )
        survey = Survey(
            ticket_id=w.t_a,
            email="buyer@managed.example",
            nonce="matrix-nonce",
            sent_at=now,
            expires_at=utcnow() + timedelta(days=14),
        )
        db.session.add_all([order, survey])
    w.order_am = order.id
    w.survey_token = surveys.token_for(survey)
    # Routing rules, a second ticket to watch, watchers of t_a, a notification per person.
    lead = db.session.get(User, w.lead)
    w.rule = routing_rules.create_rule(
        actor=lead,
        now=now,
        data=routing_rules.RuleData(name="Crises to team A", kinds=("crisis",), team_id=w.team_a),
    ).id
    routing_rules.create_rule(
        actor=lead,
        now=now,
        data=routing_rules.RuleData(name="Lead watches P1", severities=("p1",), watch_lead=True),
    )
    w.t_w = factories.make_ticket(actor_id=w.lead, customer_id=w.cust_am, team_id=w.team_a, now=now)
    # A ticket flagged for review: its contact named the account and is not confirmed.
    w.t_review = factories.make_ticket(
        actor_id=w.lead, customer_id=w.cust_am, team_id=w.team_a, now=now
    )
    ticket_r = db.session.get(Ticket, w.t_review)
    ticket_r.contact = Contact(
        customer_id=w.cust_am, name="Eve Named", verified=False, email="eve@elsewhere.example"
    )
    ticket_r.review_reason = "Unverified contact: Eve Named named the account Managed Co."
    db.session.commit()
    w.version_review = ticket_r.version
    w.contact_am = db.session.scalar(
        sa.select(Contact.id).where(Contact.email == "buyer@managed.example")
    )
    with unit_of_work():
        calendar = BusinessCalendar(
            name="Office hours", timezone="Europe/Berlin", hours={"0": [["09:00", "17:00"]]}
        )
        policy = SlaPolicy(
            name="Matrix standard",
            conditions={"tiers": ["key"]},
            calendar=calendar,
            first_response_minutes=240,
            resolution_minutes=2400,
        )
        db.session.add_all([calendar, policy])
    w.calendar, w.policy = calendar.id, policy.id
    with unit_of_work():
        mail = outbox.enqueue(to="buyer@managed.example", subject="[TD] matrix", body="b", now=now)
        mail.state, mail.last_error = OutboxState.FAILED, "550 No such user"
    w.mail = mail.id
    with unit_of_work():
        held = InboundMail(
            dedupe_key="matrix",
            message_id="<matrix@mail.example>",
            sender="buyer@managed.example",
            subject="Matrix mail",
            source=InboundSource.PIPE,
            state=InboundState.HELD,
            reason="Held for the matrix.",
            received_at=now,
            raw=b"From: buyer@managed.example\r\nSubject: Matrix mail\r\n\r\nHello\r\n",
            size_bytes=60,
        )
        db.session.add(held)
        received = InboundMail(
            dedupe_key="matrix-applied",
            message_id="<matrix.2@mail.example>",
            sender="buyer@managed.example",
            subject="Re: matrix",
            source=InboundSource.IMAP,
            state=InboundState.APPLIED,
            reason="On the ticket.",
            received_at=now,
            raw=b"From: buyer@managed.example\r\nSubject: Re: matrix\r\n\r\nThanks\r\n",
            size_bytes=58,
            ticket_id=w.t_a,
        )
        db.session.add(received)
    w.held, w.mail_in = held.id, received.id
    w.notes = {}
    with unit_of_work():
        for role, uid in (
            ("agent", w.agent),
            ("account_manager", w.am),
            ("lead", w.lead),
            ("admin", w.admin),
        ):
            if role != "admin":
                db.session.add(TicketWatcher(ticket_id=w.t_a, user_id=uid, created_at=now))
            # (Admins see no tickets; what reaches them about one is an approval request.)
            kind = (
                NotificationKind.APPROVAL_WAITING if role == "admin" else NotificationKind.ASSIGNED
            )
            note = Notification(
                user_id=uid, kind=kind, ticket_id=w.t_a, title="TD · matrix", created_at=now
            )
            db.session.add(note)
            db.session.flush()
            w.notes[role] = note.id
    w.role = None
    if full:
        w.team_b = factories.make_team("Team B")
        w.agent_b = factories.make_user(Role.AGENT, team_ids=(w.team_b,))
        w.am_other = factories.make_user(Role.ACCOUNT_MANAGER)
        w.cust_other = factories.make_customer("Other Co", account_manager_id=w.am_other)
        w.t_b = factories.make_ticket(
            actor_id=w.lead, customer_id=w.cust_other, team_id=w.team_b, now=now
        )
        w.t_none = factories.make_ticket(
            actor_id=w.lead, customer_id=w.cust_other, now=now, unrouted=True
        )
        w.att_b = _note_with_file(w.t_b, w.lead, now)
    return w


@pytest.fixture
def world(build, now):
    return build(_make_world, now)


@pytest.fixture
def small_world(build, now):
    return build(_make_world, now, full=False)


def _client_as(app, user_id: int | None):
    client = app.test_client()
    if user_id is not None:
        factories.log_in(client, user_id)
    return client


def _user_for(world, role: str) -> int | None:
    return None if role == "anon" else getattr(world, {"account_manager": "am"}.get(role, role))


def _version(build, ticket_id: int) -> int:
    return build(lambda: db.session.get(Ticket, ticket_id).version)


def _is_login_redirect(resp, path: str) -> bool:
    if resp.status_code != 302:
        return False
    loc = urlsplit(resp.location)
    return loc.path == "/login" and parse_qs(loc.query).get("next") == [path]


def _mismatch(resp, expected: str, method: str, path: str) -> str | None:
    """None when the response is the expected outcome, else a description."""
    if expected == DENY:
        ok = resp.status_code == 403
    elif expected == LOGIN:
        ok = _is_login_redirect(resp, path)
    elif expected == REDIRECT or method == "POST":
        ok = resp.status_code == 302 and "next=" not in (resp.location or "")
    else:
        ok = resp.status_code == 200
    if ok:
        return None
    return f"expected {expected}, got {resp.status_code} {resp.location or ''} {resp.data[:300]!r}"


def _request(app, build, world, case: Case, role: str):
    world.role = role
    path = case.url(world)
    client = _client_as(app, _user_for(world, role))
    if case.session:
        with client.session_transaction() as sess:
            sess.update(case.session(world))
    if case.method == "GET":
        return path, client.get(path)
    world.version = _version(build, world.t_a)
    kwargs = {"data": case.data(world) if case.data else {}}
    if case.content_type:
        kwargs["content_type"] = case.content_type
    return path, client.post(path, **kwargs)


def _writes(case: Case, role: str) -> bool:
    """An allowed POST changes data, so it gets a world of its own."""
    return case.method == "POST" and case.expect[role] == OK


def _snapshot() -> dict:
    # Logging the test clients in starts sessions: those rows are not the request's doing.
    counts = {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
        if table.name != "user_sessions"
    }
    counts["versions"] = sorted(db.session.scalars(sa.select(Ticket.version)))
    counts["users"] = sorted(
        db.session.execute(sa.select(User.id, User.name, User.active, User.password_hash)).all()
    )
    return counts


SHARED_CASES = [case for case in CASES if any(not _writes(case, role) for role in ROLES)]
WRITE_CASES = [(case, role) for case in CASES for role in ROLES if _writes(case, role)]


# ----------------------------------------------------------------- the matrix


def test_every_route_is_in_the_matrix(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {(case.method, case.rule) for case in CASES}
    assert routes - covered == set(), "routes without a matrix entry"
    assert covered - routes == set(), "matrix entries for routes that no longer exist"
    assert len(covered) == len(CASES), "duplicate matrix entries"
    adapter = app.url_map.bind("localhost")
    example = SimpleNamespace(
        t_a=1,
        att_a=1,
        cust_am=1,
        agent=1,
        team_a=1,
        category=1,
        token_a="token",
        step_open=1,
        step_done=2,
        rem_approved=1,
        rem_pending=2,
        playbook=2,
        rule=1,
        t_w=3,
        notes={},
        role=None,
        calendar=1,
        policy=1,
        order_am=1,
        survey_token="token",
        t_review=4,
        version_review=1,
        contact_am=1,
        mail=1,
        held=1,
        cc_copied=1,
        cc_new=1,
        mail_in=1,
    )
    for case in CASES:
        assert set(case.expect) == set(ROLES), case
        # The concrete URL of each entry really is an instance of its rule.
        path = case.url(example).split("?")[0]
        rule, _args = adapter.match(path, method=case.method, return_rule=True)
        assert rule.rule == case.rule


@pytest.mark.parametrize("case", SHARED_CASES, ids=_case_id)
def test_route_access(app, build, small_world, case):
    """Every role that reads or is refused, against one world; refusals change nothing."""
    before = build(_snapshot)
    failures = []
    for role in ROLES:
        if _writes(case, role):
            continue  # see test_allowed_write
        path, resp = _request(app, build, small_world, case, role)
        problem = _mismatch(resp, case.expect[role], case.method, path)
        if problem:
            failures.append(f"{role}: {problem}")
    assert not failures, "\n".join(failures)
    assert build(_snapshot) == before, "a read or a refused request changed data"


@pytest.mark.parametrize(
    "case, role", WRITE_CASES, ids=[f"{_case_id(c)}-{r}" for c, r in WRITE_CASES]
)
def test_allowed_write(app, build, small_world, case, role):
    """Each allowed POST, with valid data, in a fresh world: a redirect, not a login page."""
    path, resp = _request(app, build, small_world, case, role)
    problem = _mismatch(resp, OK, case.method, path)
    assert problem is None, f"{role}: {problem}"


def test_attachment_download_is_the_file(app, world):
    resp = _client_as(app, world.agent).get(f"/tickets/attachments/{world.att_a}")
    assert resp.status_code == 200
    assert resp.data == PNG
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


# ----------------------------------------------------------------- object level

TICKET_POSTS = {
    "reply": lambda w, v: {"version": v, "body": "Hello", "status_after": ""},
    "note": lambda w, v: {"body": "Note"},
    "customer-message": lambda w, v: {"body": "They called"},
    "status": lambda w, v: {"version": v, "status": "open"},
    "assign": lambda w, v: {"version": v, "team_id": w.team_a, "assignee_id": w.agent},
    "take": lambda w, v: {"version": v},
    "details": lambda w, v: {
        "version": v,
        "subject": "X",
        "kind": "complaint",
        "category_id": w.category,
        "severity": "p1",
        "currency": "EUR",
    },
    "cc": lambda w, v: {"contact_id": w.cc_new},
    "private-link": lambda w, v: {},
}


def _event_count(build, ticket_id: int) -> int:
    return build(lambda: len(db.session.get(Ticket, ticket_id).events))


def test_agent_of_another_team_gets_403_on_ticket_and_every_action(app, build, world):
    client = _client_as(app, world.agent)
    before = _event_count(build, world.t_b)
    version = _version(build, world.t_b)
    assert client.get(f"/tickets/{world.t_b}").status_code == 403
    assert client.get(f"/tickets/attachments/{world.att_b}").status_code == 403
    for action, data in TICKET_POSTS.items():
        resp = client.post(f"/tickets/{world.t_b}/{action}", data=data(world, version))
        assert resp.status_code == 403, action
    assert _event_count(build, world.t_b) == before
    assert _version(build, world.t_b) == version
    # ... while the member of that team may work it.
    other = _client_as(app, world.agent_b)
    assert other.get(f"/tickets/{world.t_b}").status_code == 200
    assert other.get(f"/tickets/{world.t_a}").status_code == 403


def test_agent_sees_a_ticket_of_another_team_assigned_to_them(app, build, world):
    def assign_to_agent_a():
        # Set directly: the service refuses an assignee outside the ticket's team.
        db.session.get(Ticket, world.t_b).assignee_id = world.agent
        db.session.commit()

    build(assign_to_agent_a)
    assert _client_as(app, world.agent).get(f"/tickets/{world.t_b}").status_code == 200


def test_ticket_without_team_is_visible_to_every_agent(app, build, world):
    for agent in (world.agent, world.agent_b):
        client = _client_as(app, agent)
        assert client.get(f"/tickets/{world.t_none}").status_code == 200
        version = _version(build, world.t_none)
        resp = client.post(
            f"/tickets/{world.t_none}/reply",
            data={"version": version, "body": "On it", "status_after": ""},
        )
        assert resp.status_code == 302


def test_account_manager_of_another_customer_gets_403(app, build, world):
    client = _client_as(app, world.am)
    before = _event_count(build, world.t_b)
    assert client.get(f"/tickets/{world.t_b}").status_code == 403
    assert client.get(f"/tickets/{world.t_none}").status_code == 403
    assert client.get(f"/tickets/attachments/{world.att_b}").status_code == 403
    assert client.post(f"/tickets/{world.t_b}/note", data={"body": "peek"}).status_code == 403
    assert _event_count(build, world.t_b) == before
    assert client.get(f"/customers/{world.cust_other}").status_code == 403
    assert client.get(f"/customers/{world.cust_other}/edit").status_code == 403
    resp = client.post(
        f"/customers/{world.cust_other}/edit",
        data={
            "name": "Hijacked",
            "tier": "standard",
            "standing": "qualification_pending",
            "account_manager_id": world.am,
        },
    )
    assert resp.status_code == 403
    resp = client.post(
        f"/customers/{world.cust_other}/contacts", data={"name": "Spy", "email": "spy@desk.example"}
    )
    assert resp.status_code == 403
    name = build(lambda: db.session.get(Customer, world.cust_other).name)
    assert name == "Other Co"
    # The other account manager does see them.
    other = _client_as(app, world.am_other)
    assert other.get(f"/tickets/{world.t_b}").status_code == 200
    assert other.get(f"/customers/{world.cust_other}").status_code == 200


def test_account_manager_may_not_work_even_their_own_tickets(app, build, world):
    client = _client_as(app, world.am)
    version = _version(build, world.t_a)
    for action, data in TICKET_POSTS.items():
        if action == "note":
            continue
        resp = client.post(f"/tickets/{world.t_a}/{action}", data=data(world, version))
        assert resp.status_code == 403, action
    assert _version(build, world.t_a) == version


def test_lead_sees_every_ticket(app, world):
    client = _client_as(app, world.lead)
    for ticket_id in (world.t_a, world.t_b, world.t_none):
        assert client.get(f"/tickets/{ticket_id}").status_code == 200


def test_admin_gets_403_on_every_ticket_but_one_awaiting_their_approval(app, world):
    client = _client_as(app, world.admin)
    for ticket_id in (world.t_b, world.t_none, world.t_w):
        assert client.get(f"/tickets/{ticket_id}").status_code == 403
    # t_a has a remedy waiting for a lead's approval, which an admin may give.
    assert client.get(f"/tickets/{world.t_a}").status_code == 200


def test_unknown_ids_are_404_for_allowed_roles(app, world):
    client = _client_as(app, world.lead)
    assert client.get("/tickets/999999").status_code == 404
    assert client.get("/tickets/attachments/999999").status_code == 404
    assert client.get("/customers/999999").status_code == 404
    admin = _client_as(app, world.admin)
    assert admin.get("/admin/users/999999").status_code == 404
    assert admin.get("/admin/teams/999999").status_code == 404
    assert admin.get("/admin/categories/999999").status_code == 404


def test_deactivated_user_session_is_dropped(app, build, world):
    client = _client_as(app, world.agent)
    assert client.get("/tickets/").status_code == 200

    def deactivate():
        db.session.get(User, world.agent).active = False
        db.session.commit()

    build(deactivate)
    assert _is_login_redirect(client.get("/tickets/"), "/tickets/")
