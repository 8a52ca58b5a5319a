"""The unit of work: one transaction per user action."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from ticketdesk.extensions import db
from ticketdesk.services.errors import Conflict


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit when the block finishes; roll back and re-raise on any error.

    A concurrent update caught by a version counter becomes a ``Conflict``.
    """
    try:
        yield
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict(_(
            "Someone else saved this record at the same moment. Nothing of yours was "
            "saved; reload and try again."
        )) from exc
    except Exception:
        db.session.rollback()
        raise
