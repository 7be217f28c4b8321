"""index the moderation queue's counts

The queue counts its pending and hidden comments on every moderator's page (the tabs
and the navigation badge). The status index grows the columns those counts filter on
(deleted_at, playbook_id), so they are read from the index without touching a
comment's text; it keeps its leading (status, created_at), so every query that used
ix_comment_status_created is served as before. Open flags get an index of their own,
so the flagged count reads only the open ones, and looks each of their comments up in
a second, narrow index by status and id rather than in the table.

Revision ID: c167d817b2c0
Revises: 3f1c9b7d2e64
Create Date: 2026-12-03 15:05:58.183969

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "c167d817b2c0"
down_revision = "3f1c9b7d2e64"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_status_created")
        batch_op.create_index(
            "ix_comment_status_queue",
            ["status", "created_at", "deleted_at", "playbook_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_comment_status_id", ["status", "id", "deleted_at", "playbook_id"], unique=False
        )

    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.create_index("ix_flag_open", ["resolved_at", "comment_id"], unique=False)


def downgrade():
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.drop_index("ix_flag_open")

    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_status_id")
        batch_op.drop_index("ix_comment_status_queue")
        batch_op.create_index("ix_comment_status_created", ["status", "created_at"], unique=False)
