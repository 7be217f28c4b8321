"""add comments, flags, suggestions and the moderation log

Revision ID: a548128b9d71
Revises: 8c379d12a66c
Create Date: 2026-11-24 12:17:49.663938

"""
from alembic import op
import sqlalchemy as sa

from playbook.models.moderation import APPEND_ONLY_POSTGRES, APPEND_ONLY_SQLITE, DROP_POSTGRES

DEFAULT_REASONS = [
    ("Not about personalized learning", "Thanks for sharing. This does not fit the library, which collects materials about personalized learning."),
    ("Already in the library", "This resource is already in the library, so we did not add it twice."),
    ("Link does not work", "We could not open the link. If it has moved, please revise the suggestion with the new address."),
    ("Advertising", "Posts that mainly advertise a product or service are not published here."),
    ("Not respectful", "This was not published because it is not respectful toward other members."),
]


# revision identifiers, used by Alembic.
revision = 'a548128b9d71'
down_revision = '8c379d12a66c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('moderation_action',
    sa.Column('moderator_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.Enum('comment', 'submission', name='subjectkind', native_enum=False, length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('approve', 'reject', 'spam', 'undo', name='decision', native_enum=False, length=40), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=False),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('undoes_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_action'))
    )
    with op.batch_alter_table('moderation_action', schema=None) as batch_op:
        batch_op.create_index('ix_moderation_action_author', ['author_id', 'decision'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_action_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_action_moderator_id'), ['moderator_id'], unique=False)
        batch_op.create_index('ix_moderation_action_subject', ['subject_kind', 'subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_action_undoes_id'), ['undoes_id'], unique=False)

    op.create_table('reason_template',
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('body', sa.String(length=1000), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reason_template')),
    sa.UniqueConstraint('title', name=op.f('uq_reason_template_title'))
    )
    op.create_table('comment',
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('target_kind', sa.Enum('play', 'resource', 'component', 'playbook', name='targetkind', native_enum=False, length=40), nullable=False),
    sa.Column('play_id', sa.Integer(), nullable=True),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('component_id', sa.Integer(), nullable=True),
    sa.Column('playbook_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'published', 'hidden', 'rejected', name='commentstatus', native_enum=False, length=40), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.CheckConstraint('(CASE WHEN play_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN resource_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN component_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN playbook_id IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_comment_one_target')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_comment_author_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['component_id'], ['component.id'], name=op.f('fk_comment_component_id_component'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['comment.id'], name=op.f('fk_comment_parent_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['play_id'], ['play.id'], name=op.f('fk_comment_play_id_play'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['playbook_id'], ['playbook.id'], name=op.f('fk_comment_playbook_id_playbook'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_comment_resource_id_resource'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment'))
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index('ix_comment_author_created', ['author_id', 'created_at'], unique=False)
        batch_op.create_index('ix_comment_component_thread', ['component_id', 'parent_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_comment_play_thread', ['play_id', 'parent_id', 'created_at'], unique=False)
        batch_op.create_index('ix_comment_playbook_thread', ['playbook_id', 'parent_id', 'created_at'], unique=False)
        batch_op.create_index('ix_comment_resource_thread', ['resource_id', 'parent_id', 'created_at'], unique=False)
        batch_op.create_index('ix_comment_status_created', ['status', 'created_at'], unique=False)

    op.create_table('flag',
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('spam', 'off_topic', 'harmful', 'other', name='flagreason', native_enum=False, length=40), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_flag_comment_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_flag_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flag')),
    sa.UniqueConstraint('comment_id', 'user_id', name=op.f('uq_flag_comment_id'))
    )
    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flag_comment_id'), ['comment_id'], unique=False)

    op.create_table('submission',
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('normalized_url', sa.String(length=500), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=False),
    sa.Column('resource_type', sa.Enum('Framework', 'Infographic', 'Activity', 'White Paper', 'Course', 'Rubric', 'Toolkit', 'Video', 'Other', name='resourcetype', native_enum=False, length=40), nullable=False),
    sa.Column('ideal_users', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('why_use_it', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', name='submissionstatus', native_enum=False, length=40), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('times_submitted', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_submission_author_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['comment_id'], ['comment.id'], name=op.f('fk_submission_comment_id_comment'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_submission_resource_id_resource'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission'))
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_normalized_url'), ['normalized_url'], unique=False)
        batch_op.create_index('ix_submission_status_created', ['status', 'created_at'], unique=False)

    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suggested_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_resource_suggested_by_id_user'), 'user', ['suggested_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('posts_held', sa.Boolean(), server_default=sa.false(), nullable=False))

    # The moderation log is append-only, enforced by the database itself.
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": APPEND_ONLY_SQLITE, "postgresql": APPEND_ONLY_POSTGRES}.get(dialect, []):
        op.execute(statement)
    reasons = sa.table("reason_template", sa.column("title", sa.String), sa.column("body", sa.String))
    op.bulk_insert(reasons, [{"title": title, "body": body} for title, body in DEFAULT_REASONS])


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_POSTGRES)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('posts_held')

    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_resource_suggested_by_id_user'), type_='foreignkey')
        batch_op.drop_column('suggested_by_id')

    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_status_created')
        batch_op.drop_index(batch_op.f('ix_submission_normalized_url'))
        batch_op.drop_index(batch_op.f('ix_submission_comment_id'))
        batch_op.drop_index(batch_op.f('ix_submission_author_id'))

    op.drop_table('submission')
    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flag_comment_id'))

    op.drop_table('flag')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_status_created')
        batch_op.drop_index('ix_comment_resource_thread')
        batch_op.drop_index('ix_comment_playbook_thread')
        batch_op.drop_index('ix_comment_play_thread')
        batch_op.drop_index(batch_op.f('ix_comment_parent_id'))
        batch_op.drop_index('ix_comment_component_thread')
        batch_op.drop_index('ix_comment_author_created')

    op.drop_table('comment')
    op.drop_table('reason_template')
    with op.batch_alter_table('moderation_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderation_action_undoes_id'))
        batch_op.drop_index('ix_moderation_action_subject')
        batch_op.drop_index(batch_op.f('ix_moderation_action_moderator_id'))
        batch_op.drop_index(batch_op.f('ix_moderation_action_created_at'))
        batch_op.drop_index('ix_moderation_action_author')

    op.drop_table('moderation_action')
