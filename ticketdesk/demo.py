"""Demo data: a realistic, deterministic data set for trying TicketDesk, and a bulk generator.

``load_demo`` fills an empty database with teams, staff, about thirty customers and about two
hundred complaints with full timelines, written after the cases in ``DOMAIN.md`` (the 20-of-22
cosmetic bags, the missing olive oil bottle called back within the hour, the lunch regular who
likes extra chili, the strategic client angry mid-project ...). The same seed gives the same data.

``generate_bulk`` appends many more tickets with short timelines for benchmarks. It uses Core
bulk inserts with precomputed ticket ids and commits per batch; it is a CLI loader, not a user
action, so it does not run as one unit of work.
"""

import base64
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from ticketdesk.extensions import db
from ticketdesk.models import (
    Category,
    Channel,
    Contact,
    Counter,
    Customer,
    CustomerTier,
    EventKind,
    Role,
    Severity,
    Standing,
    Team,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
    User,
    team_members,
)
from ticketdesk.services import categories, counters
from ticketdesk.services import tickets as ticket_service
from ticketdesk.services.uow import unit_of_work

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


@dataclass(frozen=True)
class _Texts:
    """What customers and staff write about one category of complaint."""

    openings: tuple[tuple[str, str], ...]  # (subject, description)
    acks: tuple[str, ...]  # first public reply: make whole at once
    notes: tuple[str, ...]  # internal, factual
    resolutions: tuple[str, ...]  # closing public reply


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
            "Warehouse check: the outgoing weight of {order} was below the expected weight, so "
            "the order was most likely picked short. Reship approved; no proof requested "
            "(small claim).",
            "Reship booked with the express carrier. Goodwill: one extra unit added to the "
            "parcel as a thank-you for reporting it.",
        ),
        resolutions=(
            "The missing {item} were delivered this morning. We added a small extra to the "
            "parcel as a thank-you for your patience. If anything is still not right, simply "
            "reply here.",
            "Tracking shows the replacement was delivered and signed for. Thank you for telling "
            "us so quickly; it helped us find a gap in our packing check.",
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
             "When we opened delivery {order}, {short} of the {item} were leaking and had soaked "
             "the rest of the carton."),
        ),
        acks=(
            "I'm sorry the goods arrived like this. Replacements for the damaged {item} go out "
            "today. Please do not send the broken ones back; just dispose of them.",
            "Thank you for telling us straight away. We are replacing the faulty {item} now and "
            "have asked quality control to check the rest of the batch.",
        ),
        notes=(
            "Quality check: the same batch was reported by one other customer this month. "
            "Batch put on hold in the warehouse.",
            "Carrier damage claim filed separately; the customer is not involved in that.",
        ),
        resolutions=(
            "The replacement {item} have been delivered, and we credited the handling time to "
            "your account. Sorry again for the trouble.",
            "Replacements delivered and checked by our driver on arrival. Quality control "
            "found a packing fault on that line and it has been fixed.",
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
            "Thank you for letting us know. The right {item} are on their way by express, and "
            "you can keep the wrong ones until our courier collects them.",
        ),
        notes=(
            "Picking error: two neighbouring bin locations hold similar items. The warehouse is "
            "relabelling the bins.",
            "Collection of the wrong goods booked for the same visit as the replacement.",
        ),
        resolutions=(
            "The correct {item} were delivered and our courier collected the wrong ones at the "
            "same time. Sorry for the extra work this caused you.",
            "Delivery of the right {item} is confirmed. We added a credit for the inconvenience "
            "to your next invoice.",
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
            "I'm sorry for the delay. I checked with the carrier: the shipment is stuck at "
            "their hub. We have booked an express delivery for tomorrow morning at our cost, "
            "and I will confirm once it is on the van.",
            "Sorry that we let you down on timing. A new shipment of the {item} goes out today "
            "by express, so you do not have to wait for the delayed one.",
        ),
        notes=(
            "Carrier confirmed a sorting backlog at the regional hub. Express reship booked; "
            "the original parcel will be refused and returned to us.",
            "The customer's planning depends on this delivery. Asked logistics to call them "
            "with the exact delivery time.",
        ),
        resolutions=(
            "The {item} were delivered this morning, and we have refunded the shipping cost "
            "for this order. Thank you for your patience.",
            "Delivery confirmed. Because of the recent delays we have also changed the carrier "
            "for your region.",
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
            "Thank you for pointing this out. I have corrected the invoice and cancelled the "
            "reminder fee; the corrected copy is in your account.",
        ),
        notes=(
            "Duplicate debit caused by a retry in the payment gateway after a timeout. Finance "
            "is checking for other affected customers.",
            "The contract price was not copied to the new price list on 1 January. Finance is "
            "correcting all open invoices of this customer.",
        ),
        resolutions=(
            "The refund of {amount} has been sent. Sorry for the trouble; we have also fixed "
            "the cause so it does not happen again.",
            "The corrected invoice is in your account and the reminder has been withdrawn. "
            "Thank you for your patience.",
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
            "Listened to the call recording: the customer was interrupted and not offered a "
            "solution. Feedback given in the team meeting; coaching session booked.",
            "The promised call-back was never entered in the queue, so nobody picked it up. "
            "Call-backs now go into the queue as tasks.",
        ),
        resolutions=(
            "Thank you again for the feedback. Your order has been handled and we have added "
            "a small thank-you to your next delivery.",
            "We went through what happened with the team and changed how call-backs are "
            "tracked. Your order is sorted; reply here if anything else comes up.",
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
            "We own this. Our project lead will be on site tomorrow morning, and until it is "
            "fixed you will get a short written status from us at 17:00 every day.",
            "Thank you for raising this directly. Two engineers are on it full time and you "
            "will have a recovery plan with dates by tomorrow noon.",
        ),
        notes=(
            "Cause sorting: the interface fault is ours and we act on it now. The shortened "
            "internal deadline on their side is theirs: advise, do not take it over.",
            "Account manager informed; every update on this goes to the lead and the account "
            "manager as well.",
        ),
        resolutions=(
            "All sites have been live and stable for five working days. The root-cause report "
            "and the credit for the delay are attached. Thank you for staying with us.",
            "The fix has run in production for a week without failures. We will review the "
            "project with you at the next monthly meeting.",
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
            "Thank you for asking. I will get you a clear answer today.",
            "Thanks for the feedback. I have passed it to the team responsible and will come "
            "back to you with what changes.",
        ),
        notes=(
            "Passed to the e-commerce team with the steps to reproduce.",
            "Logistics confirmed that paper filling can be the default for this account.",
        ),
        resolutions=(
            "Here is the answer: the warranty runs two years and covers material and "
            "manufacturing faults. The documents you asked for are attached.",
            "The change is in place from your next order. Thank you for helping us improve.",
        ),
    ),
}

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


# ============================================================================ timeline

@dataclass
class _Step:
    """One thing that happens on a ticket, ``hours`` after it was created."""

    hours: float
    op: str  # assign | reply | note | customer | status | field
    actor: User | None = None
    body: str = ""
    team: Team | None = None
    assignee: User | None = None
    status: TicketStatus | None = None
    field: str | None = None
    value: object = None


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
    steps: list[_Step] = field(default_factory=list)


class _Timeline:
    """Applies steps to a new ticket the way the ticket service would, with given times."""

    def __init__(self, ticket: Ticket, created_at: datetime):
        self.ticket = ticket
        self.team: Team | None = None
        self.assignee: User | None = None
        self.events = 0
        self.last_change = created_at

    def event(self, kind: EventKind, at: datetime, actor: User | None, *, body: str = "",
              field: str | None = None, old: str | None = None, new: str | None = None,
              by_customer: bool = False) -> None:
        db.session.add(TicketEvent(
            ticket=self.ticket, kind=kind, actor_id=actor.id if actor else None,
            by_customer=by_customer, body=body, field=field, old_value=old, new_value=new,
            created_at=at))
        self.events += 1

    def touch(self, at: datetime) -> None:
        self.ticket.last_activity_at = at
        self.last_change = at

    def set_status(self, target: TicketStatus, at: datetime, actor: User | None, *,
                   by_customer: bool = False) -> None:
        """Move the ticket by the desk's own status rules (timestamps, reopen count, event)."""
        if target is self.ticket.status:
            return
        ticket_service._set_status(self.ticket, target, actor=actor, now=at,
                                   by_customer=by_customer)
        self.events += 1
        self.last_change = at

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
            self.event(EventKind.PUBLIC_REPLY, at, step.actor, body=step.body)
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
        else:  # pragma: no cover - programming error
            raise ValueError(step.op)


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
    items, weights = zip(*pairs)
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
        db.session.flush()
        cats = {c.slug: c for c in db.session.scalars(sa.select(Category))}
        teams = _demo_teams(now)
        staff = _demo_staff(teams, now)
        customers = _demo_customers(rng, staff, now)
        db.session.flush()  # ids for the tickets and events below
        drafts = _story_drafts(now, staff, teams, customers)
        drafts += _generic_drafts(rng, now, DEMO_TICKETS - len(drafts), staff, teams, customers)
        drafts.sort(key=lambda d: d.created_at)
        tickets, events = [], 0
        for number, draft in enumerate(drafts, start=1):
            ticket, n_events = _build_ticket(rng, draft, number, cats, now)
            tickets.append(ticket)
            events += n_events
        counters.advance_ticket_counter(len(drafts))
        summary = _summary(teams, staff, customers, tickets, events, len(cats))
    return summary


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
    for spec in _CUSTOMERS:
        created = now - timedelta(days=rng.randint(90, 900), minutes=rng.randint(0, 1439))
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
                  now: datetime) -> tuple[Ticket, int]:
    t0 = draft.created_at
    ticket = Ticket(
        reference=counters.format_reference(number), customer=draft.customer,
        contact=draft.contact, subject=draft.subject[:200], description=draft.description,
        channel=draft.channel, kind=draft.kind, category=cats[draft.category],
        severity=draft.severity, order_reference=draft.order_reference[:64],
        currency=draft.currency, order_value=draft.order_value,
        claimed_loss=draft.claimed_loss, status=TicketStatus.NEW, team_id=None,
        assignee_id=None, created_by_id=draft.creator.id if draft.creator else None,
        public_token=_token(rng), first_response_at=None, resolved_at=None, closed_at=None,
        reopen_count=0, created_at=t0, updated_at=t0, last_activity_at=t0)
    db.session.add(ticket)
    timeline = _Timeline(ticket, t0)
    by_customer = draft.creator is None
    timeline.event(EventKind.CREATED, t0, draft.creator, body=draft.description,
                   new=draft.channel.value, by_customer=by_customer)
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
    return ticket, timeline.events


def _summary(teams, staff, customers, tickets: list[Ticket], events: int, n_cats: int) -> str:
    n_contacts = sum(len(spec.contacts) for _, spec in customers.values())
    by_status = {s: 0 for s in TicketStatus}
    for ticket in tickets:
        by_status[ticket.status] += 1
    crises = sum(1 for t in tickets if t.kind is TicketKind.CRISIS)
    statuses = ", ".join(f"{n} {s.value.replace('_', ' ')}" for s, n in by_status.items())
    return "\n".join([
        "Demo data loaded:",
        f"  {len(teams)} teams, {len(staff)} staff users, {n_cats} categories",
        f"  {len(customers)} customers with {n_contacts} contacts",
        f"  {len(tickets)} tickets ({crises} crises) with {events} timeline events",
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
                  ST(80, R, s["agent3"], "Tracking shows the parcel with the four bags was "
                     "delivered this morning. If anything is missing, just reply here.",
                     status=TicketStatus.RESOLVED),
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
                  ST(0.7, R, s["agent"], "Thank you for letting us know, and there is no need "
                     "to apologise for the timing. Sorry for the trouble: as we said on the "
                     "phone, a new bottle leaves our warehouse tomorrow morning and there is "
                     "nothing you need to send us. The tracking link follows by e-mail."),
                  ST(62, R, s["agent"], "The replacement bottle was delivered this morning. "
                     "Enjoy it, and thank you for telling us.", status=TicketStatus.RESOLVED),
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
                  ST(1, R, s["agent2"], "Thank you for telling us directly, Mr Zhang. From "
                     "your next visit we will keep it quick: your usual beef with extra chili, "
                     "and a side of pickled long beans on us. Sorry that we held you up."),
                  ST(26, N, s["lead"], "Goodwill that fits what he buys: the side dish, not a "
                     "voucher or a chat. The kitchen has the extra chili on his regular order."),
                  ST(72, C, s["agent2"], "Came for lunch today: quick, extra chili, and the "
                     "beans were a nice touch. Thank you."),
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
                  ST(0.6, R, s["lead"], "Mr Weber, thank you for calling us straight away. We "
                     "own this. Two of our engineers will be at your Leipzig site tomorrow at "
                     "08:00, and until it is fixed you will get a short written status from me "
                     "every day at 17:00."),
                  ST(2, N, s["manager2"], "Cause sorting after the call. Ours: scanner firmware "
                     "4.2 drops the Wi-Fi session when roaming between access points; the build "
                     "passed our lab test, so the gap is in our test plan. We act on that now. "
                     "Theirs: their CIO moved the go-live three weeks forward for a board "
                     "deadline. We advise on the plan; we do not argue with their deadline."),
                  ST(20, R, s["lead"], "Status, day 1: the fault is in our scanner firmware "
                     "(roaming between Wi-Fi access points). A fixed build is in test, and "
                     "Leipzig gets it first tomorrow morning. The sites stay on the paper "
                     "fallback until then."),
                  ST(26, C, s["lead"], "Mr Weber on the phone: the board meets on Friday and he "
                     "needs a date he can give them, not a status."),
                  ST(26.2, F, s["lead"], field="claimed_loss", value=Decimal("31500.00")),
                  ST(44, R, s["lead"], "Status, day 2: the fixed firmware has run at Leipzig "
                     "and Halle without a drop since 06:00. The date for your board: all 16 "
                     "sites on the fixed build by Wednesday. We will cover the extra picking "
                     "staff for the affected days."),
                  ST(46, N, s["manager2"], "Standing at risk: Kestrel may move us from "
                     "strategic to preferred after this. Plan: on-site review with Jonas and "
                     "his CIO once the fix is stable, and a joint test plan for phase 3."),
                  ST(70, N, s["agent2"], "Firmware rolled out to 9 of 16 sites; no drops "
                     "reported so far."),
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
                  ST(0.5, F, s["lead"], field="kind", value=TicketKind.CRISIS),
                  ST(0.5, F, s["lead"], field="severity", value=Severity.P1),
                  ST(0.5, A, s["lead"], team=t["key"], assignee=s["lead"]),
                  ST(0.8, R, s["lead"], "Ms Gallagher, I'm sorry: we let your promotion down. "
                     "The trailer was held at the port. We are sending 19 pallets from our own "
                     "stock tonight on two dedicated trucks, so every store has stock by 07:00 "
                     "tomorrow. I will call you at 18:00 with the truck details."),
                  ST(1.5, N, s["manager"], "Account manager: offering our merchandising team to "
                     "rebuild the displays in the 10 largest stores on Friday at our cost. They "
                     "value help in store over discounts (see preferences)."),
                  ST(14, R, s["lead"], "Both trucks left at 22:00 and are on schedule. Our "
                     "merchandising team will be in your 10 largest stores tomorrow to rebuild "
                     "the displays with your staff."),
                  ST(30, C, None, "The stock arrived in all stores before opening. Thank you "
                     "for the trucks and the help in the stores."),
                  ST(32, N, s["manager"], "Agreed with Bluewater: credit note for the four lost "
                     "promotion days (18,400.00 EUR, approved by the lead). Follow up in two "
                     "weeks to see whether they book us for the next promotion."),
                  ST(33, R, s["lead"], "Thank you, Ms Gallagher. The credit note for the lost "
                     "promotion days is in your account, and your promotion stock now waits in "
                     "a bonded warehouse so it cannot be held at the port again.",
                     status=TicketStatus.RESOLVED),
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
                  ST(1.5, N, s["agent2"], "Picking error: both ranges ship in the same carton "
                     "and only the label differs. The warehouse now marks the eco range with "
                     "green tape."),
                  ST(40, R, s["agent2"], "All three deliveries were signed for this morning. "
                     "We added a sample box of the new eco spa line for each housekeeping "
                     "manager.", status=TicketStatus.RESOLVED),
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
                  ST(0.5, R, s["lead"], "Mr Liu, thank you for the detailed inspection report. "
                     "We have stopped every shipment from this batch. A replacement batch from "
                     "our second factory can reach you in five days, and you will get an 8D "
                     "report in English and Chinese."),
                  ST(1, N, s["manager"], "Standing changed by the customer: strategic to "
                     "qualification pending after this batch. The next two deliveries decide "
                     "whether we stay on their list."),
                  ST(4, N, s["lead"], "The cause is ours: a capacitor from a new sub-supplier. "
                     "Sub-supplier blocked."),
                  ST(120, R, s["lead"], "The replacement batch passed our own full-load "
                     "inspection and was delivered today. The 8D report is attached. The "
                     "rejected batch is collected at our cost.",
                     status=TicketStatus.PENDING_CUSTOMER),
                  ST(150, C, None, "Our incoming inspection accepted the new batch. We will "
                     "review the 8D report with our quality team."),
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
                  ST(2, N, s["agent3"], "Contract prices for Halvorsen were not carried over "
                     "to the new price list. Finance is checking the invoices of all nine "
                     "clinics since 1 January."),
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
                  ST(0.7, N, s["agent"], "The pallet was wrapped without corner boards. "
                     "Reported to the warehouse lead."),
                  ST(20, C, None, "Thank you. Could you also check the marinated olives? One "
                     "jar lid was loose."),
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
                  ST(3, R, s["agent3"], "Thank you for telling us, Ms Doyle. Your payment "
                     "arrived on time; we booked it to the wrong account. The reminder and the "
                     "late fee are cancelled, and a corrected statement is attached.",
                     status=TicketStatus.RESOLVED),
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
                  ST(5, R, s["agent"], "Sorry for the wait, Mr Walsh. The report for the last "
                     "quarter is attached; it shows two buildings where a concentrate would "
                     "save about 15% on cleaner. From now on it is sent on the fifth working "
                     "day of each quarter.", status=TicketStatus.RESOLVED),
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
                    customers: dict[str, tuple[Customer, _CustomerSpec]]) -> list[_Draft]:
    tier_weight = {CustomerTier.STRATEGIC: 12, CustomerTier.KEY: 8, CustomerTier.STANDARD: 4}
    pool = [(pair, tier_weight[pair[1].tier] if pair[1].business else 2)
            for key, pair in customers.items() if key not in _STORY_ONLY]
    workers = {key: [u for u in team.members if u.works_tickets] for key, team in teams.items()}
    front = workers["front"]
    drafts = []
    for _ in range(count):
        customer, spec = _weighted(rng, pool)
        drafts.append(_generic_draft(rng, now, customer, spec, staff, teams, workers, front))
    return drafts


def _generic_draft(rng, now, customer, spec, staff, teams, workers, front) -> _Draft:
    crisis_rate = {CustomerTier.STRATEGIC: 0.15, CustomerTier.KEY: 0.06,
                   CustomerTier.STANDARD: 0.01}[spec.tier]
    kind = TicketKind.CRISIS if rng.random() < crisis_rate else TicketKind.COMPLAINT
    channel = _weighted(rng, _BUSINESS_CHANNELS if spec.business else _CONSUMER_CHANNELS)
    age_days = DEMO_DAYS * rng.random() ** 1.2
    t0 = now - timedelta(days=age_days)
    t0 = t0.replace(second=0, microsecond=0)
    if channel in (Channel.PHONE, Channel.WALK_IN):
        t0 = _staff_hour(rng, t0, now)
    t0 = min(t0, now - timedelta(minutes=12))
    age_hours = (now - t0).total_seconds() / 3600
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

    if kind is TicketKind.CRISIS:
        category, subject_t, description_t = rng.choice(_CRISIS_OPENINGS)
    else:
        category = _weighted(rng, _CATEGORY_WEIGHTS.items())
        if category == "solution_failure" and spec.tier is CustomerTier.STANDARD:
            category = "late_delivery"
        subject_t, description_t = rng.choice(_TEXTS[category].openings)
    claimed = (value * Decimal(rng.randint(5, 60)) / 100).quantize(Decimal("0.01"))
    if category in ("service_attitude", "other") and rng.random() < 0.7:
        claimed = None
    values = {
        "order": order, "item": item, "item_cap": item[:1].upper() + item[1:], "qty": qty,
        "short": short, "got": qty - short, "days": rng.randint(2, 9),
        "inv": f"INV-{t0.year}-{rng.randint(100, 9999):05d}", "phase": rng.randint(2, 3),
        "amount": _amount(claimed or value, spec.currency), "customer": spec.name,
        "tier": spec.tier.value,
    }
    texts = _TEXTS[category]
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
        severity=severity, raise_step=raise_step)
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
        claimed_loss=claimed, steps=steps)


def _generic_steps(rng, *, status, crisis, channel, creator, team, assignee, lead, manager,
                   texts: _Texts, values: dict, severity, raise_step) -> list[_Step]:
    steps: list[_Step] = []
    h = 0.0
    via_link = channel is Channel.WEB

    def add(op: str, actor=None, body: str = "", **kwargs) -> None:
        steps.append(_Step(h, op, actor, body, **kwargs))

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

    # First response: within the hour for a crisis.
    if crisis:
        h += rng.uniform(0.15, 0.9)
    elif severity in (Severity.P1, Severity.P2):
        h += rng.uniform(0.3, 4)
    else:
        h += rng.uniform(0.5, 22)
    ask_first = rng.random() < 0.25
    if ask_first:
        add("reply", assignee, rng.choice(_QUESTIONS), status=TicketStatus.PENDING_CUSTOMER)
    else:
        add("reply", assignee, _fill(rng.choice(texts.acks), values))
    if crisis:
        h += rng.uniform(0.05, 0.5)
        add("note", lead, _fill(rng.choice(_LEAD_CRISIS_NOTES), values))
    if manager is not None and (crisis or rng.random() < 0.35):
        h += rng.uniform(0.2, 6)
        add("note", manager, _fill(rng.choice(_MANAGER_NOTES), values))
    if rng.random() < 0.4:
        h += rng.uniform(0.1, 4)
        add("note", assignee, _fill(rng.choice(texts.notes), values))
    if raise_step is not None:
        h += rng.uniform(0.5, 12)
        add("note", lead, rng.choice(_RAISE_NOTES))
        add("field", lead, field=raise_step[0], value=raise_step[1])
    if ask_first:
        if status is TicketStatus.PENDING_CUSTOMER:
            return steps
        h += rng.uniform(2, 40)
        customer_says(rng.choice(_ANSWERS))
        h += rng.uniform(0.3, 6)
        add("reply", assignee, _fill(rng.choice(texts.acks), values))

    if status is TicketStatus.OPEN:
        if rng.random() < 0.5:
            h += rng.uniform(6, 60)
            customer_says(rng.choice(_CHASERS))
        return steps
    if status is TicketStatus.PENDING_CUSTOMER:
        h += rng.uniform(6, 72)
        add("reply", assignee, rng.choice(_CONFIRM_QUESTIONS),
            status=TicketStatus.PENDING_CUSTOMER)
        return steps

    # Resolution: either confirmed by the customer first, or resolved with the final reply.
    h += rng.uniform(6, 120) if crisis else rng.uniform(4, 96)
    if rng.random() < 0.4:
        add("reply", assignee, rng.choice(_CONFIRM_QUESTIONS),
            status=TicketStatus.PENDING_CUSTOMER)
        h += rng.uniform(2, 48)
        customer_says(rng.choice(_THANKS))
        h += rng.uniform(0.2, 8)
        add("status", assignee, status=TicketStatus.RESOLVED)
    else:
        add("reply", assignee, _fill(rng.choice(texts.resolutions), values),
            status=TicketStatus.RESOLVED)
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
    Commits per batch; returns (elapsed seconds, tickets written).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware.")
    if count < 1:
        return 0.0, 0
    started = time.perf_counter()
    refs = _bulk_reference_data()
    rng = random.Random(f"bulk:{seed}:{_counter_value()}")
    pools = _bulk_text_pools(rng, refs["categories"])
    written = 0
    while written < count:
        n = min(BULK_BATCH, count - written)
        _bulk_batch(rng, n, now, refs, pools)
        written += n
    return time.perf_counter() - started, written


def _counter_value() -> int:
    return db.session.scalar(sa.select(Counter.value).where(Counter.name == "ticket")) or 0


def _bulk_reference_data() -> dict:
    customers = [(row.id, row.tier, row.account_manager_id) for row in db.session.execute(
        sa.select(Customer.id, Customer.tier, Customer.account_manager_id).order_by(Customer.id))]
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
            "leads": leads, "categories": cats, "currency": currency}


def _bulk_text_pools(rng: random.Random, cats: list[tuple[int, str]]) -> dict[int, tuple]:
    """A few rendered texts per category, reused across rows (cheap, still varied)."""
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
            resolutions.append(_fill(rng.choice(texts.resolutions), values))
        pools[cat_id] = (openings, acks, notes, resolutions)
    return pools


def _bulk_batch(rng: random.Random, n: int, now: datetime, refs: dict, pools: dict) -> None:
    """Insert ``n`` tickets and their events in one transaction."""
    session = db.session
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
    rand, choice, randint = rng.random, rng.choice, rng.randint
    year_seconds = BULK_DAYS * 86400
    statuses_open = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.OPEN,
                     TicketStatus.PENDING_CUSTOMER)
    complaint, crisis = TicketKind.COMPLAINT, TicketKind.CRISIS
    severities = (Severity.P1, Severity.P2, Severity.P2, Severity.P3, Severity.P3,
                  Severity.P3, Severity.P3, Severity.P4, Severity.P4)
    channels = (Channel.EMAIL, Channel.EMAIL, Channel.WEB, Channel.WEB, Channel.WEB,
                Channel.PHONE, Channel.PHONE, Channel.CHAT, Channel.WALK_IN, Channel.SOCIAL)
    web = Channel.WEB
    K_CREATED, K_ASSIGN, K_REPLY, K_STATUS = (EventKind.CREATED, EventKind.ASSIGNMENT,
                                              EventKind.PUBLIC_REPLY, EventKind.STATUS_CHANGE)
    K_NOTE, K_MSG = EventKind.INTERNAL_NOTE, EventKind.CUSTOMER_MESSAGE
    S_NEW, S_OPEN, S_PENDING = TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING_CUSTOMER
    S_RESOLVED, S_CLOSED = TicketStatus.RESOLVED, TicketStatus.CLOSED
    minute = timedelta(minutes=1)

    tickets, events = [], []
    append_event = events.append

    def ev(ticket_id, kind, actor_id, at, body="", fld=None, old=None, new=None, cust=False):
        append_event({"ticket_id": ticket_id, "kind": kind, "actor_id": actor_id,
                      "by_customer": cust, "body": body, "field": fld, "old_value": old,
                      "new_value": new, "created_at": at})

    for i in range(n):
        tid = first_id + i
        age = rand() * year_seconds
        t0 = now - timedelta(seconds=age)
        customer_id, tier, _manager = choice(customers)
        contact_ids = contacts.get(customer_id)
        cat_id = choice(cat_ids)
        openings, acks, notes, resolutions = pools[cat_id]
        subject, description = choice(openings)
        channel = choice(channels)
        kind = crisis if tier is not CustomerTier.STANDARD and rand() < 0.05 else complaint
        severity = Severity.P1 if kind is crisis else choice(severities)
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

        ev(tid, K_CREATED, creator_id, t0, description, new=channel.value,
           cust=creator_id is None)
        t = t0 if creator_id else min(t0 + minute * randint(5, 180), now)
        actor = creator_id or choice(leads)[0]
        if team_id is not None:
            ev(tid, K_ASSIGN, actor, t, fld="team", new=team_name)
        first_response = resolved = closed = None
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
                ev(tid, K_REPLY, assignee_id, t, choice(acks))
                ev(tid, K_STATUS, assignee_id, t, fld="status", old="new", new="open")
                if rand() < 0.5:
                    t = min(t + minute * randint(30, 600), now)
                    ev(tid, K_NOTE, assignee_id, t, choice(notes))
            else:
                before = "new"
                if rand() < 0.3:  # acknowledged first, resolved later; else solved at once
                    ev(tid, K_REPLY, assignee_id, t, choice(acks))
                    ev(tid, K_STATUS, assignee_id, t, fld="status", old="new", new="open")
                    t = min(t + minute * randint(120, 7200), now)
                    before = "open"
                resolved = t
                ev(tid, K_REPLY, assignee_id, t, choice(resolutions))
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
        tickets.append({
            "id": tid, "reference": counters.format_reference(first_n + i),
            "customer_id": customer_id,
            "contact_id": choice(contact_ids) if contact_ids else None,
            "subject": subject, "description": description, "channel": channel, "kind": kind,
            "category_id": cat_id, "severity": severity,
            "order_reference": f"SO-{randint(100000, 999999)}",
            "currency": currency, "order_value": value,
            "claimed_loss": (value * randint(5, 60) / 100).quantize(Decimal("0.01")),
            "status": status, "team_id": team_id, "assignee_id": ticket_assignee,
            "created_by_id": creator_id,
            "public_token": base64.urlsafe_b64encode(rng.randbytes(24)).decode("ascii"),
            "first_response_at": first_response, "resolved_at": resolved, "closed_at": closed,
            "reopen_count": reopen_count, "last_activity_at": last, "version": 1,
            "created_at": t0, "updated_at": last,
        })
    session.execute(sa.insert(Ticket.__table__), tickets)
    session.execute(sa.insert(TicketEvent.__table__), events)
    if session.get_bind().dialect.name == "postgresql":
        # Explicit ids leave the id sequence behind; move it past what we wrote.
        session.execute(sa.text(
            "SELECT setval(pg_get_serial_sequence('tickets', 'id'), "
            "(SELECT MAX(id) FROM tickets))"))
    session.commit()


# ============================================================================ logins

def logins_text() -> str:
    """The demo logins block printed by ``flask demo-data``."""
    width = max(len(email) for email, _, _ in DEMO_LOGINS)
    lines = [
        "Demo logins",
        f"  Open {DEMO_URL} and sign in with one of these accounts.",
        f"  Password for every account: {DEMO_PASSWORD}",
        "",
    ]
    for email, role, name in DEMO_LOGINS:
        lines.append(f"  {email:<{width}}  {_ROLE_LABELS[role]:<16} {name}")
    return "\n".join(lines)
