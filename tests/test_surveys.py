"""Satisfaction surveys: sent on resolve, signed single-use links, answers, reopening for
review, the public pages, the ticket page, and the e-mail reaching a real SMTP server."""

import email
import email.policy
import html as html_lib
import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests import factories
from tests.support import Recorder, field_error
from ticketdesk.core.errors import DomainError, RateLimited
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    EventKind,
    MailPurpose,
    Notification,
    OutboxMessage,
    RecoveryRules,
    Role,
    Survey,
    Ticket,
    TicketEvent,
    TicketStatus,
    User,
)
from ticketdesk.services.notifications import outbox
from ticketdesk.services.recovery import rules as rules_module
from ticketdesk.services.recovery import surveys
from ticketdesk.services.recovery.surveys import (
    SurveyAnswered,
    SurveyExpired,
    SurveyNotFound,
    SurveySuperseded,
)
from ticketdesk.services.tickets import conversation, survey_answers, workflow

EMAIL = "mia.wong@example.test"


# ----------------------------------------------------------------- helpers


def _text(html: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _log_ticket(
    agent_id: int,
    now,
    *,
    email: str | None = EMAIL,
    contact: bool = True,
    team_id: int | None = None,
    assignee_id: int | None = None,
) -> int:
    """A complaint logged by phone, with a contact (and their e-mail address) or without."""
    return factories.make_ticket(
        actor_id=agent_id,
        now=now,
        subject="Two bags short",
        description="Ordered 22 cosmetic bags, 20 arrived.",
        contact="Mia Wong" if contact else None,
        contact_email=email,
        team_id=team_id,
        assignee_id=assignee_id,
    )


def _set_status(ticket_id: int, actor_id: int, status: TicketStatus, now) -> None:
    workflow.change_status(
        db.session.get(Ticket, ticket_id),
        actor=db.session.get(User, actor_id),
        status=status,
        expected_version=None,
        now=now,
    )


def _surveys(ticket_id: int) -> list[Survey]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Survey).where(Survey.ticket_id == ticket_id).order_by(Survey.id)
        )
    )


def _survey_events(ticket_id: int) -> list[TicketEvent]:
    return list(
        db.session.scalars(
            sa.select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == EventKind.SURVEY)
            .order_by(TicketEvent.id)
        )
    )


def _token(ticket_id: int) -> str:
    return surveys.token_for(_surveys(ticket_id)[-1])


def _save_rules(**changes) -> None:
    """Save the rules row as a lead would. The values are set after the insert: a None
    given to the constructor would be replaced by the column default."""
    with unit_of_work():
        rules = RecoveryRules(**rules_module.defaults())
        db.session.add(rules)
        db.session.flush()
        for name, value in changes.items():
            setattr(rules, name, value)
    db.session.expire_all()
    assert all(getattr(rules_module.current(), k) == v for k, v in changes.items())


@pytest.fixture
def desk(ctx):
    team = factories.make_team("Orders")
    agent = factories.make_user(Role.AGENT, name="Ana Agent", team_ids=(team,))
    lead = factories.make_user(Role.LEAD, name="Lee Lead", team_ids=(team,))
    return {"team": team, "agent": agent, "lead": lead}


@pytest.fixture
def resolved(desk, now):
    """A ticket of Ana's, resolved at ``now``: its survey went to Mia."""
    tid = _log_ticket(desk["agent"], now, team_id=desk["team"], assignee_id=desk["agent"])
    _set_status(tid, desk["agent"], TicketStatus.RESOLVED, now)
    return tid


# ----------------------------------------------------------------- sending


def test_resolving_sends_one_survey_by_email_and_notes_it_on_the_timeline(desk, resolved, now):
    (survey,) = _surveys(resolved)
    ticket = db.session.get(Ticket, resolved)
    assert survey.email == EMAIL and survey.contact_id == ticket.contact_id
    assert survey.sent_at == now and survey.expires_at == now + timedelta(days=14)
    assert survey.answered_at is None and survey.superseded_at is None
    assert len(survey.nonce) >= 22

    message = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.dedupe_key == f"survey:{survey.nonce}")
    )
    assert message.to_address == EMAIL
    assert ticket.reference in message.subject
    assert "Hello Mia Wong," in message.body
    assert f"{ticket.reference} “Two bags short”" in message.body
    assert f"/survey/{surveys.token_for(survey)[:20]}" in message.body
    assert "for 14 days (until March 16, 2026)" in message.body
    assert f"/complain/t/{ticket.public_token}" in message.body

    (event,) = _survey_events(resolved)
    assert event.body == f"Satisfaction survey sent to {EMAIL}."
    assert event.actor_id == desk["agent"] and not event.by_customer
    assert not event.is_public


def test_a_reply_that_resolves_also_sends_the_survey(desk, now):
    tid = _log_ticket(desk["agent"], now, assignee_id=desk["agent"], team_id=desk["team"])
    conversation.reply(
        db.session.get(Ticket, tid),
        actor=db.session.get(User, desk["agent"]),
        body="Two more bags are on their way today, with our apologies.",
        expected_version=None,
        now=now,
        status_after=TicketStatus.RESOLVED,
    )
    assert len(_surveys(tid)) == 1


def test_no_contact_email_means_no_survey_and_no_error(desk, now):
    without_email = _log_ticket(desk["agent"], now, email=None)
    without_contact = _log_ticket(desk["agent"], now, contact=False)
    for tid in (without_email, without_contact):
        _set_status(tid, desk["agent"], TicketStatus.RESOLVED, now)
        assert db.session.get(Ticket, tid).status is TicketStatus.RESOLVED
        assert _surveys(tid) == [] and _survey_events(tid) == []
    assert (
        db.session.scalar(
            sa.select(sa.func.count(OutboxMessage.id)).where(
                OutboxMessage.dedupe_key.like("survey:%")
            )
        )
        == 0
    )


def test_a_second_resolve_supersedes_the_unanswered_survey(desk, resolved, now):
    first_token = _token(resolved)
    conversation.log_customer_message(
        db.session.get(Ticket, resolved),
        actor=None,
        body="One bag is the wrong colour.",
        now=now + timedelta(hours=2),
    )
    _set_status(resolved, desk["agent"], TicketStatus.RESOLVED, now + timedelta(days=1))
    first, second = _surveys(resolved)
    assert first.superseded_at == now + timedelta(days=1)
    assert second.superseded_at is None and second.nonce != first.nonce
    with pytest.raises(SurveySuperseded):
        surveys.open_survey(first_token, now=now + timedelta(days=1))
    assert surveys.open_survey(_token(resolved), now=now + timedelta(days=1)).id == second.id
    with pytest.raises(SurveySuperseded):
        survey_answers.answer(first_token, score=5, comment="", now=now + timedelta(days=1))
    # One survey e-mail (the resolution message) per resolution; the first e-mail to Mia
    # was the acknowledgement.
    assert (
        db.session.scalar(
            sa.select(sa.func.count(OutboxMessage.id)).where(
                OutboxMessage.to_address == EMAIL, OutboxMessage.purpose == MailPurpose.SURVEY
            )
        )
        == 2
    )


def test_the_survey_lasts_as_long_as_the_saved_rules_say(desk, now):
    _save_rules(survey_valid_days=3)
    tid = _log_ticket(desk["agent"], now)
    _set_status(tid, desk["agent"], TicketStatus.RESOLVED, now)
    (survey,) = _surveys(tid)
    assert survey.expires_at == now + timedelta(days=3)
    assert "for 3 days" in db.session.scalar(
        sa.select(OutboxMessage.body).where(OutboxMessage.dedupe_key == f"survey:{survey.nonce}")
    )


# ----------------------------------------------------------------- the link


def test_token_round_trip_and_tampering(app, resolved, now):
    token = _token(resolved)
    assert surveys.open_survey(token, now=now).ticket_id == resolved
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    other_key = URLSafeTimedSerializer("another-secret", salt=surveys.SALT).dumps(
        {"n": _surveys(resolved)[0].nonce}
    )
    other_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="other").dumps(
        {"n": _surveys(resolved)[0].nonce}
    )
    ours = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=surveys.SALT)
    wrong_nonce = ours.dumps({"n": "x" * 32})
    not_a_string = ours.dumps({"n": 12345})
    not_a_dict = ours.dumps([1, 2])
    for bad in (
        tampered,
        other_key,
        other_salt,
        wrong_nonce,
        not_a_string,
        not_a_dict,
        "",
        "nonsense",
        "x" * 400,
    ):
        with pytest.raises(SurveyNotFound):
            surveys.open_survey(bad, now=now)


def test_the_link_expires(app, resolved, now):
    token = _token(resolved)
    expires = _surveys(resolved)[0].expires_at
    assert surveys.open_survey(token, now=expires - timedelta(seconds=1))
    with pytest.raises(SurveyExpired):
        surveys.open_survey(token, now=expires)
    with pytest.raises(SurveyExpired):
        survey_answers.answer(token, score=4, comment="", now=expires + timedelta(days=1))
    assert _surveys(resolved)[0].answered_at is None

    class LongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - int(surveys.TOKEN_MAX_AGE.total_seconds()) - 60

    survey = _surveys(resolved)[0]
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=surveys.SALT, signer=LongAgo).dumps(
        {"n": survey.nonce}
    )
    with pytest.raises(SurveyExpired):  # the signature's own age, whatever ``now`` says
        surveys.open_survey(old, now=now)


# ----------------------------------------------------------------- answering


def test_an_answer_is_recorded_once_with_its_timeline_entry(resolved, now):
    token = _token(resolved)
    result = survey_answers.answer(
        token,
        score=4,
        comment="  Quick and kind, thanks.  ",
        now=now + timedelta(hours=3),
        ip="10.0.0.1",
    )
    assert not result.reopened
    (survey,) = _surveys(resolved)
    assert (survey.score, survey.comment, survey.answered_at) == (
        4,
        "Quick and kind, thanks.",
        now + timedelta(hours=3),
    )
    sent, answered = _survey_events(resolved)
    assert answered.by_customer and answered.actor_id is None and answered.new_value == "4"
    assert answered.body == "Satisfaction 4 of 5 (Satisfied).\nQuick and kind, thanks."
    assert db.session.get(Ticket, resolved).status is TicketStatus.RESOLVED

    with pytest.raises(SurveyAnswered) as refused:
        survey_answers.answer(
            token, score=1, comment="changed my mind", now=now + timedelta(hours=4)
        )
    assert refused.value.survey.score == 4
    (survey,) = _surveys(resolved)
    assert (survey.score, survey.comment, survey.answered_at) == (
        4,
        "Quick and kind, thanks.",
        now + timedelta(hours=3),
    )
    assert len(_survey_events(resolved)) == 2
    assert db.session.get(Ticket, resolved).status is TicketStatus.RESOLVED


def test_the_conditional_update_lets_only_one_answer_through(resolved, now):
    survey_id = _surveys(resolved)[0].id
    with unit_of_work():
        assert survey_answers._claim_answer(survey_id, score=5, comment="first", now=now)
    with unit_of_work():
        assert not survey_answers._claim_answer(survey_id, score=1, comment="second", now=now)
    (survey,) = _surveys(resolved)
    assert (survey.score, survey.comment) == (5, "first")


def test_a_racing_answer_that_arrives_second_changes_nothing(resolved, now, monkeypatch):
    """Both requests passed the checks; the other one stored its answer first."""
    token = _token(resolved)
    real_open = surveys.open_survey

    def open_then_lose_the_race(token, *, now):
        survey = real_open(token, now=now)
        db.session.execute(
            sa.update(Survey)
            .where(Survey.id == survey.id)
            .values(answered_at=now, score=5, comment="the other tab")
        )
        db.session.commit()
        return survey

    monkeypatch.setattr(surveys, "open_survey", open_then_lose_the_race)
    with pytest.raises(SurveyAnswered) as lost:
        survey_answers.answer(token, score=1, comment="this tab", now=now)
    assert lost.value.survey.comment == "the other tab"
    (survey,) = _surveys(resolved)
    assert (survey.score, survey.comment) == (5, "the other tab")
    assert [e.by_customer for e in _survey_events(resolved)] == [False]  # only "sent"
    ticket = db.session.get(Ticket, resolved)
    assert ticket.status is TicketStatus.RESOLVED and ticket.reopen_count == 0


@pytest.mark.parametrize("score", [None, 0, 6, "five", True])
def test_score_must_be_one_to_five(resolved, now, score):
    with pytest.raises(DomainError) as err:
        survey_answers.answer(_token(resolved), score=score, comment="", now=now)
    assert err.value.field == "score"
    assert _surveys(resolved)[0].answered_at is None


def test_comment_is_limited(resolved, now):
    with pytest.raises(DomainError) as err:
        survey_answers.answer(_token(resolved), score=4, comment="x" * 2001, now=now)
    assert err.value.field == "comment"
    survey_answers.answer(_token(resolved), score=4, comment="x" * 2000, now=now)
    assert len(_surveys(resolved)[0].comment) == 2000


def test_a_low_score_reopens_the_ticket_for_review_and_tells_the_assignee(desk, resolved, now):
    later = now + timedelta(days=1)
    result = survey_answers.answer(
        _token(resolved), score=2, comment="Still one bag missing.", now=later
    )
    assert result.reopened
    ticket = db.session.get(Ticket, resolved)
    assert ticket.status is TicketStatus.OPEN
    assert ticket.reopen_count == 1 and ticket.resolved_at is None
    kinds = [
        (e.kind, e.body, e.old_value, e.new_value, e.by_customer)
        for e in db.session.scalars(
            sa.select(TicketEvent)
            .where(TicketEvent.ticket_id == resolved, TicketEvent.created_at == later)
            .order_by(TicketEvent.id)
        )
    ]
    assert kinds == [
        (
            EventKind.SURVEY,
            "Satisfaction 2 of 5 (Dissatisfied).\nStill one bag missing.",
            None,
            "2",
            True,
        ),
        (EventKind.SURVEY, "Reopened for review: satisfaction 2 of 5", None, None, False),
        (EventKind.STATUS_CHANGE, "", "resolved", "open", True),
    ]
    (note,) = db.session.scalars(
        sa.select(Notification).where(
            Notification.user_id == desk["agent"], Notification.created_at == later
        )
    ).all()
    assert note.ticket_id == resolved
    assert note.title == f"Reopened for review: {ticket.reference} · Two bags short"
    assert "2 of 5" in note.body and "Still one bag missing." in note.body
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == desk["lead"], Notification.created_at == later
            )
        )
        == 0
    )


def test_without_an_assignee_the_team_leads_hear_of_the_reopen(desk, now):
    tid = _log_ticket(desk["lead"], now, team_id=desk["team"])
    db.session.get(Ticket, tid).assignee = None
    db.session.commit()
    _set_status(tid, desk["lead"], TicketStatus.CLOSED, now)  # closed without resolving
    assert _surveys(tid) == []
    _set_status(tid, desk["lead"], TicketStatus.OPEN, now)
    _set_status(tid, desk["lead"], TicketStatus.RESOLVED, now)
    _set_status(tid, desk["lead"], TicketStatus.CLOSED, now + timedelta(hours=1))
    assert survey_answers.answer(
        _token(tid), score=1, comment="", now=now + timedelta(days=2)
    ).reopened
    assert db.session.get(Ticket, tid).status is TicketStatus.OPEN
    titles = db.session.scalars(
        sa.select(Notification.title).where(
            Notification.user_id == desk["lead"], Notification.created_at == now + timedelta(days=2)
        )
    )
    assert [t.startswith("Reopened for review:") for t in titles] == [True]


@pytest.mark.parametrize("score", [3, 4, 5])
def test_a_score_at_or_above_the_threshold_does_not_reopen(resolved, now, score):
    assert not survey_answers.answer(_token(resolved), score=score, comment="", now=now).reopened
    ticket = db.session.get(Ticket, resolved)
    assert ticket.status is TicketStatus.RESOLVED and ticket.reopen_count == 0


def test_reopening_can_be_turned_off(desk, now):
    _save_rules(reopen_below_score=None)
    tid = _log_ticket(desk["agent"], now, assignee_id=desk["agent"], team_id=desk["team"])
    _set_status(tid, desk["agent"], TicketStatus.RESOLVED, now)
    assert not survey_answers.answer(_token(tid), score=1, comment="Poor.", now=now).reopened
    ticket = db.session.get(Ticket, tid)
    assert ticket.status is TicketStatus.RESOLVED and ticket.reopen_count == 0
    assert [e.by_customer for e in _survey_events(tid)] == [False, True]


def test_an_answer_on_a_ticket_already_reopened_does_not_reopen_it_again(desk, resolved, now):
    conversation.log_customer_message(
        db.session.get(Ticket, resolved), actor=None, body="Actually one more thing.", now=now
    )
    assert not survey_answers.answer(_token(resolved), score=1, comment="", now=now).reopened
    assert db.session.get(Ticket, resolved).reopen_count == 1


def test_answers_are_rate_limited_per_address(app, desk, now):
    app.config["PUBLIC_RATE_LIMIT"] = 1
    first = _log_ticket(desk["agent"], now)
    second = _log_ticket(desk["agent"], now, email="other@example.test")
    for tid in (first, second):
        _set_status(tid, desk["agent"], TicketStatus.RESOLVED, now)
    survey_answers.answer(_token(first), score=5, comment="", now=now, ip="10.0.0.9")
    with pytest.raises(RateLimited):
        survey_answers.answer(_token(second), score=5, comment="", now=now, ip="10.0.0.9")
    assert _surveys(second)[0].answered_at is None
    survey_answers.answer(_token(second), score=5, comment="", now=now, ip="10.0.0.10")


def test_latest_for_prefers_the_latest_answer_then_the_open_survey(desk, resolved, now):
    survey_answers.answer(_token(resolved), score=2, comment="", now=now)  # reopens
    _set_status(resolved, desk["agent"], TicketStatus.RESOLVED, now + timedelta(days=1))
    open_only = _log_ticket(desk["agent"], now, email="third@example.test")
    _set_status(open_only, desk["agent"], TicketStatus.RESOLVED, now)
    nothing = _log_ticket(desk["agent"], now, email=None)
    latest = surveys.latest_for([resolved, open_only, nothing])
    assert set(latest) == {resolved, open_only}
    assert latest[resolved].score == 2
    assert latest[open_only].answered_at is None
    assert surveys.latest_for([]) == {}


# ----------------------------------------------------------------- pages


@pytest.fixture
def frozen(monkeypatch, now):
    """Pages see the test's ``now`` as the current time."""
    monkeypatch.setattr("ticketdesk.public.views.utcnow", lambda: now)
    monkeypatch.setattr("ticketdesk.tickets.views.utcnow", lambda: now)
    return now


@pytest.fixture
def web(app, build, now, frozen):
    def make():
        team = factories.make_team("Orders")
        agent = factories.make_user(Role.AGENT, name="Ana Agent", team_ids=(team,))
        tid = _log_ticket(agent, now, team_id=team, assignee_id=agent)
        _set_status(tid, agent, TicketStatus.RESOLVED, now)
        ticket = db.session.get(Ticket, tid)
        return {
            "id": tid,
            "agent": agent,
            "token": _token(tid),
            "reference": ticket.reference,
            "public": ticket.public_token,
        }

    return build(make)


def test_survey_page_shows_the_ticket_and_an_accessible_score_form(client, web):
    resp = client.get(f"/survey/{web['token']}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert web["reference"] in html and "Two bags short" in html
    assert "<fieldset" in html and "<legend" in html
    for n, words in (
        (1, "Very dissatisfied"),
        (3, "Neither satisfied nor dissatisfied"),
        (5, "Very satisfied"),
    ):
        match = re.search(r'<input[^>]*id="(score-\d)"[^>]*value="%d"' % n, html)
        assert match, n
        assert re.search(
            r'<label[^>]*for="%s"[^>]*>%d – %s</label>' % (match.group(1), n, words), html
        )
    assert 'name="comment"' in html and 'maxlength="2000"' in html


def test_answering_on_the_page_then_the_link_is_used_up(client, build, web, now):
    url = f"/survey/{web['token']}"
    resp = client.post(url, data={"score": "4", "comment": "Quick and kind."})
    assert resp.status_code == 302 and resp.location == url
    page = client.get(url)
    assert page.status_code == 200
    text = _text(page.get_data(as_text=True))
    assert "Thank you! We have your answer." in text
    assert "Your rating: 4 of 5 (Satisfied)" in text and "Quick and kind." in text

    again = client.post(url, data={"score": "1", "comment": "Changed my mind."})
    assert again.status_code == 409
    assert "Your rating: 4 of 5" in _text(again.get_data(as_text=True))
    survey = build(lambda: _surveys(web["id"])[0])
    assert (survey.score, survey.comment) == (4, "Quick and kind.")
    assert build(lambda: len(_survey_events(web["id"]))) == 2
    assert client.get(url).status_code == 200


def test_a_low_score_on_the_page_reopens_and_says_so(client, build, web):
    url = f"/survey/{web['token']}"
    resp = client.post(
        url, data={"score": "1", "comment": "Nothing was fixed."}, follow_redirects=True
    )
    assert resp.status_code == 200
    assert "Your complaint is open again" in _text(resp.get_data(as_text=True))
    assert build(lambda: db.session.get(Ticket, web["id"]).status) is TicketStatus.OPEN


def test_missing_score_and_long_comment_are_field_errors(client, build, web):
    url = f"/survey/{web['token']}"
    resp = client.post(url, data={"comment": "No score given."})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert field_error(html, "score") == "Choose a score from 1 to 5."
    assert "No score given." in html  # the comment is kept
    resp = client.post(url, data={"score": "9"})
    assert resp.status_code == 400
    assert field_error(resp.get_data(as_text=True), "score") == "Choose a score from 1 to 5."
    resp = client.post(url, data={"score": "abc"})
    assert resp.status_code == 400
    assert field_error(resp.get_data(as_text=True), "score") == "Choose a score from 1 to 5."
    resp = client.post(url, data={"score": "4", "comment": "x" * 2001})
    assert resp.status_code == 400
    assert field_error(resp.get_data(as_text=True), "comment")
    assert build(lambda: _surveys(web["id"])[0].answered_at) is None


def test_bad_links_are_404(app, client, build, web):
    tampered = web["token"][:-3] + ("abc" if not web["token"].endswith("abc") else "xyz")
    other_key = build(
        lambda: URLSafeTimedSerializer("not-our-key", salt=surveys.SALT).dumps(
            {"n": _surveys(web["id"])[0].nonce}
        )
    )
    for token in (tampered, other_key, "rubbish"):
        assert client.get(f"/survey/{token}").status_code == 404
        assert client.post(f"/survey/{token}", data={"score": "5"}).status_code == 404
    assert build(lambda: _surveys(web["id"])[0].answered_at) is None


def test_expired_link_page(client, build, web, now, monkeypatch):
    monkeypatch.setattr("ticketdesk.public.views.utcnow", lambda: now + timedelta(days=15))
    for resp in (
        client.get(f"/survey/{web['token']}"),
        client.post(f"/survey/{web['token']}", data={"score": "5"}),
    ):
        assert resp.status_code == 410
        assert "This link has expired" in resp.get_data(as_text=True)
    assert build(lambda: _surveys(web["id"])[0].answered_at) is None


def test_superseded_link_page(client, build, web, now):
    def resolve_again():
        conversation.log_customer_message(
            db.session.get(Ticket, web["id"]), actor=None, body="Wrong colour.", now=now
        )
        _set_status(web["id"], web["agent"], TicketStatus.RESOLVED, now)

    build(resolve_again)
    for resp in (
        client.get(f"/survey/{web['token']}"),
        client.post(f"/survey/{web['token']}", data={"score": "5"}),
    ):
        assert resp.status_code == 410
        assert "A newer survey was sent" in resp.get_data(as_text=True)


def test_the_page_applies_the_public_rate_limit(app, client, build, web):
    app.config["PUBLIC_RATE_LIMIT"] = 0
    resp = client.post(f"/survey/{web['token']}", data={"score": "5"})
    assert resp.status_code == 429
    assert "Please try again a little later." in _text(resp.get_data(as_text=True))
    assert build(lambda: _surveys(web["id"])[0].answered_at) is None


def test_survey_post_needs_the_csrf_token(app, client, build, web):
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/survey/{web['token']}", data={"score": "5"}).status_code == 400
    assert build(lambda: _surveys(web["id"])[0].answered_at) is None


def test_the_private_link_shows_the_survey_then_the_answer(client, build, web):
    follow = f"/complain/t/{web['public']}"
    html = client.get(follow).get_data(as_text=True)
    action = re.search(r'<form method="post" action="(/survey/[^"]+)"[^>]*id="survey-form"', html)
    assert action, "the private page carries the score form"
    assert 'name="score"' in html and "How did we do?" in html
    resp = client.post(action.group(1), data={"score": "5", "comment": "Bags arrived, thanks"})
    assert resp.status_code == 302
    text = _text(client.get(follow).get_data(as_text=True))
    assert "Your rating: 5 of 5 (Very satisfied) — Bags arrived, thanks" in text
    assert 'id="survey-form"' not in client.get(follow).get_data(as_text=True)


def test_the_private_link_shows_no_survey_form_once_expired(client, web, now, monkeypatch):
    monkeypatch.setattr("ticketdesk.public.views.utcnow", lambda: now + timedelta(days=20))
    html = client.get(f"/complain/t/{web['public']}").get_data(as_text=True)
    assert 'id="survey-form"' not in html


def test_the_ticket_page_shows_the_satisfaction_answer(client, login, build, web):
    staff = login(web["agent"])
    html = staff.get(f"/tickets/{web['id']}").get_data(as_text=True)
    assert "Survey sent" in _text(html) and "no answer yet" in _text(html)
    assert f"Satisfaction survey sent to {EMAIL}." in html
    client.post(f"/survey/{web['token']}", data={"score": "2", "comment": "Late <again>"})
    html = staff.get(f"/tickets/{web['id']}").get_data(as_text=True)
    summary = re.search(r'<dd class="col-7" id="satisfaction">(.*?)</dd>', html, re.S).group(1)
    assert "2 of 5" in summary and "Dissatisfied" in summary
    assert "Late &lt;again&gt;" in summary and "<again>" not in html
    text = _text(html)
    assert "Satisfaction 2 of 5 (Dissatisfied). Late <again>" in text  # timeline entry
    assert "Reopened for review: satisfaction 2 of 5" in text


def test_the_ticket_page_without_a_survey_says_nothing_about_one(login, build, now, frozen):
    def make():
        agent = factories.make_user(Role.AGENT)
        return agent, _log_ticket(agent, now, email=None)

    agent, tid = build(make)
    html = login(agent).get(f"/tickets/{tid}").get_data(as_text=True)
    assert 'id="satisfaction"' not in html


# ----------------------------------------------------------------- the e-mail, end to end


def test_the_survey_email_reaches_the_smtp_server_with_a_working_link(
    app, client, build, smtp, now, frozen
):
    app.config["BASE_URL"] = "https://desk.example.test/support"
    server = smtp(Recorder())

    def resolve_and_send():
        agent = factories.make_user(Role.AGENT)
        tid = _log_ticket(agent, now)
        _set_status(tid, agent, TicketStatus.RESOLVED, now)
        report = outbox.send_due(now=now)
        return tid, db.session.get(Ticket, tid).reference, report.sent

    tid, reference, sent = build(resolve_and_send)
    assert sent >= 1
    # Mia's acknowledgement, then the resolution message that carries the survey.
    acknowledgement, envelope = [e for e in server.messages if e.rcpt_tos == [EMAIL]]
    mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert mail["Subject"] == f"[{reference}] Resolved: Two bags short — how did we do?"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https://desk\.example\.test/support/survey/[A-Za-z0-9_\-.]+", body)
    assert link, body
    path = urlsplit(link.group(0)).path.removeprefix("/support")
    resp = client.get(path)
    assert resp.status_code == 200
    assert reference in resp.get_data(as_text=True)
    assert client.post(path, data={"score": "5"}).status_code == 302
    assert build(lambda: _surveys(tid)[0].score) == 5
