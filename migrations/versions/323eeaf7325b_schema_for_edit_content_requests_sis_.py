"""schema for edit, content requests, SIS, feed, back office

Revision ID: 323eeaf7325b
Revises: 6f7fc4c8f17a
Create Date: 2026-11-26 16:23:27.206836

"""
from alembic import op
import sqlalchemy as sa

import orders.domain.models


# revision identifiers, used by Alembic.
revision = '323eeaf7325b'
down_revision = '6f7fc4c8f17a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('admin_audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('admin_audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_admin_audit_actor', ['actor_id', 'id'], unique=False)
        batch_op.create_index('ix_admin_audit_kind', ['kind', 'id'], unique=False)

    op.create_table('content_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('isbn13', sa.String(length=13), nullable=False),
    sa.Column('author', sa.String(length=300), nullable=True),
    sa.Column('edition', sa.String(length=50), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('submitted', 'researching', 'approved', 'denied', 'cancelled', name='content_request_status', native_enum=False, length=32), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.Column('removed_at', orders.domain.models.UTCDateTime(), nullable=True),
    sa.Column('fulfilled_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.ForeignKeyConstraint(['fulfilled_by_id'], ['catalog_item.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['course_order.id'], ),
    sa.ForeignKeyConstraint(['requested_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('content_request', schema=None) as batch_op:
        batch_op.create_index('ix_content_request_order', ['order_id'], unique=False)
        batch_op.create_index('ix_content_request_status', ['status'], unique=False)

    op.create_table('pending_edit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('created_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['course_order.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('order_id', 'user_id', name='uq_pending_edit_order_user')
    )
    op.create_table('content_request_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['content_request.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('content_request_comment', schema=None) as batch_op:
        batch_op.create_index('ix_content_request_comment_request', ['request_id', 'id'], unique=False)

    with op.batch_alter_table('academic_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sis_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_academic_session_sis_id'), ['sis_id'], unique=True)

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('network_id', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('sis_id', sa.String(length=64), nullable=True))
        batch_op.alter_column('password_hash',
               existing_type=sa.VARCHAR(length=256),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_app_user_network_id'), ['network_id'], unique=True)
        batch_op.create_index(batch_op.f('ix_app_user_sis_id'), ['sis_id'], unique=True)

    with op.batch_alter_table('campus', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sis_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_campus_sis_id'), ['sis_id'], unique=True)

    with op.batch_alter_table('catalog_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.text('(true)'), nullable=False))

    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sis_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_course_sis_id'), ['sis_id'], unique=True)

    with op.batch_alter_table('course_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_changed_at', orders.domain.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('reordered_from_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_course_order_last_changed_at'), ['last_changed_at'], unique=False)
        batch_op.create_foreign_key('fk_order_reordered_from', 'course_order', ['reordered_from_id'], ['id'])
    # Orders placed before this column existed last changed when they were canceled or placed.
    op.execute("UPDATE course_order SET last_changed_at = COALESCE(canceled_at, placed_at, created_at)")

    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminders_enabled', sa.Boolean(), server_default=sa.text('(false)'), nullable=False))

    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', orders.domain.models.UTCDateTime(), nullable=True))

    with op.batch_alter_table('order_section', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', orders.domain.models.UTCDateTime(), nullable=True))

    with op.batch_alter_table('ordering_period', schema=None) as batch_op:
        batch_op.add_column(sa.Column('soft_close_at', orders.domain.models.UTCDateTime(), nullable=True))

    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sis_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_organization_sis_id'), ['sis_id'], unique=True)

    with op.batch_alter_table('section', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sis_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('state', sa.Enum('active', 'removed', name='section_state', native_enum=False, length=32), server_default='active', nullable=False))
        batch_op.create_index(batch_op.f('ix_section_sis_id'), ['sis_id'], unique=True)

    with op.batch_alter_table('term', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sis_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_term_sis_id'), ['sis_id'], unique=True)

    # ### end Alembic commands ###


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('term', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_term_sis_id'))
        batch_op.drop_column('sis_id')

    with op.batch_alter_table('section', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_section_sis_id'))
        batch_op.drop_column('state')
        batch_op.drop_column('sis_id')

    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organization_sis_id'))
        batch_op.drop_column('sis_id')

    with op.batch_alter_table('ordering_period', schema=None) as batch_op:
        batch_op.drop_column('soft_close_at')

    with op.batch_alter_table('order_section', schema=None) as batch_op:
        batch_op.drop_column('removed_at')

    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_column('removed_at')

    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.drop_column('reminders_enabled')

    with op.batch_alter_table('course_order', schema=None) as batch_op:
        batch_op.drop_constraint('fk_order_reordered_from', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_course_order_last_changed_at'))
        batch_op.drop_column('reordered_from_id')
        batch_op.drop_column('last_changed_at')

    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_sis_id'))
        batch_op.drop_column('sis_id')

    with op.batch_alter_table('catalog_item', schema=None) as batch_op:
        batch_op.drop_column('active')

    with op.batch_alter_table('campus', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campus_sis_id'))
        batch_op.drop_column('sis_id')

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_sis_id'))
        batch_op.drop_index(batch_op.f('ix_app_user_network_id'))
        batch_op.alter_column('password_hash',
               existing_type=sa.VARCHAR(length=256),
               nullable=False)
        batch_op.drop_column('sis_id')
        batch_op.drop_column('network_id')

    with op.batch_alter_table('academic_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_academic_session_sis_id'))
        batch_op.drop_column('sis_id')

    with op.batch_alter_table('content_request_comment', schema=None) as batch_op:
        batch_op.drop_index('ix_content_request_comment_request')

    op.drop_table('content_request_comment')
    op.drop_table('pending_edit')
    with op.batch_alter_table('content_request', schema=None) as batch_op:
        batch_op.drop_index('ix_content_request_status')
        batch_op.drop_index('ix_content_request_order')

    op.drop_table('content_request')
    with op.batch_alter_table('admin_audit_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_admin_audit_kind')
        batch_op.drop_index('ix_admin_audit_actor')

    op.drop_table('admin_audit_entry')
    # ### end Alembic commands ###
