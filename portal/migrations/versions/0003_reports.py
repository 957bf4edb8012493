"""reports: the conversation between the office and a reporter (sealed messages)

Revision ID: 0003_reports
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_reports'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_messages',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('submission_id', sa.String(length=32), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('reply', 'result', 'answer', name='message_kind', native_enum=False, length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('for_office', sa.LargeBinary(), nullable=False),
    sa.Column('for_reporter', sa.LargeBinary(), nullable=False),
    sa.Column('created_hour', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_report_messages_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_messages')),
    sa.UniqueConstraint('submission_id', 'seq', name=op.f('uq_report_messages_submission_id'))
    )
    with op.batch_alter_table('report_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_messages_submission_id'), ['submission_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_messages_submission_id'))
    op.drop_table('report_messages')
