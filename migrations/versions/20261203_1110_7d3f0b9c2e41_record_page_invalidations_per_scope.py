"""record page invalidations per scope

Writers no longer set the one site_state row (a row lock every content-writing
commit queued on): each commit inserts a row per scope it changed instead, and a
cached page is checked against the scopes it shows (playbook/pagecache.py).
site_state keeps the generation that migrations and restores set.

Revision ID: 7d3f0b9c2e41
Revises: 5ac1132d4a5c
Create Date: 2026-12-03 11:10:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7d3f0b9c2e41"
down_revision = "5ac1132d4a5c"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "page_invalidation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_invalidation")),
    )
    op.create_index(
        "ix_page_invalidation_scope_token", "page_invalidation", ["scope", "token"], unique=False
    )


def downgrade():
    op.drop_index("ix_page_invalidation_scope_token", table_name="page_invalidation")
    op.drop_table("page_invalidation")
