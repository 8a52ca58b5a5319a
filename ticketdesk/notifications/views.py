"""Notifications: the list behind the bell, marking them read, and the JSON the bell polls."""

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ticketdesk.core import inputs
from ticketdesk.core.errors import NotFound
from ticketdesk.core.security import safe_next
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import Notification, NotificationKind, Ticket
from ticketdesk.notifications.context import unread_notifications
from ticketdesk.services.ledger import remedies as ledger_service
from ticketdesk.services.notifications import notifications as notification_service
from ticketdesk.services.people import access

bp = Blueprint("notifications", __name__)
bp.app_context_processor(unread_notifications)

SHOW_CHOICES = ("all", "unread")
LATEST_LIMIT = 5
# Who sees the approvals page (where an approval request leads when the ticket does not).
APPROVAL_ROLES = ledger_service.TIERS


def _list_args() -> dict:
    """The list's filter and page from the query string, normalised."""
    show = request.args.get("show", "all")
    return {"show": show if show in SHOW_CHOICES else "all", "page": inputs.page_arg()}


def _destination(notification: Notification) -> str | None:
    """Where opening ``notification`` leads: its ticket when the user may see it."""
    if notification.ticket_id is not None:
        ticket = db.session.get(Ticket, notification.ticket_id)
        if ticket is not None and access.can_view_ticket(current_user, ticket):
            return url_for("tickets.detail", ticket_id=ticket.id)
    if (
        notification.kind is NotificationKind.APPROVAL_WAITING
        and notification.remedy_id is not None
        and current_user.role in APPROVAL_ROLES
    ):
        return url_for("approvals.index", _anchor=f"remedy-{notification.remedy_id}")
    return None


def _back_to_list() -> str:
    return safe_next(request.form.get("next"), url_for("notifications.index"))


@bp.route("/")
@login_required
def index():
    args = _list_args()
    page = notification_service.list_for(
        current_user, unread_only=args["show"] == "unread", page=args["page"]
    )
    if page.page > page.pages:
        return redirect(url_for("notifications.index", show=args["show"], page=page.pages))
    return render_template(
        "notifications/index.html",
        page=page,
        show=args["show"],
        here=url_for("notifications.index", **args),
    )


@bp.route("/<int:notification_id>/open", methods=["POST"], endpoint="open")
@login_required
def open_notification(notification_id: int):
    try:
        notification = notification_service.mark_read(current_user, notification_id, now=utcnow())
    except NotFound:
        abort(404)
    return redirect(_destination(notification) or _back_to_list())


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    try:
        notification_service.mark_read(current_user, notification_id, now=utcnow())
    except NotFound:
        abort(404)
    return redirect(_back_to_list())


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    notification_service.mark_all_read(current_user, now=utcnow())
    return redirect(_back_to_list())


@bp.route("/unread.json")
@login_required
def unread_json():
    count = notification_service.unread_count(current_user)
    items = notification_service.latest_unread(current_user, limit=LATEST_LIMIT)
    response = jsonify(
        {
            "unread": count,
            "unread_text": _unread_text(count),
            "items": [
                {
                    "id": n.id,
                    "kind": n.kind.value,
                    "title": n.title,
                    "body": n.body,
                    "count": n.count,
                    "created_at": n.created_at.isoformat(),
                    "url": _destination(n),
                }
                for n in items
            ],
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _unread_text(count: int) -> str:
    if not count:
        return _("No unread notifications")
    return ngettext("%(num)d unread notification", "%(num)d unread notifications", count)
