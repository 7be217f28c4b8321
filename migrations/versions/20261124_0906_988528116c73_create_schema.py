"""create schema

Revision ID: 988528116c73
Revises: 
Create Date: 2026-11-24 09:06:14.552372

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '988528116c73'
down_revision = None
branch_labels = None
depends_on = None


SQLITE_FTS = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_document', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER search_document_au AFTER UPDATE ON search_document BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
]
POSTGRES_FTS = [
    "CREATE INDEX ix_search_document_tsv ON search_document USING gin "
    "((setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')))",
]


def _create_full_text_index():
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_FTS if dialect == "sqlite" else POSTGRES_FTS if dialect == "postgresql" else []:
        op.execute(statement)


def _drop_full_text_index():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_document_tsv")


def upgrade():
    op.create_table('auth_attempt',
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_attempt'))
    )
    with op.batch_alter_table('auth_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_auth_attempt_scope_key_created', ['scope', 'key', 'created_at'], unique=False)

    op.create_table('framework',
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('edition', sa.String(length=40), nullable=False),
    sa.Column('publisher', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_framework')),
    sa.UniqueConstraint('slug', name=op.f('uq_framework_slug'))
    )
    op.create_table('play',
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=400), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('stage', sa.Enum('writing', 'carrying_out', 'huddle', name='stage', native_enum=False, length=40), nullable=False),
    sa.Column('grade_band', sa.Enum('K-2', '3-5', '6-8', '9-12', 'K-12', name='gradeband', native_enum=False, length=40), nullable=False),
    sa.Column('effort', sa.Enum('low', 'medium', 'high', name='effort', native_enum=False, length=40), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_play')),
    sa.UniqueConstraint('slug', name=op.f('uq_play_slug'))
    )
    with op.batch_alter_table('play', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_play_grade_band'), ['grade_band'], unique=False)
        batch_op.create_index(batch_op.f('ix_play_stage'), ['stage'], unique=False)

    op.create_table('resource',
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('resource_type', sa.Enum('Framework', 'Infographic', 'Activity', 'White Paper', 'Course', 'Rubric', 'Toolkit', 'Video', 'Other', name='resourcetype', native_enum=False, length=40), nullable=False),
    sa.Column('why_use_it', sa.Text(), nullable=False),
    sa.Column('who_is_using', sa.Text(), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resource')),
    sa.UniqueConstraint('slug', name=op.f('uq_resource_slug'))
    )
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_resource_type'), ['resource_type'], unique=False)

    op.create_table('search_document',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_document')),
    sa.UniqueConstraint('kind', 'ref_id', name=op.f('uq_search_document_kind'))
    )
    _create_full_text_index()
    op.create_table('user',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('organization', sa.String(length=120), nullable=False),
    sa.Column('role_title', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('site_role', sa.Enum('member', 'moderator', 'admin', name='siterole', native_enum=False, length=20), nullable=False),
    sa.Column('is_active_account', sa.Boolean(), nullable=False),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email'))
    )
    op.create_table('component',
    sa.Column('framework_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['framework_id'], ['framework.id'], name=op.f('fk_component_framework_id_framework'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_component')),
    sa.UniqueConstraint('framework_id', 'slug', name=op.f('uq_component_framework_id'))
    )
    with op.batch_alter_table('component', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_component_framework_id'), ['framework_id'], unique=False)

    op.create_table('login_session',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_login_session_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_session_token_hash'))
    )
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_session_user_id'), ['user_id'], unique=False)

    op.create_table('password_reset_token',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_password_reset_token_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_reset_token_token_hash'))
    )
    with op.batch_alter_table('password_reset_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_token_user_id'), ['user_id'], unique=False)

    op.create_table('play_audience',
    sa.Column('play_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.Enum('teacher', 'school_leader', 'district', 'family', 'community', name='audience', native_enum=False, length=40), nullable=False),
    sa.ForeignKeyConstraint(['play_id'], ['play.id'], name=op.f('fk_play_audience_play_id_play'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('play_id', 'audience', name=op.f('pk_play_audience'))
    )
    op.create_table('resource_ideal_user',
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('ideal_user', sa.Enum('Teachers', 'School Administrators', 'District Administrators', 'State Officials', 'Families', 'Anyone', name='idealuser', native_enum=False, length=40), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_resource_ideal_user_resource_id_resource'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('resource_id', 'ideal_user', name=op.f('pk_resource_ideal_user'))
    )
    op.create_table('element',
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['component.id'], name=op.f('fk_element_component_id_component'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_element'))
    )
    with op.batch_alter_table('element', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_element_component_id'), ['component_id'], unique=False)

    op.create_table('play_component',
    sa.Column('play_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['component.id'], name=op.f('fk_play_component_component_id_component'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['play_id'], ['play.id'], name=op.f('fk_play_component_play_id_play'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('play_id', 'component_id', name=op.f('pk_play_component'))
    )
    with op.batch_alter_table('play_component', schema=None) as batch_op:
        batch_op.create_index('ix_play_component_component_id', ['component_id'], unique=False)



def downgrade():
    with op.batch_alter_table('play_component', schema=None) as batch_op:
        batch_op.drop_index('ix_play_component_component_id')

    op.drop_table('play_component')
    with op.batch_alter_table('element', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_element_component_id'))

    op.drop_table('element')
    op.drop_table('resource_ideal_user')
    op.drop_table('play_audience')
    with op.batch_alter_table('password_reset_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_token_user_id'))

    op.drop_table('password_reset_token')
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_session_user_id'))

    op.drop_table('login_session')
    with op.batch_alter_table('component', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_component_framework_id'))

    op.drop_table('component')
    op.drop_table('user')
    _drop_full_text_index()
    op.drop_table('search_document')
    with op.batch_alter_table('resource', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_resource_type'))

    op.drop_table('resource')
    with op.batch_alter_table('play', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_play_stage'))
        batch_op.drop_index(batch_op.f('ix_play_grade_band'))

    op.drop_table('play')
    op.drop_table('framework')
    with op.batch_alter_table('auth_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_auth_attempt_scope_key_created')

    op.drop_table('auth_attempt')
