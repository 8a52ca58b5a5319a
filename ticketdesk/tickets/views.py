"""Staff ticket screens: the queue, intake, the ticket page and its actions."""

import io
import re

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from ticketdesk.core import inputs
from ticketdesk.core.errors import Conflict, DomainError
from ticketdesk.core.forms import show_error
from ticketdesk.core.security import roles_required
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import (
    WORKING_ROLES,
    Attachment,
    BusinessCalendar,
    CapBase,
    CauseSide,
    Channel,
    PlaybookVersion,
    Remedy,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    Role,
    RootCause,
    Severity,
    SlaPolicy,
    Ticket,
    TicketKind,
    TicketStatus,
)
from ticketdesk.routing.views import away_text
from ticketdesk.services.customers import customers as customer_service
from ticketdesk.services.ledger import remedies as ledger_service
from ticketdesk.services.mail import inbound as inbound_mail
from ticketdesk.services.notifications import recipients as mail_recipients
from ticketdesk.services.people import access, wording
from ticketdesk.services.people import availability as availability_service
from ticketdesk.services.people import users as user_service
from ticketdesk.services.playbooks import engine as playbook_service
from ticketdesk.services.recovery import surveys as survey_service
from ticketdesk.services.sla import clocks as sla_service
from ticketdesk.services.tickets import assignment as ticket_assignment
from ticketdesk.services.tickets import attachments as attachment_service
from ticketdesk.services.tickets import categories as category_service
from ticketdesk.services.tickets import conversation, editing, guards, lifecycle, workflow
from ticketdesk.services.tickets import intake as ticket_intake
from ticketdesk.services.tickets import outgoing as outgoing_mail
from ticketdesk.services.tickets import queue as queue_service
from ticketdesk.services.tickets import review as review_service
from ticketdesk.templating import LABELS
from ticketdesk.tickets.forms import (
    NEW_CUSTOMER_CHOICE,
    STATUS_FILTERS,
    AssignForm,
    AttachForm,
    CcForm,
    CustomerMessageForm,
    DetailsForm,
    NewTicketForm,
    NoteForm,
    PlainActionForm,
    QueueFilterForm,
    RemedyActionForm,
    RemedyProposalForm,
    ReplyForm,
    RerouteForm,
    ReviewConfirmForm,
    ReviewMoveForm,
    StatusForm,
    StepDoneForm,
    StepReopenForm,
    SwitchPlaybookForm,
    TakeForm,
    WatchForm,
)

bp = Blueprint("tickets", __name__)

VIEW_ROLES = (Role.AGENT, Role.LEAD, Role.ACCOUNT_MANAGER)

SCOPE_LABELS = {
    queue_service.Scope.MINE: _l("Assigned to me"),
    queue_service.Scope.TEAMS: _l("My teams and unrouted"),
    queue_service.Scope.ACCOUNTS: _l("My accounts"),
    queue_service.Scope.ALL: _l("All tickets"),
    queue_service.Scope.WATCHING: _l("Watching"),
}
SORT_LABELS = {
    queue_service.Sort.TIME_LEFT: _l("Time left (service level), then urgency"),
    queue_service.Sort.URGENCY: _l("Urgency (severity, then oldest)"),
    queue_service.Sort.NEWEST: _l("Newest first"),
    queue_service.Sort.OLDEST: _l("Oldest first"),
    queue_service.Sort.ACTIVITY: _l("Latest activity"),
    queue_service.Sort.REFERENCE: _l("Reference"),
}


def _int_arg(name: str) -> int | None:
    """A small number from the query string (per_page), None when it is none."""
    raw = request.args.get(name, "").strip()
    return int(raw) if re.fullmatch(r"[+-]?[0-9]{1,6}", raw) else None


def _parse_filter(form: QueueFilterForm) -> queue_service.QueueFilter:
    scopes = queue_service.scopes_for(current_user)
    scope_value = request.args.get("scope") or queue_service.default_scope(current_user).value
    scope = next((s for s in scopes if s.value == scope_value), None)
    if scope is None:
        abort(403)
    status_value = request.args.get("status", "")
    statuses = [s for s in TicketStatus if s.value == status_value]
    sort_value = request.args.get("sort", "")
    assignee = request.args.get("assignee", "")
    return queue_service.QueueFilter(
        scope=scope,
        statuses=statuses,
        include_closed=status_value == "any",
        kind=next((k for k in TicketKind if k.value == request.args.get("kind")), None),
        severity=next((s for s in Severity if s.value == request.args.get("severity")), None),
        category_id=inputs.id_arg("category"),
        team_id=inputs.id_arg("team"),
        assignee_id=0 if assignee == "none" else inputs.id_arg("assignee"),
        customer_id=inputs.id_arg("customer"),
        q=(request.args.get("q") or "")[:200],
        sort=next((s for s in queue_service.Sort if s.value == sort_value), None),
        needs_review=request.args.get("review") == "needed",
    )


@bp.route("/")
@roles_required(*VIEW_ROLES)
def queue():
    form = QueueFilterForm(request.args)
    form.scope.choices = [
        (s.value, SCOPE_LABELS[s]) for s in queue_service.scopes_for(current_user)
    ]
    form.status.choices = STATUS_FILTERS
    form.category.choices = [("", _("Any category"))] + [
        (str(i), n) for i, n in category_service.category_choices()
    ]
    form.team.choices = [("", _("Any team"))] + [
        (str(i), n) for i, n in user_service.team_choices()
    ]
    form.assignee.choices = [("", _("Anyone")), ("none", _("Unassigned"))] + [
        (str(i), name) for i, name in ticket_assignment.assignable_choices()
    ]
    form.sort.choices = [("", _("Default: time left, or newest first for a search"))] + [
        (s.value, label) for s, label in SORT_LABELS.items()
    ]
    flt = _parse_filter(form)
    form.scope.data = flt.scope.value  # show the scope in use (the default when none is given)
    page_number = inputs.page_arg()
    per_page = min(max(_int_arg("per_page") or current_app.config["QUEUE_PAGE_SIZE"], 1), 200)
    page = queue_service.list_tickets(current_user, flt, page=page_number, per_page=per_page)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    clear_customer_args = {k: v for k, v in args.items() if k != "customer"}
    now = utcnow()
    overdue = playbook_service.overdue_counts([t.id for t in page.items], now=now)
    clocks = {t.id: sla_service.clock(t, now=now) for t in page.items}
    held_by_away = (
        availability_service.away_ticket_count(now=utcnow())
        if current_user.role is Role.LEAD
        else 0
    )
    return render_template(
        "tickets/queue.html",
        form=form,
        page=page,
        flt=flt,
        args=args,
        overdue=overdue,
        clocks=clocks,
        held_by_away=held_by_away,
        clear_customer_args=clear_customer_args,
        scope_label=SCOPE_LABELS[flt.scope],
    )


def _new_ticket_choices(form: NewTicketForm) -> None:
    form.customer_id.choices = [("", _("— New customer (enter below) —"))] + [
        (i, n) for i, n in customer_service.customer_choices()
    ]
    form.category_id.choices = category_service.category_choices()
    form.team_id.choices = [("", _("No team yet"))] + user_service.team_choices()
    form.assignee_id.choices = [("", _("Nobody yet"))] + ticket_assignment.assignable_choices()


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*WORKING_ROLES)
def new():
    form = NewTicketForm()
    _new_ticket_choices(form)
    if request.method == "GET":
        form.customer_id.data = inputs.id_arg("customer")
        form.currency.data = current_app.config["DEFAULT_CURRENCY"]
    duplicates = []
    if form.validate_on_submit():
        new_customer = None
        if not form.customer_id.data:
            new_customer = customer_service.CustomerData(
                name=form.new_customer_name.data or "",
                tier=customer_service.CustomerTier(form.new_customer_tier.data),
            )
        contact = (
            customer_service.ContactData(
                name=form.contact_name.data or "",
                email=form.contact_email.data,
                phone=form.contact_phone.data or "",
            )
            if form.contact_name.data
            else None
        )
        try:
            ticket = ticket_intake.log_complaint(
                actor=current_user,
                now=utcnow(),
                fields=_ticket_fields(form),
                customer_id=form.customer_id.data,
                new_customer=new_customer,
                contact=contact,
                team_id=form.team_id.data,
                assignee_id=form.assignee_id.data,
                uploads=request.files.getlist(form.attachments.name),
                internal_note=form.internal_note.data or "",
                allow_duplicate=form.create_anyway.data,
            )
        except customer_service.LikelyDuplicate as exc:
            duplicates = exc.matches
            show_error(form, exc, "new_customer_name")
        except DomainError as exc:
            show_error(
                form, exc, "subject", aliases={"name": "new_customer_name"}, otherwise="flash"
            )
        else:
            flash(_("Complaint %(ref)s logged.", ref=ticket.reference), "success")
            return redirect(url_for("tickets.detail", ticket_id=ticket.id))
    return render_template("tickets/new.html", form=form, duplicates=duplicates)


def _ticket_fields(form: NewTicketForm) -> ticket_intake.TicketFields:
    return ticket_intake.TicketFields(
        subject=form.subject.data or "",
        description=form.description.data or "",
        channel=Channel(form.channel.data),
        kind=TicketKind(form.kind.data),
        category_id=form.category_id.data,
        severity=Severity(form.severity.data),
        order_reference=form.order_reference.data or "",
        currency=form.currency.data or "",
        order_value=form.order_value.data,
        claimed_loss=form.claimed_loss.data,
        cause_side=CauseSide(form.cause_side.data),
    )


# ----------------------------------------------------------------- the ticket page

# What the ticket page reads of a ticket, loaded with it rather than one query each.
_TICKET_PAGE_LOAD = (
    joinedload(Ticket.customer),
    joinedload(Ticket.contact),
    joinedload(Ticket.category),
    joinedload(Ticket.team),
    joinedload(Ticket.assignee),
    joinedload(Ticket.sla_policy)
    .joinedload(SlaPolicy.calendar)
    .selectinload(BusinessCalendar.holidays),
    joinedload(Ticket.playbook_version).joinedload(PlaybookVersion.playbook),
    selectinload(Ticket.steps),
    selectinload(Ticket.remedies),
)


def _load(ticket_id: int) -> Ticket:
    ticket = db.get_or_404(Ticket, ticket_id, options=_TICKET_PAGE_LOAD)
    access.require_view_ticket(current_user, ticket)
    return ticket


def _forms_for(
    ticket: Ticket, given: dict, suggestion: ledger_service.Suggestion, *, can_work: bool
) -> dict:
    """The action forms the ticket page shows, defaulted from the ticket unless given.

    Only the forms the page shows are built, and only their selects get choices: whoever
    may not work the ticket (an account manager) has no reply, status, assignment or
    details form, and a closed ticket has no remedy form.
    """
    forms = {
        "note_form": given.get("note_form") or NoteForm(formdata=None),
        "watch_form": given.get("watch_form") or WatchForm(formdata=None),
        "attach_form": given.get("attach_form") or AttachForm(formdata=None),
        "step_form": given.get("step_form") or StepDoneForm(formdata=None),
        "reopen_form": StepReopenForm(formdata=None),
    }
    if can_work:
        forms.update(
            reply_form=given.get("reply_form") or ReplyForm(formdata=None),
            message_form=given.get("message_form") or CustomerMessageForm(formdata=None),
            status_form=given.get("status_form") or StatusForm(formdata=None),
            assign_form=given.get("assign_form")
            or AssignForm(formdata=None, team_id=ticket.team_id, assignee_id=ticket.assignee_id),
            take_form=given.get("take_form") or TakeForm(formdata=None),
            reroute_form=given.get("reroute_form") or RerouteForm(formdata=None),
            details_form=given.get("details_form")
            or DetailsForm(
                formdata=None,
                obj=ticket,
                kind=ticket.kind.value,
                severity=ticket.severity.value,
                cause_side=ticket.cause_side.value,
            ),
            switch_form=SwitchPlaybookForm(formdata=None),
            remedy_action_form=RemedyActionForm(formdata=None),
            cc_form=given.get("cc_form") or CcForm(formdata=None),
            mail_action_form=given.get("mail_action_form") or PlainActionForm(formdata=None),
        )
        if review_service.needs_review(ticket):
            forms.update(
                review_confirm_form=given.get("review_confirm_form")
                or ReviewConfirmForm(formdata=None),
                review_move_form=given.get("review_move_form") or ReviewMoveForm(formdata=None),
            )
        # The full remedy form only when asked for (?remedy=...) or sent back with errors:
        # the suggestion's one-click buttons cover most cases, and a page without the
        # form's dozen fields is quicker for everyone.
        if ticket.is_open and (given.get("remedy_form") or request.args.get("remedy")):
            forms["remedy_form"] = given.get("remedy_form") or _prefilled_remedy_form(
                ticket, suggestion
            )
    _set_choices(ticket, forms)
    for form in forms.values():
        if hasattr(form, "version"):
            # The page shows the ticket as it is now, so saving acts on this version.
            form.version.data = str(ticket.version)
    return forms


def _prefilled_remedy_form(
    ticket: Ticket, suggestion: ledger_service.Suggestion
) -> RemedyProposalForm:
    """The remedy form filled with the playbook's suggestion (?remedy=goodwill for goodwill)."""
    goodwill = request.args.get("remedy") == RemedyKind.GOODWILL.value
    reason = ledger_service.make_whole_reason(ticket)
    if goodwill:
        return RemedyProposalForm(
            formdata=None,
            kind=RemedyKind.GOODWILL.value,
            form=RemedyForm.FREE_ITEM.value,
            cost=suggestion.goodwill_cost,
            quantity=suggestion.goodwill_units or 1,
            reason=RemedyReason.GOODWILL_GESTURE.value,
        )
    return RemedyProposalForm(
        formdata=None,
        kind=RemedyKind.MAKE_WHOLE.value,
        form=suggestion.make_whole_form.value,
        cost=suggestion.make_whole_cost,
        reason=reason.value,
        affected_value=ledger_service.affected_value(ticket),
    )


def _set_choices(ticket: Ticket, forms: dict) -> None:
    """Fill the select choices of whichever of the page's forms are in ``forms``."""
    allowed = lifecycle.allowed_statuses(ticket)
    if "status_form" in forms:
        forms["status_form"].status.choices = [("", _("Move to…"))] + [
            (s.value, LABELS["status"][s]) for s in allowed
        ]
    if "reply_form" in forms:
        forms["reply_form"].status_after.choices = [("", _("Keep status"))] + [
            (s.value, LABELS["status"][s]) for s in allowed if s is not TicketStatus.CLOSED
        ]
    if "assign_form" in forms:
        forms["assign_form"].team_id.choices = [("", _("No team"))] + user_service.team_choices()
        forms["assign_form"].assignee_id.choices = [
            ("", _("Nobody"))
        ] + ticket_assignment.assignable_choices()
    if "details_form" in forms:
        forms["details_form"].category_id.choices = category_service.category_choices(
            include_id=ticket.category_id
        )
    if "review_move_form" in forms:
        name = ticket.contact.name if ticket.contact is not None else ""
        forms["review_move_form"].customer_id.choices = [
            ("", _("Choose a customer…")),
            (NEW_CUSTOMER_CHOICE, _("A new customer named “%(name)s”", name=name)),
        ] + [(str(i), n) for i, n in review_service.customer_choices(ticket)]

    if "cc_form" in forms:
        forms["cc_form"].contact_id.choices = [("", _("Choose a contact…"))] + [
            (contact.id, f"{contact.name} <{contact.email}>")
            for contact in mail_recipients.cc_candidates(ticket)
        ]


def _render_detail(ticket: Ticket, status: int = 200, **given):
    # Computed once: it looks through the customer's earlier tickets.
    suggestion = ledger_service.suggest(ticket)
    can_work = access.can_work_ticket(current_user, ticket)
    forms = _forms_for(ticket, given, suggestion, can_work=can_work)
    assignee = ticket.assignee
    watchers = ticket_assignment.watchers(ticket)
    satisfaction = survey_service.latest_for([ticket.id]).get(ticket.id)
    return render_template(
        "tickets/detail.html",
        ticket=ticket,
        clock=sla_service.clock(ticket, now=utcnow()),
        watchers=watchers,
        watching=any(w.user_id == current_user.id for w in watchers),
        assignee_away=away_text(assignee)
        if assignee is not None and assignee.is_away(utcnow())
        else None,
        events=conversation.timeline(ticket),
        checklist=playbook_service.checklist(ticket, user=current_user, now=utcnow()),
        switch_offer=playbook_service.suggested_switch(ticket) if can_work else None,
        suggestion=suggestion,
        totals=ledger_service.totals(ticket),
        fast_path=ledger_service.fast_path(ticket),
        argument_loop=ledger_service.argument_loop(ticket),
        can_work=can_work,
        can_note=access.can_note_ticket(current_user, ticket),
        awaits_my_approval=access.awaits_approval_by(current_user, ticket),
        public_link=url_for("public.follow", token=ticket.public_token, _external=True),
        make_whole_reason=ledger_service.make_whole_reason(ticket),
        satisfaction=satisfaction,
        satisfaction_open=survey_service.is_open(satisfaction, now=utcnow()),
        score_words=survey_service.SCORE_WORDS,
        deliveries=outgoing_mail.deliveries(ticket),
        received_mail=inbound_mail.raw_by_event(ticket),
        reply_recipients=mail_recipients.recipients(ticket),
        cc_contacts=mail_recipients.cc_contacts(ticket) if can_work else [],
        **forms,
    ), status


@bp.route("/<int:ticket_id>")
@roles_required(*VIEW_ROLES, Role.ADMIN)  # an admin: while a remedy waits for them (access)
def detail(ticket_id: int):
    return _render_detail(_load(ticket_id))


def _act(
    ticket_id: int,
    form_cls,
    form_key: str,
    action,
    success: str,
    default_field: str,
    *,
    work: bool = True,
):
    """Shared POST handling: validate, call the service, redirect or re-show the page.

    ``success`` is the flash message, or a function of what ``action`` returned.
    """
    ticket = _load(ticket_id)
    if work:
        access.require_work_ticket(current_user, ticket)
    form = form_cls()
    _set_choices(ticket, {form_key: form})
    if form.validate_on_submit():
        try:
            result = action(ticket, form)
        except Conflict as exc:
            db.session.refresh(ticket)
            flash(str(exc), "warning")
            return _render_detail(ticket, 409, **{form_key: form})
        except DomainError as exc:
            show_error(form, exc, default_field, otherwise="flash")
        else:
            flash(success(result) if callable(success) else success, "success")
            return redirect(url_for("tickets.detail", ticket_id=ticket.id))
    return _render_detail(ticket, 200, **{form_key: form})


def _warn_labels(text: str) -> None:
    words = guards.pejorative_terms(text)
    if words:
        flash(
            _(
                "Saved. Please keep the record factual: “%(words)s” labels the customer instead "
                "of describing what happened.",
                words="”, “".join(words),
            ),
            "warning",
        )


def _uploads(form):
    return request.files.getlist(form.attachments.name)


@bp.route("/<int:ticket_id>/reply", methods=["POST"])
@roles_required(*WORKING_ROLES)
def reply(ticket_id: int):
    def action(ticket, form):
        return conversation.reply(
            ticket,
            actor=current_user,
            body=form.body.data,
            now=utcnow(),
            expected_version=form.expected_version,
            status_after=TicketStatus(form.status_after.data) if form.status_after.data else None,
            uploads=_uploads(form),
            apology=form.apology.data,
            explanation=RootCause(form.root_cause.data) if form.root_cause.data else None,
            proof_reason=form.proof_reason.data or "",
            log_only=form.log_only.data,
        )

    return _act(ticket_id, ReplyForm, "reply_form", action, _replied, "body")


def _replied(event) -> str:
    if event.via == outgoing_mail.VIA_EMAIL:
        return _("Reply saved and queued to be e-mailed to the customer.")
    if event.via == outgoing_mail.VIA_LOG_ONLY:
        return _("Reply logged on the ticket; it was not e-mailed.")
    return _(
        "Reply saved on the ticket. Nobody on it has an e-mail address, so it was not e-mailed."
    )


@bp.route("/<int:ticket_id>/cc", methods=["POST"])
@roles_required(*WORKING_ROLES)
def cc_add(ticket_id: int):
    def action(ticket, form):
        return outgoing_mail.add_cc(
            ticket, actor=current_user, contact_id=form.contact_id.data, now=utcnow()
        )

    return _act(
        ticket_id,
        CcForm,
        "cc_form",
        action,
        lambda contact: _("%(name)s is copied on every reply from now on.", name=contact.name),
        "contact_id",
    )


@bp.route("/<int:ticket_id>/cc/<int:contact_id>/remove", methods=["POST"])
@roles_required(*WORKING_ROLES)
def cc_remove(ticket_id: int, contact_id: int):
    def action(ticket, form):
        return outgoing_mail.remove_cc(
            ticket, actor=current_user, contact_id=contact_id, now=utcnow()
        )

    return _act(
        ticket_id,
        PlainActionForm,
        "mail_action_form",
        action,
        lambda contact: _("%(name)s is no longer copied on replies.", name=contact.name),
        None,
    )


@bp.route("/<int:ticket_id>/private-link", methods=["POST"])
@roles_required(*WORKING_ROLES)
def resend_link(ticket_id: int):
    def action(ticket, form):
        return outgoing_mail.resend_private_link(ticket, actor=current_user, now=utcnow())

    return _act(
        ticket_id,
        PlainActionForm,
        "mail_action_form",
        action,
        lambda message: _(
            "The private link is queued to be e-mailed to %(to)s.", to=message.to_address
        ),
        None,
    )


@bp.route("/<int:ticket_id>/note", methods=["POST"])
@roles_required(*VIEW_ROLES)
def note(ticket_id: int):
    def action(ticket, form):
        conversation.add_note(
            ticket, actor=current_user, body=form.body.data, now=utcnow(), uploads=_uploads(form)
        )
        _warn_labels(form.body.data)

    return _act(
        ticket_id, NoteForm, "note_form", action, _("Internal note added."), "body", work=False
    )


@bp.route("/<int:ticket_id>/attachments", methods=["POST"])
@roles_required(*VIEW_ROLES)
def attach(ticket_id: int):
    def action(ticket, form):
        conversation.add_attachments(
            ticket, actor=current_user, now=utcnow(), uploads=_uploads(form)
        )

    return _act(
        ticket_id, AttachForm, "attach_form", action, _("Files added."), "attachments", work=False
    )


@bp.route("/<int:ticket_id>/customer-message", methods=["POST"])
@roles_required(*WORKING_ROLES)
def customer_message(ticket_id: int):
    def action(ticket, form):
        conversation.log_customer_message(
            ticket, actor=current_user, body=form.body.data, now=utcnow(), uploads=_uploads(form)
        )

    return _act(
        ticket_id,
        CustomerMessageForm,
        "message_form",
        action,
        _("Customer message logged."),
        "body",
    )


@bp.route("/<int:ticket_id>/status", methods=["POST"])
@roles_required(*WORKING_ROLES)
def status(ticket_id: int):
    def action(ticket, form):
        workflow.change_status(
            ticket,
            actor=current_user,
            status=TicketStatus(form.status.data),
            expected_version=form.expected_version,
            now=utcnow(),
        )

    return _act(ticket_id, StatusForm, "status_form", action, _("Status changed."), "status")


@bp.route("/<int:ticket_id>/assign", methods=["POST"])
@roles_required(*WORKING_ROLES)
def assign(ticket_id: int):
    def action(ticket, form):
        ticket_assignment.assign(
            ticket,
            actor=current_user,
            team_id=form.team_id.data,
            assignee_id=form.assignee_id.data,
            expected_version=form.expected_version,
            now=utcnow(),
        )

    return _act(ticket_id, AssignForm, "assign_form", action, _("Assignment saved."), "assignee_id")


@bp.route("/<int:ticket_id>/take", methods=["POST"])
@roles_required(*WORKING_ROLES)
def take(ticket_id: int):
    def action(ticket, form):
        ticket_assignment.assign_to_me(
            ticket, actor=current_user, expected_version=form.expected_version, now=utcnow()
        )

    return _act(ticket_id, TakeForm, "take_form", action, _("The ticket is yours."), "version")


def _rerouted(decision) -> str:
    if decision.assignee_name:
        return _(
            "Re-routed by the rules to %(name)s in %(team)s.",
            name=decision.assignee_name,
            team=decision.team_name,
        )
    if decision.team_name:
        return _(
            "Re-routed by the rules to the %(team)s queue; nobody is assigned yet.",
            team=decision.team_name,
        )
    return _("Re-routed: no rule chose a team and there is no team to fall back on.")


@bp.route("/<int:ticket_id>/review/confirm", methods=["POST"])
@roles_required(*WORKING_ROLES)
def review_confirm(ticket_id: int):
    def action(ticket, form):
        review_service.confirm_contact(
            ticket, actor=current_user, expected_version=form.expected_version, now=utcnow()
        )

    return _act(
        ticket_id,
        ReviewConfirmForm,
        "review_confirm_form",
        action,
        _("Review done: the contact speaks for the customer."),
        None,
    )


def _move_target(value: str | None) -> review_service.MoveTarget:
    if value == NEW_CUSTOMER_CHOICE:
        return review_service.MoveTarget(new_customer=True)
    try:
        return review_service.MoveTarget(customer_id=inputs.parse_id(value))
    except ValueError:
        return review_service.MoveTarget()  # the service says to choose one


@bp.route("/<int:ticket_id>/review/move", methods=["POST"])
@roles_required(*WORKING_ROLES)
def review_move(ticket_id: int):
    def action(ticket, form):
        return review_service.move_ticket(
            ticket,
            actor=current_user,
            target=_move_target(form.customer_id.data),
            expected_version=form.expected_version,
            now=utcnow(),
        )

    return _act(
        ticket_id,
        ReviewMoveForm,
        "review_move_form",
        action,
        lambda customer: _("Moved to %(customer)s.", customer=customer.name),
        None,
    )


@bp.route("/<int:ticket_id>/reroute", methods=["POST"])
@roles_required(*WORKING_ROLES)
def reroute(ticket_id: int):
    def action(ticket, form):
        return ticket_assignment.reroute(
            ticket, actor=current_user, expected_version=form.expected_version, now=utcnow()
        )

    return _act(ticket_id, RerouteForm, "reroute_form", action, _rerouted, "version")


@bp.route("/<int:ticket_id>/watch", methods=["POST"])
@roles_required(*VIEW_ROLES)
def watch(ticket_id: int):
    def action(ticket, form):
        ticket_assignment.watch(ticket, actor=current_user, now=utcnow())

    return _act(
        ticket_id,
        WatchForm,
        "watch_form",
        action,
        _("You watch this ticket: it is in your “Watching” queue and its changes notify you."),
        None,
        work=False,
    )


@bp.route("/<int:ticket_id>/unwatch", methods=["POST"])
@roles_required(*VIEW_ROLES)
def unwatch(ticket_id: int):
    def action(ticket, form):
        ticket_assignment.unwatch(ticket, actor=current_user)

    return _act(
        ticket_id,
        WatchForm,
        "watch_form",
        action,
        _("You no longer watch this ticket."),
        None,
        work=False,
    )


@bp.route("/<int:ticket_id>/details", methods=["POST"])
@roles_required(*WORKING_ROLES)
def details(ticket_id: int):
    def action(ticket, form):
        editing.update_details(
            ticket,
            actor=current_user,
            expected_version=form.expected_version,
            now=utcnow(),
            changes=editing.DetailChanges(
                subject=form.subject.data or "",
                kind=TicketKind(form.kind.data),
                category_id=form.category_id.data,
                severity=Severity(form.severity.data),
                order_reference=form.order_reference.data or "",
                currency=form.currency.data or "",
                order_value=form.order_value.data,
                claimed_loss=form.claimed_loss.data,
                cause_side=CauseSide(form.cause_side.data),
            ),
        )

    return _act(ticket_id, DetailsForm, "details_form", action, _("Details saved."), "subject")


@bp.route("/<int:ticket_id>/steps/<int:step_id>/done", methods=["POST"])
@roles_required(*VIEW_ROLES)
def step_done(ticket_id: int, step_id: int):
    def action(ticket, form):
        playbook_service.complete_step(
            ticket, actor=current_user, step_id=step_id, now=utcnow(), note=form.note.data or ""
        )

    return _act(ticket_id, StepDoneForm, "step_form", action, _("Step done."), None, work=False)


@bp.route("/<int:ticket_id>/steps/<int:step_id>/reopen", methods=["POST"])
@roles_required(*VIEW_ROLES)
def step_reopen(ticket_id: int, step_id: int):
    def action(ticket, form):
        playbook_service.reopen_step(ticket, actor=current_user, step_id=step_id, now=utcnow())

    return _act(
        ticket_id, StepReopenForm, "reopen_form", action, _("Step reopened."), None, work=False
    )


@bp.route("/<int:ticket_id>/playbook", methods=["POST"])
@roles_required(*WORKING_ROLES)
def switch_playbook(ticket_id: int):
    def action(ticket, form):
        try:
            version_id = inputs.parse_id(form.version_id.data)
        except ValueError:
            abort(400)
        playbook_service.switch_playbook(
            ticket, actor=current_user, version_id=version_id, now=utcnow()
        )

    return _act(ticket_id, SwitchPlaybookForm, "switch_form", action, _("Playbook switched."), None)


@bp.route("/<int:ticket_id>/remedies", methods=["POST"])
@roles_required(*WORKING_ROLES)
def propose_remedy(ticket_id: int):
    def action(ticket, form):
        remedy = ledger_service.propose_remedy(
            ticket,
            actor=current_user,
            now=utcnow(),
            draft=(
                ledger_service.RemedyDraft(
                    kind=RemedyKind(form.kind.data),
                    form=RemedyForm(form.form.data),
                    description=form.description.data or "",
                    cost=form.cost.data,
                    reason=RemedyReason(form.reason.data),
                    quantity=form.quantity.data,
                    affected_units=form.affected_units.data,
                    affected_value=form.affected_value.data,
                    valued_at_cost=form.valued_at_cost.data,
                    conceded=form.conceded.data,
                    no_proof=form.no_proof.data,
                    cap_base_kind=CapBase(form.cap_base_kind.data)
                    if form.cap_base_kind.data
                    else None,
                )
            ),
        )
        if remedy.approval_role is not None:
            flash(wording.waiting_sentence(remedy), "info")

    return _act(
        ticket_id, RemedyProposalForm, "remedy_form", action, _("Remedy recorded."), "description"
    )


def _remedy_action(remedy_id: int, service_call, success: str):
    remedy = db.get_or_404(Remedy, remedy_id)
    return _act(
        remedy.ticket_id,
        RemedyActionForm,
        "remedy_action_form",
        lambda ticket, form: service_call(remedy),
        success,
        None,
    )


@bp.route("/remedies/<int:remedy_id>/deliver", methods=["POST"])
@roles_required(*WORKING_ROLES)
def deliver_remedy(remedy_id: int):
    return _remedy_action(
        remedy_id,
        lambda r: ledger_service.deliver_remedy(r, actor=current_user, now=utcnow()),
        _("Marked as delivered to the customer."),
    )


@bp.route("/remedies/<int:remedy_id>/withdraw", methods=["POST"])
@roles_required(*WORKING_ROLES)
def withdraw_remedy(remedy_id: int):
    return _remedy_action(
        remedy_id,
        lambda r: ledger_service.withdraw_remedy(r, actor=current_user, now=utcnow()),
        _("Remedy withdrawn."),
    )


@bp.route("/<int:ticket_id>/mail/<int:mail_id>.eml")
@roles_required(*VIEW_ROLES)
def received_mail(ticket_id: int, mail_id: int):
    """The original of an e-mail received on the ticket, as the mail server delivered it."""
    ticket = db.get_or_404(Ticket, ticket_id)
    access.require_view_ticket(current_user, ticket)
    mail = inbound_mail.original(ticket, mail_id)
    if mail is None:
        abort(404)
    response = send_file(
        io.BytesIO(mail.raw),
        mimetype="message/rfc822",
        as_attachment=True,
        download_name=f"{ticket.reference}-{mail.id}.eml",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/attachments/<int:attachment_id>")
@roles_required(*VIEW_ROLES)
def attachment(attachment_id: int):
    item = db.get_or_404(Attachment, attachment_id)
    access.require_view_ticket(current_user, item.ticket)
    path = attachment_service.stored_path(item)
    if not path.exists():
        abort(404)
    inline = item.content_type in attachment_service.INLINE_TYPES
    response = send_file(
        path,
        mimetype=item.content_type,
        as_attachment=not inline,
        download_name=item.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; sandbox; frame-ancestors 'none'"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
