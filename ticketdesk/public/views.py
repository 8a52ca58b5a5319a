"""The customer side: the public complaint form and the private follow-up link."""

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ticketdesk.database import utcnow
from ticketdesk.public.forms import ComplaintForm, FollowUpForm
from ticketdesk.services import categories as category_service
from ticketdesk.services import tickets as ticket_service
from ticketdesk.services.errors import DomainError, RateLimited

bp = Blueprint("public", __name__)


def _client_ip() -> str:
    # Behind a proxy, configure werkzeug's ProxyFix so remote_addr is the client's address.
    return request.remote_addr or "unknown"


@bp.route("/complain", methods=["GET", "POST"])
def complain():
    form = ComplaintForm()
    form.category_id.choices = [(0, _("Not sure"))] + category_service.category_choices()
    if form.validate_on_submit():
        if form.website.data:
            # A bot filled the hidden field: answer like a success, store nothing.
            return render_template("public/received.html", ticket=None), 200
        try:
            ticket = ticket_service.submit_public_complaint(
                complaint=ticket_service.PublicComplaint(
                    name=form.name.data, email=form.email.data, company=form.company.data or "",
                    order_reference=form.order_reference.data or "",
                    description=form.description.data, category_id=form.category_id.data or None),
                ip=_client_ip(), now=utcnow(),
                uploads=request.files.getlist(form.attachments.name))
        except RateLimited as exc:
            form.form_errors.append(str(exc))
            return render_template("public/complain.html", form=form), 429
        except DomainError as exc:
            target = getattr(form, exc.field or "description", form.description)
            target.errors = list(target.errors) + [str(exc)]
        else:
            session["last_complaint"] = ticket.public_token
            return redirect(url_for("public.received"))
    return render_template("public/complain.html", form=form)


@bp.route("/complain/received")
def received():
    token = session.get("last_complaint")
    if not token:
        return redirect(url_for("public.complain"))
    try:
        ticket = ticket_service.ticket_by_token(token)
    except DomainError:
        return redirect(url_for("public.complain"))
    return render_template("public/received.html", ticket=ticket,
                           link=url_for("public.follow", token=token, _external=True))


@bp.route("/complain/t/<token>", methods=["GET", "POST"])
def follow(token: str):
    ticket = ticket_service.ticket_by_token(token)
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            ticket_service.log_customer_message(ticket, actor=None, body=form.body.data,
                                                now=utcnow(),
                                                uploads=request.files.getlist(form.attachments.name))
        except DomainError as exc:
            form.body.errors = list(form.body.errors) + [str(exc)]
        else:
            return redirect(url_for("public.follow", token=token, sent=1))
    events = ticket_service.timeline(ticket, public_only=True)
    return render_template("public/follow.html", ticket=ticket, events=events, form=form,
                           sent=request.args.get("sent") == "1")
