"""The unified inbox at 100,000 reports: its filters, counters and order read from indexes.

The inbox counts every waiting item and pages them in SQL (it read at most 2,000 rows per source before, so an
old overdue report could drop out of the list). Reading an office's reports for that through the table would read
every envelope: the first index holds every column the inbox filters and orders reports by. Real-name reports, a
few percent, are the only ones that can owe a notice: the second, partial, index finds them alone. The third
finds the clues of a category (the inbox's filter) without reading their sealed texts.

Revision ID: 0012_inbox_scale
Revises: 0011_ledger_order
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_inbox_scale"
down_revision = "0011_ledger_order"
branch_labels = None
depends_on = ("0006_clues",)

REAL_NAME = sa.text("identity_envelope IS NOT NULL")
REPORTS = sa.text("kind = 'report'")  # ratings, thousands a second, do not pay for the inbox's index


def upgrade() -> None:
    op.create_index("ix_submissions_inbox", "submissions",
                    ["office_id", "kind", "created_hour", "id", "status", "department_id"],
                    sqlite_where=REPORTS, postgresql_where=REPORTS)
    op.create_index("ix_submissions_real_name", "submissions", ["office_id", "kind", "created_hour", "id"],
                    sqlite_where=REAL_NAME, postgresql_where=REAL_NAME)
    op.create_index("ix_clues_office_category", "clues", ["office_id", "category", "id"])


def downgrade() -> None:
    op.drop_index("ix_clues_office_category", table_name="clues")
    op.drop_index("ix_submissions_real_name", table_name="submissions")
    op.drop_index("ix_submissions_inbox", table_name="submissions")
