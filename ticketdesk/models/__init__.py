"""All models, imported here so metadata and autogenerate see every table."""

from ticketdesk.models.account import (
    Contact,
    Customer,
    CustomerTier,
    EngagementSegment,
    Standing,
)
from ticketdesk.models.ledger import (
    LIVE_REMEDY_STATES,
    CapBase,
    Remedy,
    RemedyKind,
    RemedyReason,
    RemedyState,
)
from ticketdesk.models.playbook import (
    CauseGroup,
    CauseSide,
    GoodwillBasis,
    Playbook,
    PlaybookStep,
    PlaybookVersion,
    RemedyForm,
    RootCause,
    StepKind,
    TicketStep,
)
from ticketdesk.models.mail import InboundMail, InboundSource, InboundState, TicketCc
from ticketdesk.models.notification import (
    MailPurpose,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
    OutboxState,
)
from ticketdesk.models.recovery import (
    LoyaltyState,
    Order,
    OrderSource,
    RecoveryOutcome,
    RecoveryRules,
    StandingChange,
    TierChange,
    Survey,
    purchase_clause,
)
from ticketdesk.models.routing import AssignStrategy, NotifyTarget, RoutingRule, TicketWatcher
from ticketdesk.models.scheduler import SchedulerLease
from ticketdesk.models.sla import (
    BusinessCalendar,
    CalendarHoliday,
    SlaEvent,
    SlaMilestone,
    SlaPolicy,
    SlaState,
)
from ticketdesk.models.support import Counter, RateLimitHit
from ticketdesk.models.ticket import (
    OPEN_STATUSES,
    PUBLIC_EVENT_KINDS,
    Attachment,
    Category,
    Channel,
    EventKind,
    Severity,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from ticketdesk.models.user import (
    WORKING_ROLES,
    AwayReason,
    Role,
    Team,
    User,
    UserSession,
    team_members,
)

__all__ = [
    "OPEN_STATUSES", "PUBLIC_EVENT_KINDS", "WORKING_ROLES",
    "LIVE_REMEDY_STATES", "CapBase", "Remedy", "RemedyKind", "RemedyReason", "RemedyState",
    "CauseGroup", "CauseSide", "GoodwillBasis", "Playbook", "PlaybookStep", "PlaybookVersion",
    "RemedyForm", "RootCause", "StepKind", "TicketStep",
    "Attachment", "Category", "Channel", "Contact", "Counter", "Customer", "CustomerTier",
    "EventKind", "RateLimitHit", "Role", "Severity", "Standing", "Team", "Ticket",
    "TicketEvent", "TicketKind", "TicketStatus", "User", "UserSession", "team_members",
    "AwayReason", "AssignStrategy", "NotifyTarget", "RoutingRule", "TicketWatcher",
    "BusinessCalendar", "CalendarHoliday", "SlaEvent", "SlaMilestone", "SlaPolicy", "SlaState",
    "InboundMail", "InboundSource", "InboundState", "MailPurpose", "TicketCc",
    "Notification", "NotificationKind", "NotificationPreference", "OutboxMessage", "OutboxState",
    "SchedulerLease",
    "EngagementSegment", "LoyaltyState", "Order", "OrderSource", "RecoveryOutcome",
    "RecoveryRules", "StandingChange", "Survey", "TierChange", "purchase_clause",
]
