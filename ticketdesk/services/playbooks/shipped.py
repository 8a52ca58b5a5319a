"""The playbooks TicketDesk ships with, and the loader that adds them to a database.

The content follows ``DOMAIN.md``: fix the customer's problem first, make them whole in kind and
at once without arguing about fault, add goodwill that fits what they buy, confirm, explain the
cause, and only then look for the root cause inside. Like demo data, this is content, not
interface text, so it is plain English and not wrapped for translation.

How a ticket finds its playbook (``playbooks.choose_version``: the matching playbook with the
most constrained conditions wins, then the one with fewer allowed values):

* Every playbook for causes on our side allows ``causes: ours, unknown``. A ticket whose cause
  lies with the customer (``theirs``) therefore matches only the advisory playbook, however
  its category, kind or account; the order in which playbooks were added never decides.
* One playbook per complaint category (category + cause: two conditions).
* Crises (kind + tier + cause, and standing for the first one) beat the category playbooks:

  - strategic or key tier *and* the customer ranks us strategic or preferred: protect the
    position; lead, account manager, a written status every 24 h;
  - strategic or key tier with any other standing: the account already doubts us, so the
    account manager agrees what would restore confidence;
  - standard tier: such customers have no account manager, so the lead owns the crisis alone.

  Tier is part of the condition because only strategic and key accounts have an account
  manager to call the customer's decision-maker.
* A default playbook catches whatever matches nothing else (a category added later, say).

``seed_playbooks`` adds the shipped playbooks that are missing and never touches an existing
one, so a lead's edits (new versions, a new name, deactivation) survive every re-run. A shipped
playbook is recognised by its name, or after a rename by its first version (the shipped
description, added by no one), so renaming one does not bring the original back.
"""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from ticketdesk.core.uow import unit_of_work
from ticketdesk.extensions import db
from ticketdesk.models import (
    GoodwillBasis,
    Playbook,
    PlaybookVersion,
    RemedyForm,
    Role,
    StepKind,
)
from ticketdesk.services.playbooks import engine as playbooks
from ticketdesk.services.playbooks.engine import PlaybookSpec, StepSpec

# ----------------------------------------------------------------------------- step purposes
# What each shipped step is for, looked up by its title. The demo data uses it to tick the
# right steps; a playbook a lead has written may use titles that have no purpose here.
ACKNOWLEDGE = "acknowledge"
MAKE_WHOLE = "make_whole"
GOODWILL = "goodwill"
CONFIRM = "confirm"
ROOT_CAUSE = "root_cause"
LEAD_OWNS = "lead"
ACCOUNT_MANAGER = "account_manager"
FOLLOW_UP = "follow_up"
LISTEN = "listen"
ACKNOWLEDGE_PRESSURE = "acknowledge_pressure"
OFFER_HELP = "offer_help"
NEXT_CONTACT = "next_contact"
BRIEF_MANAGER = "brief_manager"

_PURPOSES: dict[str, str] = {}
# The event that ticks a shipped step of this purpose (the rest are ticked by hand).
_COMPLETED_BY = {
    ACKNOWLEDGE: StepKind.ANSWER,
    MAKE_WHOLE: StepKind.MAKE_WHOLE,
    GOODWILL: StepKind.GOODWILL,
}


def purpose_of(title: str) -> str | None:
    """The purpose of a shipped step with this title, or None."""
    return _PURPOSES.get(title)


def _h(hours: int | str) -> Decimal:
    return Decimal(str(hours))


def _task(
    purpose: str,
    title: str,
    guidance: str,
    *,
    due: int,
    role: Role = Role.AGENT,
    required: bool = True,
) -> StepSpec:
    known = _PURPOSES.setdefault(title, purpose)
    if known != purpose:  # pragma: no cover - guards the data below
        raise RuntimeError(f"Step title {title!r} is used for two purposes.")
    return StepSpec(
        title=title,
        guidance=guidance,
        kind=_COMPLETED_BY.get(purpose, StepKind.TASK),
        role=role,
        due_hours=_h(due),
        required=required,
    )


def _apology(title: str, guidance: str, *, due: int) -> StepSpec:
    return StepSpec(title=title, guidance=guidance, kind=StepKind.APOLOGY, due_hours=_h(due))


def _explanation(title: str, guidance: str, *, due: int) -> StepSpec:
    return StepSpec(title=title, guidance=guidance, kind=StepKind.EXPLANATION, due_hours=_h(due))


def _status_updates(guidance: str, *, every: int = 24) -> StepSpec:
    return StepSpec(
        title=f"Written status update at least every {every} hours",
        guidance=guidance,
        kind=StepKind.STATUS_UPDATE,
        recur_hours=every,
    )


# Shared wording. Each playbook below still says what is specific to its kind of complaint.
_APOLOGY_GUIDANCE = (
    "Say sorry for the trouble this causes them, in the reply that answers them. Apologise "
    "for the inconvenience; do not admit or guess at a fault nobody has found yet. Tick it "
    "with that reply."
)
_CONFIRM_GUIDANCE = (
    "Once the remedy has arrived, ask one short question: is everything in order now? "
    "Record the answer. Do not ask them to check anything on our behalf."
)
_EXPLAIN_GUIDANCE = (
    "Before closing, tell the customer in one or two plain sentences what caused it and "
    "what we changed, and choose the root-cause code with the reply. If the cause is still "
    "unknown, say so and what we are checking."
)
_ROOT_CAUSE_GUIDANCE = (
    "Only after the customer is whole: find the cause, fix it where it started and note "
    "the fix here. Never hold up the customer's remedy for this."
)
_NEVER_ARGUE = (
    "State our facts once at most, then act: never argue about who was at fault, and keep "
    "labels about the customer out of replies and notes."
)

_OURS = ["ours", "unknown"]
_LIMITS = {"agent": "50", "lead": "500"}
_CRISIS_LIMITS = {"agent": "50", "lead": "25000"}


# ----------------------------------------------------------------------------- by category

MISSING = PlaybookSpec(
    name="Missing or short shipment",
    description=(
        "Goods or cartons missing from a delivery. Believe the customer's count, call back "
        "within the hour, reship at once and ask for no proof on small claims, even when "
        "the report comes late."
    ),
    conditions={"categories": ["missing_short_shipment"], "causes": _OURS},
    evidence_threshold=Decimal("100.00"),
    make_whole_form=RemedyForm.RESHIP,
    goodwill_basis=GoodwillBasis.AFFECTED_PERCENT,
    goodwill_value=Decimal("20"),
    goodwill_cap_percent=Decimal("30"),
    approval_limits=_LIMITS,
    steps=(
        _task(
            ACKNOWLEDGE,
            "Call the customer back within the hour",
            "Call, or answer in writing if that is how they reached us, within the hour. "
            "Thank them for telling us and take their count as given: do not ask them to "
            "count again, and ask for no photos below the evidence threshold.",
            due=1,
        ),
        _apology("Apologise for the trouble", _APOLOGY_GUIDANCE, due=1),
        _task(
            MAKE_WHOLE,
            "Reship the missing goods today",
            "Book the missing quantity today on the fastest carrier, at our cost, and send "
            "the tracking number. Reship in kind: never a voucher or a credit on a later "
            "order instead. " + _NEVER_ARGUE,
            due=24,
        ),
        _task(
            GOODWILL,
            "Add something they will use to the parcel",
            "Put a small extra in the same parcel, chosen from what they buy: a spare unit "
            "or a sample of another style or line they may order next (see the customer's "
            "preferences). About 20% of the affected value, at most 30%.",
            due=24,
        ),
        _task(CONFIRM, "Confirm that everything has arrived", _CONFIRM_GUIDANCE, due=72),
        _explanation("Tell the customer what went wrong", _EXPLAIN_GUIDANCE, due=96),
        _task(
            ROOT_CAUSE,
            "Find where the goods went missing",
            _ROOT_CAUSE_GUIDANCE + " Check the pick list, the parcel weight and the carrier "
            "scan; fix the bin label, weight check or packing step.",
            due=168,
            required=False,
        ),
    ),
)

DAMAGED = PlaybookSpec(
    name="Damaged or defective goods",
    description=(
        "Goods that arrived broken, leaking or failed in normal use. Replace them at once; "
        "the customer neither proves small claims nor sends broken goods back."
    ),
    conditions={"categories": ["damaged_defective"], "causes": _OURS},
    evidence_threshold=Decimal("100.00"),
    make_whole_form=RemedyForm.RESHIP,
    goodwill_basis=GoodwillBasis.AFFECTED_PERCENT,
    goodwill_value=Decimal("15"),
    goodwill_cap_percent=Decimal("30"),
    approval_limits=_LIMITS,
    steps=(
        _task(
            ACKNOWLEDGE,
            "Call back within the hour about the damage",
            "Call within the hour. Ask what they need to keep working (a replacement "
            "today, a part, a loan unit). Below the evidence threshold ask for nothing; "
            "above it, one photo is enough.",
            due=1,
        ),
        _apology("Apologise for the damaged goods", _APOLOGY_GUIDANCE, due=1),
        _task(
            MAKE_WHOLE,
            "Replace the damaged goods now",
            "Send replacements today. Ask them to throw the broken goods away; collect "
            "them only when we need them for a claim, and then at our cost and at a time "
            "that suits them. If they would rather keep an item with a cosmetic flaw, "
            "offer a partial refund of 10 to 30% instead.",
            due=24,
        ),
        _task(
            GOODWILL,
            "Make up for the hassle",
            "They lost time sorting out broken goods. Add about 15% of the affected value "
            "(at most 30%) as a credit, or as goods they use: a spare of the item that "
            "failed, or a sample of a related line from their preferences.",
            due=48,
        ),
        _task(CONFIRM, "Confirm the replacements are in order", _CONFIRM_GUIDANCE, due=72),
        _explanation("Explain what damaged the goods", _EXPLAIN_GUIDANCE, due=96),
        _task(
            ROOT_CAUSE,
            "Check the batch and the packing",
            _ROOT_CAUSE_GUIDANCE + " Hold the batch if others report the same fault. A "
            "damage claim against the carrier is ours to file, never the customer's.",
            due=168,
            required=False,
        ),
    ),
)

WRONG_ITEM = PlaybookSpec(
    name="Wrong item delivered",
    description=(
        "The wrong goods, colour, size or someone else's order. Send the right goods now; "
        "the customer keeps the wrong ones until our courier collects them."
    ),
    conditions={"categories": ["wrong_item"], "causes": _OURS},
    evidence_threshold=Decimal("100.00"),
    make_whole_form=RemedyForm.RESHIP,
    goodwill_basis=GoodwillBasis.AFFECTED_PERCENT,
    goodwill_value=Decimal("20"),
    goodwill_cap_percent=Decimal("30"),
    approval_limits=_LIMITS,
    steps=(
        _task(
            ACKNOWLEDGE,
            "Call the customer back within two hours",
            "Call within two hours. Find out what they needed the right goods for and by "
            "when; that sets the delivery time, not our standard service.",
            due=2,
        ),
        _apology("Apologise for the mix-up", _APOLOGY_GUIDANCE, due=2),
        _task(
            MAKE_WHOLE,
            "Send the right goods today",
            "Ship the correct goods today by express. Our courier collects the wrong ones "
            "on the same visit, at our cost; they repack nothing. If they would like to "
            "keep the wrong goods, offer them at a discount instead of collecting.",
            due=24,
        ),
        _task(
            GOODWILL,
            "Credit the extra work on their side",
            "Their staff handled the goods twice. Add about 20% of the affected value (at "
            "most 30%) as a credit, or samples from the range they actually ordered.",
            due=48,
        ),
        _task(CONFIRM, "Confirm the right goods arrived", _CONFIRM_GUIDANCE, due=72),
        _explanation("Explain how the wrong goods were sent", _EXPLAIN_GUIDANCE, due=96),
        _task(
            ROOT_CAUSE,
            "Fix the picking or order-entry error",
            _ROOT_CAUSE_GUIDANCE + " Look at look-alike bins and labels, and at how the "
            "order was entered.",
            due=168,
            required=False,
        ),
    ),
)

LATE = PlaybookSpec(
    name="Late delivery",
    description=(
        "A delivery that missed its promised date or slot. Do not wait for the late parcel: "
        "get the goods there now, at our cost."
    ),
    conditions={"categories": ["late_delivery"], "causes": _OURS},
    evidence_threshold=Decimal("100.00"),
    make_whole_form=RemedyForm.RESHIP,
    goodwill_basis=GoodwillBasis.AFFECTED_PERCENT,
    goodwill_value=Decimal("20"),
    goodwill_cap_percent=Decimal("30"),
    approval_limits=_LIMITS,
    steps=(
        _task(
            ACKNOWLEDGE,
            "Call back within two hours with the facts",
            "Call within two hours and say where the goods are: carrier, place, the new "
            "time. It is our delivery, so do not pass the blame to the carrier.",
            due=2,
        ),
        _apology("Apologise for the delay", _APOLOGY_GUIDANCE, due=2),
        _task(
            MAKE_WHOLE,
            "Get the goods there now",
            "Send a new shipment from stock by express or a dedicated courier, at our "
            "cost, instead of waiting for the late one (refuse it when it turns up). Give "
            "a delivery time you can keep.",
            due=24,
        ),
        _task(
            GOODWILL,
            "Refund the shipping and add goodwill",
            "They were left without the goods. Refund the shipping and add about 20% of "
            "the affected value (at most 30%) as credit or goods they use. Ask what the "
            "delay cost them before you size it.",
            due=48,
        ),
        _task(CONFIRM, "Confirm the delivery with the customer", _CONFIRM_GUIDANCE, due=72),
        _explanation("Explain why the delivery was late", _EXPLAIN_GUIDANCE, due=96),
        _task(
            ROOT_CAUSE,
            "Find where the time was lost",
            _ROOT_CAUSE_GUIDANCE + " Stock, warehouse cut-off, carrier hub or customs: "
            "fix the planning or change the carrier for the region.",
            due=168,
            required=False,
        ),
    ),
)

BILLING = PlaybookSpec(
    name="Billing or payment error",
    description=(
        "Double charges, wrong prices, refunds not received, paid invoices chased. Check our "
        "own books first; the fast correction is the remedy. Goodwill is optional and small: "
        "in business complaints a fair, clear process counts for more than the amount."
    ),
    conditions={"categories": ["billing_payment"], "causes": _OURS},
    evidence_threshold=Decimal("100.00"),
    make_whole_form=RemedyForm.REFUND,
    goodwill_basis=GoodwillBasis.FIXED,
    goodwill_value=Decimal("20"),
    goodwill_cap_percent=Decimal("30"),
    # Make-whole here returns the customer's own money, so an agent may refund more alone.
    approval_limits={"agent": "250", "lead": "5000"},
    steps=(
        _task(
            ACKNOWLEDGE,
            "Check our records and answer within four hours",
            "Look up the payment, the price list and the contract before you answer. "
            "Never ask the customer to prove a payment our bank statement can show.",
            due=4,
        ),
        _apology("Apologise for the billing error", _APOLOGY_GUIDANCE, due=4),
        _task(
            MAKE_WHOLE,
            "Correct the invoice or refund today",
            "Cancel and reissue the invoice, withdraw reminders and fees, and send any "
            "overpayment back the way it came. Ask once whether they want the money back "
            "or set against the next invoice; if they do not say, pay it back.",
            due=24,
        ),
        _task(
            GOODWILL,
            "Offer a small gesture if it cost them time",
            "Optional: a waived delivery charge or a small credit (about 20, at most 30% "
            "of the amount in question) when they spent time chasing us.",
            due=48,
            required=False,
        ),
        _task(CONFIRM, "Confirm their account is straight", _CONFIRM_GUIDANCE, due=72),
        _explanation("Explain how the error happened", _EXPLAIN_GUIDANCE, due=96),
        _task(
            ROOT_CAUSE,
            "Check other accounts for the same error",
            _ROOT_CAUSE_GUIDANCE + " Look for the same error on other invoices and "
            "customers, and correct them before anyone else has to complain.",
            due=168,
            required=False,
        ),
    ),
)

SERVICE_ATTITUDE = PlaybookSpec(
    name="Service attitude",
    description=(
        "How someone treated the customer: rude, dismissive, a promise not kept. Listen, do "
        "what they needed, and add a small extra that fits what they buy: a regular comes "
        "back for his usual dish done the way he likes it, not for small talk."
    ),
    conditions={"categories": ["service_attitude"], "causes": _OURS},
    evidence_threshold=Decimal("100.00"),
    make_whole_form=RemedyForm.OTHER,
    goodwill_basis=GoodwillBasis.EXTRA_UNITS,
    goodwill_value=Decimal("1"),
    goodwill_cap_percent=Decimal("30"),
    approval_limits=_LIMITS,
    steps=(
        _task(
            ACKNOWLEDGE,
            "Call back yourself within two hours",
            "Call yourself, not the colleague involved. Let them tell the whole story "
            "without interrupting or explaining our side, then thank them for telling "
            "us.",
            due=2,
        ),
        _apology(
            "Apologise for how they were treated",
            "Say sorry for the experience, plainly. Do not defend or excuse the "
            "colleague and do not promise anyone will be punished. Tick it with the "
            "reply that says it.",
            due=2,
        ),
        _task(
            MAKE_WHOLE,
            "Do what they needed in the first place",
            "Finish what they contacted us about (the order, the call-back, the delivery) "
            "today, and look after it yourself until it is done.",
            due=24,
        ),
        _task(
            GOODWILL,
            "Offer a small extra that fits what they buy",
            "Something of value, not a speech: their usual order with the extra they like, "
            "or one more unit of what they buy most (see the customer's preferences). "
            "Skip personal chit-chat; keep it quick and practical.",
            due=48,
        ),
        _task(
            CONFIRM,
            "Check that the next contact went well",
            "After their next order or visit, ask briefly whether it went as it should.",
            due=120,
        ),
        _explanation(
            "Tell them what we changed",
            "In a sentence, say what went wrong on our side and what we changed, "
            "without naming or blaming the colleague. Choose the root-cause code "
            "with the reply.",
            due=120,
        ),
        _task(
            ROOT_CAUSE,
            "Coach the team and fix the gap",
            "Listen to the call or talk with the colleague and their lead; coach, and fix "
            "the process gap behind it (call-backs as tasks, cover at busy times). Names "
            "stay out of the customer's record.",
            due=168,
            role=Role.LEAD,
            required=False,
        ),
    ),
)

SOLUTION_FAILURE = PlaybookSpec(
    name="Solution or project failure",
    description=(
        "A solution or project that does not work as agreed. The parts born of our side "
        "(product, commercial terms, coordination) are ours to fix at once; pressure from "
        "inside the customer's organisation belongs to the advisory playbook."
    ),
    conditions={"categories": ["solution_failure"], "causes": _OURS},
    evidence_threshold=Decimal("0"),
    make_whole_form=RemedyForm.REPAIR,
    goodwill_basis=GoodwillBasis.AFFECTED_PERCENT,
    goodwill_value=Decimal("10"),
    goodwill_cap_percent=Decimal("30"),
    approval_limits={"agent": "50", "lead": "10000"},
    steps=(
        _task(
            ACKNOWLEDGE,
            "Call back within two hours and own the problem",
            "Call within two hours. Say what we will do and when, before anyone "
            "investigates fault. Ask what their operation needs to keep running today.",
            due=2,
        ),
        _apology("Apologise for the disruption to their project", _APOLOGY_GUIDANCE, due=2),
        _task(
            LEAD_OWNS,
            "Lead confirms the recovery plan",
            "The lead agrees the plan, the people on it and the approval limit, and is "
            "named to the customer as the owner.",
            due=8,
            role=Role.LEAD,
        ),
        _task(
            ACCOUNT_MANAGER,
            "Account manager informs the customer's sponsor",
            "Call the person who sponsors the project on their side; agree how and how "
            "often they want updates.",
            due=24,
            role=Role.ACCOUNT_MANAGER,
            required=False,
        ),
        _status_updates(
            "A short public reply at least every 24 hours until it is fixed: "
            "what is done, what is next, when they hear from us again."
        ),
        _task(
            MAKE_WHOLE,
            "Fix it on site, with a workaround meanwhile",
            "Put engineers on it full time, give a recovery plan with dates by the next "
            "working day, and a workaround so their operation keeps running meanwhile.",
            due=48,
        ),
        _task(
            GOODWILL,
            "Cover what the failure cost their project",
            "Offer what helps the project: their extra staff for the affected days, a free "
            "on-site review or training, or a credit of about 10% of the affected value "
            "(at most 30%).",
            due=72,
        ),
        _task(
            CONFIRM,
            "Agree with the customer that it is fixed",
            "Agree when it counts as fixed (for instance five working days without a "
            "failure) and get their confirmation.",
            due=168,
        ),
        _explanation(
            "Explain the root cause to the customer in writing",
            "A written explanation of what failed and what prevents it happening "
            "again (an 8D report where they use that format), with the root-cause "
            "code.",
            due=168,
        ),
        _task(
            ROOT_CAUSE,
            "Close the gap in our test plan",
            _ROOT_CAUSE_GUIDANCE + " Add the failure to our test plan and project "
            "checklist, and review it with the customer at the next project meeting.",
            due=240,
            role=Role.LEAD,
            required=False,
        ),
    ),
)

OTHER = PlaybookSpec(
    name="Other complaints",
    description=(
        "Anything outside the other categories: documents, questions, the web shop, "
        "packaging. Put it right for this customer first, then pass it on."
    ),
    conditions={"categories": ["other"], "causes": _OURS},
    evidence_threshold=Decimal("100.00"),
    make_whole_form=RemedyForm.OTHER,
    goodwill_basis=GoodwillBasis.FIXED,
    goodwill_value=Decimal("15"),
    goodwill_cap_percent=Decimal("30"),
    approval_limits=_LIMITS,
    steps=(
        _task(
            ACKNOWLEDGE,
            "Answer within four hours",
            "Answer within four hours with what you will do and by when. A question gets a "
            "full answer, not a link to the terms.",
            due=4,
        ),
        _apology("Apologise for the trouble", _APOLOGY_GUIDANCE, due=4),
        _task(
            MAKE_WHOLE,
            "Put it right for this customer",
            "Do what fixes it for them now: send the missing document, answer the question "
            "fully, change the setting on their account. A remedy in kind beats a "
            "voucher.",
            due=48,
        ),
        _task(
            GOODWILL,
            "Add a small extra if it cost them effort",
            "Optional: something useful from what they buy, or a small credit, when they "
            "had to chase us.",
            due=72,
            required=False,
        ),
        _task(CONFIRM, "Confirm it is sorted", _CONFIRM_GUIDANCE, due=96),
        _explanation("Tell the customer what went wrong", _EXPLAIN_GUIDANCE, due=120),
        _task(
            ROOT_CAUSE,
            "Pass it to the team that owns the cause",
            _ROOT_CAUSE_GUIDANCE + " Give the owning team the facts and the steps to "
            "reproduce, and note what they changed.",
            due=240,
            required=False,
        ),
    ),
)


# ----------------------------------------------------------------------------- crises


def _crisis_steps(*, manager_step: StepSpec | None, follow_up: StepSpec | None) -> tuple:
    steps = [
        _task(
            ACKNOWLEDGE,
            "Call the customer back within the hour",
            "A person calls; an e-mail is not enough. Listen, repeat back what is at stake "
            "for them (stores, a production line, an opening) and say what happens next "
            "and when.",
            due=1,
        ),
        _apology("Apologise for the disruption", _APOLOGY_GUIDANCE, due=1),
        _task(
            LEAD_OWNS,
            "Lead takes ownership",
            "The lead owns the ticket until it is resolved: approves make-whole and "
            "goodwill above the agent limit, decides on dedicated transport or engineers "
            "on site, and asks the customer for no further proof.",
            due=2,
            role=Role.LEAD,
        ),
    ]
    if manager_step is not None:
        steps.append(manager_step)
    steps += [
        _status_updates(
            "A short public reply at least every 24 hours until resolved: what "
            "is done, what is next and when they hear from us again. Facts and "
            "dates; promise nothing you cannot keep."
        ),
        _task(
            MAKE_WHOLE,
            "Stop the loss now",
            "Whatever ends their loss fastest, at our cost: stock from our own warehouse "
            "on a dedicated truck, engineers on site, a replacement batch from another "
            "line. Give them a time you can keep. " + _NEVER_ARGUE,
            due=24,
        ),
        _task(
            GOODWILL,
            "Goodwill that helps their business",
            "Something their business values, taken from the account's preferences: help "
            "in their stores, cover for extra staff, a free inspection of the next "
            "deliveries, a credit for lost days. About 20% of the affected value, at most "
            "30%; the lead approves above the agent limit.",
            due=72,
        ),
        _task(
            CONFIRM,
            "Confirm with the decision-maker that it is fixed",
            "Confirm with the person who decides about us as a supplier, not only with "
            "the contact who raised it.",
            due=120,
        ),
        _explanation(
            "Explain the cause in writing",
            "A written explanation (an 8D report where they use one) of what failed, "
            "why, and what now prevents it, with the root-cause code.",
            due=120,
        ),
        _task(
            ROOT_CAUSE,
            "Root-cause review after the recovery",
            _ROOT_CAUSE_GUIDANCE + " The lead runs the review with everyone involved and "
            "records what changes.",
            due=240,
            role=Role.LEAD,
            required=False,
        ),
    ]
    if follow_up is not None:
        steps.append(follow_up)
    return tuple(steps)


CRISIS_STRATEGIC = PlaybookSpec(
    name="Crisis on a strategic or preferred account",
    description=(
        "A crisis at a strategic or key account that ranks us as a strategic or preferred "
        "supplier. A crisis can cost us that place; a fast, generous recovery keeps it. "
        "The lead and the account manager are on it from the first hour."
    ),
    conditions={
        "kinds": ["crisis"],
        "tiers": ["strategic", "key"],
        "standings": ["strategic", "preferred"],
        "causes": _OURS,
    },
    evidence_threshold=Decimal("1000.00"),
    make_whole_form=RemedyForm.RESHIP,
    goodwill_basis=GoodwillBasis.AFFECTED_PERCENT,
    goodwill_value=Decimal("20"),
    goodwill_cap_percent=Decimal("30"),
    approval_limits=_CRISIS_LIMITS,
    steps=_crisis_steps(
        manager_step=_task(
            ACCOUNT_MANAGER,
            "Account manager calls the decision-maker",
            "Call the person who ranks us as a supplier (buyer, IT or operations director), "
            "not only the contact who complained. Agree how they want to be kept informed, "
            "and record any change of standing with its reason.",
            due=4,
            role=Role.ACCOUNT_MANAGER,
        ),
        follow_up=_task(
            FOLLOW_UP,
            "Follow up: did the recovery land?",
            "About two weeks after resolution, call the buyer: are they booking the next "
            "order, and has our standing held? Note the answer on the account.",
            due=336,
            role=Role.ACCOUNT_MANAGER,
            required=False,
        ),
    ),
)

CRISIS_AT_RISK = PlaybookSpec(
    name="Crisis on a key account at risk",
    description=(
        "A crisis at a strategic or key account that already ranks us below preferred "
        "(qualification pending, or phasing us out). Recovery is how we climb back: agree "
        "with them what would restore their confidence, and deliver it."
    ),
    conditions={"kinds": ["crisis"], "tiers": ["strategic", "key"], "causes": _OURS},
    evidence_threshold=Decimal("1000.00"),
    make_whole_form=RemedyForm.RESHIP,
    goodwill_basis=GoodwillBasis.AFFECTED_PERCENT,
    goodwill_value=Decimal("20"),
    goodwill_cap_percent=Decimal("30"),
    approval_limits=_CRISIS_LIMITS,
    steps=_crisis_steps(
        manager_step=_task(
            ACCOUNT_MANAGER,
            "Account manager agrees what would restore confidence",
            "Ask the decision-maker what would earn our place back (for instance the next "
            "two deliveries inspected by our quality team) and confirm it in writing.",
            due=8,
            role=Role.ACCOUNT_MANAGER,
        ),
        follow_up=_task(
            FOLLOW_UP,
            "Follow up on what was agreed to restore confidence",
            "Check each agreed proof point as it happens and tell the customer the result; "
            "record any change of standing with its reason.",
            due=336,
            role=Role.ACCOUNT_MANAGER,
            required=False,
        ),
    ),
)

CRISIS_STANDARD = PlaybookSpec(
    name="Crisis on a standard account",
    description=(
        "A crisis (safety, a public threat, a large loss) at a customer without an account "
        "manager. The lead owns it; the customer hears from us at least daily."
    ),
    conditions={"kinds": ["crisis"], "tiers": ["standard"], "causes": _OURS},
    evidence_threshold=Decimal("500.00"),
    make_whole_form=RemedyForm.RESHIP,
    goodwill_basis=GoodwillBasis.AFFECTED_PERCENT,
    goodwill_value=Decimal("20"),
    goodwill_cap_percent=Decimal("30"),
    approval_limits={"agent": "50", "lead": "2000"},
    steps=_crisis_steps(manager_step=None, follow_up=None),
)


# ----------------------------------------------------------------------------- advisory

ADVISORY = PlaybookSpec(
    name="Customer-internal pressure (advisory)",
    description=(
        "The cause lies inside the customer's own organisation: a deadline their management "
        "moved, a frozen budget, an overloaded team. We cannot fix that and should not take "
        "it over. Listen, acknowledge it, help within our remit and agree the next contact. "
        "No compensation by default; any gesture needs a lead."
    ),
    conditions={"causes": ["theirs"]},
    advisory=True,
    evidence_threshold=Decimal("0"),
    make_whole_form=RemedyForm.OTHER,
    goodwill_basis=GoodwillBasis.NONE,
    goodwill_value=Decimal("0"),
    goodwill_cap_percent=Decimal("0"),
    approval_limits={"agent": "0", "lead": "500"},
    steps=(
        _task(
            LISTEN,
            "Listen first",
            "Call back and let them describe what they are dealing with. Do not correct, "
            "defend or explain; note the facts they give, not judgements about them.",
            due=2,
        ),
        _task(
            ACKNOWLEDGE_PRESSURE,
            "Acknowledge the pressure without taking it over",
            "Say that you see the pressure they are under. Do not take sides inside their "
            "organisation or promise to solve what only they can decide, and do not "
            "apologise for a fault that is not ours.",
            due=4,
        ),
        _task(
            OFFER_HELP,
            "Offer concrete help within our remit",
            "Offer what we can actually do: a revised delivery plan, stock held for them, "
            "pre-configured units, an hour with our specialist, figures for their "
            "management. Advise; do not run their project.",
            due=24,
        ),
        _task(
            NEXT_CONTACT,
            "Agree the next contact",
            "Agree a date and time for the next call and who calls whom, and put it in the reply.",
            due=24,
        ),
        _task(
            BRIEF_MANAGER,
            "Brief the account manager",
            "Tell the account manager what pressure the customer is under; it may change "
            "the account's plans. Facts only, no labels.",
            due=48,
            role=Role.ACCOUNT_MANAGER,
            required=False,
        ),
    ),
)


# ----------------------------------------------------------------------------- default

DEFAULT = PlaybookSpec(
    name="Resolve-first default",
    description=(
        "For any complaint no other playbook fits: fix the problem first, make the customer "
        "whole, add goodwill, confirm, explain, and only then look for the root cause. "
        "Switch to a better playbook when one is offered."
    ),
    conditions={},
    evidence_threshold=Decimal("100.00"),
    make_whole_form=RemedyForm.RESHIP,
    goodwill_basis=GoodwillBasis.AFFECTED_PERCENT,
    goodwill_value=Decimal("10"),
    goodwill_cap_percent=Decimal("30"),
    approval_limits=_LIMITS,
    steps=(
        _task(
            ACKNOWLEDGE,
            "Respond within four hours",
            "Call or answer within four hours: thank them, say what happens next and "
            "when. Ask for no proof below the evidence threshold.",
            due=4,
        ),
        _apology("Apologise for the trouble", _APOLOGY_GUIDANCE, due=4),
        _task(
            MAKE_WHOLE,
            "Make the customer whole now",
            "Work out what they lost and give it back in kind, now: reship, redo, repair "
            "or refund. Never a voucher for a later order instead. " + _NEVER_ARGUE,
            due=24,
        ),
        _task(
            GOODWILL,
            "Add goodwill that fits what they buy",
            "Something of value relevant to what they buy, from the customer's "
            "preferences: an extra unit, a sample, a service visit. About 10% of the "
            "affected value, at most 30%.",
            due=48,
        ),
        _task(CONFIRM, "Confirm it is sorted", _CONFIRM_GUIDANCE, due=72),
        _explanation("Tell the customer what went wrong", _EXPLAIN_GUIDANCE, due=96),
        _task(
            ROOT_CAUSE, "Find and fix the root cause", _ROOT_CAUSE_GUIDANCE, due=168, required=False
        ),
    ),
)


# Everything shipped, as (spec, is_default), in the order they are added.
SHIPPED: tuple[tuple[PlaybookSpec, bool], ...] = (
    (MISSING, False),
    (DAMAGED, False),
    (WRONG_ITEM, False),
    (LATE, False),
    (BILLING, False),
    (SERVICE_ATTITUDE, False),
    (SOLUTION_FAILURE, False),
    (OTHER, False),
    (CRISIS_STRATEGIC, False),
    (CRISIS_AT_RISK, False),
    (CRISIS_STANDARD, False),
    (ADVISORY, False),
    (DEFAULT, True),
)


# ----------------------------------------------------------------------------- loading


def add_shipped(now: datetime) -> int:
    """Add the shipped playbooks that are missing (caller commits); return how many.

    A shipped playbook counts as present when a playbook has its name (in any letter case),
    or when a playbook's first version is the shipped one, added by no one (a lead renamed
    it). Present playbooks are left exactly as they are: edited, renamed or deactivated.
    A shipped default only becomes the default when no playbook is.
    """
    taken = set(db.session.scalars(sa.select(sa.func.lower(Playbook.name))))
    shipped_before = set(
        db.session.scalars(
            sa.select(PlaybookVersion.description).where(
                PlaybookVersion.number == 1, PlaybookVersion.created_by_id.is_(None)
            )
        )
    )
    has_default = (
        db.session.scalar(sa.select(Playbook.id).where(Playbook.is_default.is_(True)).limit(1))
        is not None
    )
    added = 0
    for spec, is_default in SHIPPED:
        if spec.name.strip().lower() in taken or spec.description in shipped_before:
            continue
        default = is_default and not has_default
        playbooks.add_playbook(spec, actor=None, now=now, is_default=default)
        taken.add(spec.name.strip().lower())
        has_default = has_default or default
        added += 1
    return added


def seed_playbooks(*, now: datetime) -> int:
    """Add the shipped playbooks that are missing (one transaction); return how many."""
    with unit_of_work():
        return add_shipped(now)
