"""The full-text search table: one row per searchable library entry.

On SQLite an FTS5 index mirrors it (kept in step by triggers); on PostgreSQL a
stored generated column, `search_vector`, holds each row's weighted tsvector (the
title weighs A, the body B) and a GIN index over it serves the same queries, so a
search reads the vectors instead of parsing every matching body again. Both are
created with the table, so `create_all` and the migrations give the same result.

`search_vector` is raw DDL, not a mapped column: SQLite has no tsvector, and a
column in the model exists on every database, so mapping it (even as a `Computed`)
would give SQLite a column its migrations never made. The ORM never writes it
(PostgreSQL computes it on every insert and update) and only search.py reads it."""

from __future__ import annotations

from sqlalchemy import DDL, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.schema import SchemaItem

from playbook.models.base import Base, IdMixin

# Every word of a search is also a prefix ("learn" finds "learning"): FTS5 answers a
# prefix of one of these lengths (in bytes, after stemming) from an index of its own
# rather than merging the lists of every word it begins, which made a two-word
# search with a common word several times slower (about 7 % more space).
SQLITE_FTS_PREFIXES = "2 3 4 5 6 7 8 9 10"
SQLITE_FTS_TABLE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_document', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2', "
    f"prefix='{SQLITE_FTS_PREFIXES}')"
)
SQLITE_FTS_DDL = [
    SQLITE_FTS_TABLE,
    "CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
]
POSTGRES_FTS_DDL = [
    "ALTER TABLE search_document ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')) STORED",
    "CREATE INDEX ix_search_document_search_vector ON search_document USING gin (search_vector)",
]
# Objects that live outside the models; the migration check leaves them alone.
FTS_OBJECT_NAMES = {"search_fts", "search_vector", "ix_search_document_search_vector"}


def include_in_schema_comparison(
    obj: SchemaItem, name: str | None, type_: str, reflected: bool, compare_to: SchemaItem | None
) -> bool:
    """Alembic's include_object hook: skip the full-text objects (FTS5's table and its
    shadow tables, PostgreSQL's stored vector and its index), which raw DDL creates
    and the models do not describe."""
    return not (
        name in FTS_OBJECT_NAMES or (type_ == "table" and (name or "").startswith("search_fts_"))
    )


class SearchDocument(IdMixin, Base):
    __tablename__ = "search_document"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),)

    kind: Mapped[str] = mapped_column(String(20))  # play, resource, framework, component
    ref_id: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")


for _statement in SQLITE_FTS_DDL:
    event.listen(
        SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite")
    )
for _statement in POSTGRES_FTS_DDL:
    event.listen(
        SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql")
    )
event.listen(
    SearchDocument.__table__,
    "before_drop",
    DDL("DROP TABLE IF EXISTS search_fts").execute_if(dialect="sqlite"),
)
