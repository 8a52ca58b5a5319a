"""steps name the event that ticks them: a public reply, a delivered make-whole or goodwill

Three step kinds are new: ``answer`` (ticked by a public reply), ``make_whole`` and
``goodwill`` (ticked when such a remedy is delivered). The kind column is a plain string,
so the schema does not change. Stored task steps whose title is one the shipped playbooks
use for the call-back, make-whole or goodwill step get the new kind: in every playbook
version, and in the checklists of open tickets for steps not yet ticked (a ticked step
keeps its record). Titles a lead wrote stay tasks. Down again, the new kinds become tasks.

Revision ID: 0016_step_completion
Revises: 0015_routing_categories
Create Date: 2026-12-07 23:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016_step_completion"
down_revision = "0015_routing_categories"
branch_labels = None
depends_on = None

# The shipped titles as of this revision (frozen here: later edits to the shipped
# playbooks must not change what this migration did).
TITLES = {
    "answer": (
        "Answer within four hours",
        "Call back within the hour about the damage",
        "Call back within two hours and own the problem",
        "Call back within two hours with the facts",
        "Call back yourself within two hours",
        "Call the customer back within the hour",
        "Call the customer back within two hours",
        "Check our records and answer within four hours",
        "Respond within four hours",
    ),
    "make_whole": (
        "Correct the invoice or refund today",
        "Do what they needed in the first place",
        "Fix it on site, with a workaround meanwhile",
        "Get the goods there now",
        "Make the customer whole now",
        "Put it right for this customer",
        "Replace the damaged goods now",
        "Reship the missing goods today",
        "Send the right goods today",
        "Stop the loss now",
    ),
    "goodwill": (
        "Add a small extra if it cost them effort",
        "Add goodwill that fits what they buy",
        "Add something they will use to the parcel",
        "Cover what the failure cost their project",
        "Credit the extra work on their side",
        "Goodwill that helps their business",
        "Make up for the hassle",
        "Offer a small extra that fits what they buy",
        "Offer a small gesture if it cost them time",
        "Refund the shipping and add goodwill",
    ),
}
OPEN_STATUSES = ("new", "open", "pending_customer")

_playbook_steps = sa.table(
    "playbook_steps", sa.column("kind", sa.String), sa.column("title", sa.String)
)
_ticket_steps = sa.table(
    "ticket_steps",
    sa.column("kind", sa.String),
    sa.column("title", sa.String),
    sa.column("done_at", sa.DateTime),
    sa.column("ticket_id", sa.Integer),
)
_tickets = sa.table("tickets", sa.column("id", sa.Integer), sa.column("status", sa.String))


def upgrade():
    open_tickets = sa.select(_tickets.c.id).where(_tickets.c.status.in_(OPEN_STATUSES))
    for kind, titles in TITLES.items():
        op.execute(
            _playbook_steps.update()
            .where(_playbook_steps.c.kind == "task", _playbook_steps.c.title.in_(titles))
            .values(kind=kind)
        )
        op.execute(
            _ticket_steps.update()
            .where(
                _ticket_steps.c.kind == "task",
                _ticket_steps.c.title.in_(titles),
                _ticket_steps.c.done_at.is_(None),
                _ticket_steps.c.ticket_id.in_(open_tickets),
            )
            .values(kind=kind)
        )


def downgrade():
    for table in (_playbook_steps, _ticket_steps):
        op.execute(table.update().where(table.c.kind.in_(tuple(TITLES))).values(kind="task"))
