"""The operator commands: notify run-due, outbox send/status/transport, seed-routing."""

import logging
import smtplib
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from tests.factories import load
from ticketdesk.core.uow import unit_of_work
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import (
    Notification,
    NotificationKind,
    OutboxMessage,
    OutboxState,
    Role,
    RoutingRule,
    StepKind,
)
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.playbooks.engine import PlaybookSpec, StepSpec


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _queue(
    subject: str = "Assigned to you: TD-000001", to: str = "alex@desk.example", **kwargs
) -> int:
    """Queue one e-mail that is due now (needs an app context)."""
    message = OutboxMessage(
        to_address=to,
        subject=subject,
        body="Open the ticket: http://x/1",
        state=OutboxState.QUEUED,
        attempts=0,
        next_attempt_at=utcnow() - timedelta(minutes=1),
        last_error="",
        **kwargs,
    )
    db.session.add(message)
    db.session.commit()
    return message.id


# ----------------------------------------------------------------- seed-routing


def test_seed_routing_adds_the_default_rules_once(runner, build):
    result = runner.invoke(args=["seed-routing"])
    assert result.exit_code == 0, result.output
    rules = build(lambda: db.session.scalar(sa.select(sa.func.count(RoutingRule.id))))
    assert rules > 0
    assert result.output == f"Added {rules} default routing rules.\n"

    again = runner.invoke(args=["seed-routing"])
    assert again.exit_code == 0
    assert again.output.startswith("Added 0 default routing rules")
    assert build(lambda: db.session.scalar(sa.select(sa.func.count(RoutingRule.id)))) == rules


# ----------------------------------------------------------------- notify run-due


def test_notify_run_due_with_nothing_overdue(runner, build):
    result = runner.invoke(args=["notify", "run-due"])
    assert result.exit_code == 0
    assert result.output == "Gave 0 reminders.\n"
    assert build(lambda: db.session.scalar(sa.select(sa.func.count(Notification.id)))) == 0


def _overdue_ticket() -> tuple[int, int]:
    """An agent's ticket, logged two hours ago, whose one-hour call-back is overdue."""
    then = utcnow() - timedelta(hours=2)
    with unit_of_work():
        playbooks.add_playbook(
            PlaybookSpec(
                name="Missing goods",
                steps=(
                    StepSpec("Call the customer back", due_hours=Decimal("1")),
                    StepSpec(
                        "Apologise for the trouble", kind=StepKind.APOLOGY, due_hours=Decimal("48")
                    ),
                    StepSpec(
                        "Explain what went wrong",
                        kind=StepKind.EXPLANATION,
                        due_hours=Decimal("72"),
                    ),
                ),
            ),
            actor=None,
            now=then,
            is_default=True,
        )
    lead = factories.make_user(Role.LEAD)
    agent = factories.make_user(Role.AGENT)
    ticket_id = factories.make_ticket(actor_id=lead, assignee_id=agent, now=then)
    return agent, ticket_id


def _reminders() -> list[tuple[int, int, int]]:
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(Notification.user_id, Notification.ticket_id, Notification.count).where(
                Notification.kind == NotificationKind.STEP_OVERDUE
            )
        )
    ]


def test_notify_run_due_reminds_of_overdue_steps_once_an_hour(runner, build):
    agent, ticket_id = build(_overdue_ticket)
    result = runner.invoke(args=["notify", "run-due"])
    assert result.exit_code == 0
    assert result.output == "Gave 1 reminder.\n"
    assert build(_reminders) == [(agent, ticket_id, 1)]

    again = runner.invoke(args=["notify", "run-due"])
    assert again.output == "Gave 0 reminders.\n"
    assert build(_reminders) == [(agent, ticket_id, 1)]


# ----------------------------------------------------------------- outbox


def test_outbox_send_without_smtp_logs_the_message(app, runner, build, caplog):
    assert not app.config["MAIL_SERVER"]
    message_id = build(_queue, subject="Approval needed: TD-000042")
    later = build(_queue, subject="Not yet")
    build(
        lambda: (
            setattr(load(OutboxMessage, later), "next_attempt_at", utcnow() + timedelta(hours=1))
            or db.session.commit()
        )
    )

    with caplog.at_level(logging.INFO, logger="ticketdesk.outbox"):
        result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 0, logged 1, retried 0, failed 0" in result.output
    assert "Approval needed: TD-000042" in caplog.text
    assert "alex@desk.example" in caplog.text
    assert "Not yet" not in caplog.text

    logged = build(load, OutboxMessage, message_id)
    assert logged.state is OutboxState.LOGGED and logged.attempts == 1
    assert logged.sent_at is not None
    assert build(load, OutboxMessage, later).state is OutboxState.QUEUED

    again = runner.invoke(args=["outbox", "send"])
    assert again.exit_code == 0
    assert "sent 0, logged 0, retried 0, failed 0" in again.output


class _FakeSMTP:
    """Stands in for smtplib.SMTP; ``reply`` decides what the server says."""

    reply: tuple[int, bytes] | None = None
    sent: list = []

    def __init__(self, host, port, timeout=None):
        self.host, self.port = host, port

    def send_message(self, email):
        if self.reply is not None:
            raise smtplib.SMTPDataError(*self.reply)
        _FakeSMTP.sent.append(email["Subject"])

    def quit(self):
        pass


@pytest.fixture
def smtp(app, monkeypatch):
    app.config["MAIL_SERVER"] = "smtp.example.test"
    _FakeSMTP.reply, _FakeSMTP.sent = None, []
    monkeypatch.setattr(smtplib, "SMTP", _FakeSMTP)
    return _FakeSMTP


def test_outbox_send_through_smtp(runner, build, smtp):
    message_id = build(_queue, subject="Hello by SMTP")
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0
    assert "sent 1, logged 0, retried 0, failed 0" in result.output
    assert smtp.sent == ["Hello by SMTP"]
    assert build(load, OutboxMessage, message_id).state is OutboxState.SENT


def test_outbox_send_exits_1_when_a_message_fails_for_good(runner, build, smtp):
    smtp.reply = (550, b"No such mailbox")
    message_id = build(_queue)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 1
    assert "sent 0, logged 0, retried 0, failed 1" in result.output
    failed = build(load, OutboxMessage, message_id)
    assert failed.state is OutboxState.FAILED and "550" in failed.last_error


def test_outbox_send_retries_a_temporary_failure_with_exit_0(runner, build, smtp):
    smtp.reply = (451, b"Try again later")
    message_id = build(_queue)
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0
    assert "sent 0, logged 0, retried 1, failed 0" in result.output
    retried = build(load, OutboxMessage, message_id)
    assert retried.state is OutboxState.QUEUED and retried.attempts == 1


def test_outbox_send_limit(runner, build):
    ids = [build(_queue, subject=f"Message {i}") for i in range(3)]
    result = runner.invoke(args=["outbox", "send", "--limit", "2"])
    assert "logged 2" in result.output
    states = [build(load, OutboxMessage, i).state for i in ids]
    assert states.count(OutboxState.LOGGED) == 2 and states.count(OutboxState.QUEUED) == 1


def test_outbox_status(app, runner, build):
    build(_queue)
    build(_queue)
    sent = build(_queue)
    build(
        lambda: setattr(load(OutboxMessage, sent), "state", OutboxState.SENT) or db.session.commit()
    )
    result = runner.invoke(args=["outbox", "status"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("Mail transport: no SMTP server configured")
    assert "queued: 2" in lines and "sent: 1" in lines and "failed: 0" in lines
    assert len(lines) == 1 + len(OutboxState)

    app.config.update(MAIL_SERVER="smtp.example.test", MAIL_PORT=587)
    result = runner.invoke(args=["outbox", "status"])
    assert result.output.splitlines()[0] == "Mail transport: SMTP smtp.example.test:587"


def test_outbox_transport_needs_no_database(app, runner):
    result = runner.invoke(args=["outbox", "transport"])
    assert result.exit_code == 0
    assert result.output.startswith("Mail transport: no SMTP server configured")
    assert "written to the log" in result.output
    assert "kept on the outbox page" in result.output
    app.config["BASE_URL"] = "http://127.0.0.1:5101"
    lines = runner.invoke(args=["outbox", "transport"]).output.splitlines()
    assert lines[1:] == [
        "Links in e-mails point to http://127.0.0.1:5101",
        "Every e-mail, sent or not, is on the outbox page: "
        "http://127.0.0.1:5101/admin/outbox (administrators)",
    ]


def test_seed_sla_adds_policies_once_and_fills_open_tickets(runner, build):
    from ticketdesk.models import SlaPolicy, Ticket

    lead = build(factories.make_user, Role.LEAD)
    older = build(factories.make_ticket, actor_id=lead)  # logged before any policy
    result = runner.invoke(args=["seed-sla"])
    assert result.exit_code == 0, result.output
    assert "Added 4 SLA policies." in result.output
    assert "Gave 1 open tickets their SLA policy" in result.output
    assert build(lambda: db.session.scalar(sa.select(sa.func.count(SlaPolicy.id)))) == 4
    assert build(lambda: db.session.get(Ticket, older).sla_policy.name) == "Standard"
    again = runner.invoke(args=["seed-sla"])
    assert "Added 0 SLA policies" in again.output and "Gave" not in again.output


def test_sla_sweep_reports_what_it_marked(runner, build):
    from ticketdesk.models import SlaEvent

    assert runner.invoke(args=["seed-sla"]).exit_code == 0
    lead = build(factories.make_user, Role.LEAD)
    build(factories.make_ticket, actor_id=lead, now=utcnow() - timedelta(days=30))
    result = runner.invoke(args=["sla-sweep"])
    assert result.exit_code == 0
    assert result.output.strip() == "checked 1 tickets: 0 at risk, 3 breached"
    assert build(lambda: db.session.scalar(sa.select(sa.func.count(SlaEvent.id)))) == 3
    assert (
        runner.invoke(args=["sla-sweep"]).output.strip()
        == "checked 0 tickets: 0 at risk, 0 breached"
    )
