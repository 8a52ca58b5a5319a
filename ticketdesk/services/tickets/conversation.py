"""The conversation on a ticket: replies, internal notes, files, the customer's messages.

The customer's messages come with their limits; also the private link and the timeline.
"""

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ticketdesk.core import ratelimit
from ticketdesk.core.errors import DomainError, InvalidTransition, NotFound, RateLimited
from ticketdesk.extensions import db
from ticketdesk.models import (
    PUBLIC_EVENT_KINDS,
    EventKind,
    RootCause,
    Ticket,
    TicketEvent,
    TicketStatus,
    User,
)
from ticketdesk.services import timeline as events
from ticketdesk.services.ledger import remedies as ledger
from ticketdesk.services.people import access
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.sla import clocks as sla
from ticketdesk.services.tickets import common, guards, lifecycle, outgoing, workflow
from ticketdesk.services.tickets.attachments import Upload


def ticket_by_token(token: str) -> Ticket:
    ticket = (
        db.session.scalar(sa.select(Ticket).where(Ticket.public_token == token))
        if (token and len(token) <= 64)
        else None
    )
    if ticket is None:
        raise NotFound(_("No complaint matches this link."))
    return ticket


def _asks_for_proof(ticket: Ticket, body: str) -> list[str]:
    """Proof-asking words in a reply on a claim within the evidence threshold."""
    rules = ledger.rules_for(ticket)
    if (
        rules.advisory
        or not ledger.claim_known(ticket)
        or ledger.affected_value(ticket) > rules.evidence_threshold
    ):
        return []
    return guards.proof_requests(body)


def reply(
    ticket: Ticket,
    *,
    actor: User,
    body: str,
    expected_version: int | None,
    now: datetime,
    status_after: TicketStatus | None = None,
    uploads: list[Upload] = (),
    apology: bool = False,
    explanation: RootCause | None = None,
    proof_reason: str = "",
    log_only: bool = False,
) -> TicketEvent:
    """A public reply the customer sees. The first one is the first response.

    It is e-mailed to the ticket's contact and the contacts copied on the ticket, unless
    ``log_only`` (what was said on the phone) or nobody has an address; the event's
    ``via`` records which ("email", "log_only", "no_address"). Whatever happens to the
    e-mail later, the reply stays on the ticket.

    ``apology`` and ``explanation`` record that this reply apologises, or explains
    the cause (with its root-cause code), ticking those playbook steps.

    Evidence guard: on a claim within the playbook's evidence threshold, a reply
    that asks the customer for proof is held back unless ``proof_reason`` says why;
    that reason is logged as an internal note.
    """
    access.require_work_ticket(actor, ticket)
    common.check_version(ticket, expected_version)
    body = common.clean_text(body, field="body", label=_("Reply"), maximum=common.BODY_MAX)
    if status_after is not None and status_after is TicketStatus.NEW:
        raise InvalidTransition(_("A reply cannot set a ticket back to new."), field="status_after")
    asks = _asks_for_proof(ticket, body)
    proof_reason = (proof_reason or "").strip()
    if asks and not proof_reason:
        raise DomainError(
            _(
                "This claim is within the no-proof limit (%(limit)s %(currency)s) and your reply "
                "asks for proof (“%(words)s”). Make the customer whole without it, or give a "
                "reason to send it anyway.",
                limit=ledger.rules_for(ticket).evidence_threshold,
                currency=ticket.currency,
                words="”, “".join(asks),
            ),
            field="proof_reason",
        )

    def action(checked, written):
        via = outgoing.reply_via(ticket, log_only=log_only)
        event = events.record(
            ticket, EventKind.PUBLIC_REPLY, now=now, actor=actor, body=body, via=via
        )
        common.attach(ticket, event, checked, actor, written)
        if via == outgoing.VIA_EMAIL:
            outgoing.queue_reply(ticket, event, actor=actor, now=now)
        playbooks.record_reply(
            ticket, event, actor=actor, now=now, apology=apology, explanation=explanation
        )
        if asks:
            common.event(
                ticket,
                EventKind.INTERNAL_NOTE,
                now=now,
                actor=actor,
                body=_(
                    "Asked the customer for proof within the no-proof limit. Reason: %(reason)s",
                    reason=proof_reason,
                ),
            )
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        sla.responded(ticket, now=now)
        target = status_after or (TicketStatus.OPEN if ticket.status is TicketStatus.NEW else None)
        if target is not None and target is not ticket.status:
            workflow.move(ticket, target, actor=actor, now=now)
        ticket.last_activity_at = now
        return event

    return common.run_with_files(action, uploads)


def add_note(
    ticket: Ticket, *, actor: User, body: str, now: datetime, uploads: list[Upload] = ()
) -> TicketEvent:
    """An internal note: never shown to the customer. Does not change the ticket itself."""
    access.require_note_ticket(actor, ticket)
    body = common.clean_text(body, field="body", label=_("Note"), maximum=common.BODY_MAX)

    def action(checked, written):
        event = common.event(ticket, EventKind.INTERNAL_NOTE, now=now, actor=actor, body=body)
        common.attach(ticket, event, checked, actor, written)
        return event

    return common.run_with_files(action, uploads)


def add_attachments(
    ticket: Ticket, *, actor: User, now: datetime, uploads: list[Upload]
) -> TicketEvent:
    """Files added to the ticket on their own (internal, like every attachment)."""
    access.require_note_ticket(actor, ticket)

    def action(checked, written):
        if not checked:
            raise DomainError(_("Choose at least one file."), field="attachments")
        event = common.event(
            ticket,
            EventKind.ATTACHMENT,
            now=now,
            actor=actor,
            body=", ".join(item.original_name for item in checked),
        )
        common.attach(ticket, event, checked, actor, written)
        return event

    return common.run_with_files(action, uploads)


def log_customer_message(
    ticket: Ticket,
    *,
    actor: User | None,
    body: str,
    now: datetime,
    uploads: list[Upload] = (),
    ip: str | None = None,
) -> TicketEvent:
    """A message from the customer: via the private link (no actor) or logged by staff.

    A ticket waiting on the customer goes back to open; a resolved one is reopened.
    On the private link a closed ticket takes no more messages, and the link's limits
    apply (``ip`` is the sender's address): see ``_check_follow_up_limits``.
    """
    if actor is not None:
        access.require_work_ticket(actor, ticket)
    elif ticket.status is TicketStatus.CLOSED:
        raise InvalidTransition(
            _(
                "This complaint is closed. Please send a new complaint and mention %(reference)s.",
                reference=ticket.reference,
            ),
            field="body",
        )
    else:
        _check_follow_up_limits(ticket, ip=ip, files=0, now=now)
    body = common.clean_text(body, field="body", label=_("Message"), maximum=common.BODY_MAX)

    def action(checked, written):
        if actor is None:
            _check_follow_up_limits(ticket, ip=ip, files=len(checked), now=now)
            _record_follow_up(ticket, ip=ip, files=len(checked), now=now)
        return customer_message(
            ticket,
            actor=actor,
            body=body,
            now=now,
            checked=checked,
            written=written,
            via="staff" if actor is not None else "web",
        )

    return common.run_with_files(action, uploads)


def customer_message(
    ticket: Ticket,
    *,
    actor: User | None,
    body: str,
    now: datetime,
    checked,
    written,
    via: str,
    quoted_body: str = "",
) -> TicketEvent:
    """The customer's message on the timeline, whichever way it came (the private link,
    staff logging it, e-mail), inside the caller's transaction.

    A ticket waiting on the customer, resolved or closed goes back to open (its clocks
    run again); which messages may reach a resolved or closed ticket is the caller's rule.
    """
    event = common.event(
        ticket,
        EventKind.CUSTOMER_MESSAGE,
        now=now,
        actor=actor,
        body=body,
        by_customer=True,
        via=via,
        quoted_body=quoted_body,
    )
    common.attach(ticket, event, checked, actor, written)
    if ticket.status in (TicketStatus.PENDING_CUSTOMER, *lifecycle.REOPEN_STATUSES):
        lifecycle.set_status(
            ticket, TicketStatus.OPEN, actor=actor, now=now, by_customer=actor is None
        )
    sla.customer_wrote(ticket, now=now)
    ticket.last_activity_at = now
    return event


def _follow_up_keys(ticket: Ticket, ip: str | None) -> tuple[str, str, str]:
    """Rate-limit keys: posts per link, posts per address, files per link."""
    address = (ip or "unknown")[:100]
    return (f"follow:{ticket.id}", f"follow-ip:{address}", f"follow-files:{ticket.id}")


def _check_follow_up_limits(ticket: Ticket, *, ip: str | None, files: int, now: datetime) -> None:
    """Refuse a message on the private link once the link or the address has sent its share.

    Within the last ``FOLLOW_UP_RATE_WINDOW_SECONDS`` (a sliding window; a message exactly
    that old no longer counts) a link takes at most ``FOLLOW_UP_POSTS_PER_LINK`` messages
    and ``FOLLOW_UP_FILES_PER_LINK`` files, and one address at most
    ``FOLLOW_UP_POSTS_PER_ADDRESS`` messages over all links. Only messages that were
    saved count; a refused one saves nothing.
    """
    cfg = current_app.config
    window = int(cfg["FOLLOW_UP_RATE_WINDOW_SECONDS"])
    link_key, address_key, files_key = _follow_up_keys(ticket, ip)
    if ratelimit.is_limited(
        link_key, limit=int(cfg["FOLLOW_UP_POSTS_PER_LINK"]), window_seconds=window, now=now
    ) or ratelimit.is_limited(
        address_key, limit=int(cfg["FOLLOW_UP_POSTS_PER_ADDRESS"]), window_seconds=window, now=now
    ):
        raise RateLimited(
            _(
                "We have received several messages on this complaint in the last hour. "
                "Please wait a little before you write again, or call us if it is urgent."
            ),
            field="body",
        )
    most_files = int(cfg["FOLLOW_UP_FILES_PER_LINK"])
    # count + files > most  ⇔  count ≥ most − files + 1
    if files and ratelimit.is_limited(
        files_key, limit=most_files - files + 1, window_seconds=window, now=now
    ):
        raise RateLimited(
            _(
                "This complaint takes at most %(n)s files an hour. Please send fewer files, "
                "or wait a little and send the rest later.",
                n=most_files,
            ),
            field="attachments",
        )


def _record_follow_up(ticket: Ticket, *, ip: str | None, files: int, now: datetime) -> None:
    """Count a message on the private link, atomically with the limits' check.

    ``_check_follow_up_limits`` refuses early, before any file is read; this is the check
    that holds when messages race: the hits are recorded and counted under a lock, in the
    message's own transaction, so a refused message saves nothing and records nothing.
    """
    cfg = current_app.config
    window = int(cfg["FOLLOW_UP_RATE_WINDOW_SECONDS"])
    link_key, address_key, files_key = _follow_up_keys(ticket, ip)
    limits = [
        ratelimit.Limit(link_key, int(cfg["FOLLOW_UP_POSTS_PER_LINK"]), window),
        ratelimit.Limit(address_key, int(cfg["FOLLOW_UP_POSTS_PER_ADDRESS"]), window),
    ]
    if files:
        limits.append(
            ratelimit.Limit(files_key, int(cfg["FOLLOW_UP_FILES_PER_LINK"]), window, cost=files)
        )
    if ratelimit.acquire(limits, now=now) is None:
        # Lost a race with another message; the early check tells which limit it was.
        _check_follow_up_limits(ticket, ip=ip, files=files, now=now)
        raise RateLimited(
            _(
                "We have received several messages on this complaint in the last hour. "
                "Please wait a little before you write again, or call us if it is urgent."
            ),
            field="body",
        )


def timeline(ticket: Ticket, *, public_only: bool = False) -> list[TicketEvent]:
    stmt = (
        sa.select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .options(
            sa.orm.selectinload(TicketEvent.actor), sa.orm.selectinload(TicketEvent.attachments)
        )
        .order_by(TicketEvent.created_at, TicketEvent.id)
    )
    if public_only:
        stmt = stmt.where(TicketEvent.kind.in_(PUBLIC_EVENT_KINDS))
    return list(db.session.scalars(stmt))
