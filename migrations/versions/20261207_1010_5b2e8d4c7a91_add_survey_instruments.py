"""add survey instruments

Versioned teacher and student questionnaires that measure a framework: an instrument
per framework, audience and version (unique), and its ordered items, each mapped to
one framework element, with English and Spanish text, a named answer scale and a
sensitive flag. A version is frozen (frozen_at) once a survey round uses it.

Revision ID: 5b2e8d4c7a91
Revises: 5b8e2d41c7a9
Create Date: 2026-12-07 10:10:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5b2e8d4c7a91"
down_revision = "5b8e2d41c7a9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "instrument",
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column(
            "audience",
            sa.Enum(
                "teachers",
                "students_3_5",
                "students_6_12",
                name="surveyaudience",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("title_es", sa.String(length=200), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("description_es", sa.Text(), nullable=False),
        sa.Column("open_question_en", sa.String(length=400), nullable=False),
        sa.Column("open_question_es", sa.String(length=400), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["framework.id"],
            name=op.f("fk_instrument_framework_id_framework"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instrument")),
        sa.UniqueConstraint(
            "framework_id", "audience", "version", name=op.f("uq_instrument_framework_id")
        ),
    )
    with op.batch_alter_table("instrument", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_instrument_framework_id"), ["framework_id"], unique=False)

    op.create_table(
        "instrument_item",
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("element_id", sa.Integer(), nullable=False),
        sa.Column("text_en", sa.String(length=400), nullable=False),
        sa.Column("text_es", sa.String(length=400), nullable=False),
        sa.Column(
            "scale",
            sa.Enum(
                "frequency", "agreement", "truth", name="scale", native_enum=False, length=40
            ),
            nullable=False,
        ),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["element_id"],
            ["element.id"],
            name=op.f("fk_instrument_item_element_id_element"),
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instrument.id"],
            name=op.f("fk_instrument_item_instrument_id_instrument"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instrument_item")),
    )
    with op.batch_alter_table("instrument_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_instrument_item_element_id"), ["element_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_instrument_item_instrument_id"), ["instrument_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("instrument_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instrument_item_instrument_id"))
        batch_op.drop_index(batch_op.f("ix_instrument_item_element_id"))
    op.drop_table("instrument_item")
    with op.batch_alter_table("instrument", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instrument_framework_id"))
    op.drop_table("instrument")
