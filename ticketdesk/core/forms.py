"""A service's error where the user reads it: on its form field, above the form, or flashed.

Every form view handles a ``DomainError`` the same way::

    try:
        service.do(...)
    except DomainError as exc:
        show_error(form, exc, "name")   # re-raises PermissionDenied: the 403 page
    else:
        return redirect(...)

``PermissionDenied`` is never a form's message (``core.errors``): both helpers raise it again,
so the application's error handler answers 403 whatever the form.
"""

from collections.abc import Mapping
from typing import Literal

from flask import flash
from wtforms import Form

from ticketdesk.core.errors import DomainError, PermissionDenied


def _refuse_permission(exc: DomainError) -> None:
    if isinstance(exc, PermissionDenied):
        raise exc


def _field(form: Form, name: str | None):
    return form._fields.get(name) if name else None


def show_error(
    form: Form,
    exc: DomainError,
    default: str | None = None,
    *,
    aliases: Mapping[str, str] | None = None,
    otherwise: Literal["form", "flash"] = "form",
) -> None:
    """Put ``exc`` on the form field it names, else on the ``default`` field.

    ``aliases`` maps a service's field name to the form's when they differ. With neither field
    the message goes above the form (``form.form_errors``), or into a flash message when
    ``otherwise="flash"`` (pages whose form shows no form-level errors). A ``PermissionDenied``
    is raised again.
    """
    _refuse_permission(exc)
    name = (aliases or {}).get(exc.field, exc.field) if exc.field else None
    field = _field(form, name)
    if field is None:
        field = _field(form, default)
    if field is not None:
        field.errors = [*field.errors, str(exc)]
    elif otherwise == "flash":
        flash(str(exc), "danger")
    else:
        form.form_errors.append(str(exc))


def flash_error(exc: DomainError, category: str = "danger") -> None:
    """Show ``exc`` as a flash message (actions that are a button, not a form to correct).
    A ``PermissionDenied`` is raised again."""
    _refuse_permission(exc)
    flash(str(exc), category)
