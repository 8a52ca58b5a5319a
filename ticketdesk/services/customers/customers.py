"""Customers (accounts) and their contacts."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import available_timezones

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from ticketdesk.core.errors import DomainError, NotFound, PermissionDenied
from ticketdesk.core.inputs import normalise_email
from ticketdesk.core.uow import unit_of_work
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import (
    OPEN_STATUSES,
    Contact,
    Customer,
    CustomerTier,
    EventKind,
    Role,
    Standing,
    StandingChange,
    Ticket,
    TierChange,
    User,
)
from ticketdesk.services import timeline as events
from ticketdesk.services.people import access


@dataclass(frozen=True)
class CustomerData:
    name: str
    tier: CustomerTier = CustomerTier.STANDARD
    standing: Standing = Standing.QUALIFICATION_PENDING
    account_manager_id: int | None = None
    preferences: str = ""
    # The customer's number in the team's CRM/ERP; order imports match it.
    external_ref: str | None = None
    # Our share of what they buy in our line, in percent (0-100), where known.
    purchase_share: Decimal | None = None
    # Why the standing changes (required on an edit that changes it).
    standing_reason: str = ""
    # Why the tier changes (required on an edit that changes it).
    tier_reason: str = ""


EXTERNAL_REF_MAX = 64
REASON_MAX = 2000
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class ContactData:
    name: str
    email: str | None = None
    phone: str = ""


def escape_like(text: str) -> str:
    """Make ``%``, ``_`` and ``\\`` match themselves in a LIKE pattern (escape char ``\\``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def visible_customers_clause(user: User) -> sa.ColumnElement[bool]:
    if user.role in (Role.AGENT, Role.LEAD):
        return sa.true()
    if user.role is Role.ACCOUNT_MANAGER:
        return Customer.account_manager_id == user.id
    return sa.false()


def list_customers(*, user: User, search: str = "") -> list[Customer]:
    stmt = (
        sa.select(Customer)
        .where(visible_customers_clause(user))
        .options(sa.orm.joinedload(Customer.account_manager))
        .order_by(Customer.name)
    )
    if search.strip():
        stmt = stmt.where(Customer.name.ilike(f"%{escape_like(search.strip())}%", escape="\\"))
    return list(db.session.scalars(stmt))


def customer_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(sa.select(Customer.id, Customer.name).order_by(Customer.name))
    return [(row.id, row.name) for row in rows]


def account_manager_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(User.id, User.name)
        .where(User.role == Role.ACCOUNT_MANAGER, User.active.is_(True))
        .order_by(User.name)
    )
    return [(row.id, row.name) for row in rows]


def _account_manager_for(
    actor: User, account_manager_id: int | None, customer: Customer | None = None
) -> int | None:
    """Account managers keep their own accounts; only leads and agents hand them over."""
    if actor.role is not Role.ACCOUNT_MANAGER:
        return account_manager_id
    if account_manager_id is None and customer is None:
        return actor.id
    if account_manager_id != actor.id:
        raise DomainError(
            _(
                "Account managers can only keep accounts as their own; ask a team "
                "lead to hand an account over."
            ),
            field="account_manager_id",
        )
    return account_manager_id


def _check_account_manager(account_manager_id: int | None) -> None:
    if account_manager_id is None:
        return
    manager = db.session.get(User, account_manager_id)
    if manager is None or manager.role is not Role.ACCOUNT_MANAGER or not manager.active:
        raise DomainError(_("Choose an active account manager."), field="account_manager_id")


def _clean_external_ref(value: str | None, customer: Customer | None = None) -> str | None:
    """Trimmed, empty → None, unique across customers (``customer`` may keep its own)."""
    ref = (value or "").strip()
    if not ref:
        return None
    if len(ref) > EXTERNAL_REF_MAX:
        raise DomainError(
            _("Keep the external reference to %(n)d characters or fewer.", n=EXTERNAL_REF_MAX),
            field="external_ref",
        )
    stmt = sa.select(Customer).where(Customer.external_ref == ref)
    if customer is not None and customer.id is not None:
        stmt = stmt.where(Customer.id != customer.id)
    other = db.session.scalar(stmt.limit(1))
    if other is not None:
        raise DomainError(
            _(
                "%(ref)s is already the external reference of %(customer)s.",
                ref=ref,
                customer=other.name,
            ),
            field="external_ref",
        )
    return ref


def _clean_purchase_share(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not Decimal("0") <= value <= HUNDRED:
        raise DomainError(_("Enter a percentage from 0 to 100."), field="purchase_share")
    if value.as_tuple().exponent < -2:
        raise DomainError(_("Use at most two decimal places."), field="purchase_share")
    return value


def _clean_reason(reason: str | None, *, field: str, message: str | None = None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            message
            or _("Say why the standing changes: what happened, or what the customer told you."),
            field=field,
        )
    if len(reason) > REASON_MAX:
        raise DomainError(
            _("Keep the reason to %(n)d characters or fewer.", n=REASON_MAX), field=field
        )
    return reason


def _record_standing(
    customer: Customer,
    *,
    standing: Standing,
    reason: str,
    actor: User | None,
    now: datetime,
    ticket: Ticket | None = None,
) -> StandingChange:
    """Set the standing and add its history row (no commit; the caller's unit of work)."""
    change = StandingChange(
        customer_id=customer.id,
        old_standing=customer.standing,
        new_standing=standing,
        reason=reason,
        ticket_id=ticket.id if ticket is not None else None,
        changed_by_id=actor.id if actor is not None else None,
        changed_at=now,
    )
    customer.standing = standing
    db.session.add(change)
    return change


# Highest first: a strategic account needs the most authority for compensation.
TIER_RANK = {CustomerTier.STANDARD: 0, CustomerTier.KEY: 1, CustomerTier.STRATEGIC: 2}


def _clean_tier_reason(reason: str | None, *, field: str) -> str:
    return _clean_reason(
        reason,
        field=field,
        message=_("Say why the tier changes: the tier decides who approves compensation."),
    )


def _record_tier(
    customer: Customer, *, tier: CustomerTier, reason: str, actor: User | None, now: datetime
) -> TierChange:
    """Set the tier, add its history row and a field-change event on each open ticket of
    the customer, where approvers see it (no commit; the caller's unit of work)."""
    change = TierChange(
        customer_id=customer.id,
        old_tier=customer.tier,
        new_tier=tier,
        reason=reason,
        changed_by_id=actor.id if actor is not None else None,
        changed_at=now,
    )
    old = customer.tier
    customer.tier = tier
    db.session.add(change)
    open_tickets = db.session.scalars(
        sa.select(Ticket)
        .where(Ticket.customer_id == customer.id, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.id)
    )
    for ticket in open_tickets:
        events.record(
            ticket,
            EventKind.FIELD_CHANGE,
            now=now,
            actor=actor,
            field="customer_tier",
            old=old.value,
            new=tier.value,
            body=reason,
        )
    return change


def authority_tier(customer: Customer, *, since: datetime) -> CustomerTier:
    """The highest tier the customer held at any moment from ``since`` until now.

    Approval authority reads this, so lowering a tier (and raising it again) never lowers
    the approval a remedy needs within the window.
    """
    earlier = db.session.scalars(
        sa.select(TierChange.old_tier).where(
            TierChange.customer_id == customer.id, TierChange.changed_at >= since
        )
    )
    return max((customer.tier, *earlier), key=TIER_RANK.__getitem__)


def authority_window_start(opened_at: datetime, now: datetime) -> datetime:
    """Where the tier window of a ticket begins: when it was opened, or
    ``TIER_AUTHORITY_DAYS`` before ``now``, whichever is earlier."""
    days = int(current_app.config["TIER_AUTHORITY_DAYS"])
    return min(opened_at, now - timedelta(days=days))


def new_customer(data: CustomerData) -> Customer:
    name = data.name.strip()
    if not name:
        raise DomainError(_("A customer needs a name."), field="name")
    _check_account_manager(data.account_manager_id)
    external_ref = _clean_external_ref(data.external_ref)
    purchase_share = _clean_purchase_share(data.purchase_share)
    customer = Customer(
        name=name,
        tier=data.tier,
        standing=data.standing,
        account_manager_id=data.account_manager_id,
        preferences=data.preferences.strip(),
        external_ref=external_ref,
        purchase_share=purchase_share,
    )
    db.session.add(customer)
    return customer


def new_contact(customer: Customer, data: ContactData, *, field_prefix: str = "") -> Contact:
    name = data.name.strip()
    email = normalise_email(data.email)
    if not name:
        raise DomainError(_("A contact needs a name."), field=f"{field_prefix}name")
    if email:
        existing = db.session.scalar(sa.select(Contact).where(Contact.email == email))
        if existing is not None and existing.customer is not customer:
            raise DomainError(
                _(
                    "%(email)s is already a contact of %(customer)s.",
                    email=email,
                    customer=existing.customer.name,
                ),
                field=f"{field_prefix}email",
            )
        if existing is not None:
            return existing
    contact = Contact(customer=customer, name=name, email=email, phone=data.phone.strip())
    db.session.add(contact)
    return contact


def create_customer(
    *, actor: User, data: CustomerData, contact: ContactData | None = None
) -> Customer:
    if actor.role not in (Role.AGENT, Role.LEAD, Role.ACCOUNT_MANAGER):
        raise PermissionDenied(_("You may not create customers."))
    manager_id = _account_manager_for(actor, data.account_manager_id)
    with unit_of_work():
        customer = new_customer(replace(data, account_manager_id=manager_id))
        if contact is not None and contact.name.strip():
            new_contact(customer, contact, field_prefix="contact_")
    return customer


def update_customer(
    customer: Customer, *, actor: User, data: CustomerData, now: datetime | None = None
) -> Customer:
    """Save the profile. A change of standing needs ``data.standing_reason`` and is
    recorded as a ``StandingChange`` in the same transaction; a change of tier needs
    ``data.tier_reason``, is allowed only to ``access.can_change_tier`` (not to agents)
    and is recorded as a ``TierChange`` with an event on the customer's open tickets.
    A new account manager takes the account's tickets out of the former one's sight, and
    their watches on them are removed in the same transaction."""
    access.require_edit_customer(actor, customer)
    tier = CustomerTier(data.tier)
    tier_changes = tier != customer.tier
    if tier_changes:
        access.require_change_tier(actor, customer)
    if not data.name.strip():
        raise DomainError(_("A customer needs a name."), field="name")
    _account_manager_for(actor, data.account_manager_id, customer)
    _check_account_manager(data.account_manager_id)
    external_ref = _clean_external_ref(data.external_ref, customer)
    purchase_share = _clean_purchase_share(data.purchase_share)
    standing_changes = data.standing != customer.standing
    reason = (
        _clean_reason(data.standing_reason, field="standing_reason") if standing_changes else ""
    )
    old_manager = customer.account_manager
    tier_reason = _clean_tier_reason(data.tier_reason, field="tier_reason") if tier_changes else ""
    now = now or utcnow()
    with unit_of_work():
        customer.name = data.name.strip()
        if tier_changes:
            _record_tier(customer, tier=tier, reason=tier_reason, actor=actor, now=now)
        customer.account_manager_id = data.account_manager_id
        if old_manager is not None and old_manager.id != data.account_manager_id:
            # The former manager no longer sees this account's tickets: nor do they
            # keep watching them.
            db.session.flush()
            db.session.expire(customer, ["account_manager"])
            access.drop_lost_watches([old_manager])
        customer.preferences = data.preferences.strip()
        customer.external_ref = external_ref
        customer.purchase_share = purchase_share
        if standing_changes:
            _record_standing(customer, standing=data.standing, reason=reason, actor=actor, now=now)
    return customer


def change_standing(
    customer: Customer,
    *,
    standing: Standing,
    reason: str,
    actor: User,
    now: datetime,
    ticket: Ticket | None = None,
) -> StandingChange:
    """Change how the customer ranks us, with the reason (and the ticket behind it, if any).

    Allowed to whoever may edit the customer. The history row and the new standing are
    written in one transaction. Raises ``DomainError`` on field ``standing`` when the
    standing would not change, on ``reason`` without a reason, on ``ticket`` when the
    ticket belongs to another customer.
    """
    access.require_edit_customer(actor, customer)
    standing = Standing(standing)
    if standing == customer.standing:
        raise DomainError(_("The standing is already this one."), field="standing")
    reason = _clean_reason(reason, field="reason")
    if ticket is not None and ticket.customer_id != customer.id:
        raise DomainError(_("That ticket belongs to another customer."), field="ticket")
    with unit_of_work():
        change = _record_standing(
            customer, standing=standing, reason=reason, actor=actor, now=now, ticket=ticket
        )
    return change


def change_tier(
    customer: Customer, *, tier: CustomerTier, reason: str, actor: User, now: datetime
) -> TierChange:
    """Change the customer's tier, with the reason. Allowed to the account's manager, team
    leads and admins (``access.can_change_tier``); the history row, the new tier and an
    event on each open ticket of the customer are written in one transaction."""
    access.require_change_tier(actor, customer)
    tier = CustomerTier(tier)
    if tier == customer.tier:
        raise DomainError(_("The tier is already this one."), field="tier")
    reason = _clean_tier_reason(reason, field="reason")
    with unit_of_work():
        change = _record_tier(customer, tier=tier, reason=reason, actor=actor, now=now)
    return change


def tier_history(customer_id: int) -> list[TierChange]:
    """The customer's tier changes, newest first."""
    return list(
        db.session.scalars(
            sa.select(TierChange)
            .where(TierChange.customer_id == customer_id)
            .options(sa.orm.joinedload(TierChange.changed_by))
            .order_by(TierChange.changed_at.desc(), TierChange.id.desc())
        )
    )


def standing_history(customer_id: int) -> list[StandingChange]:
    """The customer's standing changes, newest first."""
    return list(
        db.session.scalars(
            sa.select(StandingChange)
            .where(StandingChange.customer_id == customer_id)
            .options(
                sa.orm.joinedload(StandingChange.changed_by),
                sa.orm.joinedload(StandingChange.ticket),
            )
            .order_by(StandingChange.changed_at.desc(), StandingChange.id.desc())
        )
    )


def add_contact(customer: Customer, *, actor: User, data: ContactData) -> Contact:
    access.require_edit_customer(actor, customer)
    email = normalise_email(data.email)
    if email and db.session.scalar(sa.select(Contact.id).where(Contact.email == email)):
        raise DomainError(_("%(email)s already belongs to a contact.", email=email), field="email")
    with unit_of_work():
        contact = new_contact(customer, data)
    return contact


@dataclass(frozen=True)
class ContactChanges:
    """The editable details of a contact; ``locale`` and ``timezone`` "" mean the desk's."""

    name: str
    email: str | None = None
    phone: str = ""
    locale: str = ""
    timezone: str = ""


def language_codes() -> list[str]:
    """The languages e-mails can be written in (``LANGUAGES``), in the configured order."""
    return [str(code) for code in current_app.config["LANGUAGES"]]


def check_locale(value: str | None) -> str:
    """A contact's language: "" (the desk's) or one of ``LANGUAGES``, else DomainError."""
    value = (value or "").strip()
    if value and value not in language_codes():
        raise DomainError(_("Choose one of the languages the desk writes in."), field="locale")
    return value


def check_timezone(value: str | None) -> str:
    """A contact's timezone: "" (the desk's) or an IANA zone name as the system's time
    zone database spells it (``Europe/Berlin``, ``Asia/Shanghai``, ``UTC``), else
    DomainError. Spelling is exact: ``europe/berlin`` is refused."""
    value = (value or "").strip()
    if value and (len(value) > 64 or value not in _timezones()):
        raise DomainError(
            _(
                "Choose a timezone from the list, such as Europe/Berlin, or leave "
                "it empty for the desk's."
            ),
            field="timezone",
        )
    return value


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def update_contact(contact: Contact, *, actor: User, changes: ContactChanges) -> Contact:
    """Edit a contact's name, address, phone, language and timezone.

    Allowed to whoever may edit the contact's customer. An address is one contact's only;
    the language is one of ``LANGUAGES`` or "" and the timezone an IANA name or "".
    """
    access.require_edit_customer(actor, contact.customer)
    name = (changes.name or "").strip()
    if not name:
        raise DomainError(_("A contact needs a name."), field="name")
    if len(name) > 120:
        raise DomainError(_("Keep the name to %(n)d characters or fewer.", n=120), field="name")
    email = normalise_email(changes.email)
    if email and len(email) > 254:
        raise DomainError(_("This e-mail address is too long."), field="email")
    if email and db.session.scalar(
        sa.select(Contact.id).where(Contact.email == email, Contact.id != contact.id)
    ):
        raise DomainError(_("%(email)s already belongs to a contact.", email=email), field="email")
    phone = (changes.phone or "").strip()
    if len(phone) > 40:
        raise DomainError(
            _("Keep the phone number to %(n)d characters or fewer.", n=40), field="phone"
        )
    locale = check_locale(changes.locale)
    timezone = check_timezone(changes.timezone)
    with unit_of_work():
        contact.name, contact.email, contact.phone = name, email, phone
        contact.locale, contact.timezone = locale, timezone
    return contact


def get_contact(customer_id: int, contact_id: int) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.customer_id != customer_id:
        raise NotFound(_("No such contact."))
    return contact


def get_customer(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(_("No such customer."))
    return customer


@dataclass(frozen=True)
class SenderMatch:
    """Who an intake from the public (form or e-mail) is filed under, and how we know.

    ``known``: the address was already a contact's, so whoever typed it may not be that
    person; the private link then goes only to the address, by e-mail. ``named_account``:
    the address was new but the company name matched an existing customer, so the new
    contact is unverified and the ticket waits for an agent to confirm or move it.
    """

    customer: Customer
    contact: Contact
    known: bool = False
    named_account: bool = False


def match_sender(*, name: str, email: str, company: str, now: datetime) -> SenderMatch:
    """Link an incoming complaint to a contact by e-mail, else create what is missing.

    An address already on file decides the customer and the contact (``known``).
    Otherwise a customer with exactly the given company name (any case) gets a new,
    *unverified* contact (``named_account``): anyone can type a company's name. Otherwise
    a new standard customer is created, named after the company or, without one, the
    person, with a verified contact (it is their own account).
    """
    email_n = normalise_email(email)
    if email_n:
        contact = db.session.scalar(sa.select(Contact).where(Contact.email == email_n))
        if contact is not None:
            return SenderMatch(contact.customer, contact, known=True)
    customer = None
    company = company.strip()
    if company:
        customer = db.session.scalar(
            sa.select(Customer)
            .where(sa.func.lower(Customer.name) == company.lower())
            .order_by(Customer.id)
            .limit(1)
        )
    named_account = customer is not None
    if customer is None:
        customer = new_customer(CustomerData(name=company or name.strip()))
    contact = Contact(
        customer=customer,
        name=name.strip(),
        email=email_n,
        phone="",
        verified=not named_account,
        created_at=now,
    )
    db.session.add(contact)
    return SenderMatch(customer, contact, named_account=named_account)


def _find_or_create_for_intake(
    *, name: str, email: str, company: str, now: datetime
) -> tuple[Customer, Contact]:
    """``match_sender`` without the how: the customer and the contact."""
    match = match_sender(name=name, email=email, company=company, now=now)
    return match.customer, match.contact


# How many matches the customer picker shows at most.
SEARCH_LIMIT = 10
SEARCH_MAX = 100
# A phone number counts for duplicates from this many digits (shorter ones are extensions).
PHONE_DIGITS_MIN = 6


@dataclass(frozen=True)
class CustomerMatch:
    """One customer the picker offers: its id and a label that says why it matched."""

    id: int
    name: str
    detail: str

    @property
    def label(self) -> str:
        return f"{self.name} · {self.detail}" if self.detail else self.name


def phone_digits(phone: str | None) -> str:
    """The digits of a phone number: ``+49 (30) 123-45`` → ``493012345``."""
    return "".join(ch for ch in (phone or "") if ch.isdigit())


def name_key(name: str | None) -> str:
    """A name compared case- and space-insensitively: ``" Anna  SCHMIDT"`` → ``annaschmidt``."""
    return "".join((name or "").split()).casefold()


def search_customers(*, user: User, query: str, limit: int = SEARCH_LIMIT) -> list[CustomerMatch]:
    """The customers ``user`` may see whose name, external reference, or a contact's
    e-mail or phone contains ``query`` (any case; ``%`` and ``_`` match themselves),
    names first, at most ``limit``. A query under 2 characters finds nothing."""
    text = " ".join((query or "").split())[:SEARCH_MAX]
    if len(text) < 2 or limit < 1:
        return []
    pattern = f"%{escape_like(text.lower())}%"
    contact_hit = sa.or_(
        sa.func.lower(Contact.email).like(pattern, escape="\\"),
        sa.func.lower(Contact.phone).like(pattern, escape="\\"),
    )
    name_hit = sa.func.lower(Customer.name).like(pattern, escape="\\")
    ref_hit = sa.func.lower(sa.func.coalesce(Customer.external_ref, "")).like(pattern, escape="\\")
    stmt = (
        sa.select(Customer)
        .where(
            visible_customers_clause(user),
            sa.or_(
                name_hit,
                ref_hit,
                sa.exists().where(Contact.customer_id == Customer.id, contact_hit),
            ),
        )
        .order_by(sa.case((name_hit, 0), else_=1), Customer.name, Customer.id)
        .limit(limit)
    )
    found = list(db.session.scalars(stmt))
    contacts: dict[int, Contact] = {}
    if found:
        for contact in db.session.scalars(
            sa.select(Contact)
            .where(Contact.customer_id.in_([c.id for c in found]), contact_hit)
            .order_by(Contact.id)
        ):
            contacts.setdefault(contact.customer_id, contact)
    matches = []
    for customer in found:
        contact = contacts.get(customer.id)
        if text.lower() in customer.name.lower():
            detail = customer.external_ref or ""
        elif customer.external_ref and text.lower() in customer.external_ref.lower():
            detail = customer.external_ref
        elif contact is not None:
            shown = contact.email if text.lower() in (contact.email or "") else contact.phone
            detail = f"{contact.name} <{shown}>" if shown else contact.name
        else:
            detail = ""
        matches.append(CustomerMatch(customer.id, customer.name, detail))
    return matches


class LikelyDuplicate(DomainError):
    """A new customer at intake looks like existing ones (``matches``): use one of them,
    or confirm that a new one is meant."""

    def __init__(self, matches: list[Customer]):
        names = ", ".join(c.name for c in matches)
        super().__init__(
            _(
                "This looks like a customer we already have (%(names)s). Use the existing "
                "customer, or tick “Create a new customer anyway”.",
                names=names,
            ),
            field="new_customer_name",
        )
        self.matches = matches


def likely_duplicates(
    *, user: User, name: str, email: str | None = None, phone: str = ""
) -> list[Customer]:
    """Existing customers ``user`` may see that a new customer at intake probably is.

    A customer is a likely duplicate when its name equals ``name`` ignoring case and
    spaces, or one of its contacts has the same normalised e-mail as ``email``, or the
    same phone digits as ``phone`` (only numbers of ``PHONE_DIGITS_MIN`` digits or more
    count). Oldest first.
    """
    ids: set[int] = set()
    key = name_key(name)
    if key:
        squashed = sa.func.lower(sa.func.replace(sa.func.replace(Customer.name, " ", ""), "\t", ""))
        rows = db.session.execute(
            sa.select(Customer.id, Customer.name).where(squashed == key.lower())
        )
        # SQL lower() only folds ASCII on SQLite: the Python key decides.
        ids.update(row.id for row in rows if name_key(row.name) == key)
        if not key.isascii():
            rows = db.session.execute(sa.select(Customer.id, Customer.name))
            ids.update(row.id for row in rows if name_key(row.name) == key)
    email_n = normalise_email(email)
    if email_n:
        ids.update(
            db.session.scalars(sa.select(Contact.customer_id).where(Contact.email == email_n))
        )
    digits = phone_digits(phone)
    if len(digits) >= PHONE_DIGITS_MIN:
        rows = db.session.execute(
            sa.select(Contact.customer_id, Contact.phone).where(Contact.phone != "")
        )
        ids.update(row.customer_id for row in rows if phone_digits(row.phone) == digits)
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Customer)
            .where(Customer.id.in_(ids), visible_customers_clause(user))
            .order_by(Customer.id)
        )
    )
