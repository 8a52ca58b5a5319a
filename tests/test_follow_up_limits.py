"""The customer's private link: messages per link and per address, files per link.

Over a limit the customer gets a clear message (429 and a form error) and nothing is
saved: no message, no attachment, no file on disk.
"""

import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage

from tests import factories
from ticketdesk.core.errors import RateLimited
from ticketdesk.extensions import db
from ticketdesk.models import Attachment, EventKind, Role, Ticket, TicketEvent, User
from ticketdesk.services.tickets import conversation

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
WINDOW = 3600


def _new_ticket() -> dict:
    agent = factories.make_user(Role.AGENT)
    tid = factories.make_ticket(actor_id=agent)
    return {"id": tid, "token": db.session.get(Ticket, tid).public_token, "agent": agent}


def _saved(ticket_id: int) -> tuple[int, int]:
    """Customer messages and attachments stored for the ticket."""
    messages = db.session.scalar(
        sa.select(sa.func.count(TicketEvent.id)).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.kind == EventKind.CUSTOMER_MESSAGE
        )
    )
    files = db.session.scalar(
        sa.select(sa.func.count(Attachment.id)).where(Attachment.ticket_id == ticket_id)
    )
    return messages, files


def _files_on_disk(app) -> int:
    root = Path(app.config["ATTACHMENT_DIR"])
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def _post(client, token: str, *, files: int = 0, ip: str = "198.51.100.7", body="Any news?"):
    data = {"body": body, "attachments": [(io.BytesIO(PNG), f"photo{i}.png") for i in range(files)]}
    return client.post(
        f"/complain/t/{token}",
        data=data,
        content_type="multipart/form-data",
        environ_base={"REMOTE_ADDR": ip},
    )


def test_a_flood_of_posts_with_files_is_stopped(app, build, client):
    """The reported flood: 20 posts of 5 files each, one after the other."""
    t = build(_new_ticket)
    answers = [_post(client, t["token"], files=5) for _ in range(20)]
    assert [a.status_code for a in answers] == [302] * 4 + [429] * 16
    page = answers[4].get_data(as_text=True)
    assert "This complaint takes at most 20 files an hour." in page
    assert build(_saved, t["id"]) == (4, 20)
    assert _files_on_disk(app) == 20


def test_messages_per_link_are_limited_and_nothing_is_saved(app, build, client):
    app.config["FOLLOW_UP_POSTS_PER_LINK"] = 3
    t = build(_new_ticket)
    for n in range(3):
        assert _post(client, t["token"], ip=f"198.51.100.{n}").status_code == 302
    refused = _post(client, t["token"], ip="198.51.100.99", files=1, body="Fourth")
    assert refused.status_code == 429
    assert "several messages on this complaint in the last hour" in refused.get_data(as_text=True)
    assert build(_saved, t["id"]) == (3, 0)
    assert _files_on_disk(app) == 0


def test_messages_per_address_are_limited_over_all_links(app, build, client):
    app.config["FOLLOW_UP_POSTS_PER_ADDRESS"] = 3
    first, second = build(_new_ticket), build(_new_ticket)
    for token in (first["token"], first["token"], second["token"]):
        assert _post(client, token, ip="203.0.113.5").status_code == 302
    assert _post(client, second["token"], ip="203.0.113.5").status_code == 429
    assert build(_saved, second["id"]) == (1, 0)
    # Another address may still write on the same link.
    assert _post(client, second["token"], ip="203.0.113.6").status_code == 302


def test_files_per_link_count_every_file(app, build, client):
    app.config["FOLLOW_UP_FILES_PER_LINK"] = 4
    t = build(_new_ticket)
    assert _post(client, t["token"], files=3).status_code == 302
    refused = _post(client, t["token"], files=2)
    assert refused.status_code == 429
    assert "at most 4 files an hour" in refused.get_data(as_text=True)
    assert build(_saved, t["id"]) == (1, 3) and _files_on_disk(app) == 3
    assert _post(client, t["token"], files=1).status_code == 302  # exactly the limit
    assert _post(client, t["token"]).status_code == 302  # words need no file
    assert build(_saved, t["id"]) == (3, 4)


@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD])
def test_staff_logging_customer_messages_is_not_limited(app, ctx, now, role):
    app.config.update(FOLLOW_UP_POSTS_PER_LINK=2, FOLLOW_UP_POSTS_PER_ADDRESS=2)
    t = _new_ticket()
    ticket = db.session.get(Ticket, t["id"])
    agent = db.session.get(
        User, t["agent"] if role is Role.AGENT else factories.make_user(Role.LEAD)
    )
    for n in range(4):
        conversation.log_customer_message(ticket, actor=agent, body=f"Call {n}", now=now)
    assert _saved(t["id"]) == (4, 0)


@pytest.mark.parametrize(
    ("offset_seconds", "allowed"),
    [
        (0, False),  # same moment: both earlier messages count
        (WINDOW - 1, False),  # the first is still inside the window
        (WINDOW, True),  # exactly one window later the first no longer counts
        (WINDOW + 1, True),
    ],
)
def test_the_window_boundary(app, ctx, now, offset_seconds, allowed):
    app.config["FOLLOW_UP_POSTS_PER_LINK"] = 2
    ticket = db.session.get(Ticket, _new_ticket()["id"])
    conversation.log_customer_message(ticket, actor=None, body="One", now=now, ip="a")
    conversation.log_customer_message(
        ticket, actor=None, body="Two", now=now + timedelta(seconds=1), ip="a"
    )
    later = now + timedelta(seconds=offset_seconds)
    if allowed:
        conversation.log_customer_message(ticket, actor=None, body="Three", now=later, ip="a")
    else:
        with pytest.raises(RateLimited):
            conversation.log_customer_message(ticket, actor=None, body="Three", now=later, ip="a")
    assert _saved(ticket.id)[0] == (3 if allowed else 2)


_ip_counter = iter(range(10**9))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=1500),  # seconds since
            st.integers(min_value=0, max_value=1),  # which link
            st.integers(min_value=0, max_value=3),
        ),  # files
        min_size=1,
        max_size=14,
    )
)
def test_limits_match_a_sliding_window_model(app, ctx, now, steps):
    """Two links written to from one address. A message is taken iff, counting only the
    messages taken in the window before it (a message exactly one window old no longer
    counts), its link has room for one more message and for its files, and the address
    for one more message."""
    app.config.update(
        FOLLOW_UP_POSTS_PER_LINK=4, FOLLOW_UP_FILES_PER_LINK=5, FOLLOW_UP_POSTS_PER_ADDRESS=6
    )
    tickets = [db.session.get(Ticket, _new_ticket()["id"]) for _ in range(2)]
    ip = f"model-{next(_ip_counter)}"
    taken: list[tuple] = []  # (time, link, files)
    moment = now
    for gap, link, n_files in steps:
        moment += timedelta(seconds=gap)
        recent = [t for t in taken if t[0] > moment - timedelta(seconds=WINDOW)]
        on_link = [t for t in recent if t[1] == link]
        expect = len(on_link) < 4 and sum(t[2] for t in on_link) + n_files <= 5 and len(recent) < 6
        uploads = [FileStorage(io.BytesIO(PNG), filename=f"p{i}.png") for i in range(n_files)]
        try:
            conversation.log_customer_message(
                tickets[link], actor=None, body="Hi", now=moment, uploads=uploads, ip=ip
            )
        except RateLimited:
            assert not expect
        else:
            assert expect
            taken.append((moment, link, n_files))
    for link, ticket in enumerate(tickets):
        mine = [t for t in taken if t[1] == link]
        assert _saved(ticket.id) == (len(mine), sum(t[2] for t in mine))
