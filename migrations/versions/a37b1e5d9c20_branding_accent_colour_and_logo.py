"""Branding (issue 37): the institution's accent colour and logo (its bytes, type, digest and size)

Revision ID: a37b1e5d9c20
Revises: c8d4445eefdb
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a37b1e5d9c20'
down_revision = 'c8d4445eefdb'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('institution', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('accent_colour', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('logo_data', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('logo_content_type', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('logo_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('logo_width', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('logo_height', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('institution', schema=None, reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('logo_height')
        batch_op.drop_column('logo_width')
        batch_op.drop_column('logo_digest')
        batch_op.drop_column('logo_content_type')
        batch_op.drop_column('logo_data')
        batch_op.drop_column('accent_colour')
