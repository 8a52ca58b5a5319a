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
"""

import base64
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.attributes import flag_modified

from ticketdesk.database import Money, UTCDateTime
from ticketdesk.extensions import db
from ticketdesk.models import (
    AssignStrategy,
    AwayReason,
    Category,
    CauseSide,
    Channel,
    Contact,
    Counter,
    Customer,
    CustomerTier,
    EventKind,
    Notification,
    NotificationKind,
    OutboxMessage,
    Playbook,
    Remedy,
    RemedyForm,
    RemedyKind,
    RemedyReason,
    RemedyState,
    Role,
    RootCause,
    RoutingRule,
    Severity,
    SlaEvent,
    Standing,
    StepKind,
    Team,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
    TicketStep,
    TicketWatcher,
    User,
    team_members,
)
from ticketdesk.services.tickets import categories
from ticketdesk.core import counters
from ticketdesk.services.ledger import remedies as ledger
from ticketdesk.services.notifications import notifications
from ticketdesk.services.playbooks import shipped as playbook_defaults
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.routing import engine as routing
from ticketdesk.services.routing import rules as routing_rules
from ticketdesk.services.sla import clocks as sla
from ticketdesk import demo_recovery
from ticketdesk.services.recovery import loyalty
from ticketdesk.services.tickets import workflow
from ticketdesk.services.playbooks.shipped import ACCOUNT_MANAGER, ACKNOWLEDGE_PRESSURE, BRIEF_MANAGER, CONFIRM, GOODWILL, LEAD_OWNS, LISTEN, MAKE_WHOLE, NEXT_CONTACT, OFFER_HELP, ROOT_CAUSE
from ticketdesk.core.uow import unit_of_work

DEMO_URL = "http://127.0.0.1:5000"
DEMO_PASSWORD = "ticketdesk-demo"
# The logins printed by ``flask demo-data``: (email, role, name).
DEMO_LOGINS: list[tuple[str, Role, str]] = [
    ("agent@example.com", Role.AGENT, "Mia Hoffmann"),
    ("manager@example.com", Role.ACCOUNT_MANAGER, "Li Wei"),
    ("lead@example.com", Role.LEAD, "Sofia Rossi"),
    ("admin@example.com", Role.ADMIN, "Sam Okafor"),
]
DEMO_TICKETS = 200
DEMO_DAYS = 60
# Older, finished complaints (60 to 420 days ago), so that recoveries have had time to show
# whether the customer bought again.
HISTORY_TICKETS = 150
HISTORY_DAYS = 360
BULK_DAYS = 365
BULK_BATCH = 10_000

_ROLE_LABELS = {
    Role.AGENT: "Agent",
    Role.ACCOUNT_MANAGER: "Account manager",
    Role.LEAD: "Team lead",
    Role.ADMIN: "Administrator",
}

# ============================================================================ content

# Teams: key -> (name, description)
_TEAMS: dict[str, tuple[str, str]] = {
    "front": ("Front desk", "First line: phone, e-mail, walk-in and web complaints."),
    "key": ("Key accounts", "Strategic and key customers: crises and project escalations."),
    "logistics": ("Logistics & returns", "Missing, damaged, wrong and late shipments; reships."),
    "billing": ("Billing & accounts", "Invoices, payments, refunds and credit notes."),
}

# Staff: key -> (email, name, role, timezone, team keys). The first four are DEMO_LOGINS.
_STAFF: dict[str, tuple[str, str, Role, str, tuple[str, ...]]] = {
    "agent": ("agent@example.com", "Mia Hoffmann", Role.AGENT, "Europe/Berlin",
              ("front", "key", "logistics")),
    "manager": ("manager@example.com", "Li Wei", Role.ACCOUNT_MANAGER, "Asia/Shanghai", ("key",)),
    "lead": ("lead@example.com", "Sofia Rossi", Role.LEAD, "Europe/Rome",
             ("front", "key", "logistics", "billing")),
    "admin": ("admin@example.com", "Sam Okafor", Role.ADMIN, "UTC", ()),
    "agent2": ("jing.chen@example.com", "Chen Jing", Role.AGENT, "Asia/Shanghai",
               ("front", "key")),
    "agent3": ("tom.baker@example.com", "Tom Baker", Role.AGENT, "Europe/London",
               ("logistics", "billing")),
    "manager2": ("anna.novak@example.com", "Anna Novak", Role.ACCOUNT_MANAGER, "Europe/Berlin",
                 ("key",)),
}


@dataclass(frozen=True)
class _CustomerSpec:
    key: str
    name: str
    tier: CustomerTier
    standing: Standing
    manager: str | None
    currency: str
    business: bool
    items: tuple[str, ...]
    preferences: str
    contacts: tuple[tuple[str, str, str], ...]  # (name, email, phone)


_S, _K, _D = CustomerTier.STRATEGIC, CustomerTier.KEY, CustomerTier.STANDARD

_CUSTOMERS: tuple[_CustomerSpec, ...] = (
    # ---- strategic
    _CustomerSpec(
        "kestrel", "Kestrel Engineering GmbH", _S, Standing.STRATEGIC, "manager2", "EUR", True,
        ("handheld scanners", "scanner docking stations", "rugged tablets"),
        "Rollout of warehouse scanners to 16 sites (phase 2 of 3). Wants one named contact on "
        "our side and a short written status every Friday; values firm dates over optimistic "
        "ones. Their IT director reports on the rollout to the board every month.",
        (("Jonas Weber", "jonas.weber@kestrel-eng.example", "+49 341 555 0142"),
         ("Petra Lang", "petra.lang@kestrel-eng.example", "+49 341 555 0178"))),
    _CustomerSpec(
        "bluewater", "Bluewater Supermarkets", _S, Standing.STRATEGIC, "manager", "EUR", True,
        ("olive oil gift sets", "shelf-ready cartons of pasta sauce", "promotion display units"),
        "38 stores. Promotion weeks are planned six weeks ahead, so late stock costs them the "
        "whole promotion. Values free merchandising help in stores more than price discounts.",
        (("Fiona Gallagher", "fiona.gallagher@bluewater.example", "+353 1 555 0190"),
         ("Declan Byrne", "declan.byrne@bluewater.example", "+353 1 555 0123"),
         ("Stores hotline", "stores@bluewater.example", "+353 1 555 0100"))),
    _CustomerSpec(
        "meridian", "Meridian Hotels Group", _S, Standing.PREFERRED, "manager", "EUR", True,
        ("guest amenity kits", "bath linen sets", "minibar glassware"),
        "Linen and amenity kits for 12 hotels. Replacement stock must arrive before the Friday "
        "check-in peak; a credit note is only second best. Housekeeping managers like a sample "
        "of each new amenity line.",
        (("Isabelle Moreau", "isabelle.moreau@meridian-hotels.example", "+33 1 5555 0161"),
         ("Karim Haddad", "karim.haddad@meridian-hotels.example", ""))),
    _CustomerSpec(
        "brightline", "Shenzhen Brightline Electronics Co.", _S, Standing.QUALIFICATION_PENDING,
        "manager", "CNY", True, ("USB-C power adapters", "charging cables", "battery packs"),
        "Buys components for its own consumer brand. Expects a root-cause report in 8D format "
        "with every quality claim, in English and Chinese. Moved us to qualification pending "
        "after the adapter batch failure; the next two deliveries decide.",
        (("Liu Yang", "liu.yang@brightline.example", "+86 755 5555 0134"),
         ("Zhou Min", "zhou.min@brightline.example", "+86 755 5555 0187"))),
    _CustomerSpec(
        "halvorsen", "Halvorsen Clinics", _S, Standing.PREFERRED, "manager2", "EUR", True,
        ("examination gloves", "sterile dressing packs", "sharps containers"),
        "Nine outpatient clinics. A same-day courier for an urgent gap is worth more to them "
        "than any discount. Invoices must carry the clinic's cost-centre code.",
        (("Ingrid Halvorsen", "ingrid@halvorsen-clinics.example", "+47 22 55 50 11"),
         ("Ola Berg", "ola.berg@halvorsen-clinics.example", "+47 22 55 50 47"))),
    # ---- key
    _CustomerSpec(
        "casa_oliva", "Casa Oliva Delicatessen", _K, Standing.PREFERRED, "manager2", "EUR", True,
        ("5 l tins of extra-virgin olive oil", "750 ml bottles of olive oil",
         "jars of marinated olives"),
        "Buys Cretan extra-virgin olive oil in 5 l tins and 750 ml bottles and reorders every "
        "three weeks. Likes first pick of the new harvest and a tasting sample when a new grove "
        "is added to the range.",
        (("Giulia Conti", "giulia@casa-oliva.example", "+39 02 5555 0172"),)),
    _CustomerSpec(
        "nordlicht", "Nordlicht Bakeries", _K, Standing.PREFERRED, "manager2", "EUR", True,
        ("sacks of rye flour", "bread bags", "rolls of baking paper"),
        "Seven bakeries. Deliveries must arrive before 06:00, while the night shift can still "
        "sign for goods. Appreciates a spare box of bread bags with large orders.",
        (("Klaus Reinhardt", "k.reinhardt@nordlicht-baeckerei.example", "+49 40 555 0133"),
         ("Sabine Reinhardt", "s.reinhardt@nordlicht-baeckerei.example", "+49 40 555 0134"))),
    _CustomerSpec(
        "pacific_crest", "Pacific Crest Outfitters", _K, Standing.QUALIFICATION_PENDING,
        "manager", "USD", True, ("insulated water bottles", "trekking poles", "dry bags"),
        "Outdoor retailer with five stores in Oregon and Washington. Wants early warning of "
        "stock gaps rather than substitutes. Is evaluating a second supplier this year.",
        (("Megan Doyle", "megan.doyle@pacificcrest.example", "+1 503 555 0148"),
         ("Ray Alvarez", "ray.alvarez@pacificcrest.example", "+1 503 555 0166"))),
    _CustomerSpec(
        "golden_harvest", "Golden Harvest Trading (Ningbo)", _K, Standing.STRATEGIC, "manager",
        "CNY", True, ("stainless steel woks", "bamboo steamers", "knife sets"),
        "Kitchenware importer. Customs documents (packing list, certificate of origin) must be "
        "right the first time; a corrected set within a day is valued highly. Prefers short "
        "messages with photos.",
        (("Chen Lu", "chen.lu@goldenharvest.example", "+86 574 5555 0119"),)),
    _CustomerSpec(
        "urban_sprout", "Urban Sprout Cafés", _K, Standing.PASSIVE_ELIMINATION, "manager2", "EUR",
        True, ("paper cups", "bags of coffee beans", "cartons of oat milk"),
        "Twelve cafés in Berlin. Invoices must show each café separately. The barista team likes "
        "seasonal coffee samples. Has been ordering less from us since the spring price rise.",
        (("Lea Braun", "lea.braun@urbansprout.example", "+49 30 555 0155"),
         ("Finn Scholz", "finn.scholz@urbansprout.example", ""))),
    _CustomerSpec(
        "riverside", "Riverside Property Services", _K, Standing.PREFERRED, "manager", "EUR", True,
        ("canisters of floor cleaner", "microfibre cloths", "waste sacks"),
        "Cleans 40 office buildings. One consolidated invoice per month; values a quarterly "
        "usage report that shows where they can save.",
        (("Aidan Walsh", "aidan.walsh@riverside-ps.example", "+44 161 555 0107"),)),
    _CustomerSpec(
        "lindqvist", "Lindqvist Interiors", _K, Standing.PREFERRED, "manager2", "EUR", True,
        ("rolls of upholstery fabric", "curtain tracks", "cushion inserts"),
        "Interior design studio. Welcomes swatches of new fabric collections with reorders; "
        "prefers a phone call to long e-mails.",
        (("Karin Lindqvist", "karin@lindqvist-interiors.example", "+46 8 555 0139"),)),
    # ---- standard
    _CustomerSpec(
        "bella_rosa", "Bella Rosa Beauty Supply", _D, Standing.QUALIFICATION_PENDING, None, "USD",
        True, ("cosmetic bags", "makeup brush sets", "travel bottles"),
        "Small cosmetics shop in Florida that stocks cosmetic bags in several styles. Open to "
        "new styles when samples come with a reorder. Paid the first order by bank transfer, "
        "which took several days to clear.",
        (("Rosa Delgado", "rosa@bellarosa-beauty.example", "+1 305 555 0182"),)),
    _CustomerSpec(
        "elena", "Elena Marquez", _D, Standing.QUALIFICATION_PENDING, None, "EUR", False,
        ("bottles of extra-virgin olive oil", "olive oil gift boxes"),
        "Orders 750 ml bottles of extra-virgin olive oil from the web shop about once a month. "
        "Prefers a short phone call to forms.",
        (("Elena Marquez", "elena.marquez@mail.example", "+34 91 555 0116"),)),
    _CustomerSpec(
        "zhang", "Zhang Hao", _D, Standing.PREFERRED, None, "EUR", False,
        ("lunch menus", "takeaway lunch boxes"),
        "Weekday lunch regular at the Canal Street restaurant. Likes the stir-fried beef with "
        "extra chili and a side of pickled long beans. Comes for a quick, good lunch in his "
        "break: keep service short and practical.",
        (("Zhang Hao", "zhang.hao@mail.example", "+49 40 555 0191"),)),
    _CustomerSpec(
        "green_fork", "Green Fork Catering", _D, Standing.PREFERRED, None, "EUR", True,
        ("compostable food boxes", "cans of chafing fuel", "napkin packs"),
        "Event caterer; orders peak from May to September. Values delivery the day before an "
        "event over the cheapest shipping.",
        (("Hannah Fischer", "hannah@greenfork.example", "+49 221 555 0128"),)),
    _CustomerSpec(
        "ostrava_print", "Ostrava Print & Pack s.r.o.", _D, Standing.QUALIFICATION_PENDING, None,
        "EUR", True, ("corrugated boxes", "rolls of packing tape", "bags of void fill"),
        "Packaging reseller. Orders full pallets and needs delivery notes that match the "
        "pallet labels.",
        (("Petr Dvořák", "petr.dvorak@ostrava-pp.example", "+420 59 555 0104"),)),
    _CustomerSpec(
        "cafe_amsel", "Café Amsel", _D, Standing.PREFERRED, None, "EUR", True,
        ("bags of coffee beans", "cake boxes", "paper cups"),
        "Neighbourhood café with one espresso machine. Likes to try a new single-origin coffee "
        "as a sample with an order.",
        (("Mareike Vogel", "mareike@cafe-amsel.example", "+49 40 555 0150"),)),
    _CustomerSpec(
        "harbourside", "Harbourside Dental Practice", _D, Standing.PREFERRED, None, "EUR", True,
        ("boxes of examination gloves", "disposable bibs", "cotton rolls"),
        "Two-chair practice; cannot take deliveries during surgery hours (09:00 to 13:00).",
        (("Niamh Kelly", "reception@harbourside-dental.example", "+353 21 555 0112"),)),
    _CustomerSpec(
        "yuki", "Yuki Tanaka", _D, Standing.QUALIFICATION_PENDING, None, "EUR", False,
        ("ceramic teapots", "tea cups", "matcha whisks"),
        "Buys tea ware as gifts; careful gift wrapping matters more to her than delivery speed.",
        (("Yuki Tanaka", "yuki.tanaka@mail.example", ""),)),
    _CustomerSpec(
        "maple_thread", "Maple & Thread Crafts", _D, Standing.PREFERRED, None, "USD", True,
        ("yarn bundles", "knitting needle sets", "project bags"),
        "Online craft store run by two people. Appreciates a spare skein from the same dye lot "
        "in the parcel.",
        (("Abby Morrison", "abby@maplethread.example", "+1 802 555 0173"),
         ("Jo Morrison", "jo@maplethread.example", ""))),
    _CustomerSpec(
        "kowloon", "Kowloon Noodle Bar", _D, Standing.PREFERRED, None, "EUR", True,
        ("noodle bowls", "takeaway containers", "chopstick packs"),
        "Busy takeaway; orders by phone at 10:00 for delivery the same week. Keeps orders simple.",
        (("Wong Kar Ho", "kar.ho.wong@kowloon-noodle.example", "+31 20 555 0136"),)),
    _CustomerSpec(
        "sunbeam", "Sunbeam Daycare", _D, Standing.PREFERRED, None, "EUR", True,
        ("packs of craft paper", "washable paint sets", "nap mats"),
        "Two daycare centres; every product must carry the toy-safety mark. Deliveries only "
        "before 08:00 or after 16:00.",
        (("Marta Nowak", "office@sunbeam-daycare.example", "+48 22 555 0160"),)),
    _CustomerSpec(
        "fjord_fitness", "Fjord Fitness Studios", _D, Standing.PASSIVE_ELIMINATION, None, "EUR",
        True, ("yoga mats", "resistance bands", "towel sets"),
        "Three studios. Compares prices every quarter; a loyalty price on reorders matters "
        "to them.",
        (("Erik Solberg", "erik@fjordfitness.example", "+47 55 55 50 22"),)),
    _CustomerSpec(
        "olivia", "Olivia Brennan", _D, Standing.QUALIFICATION_PENDING, None, "EUR", False,
        ("linen bedding sets", "cushion covers"),
        "Orders home textiles online a few times a year; prefers refunds to the original card "
        "rather than vouchers.",
        (("Olivia Brennan", "olivia.brennan@mail.example", ""),)),
    _CustomerSpec(
        "marco", "Marco Bellini", _D, Standing.PREFERRED, None, "EUR", False,
        ("espresso cups", "moka pots"),
        "Collects Italian coffee ware; likes to hear about limited editions before they sell out.",
        (("Marco Bellini", "marco.bellini@mail.example", "+39 06 555 0181"),)),
    _CustomerSpec(
        "alder_finch", "Alder & Finch Bookshop", _D, Standing.PREFERRED, None, "EUR", True,
        ("rolls of gift wrap", "paper bags", "bookmarks"),
        "Independent bookshop; the Christmas season is 40% of its year, so November deliveries "
        "are critical.",
        (("Tobias Finch", "tobias@alderfinch.example", "+44 1223 555 014"),)),
    _CustomerSpec(
        "pixel_forge", "Pixel Forge Studio", _D, Standing.ACTIVE_ELIMINATION, None, "EUR", True,
        ("monitor arms", "desk lamps", "office chairs"),
        "Game studio of 25 people. Moved most office supplies to another vendor after two late "
        "deliveries; still buys furniture from us.",
        (("Noor Haddad", "noor@pixelforge.example", "+31 30 555 0193"),)),
    _CustomerSpec(
        "wang_fang", "Wang Fang", _D, Standing.QUALIFICATION_PENDING, None, "CNY", False,
        ("silk scarves", "gift boxes"),
        "Buys gifts through the Shanghai web shop; wants delivery notifications in Chinese.",
        (("Wang Fang", "wang.fang@mail.example", "+86 21 5555 0177"),)),
    _CustomerSpec(
        "tomasz", "Tomasz Kowalski", _D, Standing.PREFERRED, None, "EUR", False,
        ("cast-iron pans", "knife sharpeners"),
        "Home cook who buys kitchen tools; reads care instructions carefully and likes a "
        "printed guide in the box.",
        (("Tomasz Kowalski", "tomasz.kowalski@mail.example", "+48 12 555 0129"),)),
    _CustomerSpec(
        "priya", "Priya Raman", _D, Standing.QUALIFICATION_PENDING, None, "EUR", False,
        ("bamboo bath towels", "bath mats"),
        "First order in the web shop this year.",
        (("Priya Raman", "priya.raman@mail.example", ""),)),
)


# More accounts, made from name lists: small businesses and consumers who complain now and
# then, and accounts that never complained (the outcome report compares the two).
_SMALL_BUSINESSES = (
    "Harbour Lane Bakery", "Copperleaf Florists", "Northgate Print Shop", "Tidewater Café",
    "Greenfield Garden Centre", "Linden Dental Practice", "Quayside Bike Repair",
    "Stonebridge Hardware", "Willow & Oak Interiors", "Riverside Pet Supplies",
    "Bramble Tea Rooms", "Saltmarsh Surf Shop", "Hilltop Veterinary Clinic", "Cobalt Coworking",
    "Larkspur Yoga Studio", "Ember Pizza Kitchen", "Orchard Lane Pharmacy", "Foxglove Stationers",
    "Seaview Guesthouse", "Juniper Hair Studio", "Marigold Nursery School", "Anchor Ship Chandlers",
    "Birchwood Dental Lab", "Crescent Moon Bistro", "Driftwood Gallery", "Evergreen Landscaping",
    "Falcon Courier Co-op", "Goldcrest Opticians", "Heron Point Marina", "Ironbark Joinery",
)
_KEY_ACCOUNTS = (
    "Altmark Logistics AG", "Verdant Office Parks", "Castell Hotels", "Nordlicht Pharmacies",
    "Pioneer Schools Trust", "Belmont Catering Group", "Rivera Retail S.L.", "Sakura Dining Group",
    "Atlas Property Services", "Oakridge Care Homes", "Helix Labs Ltd", "Granite Fitness Chain",
)
_FIRST_NAMES = ("Anna", "Ben", "Chloé", "David", "Elif", "Farid", "Greta", "Hugo", "Ines",
                "Jakub", "Kaja", "Luca", "Maya", "Nils", "Oona", "Pablo", "Rosa", "Sven",
                "Tara", "Yusuf")
_LAST_NAMES = ("Fischer", "Dubois", "García", "Jensen", "Kovač", "Larsen", "Moreno", "Novak",
               "Okoye", "Petrov", "Quinn", "Schmidt", "Takahashi", "Varga", "Walsh", "Berger")
_EXTRA_PREFERENCES = (
    "Orders online; likes a short note when a delivery is split.",
    "Prefers a call to an e-mail when something goes wrong.",
    "Asks for samples of new lines before ordering in quantity.",
    "Pays by invoice at 30 days; keeps orders small and regular.",
    "Likes to hear about seasonal offers a month ahead.",
    "",
)


def _slug(text: str) -> str:
    return "".join(c for c in text.lower().replace("&", "and") if c.isalnum() or c == " ") \
        .strip().replace(" ", "-")


def _extra_customers() -> tuple[tuple[_CustomerSpec, ...], frozenset[str]]:
    """The generated accounts, and the keys of those that never complain."""
    rng = random.Random("demo-accounts")
    specs, quiet = [], set()
    for i, name in enumerate(_SMALL_BUSINESSES):
        slug = _slug(name)
        specs.append(_CustomerSpec(
            f"sb_{slug}", name, _D, rng.choice((Standing.PREFERRED, Standing.QUALIFICATION_PENDING)),
            "manager" if i % 2 == 0 else None, "EUR", True, tuple(rng.sample(_GENERIC_ITEMS, 3)),
            rng.choice(_EXTRA_PREFERENCES),
            ((f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}", f"orders@{slug}.example",
              ""),)))
        if i % 3 == 2:
            quiet.add(f"sb_{slug}")
    for i, name in enumerate(_KEY_ACCOUNTS):
        slug = _slug(name)
        specs.append(_CustomerSpec(
            f"ka_{slug}", name, _K, rng.choice((Standing.PREFERRED, Standing.STRATEGIC)),
            rng.choice(("manager", "manager2")), "EUR", True, tuple(rng.sample(_GENERIC_ITEMS, 3)),
            rng.choice(_EXTRA_PREFERENCES),
            ((f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
              f"purchasing@{slug}.example", ""),)))
        if i % 3:
            quiet.add(f"ka_{slug}")
    for i in range(32):
        first, last = _FIRST_NAMES[i % len(_FIRST_NAMES)], _LAST_NAMES[(i * 7) % len(_LAST_NAMES)]
        key = f"pc_{i}"
        specs.append(_CustomerSpec(
            key, f"{first} {last}", _D, Standing.QUALIFICATION_PENDING, None, "EUR", False,
            tuple(rng.sample(_GENERIC_ITEMS, 2)), rng.choice(_EXTRA_PREFERENCES),
            ((f"{first} {last}", f"{_slug(first)}.{_slug(last)}{i}@mail.example", ""),)))
        if i % 3 == 2:
            quiet.add(key)
    return tuple(specs), frozenset(quiet)


@dataclass(frozen=True)
class _Texts:
    """What customers and staff write about one category of complaint."""

    openings: tuple[tuple[str, str], ...]  # (subject, description)
    acks: tuple[str, ...]  # first public reply: apologise and make whole at once
    notes: tuple[str, ...]  # internal, factual, about what is being done
    resolutions: tuple[str, ...]  # closing public reply
    # What investigation finds: (root-cause code, internal finding, the sentence that
    # explains it to the customer). Empty for causes on the customer's side.
    causes: tuple[tuple[RootCause, str, str], ...] = ()


_TEXTS: dict[str, _Texts] = {
    "missing_short_shipment": _Texts(
        openings=(
            ("Order {order}: {short} of {qty} {item} missing",
             "We unpacked order {order} this morning and counted {got} {item}, not the {qty} on "
             "the delivery note. The boxes were sealed. Please send the missing {short}."),
            ("Short delivery on {order}",
             "The delivery for {order} came in short: {got} {item} instead of {qty}. We need "
             "the rest before the end of the week."),
            ("Carton missing from delivery {order}",
             "The driver handed over one carton fewer than the delivery note lists. The missing "
             "carton should hold {short} {item}. Nobody mentioned a second delivery."),
            ("Parcel arrived with {item} missing",
             "My parcel for order {order} arrived today, but {short} of the {qty} {item} I "
             "ordered were not in it. The rest is fine."),
        ),
        acks=(
            "Thank you for letting us know, and sorry for the trouble. We are sending the "
            "missing {item} today at our cost. There is no need to send photos or count again; "
            "I will send the tracking number as soon as the parcel is booked.",
            "Sorry that your order arrived incomplete. The missing {item} are packed and leave "
            "our warehouse this afternoon by express. You do not need to return anything.",
        ),
        notes=(
            "Reship booked with the express carrier. No proof requested (small claim).",
            "Goodwill: one extra unit added to the parcel as a thank-you for reporting it.",
        ),
        resolutions=(
            "The missing {item} were delivered this morning. We added a small extra to the "
            "parcel as a thank-you for your patience. If anything is still not right, simply "
            "reply here.",
            "Tracking shows the replacement was delivered and signed for. Thank you for telling "
            "us so quickly.",
        ),
        causes=(
            (RootCause.PICKING_ERROR,
             "Warehouse check: the outgoing weight of {order} was below the expected weight, so "
             "the order was picked short.",
             "What went wrong: your order was picked short in our warehouse. Every parcel is "
             "now weighed against the order before it leaves."),
            (RootCause.STOCK_SHORTAGE,
             "Warehouse check: the {item} ran out while {order} was being packed, and the order "
             "left incomplete without a note to the customer.",
             "What went wrong: we ran out of stock while packing and sent your order "
             "incomplete without telling you. Incomplete orders now wait for your go-ahead."),
            (RootCause.COORDINATION_GAP,
             "The missing carton stayed at the depot: the driver loaded from an outdated "
             "loading list.",
             "What went wrong: one carton stayed at our depot because the driver's loading "
             "list was out of date. Loading lists are now printed at departure."),
        ),
    ),
    "damaged_defective": _Texts(
        openings=(
            ("Damaged {item} in order {order}",
             "{short} of the {qty} {item} arrived damaged. The outer carton was crushed on one "
             "corner and the contents cannot be used."),
            ("{item_cap} faulty after a few days",
             "Some of the {item} from order {order} stopped working after a few days of normal "
             "use. We have set them aside."),
            ("Leaking goods in delivery {order}",
             "When we opened delivery {order}, {short} of the {item} were leaking and had "
             "soaked the rest of the carton."),
        ),
        acks=(
            "I'm sorry the goods arrived like this. Replacements for the damaged {item} go out "
            "today. Please do not send the broken ones back; just dispose of them.",
            "Thank you for telling us straight away, and sorry for the trouble. We are "
            "replacing the faulty {item} now and have asked quality control to check the rest "
            "of the batch.",
        ),
        notes=(
            "Replacement picked and checked before packing; the customer was asked to dispose "
            "of the damaged goods.",
            "Asked the driver to check the replacement with the customer on arrival.",
        ),
        resolutions=(
            "The replacement {item} have been delivered, and we credited the handling time to "
            "your account. Sorry again for the trouble.",
            "Replacements delivered and checked by our driver on arrival. Thank you for your "
            "patience.",
        ),
        causes=(
            (RootCause.PACKING_DAMAGE,
             "The pallet was wrapped without corner boards; the crushed corner matches.",
             "What went wrong: the pallet was wrapped without corner protection and the goods "
             "were crushed on the way. Corner boards are now checked before dispatch."),
            (RootCause.CARRIER_DAMAGE,
             "The carrier's scan shows an exception at the hub. Damage claim filed with the "
             "carrier; the customer is not involved in that.",
             "What went wrong: the carton was damaged in our carrier's hub. We have filed the "
             "claim with the carrier ourselves; there is nothing you need to do."),
            (RootCause.PRODUCT_DEFECT,
             "Quality check: the same batch was reported by one other customer this month. "
             "Batch put on hold in the warehouse.",
             "What went wrong: a fault in one production batch. We have stopped shipping that "
             "batch, and our quality team is going through it with the factory."),
        ),
    ),
    "wrong_item": _Texts(
        openings=(
            ("Wrong {item} delivered for {order}",
             "We received the wrong goods for order {order}: the labels say {item}, but the "
             "style and size do not match what we ordered."),
            ("Received another customer's order",
             "The parcel addressed to us contains goods we never ordered, with someone else's "
             "delivery note inside. Our own {item} are missing."),
            ("Wrong colour of {item}",
             "Order {order} arrived with {item} in the wrong colour. We need the colour on our "
             "order confirmation."),
        ),
        acks=(
            "Sorry for the mix-up. The correct {item} leave our warehouse today. A courier will "
            "collect the wrong goods whenever it suits you; there is no need to repack them.",
            "Thank you for letting us know, and sorry for the extra work. The right {item} are "
            "on their way by express, and you can keep the wrong ones until our courier "
            "collects them.",
        ),
        notes=(
            "Collection of the wrong goods booked for the same visit as the replacement.",
            "Replacement picked by a second colleague and checked against the order "
            "confirmation.",
        ),
        resolutions=(
            "The correct {item} were delivered and our courier collected the wrong ones at the "
            "same time. Sorry for the extra work this caused you.",
            "Delivery of the right {item} is confirmed. We added a credit for the inconvenience "
            "to your next invoice.",
        ),
        causes=(
            (RootCause.PICKING_ERROR,
             "Picking error: two neighbouring bin locations hold similar items. The warehouse "
             "is relabelling the bins.",
             "What went wrong: two similar items sit in neighbouring bins in our warehouse and "
             "the wrong one was picked. The bins have been relabelled."),
            (RootCause.SYSTEM_ERROR,
             "Order entry: after the catalogue update the old variant code pointed to another "
             "colour.",
             "What went wrong: a catalogue update sent an outdated item code to our warehouse. "
             "The codes have been corrected."),
        ),
    ),
    "late_delivery": _Texts(
        openings=(
            ("Order {order} is {days} days late",
             "Order {order} was confirmed for delivery {days} days ago and has still not "
             "arrived. We planned our week around it."),
            ("Delivery missed the agreed time slot",
             "We agreed a delivery window for order {order} and kept staff waiting for it, but "
             "nobody came and nobody called."),
            ("No tracking update for {days} days",
             "The tracking for order {order} has not changed for {days} days. Please tell us "
             "where our {item} are."),
        ),
        acks=(
            "I'm sorry for the delay. We are not waiting for the late parcel: an express "
            "delivery from stock reaches you tomorrow morning at our cost, and I will confirm "
            "once it is on the van.",
            "Sorry that we let you down on timing. A new shipment of the {item} goes out today "
            "by express, so you do not have to wait for the delayed one.",
        ),
        notes=(
            "Express reship booked from stock; the delayed parcel will be refused and returned "
            "to us.",
            "The customer's planning depends on this delivery. Asked logistics to call them "
            "with the exact delivery time.",
        ),
        resolutions=(
            "The {item} were delivered this morning, and we have refunded the shipping cost "
            "for this order. Thank you for your patience.",
            "Delivery confirmed, and the shipping cost is refunded. Thank you for bearing with "
            "us.",
        ),
        causes=(
            (RootCause.CARRIER_DELAY,
             "Carrier confirmed a sorting backlog at the regional hub.",
             "What went wrong: the parcel was caught in a backlog at our carrier's regional "
             "hub. We now switch carriers as soon as a hub reports a backlog."),
            (RootCause.STOCK_SHORTAGE,
             "Stock: {order} was confirmed against stock already promised to another order.",
             "What went wrong: we confirmed your order against stock that was already promised "
             "elsewhere. Order confirmations now reserve the stock."),
            (RootCause.COORDINATION_GAP,
             "The delivery slot was agreed by phone but never entered for the driver.",
             "What went wrong: the delivery slot we agreed with you was not passed on to the "
             "driver. Agreed slots now go straight into the driver's route."),
        ),
    ),
    "billing_payment": _Texts(
        openings=(
            ("Invoice {inv} charged twice",
             "Our bank statement shows two debits of {amount} for invoice {inv}. Please refund "
             "the second one."),
            ("Wrong price on invoice {inv}",
             "Invoice {inv} uses the list price for the {item}, not the price in our "
             "agreement. The difference is {amount}."),
            ("Refund for order {order} not received",
             "We returned the {item} from order {order} weeks ago and were told the refund of "
             "{amount} was on its way, but nothing has arrived."),
            ("Paid invoice marked as overdue",
             "We paid invoice {inv} on time by bank transfer, but we have received a payment "
             "reminder with a late fee."),
        ),
        acks=(
            "You are right, and I'm sorry. The {amount} will be refunded today and you will see "
            "it on your statement within three working days. There is nothing more you need "
            "to send us.",
            "Thank you for pointing this out, and sorry for the trouble. I have corrected the "
            "invoice and cancelled the reminder fee; the corrected copy is in your account.",
        ),
        notes=(
            "Corrected invoice issued and the reminder withdrawn.",
            "Refund released; the customer will see it within three working days.",
        ),
        resolutions=(
            "The refund of {amount} has been sent. Sorry for the trouble; we have also fixed "
            "the cause so it does not happen again.",
            "The corrected invoice is in your account and the reminder has been withdrawn. "
            "Thank you for your patience.",
        ),
        causes=(
            (RootCause.BILLING_ERROR,
             "Finance: the contract price was not copied to the new price list on 1 January. "
             "Correcting all open invoices of this customer.",
             "What went wrong: your contract price was not carried over to our new price list. "
             "All your open invoices have been corrected."),
            (RootCause.SYSTEM_ERROR,
             "Duplicate debit caused by a retry in the payment gateway after a timeout. "
             "Finance is checking for other affected customers.",
             "What went wrong: our payment system retried a payment after a timeout and "
             "charged it twice. The retry has been fixed."),
            (RootCause.COMMERCIAL_TERMS,
             "The late fee came from payment terms that no longer apply to this account.",
             "What went wrong: a late fee from payment terms that no longer apply to you was "
             "added. Your account now carries the current terms."),
        ),
    ),
    "service_attitude": _Texts(
        openings=(
            ("Unfriendly answer on the phone",
             "When I called about order {order}, the person on the phone interrupted me twice "
             "and told me it was my own problem. I expected to be helped."),
            ("Nobody called back as promised",
             "I was promised a call back within a day about my order. That was {days} days ago "
             "and nobody has called."),
            ("Delivery driver was impolite",
             "Your driver refused to carry the {item} past the door and was short with our "
             "staff when they asked for help."),
            ("Long wait at the collection counter",
             "I waited over half an hour at your collection counter while the staff talked "
             "among themselves."),
        ),
        acks=(
            "Thank you for telling us, and I'm sorry. That is not how we want anyone to be "
            "treated. I have spoken with the colleague and their lead, and I will look after "
            "your order myself from now on.",
            "I'm sorry for how this went; you should not have had to chase us. I have taken "
            "over your request myself and will call you today.",
        ),
        notes=(
            "Took the order over personally; the customer has my direct number.",
            "Spoke with the colleague and their lead; the customer's request is done.",
        ),
        resolutions=(
            "Thank you again for the feedback. Your order has been handled and we have added "
            "a small thank-you to your next delivery.",
            "Your order is sorted, and the team has gone through what happened. Reply here if "
            "anything else comes up.",
        ),
        causes=(
            (RootCause.STAFF_CONDUCT,
             "Listened to the call recording: the customer was interrupted and not offered a "
             "solution. Feedback given in the team meeting; coaching session booked.",
             "What went wrong: you were not listened to as you should have been. We have gone "
             "through the conversation with the team."),
            (RootCause.COORDINATION_GAP,
             "The promised call-back was never entered in the queue, so nobody picked it up.",
             "What went wrong: the call-back promised to you never reached our queue. "
             "Call-backs are now tracked as tasks."),
        ),
    ),
    "solution_failure": _Texts(
        openings=(
            ("Rollout phase {phase} behind schedule",
             "Phase {phase} of the rollout was due last week. {short} of the sites are still "
             "not live and our operations team is waiting."),
            ("Installed system does not meet the agreed specification",
             "The system you installed does not reach the throughput agreed in the "
             "specification. Our staff are working around it by hand."),
            ("Interface keeps failing after go-live",
             "Since go-live the interface to our warehouse system fails several times a day "
             "and orders have to be entered twice."),
        ),
        acks=(
            "We own this, and we are sorry for the disruption. Our project lead will be on "
            "site tomorrow morning, and until it is fixed you will get a short written status "
            "from us at 17:00 every day.",
            "Thank you for raising this directly, and sorry for the disruption to your "
            "operation. Two engineers are on it full time and you will have a recovery plan "
            "with dates by tomorrow noon.",
        ),
        notes=(
            "Cause sorting: the fault in what we delivered is ours and we act on it now. Any "
            "pressure from their own internal deadlines is theirs: advise, do not take it over.",
            "Account manager informed; every update on this goes to the lead and the account "
            "manager as well.",
        ),
        resolutions=(
            "All sites have been live and stable for five working days. The root-cause report "
            "and the credit for the delay are attached. Thank you for staying with us.",
            "The fix has run in production for a week without failures. We will review the "
            "project with you at the next monthly meeting.",
        ),
        causes=(
            (RootCause.SOLUTION_DESIGN,
             "Cause: the interface was designed for half their peak order volume. Revised "
             "design in test.",
             "What went wrong: our interface was not designed for your peak order volume. The "
             "revised design is in test at three times that volume."),
            (RootCause.PRODUCT_DEFECT,
             "Cause: a firmware fault on the installed units; a fixed build is in test.",
             "What went wrong: a firmware fault in the units we installed. The fixed firmware "
             "is being rolled out site by site."),
            (RootCause.COORDINATION_GAP,
             "Cause: the site survey results never reached the installation team.",
             "What went wrong: the results of the site survey did not reach our installation "
             "team. Survey results now go to the installers before any planning."),
        ),
    ),
    "other": _Texts(
        openings=(
            ("Question about the warranty on {item}",
             "How long does the warranty on the {item} run, and what does it cover? The leaflet "
             "in the box is not clear."),
            ("Too much plastic in the packaging",
             "Our last delivery of {item} came with a lot of plastic filler. Can you ship with "
             "paper filling instead?"),
            ("Delivery documents missing",
             "The delivery for order {order} came without a delivery note, so our accounts team "
             "cannot book it."),
            ("Online shop forgets the delivery address",
             "The new checkout forgets our delivery address and we have to enter it again for "
             "every order."),
        ),
        acks=(
            "Thank you for asking, and sorry that it was not clear. I will get you a full "
            "answer today.",
            "Thanks for the feedback, and sorry for the trouble. I have passed it to the team "
            "responsible and will come back to you with what changes.",
        ),
        notes=(
            "Passed to the team responsible with the customer's details.",
            "Logistics confirmed that paper filling can be the default for this account.",
        ),
        resolutions=(
            "Here is the answer: the warranty runs two years and covers material and "
            "manufacturing faults. The documents you asked for are attached.",
            "The change is in place from your next order. Thank you for helping us improve.",
        ),
        causes=(
            (RootCause.SYSTEM_ERROR,
             "Reproduced: a recent web shop release caused it. Passed to the e-commerce team "
             "with the steps to reproduce.",
             "What went wrong: a recent update to our web shop caused this. The fix is live."),
            (RootCause.COORDINATION_GAP,
             "The request fell between two teams; nobody owned it.",
             "What went wrong: your request fell between two of our teams. It now has one "
             "owner."),
            (RootCause.OTHER,
             "No single fault found; the information was hard to find. Documented for the team.",
             "Nothing broke on our side, but the information you needed was hard to find. It "
             "is now in the product information."),
        ),
    ),
}

# Complaints whose cause lies inside the customer's own organisation (seed 002): the
# advisory playbook. (category slug, subject, description).
_THEIRS_OPENINGS: tuple[tuple[str, str, str], ...] = (
    ("late_delivery", "We now need order {order} two weeks earlier",
     "Our management has moved the opening of our new site forward by two weeks. I need all "
     "of order {order} before then, and I have to report back to them today with a plan."),
    ("solution_failure", "Our team cannot keep up with the rollout",
     "Our leadership has shortened the schedule for phase {phase}, and my team cannot test "
     "the {item} as fast as they arrive. Every delay now lands on my desk."),
    ("billing_payment", "Budget frozen: second instalment cannot be paid on time",
     "Our finance department froze all budgets this quarter, so the second instalment for "
     "order {order} cannot be paid on the agreed date. I am under a lot of pressure to sort "
     "this out."),
    ("other", "New purchasing rules: every document again by Friday",
     "Our new purchasing director wants every supplier document resubmitted in a new format "
     "by Friday, including the certificates for the {item}. We are three people for 200 "
     "suppliers."),
)
_THEIRS = _Texts(
    openings=(),
    acks=(
        "Thank you for explaining what you are up against; that is a lot to handle in a short "
        "time. From our side we can hold the {item} for you and split the delivery so the most "
        "urgent part comes first. Shall we speak on Thursday at 10:00 to fix the plan?",
        "That sounds like a hard week. Here is what we can do within our part: a one-page plan "
        "with dates you can show your management, and an hour with our specialist for your "
        "team. When would suit you for a call?",
    ),
    notes=(
        "Cause sorting: the pressure comes from inside their organisation (a decision by their "
        "management). We advise and help within our remit; we do not take over their planning.",
        "Offered: stock held for them, a split delivery and a one-page plan for their "
        "management. Next call agreed.",
    ),
    resolutions=(
        "As agreed on our call: the first part is reserved for you and the rest follows on the "
        "dates in the plan. Call me whenever the dates on your side move again.",
        "Here is the plan we discussed, on one page for your management. We will speak again "
        "at the start of next month; until then, reply here any time.",
    ),
)

# Checking in with a customer under pressure from their own side (instead of asking them to
# confirm a remedy).
_THEIRS_CHECKS = (
    "Did the plan work for your management? If anything on your side has moved again, tell "
    "me and we will look at it together.",
    "Checking in as agreed: is the split delivery still right for your new dates?",
)

# Where a root cause puts the ticket's cause side.
_CAUSE_SIDE: dict[RootCause, CauseSide] = {
    RootCause.PRODUCT_DEFECT: CauseSide.OURS_PRODUCT,
    RootCause.SOLUTION_DESIGN: CauseSide.OURS_PRODUCT,
    RootCause.SYSTEM_ERROR: CauseSide.OURS_PRODUCT,
    RootCause.BILLING_ERROR: CauseSide.OURS_COMMERCIAL,
    RootCause.COMMERCIAL_TERMS: CauseSide.OURS_COMMERCIAL,
    RootCause.CUSTOMER_INTERNAL: CauseSide.THEIRS_INTERNAL,
}


def _cause_side(code: RootCause) -> CauseSide:
    return _CAUSE_SIDE.get(code, CauseSide.OURS_COORDINATION)


# Crisis openings: (category slug, subject, description).
_CRISIS_OPENINGS: tuple[tuple[str, str, str], ...] = (
    ("late_delivery", "Urgent: {short} stores without stock for the promotion",
     "The {item} for our promotion did not arrive. {short} stores have empty shelves from "
     "tomorrow morning and the promotion is advertised nationally."),
    ("damaged_defective", "Safety concern with {item}",
     "Two of our staff reported that the {item} get very hot in use. We have stopped using "
     "them and need an answer today."),
    ("wrong_item", "Production stopped: wrong goods delivered",
     "Our line has stopped because the {item} delivered today do not match the specification. "
     "Every hour costs us."),
    ("solution_failure", "Escalation from our management board",
     "Our management has asked me to escalate: the problems with order {order} have now cost "
     "us a customer of our own. We need a recovery plan this week."),
    ("missing_short_shipment", "Half of order {order} missing before our opening",
     "Only {got} of {qty} {item} arrived, and our new site opens on Monday. Without the rest "
     "we cannot open."),
)

_QUESTIONS = (
    "We can send the replacement today. Should it go to the delivery address on the order, or "
    "somewhere else?",
    "So we get this right: would you prefer a replacement or a refund? Either is fine with us.",
    "Could you tell us a time tomorrow that suits you for a short call? We would like to agree "
    "the next steps with you.",
)
_ANSWERS = (
    "Same address, please. Receiving is open until 17:00.",
    "A replacement, please.",
    "Tomorrow at 10:00 works for us.",
    "Please send it to our second site; the address is on our account.",
)
_CHASERS = (
    "Is there any news on this? We need it sorted this week.",
    "Just checking where this stands.",
    "We still have not heard anything. Please let us know what is happening.",
)
_CONFIRM_QUESTIONS = (
    "The replacement was delivered this morning. Could you confirm that everything is in "
    "order now?",
    "Everything should be sorted now. Could you check and let us know?",
)
_THANKS = (
    "Received, thank you for sorting this so quickly.",
    "All fine now. Thanks for your help.",
    "Thank you, that was handled well.",
)
_REOPENS = (
    "Sorry, this is not solved yet: the replacement has the same problem.",
    "The delivery you confirmed has not actually reached us.",
)
_REOPEN_FIXES = (
    "Sorry that it was not right the first time. A second delivery goes out by express today, "
    "checked by a colleague before it leaves.",
    "You are right, and I'm sorry. I have booked a courier for today and will call you when "
    "it is delivered.",
)
_MANAGER_NOTES = (
    "Account manager: {customer} is one of my {tier} accounts. I will call their buyer once "
    "this is fixed to check that the recovery landed.",
    "Account manager: please copy me on the final reply; this account is reviewing its "
    "suppliers this quarter.",
)
_LEAD_CRISIS_NOTES = (
    "Crisis on a {tier} account: I am following every update. First response within the hour, "
    "then a status to the customer twice a day until it is fixed.",
    "Lead: make-whole plus goodwill above the agent limit approved. Do not ask the customer "
    "for further proof.",
)
_RAISE_NOTES = (
    "Raising the severity: the customer's own customers are affected.",
    "Raising the severity: the customer reports a loss larger than the order value.",
)

# Customers who appear only in their hand-written story.
_STORY_ONLY = frozenset({"zhang", "priya"})

_TEAM_FOR_CATEGORY = {
    "missing_short_shipment": "logistics",
    "damaged_defective": "logistics",
    "wrong_item": "logistics",
    "late_delivery": "logistics",
    "billing_payment": "billing",
    "service_attitude": "front",
    "solution_failure": "key",
    "other": "front",
}
_CATEGORY_WEIGHTS = {
    "missing_short_shipment": 18, "damaged_defective": 16, "wrong_item": 10,
    "late_delivery": 20, "billing_payment": 14, "service_attitude": 9,
    "solution_failure": 5, "other": 8,
}
_BUSINESS_CHANNELS = ((Channel.EMAIL, 40), (Channel.PHONE, 30), (Channel.WEB, 14),
                      (Channel.CHAT, 5), (Channel.WALK_IN, 3), (Channel.API, 5),
                      (Channel.SOCIAL, 3))
_CONSUMER_CHANNELS = ((Channel.WEB, 45), (Channel.EMAIL, 18), (Channel.PHONE, 14),
                      (Channel.CHAT, 12), (Channel.SOCIAL, 7), (Channel.WALK_IN, 4))
_SEVERITY_ORDER = (Severity.P4, Severity.P3, Severity.P2, Severity.P1)
_GENERIC_ITEMS = ("cartons of goods", "replacement parts", "boxes of supplies", "gift sets",
                  "kitchen tools", "packaging materials", "office chairs", "textile sets")
_EXTRA_CUSTOMERS, _QUIET = _extra_customers()


# ============================================================================ timeline

@dataclass
class _Step:
    """One thing that happens on a ticket, ``hours`` after it was created."""

    hours: float
    op: str  # assign | reply | note | customer | status | field | tick | switch
    actor: User | None = None
    body: str = ""
    team: Team | None = None
    assignee: User | None = None
    status: TicketStatus | None = None
    field: str | None = None
    value: object = None
    # Replies: does this one apologise (None: when it says sorry), and which root cause does
    # it explain to the customer?
    apology: bool | None = None
    explain: RootCause | None = None


# What a "tick" step ticks besides a purpose from playbook_defaults.
_FIRST = "first"  # the first open task: acknowledging or listening to the customer
_REST = "rest"  # every required task still open (just before resolving)


@dataclass
class _Draft:
    """A ticket before it gets its reference: sorted by creation time first."""

    created_at: datetime
    customer: Customer
    contact: Contact | None
    channel: Channel
    creator: User | None
    category: str
    kind: TicketKind
    severity: Severity
    subject: str
    description: str
    currency: str
    order_reference: str = ""
    order_value: Decimal | None = None
    claimed_loss: Decimal | None = None
    # Known at intake only when it is plain (the customer's own pressures); otherwise
    # found by investigation and set by a "field" step.
    cause_side: CauseSide = CauseSide.UNKNOWN
    steps: list[_Step] = field(default_factory=list)


class _Timeline:
    """Applies steps to a new ticket the way the ticket service would, with given times.

    Replies go through the playbook service's reply rules (apology, explanation, status
    updates), ticks through its ``_mark_done``, and status changes through the ticket
    service's ``_set_status``, so a ticket cannot be resolved with a required step open.
    """

    def __init__(self, ticket: Ticket, created_at: datetime, *, lead: User, admin: User,
                 candidates: list[Playbook]):
        self.ticket = ticket
        self.team: Team | None = None
        self.assignee: User | None = None
        self.lead = lead
        self.admin = admin
        self.manager: User | None = ticket.customer.account_manager
        self.candidates = candidates
        self.last_change = created_at
        # Remedies granted only after the customer escalated or threatened (the bags case).
        self.conceding = False

    def event(self, kind: EventKind, at: datetime, actor: User | None, *, body: str = "",
              field: str | None = None, old: str | None = None, new: str | None = None,
              by_customer: bool = False) -> TicketEvent:
        event = TicketEvent(
            ticket=self.ticket, kind=kind, actor_id=actor.id if actor else None,
            by_customer=by_customer, body=body, field=field, old_value=old, new_value=new,
            created_at=at)
        db.session.add(event)
        return event

    def touch(self, at: datetime) -> None:
        self.ticket.last_activity_at = at
        self.last_change = at

    def set_status(self, target: TicketStatus, at: datetime, actor: User | None, *,
                   by_customer: bool = False) -> None:
        """Move the ticket by the desk's own status rules (timestamps, reopen count, event)."""
        ticket = self.ticket
        if target is ticket.status:
            return
        resolving = target is TicketStatus.RESOLVED or (
            target is TicketStatus.CLOSED and ticket.status is not TicketStatus.RESOLVED)
        # A repeat failure needs goodwill on record before it may be resolved.
        if (resolving and ledger.totals(ticket).goodwill <= 0
                and not ledger.rules_for(ticket).advisory and ledger.goodwill_required(ticket)):
            self.tick(GOODWILL, at, actor)  # puts the goodwill on the ledger ...
            if ledger.totals(ticket).goodwill <= 0:  # ... unless it was ticked before
                self.remedy(RemedyKind.GOODWILL, at, actor)
        workflow.move(ticket, target, actor=actor, now=at,
                                   by_customer=by_customer)
        self.last_change = at

    def attach_playbook(self, at: datetime, actor: User | None) -> None:
        version = playbooks.choose_version(self.ticket, self.candidates)
        playbooks._attach(self.ticket, version, actor=actor, now=at)

    def switch_playbook(self, at: datetime, actor: User) -> None:
        """Take the playbook that fits better now (after the kind was raised, say).

        Does what ``playbooks.switch_playbook`` does inside its transaction: ticked steps
        stay, open ones are replaced by the new playbook's.
        """
        ticket = self.ticket
        best = playbooks.choose_version(ticket, self.candidates)
        current = ticket.playbook_version
        if best is None or (current is not None and best.playbook_id == current.playbook_id):
            return
        playbooks._switch(ticket, best, actor=actor, now=at)

    def _open_tasks(self, purpose: str) -> list[TicketStep]:
        tasks = [s for s in self.ticket.steps if s.kind is StepKind.TASK and not s.is_done]
        if purpose == _REST:
            return [s for s in tasks if s.required]
        if purpose == _FIRST:
            return tasks[:1]
        return [s for s in tasks if playbook_defaults.purpose_of(s.title) == purpose][:1]

    def _ticker(self, step: TicketStep, actor: User | None) -> User:
        """Who ticks a step: someone the checklist lets tick it."""
        if step.role is Role.LEAD:
            return self.lead
        if step.role is Role.ACCOUNT_MANAGER:
            return self.manager or self.lead
        if actor is not None and actor.role in (Role.AGENT, Role.LEAD):
            return actor
        return self.assignee or self.lead

    def tick(self, purpose: str, at: datetime, actor: User | None, *, note: str = "") -> None:
        """Tick the open task(s) for ``purpose``; the make-whole and goodwill steps put
        their remedy on the ledger, and confirming delivers what was approved."""
        for step in self._open_tasks(purpose):
            who = self._ticker(step, actor)
            playbooks._mark_done(self.ticket, step, actor=who, now=at, note=note[:500])
            step_purpose = playbook_defaults.purpose_of(step.title)
            if step_purpose == MAKE_WHOLE:
                self.remedy(RemedyKind.MAKE_WHOLE, at, who, description=note)
            elif step_purpose == GOODWILL:
                self.remedy(RemedyKind.GOODWILL, at, who, description=note)
            elif step_purpose == CONFIRM:
                self.deliver(at, who)

    def remedy(self, kind: RemedyKind, at: datetime, actor: User | None, *,
               description: str = "") -> None:
        """Put a remedy on the ledger the way ``ledger.propose_remedy`` would, approved by
        whoever has the authority for it."""
        ticket = self.ticket
        rules = ledger.rules_for(ticket)
        if rules.advisory:
            return
        actor = actor if actor is not None and actor.works_tickets else self.assignee or self.lead
        suggestion = ledger.suggest(ticket)
        slug = ticket.category.slug
        if kind is RemedyKind.MAKE_WHOLE:
            form, cost = rules.make_whole_form, suggestion.make_whole_cost
            reason = _REMEDY_REASONS.get(slug, RemedyReason.OTHER)
            text = description or _MAKE_WHOLE_TEXTS[form]
            no_proof = ledger.fast_path(ticket, rules).eligible
        else:
            form = _GOODWILL_FORMS.get(slug, RemedyForm.FREE_ITEM)
            cost = suggestion.goodwill_cost
            if cost <= 0:  # an extra unit, or no value known: a small item at our cost
                base = ledger.affected_value(ticket) / 10
                cost = ledger.round_money(min(max(base, Decimal("5")), Decimal("25")),
                                          ticket.currency)
            reason = (RemedyReason.REPEAT_FAILURE if suggestion.goodwill_required
                      else RemedyReason.GOODWILL_GESTURE)
            text = description or _GOODWILL_TEXTS[form]
            no_proof = False
        remedy = ledger._add_remedy(ticket, ledger.RemedyDraft(
            kind=kind, form=form, description=text[:500], cost=cost, reason=reason,
            affected_value=ledger.affected_value(ticket),
            valued_at_cost=kind is RemedyKind.GOODWILL and form is RemedyForm.FREE_ITEM,
            conceded=self.conceding, no_proof=no_proof), actor=actor, now=at, rules=rules)
        if remedy.state is RemedyState.PROPOSED:
            # Approved at once by someone with the authority for it.
            approver = self.admin if remedy.approval_role is Role.ADMIN else self.lead
            ledger._approve(remedy, actor=approver, now=at)
        self.touch(at)

    def deliver(self, at: datetime, actor: User | None) -> None:
        """Everything approved has reached the customer (they just confirmed it)."""
        ticket = self.ticket
        actor = actor if actor is not None and actor.works_tickets else self.assignee or self.lead
        for remedy in ticket.remedies:
            if remedy.state is RemedyState.APPROVED:
                ledger._deliver(remedy, actor=actor, now=at)
                self.touch(at)

    def apply(self, step: _Step, at: datetime) -> None:
        ticket = self.ticket
        if step.op == "assign":
            if step.team is not self.team:
                self.event(EventKind.ASSIGNMENT, at, step.actor, field="team",
                           old=self.team.name if self.team else None,
                           new=step.team.name if step.team else None)
                self.team = step.team
                ticket.team_id = step.team.id if step.team else None
            if step.assignee is not self.assignee:
                self.event(EventKind.ASSIGNMENT, at, step.actor, field="assignee",
                           old=self.assignee.name if self.assignee else None,
                           new=step.assignee.name if step.assignee else None)
                self.assignee = step.assignee
                ticket.assignee_id = step.assignee.id if step.assignee else None
            self.touch(at)
        elif step.op == "reply":
            event = self.event(EventKind.PUBLIC_REPLY, at, step.actor, body=step.body)
            apology = step.apology if step.apology is not None else _apologises(step.body)
            playbooks._record_reply(ticket, event, actor=step.actor, now=at, apology=apology,
                                    explanation=step.explain)
            if ticket.first_response_at is None:
                ticket.first_response_at = at
            target = step.status or (
                TicketStatus.OPEN if ticket.status is TicketStatus.NEW else None)
            if target is not None:
                self.set_status(target, at, step.actor)
            self.touch(at)
        elif step.op == "note":
            self.event(EventKind.INTERNAL_NOTE, at, step.actor, body=step.body)
        elif step.op == "customer":
            # actor None: written on the private link; else logged by staff from a call.
            self.event(EventKind.CUSTOMER_MESSAGE, at, step.actor, body=step.body,
                       by_customer=True)
            if ticket.status in (TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED,
                                 TicketStatus.CLOSED):
                self.set_status(TicketStatus.OPEN, at, step.actor,
                                by_customer=step.actor is None)
            self.touch(at)
        elif step.op == "status":
            self.set_status(step.status, at, step.actor)
        elif step.op == "field":
            old = getattr(ticket, step.field)
            setattr(ticket, step.field, step.value)
            self.event(EventKind.FIELD_CHANGE, at, step.actor, field=step.field,
                       old=_display(old), new=_display(step.value))
            self.touch(at)
        elif step.op == "tick":
            self.tick(step.value, at, step.actor, note=step.body)
        elif step.op == "switch":
            self.switch_playbook(at, step.actor)
        elif step.op == "conceding":
            self.conceding = True
        else:  # pragma: no cover - programming error
            raise ValueError(step.op)


def _apologises(body: str) -> bool:
    return "sorry" in body.lower()


_REMEDY_REASONS = {
    "missing_short_shipment": RemedyReason.MISSING_ITEMS,
    "damaged_defective": RemedyReason.DAMAGED_ITEMS,
    "wrong_item": RemedyReason.WRONG_ITEMS,
    "late_delivery": RemedyReason.LATE_DELIVERY,
    "billing_payment": RemedyReason.BILLING_ERROR,
    "service_attitude": RemedyReason.SERVICE_FAILURE,
    "solution_failure": RemedyReason.PROJECT_FAILURE,
}
_MAKE_WHOLE_TEXTS = {
    RemedyForm.RESHIP: "Replacement goods sent by express, at our cost",
    RemedyForm.REFUND: "Refund of the amount charged in error",
    RemedyForm.REPAIR: "Engineers on site until it is fixed, with a workaround meanwhile",
    RemedyForm.CREDIT: "Credit note for the loss",
    RemedyForm.COUPON: "Coupon for the loss",
    RemedyForm.FREE_ITEM: "Free replacement item",
    RemedyForm.SERVICE_VISIT: "Service visit to put it right",
    RemedyForm.OTHER: "Put right what the customer contacted us about",
}
# Goodwill in the form that fits what the customer buys.
_GOODWILL_FORMS = {
    "late_delivery": RemedyForm.CREDIT,
    "billing_payment": RemedyForm.CREDIT,
    "solution_failure": RemedyForm.SERVICE_VISIT,
}
_GOODWILL_TEXTS = {
    RemedyForm.FREE_ITEM: "Extra goods from the range they buy, in the same delivery",
    RemedyForm.CREDIT: "Goodwill credit on the next invoice",
    RemedyForm.SERVICE_VISIT: "Free on-site review with our specialist",
}


def _display(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return getattr(value, "value", str(value))


# ============================================================================ helpers

def _money(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(rng.randint(int(low * 100), int(high * 100))).scaleb(-2)


def _token(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(24)).decode("ascii")


def _weighted(rng: random.Random, pairs):
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights=weights)[0]


def _amount(value: Decimal | None, currency: str) -> str:
    return f"{value or 0:,.2f} {currency}"


def _fill(text: str, values: dict) -> str:
    return text.format(**values)


def _at(created_at: datetime, hours: float) -> datetime:
    return created_at + timedelta(hours=hours)


def _staff_hour(rng: random.Random, t: datetime, now: datetime) -> datetime:
    """Phone calls and walk-ins happen in opening hours.

    Draws from ``rng`` every time, so the rest of the data set does not depend on
    the time of day the demo is loaded.
    """
    hour, minute = rng.randint(8, 17), rng.randint(0, 59)
    if 7 <= t.hour < 19:
        return t
    t = t.replace(hour=hour, minute=minute)
    return t - timedelta(days=1) if t > now - timedelta(minutes=30) else t


# ============================================================================ the demo set

def load_demo(*, now: datetime, seed: int = 42) -> str:
    """Load the demo data set into an empty database and return a short summary."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware.")
    rng = random.Random(seed)
    with unit_of_work():
        if db.session.scalar(sa.select(sa.func.count(User.id))) or db.session.scalar(
                sa.select(sa.func.count(Customer.id))) or db.session.scalar(
                sa.select(sa.func.count(Ticket.id))):
            raise RuntimeError("The demo data set can only be loaded into an empty database.")
        categories._ensure_defaults()
        # The shipped playbooks, unless they are there already (``flask seed-playbooks``).
        added = playbook_defaults._seed(now - timedelta(days=400))
        db.session.flush()
        cats = {c.slug: c for c in db.session.scalars(sa.select(Category))}
        candidates = playbooks._candidates()
        teams = _demo_teams(now)
        staff = _demo_staff(teams, now)
        customers = _demo_customers(rng, staff, now)
        db.session.flush()  # ids for the tickets and events below
        drafts = _story_drafts(now, staff, teams, customers)
        drafts += _generic_drafts(rng, now, DEMO_TICKETS - len(drafts), staff, teams, customers)
        drafts += _generic_drafts(rng, now, HISTORY_TICKETS, staff, teams, customers,
                                  history=True)
        drafts.sort(key=lambda d: d.created_at)
        tickets = []
        unflushed: set[int] = set()
        for number, draft in enumerate(drafts, start=1):
            # The ledger's history checks (repeat failures, the no-proof window) look at the
            # customer's earlier tickets in the database: flush those first. Flushing only
            # then, not before every query, keeps the load fast.
            if draft.customer.id in unflushed:
                db.session.flush()
                unflushed.clear()
            unflushed.add(draft.customer.id)
            with db.session.no_autoflush:
                tickets.append(_build_ticket(rng, draft, number, cats, now, lead=staff["lead"],
                                             admin=staff["admin"], candidates=candidates))
        counters.advance_ticket_counter(len(drafts))
        db.session.flush()
        sla._seed_defaults(now=now - timedelta(days=400))
        for ticket in tickets:
            touched = ticket.updated_at       # the history's own last change stays
            sla._backfill(ticket, now=now)
            ticket.updated_at = touched
            flag_modified(ticket, "updated_at")  # written as is, not stamped with "now"
        extras = _demo_routing(now, staff, tickets)
        recovery = demo_recovery.load(rng, now=now, customers=customers, tickets=tickets,
                                      staff=staff)
        summary = _summary(teams, staff, customers, tickets, len(cats),
                           playbooks=(len(candidates), added))
    reminders = notifications.run_due(now=now)
    swept = sla.sweep(now=now)
    judged = loyalty.run_daily(now=now)
    with unit_of_work():
        db.session.execute(sa.delete(OutboxMessage))  # the demo's past sends no e-mail
    return "\n".join([summary, extras + f", {reminders} overdue-step reminders",
                      f"  service levels: {swept.at_risk} tickets at risk, "
                      f"{swept.breached} targets missed", recovery, f"  loyalty: {judged}"])


def _demo_routing(now: datetime, staff: dict[str, User], tickets: list[Ticket]) -> str:
    """Routing rules, watchers, an away agent and the notifications people would have now.

    The shipped routing rules decide who watches: the account manager and a lead on
    open tickets of strategic and preferred accounts, a lead on every open crisis.
    """
    lead = staff["lead"]
    routing_rules._seed_default_rules(now=now - timedelta(days=300))
    crisis_rule, standing_rule, tier_rule = routing.list_rules()
    # This desk's own rules: shipping problems to logistics by load, billing in turn.
    cats = {c.slug: c.id for c in db.session.scalars(sa.select(Category))}
    teams = {t.name: t for t in db.session.scalars(sa.select(Team))}
    for position, (name, slugs, team, strategy) in enumerate((
            ("Shipping problems to logistics",
             ("missing_short_shipment", "damaged_defective", "wrong_item", "late_delivery"),
             _TEAMS["logistics"][0], AssignStrategy.FEWEST_OPEN),
            ("Invoices and payments to billing", ("billing_payment",), _TEAMS["billing"][0],
             AssignStrategy.ROUND_ROBIN)), start=4):
        db.session.add(RoutingRule(
            name=name, position=position, active=True, continue_after=False,
            conditions={"category_ids": sorted(cats[s] for s in slugs)}, team=teams[team],
            strategy=strategy, notify=[], created_at=now - timedelta(days=200),
            updated_at=now - timedelta(days=200), updated_by_id=lead.id))
    rules = routing.list_rules()
    watched = 0
    for ticket in tickets:
        if not ticket.is_open:
            continue
        customer = ticket.customer
        watchers: dict[int, str] = {}
        if ticket.kind is TicketKind.CRISIS:
            watchers[lead.id] = crisis_rule.name
        key_rule = (standing_rule if customer.standing in (Standing.STRATEGIC, Standing.PREFERRED)
                    else tier_rule if customer.tier is CustomerTier.STRATEGIC else None)
        if key_rule is not None:
            watchers.setdefault(lead.id, key_rule.name)
            if customer.account_manager_id:
                watchers.setdefault(customer.account_manager_id, key_rule.name)
        for user_id, rule_name in watchers.items():
            db.session.add(TicketWatcher(ticket_id=ticket.id, user_id=user_id,
                                         rule_name=rule_name, created_at=ticket.created_at))
            watched += 1
    # Tom is on holiday this week; the lead sees his open tickets to hand on.
    tom = staff["agent3"]
    tom.away_reason, tom.away_note = AwayReason.HOLIDAY, "Walking in the Lake District"
    tom.away_until = (now + timedelta(days=6)).replace(hour=8, minute=0, second=0, microsecond=0)
    # What people were told recently: assignments, approvals waiting, crises on accounts.
    recent = [t for t in tickets if t.is_open and now - t.created_at < timedelta(days=3)]
    for ticket in recent:
        if ticket.assignee is not None and ticket.assignee is not ticket.created_by:
            notifications._notify(
                ticket.assignee, NotificationKind.ASSIGNED, now=ticket.created_at, ticket=ticket,
                title=lambda t=ticket: f"Assigned to you: {t.reference} · {t.subject}")
        if ticket.kind is TicketKind.CRISIS:
            notifications._account_crisis(ticket, now=ticket.created_at)
    for remedy in db.session.scalars(sa.select(Remedy).where(
            Remedy.state == RemedyState.PROPOSED)):
        roles = [r for r in ledger.TIERS if ledger._tier(r) >= ledger._tier(remedy.approval_role)]
        notifications._approval_waiting(remedy, roles=roles, now=remedy.proposed_at)
    # The demo's history was read long ago and sends no e-mail.
    db.session.flush()
    db.session.execute(sa.update(Notification)
                       .where(Notification.created_at < now - timedelta(days=2))
                       .values(read_at=now - timedelta(days=1)))
    db.session.execute(sa.delete(OutboxMessage))
    n_notes = db.session.scalar(sa.select(sa.func.count(Notification.id)))
    return (f"  {len(rules)} routing rules, {watched} watchers, 1 agent away (Tom Baker), "
            f"{n_notes} notifications")


def _demo_teams(now: datetime) -> dict[str, Team]:
    teams = {}
    for key, (name, description) in _TEAMS.items():
        teams[key] = Team(name=name, description=description, created_at=now - timedelta(days=400))
        db.session.add(teams[key])
    return teams


def _demo_staff(teams: dict[str, Team], now: datetime) -> dict[str, User]:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    probe = User()
    probe.set_password(DEMO_PASSWORD, method=method)  # hash once, reuse for every demo user
    staff = {}
    for index, (key, (email, name, role, tz, team_keys)) in enumerate(_STAFF.items()):
        user = User(email=email, name=name, role=role, timezone=tz, locale="en", active=True,
                    password_hash=probe.password_hash,
                    created_at=now - timedelta(days=380 - 20 * index))
        user.teams = [teams[k] for k in team_keys]
        db.session.add(user)
        staff[key] = user
    return staff


def _demo_customers(rng: random.Random, staff: dict[str, User],
                    now: datetime) -> dict[str, tuple[Customer, _CustomerSpec]]:
    customers = {}
    emails: set[str] = set()
    for spec in _CUSTOMERS + _EXTRA_CUSTOMERS:
        created = now - timedelta(days=rng.randint(600, 1500), minutes=rng.randint(0, 1439))
        customer = Customer(
            name=spec.name, tier=spec.tier, standing=spec.standing,
            account_manager_id=None, preferences=spec.preferences, created_at=created)
        if spec.manager:
            customer.account_manager = staff[spec.manager]
        db.session.add(customer)
        for name, email, phone in spec.contacts:
            email = email.lower()
            if email in emails:  # pragma: no cover - guards the data above
                raise RuntimeError(f"Duplicate demo contact e-mail {email}")
            emails.add(email)
            db.session.add(Contact(customer=customer, name=name, email=email, phone=phone,
                                   created_at=created))
        customers[spec.key] = (customer, spec)
    return customers


def _build_ticket(rng: random.Random, draft: _Draft, number: int, cats: dict[str, Category],
                  now: datetime, *, lead: User, admin: User,
                  candidates: list[Playbook]) -> Ticket:
    t0 = draft.created_at
    ticket = Ticket(
        reference=counters.format_reference(number), customer=draft.customer,
        customer_id=draft.customer.id, category_id=cats[draft.category].id,
        contact=draft.contact, subject=draft.subject[:200], description=draft.description,
        channel=draft.channel, kind=draft.kind, category=cats[draft.category],
        severity=draft.severity, order_reference=draft.order_reference[:64],
        currency=draft.currency, order_value=draft.order_value,
        claimed_loss=draft.claimed_loss, cause_side=draft.cause_side,
        status=TicketStatus.NEW, team_id=None,
        assignee_id=None, created_by_id=draft.creator.id if draft.creator else None,
        public_token=_token(rng), first_response_at=None, resolved_at=None, closed_at=None,
        reopen_count=0, created_at=t0, updated_at=t0, last_activity_at=t0)
    db.session.add(ticket)
    timeline = _Timeline(ticket, t0, lead=lead, admin=admin, candidates=candidates)
    by_customer = draft.creator is None
    timeline.event(EventKind.CREATED, t0, draft.creator, body=draft.description,
                   new=draft.channel.value, by_customer=by_customer)
    timeline.attach_playbook(t0, draft.creator)
    # Squeeze a timeline that would run past ``now`` into the time there is.
    span = max((s.hours for s in draft.steps), default=0.0)
    room = (now - t0).total_seconds() / 3600 - 0.05
    scale = room / span if span > room and span > 0 else 1.0
    last = t0
    for step in draft.steps:
        at = max(_at(t0, step.hours * scale).replace(microsecond=0), last)
        timeline.apply(step, at)
        last = at
    ticket.updated_at = timeline.last_change
    return ticket


def _summary(teams, staff, customers, tickets: list[Ticket], n_cats: int, *,
             playbooks: tuple[int, int]) -> str:
    n_contacts = sum(len(spec.contacts) for _, spec in customers.values())
    by_status = {s: 0 for s in TicketStatus}
    for ticket in tickets:
        by_status[ticket.status] += 1
    crises = sum(1 for t in tickets if t.kind is TicketKind.CRISIS)
    events = sum(len(t.events) for t in tickets)
    steps = [s for t in tickets for s in t.steps]
    done = sum(1 for s in steps if s.is_done)
    statuses = ", ".join(f"{n} {s.value.replace('_', ' ')}" for s, n in by_status.items())
    n_playbooks, added = playbooks
    return "\n".join([
        "Demo data loaded:",
        f"  {len(teams)} teams, {len(staff)} staff users, {n_cats} categories",
        f"  {n_playbooks} playbooks ({added} shipped ones added now)",
        f"  {len(customers)} customers with {n_contacts} contacts",
        f"  {len(tickets)} tickets ({crises} crises) with {events} timeline events",
        f"  {len(steps)} checklist steps, {done} done",
        f"  {statuses}",
    ])


# ---------------------------------------------------------------------------- stories

def _story_drafts(now: datetime, staff: dict[str, User], teams: dict[str, Team],
                  customers: dict[str, tuple[Customer, _CustomerSpec]]) -> list[_Draft]:
    """Hand-written tickets after the cases in DOMAIN.md."""
    s, t = staff, teams
    year = now.year

    def when(days: float, hour: int, minute: int = 0) -> datetime:
        moment = (now - timedelta(days=days)).replace(hour=hour, minute=minute, second=0,
                                                      microsecond=0)
        return min(moment, now - timedelta(minutes=30))

    def draft(key: str, contact: int, **kwargs) -> _Draft:
        customer, spec = customers[key]
        return _Draft(customer=customer, contact=_contact(customer, spec, contact),
                      currency=spec.currency, **kwargs)

    R, N, C, Q, A, F, ST = "reply", "note", "customer", "status", "assign", "field", _Step
    K, SW = "tick", "switch"
    ours_ops, ours_product = CauseSide.OURS_COORDINATION, CauseSide.OURS_PRODUCT
    stories = [
        # The 20-of-22 cosmetic bags: an argument loop, then a conceded remedy (seed 003).
        draft("bella_rosa", 0, created_at=when(38, 15, 10), channel=Channel.EMAIL,
              creator=s["agent3"], category="missing_short_shipment",
              kind=TicketKind.COMPLAINT, severity=Severity.P3,
              subject="Only 20 of 22 cosmetic bags received",
              description="Rosa Delgado writes: her order of cosmetic bags arrived today. She "
              "paid for 20, and we promised 2 extra free because her bank transfer took so long "
              "to clear, so there should be 22. She counted 20 and asks us to send the 2 "
              "missing bags.",
              order_reference="SO-251873", order_value=Decimal("370.00"),
              claimed_loss=Decimal("37.00"), steps=[
                  ST(0, A, s["agent3"], team=t["logistics"], assignee=s["agent3"]),
                  ST(2.5, R, s["agent3"], "Thank you for your message. Our packing record for "
                     "SO-251873 shows 22 bags: we photographed the packed carton and the scale "
                     "reading (6.6 kg, which matches 22 bags) before it left. Could you check "
                     "the carton once more?", status=TicketStatus.PENDING_CUSTOMER),
                  ST(2.5, K, s["agent3"], value=_FIRST),
                  ST(19, C, None, "I have counted three times, together with my assistant. "
                     "There are 20 bags. I am not making this up."),
                  ST(22, R, s["agent3"], "I understand. The carrier also weighed the parcel at "
                     "6.6 kg at pickup, so it left us complete. Could two bags have been put "
                     "aside when the parcel was opened?"),
                  ST(30, C, None, "This is going nowhere. If the two bags are not on their way "
                     "by tomorrow, I will leave a review describing exactly how this was "
                     "handled."),
                  ST(31, N, s["lead"], "Argument loop: two replies defended our packing record "
                     "before any remedy was offered, on a claim of 37.00 USD. State the facts "
                     "once, then make the customer whole. Shipping the 2 bags now plus 2 of the "
                     "new travel style as samples. Record the remedy as conceded: it came only "
                     "after the review threat."),
                  ST(31.5, R, s["lead"], "Ms Delgado, you are right that we should not have "
                     "made you count again. Two bags go out today by express, and we have added "
                     "two of our new travel-size bags as samples for your next order. Sorry for "
                     "the trouble this caused."),
                  ST(31.5, "conceding"),
                  ST(31.5, K, s["lead"], "Two cosmetic bags reshipped by express.",
                     value=MAKE_WHOLE),
                  ST(31.5, K, s["lead"], "Two travel-size bags of the new style as samples.",
                     value=GOODWILL),
                  ST(78, C, None, "The parcel came this morning. Four bags."),
                  ST(78.5, K, s["agent3"], value=CONFIRM),
                  ST(80, R, s["agent3"], "Thank you for letting us know. We could not find out "
                     "where the two bags went between our warehouse and your shop, so from now "
                     "on every carton carries a sealed count label you can check on arrival. "
                     "If anything else is missing, just reply here.",
                     status=TicketStatus.RESOLVED, explain=RootCause.OTHER),
                  ST(200, Q, s["agent3"], status=TicketStatus.CLOSED),
              ]),
        # The missing olive oil bottle: called back within the hour, no proof asked (seed 003).
        draft("elena", 0, created_at=when(20, 19, 42), channel=Channel.WEB, creator=None,
              category="missing_short_shipment", kind=TicketKind.COMPLAINT,
              severity=Severity.P4, subject="One bottle of olive oil missing from my order",
              description="My order SO-263115 came last week and I only noticed now that one "
              "of the three bottles of olive oil is missing. Sorry for writing so late.",
              order_reference="SO-263115", order_value=Decimal("38.70"),
              claimed_loss=Decimal("12.90"), steps=[
                  ST(0.2, A, s["agent"], team=t["front"], assignee=s["agent"]),
                  ST(0.65, N, s["agent"], "Called Ms Marquez 40 minutes after her message. No "
                     "proof requested: the claim is below the evidence threshold. Replacement "
                     "bottle booked to ship tomorrow morning."),
                  ST(0.65, K, s["agent"], value=_FIRST),
                  ST(0.66, K, s["agent"], value=MAKE_WHOLE),
                  ST(0.7, R, s["agent"], "Thank you for letting us know, and there is no need "
                     "to apologise for the timing. Sorry for the trouble: as we said on the "
                     "phone, a new bottle leaves our warehouse tomorrow morning and there is "
                     "nothing you need to send us. The tracking link follows by e-mail."),
                  ST(14, N, s["agent"], "Warehouse: the parcel left 1.1 kg under the order "
                     "weight, so the third bottle was never packed. Added a 250 ml bottle of "
                     "this season's harvest to the replacement: she buys the 750 ml "
                     "extra-virgin bottles every month."),
                  ST(14, F, s["agent"], field="cause_side", value=ours_ops),
                  ST(14.1, K, s["agent"], value=GOODWILL),
                  ST(61.5, C, None, "The bottle arrived, and the small one of the new harvest "
                     "too. Thank you!"),
                  ST(61.6, K, s["agent"], value=CONFIRM),
                  ST(62, R, s["agent"], "Glad it arrived safely. What went wrong: the bottle was "
                     "missed when your order was packed; every parcel is now weighed against "
                     "the order before it leaves. Enjoy the oil, and thank you for telling us.",
                     status=TicketStatus.RESOLVED, explain=RootCause.PICKING_ERROR),
                  ST(180, Q, s["agent"], status=TicketStatus.CLOSED),
              ]),
        # The lunch regular who values extra chili, not small talk (seed 000).
        draft("zhang", 0, created_at=when(26, 13, 5), channel=Channel.WALK_IN,
              creator=s["agent2"], category="service_attitude", kind=TicketKind.COMPLAINT,
              severity=Severity.P4, subject="Lunch takes too long; staff keep him talking",
              description="Mr Zhang told us at the counter that his last lunches took too long: "
              "staff kept him talking about personal matters while his food waited. He comes "
              "for a quick lunch in his break and is thinking of going elsewhere.",
              order_value=Decimal("14.50"), steps=[
                  ST(0, A, s["agent2"], team=t["front"], assignee=s["agent2"]),
                  ST(0.3, N, s["agent2"], "Facts: weekday lunch regular, about four visits a "
                     "week for two years; had not come in for two weeks before today. Wants a "
                     "quick, good lunch, not conversation. Usual order: stir-fried beef with "
                     "extra chili. Preference saved on the account."),
                  ST(0.3, K, s["agent2"], value=_FIRST),
                  ST(1, R, s["agent2"], "Thank you for telling us directly, Mr Zhang. From "
                     "your next visit we will keep it quick: your usual beef with extra chili, "
                     "and a side of pickled long beans on us. Sorry that we held you up."),
                  ST(1, K, s["agent2"], value=MAKE_WHOLE),
                  ST(26, N, s["lead"], "Goodwill that fits what he buys: the side dish, not a "
                     "voucher or a chat. The kitchen has the extra chili on his regular order."),
                  ST(26, K, s["lead"], value=GOODWILL),
                  ST(26.1, F, s["lead"], field="cause_side", value=ours_ops),
                  ST(72, C, s["agent2"], "Came for lunch today: quick, extra chili, and the "
                     "beans were a nice touch. Thank you."),
                  ST(72, K, s["agent2"], value=CONFIRM),
                  ST(72.5, R, s["agent2"], "Thank you, Mr Zhang; we are glad it worked. What "
                     "went wrong was on our side: chatting at the table had become a habit, and "
                     "your lunch waited for it. The team now serves first and keeps it short.",
                     explain=RootCause.STAFF_CONDUCT),
                  ST(72.6, K, s["lead"], "Talked it through with the lunch team: serve first, "
                     "chat only when the guest starts it.", value=ROOT_CAUSE),
                  ST(73, Q, s["agent2"], status=TicketStatus.RESOLVED),
                  ST(240, Q, s["agent2"], status=TicketStatus.CLOSED),
              ]),
        # A big client angry mid-project: sort the cause, own our part (seed 002).
        draft("kestrel", 0, created_at=when(6, 9, 20), channel=Channel.PHONE,
              creator=s["agent2"], category="solution_failure", kind=TicketKind.CRISIS,
              severity=Severity.P1,
              subject="Rollout phase 2 stalled: scanners drop connection at 11 of 16 sites",
              description="Jonas Weber (IT director) called, very upset. Since the phase 2 "
              "go-live on Monday, the handheld scanners lose their connection to the warehouse "
              "system several times an hour at 11 of 16 sites, and pickers are back on paper "
              "lists. Their board reviews the rollout on Friday; he asked whether they chose "
              "the wrong supplier.",
              order_reference="PO 4500817263", order_value=Decimal("186400.00"),
              claimed_loss=Decimal("24000.00"), steps=[
                  ST(0, A, s["agent2"], team=t["key"], assignee=s["lead"]),
                  ST(0.1, N, s["agent2"], "Crisis on a strategic account: lead and account "
                     "manager informed by phone."),
                  ST(0.15, K, s["lead"], value=LEAD_OWNS),
                  ST(0.6, R, s["lead"], "Mr Weber, thank you for calling us straight away. We "
                     "own this, and we are sorry for the disruption to your rollout. Two of our "
                     "engineers will be at your Leipzig site tomorrow at 08:00, and until it is "
                     "fixed you will get a short written status from me every day at 17:00."),
                  ST(0.6, K, s["lead"], value=_FIRST),
                  ST(2, N, s["manager2"], "Cause sorting after the call. Ours: scanner firmware "
                     "4.2 drops the Wi-Fi session when roaming between access points; the build "
                     "passed our lab test, so the gap is in our test plan. We act on that now. "
                     "Theirs: their CIO moved the go-live three weeks forward for a board "
                     "deadline. We advise on the plan; we do not argue with their deadline."),
                  ST(2, K, s["manager2"], value=ACCOUNT_MANAGER),
                  ST(2.1, F, s["lead"], field="cause_side", value=ours_product),
                  ST(20, R, s["lead"], "Status, day 1: the fault is in our scanner firmware, "
                     "which drops the connection when a scanner roams between Wi-Fi access "
                     "points; our lab test did not cover roaming. A fixed build is in test, and "
                     "Leipzig gets it first tomorrow morning. The sites stay on the paper "
                     "fallback until then.", explain=RootCause.PRODUCT_DEFECT),
                  ST(26, C, s["lead"], "Mr Weber on the phone: the board meets on Friday and he "
                     "needs a date he can give them, not a status."),
                  ST(26.2, F, s["lead"], field="claimed_loss", value=Decimal("31500.00")),
                  ST(44, R, s["lead"], "Status, day 2: the fixed firmware has run at Leipzig "
                     "and Halle without a drop since 06:00. The date for your board: all 16 "
                     "sites on the fixed build by Wednesday. We will cover the extra picking "
                     "staff for the affected days."),
                  ST(44, K, s["lead"], value=GOODWILL),
                  ST(46, N, s["manager2"], "Standing at risk: Kestrel may move us from "
                     "strategic to preferred after this. Plan: on-site review with Jonas and "
                     "his CIO once the fix is stable, and a joint test plan for phase 3."),
                  ST(68, R, s["lead"], "Status, day 3: the fixed firmware runs on 9 of 16 "
                     "sites with no connection drops since the update. The other 7 sites "
                     "follow on Tuesday and Wednesday as planned."),
                  ST(70, N, s["agent2"], "Firmware rolled out to 9 of 16 sites; no drops "
                     "reported so far."),
                  ST(92, R, s["lead"], "Status, day 4: 14 of 16 sites are on the fixed build. "
                     "Dresden and Erfurt follow tomorrow at 06:00."),
                  ST(116, R, s["lead"], "Status, day 5: all 16 sites have run the fixed "
                     "firmware since 07:00. We will watch the connection logs with your IT "
                     "team for five working days before we call this closed."),
                  ST(116, K, s["lead"], value=MAKE_WHOLE),
                  ST(139, R, s["lead"], "Status, day 6: no connection drops on any site in "
                     "the last 24 hours. Next update tomorrow at 17:00."),
              ]),
        # The same client's own pressure: advise, do not take it over (seed 002).
        draft("kestrel", 1, created_at=when(3, 14, 0), channel=Channel.PHONE,
              creator=s["agent2"], category="solution_failure", kind=TicketKind.COMPLAINT,
              severity=Severity.P2, cause_side=CauseSide.THEIRS_INTERNAL,
              subject="Phase 3 go-live moved three weeks forward by their CIO",
              description="Petra Lang (project manager) called, under a lot of pressure: their "
              "CIO has moved the phase 3 go-live three weeks forward to match the board's "
              "calendar. Her team cannot prepare five more sites in that time, and she asked "
              "us to 'just make it work'.",
              order_reference="PO 4500817263", steps=[
                  ST(0, A, s["agent2"], team=t["key"], assignee=s["agent2"]),
                  ST(0.1, K, s["agent2"], "Let her talk the whole situation through on the "
                     "intake call.", value=LISTEN),
                  ST(0.2, N, s["agent2"], "Cause sorting: the new date is their CIO's decision, "
                     "not a fault of ours, so this follows the advisory playbook. We help within "
                     "our remit; we do not negotiate their internal deadline for them."),
                  ST(1.5, R, s["agent2"], "Thank you for walking me through it, Ms Lang. Three "
                     "weeks less for five sites is a lot to absorb. What we can do on our side: "
                     "pre-configure the scanners for all five sites in our warehouse, so your "
                     "team only unpacks and tests them, and send one of our engineers to the "
                     "first two go-lives. The date itself is for your CIO to set; if it helps, I "
                     "will send you a one-page plan showing what is realistic by when. Shall we "
                     "speak again on Thursday at 09:00?"),
                  ST(1.5, K, s["agent2"], value=ACKNOWLEDGE_PRESSURE),
                  ST(1.5, K, s["agent2"], value=OFFER_HELP),
                  ST(1.5, K, s["agent2"], value=NEXT_CONTACT),
                  ST(3, N, s["manager2"], "Account manager: noted. Their CIO is under board "
                     "pressure after phase 2; I will not go over Petra's head. A realistic "
                     "phase 3 plan protects our standing better than agreeing to a date we "
                     "cannot keep."),
                  ST(3, K, s["manager2"], value=BRIEF_MANAGER),
                  ST(22, C, s["agent2"], "Petra Lang on the phone: the pre-configuration "
                     "helps. She is taking the one-page plan to her CIO on Monday."),
              ]),
        # A strategic customer's promotion: late delivery raised to a crisis.
        draft("bluewater", 0, created_at=when(30, 8, 15), channel=Channel.EMAIL,
              creator=s["agent"], category="late_delivery", kind=TicketKind.COMPLAINT,
              severity=Severity.P2,
              subject="Promotion stock 4 days late: 38 stores with empty displays",
              description="Fiona Gallagher: the olive oil gift sets for this week's national "
              "promotion were due on Monday. It is Thursday and nothing has arrived. 38 stores "
              "have empty promotion displays and the leaflets are already out.",
              order_reference="PO 4500798120", order_value=Decimal("48250.00"),
              claimed_loss=Decimal("18400.00"), steps=[
                  ST(0, A, s["agent"], team=t["logistics"], assignee=s["agent"]),
                  ST(0.4, N, s["agent"], "The carrier says the trailer was held at the port for "
                     "a customs check. Escalating: strategic account, national promotion."),
                  ST(0.45, F, s["agent"], field="cause_side", value=ours_ops),
                  ST(0.5, F, s["lead"], field="kind", value=TicketKind.CRISIS),
                  ST(0.5, F, s["lead"], field="severity", value=Severity.P1),
                  ST(0.5, A, s["lead"], team=t["key"], assignee=s["lead"]),
                  ST(0.5, SW, s["lead"]),
                  ST(0.55, K, s["lead"], value=LEAD_OWNS),
                  ST(0.8, R, s["lead"], "Ms Gallagher, I'm sorry: we let your promotion down. "
                     "The trailer was held at the port. We are sending 19 pallets from our own "
                     "stock tonight on two dedicated trucks, so every store has stock by 07:00 "
                     "tomorrow. I will call you at 18:00 with the truck details."),
                  ST(0.8, K, s["lead"], value=_FIRST),
                  ST(1.5, N, s["manager"], "Account manager: offering our merchandising team to "
                     "rebuild the displays in the 10 largest stores on Friday at our cost. They "
                     "value help in store over discounts (see preferences)."),
                  ST(1.5, K, s["manager"], value=ACCOUNT_MANAGER),
                  ST(14, R, s["lead"], "Both trucks left at 22:00 and are on schedule. Our "
                     "merchandising team will be in your 10 largest stores tomorrow to rebuild "
                     "the displays with your staff."),
                  ST(14, K, s["lead"], value=GOODWILL),
                  ST(30, C, None, "The stock arrived in all stores before opening. Thank you "
                     "for the trucks and the help in the stores."),
                  ST(30.2, K, s["lead"], value=MAKE_WHOLE),
                  ST(30.2, K, s["lead"], value=CONFIRM),
                  ST(32, N, s["manager"], "Agreed with Bluewater: credit note for the four lost "
                     "promotion days (18,400.00 EUR, approved by the lead). Follow up in two "
                     "weeks to see whether they book us for the next promotion."),
                  ST(32.5, K, s["lead"], "Promotion stock for Bluewater moves to the bonded "
                     "warehouse; customs checks are now planned into promotion lead times.",
                     value=ROOT_CAUSE),
                  ST(33, R, s["lead"], "Thank you, Ms Gallagher. The credit note for the lost "
                     "promotion days is in your account. What went wrong: the trailer was held "
                     "for a customs check at the port, and our plan had no buffer for it. Your "
                     "promotion stock now waits in a bonded warehouse near your distribution "
                     "centre, so a check at the port can no longer hold it up.",
                     status=TicketStatus.RESOLVED, explain=RootCause.CARRIER_DELAY),
                  ST(190, Q, s["lead"], status=TicketStatus.CLOSED),
              ]),
        # Wrong goods to a strategic account, fixed, then a second failure: reopened.
        draft("meridian", 0, created_at=when(24, 10, 30), channel=Channel.EMAIL,
              creator=s["agent2"], category="wrong_item", kind=TicketKind.COMPLAINT,
              severity=Severity.P2, subject="Wrong amenity kits delivered to three hotels",
              description="Isabelle Moreau: three of our hotels received the standard amenity "
              "kits instead of the new eco range we ordered for the spring relaunch. Guests "
              "arrive on Friday.",
              order_reference="PO 4500801544", order_value=Decimal("12600.00"),
              claimed_loss=Decimal("4200.00"), steps=[
                  ST(0, A, s["agent2"], team=t["key"], assignee=s["agent2"]),
                  ST(1.2, R, s["agent2"], "Sorry for the mix-up, Ms Moreau. The eco kits for "
                     "all three hotels leave tonight and arrive on Thursday before noon. Our "
                     "driver takes the standard kits away on the same visit, so your "
                     "housekeeping teams do not need to repack anything."),
                  ST(1.2, K, s["agent2"], value=_FIRST),
                  ST(1.2, K, s["agent2"], value=MAKE_WHOLE),
                  ST(1.5, N, s["agent2"], "Picking error: both ranges ship in the same carton "
                     "and only the label differs. The warehouse now marks the eco range with "
                     "green tape."),
                  ST(1.5, F, s["agent2"], field="cause_side", value=ours_ops),
                  ST(39.8, K, s["agent2"], "Confirmed by phone with the Paris and Nice hotels.",
                     value=CONFIRM),
                  ST(39.9, K, s["agent2"], value=GOODWILL),
                  ST(40, R, s["agent2"], "All three deliveries were signed for this morning. "
                     "We added a sample box of the new eco spa line for each housekeeping "
                     "manager. What went wrong: both ranges ship in identical cartons and only "
                     "the label differs, so the wrong ones were picked; our warehouse now marks "
                     "the eco range with green tape.", status=TicketStatus.RESOLVED,
                     explain=RootCause.PICKING_ERROR),
                  ST(60, C, None, "The Lyon hotel still has the standard kits: the driver took "
                     "the wrong cartons back."),
                  ST(61, R, s["agent2"], "Sorry, that should not have happened twice. A courier "
                     "brings the eco kits to Lyon today by 16:00, and I have called the hotel's "
                     "housekeeping manager to confirm."),
                  ST(62, N, s["manager"], "Second failure on the same order: a recovery only "
                     "helps after a first failure. I will call Isabelle myself this week."),
                  ST(70, Q, s["agent2"], status=TicketStatus.RESOLVED),
              ]),
        # A quality crisis that cost us a level of standing.
        draft("brightline", 0, created_at=when(50, 3, 40), channel=Channel.EMAIL,
              creator=s["agent2"], category="damaged_defective", kind=TicketKind.CRISIS,
              severity=Severity.P1, subject="Power adapter batch failed incoming inspection",
              description="Liu Yang: incoming inspection rejected batch 24-117. 214 of 500 "
              "sampled USB-C adapters overheat under full load. Their production line for a "
              "new power bank is waiting for the adapters.",
              order_reference="PO BL-2417", order_value=Decimal("96000.00"),
              claimed_loss=Decimal("96000.00"), steps=[
                  ST(0, A, s["agent2"], team=t["key"], assignee=s["lead"]),
                  ST(0.5, R, s["lead"], "Mr Liu, thank you for the detailed inspection report, "
                     "and we are sorry for the hold-up on your line. We have stopped every "
                     "shipment from this batch. A replacement batch from our second factory can "
                     "reach you in five days, and you will get an 8D report in English and "
                     "Chinese."),
                  ST(0.5, K, s["lead"], value=_FIRST),
                  ST(0.5, K, s["lead"], value=LEAD_OWNS),
                  ST(1, N, s["manager"], "Standing changed by the customer: strategic to "
                     "qualification pending after this batch. The next two deliveries decide "
                     "whether we stay on their list."),
                  ST(1.2, K, s["manager"], "Agreed with Mr Liu: the next two deliveries are "
                     "inspected together with his quality team.", value=ACCOUNT_MANAGER),
                  ST(4, N, s["lead"], "The cause is ours: a capacitor from a new sub-supplier. "
                     "Sub-supplier blocked."),
                  ST(4, F, s["lead"], field="cause_side", value=ours_product),
                  ST(22, R, s["lead"], "Status: the replacement batch is in production at our "
                     "second factory, and full-load testing starts on day 3. Shipping of batch "
                     "24-117 remains stopped."),
                  ST(46, R, s["lead"], "Status: production is finished; every adapter now goes "
                     "through a full-load test before packing. Delivery is on schedule for "
                     "day 5."),
                  ST(70, R, s["lead"], "Status: 500 adapters tested at full load without a "
                     "failure. Shipped by air this afternoon; the tracking is attached."),
                  ST(94, R, s["lead"], "Status: the shipment has cleared customs in Shenzhen "
                     "and will be delivered tomorrow morning."),
                  ST(120, R, s["lead"], "The replacement batch passed our own full-load "
                     "inspection and was delivered today. The 8D report is attached: the "
                     "overheating came from a capacitor made by a new sub-supplier, who is now "
                     "blocked. The rejected batch is collected at our cost, and our quality "
                     "engineer will inspect your next two deliveries with your team at no "
                     "charge.", status=TicketStatus.PENDING_CUSTOMER,
                     explain=RootCause.PRODUCT_DEFECT),
                  ST(120, K, s["lead"], value=MAKE_WHOLE),
                  ST(120, K, s["lead"], value=GOODWILL),
                  ST(150, C, None, "Our incoming inspection accepted the new batch. We will "
                     "review the 8D report with our quality team."),
                  ST(150.5, K, s["lead"], value=CONFIRM),
                  ST(151, K, s["lead"], "Incoming test at the sub-supplier added; capacitor "
                     "changes now need our approval.", value=ROOT_CAUSE),
                  ST(152, Q, s["lead"], status=TicketStatus.RESOLVED),
                  ST(330, Q, s["lead"], status=TicketStatus.CLOSED),
              ]),
        # A billing error on a strategic account, waiting for the customer's choice.
        draft("halvorsen", 1, created_at=when(3, 11, 0), channel=Channel.EMAIL,
              creator=s["agent3"], category="billing_payment", kind=TicketKind.COMPLAINT,
              severity=Severity.P3,
              subject=f"Invoice INV-{year}-00871 at list price instead of contract price",
              description="Ola Berg: the last invoice charges the list price for the "
              "examination gloves. Our framework agreement fixes the price until December. "
              "The difference is 1,140.00 EUR.",
              order_reference=f"INV-{year}-00871", order_value=Decimal("8620.00"),
              claimed_loss=Decimal("1140.00"), steps=[
                  ST(0, A, s["agent3"], team=t["billing"], assignee=s["agent3"]),
                  ST(1.5, R, s["agent3"], "You are right, Mr Berg, and I'm sorry. I have "
                     "cancelled the invoice, and a corrected one at the contract price is in "
                     "your account. Should the 1,140.00 EUR you already paid go back to your "
                     "bank account, or be set against the next invoice?",
                     status=TicketStatus.PENDING_CUSTOMER),
                  ST(1.5, K, s["agent3"], value=_FIRST),
                  ST(1.5, K, s["agent3"], value=MAKE_WHOLE),
                  ST(2, N, s["agent3"], "Contract prices for Halvorsen were not carried over "
                     "to the new price list. Finance is checking the invoices of all nine "
                     "clinics since 1 January."),
                  ST(2, F, s["agent3"], field="cause_side", value=CauseSide.OURS_COMMERCIAL),
              ]),
        # A service complaint on the web form, not yet routed.
        draft("urban_sprout", 0, created_at=now - timedelta(hours=5, minutes=10),
              channel=Channel.WEB, creator=None, category="service_attitude",
              kind=TicketKind.COMPLAINT, severity=Severity.P3,
              subject="Driver was short with our barista at the Mitte café",
              description="This morning your driver left the delivery at the back door and "
              "told our barista to carry it in himself because he was running late. The "
              "cartons of oat milk are heavy, and it was not the first time."),
        # Damaged olive oil for a key account, being worked.
        draft("casa_oliva", 0, created_at=when(2, 9, 45), channel=Channel.PHONE,
              creator=s["agent"], category="damaged_defective", kind=TicketKind.COMPLAINT,
              severity=Severity.P2, subject="Olive oil tins dented, two leaking",
              description="Giulia Conti called: in today's delivery 6 of the 40 tins of olive "
              "oil are dented and 2 are leaking over the other goods. She needs the tins for "
              "the weekend market.",
              order_reference="SO-266402", order_value=Decimal("1480.00"),
              claimed_loss=Decimal("296.00"), steps=[
                  ST(0, A, s["agent"], team=t["logistics"], assignee=s["agent"]),
                  ST(0.5, R, s["agent"], "Sorry, Ms Conti. Eight replacement tins go on "
                     "tomorrow's first van, so you have them before the weekend market. Please "
                     "throw the leaking ones away; we do not need them back."),
                  ST(0.5, K, s["agent"], value=_FIRST),
                  ST(0.7, N, s["agent"], "The pallet was wrapped without corner boards. "
                     "Reported to the warehouse lead."),
                  ST(0.7, F, s["agent"], field="cause_side", value=ours_ops),
                  ST(20, C, None, "Thank you. Could you also check the marinated olives? One "
                     "jar lid was loose."),
                  ST(20.5, K, s["agent"], value=MAKE_WHOLE),
              ]),
        # A first-time web customer, minutes ago.
        draft("priya", 0, created_at=now - timedelta(minutes=40), channel=Channel.WEB,
              creator=None, category="late_delivery", kind=TicketKind.COMPLAINT,
              severity=Severity.P3, subject="Towels not delivered yet",
              description="I ordered bamboo bath towels ten days ago (SO-267711). The website "
              "said three to five days. Could you tell me where they are?",
              order_reference="SO-267711", order_value=Decimal("59.90")),
        # A paid invoice treated as overdue: fixed at once.
        draft("pacific_crest", 0, created_at=when(12, 16, 30), channel=Channel.EMAIL,
              creator=s["agent3"], category="billing_payment", kind=TicketKind.COMPLAINT,
              severity=Severity.P3, subject="Paid invoice marked overdue, late fee charged",
              description=f"Megan Doyle: we paid invoice INV-{year}-00512 on the due date by "
              "wire transfer and still got a reminder with a 45.00 USD late fee.",
              order_reference=f"INV-{year}-00512", order_value=Decimal("6830.00"),
              claimed_loss=Decimal("45.00"), steps=[
                  ST(0, A, s["agent3"], team=t["billing"], assignee=s["agent3"]),
                  ST(2.8, F, s["agent3"], field="cause_side",
                     value=CauseSide.OURS_COMMERCIAL),
                  ST(2.9, K, s["agent3"], value=_FIRST),
                  ST(2.9, K, s["agent3"], value=MAKE_WHOLE),
                  ST(2.9, K, s["agent3"], "Confirmed by phone with Ms Doyle that the corrected "
                     "statement matches their records.", value=CONFIRM),
                  ST(3, R, s["agent3"], "Thank you for telling us, Ms Doyle, and sorry for the "
                     "worry. Your payment arrived on time; we booked it to the wrong account. "
                     "The reminder and the late fee are cancelled, and a corrected statement is "
                     "attached.", status=TicketStatus.RESOLVED,
                     explain=RootCause.BILLING_ERROR),
                  ST(4, N, s["manager"], "Pacific Crest is evaluating a second supplier. "
                     "Follow-up call booked to walk them through the corrected statement."),
              ]),
        # Something that fits no category.
        draft("riverside", 0, created_at=when(40, 14, 0), channel=Channel.EMAIL,
              creator=s["agent"], category="other", kind=TicketKind.COMPLAINT,
              severity=Severity.P4, subject="Quarterly usage report not received",
              description="Aidan Walsh: the quarterly usage report we were promised has not "
              "arrived. We use it to plan the cleaning budget for the next quarter.",
              steps=[
                  ST(0, A, s["agent"], team=t["front"], assignee=s["agent"]),
                  ST(4.8, F, s["agent"], field="cause_side", value=ours_ops),
                  ST(5, R, s["agent"], "Sorry for the wait, Mr Walsh. The report for the last "
                     "quarter is attached; it shows two buildings where a concentrate would "
                     "save about 15% on cleaner. What went wrong: the report had no owner after "
                     "a colleague moved to another team. From now on it is sent automatically "
                     "on the fifth working day of each quarter.",
                     explain=RootCause.COORDINATION_GAP),
                  ST(5, K, s["agent"], value=_FIRST),
                  ST(5, K, s["agent"], value=MAKE_WHOLE),
                  ST(5, K, s["agent"], value=GOODWILL),
                  ST(26, C, None, "Got it, thank you. The tip about the concentrate is useful."),
                  ST(26.5, K, s["agent"], value=CONFIRM),
                  ST(26.6, Q, s["agent"], status=TicketStatus.RESOLVED),
                  ST(150, Q, s["agent"], status=TicketStatus.CLOSED),
              ]),
    ]
    return stories


def _contact(customer: Customer, spec: _CustomerSpec, index: int) -> Contact | None:
    wanted = spec.contacts[index][1] if spec.contacts else None
    for contact in customer.contacts:
        if contact.email == wanted:
            return contact
    return customer.contacts[0] if customer.contacts else None


# ---------------------------------------------------------------------------- generated

def _pick_status(rng: random.Random, age_hours: float) -> TicketStatus:
    if age_hours < 1.5:
        table = ((TicketStatus.NEW, 70), (TicketStatus.OPEN, 30))
    elif age_hours < 48:
        table = ((TicketStatus.NEW, 35), (TicketStatus.OPEN, 35),
                 (TicketStatus.PENDING_CUSTOMER, 15), (TicketStatus.RESOLVED, 15))
    elif age_hours < 7 * 24:
        table = ((TicketStatus.NEW, 8), (TicketStatus.OPEN, 35),
                 (TicketStatus.PENDING_CUSTOMER, 20), (TicketStatus.RESOLVED, 30),
                 (TicketStatus.CLOSED, 7))
    elif age_hours < 21 * 24:
        table = ((TicketStatus.OPEN, 15), (TicketStatus.PENDING_CUSTOMER, 10),
                 (TicketStatus.RESOLVED, 35), (TicketStatus.CLOSED, 40))
    else:
        table = ((TicketStatus.OPEN, 5), (TicketStatus.PENDING_CUSTOMER, 3),
                 (TicketStatus.RESOLVED, 20), (TicketStatus.CLOSED, 72))
    return _weighted(rng, table)


def _generic_drafts(rng: random.Random, now: datetime, count: int, staff: dict[str, User],
                    teams: dict[str, Team],
                    customers: dict[str, tuple[Customer, _CustomerSpec]], *,
                    history: bool = False) -> list[_Draft]:
    """``count`` complaints of the last DEMO_DAYS days, or finished ones from the
    HISTORY_DAYS before them (``history``)."""
    tier_weight = {CustomerTier.STRATEGIC: 12, CustomerTier.KEY: 8, CustomerTier.STANDARD: 4}
    extra = {spec.key for spec in _EXTRA_CUSTOMERS}
    # The generated accounts complain now and then: about once a year each.
    pool = [(pair, 0.6 if key in extra else tier_weight[pair[1].tier] if pair[1].business else 2)
            for key, pair in customers.items() if key not in _STORY_ONLY | _QUIET]
    workers = {key: [u for u in team.members if u.works_tickets] for key, team in teams.items()}
    front = workers["front"]
    drafts = []
    for _ in range(count):
        customer, spec = _weighted(rng, pool)
        drafts.append(_generic_draft(rng, now, customer, spec, staff, teams, workers, front,
                                     history=history))
    return drafts


def _generic_draft(rng, now, customer, spec, staff, teams, workers, front, *,
                   history: bool = False) -> _Draft:
    crisis_rate = {CustomerTier.STRATEGIC: 0.15, CustomerTier.KEY: 0.06,
                   CustomerTier.STANDARD: 0.01}[spec.tier]
    kind = TicketKind.CRISIS if rng.random() < crisis_rate else TicketKind.COMPLAINT
    channel = _weighted(rng, _BUSINESS_CHANNELS if spec.business else _CONSUMER_CHANNELS)
    if history:
        age_days = DEMO_DAYS + HISTORY_DAYS * rng.random()
    else:
        age_days = DEMO_DAYS * rng.random() ** 1.2
    t0 = now - timedelta(days=age_days)
    t0 = t0.replace(second=0, microsecond=0)
    if channel in (Channel.PHONE, Channel.WALK_IN):
        t0 = _staff_hour(rng, t0, now)
    t0 = min(t0, now - timedelta(minutes=12))
    age_hours = (now - t0).total_seconds() / 3600
    if history:
        status = _weighted(rng, ((TicketStatus.RESOLVED, 15), (TicketStatus.CLOSED, 85)))
    else:
        status = _pick_status(rng, age_hours)

    # Money and the words the customer uses.
    if spec.tier is CustomerTier.STRATEGIC:
        value = _money(rng, 2000, 60000)
        qty = rng.randint(100, 2000)
    elif spec.tier is CustomerTier.KEY:
        value = _money(rng, 300, 12000)
        qty = rng.randint(20, 400)
    elif spec.business:
        value = _money(rng, 80, 2500)
        qty = rng.randint(10, 120)
    else:
        value = _money(rng, 15, 400)
        qty = rng.randint(2, 6)
    if spec.currency == "CNY":
        value = (value * 7).quantize(Decimal("0.01"))
    short = rng.randint(1, max(1, qty // 8))
    if spec.business and spec.tier is not CustomerTier.STANDARD:
        order = f"PO {rng.randint(4500100000, 4500999999)}"
    else:
        order = f"SO-{rng.randint(240000, 269999)}"
    item = rng.choice(spec.items)

    # Now and then a business customer's complaint comes from pressure inside their own
    # organisation; the agent who takes it sees that at once (advisory playbook). Tickets
    # nobody has looked at yet keep an unknown cause.
    theirs = (spec.business and kind is TicketKind.COMPLAINT and status is not TicketStatus.NEW
              and spec.tier is not CustomerTier.STANDARD and rng.random() < 0.08)
    if theirs:
        category, subject_t, description_t = rng.choice(_THEIRS_OPENINGS)
    elif kind is TicketKind.CRISIS:
        category, subject_t, description_t = rng.choice(_CRISIS_OPENINGS)
    else:
        category = _weighted(rng, _CATEGORY_WEIGHTS.items())
        if category == "solution_failure" and spec.tier is CustomerTier.STANDARD:
            category = "late_delivery"
        subject_t, description_t = rng.choice(_TEXTS[category].openings)
    claimed = (value * Decimal(rng.randint(5, 60)) / 100).quantize(Decimal("0.01"))
    if category in ("service_attitude", "other") and rng.random() < 0.7:
        claimed = None
    if theirs:
        claimed = None
    values = {
        "order": order, "item": item, "item_cap": item[:1].upper() + item[1:], "qty": qty,
        "short": short, "got": qty - short, "days": rng.randint(2, 9),
        "inv": f"INV-{t0.year}-{rng.randint(100, 9999):05d}", "phase": rng.randint(2, 3),
        "amount": _amount(claimed or value, spec.currency), "customer": spec.name,
        "tier": spec.tier.value,
    }
    texts = _THEIRS if theirs else _TEXTS[category]
    # What investigation will find (ours), or nothing to find on our side (theirs).
    cause = None if theirs else rng.choice(texts.causes)
    if kind is TicketKind.CRISIS:
        severity = Severity.P1 if rng.random() < 0.75 else Severity.P2
    else:
        severity = _weighted(rng, ((Severity.P1, 3), (Severity.P2, 22), (Severity.P3, 55),
                                   (Severity.P4, 20)))

    # Routing.
    if kind is TicketKind.CRISIS or category == "solution_failure":
        team_key = "key"
    elif spec.tier is not CustomerTier.STANDARD and rng.random() < 0.5:
        team_key = "key"
    elif rng.random() < 0.2:
        team_key = "front"
    else:
        team_key = _TEAM_FOR_CATEGORY[category]
    team = teams[team_key]
    lead = staff["lead"]
    members = workers[team_key]
    if kind is TicketKind.CRISIS and rng.random() < 0.6:
        assignee = lead
    else:
        assignee = _weighted(rng, [(u, 1 if u is lead else 3) for u in members])
    by_staff = channel is not Channel.WEB
    creator = (assignee if assignee in front and rng.random() < 0.5 else rng.choice(front)) \
        if by_staff else None
    manager = customer.account_manager

    # Severity or kind raised later on some tickets.
    initial_severity, initial_kind, raise_step = severity, kind, None
    if status is not TicketStatus.NEW and rng.random() < 0.12 and severity is not Severity.P4:
        initial_severity = _SEVERITY_ORDER[_SEVERITY_ORDER.index(severity) - 1]
        raise_step = ("severity", severity)
    elif kind is TicketKind.CRISIS and status is not TicketStatus.NEW and rng.random() < 0.25:
        initial_kind = TicketKind.COMPLAINT
        raise_step = ("kind", kind)

    steps = _generic_steps(
        rng, status=status, crisis=kind is TicketKind.CRISIS, channel=channel, creator=creator,
        team=team, assignee=assignee, lead=lead, manager=manager, texts=texts, values=values,
        severity=severity, raise_step=raise_step, cause=cause)
    description = _fill(description_t, values)
    if by_staff and channel in (Channel.PHONE, Channel.WALK_IN):
        contact_name = spec.contacts[0][0]
        how = "called" if channel is Channel.PHONE else "came to the counter"
        description = f"{contact_name} {how}: {description}"
    return _Draft(
        created_at=t0, customer=customer, contact=rng.choice(customer.contacts),
        channel=channel, creator=creator, category=category, kind=initial_kind,
        severity=initial_severity, subject=_fill(subject_t, values), description=description,
        currency=spec.currency,
        order_reference="" if category == "service_attitude" and rng.random() < 0.5 else order,
        order_value=None if category == "other" and rng.random() < 0.5 else value,
        claimed_loss=claimed,
        cause_side=CauseSide.THEIRS_INTERNAL if theirs else CauseSide.UNKNOWN, steps=steps)


def _generic_steps(rng, *, status, crisis, channel, creator, team, assignee, lead, manager,
                   texts: _Texts, values: dict, severity, raise_step,
                   cause: tuple[RootCause, str, str] | None) -> list[_Step]:
    """A timeline that follows the playbook: respond, make whole, add goodwill, confirm,
    explain, resolve. ``cause`` is what investigation finds; None for the customer's side."""
    steps: list[_Step] = []
    h = 0.0
    via_link = channel is Channel.WEB
    theirs = cause is None
    finished = status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    progressed = finished or status is TicketStatus.PENDING_CUSTOMER

    def add(op: str, actor=None, body: str = "", **kwargs) -> None:
        steps.append(_Step(h, op, actor, body, **kwargs))

    def tick(purpose: str, actor=None, note: str = "") -> None:
        add("tick", actor or assignee, note, value=purpose)

    def customer_says(body: str) -> None:
        add("customer", None if via_link or rng.random() < 0.5 else assignee, body)

    # Routing: staff log the ticket with its team; web tickets are triaged a little later.
    if via_link:
        h += rng.uniform(0.05, 0.4) if crisis else rng.uniform(0.2, 3)
        router = lead if crisis or rng.random() < 0.4 else rng.choice(
            [m for m in team.members if m.works_tickets])
        keep_unassigned = status is TicketStatus.NEW and rng.random() < 0.5
        if status is TicketStatus.NEW and rng.random() < 0.4:
            return steps  # not routed yet
        add("assign", router, team=team, assignee=None if keep_unassigned else assignee)
    else:
        add("assign", creator, team=team, assignee=assignee)
    if status is TicketStatus.NEW:
        if rng.random() < 0.3:
            h += rng.uniform(0.1, 2)
            add("note", assignee, _fill(rng.choice(texts.notes), values))
        return steps

    # First response: within the hour for a crisis. It is the acknowledgement (or, on the
    # customer's side, the listening) step; an answer that says sorry is the apology.
    if crisis:
        h += rng.uniform(0.15, 0.9)
    elif severity in (Severity.P1, Severity.P2):
        h += rng.uniform(0.3, 4)
    else:
        h += rng.uniform(0.5, 22)
    ask_first = rng.random() < 0.25 and not theirs
    if ask_first:
        add("reply", assignee, rng.choice(_QUESTIONS), status=TicketStatus.PENDING_CUSTOMER)
    else:
        add("reply", assignee, _fill(rng.choice(texts.acks), values))
    tick(_FIRST)
    if crisis:
        h += rng.uniform(0.05, 0.5)
        add("note", lead, _fill(rng.choice(_LEAD_CRISIS_NOTES), values))
        tick(LEAD_OWNS, lead)
    if manager is not None and (crisis or rng.random() < 0.35):
        h += rng.uniform(0.2, 6)
        add("note", manager, _fill(rng.choice(_MANAGER_NOTES), values))
        tick(ACCOUNT_MANAGER, manager)
        tick(BRIEF_MANAGER, manager)
    if rng.random() < 0.4:
        h += rng.uniform(0.1, 4)
        add("note", assignee, _fill(rng.choice(texts.notes), values))
    # Investigation (our side): what went wrong, and so the cause side.
    if not theirs and (finished or rng.random() < 0.5):
        h += rng.uniform(0.3, 12)
        add("note", assignee, _fill(cause[1], values))
        add("field", assignee, field="cause_side", value=_cause_side(cause[0]))
    if raise_step is not None:
        h += rng.uniform(0.5, 12)
        add("note", lead, rng.choice(_RAISE_NOTES))
        add("field", lead, field=raise_step[0], value=raise_step[1])
        if raise_step[0] == "kind":  # a crisis now: the lead takes the crisis playbook
            add("switch", lead)
            tick(LEAD_OWNS, lead)
    if ask_first:
        if status is TicketStatus.PENDING_CUSTOMER:
            return steps
        h += rng.uniform(2, 40)
        customer_says(rng.choice(_ANSWERS))
        h += rng.uniform(0.3, 6)
        add("reply", assignee, _fill(rng.choice(texts.acks), values))

    # The remedy (our side), or help within our remit (theirs).
    if theirs:
        if progressed or rng.random() < 0.7:
            tick(ACKNOWLEDGE_PRESSURE)
        if progressed or rng.random() < 0.5:
            h += rng.uniform(0.1, 8)
            tick(OFFER_HELP)
            tick(NEXT_CONTACT)
    else:
        if progressed or rng.random() < 0.6:
            h += rng.uniform(0.1, 6)
            tick(MAKE_WHOLE)
        if progressed or rng.random() < 0.3:
            h += rng.uniform(0.1, 24)
            tick(GOODWILL)

    if status is TicketStatus.OPEN:
        if rng.random() < 0.5:
            h += rng.uniform(6, 60)
            customer_says(rng.choice(_CHASERS))
        return steps
    if status is TicketStatus.PENDING_CUSTOMER:
        h += rng.uniform(6, 72)
        add("reply", assignee, rng.choice(_THEIRS_CHECKS if theirs else _CONFIRM_QUESTIONS),
            status=TicketStatus.PENDING_CUSTOMER)
        return steps

    # Resolution: confirmed by the customer first, or by phone just before the final reply;
    # the cause is explained in writing before the ticket is resolved.
    # Most desks confirm within a working day or so; some cases drag on.
    h += rng.uniform(2, 20) if rng.random() < 0.7 else (
        rng.uniform(6, 120) if crisis else rng.uniform(20, 96))
    explain = None if theirs else cause[0]

    def explained(body: str) -> str:
        return body if theirs else f"{body}\n\n{_fill(cause[2], values)}"

    if not theirs and rng.random() < 0.4:
        add("reply", assignee, explained(rng.choice(_CONFIRM_QUESTIONS)),
            status=TicketStatus.PENDING_CUSTOMER, explain=explain)
        h += rng.uniform(1, 24)
        customer_says(rng.choice(_THANKS))
        h += rng.uniform(0.2, 8)
        tick(CONFIRM)
        if rng.random() < 0.5:
            tick(ROOT_CAUSE)
        tick(_REST)
        add("status", assignee, status=TicketStatus.RESOLVED)
    else:
        tick(CONFIRM, note="" if theirs else "Confirmed by phone before the final reply.")
        if not theirs and rng.random() < 0.5:
            tick(ROOT_CAUSE)
        tick(_REST)
        add("reply", assignee, explained(_fill(rng.choice(texts.resolutions), values)),
            status=TicketStatus.RESOLVED, explain=explain)
    if rng.random() < 0.07:  # reopened once
        h += rng.uniform(12, 96)
        add("customer", None if via_link else assignee, rng.choice(_REOPENS))
        h += rng.uniform(0.5, 8)
        add("reply", assignee, rng.choice(_REOPEN_FIXES))
        h += rng.uniform(12, 72)
        add("status", assignee, status=TicketStatus.RESOLVED)
    if status is TicketStatus.CLOSED:
        h += rng.uniform(48, 168)
        add("status", assignee, status=TicketStatus.CLOSED)
    return steps


# ============================================================================ bulk

def generate_bulk(*, count: int, now: datetime, seed: int = 42) -> tuple[float, int]:
    """Append ``count`` tickets with short timelines, fast, for benchmarks.

    Needs customers, staff who work tickets and categories (load the demo set first).
    Every ticket gets the playbook that fits it, with its checklist: resolved and closed
    tickets have every required step done by the time they were resolved (the apology and
    the explanation by the replies that gave them); open ones have the first steps done.
    Step ticks get no timeline events and no remedies are written: these tickets are for
    measuring queues and reports, not for reading one by one. Open tickets carry the
    service-level marks the per-minute sweep would have made by ``now`` (at-risk and breach
    marks with their timeline events, at the moments they happened; no notifications), so
    the first sweep after the load has next to nothing to catch up.
    Commits per batch; returns (elapsed seconds, tickets written).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware.")
    if count < 1:
        return 0.0, 0
    started = time.perf_counter()
    now = now.astimezone(timezone.utc)  # every time below is UTC (see _fast_insert)
    refs = _bulk_reference_data()
    rng = random.Random(f"bulk:{seed}:{_counter_value()}")
    pools = _bulk_text_pools(rng, refs["categories"])
    written = 0
    while written < count:
        n = min(BULK_BATCH, count - written)
        _bulk_batch(rng, n, now, refs, pools)
        written += n
    _analyze()
    return time.perf_counter() - started, written


def _analyze() -> None:
    """Refresh the planner's statistics after a bulk load, so queries keep good plans."""
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def _counter_value() -> int:
    return db.session.scalar(sa.select(Counter.value).where(Counter.name == "ticket")) or 0


def _bulk_reference_data() -> dict:
    customers = [(row.id, row.tier, row.account_manager_id, row.standing)
                 for row in db.session.execute(
                     sa.select(Customer.id, Customer.tier, Customer.account_manager_id,
                               Customer.standing).order_by(Customer.id))]
    contacts: dict[int, list[int]] = {}
    for row in db.session.execute(
            sa.select(Contact.id, Contact.customer_id).order_by(Contact.id)):
        contacts.setdefault(row.customer_id, []).append(row.id)
    workers = [(row.id, row.name, row.role) for row in db.session.execute(
        sa.select(User.id, User.name, User.role)
        .where(User.active.is_(True), User.role.in_((Role.AGENT, Role.LEAD)))
        .order_by(User.id))]
    cats = [(row.id, row.slug) for row in db.session.execute(
        sa.select(Category.id, Category.slug).where(Category.active.is_(True))
        .order_by(Category.position, Category.id))]
    if not customers or not workers or not cats:
        raise RuntimeError(
            "Bulk generation needs customers, active agents or leads and categories: "
            "load the demo data set first (flask demo-data).")
    memberships: dict[int, set[int]] = {}
    for row in db.session.execute(sa.select(team_members.c.team_id, team_members.c.user_id)):
        memberships.setdefault(row.team_id, set()).add(row.user_id)
    teams = []
    for team_id, team_name in db.session.execute(
            sa.select(Team.id, Team.name).order_by(Team.id)):
        members = [w for w in workers if w[0] in memberships.get(team_id, ())]
        if members:
            teams.append((team_id, team_name, members))
    if not teams:  # no teams: assign people directly
        teams.append((None, None, workers))
    leads = [w for w in workers if w[2] is Role.LEAD] or workers
    currency = current_app.config.get("DEFAULT_CURRENCY", "EUR")
    return {"customers": customers, "contacts": contacts, "workers": workers, "teams": teams,
            "leads": leads, "categories": cats, "currency": currency,
            "playbooks": _BulkPlaybooks(playbooks._candidates()), "sla": sla.PolicyBook()}


class _BulkPlaybooks:
    """The playbook for a combination of ticket facts, chosen by the service's own rule."""

    def __init__(self, candidates: list[Playbook]):
        self.candidates = candidates
        self.cache: dict[tuple, tuple | None] = {}

    def choose(self, kind, slug, cause, severity, tier, standing) -> tuple | None:
        """(version id, label, step templates) or None, for these facts."""
        key = (kind, slug, cause, severity, tier, standing)
        if key not in self.cache:
            facts = SimpleNamespace(kind=kind, category=SimpleNamespace(slug=slug),
                                    cause_side=cause, severity=severity,
                                    customer=SimpleNamespace(tier=tier, standing=standing))
            version = playbooks.choose_version(facts, self.candidates)
            steps = []
            for s in version.steps if version is not None else ():
                required = s.required and s.kind is not StepKind.STATUS_UPDATE
                hours = s.recur_hours if s.kind is StepKind.STATUS_UPDATE else s.due_hours
                # The copied columns, in _STEP_COLUMNS order after ticket_id.
                fixed = (s.position, s.kind.value, s.title, s.guidance, s.role.value, required,
                         s.recur_hours, "")
                steps.append((fixed, timedelta(hours=float(hours or 0)), s.kind, s.role,
                              required))
            self.cache[key] = None if version is None else (
                version.id, playbooks.version_label(version), tuple(steps))
        return self.cache[key]


def _bulk_text_pools(rng: random.Random, cats: list[tuple[int, str]]) -> dict[int, tuple]:
    """A few rendered texts per category, reused across rows (cheap, still varied).

    Resolutions are (reply, root cause): the reply explains the cause it is coded with.
    """
    pools = {}
    for cat_id, slug in cats:
        texts = _TEXTS.get(slug, _TEXTS["other"])
        openings, acks, notes, resolutions = [], [], [], []
        for _ in range(24):
            item = rng.choice(_GENERIC_ITEMS)
            qty = rng.randint(4, 200)
            short = rng.randint(1, max(1, qty // 8))
            values = {"order": f"SO-{rng.randint(240000, 269999)}", "item": item,
                      "item_cap": item[:1].upper() + item[1:], "qty": qty, "short": short,
                      "got": qty - short, "days": rng.randint(2, 9),
                      "inv": f"INV-{rng.randint(100, 99999):05d}", "phase": rng.randint(2, 3),
                      "amount": f"{rng.randint(20, 5000)}.00 EUR"}
            subject, description = rng.choice(texts.openings)
            openings.append((_fill(subject, values)[:200], _fill(description, values)))
            acks.append(_fill(rng.choice(texts.acks), values))
            notes.append(_fill(rng.choice(texts.notes), values))
            code, _finding, explanation = rng.choice(texts.causes)
            resolution = _fill(rng.choice(texts.resolutions), values)
            resolutions.append((resolution, f"{resolution}\n\n{_fill(explanation, values)}",
                                code))
        pools[cat_id] = (openings, acks, notes, resolutions)
    return pools


def _bulk_batch(rng: random.Random, n: int, now: datetime, refs: dict, pools: dict) -> None:
    """Insert ``n`` tickets, their events and their checklists in one transaction."""
    session = db.session
    sla_book = refs["sla"]
    # Reserve n reference numbers: the UPDATE holds the counter row (PostgreSQL) or the
    # write lock (SQLite) until commit, so a ticket logged meanwhile waits and then
    # continues after our numbers.
    first_n = session.execute(
        sa.update(Counter).where(Counter.name == "ticket")
        .values(value=Counter.value + n).returning(Counter.value)
    ).scalar_one_or_none()
    if first_n is None:
        session.add(Counter(name="ticket", value=n))
        session.flush()
        first_n = n
    first_n -= n - 1
    first_id = (session.scalar(sa.select(sa.func.max(Ticket.id))) or 0) + 1

    customers, contacts, teams = refs["customers"], refs["contacts"], refs["teams"]
    leads, cat_ids, currency = refs["leads"], [c[0] for c in refs["categories"]], refs["currency"]
    slugs = dict(refs["categories"])
    choose = refs["playbooks"].choose
    rand, choice, randint = rng.random, rng.choice, rng.randint
    year_seconds = BULK_DAYS * 86400
    statuses_open = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.OPEN,
                     TicketStatus.PENDING_CUSTOMER)
    complaint, crisis = TicketKind.COMPLAINT, TicketKind.CRISIS
    severities = (Severity.P1, Severity.P2, Severity.P2, Severity.P3, Severity.P3,
                  Severity.P3, Severity.P3, Severity.P4, Severity.P4)
    channels = (Channel.EMAIL, Channel.EMAIL, Channel.WEB, Channel.WEB, Channel.WEB,
                Channel.PHONE, Channel.PHONE, Channel.CHAT, Channel.WALK_IN, Channel.SOCIAL)
    web, standard = Channel.WEB, CustomerTier.STANDARD
    # Rows carry the stored values of enums (see _fast_insert).
    K_CREATED, K_ASSIGN, K_REPLY, K_STATUS = (EventKind.CREATED.value, EventKind.ASSIGNMENT.value,
                                              EventKind.PUBLIC_REPLY.value,
                                              EventKind.STATUS_CHANGE.value)
    K_NOTE, K_MSG, K_PLAYBOOK = (EventKind.INTERNAL_NOTE.value, EventKind.CUSTOMER_MESSAGE.value,
                                 EventKind.PLAYBOOK.value)
    K_SLA = EventKind.SLA.value
    S_NEW, S_OPEN, S_PENDING = TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER
    S_RESOLVED, S_CLOSED = TicketStatus.RESOLVED, TicketStatus.CLOSED
    C_UNKNOWN, C_THEIRS = CauseSide.UNKNOWN, CauseSide.THEIRS_INTERNAL
    APOLOGY, EXPLANATION, UPDATE = (StepKind.APOLOGY,
                                    StepKind.EXPLANATION, StepKind.STATUS_UPDATE)
    R_LEAD, R_MANAGER = Role.LEAD, Role.ACCOUNT_MANAGER
    minute = timedelta(minutes=1)
    lead_id = leads[0][0]

    tickets, events, steps, sla_marks = [], [], [], []
    append_event, append_step = events.append, steps.append
    # Steps ticked by a reply: (index in ``steps``, ticket id, which of the ticket's public
    # replies). The replies' ids are read back after the insert.
    by_reply: list[tuple[int, int, int]] = []
    replies = 0  # public replies written on the current ticket so far

    def ev(ticket_id, kind, actor_id, at, body="", fld=None, old=None, new=None, cust=False):
        nonlocal replies
        append_event({"ticket_id": ticket_id, "kind": kind, "actor_id": actor_id,
                      "by_customer": cust, "body": body, "field": fld, "old_value": old,
                      "new_value": new, "created_at": at})
        if kind == K_REPLY:
            replies += 1
            return replies - 1
        return None

    for i in range(n):
        tid = first_id + i
        replies = 0
        age = rand() * year_seconds
        t0 = now - timedelta(seconds=age)
        customer_id, tier, manager_id, standing = choice(customers)
        contact_ids = contacts.get(customer_id)
        cat_id = choice(cat_ids)
        openings, acks, notes, resolutions = pools[cat_id]
        subject, description = choice(openings)
        channel = choice(channels)
        kind = crisis if tier is not standard and rand() < 0.05 else complaint
        severity = Severity.P1 if kind is crisis else choice(severities)
        # A few complaints of big accounts come from pressure inside their organisation.
        theirs = kind is complaint and tier is not standard and rand() < 0.03
        team_id, team_name, members = choice(teams)
        if rand() < 0.35:  # routed to a person only
            team_id = None
        assignee_id, assignee_name, _role = choice(members)
        creator_id = None if channel is web else assignee_id
        value = Decimal(randint(1500, 2500000)).scaleb(-2)

        open_p = 0.6 if age < 7 * 86400 else 0.35 if age < 30 * 86400 else 0.12
        if rand() < open_p:
            status = choice(statuses_open)
        else:
            status = S_RESOLVED if age < 14 * 86400 or rand() < 0.15 else S_CLOSED
        resolution, explained, code = choice(resolutions)

        cause = C_THEIRS if theirs else C_UNKNOWN
        chosen = choose(kind, slugs[cat_id], cause, severity, tier, standing)
        ev(tid, K_CREATED, creator_id, t0, description, new=channel.value,
           cust=creator_id is None)
        if chosen is not None:
            ev(tid, K_PLAYBOOK, creator_id, t0, fld="playbook", new=chosen[1])
        t = t0 if creator_id else min(t0 + minute * randint(5, 180), now)
        actor = creator_id or choice(leads)[0]
        if team_id is not None:
            ev(tid, K_ASSIGN, actor, t, fld="team", new=team_name)
        first_response = resolved = closed = None
        apology_at = apology_event = explained_at = explained_event = None
        reopen_count = 0
        if status is S_NEW:
            last = t
            ticket_assignee = None
        else:
            ticket_assignee = assignee_id
            ev(tid, K_ASSIGN, actor, t, fld="assignee", new=assignee_name)
            t = min(t + minute * (randint(10, 90) if kind is crisis else randint(15, 1440)), now)
            first_response = t
            if status is S_PENDING:
                ev(tid, K_REPLY, assignee_id, t, choice(_QUESTIONS))
                ev(tid, K_STATUS, assignee_id, t, fld="status", old="new", new="pending_customer")
            elif status is S_OPEN:
                apology_at, apology_event = t, ev(tid, K_REPLY, assignee_id, t, choice(acks))
                ev(tid, K_STATUS, assignee_id, t, fld="status", old="new", new="open")
                if rand() < 0.5:
                    t = min(t + minute * randint(30, 600), now)
                    ev(tid, K_NOTE, assignee_id, t, choice(notes))
            else:
                before = "new"
                if rand() < 0.3:  # acknowledged first, resolved later; else solved at once
                    apology_at, apology_event = t, ev(tid, K_REPLY, assignee_id, t, choice(acks))
                    ev(tid, K_STATUS, assignee_id, t, fld="status", old="new", new="open")
                    t = min(t + minute * randint(120, 7200), now)
                    before = "open"
                resolved = t
                if theirs:
                    reply = ev(tid, K_REPLY, assignee_id, t, resolution)
                elif apology_event is None:  # apologise and explain in one reply
                    reply = ev(tid, K_REPLY, assignee_id, t, f"Sorry for the trouble. {explained}")
                    apology_at, apology_event = t, reply
                else:
                    reply = ev(tid, K_REPLY, assignee_id, t, explained)
                if not theirs:
                    explained_at, explained_event = t, reply
                ev(tid, K_STATUS, assignee_id, t, fld="status", old=before, new="resolved")
                if rand() < 0.03:
                    t = min(t + minute * randint(600, 4000), now)
                    ev(tid, K_MSG, None, t, choice(_REOPENS), cust=True)
                    ev(tid, K_STATUS, None, t, fld="status", old="resolved", new="open",
                       cust=True)
                    reopen_count = 1
                    t = min(t + minute * randint(60, 2000), now)
                    resolved = t
                    ev(tid, K_REPLY, assignee_id, t, choice(_REOPEN_FIXES))
                    ev(tid, K_STATUS, assignee_id, t, fld="status", old="open",
                       new="resolved")
                if status is S_CLOSED:
                    t = min(t + minute * randint(2880, 10080), now)
                    closed = t
                    ev(tid, K_STATUS, assignee_id, t, fld="status", old="resolved",
                       new="closed")
            last = t

        # Cause side and root cause: found by investigation on our side.
        root_cause = None
        if not theirs and (resolved is not None or (first_response is not None and rand() < 0.5)):
            cause = _cause_side(code)
            root_cause = code if resolved is not None else None

        # The checklist, copied from the playbook version (rows in _STEP_COLUMNS order).
        if chosen is not None:
            tasks_done = 0
            for fixed, due, step_kind, role, required in chosen[2]:
                due_at, done_at, event, explained_code = t0 + due, None, None, None
                if step_kind is APOLOGY:
                    done_at, event = apology_at, apology_event
                elif step_kind is EXPLANATION:
                    if explained_event is not None:
                        done_at, event = explained_at, explained_event
                        explained_code = code.value
                elif step_kind is UPDATE:
                    if first_response is not None:
                        due_at = first_response + due
                    done_at = resolved
                elif resolved is not None:
                    if required or tid % 2:
                        # Spread between the first response and the resolution, in order.
                        tasks_done += 1
                        done_at = min(first_response + (resolved - first_response)
                                      * (tasks_done - 1) / 8, resolved)
                elif first_response is not None and tasks_done == 0:
                    tasks_done, done_at = 1, first_response  # responded: acknowledged
                done_by = None
                if done_at is not None:
                    done_by = (lead_id if role is R_LEAD else
                               (manager_id or lead_id) if role is R_MANAGER else assignee_id)
                    if event is not None:
                        by_reply.append((len(steps), tid, event))
                append_step([tid, *fixed, due_at, done_at, done_by, None, explained_code])

        marks: list = []  # filled by sla_book.columns below: what the sweep has marked
        tickets.append({
            "id": tid, "reference": counters.format_reference(first_n + i),
            "customer_id": customer_id,
            "contact_id": choice(contact_ids) if contact_ids else None,
            "subject": subject, "description": description, "channel": channel.value,
            "kind": kind.value, "category_id": cat_id, "severity": severity.value,
            "order_reference": f"SO-{randint(100000, 999999)}",
            "currency": currency, "order_value": value,
            "claimed_loss": (value * randint(5, 60) / 100).quantize(Decimal("0.01")),
            "status": status.value, "team_id": team_id, "assignee_id": ticket_assignee,
            "created_by_id": creator_id,
            "public_token": base64.urlsafe_b64encode(rng.randbytes(24)).decode("ascii"),
            "first_response_at": first_response, "resolved_at": resolved, "closed_at": closed,
            "reopen_count": reopen_count, "cause_side": cause.value,
            "root_cause": root_cause.value if root_cause else None,
            "playbook_version_id": chosen[0] if chosen else None,
            "last_activity_at": last, "version": 1, "created_at": t0, "updated_at": last,
            "sla_paused_minutes": 0, "next_response_breached": False,
            # The clocks stand still while waiting on the customer and once resolved.
            "sla_paused_at": last if status is S_PENDING else (
                resolved or closed if status in (S_RESOLVED, S_CLOSED) else None),
            "sla_stops": "[]",   # JSON text: the bulk insert writes driver values
            **sla_book.columns(kind=kind.value, severity=severity.value, tier=tier.value,
                               created_at=t0, first_response_at=first_response,
                               resolved_at=resolved, is_open=status in (S_NEW, S_OPEN),
                               now=now, marks=marks),
        })
        for milestone, state, due_at, at in marks:
            ev(tid, K_SLA, None, at, sla.mark_text(milestone, state, due_at),
               fld=milestone.value, new=state.value)
            sla_marks.append([tid, milestone.value, state.value, due_at, at])
    _fast_insert(Ticket.__table__, tickets)
    _fast_insert(TicketEvent.__table__, events)
    if by_reply:
        # Link the steps to the replies that ticked them: a ticket's replies, by id, are in
        # the order they were written.
        reply_ids: dict[int, list[int]] = {}
        for ticket_id, event_id in session.execute(
                sa.select(TicketEvent.ticket_id, TicketEvent.id)
                .where(TicketEvent.ticket_id.between(first_id, first_id + n - 1),
                       TicketEvent.kind == K_REPLY)
                .order_by(TicketEvent.ticket_id, TicketEvent.id)):
            reply_ids.setdefault(ticket_id, []).append(event_id)
        reply_column = _STEP_COLUMNS.index("reply_event_id")
        for step_index, ticket_id, ordinal in by_reply:
            steps[step_index][reply_column] = reply_ids[ticket_id][ordinal]
    if steps:
        _fast_insert(TicketStep.__table__, steps, keys=_STEP_COLUMNS)
    if sla_marks:
        _fast_insert(SlaEvent.__table__, sla_marks,
                     keys=("ticket_id", "milestone", "state", "due_at", "created_at"))
    if session.get_bind().dialect.name == "postgresql":
        # Explicit ids leave the id sequence behind; move it past what we wrote.
        session.execute(sa.text(
            "SELECT setval(pg_get_serial_sequence('tickets', 'id'), "
            "(SELECT MAX(id) FROM tickets))"))
    session.commit()


# The columns of the ticket_steps rows the bulk generator writes, in order.
_STEP_COLUMNS = ("ticket_id", "position", "kind", "title", "guidance", "role", "required",
                 "recur_hours", "note", "due_at", "done_at", "done_by_id", "reply_event_id",
                 "root_cause")


def _fast_insert(table: sa.Table, rows: list, *, keys: tuple[str, ...] | None = None) -> None:
    """Insert many rows of one shape, handing the driver values it stores as they are.

    Like ``session.execute(sa.insert(table), rows)`` but without type processing per value
    in Python, which is most of the time of a bulk load, and with COPY on PostgreSQL. Rows
    hold enum columns as their stored values (strings) and datetimes as aware UTC values;
    these are written the way ``UTCDateTime`` writes them (naive UTC text on SQLite), and
    amounts as the driver takes them. Rows are dicts of one shape, or lists in the order of
    ``keys``.
    """
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    sqlite = dialect.name == "sqlite"
    if keys is None:
        keys = list(rows[0])
        rows = [[row[key] for key in keys] for row in rows]
    keys = list(keys)
    convert = []
    for position, key in enumerate(keys):
        column_type = table.c[key].type
        if isinstance(column_type, UTCDateTime):
            convert.append((position, _sqlite_time if sqlite else _utc))
        elif isinstance(column_type, (sa.Numeric, Money)) and sqlite:
            convert.append((position, float))
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        # COPY is many times faster than INSERTs on PostgreSQL; same transaction.
        quote = dialect.identifier_preparer.quote
        columns = ", ".join(quote(key) for key in keys)
        cursor = connection.connection.cursor()
        with cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
            for values in rows:
                for position, fn in convert:
                    value = values[position]
                    if value is not None:
                        values[position] = fn(value)
                copy.write_row(values)
        return
    statement = sa.insert(sa.table(table.name, *(sa.column(key) for key in keys)))
    compiled = statement.compile(dialect=dialect)
    named = dialect.paramstyle in ("named", "pyformat")
    if not named and list(compiled.positiontup) != keys:  # pragma: no cover - guard
        raise RuntimeError("Unexpected parameter order in the bulk insert.")
    params = []
    for values in rows:
        for position, fn in convert:
            value = values[position]
            if value is not None:
                values[position] = fn(value)
        params.append(dict(zip(keys, values, strict=True)) if named else tuple(values))
    connection.exec_driver_sql(str(compiled), params)


def _sqlite_time(value: datetime) -> str:
    """What UTCDateTime stores on SQLite: naive UTC, with microseconds."""
    if value.tzinfo is not timezone.utc:
        value = _utc(value)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _utc(value: datetime) -> datetime:
    if value.tzinfo is timezone.utc:
        return value
    if value.tzinfo is None:
        raise ValueError("Naive datetime given; use an aware UTC datetime.")
    return value.astimezone(timezone.utc)


# ============================================================================ logins

def logins_text() -> str:
    """The demo logins block printed by ``flask demo-data``."""
    width = max(len(email) for email, _, _ in DEMO_LOGINS)
    lines = [
        "Demo logins",
        f"  Open {current_app.config.get('BASE_URL') or DEMO_URL} and sign in with one of "
        "these accounts.",
        f"  Password for every account: {DEMO_PASSWORD}",
        "",
    ]
    for email, role, name in DEMO_LOGINS:
        lines.append(f"  {email:<{width}}  {_ROLE_LABELS[role]:<16} {name}")
    return "\n".join(lines)
