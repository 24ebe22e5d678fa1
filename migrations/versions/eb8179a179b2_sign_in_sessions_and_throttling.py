"""Sign-in: server-side sessions and failed sign-in throttling

Revision ID: eb8179a179b2
Revises: 8c660da7950e
Create Date: 2026-11-26 16:34:39.142941

"""
from alembic import op
import sqlalchemy as sa

import orders.domain.models


# revision identifiers, used by Alembic.
revision = 'eb8179a179b2'
down_revision = '8c660da7950e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sign_in_failure', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_failure_account', ['account', 'occurred_at'], unique=False)
        batch_op.create_index('ix_sign_in_failure_address', ['address', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_failure_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('sign_in_lock',
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('locked_until', orders.domain.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('scope')
    )
    op.create_table('user_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))

    op.drop_table('user_session')
    op.drop_table('sign_in_lock')
    with op.batch_alter_table('sign_in_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_failure_occurred_at'))
        batch_op.drop_index('ix_sign_in_failure_address')
        batch_op.drop_index('ix_sign_in_failure_account')

    op.drop_table('sign_in_failure')
