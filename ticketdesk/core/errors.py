"""Errors raised by services; views turn them into form errors, flashes or status codes."""


class DomainError(Exception):
    """A rule was broken. ``field`` names the form field the message belongs to."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class PermissionDenied(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class InvalidTransition(DomainError):
    status_code = 409


class Conflict(DomainError):
    """Somebody else changed the record since the user loaded it."""

    status_code = 409


class RateLimited(DomainError):
    status_code = 429
