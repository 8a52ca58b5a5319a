"""The managed list of complaint categories."""

import re

import sqlalchemy as sa
from flask_babel import gettext as _

from ticketdesk.core.errors import DomainError, PermissionDenied
from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import Category, Role, User

# Shipped with every installation (also inserted by the first migration).
DEFAULT_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("missing_short_shipment", "Missing or short shipment"),
    ("damaged_defective", "Damaged or defective"),
    ("wrong_item", "Wrong item"),
    ("late_delivery", "Late delivery"),
    ("billing_payment", "Billing or payment"),
    ("service_attitude", "Service attitude"),
    ("solution_failure", "Solution or project failure"),
    ("other", "Other"),
)


def add_default_categories() -> None:
    """Insert any missing default category (used by tests and demo data)."""
    existing = set(db.session.scalars(sa.select(Category.slug)))
    for position, (slug, name) in enumerate(DEFAULT_CATEGORIES, start=1):
        if slug not in existing:
            db.session.add(Category(slug=slug, name=name, position=position * 10))


def ensure_defaults() -> None:
    with unit_of_work():
        add_default_categories()


def list_categories(*, include_inactive: bool = False) -> list[Category]:
    stmt = sa.select(Category).order_by(Category.position, Category.name)
    if not include_inactive:
        stmt = stmt.where(Category.active.is_(True))
    return list(db.session.scalars(stmt))


def category_choices(*, include_id: int | None = None) -> list[tuple[int, str]]:
    """Active categories, plus ``include_id`` so a retired one still shows where in use."""
    stmt = sa.select(Category.id, Category.name).order_by(Category.position, Category.name)
    if include_id:
        stmt = stmt.where(sa.or_(Category.active.is_(True), Category.id == include_id))
    else:
        stmt = stmt.where(Category.active.is_(True))
    return [(row.id, row.name) for row in db.session.execute(stmt)]


def _slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40] or "category"


def save_category(
    category: Category | None, *, actor: User, name: str, position: int, active: bool = True
) -> Category:
    if actor.role is not Role.ADMIN:
        raise PermissionDenied(_("Only administrators manage categories."))
    name = name.strip()
    if not name:
        raise DomainError(_("A category needs a name."), field="name")
    clash = sa.select(Category.id).where(sa.func.lower(Category.name) == name.lower())
    if category is not None:
        clash = clash.where(Category.id != category.id)
    if db.session.scalar(clash) is not None:
        raise DomainError(_("A category with this name exists already."), field="name")
    with unit_of_work():
        if category is None:
            slug, n = _slugify(name), 2
            while db.session.scalar(sa.select(Category.id).where(Category.slug == slug)):
                slug, n = f"{_slugify(name)[:36]}_{n}", n + 1
            category = Category(slug=slug, name=name, position=position, active=active)
            db.session.add(category)
        else:
            category.name, category.position, category.active = name, position, active
    return category
