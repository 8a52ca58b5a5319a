"""a text index for the queue's keyword search

The search finds tickets whose subject or description holds every word as a substring,
ignoring ASCII case; without an index that reads the text of every ticket (50-60 ms of
SQL for each search at 100,000 tickets). What ticketdesk/services/tickets/search.py describes, as it was when this
revision was written (tests/test_search.py checks that it still makes the same objects):

- SQLite: an FTS5 table with the trigram tokenizer, filled from the tickets, and
  triggers that keep it in step. It keeps its own copy of the text rather than reading
  it from ``tickets`` ("external content"): its own copy is lowered as SQLite's LIKE
  folds case (ASCII only), so a case-sensitive lookup finds exactly what LIKE finds, and
  a delete needs only the rowid, where an external-content table must be handed the old
  text and is corrupted, without an error, when that differs from what it indexed. The
  copy costs about 17 MB at 100,000 tickets (the index itself about 60 MB). A
  contentless table cannot delete rows on SQLite before 3.43.
  A SQLite without FTS5 or the trigram tokenizer (before 3.34) gets nothing; the search
  reads every ticket there, as before.
- PostgreSQL: pg_trgm GIN indexes on the subject and the description, which serve the
  search's ILIKE. CREATE EXTENSION needs the database owner (pg_trgm is trusted since
  PostgreSQL 13) and the contrib package; without it, this revision does nothing and the
  search reads every ticket. The downgrade leaves the extension installed: something
  else may use it.

Revision ID: 0008_ticket_search
Revises: 0007_report_index
Create Date: 2026-11-22 14:10:00.000000

"""
import logging

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_ticket_search'
down_revision = '0007_report_index'
branch_labels = None
depends_on = None

log = logging.getLogger('alembic.runtime.migration')

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS ticket_search "
    "USING fts5(subject, description, tokenize = 'trigram case_sensitive 1')"
)
SQLITE_TRIGGERS = (
    """CREATE TRIGGER IF NOT EXISTS ticket_search_insert AFTER INSERT ON tickets BEGIN
  INSERT INTO ticket_search (rowid, subject, description)
  VALUES (new.id, lower(new.subject), lower(new.description));
END""",
    """CREATE TRIGGER IF NOT EXISTS ticket_search_update
AFTER UPDATE OF id, subject, description ON tickets BEGIN
  DELETE FROM ticket_search WHERE rowid = old.id;
  INSERT INTO ticket_search (rowid, subject, description)
  VALUES (new.id, lower(new.subject), lower(new.description));
END""",
    """CREATE TRIGGER IF NOT EXISTS ticket_search_delete AFTER DELETE ON tickets BEGIN
  DELETE FROM ticket_search WHERE rowid = old.id;
END""",
)
SQLITE_FILL = (
    "INSERT INTO ticket_search (rowid, subject, description) "
    "SELECT id, lower(subject), lower(description) FROM tickets"
)
POSTGRESQL_INDEXES = {
    'ix_tickets_subject_trgm': 'subject',
    'ix_tickets_description_trgm': 'description',
}


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        try:
            bind.exec_driver_sql(SQLITE_TABLE)
        except sa.exc.OperationalError as exc:   # no fts5 module, or no trigram tokenizer
            log.warning("No ticket search index on this SQLite (%s); the search will read "
                        "every ticket.", exc.orig)
            return
        bind.exec_driver_sql(SQLITE_FILL)
        for statement in SQLITE_TRIGGERS:
            bind.exec_driver_sql(statement)
    elif bind.dialect.name == 'postgresql':
        if not _trigram_extension(bind):
            return
        for name, column in POSTGRESQL_INDEXES.items():
            bind.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {name} ON tickets USING gin ({column} gin_trgm_ops)")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for trigger in ('ticket_search_insert', 'ticket_search_update', 'ticket_search_delete'):
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        bind.exec_driver_sql("DROP TABLE IF EXISTS ticket_search")
    elif bind.dialect.name == 'postgresql':
        for name in POSTGRESQL_INDEXES:
            bind.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def _trigram_extension(bind) -> bool:
    if bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first():
        return True
    try:
        with bind.begin_nested():   # a failure must not abort the migration's transaction
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as exc:
        log.warning("No pg_trgm extension (%s); the ticket search will read every ticket.",
                    exc.orig)
        return False
    return True
