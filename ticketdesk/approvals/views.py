"""Approvals: remedies above someone's authority wait here for a lead or an admin."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ticketdesk.core.errors import DomainError
from ticketdesk.core.forms import flash_error, show_error
from ticketdesk.core.security import roles_required
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import Remedy, Role
from ticketdesk.services.ledger import remedies as ledger_service
from ticketdesk.tickets.forms import RemedyDecisionForm

bp = Blueprint("approvals", __name__)

ROLES = ledger_service.TIERS  # who proposes or approves remedies


def _page(form=None, failed_id: int | None = None, status: int = 200):
    return render_template(
        "approvals/index.html",
        pending=ledger_service.pending_approvals(current_user),
        mine=ledger_service.my_decided(current_user),
        form=form or RemedyDecisionForm(formdata=None),
        failed_id=failed_id,
        decision_form=RemedyDecisionForm(formdata=None),
    ), status


@bp.route("/")
@roles_required(*ROLES)
def index():
    return _page()


def _decide(remedy_id: int, decide, success: str):
    remedy = db.get_or_404(Remedy, remedy_id)
    form = RemedyDecisionForm()
    if form.validate_on_submit():
        try:
            decide(remedy, form.reason.data or "")
        except DomainError as exc:
            if exc.field == "reason" and remedy.state.value == "proposed":
                show_error(form, exc)
            else:
                flash_error(exc)
        else:
            flash(success, "success")
            return redirect(url_for("approvals.index"))
    return _page(form, failed_id=remedy.id)


@bp.route("/<int:remedy_id>/approve", methods=["POST"])
@roles_required(Role.LEAD, Role.ADMIN)
def approve(remedy_id: int):
    return _decide(
        remedy_id,
        lambda r, reason: ledger_service.approve_remedy(
            r, actor=current_user, now=utcnow(), reason=reason
        ),
        _("Remedy approved."),
    )


@bp.route("/<int:remedy_id>/reject", methods=["POST"])
@roles_required(Role.LEAD, Role.ADMIN)
def reject(remedy_id: int):
    return _decide(
        remedy_id,
        lambda r, reason: ledger_service.reject_remedy(
            r, actor=current_user, now=utcnow(), reason=reason
        ),
        _("Remedy rejected."),
    )
