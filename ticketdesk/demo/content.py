"""Who and what the demo set is made of, as plain data.

The logins ``flask demo-data`` prints, the sizes of the set, the teams and staff, the customers
(hand-written accounts after the cases in DOMAIN.md, and accounts generated from name lists,
some of which never complain), and the words customers and staff write, by category of
complaint: openings, replies, notes, resolutions and the root causes investigation finds.
Nothing here touches the database.
"""

import random
from dataclasses import dataclass

from flask import current_app

from ticketdesk.models import (
    CauseSide,
    Channel,
    CustomerTier,
    Role,
    RootCause,
    Severity,
    Standing,
)

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

# Teams: key -> (name, description)
TEAMS: dict[str, tuple[str, str]] = {
    "front": ("Front desk", "First line: phone, e-mail, walk-in and web complaints."),
    "key": ("Key accounts", "Strategic and key customers: crises and project escalations."),
    "logistics": ("Logistics & returns", "Missing, damaged, wrong and late shipments; reships."),
    "billing": ("Billing & accounts", "Invoices, payments, refunds and credit notes."),
}

# Staff: key -> (email, name, role, timezone, team keys). The first four are DEMO_LOGINS.
STAFF: dict[str, tuple[str, str, Role, str, tuple[str, ...]]] = {
    "agent": (
        "agent@example.com",
        "Mia Hoffmann",
        Role.AGENT,
        "Europe/Berlin",
        ("front", "key", "logistics"),
    ),
    "manager": ("manager@example.com", "Li Wei", Role.ACCOUNT_MANAGER, "Asia/Shanghai", ("key",)),
    "lead": (
        "lead@example.com",
        "Sofia Rossi",
        Role.LEAD,
        "Europe/Rome",
        ("front", "key", "logistics", "billing"),
    ),
    "admin": ("admin@example.com", "Sam Okafor", Role.ADMIN, "UTC", ()),
    "agent2": ("jing.chen@example.com", "Chen Jing", Role.AGENT, "Asia/Shanghai", ("front", "key")),
    "agent3": (
        "tom.baker@example.com",
        "Tom Baker",
        Role.AGENT,
        "Europe/London",
        ("logistics", "billing"),
    ),
    "manager2": (
        "anna.novak@example.com",
        "Anna Novak",
        Role.ACCOUNT_MANAGER,
        "Europe/Berlin",
        ("key",),
    ),
}


@dataclass(frozen=True)
class CustomerSpec:
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

CUSTOMERS: tuple[CustomerSpec, ...] = (
    # ---- strategic
    CustomerSpec(
        "kestrel",
        "Kestrel Engineering GmbH",
        _S,
        Standing.STRATEGIC,
        "manager2",
        "EUR",
        True,
        ("handheld scanners", "scanner docking stations", "rugged tablets"),
        "Rollout of warehouse scanners to 16 sites (phase 2 of 3). Wants one named contact on "
        "our side and a short written status every Friday; values firm dates over optimistic "
        "ones. Their IT director reports on the rollout to the board every month.",
        (
            ("Jonas Weber", "jonas.weber@kestrel-eng.example", "+49 341 555 0142"),
            ("Petra Lang", "petra.lang@kestrel-eng.example", "+49 341 555 0178"),
        ),
    ),
    CustomerSpec(
        "bluewater",
        "Bluewater Supermarkets",
        _S,
        Standing.STRATEGIC,
        "manager",
        "EUR",
        True,
        ("olive oil gift sets", "shelf-ready cartons of pasta sauce", "promotion display units"),
        "38 stores. Promotion weeks are planned six weeks ahead, so late stock costs them the "
        "whole promotion. Values free merchandising help in stores more than price discounts.",
        (
            ("Fiona Gallagher", "fiona.gallagher@bluewater.example", "+353 1 555 0190"),
            ("Declan Byrne", "declan.byrne@bluewater.example", "+353 1 555 0123"),
            ("Stores hotline", "stores@bluewater.example", "+353 1 555 0100"),
        ),
    ),
    CustomerSpec(
        "meridian",
        "Meridian Hotels Group",
        _S,
        Standing.PREFERRED,
        "manager",
        "EUR",
        True,
        ("guest amenity kits", "bath linen sets", "minibar glassware"),
        "Linen and amenity kits for 12 hotels. Replacement stock must arrive before the Friday "
        "check-in peak; a credit note is only second best. Housekeeping managers like a sample "
        "of each new amenity line.",
        (
            ("Isabelle Moreau", "isabelle.moreau@meridian-hotels.example", "+33 1 5555 0161"),
            ("Karim Haddad", "karim.haddad@meridian-hotels.example", ""),
        ),
    ),
    CustomerSpec(
        "brightline",
        "Shenzhen Brightline Electronics Co.",
        _S,
        Standing.QUALIFICATION_PENDING,
        "manager",
        "CNY",
        True,
        ("USB-C power adapters", "charging cables", "battery packs"),
        "Buys components for its own consumer brand. Expects a root-cause report in 8D format "
        "with every quality claim, in English and Chinese. Moved us to qualification pending "
        "after the adapter batch failure; the next two deliveries decide.",
        (
            ("Liu Yang", "liu.yang@brightline.example", "+86 755 5555 0134"),
            ("Zhou Min", "zhou.min@brightline.example", "+86 755 5555 0187"),
        ),
    ),
    CustomerSpec(
        "halvorsen",
        "Halvorsen Clinics",
        _S,
        Standing.PREFERRED,
        "manager2",
        "EUR",
        True,
        ("examination gloves", "sterile dressing packs", "sharps containers"),
        "Nine outpatient clinics. A same-day courier for an urgent gap is worth more to them "
        "than any discount. Invoices must carry the clinic's cost-centre code.",
        (
            ("Ingrid Halvorsen", "ingrid@halvorsen-clinics.example", "+47 22 55 50 11"),
            ("Ola Berg", "ola.berg@halvorsen-clinics.example", "+47 22 55 50 47"),
        ),
    ),
    # ---- key
    CustomerSpec(
        "casa_oliva",
        "Casa Oliva Delicatessen",
        _K,
        Standing.PREFERRED,
        "manager2",
        "EUR",
        True,
        (
            "5 l tins of extra-virgin olive oil",
            "750 ml bottles of olive oil",
            "jars of marinated olives",
        ),
        "Buys Cretan extra-virgin olive oil in 5 l tins and 750 ml bottles and reorders every "
        "three weeks. Likes first pick of the new harvest and a tasting sample when a new grove "
        "is added to the range.",
        (("Giulia Conti", "giulia@casa-oliva.example", "+39 02 5555 0172"),),
    ),
    CustomerSpec(
        "nordlicht",
        "Nordlicht Bakeries",
        _K,
        Standing.PREFERRED,
        "manager2",
        "EUR",
        True,
        ("sacks of rye flour", "bread bags", "rolls of baking paper"),
        "Seven bakeries. Deliveries must arrive before 06:00, while the night shift can still "
        "sign for goods. Appreciates a spare box of bread bags with large orders.",
        (
            ("Klaus Reinhardt", "k.reinhardt@nordlicht-baeckerei.example", "+49 40 555 0133"),
            ("Sabine Reinhardt", "s.reinhardt@nordlicht-baeckerei.example", "+49 40 555 0134"),
        ),
    ),
    CustomerSpec(
        "pacific_crest",
        "Pacific Crest Outfitters",
        _K,
        Standing.QUALIFICATION_PENDING,
        "manager",
        "USD",
        True,
        ("insulated water bottles", "trekking poles", "dry bags"),
        "Outdoor retailer with five stores in Oregon and Washington. Wants early warning of "
        "stock gaps rather than substitutes. Is evaluating a second supplier this year.",
        (
            ("Megan Doyle", "megan.doyle@pacificcrest.example", "+1 503 555 0148"),
            ("Ray Alvarez", "ray.alvarez@pacificcrest.example", "+1 503 555 0166"),
        ),
    ),
    CustomerSpec(
        "golden_harvest",
        "Golden Harvest Trading (Ningbo)",
        _K,
        Standing.STRATEGIC,
        "manager",
        "CNY",
        True,
        ("stainless steel woks", "bamboo steamers", "knife sets"),
        "Kitchenware importer. Customs documents (packing list, certificate of origin) must be "
        "right the first time; a corrected set within a day is valued highly. Prefers short "
        "messages with photos.",
        (("Chen Lu", "chen.lu@goldenharvest.example", "+86 574 5555 0119"),),
    ),
    CustomerSpec(
        "urban_sprout",
        "Urban Sprout Cafés",
        _K,
        Standing.PASSIVE_ELIMINATION,
        "manager2",
        "EUR",
        True,
        ("paper cups", "bags of coffee beans", "cartons of oat milk"),
        "Twelve cafés in Berlin. Invoices must show each café separately. The barista team likes "
        "seasonal coffee samples. Has been ordering less from us since the spring price rise.",
        (
            ("Lea Braun", "lea.braun@urbansprout.example", "+49 30 555 0155"),
            ("Finn Scholz", "finn.scholz@urbansprout.example", ""),
        ),
    ),
    CustomerSpec(
        "riverside",
        "Riverside Property Services",
        _K,
        Standing.PREFERRED,
        "manager",
        "EUR",
        True,
        ("canisters of floor cleaner", "microfibre cloths", "waste sacks"),
        "Cleans 40 office buildings. One consolidated invoice per month; values a quarterly "
        "usage report that shows where they can save.",
        (("Aidan Walsh", "aidan.walsh@riverside-ps.example", "+44 161 555 0107"),),
    ),
    CustomerSpec(
        "lindqvist",
        "Lindqvist Interiors",
        _K,
        Standing.PREFERRED,
        "manager2",
        "EUR",
        True,
        ("rolls of upholstery fabric", "curtain tracks", "cushion inserts"),
        "Interior design studio. Welcomes swatches of new fabric collections with reorders; "
        "prefers a phone call to long e-mails.",
        (("Karin Lindqvist", "karin@lindqvist-interiors.example", "+46 8 555 0139"),),
    ),
    # ---- standard
    CustomerSpec(
        "bella_rosa",
        "Bella Rosa Beauty Supply",
        _D,
        Standing.QUALIFICATION_PENDING,
        None,
        "USD",
        True,
        ("cosmetic bags", "makeup brush sets", "travel bottles"),
        "Small cosmetics shop in Florida that stocks cosmetic bags in several styles. Open to "
        "new styles when samples come with a reorder. Paid the first order by bank transfer, "
        "which took several days to clear.",
        (("Rosa Delgado", "rosa@bellarosa-beauty.example", "+1 305 555 0182"),),
    ),
    CustomerSpec(
        "elena",
        "Elena Marquez",
        _D,
        Standing.QUALIFICATION_PENDING,
        None,
        "EUR",
        False,
        ("bottles of extra-virgin olive oil", "olive oil gift boxes"),
        "Orders 750 ml bottles of extra-virgin olive oil from the web shop about once a month. "
        "Prefers a short phone call to forms.",
        (("Elena Marquez", "elena.marquez@mail.example", "+34 91 555 0116"),),
    ),
    CustomerSpec(
        "zhang",
        "Zhang Hao",
        _D,
        Standing.PREFERRED,
        None,
        "EUR",
        False,
        ("lunch menus", "takeaway lunch boxes"),
        "Weekday lunch regular at the Canal Street restaurant. Likes the stir-fried beef with "
        "extra chili and a side of pickled long beans. Comes for a quick, good lunch in his "
        "break: keep service short and practical.",
        (("Zhang Hao", "zhang.hao@mail.example", "+49 40 555 0191"),),
    ),
    CustomerSpec(
        "green_fork",
        "Green Fork Catering",
        _D,
        Standing.PREFERRED,
        None,
        "EUR",
        True,
        ("compostable food boxes", "cans of chafing fuel", "napkin packs"),
        "Event caterer; orders peak from May to September. Values delivery the day before an "
        "event over the cheapest shipping.",
        (("Hannah Fischer", "hannah@greenfork.example", "+49 221 555 0128"),),
    ),
    CustomerSpec(
        "ostrava_print",
        "Ostrava Print & Pack s.r.o.",
        _D,
        Standing.QUALIFICATION_PENDING,
        None,
        "EUR",
        True,
        ("corrugated boxes", "rolls of packing tape", "bags of void fill"),
        "Packaging reseller. Orders full pallets and needs delivery notes that match the "
        "pallet labels.",
        (("Petr Dvořák", "petr.dvorak@ostrava-pp.example", "+420 59 555 0104"),),
    ),
    CustomerSpec(
        "cafe_amsel",
        "Café Amsel",
        _D,
        Standing.PREFERRED,
        None,
        "EUR",
        True,
        ("bags of coffee beans", "cake boxes", "paper cups"),
        "Neighbourhood café with one espresso machine. Likes to try a new single-origin coffee "
        "as a sample with an order.",
        (("Mareike Vogel", "mareike@cafe-amsel.example", "+49 40 555 0150"),),
    ),
    CustomerSpec(
        "harbourside",
        "Harbourside Dental Practice",
        _D,
        Standing.PREFERRED,
        None,
        "EUR",
        True,
        ("boxes of examination gloves", "disposable bibs", "cotton rolls"),
        "Two-chair practice; cannot take deliveries during surgery hours (09:00 to 13:00).",
        (("Niamh Kelly", "reception@harbourside-dental.example", "+353 21 555 0112"),),
    ),
    CustomerSpec(
        "yuki",
        "Yuki Tanaka",
        _D,
        Standing.QUALIFICATION_PENDING,
        None,
        "EUR",
        False,
        ("ceramic teapots", "tea cups", "matcha whisks"),
        "Buys tea ware as gifts; careful gift wrapping matters more to her than delivery speed.",
        (("Yuki Tanaka", "yuki.tanaka@mail.example", ""),),
    ),
    CustomerSpec(
        "maple_thread",
        "Maple & Thread Crafts",
        _D,
        Standing.PREFERRED,
        None,
        "USD",
        True,
        ("yarn bundles", "knitting needle sets", "project bags"),
        "Online craft store run by two people. Appreciates a spare skein from the same dye lot "
        "in the parcel.",
        (
            ("Abby Morrison", "abby@maplethread.example", "+1 802 555 0173"),
            ("Jo Morrison", "jo@maplethread.example", ""),
        ),
    ),
    CustomerSpec(
        "kowloon",
        "Kowloon Noodle Bar",
        _D,
        Standing.PREFERRED,
        None,
        "EUR",
        True,
        ("noodle bowls", "takeaway containers", "chopstick packs"),
        "Busy takeaway; orders by phone at 10:00 for delivery the same week. Keeps orders simple.",
        (("Wong Kar Ho", "kar.ho.wong@kowloon-noodle.example", "+31 20 555 0136"),),
    ),
    CustomerSpec(
        "sunbeam",
        "Sunbeam Daycare",
        _D,
        Standing.PREFERRED,
        None,
        "EUR",
        True,
        ("packs of craft paper", "washable paint sets", "nap mats"),
        "Two daycare centres; every product must carry the toy-safety mark. Deliveries only "
        "before 08:00 or after 16:00.",
        (("Marta Nowak", "office@sunbeam-daycare.example", "+48 22 555 0160"),),
    ),
    CustomerSpec(
        "fjord_fitness",
        "Fjord Fitness Studios",
        _D,
        Standing.PASSIVE_ELIMINATION,
        None,
        "EUR",
        True,
        ("yoga mats", "resistance bands", "towel sets"),
        "Three studios. Compares prices every quarter; a loyalty price on reorders matters "
        "to them.",
        (("Erik Solberg", "erik@fjordfitness.example", "+47 55 55 50 22"),),
    ),
    CustomerSpec(
        "olivia",
        "Olivia Brennan",
        _D,
        Standing.QUALIFICATION_PENDING,
        None,
        "EUR",
        False,
        ("linen bedding sets", "cushion covers"),
        "Orders home textiles online a few times a year; prefers refunds to the original card "
        "rather than vouchers.",
        (("Olivia Brennan", "olivia.brennan@mail.example", ""),),
    ),
    CustomerSpec(
        "marco",
        "Marco Bellini",
        _D,
        Standing.PREFERRED,
        None,
        "EUR",
        False,
        ("espresso cups", "moka pots"),
        "Collects Italian coffee ware; likes to hear about limited editions before they sell out.",
        (("Marco Bellini", "marco.bellini@mail.example", "+39 06 555 0181"),),
    ),
    CustomerSpec(
        "alder_finch",
        "Alder & Finch Bookshop",
        _D,
        Standing.PREFERRED,
        None,
        "EUR",
        True,
        ("rolls of gift wrap", "paper bags", "bookmarks"),
        "Independent bookshop; the Christmas season is 40% of its year, so November deliveries "
        "are critical.",
        (("Tobias Finch", "tobias@alderfinch.example", "+44 1223 555 014"),),
    ),
    CustomerSpec(
        "pixel_forge",
        "Pixel Forge Studio",
        _D,
        Standing.ACTIVE_ELIMINATION,
        None,
        "EUR",
        True,
        ("monitor arms", "desk lamps", "office chairs"),
        "Game studio of 25 people. Moved most office supplies to another vendor after two late "
        "deliveries; still buys furniture from us.",
        (("Noor Haddad", "noor@pixelforge.example", "+31 30 555 0193"),),
    ),
    CustomerSpec(
        "wang_fang",
        "Wang Fang",
        _D,
        Standing.QUALIFICATION_PENDING,
        None,
        "CNY",
        False,
        ("silk scarves", "gift boxes"),
        "Buys gifts through the Shanghai web shop; wants delivery notifications in Chinese.",
        (("Wang Fang", "wang.fang@mail.example", "+86 21 5555 0177"),),
    ),
    CustomerSpec(
        "tomasz",
        "Tomasz Kowalski",
        _D,
        Standing.PREFERRED,
        None,
        "EUR",
        False,
        ("cast-iron pans", "knife sharpeners"),
        "Home cook who buys kitchen tools; reads care instructions carefully and likes a "
        "printed guide in the box.",
        (("Tomasz Kowalski", "tomasz.kowalski@mail.example", "+48 12 555 0129"),),
    ),
    CustomerSpec(
        "priya",
        "Priya Raman",
        _D,
        Standing.QUALIFICATION_PENDING,
        None,
        "EUR",
        False,
        ("bamboo bath towels", "bath mats"),
        "First order in the web shop this year.",
        (("Priya Raman", "priya.raman@mail.example", ""),),
    ),
)


# More accounts, made from name lists: small businesses and consumers who complain now and
# then, and accounts that never complained (the outcome report compares the two).
_SMALL_BUSINESSES = (
    "Harbour Lane Bakery",
    "Copperleaf Florists",
    "Northgate Print Shop",
    "Tidewater Café",
    "Greenfield Garden Centre",
    "Linden Dental Practice",
    "Quayside Bike Repair",
    "Stonebridge Hardware",
    "Willow & Oak Interiors",
    "Riverside Pet Supplies",
    "Bramble Tea Rooms",
    "Saltmarsh Surf Shop",
    "Hilltop Veterinary Clinic",
    "Cobalt Coworking",
    "Larkspur Yoga Studio",
    "Ember Pizza Kitchen",
    "Orchard Lane Pharmacy",
    "Foxglove Stationers",
    "Seaview Guesthouse",
    "Juniper Hair Studio",
    "Marigold Nursery School",
    "Anchor Ship Chandlers",
    "Birchwood Dental Lab",
    "Crescent Moon Bistro",
    "Driftwood Gallery",
    "Evergreen Landscaping",
    "Falcon Courier Co-op",
    "Goldcrest Opticians",
    "Heron Point Marina",
    "Ironbark Joinery",
)
_KEY_ACCOUNTS = (
    "Altmark Logistics AG",
    "Verdant Office Parks",
    "Castell Hotels",
    "Nordlicht Pharmacies",
    "Pioneer Schools Trust",
    "Belmont Catering Group",
    "Rivera Retail S.L.",
    "Sakura Dining Group",
    "Atlas Property Services",
    "Oakridge Care Homes",
    "Helix Labs Ltd",
    "Granite Fitness Chain",
)
_FIRST_NAMES = (
    "Anna",
    "Ben",
    "Chloé",
    "David",
    "Elif",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jakub",
    "Kaja",
    "Luca",
    "Maya",
    "Nils",
    "Oona",
    "Pablo",
    "Rosa",
    "Sven",
    "Tara",
    "Yusuf",
)
_LAST_NAMES = (
    "Fischer",
    "Dubois",
    "García",
    "Jensen",
    "Kovač",
    "Larsen",
    "Moreno",
    "Novak",
    "Okoye",
    "Petrov",
    "Quinn",
    "Schmidt",
    "Takahashi",
    "Varga",
    "Walsh",
    "Berger",
)
_EXTRA_PREFERENCES = (
    "Orders online; likes a short note when a delivery is split.",
    "Prefers a call to an e-mail when something goes wrong.",
    "Asks for samples of new lines before ordering in quantity.",
    "Pays by invoice at 30 days; keeps orders small and regular.",
    "Likes to hear about seasonal offers a month ahead.",
    "",
)


def _slug(text: str) -> str:
    return (
        "".join(c for c in text.lower().replace("&", "and") if c.isalnum() or c == " ")
        .strip()
        .replace(" ", "-")
    )


def _extra_customers() -> tuple[tuple[CustomerSpec, ...], frozenset[str]]:
    """The generated accounts, and the keys of those that never complain."""
    rng = random.Random("demo-accounts")
    specs, quiet = [], set()
    for i, name in enumerate(_SMALL_BUSINESSES):
        slug = _slug(name)
        specs.append(
            CustomerSpec(
                f"sb_{slug}",
                name,
                _D,
                rng.choice((Standing.PREFERRED, Standing.QUALIFICATION_PENDING)),
                "manager" if i % 2 == 0 else None,
                "EUR",
                True,
                tuple(rng.sample(GENERIC_ITEMS, 3)),
                rng.choice(_EXTRA_PREFERENCES),
                (
                    (
                        f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
                        f"orders@{slug}.example",
                        "",
                    ),
                ),
            )
        )
        if i % 3 == 2:
            quiet.add(f"sb_{slug}")
    for i, name in enumerate(_KEY_ACCOUNTS):
        slug = _slug(name)
        specs.append(
            CustomerSpec(
                f"ka_{slug}",
                name,
                _K,
                rng.choice((Standing.PREFERRED, Standing.STRATEGIC)),
                rng.choice(("manager", "manager2")),
                "EUR",
                True,
                tuple(rng.sample(GENERIC_ITEMS, 3)),
                rng.choice(_EXTRA_PREFERENCES),
                (
                    (
                        f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}",
                        f"purchasing@{slug}.example",
                        "",
                    ),
                ),
            )
        )
        if i % 3:
            quiet.add(f"ka_{slug}")
    for i in range(32):
        first, last = _FIRST_NAMES[i % len(_FIRST_NAMES)], _LAST_NAMES[(i * 7) % len(_LAST_NAMES)]
        key = f"pc_{i}"
        specs.append(
            CustomerSpec(
                key,
                f"{first} {last}",
                _D,
                Standing.QUALIFICATION_PENDING,
                None,
                "EUR",
                False,
                tuple(rng.sample(GENERIC_ITEMS, 2)),
                rng.choice(_EXTRA_PREFERENCES),
                ((f"{first} {last}", f"{_slug(first)}.{_slug(last)}{i}@mail.example", ""),),
            )
        )
        if i % 3 == 2:
            quiet.add(key)
    return tuple(specs), frozenset(quiet)


@dataclass(frozen=True)
class Texts:
    """What customers and staff write about one category of complaint."""

    openings: tuple[tuple[str, str], ...]  # (subject, description)
    acks: tuple[str, ...]  # first public reply: apologise and make whole at once
    notes: tuple[str, ...]  # internal, factual, about what is being done
    resolutions: tuple[str, ...]  # closing public reply
    # What investigation finds: (root-cause code, internal finding, the sentence that
    # explains it to the customer). Empty for causes on the customer's side.
    causes: tuple[tuple[RootCause, str, str], ...] = ()


TEXTS: dict[str, Texts] = {
    "missing_short_shipment": Texts(
        openings=(
            (
                "Order {order}: {short} of {qty} {item} missing",
                "We unpacked order {order} this morning and counted {got} {item}, not the {qty} on "
                "the delivery note. The boxes were sealed. Please send the missing {short}.",
            ),
            (
                "Short delivery on {order}",
                "The delivery for {order} came in short: {got} {item} instead of {qty}. We need "
                "the rest before the end of the week.",
            ),
            (
                "Carton missing from delivery {order}",
                "The driver handed over one carton fewer than the delivery note lists. The missing "
                "carton should hold {short} {item}. Nobody mentioned a second delivery.",
            ),
            (
                "Parcel arrived with {item} missing",
                "My parcel for order {order} arrived today, but {short} of the {qty} {item} I "
                "ordered were not in it. The rest is fine.",
            ),
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
            (
                RootCause.PICKING_ERROR,
                "Warehouse check: the outgoing weight of {order} was below the expected weight, so "
                "the order was picked short.",
                "What went wrong: your order was picked short in our warehouse. Every parcel is "
                "now weighed against the order before it leaves.",
            ),
            (
                RootCause.STOCK_SHORTAGE,
                "Warehouse check: the {item} ran out while {order} was being packed, and the order "
                "left incomplete without a note to the customer.",
                "What went wrong: we ran out of stock while packing and sent your order "
                "incomplete without telling you. Incomplete orders now wait for your go-ahead.",
            ),
            (
                RootCause.COORDINATION_GAP,
                "The missing carton stayed at the depot: the driver loaded from an outdated "
                "loading list.",
                "What went wrong: one carton stayed at our depot because the driver's loading "
                "list was out of date. Loading lists are now printed at departure.",
            ),
        ),
    ),
    "damaged_defective": Texts(
        openings=(
            (
                "Damaged {item} in order {order}",
                "{short} of the {qty} {item} arrived damaged. The outer carton was crushed on one "
                "corner and the contents cannot be used.",
            ),
            (
                "{item_cap} faulty after a few days",
                "Some of the {item} from order {order} stopped working after a few days of normal "
                "use. We have set them aside.",
            ),
            (
                "Leaking goods in delivery {order}",
                "When we opened delivery {order}, {short} of the {item} were leaking and had "
                "soaked the rest of the carton.",
            ),
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
            (
                RootCause.PACKING_DAMAGE,
                "The pallet was wrapped without corner boards; the crushed corner matches.",
                "What went wrong: the pallet was wrapped without corner protection and the goods "
                "were crushed on the way. Corner boards are now checked before dispatch.",
            ),
            (
                RootCause.CARRIER_DAMAGE,
                "The carrier's scan shows an exception at the hub. Damage claim filed with the "
                "carrier; the customer is not involved in that.",
                "What went wrong: the carton was damaged in our carrier's hub. We have filed the "
                "claim with the carrier ourselves; there is nothing you need to do.",
            ),
            (
                RootCause.PRODUCT_DEFECT,
                "Quality check: the same batch was reported by one other customer this month. "
                "Batch put on hold in the warehouse.",
                "What went wrong: a fault in one production batch. We have stopped shipping that "
                "batch, and our quality team is going through it with the factory.",
            ),
        ),
    ),
    "wrong_item": Texts(
        openings=(
            (
                "Wrong {item} delivered for {order}",
                "We received the wrong goods for order {order}: the labels say {item}, but the "
                "style and size do not match what we ordered.",
            ),
            (
                "Received another customer's order",
                "The parcel addressed to us contains goods we never ordered, with someone else's "
                "delivery note inside. Our own {item} are missing.",
            ),
            (
                "Wrong colour of {item}",
                "Order {order} arrived with {item} in the wrong colour. We need the colour on our "
                "order confirmation.",
            ),
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
            "Replacement picked by a second colleague and checked against the order confirmation.",
        ),
        resolutions=(
            "The correct {item} were delivered and our courier collected the wrong ones at the "
            "same time. Sorry for the extra work this caused you.",
            "Delivery of the right {item} is confirmed. We added a credit for the inconvenience "
            "to your next invoice.",
        ),
        causes=(
            (
                RootCause.PICKING_ERROR,
                "Picking error: two neighbouring bin locations hold similar items. The warehouse "
                "is relabelling the bins.",
                "What went wrong: two similar items sit in neighbouring bins in our warehouse and "
                "the wrong one was picked. The bins have been relabelled.",
            ),
            (
                RootCause.SYSTEM_ERROR,
                "Order entry: after the catalogue update the old variant code pointed to another "
                "colour.",
                "What went wrong: a catalogue update sent an outdated item code to our warehouse. "
                "The codes have been corrected.",
            ),
        ),
    ),
    "late_delivery": Texts(
        openings=(
            (
                "Order {order} is {days} days late",
                "Order {order} was confirmed for delivery {days} days ago and has still not "
                "arrived. We planned our week around it.",
            ),
            (
                "Delivery missed the agreed time slot",
                "We agreed a delivery window for order {order} and kept staff waiting for it, but "
                "nobody came and nobody called.",
            ),
            (
                "No tracking update for {days} days",
                "The tracking for order {order} has not changed for {days} days. Please tell us "
                "where our {item} are.",
            ),
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
            "Delivery confirmed, and the shipping cost is refunded. Thank you for bearing with us.",
        ),
        causes=(
            (
                RootCause.CARRIER_DELAY,
                "Carrier confirmed a sorting backlog at the regional hub.",
                "What went wrong: the parcel was caught in a backlog at our carrier's regional "
                "hub. We now switch carriers as soon as a hub reports a backlog.",
            ),
            (
                RootCause.STOCK_SHORTAGE,
                "Stock: {order} was confirmed against stock already promised to another order.",
                "What went wrong: we confirmed your order against stock that was already promised "
                "elsewhere. Order confirmations now reserve the stock.",
            ),
            (
                RootCause.COORDINATION_GAP,
                "The delivery slot was agreed by phone but never entered for the driver.",
                "What went wrong: the delivery slot we agreed with you was not passed on to the "
                "driver. Agreed slots now go straight into the driver's route.",
            ),
        ),
    ),
    "billing_payment": Texts(
        openings=(
            (
                "Invoice {inv} charged twice",
                "Our bank statement shows two debits of {amount} for invoice {inv}. Please refund "
                "the second one.",
            ),
            (
                "Wrong price on invoice {inv}",
                "Invoice {inv} uses the list price for the {item}, not the price in our "
                "agreement. The difference is {amount}.",
            ),
            (
                "Refund for order {order} not received",
                "We returned the {item} from order {order} weeks ago and were told the refund of "
                "{amount} was on its way, but nothing has arrived.",
            ),
            (
                "Paid invoice marked as overdue",
                "We paid invoice {inv} on time by bank transfer, but we have received a payment "
                "reminder with a late fee.",
            ),
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
            (
                RootCause.BILLING_ERROR,
                "Finance: the contract price was not copied to the new price list on 1 January. "
                "Correcting all open invoices of this customer.",
                "What went wrong: your contract price was not carried over to our new price list. "
                "All your open invoices have been corrected.",
            ),
            (
                RootCause.SYSTEM_ERROR,
                "Duplicate debit caused by a retry in the payment gateway after a timeout. "
                "Finance is checking for other affected customers.",
                "What went wrong: our payment system retried a payment after a timeout and "
                "charged it twice. The retry has been fixed.",
            ),
            (
                RootCause.COMMERCIAL_TERMS,
                "The late fee came from payment terms that no longer apply to this account.",
                "What went wrong: a late fee from payment terms that no longer apply to you was "
                "added. Your account now carries the current terms.",
            ),
        ),
    ),
    "service_attitude": Texts(
        openings=(
            (
                "Unfriendly answer on the phone",
                "When I called about order {order}, the person on the phone interrupted me twice "
                "and told me it was my own problem. I expected to be helped.",
            ),
            (
                "Nobody called back as promised",
                "I was promised a call back within a day about my order. That was {days} days ago "
                "and nobody has called.",
            ),
            (
                "Delivery driver was impolite",
                "Your driver refused to carry the {item} past the door and was short with our "
                "staff when they asked for help.",
            ),
            (
                "Long wait at the collection counter",
                "I waited over half an hour at your collection counter while the staff talked "
                "among themselves.",
            ),
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
            (
                RootCause.STAFF_CONDUCT,
                "Listened to the call recording: the customer was interrupted and not offered a "
                "solution. Feedback given in the team meeting; coaching session booked.",
                "What went wrong: you were not listened to as you should have been. We have gone "
                "through the conversation with the team.",
            ),
            (
                RootCause.COORDINATION_GAP,
                "The promised call-back was never entered in the queue, so nobody picked it up.",
                "What went wrong: the call-back promised to you never reached our queue. "
                "Call-backs are now tracked as tasks.",
            ),
        ),
    ),
    "solution_failure": Texts(
        openings=(
            (
                "Rollout phase {phase} behind schedule",
                "Phase {phase} of the rollout was due last week. {short} of the sites are still "
                "not live and our operations team is waiting.",
            ),
            (
                "Installed system does not meet the agreed specification",
                "The system you installed does not reach the throughput agreed in the "
                "specification. Our staff are working around it by hand.",
            ),
            (
                "Interface keeps failing after go-live",
                "Since go-live the interface to our warehouse system fails several times a day "
                "and orders have to be entered twice.",
            ),
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
            (
                RootCause.SOLUTION_DESIGN,
                "Cause: the interface was designed for half their peak order volume. Revised "
                "design in test.",
                "What went wrong: our interface was not designed for your peak order volume. The "
                "revised design is in test at three times that volume.",
            ),
            (
                RootCause.PRODUCT_DEFECT,
                "Cause: a firmware fault on the installed units; a fixed build is in test.",
                "What went wrong: a firmware fault in the units we installed. The fixed firmware "
                "is being rolled out site by site.",
            ),
            (
                RootCause.COORDINATION_GAP,
                "Cause: the site survey results never reached the installation team.",
                "What went wrong: the results of the site survey did not reach our installation "
                "team. Survey results now go to the installers before any planning.",
            ),
        ),
    ),
    "other": Texts(
        openings=(
            (
                "Question about the warranty on {item}",
                "How long does the warranty on the {item} run, and what does it cover? The leaflet "
                "in the box is not clear.",
            ),
            (
                "Too much plastic in the packaging",
                "Our last delivery of {item} came with a lot of plastic filler. Can you ship with "
                "paper filling instead?",
            ),
            (
                "Delivery documents missing",
                "The delivery for order {order} came without a delivery note, so our accounts team "
                "cannot book it.",
            ),
            (
                "Online shop forgets the delivery address",
                "The new checkout forgets our delivery address and we have to enter it again for "
                "every order.",
            ),
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
            (
                RootCause.SYSTEM_ERROR,
                "Reproduced: a recent web shop release caused it. Passed to the e-commerce team "
                "with the steps to reproduce.",
                "What went wrong: a recent update to our web shop caused this. The fix is live.",
            ),
            (
                RootCause.COORDINATION_GAP,
                "The request fell between two teams; nobody owned it.",
                "What went wrong: your request fell between two of our teams. It now has one "
                "owner.",
            ),
            (
                RootCause.OTHER,
                "No single fault found; the information was hard to find. Documented for the team.",
                "Nothing broke on our side, but the information you needed was hard to find. It "
                "is now in the product information.",
            ),
        ),
    ),
}

# Complaints whose cause lies inside the customer's own organisation (seed 002): the
# advisory playbook. (category slug, subject, description).
THEIRS_OPENINGS: tuple[tuple[str, str, str], ...] = (
    (
        "late_delivery",
        "We now need order {order} two weeks earlier",
        "Our management has moved the opening of our new site forward by two weeks. I need all "
        "of order {order} before then, and I have to report back to them today with a plan.",
    ),
    (
        "solution_failure",
        "Our team cannot keep up with the rollout",
        "Our leadership has shortened the schedule for phase {phase}, and my team cannot test "
        "the {item} as fast as they arrive. Every delay now lands on my desk.",
    ),
    (
        "billing_payment",
        "Budget frozen: second instalment cannot be paid on time",
        "Our finance department froze all budgets this quarter, so the second instalment for "
        "order {order} cannot be paid on the agreed date. I am under a lot of pressure to sort "
        "this out.",
    ),
    (
        "other",
        "New purchasing rules: every document again by Friday",
        "Our new purchasing director wants every supplier document resubmitted in a new format "
        "by Friday, including the certificates for the {item}. We are three people for 200 "
        "suppliers.",
    ),
)
THEIRS = Texts(
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
THEIRS_CHECKS = (
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


def cause_side(code: RootCause) -> CauseSide:
    return _CAUSE_SIDE.get(code, CauseSide.OURS_COORDINATION)


# Crisis openings: (category slug, subject, description).
CRISIS_OPENINGS: tuple[tuple[str, str, str], ...] = (
    (
        "late_delivery",
        "Urgent: {short} stores without stock for the promotion",
        "The {item} for our promotion did not arrive. {short} stores have empty shelves from "
        "tomorrow morning and the promotion is advertised nationally.",
    ),
    (
        "damaged_defective",
        "Safety concern with {item}",
        "Two of our staff reported that the {item} get very hot in use. We have stopped using "
        "them and need an answer today.",
    ),
    (
        "wrong_item",
        "Production stopped: wrong goods delivered",
        "Our line has stopped because the {item} delivered today do not match the specification. "
        "Every hour costs us.",
    ),
    (
        "solution_failure",
        "Escalation from our management board",
        "Our management has asked me to escalate: the problems with order {order} have now cost "
        "us a customer of our own. We need a recovery plan this week.",
    ),
    (
        "missing_short_shipment",
        "Half of order {order} missing before our opening",
        "Only {got} of {qty} {item} arrived, and our new site opens on Monday. Without the rest "
        "we cannot open.",
    ),
)

QUESTIONS = (
    "We can send the replacement today. Should it go to the delivery address on the order, or "
    "somewhere else?",
    "So we get this right: would you prefer a replacement or a refund? Either is fine with us.",
    "Could you tell us a time tomorrow that suits you for a short call? We would like to agree "
    "the next steps with you.",
)
ANSWERS = (
    "Same address, please. Receiving is open until 17:00.",
    "A replacement, please.",
    "Tomorrow at 10:00 works for us.",
    "Please send it to our second site; the address is on our account.",
)
CHASERS = (
    "Is there any news on this? We need it sorted this week.",
    "Just checking where this stands.",
    "We still have not heard anything. Please let us know what is happening.",
)
CONFIRM_QUESTIONS = (
    "The replacement was delivered this morning. Could you confirm that everything is in "
    "order now?",
    "Everything should be sorted now. Could you check and let us know?",
)
THANKS = (
    "Received, thank you for sorting this so quickly.",
    "All fine now. Thanks for your help.",
    "Thank you, that was handled well.",
)
REOPENS = (
    "Sorry, this is not solved yet: the replacement has the same problem.",
    "The delivery you confirmed has not actually reached us.",
)
REOPEN_FIXES = (
    "Sorry that it was not right the first time. A second delivery goes out by express today, "
    "checked by a colleague before it leaves.",
    "You are right, and I'm sorry. I have booked a courier for today and will call you when "
    "it is delivered.",
)
MANAGER_NOTES = (
    "Account manager: {customer} is one of my {tier} accounts. I will call their buyer once "
    "this is fixed to check that the recovery landed.",
    "Account manager: please copy me on the final reply; this account is reviewing its "
    "suppliers this quarter.",
)
LEAD_CRISIS_NOTES = (
    "Crisis on a {tier} account: I am following every update. First response within the hour, "
    "then a status to the customer twice a day until it is fixed.",
    "Lead: make-whole plus goodwill above the agent limit approved. Do not ask the customer "
    "for further proof.",
)
RAISE_NOTES = (
    "Raising the severity: the customer's own customers are affected.",
    "Raising the severity: the customer reports a loss larger than the order value.",
)

# Customers who appear only in their hand-written story.
STORY_ONLY = frozenset({"zhang", "priya"})

TEAM_FOR_CATEGORY = {
    "missing_short_shipment": "logistics",
    "damaged_defective": "logistics",
    "wrong_item": "logistics",
    "late_delivery": "logistics",
    "billing_payment": "billing",
    "service_attitude": "front",
    "solution_failure": "key",
    "other": "front",
}
CATEGORY_WEIGHTS = {
    "missing_short_shipment": 18,
    "damaged_defective": 16,
    "wrong_item": 10,
    "late_delivery": 20,
    "billing_payment": 14,
    "service_attitude": 9,
    "solution_failure": 5,
    "other": 8,
}
BUSINESS_CHANNELS = (
    (Channel.EMAIL, 40),
    (Channel.PHONE, 30),
    (Channel.WEB, 14),
    (Channel.CHAT, 5),
    (Channel.WALK_IN, 3),
    (Channel.API, 5),
    (Channel.SOCIAL, 3),
)
CONSUMER_CHANNELS = (
    (Channel.WEB, 45),
    (Channel.EMAIL, 18),
    (Channel.PHONE, 14),
    (Channel.CHAT, 12),
    (Channel.SOCIAL, 7),
    (Channel.WALK_IN, 4),
)
SEVERITY_ORDER = (Severity.P4, Severity.P3, Severity.P2, Severity.P1)
GENERIC_ITEMS = (
    "cartons of goods",
    "replacement parts",
    "boxes of supplies",
    "gift sets",
    "kitchen tools",
    "packaging materials",
    "office chairs",
    "textile sets",
)
EXTRA_CUSTOMERS, QUIET = _extra_customers()


def fill(text: str, values: dict) -> str:
    return text.format(**values)


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
