"""Error pages in the product's look, and DomainError → HTTP status."""

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest

from ticketdesk.extensions import db
from ticketdesk.core.errors import DomainError, PermissionDenied


def register_error_handlers(app: Flask) -> None:
    def page(code: int, message: str | None = None):
        return render_template(f"errors/{code}.html", message=message), code

    @app.errorhandler(PermissionDenied)
    def _permission(exc):
        return page(403, str(exc))

    @app.errorhandler(DomainError)
    def _domain(exc):
        code = exc.status_code if exc.status_code in (400, 403, 404, 409, 429) else 400
        return render_template("errors/generic.html", code=code, message=str(exc)), code

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return render_template("errors/generic.html", code=400,
                               message=exc.description), 400

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
        return render_template("errors/generic.html", code=413,
                               message=None, too_large=True), 413

    @app.errorhandler(500)
    def _server_error(exc):
        db.session.rollback()
        app.logger.error("Server error on %s", request.path)
        return page(500)
