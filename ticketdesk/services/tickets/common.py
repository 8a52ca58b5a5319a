"""Helpers shared by the ticket use cases.

The version check, text and money checks, events, files. None of them commits; each runs inside
its caller's transaction.
"""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from ticketdesk.core import money
from ticketdesk.core.errors import Conflict, DomainError
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    Category,
    EventKind,
    Ticket,
    TicketEvent,
    User,
)
from ticketdesk.services import timeline as events
from ticketdesk.services.tickets import attachments

SUBJECT_MAX = 200

BODY_MAX = 20_000

REVIEW_REASON_MAX = 255


def event(
    ticket: Ticket,
    kind: EventKind,
    *,
    now: datetime,
    actor: User | None,
    body: str = "",
    field: str | None = None,
    old: str | None = None,
    new: str | None = None,
    by_customer: bool = False,
    via: str = "",
    quoted_body: str = "",
) -> TicketEvent:
    return events.record(
        ticket,
        kind,
        now=now,
        actor=actor,
        body=body,
        field=field,
        old=old,
        new=new,
        by_customer=by_customer,
        via=via,
        quoted_body=quoted_body,
    )


def check_version(ticket: Ticket, expected_version: int | None) -> None:
    """Lock the ticket's row, then make sure nobody changed it since the user loaded it.

    Every change to a ticket takes this row lock before it writes anything, so two
    changes saved at the same moment queue up on the ticket in one fixed order instead
    of deadlocking on the rows they touch later (events, steps, notifications). The one
    that waited finds the version moved and gets the conflict message.
    """
    current = db.session.scalar(
        sa.select(Ticket.version).where(Ticket.id == ticket.id).with_for_update()
    )
    if current == ticket.version and expected_version in (None, ticket.version):
        return
    # Notes and added files never change the ticket row, so they cannot have moved the version.
    last = db.session.scalar(
        sa.select(TicketEvent)
        .where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.kind.not_in((EventKind.INTERNAL_NOTE, EventKind.ATTACHMENT)),
        )
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )
    who = (
        _("the customer")
        if last is not None and last.by_customer and last.actor is None
        else (last.actor.name if last is not None and last.actor is not None else _("someone else"))
    )
    raise Conflict(
        _(
            "%(reference)s was changed by %(who)s while you were working on it. "
            "Nothing of yours was saved and your input is kept below: check the latest "
            "activity, then save again.",
            reference=ticket.reference,
            who=who,
        )
    )


def clean_text(value: str, *, field: str, label: str, maximum: int) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(_("%(label)s cannot be empty.", label=label), field=field)
    if len(value) > maximum:
        raise DomainError(
            _("%(label)s is longer than %(maximum)s characters.", label=label, maximum=maximum),
            field=field,
        )
    return value


def check_money(value: Decimal | None, *, field: str, currency: str) -> Decimal | None:
    """A valid amount of ``currency`` (see ``services.money``), or DomainError on ``field``."""
    return money.check_amount(value, currency=currency, field=field)


def check_currency(code: str) -> str:
    return money.check_currency(code)


def active_category(category_id: int | None) -> Category:
    category = db.session.get(Category, category_id) if category_id else None
    if category is None or not category.active:
        raise DomainError(_("Choose a category."), field="category_id")
    return category


def run_with_files(action, uploads, *, field: str = "attachments"):
    """Run ``action(checked_files, written_paths)`` in one transaction.

    Files are validated before anything is written, and removed again when the
    transaction fails, so a failed action leaves neither rows nor files behind.
    """
    checked = attachments.check_uploads(uploads, field=field)
    written: list = []
    try:
        with unit_of_work():
            return action(checked, written)
    except Exception:
        attachments.discard_files(written)
        raise


def attach(ticket: Ticket, event: TicketEvent, checked, uploader: User | None, written) -> None:
    if checked:
        attachments.store(ticket, event, checked, uploader, written)
