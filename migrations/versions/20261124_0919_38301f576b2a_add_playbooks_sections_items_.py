"""add playbooks, sections, items, memberships and revisions

Revision ID: 38301f576b2a
Revises: 988528116c73
Create Date: 2026-11-24 09:19:22.459821

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '38301f576b2a'
down_revision = '988528116c73'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('playbook',
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.Enum('classroom', 'school', 'district', 'network', name='scope', native_enum=False, length=40), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=False),
    sa.Column('vision', sa.Text(), nullable=False),
    sa.Column('vision_html', sa.Text(), nullable=False),
    sa.Column('framework_id', sa.Integer(), nullable=True),
    sa.Column('visibility', sa.Enum('private', 'link', 'public', name='visibility', native_enum=False, length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('forked_from_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_playbook_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['forked_from_id'], ['playbook.id'], name=op.f('fk_playbook_forked_from_id_playbook'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['framework_id'], ['framework.id'], name=op.f('fk_playbook_framework_id_framework'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_playbook'))
    )
    with op.batch_alter_table('playbook', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_playbook_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_playbook_forked_from_id'), ['forked_from_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_playbook_framework_id'), ['framework_id'], unique=False)

    op.create_table('membership',
    sa.Column('playbook_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('owner', 'editor', 'commenter', 'viewer', name='memberrole', native_enum=False, length=40), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['playbook_id'], ['playbook.id'], name=op.f('fk_membership_playbook_id_playbook'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_membership_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership')),
    sa.UniqueConstraint('playbook_id', 'user_id', name=op.f('uq_membership_playbook_id'))
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_user_id'), ['user_id'], unique=False)

    op.create_table('revision',
    sa.Column('playbook_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_revision_actor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['playbook_id'], ['playbook.id'], name=op.f('fk_revision_playbook_id_playbook'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revision')),
    sa.UniqueConstraint('playbook_id', 'number', name=op.f('uq_revision_playbook_id'))
    )
    op.create_table('section',
    sa.Column('playbook_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['playbook_id'], ['playbook.id'], name=op.f('fk_section_playbook_id_playbook'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_section'))
    )
    with op.batch_alter_table('section', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_section_playbook_id'), ['playbook_id'], unique=False)

    op.create_table('item',
    sa.Column('playbook_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('play', 'resource', 'component', 'note', name='itemkind', native_enum=False, length=40), nullable=False),
    sa.Column('play_id', sa.Integer(), nullable=True),
    sa.Column('resource_id', sa.Integer(), nullable=True),
    sa.Column('component_id', sa.Integer(), nullable=True),
    sa.Column('element_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('notes_html', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('idea', 'planned', 'piloting', 'adopted', 'retired', name='itemstatus', native_enum=False, length=40), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('target_date', sa.Date(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['component.id'], name=op.f('fk_item_component_id_component'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['element_id'], ['element.id'], name=op.f('fk_item_element_id_element'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_item_owner_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['play_id'], ['play.id'], name=op.f('fk_item_play_id_play'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['playbook_id'], ['playbook.id'], name=op.f('fk_item_playbook_id_playbook'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], name=op.f('fk_item_resource_id_resource'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['section_id'], ['section.id'], name=op.f('fk_item_section_id_section'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item'))
    )
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_component_id'), ['component_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_play_id'), ['play_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_playbook_id'), ['playbook_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index('ix_item_section_position', ['section_id', 'position'], unique=False)



def downgrade():
    with op.batch_alter_table('item', schema=None) as batch_op:
        batch_op.drop_index('ix_item_section_position')
        batch_op.drop_index(batch_op.f('ix_item_resource_id'))
        batch_op.drop_index(batch_op.f('ix_item_playbook_id'))
        batch_op.drop_index(batch_op.f('ix_item_play_id'))
        batch_op.drop_index(batch_op.f('ix_item_component_id'))

    op.drop_table('item')
    with op.batch_alter_table('section', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_section_playbook_id'))

    op.drop_table('section')
    op.drop_table('revision')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_user_id'))

    op.drop_table('membership')
    with op.batch_alter_table('playbook', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_playbook_framework_id'))
        batch_op.drop_index(batch_op.f('ix_playbook_forked_from_id'))
        batch_op.drop_index(batch_op.f('ix_playbook_deleted_at'))

    op.drop_table('playbook')
