"""hand-in register: registrations (plain workflow fields, sealed details) and signed certificates

Revision ID: 0005_handins
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_handins'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('handins',
    sa.Column('submission_id', sa.String(length=32), nullable=False),
    sa.Column('registration_number', sa.String(length=24), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('form', sa.Enum('cash', 'card', 'gift', 'other', name='gift_form', native_enum=False, length=20), nullable=False),
    sa.Column('working_days', sa.Integer(), nullable=False),
    sa.Column('deadline_days', sa.Integer(), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('state', sa.Enum('registered', 'confirmed', 'handled', name='handin_state', native_enum=False, length=20), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', sa.Integer(), nullable=True),
    sa.Column('confirmation_envelope', sa.LargeBinary(), nullable=True),
    sa.Column('handling', sa.Enum('returned', 'deposit', 'finance', name='handin_handling', native_enum=False, length=20), nullable=True),
    sa.Column('handled_on', sa.Date(), nullable=True),
    sa.Column('handling_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handling_recorded_by', sa.Integer(), nullable=True),
    sa.Column('handling_envelope', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_handins_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_handins')),
    sa.UniqueConstraint('registration_number', name=op.f('uq_handins_registration_number'))
    )
    with op.batch_alter_table('handins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handins_registered_at'), ['registered_at'], unique=False)

    op.create_table('handin_certificates',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('submission_id', sa.String(length=32), nullable=False),
    sa.Column('office_key_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('digest', sa.LargeBinary(length=32), nullable=False),
    sa.Column('signature', sa.LargeBinary(length=64), nullable=False),
    sa.Column('statement_for_office', sa.LargeBinary(), nullable=False),
    sa.Column('pdf_for_staff', sa.LargeBinary(), nullable=True),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['office_key_id'], ['office_keys.id'], name=op.f('fk_handin_certificates_office_key_id_office_keys')),
    sa.ForeignKeyConstraint(['submission_id'], ['handins.submission_id'], name=op.f('fk_handin_certificates_submission_id_handins'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handin_certificates'))
    )
    with op.batch_alter_table('handin_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handin_certificates_submission_id'), ['submission_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('handin_certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handin_certificates_submission_id'))
    op.drop_table('handin_certificates')
    with op.batch_alter_table('handins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handins_registered_at'))
    op.drop_table('handins')
