"""Inbox order without a sort: index submissions by (office, hour, id).

The inbox lists an office's submissions newest hour first. Within one hour (a flood, a campaign: every report of
that hour shares it) the old (office_id, created_hour) index left SQLite sorting every row of the office in a
temporary B-tree, envelopes and all: 0.4-1 s per inbox page at 100,000 items (bench/README.md). With the id in
the index a page reads only its 200 rows, walking the index backwards.

Revision ID: 0010
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_submissions_office_hour_id", "submissions", ["office_id", "created_hour", "id"])
    op.drop_index("ix_submissions_office_hour", table_name="submissions")


def downgrade() -> None:
    op.create_index("ix_submissions_office_hour", "submissions", ["office_id", "created_hour"])
    op.drop_index("ix_submissions_office_hour_id", table_name="submissions")
