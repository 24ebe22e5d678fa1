"""reliability round three: the order feed's change log, and one coordinator grant per scope

Revision ID: c4e1f7a9d3b2
Revises: 9a1e5c7d2b10
Create Date: 2026-12-02 01:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import orders.domain.models


# revision identifiers, used by Alembic.
revision = 'c4e1f7a9d3b2'
down_revision = '9a1e5c7d2b10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('changed_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.Column('feed_run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['feed_run_id'], ['feed_run.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['course_order.id'], ),
    sa.ForeignKeyConstraint(['term_id'], ['term.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_feed_change_term_run', 'feed_change', ['term_id', 'feed_run_id'], unique=False)
    # Grants posted twice at once before this index existed: keep the first of each scope.
    op.execute(
        "DELETE FROM coordinator_grant WHERE id NOT IN (SELECT min(id) FROM coordinator_grant GROUP BY user_id,"
        " coalesce(subject, ''), coalesce(level, ''), coalesce(organization_id, 0), coalesce(campus_id, 0))"
    )
    op.create_index(
        'uq_coordinator_grant_scope', 'coordinator_grant',
        ['user_id', sa.text("coalesce(subject, '')"), sa.text("coalesce(level, '')"),
         sa.text('coalesce(organization_id, 0)'), sa.text('coalesce(campus_id, 0)')],
        unique=True,
    )


def downgrade():
    op.drop_index('uq_coordinator_grant_scope', table_name='coordinator_grant')
    op.drop_index('ix_feed_change_term_run', table_name='feed_change')
    op.drop_table('feed_change')
