"""Every message of the corpus through the desk: what it becomes (a new ticket, an answer on
its ticket, a bounce, an ignored automatic answer, held mail), which files are kept and
which refused, and whether an acknowledgement is queued.

The manifest (``tests/mail_corpus/manifest.json``) says what desk each outcome assumes:
the ticket an entry names exists, belongs to the customer whose contact is the sender, and
holds our outgoing message with the Message-ID the entry answers or the bounce returns.
"""

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import factories
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    Attachment,
    Channel,
    Contact,
    EventKind,
    InboundMail,
    InboundSource,
    InboundState,
    MailPurpose,
    OutboxMessage,
    OutboxState,
    Role,
    Ticket,
    TicketEvent,
)
from ticketdesk.services.mail import inbound
from ticketdesk.services.notifications import outbox

CORPUS = Path(__file__).parent / "mail_corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
ENTRIES = MANIFEST["messages"]
BY_FILE = {entry["file"]: entry for entry in ENTRIES}


def _answered_ids(entry) -> list[str]:
    ids = list(entry.get("in_reply_to") or [])
    if entry.get("bounce") and entry["bounce"].get("original_message_id"):
        ids.append(entry["bounce"]["original_message_id"])
    return list(dict.fromkeys(ids))


def _desk_for(entry, now) -> Ticket | None:
    """The ticket the entry names, on its sender's customer, with our message it answers."""
    if not entry.get("ticket"):
        return None
    agent = factories.make_user(Role.AGENT)
    sender = entry["sender"]
    customer = factories.make_customer(
        contact_email=sender if entry["outcome"] in ("reply", "ignored_automatic") else None
    )
    ticket = db.session.get(
        Ticket,
        factories.make_ticket(actor_id=agent, customer_id=customer, assignee_id=agent, now=now),
    )
    with unit_of_work():
        ticket.reference = entry["ticket"]
        contact = db.session.scalar(sa.select(Contact).where(Contact.customer_id == customer))
        ticket.contact = contact
        for message_id in _answered_ids(entry):
            message = outbox.enqueue(
                to=sender,
                subject=f"[{ticket.reference}] {ticket.subject}",
                body="Our reply.",
                now=now,
            )
            message.message_id, message.ticket_id = message_id, ticket.id
            message.purpose, message.state = MailPurpose.REPLY, OutboxState.SENT
    return ticket


def _ingest(name: str, now) -> InboundMail:
    raw = (CORPUS / name).read_bytes()
    stored = inbound.ingest(raw, source=InboundSource.PIPE, now=now)
    db.session.expire_all()
    return db.session.get(InboundMail, stored.mail.id)


def _acknowledgements() -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.purpose == MailPurpose.ACKNOWLEDGEMENT)
    )


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry["file"] for entry in ENTRIES])
def test_corpus_message_becomes_what_the_manifest_says(app, ctx, now, entry):
    app.config["MAIL_FROM"] = f"Customer Care <{MANIFEST['desk_address']}>"
    app.config.update(entry.get("config") or {})
    ticket = _desk_for(entry, now)
    tickets_before = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket))
    acks_before = _acknowledgements()

    mail = _ingest(entry["file"], now)
    if entry.get("duplicate_of"):
        again = _ingest(entry["duplicate_of"], now)
        assert again.id == mail.id, "the same Message-ID is stored once"
    new_tickets = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) - tickets_before
    outcome = entry["outcome"]

    if outcome == "new_ticket":
        assert mail.state is InboundState.APPLIED, mail.reason
        assert new_tickets == 1
        made = db.session.get(Ticket, mail.ticket_id)
        assert made.channel is Channel.EMAIL
        kept = {
            a.original_name
            for a in db.session.scalars(
                sa.select(Attachment).where(Attachment.ticket_id == made.id)
            )
        }
        refused = set(entry.get("refused_files") or [])
        assert not (kept & refused)
        assert len(kept) == len(entry["files"]) - len(refused)
        notes = " ".join(
            e.body
            for e in db.session.scalars(
                sa.select(TicketEvent).where(
                    TicketEvent.ticket_id == made.id, TicketEvent.kind == EventKind.INTERNAL_NOTE
                )
            )
        )
        for name in refused:
            assert name in notes, f"the refused file {name} is named in a note"
    elif outcome == "reply":
        assert mail.state is InboundState.APPLIED, mail.reason
        assert new_tickets == 0 and mail.ticket_id == ticket.id
        event = db.session.get(TicketEvent, mail.event_id)
        assert event.kind is EventKind.CUSTOMER_MESSAGE and event.via == "email"
        assert event.by_customer and event.body.startswith(entry["text_starts"][:20])
        assert bool(event.quoted_body) == entry["quoted"]
    elif outcome == "bounce":
        assert mail.state is InboundState.BOUNCE, mail.reason
        assert new_tickets == 0
        returned = db.session.scalar(
            sa.select(OutboxMessage).where(
                OutboxMessage.message_id == entry["bounce"]["original_message_id"]
            )
        )
        assert returned.state is OutboxState.BOUNCED and returned.bounced_at == now
    elif outcome == "ignored_automatic":
        assert mail.state is InboundState.IGNORED, mail.reason
        assert new_tickets == 0
        if ticket is not None and mail.ticket_id is not None:
            assert mail.ticket_id == ticket.id
    else:
        assert outcome == "held"
        assert mail.state is InboundState.HELD and mail.reason
        assert new_tickets == 0

    acknowledged = _acknowledgements() - acks_before
    assert acknowledged == (1 if entry["acknowledge"] else 0)


def test_every_outcome_of_the_desk_is_in_the_corpus():
    outcomes = {entry["outcome"] for entry in ENTRIES}
    assert outcomes == {"new_ticket", "reply", "bounce", "ignored_automatic", "held"}
    assert len(ENTRIES) >= 40
