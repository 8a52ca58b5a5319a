"""My accounts, an account's recovery history, and the outcome report."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ticketdesk.accounts.forms import AccountFilterForm, SegmentOverrideForm
from ticketdesk.core import clock, inputs
from ticketdesk.core.errors import DomainError
from ticketdesk.core.forms import show_error
from ticketdesk.core.security import roles_required
from ticketdesk.database import utcnow
from ticketdesk.models import EngagementSegment
from ticketdesk.services.people import access
from ticketdesk.services.recovery import accounts as account_service
from ticketdesk.services.recovery import segments

bp = Blueprint("accounts", __name__)

PER_PAGE = 25


@bp.route("/")
@roles_required(*account_service.VIEW_ROLES)
def index():
    form = AccountFilterForm(request.args)
    all_accounts = current_user.role in account_service.ALL_ACCOUNTS_ROLES
    manager_id = None
    if all_accounts:
        form.manager.choices = [("", _("Everyone"))] + account_service.manager_choices()
        if form.validate():
            manager_id = form.manager.data
    page_no = inputs.page_arg()
    page = account_service.my_accounts(
        current_user,
        manager_id=manager_id,
        page=page_no,
        per_page=PER_PAGE,
        today=clock.desk_date(utcnow()),
    )
    args = {"manager": manager_id} if manager_id else {}
    if page.page > page.pages:
        return redirect(url_for("accounts.index", page=page.pages, **args))
    return render_template(
        "accounts/index.html", page=page, form=form, all_accounts=all_accounts, args=args
    )


@bp.route("/<int:customer_id>")
@roles_required(*account_service.VIEW_ROLES)
def detail(customer_id: int):
    customer = account_service.get_account(customer_id)
    account_service.require_view(current_user, customer)
    form = SegmentOverrideForm(formdata=None)
    form.segment.data = customer.segment_override.value if customer.segment_override else ""
    form.reason.data = customer.segment_override_reason
    return _render_detail(customer, form)


@bp.route("/<int:customer_id>/segment", methods=["POST"])
@roles_required(*account_service.VIEW_ROLES)
def set_segment(customer_id: int):
    customer = account_service.get_account(customer_id)
    account_service.require_view(current_user, customer)
    if not segments.can_override(current_user, customer):
        abort(403)
    form = SegmentOverrideForm()
    if form.validate_on_submit():
        segment = EngagementSegment(form.segment.data) if form.segment.data else None
        try:
            segments.set_override(
                customer,
                segment=segment,
                reason=form.reason.data or "",
                actor=current_user,
                now=utcnow(),
            )
        except DomainError as exc:
            show_error(form, exc, "reason")
        else:
            flash(
                _("Segment set by hand.")
                if segment
                else _("The account now uses its computed segment."),
                "success",
            )
            return redirect(url_for("accounts.detail", customer_id=customer.id))
    return _render_detail(customer, form), 400


def _render_detail(customer, form):
    account = account_service.history(customer, today=clock.desk_date(utcnow()))
    linked = {
        entry.ticket.id
        for entry in account.timeline
        if entry.kind == "complaint" and access.can_view_ticket(current_user, entry.ticket)
    }
    return render_template(
        "accounts/detail.html",
        account=account,
        customer=customer,
        form=form,
        linked=linked,
        can_override=segments.can_override(current_user, customer),
        can_open_customer=access.can_view_customer(current_user, customer),
    )
