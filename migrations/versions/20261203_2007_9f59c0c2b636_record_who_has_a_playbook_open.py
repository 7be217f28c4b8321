"""record who has a playbook open

One row per playbook and member, its time moved on each time that member's open page
asks for news (every few seconds): the page shows who else of the team has the
playbook open. Kept in the database, not in a worker, so every worker and machine
sees the same people.

Revision ID: 9f59c0c2b636
Revises: 3332576de739
Create Date: 2026-12-03 20:07:32.623089

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "9f59c0c2b636"
down_revision = "3332576de739"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "playbook_presence",
        sa.Column("playbook_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbook.id"],
            name=op.f("fk_playbook_presence_playbook_id_playbook"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_playbook_presence_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("playbook_id", "user_id", name=op.f("pk_playbook_presence")),
    )
    with op.batch_alter_table("playbook_presence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_playbook_presence_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("playbook_presence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_playbook_presence_user_id"))
    op.drop_table("playbook_presence")
