"""Error pages share the product's look and never leak details."""

from ticketdesk.models import Role


def test_404_page(client):
    resp = client.get("/no/such/page")
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    assert "We could not find that page" in html and "bootstrap.min.css" in html


def test_403_page(make_user, login):
    resp = login(make_user(Role.AGENT)).get("/admin/users")
    assert resp.status_code == 403
    assert "You are not allowed to do that" in resp.get_data(as_text=True)


def test_500_page_is_friendly_and_rolls_back(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom():
        raise ValueError("secret internals")

    app.add_url_rule("/boom", "boom", boom)
    resp = client.get("/boom")
    assert resp.status_code == 500
    html = resp.get_data(as_text=True)
    assert "Something went wrong on our side" in html
    assert "secret internals" not in html


def test_csrf_failure_page(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    resp = client.post("/complain", data={"name": "x"})
    assert resp.status_code == 400
    assert "CSRF" in resp.get_data(as_text=True)


def test_upload_over_the_request_limit_gets_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    resp = client.post("/complain", data={"description": "x" * 5000})
    assert resp.status_code == 413
    assert "Upload too large" in resp.get_data(as_text=True)
