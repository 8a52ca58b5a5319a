"""Administration: users, teams, the category list, held mail and the outbox.

Administrators only.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ticketdesk.admin.forms import (
    CategoryForm,
    DiscardMailForm,
    EditUserForm,
    NewUserForm,
    ReleaseMailForm,
    TeamForm,
)
from ticketdesk.core import inputs
from ticketdesk.core.errors import DomainError, NotFound
from ticketdesk.core.forms import flash_error, show_error
from ticketdesk.core.security import roles_required
from ticketdesk.database import utcnow
from ticketdesk.errors import http_status
from ticketdesk.extensions import db
from ticketdesk.models import Category, MailPurpose, OutboxState, Role, Team, Ticket, User
from ticketdesk.services.mail import inbound as inbound_mail
from ticketdesk.services.notifications import outbox as outbox_service
from ticketdesk.services.people import users as user_service
from ticketdesk.services.tickets import categories as category_service

bp = Blueprint("admin", __name__)


def _user_data(form) -> user_service.UserData:
    return user_service.UserData(
        email=form.email.data,
        name=form.name.data,
        role=Role(form.role.data),
        active=form.active.data,
        team_ids=tuple(form.team_ids.data or ()),
    )


@bp.route("/users")
@roles_required(Role.ADMIN)
def users():
    return render_template("admin/users.html", users=user_service.list_users())


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user():
    form = NewUserForm()
    form.team_ids.choices = user_service.team_choices()
    if form.validate_on_submit():
        try:
            user = user_service.create_user(
                actor=current_user, data=_user_data(form), password=form.password.data
            )
        except DomainError as exc:
            show_error(form, exc, "email")
        else:
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = EditUserForm(obj=user)
    form.team_ids.choices = user_service.team_choices()
    if request.method == "GET":
        form.role.data = user.role.value
        form.team_ids.data = [t.id for t in user.teams]
    if form.validate_on_submit():
        try:
            user_service.update_user(
                user,
                actor=current_user,
                data=_user_data(form),
                new_password=form.new_password.data or None,
            )
        except DomainError as exc:
            show_error(form, exc, "email")
        else:
            flash(_("User %(email)s saved.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.route("/teams", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def teams():
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team = user_service.save_team(
                None,
                actor=current_user,
                name=form.name.data,
                description=form.description.data or "",
            )
        except DomainError as exc:
            show_error(form, exc, "name")
        else:
            flash(_("Team %(name)s created.", name=team.name), "success")
            return redirect(url_for("admin.teams"))
    return render_template("admin/teams.html", teams=user_service.list_teams(), form=form)


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_team(team_id: int):
    team = db.get_or_404(Team, team_id)
    form = TeamForm(obj=team)
    if form.validate_on_submit():
        try:
            user_service.save_team(
                team,
                actor=current_user,
                name=form.name.data,
                description=form.description.data or "",
            )
        except DomainError as exc:
            show_error(form, exc, "name")
        else:
            flash(_("Team saved."), "success")
            return redirect(url_for("admin.teams"))
    return render_template("admin/team_form.html", form=form, team=team)


@bp.route("/categories", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def categories():
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            category = category_service.save_category(
                None,
                actor=current_user,
                name=form.name.data,
                position=form.position.data,
                active=form.active.data,
            )
        except DomainError as exc:
            show_error(form, exc, "name")
        else:
            flash(_("Category %(name)s created.", name=category.name), "success")
            return redirect(url_for("admin.categories"))
    return render_template(
        "admin/categories.html",
        form=form,
        categories=category_service.list_categories(include_inactive=True),
    )


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_category(category_id: int):
    category = db.get_or_404(Category, category_id)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        try:
            category_service.save_category(
                category,
                actor=current_user,
                name=form.name.data,
                position=form.position.data,
                active=form.active.data,
            )
        except DomainError as exc:
            show_error(form, exc, "name")
        else:
            flash(_("Category saved."), "success")
            return redirect(url_for("admin.categories"))
    return render_template("admin/category_form.html", form=form, category=category)


# ----------------------------------------------------------------- held mail


@bp.route("/mail/held")
@roles_required(Role.ADMIN)
def held_mail():
    return render_template(
        "admin/held_mail.html",
        messages=inbound_mail.held(actor=current_user),
        decided=inbound_mail.recently_decided(actor=current_user),
    )


def _held_page(mail_id: int, release_form=None, discard_form=None, status: int = 200):
    try:
        mail = inbound_mail.get_mail(mail_id, actor=current_user)
    except NotFound:
        abort(404)
    return render_template(
        "admin/held_mail_detail.html",
        mail=mail,
        shown=inbound_mail.view_mail(mail),
        release_form=release_form or ReleaseMailForm(),
        discard_form=discard_form or DiscardMailForm(),
    ), status


@bp.route("/mail/held/<int:mail_id>")
@roles_required(Role.ADMIN)
def held_mail_detail(mail_id: int):
    return _held_page(mail_id)


@bp.route("/mail/held/<int:mail_id>/release", methods=["POST"])
@roles_required(Role.ADMIN)
def release_mail(mail_id: int):
    form = ReleaseMailForm()
    if not form.validate_on_submit():
        return _held_page(mail_id, release_form=form, status=400)
    reference = form.reference.data if form.target.data == "ticket" else None
    try:
        mail = inbound_mail.release(mail_id, actor=current_user, now=utcnow(), reference=reference)
    except DomainError as exc:
        if isinstance(exc, NotFound) and exc.field is None:
            abort(404)
        if exc.field == "reference":
            show_error(form, exc)
        else:
            flash_error(exc)
        return _held_page(mail_id, release_form=form, status=http_status(exc))
    flash(_("Released: %(reason)s", reason=mail.reason), "success")
    return redirect(url_for("admin.held_mail"))


@bp.route("/mail/held/<int:mail_id>/discard", methods=["POST"])
@roles_required(Role.ADMIN)
def discard_mail(mail_id: int):
    form = DiscardMailForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        inbound_mail.discard(mail_id, actor=current_user, now=utcnow())
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash_error(exc)
        return redirect(url_for("admin.held_mail_detail", mail_id=mail_id))
    flash(_("The message was discarded."), "success")
    return redirect(url_for("admin.held_mail"))


# ----------------------------------------------------------------- the outbox

OUTBOX_STATE_LABELS = {
    OutboxState.QUEUED: _l("Queued"),
    OutboxState.SENDING: _l("Sending"),
    OutboxState.SENT: _l("Sent"),
    OutboxState.LOGGED: _l("Not sent (no SMTP server)"),
    OutboxState.FAILED: _l("Failed"),
    OutboxState.WITHHELD: _l("Withheld"),
    OutboxState.BOUNCED: _l("Bounced"),
}
OUTBOX_STATE_STYLES = {
    OutboxState.QUEUED: "text-bg-info",
    OutboxState.SENDING: "text-bg-info",
    OutboxState.SENT: "text-bg-success",
    OutboxState.LOGGED: "text-bg-secondary",
    OutboxState.FAILED: "text-bg-danger",
    OutboxState.WITHHELD: "text-bg-warning",
    OutboxState.BOUNCED: "text-bg-danger",
}
MAIL_PURPOSE_LABELS = {
    MailPurpose.NOTIFICATION: _l("Staff notification"),
    MailPurpose.ACKNOWLEDGEMENT: _l("Acknowledgement"),
    MailPurpose.REPLY: _l("Reply"),
    MailPurpose.RESOLUTION: _l("Resolution"),
    MailPurpose.SURVEY: _l("Survey"),
    MailPurpose.PRIVATE_LINK: _l("Private link"),
}


def _enum_arg(name: str, enum_type):
    """A filter value from the query string; anything unknown means "all" (None)."""
    raw = request.args.get(name, "")
    return enum_type(raw) if raw in {member.value for member in enum_type} else None


def _outbox_labels() -> dict:
    return {
        "state_labels": OUTBOX_STATE_LABELS,
        "state_styles": OUTBOX_STATE_STYLES,
        "purpose_labels": MAIL_PURPOSE_LABELS,
        "retryable": outbox_service.RETRYABLE,
        "transport": outbox_service.transport_description(),
        "smtp_configured": outbox_service.smtp_configured(),
    }


def _tickets_of(messages) -> dict[int, Ticket]:
    ids = {m.ticket_id for m in messages if m.ticket_id is not None}
    return {t.id: t for t in (db.session.get(Ticket, i) for i in ids) if t is not None}


@bp.route("/outbox")
@roles_required(Role.ADMIN)
def outbox():
    state, purpose = _enum_arg("state", OutboxState), _enum_arg("purpose", MailPurpose)
    filters = {
        "state": state.value if state else None,
        "purpose": purpose.value if purpose else None,
    }
    page = outbox_service.list_messages(
        actor=current_user, state=state, purpose=purpose, page=inputs.page_arg()
    )
    if page.page > page.pages:
        return redirect(url_for("admin.outbox", page=page.pages, **filters))
    return render_template(
        "admin/outbox.html",
        page=page,
        filters=filters,
        states=list(OutboxState),
        purposes=list(MailPurpose),
        tickets=_tickets_of(page.items),
        counts=outbox_service.state_counts(actor=current_user, purpose=purpose),
        **_outbox_labels(),
    )


@bp.route("/outbox/<int:message_id>")
@roles_required(Role.ADMIN)
def outbox_message(message_id: int):
    try:
        message = outbox_service.get_message(message_id, actor=current_user)
    except NotFound:
        abort(404)
    return render_template(
        "admin/outbox_message.html",
        message=message,
        preview=outbox_service.preview(message, actor=current_user),
        tickets=_tickets_of([message]),
        **_outbox_labels(),
    )


@bp.post("/outbox/<int:message_id>/retry")
@roles_required(Role.ADMIN)
def outbox_retry(message_id: int):
    try:
        outbox_service.retry(message_id, actor=current_user, now=utcnow())
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(
            _("The message is back in the queue and goes out with the next run of the outbox."),
            "success",
        )
    return redirect(url_for("admin.outbox_message", message_id=message_id))
