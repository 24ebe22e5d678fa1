"""Content request status: "canceled", the US spelling used everywhere else (was "cancelled").

Revision ID: d7a2c9e4f1b3
Revises: c4e1f7a9d3b2
Create Date: 2026-12-02
"""
from alembic import op

revision = 'd7a2c9e4f1b3'
down_revision = 'c4e1f7a9d3b2'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE content_request SET status = 'canceled' WHERE status = 'cancelled'")


def downgrade():
    op.execute("UPDATE content_request SET status = 'cancelled' WHERE status = 'canceled'")
