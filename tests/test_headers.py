"""Security headers on every kind of response, and pages without inline script or style.

The headers come from one after_request hook (ticketdesk/http_headers.py); the CSP lets
no inline script, inline event handler or inline style run, so the pages must carry none.
"""

import io
import re
from html.parser import HTMLParser

import pytest
from werkzeug.datastructures import FileStorage

from tests import factories
from ticketdesk import create_app
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.http_headers import CONTENT_SECURITY_POLICY
from ticketdesk.models import Role, Ticket, TicketStatus, User
from ticketdesk.services.recovery import surveys
from ticketdesk.services.tickets import conversation, workflow
from ticketdesk.settings import DevelopmentConfig, ProductionConfig, TestingConfig

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


def _world():
    now = utcnow()
    team = factories.make_team("Orders")
    lead = factories.make_user(Role.LEAD, team_ids=(team,))
    agent = factories.make_user(Role.AGENT, team_ids=(team,))
    admin = factories.make_user(Role.ADMIN)
    ticket = factories.load(
        Ticket,
        factories.make_ticket(
            actor_id=lead,
            now=now,
            subject="Two bags short",
            description="Ordered 22 cosmetic bags, 20 arrived.",
            contact="Mia Wong",
            contact_email="mia@example.test",
            team_id=team,
            assignee_id=lead,
        ),
    )
    event = conversation.add_note(
        ticket,
        actor=db.session.get(User, lead),
        body="Photo",
        now=now,
        uploads=[FileStorage(io.BytesIO(PNG), filename="photo.png")],
    )
    workflow.change_status(
        ticket,
        actor=db.session.get(User, lead),
        status=TicketStatus.RESOLVED,
        expected_version=None,
        now=now,
    )
    survey = surveys.latest_for([ticket.id])[ticket.id]
    return {
        "lead": lead,
        "agent": agent,
        "admin": admin,
        "ticket": ticket.id,
        "customer": ticket.customer_id,
        "token": ticket.public_token,
        "survey": surveys.token_for(survey),
        "attachment": event.attachments[0].id,
    }


@pytest.fixture
def world(build):
    return build(_world)


STAFF_PAGES = [
    "/tickets/",
    "/tickets/{ticket}",
    "/tickets/new",
    "/customers/",
    "/customers/{customer}",
    "/approvals/",
    "/ledger/",
    "/playbooks/",
    "/playbooks/new",
    "/routing/",
    "/sla/",
    "/dashboard/",
    "/dashboard/tickets?measure=in",
    "/notifications/",
    "/recovery/rules",
    "/recovery/loyalty",
    "/accounts/",
    "/accounts/outcomes",
    "/settings",
]

# (who, address, expected status, does the address hold a token?) for every kind of response.
PAGES = [
    *[("lead", path, 200, False) for path in STAFF_PAGES],
    *[
        ("admin", path, 200, False)
        for path in ("/admin/users", "/admin/teams", "/admin/categories")
    ],
    ("lead", "/notifications/unread.json", 200, False),
    ("lead", "/dashboard/summary.csv?days=30", 200, False),  # CSV download
    ("lead", "/tickets/attachments/{attachment}", 200, False),  # attachment
    ("lead", "/dashboard/?days=0", 400, False),  # 400 page
    ("agent", "/dashboard/", 403, False),  # 403 page
    ("lead", "/tickets/999999", 404, False),  # 404 page
    (None, "/no-such-page", 404, False),
    (None, "/login", 200, False),
    (None, "/complain", 200, False),  # public form
    (None, "/complain/t/{token}", 200, True),  # private link
    (None, "/complain/t/not-a-token", 404, True),
    (None, "/survey/{survey}", 200, True),  # survey link
    (None, "/survey/not-a-token", 404, True),
    (None, "/static/app.css", 200, False),  # static files
    (None, "/static/notifications.js", 200, False),
    (None, "/static/vendor/bootstrap/bootstrap.min.css", 200, False),
]


class _InlineFinder(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, handlers and styles."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not names.get("src"):
                self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:…>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append("inline script text")


def _inline(html: str) -> list[str]:
    finder = _InlineFinder()
    finder.feed(html)
    return finder.found


@pytest.mark.parametrize(
    ("who", "path", "status", "token_page"),
    PAGES,
    ids=[f"{who or 'anonymous'}:{path}" for who, path, _s, _t in PAGES],
)
def test_every_kind_of_response_carries_the_security_headers(
    world, client, login, who, path, status, token_page
):
    if who is not None:
        login(world[who])
    resp = client.get(path.format(**world))
    assert resp.status_code == status
    h = resp.headers
    csp = h["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    if path.startswith("/tickets/attachments/"):
        # Uploaded files get a stricter policy of their own: nothing runs at all.
        assert "default-src 'none'" in csp and "sandbox" in csp
    else:
        assert csp == CONTENT_SECURITY_POLICY
    assert h["X-Frame-Options"] == "DENY"
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == ("no-referrer" if token_page else "same-origin")
    assert "Strict-Transport-Security" not in h  # not on plain-http testing
    if resp.mimetype == "text/html":
        assert _inline(resp.get_data(as_text=True)) == []


def test_the_policy_allows_nothing_inline():
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    for name in ("script-src", "style-src", "default-src"):
        assert directives[name] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


def test_the_page_that_shows_the_private_link_sends_no_referrer(client):
    form = {
        "name": "Mia Wong",
        "email": "mia@home.example",
        "description": "Two bags short.",
        "category_id": "0",
    }
    resp = client.post("/complain", data=form)
    assert resp.status_code == 302
    page = client.get(resp.location)
    assert "/complain/t/" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"


TEMPLATE_DIR = __import__("pathlib").Path(__file__).resolve().parent.parent / "templates"


# E-mail bodies (templates/email/) are not pages: mail clients ignore style sheets, so
# they carry inline styles, and no page of ours serves them (the outbox page shows them
# in a sandboxed frame that runs no script).
PAGE_TEMPLATES = sorted(
    p.relative_to(TEMPLATE_DIR).as_posix()
    for p in TEMPLATE_DIR.rglob("*.html")
    if p.relative_to(TEMPLATE_DIR).parts[0] != "email"
)


@pytest.mark.parametrize("template", PAGE_TEMPLATES)
def test_templates_hold_no_inline_script_or_style(template):
    text = (TEMPLATE_DIR / template).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
    assert not re.search(r"<style\b", text), template
    assert not re.search(r"<[^>]*\s(on[a-z]+|style)\s*=", text), template


@pytest.mark.parametrize(
    ("config", "hsts"),
    [
        (TestingConfig, None),
        (DevelopmentConfig, None),
        (ProductionConfig, "max-age=31536000"),
    ],
)
def test_hsts_only_in_production(config, hsts):
    class Config(config):
        SECRET_KEY = "x" * 64
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with create_app(Config).test_client().get("/static/app.css") as resp:
        assert resp.headers.get("Strict-Transport-Security") == hsts


def test_the_server_error_page_carries_the_headers_too(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom():
        raise RuntimeError("boom")

    app.add_url_rule("/boom", "boom", boom)
    resp = app.test_client().get("/boom")
    assert resp.status_code == 500
    assert resp.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["Referrer-Policy"] == "same-origin"
