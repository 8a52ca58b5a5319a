"""Conditions: the one matcher behind playbooks, SLA policies and routing rules.

A condition set is a mapping ``key -> list of allowed values``, stored as JSON on a playbook
version, an SLA policy or a routing rule. The keys and their facts:

=============  ==========================================  ==================================
key            fact of the ticket                          values
=============  ==========================================  ==================================
kinds          its kind                                    ``TicketKind`` values
categories     its category                                category slugs
causes         the group of its cause side (ours/theirs)   ``CauseGroup`` values
cause_sides    its cause side                              ``CauseSide`` values
severities     its severity                                ``Severity`` values
channels       the channel it came by                      ``Channel`` values
tiers          its customer's tier                         ``CustomerTier`` values
standings      its customer's standing                     ``Standing`` values
keywords       its subject and description                 words, any of which must appear
=============  ==========================================  ==================================

The one semantics (docs/rules.md, "Conditions"):

* A key with no values (or absent) does not constrain. Within a key the values are
  alternatives; a set *holds* for a ticket when every constrained key holds, so an empty set
  holds for every ticket. A keyword holds when it appears anywhere in the subject or the
  description, ignoring case.
* *Specificity* is the number of constrained keys; among equally many, the set that allows
  fewer values in total is narrower.
* Choosing one of several candidates that have a default (playbooks, SLA policies): only a
  candidate that is not the default and constrains at least one key competes; among the
  competitors that hold, the most specific wins, then the narrower, then the oldest (lowest
  id). When none holds, the default applies. A candidate without conditions therefore only
  applies as the default. Routing rules have no default: they apply in their order.

Nothing here writes; everything runs inside the caller's transaction.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from flask_babel import gettext as _

from ticketdesk.core.errors import DomainError
from ticketdesk.extensions import db
from ticketdesk.models import (
    Category,
    CauseGroup,
    CauseSide,
    Channel,
    Customer,
    CustomerTier,
    Severity,
    Standing,
    Ticket,
    TicketKind,
)

# Every key, in the order editors and explanations show them, with the enum of its values
# (None: categories are rows, keywords are free words).
ENUMS: dict[str, type | None] = {
    "kinds": TicketKind,
    "severities": Severity,
    "channels": Channel,
    "tiers": CustomerTier,
    "standings": Standing,
    "cause_sides": CauseSide,
    "causes": CauseGroup,
    "categories": None,
    "keywords": None,
}
KEYS = tuple(ENUMS)

# The keys each domain's editor offers.
PLAYBOOK_KEYS = ("kinds", "categories", "causes", "severities", "tiers", "standings")
SLA_KEYS = ("kinds", "severities", "tiers")
ROUTING_KEYS = (
    "kinds",
    "severities",
    "channels",
    "tiers",
    "standings",
    "cause_sides",
    "categories",
    "keywords",
)

KEYWORD_MAX = 60
KEYWORDS_MAX = 30


# ----------------------------------------------------------------- facts


def facts(subject: Any, keys: Iterable[str] = KEYS) -> dict[str, str | None]:
    """What conditions test, from a ticket or from a sample ticket of the routing dry run.

    A ticket (or anything shaped like one: ``customer``, ``category``) is read through its
    relations; a sample has the ticket's attributes (``kind``, ``category_id``,
    ``cause_side``, ``severity``, ``channel``, ``subject``, ``description``) and its
    customer's (``tier``, ``standing``). The value of ``keywords`` is the text keywords are
    looked for in. Only ``keys`` are read (a domain passes the keys it offers, so nothing
    else is loaded).
    """
    is_ticket = hasattr(subject, "customer")

    def person():
        return subject.customer if is_ticket else subject

    def category():
        if is_ticket:
            found = subject.category
        else:
            found = (
                db.session.get(Category, subject.category_id)
                if subject.category_id is not None
                else None
            )
        return found.slug if found is not None else None

    def value(member):
        return member.value if member is not None else None

    read = {
        "kinds": lambda: value(subject.kind),
        "severities": lambda: value(subject.severity),
        "channels": lambda: value(subject.channel),
        "tiers": lambda: value(person().tier),
        "standings": lambda: value(person().standing),
        "cause_sides": lambda: value(subject.cause_side),
        "causes": lambda: value(subject.cause_side.group) if subject.cause_side else None,
        "categories": category,
        "keywords": lambda: f"{subject.subject or ''}\n{subject.description or ''}",
    }
    return {key: read[key]() for key in keys}


# ----------------------------------------------------------------- validation


def _allowed(key: str) -> set[str]:
    if key == "categories":
        return set(db.session.scalars(sa.select(Category.slug)))
    return {m.value for m in ENUMS[key]}


def validate(
    conditions: Mapping[str, Any], keys: Sequence[str], *, field: str | None = None
) -> dict[str, list[str]]:
    """The conditions as stored: each constrained key of ``keys`` with its values, without
    repeats, in the order given; keys without values are left out.

    Raises DomainError for a key outside ``keys``, a value that is not a list of words, a
    value the key does not know (an enum value, a category slug) and keywords that are too
    many or too long. The error names ``field`` when given (an editor showing all conditions
    as one group), else the key itself.
    """
    unknown_keys = set(conditions) - set(keys)
    if unknown_keys:
        raise DomainError(
            _("Unknown condition: %(key)s.", key=", ".join(sorted(unknown_keys))),
            field=field or "conditions",
        )
    cleaned: dict[str, list[str]] = {}
    for key in keys:
        values = conditions.get(key) or []
        if isinstance(values, str) or not isinstance(values, Iterable):
            raise DomainError(_("Conditions must be lists of values."), field=field or key)
        values = list(values)
        if not all(isinstance(v, str) for v in values):
            raise DomainError(_("Conditions must be lists of values."), field=field or key)
        values = list(dict.fromkeys(values))
        if not values:
            continue
        if key == "keywords":
            _check_keywords(values, field=field or key)
        else:
            unknown = set(values) - _allowed(key)
            if unknown and field:
                raise DomainError(
                    _(
                        "Unknown value in the conditions: %(values)s.",
                        values=", ".join(sorted(unknown)),
                    ),
                    field=field,
                )
            if unknown:
                raise DomainError(
                    _("Unknown category.")
                    if key == "categories"
                    else _("Unknown value in this condition."),
                    field=key,
                )
        cleaned[key] = values
    return cleaned


def _check_keywords(words: list[str], *, field: str) -> None:
    if len(words) > KEYWORDS_MAX:
        raise DomainError(_("Use at most %(n)s keywords.", n=KEYWORDS_MAX), field=field)
    for word in words:
        if len(word) > KEYWORD_MAX:
            raise DomainError(
                _("Keep each keyword under %(n)s characters.", n=KEYWORD_MAX), field=field
            )


# ----------------------------------------------------------------- matching


def _keywords(values: Iterable[str]) -> list[str]:
    return [k for k in values if k.strip()]


def constrained(conditions: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """The keys that constrain, with their values (blank keywords do not constrain)."""
    found = {}
    for key in KEYS:
        values = list((conditions or {}).get(key) or [])
        if key == "keywords":
            values = _keywords(values)
        if values:
            found[key] = values
    return found


def _holds(key: str, values: list[str], fact: str | None) -> tuple[bool, str | None]:
    """Whether one constrained key holds, and (for keywords) the first keyword found."""
    if key == "keywords":
        text = (fact or "").casefold()
        found = next((k for k in values if k.casefold() in text), None)
        return found is not None, found
    return fact in values, None


def matches(conditions: Mapping[str, Any] | None, ticket_facts: Mapping[str, str | None]) -> bool:
    """True when every constrained key holds for the facts (an empty set always holds)."""
    return all(
        _holds(key, values, ticket_facts.get(key))[0]
        for key, values in constrained(conditions).items()
    )


@dataclass(frozen=True)
class Check:
    """One constrained key, tested: what was allowed, the ticket's value, whether it held."""

    key: str
    allowed: tuple[str, ...]
    value: str | None  # the ticket's value (for keywords: the keyword found, if any)
    held: bool


def explain(
    conditions: Mapping[str, Any] | None, ticket_facts: Mapping[str, str | None]
) -> list[Check]:
    """Every constrained key in the order of ``KEYS``, and whether it held (the dry run and
    the preview show these). The set matches exactly when every check held."""
    checks = []
    for key, values in constrained(conditions).items():
        held, found = _holds(key, values, ticket_facts.get(key))
        checks.append(
            Check(
                key=key,
                allowed=tuple(values),
                held=held,
                value=found if key == "keywords" else ticket_facts.get(key),
            )
        )
    return checks


# ----------------------------------------------------------------- specificity and choice


def specificity(conditions: Mapping[str, Any] | None) -> tuple[int, int]:
    """(constrained keys, allowed values in total): more keys is more specific; among equally
    many, fewer values is narrower."""
    found = constrained(conditions)
    return len(found), sum(len(values) for values in found.values())


def rank(conditions: Mapping[str, Any] | None, candidate_id: float) -> tuple[int, int, float]:
    """Sort key of a competing candidate: the smallest wins (the tie-break of ``choose``)."""
    keys, values = specificity(conditions)
    return -keys, values, candidate_id


C = TypeVar("C")


def choose(
    candidates: Iterable[C],
    ticket_facts: Mapping[str, str | None],
    *,
    conditions_of: Callable[[C], Mapping[str, Any] | None],
    narrow: Callable[[list[C]], list[C]] | None = None,
) -> C | None:
    """The candidate for a ticket: the most specific competitor whose conditions hold, else
    the default (see the module's docstring).

    Each candidate has ``id`` and ``is_default``; ``conditions_of`` reads its conditions.
    ``narrow`` may keep a preferred part of the competitors that hold (it gets them all).
    """
    candidates = list(candidates)
    fitting = [
        c
        for c in candidates
        if not c.is_default
        and constrained(conditions_of(c))
        and matches(conditions_of(c), ticket_facts)
    ]
    if narrow is not None and fitting:
        fitting = narrow(fitting)
    if fitting:
        return min(fitting, key=lambda c: rank(conditions_of(c), c.id))
    return next((c for c in candidates if c.is_default), None)


# ----------------------------------------------------------------- in SQL


def clauses(conditions: Mapping[str, Any] | None) -> list[sa.ColumnElement[bool]]:
    """``matches`` as SQL over ``tickets`` joined with their customer and category.

    Keywords have no clause (the caller tests them with ``matches``); every other constrained
    key gives one, and a key none of whose values exists matches no ticket.
    """
    columns = {
        "kinds": Ticket.kind,
        "severities": Ticket.severity,
        "channels": Ticket.channel,
        "cause_sides": Ticket.cause_side,
        "tiers": Customer.tier,
        "standings": Customer.standing,
    }
    found = []
    for key, values in constrained(conditions).items():
        allowed = set(values)
        if key == "keywords":
            continue
        if key == "categories":
            found.append(Category.slug.in_(sorted(allowed)))
        elif key in ("causes", "cause_sides"):
            sides = [
                side
                for side in CauseSide
                if (side.group.value if key == "causes" else side.value) in allowed
            ]
            found.append(Ticket.cause_side.in_(sides) if sides else sa.false())
        else:
            known = sorted(allowed & {m.value for m in ENUMS[key]})
            found.append(columns[key].in_(known) if known else sa.false())
    return found
