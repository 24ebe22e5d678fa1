"""Costs (issue 35): other required costs on orders, the courseware flag and data-terms link of catalog items, the
low-cost threshold and coverage target, a term's registration opening, when an edit put a section on an order

Revision ID: f7ec0fd0b0b3
Revises: 9f48b82108e7
Create Date: 2026-12-06 23:38:56.784140

"""
from alembic import op
import sqlalchemy as sa

import orders.domain.models


# revision identifiers, used by Alembic.
revision = 'f7ec0fd0b0b3'
down_revision = '9f48b82108e7'
branch_labels = None
depends_on = None


# Batch operations reflect their table alone (resolve_fks=False): SQLite cannot reflect course_order's expression
# index, and a reflection of the tables a foreign key reaches warned about it on every fresh database.


def upgrade():
    op.create_table('order_other_cost',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('amount', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.CheckConstraint('amount >= 0 AND amount <= 10000', name='ck_other_cost_amount'),
    sa.ForeignKeyConstraint(['order_id'], ['course_order.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('order_other_cost', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index('ix_other_cost_order', ['order_id', 'position'], unique=False)

    with op.batch_alter_table('catalog_item', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('courseware_for_graded_work', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('data_terms_url', sa.String(length=500), nullable=True))

    with op.batch_alter_table('institution', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('low_cost_threshold', sa.Numeric(precision=10, scale=2), nullable=True))
        batch_op.add_column(sa.Column('low_cost_criteria_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('coverage_target_percent', sa.Integer(), server_default=sa.text('55'), nullable=False))

    with op.batch_alter_table('order_section', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('added_at', orders.domain.models.UTCDateTime(), nullable=True))

    with op.batch_alter_table('term', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('registration_opens_at', orders.domain.models.UTCDateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('term', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('registration_opens_at')

    with op.batch_alter_table('order_section', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('added_at')

    with op.batch_alter_table('institution', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('coverage_target_percent')
        batch_op.drop_column('low_cost_criteria_url')
        batch_op.drop_column('low_cost_threshold')

    with op.batch_alter_table('catalog_item', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('data_terms_url')
        batch_op.drop_column('courseware_for_graded_work')

    with op.batch_alter_table('order_other_cost', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('ix_other_cost_order')

    op.drop_table('order_other_cost')
