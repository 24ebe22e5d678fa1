"""Review before an order counts (issue 33): ordering policies and pre-approved lists per organization, the grants'
approval flags, orders awaiting approval or returned, the royalty question, changes awaiting approval

Revision ID: c8d4445eefdb
Revises: f7ec0fd0b0b3
Create Date: 2026-12-06 23:38:33.823903

"""
from alembic import op
import sqlalchemy as sa

import orders.domain.models


# revision identifiers, used by Alembic.
revision = 'c8d4445eefdb'
down_revision = 'f7ec0fd0b0b3'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE ADD COLUMN, never a batch copy: on SQLite a batch recreates the table and loses the
    # expression indexes it cannot reflect (ix_course_order_newest, uq_coordinator_grant_scope).
    op.create_table('pre_approved_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('catalog_item_id', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['catalog_item_id'], ['catalog_item.id'], ),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organization_id', 'catalog_item_id', name='uq_pre_approved_item')
    )
    op.create_index(op.f('ix_pre_approved_item_organization_id'), 'pre_approved_item', ['organization_id'], unique=False)
    op.create_table('approval_digest_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('sent_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'day', name='uq_approval_digest_sent_user_day')
    )
    op.add_column('coordinator_grant', sa.Column('may_approve', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('coordinator_grant', sa.Column('may_review_royalties', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('course_order', sa.Column('submitted_at', orders.domain.models.UTCDateTime(), nullable=True))
    op.add_column('course_order', sa.Column('royalty_answer', sa.Boolean(), nullable=True))
    op.add_column('course_order', sa.Column('royalty_review', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('institution', sa.Column('royalty_review_threshold', sa.Numeric(precision=10, scale=2), nullable=True))
    op.add_column('order_line', sa.Column('instructor_authored', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('order_line', sa.Column('royalty_per_copy', sa.Numeric(precision=10, scale=2), nullable=True))
    op.add_column('organization', sa.Column('ordering_policy', sa.Enum('open', 'approval', 'pre_approved_list', name='ordering_policy', native_enum=False, length=32), server_default='open', nullable=False))
    op.add_column('pending_edit', sa.Column('submitted_at', orders.domain.models.UTCDateTime(), nullable=True))
    op.add_column('pending_edit', sa.Column('royalty_review', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.create_index('uq_pending_edit_one_awaiting', 'pending_edit', ['order_id'], unique=True, sqlite_where=sa.text('submitted_at IS NOT NULL'), postgresql_where=sa.text('submitted_at IS NOT NULL'))
    # Orders placed before review existed were submitted when they were placed ("placed on time" reads it).
    op.execute("UPDATE course_order SET submitted_at = placed_at WHERE placed_at IS NOT NULL")


def downgrade():
    op.drop_index('uq_pending_edit_one_awaiting', table_name='pending_edit')
    for table, column in [('pending_edit', 'royalty_review'), ('pending_edit', 'submitted_at'), ('organization', 'ordering_policy'),
                          ('order_line', 'royalty_per_copy'), ('order_line', 'instructor_authored'),
                          ('institution', 'royalty_review_threshold'), ('course_order', 'royalty_review'),
                          ('course_order', 'royalty_answer'), ('course_order', 'submitted_at'),
                          ('coordinator_grant', 'may_review_royalties'), ('coordinator_grant', 'may_approve')]:
        op.drop_column(table, column)
    op.drop_index(op.f('ix_pre_approved_item_organization_id'), table_name='pre_approved_item')
    op.drop_table('pre_approved_item')
    op.drop_table('approval_digest_sent')
