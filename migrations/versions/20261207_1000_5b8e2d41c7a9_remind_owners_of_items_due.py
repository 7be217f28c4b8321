"""remind owners of items due soon and overdue

A table of the reminders that went out, one row per item, kind and target date (its
unique key is what keeps a job that runs twice from sending twice; a moved date is a
new key), and each person's number of days before a target date to be reminded.

Revision ID: 5b8e2d41c7a9
Revises: 5b1d7e3c9a20
Create Date: 2026-12-07 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5b8e2d41c7a9"
down_revision = "5b1d7e3c9a20"
branch_labels = None
depends_on = None

# NotificationKind's values as of this revision (stored as plain strings).
KINDS = (
    "invited",
    "role_changed",
    "item_assigned",
    "forked",
    "reply",
    "contribution_approved",
    "contribution_rejected",
    "item_due_soon",
    "item_overdue",
)


def upgrade():
    op.create_table(
        "sent_reminder",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*KINDS, name="notificationkind", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_sent_reminder_item_id_item"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_sent_reminder_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_reminder")),
        sa.UniqueConstraint(
            "item_id", "kind", "target_date", name=op.f("uq_sent_reminder_item_id")
        ),
    )
    with op.batch_alter_table("sent_reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sent_reminder_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_days", sa.Integer(), server_default="3", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("reminder_days")
    with op.batch_alter_table("sent_reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sent_reminder_user_id"))
    op.drop_table("sent_reminder")
