"""E-mail delivery against a real SMTP server (aiosmtpd): a resend carries the same
Message-ID, a message is claimed before it is sent, headers are made safe when queued,
and one message that cannot be sent never stops the run for the others."""

import threading
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import factories
from tests.support import Recorder
from tests.test_outbox import fresh_message, queue
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import OutboxMessage, OutboxState, Role
from ticketdesk.services.notifications import outbox

CONTROL = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))] + ["\u2028", "\u2029"]


def _headers(envelope) -> EmailMessage:
    return message_from_bytes(envelope.content, policy=policy.default)


# ------------------------------------------------------------------ at-least-once, one ID


def test_a_resend_after_a_lost_acknowledgement_carries_the_same_message_id(ctx, smtp, now):
    """The sender was killed after the server took the message but before it wrote that
    down: after the claim runs out the message goes again, as the same message."""
    server = smtp(Recorder())
    mid = queue(now)
    stored_id = fresh_message(mid).message_id
    assert stored_id.startswith("<") and stored_id.endswith("@example.test>")

    # The first sender claims it and hands it to the server, then dies.
    assert outbox._claim(mid, now)
    transport = outbox._SmtpTransport()
    transport.send(outbox._email(fresh_message(mid), now))
    transport.close()
    assert fresh_message(mid).state is OutboxState.SENDING

    later = now + timedelta(minutes=outbox.CLAIM_MINUTES, seconds=1)
    assert outbox.send_due(now=later).sent == 1
    first, second = server.messages
    assert _headers(first)["Message-ID"] == _headers(second)["Message-ID"] == stored_id
    assert fresh_message(mid).state is OutboxState.SENT


@pytest.mark.parametrize("refusals", [0, 1, 3])
def test_every_retry_carries_the_message_id_it_was_queued_with(ctx, smtp, now, refusals):
    server = smtp(Recorder(refuse=refusals))
    mid = queue(now)
    at = now
    while fresh_message(mid).state is OutboxState.QUEUED:
        outbox.send_due(now=at)
        at = (
            fresh_message(mid).next_attempt_at
            if fresh_message(mid).state is OutboxState.QUEUED
            else at
        )
    [envelope] = server.messages
    assert _headers(envelope)["Message-ID"] == fresh_message(mid).message_id
    assert fresh_message(mid).attempts == refusals + 1


@pytest.mark.parametrize(
    "after, free",
    [
        (timedelta(0), False),
        (timedelta(minutes=outbox.CLAIM_MINUTES) - timedelta(seconds=1), False),
        (timedelta(minutes=outbox.CLAIM_MINUTES), False),  # the claim's last moment
        (timedelta(minutes=outbox.CLAIM_MINUTES, microseconds=1), True),
    ],
)
def test_a_claim_holds_a_message_for_claim_minutes(ctx, now, after, free):
    mid = queue(now)
    assert outbox._claim(mid, now)
    assert outbox._claim(mid, now + after) is free


def test_two_senders_at_once_send_each_message_once(app, smtp, now):
    """Two threads run the sender over the same queue; each claims before sending."""
    server = smtp(Recorder())
    with app.app_context():
        ids = [queue(now, to=f"u{i}@example.test") for i in range(6)]
    if app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://":
        pytest.skip("one in-memory SQLite connection cannot serve two threads")
    reports = []

    def run():
        with app.app_context():
            reports.append(outbox.send_due(now=now))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(r.sent for r in reports) == len(ids)
    assert sorted(e.rcpt_tos[0] for e in server.messages) == sorted(
        f"u{i}@example.test" for i in range(6)
    )


# ------------------------------------------------------------------ headers


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=400))
def test_a_cleaned_header_has_no_control_characters_and_is_a_valid_subject(text):
    cleaned = outbox.clean_header(text)
    assert not any(c in cleaned for c in CONTROL)
    assert len(cleaned) <= outbox.SUBJECT_MAX and cleaned == cleaned.strip()
    email = EmailMessage()
    email["Subject"] = cleaned  # would raise on CR or LF
    assert "\n" not in str(email["Subject"])
    if not any(c in text for c in CONTROL) and len(text.strip()) <= outbox.SUBJECT_MAX:
        assert cleaned == text.strip()  # clean text is left as it was


@pytest.mark.parametrize(
    "subject, expected",
    [
        ("Hello\r\nBcc: victim@example.test", "Hello Bcc: victim@example.test"),
        ("Line one\nline two", "Line one line two"),
        ("Tab\tand\x00null", "Tab and null"),
        ("\r\n  leading and trailing \r\n", "leading and trailing"),
        ("Separators\u2028and\u2029more\x85next", "Separators and more next"),
        ("Ünïcode · stays — “quoted”", "Ünïcode · stays — “quoted”"),
    ],
)
def test_a_subject_is_folded_onto_one_line_when_queued(ctx, now, subject, expected):
    mid = queue(now, subject=subject)
    assert fresh_message(mid).subject == expected


def test_a_ticket_subject_with_a_line_break_still_reaches_the_assignee(ctx, smtp, now):
    server = smtp(Recorder())
    team = factories.make_team()
    agent = factories.make_user(Role.AGENT, email="ada@example.test", team_ids=(team,))
    lead = factories.make_user(Role.LEAD, team_ids=(team,))
    factories.make_ticket(
        actor_id=lead,
        team_id=team,
        assignee_id=agent,
        now=now,
        subject="Broken\r\nBcc: victim@example.test",
    )
    report = outbox.send_due(now=now)
    assert (report.sent, report.failed) == (1, 0)
    [envelope] = server.messages
    assert envelope.rcpt_tos == ["ada@example.test"]
    headers = _headers(envelope)
    assert headers["Subject"].endswith("· Broken Bcc: victim@example.test")
    assert headers["Bcc"] is None


@pytest.mark.parametrize("bad_one", [0, 1, 2])
def test_one_message_that_cannot_be_built_fails_alone(ctx, smtp, now, bad_one):
    """A row written before headers were cleaned (or by other code) has a CR/LF in its
    subject: it fails with the reason, the messages before and after it still go."""
    server = smtp(Recorder())
    ids = [queue(now, to=f"{name}@example.test") for name in "abc"]
    bad = ids[bad_one]
    with unit_of_work():
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == bad)
            .values(subject="Broken\r\nBcc: victim@example.test")
        )
    report = outbox.send_due(now=now)
    assert (report.sent, report.failed) == (2, 1)
    assert sorted(e.rcpt_tos[0] for e in server.messages) == [
        f"{name}@example.test" for i, name in enumerate("abc") if i != bad_one
    ]
    failed = fresh_message(bad)
    assert failed.state is OutboxState.FAILED and failed.attempts == 1
    assert "Cannot be built" in failed.last_error and "linefeed" in failed.last_error
    assert all(fresh_message(mid).state is OutboxState.SENT for mid in ids if mid != bad)


def test_message_ids_stay_unique_when_the_random_module_is_reseeded(ctx, now):
    """Test tools (Hypothesis) and libraries reseed ``random``; two messages queued at the
    same moment after the same seed still get different Message-IDs."""
    import random

    ids = set()
    with unit_of_work():
        for _ in range(5):
            random.seed(1)
            first = outbox.enqueue(to="a@example.test", subject="s", body="b", now=now)
            random.seed(1)
            second = outbox.enqueue(to="b@example.test", subject="s", body="b", now=now)
            ids.update({first.message_id, second.message_id})
    assert len(ids) == 10
