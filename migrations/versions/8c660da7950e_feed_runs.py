"""order feed runs: one row per successful export-feed run (the delta window it claimed)

Revision ID: 8c660da7950e
Revises: 3fc8ee3fe5d3
Create Date: 2026-11-26 16:30:57.228558

"""
from alembic import op
import sqlalchemy as sa

import orders.domain.models


# revision identifiers, used by Alembic.
revision = '8c660da7950e'
down_revision = '3fc8ee3fe5d3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('full', 'delta', name='feed_kind', native_enum=False, length=32), nullable=False),
    sa.Column('window_start', orders.domain.models.UTCDateTime(), nullable=True),
    sa.Column('window_end', orders.domain.models.UTCDateTime(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['term_id'], ['term.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('term_id', 'kind', 'window_start', name='uq_feed_run_term_kind_window_start')
    )


def downgrade():
    op.drop_table('feed_run')
