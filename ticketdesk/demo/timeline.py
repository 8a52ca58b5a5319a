"""A demo ticket as a draft and a list of steps, and the timeline that applies them.

A ``Draft`` is a ticket before it gets its reference; its ``Step``s say what happens on it and
when (hours after it was created). ``Timeline`` applies the steps to the new ticket through the
playbook, ledger and ticket services' own helpers, with the given times. It only adds to the
session, inside the caller's transaction (``load_demo``'s unit of work); it never commits.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ticketdesk.extensions import db
from ticketdesk.models import (
    CauseSide,
    Channel,
    Contact,
    Customer,
    EventKind,
    Playbook,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    RemedyState,
    Role,
    RootCause,
    Severity,
    Team,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
    TicketStep,
    User,
)
from ticketdesk.services.ledger import remedies as ledger
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.playbooks import shipped as playbook_defaults
from ticketdesk.services.playbooks.shipped import CONFIRM, GOODWILL, MAKE_WHOLE
from ticketdesk.services.tickets import workflow


@dataclass
class Step:
    """One thing that happens on a ticket, ``hours`` after it was created."""

    hours: float
    op: str  # assign | reply | note | customer | status | field | tick | switch
    actor: User | None = None
    body: str = ""
    team: Team | None = None
    assignee: User | None = None
    status: TicketStatus | None = None
    field: str | None = None
    value: object = None
    # Replies: does this one apologise (None: when it says sorry), and which root cause does
    # it explain to the customer?
    apology: bool | None = None
    explain: RootCause | None = None


# What a "tick" step ticks besides a purpose from playbook_defaults.
FIRST = "first"  # the first open task: acknowledging or listening to the customer
REST = "rest"  # every required task still open (just before resolving)


@dataclass
class Draft:
    """A ticket before it gets its reference: sorted by creation time first."""

    created_at: datetime
    customer: Customer
    contact: Contact | None
    channel: Channel
    creator: User | None
    category: str
    kind: TicketKind
    severity: Severity
    subject: str
    description: str
    currency: str
    order_reference: str = ""
    order_value: Decimal | None = None
    claimed_loss: Decimal | None = None
    # Known at intake only when it is plain (the customer's own pressures); otherwise
    # found by investigation and set by a "field" step.
    cause_side: CauseSide = CauseSide.UNKNOWN
    steps: list[Step] = field(default_factory=list)


class Timeline:
    """Applies steps to a new ticket the way the ticket service would, with given times.

    Replies go through the playbook service's reply rules (apology, explanation, status
    updates), ticks through its ``_mark_done``, and status changes through the ticket
    service's ``_set_status``, so a ticket cannot be resolved with a required step open.
    """

    def __init__(
        self,
        ticket: Ticket,
        created_at: datetime,
        *,
        lead: User,
        admin: User,
        candidates: list[Playbook],
    ):
        self.ticket = ticket
        self.team: Team | None = None
        self.assignee: User | None = None
        self.lead = lead
        self.admin = admin
        self.manager: User | None = ticket.customer.account_manager
        self.candidates = candidates
        self.last_change = created_at
        # Remedies granted only after the customer escalated or threatened (the bags case).
        self.conceding = False

    def event(
        self,
        kind: EventKind,
        at: datetime,
        actor: User | None,
        *,
        body: str = "",
        field: str | None = None,
        old: str | None = None,
        new: str | None = None,
        by_customer: bool = False,
    ) -> TicketEvent:
        event = TicketEvent(
            ticket=self.ticket,
            kind=kind,
            actor_id=actor.id if actor else None,
            by_customer=by_customer,
            body=body,
            field=field,
            old_value=old,
            new_value=new,
            created_at=at,
        )
        db.session.add(event)
        return event

    def touch(self, at: datetime) -> None:
        self.ticket.last_activity_at = at
        self.last_change = at

    def set_status(
        self, target: TicketStatus, at: datetime, actor: User | None, *, by_customer: bool = False
    ) -> None:
        """Move the ticket by the desk's own status rules (timestamps, reopen count, event)."""
        ticket = self.ticket
        if target is ticket.status:
            return
        resolving = target is TicketStatus.RESOLVED or (
            target is TicketStatus.CLOSED and ticket.status is not TicketStatus.RESOLVED
        )
        # A repeat failure needs goodwill on record before it may be resolved.
        if (
            resolving
            and ledger.totals(ticket).goodwill <= 0
            and not ledger.rules_for(ticket).advisory
            and ledger.goodwill_required(ticket)
        ):
            self.tick(GOODWILL, at, actor)  # puts the goodwill on the ledger ...
            if ledger.totals(ticket).goodwill <= 0:  # ... unless it was ticked before
                self.remedy(RemedyKind.GOODWILL, at, actor)
        workflow.move(ticket, target, actor=actor, now=at, by_customer=by_customer)
        self.last_change = at

    def attach_playbook(self, at: datetime, actor: User | None) -> None:
        version = playbooks.choose_version(self.ticket, self.candidates)
        playbooks.attach_version(self.ticket, version, actor=actor, now=at)

    def switch_playbook(self, at: datetime, actor: User) -> None:
        """Take the playbook that fits better now (after the kind was raised, say).

        Does what ``playbooks.switch_playbook`` does inside its transaction: ticked steps
        stay, open ones are replaced by the new playbook's.
        """
        ticket = self.ticket
        best = playbooks.choose_version(ticket, self.candidates)
        current = ticket.playbook_version
        if best is None or (current is not None and best.playbook_id == current.playbook_id):
            return
        playbooks.switch_version(ticket, best, actor=actor, now=at)

    def _open_tasks(self, purpose: str) -> list[TicketStep]:
        tasks = [s for s in self.ticket.steps if s.kind.by_hand and not s.is_done]
        if purpose == REST:
            return [s for s in tasks if s.required]
        if purpose == FIRST:
            # The playbook's first task, unless a reply has ticked it already.
            first = next((s for s in self.ticket.steps if s.kind.by_hand), None)
            return [first] if first is not None and not first.is_done else []
        return [s for s in tasks if playbook_defaults.purpose_of(s.title) == purpose][:1]

    def _ticker(self, step: TicketStep, actor: User | None) -> User:
        """Who ticks a step: someone the checklist lets tick it."""
        if step.role is Role.LEAD:
            return self.lead
        if step.role is Role.ACCOUNT_MANAGER:
            return self.manager or self.lead
        if actor is not None and actor.role in (Role.AGENT, Role.LEAD):
            return actor
        return self.assignee or self.lead

    def tick(self, purpose: str, at: datetime, actor: User | None, *, note: str = "") -> None:
        """Tick the open task(s) for ``purpose``; the make-whole and goodwill steps put
        their remedy on the ledger, and confirming delivers what was approved."""
        for step in self._open_tasks(purpose):
            who = self._ticker(step, actor)
            playbooks.mark_done(self.ticket, step, actor=who, now=at, note=note[:500])
            step_purpose = playbook_defaults.purpose_of(step.title)
            if step_purpose == MAKE_WHOLE:
                self.remedy(RemedyKind.MAKE_WHOLE, at, who, description=note)
            elif step_purpose == GOODWILL:
                self.remedy(RemedyKind.GOODWILL, at, who, description=note)
            elif step_purpose == CONFIRM:
                self.deliver(at, who)

    def remedy(
        self, kind: RemedyKind, at: datetime, actor: User | None, *, description: str = ""
    ) -> None:
        """Put a remedy on the ledger the way ``ledger.propose_remedy`` would, approved by
        whoever has the authority for it."""
        ticket = self.ticket
        rules = ledger.rules_for(ticket)
        if rules.advisory:
            return
        actor = actor if actor is not None and actor.works_tickets else self.assignee or self.lead
        suggestion = ledger.suggest(ticket)
        slug = ticket.category.slug
        if kind is RemedyKind.MAKE_WHOLE:
            form, cost = rules.make_whole_form, suggestion.make_whole_cost
            reason = ledger.make_whole_reason(ticket)
            text = description or _MAKE_WHOLE_TEXTS[form]
            no_proof = ledger.fast_path(ticket, rules).eligible
        else:
            form = _GOODWILL_FORMS.get(slug, RemedyForm.FREE_ITEM)
            cost = suggestion.goodwill_cost
            if cost <= 0:  # an extra unit, or no value known: a small item at our cost
                base = ledger.affected_value(ticket) / 10
                cost = ledger.round_money(
                    min(max(base, Decimal("5")), Decimal("25")), ticket.currency
                )
            reason = (
                RemedyReason.REPEAT_FAILURE
                if suggestion.goodwill_required
                else RemedyReason.GOODWILL_GESTURE
            )
            text = description or _GOODWILL_TEXTS[form]
            no_proof = False
        remedy = ledger.add_remedy(
            ticket,
            ledger.RemedyDraft(
                kind=kind,
                form=form,
                description=text[:500],
                cost=cost,
                reason=reason,
                affected_value=ledger.affected_value(ticket),
                valued_at_cost=kind is RemedyKind.GOODWILL and form is RemedyForm.FREE_ITEM,
                conceded=self.conceding,
                no_proof=no_proof,
            ),
            actor=actor,
            now=at,
            rules=rules,
        )
        if remedy.state is RemedyState.PROPOSED:
            # Approved at once by someone with the authority for it.
            approver = self.admin if remedy.approval_role is Role.ADMIN else self.lead
            ledger.approve(remedy, actor=approver, now=at)
        self.touch(at)

    def deliver(self, at: datetime, actor: User | None) -> None:
        """Everything approved has reached the customer (they just confirmed it)."""
        ticket = self.ticket
        actor = actor if actor is not None and actor.works_tickets else self.assignee or self.lead
        for remedy in ticket.remedies:
            if remedy.state is RemedyState.APPROVED:
                ledger.deliver(remedy, actor=actor, now=at)
                self.touch(at)

    def apply(self, step: Step, at: datetime) -> None:
        ticket = self.ticket
        if step.op == "assign":
            if step.team is not self.team:
                self.event(
                    EventKind.ASSIGNMENT,
                    at,
                    step.actor,
                    field="team",
                    old=self.team.name if self.team else None,
                    new=step.team.name if step.team else None,
                )
                self.team = step.team
                ticket.team_id = step.team.id if step.team else None
            if step.assignee is not self.assignee:
                self.event(
                    EventKind.ASSIGNMENT,
                    at,
                    step.actor,
                    field="assignee",
                    old=self.assignee.name if self.assignee else None,
                    new=step.assignee.name if step.assignee else None,
                )
                self.assignee = step.assignee
                ticket.assignee_id = step.assignee.id if step.assignee else None
            self.touch(at)
        elif step.op == "reply":
            event = self.event(EventKind.PUBLIC_REPLY, at, step.actor, body=step.body)
            apology = step.apology if step.apology is not None else _apologises(step.body)
            playbooks.record_reply(
                ticket, event, actor=step.actor, now=at, apology=apology, explanation=step.explain
            )
            if ticket.first_response_at is None:
                ticket.first_response_at = at
            target = step.status or (
                TicketStatus.OPEN if ticket.status is TicketStatus.NEW else None
            )
            if target is not None:
                self.set_status(target, at, step.actor)
            self.touch(at)
        elif step.op == "note":
            self.event(EventKind.INTERNAL_NOTE, at, step.actor, body=step.body)
        elif step.op == "customer":
            # actor None: written on the private link; else logged by staff from a call.
            self.event(EventKind.CUSTOMER_MESSAGE, at, step.actor, body=step.body, by_customer=True)
            if ticket.status in (
                TicketStatus.PENDING_CUSTOMER,
                TicketStatus.RESOLVED,
                TicketStatus.CLOSED,
            ):
                self.set_status(TicketStatus.OPEN, at, step.actor, by_customer=step.actor is None)
            self.touch(at)
        elif step.op == "status":
            self.set_status(step.status, at, step.actor)
        elif step.op == "field":
            old = getattr(ticket, step.field)
            setattr(ticket, step.field, step.value)
            self.event(
                EventKind.FIELD_CHANGE,
                at,
                step.actor,
                field=step.field,
                old=_display(old),
                new=_display(step.value),
            )
            self.touch(at)
        elif step.op == "tick":
            self.tick(step.value, at, step.actor, note=step.body)
        elif step.op == "switch":
            self.switch_playbook(at, step.actor)
        elif step.op == "conceding":
            self.conceding = True
        else:  # pragma: no cover - programming error
            raise ValueError(step.op)


def _apologises(body: str) -> bool:
    return "sorry" in body.lower()


_MAKE_WHOLE_TEXTS = {
    RemedyForm.RESHIP: "Replacement goods sent by express, at our cost",
    RemedyForm.REFUND: "Refund of the amount charged in error",
    RemedyForm.REPAIR: "Engineers on site until it is fixed, with a workaround meanwhile",
    RemedyForm.CREDIT: "Credit note for the loss",
    RemedyForm.COUPON: "Coupon for the loss",
    RemedyForm.FREE_ITEM: "Free replacement item",
    RemedyForm.SERVICE_VISIT: "Service visit to put it right",
    RemedyForm.OTHER: "Put right what the customer contacted us about",
}
# Goodwill in the form that fits what the customer buys.
_GOODWILL_FORMS = {
    "late_delivery": RemedyForm.CREDIT,
    "billing_payment": RemedyForm.CREDIT,
    "solution_failure": RemedyForm.SERVICE_VISIT,
}
_GOODWILL_TEXTS = {
    RemedyForm.FREE_ITEM: "Extra goods from the range they buy, in the same delivery",
    RemedyForm.CREDIT: "Goodwill credit on the next invoice",
    RemedyForm.SERVICE_VISIT: "Free on-site review with our specialist",
}


def _display(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return getattr(value, "value", str(value))
