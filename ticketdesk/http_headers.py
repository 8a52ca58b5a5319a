"""Security headers on every response, set in one place (``init_app`` registers the hook).

- ``Content-Security-Policy``: scripts, styles, fonts, images and requests from this site
  only; no inline script, inline event handler or inline style runs (page scripts live in
  ``static/`` and read their settings from ``data-`` attributes); images may also be
  ``data:`` URIs (Bootstrap's icons); no plugins; forms post only to this site; no other
  site may frame a page (``frame-ancestors 'none'``, and ``X-Frame-Options: DENY`` for
  older browsers).
- ``X-Content-Type-Options: nosniff``: browsers keep to the declared type (attachments!).
- ``Referrer-Policy``: ``no-referrer`` on pages whose address holds a secret token (the
  customer's private link, the survey link) and on the page that shows the private link;
  ``REFERRER_POLICY`` (``same-origin``) everywhere else.
- ``Strict-Transport-Security`` with ``max-age=HSTS_SECONDS`` when that is above 0, which
  only ``ProductionConfig`` sets (a year); plain-http development sends none.

A header a view set itself is kept.
"""

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

# Pages that show a token without one in their address.
TOKEN_PAGES = frozenset({"public.received"})


def holds_token() -> bool:
    """Whether the current page's address (or content) holds a customer's secret token."""
    return bool(request.view_args and "token" in request.view_args) or (
        request.endpoint in TOKEN_PAGES
    )


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault(
            "Referrer-Policy", "no-referrer" if holds_token() else app.config["REFERRER_POLICY"]
        )
        hsts = int(app.config.get("HSTS_SECONDS") or 0)
        if hsts > 0:
            headers.setdefault("Strict-Transport-Security", f"max-age={hsts}")
        return response
