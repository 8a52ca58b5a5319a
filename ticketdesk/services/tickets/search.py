"""The ticket text index behind the queue's keyword search (services/tickets/queue.py).

The search finds tickets whose subject or description holds every word as a substring,
ignoring ASCII case. Without an index that means reading the text of every ticket; the
index lets each database find the candidates instead, with the same results:

- SQLite: an FTS5 table, ``ticket_search``, with the ``trigram`` tokenizer (SQLite 3.34 or
  later), which answers substring queries of three or more characters. It holds its own
  copy of the text, lowered by SQLite's ``lower()``, which like SQLite's ``LIKE`` folds
  ASCII letters only, and looks it up case-sensitively, so a match is exactly what
  ``LIKE '%word%'`` would find. Triggers on ``tickets`` keep it in step with every insert,
  update of the subject or description, and delete, whoever writes them.
- PostgreSQL: GIN indexes with ``pg_trgm``'s trigram operator class on the subject and the
  description. The search keeps its ``ILIKE``, which these indexes serve.

Neither is part of the models' metadata: ``db.create_all()`` makes them through the DDL
events on the tickets table below (the tests build their databases that way), and
migration 0008 makes them in a migrated database, from its own copy of the statements
(``tests/test_search.py`` checks that both make the same objects). ``include_name`` tells
Alembic's schema comparisons to leave them out (``tests/test_migrations.py``).

Where they cannot be made (a SQLite without FTS5 or the trigram tokenizer, a PostgreSQL
server without ``pg_trgm``) the search still works by reading every ticket, as before.

Keep in mind: SQLite drops a table's triggers with the table, so a batch migration that
recreates ``tickets`` ("move and copy") must create them again, with a copy of the
statements as 0008 has; ``tests/test_search.py`` checks that a database migrated to head
still keeps its index in step.
"""

import logging

import sqlalchemy as sa

from ticketdesk.extensions import db
from ticketdesk.models import Ticket

log = logging.getLogger(__name__)

SEARCH_TABLE = "ticket_search"
# The tables FTS5 keeps the index in, next to the virtual table itself.
SEARCH_TABLES = frozenset(
    [SEARCH_TABLE]
    + [f"{SEARCH_TABLE}_{part}" for part in ("config", "content", "data", "docsize", "idx")]
)
TRIGRAM_INDEXES = ("ix_tickets_subject_trgm", "ix_tickets_description_trgm")
TRIGGERS = ("ticket_search_insert", "ticket_search_update", "ticket_search_delete")

# The trigram tokenizer looks up runs of three characters; shorter words find nothing.
MIN_WORD_LENGTH = 3

# The statements below are put together from the constants above only, never from input.
SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SEARCH_TABLE} "
    "USING fts5(subject, description, tokenize = 'trigram case_sensitive 1')",
    f"""CREATE TRIGGER IF NOT EXISTS ticket_search_insert AFTER INSERT ON tickets BEGIN
  INSERT INTO {SEARCH_TABLE} (rowid, subject, description)
  VALUES (new.id, lower(new.subject), lower(new.description));
END""",  # noqa: S608
    f"""CREATE TRIGGER IF NOT EXISTS ticket_search_update
AFTER UPDATE OF id, subject, description ON tickets BEGIN
  DELETE FROM {SEARCH_TABLE} WHERE rowid = old.id;
  INSERT INTO {SEARCH_TABLE} (rowid, subject, description)
  VALUES (new.id, lower(new.subject), lower(new.description));
END""",  # noqa: S608
    f"""CREATE TRIGGER IF NOT EXISTS ticket_search_delete AFTER DELETE ON tickets BEGIN
  DELETE FROM {SEARCH_TABLE} WHERE rowid = old.id;
END""",  # noqa: S608
)
SQLITE_FILL = (
    f"INSERT INTO {SEARCH_TABLE} (rowid, subject, description) "  # noqa: S608
    "SELECT id, lower(subject), lower(description) FROM tickets "
    f"WHERE id NOT IN (SELECT rowid FROM {SEARCH_TABLE})"
)
POSTGRESQL_DDL = tuple(
    f"CREATE INDEX IF NOT EXISTS {name} ON tickets USING gin ({column} gin_trgm_ops)"
    for name, column in zip(TRIGRAM_INDEXES, ("subject", "description"), strict=True)
)

_search = sa.table(SEARCH_TABLE, sa.column("rowid"), sa.column(SEARCH_TABLE))


# ------------------------------------------------------------------ the index


def create_index(conn: sa.Connection) -> bool:
    """Make the search index on ``conn``'s database and fill it; False where it cannot be
    made there (the search then reads every ticket). Leaves what exists alone."""
    if conn.dialect.name == "sqlite":
        try:
            conn.exec_driver_sql(SQLITE_DDL[0])
        except sa.exc.OperationalError as exc:  # no fts5 module, or no trigram tokenizer
            log.warning(
                "No ticket search index on this SQLite (%s); the search reads every ticket.",
                exc.orig,
            )
            return False
        for statement in SQLITE_DDL[1:]:
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql(SQLITE_FILL)
        return True
    if conn.dialect.name == "postgresql":
        if not _trigram_extension(conn):
            return False
        for statement in POSTGRESQL_DDL:
            conn.exec_driver_sql(statement)
        return True
    return False


def drop_index(conn: sa.Connection) -> None:
    if conn.dialect.name == "sqlite":
        for trigger in TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {SEARCH_TABLE}")
    elif conn.dialect.name == "postgresql":
        for name in TRIGRAM_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def _trigram_extension(conn: sa.Connection) -> bool:
    """Whether pg_trgm is installed, installing it if need be (a trusted extension since
    PostgreSQL 13: the database's owner may). A failure leaves the transaction usable."""
    if conn.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first():
        return True
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as exc:
        log.warning("No pg_trgm extension (%s); the ticket search reads every ticket.", exc.orig)
        return False
    return True


def include_name(name: str | None, type_: str, parent_names) -> bool:
    """Alembic's ``include_name`` hook: the search index belongs to this module, not to the
    models, so schema comparisons (and autogenerate) leave it alone."""
    if type_ == "table":
        return name not in SEARCH_TABLES
    if type_ == "index":
        return name not in TRIGRAM_INDEXES
    return True


@sa.event.listens_for(Ticket.__table__, "after_create")
def _after_create(_table, conn: sa.Connection, **_kw) -> None:
    create_index(conn)


@sa.event.listens_for(Ticket.__table__, "after_drop")
def _after_drop(_table, conn: sa.Connection, **_kw) -> None:
    drop_index(conn)  # SQLite drops the triggers with the table, but not the FTS table


# ------------------------------------------------------------------ queries


def has_index() -> bool:
    """Whether the session's SQLite database has the FTS table. (On PostgreSQL the
    trigram indexes serve the plain ILIKE, so the query needs not know.)"""
    bind = db.session.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    return (
        db.session.scalar(
            sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
            {"name": SEARCH_TABLE},
        )
        is not None
    )


def indexable(word: str) -> bool:
    """Whether the FTS table can look ``word`` up (SQLite ends its strings at a NUL)."""
    return len(word) >= MIN_WORD_LENGTH and "\x00" not in word


def _ascii_lower(text: str) -> str:
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)


def match_expression(words: list[str]) -> str:
    """An FTS5 query for rows holding every word: each one a quoted phrase, so nothing the
    user types (quotes, ``*``, ``OR``, ``NEAR``, ``:``...) is read as query syntax. Lowered
    as the indexed text is, ASCII only."""
    return " AND ".join('"' + _ascii_lower(w).replace('"', '""') + '"' for w in words)


def matching_ids(words: list[str]) -> sa.Select:
    """Ids of the tickets whose subject or description holds every word (each
    ``indexable``), ignoring ASCII case."""
    return sa.select(_search.c.rowid).where(_search.c[SEARCH_TABLE].match(match_expression(words)))
