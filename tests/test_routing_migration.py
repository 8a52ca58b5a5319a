"""Migration 0015 moves routing rules' categories from ids (``category_ids``) to slugs
(``categories``, the key playbooks use) and back. Runs on SQLite and, when configured,
PostgreSQL."""

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from tests.test_migrations import (  # noqa: F401 - fixtures
    MIGRATIONS,
    _keep_logging,
    migrated_app,
    postgresql_url,
    sqlite_url,
)
from ticketdesk.extensions import db
from ticketdesk.models import Category, RoutingRule

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _conditions() -> dict[str, dict]:
    db.session.remove()
    return {
        name: cond
        for name, cond in db.session.execute(sa.select(RoutingRule.name, RoutingRule.conditions))
    }


def test_routing_categories_become_slugs_and_come_back_as_ids(migrated_app):  # noqa: F811 - fixture imported above
    with migrated_app.app_context():
        upgrade(directory=str(MIGRATIONS), revision="0014_email_channel")
        ids = dict(db.session.execute(sa.select(Category.slug, Category.id)).all())
        before = {
            "Shipping": {
                "category_ids": sorted([ids["wrong_item"], ids["late_delivery"]]),
                "kinds": ["complaint"],
            },
            "Gone": {"category_ids": [ids["other"], 999]},
            "Crises": {"kinds": ["crisis"]},
            "Anything": {},
        }
        for position, (name, cond) in enumerate(before.items()):
            db.session.add(
                RoutingRule(
                    name=name,
                    position=position,
                    conditions=cond,
                    notify=[],
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        db.session.commit()

        upgrade(directory=str(MIGRATIONS))
        assert _conditions() == {
            "Shipping": {"categories": ["late_delivery", "wrong_item"], "kinds": ["complaint"]},
            "Gone": {"categories": ["#999", "other"]},
            "Crises": {"kinds": ["crisis"]},
            "Anything": {},
        }

        db.session.remove()
        downgrade(directory=str(MIGRATIONS), revision="0014_email_channel")
        assert _conditions() == before
        db.session.remove()
