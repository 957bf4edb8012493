"""posters: when each poster code was first printed

Revision ID: 0007_posters
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0007_posters"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("posters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("printed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posters", schema=None) as batch_op:
        batch_op.drop_column("printed_at")
