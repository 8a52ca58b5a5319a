"""Customer rules without HTTP."""

import pytest

from ticketdesk.extensions import db
from ticketdesk.models import Customer, Role, User
from ticketdesk.services import customers as customer_service
from ticketdesk.services.errors import DomainError
from tests import factories


def _user(uid):
    return db.session.get(User, uid)


def test_account_manager_keeps_new_accounts_as_their_own(ctx):
    am = factories.make_user(Role.ACCOUNT_MANAGER)
    customer = customer_service.create_customer(
        actor=_user(am), data=customer_service.CustomerData(name="Chili House"))
    assert customer.account_manager_id == am


def test_account_manager_cannot_hand_accounts_to_someone_else(ctx):
    am = factories.make_user(Role.ACCOUNT_MANAGER)
    other = factories.make_user(Role.ACCOUNT_MANAGER)
    with pytest.raises(DomainError) as err:
        customer_service.create_customer(
            actor=_user(am),
            data=customer_service.CustomerData(name="X", account_manager_id=other))
    assert err.value.field == "account_manager_id"
    cid = factories.make_customer(account_manager_id=am)
    customer = db.session.get(Customer, cid)
    with pytest.raises(DomainError):
        customer_service.update_customer(
            customer, actor=_user(am),
            data=customer_service.CustomerData(name=customer.name, account_manager_id=other))
    lead = factories.make_user(Role.LEAD)
    customer_service.update_customer(
        customer, actor=_user(lead),
        data=customer_service.CustomerData(name=customer.name, account_manager_id=other))
    assert customer.account_manager_id == other


def test_account_manager_must_have_that_role(ctx):
    lead = factories.make_user(Role.LEAD)
    agent = factories.make_user(Role.AGENT)
    with pytest.raises(DomainError) as err:
        customer_service.create_customer(
            actor=_user(lead),
            data=customer_service.CustomerData(name="X", account_manager_id=agent))
    assert err.value.field == "account_manager_id"


def test_customer_search_treats_wildcards_literally(ctx):
    lead = factories.make_user(Role.LEAD)
    factories.make_customer("100% Natural Oils")
    factories.make_customer("Plain Goods")
    names = [c.name for c in customer_service.list_customers(user=_user(lead), search="%")]
    assert names == ["100% Natural Oils"]
    assert customer_service.list_customers(user=_user(lead), search="_") == []


def test_account_managers_list_only_their_accounts(ctx):
    am = factories.make_user(Role.ACCOUNT_MANAGER)
    factories.make_customer("Mine", account_manager_id=am)
    factories.make_customer("Not mine")
    assert [c.name for c in customer_service.list_customers(user=_user(am))] == ["Mine"]
    admin = factories.make_user(Role.ADMIN)
    assert customer_service.list_customers(user=_user(admin)) == []
