"""Flask-Login's user loader: the logged-in user is the user of a live server-side session."""

from ticketdesk.database import utcnow
from ticketdesk.extensions import login_manager
from ticketdesk.models import User
from ticketdesk.services.people import sessions

# Flask-Login stores ``user.get_login_id()`` (the server-side session's login id, not the
# user's id) in the session and the remember-me cookie, and hands it back to the loader.
login_manager.id_attribute = "get_login_id"


@login_manager.user_loader
def load_user(login_id: str) -> User | None:
    """The user of a live session, on every request and for the remember-me cookie."""
    return sessions.user_for(login_id, now=utcnow())
