"""The clue ledger at 100,000 clues: its order read from an index.

The ledger lists an office's clues by date received, then id: without an index SQLite sorted every clue, sealed
texts and all, for each page of 100.

Revision ID: 0011_ledger_order
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011_ledger_order"
down_revision = "0010"
branch_labels = None
depends_on = ("0006_clues",)


def upgrade() -> None:
    op.create_index("ix_clues_office_received_id", "clues", ["office_id", "received_on", "id"])


def downgrade() -> None:
    op.drop_index("ix_clues_office_received_id", table_name="clues")
