"""The outbox page for administrators: the list with its filters, counts and pages, one
message's headers and rendered bodies, putting a message back in the queue (the rules, the
audit, real SMTP afterwards), who may see any of it, and escaping of hostile content."""

import functools
import html as html_lib
import logging
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.factories import load
from tests.support import Recorder
from ticketdesk.core.errors import InvalidTransition, NotFound, PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.http_headers import CONTENT_SECURITY_POLICY
from ticketdesk.models import MailPurpose, OutboxMessage, OutboxState, Role, Ticket, User
from ticketdesk.services.notifications import outbox

NON_ADMIN_ROLES = (Role.AGENT, Role.ACCOUNT_MANAGER, Role.LEAD)

# The stored message, read afresh from the database.
fresh_message = functools.partial(load, OutboxMessage, fresh=True)


# ----------------------------------------------------------------- helpers


def add_message(
    now,
    *,
    to="kim@customer.example",
    subject="[TD-000001] Your complaint",
    body="Dear Kim,\nthank you.",
    state=OutboxState.QUEUED,
    purpose=MailPurpose.NOTIFICATION,
    **fields,
) -> int:
    """A message as the outbox stores it (queued through ``_enqueue``), then set to
    ``state`` and the other ``fields`` as a run of the sender or a bounce would."""
    with unit_of_work():
        message = outbox.enqueue(to=to, subject=subject, body=body, now=now)
        message.state, message.purpose = state, purpose
        for name, value in fields.items():
            setattr(message, name, value)
    return message.id


def _delete_all_messages() -> None:
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()


class _Elements(HTMLParser):
    """Every element's attributes and the text inside elements with an id."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, dict] = {}
        self.text: dict[str, str] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.by_id[attributes["id"]] = {"tag": tag, **attributes}
            if tag not in ("input", "iframe"):
                self._open.append(attributes["id"])
                self.text[attributes["id"]] = ""

    def handle_endtag(self, tag):
        if self._open and self.by_id[self._open[-1]]["tag"] == tag:
            self._open.pop()

    def handle_data(self, data):
        for element_id in self._open:
            self.text[element_id] += data


def elements(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    return parser


# ----------------------------------------------------------------- who may see it


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_every_other_role_gets_403_on_every_outbox_page(app, build, make_user, login, now, role):
    mid = build(add_message, now, state=OutboxState.FAILED, last_error="550 No such user")
    client = login(make_user(role))
    assert client.get("/admin/outbox").status_code == 403
    assert client.get("/admin/outbox?state=failed").status_code == 403
    assert client.get(f"/admin/outbox/{mid}").status_code == 403
    assert client.post(f"/admin/outbox/{mid}/retry").status_code == 403
    assert build(lambda: fresh_message(mid).state) is OutboxState.FAILED


def test_visitors_are_sent_to_the_login_page(app, build, client, now):
    mid = build(add_message, now, state=OutboxState.FAILED)
    for response in (
        client.get("/admin/outbox"),
        client.get(f"/admin/outbox/{mid}"),
        client.post(f"/admin/outbox/{mid}/retry"),
    ):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert build(lambda: fresh_message(mid).state) is OutboxState.FAILED


@pytest.mark.parametrize("who", ["agent", "account_manager", "lead", "deactivated admin"])
def test_the_service_checks_the_actor_itself(ctx, now, who):
    actor = load(
        User,
        factories.make_user(Role.ADMIN, active=False)
        if who == "deactivated admin"
        else factories.make_user(Role(who)),
    )
    mid = add_message(now, state=OutboxState.FAILED)
    calls = [
        lambda: outbox.list_messages(actor=actor),
        lambda: outbox.state_counts(actor=actor),
        lambda: outbox.get_message(mid, actor=actor),
        lambda: outbox.preview(fresh_message(mid), actor=actor),
        lambda: outbox.retry(mid, actor=actor, now=now),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert fresh_message(mid).state is OutboxState.FAILED and fresh_message(mid).retried_at is None


def test_the_admin_navigation_links_the_outbox(ac, make_user, login):
    assert 'href="/admin/outbox"' in ac.get("/admin/users").get_data(as_text=True)
    lead = login(make_user(Role.LEAD))
    assert 'href="/admin/outbox"' not in lead.get("/notifications/").get_data(as_text=True)


# ----------------------------------------------------------------- the list


def test_the_list_shows_every_message_newest_first_with_its_details(ac, build, now):
    lead = build(factories.make_user, Role.LEAD)
    ticket_id = build(factories.make_ticket, actor_id=lead, now=now)
    reference = build(lambda: db.session.get(Ticket, ticket_id).reference)
    build(_delete_all_messages)
    old = build(add_message, now, subject="Old one", state=OutboxState.SENT)
    failed = build(
        add_message,
        now + timedelta(minutes=1),
        subject="Refused one",
        state=OutboxState.FAILED,
        attempts=6,
        last_error="550 5.1.1 No such user",
        purpose=MailPurpose.REPLY,
        ticket_id=ticket_id,
        cc_addresses="boss@customer.example",
    )
    bounced = build(
        add_message,
        now + timedelta(minutes=2),
        subject="Bounced one",
        state=OutboxState.BOUNCED,
        bounced_at=now + timedelta(hours=1),
        purpose=MailPurpose.ACKNOWLEDGEMENT,
        attempts=1,
    )

    page = ac.get("/admin/outbox").get_data(as_text=True)
    rows = re.findall(r'<tr id="message-(\d+)">', page)
    assert rows == [str(bounced), str(failed), str(old)]
    found = elements(page)
    refused = re.sub(r"\s+", " ", found.text[f"message-{failed}"])
    for shown in (
        "Failed",
        "Reply",
        "kim@customer.example",
        "boss@customer.example",
        "Refused one",
        reference,
        " 6 ",
        "550 5.1.1 No such user",
    ):
        assert shown in refused, shown
    assert "Bounced" in found.text[f"message-{bounced}"]
    assert "Acknowledgement" in found.text[f"message-{bounced}"]
    assert "3 messages, newest first" in page


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", {"queued", "sent", "failed-reply", "failed-survey", "withheld"}),
        ("?state=failed", {"failed-reply", "failed-survey"}),
        ("?purpose=reply", {"failed-reply"}),
        ("?state=failed&purpose=survey", {"failed-survey"}),
        ("?state=bounced", set()),
        (
            "?state=nonsense&purpose=%3Cx%3E",
            {"queued", "sent", "failed-reply", "failed-survey", "withheld"},
        ),  # unknown values: no filter
    ],
)
def test_filters_by_state_and_purpose(ac, build, now, query, expected):
    made = {
        "queued": build(add_message, now, subject="queued"),
        "sent": build(add_message, now, subject="sent", state=OutboxState.SENT),
        "failed-reply": build(
            add_message,
            now,
            subject="failed-reply",
            state=OutboxState.FAILED,
            purpose=MailPurpose.REPLY,
        ),
        "failed-survey": build(
            add_message,
            now,
            subject="failed-survey",
            state=OutboxState.FAILED,
            purpose=MailPurpose.SURVEY,
        ),
        "withheld": build(add_message, now, subject="withheld", state=OutboxState.WITHHELD),
    }
    response = ac.get(f"/admin/outbox{query}")
    assert response.status_code == 200
    shown = {
        int(i) for i in re.findall(r'<tr id="message-(\d+)">', response.get_data(as_text=True))
    }
    assert shown == {made[name] for name in expected}


def test_counts_per_state_follow_the_purpose_filter(ac, build, now):
    for state, purpose, n in (
        (OutboxState.QUEUED, MailPurpose.REPLY, 2),
        (OutboxState.FAILED, MailPurpose.REPLY, 1),
        (OutboxState.FAILED, MailPurpose.SURVEY, 3),
        (OutboxState.LOGGED, MailPurpose.NOTIFICATION, 1),
    ):
        for _ in range(n):
            build(add_message, now, state=state, purpose=purpose)

    def counts(query: str) -> dict[str, int]:
        page = ac.get(f"/admin/outbox{query}").get_data(as_text=True)
        found = elements(page)
        return {
            state.value: int(found.text[f"count-{state.value}"].split()[-1])
            for state in OutboxState
        }

    everything = counts("")
    assert everything == {
        "queued": 2,
        "sending": 0,
        "sent": 0,
        "logged": 1,
        "failed": 4,
        "withheld": 0,
        "bounced": 0,
    }
    assert counts("?purpose=reply")["failed"] == 1
    assert counts("?purpose=survey") == {**{s.value: 0 for s in OutboxState}, "failed": 3}


def test_the_list_is_paged(ac, build, now):
    for minute in range(outbox.PAGE_SIZE + 5):
        build(add_message, now + timedelta(minutes=minute), subject=f"m{minute}")
    first = ac.get("/admin/outbox").get_data(as_text=True)
    second = ac.get("/admin/outbox?page=2").get_data(as_text=True)
    assert len(re.findall(r'<tr id="message-', first)) == outbox.PAGE_SIZE
    assert len(re.findall(r'<tr id="message-', second)) == 5
    assert ">m54<" in first and ">m0<" in second  # newest first, oldest last
    assert "page=2" in first
    past = ac.get("/admin/outbox?page=9&state=queued")
    assert past.status_code == 302 and "page=2" in past.headers["Location"]
    assert ac.get("/admin/outbox?page=x").status_code == 200


# ----------------------------------------------------------------- one message


def test_the_message_page_shows_headers_text_and_the_html_in_a_sandbox(ac, build, now):
    html_body = '<p style="color:red">Dear Kim,</p><p>We are <b>sorry</b>.</p>'
    mid = build(
        add_message,
        now,
        body="Dear Kim,\nwe are sorry.",
        html_body=html_body,
        state=OutboxState.SENT,
        sent_at=now,
        cc_addresses="boss@customer.example",
    )
    message_id = build(lambda: fresh_message(mid).message_id)
    response = ac.get(f"/admin/outbox/{mid}")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    found = elements(response.get_data(as_text=True))
    headers = found.text["message-headers"]
    assert f"Message-ID: {message_id}" in headers
    assert "To: kim@customer.example" in headers
    assert "Subject: [TD-000001] Your complaint" in headers
    assert found.text["message-text"] == "Dear Kim,\nwe are sorry."
    frame = found.by_id["message-html"]
    assert frame["tag"] == "iframe" and frame["sandbox"] == ""  # no allow-* at all
    assert frame["srcdoc"] == html_body
    assert "retry-button" not in found.by_id  # a sent one: no retry


def test_a_plain_text_message_says_it_has_no_html(ac, build, now):
    mid = build(add_message, now, state=OutboxState.FAILED)
    found = elements(ac.get(f"/admin/outbox/{mid}").get_data(as_text=True))
    assert "message-html" not in found.by_id and "message-no-html" in found.by_id
    assert "retry-button" in found.by_id


def test_a_message_that_cannot_be_built_says_why_instead_of_headers(ac, build, now):
    mid = build(
        add_message,
        now,
        state=OutboxState.FAILED,
        to_address="kim@customer.example\r\nBcc: spy@evil.example",
    )
    response = ac.get(f"/admin/outbox/{mid}")
    assert response.status_code == 200
    page = html_lib.unescape(response.get_data(as_text=True))
    assert "This message cannot be built: ValueError" in page
    assert "message-headers" not in elements(response.get_data(as_text=True)).by_id


def test_a_missing_message_is_404(ac):
    assert ac.get("/admin/outbox/999999").status_code == 404
    assert ac.post("/admin/outbox/999999/retry").status_code == 404


HOSTILE = [
    '<script>alert("subject")</script>',
    '"><img src=x onerror=alert(1)>',
    "</pre><script>alert(1)</script><pre>",
    "</iframe><script>alert(2)</script>",
    "&lt;already escaped&gt; & ampersands",
    "Ünïcödé 投诉 \u202eevil",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_subjects_and_bodies_are_shown_as_text(ac, build, now, text):
    mid = build(
        add_message,
        now,
        subject=text,
        body=text,
        html_body=text,
        to="x@example.test",
        state=OutboxState.FAILED,
        last_error=text[:500],
    )
    for page in (
        ac.get("/admin/outbox").get_data(as_text=True),
        ac.get(f"/admin/outbox/{mid}").get_data(as_text=True),
    ):
        assert "<script>alert" not in page and "<img src=x" not in page
    found = elements(ac.get(f"/admin/outbox/{mid}").get_data(as_text=True))
    assert found.text["message-subject"] == text
    assert found.text["message-text"] == text
    assert found.text["message-error"] == text[:500]
    assert found.by_id["message-html"]["srcdoc"] == text  # whole, inside the attribute


# Any text a database stores (no NUL, no lone surrogates).
_TEXT = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(subject=st.text(_TEXT, max_size=80), body=st.text(_TEXT, max_size=300))
def test_any_subject_and_body_round_trip_through_the_page(ac, build, now, subject, body):
    mid = build(add_message, now, subject=subject, body=body, html_body=body or None)
    stored = build(lambda: (fresh_message(mid).subject, fresh_message(mid).body))
    response = ac.get(f"/admin/outbox/{mid}")
    assert response.status_code == 200
    found = elements(response.get_data(as_text=True))

    # The page shows exactly what is stored (the subject as cleaned when queued); HTML
    # parsing turns CR and CRLF into LF, as browsers do.
    def normal(text: str) -> str:
        return text.replace("\r\n", "\n").replace("\r", "\n")

    if stored[0]:
        assert normal(found.text["message-subject"]) == normal(stored[0])
    assert normal(found.text["message-text"]) == normal(stored[1])
    if body:
        assert normal(found.by_id["message-html"]["srcdoc"]) == normal(body)


# ----------------------------------------------------------------- development: no SMTP


def test_without_smtp_messages_are_kept_and_shown_in_full(app, ac, build, now):
    assert not app.config.get("MAIL_SERVER")
    mid = build(
        add_message,
        now,
        body="Your reference is TD-000042.\nRead it here: http://x/1",
        html_body="<p>Your reference is <b>TD-000042</b>.</p>",
    )
    report = build(lambda: outbox.send_due(now=now))
    assert report.logged == 1
    assert build(lambda: fresh_message(mid).state) is OutboxState.LOGGED

    listing = elements(ac.get("/admin/outbox").get_data(as_text=True))
    assert "No SMTP server is configured" in listing.text["outbox-transport"]
    assert "Not sent (no SMTP server)" in listing.text[f"message-{mid}"]
    found = elements(ac.get(f"/admin/outbox/{mid}").get_data(as_text=True))
    assert found.text["message-text"] == "Your reference is TD-000042.\nRead it here: http://x/1"
    assert found.by_id["message-html"]["srcdoc"] == "<p>Your reference is <b>TD-000042</b>.</p>"
    assert "retry-button" not in found.by_id


def test_with_smtp_the_page_names_the_server(app, ac):
    app.config.update(MAIL_SERVER="smtp.example.test", MAIL_PORT=587)
    found = elements(ac.get("/admin/outbox").get_data(as_text=True))
    assert "SMTP smtp.example.test:587" in found.text["outbox-transport"]
    assert "No SMTP server" not in found.text["outbox-transport"]


# ----------------------------------------------------------------- retry: the rules

RETRY_TABLE = [
    (OutboxState.QUEUED, False),
    (OutboxState.SENDING, False),
    (OutboxState.SENT, False),
    (OutboxState.LOGGED, False),
    (OutboxState.FAILED, True),
    (OutboxState.BOUNCED, True),
    (OutboxState.WITHHELD, True),
]


def test_the_retry_table_covers_every_state():
    assert sorted(state for state, _ in RETRY_TABLE) == sorted(OutboxState)
    assert {state for state, allowed in RETRY_TABLE if allowed} == set(outbox.RETRYABLE)


@pytest.mark.parametrize("state, allowed", RETRY_TABLE)
def test_retry_rules(ctx, now, state, allowed):
    admin = load(User, factories.make_user(Role.ADMIN, email="ops@desk.example"))
    mid = add_message(
        now - timedelta(days=1),
        state=state,
        attempts=6,
        last_error="550 5.1.1 No such user",
        sent_at=now - timedelta(hours=2)
        if state in (OutboxState.SENT, OutboxState.BOUNCED)
        else None,
        bounced_at=now - timedelta(hours=1) if state is OutboxState.BOUNCED else None,
        claimed_until=now + timedelta(minutes=3) if state is OutboxState.SENDING else None,
    )
    before = fresh_message(mid)
    snapshot = {c.key: getattr(before, c.key) for c in OutboxMessage.__table__.columns}
    if not allowed:
        with pytest.raises(InvalidTransition):
            outbox.retry(mid, actor=admin, now=now)
        after = fresh_message(mid)
        assert {c.key: getattr(after, c.key) for c in OutboxMessage.__table__.columns} == snapshot
        return
    outbox.retry(mid, actor=admin, now=now)
    after = fresh_message(mid)
    assert after.state is OutboxState.QUEUED
    assert (after.attempts, after.next_attempt_at, after.claimed_until) == (0, now, None)
    assert (after.sent_at, after.bounced_at) == (None, None)
    assert (after.retried_at, after.retried_by_id) == (now, admin.id)
    assert after.message_id == snapshot["message_id"]  # the same message
    assert "ops@desk.example" in after.last_error and state.value in after.last_error
    assert "550 5.1.1 No such user" in after.last_error
    # Once back in the queue it cannot be put back again.
    with pytest.raises(InvalidTransition):
        outbox.retry(mid, actor=admin, now=now + timedelta(seconds=1))


def test_retry_of_a_missing_message_is_not_found(ctx, now):
    admin = load(User, factories.make_user(Role.ADMIN))
    with pytest.raises(NotFound):
        outbox.retry(424242, actor=admin, now=now)


def test_retry_is_written_to_the_log_with_who_and_when(ctx, now, caplog):
    admin = load(User, factories.make_user(Role.ADMIN, email="ops@desk.example"))
    mid = add_message(now, state=OutboxState.BOUNCED, last_error="Mailbox full")
    with caplog.at_level(logging.INFO, logger="ticketdesk.outbox"):
        outbox.retry(mid, actor=admin, now=now)
    (line,) = [r.getMessage() for r in caplog.records if "put back in the queue" in r.getMessage()]
    assert f"E-mail {mid} " in line and "ops@desk.example" in line and f"user {admin.id}" in line
    assert now.isoformat(timespec="seconds") in line and "bounced: Mailbox full" in line


# ----------------------------------------------------------------- retry: over HTTP, real SMTP


def test_a_failed_message_sent_again_reaches_the_smtp_server(app, ac, admin, build, smtp, now):
    server = smtp(Recorder())
    mid = build(
        add_message,
        now - timedelta(days=1),
        state=OutboxState.FAILED,
        attempts=6,
        last_error="550 5.1.1 No such user",
    )
    response = ac.post(f"/admin/outbox/{mid}/retry")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/outbox/{mid}")
    page = ac.get(response.headers["Location"]).get_data(as_text=True)
    assert "back in the queue" in page
    assert elements(page).text["message-state"] == "Queued"

    # The view puts it back due at the real present, so the sender runs at that time too.
    report = build(lambda: outbox.send_due(now=utcnow()))
    assert report.sent == 1
    (envelope,) = server.messages
    assert envelope.rcpt_tos == ["kim@customer.example"]
    sent = build(
        lambda: (
            fresh_message(mid).state,
            fresh_message(mid).attempts,
            fresh_message(mid).last_error,
            fresh_message(mid).retried_by_id,
        )
    )
    assert sent == (OutboxState.SENT, 1, "", admin)
    # Sent: the audit stays on the page, and there is nothing to retry any more.
    found = elements(ac.get(f"/admin/outbox/{mid}").get_data(as_text=True))
    assert "root@desk.example" in found.text["message-retried"]
    assert "retry-button" not in found.by_id


def test_retry_of_a_message_in_another_state_says_why(ac, build, now):
    mid = build(add_message, now, state=OutboxState.SENT, sent_at=now)
    response = ac.post(f"/admin/outbox/{mid}/retry", follow_redirects=True)
    assert response.status_code == 200
    assert "Only a failed, bounced or withheld message can be sent again" in html_lib.unescape(
        response.get_data(as_text=True)
    )
    assert build(lambda: fresh_message(mid).state) is OutboxState.SENT


def test_retry_needs_the_csrf_token(app, ac, build, now):
    app.config["WTF_CSRF_ENABLED"] = True
    mid = build(add_message, now, state=OutboxState.FAILED)
    assert ac.post(f"/admin/outbox/{mid}/retry").status_code == 400
    assert build(lambda: fresh_message(mid).state) is OutboxState.FAILED
    page = ac.get(f"/admin/outbox/{mid}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert ac.post(f"/admin/outbox/{mid}/retry", data={"csrf_token": csrf}).status_code == 302
    assert build(lambda: fresh_message(mid).state) is OutboxState.QUEUED


def test_a_withheld_message_is_checked_again_when_it_is_sent(ctx, smtp, now):
    server = smtp(Recorder())
    admin = load(User, factories.make_user(Role.ADMIN))
    team = factories.make_team()
    agent = factories.make_user(Role.AGENT, email="ada@example.test", team_ids=(team,))
    lead = factories.make_user(Role.LEAD, team_ids=(team,))
    factories.make_ticket(actor_id=lead, team_id=team, assignee_id=agent, now=now)
    (mid,) = db.session.scalars(
        sa.select(OutboxMessage.id).where(OutboxMessage.to_address == "ada@example.test")
    )
    load(User, agent).active = False
    db.session.commit()
    assert outbox.send_due(now=now).withheld == 1

    # Put back while the agent is still deactivated: withheld again, nothing sent.
    outbox.retry(mid, actor=admin, now=now + timedelta(minutes=1))
    assert outbox.send_due(now=now + timedelta(minutes=1)).withheld == 1
    assert fresh_message(mid).state is OutboxState.WITHHELD and server.messages == []

    # Active again: the next retry goes out.
    load(User, agent).active = True
    db.session.commit()
    outbox.retry(mid, actor=admin, now=now + timedelta(minutes=2))
    assert outbox.send_due(now=now + timedelta(minutes=2)).sent == 1
    assert [e.rcpt_tos for e in server.messages] == [["ada@example.test"]]


# ----------------------------------------------------------------- in a real browser


@pytest.mark.browser
def test_the_html_version_renders_in_chromium_and_runs_nothing(tmp_path):
    """Headless Chromium under the site's Content-Security-Policy: the HTML version shows
    in its sandboxed frame, its scripts and event handlers never run, nothing else on the
    page is refused by the policy."""
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    import os

    from playwright.sync_api import expect, sync_playwright

    from tests.live_server import live_server
    from ticketdesk import create_app
    from ticketdesk.settings import TestingConfig

    class BrowserConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = (
            os.environ.get("TICKETDESK_TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'browser.db'}"
        )
        WTF_CSRF_ENABLED = True

    hostile_html = (
        "<h1>We are sorry, Kim</h1><p>Your refund is on its way.</p>"
        "<script>parent.document.title = 'ran'; document.title = 'ran';</script>"
        "<img src=x onerror=\"parent.document.title = 'ran'\">"
        "<form action='https://evil.example/'><button id=go>Go</button></form>"
    )
    app = create_app(BrowserConfig)
    with app.app_context():
        factories.prepare_database()
        factories.make_user(Role.ADMIN, email="root@desk.example")
        mid = add_message(
            factories.utcnow(),
            subject="<b>Refund</b> on its way",
            html_body=hostile_html,
            state=OutboxState.FAILED,
        )
    console: list[str] = []
    try:
        with live_server(app) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            try:
                page = browser.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.on("console", lambda m: console.append(m.text))
                page.goto(f"{base}/login")
                page.get_by_label("E-mail").fill("root@desk.example")
                page.get_by_label("Password").fill(factories.PASSWORD)
                page.get_by_role("button", name="Log in").click()
                page.goto(f"{base}/admin/outbox/{mid}")
                expect(page.locator("#message-subject")).to_have_text("<b>Refund</b> on its way")
                frame = page.frame_locator("#message-html")
                expect(frame.get_by_role("heading", name="We are sorry, Kim")).to_be_visible()
                page.wait_for_timeout(300)  # time for a script that would run
                assert page.title() != "ran"
                assert (
                    page.evaluate("document.getElementById('message-html').contentDocument") is None
                )  # an opaque origin: the page cannot reach in
                # Sending it again from the page, with the real CSRF token.
                page.get_by_role("button", name="Send again").click()
                expect(page.locator("#message-state")).to_have_text("Queued")
            finally:
                browser.close()
    finally:
        with app.app_context():
            factories.release_database()
    assert not [m for m in console if "Content Security Policy" in m]
    assert any("sandboxed" in m for m in console)  # the scripts were refused
