"""count each survey group's responses

Revision ID: 7c3d9e2a5b16
Revises: 5a6fc7d630c4
Create Date: 2026-12-07 14:20:00

The playbook page checks its kept part against the responses of the round it shows;
a count kept on the group reads a few rows where counting the responses read them all.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7c3d9e2a5b16"
down_revision = "5a6fc7d630c4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("survey_group", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("response_count", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(
        "UPDATE survey_group SET response_count = "
        "(SELECT count(*) FROM survey_response WHERE survey_response.group_id = survey_group.id)"
    )


def downgrade():
    with op.batch_alter_table("survey_group", schema=None) as batch_op:
        batch_op.drop_column("response_count")
