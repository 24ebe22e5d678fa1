"""students: enrollments, choices and the choice window; progress reminders; public-materials fields

Revision ID: 9a1e5c7d2b10
Revises: 7d3c2a1b9e40
Create Date: 2026-12-02 01:12:47.179477

"""
from alembic import op
import sqlalchemy as sa

import orders.domain.models


# revision identifiers, used by Alembic.
revision = '9a1e5c7d2b10'
down_revision = '7d3c2a1b9e40'
branch_labels = None
depends_on = None

# SQLite rebuilds outbound_email from its reflection: reflect that table alone, not the tables its foreign keys
# reach (course_order's expression index, which SQLite cannot reflect, warned on every fresh database).
NO_REFERRED_TABLES = {'resolve_fks': False}


def upgrade():
    op.create_table('progress_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('sent_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sent_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['term_id'], ['term.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('term_id', 'user_id', 'day', name='uq_progress_reminder_term_user_day')
    )
    op.create_table('choice_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('catalog_item_id', sa.Integer(), nullable=False),
    sa.Column('previous', sa.Enum('opted_out', 'opted_in', name='choice_value', native_enum=False, length=32), nullable=True),
    sa.Column('choice', sa.Enum('opted_out', 'opted_in', name='choice_value', native_enum=False, length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('occurred_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['catalog_item_id'], ['catalog_item.id'], ),
    sa.ForeignKeyConstraint(['section_id'], ['section.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('choice_event', schema=None) as batch_op:
        batch_op.create_index('ix_choice_event_student', ['user_id', 'id'], unique=False)

    op.create_table('enrollment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('enrolled', 'dropped', name='enrollment_state', native_enum=False, length=32), nullable=False),
    sa.Column('enrolled_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.Column('dropped_at', orders.domain.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['section_id'], ['section.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'section_id', name='uq_enrollment_user_section')
    )
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.create_index('ix_enrollment_section', ['section_id', 'state'], unique=False)

    op.create_table('student_choice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('catalog_item_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.Enum('opted_out', 'opted_in', name='choice_value', native_enum=False, length=32), nullable=False),
    sa.Column('decided_at', orders.domain.models.UTCDateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.ForeignKeyConstraint(['catalog_item_id'], ['catalog_item.id'], ),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['section_id'], ['section.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'section_id', 'catalog_item_id', name='uq_student_choice_user_section_item')
    )
    with op.batch_alter_table('student_choice', schema=None) as batch_op:
        batch_op.create_index('ix_student_choice_section', ['section_id'], unique=False)

    with op.batch_alter_table('catalog_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('copyright_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('list_price', sa.Numeric(precision=10, scale=2), nullable=True))
        batch_op.add_column(sa.Column('zero_cost', sa.Boolean(), server_default=sa.text('false'), nullable=False))

    with op.batch_alter_table('content_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requirement', sa.Enum('required', 'recommended', name='requirement', native_enum=False, length=32), server_default='required', nullable=False))

    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.add_column(sa.Column('program_mode', sa.Enum('opt-out', 'opt-in', name='program_mode', native_enum=False, length=32), server_default='opt-out', nullable=False))
        batch_op.add_column(sa.Column('consent_text', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('at_risk_threshold_percent', sa.Integer(), server_default=sa.text('20'), nullable=False))
        batch_op.add_column(sa.Column('publish_course_materials', sa.Boolean(), server_default=sa.text('true'), nullable=False))

    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requirement', sa.Enum('required', 'recommended', name='requirement', native_enum=False, length=32), server_default='required', nullable=False))

    with op.batch_alter_table('outbound_email', schema=None, reflect_kwargs=NO_REFERRED_TABLES) as batch_op:
        batch_op.add_column(sa.Column('choice_event_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint('uq_outbound_email_choice_event_recipient', ['choice_event_id', 'recipient'])
        batch_op.create_foreign_key('fk_outbound_email_choice_event', 'choice_event', ['choice_event_id'], ['id'])

    with op.batch_alter_table('term', schema=None) as batch_op:
        batch_op.add_column(sa.Column('choice_opens_at', orders.domain.models.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('choice_closes_at', orders.domain.models.UTCDateTime(), nullable=True))



def downgrade():
    with op.batch_alter_table('term', schema=None) as batch_op:
        batch_op.drop_column('choice_closes_at')
        batch_op.drop_column('choice_opens_at')

    with op.batch_alter_table('outbound_email', schema=None, reflect_kwargs=NO_REFERRED_TABLES) as batch_op:
        batch_op.drop_constraint('fk_outbound_email_choice_event', type_='foreignkey')
        batch_op.drop_constraint('uq_outbound_email_choice_event_recipient', type_='unique')
        batch_op.drop_column('choice_event_id')

    with op.batch_alter_table('order_line', schema=None, reflect_kwargs=NO_REFERRED_TABLES) as batch_op:
        batch_op.drop_column('requirement')

    with op.batch_alter_table('institution', schema=None) as batch_op:
        batch_op.drop_column('publish_course_materials')
        batch_op.drop_column('at_risk_threshold_percent')
        batch_op.drop_column('consent_text')
        batch_op.drop_column('program_mode')

    with op.batch_alter_table('content_request', schema=None, reflect_kwargs=NO_REFERRED_TABLES) as batch_op:
        batch_op.drop_column('requirement')

    with op.batch_alter_table('catalog_item', schema=None) as batch_op:
        batch_op.drop_column('zero_cost')
        batch_op.drop_column('list_price')
        batch_op.drop_column('copyright_year')

    with op.batch_alter_table('student_choice', schema=None) as batch_op:
        batch_op.drop_index('ix_student_choice_section')

    op.drop_table('student_choice')
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_index('ix_enrollment_section')

    op.drop_table('enrollment')
    with op.batch_alter_table('choice_event', schema=None) as batch_op:
        batch_op.drop_index('ix_choice_event_student')

    op.drop_table('choice_event')
    op.drop_table('progress_reminder')
