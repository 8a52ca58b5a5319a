"""Error pages in the product's look, and each DomainError class → its HTTP status and page."""

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest

from ticketdesk.core.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from ticketdesk.extensions import db

# The one mapping of a service's error to HTTP: the status and page of a DomainError that no
# view handled (a form view shows most of them on the form instead: ``core.forms``), and the
# status a view gives a form it shows one on. The closest class in the error's ancestry wins.
ERROR_PAGES: dict[type[DomainError], tuple[int, str]] = {
    PermissionDenied: (403, "errors/403.html"),
    NotFound: (404, "errors/generic.html"),
    InvalidTransition: (409, "errors/generic.html"),
    Conflict: (409, "errors/generic.html"),
    RateLimited: (429, "errors/generic.html"),
    DomainError: (400, "errors/generic.html"),
}


def _page_for(exc: DomainError) -> tuple[int, str]:
    return next(ERROR_PAGES[cls] for cls in type(exc).__mro__ if cls in ERROR_PAGES)


def http_status(exc: DomainError) -> int:
    """The HTTP status of a service's error (400 for a broken rule, 403, 404, 409 or 429)."""
    return _page_for(exc)[0]


def register_error_handlers(app: Flask) -> None:
    def page(code: int, message: str | None = None):
        return render_template(f"errors/{code}.html", message=message), code

    @app.errorhandler(DomainError)
    def _domain(exc):
        code, template = _page_for(exc)
        return render_template(template, code=code, message=str(exc)), code

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return render_template("errors/generic.html", code=400, message=exc.description), 400

    @app.errorhandler(400)
    def _bad_request(exc):
        # abort(400, description=...) names what was wrong with the request.
        message = exc.description if exc.description != BadRequest.description else None
        return render_template("errors/generic.html", code=400, message=message), 400

    @app.errorhandler(403)
    def _forbidden(exc):
        return page(403)

    @app.errorhandler(404)
    def _not_found(exc):
        return page(404)

    @app.errorhandler(413)
    def _too_large(exc):
        return render_template("errors/generic.html", code=413, message=None, too_large=True), 413

    @app.errorhandler(500)
    def _server_error(exc):
        db.session.rollback()
        app.logger.error("Server error on %s", request.path)
        return page(500)
