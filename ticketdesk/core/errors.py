"""Errors raised by services on purpose.

``DomainError`` is the base: a rule was broken, and ``message`` says which in words for the
user. The classes split in two:

- **refusals of the request as a whole**: ``PermissionDenied`` (the actor may not do this,
  whatever they typed). It never goes on a form field; a view lets it through to the 403 page.
- **errors about the input or the record's state**: a plain ``DomainError`` (a value the user
  can fix; ``field`` names the form field it belongs to), ``InvalidTransition`` (the record is
  no longer in a state that allows this), ``NotFound`` (the thing named does not exist; a
  reference typed in a form is a field error), ``Conflict`` (somebody else changed the record
  since the user loaded it) and ``RateLimited`` (too many attempts for now). A form view shows
  these on their field, or above the form when they name none (``core.forms``).

Services know nothing of HTTP: the status and page each class gets when no view handled it
is decided in one place, ``ticketdesk.errors``.
"""


class DomainError(Exception):
    """A rule was broken. ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class PermissionDenied(DomainError):
    """The actor may not do this: never a form field's message."""


class NotFound(DomainError):
    """The record named (by id, link or a reference typed in a form) does not exist."""


class InvalidTransition(DomainError):
    """The record's state does not allow this action (any more)."""


class Conflict(DomainError):
    """Somebody else changed the record since the user loaded it."""


class RateLimited(DomainError):
    """Too many attempts in a short time; the same request may work later."""
