"""The hand-written demo tickets, after the named cases in DOMAIN.md.

The 20-of-22 cosmetic bags, the missing olive oil bottle called back within the hour, the
lunch regular who likes extra chili, the strategic client angry mid-project, and the others:
``story_drafts`` returns them as drafts with their timelines. It writes nothing.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from ticketdesk.demo.content import CustomerSpec
from ticketdesk.demo.timeline import FIRST, Draft, Step
from ticketdesk.models import (
    CauseSide,
    Channel,
    Contact,
    Customer,
    RootCause,
    Severity,
    Team,
    TicketKind,
    TicketStatus,
    User,
)
from ticketdesk.services.playbooks.shipped import (
    ACCOUNT_MANAGER,
    ACKNOWLEDGE_PRESSURE,
    BRIEF_MANAGER,
    CONFIRM,
    GOODWILL,
    LEAD_OWNS,
    LISTEN,
    MAKE_WHOLE,
    NEXT_CONTACT,
    OFFER_HELP,
    ROOT_CAUSE,
)


def story_drafts(
    now: datetime,
    staff: dict[str, User],
    teams: dict[str, Team],
    customers: dict[str, tuple[Customer, CustomerSpec]],
) -> list[Draft]:
    """Hand-written tickets after the cases in DOMAIN.md."""
    s, t = staff, teams
    year = now.year

    def when(days: float, hour: int, minute: int = 0) -> datetime:
        moment = (now - timedelta(days=days)).replace(
            hour=hour, minute=minute, second=0, microsecond=0
        )
        return min(moment, now - timedelta(minutes=30))

    def draft(key: str, contact: int, **kwargs) -> Draft:
        customer, spec = customers[key]
        return Draft(
            customer=customer,
            contact=_contact(customer, spec, contact),
            currency=spec.currency,
            **kwargs,
        )

    R, N, C, Q, A, F, ST = "reply", "note", "customer", "status", "assign", "field", Step
    K, SW = "tick", "switch"
    ours_ops, ours_product = CauseSide.OURS_COORDINATION, CauseSide.OURS_PRODUCT
    stories = [
        # The 20-of-22 cosmetic bags: an argument loop, then a conceded remedy (seed 003).
        draft(
            "bella_rosa",
            0,
            created_at=when(38, 15, 10),
            channel=Channel.EMAIL,
            creator=s["agent3"],
            category="missing_short_shipment",
            kind=TicketKind.COMPLAINT,
            severity=Severity.P3,
            subject="Only 20 of 22 cosmetic bags received",
            description="Rosa Delgado writes: her order of cosmetic bags arrived today. She "
            "paid for 20, and we promised 2 extra free because her bank transfer took so long "
            "to clear, so there should be 22. She counted 20 and asks us to send the 2 "
            "missing bags.",
            order_reference="SO-251873",
            order_value=Decimal("370.00"),
            claimed_loss=Decimal("37.00"),
            steps=[
                ST(0, A, s["agent3"], team=t["logistics"], assignee=s["agent3"]),
                ST(
                    2.5,
                    R,
                    s["agent3"],
                    "Thank you for your message. Our packing record for "
                    "SO-251873 shows 22 bags: we photographed the packed carton and the scale "
                    "reading (6.6 kg, which matches 22 bags) before it left. Could you check "
                    "the carton once more?",
                    status=TicketStatus.PENDING_CUSTOMER,
                ),
                ST(2.5, K, s["agent3"], value=FIRST),
                ST(
                    19,
                    C,
                    None,
                    "I have counted three times, together with my assistant. "
                    "There are 20 bags. I am not making this up.",
                ),
                ST(
                    22,
                    R,
                    s["agent3"],
                    "I understand. The carrier also weighed the parcel at "
                    "6.6 kg at pickup, so it left us complete. Could two bags have been put "
                    "aside when the parcel was opened?",
                ),
                ST(
                    30,
                    C,
                    None,
                    "This is going nowhere. If the two bags are not on their way "
                    "by tomorrow, I will leave a review describing exactly how this was "
                    "handled.",
                ),
                ST(
                    31,
                    N,
                    s["lead"],
                    "Argument loop: two replies defended our packing record "
                    "before any remedy was offered, on a claim of 37.00 USD. State the facts "
                    "once, then make the customer whole. Shipping the 2 bags now plus 2 of the "
                    "new travel style as samples. Record the remedy as conceded: it came only "
                    "after the review threat.",
                ),
                ST(
                    31.5,
                    R,
                    s["lead"],
                    "Ms Delgado, you are right that we should not have "
                    "made you count again. Two bags go out today by express, and we have added "
                    "two of our new travel-size bags as samples for your next order. Sorry for "
                    "the trouble this caused.",
                ),
                ST(31.5, "conceding"),
                ST(31.5, K, s["lead"], "Two cosmetic bags reshipped by express.", value=MAKE_WHOLE),
                ST(
                    31.5,
                    K,
                    s["lead"],
                    "Two travel-size bags of the new style as samples.",
                    value=GOODWILL,
                ),
                ST(78, C, None, "The parcel came this morning. Four bags."),
                ST(78.5, K, s["agent3"], value=CONFIRM),
                ST(
                    80,
                    R,
                    s["agent3"],
                    "Thank you for letting us know. We could not find out "
                    "where the two bags went between our warehouse and your shop, so from now "
                    "on every carton carries a sealed count label you can check on arrival. "
                    "If anything else is missing, just reply here.",
                    status=TicketStatus.RESOLVED,
                    explain=RootCause.OTHER,
                ),
                ST(200, Q, s["agent3"], status=TicketStatus.CLOSED),
            ],
        ),
        # The missing olive oil bottle: called back within the hour, no proof asked (seed 003).
        draft(
            "elena",
            0,
            created_at=when(20, 19, 42),
            channel=Channel.WEB,
            creator=None,
            category="missing_short_shipment",
            kind=TicketKind.COMPLAINT,
            severity=Severity.P4,
            subject="One bottle of olive oil missing from my order",
            description="My order SO-263115 came last week and I only noticed now that one "
            "of the three bottles of olive oil is missing. Sorry for writing so late.",
            order_reference="SO-263115",
            order_value=Decimal("38.70"),
            claimed_loss=Decimal("12.90"),
            steps=[
                ST(0.2, A, s["agent"], team=t["front"], assignee=s["agent"]),
                ST(
                    0.65,
                    N,
                    s["agent"],
                    "Called Ms Marquez 40 minutes after her message. No "
                    "proof requested: the claim is below the evidence threshold. Replacement "
                    "bottle booked to ship tomorrow morning.",
                ),
                ST(0.65, K, s["agent"], value=FIRST),
                ST(0.66, K, s["agent"], value=MAKE_WHOLE),
                ST(
                    0.7,
                    R,
                    s["agent"],
                    "Thank you for letting us know, and there is no need "
                    "to apologise for the timing. Sorry for the trouble: as we said on the "
                    "phone, a new bottle leaves our warehouse tomorrow morning and there is "
                    "nothing you need to send us. The tracking link follows by e-mail.",
                ),
                ST(
                    14,
                    N,
                    s["agent"],
                    "Warehouse: the parcel left 1.1 kg under the order "
                    "weight, so the third bottle was never packed. Added a 250 ml bottle of "
                    "this season's harvest to the replacement: she buys the 750 ml "
                    "extra-virgin bottles every month.",
                ),
                ST(14, F, s["agent"], field="cause_side", value=ours_ops),
                ST(14.1, K, s["agent"], value=GOODWILL),
                ST(
                    61.5,
                    C,
                    None,
                    "The bottle arrived, and the small one of the new harvest too. Thank you!",
                ),
                ST(61.6, K, s["agent"], value=CONFIRM),
                ST(
                    62,
                    R,
                    s["agent"],
                    "Glad it arrived safely. What went wrong: the bottle was "
                    "missed when your order was packed; every parcel is now weighed against "
                    "the order before it leaves. Enjoy the oil, and thank you for telling us.",
                    status=TicketStatus.RESOLVED,
                    explain=RootCause.PICKING_ERROR,
                ),
                ST(180, Q, s["agent"], status=TicketStatus.CLOSED),
            ],
        ),
        # The lunch regular who values extra chili, not small talk (seed 000).
        draft(
            "zhang",
            0,
            created_at=when(26, 13, 5),
            channel=Channel.WALK_IN,
            creator=s["agent2"],
            category="service_attitude",
            kind=TicketKind.COMPLAINT,
            severity=Severity.P4,
            subject="Lunch takes too long; staff keep him talking",
            description="Mr Zhang told us at the counter that his last lunches took too long: "
            "staff kept him talking about personal matters while his food waited. He comes "
            "for a quick lunch in his break and is thinking of going elsewhere.",
            order_value=Decimal("14.50"),
            steps=[
                ST(0, A, s["agent2"], team=t["front"], assignee=s["agent2"]),
                ST(
                    0.3,
                    N,
                    s["agent2"],
                    "Facts: weekday lunch regular, about four visits a "
                    "week for two years; had not come in for two weeks before today. Wants a "
                    "quick, good lunch, not conversation. Usual order: stir-fried beef with "
                    "extra chili. Preference saved on the account.",
                ),
                ST(0.3, K, s["agent2"], value=FIRST),
                ST(
                    1,
                    R,
                    s["agent2"],
                    "Thank you for telling us directly, Mr Zhang. From "
                    "your next visit we will keep it quick: your usual beef with extra chili, "
                    "and a side of pickled long beans on us. Sorry that we held you up.",
                ),
                ST(1, K, s["agent2"], value=MAKE_WHOLE),
                ST(
                    26,
                    N,
                    s["lead"],
                    "Goodwill that fits what he buys: the side dish, not a "
                    "voucher or a chat. The kitchen has the extra chili on his regular order.",
                ),
                ST(26, K, s["lead"], value=GOODWILL),
                ST(26.1, F, s["lead"], field="cause_side", value=ours_ops),
                ST(
                    72,
                    C,
                    s["agent2"],
                    "Came for lunch today: quick, extra chili, and the "
                    "beans were a nice touch. Thank you.",
                ),
                ST(72, K, s["agent2"], value=CONFIRM),
                ST(
                    72.5,
                    R,
                    s["agent2"],
                    "Thank you, Mr Zhang; we are glad it worked. What "
                    "went wrong was on our side: chatting at the table had become a habit, and "
                    "your lunch waited for it. The team now serves first and keeps it short.",
                    explain=RootCause.STAFF_CONDUCT,
                ),
                ST(
                    72.6,
                    K,
                    s["lead"],
                    "Talked it through with the lunch team: serve first, "
                    "chat only when the guest starts it.",
                    value=ROOT_CAUSE,
                ),
                ST(73, Q, s["agent2"], status=TicketStatus.RESOLVED),
                ST(240, Q, s["agent2"], status=TicketStatus.CLOSED),
            ],
        ),
        # A big client angry mid-project: sort the cause, own our part (seed 002).
        draft(
            "kestrel",
            0,
            created_at=when(6, 9, 20),
            channel=Channel.PHONE,
            creator=s["agent2"],
            category="solution_failure",
            kind=TicketKind.CRISIS,
            severity=Severity.P1,
            subject="Rollout phase 2 stalled: scanners drop connection at 11 of 16 sites",
            description="Jonas Weber (IT director) called, very upset. Since the phase 2 "
            "go-live on Monday, the handheld scanners lose their connection to the warehouse "
            "system several times an hour at 11 of 16 sites, and pickers are back on paper "
            "lists. Their board reviews the rollout on Friday; he asked whether they chose "
            "the wrong supplier.",
            order_reference="PO 4500817263",
            order_value=Decimal("186400.00"),
            claimed_loss=Decimal("24000.00"),
            steps=[
                ST(0, A, s["agent2"], team=t["key"], assignee=s["lead"]),
                ST(
                    0.1,
                    N,
                    s["agent2"],
                    "Crisis on a strategic account: lead and account manager informed by phone.",
                ),
                ST(0.15, K, s["lead"], value=LEAD_OWNS),
                ST(
                    0.6,
                    R,
                    s["lead"],
                    "Mr Weber, thank you for calling us straight away. We "
                    "own this, and we are sorry for the disruption to your rollout. Two of our "
                    "engineers will be at your Leipzig site tomorrow at 08:00, and until it is "
                    "fixed you will get a short written status from me every day at 17:00.",
                ),
                ST(0.6, K, s["lead"], value=FIRST),
                ST(
                    2,
                    N,
                    s["manager2"],
                    "Cause sorting after the call. Ours: scanner firmware "
                    "4.2 drops the Wi-Fi session when roaming between access points; the build "
                    "passed our lab test, so the gap is in our test plan. We act on that now. "
                    "Theirs: their CIO moved the go-live three weeks forward for a board "
                    "deadline. We advise on the plan; we do not argue with their deadline.",
                ),
                ST(2, K, s["manager2"], value=ACCOUNT_MANAGER),
                ST(2.1, F, s["lead"], field="cause_side", value=ours_product),
                ST(
                    20,
                    R,
                    s["lead"],
                    "Status, day 1: the fault is in our scanner firmware, "
                    "which drops the connection when a scanner roams between Wi-Fi access "
                    "points; our lab test did not cover roaming. A fixed build is in test, and "
                    "Leipzig gets it first tomorrow morning. The sites stay on the paper "
                    "fallback until then.",
                    explain=RootCause.PRODUCT_DEFECT,
                ),
                ST(
                    26,
                    C,
                    s["lead"],
                    "Mr Weber on the phone: the board meets on Friday and he "
                    "needs a date he can give them, not a status.",
                ),
                ST(26.2, F, s["lead"], field="claimed_loss", value=Decimal("31500.00")),
                ST(
                    44,
                    R,
                    s["lead"],
                    "Status, day 2: the fixed firmware has run at Leipzig "
                    "and Halle without a drop since 06:00. The date for your board: all 16 "
                    "sites on the fixed build by Wednesday. We will cover the extra picking "
                    "staff for the affected days.",
                ),
                ST(44, K, s["lead"], value=GOODWILL),
                ST(
                    46,
                    N,
                    s["manager2"],
                    "Standing at risk: Kestrel may move us from "
                    "strategic to preferred after this. Plan: on-site review with Jonas and "
                    "his CIO once the fix is stable, and a joint test plan for phase 3.",
                ),
                ST(
                    68,
                    R,
                    s["lead"],
                    "Status, day 3: the fixed firmware runs on 9 of 16 "
                    "sites with no connection drops since the update. The other 7 sites "
                    "follow on Tuesday and Wednesday as planned.",
                ),
                ST(
                    70,
                    N,
                    s["agent2"],
                    "Firmware rolled out to 9 of 16 sites; no drops reported so far.",
                ),
                ST(
                    92,
                    R,
                    s["lead"],
                    "Status, day 4: 14 of 16 sites are on the fixed build. "
                    "Dresden and Erfurt follow tomorrow at 06:00.",
                ),
                ST(
                    116,
                    R,
                    s["lead"],
                    "Status, day 5: all 16 sites have run the fixed "
                    "firmware since 07:00. We will watch the connection logs with your IT "
                    "team for five working days before we call this closed.",
                ),
                ST(116, K, s["lead"], value=MAKE_WHOLE),
                ST(
                    139,
                    R,
                    s["lead"],
                    "Status, day 6: no connection drops on any site in "
                    "the last 24 hours. Next update tomorrow at 17:00.",
                ),
            ],
        ),
        # The same client's own pressure: advise, do not take it over (seed 002).
        draft(
            "kestrel",
            1,
            created_at=when(3, 14, 0),
            channel=Channel.PHONE,
            creator=s["agent2"],
            category="solution_failure",
            kind=TicketKind.COMPLAINT,
            severity=Severity.P2,
            cause_side=CauseSide.THEIRS_INTERNAL,
            subject="Phase 3 go-live moved three weeks forward by their CIO",
            description="Petra Lang (project manager) called, under a lot of pressure: their "
            "CIO has moved the phase 3 go-live three weeks forward to match the board's "
            "calendar. Her team cannot prepare five more sites in that time, and she asked "
            "us to 'just make it work'.",
            order_reference="PO 4500817263",
            steps=[
                ST(0, A, s["agent2"], team=t["key"], assignee=s["agent2"]),
                ST(
                    0.1,
                    K,
                    s["agent2"],
                    "Let her talk the whole situation through on the intake call.",
                    value=LISTEN,
                ),
                ST(
                    0.2,
                    N,
                    s["agent2"],
                    "Cause sorting: the new date is their CIO's decision, "
                    "not a fault of ours, so this follows the advisory playbook. We help within "
                    "our remit; we do not negotiate their internal deadline for them.",
                ),
                ST(
                    1.5,
                    R,
                    s["agent2"],
                    "Thank you for walking me through it, Ms Lang. Three "
                    "weeks less for five sites is a lot to absorb. What we can do on our side: "
                    "pre-configure the scanners for all five sites in our warehouse, so your "
                    "team only unpacks and tests them, and send one of our engineers to the "
                    "first two go-lives. The date itself is for your CIO to set; if it helps, I "
                    "will send you a one-page plan showing what is realistic by when. Shall we "
                    "speak again on Thursday at 09:00?",
                ),
                ST(1.5, K, s["agent2"], value=ACKNOWLEDGE_PRESSURE),
                ST(1.5, K, s["agent2"], value=OFFER_HELP),
                ST(1.5, K, s["agent2"], value=NEXT_CONTACT),
                ST(
                    3,
                    N,
                    s["manager2"],
                    "Account manager: noted. Their CIO is under board "
                    "pressure after phase 2; I will not go over Petra's head. A realistic "
                    "phase 3 plan protects our standing better than agreeing to a date we "
                    "cannot keep.",
                ),
                ST(3, K, s["manager2"], value=BRIEF_MANAGER),
                ST(
                    22,
                    C,
                    s["agent2"],
                    "Petra Lang on the phone: the pre-configuration "
                    "helps. She is taking the one-page plan to her CIO on Monday.",
                ),
            ],
        ),
        # A strategic customer's promotion: late delivery raised to a crisis.
        draft(
            "bluewater",
            0,
            created_at=when(30, 8, 15),
            channel=Channel.EMAIL,
            creator=s["agent"],
            category="late_delivery",
            kind=TicketKind.COMPLAINT,
            severity=Severity.P2,
            subject="Promotion stock 4 days late: 38 stores with empty displays",
            description="Fiona Gallagher: the olive oil gift sets for this week's national "
            "promotion were due on Monday. It is Thursday and nothing has arrived. 38 stores "
            "have empty promotion displays and the leaflets are already out.",
            order_reference="PO 4500798120",
            order_value=Decimal("48250.00"),
            claimed_loss=Decimal("18400.00"),
            steps=[
                ST(0, A, s["agent"], team=t["logistics"], assignee=s["agent"]),
                ST(
                    0.4,
                    N,
                    s["agent"],
                    "The carrier says the trailer was held at the port for "
                    "a customs check. Escalating: strategic account, national promotion.",
                ),
                ST(0.45, F, s["agent"], field="cause_side", value=ours_ops),
                ST(0.5, F, s["lead"], field="kind", value=TicketKind.CRISIS),
                ST(0.5, F, s["lead"], field="severity", value=Severity.P1),
                ST(0.5, A, s["lead"], team=t["key"], assignee=s["lead"]),
                ST(0.5, SW, s["lead"]),
                ST(0.55, K, s["lead"], value=LEAD_OWNS),
                ST(
                    0.8,
                    R,
                    s["lead"],
                    "Ms Gallagher, I'm sorry: we let your promotion down. "
                    "The trailer was held at the port. We are sending 19 pallets from our own "
                    "stock tonight on two dedicated trucks, so every store has stock by 07:00 "
                    "tomorrow. I will call you at 18:00 with the truck details.",
                ),
                ST(0.8, K, s["lead"], value=FIRST),
                ST(
                    1.5,
                    N,
                    s["manager"],
                    "Account manager: offering our merchandising team to "
                    "rebuild the displays in the 10 largest stores on Friday at our cost. They "
                    "value help in store over discounts (see preferences).",
                ),
                ST(1.5, K, s["manager"], value=ACCOUNT_MANAGER),
                ST(
                    14,
                    R,
                    s["lead"],
                    "Both trucks left at 22:00 and are on schedule. Our "
                    "merchandising team will be in your 10 largest stores tomorrow to rebuild "
                    "the displays with your staff.",
                ),
                ST(14, K, s["lead"], value=GOODWILL),
                ST(
                    30,
                    C,
                    None,
                    "The stock arrived in all stores before opening. Thank you "
                    "for the trucks and the help in the stores.",
                ),
                ST(30.2, K, s["lead"], value=MAKE_WHOLE),
                ST(30.2, K, s["lead"], value=CONFIRM),
                ST(
                    32,
                    N,
                    s["manager"],
                    "Agreed with Bluewater: credit note for the four lost "
                    "promotion days (18,400.00 EUR, approved by the lead). Follow up in two "
                    "weeks to see whether they book us for the next promotion.",
                ),
                ST(
                    32.5,
                    K,
                    s["lead"],
                    "Promotion stock for Bluewater moves to the bonded "
                    "warehouse; customs checks are now planned into promotion lead times.",
                    value=ROOT_CAUSE,
                ),
                ST(
                    33,
                    R,
                    s["lead"],
                    "Thank you, Ms Gallagher. The credit note for the lost "
                    "promotion days is in your account. What went wrong: the trailer was held "
                    "for a customs check at the port, and our plan had no buffer for it. Your "
                    "promotion stock now waits in a bonded warehouse near your distribution "
                    "centre, so a check at the port can no longer hold it up.",
                    status=TicketStatus.RESOLVED,
                    explain=RootCause.CARRIER_DELAY,
                ),
                ST(190, Q, s["lead"], status=TicketStatus.CLOSED),
            ],
        ),
        # Wrong goods to a strategic account, fixed, then a second failure: reopened.
        draft(
            "meridian",
            0,
            created_at=when(24, 10, 30),
            channel=Channel.EMAIL,
            creator=s["agent2"],
            category="wrong_item",
            kind=TicketKind.COMPLAINT,
            severity=Severity.P2,
            subject="Wrong amenity kits delivered to three hotels",
            description="Isabelle Moreau: three of our hotels received the standard amenity "
            "kits instead of the new eco range we ordered for the spring relaunch. Guests "
            "arrive on Friday.",
            order_reference="PO 4500801544",
            order_value=Decimal("12600.00"),
            claimed_loss=Decimal("4200.00"),
            steps=[
                ST(0, A, s["agent2"], team=t["key"], assignee=s["agent2"]),
                ST(
                    1.2,
                    R,
                    s["agent2"],
                    "Sorry for the mix-up, Ms Moreau. The eco kits for "
                    "all three hotels leave tonight and arrive on Thursday before noon. Our "
                    "driver takes the standard kits away on the same visit, so your "
                    "housekeeping teams do not need to repack anything.",
                ),
                ST(1.2, K, s["agent2"], value=FIRST),
                ST(1.2, K, s["agent2"], value=MAKE_WHOLE),
                ST(
                    1.5,
                    N,
                    s["agent2"],
                    "Picking error: both ranges ship in the same carton "
                    "and only the label differs. The warehouse now marks the eco range with "
                    "green tape.",
                ),
                ST(1.5, F, s["agent2"], field="cause_side", value=ours_ops),
                ST(
                    39.8,
                    K,
                    s["agent2"],
                    "Confirmed by phone with the Paris and Nice hotels.",
                    value=CONFIRM,
                ),
                ST(39.9, K, s["agent2"], value=GOODWILL),
                ST(
                    40,
                    R,
                    s["agent2"],
                    "All three deliveries were signed for this morning. "
                    "We added a sample box of the new eco spa line for each housekeeping "
                    "manager. What went wrong: both ranges ship in identical cartons and only "
                    "the label differs, so the wrong ones were picked; our warehouse now marks "
                    "the eco range with green tape.",
                    status=TicketStatus.RESOLVED,
                    explain=RootCause.PICKING_ERROR,
                ),
                ST(
                    60,
                    C,
                    None,
                    "The Lyon hotel still has the standard kits: the driver took "
                    "the wrong cartons back.",
                ),
                ST(
                    61,
                    R,
                    s["agent2"],
                    "Sorry, that should not have happened twice. A courier "
                    "brings the eco kits to Lyon today by 16:00, and I have called the hotel's "
                    "housekeeping manager to confirm.",
                ),
                ST(
                    62,
                    N,
                    s["manager"],
                    "Second failure on the same order: a recovery only "
                    "helps after a first failure. I will call Isabelle myself this week.",
                ),
                ST(70, Q, s["agent2"], status=TicketStatus.RESOLVED),
            ],
        ),
        # A quality crisis that cost us a level of standing.
        draft(
            "brightline",
            0,
            created_at=when(50, 3, 40),
            channel=Channel.EMAIL,
            creator=s["agent2"],
            category="damaged_defective",
            kind=TicketKind.CRISIS,
            severity=Severity.P1,
            subject="Power adapter batch failed incoming inspection",
            description="Liu Yang: incoming inspection rejected batch 24-117. 214 of 500 "
            "sampled USB-C adapters overheat under full load. Their production line for a "
            "new power bank is waiting for the adapters.",
            order_reference="PO BL-2417",
            order_value=Decimal("96000.00"),
            claimed_loss=Decimal("96000.00"),
            steps=[
                ST(0, A, s["agent2"], team=t["key"], assignee=s["lead"]),
                ST(
                    0.5,
                    R,
                    s["lead"],
                    "Mr Liu, thank you for the detailed inspection report, "
                    "and we are sorry for the hold-up on your line. We have stopped every "
                    "shipment from this batch. A replacement batch from our second factory can "
                    "reach you in five days, and you will get an 8D report in English and "
                    "Chinese.",
                ),
                ST(0.5, K, s["lead"], value=FIRST),
                ST(0.5, K, s["lead"], value=LEAD_OWNS),
                ST(
                    1,
                    N,
                    s["manager"],
                    "Standing changed by the customer: strategic to "
                    "qualification pending after this batch. The next two deliveries decide "
                    "whether we stay on their list.",
                ),
                ST(
                    1.2,
                    K,
                    s["manager"],
                    "Agreed with Mr Liu: the next two deliveries are "
                    "inspected together with his quality team.",
                    value=ACCOUNT_MANAGER,
                ),
                ST(
                    4,
                    N,
                    s["lead"],
                    "The cause is ours: a capacitor from a new sub-supplier. Sub-supplier blocked.",
                ),
                ST(4, F, s["lead"], field="cause_side", value=ours_product),
                ST(
                    22,
                    R,
                    s["lead"],
                    "Status: the replacement batch is in production at our "
                    "second factory, and full-load testing starts on day 3. Shipping of batch "
                    "24-117 remains stopped.",
                ),
                ST(
                    46,
                    R,
                    s["lead"],
                    "Status: production is finished; every adapter now goes "
                    "through a full-load test before packing. Delivery is on schedule for "
                    "day 5.",
                ),
                ST(
                    70,
                    R,
                    s["lead"],
                    "Status: 500 adapters tested at full load without a "
                    "failure. Shipped by air this afternoon; the tracking is attached.",
                ),
                ST(
                    94,
                    R,
                    s["lead"],
                    "Status: the shipment has cleared customs in Shenzhen "
                    "and will be delivered tomorrow morning.",
                ),
                ST(
                    120,
                    R,
                    s["lead"],
                    "The replacement batch passed our own full-load "
                    "inspection and was delivered today. The 8D report is attached: the "
                    "overheating came from a capacitor made by a new sub-supplier, who is now "
                    "blocked. The rejected batch is collected at our cost, and our quality "
                    "engineer will inspect your next two deliveries with your team at no "
                    "charge.",
                    status=TicketStatus.PENDING_CUSTOMER,
                    explain=RootCause.PRODUCT_DEFECT,
                ),
                ST(120, K, s["lead"], value=MAKE_WHOLE),
                ST(120, K, s["lead"], value=GOODWILL),
                ST(
                    150,
                    C,
                    None,
                    "Our incoming inspection accepted the new batch. We will "
                    "review the 8D report with our quality team.",
                ),
                ST(150.5, K, s["lead"], value=CONFIRM),
                ST(
                    151,
                    K,
                    s["lead"],
                    "Incoming test at the sub-supplier added; capacitor "
                    "changes now need our approval.",
                    value=ROOT_CAUSE,
                ),
                ST(152, Q, s["lead"], status=TicketStatus.RESOLVED),
                ST(330, Q, s["lead"], status=TicketStatus.CLOSED),
            ],
        ),
        # A billing error on a strategic account, waiting for the customer's choice.
        draft(
            "halvorsen",
            1,
            created_at=when(3, 11, 0),
            channel=Channel.EMAIL,
            creator=s["agent3"],
            category="billing_payment",
            kind=TicketKind.COMPLAINT,
            severity=Severity.P3,
            subject=f"Invoice INV-{year}-00871 at list price instead of contract price",
            description="Ola Berg: the last invoice charges the list price for the "
            "examination gloves. Our framework agreement fixes the price until December. "
            "The difference is 1,140.00 EUR.",
            order_reference=f"INV-{year}-00871",
            order_value=Decimal("8620.00"),
            claimed_loss=Decimal("1140.00"),
            steps=[
                ST(0, A, s["agent3"], team=t["billing"], assignee=s["agent3"]),
                ST(
                    1.5,
                    R,
                    s["agent3"],
                    "You are right, Mr Berg, and I'm sorry. I have "
                    "cancelled the invoice, and a corrected one at the contract price is in "
                    "your account. Should the 1,140.00 EUR you already paid go back to your "
                    "bank account, or be set against the next invoice?",
                    status=TicketStatus.PENDING_CUSTOMER,
                ),
                ST(1.5, K, s["agent3"], value=FIRST),
                ST(1.5, K, s["agent3"], value=MAKE_WHOLE),
                ST(
                    2,
                    N,
                    s["agent3"],
                    "Contract prices for Halvorsen were not carried over "
                    "to the new price list. Finance is checking the invoices of all nine "
                    "clinics since 1 January.",
                ),
                ST(2, F, s["agent3"], field="cause_side", value=CauseSide.OURS_COMMERCIAL),
            ],
        ),
        # A service complaint on the web form, not yet routed.
        draft(
            "urban_sprout",
            0,
            created_at=now - timedelta(hours=5, minutes=10),
            channel=Channel.WEB,
            creator=None,
            category="service_attitude",
            kind=TicketKind.COMPLAINT,
            severity=Severity.P3,
            subject="Driver was short with our barista at the Mitte café",
            description="This morning your driver left the delivery at the back door and "
            "told our barista to carry it in himself because he was running late. The "
            "cartons of oat milk are heavy, and it was not the first time.",
        ),
        # Damaged olive oil for a key account, being worked.
        draft(
            "casa_oliva",
            0,
            created_at=when(2, 9, 45),
            channel=Channel.PHONE,
            creator=s["agent"],
            category="damaged_defective",
            kind=TicketKind.COMPLAINT,
            severity=Severity.P2,
            subject="Olive oil tins dented, two leaking",
            description="Giulia Conti called: in today's delivery 6 of the 40 tins of olive "
            "oil are dented and 2 are leaking over the other goods. She needs the tins for "
            "the weekend market.",
            order_reference="SO-266402",
            order_value=Decimal("1480.00"),
            claimed_loss=Decimal("296.00"),
            steps=[
                ST(0, A, s["agent"], team=t["logistics"], assignee=s["agent"]),
                ST(
                    0.5,
                    R,
                    s["agent"],
                    "Sorry, Ms Conti. Eight replacement tins go on "
                    "tomorrow's first van, so you have them before the weekend market. Please "
                    "throw the leaking ones away; we do not need them back.",
                ),
                ST(0.5, K, s["agent"], value=FIRST),
                ST(
                    0.7,
                    N,
                    s["agent"],
                    "The pallet was wrapped without corner boards. Reported to the warehouse lead.",
                ),
                ST(0.7, F, s["agent"], field="cause_side", value=ours_ops),
                ST(
                    20,
                    C,
                    None,
                    "Thank you. Could you also check the marinated olives? One jar lid was loose.",
                ),
                ST(20.5, K, s["agent"], value=MAKE_WHOLE),
            ],
        ),
        # A first-time web customer, minutes ago.
        draft(
            "priya",
            0,
            created_at=now - timedelta(minutes=40),
            channel=Channel.WEB,
            creator=None,
            category="late_delivery",
            kind=TicketKind.COMPLAINT,
            severity=Severity.P3,
            subject="Towels not delivered yet",
            description="I ordered bamboo bath towels ten days ago (SO-267711). The website "
            "said three to five days. Could you tell me where they are?",
            order_reference="SO-267711",
            order_value=Decimal("59.90"),
        ),
        # A paid invoice treated as overdue: fixed at once.
        draft(
            "pacific_crest",
            0,
            created_at=when(12, 16, 30),
            channel=Channel.EMAIL,
            creator=s["agent3"],
            category="billing_payment",
            kind=TicketKind.COMPLAINT,
            severity=Severity.P3,
            subject="Paid invoice marked overdue, late fee charged",
            description=f"Megan Doyle: we paid invoice INV-{year}-00512 on the due date by "
            "wire transfer and still got a reminder with a 45.00 USD late fee.",
            order_reference=f"INV-{year}-00512",
            order_value=Decimal("6830.00"),
            claimed_loss=Decimal("45.00"),
            steps=[
                ST(0, A, s["agent3"], team=t["billing"], assignee=s["agent3"]),
                ST(2.8, F, s["agent3"], field="cause_side", value=CauseSide.OURS_COMMERCIAL),
                ST(2.9, K, s["agent3"], value=FIRST),
                ST(2.9, K, s["agent3"], value=MAKE_WHOLE),
                ST(
                    2.9,
                    K,
                    s["agent3"],
                    "Confirmed by phone with Ms Doyle that the corrected "
                    "statement matches their records.",
                    value=CONFIRM,
                ),
                ST(
                    3,
                    R,
                    s["agent3"],
                    "Thank you for telling us, Ms Doyle, and sorry for the "
                    "worry. Your payment arrived on time; we booked it to the wrong account. "
                    "The reminder and the late fee are cancelled, and a corrected statement is "
                    "attached.",
                    status=TicketStatus.RESOLVED,
                    explain=RootCause.BILLING_ERROR,
                ),
                ST(
                    4,
                    N,
                    s["manager"],
                    "Pacific Crest is evaluating a second supplier. "
                    "Follow-up call booked to walk them through the corrected statement.",
                ),
            ],
        ),
        # Something that fits no category.
        draft(
            "riverside",
            0,
            created_at=when(40, 14, 0),
            channel=Channel.EMAIL,
            creator=s["agent"],
            category="other",
            kind=TicketKind.COMPLAINT,
            severity=Severity.P4,
            subject="Quarterly usage report not received",
            description="Aidan Walsh: the quarterly usage report we were promised has not "
            "arrived. We use it to plan the cleaning budget for the next quarter.",
            steps=[
                ST(0, A, s["agent"], team=t["front"], assignee=s["agent"]),
                ST(4.8, F, s["agent"], field="cause_side", value=ours_ops),
                ST(
                    5,
                    R,
                    s["agent"],
                    "Sorry for the wait, Mr Walsh. The report for the last "
                    "quarter is attached; it shows two buildings where a concentrate would "
                    "save about 15% on cleaner. What went wrong: the report had no owner after "
                    "a colleague moved to another team. From now on it is sent automatically "
                    "on the fifth working day of each quarter.",
                    explain=RootCause.COORDINATION_GAP,
                ),
                ST(5, K, s["agent"], value=FIRST),
                ST(5, K, s["agent"], value=MAKE_WHOLE),
                ST(5, K, s["agent"], value=GOODWILL),
                ST(26, C, None, "Got it, thank you. The tip about the concentrate is useful."),
                ST(26.5, K, s["agent"], value=CONFIRM),
                ST(26.6, Q, s["agent"], status=TicketStatus.RESOLVED),
                ST(150, Q, s["agent"], status=TicketStatus.CLOSED),
            ],
        ),
    ]
    return stories


def _contact(customer: Customer, spec: CustomerSpec, index: int) -> Contact | None:
    wanted = spec.contacts[index][1] if spec.contacts else None
    for contact in customer.contacts:
        if contact.email == wanted:
            return contact
    return customer.contacts[0] if customer.contacts else None
