"""The recovery rules: defaults, saving with bounds, and the leads' settings page."""

import re
from dataclasses import asdict, replace
from datetime import UTC

import pytest
import sqlalchemy as sa

from tests.support import field_error
from ticketdesk.core import clock
from ticketdesk.core.errors import DomainError, PermissionDenied
from ticketdesk.extensions import db
from ticketdesk.models import RecoveryRules, Role, User
from ticketdesk.services.recovery import rules as rules_module
from ticketdesk.services.recovery.rules import RulesData

DEFAULTS = RulesData(
    require_make_whole_in_sla=True,
    require_apology=True,
    reopen_window_days=14,
    min_satisfaction=4,
    exclude_conceded=True,
    first_complaint_months=12,
    exclude_p1=True,
    require_prior_purchase=True,
    repeat_failure_months=12,
    retention_window_days=90,
    survey_valid_days=14,
    reopen_below_score=3,
    segment_window_days=90,
    self_driven_min_purchases=3,
    stalled_drop_percent=50,
    self_driven_min_share=50,
)


def _form(data: RulesData) -> dict:
    """What the browser posts: ticked boxes as "y", unticked ones left out."""
    form = {}
    for name, value in asdict(data).items():
        if isinstance(value, bool):
            if value:
                form[name] = "y"
        else:
            form[name] = "" if value is None else str(value)
    return form


def _saved() -> RecoveryRules | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(RecoveryRules))


@pytest.fixture
def people(make_user):
    return {role: make_user(role) for role in Role}


# ----------------------------------------------------------------- the service


def test_defaults_until_someone_saves(ctx):
    rules = rules_module.current()
    assert rules.id is None and rules not in db.session
    assert {name: getattr(rules, name) for name in asdict(DEFAULTS)} == asdict(DEFAULTS)
    assert rules_module.defaults() == asdict(DEFAULTS)


def test_update_saves_one_row(ctx, people):
    lead = db.session.get(User, people[Role.LEAD])
    changed = replace(
        DEFAULTS,
        require_apology=False,
        reopen_window_days=7,
        reopen_below_score=None,
        first_complaint_months=0,
        repeat_failure_months=0,
        self_driven_min_share=100,
    )
    rules_module.update(changed, actor=lead)
    rules_module.update(replace(changed, retention_window_days=60), actor=lead)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryRules)) == 1
    rules = _saved()
    assert rules.updated_by_id == lead.id
    expected = asdict(replace(changed, retention_window_days=60))
    assert {name: getattr(rules, name) for name in expected} == expected
    assert rules_module.current().id == rules.id


def test_never_reopen_is_kept_on_the_first_save(ctx, people):
    rules_module.update(
        replace(DEFAULTS, reopen_below_score=None), actor=db.session.get(User, people[Role.LEAD])
    )
    assert _saved().reopen_below_score is None
    assert rules_module.current().reopen_below_score is None


@pytest.mark.parametrize(
    "field, bad",
    [
        ("reopen_window_days", 0),
        ("reopen_window_days", 366),
        ("reopen_window_days", None),
        ("min_satisfaction", 0),
        ("min_satisfaction", 6),
        ("first_complaint_months", -1),
        ("first_complaint_months", 61),
        ("repeat_failure_months", -1),
        ("repeat_failure_months", 61),
        ("retention_window_days", 0),
        ("retention_window_days", 731),
        ("survey_valid_days", 0),
        ("survey_valid_days", 91),
        ("reopen_below_score", 1),
        ("reopen_below_score", 6),
        ("segment_window_days", 6),
        ("segment_window_days", 731),
        ("self_driven_min_purchases", 0),
        ("stalled_drop_percent", 0),
        ("stalled_drop_percent", 101),
        ("self_driven_min_share", 0),
        ("self_driven_min_share", 101),
        ("retention_window_days", 2.5),
        ("retention_window_days", True),
    ],
)
def test_out_of_bounds_names_the_field(ctx, people, field, bad):
    lead = db.session.get(User, people[Role.LEAD])
    with pytest.raises(DomainError) as err:
        rules_module.update(replace(DEFAULTS, **{field: bad}), actor=lead)
    assert err.value.field == field
    assert "whole number" in str(err.value)
    assert _saved() is None


@pytest.mark.parametrize(
    "field, edge",
    [
        ("reopen_window_days", 1),
        ("reopen_window_days", 365),
        ("min_satisfaction", 1),
        ("min_satisfaction", 5),
        ("reopen_below_score", 2),
        ("reopen_below_score", 5),
        ("segment_window_days", 7),
        ("stalled_drop_percent", 100),
        ("first_complaint_months", 60),
    ],
)
def test_bounds_are_inclusive(ctx, people, field, edge):
    rules_module.update(
        replace(DEFAULTS, **{field: edge}), actor=db.session.get(User, people[Role.ADMIN])
    )
    assert getattr(_saved(), field) == edge


@pytest.mark.parametrize("role", [Role.AGENT, Role.ACCOUNT_MANAGER])
def test_only_leads_and_admins_change_the_rules(ctx, people, role):
    with pytest.raises(PermissionDenied):
        rules_module.update(DEFAULTS, actor=db.session.get(User, people[role]))
    assert _saved() is None


def test_desk_date_uses_the_desk_timezone(app, ctx):
    from datetime import date, datetime

    moment = datetime(2026, 1, 4, 20, 0, tzinfo=UTC)
    assert clock.desk_date(moment) == date(2026, 1, 4)
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Shanghai"
    assert clock.desk_date(moment) == date(2026, 1, 5)


# ----------------------------------------------------------------- the page


def test_rules_page_access(client, login, people):
    resp = client.get("/recovery/rules")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.post("/recovery/rules", data=_form(DEFAULTS)).status_code == 302
    for role, status in (
        (Role.AGENT, 403),
        (Role.ACCOUNT_MANAGER, 403),
        (Role.LEAD, 200),
        (Role.ADMIN, 200),
    ):
        assert login(people[role]).get("/recovery/rules").status_code == status
    for role in (Role.AGENT, Role.ACCOUNT_MANAGER):
        assert login(people[role]).post("/recovery/rules", data=_form(DEFAULTS)).status_code == 403
    with client.application.app_context():
        assert _saved() is None


def test_rules_page_shows_every_rule_grouped_with_help(login, people):
    html = login(people[Role.LEAD]).get("/recovery/rules").get_data(as_text=True)
    for heading in (
        "Recovery success",
        "Loyalty candidates",
        "Satisfaction surveys",
        "Engagement segments",
    ):
        assert f">{heading}</h2>" in html
    for name in asdict(DEFAULTS):
        assert f'name="{name}"' in html
        assert f'id="{name}-help"' in html
    assert re.search(r'id="reopen_window_days" max="365" min="1"', html)
    assert re.search(r'id="first_complaint_months" max="60" min="0"', html)
    assert "the values below are the defaults" in html
    assert re.search(r'name="reopen_window_days"[^>]*value="14"', html)


def test_save_through_the_page(app, login, people):
    client = login(people[Role.LEAD])
    changed = replace(
        DEFAULTS,
        require_apology=False,
        exclude_p1=False,
        reopen_window_days=10,
        reopen_below_score=None,
        stalled_drop_percent=40,
    )
    resp = client.post("/recovery/rules", data=_form(changed))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/recovery/rules")
    with app.app_context():
        rules = _saved()
        assert {name: getattr(rules, name) for name in asdict(changed)} == asdict(changed)
    page = client.get("/recovery/rules").get_data(as_text=True)
    assert "Recovery rules saved" in page and "Last saved" in page
    assert re.search(r'name="reopen_window_days"[^>]*value="10"', page)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("reopen_window_days", "0", "Enter a whole number from 1 to 365."),
        ("min_satisfaction", "9", "Enter a whole number from 1 to 5."),
        ("reopen_below_score", "1", "Enter a whole number from 2 to 5."),
        ("segment_window_days", "", "This field is required."),
        ("retention_window_days", "ninety", "Not a valid integer value."),
    ],
)
def test_bad_values_show_on_their_field(app, login, people, field, value, message):
    data = _form(DEFAULTS)
    data[field] = value
    resp = login(people[Role.ADMIN]).post("/recovery/rules", data=data)
    assert resp.status_code == 400
    assert field_error(resp.get_data(as_text=True), field) == message
    with app.app_context():
        assert _saved() is None


def test_rules_page_needs_the_csrf_token(app, login, people):
    app.config["WTF_CSRF_ENABLED"] = True
    resp = login(people[Role.LEAD]).post("/recovery/rules", data=_form(DEFAULTS))
    assert resp.status_code == 400
    with app.app_context():
        assert _saved() is None
