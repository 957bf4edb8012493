"""ratings: rating states, one-time rating codes, sealed counters and alerts

Revision ID: 0004_ratings
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_ratings'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ratings',
    sa.Column('submission_id', sa.String(length=32), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_ratings_office_id_offices')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_ratings_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_ratings'))
    )
    op.create_index('ix_ratings_office_counted', 'ratings', ['office_id', 'counted'], unique=False)
    op.create_table('rating_code_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('used_count', sa.Integer(), nullable=False),
    sa.Column('sealed_codes', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_rating_code_batches_department_id_departments')),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], name=op.f('fk_rating_code_batches_hospital_id_hospitals')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_rating_code_batches_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_code_batches'))
    )
    op.create_index(op.f('ix_rating_code_batches_office_id'), 'rating_code_batches', ['office_id'], unique=False)
    op.create_table('rating_codes',
    sa.Column('code_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['rating_code_batches.id'], name=op.f('fk_rating_codes_batch_id_rating_code_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('code_hash', name=op.f('pk_rating_codes'))
    )
    op.create_index(op.f('ix_rating_codes_batch_id'), 'rating_codes', ['batch_id'], unique=False)
    op.create_table('rating_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('department_key', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('key_id', sa.LargeBinary(length=8), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_rating_counters_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_counters')),
    sa.UniqueConstraint('office_id', 'department_key', 'month', name=op.f('uq_rating_counters_office_id'))
    )
    op.create_table('rating_alerts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('submission_id', sa.String(length=32), nullable=True),
    sa.Column('created_hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('envelope', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_rating_alerts_department_id_departments')),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospitals.id'], name=op.f('fk_rating_alerts_hospital_id_hospitals')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_rating_alerts_office_id_offices')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_rating_alerts_submission_id_submissions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_alerts')),
    sa.UniqueConstraint('submission_id', name=op.f('uq_rating_alerts_submission_id'))
    )
    op.create_index(op.f('ix_rating_alerts_office_id'), 'rating_alerts', ['office_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_rating_alerts_office_id'), table_name='rating_alerts')
    op.drop_table('rating_alerts')
    op.drop_table('rating_counters')
    op.drop_index(op.f('ix_rating_codes_batch_id'), table_name='rating_codes')
    op.drop_table('rating_codes')
    op.drop_index(op.f('ix_rating_code_batches_office_id'), table_name='rating_code_batches')
    op.drop_table('rating_code_batches')
    op.drop_index('ix_ratings_office_counted', table_name='ratings')
    op.drop_table('ratings')
