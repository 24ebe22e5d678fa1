"""no materials answers and reminders sent

Revision ID: 3fc8ee3fe5d3
Revises: 323eeaf7325b
Create Date: 2026-11-26 16:31:06.118938

"""
from alembic import op
import sqlalchemy as sa

import orders.domain.models


# revision identifiers, used by Alembic.
revision = '3fc8ee3fe5d3'
down_revision = '323eeaf7325b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminder_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('opening', 'closing', name='reminder_kind', native_enum=False, length=32), nullable=False),
    sa.Column('sent_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['term_id'], ['term.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('term_id', 'user_id', 'kind', name='uq_reminder_sent_term_user_kind')
    )
    op.create_table('no_materials_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=False),
    sa.Column('answered_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['section_id'], ['section.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('section_id', name='uq_no_materials_answer_section')
    )


def downgrade():
    op.drop_table('no_materials_answer')
    op.drop_table('reminder_sent')
