"""Playbook screens: list, detail with preview, the create/edit form with its steps table."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from tests.factories import load
from tests.support import field_error
from ticketdesk.extensions import db
from ticketdesk.models import (
    CustomerTier,
    Playbook,
    PlaybookVersion,
    Role,
    StepKind,
    Ticket,
    TicketKind,
    User,
)
from ticketdesk.playbooks import views as playbook_views
from ticketdesk.services.playbooks import admin as playbook_admin
from ticketdesk.services.playbooks.engine import PlaybookSpec, StepSpec

STEPS = (
    StepSpec("Call the customer back", due_hours=Decimal("1")),
    StepSpec("Apologise for the trouble", kind=StepKind.APOLOGY, due_hours=Decimal("1")),
    StepSpec("Reship the missing items", due_hours=Decimal("24")),
    StepSpec("Explain what went wrong", kind=StepKind.EXPLANATION, due_hours=Decimal("72")),
)

BLANK = {
    "position": "",
    "kind": "task",
    "title": "",
    "guidance": "",
    "role": "agent",
    "due_hours": "",
    "required": "y",
    "recur_hours": "",
}


def _row(position, title, kind="task", **kwargs) -> dict:
    return {
        **BLANK,
        "position": str(position),
        "title": title,
        "kind": kind,
        "due_hours": "1",
        **kwargs,
    }


ROWS = [
    _row(1, "Call the customer back"),
    _row(2, "Apologise", "apology"),
    _row(3, "Reship today", due_hours="24"),
    _row(4, "Explain the cause", "explanation"),
]


def _form(name="Shortages", rows=None, **extra) -> dict:
    data = {
        "name": name,
        "description": "For missing items.",
        "evidence_threshold": "25",
        "make_whole_form": "reship",
        "goodwill_basis": "affected_percent",
        "goodwill_value": "10",
        "goodwill_cap_percent": "30",
        "total_cap_percent": "150",
        "agent_limit": "50",
        "lead_limit": "",
        "save": "Save playbook",
    }
    for i, row in enumerate(ROWS + [BLANK] * 3 if rows is None else rows):
        for key, value in row.items():
            if key == "required" and not value:
                continue
            data[f"steps-{i}-{key}"] = value
    data.update(extra)
    return data


def _make_playbook(lead_id, now, name="Shortages", default=False, **kwargs) -> int:
    lead = load(User, lead_id)
    playbook = playbook_admin.create_playbook(
        actor=lead,
        now=now,
        spec=PlaybookSpec(name=name, steps=kwargs.pop("steps", STEPS), **kwargs),
    )
    if default:
        playbook_admin.make_default(playbook, actor=lead, now=now)
    return playbook.id


def _versions(playbook_id) -> list[list[str]]:
    """Step titles of each version, oldest first."""
    playbook = db.session.get(Playbook, playbook_id)
    return [[s.title for s in v.steps] for v in playbook.versions]


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch, now):
    """The pages' "last 30 days" end at the fixed test time, not the wall clock."""
    monkeypatch.setattr(playbook_views, "utcnow", lambda: now)


@pytest.fixture
def lead(make_user):
    return make_user(Role.LEAD, name="Lee Lead")


@pytest.fixture
def lc(login, lead):
    """The team lead's client."""
    return login(lead)


# ----------------------------------------------------------------- list


def test_list_shows_each_playbook_in_words(build, lc, lead, now):
    default = build(_make_playbook, lead, now, "General", default=True)
    build(
        _make_playbook,
        lead,
        now,
        "Strategic crises",
        conditions={"kinds": ["crisis"], "tiers": ["key", "strategic"]},
    )
    retired = build(_make_playbook, lead, now, "Old advice")
    build(
        lambda: playbook_admin.set_active(
            db.session.get(Playbook, retired), actor=load(User, lead), active=False, now=now
        )
    )
    agent = build(factories.make_user, Role.AGENT)
    build(factories.make_ticket, actor_id=agent, now=now)
    html = lc.get("/playbooks/").get_data(as_text=True)
    assert "Crisis · Strategic, Key" in html
    assert "Any ticket" in html and "Default" in html and "Retired" in html
    row = re.search(r'playbooks/%d">General</a>.*?</tr>' % default, html, re.S).group(0)
    cells = re.findall(r'<td class="text-end">([^<]*)</td>', row)
    assert cells == ["4", "v1", "1"]  # steps, version, open tickets
    assert "version by Lee Lead" in row
    assert "No playbook in use is the default" not in html


def test_list_runs_a_constant_number_of_queries(query_counter, build, lc, lead, now):
    agent = build(factories.make_user, Role.AGENT)

    def playbooks_with_tickets(start, count):
        for i in range(start, start + count):
            _make_playbook(
                lead, now, f"Playbook {i}", conditions={"severities": ["p3"]}, default=(i == 0)
            )
            factories.make_ticket(actor_id=agent, now=now)

    build(playbooks_with_tickets, 0, 2)
    with query_counter() as small:
        assert lc.get("/playbooks/").status_code == 200
    build(playbooks_with_tickets, 2, 6)
    with query_counter() as large:
        assert lc.get("/playbooks/").status_code == 200
    assert large.count == small.count


def test_no_default_is_pointed_out(build, lc, lead, now):
    build(_make_playbook, lead, now, "Only one")
    assert "No playbook in use is the default" in lc.get("/playbooks/").get_data(as_text=True)


# ----------------------------------------------------------------- detail


def test_detail_shows_rules_steps_history_and_preview(build, lc, lead, now):
    build(_make_playbook, lead, now, "General", default=True)
    crises = build(
        _make_playbook,
        lead,
        now,
        "Crises",
        conditions={"kinds": ["crisis"]},
        approval_limits={"agent": "50"},
        evidence_threshold=Decimal("25"),
    )
    build(
        _make_playbook,
        lead,
        now,
        "Strategic crises",
        conditions={"kinds": ["crisis"], "tiers": ["strategic"]},
    )
    agent = build(factories.make_user, Role.AGENT)
    strategic = build(factories.make_customer, tier=CustomerTier.STRATEGIC)
    plain = build(
        factories.make_ticket,
        actor_id=agent,
        kind=TicketKind.CRISIS,
        subject="Pallet lost",
        now=now - timedelta(days=2),
    )
    big = build(
        factories.make_ticket,
        actor_id=agent,
        kind=TicketKind.CRISIS,
        customer_id=strategic,
        subject="Line stopped",
        now=now - timedelta(days=1),
    )
    old = build(
        factories.make_ticket,
        actor_id=agent,
        kind=TicketKind.CRISIS,
        subject="Ancient history",
        now=now - timedelta(days=40),
    )
    complaint = build(factories.make_ticket, actor_id=agent, subject="Just a complaint", now=now)

    resp = lc.get(f"/playbooks/{crises}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Version 1; tickets under way keep the version they started with." in html
    assert "Kinds: <strong>Crisis</strong>" in html
    assert "€25.00" in html and "€50.00" in html
    assert "Apologise for the trouble" in html and "Lee Lead" in html
    refs = build(lambda: {t.id: t.reference for t in db.session.scalars(sa.select(Ticket))})
    assert f'href="/tickets/{plain}">{refs[plain]}</a>' in html
    assert f'href="/tickets/{big}">{refs[big]}</a>' in html
    assert refs[old] not in html and refs[complaint] not in html
    big_row = re.search(r"Line stopped.*?</tr>", html, re.S).group(0)
    assert "Another wins: Strategic crises" in big_row
    assert "This playbook" in re.search(r"Pallet lost.*?</tr>", html, re.S).group(0)
    assert 'action="/playbooks/%d/retire"' % crises in html
    assert 'action="/playbooks/%d/default"' % crises in html


def test_admins_see_the_preview_counts_but_no_tickets(build, login, make_user, lead, now):
    general = build(_make_playbook, lead, now, "General", default=True)
    build(_make_playbook, lead, now, "Crises", conditions={"kinds": ["crisis"]})
    agent = build(factories.make_user, Role.AGENT)
    crisis = build(
        factories.make_ticket,
        actor_id=agent,
        kind=TicketKind.CRISIS,
        subject="Secret crisis",
        now=now,
    )
    build(factories.make_ticket, actor_id=agent, subject="Secret complaint", now=now)
    html = login(make_user(Role.ADMIN)).get(f"/playbooks/{general}").get_data(as_text=True)
    assert "2 tickets match." in html
    assert "this playbook would be chosen for 1" in html and "Crises would win 1" in html
    assert "2 tickets are counted but not listed" in html
    assert "Secret" not in html and f'href="/tickets/{crisis}"' not in html
    html = login(lead).get(f"/playbooks/{general}").get_data(as_text=True)
    assert "Secret crisis" in html and "Secret complaint" in html
    assert "counted but not listed" not in html


def test_unknown_playbook_is_404(lc):
    assert lc.get("/playbooks/999999").status_code == 404
    assert lc.get("/playbooks/999999/edit").status_code == 404
    assert lc.post("/playbooks/999999/retire").status_code == 404


# ----------------------------------------------------------------- create


def test_create_through_the_form(build, lc):
    html = lc.get("/playbooks/new").get_data(as_text=True)
    assert 'name="steps-2-title"' in html and 'name="steps-3-title"' not in html
    assert "Missing or short shipment" in html  # categories by name
    rows = [
        _row(3, "Explain the cause", "explanation", due_hours="72"),
        _row(1, "Call the customer back"),
        _row(2, "Apologise", "apology", guidance="For the trouble, not a specific fault."),
        _row(2, "Update the customer", "status_update", recur_hours="24", required=""),
        BLANK,
        BLANK,
        BLANK,
    ]
    resp = lc.post(
        "/playbooks/new",
        data=_form(
            "Key shortages",
            rows=rows,
            kinds=["crisis", "complaint"],
            categories=["missing_short_shipment"],
            tiers=["key", "strategic"],
        ),
    )
    assert resp.status_code == 302
    playbook_id = int(resp.location.rsplit("/", 1)[1])

    def saved():
        version = db.session.get(Playbook, playbook_id).current_version
        return version, [
            (s.position, s.title, s.kind, s.required, s.recur_hours) for s in version.steps
        ]

    version, steps = build(saved)
    assert steps == [
        (1, "Call the customer back", StepKind.TASK, True, None),
        (2, "Apologise", StepKind.APOLOGY, True, None),
        (3, "Update the customer", StepKind.STATUS_UPDATE, False, 24),
        (4, "Explain the cause", StepKind.EXPLANATION, True, None),
    ]
    assert version.number == 1
    assert version.conditions == {
        "kinds": ["complaint", "crisis"],
        "categories": ["missing_short_shipment"],
        "tiers": ["key", "strategic"],
    }
    assert version.evidence_threshold == Decimal("25")
    assert version.approval_limits == {"agent": "50"}
    assert "created as version 1" in lc.get(resp.location).get_data(as_text=True)


def test_errors_are_shown_next_to_their_fields_and_nothing_is_saved(build, lc):
    cases = [
        (_form(""), "name", "This field is required."),
        (_form(rows=[_row(1, "Fix it"), BLANK]), "steps", "needs an apology step"),
        (_form(rows=[BLANK, BLANK]), "steps", "at least one step"),
        (
            _form(rows=[r for r in ROWS] + [{**BLANK, "guidance": "No title here"}]),
            "steps",
            "Step 5 needs a title",
        ),
        (_form(goodwill_value="45"), "goodwill_value", "above the goodwill cap"),
        (_form(rows=ROWS + [_row(5, "Too soon", due_hours="-2")]), "steps-4-due_hours", None),
        (_form(evidence_threshold=""), "evidence_threshold", "This field is required."),
        (_form(kinds=["nonsense"]), "kinds", "not a valid choice"),
    ]
    for data, field, message in cases:
        resp = lc.post("/playbooks/new", data=data)
        assert resp.status_code == 200, field
        html = resp.get_data(as_text=True)
        if field == "steps-4-due_hours":
            assert 'name="steps-4-due_hours"' in html and "is-invalid" in html
            assert "Number must be between 0 and 100000." in html
        else:
            assert message in (field_error(html, field) or ""), (field, html[:200])
        assert 'name="name"' in html  # the form again, with what was entered
    assert build(lambda: _count(Playbook)) == 0


def test_preview_on_the_new_form_saves_nothing(build, lc, lead, now):
    agent = build(factories.make_user, Role.AGENT)
    crisis = build(
        factories.make_ticket,
        actor_id=agent,
        kind=TicketKind.CRISIS,
        subject="Crisis ticket",
        now=now,
    )
    build(factories.make_ticket, actor_id=agent, subject="Quiet complaint", now=now)
    data = _form(kinds=["crisis"], rows=ROWS[:2] + [BLANK], preview="Preview matches")
    data.pop("save")
    resp = lc.post("/playbooks/new", data=data)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Crisis ticket" in html and "Quiet complaint" not in html
    assert f'href="/tickets/{crisis}"' in html and "This playbook" in html
    assert "Kinds: <strong>Crisis</strong>" in html
    # The rows come back with three empty ones for more steps.
    assert 'name="steps-4-title"' in html and 'name="steps-5-title"' not in html
    assert build(lambda: _count(Playbook)) == 0


# ----------------------------------------------------------------- edit


def test_edit_reorders_by_position_and_removes_a_step(build, lc, lead, now):
    playbook_id = build(_make_playbook, lead, now, "Shortages", default=True)
    agent = build(factories.make_user, Role.AGENT)
    under_way = build(factories.make_ticket, actor_id=agent, now=now)

    html = lc.get(f"/playbooks/{playbook_id}/edit").get_data(as_text=True)
    assert 'value="Call the customer back"' in html
    assert re.search(r'name="base_version" type="hidden" value="1"', html)
    assert 'name="steps-6-title"' in html and 'name="steps-7-title"' not in html
    assert "Version 1; tickets under way keep the version they started with." in html

    rows = [
        _row(2, "Call the customer back"),
        _row(1, "Apologise for the trouble", "apology"),
        _row(3, "Reship the missing items", remove="y"),
        _row(3, "Explain what went wrong", "explanation"),
        _row(9, "Ask how it went", required=""),
        BLANK,
        BLANK,
    ]
    resp = lc.post(
        f"/playbooks/{playbook_id}/edit", data=_form("Shortages", rows=rows, base_version="1")
    )
    assert resp.status_code == 302
    assert build(_versions, playbook_id) == [
        [s.title for s in STEPS],
        [
            "Apologise for the trouble",
            "Call the customer back",
            "Explain what went wrong",
            "Ask how it went",
        ],
    ]
    page = lc.get(resp.location).get_data(as_text=True)
    assert "Saved as version 2" in page
    assert "Version 2; tickets under way keep the version they started with." in page
    # The ticket that was under way keeps version 1's steps.
    titles = build(lambda: [s.title for s in db.session.get(Ticket, under_way).steps])
    assert titles == [s.title for s in STEPS]


def test_an_edit_with_errors_or_a_stale_version_saves_nothing(build, lc, lead, now):
    playbook_id = build(_make_playbook, lead, now)
    resp = lc.post(
        f"/playbooks/{playbook_id}/edit", data=_form(rows=[_row(1, "Only a task"), BLANK])
    )
    assert resp.status_code == 200
    assert "needs an apology step" in field_error(resp.get_data(as_text=True), "steps")
    build(
        lambda: playbook_admin.update_playbook(
            db.session.get(Playbook, playbook_id),
            actor=load(User, lead),
            now=now,
            spec=PlaybookSpec(name="Shortages", steps=STEPS[1:]),
        )
    )
    resp = lc.post(f"/playbooks/{playbook_id}/edit", data=_form(base_version="1"))
    assert resp.status_code == 200
    assert "Someone saved version 2" in resp.get_data(as_text=True)
    assert len(build(_versions, playbook_id)) == 2


def test_preview_of_unsaved_edits(build, lc, lead, now):
    playbook_id = build(_make_playbook, lead, now, "Crises", conditions={"kinds": ["crisis"]})
    agent = build(factories.make_user, Role.AGENT)
    build(
        factories.make_ticket, actor_id=agent, kind=TicketKind.CRISIS, subject="Crisis one", now=now
    )
    build(
        factories.make_ticket,
        actor_id=agent,
        subject="Wrong colour",
        category="wrong_item",
        now=now,
    )
    data = _form("Crises", categories=["wrong_item"], preview="Preview matches")
    data.pop("save")
    resp = lc.post(f"/playbooks/{playbook_id}/edit", data=data)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Wrong colour" in html and "Crisis one" not in html
    assert "Categories: <strong>Wrong item</strong>" in html
    assert "Nothing is saved until you press" in html
    conditions = build(lambda: db.session.get(Playbook, playbook_id).current_version.conditions)
    assert conditions == {"kinds": ["crisis"]}
    assert build(lambda: _count(PlaybookVersion)) == 1


# ----------------------------------------------------------------- buttons


def test_retire_activate_and_default_buttons(build, lc, lead, now):
    general = build(_make_playbook, lead, now, "General", default=True)
    other = build(_make_playbook, lead, now, "Other")

    def state(pid):
        playbook = db.session.get(Playbook, pid)
        return playbook.active, playbook.is_default

    resp = lc.post(f"/playbooks/{general}/retire")
    assert resp.status_code == 302 and resp.location.endswith(f"/playbooks/{general}")
    assert "cannot be retired" in lc.get(resp.location).get_data(as_text=True)
    assert build(state, general) == (True, True)

    assert lc.post(f"/playbooks/{other}/retire").status_code == 302
    assert build(state, other) == (False, False)
    assert "Put back in use" in lc.get(f"/playbooks/{other}").get_data(as_text=True)
    assert lc.post(f"/playbooks/{other}/default").status_code == 302
    assert build(state, other) == (False, False)
    assert lc.post(f"/playbooks/{other}/activate").status_code == 302
    assert lc.post(f"/playbooks/{other}/default").status_code == 302
    assert build(state, other) == (True, True) and build(state, general) == (True, False)


def test_buttons_need_the_csrf_token(app, build, lc, lead, now):
    playbook_id = build(_make_playbook, lead, now)
    app.config["WTF_CSRF_ENABLED"] = True
    assert lc.post(f"/playbooks/{playbook_id}/retire").status_code == 400
    assert build(lambda: db.session.get(Playbook, playbook_id).active)


def test_nav_link_for_leads_and_admins_only(make_user, login):
    for role, shown in (
        (Role.LEAD, True),
        (Role.ADMIN, True),
        (Role.AGENT, False),
        (Role.ACCOUNT_MANAGER, False),
    ):
        html = login(make_user(role)).get("/settings").get_data(as_text=True)
        assert ('href="/playbooks/"' in html) is shown, role


def test_the_editor_saves_the_event_that_ticks_each_step(build, lc):
    """A step can name what ticks it: a public reply, a delivered make-whole or goodwill."""
    html = lc.get("/playbooks/new").get_data(as_text=True)
    for label in ("ticked by a public reply", "ticked when one is delivered"):
        assert label in html
    rows = [
        _row(1, "Call the customer back", "answer"),
        _row(2, "Apologise", "apology"),
        _row(3, "Reship today", "make_whole", due_hours="24"),
        _row(4, "Add a sample", "goodwill", due_hours="24"),
        _row(5, "Explain the cause", "explanation"),
        BLANK,
    ]
    resp = lc.post("/playbooks/new", data=_form("Shortages ticked", rows=rows))
    assert resp.status_code == 302
    playbook_id = int(resp.location.rsplit("/", 1)[1])

    def kinds():
        version = db.session.get(Playbook, playbook_id).current_version
        return [(s.title, s.kind) for s in version.steps]

    assert build(kinds) == [
        ("Call the customer back", StepKind.ANSWER),
        ("Apologise", StepKind.APOLOGY),
        ("Reship today", StepKind.MAKE_WHOLE),
        ("Add a sample", StepKind.GOODWILL),
        ("Explain the cause", StepKind.EXPLANATION),
    ]
