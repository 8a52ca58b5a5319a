"""The outbox against a real SMTP server started by the test (aiosmtpd): delivery,
temporary refusals with retries, permanent refusals, giving up, and the log fallback."""

import functools
import logging
from datetime import timedelta

import sqlalchemy as sa

from tests import factories
from tests.factories import load
from tests.support import Recorder
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import OutboxMessage, OutboxState, Role
from ticketdesk.services.notifications import outbox

# The stored message, read afresh from the database.
fresh_message = functools.partial(load, OutboxMessage, fresh=True)


def queue(now, *, to="mia@example.test", subject="Assigned to you: TD-000001", key=None):
    with unit_of_work():
        message = outbox.enqueue(
            to=to, subject=subject, body="Open the ticket: http://x/1", now=now, dedupe_key=key
        )
    return message.id


def test_a_queued_message_reaches_the_smtp_server_once(ctx, smtp, now):
    server = smtp(Recorder())
    mid = queue(now)
    report = outbox.send_due(now=now)
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    (envelope,) = server.messages
    assert envelope.rcpt_tos == ["mia@example.test"]
    assert envelope.mail_from == "desk@example.test"
    text = envelope.content.decode()
    assert "Subject: Assigned to you: TD-000001" in text and "Open the ticket" in text
    sent = fresh_message(mid)
    assert sent.state is OutboxState.SENT and sent.sent_at == now and sent.attempts == 1
    assert outbox.send_due(now=now + timedelta(hours=1)).total == 0
    assert len(server.messages) == 1


def test_notification_emails_go_through_the_same_outbox(ctx, smtp, now):
    server = smtp(Recorder())
    team = factories.make_team()
    agent = factories.make_user(Role.AGENT, email="ada@example.test", team_ids=(team,))
    lead = factories.make_user(Role.LEAD, team_ids=(team,))
    factories.make_ticket(actor_id=lead, team_id=team, assignee_id=agent, now=now)
    assert outbox.send_due(now=now).sent == 1
    (envelope,) = server.messages
    assert envelope.rcpt_tos == ["ada@example.test"]
    assert "/tickets/" in envelope.content.decode()


def test_a_refusing_server_is_retried_later_and_then_succeeds(ctx, smtp, now):
    server = smtp(Recorder(refuse=1))
    mid = queue(now)
    report = outbox.send_due(now=now)
    assert (report.sent, report.retried) == (0, 1)
    waiting = fresh_message(mid)
    assert waiting.state is OutboxState.QUEUED and waiting.attempts == 1
    assert waiting.next_attempt_at == now + timedelta(minutes=outbox.RETRY_MINUTES[0])
    assert "451" in waiting.last_error
    assert outbox.send_due(now=now + timedelta(seconds=30)).total == 0  # not due yet
    report = outbox.send_due(now=now + timedelta(minutes=1))
    assert report.sent == 1
    assert fresh_message(mid).state is OutboxState.SENT and fresh_message(mid).attempts == 2
    assert len(server.messages) == 1


def test_no_server_listening_is_retried_until_one_answers(ctx, smtp, now):
    mid = queue(now)
    assert outbox.send_due(now=now).retried == 1  # connection refused
    assert (
        "Error" in fresh_message(mid).last_error
        or "refused" in fresh_message(mid).last_error.lower()
    )
    server = smtp(Recorder())
    assert outbox.send_due(now=now + timedelta(minutes=1)).sent == 1
    assert len(server.messages) == 1


def test_a_permanent_refusal_fails_at_once(ctx, smtp, now):
    smtp(Recorder(refuse=5, code="550 5.1.1 No such mailbox"))
    mid = queue(now)
    report = outbox.send_due(now=now)
    assert report.failed == 1
    failed = fresh_message(mid)
    assert failed.state is OutboxState.FAILED and "550" in failed.last_error


def test_gives_up_after_the_last_retry(ctx, smtp, now):
    smtp(Recorder(refuse=100))
    mid = queue(now)
    at = now
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        report = outbox.send_due(now=at)
        assert report.total == 1, attempt
        message = fresh_message(mid)
        assert message.attempts == attempt
        if attempt < outbox.MAX_ATTEMPTS:
            assert message.state is OutboxState.QUEUED
            at = message.next_attempt_at
    assert fresh_message(mid).state is OutboxState.FAILED
    assert outbox.send_due(now=at + timedelta(days=1)).total == 0


def test_one_connection_serves_several_messages_and_a_failure_does_not_stop_the_rest(
    ctx, smtp, now
):
    server = smtp(Recorder(refuse=1))
    first, second, third = (queue(now, to=f"u{i}@example.test") for i in range(3))
    report = outbox.send_due(now=now)
    assert (report.sent, report.retried) == (2, 1)
    assert fresh_message(first).state is OutboxState.QUEUED
    assert {e.rcpt_tos[0] for e in server.messages} == {"u1@example.test", "u2@example.test"}


def test_without_smtp_messages_are_logged(ctx, app, now, caplog):
    app.config["MAIL_SERVER"] = None
    mid = queue(now, subject="Approval needed: TD-000007")
    with caplog.at_level(logging.INFO, logger="ticketdesk.outbox"):
        report = outbox.send_due(now=now)
    assert report.logged == 1
    assert fresh_message(mid).state is OutboxState.LOGGED
    assert "Approval needed: TD-000007" in caplog.text and "mia@example.test" in caplog.text
    assert "no SMTP server" in outbox.transport_description()


def test_a_claimed_message_is_not_sent_twice_until_its_claim_expires(ctx, smtp, now):
    server = smtp(Recorder())
    mid = queue(now)
    assert outbox._claim(mid, now)  # another sender took it ...
    assert not outbox._claim(mid, now)
    assert outbox.send_due(now=now).total == 0
    # ... and died: after the claim runs out the message is sent.
    later = now + timedelta(minutes=outbox.CLAIM_MINUTES, seconds=1)
    assert outbox.send_due(now=later).sent == 1
    assert len(server.messages) == 1


def test_a_dedupe_key_queues_a_message_once(ctx, now):
    first = queue(now, key="survey:42")
    second = queue(now, key="survey:42")
    assert first == second
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 1
    assert outbox.counts()[OutboxState.QUEUED] == 1
