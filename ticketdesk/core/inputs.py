"""Input at every boundary: ids, whole numbers, decimals, dates and text from the outside.

One place decides what the desk accepts from a URL, a query string or a form, so that no
hostile value reaches the database or the date maths (see docs/rules.md, section 11):

- an **id** is a whole number from 1 to 2,147,483,647 (the range of an id column on
  PostgreSQL), written in at most ten ASCII digits; in a path anything else is *404 Not
  Found* (the ``int`` URL converter), in a query string it is ignored like any unknown
  filter value, in a form it is a field error;
- a **page number** is 1 … 1,000,000: nonsense is page 1, more is the last possible
  page (empty, like any page past the end);
- a **whole number** field accepts an optional sign and ASCII digits only, within the
  field's own range and never beyond ±2,147,483,647;
- a **decimal** (percentages, shares, hours) is written as plain digits with an optional
  point: no exponent, no ``Infinity``, no ``NaN``;
- a **date** is ``YYYY-MM-DD`` from 1900-01-01 to 2999-12-31, both included;
- **text** may hold any character but NUL (U+0000), which PostgreSQL cannot store: a
  request with NUL in its path, a query or form value or name, or a file name is refused
  with *400 Bad Request* before any view runs.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter
from wtforms import DateField, DecimalField, IntegerField

ID_MIN = 1
ID_MAX = 2_147_483_647  # PostgreSQL INTEGER, the type of every id column
INT_MIN, INT_MAX = -ID_MAX - 1, ID_MAX
PAGE_MAX = 1_000_000  # page numbers in lists (?page=)
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2999, 12, 31)

_ID_RE = re.compile(r"[0-9]{1,10}")
_INT_RE = re.compile(r"[+-]?[0-9]{1,10}")
_DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]{1,15}(?:\.[0-9]{0,10})?|\.[0-9]{1,10})")

NOT_AN_ID = _l("Not a valid choice.")


# ----------------------------------------------------------------- ids


def parse_id(value) -> int:
    """``value`` as an id (1 … ID_MAX); ``ValueError`` for anything else."""
    if isinstance(value, bool):
        raise ValueError(str(NOT_AN_ID))
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip() if value is not None else ""
        if not _ID_RE.fullmatch(text):
            raise ValueError(str(NOT_AN_ID))
        number = int(text)
    if not ID_MIN <= number <= ID_MAX:
        raise ValueError(str(NOT_AN_ID))
    return number


def choice_id(value) -> int | None:
    """A select's value as an id (the ``coerce`` of id selects).

    WTForms also coerces every offered choice when it draws the select, the empty first
    choice included, so "" and None give None and 0 stays 0 (no record has id 0).
    """
    if value is None or value == "":
        return None
    if value in (0, "0"):
        return 0
    return parse_id(value)


def optional_id(value) -> int | None:
    """A select's value as an id; the empty choice ("" or None) is None."""
    if value is None or value == "":
        return None
    return parse_id(value)


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: an id from 1 to ID_MAX, else the rule does not match
    (404). At most ten digits, so a thousand-digit number is never even converted."""

    regex = r"[0-9]{1,10}"

    def __init__(self, map, fixed_digits=0, min=ID_MIN, max=ID_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=False)


def id_arg(name: str) -> int | None:
    """An id from the query string (a list filter, a pre-filled choice).

    None when absent, empty or no id at all: like any other filter value the page does
    not know (``?kind=zzz``), it is ignored, so the list shows as if it was not given.
    """
    try:
        return optional_id(request.args.get(name, ""))
    except ValueError:
        return None


def page_arg(name: str = "page") -> int:
    """A page number from the query string, 1 … PAGE_MAX.

    Not a number, or below 1: page 1. Above PAGE_MAX: PAGE_MAX, which like any page past
    the end of the list shows an empty page (the offset stays within what databases take).
    """
    raw = request.args.get(name, "").strip()
    if not re.fullmatch(r"[+-]?[0-9]+", raw):
        return 1
    if raw.startswith("-") or int(raw.lstrip("+") or 0) < 1:
        return 1
    if len(raw.lstrip("+")) > len(str(PAGE_MAX)):
        return PAGE_MAX
    return min(int(raw), PAGE_MAX)


# ----------------------------------------------------------------- form fields


class IntField(IntegerField):
    """A whole number: optional sign and ASCII digits, never beyond ±2,147,483,647.

    The field's own ``NumberRange`` gives the range users see; this bound only keeps
    absurd values (``1e309``, ``Infinity``, a hundred digits) from going any further.
    """

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = (valuelist[0] or "").strip()
        self.data = None
        if not _INT_RE.fullmatch(text):
            raise ValueError(
                self.invalid_value_message or self.gettext("Not a valid integer value.")
            )
        number = int(text)
        if not INT_MIN <= number <= INT_MAX:
            raise ValueError(str(_l("That number is too large.")))
        self.data = number


class NumberField(DecimalField):
    """A finite decimal written as plain digits (``12``, ``12.5``, ``-0.25``).

    No exponent, ``Infinity`` or ``NaN``: ``Decimal`` would take them, and they break
    comparisons, rounding and the database's NUMERIC columns. At most 15 digits before
    the point and 10 after; the field's ``NumberRange`` gives the range users see.
    """

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = (valuelist[0] or "").strip()
        self.data = None
        if not _DECIMAL_RE.fullmatch(text):
            raise ValueError(
                self.invalid_value_message or str(_l("Enter a number, like 12 or 12.5."))
            )
        try:
            self.data = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits none
            raise ValueError(str(_l("Enter a number, like 12 or 12.5."))) from exc

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return super()._value()


class BoundedDateField(DateField):
    """A date from DATE_MIN to DATE_MAX (both included); others are a field error, so no
    later ``date + timedelta`` can overflow."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not DATE_MIN <= self.data <= DATE_MAX:
            self.data = None
            raise ValueError(
                str(
                    _l(
                        "Enter a date between %(first)s and %(last)s.",
                        first=DATE_MIN.isoformat(),
                        last=DATE_MAX.isoformat(),
                    )
                )
            )


def check_date_range(value: date) -> bool:
    """Whether a date parsed elsewhere (a CSV file, a text area) is within the bounds."""
    return DATE_MIN <= value <= DATE_MAX


# ----------------------------------------------------------------- the app


def normalise_email(email: str | None) -> str | None:
    """An e-mail address as the desk stores and compares it: trimmed and lower case
    (None when empty)."""
    email = (email or "").strip().lower()
    return email or None


def _has_nul(text: str | None) -> bool:
    return text is not None and "\x00" in text


def refuse_nul() -> None:
    """``before_request``: 400 for NUL anywhere a request carries text into the app."""
    if _has_nul(request.path):
        abort(400, description=NUL_MESSAGE)
    for source in (request.args, request.form):
        for key, values in source.lists():
            if _has_nul(key) or any(_has_nul(v) for v in values):
                abort(400, description=NUL_MESSAGE)
    for key, storage in request.files.items(multi=True):
        if _has_nul(key) or _has_nul(storage.filename):
            abort(400, description=NUL_MESSAGE)


NUL_MESSAGE = _l(
    "The request contains a NUL character (U+0000), which no text here may "
    "hold. Remove it and send again."
)


def init_app(app: Flask) -> None:
    """Register the id converter (before any blueprint) and the NUL check."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_nul)
