"""Customer rules without HTTP."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import factories
from tests.factories import load
from ticketdesk.core.errors import DomainError, PermissionDenied
from ticketdesk.extensions import db
from ticketdesk.models import Customer, Role, Standing, Ticket, User
from ticketdesk.services.customers import customers as customer_service


def test_account_manager_keeps_new_accounts_as_their_own(ctx):
    am = factories.make_user(Role.ACCOUNT_MANAGER)
    customer = customer_service.create_customer(
        actor=load(User, am), data=customer_service.CustomerData(name="Chili House")
    )
    assert customer.account_manager_id == am


def test_account_manager_cannot_hand_accounts_to_someone_else(ctx):
    am = factories.make_user(Role.ACCOUNT_MANAGER)
    other = factories.make_user(Role.ACCOUNT_MANAGER)
    with pytest.raises(DomainError) as err:
        customer_service.create_customer(
            actor=load(User, am),
            data=customer_service.CustomerData(name="X", account_manager_id=other),
        )
    assert err.value.field == "account_manager_id"
    cid = factories.make_customer(account_manager_id=am)
    customer = db.session.get(Customer, cid)
    with pytest.raises(DomainError):
        customer_service.update_customer(
            customer,
            actor=load(User, am),
            data=customer_service.CustomerData(name=customer.name, account_manager_id=other),
        )
    lead = factories.make_user(Role.LEAD)
    customer_service.update_customer(
        customer,
        actor=load(User, lead),
        data=customer_service.CustomerData(name=customer.name, account_manager_id=other),
    )
    assert customer.account_manager_id == other


def test_account_manager_must_have_that_role(ctx):
    lead = factories.make_user(Role.LEAD)
    agent = factories.make_user(Role.AGENT)
    with pytest.raises(DomainError) as err:
        customer_service.create_customer(
            actor=load(User, lead),
            data=customer_service.CustomerData(name="X", account_manager_id=agent),
        )
    assert err.value.field == "account_manager_id"


def test_customer_search_treats_wildcards_literally(ctx):
    lead = factories.make_user(Role.LEAD)
    factories.make_customer("100% Natural Oils")
    factories.make_customer("Plain Goods")
    names = [c.name for c in customer_service.list_customers(user=load(User, lead), search="%")]
    assert names == ["100% Natural Oils"]
    assert customer_service.list_customers(user=load(User, lead), search="_") == []


def test_account_managers_list_only_their_accounts(ctx):
    am = factories.make_user(Role.ACCOUNT_MANAGER)
    factories.make_customer("Mine", account_manager_id=am)
    factories.make_customer("Not mine")
    assert [c.name for c in customer_service.list_customers(user=load(User, am))] == ["Mine"]
    admin = factories.make_user(Role.ADMIN)
    assert customer_service.list_customers(user=load(User, admin)) == []


# ----------------------------------------------------------------- external reference, share


def test_external_ref_is_trimmed_empty_is_none_and_unique(ctx):
    lead = load(User, factories.make_user(Role.LEAD))
    first = customer_service.create_customer(
        actor=lead,
        data=customer_service.CustomerData(
            name="First", external_ref="  C-1001 ", purchase_share=Decimal("42.5")
        ),
    )
    assert (first.external_ref, first.purchase_share) == ("C-1001", Decimal("42.5"))
    blank = customer_service.create_customer(
        actor=lead, data=customer_service.CustomerData(name="Blank", external_ref="   ")
    )
    other_blank = customer_service.create_customer(
        actor=lead, data=customer_service.CustomerData(name="Other blank", external_ref="")
    )
    assert blank.external_ref is None and other_blank.external_ref is None
    with pytest.raises(DomainError) as err:
        customer_service.create_customer(
            actor=lead, data=customer_service.CustomerData(name="Copy", external_ref="C-1001")
        )
    assert err.value.field == "external_ref"
    assert str(err.value) == "C-1001 is already the external reference of First."
    with pytest.raises(DomainError) as err:
        customer_service.update_customer(
            blank,
            actor=lead,
            data=customer_service.CustomerData(
                name="Blank", standing=blank.standing, external_ref=" C-1001"
            ),
        )
    assert err.value.field == "external_ref"
    with pytest.raises(DomainError) as err:
        customer_service.update_customer(
            blank,
            actor=lead,
            data=customer_service.CustomerData(
                name="Blank", standing=blank.standing, external_ref="X" * 65
            ),
        )
    assert err.value.field == "external_ref"
    # A customer keeps its own reference when saved again; clearing it stores NULL.
    customer_service.update_customer(
        first,
        actor=lead,
        data=customer_service.CustomerData(
            name="First", standing=first.standing, external_ref="C-1001"
        ),
    )
    assert db.session.get(Customer, first.id).external_ref == "C-1001"
    customer_service.update_customer(
        first,
        actor=lead,
        data=customer_service.CustomerData(name="First", standing=first.standing, external_ref=" "),
    )
    assert db.session.get(Customer, first.id).external_ref is None


@pytest.mark.parametrize("share", ["-0.01", "100.01", "12.345"])
def test_purchase_share_is_a_percentage(ctx, share):
    lead = load(User, factories.make_user(Role.LEAD))
    with pytest.raises(DomainError) as err:
        customer_service.create_customer(
            actor=lead, data=customer_service.CustomerData(name="X", purchase_share=Decimal(share))
        )
    assert err.value.field == "purchase_share"
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 0


@pytest.mark.parametrize("share", ["0", "100", "33.33"])
def test_purchase_share_bounds_are_allowed(ctx, share):
    lead = load(User, factories.make_user(Role.LEAD))
    customer = customer_service.create_customer(
        actor=lead, data=customer_service.CustomerData(name="X", purchase_share=Decimal(share))
    )
    assert db.session.get(Customer, customer.id).purchase_share == Decimal(share)


# ----------------------------------------------------------------- standing changes


def _history(customer_id: int) -> list[tuple]:
    return [
        (c.old_standing, c.new_standing, c.reason, c.changed_by_id, c.changed_at, c.ticket_id)
        for c in customer_service.standing_history(customer_id)
    ]


def test_changing_the_standing_in_the_edit_needs_a_reason_and_is_recorded(ctx, now):
    am = factories.make_user(Role.ACCOUNT_MANAGER)
    cid = factories.make_customer("Acme", account_manager_id=am)
    customer = db.session.get(Customer, cid)
    data = customer_service.CustomerData(
        name="Acme", standing=Standing.PREFERRED, account_manager_id=am
    )
    for reason in ("", "   "):
        with pytest.raises(DomainError) as err:
            customer_service.update_customer(
                customer, actor=load(User, am), now=now, data=replace(data, standing_reason=reason)
            )
        assert err.value.field == "standing_reason"
    db.session.expire_all()
    assert db.session.get(Customer, cid).standing is Standing.QUALIFICATION_PENDING
    assert _history(cid) == []
    customer_service.update_customer(
        customer,
        actor=load(User, am),
        now=now,
        data=replace(data, standing_reason="  Passed their supplier audit.  "),
    )
    db.session.expire_all()
    assert db.session.get(Customer, cid).standing is Standing.PREFERRED
    assert _history(cid) == [
        (
            Standing.QUALIFICATION_PENDING,
            Standing.PREFERRED,
            "Passed their supplier audit.",
            am,
            now,
            None,
        )
    ]
    # Saving without a change of standing needs no reason and records nothing.
    customer_service.update_customer(
        customer,
        actor=load(User, am),
        now=now + timedelta(hours=1),
        data=replace(data, name="Acme Ltd"),
    )
    assert len(_history(cid)) == 1


def test_change_standing_for_other_code(ctx, now):
    am = factories.make_user(Role.ACCOUNT_MANAGER)
    lead = factories.make_user(Role.LEAD)
    cid = factories.make_customer("Acme", account_manager_id=am)
    other = factories.make_customer("Other")
    ticket = factories.make_ticket(actor_id=lead, customer_id=cid, now=now)
    foreign = factories.make_ticket(actor_id=lead, customer_id=other, now=now)
    customer = db.session.get(Customer, cid)

    def change(**kwargs):
        args = dict(
            standing=Standing.PASSIVE_ELIMINATION,
            reason="Late deliveries in March.",
            actor=load(User, lead),
            now=now,
        )
        args.update(kwargs)
        return customer_service.change_standing(customer, **args)

    with pytest.raises(PermissionDenied):
        change(actor=load(User, factories.make_user(Role.ACCOUNT_MANAGER)))
    with pytest.raises(PermissionDenied):
        change(actor=load(User, factories.make_user(Role.ADMIN)))
    for kwargs, field in (
        ({"reason": " "}, "reason"),
        ({"standing": Standing.QUALIFICATION_PENDING}, "standing"),
        ({"ticket": db.session.get(Ticket, foreign)}, "ticket"),
    ):
        with pytest.raises(DomainError) as err:
            change(**kwargs)
        assert err.value.field == field
    assert _history(cid) == []

    change(ticket=db.session.get(Ticket, ticket))
    later = now + timedelta(days=30)
    customer_service.change_standing(
        customer,
        standing="preferred",
        reason="Recovered well; they said so at the review.",
        actor=load(User, am),
        now=later,
    )
    db.session.expire_all()
    assert db.session.get(Customer, cid).standing is Standing.PREFERRED
    assert _history(cid) == [  # newest first
        (
            Standing.PASSIVE_ELIMINATION,
            Standing.PREFERRED,
            "Recovered well; they said so at the review.",
            am,
            later,
            None,
        ),
        (
            Standing.QUALIFICATION_PENDING,
            Standing.PASSIVE_ELIMINATION,
            "Late deliveries in March.",
            lead,
            now,
            ticket,
        ),
    ]
    assert _history(other) == []
