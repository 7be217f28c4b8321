"""add the weekly digest

Outgoing mail may carry an HTML part and a List-Unsubscribe address (both empty for
the messages already queued). Each person's digest choice, and the week their last
digest dealt with, get a table of their own; a person without a row has the default
choice and has had no digest yet.

Revision ID: 479670ec5565
Revises: 9f59c0c2b636
Create Date: 2026-12-07 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "479670ec5565"
down_revision = "9f59c0c2b636"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("html_body", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("unsubscribe_url", sa.String(length=500), server_default="", nullable=False)
        )
    op.create_table(
        "digest_subscription",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "everything",
                "playbooks",
                "library",
                "off",
                name="digestmode",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("last_week", sa.String(length=10), nullable=False),
        sa.Column("covered_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_digest_subscription_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_digest_subscription")),
    )


def downgrade():
    op.drop_table("digest_subscription")
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.drop_column("unsubscribe_url")
        batch_op.drop_column("html_body")
