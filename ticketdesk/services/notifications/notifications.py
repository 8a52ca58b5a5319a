"""In-app notifications: who hears about what, e-mail copies through the outbox, reminders.

Every ``_`` function runs inside the caller's transaction. Titles and texts are
written in the recipient's language, because they are stored and e-mailed as text.

Who may hear about a ticket is ``access.can_receive_notification``, asked when a
notification is made (and its e-mail queued), again when the list or the bell shows
it (``access.notification_visibility_clause``) and when the outbox sends its e-mail.
A watch that no longer passes the rule is removed (``access.drop_lost_watches``).
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ticketdesk.core import links
from ticketdesk.core.errors import NotFound
from ticketdesk.core.paging import Page
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    OPEN_STATUSES,
    EventKind,
    Notification,
    NotificationKind,
    NotificationPreference,
    Remedy,
    RemedyState,
    Role,
    Ticket,
    TicketEvent,
    TicketStep,
    TicketWatcher,
    User,
    team_members,
)
from ticketdesk.services.notifications import outbox
from ticketdesk.services.people import access, wording

# Which kinds also go by e-mail for a user who has not chosen.
DEFAULT_EMAIL: dict[NotificationKind, bool] = {
    NotificationKind.ASSIGNED: True,
    NotificationKind.ROUTED: False,
    NotificationKind.WATCHED: False,
    NotificationKind.APPROVAL_WAITING: True,
    NotificationKind.APPROVAL_DECIDED: True,
    NotificationKind.STEP_OVERDUE: False,
    NotificationKind.ACCOUNT_CRISIS: True,
    NotificationKind.SLA_AT_RISK: False,
    NotificationKind.SLA_BREACHED: True,
    NotificationKind.LOYALTY: True,
    NotificationKind.CUSTOMER_REPLIED: True,
    NotificationKind.MAIL_BOUNCED: True,
}


# ----------------------------------------------------------------- e-mail choices


def email_choices(user: User) -> dict[NotificationKind, bool]:
    chosen = {
        row.kind: row.by_email
        for row in db.session.scalars(
            sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    return {kind: chosen.get(kind, default) for kind, default in DEFAULT_EMAIL.items()}


def set_email_choices(
    user: User, *, by_email: set[NotificationKind]
) -> dict[NotificationKind, bool]:
    """Save which kinds the user also wants by e-mail (every kind gets an explicit row)."""
    with unit_of_work():
        existing = {
            row.kind: row
            for row in db.session.scalars(
                sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id)
            )
        }
        for kind in NotificationKind:
            row = existing.get(kind)
            if row is None:
                db.session.add(
                    NotificationPreference(user_id=user.id, kind=kind, by_email=kind in by_email)
                )
            else:
                row.by_email = kind in by_email
    return email_choices(user)


def _wants_email(user: User, kind: NotificationKind) -> bool:
    chosen = db.session.scalar(
        sa.select(NotificationPreference.by_email).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == kind
        )
    )
    return DEFAULT_EMAIL[kind] if chosen is None else chosen


# ----------------------------------------------------------------- creating


def _ticket_title(ticket: Ticket) -> str:
    return f"{ticket.reference} · {ticket.subject}"


def _email_body(user: User, notification: Notification) -> str:
    lines = [notification.title, ""]
    if notification.body:
        lines += [notification.body, ""]
    if notification.ticket_id is not None:
        lines += [
            _(
                "Open the ticket: %(url)s",
                url=links.external_url("tickets.detail", ticket_id=notification.ticket_id),
            ),
            "",
        ]
    lines += [
        "-- ",
        _(
            "You get this e-mail because of your TicketDesk notification settings: %(url)s",
            url=links.external_url("auth.settings"),
        ),
    ]
    return "\n".join(lines)


def notify(
    user: User | None,
    kind: NotificationKind,
    *,
    now: datetime,
    title,
    body=None,
    ticket: Ticket | None = None,
    remedy_id: int | None = None,
    step_id: int | None = None,
    dedupe_key: str | None = None,
) -> Notification | None:
    """Create one notification for ``user`` (and its e-mail copy if they want one).

    ``title`` and ``body`` are callables, so they are written in the user's language.
    """
    if user is None or not user.active:
        return None
    if ticket is not None and ticket.id is None:
        db.session.flush()
    if not access.can_receive_notification(user, kind, ticket):
        return None
    with force_locale(user.locale or "en"):
        notification = Notification(
            user_id=user.id,
            kind=kind,
            ticket_id=ticket.id if ticket is not None else None,
            remedy_id=remedy_id,
            step_id=step_id,
            title=title()[:255],
            body=(body() if body else "")[:1000],
            count=1,
            dedupe_key=dedupe_key,
            created_at=now,
        )
        db.session.add(notification)
        if _wants_email(user, kind):
            outbox.enqueue(
                to=user.email,
                subject=notification.title,
                body=_email_body(user, notification),
                now=now,
                notification=notification,
            )
    return notification


def describe(event: TicketEvent, actor: User | None) -> str:
    """One line saying what an event did, for watchers."""
    who = (
        actor.name
        if actor is not None
        else (_("The customer") if event.by_customer else _("TicketDesk"))
    )
    kind = event.kind
    if kind is EventKind.CUSTOMER_MESSAGE:
        return _("The customer wrote: %(text)s", text=snippet(event.body))
    if kind is EventKind.PUBLIC_REPLY:
        return _("%(who)s replied: %(text)s", who=who, text=snippet(event.body))
    if kind is EventKind.INTERNAL_NOTE:
        return _("%(who)s added a note: %(text)s", who=who, text=snippet(event.body))
    if kind is EventKind.STATUS_CHANGE:
        return _("%(who)s changed the status to %(status)s.", who=who, status=event.new_value)
    if kind is EventKind.ASSIGNMENT:
        return _(
            "%(who)s changed the %(field)s to %(value)s.",
            who=who,
            field=event.field,
            value=event.new_value or _("nobody"),
        )
    if kind is EventKind.FIELD_CHANGE:
        return _(
            "%(who)s changed %(field)s to %(value)s.",
            who=who,
            field=event.field,
            value=event.new_value or "—",
        )
    if kind is EventKind.REMEDY:
        return _("Remedy %(state)s: %(text)s", state=event.new_value, text=snippet(event.body))
    if kind is EventKind.ROUTING:
        return _(
            "Routing rule “%(rule)s”: %(text)s",
            rule=event.new_value or "",
            text=snippet(event.body),
        )
    if kind in (EventKind.STEP_DONE, EventKind.STEP_REOPENED):
        verb = _("ticked") if kind is EventKind.STEP_DONE else _("reopened")
        return _("%(who)s %(verb)s the step “%(step)s”.", who=who, verb=verb, step=event.body)
    if kind is EventKind.ATTACHMENT:
        return _("%(who)s added files: %(text)s", who=who, text=snippet(event.body))
    if kind is EventKind.PLAYBOOK:
        return _("Playbook: %(name)s", name=event.new_value or "—")
    if kind is EventKind.SURVEY:
        return _("Satisfaction: %(text)s", text=snippet(event.body))
    if kind is EventKind.LOYALTY:
        return _("Loyalty: %(text)s", text=snippet(event.body))
    return _("%(who)s changed the ticket.", who=who)


def snippet(text: str, limit: int = 140) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def ticket_changed(
    ticket: Ticket, event: TicketEvent, *, actor: User | None, now: datetime
) -> None:
    """Tell the ticket's watchers (not the actor). Unread changes add up in one notification.

    Watchers added by this same action (``created_at == now``) are not told about it:
    they get the notification that added them instead.
    """
    if ticket.id is None:
        return
    stmt = (
        sa.select(User)
        .join(TicketWatcher, TicketWatcher.user_id == User.id)
        .where(
            TicketWatcher.ticket_id == ticket.id,
            TicketWatcher.created_at < now,
            User.active.is_(True),
        )
    )
    if actor is not None:
        stmt = stmt.where(User.id != actor.id)
    watchers, lost = [], []
    for user in db.session.scalars(stmt):
        if not access.can_receive_notification(user, NotificationKind.WATCHED, ticket):
            lost.append(user)
        elif event.kind is not EventKind.INTERNAL_NOTE or access.can_see_internal_notes(
            user, ticket
        ):
            watchers.append(user)
    if lost:  # access changed in a way no other service noticed: the watch goes
        access.drop_lost_watches(lost)
    if not watchers:
        return
    unread = {
        n.user_id: n
        for n in db.session.scalars(
            sa.select(Notification).where(
                Notification.ticket_id == ticket.id,
                Notification.kind == NotificationKind.WATCHED,
                Notification.read_at.is_(None),
                Notification.user_id.in_([w.id for w in watchers]),
            )
        )
    }
    for user in watchers:
        with force_locale(user.locale or "en"):
            text = describe(event, actor)
        existing = unread.get(user.id)
        if existing is not None:
            existing.count += 1
            existing.body = text[:1000]
            existing.created_at = now
        else:
            notify(
                user,
                NotificationKind.WATCHED,
                now=now,
                ticket=ticket,
                title=lambda: _ticket_title(ticket),
                body=lambda t=text: t,
            )


def assigned(
    ticket: Ticket,
    assignee: User | None,
    *,
    actor: User | None,
    now: datetime,
    rule_name: str | None = None,
) -> None:
    if assignee is None:
        return
    assignee.last_assigned_at = now
    if actor is not None and assignee.id == actor.id:
        return

    def body():
        if rule_name:
            return _("Routing rule “%(rule)s” gave it to you.", rule=rule_name)
        return _("%(who)s assigned it to you.", who=actor.name if actor else _("TicketDesk"))

    notify(
        assignee,
        NotificationKind.ASSIGNED,
        now=now,
        ticket=ticket,
        title=lambda: _("Assigned to you: %(title)s", title=_ticket_title(ticket)),
        body=body,
    )


def routed(
    ticket: Ticket,
    users: list[User],
    *,
    rule_name: str,
    now: datetime,
    skip: set[int] = frozenset(),
) -> None:
    for user in users:
        if user.id in skip:
            continue
        notify(
            user,
            NotificationKind.ROUTED,
            now=now,
            ticket=ticket,
            title=lambda: _("New ticket: %(title)s", title=_ticket_title(ticket)),
            body=lambda: _("Routing rule “%(rule)s” asks you to look at it.", rule=rule_name),
        )


def watching(ticket: Ticket, users: list[User], *, rule_name: str, now: datetime) -> None:
    for user in users:
        notify(
            user,
            NotificationKind.WATCHED,
            now=now,
            ticket=ticket,
            title=lambda: _("You are watching %(title)s", title=_ticket_title(ticket)),
            body=lambda: _("Routing rule “%(rule)s” added you as a watcher.", rule=rule_name),
        )


def customer_replied(ticket: Ticket, event: TicketEvent, *, now: datetime) -> None:
    """The customer answered by e-mail: the assignee hears of it (whoever watches, too)."""
    notify(
        ticket.assignee,
        NotificationKind.CUSTOMER_REPLIED,
        now=now,
        ticket=ticket,
        title=lambda: _("The customer answered: %(title)s", title=_ticket_title(ticket)),
        body=lambda: snippet(event.body),
    )


def mail_bounced(
    ticket: Ticket, *, recipient: str, reason: str, author: User | None, now: datetime
) -> None:
    """An e-mail to the ticket's customer came back: its assignee (and the agent who
    wrote it, when someone else) hear of it."""
    told: set[int] = set()
    for user in (ticket.assignee, author):
        if user is None or user.id in told:
            continue
        told.add(user.id)
        notify(
            user,
            NotificationKind.MAIL_BOUNCED,
            now=now,
            ticket=ticket,
            title=lambda: _(
                "An e-mail to the customer came back: %(title)s", title=_ticket_title(ticket)
            ),
            body=lambda: _(
                "%(address)s: %(reason)s",
                address=recipient or "?",
                reason=reason or _("no reason given"),
            ),
        )


def account_crisis(ticket: Ticket, *, now: datetime) -> None:
    """A crisis on an account: its manager hears once per ticket."""
    manager = ticket.customer.account_manager
    if manager is None:
        return
    key = f"crisis:{ticket.id}"
    db.session.flush()
    if db.session.scalar(
        sa.select(Notification.id).where(
            Notification.user_id == manager.id, Notification.dedupe_key == key
        )
    ):
        return
    notify(
        manager,
        NotificationKind.ACCOUNT_CRISIS,
        now=now,
        ticket=ticket,
        dedupe_key=key,
        title=lambda: _(
            "Crisis on %(customer)s: %(title)s",
            customer=ticket.customer.name,
            title=_ticket_title(ticket),
        ),
        body=lambda: _(
            "Severity %(severity)s, received by %(channel)s.",
            severity=ticket.severity.value.upper(),
            channel=ticket.channel.value,
        ),
    )


def approval_waiting(remedy: Remedy, *, roles: list[Role], now: datetime) -> None:
    """Everyone who may approve ``remedy`` hears that it waits (never its proposer)."""
    stmt = sa.select(User).where(User.active.is_(True), User.role.in_(roles)).order_by(User.id)
    if remedy.proposed_by_id is not None:
        stmt = stmt.where(User.id != remedy.proposed_by_id)
    ticket = remedy.ticket
    db.session.flush()
    for user in db.session.scalars(stmt):
        notify(
            user,
            NotificationKind.APPROVAL_WAITING,
            now=now,
            ticket=ticket,
            remedy_id=remedy.id,
            title=lambda: _("Approval needed: %(title)s", title=_ticket_title(ticket)),
            body=lambda: _approval_body(remedy),
        )


def _approval_body(remedy: Remedy) -> str:
    body = _(
        "%(description)s · %(cost)s %(currency)s, proposed by %(who)s, %(waits)s.",
        description=remedy.description,
        cost=remedy.cost,
        currency=remedy.currency,
        who=remedy.proposed_by.name if remedy.proposed_by else "—",
        waits=wording.waits_for_approval(remedy.approval_role),
    )
    reasons = remedy.approval_reason_list
    if reasons:
        body += " " + _("Why: %(reasons)s.", reasons=wording.approval_reasons_text(reasons))
    return body


def approval_closed(remedy: Remedy, *, now: datetime) -> None:
    """Nobody needs to approve ``remedy`` any more: its waiting notifications are done."""
    db.session.execute(
        sa.update(Notification)
        .where(
            Notification.remedy_id == remedy.id,
            Notification.kind == NotificationKind.APPROVAL_WAITING,
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )


def approval_decided(remedy: Remedy, *, actor: User, now: datetime) -> None:
    """The proposer hears the decision; the other approvers' requests are done."""
    approval_closed(remedy, now=now)
    proposer = remedy.proposed_by
    if proposer is None or proposer.id == actor.id:
        return
    ticket = remedy.ticket
    approved = remedy.state is RemedyState.APPROVED

    def title():
        if approved:
            return _(
                "Approved: %(description)s on %(reference)s",
                description=remedy.description,
                reference=ticket.reference,
            )
        return _(
            "Rejected: %(description)s on %(reference)s",
            description=remedy.description,
            reference=ticket.reference,
        )

    def body():
        text = _("Decided by %(who)s.", who=actor.name)
        return f"{text} {remedy.decision_reason}".strip()

    notify(
        proposer,
        NotificationKind.APPROVAL_DECIDED,
        now=now,
        ticket=ticket,
        remedy_id=remedy.id,
        title=title,
        body=body,
    )


# ----------------------------------------------------------------- periodic work


def _overdue_recipients(
    step: TicketStep, ticket: Ticket, leads_by_team: dict[int | None, list[User]]
) -> list[User]:
    if step.role is Role.ACCOUNT_MANAGER:
        return [ticket.customer.account_manager] if ticket.customer.account_manager else []
    if step.role is Role.LEAD:
        return leads_by_team.get(ticket.team_id) or leads_by_team.get(None, [])
    if step.role is Role.AGENT:
        return [ticket.assignee] if ticket.assignee else []
    return []


def run_due(*, now: datetime) -> int:
    """Remind people of their overdue playbook steps: per ticket, at most once an hour.

    A step is the assignee's (agent steps), the ticket team's leads' (lead steps,
    or every lead when the team has none) or the account manager's. Returns the
    number of reminders given.
    """
    gap = timedelta(minutes=int(current_app.config["STEP_REMINDER_MINUTES"]))
    slot = int(now.timestamp() // gap.total_seconds())
    with unit_of_work():
        rows = list(
            db.session.execute(
                sa.select(TicketStep, Ticket)
                .join(Ticket, Ticket.id == TicketStep.ticket_id)
                .where(
                    TicketStep.done_at.is_(None),
                    TicketStep.due_at < now,
                    Ticket.status.in_(OPEN_STATUSES),
                )
                .options(joinedload(Ticket.assignee), joinedload(Ticket.customer))
                .order_by(Ticket.id, TicketStep.position)
            )
        )
        if not rows:
            return 0
        leads_by_team = _leads_by_team()
        due: dict[tuple[int, int], tuple[User, Ticket, list[TicketStep]]] = {}
        for step, ticket in rows:
            for user in _overdue_recipients(step, ticket, leads_by_team):
                if access.can_receive_notification(user, NotificationKind.STEP_OVERDUE, ticket):
                    due.setdefault((user.id, ticket.id), (user, ticket, []))[2].append(step)
        recent = {
            (uid, tid): n
            for uid, tid, n in db.session.execute(
                sa.select(
                    Notification.user_id, Notification.ticket_id, Notification.created_at
                ).where(
                    Notification.kind == NotificationKind.STEP_OVERDUE,
                    Notification.created_at > now - gap,
                )
            )
        }
        unread = {
            (n.user_id, n.ticket_id): n
            for n in db.session.scalars(
                sa.select(Notification).where(
                    Notification.kind == NotificationKind.STEP_OVERDUE,
                    Notification.read_at.is_(None),
                )
            )
        }
        given = 0
        for key, (user, ticket, steps) in due.items():
            if key in recent:
                continue
            given += 1
            with force_locale(user.locale or "en"):
                text = _("Overdue: %(steps)s", steps="; ".join(s.title for s in steps))
            existing = unread.get(key)
            if existing is not None:
                existing.count += 1
                existing.body, existing.created_at = text[:1000], now
                existing.step_id = steps[0].id
                if _wants_email(user, NotificationKind.STEP_OVERDUE):
                    with force_locale(user.locale or "en"):
                        outbox.enqueue(
                            to=user.email,
                            subject=existing.title,
                            body=_email_body(user, existing),
                            now=now,
                            notification=existing,
                        )
                continue
            notify(
                user,
                NotificationKind.STEP_OVERDUE,
                now=now,
                ticket=ticket,
                step_id=steps[0].id,
                dedupe_key=f"overdue:{ticket.id}:{slot}",
                title=lambda t=ticket: _(
                    "Playbook step overdue: %(title)s", title=_ticket_title(t)
                ),
                body=lambda t=text: t,
            )
    return given


def _leads_by_team() -> dict[int | None, list[User]]:
    """Active leads per team id; key None holds every active lead."""
    leads = list(
        db.session.scalars(
            sa.select(User).where(User.role == Role.LEAD, User.active.is_(True)).order_by(User.id)
        )
    )
    result: dict[int | None, list[User]] = {None: leads}
    by_id = {u.id: u for u in leads}
    for team_id, user_id in db.session.execute(
        sa.select(team_members.c.team_id, team_members.c.user_id).where(
            team_members.c.user_id.in_(list(by_id))
        )
    ):
        result.setdefault(team_id, []).append(by_id[user_id])
    return result


# ----------------------------------------------------------------- reading and marking


def _mine(user: User) -> sa.ColumnElement[bool]:
    """The user's notifications that they may still see."""
    return sa.and_(Notification.user_id == user.id, access.notification_visibility_clause(user))


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                _mine(user), Notification.read_at.is_(None)
            )
        )
        or 0
    )


def list_for(user: User, *, unread_only: bool = False, page: int = 1, per_page: int = 30) -> Page:
    """The user's notifications, newest first; those about a ticket they may no longer
    see are left out."""
    stmt = sa.select(Notification).where(_mine(user))
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    items = list(
        db.session.scalars(
            stmt.order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return Page(items=items, total=total, page=page, per_page=per_page)


def latest_unread(user: User, *, limit: int = 5) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(_mine(user), Notification.read_at.is_(None))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def _own(user: User, notification_id: int) -> Notification:
    """The user's notification ``notification_id``; NotFound when it is someone else's
    or about a ticket the user may no longer see."""
    notification = db.session.scalar(
        sa.select(Notification).where(Notification.id == notification_id, _mine(user))
    )
    if notification is None:
        raise NotFound(_("No such notification."))
    return notification


def mark_read(user: User, notification_id: int, *, now: datetime) -> Notification:
    notification = _own(user, notification_id)
    with unit_of_work():
        if notification.read_at is None:
            notification.read_at = now
    return notification


def mark_all_read(user: User, *, now: datetime) -> int:
    with unit_of_work():
        result = db.session.execute(
            sa.update(Notification)
            .where(_mine(user), Notification.read_at.is_(None))
            .values(read_at=now)
            .execution_options(synchronize_session=False)
        )
    return result.rowcount
