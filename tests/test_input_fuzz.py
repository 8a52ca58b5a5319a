"""Hostile input at every boundary never gets a 5xx.

The routes come from ``app.url_map`` and the fields from every form class of the
blueprint that owns the route, so a new screen is fuzzed without touching this file.
Each example sends one request to every route: hostile values (huge and negative
numbers, ids out of range, Infinity/NaN/sNaN/1e309, NUL bytes, very long text, CR/LF,
unicode, calendar extremes, empty values) mixed with plausible ones, in the path, the
query string and the form, as an admin, a lead, an agent and (on the public pages and
the login) nobody. Any 5xx fails the test (TESTING re-raises the error).
"""

import importlib
import inspect
import pkgutil
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    SubmitField,
)

import ticketdesk
from tests import factories
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import (
    Notification,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    Role,
    Ticket,
    TicketStep,
    User,
)
from ticketdesk.services.customers import orders
from ticketdesk.services.ledger import remedies as ledger

HOSTILE = (
    "9223372036854775808",
    "2147483648",
    "2147483647",
    "-2147483649",
    "-1",
    "0",
    "99999999999999999999999999999999",
    "9" * 5000,
    "x" * 30_000,
    "Infinity",
    "-Infinity",
    "NaN",
    "sNaN",
    "1e309",
    "-1e309",
    "1e30",
    "1E-400",
    "\x00",
    "a\x00b",
    "line\r\nInjected: header",
    "\r\n\r\n",
    "ünïcödé ✓ 中文 🎉 \u202e\ufeff",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "",
    " ",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "%00",
    "[]",
    "{}",
)
# Query parameters the list and report pages read.
QUERY_NAMES = ("page", "next", "q", "since", "until", "days", "team", "customer")
ROLES = ("admin", "lead", "agent", None)
# What anonymous visitors can reach; for them every other route is a redirect to the login.
PUBLIC_ENDPOINTS = ("public.", "auth.login")
ID_ARGS = {  # a route's id argument → the world's row of that kind
    "ticket_id": "ticket",
    "customer_id": "customer",
    "remedy_id": "remedy",
    "playbook_id": "playbook",
    "rule_id": "rule",
    "policy_id": "policy",
    "calendar_id": "calendar",
    "user_id": "agent",
    "team_id": "team",
    "category_id": "category",
    "notification_id": "notification",
    "order_id": "order",
    "step_id": "step",
    "attachment_id": "ticket",
}


def _form_classes() -> dict[str, list[type[FlaskForm]]]:
    """Every form class of the package, by the blueprint (package) that defines it."""
    for info in pkgutil.walk_packages(ticketdesk.__path__, "ticketdesk."):
        if info.name.endswith((".forms", ".views")):
            importlib.import_module(info.name)
    found: dict[str, list[type[FlaskForm]]] = {}
    todo = list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        parts = cls.__module__.split(".")
        if parts[0] == "ticketdesk" and len(parts) >= 3:
            found.setdefault(parts[1], []).append(cls)
    return found


def _fields(form_cls, prefix="") -> list[tuple[str, object]]:
    """(name in the posted form, unbound field) for each field, FieldLists as row 0 and 1."""
    out = []
    for name, unbound in _unbound(form_cls):
        kind = unbound.field_class
        if issubclass(kind, SubmitField):
            out.append((prefix + name, unbound))
        elif issubclass(kind, FieldList):
            inner = unbound.args[0] if unbound.args else unbound.kwargs.get("unbound_field")
            for row in (0, 1):
                if issubclass(inner.field_class, FormField):
                    out += _fields(inner.args[0], f"{prefix}{name}-{row}-")
                else:
                    out.append((f"{prefix}{name}-{row}", inner))
        elif issubclass(kind, FormField):
            out += _fields(unbound.args[0], f"{prefix}{name}-")
        else:
            out.append((prefix + name, unbound))
    return out


def _unbound(form_cls):
    """The class's fields in declaration order (as WTForms orders them)."""
    fields = []
    for name in dir(form_cls):
        if not name.startswith("_"):
            value = getattr(form_cls, name)
            if hasattr(value, "field_class"):
                fields.append((name, value))
    return sorted(fields, key=lambda f: (f[1].creation_counter, f[0]))


def _plausible(name: str, unbound, world: dict) -> st.SearchStrategy[str]:
    """Values a real user would send for this field."""
    kind = unbound.field_class
    choices = unbound.kwargs.get("choices")
    if name.endswith("version"):
        return st.sampled_from(["1", "2", str(world["ticket_version"])])
    if issubclass(kind, BooleanField):
        return st.sampled_from(["y", ""])
    if issubclass(kind, (SelectField, SelectMultipleField, RadioField)) and choices:
        values = [c[0] if isinstance(c, tuple) else getattr(c, "value", c) for c in choices]
        return st.sampled_from([str(v) for v in values] or [""])
    if name.endswith(("_id", "_ids", "team", "category")) or "coerce" in unbound.kwargs:
        return st.sampled_from([str(i) for i in world["ids"]] + [""])
    if issubclass(kind, DateField):
        return st.sampled_from(["2026-03-02", "2026-12-24", ""])
    if issubclass(kind, (IntegerField, DecimalField)):
        return st.sampled_from(["1", "5", "75", "12.5", ""])
    if name.endswith("minutes"):
        return st.sampled_from(["4h", "1h 30m", "45m", "1:30"])
    if "email" in name:
        return st.sampled_from(["ada@example.test", "not-an-email"])
    if name.startswith("hours_"):
        return st.sampled_from(["09:00-17:00", ""])
    if name == "timezone":
        return st.sampled_from(["Europe/Berlin", "UTC"])
    if name == "currency":
        return st.sampled_from(["EUR", "JPY"])
    return st.sampled_from(["A normal sentence about the bottle.", "TD-000001", "x"])


def _value(name: str, unbound, world: dict) -> st.SearchStrategy[str]:
    return st.one_of(_plausible(name, unbound, world), st.sampled_from(HOSTILE))


@pytest.fixture
def world(app):
    """One of everything a route can name, made through the services."""
    with app.app_context():
        now = utcnow()
        factories.seed_shipped_defaults(now)
        admin = factories.make_user(Role.ADMIN)
        lead = factories.make_user(Role.LEAD)
        agent = factories.make_user(Role.AGENT)
        manager = factories.make_user(Role.ACCOUNT_MANAGER)
        team = factories.make_team(member_ids=(lead, agent))
        customer = factories.make_customer(
            account_manager_id=manager, contact_email="buyer@example.test"
        )
        ticket_id = factories.make_ticket(
            actor_id=lead,
            customer_id=customer,
            team_id=team,
            assignee_id=agent,
            order_value=Decimal("120"),
        )
        ticket = db.session.get(Ticket, ticket_id)
        remedy = ledger.propose_remedy(
            ticket,
            actor=db.session.get(User, agent),
            now=now,
            draft=ledger.RemedyDraft(
                kind=RemedyKind.MAKE_WHOLE,
                form=RemedyForm.RESHIP,
                description="One bottle reshipped",
                cost=Decimal("9"),
                reason=RemedyReason.MISSING_ITEMS,
            ),
        )
        order = orders.add_order(
            ticket.customer,
            actor=db.session.get(User, lead),
            now=now,
            data=orders.OrderData(
                reference="PO-1",
                ordered_on=(now - timedelta(days=3)).date(),
                amount=Decimal("50"),
                currency="EUR",
            ),
        )
        from ticketdesk.models import BusinessCalendar, Playbook, RoutingRule, SlaPolicy

        first = lambda model: db.session.scalar(db.select(model.id).limit(1))  # noqa: E731
        rows = {
            "admin": admin,
            "lead": lead,
            "agent": agent,
            "manager": manager,
            "team": team,
            "customer": customer,
            "ticket": ticket_id,
            "remedy": remedy.id,
            "order": order.id,
            "playbook": first(Playbook),
            "rule": first(RoutingRule),
            "policy": first(SlaPolicy),
            "calendar": first(BusinessCalendar),
            "category": factories.category_id(),
            "step": db.session.scalar(
                db.select(TicketStep.id).where(TicketStep.ticket_id == ticket_id).limit(1)
            ),
            "notification": db.session.scalar(db.select(Notification.id).limit(1)),
        }
        rows["ticket_version"] = ticket.version
        rows["token"] = ticket.public_token
    rows["ids"] = sorted(
        {v for k, v in rows.items() if isinstance(v, int) and k != "ticket_version"}
    )
    return rows


def _rules(app, method: str, role):
    return sorted(
        (
            r
            for r in app.url_map.iter_rules()
            if method in r.methods
            and r.endpoint != "static"
            and (role is not None or r.endpoint.startswith(PUBLIC_ENDPOINTS))
        ),
        key=lambda r: r.rule,
    )


_ARG_RE = re.compile(r"""(?:_arg|args\.get(?:list)?|id_args?)\(\s*["'](\w+)["']""")


def _query_names(app, rule, forms) -> list[str]:
    """The query parameters a GET route reads: names in its view's source, the fields of
    its blueprint's query forms (no CSRF token), and the common ones."""
    view = app.view_functions[rule.endpoint]
    names = set(_ARG_RE.findall(inspect.getsource(inspect.unwrap(view))))
    for cls in forms.get(rule.endpoint.split(".")[0], []):
        if not getattr(cls.Meta, "csrf", True):
            names.update(name for name, _f in _unbound(cls))
    return sorted(names | set(QUERY_NAMES))


@st.composite
def _path(draw, rule, world):
    """The rule's URL with real ids (mostly) or hostile ones in its arguments."""
    values = {}
    for arg in rule.arguments:
        if arg == "token":
            values[arg] = draw(st.sampled_from([world["token"], "nope", "a" * 500, "%00"]))
        elif arg == "name":
            values[arg] = draw(st.sampled_from(["summary", "agents", "at_risk", "x"]))
        else:
            real = world.get(ID_ARGS.get(arg, "ticket")) or 1
            values[arg] = draw(
                st.sampled_from(
                    [str(real)] * 3
                    + ["0", "2147483647", "2147483648", "9223372036854775808", "9" * 30]
                )
            )
    url = rule.rule
    for arg, value in values.items():
        url = url.replace(f"<{arg}>", value)
        for conv in ("int", "path", "string"):
            url = url.replace(f"<{conv}:{arg}>", value)
    return url


def _client(app, world, role):
    client = app.test_client()
    if role is None:
        return client
    factories.log_in(client, world[role])
    # Logged in for real: a staff page answers instead of sending to the login.
    assert client.get("/settings").status_code == 200, role
    return client


def _settings(examples: int):
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# No shrinking (the failing request is named in the assertion) and few examples: each
# example already sends one request to every route.
POST_SETTINGS, GET_SETTINGS = _settings(4), _settings(3)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_hostile_form_posts_never_get_a_5xx(app, world, role):
    forms = _form_classes()
    rules = _rules(app, "POST", role)
    assert len(rules) > (40 if role else 2)  # the walk found the app's routes
    fields_of = {
        bp: [f for cls in sorted(classes, key=lambda c: c.__qualname__) for f in _fields(cls)]
        for bp, classes in forms.items()
    }
    client = _client(app, world, role)

    @POST_SETTINGS
    @given(data=st.data())
    def post(data):
        for rule in rules:  # every route in every example, each with its own values
            fields = fields_of.get(rule.endpoint.split(".")[0], [])
            chosen = data.draw(
                st.lists(st.sampled_from(fields), max_size=10, unique_by=lambda f: f[0])
                if fields
                else st.just([]),
                label=f"{rule.endpoint} fields",
            )
            form = {
                name: data.draw(_value(name.rsplit("-", 1)[-1], unbound, world), label=name)
                for name, unbound in chosen
            }
            url = data.draw(_path(rule, world), label="url")
            resp = client.post(url, data=form)
            assert resp.status_code < 500, (url, {k: v[:80] for k, v in form.items()})

    post()


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_hostile_query_strings_and_paths_never_get_a_5xx(app, world, role):
    rules = _rules(app, "GET", role)
    forms = _form_classes()
    names_of = {r.endpoint: _query_names(app, r, forms) for r in rules}
    client = _client(app, world, role)
    plain = st.sampled_from(
        [
            "1",
            "2",
            "all",
            "unread",
            "any",
            "team",
            "time_left",
            "2026-03-01",
            "7",
            "goodwill",
            "none",
            "open",
            "p1",
        ]
    )

    @GET_SETTINGS
    @given(data=st.data())
    def get(data):
        for rule in rules:  # every route in every example, each with its own values
            names = data.draw(
                st.lists(st.sampled_from(names_of[rule.endpoint]), max_size=6),
                label=f"{rule.endpoint} names",
            )
            query = [
                (n, data.draw(st.one_of(plain, st.sampled_from(HOSTILE)), label=n)) for n in names
            ]
            url = data.draw(_path(rule, world), label="url")
            resp = client.get(url, query_string=query)
            assert resp.status_code < 500, (url, [(k, v[:80]) for k, v in query])

    get()
