"""Demo data: a realistic, deterministic data set for trying TicketDesk, and a bulk generator.

``load_demo`` fills an empty database with teams, staff, about thirty customers and about two
hundred complaints with full timelines, written after the cases in ``DOMAIN.md`` (the 20-of-22
cosmetic bags, the missing olive oil bottle called back within the hour, the lunch regular who
likes extra chili, the strategic client angry mid-project ...). The same seed gives the same data.
It adds the shipped playbooks when they are missing, and every ticket follows the one that
fits it: the timelines tick the checklist through the playbook service's own helpers (the
apology and the explanation by the replies that give them), put make-whole and goodwill on the
compensation ledger, set the cause side once it is investigated, and resolve only once every
required step is done, as the ticket service insists.

``generate_bulk`` appends many more tickets with short timelines for benchmarks. It uses Core
bulk inserts with precomputed ticket ids and commits per batch; it is a CLI loader, not a user
action, so it does not run as one unit of work.

Public functions, in the order ``flask demo-data`` calls them. None of them runs inside the
caller's transaction: those that write commit their own work.

- ``load_demo(now=, seed=)``: the demo set, into an empty database, in one unit of work; then,
  as on a live desk, the overdue-step reminders, the service-level sweep and the daily loyalty
  job run, each in its own. Returns a summary.
- ``mail.load(now=)``: today's mailbox, taken in through the desk's e-mail intake, which
  stores and then acts on each message in transactions of its own, as for real mail. Returns a
  one-line summary.
- ``generate_bulk(count=, now=, seed=)``: bulk tickets, committed per batch of ``BULK_BATCH``.
  Returns (seconds taken, tickets written).
- ``logins_text()``: the demo logins to print; reads nothing from the database.

The modules, by what they hold:

- ``content``: who and what the set is made of (logins, sizes, teams, staff, customers, the
  words of each category of complaint); plain data.
- ``timeline``: a ticket as a draft with steps, and the timeline that applies the steps
  through the services' helpers.
- ``stories``: the hand-written tickets after the cases in ``DOMAIN.md``.
- ``generic``: generated complaints with generic timelines, recent and historical.
- ``recovery``: what happens after a recovery (orders, surveys, standing changes).
- ``load``: ``load_demo`` and the teams, staff, customers and routing around the tickets.
- ``bulk``: the bulk generator.
- ``mail``: the demo mailbox.

``stories`` and ``generic`` only build drafts; ``timeline`` and ``recovery.load`` add to the
session inside ``load_demo``'s unit of work and never commit.
"""

from ticketdesk.demo.bulk import generate_bulk
from ticketdesk.demo.content import (
    BULK_BATCH,
    DEMO_DAYS,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_TICKETS,
    DEMO_URL,
    HISTORY_DAYS,
    HISTORY_TICKETS,
    logins_text,
)
from ticketdesk.demo.load import load_demo

__all__ = [
    "BULK_BATCH",
    "DEMO_DAYS",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "DEMO_TICKETS",
    "DEMO_URL",
    "HISTORY_DAYS",
    "HISTORY_TICKETS",
    "generate_bulk",
    "load_demo",
    "logins_text",
]
