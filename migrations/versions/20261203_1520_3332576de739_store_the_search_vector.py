"""store the search vector

On PostgreSQL every search parsed the title and body of each matching row again, to
test and to rank it. Each row now keeps its weighted tsvector in a stored generated
column (PostgreSQL recomputes it whenever the title or body changes), with a GIN
index over it; the expression index it replaces is dropped. SQLite's FTS5 table
already holds its index, so on SQLite this migration does nothing.

Revision ID: 3332576de739
Revises: c167d817b2c0
Create Date: 2026-12-03 15:20:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "3332576de739"
down_revision = "c167d817b2c0"
branch_labels = None
depends_on = None

VECTOR = (
    "setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')"
)


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"ALTER TABLE search_document ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({VECTOR}) STORED"
    )
    op.execute(
        "CREATE INDEX ix_search_document_search_vector ON search_document USING gin (search_vector)"
    )
    op.execute("DROP INDEX IF EXISTS ix_search_document_tsv")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE INDEX ix_search_document_tsv ON search_document USING gin (({VECTOR}))")
    op.execute("DROP INDEX IF EXISTS ix_search_document_search_vector")
    op.execute("ALTER TABLE search_document DROP COLUMN IF EXISTS search_vector")
