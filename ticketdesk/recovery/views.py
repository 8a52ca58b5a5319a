"""Recovery rules (team leads and admins) and the loyalty follow-up page."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ticketdesk.core import inputs
from ticketdesk.core.errors import DomainError
from ticketdesk.core.forms import show_error
from ticketdesk.core.security import roles_required
from ticketdesk.database import utcnow
from ticketdesk.models import Role
from ticketdesk.recovery.forms import RulesForm
from ticketdesk.services.customers import customers as customer_service
from ticketdesk.services.recovery import loyalty as loyalty_service
from ticketdesk.services.recovery import rules as rules_module

bp = Blueprint("recovery", __name__)

FOLLOW_UP_ROLES = loyalty_service.FOLLOW_UP_ROLES


def _rules_data(form: RulesForm) -> rules_module.RulesData:
    return rules_module.RulesData(
        **{
            name: (bool(form[name].data) if form[name].type == "BooleanField" else form[name].data)
            for name in rules_module.RulesData.__dataclass_fields__
        }
    )


@bp.route("/rules", methods=["GET", "POST"])
@roles_required(*rules_module.EDITOR_ROLES)
def rules():
    saved = rules_module.current()
    form = RulesForm(obj=saved)
    status = 200
    if form.validate_on_submit():
        try:
            rules_module.update(_rules_data(form), actor=current_user)
        except DomainError as exc:
            show_error(form, exc)
            status = 400
        else:
            flash(_("Recovery rules saved. They apply to tickets judged from now on."), "success")
            return redirect(url_for("recovery.rules"))
    elif form.is_submitted():
        status = 400
    return render_template(
        "recovery/rules.html", form=form, saved=saved, limits=rules_module.limits()
    ), status


@bp.route("/loyalty")
@roles_required(*FOLLOW_UP_ROLES)
def loyalty():
    managers = []
    manager_id = None
    if current_user.role is not Role.ACCOUNT_MANAGER:
        managers = customer_service.account_manager_choices()
        manager_id = inputs.id_arg("account_manager")
        if manager_id not in {mid for mid, _name in managers}:
            manager_id = None
    follow_up = loyalty_service.follow_up(
        viewer=current_user, account_manager_id=manager_id, now=utcnow()
    )
    return render_template(
        "recovery/loyalty.html",
        follow_up=follow_up,
        managers=managers,
        manager_id=manager_id,
        retention_days=rules_module.current().retention_window_days,
    )
