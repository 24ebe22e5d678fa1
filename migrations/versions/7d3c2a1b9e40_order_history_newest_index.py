"""order history: an index on orders newest first

Revision ID: 7d3c2a1b9e40
Revises: 053b676fadc4
Create Date: 2026-11-26 21:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d3c2a1b9e40'
down_revision = '053b676fadc4'
branch_labels = None
depends_on = None


def upgrade():
    # The history page walks orders in this order and stops after one page (and a capped count).
    op.create_index(
        'ix_course_order_newest', 'course_order',
        [sa.text('coalesce(placed_at, created_at) DESC'), sa.text('id DESC')],
    )


def downgrade():
    op.drop_index('ix_course_order_newest', table_name='course_order')
