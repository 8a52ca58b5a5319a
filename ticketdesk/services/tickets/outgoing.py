"""What the customer receives: every e-mail to a customer is composed here.

Public: ``resend_private_link``, ``deliveries``, ``reply_via``, ``subject_token``, and
copying a contact of the ticket's customer on its e-mails (``add_cc``, ``remove_cc``; who
receives them is ``services.notifications.recipients``).
Inside other services' transactions: ``queue_acknowledgement``, ``queue_reply``,
``queue_resolution``.

Each message is rendered from ``templates/email/<name>.txt`` and ``.html`` (one shared
layout each) with the application's Jinja environment, never a request (the acknowledgement
of a mailed-in complaint is written by the mail job), in the contact's language
(``Contact.locale`` when the desk offers it, else ``BABEL_DEFAULT_LOCALE``) and timezone
(``Contact.timezone``, else the desk's). Text people wrote (a reply, the customer's own
description) is escaped in the HTML part and keeps its line breaks.

Every subject carries the ticket's reference as ``[TD-000123]``; every message answers
the latest message of the ticket's thread (``In-Reply-To``) and lists the thread
(``References``: the first message and the latest ones). Only an agent's reply is not
marked ``Auto-Submitted``; it comes "from" the agent's name and team at the desk's address.
"""

from dataclasses import dataclass
from datetime import datetime, tzinfo

import sqlalchemy as sa
from babel.dates import format_date, format_time
from babel.numbers import format_currency
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ticketdesk.core import clock, links, ratelimit
from ticketdesk.core.errors import DomainError, NotFound, RateLimited
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    Contact,
    EventKind,
    InboundMail,
    InboundState,
    MailPurpose,
    OutboxMessage,
    OutboxState,
    RemedyForm,
    RemedyState,
    Survey,
    Ticket,
    TicketCc,
    TicketEvent,
    User,
)
from ticketdesk.services import timeline as events
from ticketdesk.services.notifications import outbox
from ticketdesk.services.notifications import recipients as recipient_rules
from ticketdesk.services.notifications.recipients import Recipient
from ticketdesk.services.people import access
from ticketdesk.services.recovery import rules as rules_module
from ticketdesk.services.recovery import surveys

# The customer's description in the acknowledgement is cut to about this many characters.
SUMMARY_MAX = 300
# References keeps the thread's first message and the latest ones, this many in all.
REFERENCES_KEPT = 10
# The private link may be e-mailed again this often per ticket within the window.
PRIVATE_LINK_RESENDS = 3
PRIVATE_LINK_WINDOW_SECONDS = 3600

# Outgoing messages of the thread: those that may have reached the customer.
_THREAD_STATES = (OutboxState.QUEUED, OutboxState.SENDING, OutboxState.SENT, OutboxState.LOGGED)
# Received messages of the thread: those that became part of the ticket.
_THREAD_INBOUND = (InboundState.APPLIED, InboundState.IGNORED, InboundState.RELEASED)

VIA_EMAIL, VIA_LOG_ONLY, VIA_NO_ADDRESS = "email", "log_only", "no_address"

# How a delivered remedy reads to the customer (%(what)s is the agent's description).
_REMEDY_WORDS = {
    RemedyForm.RESHIP: _l("We sent the missing or replacement items: %(what)s"),
    RemedyForm.REFUND: _l("We refunded %(amount)s: %(what)s"),
    RemedyForm.REPAIR: _l("We repaired or redid the work: %(what)s"),
    RemedyForm.CREDIT: _l("We credited %(amount)s to your account: %(what)s"),
    RemedyForm.COUPON: _l("We gave you a coupon worth %(amount)s: %(what)s"),
    RemedyForm.FREE_ITEM: _l("We added something extra, with our compliments: %(what)s"),
    RemedyForm.SERVICE_VISIT: _l("We arranged a service visit: %(what)s"),
    RemedyForm.OTHER: _l("%(what)s"),
}


# ----------------------------------------------------------------- language, time, text


def _locale_for(contact) -> str:
    """The contact's language when the desk offers it, else the desk's."""
    cfg = current_app.config
    default = cfg["BABEL_DEFAULT_LOCALE"]
    wanted = (getattr(contact, "locale", "") or "").strip()
    return wanted if wanted and wanted in (cfg.get("LANGUAGES") or [default]) else default


def _zone_for(contact) -> tzinfo:
    """The contact's timezone when it is a known one, else the desk's."""
    name = (getattr(contact, "timezone", "") or "").strip()
    if name:
        try:
            return clock.zone(name)
        except ValueError:
            pass
    return clock.desk_zone()


def _zone_name(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or ("UTC" if zone is clock.UTC else str(zone))


def format_when(moment: datetime, zone: tzinfo, locale: str) -> str:
    """``moment`` as the reader's local date and time, with the timezone named."""
    return _(
        "%(date)s at %(time)s (%(zone)s time)",
        date=format_date(moment.astimezone(zone), "full", locale=locale),
        time=format_time(moment, "short", tzinfo=zone, locale=locale),
        zone=_zone_name(zone),
    )


def shorten(text: str, limit: int = SUMMARY_MAX) -> str:
    """``text`` cut at a word before ``limit`` characters, with "…" when cut."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rstrip()
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")].rstrip()
    return cut + "…"


def subject_token(ticket: Ticket) -> str:
    return f"[{ticket.reference}]"


def _subject(ticket: Ticket, text: str) -> str:
    return f"{subject_token(ticket)} {text}"


def _render(name: str, context: dict) -> tuple[str, str]:
    """The text and HTML bodies of ``templates/email/<name>``."""
    env = current_app.jinja_env
    text = env.get_template(f"email/{name}.txt").render(**context)
    html = env.get_template(f"email/{name}.html").render(**context)
    return text.strip() + "\n", html


def _desk_name() -> str:
    from email.utils import parseaddr

    return parseaddr(outbox.clean_header(current_app.config["MAIL_FROM"]))[0] or "TicketDesk"


# ----------------------------------------------------------------- threading


def _thread(ticket: Ticket) -> list[str]:
    """The Message-IDs of the ticket's conversation, oldest first.

    Our messages to the customer that may have reached them, and the customer's messages
    that became part of the ticket.
    """
    if ticket.id is None:
        db.session.flush()
    sent = db.session.execute(
        sa.select(OutboxMessage.message_id, OutboxMessage.created_at, OutboxMessage.id).where(
            OutboxMessage.ticket_id == ticket.id,
            OutboxMessage.purpose != MailPurpose.NOTIFICATION,
            OutboxMessage.state.in_(_THREAD_STATES),
        )
    )
    received = db.session.execute(
        sa.select(InboundMail.message_id, InboundMail.received_at, InboundMail.id).where(
            InboundMail.ticket_id == ticket.id,
            InboundMail.message_id != "",
            InboundMail.state.in_(_THREAD_INBOUND),
        )
    )
    # At the same moment, what we received comes first: what we sent then answered it
    # (an acknowledgement queued while the customer's e-mail was taken in).
    rows = sorted(
        [(at, 1, row_id, mid) for mid, at, row_id in sent]
        + [(at, 0, row_id, mid) for mid, at, row_id in received]
    )
    ids: list[str] = []
    for *_key, mid in rows:
        if mid and mid not in ids:
            ids.append(mid)
    return ids


def thread_headers(ids: list[str]) -> tuple[str, list[str]]:
    """``(In-Reply-To, References)`` for a message that follows ``ids`` (oldest first).

    References keeps the first message and the latest ones, ``REFERENCES_KEPT`` in all.
    """
    if not ids:
        return "", []
    kept = ids if len(ids) <= REFERENCES_KEPT else [ids[0], *ids[-(REFERENCES_KEPT - 1) :]]
    return ids[-1], kept


# ----------------------------------------------------------------- queueing


def _queue(
    ticket: Ticket,
    *,
    purpose: MailPurpose,
    event: TicketEvent | None,
    to: Recipient,
    cc: list[Recipient],
    subject,
    template: str,
    context,
    now: datetime,
    auto_generated: bool = True,
    from_name: str = "",
    dedupe_key: str | None = None,
    answers: str = "",
) -> OutboxMessage:
    """Render and queue one customer e-mail (inside the caller's transaction).

    ``subject`` and ``context`` are functions of ``(locale, zone)``, called with the
    reader's language in force, so every word and date is theirs. ``answers``: the
    Message-ID of a received e-mail this one answers that is not on the ticket yet (the
    e-mail that is opening the ticket).
    """
    contact = (
        ticket.contact
        if ticket.contact is not None
        and recipient_rules.contact_address(ticket.contact) == to.email
        else None
    )
    locale, zone = _locale_for(contact), _zone_for(contact)
    with force_locale(locale):
        text_subject = _subject(ticket, subject(locale, zone))
        values = {
            "ticket": ticket,
            "locale": locale,
            "greeting_name": to.name,
            "desk_name": _desk_name(),
            "follow_url": links.external_url("public.follow", token=ticket.public_token),
            "subject_token": subject_token(ticket),
            **context(locale, zone),
        }
        text, html = _render(template, values)
    thread = _thread(ticket)
    if answers and answers not in thread:
        thread.append(answers)
    in_reply_to, references = thread_headers(thread)
    return outbox.enqueue(
        to=to.email,
        cc=[r.email for r in cc],
        subject=text_subject,
        body=text,
        html_body=html,
        now=now,
        purpose=purpose,
        ticket=ticket,
        event=event,
        in_reply_to=in_reply_to,
        references=references,
        auto_generated=auto_generated,
        from_name=from_name,
        reply_to=outbox.desk_mailbox(),
        locale=locale,
        dedupe_key=dedupe_key,
    )


def _contact_recipient(ticket: Ticket) -> Recipient | None:
    address = recipient_rules.contact_address(ticket.contact)
    return Recipient(name=(ticket.contact.name or "").strip(), email=address) if address else None


def _created_event(ticket: Ticket) -> TicketEvent | None:
    return next((event for event in ticket.events if event.kind is EventKind.CREATED), None)


def queue_acknowledgement(
    ticket: Ticket, *, now: datetime, answers: str = ""
) -> OutboxMessage | None:
    """We have your complaint: queued for the contact of a new ticket, if it has an address.

    The reference, what they told us (shortened), what happens next, when they will hear
    from us (the first-response due time in their timezone) and the private link. A
    complaint that came by e-mail is answered in its thread (``answers``: its Message-ID).
    """
    to = _contact_recipient(ticket)
    if to is None:
        return None
    if ticket.id is None:
        db.session.flush()

    def context(locale, zone):
        due = ticket.first_response_due_at
        return {
            "summary": shorten(ticket.description),
            "due_text": format_when(due, zone, locale) if due else "",
        }

    return _queue(
        ticket,
        purpose=MailPurpose.ACKNOWLEDGEMENT,
        event=_created_event(ticket),
        to=to,
        cc=[],
        template="acknowledgement",
        context=context,
        now=now,
        subject=lambda locale, zone: _(
            "We have your complaint: %(subject)s", subject=ticket.subject
        ),
        dedupe_key=f"acknowledgement:{ticket.id}",
        answers=answers,
    )


def reply_via(ticket: Ticket, *, log_only: bool) -> str:
    """How a public reply on ``ticket`` travels: e-mailed, logged only, or nobody to send to."""
    if log_only:
        return VIA_LOG_ONLY
    return VIA_EMAIL if recipient_rules.recipients(ticket) else VIA_NO_ADDRESS


def _signature_team(actor: User, ticket: Ticket) -> str:
    if ticket.team is not None and ticket.team in actor.teams:
        return ticket.team.name
    return actor.teams[0].name if actor.teams else ""


def queue_reply(
    ticket: Ticket, event: TicketEvent, *, actor: User, now: datetime
) -> OutboxMessage | None:
    """E-mail an agent's public reply to the contact, copying the copied contacts.

    Sent as the agent ("Anna Berg, Customer Care" at the desk's address), not marked as
    automatic, signed with their name and team. Nothing when nobody has an address.
    """
    everyone = recipient_rules.recipients(ticket)
    if not everyone:
        return None
    team = _signature_team(actor, ticket)
    from_name = f"{actor.name}, {team}" if team else actor.name
    return _queue(
        ticket,
        purpose=MailPurpose.REPLY,
        event=event,
        to=everyone[0],
        cc=everyone[1:],
        template="reply",
        now=now,
        auto_generated=False,
        from_name=from_name,
        subject=lambda locale, zone: _("Re: %(subject)s", subject=ticket.subject),
        context=lambda locale, zone: {
            "body": event.body,
            "agent_name": actor.name,
            "team_name": team,
        },
    )


def _remedy_lines(ticket: Ticket, locale: str) -> list[str]:
    lines = []
    for remedy in ticket.remedies:
        if remedy.state is not RemedyState.DELIVERED:
            continue
        amount = format_currency(remedy.cost, remedy.currency, locale=locale)
        words = _REMEDY_WORDS.get(remedy.form, _REMEDY_WORDS[RemedyForm.OTHER])
        lines.append(str(words) % {"what": remedy.description.strip(), "amount": amount})
    return lines


def queue_resolution(
    ticket: Ticket, event: TicketEvent | None, *, now: datetime, survey: Survey | None = None
) -> OutboxMessage | None:
    """The resolution message, with the survey invitation when a survey was made.

    One e-mail: what was done (the delivered remedies in words), how to reopen by
    answering, and the survey's link. It goes to the contact only (the survey is
    theirs). The survey's message keeps the survey's dedupe key.
    """
    to = _contact_recipient(ticket)
    if to is None:
        return None
    rules = rules_module.current()

    def context(locale, zone):
        values = {
            "remedies": _remedy_lines(ticket, locale),
            "reopen_days": rules.reopen_window_days,
            "survey_url": "",
            "survey_days": 0,
            "survey_until": "",
        }
        if survey is not None:
            values.update(
                survey_url=surveys.survey_url(survey),
                survey_days=rules.survey_valid_days,
                survey_until=format_date(survey.expires_at.astimezone(zone), "long", locale=locale),
            )
        return values

    def subject(locale, zone):
        if survey is not None:
            return _("Resolved: %(subject)s — how did we do?", subject=ticket.subject)
        return _("Resolved: %(subject)s", subject=ticket.subject)

    return _queue(
        ticket,
        purpose=MailPurpose.SURVEY if survey else MailPurpose.RESOLUTION,
        event=event,
        to=to,
        cc=[],
        template="resolution",
        context=context,
        now=now,
        subject=subject,
        dedupe_key=f"survey:{survey.nonce}" if survey else None,
    )


# ----------------------------------------------------------------- resending the link


def resend_private_link(ticket: Ticket, *, actor: User, now: datetime) -> OutboxMessage:
    """E-mail the private link again, to the ticket's contact address only.

    For agents who may work the ticket. At most ``PRIVATE_LINK_RESENDS`` per ticket within
    ``PRIVATE_LINK_WINDOW_SECONDS``, so the button cannot flood a customer. Noted on the
    timeline.
    """
    access.require_work_ticket(actor, ticket)
    to = _contact_recipient(ticket)
    if to is None:
        raise DomainError(_("The ticket's contact has no e-mail address to send the link to."))
    with unit_of_work():
        if (
            ratelimit.acquire(
                [
                    ratelimit.Limit(
                        f"private-link:{ticket.id}",
                        PRIVATE_LINK_RESENDS,
                        PRIVATE_LINK_WINDOW_SECONDS,
                    )
                ],
                now=now,
            )
            is None
        ):
            raise RateLimited(
                _(
                    "The private link was sent %(n)d times in the last hour. "
                    "Please wait before sending it again.",
                    n=PRIVATE_LINK_RESENDS,
                )
            )
        event = events.record(
            ticket,
            EventKind.PRIVATE_LINK,
            now=now,
            actor=actor,
            body=_("Private link e-mailed to %(to)s.", to=to.display),
            via=VIA_EMAIL,
        )
        message = _queue(
            ticket,
            purpose=MailPurpose.PRIVATE_LINK,
            event=event,
            to=to,
            cc=[],
            template="private_link",
            now=now,
            context=lambda locale, zone: {},
            subject=lambda locale, zone: _(
                "The link to your complaint: %(subject)s", subject=ticket.subject
            ),
        )
    return message


# ----------------------------------------------------------------- the ticket's timeline


@dataclass(frozen=True)
class Delivery:
    """One customer e-mail as the ticket page shows it next to its timeline entry."""

    state: OutboxState
    purpose: MailPurpose
    to: str
    cc: list[str]
    reason: str
    sent_at: datetime | None
    bounced_at: datetime | None

    @property
    def recipients(self) -> str:
        return ", ".join([self.to, *self.cc])


def deliveries(ticket: Ticket) -> dict[int, list[Delivery]]:
    """Per timeline entry, the customer e-mails it sent and where each one is."""
    found: dict[int, list[Delivery]] = {}
    rows = db.session.scalars(
        sa.select(OutboxMessage)
        .where(
            OutboxMessage.ticket_id == ticket.id,
            OutboxMessage.event_id.is_not(None),
            OutboxMessage.purpose != MailPurpose.NOTIFICATION,
        )
        .order_by(OutboxMessage.id)
    )
    for message in rows:
        found.setdefault(message.event_id, []).append(
            Delivery(
                state=message.state,
                purpose=message.purpose,
                to=message.to_address,
                cc=outbox.cc_list(message),
                reason=message.last_error,
                sent_at=message.sent_at,
                bounced_at=message.bounced_at,
            )
        )
    return found


# ----------------------------------------------------------------- copies


def _contact_of(ticket: Ticket, contact_id) -> Contact:
    contact = db.session.get(Contact, contact_id) if isinstance(contact_id, int) else None
    if contact is None or contact.customer_id != ticket.customer_id:
        raise NotFound(
            _("Choose a contact of %(customer)s.", customer=ticket.customer.name),
            field="contact_id",
        )
    return contact


def add_cc(ticket: Ticket, *, actor: User, contact_id: int, now: datetime) -> Contact:
    """Copy a contact of the ticket's customer on every public reply from now on."""
    access.require_work_ticket(actor, ticket)
    contact = _contact_of(ticket, contact_id)
    if not recipient_rules.contact_address(contact):
        raise DomainError(
            _("%(name)s has no e-mail address to copy.", name=contact.name), field="contact_id"
        )
    if contact.id == ticket.contact_id:
        raise DomainError(
            _(
                "%(name)s is the ticket's contact and receives every reply already.",
                name=contact.name,
            ),
            field="contact_id",
        )
    if db.session.get(TicketCc, (ticket.id, contact.id)) is not None:
        raise DomainError(_("%(name)s is copied already.", name=contact.name), field="contact_id")
    with unit_of_work():
        db.session.add(
            TicketCc(
                ticket_id=ticket.id, contact_id=contact.id, added_by_id=actor.id, created_at=now
            )
        )
        events.record(
            ticket,
            EventKind.FIELD_CHANGE,
            now=now,
            actor=actor,
            field="cc",
            old=None,
            new=Recipient(contact.name, contact.email).display,
        )
    return contact


def remove_cc(ticket: Ticket, *, actor: User, contact_id: int, now: datetime) -> Contact:
    """Stop copying a contact: later replies, and messages still queued, skip them."""
    access.require_work_ticket(actor, ticket)
    contact = _contact_of(ticket, contact_id)
    row = db.session.get(TicketCc, (ticket.id, contact.id))
    if row is None:
        raise DomainError(
            _("%(name)s is not copied on this ticket.", name=contact.name), field="contact_id"
        )
    with unit_of_work():
        db.session.delete(row)
        events.record(
            ticket,
            EventKind.FIELD_CHANGE,
            now=now,
            actor=actor,
            field="cc",
            old=Recipient(contact.name, contact.email or "").display,
            new=None,
        )
    return contact
