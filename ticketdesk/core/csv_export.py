"""The one CSV writer behind every export.

Spreadsheet programs run a cell as a formula when its text starts with ``=``, ``+``,
``-`` or ``@`` (and some also after a leading tab or carriage return), so text a customer
typed (a subject, a name) could run in the reader's spreadsheet. Following OWASP's advice,
a *text* cell starting with one of those characters is written with a single quote ``'``
in front, which spreadsheets show as plain text. Numbers (``int``, ``float``, ``Decimal``)
are written as numbers, untouched, so ``Decimal("-5.00")`` stays ``-5.00`` and sums in the
spreadsheet; a number that arrives as text (``"-5.00"``) is text and gets the quote.
``None`` is an empty cell; anything else is written as its text (``str()``).
"""

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from flask import Response

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str | int | float | Decimal:
    """The value as written to the file: numbers as they are, text made inert."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """Rows (the header row first) as CSV text, every cell through ``safe_cell``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return out.getvalue()


def csv_response(rows: Iterable[Iterable[Any]], *, filename: str) -> Response:
    """A download of ``rows`` named ``filename``."""
    response = Response(csv_text(rows), mimetype="text/csv")
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response
