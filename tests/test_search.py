"""The queue's keyword search and its text index (services/tickets/search.py): the same tickets as
the LIKE scan, whatever is typed; the index follows edits and deletes; newest first and a
capped count; and the migration makes the index that ``create_all()`` makes.

Runs on SQLite (the FTS5 trigram table) and, with TICKETDESK_TEST_DATABASE_URL, on
PostgreSQL (pg_trgm indexes serving ILIKE).
"""

import logging
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from tests import factories
from tests.test_migrations import (  # noqa: F401  (fixtures: a database of its own)
    MIGRATIONS,
    _keep_logging,
    migrated_app,
    postgresql_url,
    sqlite_url,
)
from ticketdesk import create_app
from ticketdesk.extensions import db
from ticketdesk.models import Role, Ticket, User
from ticketdesk.services.customers.customers import escape_like
from ticketdesk.services.tickets import editing, queue, search
from ticketdesk.settings import TestingConfig

TEXTS = [
    ("Broken bottle", "The LID was cracked during delivery."),
    ("Late delivery", "Courier said 'next week'; the order is 50% late."),
    ("发票金额错误", "客户说发票上的金额不对，需要退款。"),
    ("配送延迟", "包裹还在路上, delivery pending"),
    ('He said "urgent" *now*', "Use OR and NEAR(a b) carefully; col:value ^start -minus"),
    ("Field order_ref empty", "Wants a 50% refund \\ back\\slash"),
    ("Café CRÈME order", "Ünïcode ÉCLAIR, straße"),
    ("Warranty claim", "Motor is LEAKING oil"),
    ("ok", "id 42 is ok"),
    ("Refund REFUND refund", "x"),
    ("Carton missing", "The carton arrived; one bottle missing."),
    ("Wrong colour", "Ordered red, got blue"),
]

QUERIES = [
    # plain words, case, several words, words in either field
    "bottle",
    "BROKEN",
    "deliv",
    "delivery pending",
    "carton missing",
    "missing CARTON",
    "bottle nowhere",
    "Refund",
    "leaking oil",
    "colour red",
    # Chinese, and words shorter than a trigram
    "发票",
    "发票金额",
    "金额",
    "退款",
    "配送",
    "路上 delivery",
    "发",
    "金额 ok",
    "ok",
    "42",
    "id",
    "x",
    "re",
    "a b",
    "or",
    # FTS5 syntax and LIKE wildcards: literal text, never syntax
    '"urgent"',
    "urgent",
    "*now*",
    '"',
    '""',
    '"""',
    "OR",
    "NEAR",
    "NEAR(a",
    "AND",
    "NOT",
    "col:value",
    "col:",
    "^start",
    "-minus",
    "(",
    ")",
    "{a b}",
    "*",
    ":",
    "'next",
    "50%",
    "%",
    "%%%",
    "_",
    "order_ref",
    "\\",
    "back\\slash",
    "\\slash",
    # non-ASCII letters (case folded for ASCII only on SQLite, as LIKE does)
    "café",
    "CAFÉ",
    "crème",
    "CRÈME",
    "éclair",
    "ÉCLAIR",
    "ünïcode",
    "straße",
]


def _like_reference(words: list[str]) -> sa.Select:
    """The search as it was before the index: (I)LIKE '%word%' on each field."""
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    conditions = []
    for word in words:
        pattern = f"%{escape_like(word)}%"
        if sqlite:
            conditions.append(
                sa.or_(
                    Ticket.subject.like(pattern, escape="\\"),
                    Ticket.description.like(pattern, escape="\\"),
                )
            )
        else:
            conditions.append(
                sa.or_(
                    Ticket.subject.ilike(pattern, escape="\\"),
                    Ticket.description.ilike(pattern, escape="\\"),
                )
            )
    return (
        sa.select(Ticket.id).where(*conditions).order_by(Ticket.created_at.desc(), Ticket.id.desc())
    )


def _search(user_id: int, q: str, **kwargs) -> queue.QueuePage:
    flt = queue.QueueFilter(scope=queue.Scope.ALL, include_closed=True, q=q, **kwargs)
    return queue.list_tickets(db.session.get(User, user_id), flt, per_page=200)


def _ids(page) -> list[int]:
    return [t.id for t in page.items]


@pytest.fixture
def statements(query_counter):
    """The SQL statements run while the test runs."""
    with query_counter() as queries:
        yield queries.statements


@pytest.fixture
def world(ctx, now):
    lead = factories.make_user(Role.LEAD)
    ids = [
        factories.make_ticket(
            actor_id=lead, subject=subject, description=description, now=now + timedelta(minutes=i)
        )
        for i, (subject, description) in enumerate(TEXTS)
    ]
    return lead, ids


# ----------------------------------------------------------------- same results as LIKE


@pytest.mark.parametrize("q", QUERIES)
def test_search_finds_what_the_like_scan_finds(world, q):
    lead, _ = world
    expected = list(db.session.scalars(_like_reference(q.split())))
    page = _search(lead, q)
    assert _ids(page) == expected
    assert (page.total, page.more) == (len(expected), False)


def test_words_of_three_characters_or_more_are_looked_up_in_the_index(world, statements):
    lead, ids = world
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    assert _ids(_search(lead, "bottle missing")) == [ids[10]]
    looked_up = [s for s in statements if " MATCH " in s]
    assert bool(looked_up) is sqlite  # PostgreSQL: ILIKE, served by the trigram indexes
    assert not any(" LIKE " in s for s in looked_up)
    statements.clear()
    assert _ids(_search(lead, "发票金额 发")) == [ids[2]]  # "发": too short for a trigram
    assert any(" MATCH " in s and " LIKE " in s for s in statements) is sqlite


def test_postgresql_can_serve_the_search_from_the_trigram_indexes(world):
    lead, _ = world
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        pytest.skip("the trigram indexes are PostgreSQL's")
    flt = queue.QueueFilter(scope=queue.Scope.ALL, include_closed=True, q="bottle")
    stmt = queue.filtered_query(db.session.get(User, lead), flt).with_only_columns(Ticket.id)
    compiled = stmt.compile(dialect=conn.dialect)
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a dozen rows: force its hand
    plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
    db.session.rollback()
    assert "ix_tickets_subject_trgm" in plan and "ix_tickets_description_trgm" in plan, plan


def test_a_nul_character_is_scanned_for_not_looked_up(world):
    lead, _ = world
    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL text cannot hold NUL; the driver refuses it")
    assert search.indexable("bot\x00tle") is False
    assert _ids(_search(lead, "bot\x00tle")) == []


# ----------------------------------------------------------------- the index follows changes


def test_edited_and_deleted_tickets_are_found_accordingly(world, now):
    lead, ids = world
    actor = db.session.get(User, lead)
    ticket = db.session.get(Ticket, ids[7])
    changes = editing.DetailChanges(
        subject="Gearbox grinding",
        kind=ticket.kind,
        category_id=ticket.category_id,
        severity=ticket.severity,
        order_reference=ticket.order_reference,
        currency=ticket.currency,
        order_value=ticket.order_value,
        claimed_loss=ticket.claimed_loss,
        cause_side=ticket.cause_side,
    )
    editing.update_details(
        ticket, actor=actor, changes=changes, expected_version=None, now=now + timedelta(hours=1)
    )
    assert _ids(_search(lead, "grinding")) == [ids[7]]
    assert _ids(_search(lead, "warranty")) == []
    assert _ids(_search(lead, "leaking")) == [ids[7]]  # the description is unchanged

    # Any writer, not only the ORM: the database keeps the index in step.
    db.session.execute(
        sa.update(Ticket).where(Ticket.id == ids[7]).values(description="Seal replaced, no drip")
    )
    db.session.commit()
    assert _ids(_search(lead, "leaking")) == []
    assert _ids(_search(lead, "drip grinding")) == [ids[7]]

    db.session.execute(sa.delete(Ticket).where(Ticket.id == ids[0]))
    db.session.commit()
    assert _ids(_search(lead, "bottle")) == [ids[10]]
    assert _ids(_search(lead, "cracked")) == []

    new = factories.make_ticket(
        actor_id=lead, subject="Cracked screen", description="Screen cracked in transit", now=now
    )
    assert _ids(_search(lead, "cracked")) == [new]


# ----------------------------------------------------------------- order and count


def test_a_search_lists_newest_first_unless_told_otherwise(world):
    lead, ids = world
    assert _ids(_search(lead, "delivery")) == [ids[3], ids[1], ids[0]]
    assert _ids(_search(lead, "bottle")) == [ids[10], ids[0]]
    assert _ids(_search(lead, "delivery", sort=queue.Sort.OLDEST)) == [ids[0], ids[1], ids[3]]
    assert _ids(_search(lead, "delivery", sort=queue.Sort.REFERENCE)) == [ids[0], ids[1], ids[3]]
    assert queue.sort_for(queue.QueueFilter(q="bottle")) is queue.Sort.NEWEST
    assert queue.sort_for(queue.QueueFilter(q="TD-000001")) is queue.Sort.TIME_LEFT
    assert queue.sort_for(queue.QueueFilter()) is queue.Sort.TIME_LEFT
    assert queue.sort_for(queue.QueueFilter(q="x", sort=queue.Sort.URGENCY)) is queue.Sort.URGENCY


@pytest.mark.parametrize("sort", [None, *queue.Sort])
def test_many_matches_give_the_same_page_and_a_capped_count(world, monkeypatch, sort):
    """Past the cap, SQLite is steered to walk the sort order's index (``+tickets.id``);
    the page is the same, and the count stops at the cap."""
    lead, _ = world
    for q in ("e", "del", "ref", "ord", "发票"):  # "e": scanned; the others: looked up
        uncapped = _search(lead, q, sort=sort)
        monkeypatch.setattr(queue, "SEARCH_COUNT_CAP", 2)
        capped = _search(lead, q, sort=sort)
        monkeypatch.undo()
        assert _ids(capped) == _ids(uncapped), q
        if uncapped.total > 2:
            assert (capped.total, capped.more) == (2, True)
        else:
            assert (capped.total, capped.more) == (uncapped.total, False)


def test_the_queue_page_shows_a_capped_count_and_sorts_a_search_newest_first(
    app, build, login, now, monkeypatch
):
    lead = build(factories.make_user, Role.LEAD)
    ids = [
        build(
            factories.make_ticket,
            actor_id=lead,
            subject=f"Dented tin {i}",
            now=now + timedelta(hours=i),
        )
        for i in range(4)
    ]
    client = login(lead)

    def shown(url: str) -> tuple[list[int], str]:
        resp = client.get(url)
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        return [int(i) for i in re.findall(r'href="/tickets/(\d+)"', html)], html

    got, html = shown(f"/tickets/?scope=all&q={quote('dented')}")
    assert got == ids[::-1]
    assert "4 tickets" in html and 'id="search-cap"' not in html
    # The form's sort control offers the default, and submitting it keeps newest first.
    assert re.search(r'<option (selected )?value="">Default', html)
    got, _html = shown("/tickets/?scope=all&sort=&q=dented")
    assert got == ids[::-1]
    got, _html = shown("/tickets/?scope=all&sort=oldest&q=dented")
    assert got == ids

    monkeypatch.setattr(queue, "SEARCH_COUNT_CAP", 3)
    got, html = shown("/tickets/?scope=all&q=dented&per_page=2")
    assert got == ids[::-1][:2]
    assert "3+ tickets" in html and 'id="search-cap"' in html
    assert "Page 1 of 2" in html


# ----------------------------------------------------------------- without the index


def test_the_search_scans_where_the_index_is_missing(world, statements):
    """A SQLite without FTS5 or the trigram tokenizer (or a PostgreSQL without pg_trgm)."""
    lead, ids = world
    search.drop_index(db.session.connection())
    db.session.commit()
    try:
        assert search.has_index() is False
        statements.clear()
        for q in ("bottle", "发票金额", '"urgent"', "50%", "café"):
            expected = list(db.session.scalars(_like_reference(q.split())))
            assert _ids(_search(lead, q)) == expected
        assert not any(" MATCH " in s for s in statements)
    finally:  # a server database keeps its tables (and indexes) for the next test
        search.create_index(db.session.connection())
        db.session.commit()


def test_create_index_gives_up_quietly_without_the_trigram_tokenizer(monkeypatch, caplog):
    engine = sa.create_engine("sqlite://")
    ddl = list(search.SQLITE_DDL)
    ddl[0] = ddl[0].replace("'trigram ", "'no_such_tokenizer ")
    monkeypatch.setattr(search, "SQLITE_DDL", tuple(ddl))
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE tickets (id INTEGER PRIMARY KEY, subject TEXT, description TEXT)"
        )
        with caplog.at_level(logging.WARNING, logger=search.__name__):
            assert search.create_index(conn) is False
        assert "no_such_tokenizer" in caplog.text
        names = conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars().all()
    assert names == ["tickets"]
    engine.dispose()


# ----------------------------------------------------------------- the migration


def _search_objects() -> set[tuple]:
    """The search index's objects in the current database, with their definitions."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.execute(
                sa.text(
                    "SELECT type, name, sql FROM sqlite_master WHERE name IN :names"
                ).bindparams(sa.bindparam("names", expanding=True)),
                {"names": [search.SEARCH_TABLE, *search.TRIGGERS]},
            )
        else:
            rows = conn.execute(
                sa.text(
                    "SELECT 'index', indexname, indexdef FROM pg_indexes WHERE indexname IN :names"
                ).bindparams(sa.bindparam("names", expanding=True)),
                {"names": list(search.TRIGRAM_INDEXES)},
            )
        return {tuple(row) for row in rows}


def test_the_migration_makes_the_index_create_all_makes(app, migrated_app):  # noqa: F811 - fixture imported above
    with app.app_context():
        dialect = db.engine.dialect.name
        made_by_create_all = _search_objects()
    with migrated_app.app_context():
        if db.engine.dialect.name != dialect:
            pytest.skip(f"the other tests' database is {dialect}")
        assert len(made_by_create_all) == {"sqlite": 4, "postgresql": 2}[dialect]
        upgrade(directory=str(MIGRATIONS))
        assert _search_objects() == made_by_create_all

        # Tickets written after the migration are found, edited and deleted alike.
        lead = factories.make_user(Role.LEAD)
        kept = factories.make_ticket(actor_id=lead, subject="Leaking kettle")
        gone = factories.make_ticket(actor_id=lead, subject="Leaking pot")
        db.session.execute(
            sa.update(Ticket).where(Ticket.id == kept).values(description="Lid rattles")
        )
        db.session.execute(sa.delete(Ticket).where(Ticket.id == gone))
        db.session.commit()
        assert _ids(_search(lead, "leaking")) == [kept]
        assert _ids(_search(lead, "rattles kettle")) == [kept]
        db.session.remove()

        downgrade(directory=str(MIGRATIONS), revision="0007_report_index")
        assert _search_objects() == set()
        # Scanned now. (Only the tickets' own columns: later migrations' columns are gone.)
        assert list(
            db.session.scalars(
                sa.select(Ticket.id).where(*queue._word_conditions(["rattles", "kettle"]))
            )
        ) == [kept]
        db.session.remove()


def test_the_migration_fills_the_index_from_existing_tickets(migrated_app):  # noqa: F811 - fixture imported above
    with migrated_app.app_context():
        upgrade(directory=str(MIGRATIONS))
        lead = factories.make_user(Role.LEAD)
        old = factories.make_ticket(
            actor_id=lead, subject="Frayed cable", description="发货时电缆已经磨损"
        )
        db.session.remove()
        downgrade(directory=str(MIGRATIONS), revision="0007_report_index")  # no index
        assert _search_objects() == set()
        upgrade(directory=str(MIGRATIONS))
        assert _search_objects()
        assert _ids(_search(lead, "FRAYED")) == [old]
        assert _ids(_search(lead, "电缆已经")) == [old]
        db.session.remove()


def test_the_migration_succeeds_without_the_trigram_extension(postgresql_url):  # noqa: F811 - fixture imported above
    """A database owner who may not create extensions (or a server without pg_trgm)."""
    engine = sa.create_engine(postgresql_url)
    with engine.begin() as conn:
        name = conn.exec_driver_sql("SELECT current_database()").scalar()
        conn.exec_driver_sql(f'REVOKE CREATE ON DATABASE "{name}" FROM CURRENT_USER')
    engine.dispose()

    class Migrated(TestingConfig):
        SQLALCHEMY_DATABASE_URI = postgresql_url

    app = create_app(Migrated)
    try:
        with app.app_context():
            upgrade(directory=str(MIGRATIONS))
            assert _search_objects() == set()
            lead = factories.make_user(Role.LEAD)
            ticket = factories.make_ticket(actor_id=lead, subject="Frayed cable")
            assert _ids(_search(lead, "cable")) == [ticket]
            db.session.remove()
            # create_all()'s way gives up as quietly, and leaves the transaction usable.
            with db.engine.begin() as conn:
                assert search.create_index(conn) is False
                assert conn.exec_driver_sql("SELECT count(*) FROM tickets").scalar() == 1
            assert _search_objects() == set()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
