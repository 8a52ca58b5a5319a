"""The unread count for the bell in the navigation bar, on every page."""

import logging

from flask import g
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ticketdesk.services.notifications import notifications as notification_service

log = logging.getLogger(__name__)


def unread_notifications() -> dict:
    """``unread_notifications``: the logged-in user's unread count (None for visitors).

    One COUNT query per request, cached on ``g``; a database error (on an error page,
    for instance) hides the count instead of breaking the page.
    """
    if not getattr(current_user, "is_authenticated", False):
        return {"unread_notifications": None}
    if "unread_notifications" not in g:
        try:
            g.unread_notifications = notification_service.unread_count(current_user)
        except SQLAlchemyError:
            log.exception("Could not count unread notifications")
            g.unread_notifications = None
    return {"unread_notifications": g.unread_notifications}
