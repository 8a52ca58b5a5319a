"""SLA clocks as agents see them: the queue column and sort, and the ticket's card."""

import re
from datetime import timedelta

from tests import factories
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import Role, Severity, Ticket, TicketKind
from ticketdesk.services.sla import clocks as sla


def _world(now):
    sla.seed_defaults(now=now)
    team = factories.make_team("Front desk")
    lead = factories.make_user(Role.LEAD, team_ids=(team,))
    mk = lambda **kw: factories.make_ticket(actor_id=lead, team_id=team, **kw)  # noqa: E731
    return dict(
        lead=lead,
        # Received long ago: overdue. A crisis an hour ago, 24/7: due now-ish but later than
        # the overdue one. A fresh standard complaint: the most time left.
        overdue=mk(subject="Old one", now=now - timedelta(days=20)),
        crisis=mk(subject="Crisis", kind=TicketKind.CRISIS, now=now - timedelta(minutes=50)),
        fresh=mk(subject="Fresh", severity=Severity.P4, now=now),
    )


def test_queue_shows_clocks_and_sorts_by_time_left(build, login):
    w = build(_world, utcnow())
    html = login(w["lead"]).get("/tickets/?scope=all").get_data(as_text=True)
    refs = build(
        lambda: {k: db.session.get(Ticket, w[k]).reference for k in ("overdue", "crisis", "fresh")}
    )
    order = [m for m in re.findall(r">(TD-\d{6})</a>", html)]
    assert order == [refs["overdue"], refs["crisis"], refs["fresh"]]
    assert "Overdue by" in html and "At risk:" in html and " left</span>" in html
    assert "Time left (service level)" in html


def test_ticket_page_shows_the_policy_and_milestones(build, login):
    w = build(_world, utcnow())
    html = login(w["lead"]).get(f"/tickets/{w['crisis']}").get_data(as_text=True)
    assert 'id="sla"' in html and "Crisis: call back within the hour" in html
    assert "24/7" in html and "First response" in html and "Resolution" in html
