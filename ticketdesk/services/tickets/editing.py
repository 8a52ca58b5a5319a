"""Editing a ticket's categorisation, each change on the timeline.

Subject, kind, category, severity, order and money, cause side.
"""

from dataclasses import dataclass
from dataclasses import fields as dc_fields
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _

from ticketdesk.core import money
from ticketdesk.core.errors import DomainError
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    Category,
    CauseSide,
    EventKind,
    Severity,
    Ticket,
    TicketEvent,
    TicketKind,
    User,
)
from ticketdesk.services.notifications import notifications
from ticketdesk.services.people import access
from ticketdesk.services.sla import clocks as sla
from ticketdesk.services.tickets import common


@dataclass(frozen=True)
class DetailChanges:
    """Editable categorisation of an existing ticket."""

    subject: str
    kind: TicketKind
    category_id: int
    severity: Severity
    order_reference: str
    currency: str
    order_value: Decimal | None
    claimed_loss: Decimal | None
    cause_side: CauseSide = CauseSide.UNKNOWN


_DETAIL_LABELS = {
    "cause_side": "cause_side",
    "subject": "subject",
    "kind": "kind",
    "category_id": "category",
    "severity": "severity",
    "order_reference": "order_reference",
    "currency": "currency",
    "order_value": "order_value",
    "claimed_loss": "claimed_loss",
}


def update_details(
    ticket: Ticket,
    *,
    actor: User,
    changes: DetailChanges,
    expected_version: int | None,
    now: datetime,
) -> list[TicketEvent]:
    """Edit categorisation and money fields; one field-change event per changed field."""
    access.require_work_ticket(actor, ticket)
    common.check_version(ticket, expected_version)
    currency = common.check_currency(changes.currency)
    new = {
        "subject": common.clean_text(
            changes.subject, field="subject", label=_("Subject"), maximum=common.SUBJECT_MAX
        ),
        "kind": changes.kind,
        "category_id": common.active_category(changes.category_id).id
        if changes.category_id != ticket.category_id
        else ticket.category_id,
        "severity": changes.severity,
        "order_reference": (changes.order_reference or "").strip()[:64],
        "currency": currency,
        "order_value": common.check_money(
            changes.order_value, field="order_value", currency=currency
        ),
        "claimed_loss": common.check_money(
            changes.claimed_loss, field="claimed_loss", currency=currency
        ),
        "cause_side": changes.cause_side,
    }
    changed: list[TicketEvent] = []
    with unit_of_work():
        for f in dc_fields(DetailChanges):
            name = f.name
            old_value, new_value = getattr(ticket, name), new[name]
            if old_value == new_value:
                continue
            if name == "category_id":
                old_text = ticket.category.name
                ticket.category = db.session.get(Category, new_value)
                new_text = ticket.category.name
            else:
                setattr(ticket, name, new_value)
                old_text, new_text = (
                    _display(name, old_value, ticket),
                    _display(name, new_value, ticket),
                )
            changed.append(
                common.event(
                    ticket,
                    EventKind.FIELD_CHANGE,
                    now=now,
                    actor=actor,
                    field=_DETAIL_LABELS[name],
                    old=old_text,
                    new=new_text,
                )
            )
        if not changed:
            raise DomainError(_("Nothing was changed."), field="subject")
        if ticket.kind is TicketKind.CRISIS:
            notifications.account_crisis(ticket, now=now)
        if any(e.field in ("severity", "kind") for e in changed):
            sla.recompute(ticket, actor=actor, now=now)
        ticket.last_activity_at = now
    return changed


def _display(name: str, value, ticket: Ticket) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        # In the ticket's (possibly new) currency: 368 JPY, 10.50 EUR, 1.250 KWD.
        return str(value.quantize(money.minor_unit(ticket.currency)))
    if hasattr(value, "value"):
        return value.value
    return str(value)
