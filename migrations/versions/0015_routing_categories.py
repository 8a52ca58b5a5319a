"""routing rules name categories by slug, under the key playbooks use

Playbooks, SLA policies and routing rules share one condition matcher
(``ticketdesk/conditions.py``) with one set of keys. A playbook's category condition was
``categories`` (slugs), a routing rule's ``category_ids`` (ids): routing rules now store
``categories`` with the slugs of the same categories. Down again, the slugs become ids.
Categories are never deleted (tickets refer to them), so every id has its slug; an id
without one (a row removed by hand) becomes ``#<id>``, which no slug can be, so the rule
still matches no ticket by it and the rule list shows it as before.

Revision ID: 0015_routing_categories
Revises: 0014_email_channel
Create Date: 2026-12-07 22:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_routing_categories'
down_revision = '0014_email_channel'
branch_labels = None
depends_on = None

_rules = sa.table('routing_rules', sa.column('id', sa.Integer),
                  sa.column('conditions', sa.JSON))
_categories = sa.table('categories', sa.column('id', sa.Integer),
                       sa.column('slug', sa.String))


def _rename(old_key, new_key, translate):
    """Move each rule's ``old_key`` values to ``new_key``, each value translated."""
    bind = op.get_bind()
    for rule_id, conditions in bind.execute(
            sa.select(_rules.c.id, _rules.c.conditions).order_by(_rules.c.id)).all():
        conditions = dict(conditions or {})
        values = conditions.pop(old_key, None)
        if not values:
            continue
        conditions[new_key] = sorted({translate(v) for v in values})
        bind.execute(sa.update(_rules).where(_rules.c.id == rule_id)
                     .values(conditions=conditions))


def upgrade():
    slugs = dict(op.get_bind().execute(sa.select(_categories.c.id, _categories.c.slug)).all())
    _rename('category_ids', 'categories', lambda i: slugs.get(i, f'#{i}'))


def downgrade():
    ids = dict(op.get_bind().execute(sa.select(_categories.c.slug, _categories.c.id)).all())

    def category_id(slug):
        if slug in ids:
            return ids[slug]
        if slug.startswith('#') and slug[1:].isdigit():
            return int(slug[1:])
        raise RuntimeError(f'no category {slug!r}: downgrade needs every routing category')
    _rename('categories', 'category_ids', category_id)
