"""The unit of work: one transaction per user action."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError

from ticketdesk.core.errors import Conflict
from ticketdesk.extensions import db

# SQLSTATEs of a transaction rolled back because of a concurrent one (PostgreSQL:
# serialization_failure, deadlock_detected). Retrying the user's action is safe.
CONCURRENCY_SQLSTATES = frozenset({"40001", "40P01"})


def _saved_at_the_same_moment() -> str:
    return _(
        "Someone else saved this record at the same moment. Nothing of yours was "
        "saved; reload and try again."
    )


def is_concurrency_failure(exc: DBAPIError) -> bool:
    """Whether the database rolled the transaction back for a concurrent one."""
    return getattr(exc.orig, "sqlstate", None) in CONCURRENCY_SQLSTATES


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be used just now (refused or dropped
    connection, locked file, timeout, full pool): trying again later may work."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (OperationalError, InterfaceError, PoolTimeout))


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit when the block finishes; roll back and re-raise on any error.

    A concurrent update caught by a version counter becomes a ``Conflict``, and so does
    a transaction the database gave up on because of a concurrent one (a deadlock or a
    serialization failure): both mean "someone else saved at the same moment".
    """
    try:
        yield
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict(_saved_at_the_same_moment()) from exc
    except DBAPIError as exc:
        db.session.rollback()
        if is_concurrency_failure(exc):
            raise Conflict(_saved_at_the_same_moment()) from exc
        raise
    except Exception:
        db.session.rollback()
        raise
