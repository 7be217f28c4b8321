"""index search word prefixes

Revision ID: 8d4e1f6a2c37
Revises: 7c3d9e2a5b16
Create Date: 2026-12-07 22:15:00

Every word of a library search is also a prefix. On SQLite the FTS5 table gets
prefix indexes (playbook/models/search.py, SQLITE_FTS_PREFIXES): the table is made
again with them and filled from search_document, whose triggers name it and stay.
PostgreSQL's GIN index already answers prefixes: nothing changes there.
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "8d4e1f6a2c37"
down_revision = "7c3d9e2a5b16"
branch_labels = None
depends_on = None

WITHOUT_PREFIXES = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_document', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
)
WITH_PREFIXES = WITHOUT_PREFIXES[:-1] + ", prefix='2 3 4 5 6 7 8 9 10')"


def _make_again(create: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE IF EXISTS search_fts")
    op.execute(create)
    op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")


def upgrade():
    _make_again(WITH_PREFIXES)


def downgrade():
    _make_again(WITHOUT_PREFIXES)
