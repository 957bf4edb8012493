"""region: clue transfers between offices, observed audit chain heads

Revision ID: 0008_region
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0008_region"
down_revision = "0001"
branch_labels = None
depends_on = ("0006_clues",)


def upgrade() -> None:
    op.create_table(
        "clue_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.Enum("down", "up", name="transfer_direction", native_enum=False, length=20),
                  nullable=False),
        sa.Column("from_office_id", sa.Integer(), nullable=False),
        sa.Column("to_office_id", sa.Integer(), nullable=False),
        sa.Column("from_clue_id", sa.Integer(), nullable=False),
        sa.Column("to_clue_id", sa.Integer(), nullable=False),
        sa.Column("from_number", sa.String(length=20), nullable=False),
        sa.Column("to_number", sa.String(length=20), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["from_clue_id"], ["clues.id"], name=op.f("fk_clue_transfers_from_clue_id_clues")),
        sa.ForeignKeyConstraint(["from_office_id"], ["offices.id"],
                                name=op.f("fk_clue_transfers_from_office_id_offices")),
        sa.ForeignKeyConstraint(["officer_id"], ["officers.id"], name=op.f("fk_clue_transfers_officer_id_officers")),
        sa.ForeignKeyConstraint(["to_clue_id"], ["clues.id"], name=op.f("fk_clue_transfers_to_clue_id_clues")),
        sa.ForeignKeyConstraint(["to_office_id"], ["offices.id"], name=op.f("fk_clue_transfers_to_office_id_offices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clue_transfers")),
        sa.UniqueConstraint("from_clue_id", name=op.f("uq_clue_transfers_from_clue_id")),
        sa.UniqueConstraint("to_clue_id", name=op.f("uq_clue_transfers_to_clue_id")),
    )
    op.create_index(op.f("ix_clue_transfers_from_office_id"), "clue_transfers", ["from_office_id"])
    op.create_index(op.f("ix_clue_transfers_to_office_id"), "clue_transfers", ["to_office_id"])
    op.create_table(
        "chain_observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("head", sa.LargeBinary(length=32), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("problem", sa.String(length=20), nullable=False),
        sa.Column("broken_at_seq", sa.Integer(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verified_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name=op.f("fk_chain_observations_office_id_offices")),
        sa.ForeignKeyConstraint(["verified_by"], ["officers.id"],
                                name=op.f("fk_chain_observations_verified_by_officers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_observations")),
    )
    op.create_index(op.f("ix_chain_observations_office_id"), "chain_observations", ["office_id"])
    # Per-hospital counts for the authority (kind, status, hour by office) without reading the envelopes' rows.
    op.create_index("ix_submissions_office_kind_status_hour", "submissions",
                    ["office_id", "kind", "status", "created_hour"])


def downgrade() -> None:
    op.drop_index("ix_submissions_office_kind_status_hour", table_name="submissions")
    op.drop_table("chain_observations")
    op.drop_table("clue_transfers")
