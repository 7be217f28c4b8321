"""give outgoing mail an idempotency key

Each queued message names what caused it (a notification, an invitation, a password
reset request), and no two messages may name the same cause, so a job that runs
twice cannot queue a message twice. Messages already queued get a key of their own.

Revision ID: 3f1c9b7d2e64
Revises: 7d3f0b9c2e41
Create Date: 2026-12-03 11:10:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "3f1c9b7d2e64"
down_revision = "7d3f0b9c2e41"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=200), nullable=True))
    op.execute(
        "UPDATE outgoing_mail SET idempotency_key = 'outgoing:' || CAST(id AS VARCHAR(20))"
    )
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.alter_column(
            "idempotency_key", existing_type=sa.String(length=200), nullable=False
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_outgoing_mail_idempotency_key"), ["idempotency_key"]
        )


def downgrade():
    with op.batch_alter_table("outgoing_mail", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_outgoing_mail_idempotency_key"), type_="unique")
        batch_op.drop_column("idempotency_key")
