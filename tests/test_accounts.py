"""Accounts for account managers: access, my accounts, the recovery history and its figures
against hand-computed values, and the segment set by hand.

The fixed account "Harbor Foods" (desk timezone Europe/Berlin, user timezone UTC):

- A: logged 5 Jan 2026 09:00, made whole 13:30 (270 min), resolved 9 Jan 23:30 UTC, which is
  10 Jan on the desk → before window 13 Oct 2025 – 10 Jan 2026 (the 90 days up to and
  including the resolution day), after 11 Jan – 10 Apr 2026.
  Remedies: make-whole €100 delivered, goodwill €20 delivered, goodwill €50 rejected,
  make-whole €10 proposed → cost €120.
- B: logged 1 Feb 10:00, made whole 2 Feb 12:00 (1560 min), resolved 3 Feb 10:00 UTC
  (3 Feb on the desk) → before 6 Nov 2025 – 3 Feb 2026, after 4 Feb – 4 May 2026.
  Remedies: make-whole €166 approved (conceded), goodwill $40 delivered.
- C: logged 20 Feb, still open; make-whole €30 approved (compensation, not recovery cost).

Purchases (EUR unless said): 12 Oct €1000 (a day before A's window), 13 Oct €200 (A's first
day before), 9 Jan €20 (A before; B before), 10 Jan €50 (A's resolution day: the last day
before, never after; B before), 11 Jan €300 (A's first day after; B before), 10 Feb €400
(after A and after B), 10 Apr €500 (A's last day after; after B), 11 Apr $120 (a day past A;
after B), 1 Mar £75 (after A and B), 5 May €700 (a day past B), 15 Feb €0 (zero amount) and
16 Feb €90 (shipment of A's remedy) → neither is a purchase.

- A before: €270. A after: €1200, £75. B before: €370. B after: €900, £75, $120.
- Revenue kept (A's and B's after windows joined, each purchase once): €1200, £75, $120
  (counting per window would give €2100 and £150).
- Cost: €286 (100 + 20 + 166), $40. Compensation: €316 (plus C's €30), $40.
- Per unit of cost: € 1200 / 286 = 4.19… → "4.2×", net €914.00; $ 120 / 40 → "3.0×", net $80.00;
  £ no cost → "—", net £75.00.
"""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tests import factories
from tests.factories import load
from ticketdesk.core.errors import PermissionDenied
from ticketdesk.extensions import db
from ticketdesk.models import (
    Customer,
    CustomerTier,
    EngagementSegment,
    LoyaltyState,
    Order,
    RecoveryOutcome,
    Remedy,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    RemedyState,
    Role,
    Standing,
    StandingChange,
    Survey,
    Ticket,
    TicketStatus,
    User,
)
from ticketdesk.services.recovery import accounts
from ticketdesk.services.recovery.accounts import Purchase

EUR, USD, GBP = "EUR", "USD", "GBP"


def at(y: int, m: int, d: int, h: int = 9, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=UTC)


def _ticket(
    customer_id: int,
    actor_id: int,
    *,
    subject: str,
    created: datetime,
    made_whole: datetime | None = None,
    resolved: datetime | None = None,
) -> int:
    tid = factories.make_ticket(
        actor_id=actor_id, customer_id=customer_id, subject=subject, now=created
    )
    ticket = db.session.get(Ticket, tid)
    ticket.created_at, ticket.made_whole_at, ticket.resolved_at = created, made_whole, resolved
    ticket.status = TicketStatus.RESOLVED if resolved else TicketStatus.OPEN
    db.session.commit()
    return tid


def _remedy(
    ticket_id: int,
    kind: RemedyKind,
    form: RemedyForm,
    cost: str,
    state: RemedyState,
    *,
    currency: str = EUR,
    description: str = "",
    conceded: bool = False,
) -> None:
    db.session.add(
        Remedy(
            ticket_id=ticket_id,
            kind=kind,
            form=form,
            description=description or form.value,
            cost=Decimal(cost),
            currency=currency,
            reason=RemedyReason.MISSING_ITEMS,
            cap_base=Decimal("1000"),
            state=state,
            conceded=conceded,
        )
    )


_refs = iter(range(1, 10_000))


def _order(
    customer_id: int,
    day: date,
    amount: str,
    currency: str = EUR,
    *,
    remedy_ticket_id: int | None = None,
) -> int:
    order = Order(
        customer_id=customer_id,
        reference=f"SO-{next(_refs)}",
        ordered_on=day,
        amount=Decimal(amount),
        currency=currency,
        remedy_ticket_id=remedy_ticket_id,
    )
    db.session.add(order)
    db.session.flush()
    return order.id


def _survey(
    ticket_id: int, sent: datetime, answered: datetime | None, score: int | None, comment: str = ""
) -> None:
    db.session.add(
        Survey(
            ticket_id=ticket_id,
            email="buyer@harbor.test",
            nonce=f"nonce{next(_refs)}",
            sent_at=sent,
            expires_at=sent + timedelta(days=14),
            answered_at=answered,
            score=score,
            comment=comment,
        )
    )


def _world() -> dict:
    am = factories.make_user(Role.ACCOUNT_MANAGER, name="Mia Manager")
    other_am = factories.make_user(Role.ACCOUNT_MANAGER, name="Otto Other")
    agent = factories.make_user(Role.AGENT)
    lead = factories.make_user(Role.LEAD, name="Lena Lead")
    admin = factories.make_user(Role.ADMIN)
    harbor = factories.make_customer("Harbor Foods", tier=CustomerTier.KEY, account_manager_id=am)
    zeta = factories.make_customer("Zeta Traders", account_manager_id=other_am)

    a = _ticket(
        harbor,
        lead,
        subject="Two cases of olive oil missing",
        created=at(2026, 1, 5),
        made_whole=at(2026, 1, 5, 13, 30),
        resolved=at(2026, 1, 9, 23, 30),
    )
    b = _ticket(
        harbor,
        lead,
        subject="Invoice charged twice",
        created=at(2026, 2, 1, 10),
        made_whole=at(2026, 2, 2, 12),
        resolved=at(2026, 2, 3, 10),
    )
    c = _ticket(harbor, lead, subject="Pallet arrived damaged", created=at(2026, 2, 20))
    db.session.get(Ticket, b).status = TicketStatus.CLOSED

    _remedy(
        a,
        RemedyKind.MAKE_WHOLE,
        RemedyForm.RESHIP,
        "100.00",
        RemedyState.DELIVERED,
        description="Reship two cases",
    )
    _remedy(
        a,
        RemedyKind.GOODWILL,
        RemedyForm.FREE_ITEM,
        "20.00",
        RemedyState.DELIVERED,
        description="Sample bottles of the new chili oil",
    )
    _remedy(a, RemedyKind.GOODWILL, RemedyForm.COUPON, "50.00", RemedyState.REJECTED)
    _remedy(a, RemedyKind.MAKE_WHOLE, RemedyForm.REFUND, "10.00", RemedyState.PROPOSED)
    _remedy(
        b,
        RemedyKind.MAKE_WHOLE,
        RemedyForm.REFUND,
        "166.00",
        RemedyState.APPROVED,
        description="Refund the double charge",
        conceded=True,
    )
    _remedy(
        b,
        RemedyKind.GOODWILL,
        RemedyForm.CREDIT,
        "40.00",
        RemedyState.DELIVERED,
        currency=USD,
        description="Credit on the next order",
    )
    _remedy(c, RemedyKind.MAKE_WHOLE, RemedyForm.RESHIP, "30.00", RemedyState.APPROVED)

    for day, amount, currency in [
        (date(2025, 10, 12), "1000.00", EUR),
        (date(2025, 10, 13), "200.00", EUR),
        (date(2026, 1, 9), "20.00", EUR),
        (date(2026, 1, 10), "50.00", EUR),
        (date(2026, 1, 11), "300.00", EUR),
        (date(2026, 2, 10), "400.00", EUR),
        (date(2026, 4, 10), "500.00", EUR),
        (date(2026, 4, 11), "120.00", USD),
        (date(2026, 3, 1), "75.00", GBP),
        (date(2026, 5, 5), "700.00", EUR),
        (date(2026, 2, 15), "0.00", EUR),
    ]:
        _order(harbor, day, amount, currency)
    _order(harbor, date(2026, 2, 16), "90.00", remedy_ticket_id=a)
    _order(zeta, date(2026, 2, 10), "9999.00")  # another account's purchase

    _survey(a, at(2026, 1, 10), at(2026, 1, 10, 10), 2)
    _survey(a, at(2026, 1, 11), at(2026, 1, 12), 5, "Quick and kind")
    _survey(a, at(2026, 1, 15), None, None)
    first = _order(harbor, date(2026, 1, 11), "0.00")  # not a purchase; the reorder link only
    db.session.add(
        RecoveryOutcome(
            ticket_id=a,
            customer_id=harbor,
            evaluated_at=at(2026, 1, 11),
            resolved_on=date(2026, 1, 10),
            success=True,
            state=LoyaltyState.RETAINED,
            window_ends_on=date(2026, 4, 10),
            decided_on=date(2026, 1, 11),
            reorder_id=first,
        )
    )
    db.session.add(
        RecoveryOutcome(
            ticket_id=b,
            customer_id=harbor,
            evaluated_at=at(2026, 2, 20),
            resolved_on=date(2026, 2, 3),
            success=False,
            failed=["conceded"],
            state=None,
        )
    )
    s1 = StandingChange(
        customer_id=harbor,
        old_standing=Standing.PREFERRED,
        new_standing=Standing.QUALIFICATION_PENDING,
        reason="Two late deliveries in January",
        ticket_id=a,
        changed_by_id=am,
        changed_at=at(2026, 1, 20, 12),
    )
    s2 = StandingChange(
        customer_id=harbor,
        old_standing=Standing.QUALIFICATION_PENDING,
        new_standing=Standing.PREFERRED,
        reason="Back on the preferred list after the spring review",
        changed_by_id=lead,
        changed_at=at(2026, 2, 25, 15),
    )
    db.session.add_all([s1, s2])
    db.session.get(Customer, harbor).standing = Standing.PREFERRED

    # Zeta: one resolved complaint, no compensation, a purchase after it; segment set by hand.
    z = _ticket(
        zeta, lead, subject="Late delivery", created=at(2026, 1, 2), resolved=at(2026, 1, 3, 12)
    )
    _order(zeta, date(2026, 1, 20), "250.00")
    db.session.add(
        RecoveryOutcome(
            ticket_id=z,
            customer_id=zeta,
            evaluated_at=at(2026, 1, 17),
            resolved_on=date(2026, 1, 3),
            success=True,
            state=LoyaltyState.CANDIDATE,
            window_ends_on=date(2026, 4, 3),
        )
    )
    customer = db.session.get(Customer, zeta)
    customer.segment_override = EngagementSegment.SELF_DRIVEN
    customer.segment_override_reason = "Orders every week through their own portal"
    db.session.commit()
    return {
        "am": am,
        "other_am": other_am,
        "agent": agent,
        "lead": lead,
        "admin": admin,
        "harbor": harbor,
        "zeta": zeta,
        "a": a,
        "b": b,
        "c": c,
        "z": z,
        "s1": s1.id,
        "s2": s2.id,
    }


@pytest.fixture
def world(app, build):
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Berlin"  # the desk's day
    return build(_world)


# ----------------------------------------------------------------- the figures (service)


def test_history_figures_against_hand_computed_values(app, world):
    with app.app_context():
        h = accounts.history(db.session.get(Customer, world["harbor"]), today=date(2026, 6, 1))
        assert (h.complaints, h.open_complaints, h.recoveries) == (3, 1, 2)
        entries = {e.ticket.id: e for e in h.timeline if e.kind == "complaint"}
        a, b, c = entries[world["a"]], entries[world["b"]], entries[world["c"]]

        assert (a.make_whole_minutes, b.make_whole_minutes, c.make_whole_minutes) == (
            270,
            1560,
            None,
        )
        assert a.resolved_on == date(2026, 1, 10)  # 23:30 UTC is the 10th in Berlin
        assert (a.before.first, a.before.last) == (date(2025, 10, 13), date(2026, 1, 10))
        assert (a.after.first, a.after.last) == (date(2026, 1, 11), date(2026, 4, 10))
        assert a.before.totals == {EUR: Decimal("270.00")}
        assert a.after.totals == {EUR: Decimal("1200.00"), GBP: Decimal("75.00")}
        assert b.resolved_on == date(2026, 2, 3)
        assert b.before.totals == {EUR: Decimal("370.00")}
        assert b.after.totals == {
            EUR: Decimal("900.00"),
            GBP: Decimal("75.00"),
            USD: Decimal("120.00"),
        }
        assert c.resolved_on is None and c.before is None and c.after is None
        assert a.after.complete and b.after.complete

        figures = {f.currency: f for f in h.figures}
        assert list(figures) == [EUR, GBP, USD]
        eur, gbp, usd = figures[EUR], figures[GBP], figures[USD]
        assert (eur.revenue_kept, eur.cost, eur.compensation) == (
            Decimal("1200.00"),
            Decimal("286.00"),
            Decimal("316.00"),
        )
        assert (eur.revenue_per_cost, eur.net) == (Decimal("4.2"), Decimal("914.00"))
        assert (usd.revenue_kept, usd.cost, usd.revenue_per_cost, usd.net) == (
            Decimal("120.00"),
            Decimal("40.00"),
            Decimal("3.0"),
            Decimal("80.00"),
        )
        assert (gbp.revenue_kept, gbp.cost, gbp.revenue_per_cost, gbp.net) == (
            Decimal("75.00"),
            Decimal("0"),
            None,
            Decimal("75.00"),
        )

        assert a.survey.score == 5 and b.survey is None
        assert a.outcome.state is LoyaltyState.RETAINED and b.outcome.state is None
        assert [r.cost for r in a.remedies] == [
            Decimal("100.00"),
            Decimal("20.00"),
            Decimal("50.00"),
            Decimal("10.00"),
        ]


def test_timeline_interleaves_standing_changes_newest_first(app, world):
    with app.app_context():
        h = accounts.history(db.session.get(Customer, world["harbor"]), today=date(2026, 6, 1))
        order = [(e.kind, e.change.id if e.kind == "standing" else e.ticket.id) for e in h.timeline]
        assert order == [
            ("standing", world["s2"]),
            ("complaint", world["c"]),
            ("complaint", world["b"]),
            ("standing", world["s1"]),
            ("complaint", world["a"]),
        ]
        s1 = h.timeline[3].change
        assert s1.changed_by.name == "Mia Manager" and s1.reason == "Two late deliveries in January"


def test_windows_follow_the_desk_day(app, world):
    """With the desk on UTC, A was resolved on 9 Jan: the windows move a day earlier."""
    app.config["BABEL_DEFAULT_TIMEZONE"] = "UTC"
    with app.app_context():
        h = accounts.history(db.session.get(Customer, world["harbor"]), today=date(2026, 6, 1))
        a = next(e for e in h.timeline if e.kind == "complaint" and e.ticket.id == world["a"])
        assert a.resolved_on == date(2026, 1, 9)
        # 12 Oct €1000 + 13 Oct €200 are in, and the 9 Jan €20 of the resolution day itself.
        assert a.before.totals == {EUR: Decimal("1220.00")}
        # 10 Jan €50 is now the first day after; 10 Apr €500 the day past the window.
        assert a.after.totals == {EUR: Decimal("750.00"), GBP: Decimal("75.00")}


def test_after_window_still_running(app, world):
    with app.app_context():
        h = accounts.history(db.session.get(Customer, world["harbor"]), today=date(2026, 3, 1))
        a = next(e for e in h.timeline if e.kind == "complaint" and e.ticket.id == world["a"])
        assert a.before.complete and not a.after.complete


def test_revenue_kept_counts_each_purchase_once():
    purchases = [
        Purchase(1, date(2026, 1, 1), Decimal("10"), EUR),  # resolution day
        Purchase(2, date(2026, 1, 2), Decimal("20"), EUR),  # first day after
        Purchase(3, date(2026, 3, 5), Decimal("40"), EUR),  # in both windows
        Purchase(4, date(2026, 4, 1), Decimal("80"), EUR),  # last day of the first
        Purchase(5, date(2026, 6, 29), Decimal("160"), EUR),  # last day of the second
        Purchase(6, date(2026, 6, 30), Decimal("320"), EUR),  # a day past
        Purchase(7, date(2026, 3, 6), Decimal("5"), USD),
    ]
    days = [date(2026, 1, 1), date(2026, 3, 31)]
    assert accounts.revenue_kept(days, purchases) == {EUR: Decimal("300"), USD: Decimal("5")}
    assert accounts.revenue_kept([], purchases) == {}
    assert accounts.revenue_kept([date(2026, 1, 1), date(2026, 1, 1)], purchases) == {
        EUR: Decimal("140"),
        USD: Decimal("5"),
    }


def test_revenue_per_cost_rounds_to_one_decimal_and_needs_a_cost():
    rows = accounts.recovery_figures(
        revenue={EUR: Decimal("1000.00"), GBP: Decimal("50.00")},
        cost={EUR: Decimal("300.00"), USD: Decimal("25.00")},
    )
    eur, gbp, usd = rows
    assert (eur.currency, eur.revenue_per_cost, eur.net) == (EUR, Decimal("3.3"), Decimal("700.00"))
    assert (gbp.revenue_per_cost, gbp.net) == (None, Decimal("50.00"))
    assert (usd.revenue_per_cost, usd.net) == (Decimal("0.0"), Decimal("-25.00"))


# ----------------------------------------------------------------- access

ACCESS = {  # role → expected status of the list and of Harbor's history
    "anon": (302, 302),
    "agent": (403, 403),
    "other_am": (200, 403),
    "am": (200, 200),
    "lead": (200, 200),
    "admin": (200, 200),
}


@pytest.mark.parametrize("who", list(ACCESS))
def test_pages_by_role(client, login, world, who):
    c = client if who == "anon" else login(world[who])
    listing, history = ACCESS[who]
    for url, expected in (("/accounts/", listing), (f"/accounts/{world['harbor']}", history)):
        resp = c.get(url)
        assert resp.status_code == expected, url
        if who == "anon":
            assert "/login" in resp.headers["Location"]


@pytest.mark.parametrize(
    "who,expected",
    [("anon", 302), ("agent", 403), ("other_am", 403), ("am", 302), ("lead", 302), ("admin", 302)],
)
def test_segment_override_by_role(build, client, login, world, who, expected):
    c = client if who == "anon" else login(world[who])
    resp = c.post(
        f"/accounts/{world['harbor']}/segment",
        data={"segment": "needs_push", "reason": "New buyer, still learning our range"},
    )
    assert resp.status_code == expected
    saved = build(lambda: db.session.get(Customer, world["harbor"]).segment_override)
    if expected == 302 and who != "anon":
        assert resp.headers["Location"].endswith(f"/accounts/{world['harbor']}")
        assert saved is EngagementSegment.NEEDS_PUSH
    else:
        assert saved is None
        if who == "anon":
            assert "/login" in resp.headers["Location"]


def test_unknown_account_is_404(login, world):
    assert login(world["lead"]).get("/accounts/999999").status_code == 404


def test_service_refuses_agents_and_other_managers(app, world):
    with app.app_context():
        harbor = db.session.get(Customer, world["harbor"])
        assert accounts.can_view(load(User, world["am"]), harbor)
        assert accounts.can_view(load(User, world["lead"]), harbor)
        assert accounts.can_view(load(User, world["admin"]), harbor)
        assert not accounts.can_view(load(User, world["other_am"]), harbor)
        assert not accounts.can_view(load(User, world["agent"]), harbor)
        with pytest.raises(PermissionDenied):
            accounts.my_accounts(load(User, world["agent"]))


# ----------------------------------------------------------------- my accounts


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr class="account-row" data-customer="\d+">(.*?)</tr>', html, re.S)


def test_account_manager_sees_own_accounts(login, world):
    html = login(world["am"]).get("/accounts/").get_data(as_text=True)
    rows = _rows(html)
    assert len(rows) == 1 and "Harbor Foods" in rows[0] and "Zeta" not in html
    row = rows[0]
    assert "Key" in row and "Preferred supplier" in row
    assert re.search(r'<td class="text-end">1</td>', row)  # C is open
    assert "Feb 3, 2026" in row  # B, the latest recovery
    assert 'name="manager"' not in html  # no filter for managers
    other = login(world["other_am"]).get("/accounts/").get_data(as_text=True)
    assert len(_rows(other)) == 1 and "Zeta Traders" in other and "Harbor" not in other


def test_lead_sees_all_and_filters_by_manager(login, world):
    client = login(world["lead"])
    rows = _rows(client.get("/accounts/").get_data(as_text=True))
    assert [("Harbor" in r, "Zeta" in r) for r in rows] == [(True, False), (False, True)]
    zeta = rows[1]
    assert "set by hand" in zeta and "Self-driven" in zeta
    assert "Jan 3, 2026" in zeta and "Loyalty candidate" in zeta
    assert "Otto Other" in zeta
    only = _rows(client.get(f"/accounts/?manager={world['am']}").get_data(as_text=True))
    assert len(only) == 1 and "Harbor Foods" in only[0]
    admin = _rows(
        login(world["admin"]).get(f"/accounts/?manager={world['other_am']}").get_data(as_text=True)
    )
    assert len(admin) == 1 and "Zeta Traders" in admin[0]


def test_account_manager_cannot_widen_the_list(login, world):
    html = login(world["am"]).get(f"/accounts/?manager={world['other_am']}").get_data(as_text=True)
    assert "Zeta" not in html and "Harbor Foods" in html


def test_list_pages(build, login, world):
    def more():
        for i in range(30):
            factories.make_customer(f"Account {i:02d}", account_manager_id=world["am"])

    build(more)
    client = login(world["am"])
    first = _rows(client.get("/accounts/").get_data(as_text=True))
    second = _rows(client.get("/accounts/?page=2").get_data(as_text=True))
    assert len(first) == 25 and len(second) == 6
    assert "Account 00" in first[0] and "Harbor Foods" in second[-1]
    assert client.get("/accounts/?page=9").status_code == 302


# ----------------------------------------------------------------- the history page


def _position(html: str, anchor: str) -> int:
    index = html.find(f'id="{anchor}"')
    assert index >= 0, anchor
    return index


def test_history_page_shows_the_figures(login, world):
    html = login(world["am"]).get(f"/accounts/{world['harbor']}").get_data(as_text=True)
    roi = {cur: row for cur, row in re.findall(r'<tr data-currency="(\w+)">(.*?)</tr>', html, re.S)}
    assert "4.2×" in roi[EUR] and "€914.00" in roi[EUR] and "€1,200.00" in roi[EUR]
    assert "€286.00" in roi[EUR] and "€316.00" in roi[EUR]
    assert "3.0×" in roi[USD] and "$80.00" in roi[USD]
    assert re.search(r'class="text-end roi">—</td>', roi[GBP]) and "£75.00" in roi[GBP]
    assert "How this is worked out" in html
    # The ratio says what it is: revenue after recoveries against their cost, no baseline.
    assert "ROI" not in html and "Revenue kept per unit of cost" in html
    assert "not a return on the compensation" in html and "matched baseline" in html
    # Timeline, newest first, with the standing changes in between.
    positions = [
        _position(html, f"standing-{world['s2']}"),
        _position(html, f"ticket-{world['c']}"),
        _position(html, f"ticket-{world['b']}"),
        _position(html, f"standing-{world['s1']}"),
        _position(html, f"ticket-{world['a']}"),
    ]
    assert positions == sorted(positions)
    a = html[positions[4] :]
    assert "4 h 30 min" in a and "5 of 5" in a and "Quick and kind" in a
    assert "Retained" in a and "Apr 10, 2026" in a
    assert "Sample bottles of the new chili oil" in a
    assert "€270.00" in a and "Oct 13, 2025" in a and "Jan 10, 2026" in a
    b = html[positions[2] : positions[3]]
    assert "1 d 2 h" in b and "conceded" in b and "not a loyalty candidate" in b
    s1 = html[positions[3] : positions[4]]
    assert "Two late deliveries in January" in s1 and "Mia Manager" in s1
    assert "Preferred supplier → Qualification pending" in s1


def test_ticket_links_only_for_those_who_read_tickets(login, world):
    link = f'href="/tickets/{world["a"]}"'
    assert link in login(world["am"]).get(f"/accounts/{world['harbor']}").get_data(as_text=True)
    assert link in login(world["lead"]).get(f"/accounts/{world['harbor']}").get_data(as_text=True)
    admin = login(world["admin"]).get(f"/accounts/{world['harbor']}").get_data(as_text=True)
    assert link not in admin and "/tickets/" not in admin
    assert "Two cases of olive oil missing" in admin


def test_no_cost_shows_a_dash(login, world):
    html = login(world["other_am"]).get(f"/accounts/{world['zeta']}").get_data(as_text=True)
    roi = dict(re.findall(r'<tr data-currency="(\w+)">(.*?)</tr>', html, re.S))
    assert list(roi) == [EUR]
    assert re.search(r'class="text-end roi">—</td>', roi[EUR])
    # €250 on 20 Jan and €9999 on 10 Feb, both within 90 days of the 3 Jan resolution.
    assert roi[EUR].count("€10,249.00") == 2  # revenue kept and net


# ----------------------------------------------------------------- segment override form


def test_override_needs_a_reason(build, login, world):
    client = login(world["am"])
    resp = client.post(
        f"/accounts/{world['harbor']}/segment", data={"segment": "stalled", "reason": "  "}
    )
    assert resp.status_code == 400
    assert "Say why you set the segment by hand." in resp.get_data(as_text=True)
    assert build(lambda: db.session.get(Customer, world["harbor"]).segment_override) is None
    resp = client.post(
        f"/accounts/{world['harbor']}/segment", data={"segment": "bogus", "reason": "x"}
    )
    assert resp.status_code == 400


def test_override_set_shown_and_cleared(build, login, world):
    client = login(world["am"])
    resp = client.post(
        f"/accounts/{world['harbor']}/segment",
        data={"segment": "stalled", "reason": "Their buyer left; orders on hold"},
    )
    assert resp.status_code == 302
    html = client.get(f"/accounts/{world['harbor']}").get_data(as_text=True)
    segment = html[_position(html, "segment-card") :]
    assert "Stalled" in segment and "set by hand" in segment
    assert "Their buyer left; orders on hold" in segment and "Set by Mia Manager" in segment
    row = _rows(client.get("/accounts/").get_data(as_text=True))[0]
    assert "Stalled" in row and "set by hand" in row

    resp = client.post(f"/accounts/{world['harbor']}/segment", data={"segment": "", "reason": ""})
    assert resp.status_code == 302
    state = build(
        lambda: (
            db.session.get(Customer, world["harbor"]).segment_override,
            db.session.get(Customer, world["harbor"]).segment_override_reason,
        )
    )
    assert state == (None, "")
    html = client.get(f"/accounts/{world['harbor']}").get_data(as_text=True)
    assert "set by hand" not in html[_position(html, "segment-card") : _position(html, "summary")]


def test_override_form_is_prefilled(login, world):
    html = login(world["lead"]).get(f"/accounts/{world['zeta']}").get_data(as_text=True)
    assert re.search(
        r'<option selected value="self_driven">|<option value="self_driven" selected', html
    )
    assert "Orders every week through their own portal" in html


def test_override_with_csrf_on(app, login, world):
    app.config["WTF_CSRF_ENABLED"] = True
    resp = login(world["am"]).post(
        f"/accounts/{world['harbor']}/segment", data={"segment": "stalled", "reason": "No token"}
    )
    assert resp.status_code == 400


# ----------------------------------------------------------------- query counts


def _count_queries(query_counter, client, url: str) -> int:
    with query_counter() as queries:
        assert client.get(url).status_code == 200
    return queries.count


def _grow(world: dict, n: int) -> None:
    """n more accounts of the manager, each with a resolved complaint, a remedy, a purchase,
    a survey, an outcome and a standing change; and n more complaints on Harbor."""
    for i in range(n):
        cid = factories.make_customer(f"Grown {i}", account_manager_id=world["am"])
        for customer in (cid, world["harbor"]):
            tid = _ticket(
                customer,
                world["lead"],
                subject=f"Grown {i}",
                created=at(2026, 3, 1),
                made_whole=at(2026, 3, 1, 10),
                resolved=at(2026, 3, 2),
            )
            _remedy(tid, RemedyKind.GOODWILL, RemedyForm.COUPON, "5.00", RemedyState.DELIVERED)
            _order(customer, date(2026, 3, 10 + i), "15.00")
            _survey(tid, at(2026, 3, 2), at(2026, 3, 3), 4)
            db.session.add(
                RecoveryOutcome(
                    ticket_id=tid,
                    customer_id=customer,
                    resolved_on=date(2026, 3, 2),
                    success=True,
                    state=LoyaltyState.CANDIDATE,
                    window_ends_on=date(2026, 5, 31),
                )
            )
            db.session.add(
                StandingChange(
                    customer_id=customer,
                    new_standing=Standing.PREFERRED,
                    reason="Review",
                    changed_by_id=world["lead"],
                    changed_at=at(2026, 3, 5),
                )
            )
        db.session.commit()


@pytest.mark.parametrize("who", ["am", "lead"])
def test_constant_number_of_queries(query_counter, build, login, world, who):
    client = login(world[who])
    small_list = _count_queries(query_counter, client, "/accounts/")
    small_history = _count_queries(query_counter, client, f"/accounts/{world['harbor']}")
    build(_grow, world, 8)
    assert _count_queries(query_counter, client, "/accounts/") == small_list
    assert _count_queries(query_counter, client, f"/accounts/{world['harbor']}") == small_history


def test_the_customer_page_links_to_the_recovery_history_for_those_who_may_see_it(app, build):
    """The account's manager and leads get the link; agents (who may not open it) do not."""
    from ticketdesk.models import Role

    def world():
        am = factories.make_user(Role.ACCOUNT_MANAGER)
        lead = factories.make_user(Role.LEAD)
        agent = factories.make_user(Role.AGENT)
        customer = factories.make_customer("Linked Co", account_manager_id=am)
        return am, lead, agent, customer

    am, lead, agent, customer = build(world)
    link = f'href="/accounts/{customer}"'
    for user, expected in ((am, True), (lead, True), (agent, False)):
        client = app.test_client()
        factories.log_in(client, user)
        page = client.get(f"/customers/{customer}")
        assert page.status_code == 200
        assert (link in page.get_data(as_text=True)) is expected, user
