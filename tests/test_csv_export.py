"""CSV exports: text that a spreadsheet would run as a formula is written inert; numbers
stay numbers. One writer (ticketdesk.core.csv_export) serves every export."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import factories
from ticketdesk.core.csv_export import FORMULA_PREFIXES, csv_text, safe_cell
from ticketdesk.database import utcnow
from ticketdesk.extensions import db
from ticketdesk.models import Role, Ticket, TicketStatus, User


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+41 44 123 45 67", "'+41 44 123 45 67"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-5.00", "'-5.00"),  # a number given as text is text
        ("Bottle missing", "Bottle missing"),
        ("a=b", "a=b"),  # only the first character counts
        (" =1+1", " =1+1"),
        ("'quoted", "'quoted"),
        ("", ""),
        (None, ""),
        (Decimal("-5.00"), Decimal("-5.00")),  # numbers are written as numbers
        (-3, -3),
        (0, 0),
        (2.5, 2.5),
        (True, "True"),  # a flag is text, not a number
        (date(2026, 3, 2), "2026-03-02"),
    ],
)
def test_cells_as_written(value, written):
    assert safe_cell(value) == written


def test_negative_amount_stays_a_number_in_the_file():
    text = csv_text([["Amount", "Note"], [Decimal("-5.00"), "-5.00"], [-3, "=1+1"]])
    assert text.splitlines() == ["Amount,Note", "-5.00,'-5.00", "-3,'=1+1"]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.text(max_size=20),
                st.integers(),
                st.none(),
                st.decimals(allow_nan=False, allow_infinity=False, places=2),
            ),
            min_size=1,
            max_size=4,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_no_text_cell_reads_back_as_a_formula(rows):
    read = list(csv.reader(io.StringIO(csv_text(rows), newline="")))
    assert len(read) == len(rows)
    for original, written in zip(rows, read, strict=True):
        for value, cell in zip(original, written, strict=True):
            if isinstance(value, str):
                assert not cell.startswith(FORMULA_PREFIXES)
                assert cell in (value, "'" + value)
            elif value is not None:
                assert cell == str(value)  # numbers untouched, minus sign included


def _hostile_overdue_ticket():
    team = factories.make_team("Alpha")
    lead = factories.make_user(Role.LEAD, name="Lena Lead", team_ids=(team,))
    db.session.get(User, lead).timezone = "UTC"
    customer = factories.make_customer("+Hostile Trading")
    tid = factories.make_ticket(
        actor_id=lead,
        customer_id=customer,
        team_id=team,
        subject='=HYPERLINK("http://evil.example","Open")',
    )
    ticket = db.session.get(Ticket, tid)
    ticket.status, ticket.sla_paused_at = TicketStatus.OPEN, None
    ticket.sla_due_at = utcnow() - timedelta(days=1)
    db.session.commit()
    return {"lead": lead, "reference": ticket.reference}


def test_dashboard_export_writes_customer_text_inert(build, login):
    world = build(_hostile_overdue_ticket)
    answer = login(world["lead"]).get("/dashboard/overdue.csv?days=30")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    row = next(r for r in rows if r[0] == world["reference"])
    assert row[1] == '\'=HYPERLINK("http://evil.example","Open")'
    assert row[2] == "'+Hostile Trading"


def test_dashboard_export_writes_counts_as_numbers(build, login):
    world = build(_hostile_overdue_ticket)
    text = login(world["lead"]).get("/dashboard/summary.csv?days=30").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][1].isdigit()  # "Tickets in": a plain number, no quote


def test_dashboard_export_writes_time_left_as_hours(build, login):
    world = build(_hostile_overdue_ticket)
    text = login(world["lead"]).get("/dashboard/overdue.csv?days=30").get_data(as_text=True)
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[-2:] == ["due_at_utc", "time_left_hours"]
    row = next(r for r in rows if r[0] == world["reference"])
    # Overdue by a day: a negative number of hours, written as a number (no quote).
    assert -24.1 < float(row[-1]) <= -24.0
    due = datetime.fromisoformat(row[-2].replace("Z", "+00:00"))
    assert abs((utcnow() - due) - timedelta(days=1)) < timedelta(minutes=5)
