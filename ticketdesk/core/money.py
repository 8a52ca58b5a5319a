"""Money: currencies, their minor units, rounding, and the checks every amount passes.

One set of rules for every place an amount enters (ticket order value and claimed loss,
remedy cost and affected value, orders by hand and by CSV, playbook limits):

- an amount is a plain decimal number: no exponent, no ``Infinity`` or ``NaN``;
- it is not negative and stays below ``MAX_AMOUNT``;
- it has no digits finer than its currency's minor unit, taken from Babel's currency
  data (``get_currency_precision``: 2 for EUR, 0 for JPY, 3 for KWD and BHD), and at most
  ``MAX_PLACES`` decimals, which is what the money columns store;
- a currency is a three-letter code Babel knows (ISO 4217).

Caps and limits are rounded *down* to the minor unit (``round_down``), so a cap never
allows half a minor unit more than its percentage; amounts the desk computes for people
(suggested goodwill, averages) are rounded half up (``round_money``).
"""

import re
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import get_currency_precision, list_currencies
from flask_babel import gettext as _

from ticketdesk.core.errors import DomainError

MAX_PLACES = 3  # the money columns are Numeric(15, 3)
MAX_AMOUNT = Decimal("10000000000")  # every amount stays below ten thousand million
_SYNTAX = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")
_MAX_TEXT = 40
_KNOWN = frozenset(list_currencies())


def minor_places(currency: str) -> int:
    """Decimal places of the currency's minor unit (never more than the columns store)."""
    return min(get_currency_precision(currency), MAX_PLACES)


def minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_places(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half up to the currency's minor unit (2 for EUR, 0 for JPY)."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def round_down(amount: Decimal, currency: str) -> Decimal:
    """Round down (towards minus infinity) to the currency's minor unit: caps and limits."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_FLOOR)


def places(value: Decimal) -> int:
    """Decimal places written in ``value`` beyond its trailing zeros (10.50 → 1, 10 → 0)."""
    exponent = value.normalize().as_tuple().exponent if value else 0
    return max(-exponent, 0)


def parse_amount(text: str | None) -> Decimal | None:
    """A plain decimal number typed by a person or read from a file; ``None`` when empty.

    Raises ``ValueError`` with a message for anything else: exponents (``1e30``),
    ``Infinity``, ``NaN``, thousands separators, letters.
    """
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > _MAX_TEXT or not _SYNTAX.fullmatch(text):
        raise ValueError(
            _(
                "“%(value)s” is not an amount; write a plain number like 1234.50.",
                value=text[:_MAX_TEXT],
            )
        )
    return Decimal(text)


def amount_problem(value: Decimal, currency: str | None = None) -> str | None:
    """Why ``value`` cannot be an amount (of ``currency``, when given), or None."""
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return _("That is not an amount.")
    if not value.is_finite():
        return _("That is not an amount; write a plain number like 1234.50.")
    if value < 0:
        return _("Amounts cannot be negative.")
    if value >= MAX_AMOUNT:
        return _("That amount is too large: keep it below %(max)s.", max=f"{MAX_AMOUNT:,}")
    if currency is None:
        if places(value) > MAX_PLACES:
            return _("Use at most %(n)d decimal places.", n=MAX_PLACES)
        return None
    allowed = minor_places(currency)
    if places(value) > allowed:
        if allowed == 0:
            return _(
                "%(currency)s amounts are whole numbers: use no decimal places.", currency=currency
            )
        return _(
            "%(currency)s amounts have at most %(n)d decimal places.", currency=currency, n=allowed
        )
    return None


def check_amount(value: Decimal | None, *, currency: str, field: str) -> Decimal | None:
    """``value`` if it is a valid amount of ``currency`` (None passes), else DomainError."""
    if value is None:
        return None
    problem = amount_problem(value, currency)
    if problem:
        raise DomainError(problem, field=field)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def check_currency(code: str | None, *, field: str = "currency") -> str:
    """An ISO 4217 code Babel knows, upper-cased."""
    code = (code or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise DomainError(_("Use a three-letter currency code such as EUR."), field=field)
    if code not in _KNOWN:
        raise DomainError(
            _(
                "%(code)s is not a currency code we know; use an ISO 4217 code "
                "such as EUR, USD or JPY.",
                code=code,
            ),
            field=field,
        )
    return code
