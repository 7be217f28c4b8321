"""record team huddles and calendar feeds

A huddle is a meeting of a playbook's team: planned (a day and a time, for the
calendar) or recorded (who came, decisions, next steps, and the version of the playbook
its status changes made). A calendar feed is a secret address of a person's items or of a
playbook's dated items and huddles; only the token's hash is stored.

Revision ID: 5b1d7e3c9a20
Revises: 479670ec5565
Create Date: 2026-12-07 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5b1d7e3c9a20"
down_revision = "479670ec5565"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "huddle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("playbook_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("guests", sa.String(length=300), nullable=False),
        sa.Column("decisions", sa.Text(), nullable=False),
        sa.Column("decisions_html", sa.Text(), nullable=False),
        sa.Column("next_steps", sa.Text(), nullable=False),
        sa.Column("next_steps_html", sa.Text(), nullable=False),
        sa.Column("status_changes", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("revision_number", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbook.id"],
            name=op.f("fk_huddle_playbook_id_playbook"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user.id"],
            name=op.f("fk_huddle_recorded_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_huddle")),
    )
    with op.batch_alter_table("huddle", schema=None) as batch_op:
        batch_op.create_index(
            "ix_huddle_playbook_held_on", ["playbook_id", "held_on"], unique=False
        )

    op.create_table(
        "huddle_attendee",
        sa.Column("huddle_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["huddle_id"],
            ["huddle.id"],
            name=op.f("fk_huddle_attendee_huddle_id_huddle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_huddle_attendee_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("huddle_id", "user_id", name=op.f("pk_huddle_attendee")),
    )
    with op.batch_alter_table("huddle_attendee", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_huddle_attendee_user_id"), ["user_id"], unique=False)

    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("playbook_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbook.id"],
            name=op.f("fk_calendar_feed_playbook_id_playbook"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_calendar_feed_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feed_token_hash")),
    )
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.create_index(
            "ix_calendar_feed_user_playbook", ["user_id", "playbook_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_calendar_feed_playbook_id"), ["playbook_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feed_playbook_id"))
        batch_op.drop_index("ix_calendar_feed_user_playbook")
    op.drop_table("calendar_feed")
    with op.batch_alter_table("huddle_attendee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_huddle_attendee_user_id"))
    op.drop_table("huddle_attendee")
    with op.batch_alter_table("huddle", schema=None) as batch_op:
        batch_op.drop_index("ix_huddle_playbook_held_on")
    op.drop_table("huddle")
