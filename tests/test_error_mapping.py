"""A service's error reaches the user in one way: on its form field, or as the page its class
maps to (``ticketdesk.errors.ERROR_PAGES``); a PermissionDenied is never a field's message."""

import pytest
from flask import session
from flask_wtf import FlaskForm
from wtforms import StringField

from ticketdesk.core.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from ticketdesk.core.forms import flash_error, show_error
from ticketdesk.errors import ERROR_PAGES, http_status
from ticketdesk.services.recovery.surveys import SurveyNotFound

# error raised by a view nobody handled -> status, words on the page users see
PAGES = [
    (DomainError("Rule broken."), 400, "The request could not be completed"),
    (PermissionDenied("Not for you."), 403, "You are not allowed to do that"),
    (NotFound("No such thing."), 404, "The request could not be completed"),
    (SurveyNotFound("Damaged link."), 404, "The request could not be completed"),
    (InvalidTransition("Too late."), 409, "The request could not be completed"),
    (Conflict("Changed meanwhile."), 409, "The request could not be completed"),
    (RateLimited("Slow down."), 429, "Please slow down"),
]


@pytest.mark.parametrize(
    ("exc", "status", "heading"), PAGES, ids=[type(row[0]).__name__ for row in PAGES]
)
def test_each_error_class_has_its_status_and_page(app, client, exc, status, heading):
    def raises():
        raise exc

    app.add_url_rule("/raises", "raises", raises)
    resp = client.get("/raises")
    html = resp.get_data(as_text=True)
    assert (resp.status_code, http_status(exc)) == (status, status)
    assert heading in html and exc.message in html


def test_every_error_class_of_the_core_is_mapped():
    assert set(ERROR_PAGES) == {
        DomainError,
        PermissionDenied,
        NotFound,
        InvalidTransition,
        Conflict,
        RateLimited,
    }


class _Form(FlaskForm):
    class Meta:
        csrf = False

    name = StringField()
    email = StringField()


@pytest.fixture
def form(app):
    with app.test_request_context("/"):
        yield _Form()


def _shown(form) -> dict:
    return {
        "name": list(form.name.errors),
        "email": list(form.email.errors),
        "top": list(form.form_errors),
    }


# the error's field, the view's default, aliases -> where the message appears
PLACES = [
    ("email", None, None, "email"),  # the field the service named
    ("email", "name", None, "email"),  # ... wins over the view's default
    (None, "name", None, "name"),  # no field named: the view's default
    ("password", "name", None, "name"),  # a field this form lacks: the default
    ("password", None, None, "top"),  # ... and without a default: above the form
    (None, None, None, "top"),
    ("login", None, {"login": "email"}, "email"),  # the service's name for a form field
]


@pytest.mark.parametrize(("field", "default", "aliases", "place"), PLACES)
def test_show_error_puts_the_message_on_its_field_or_above_the_form(
    form, field, default, aliases, place
):
    form.email.errors = ["Already wrong."]
    show_error(form, DomainError("Say it here.", field=field), default, aliases=aliases)
    shown = _shown(form)
    assert shown.pop(place)[-1] == "Say it here."
    assert all("Say it here." not in errors for errors in shown.values())
    assert "Already wrong." in form.email.errors


def test_show_error_can_flash_what_has_no_field(app):
    with app.test_request_context("/"):
        form = _Form()
        show_error(
            form, DomainError("Nowhere to put it.", field="password"), None, otherwise="flash"
        )
        flash_error(InvalidTransition("Not now."), "warning")
        assert _shown(form) == {"name": [], "email": [], "top": []}
        assert session["_flashes"] == [("danger", "Nowhere to put it."), ("warning", "Not now.")]


@pytest.mark.parametrize(
    "exc",
    [
        Conflict("Changed.", field="name"),
        RateLimited("Later."),
        NotFound("No ticket TD-9.", field="email"),
    ],
    ids=["Conflict", "RateLimited", "NotFound"],
)
def test_errors_about_the_input_or_the_record_go_on_the_form(form, exc):
    show_error(form, exc, "name")
    assert str(exc) in [*form.name.errors, *form.email.errors]


def test_permission_denied_is_never_a_form_message(app):
    with app.test_request_context("/"):
        form = _Form()
        denied = PermissionDenied("Not yours.", field="name")
        with pytest.raises(PermissionDenied) as shown:
            show_error(form, denied, "name")
        assert shown.value is denied
        with pytest.raises(PermissionDenied):
            flash_error(denied)
        assert _shown(form) == {"name": [], "email": [], "top": []}
        assert "_flashes" not in session
