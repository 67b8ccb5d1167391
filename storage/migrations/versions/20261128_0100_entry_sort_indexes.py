"""Index each REST sort column after the list's usual filters, so a page is read from an index.

The list filters a clinic's entries by status and often priority, then sorts by one column and
cuts a page; the page's ids are read first and the rows after. With (clinic_id, status,
priority, <sort column>, id) the ids come from the index alone, however deep the page, instead
of reading and sorting every filtered row. PostgreSQL's indexes do not hold the key of the
row, so id is a column of each (the created_at index gains it too).

Revision ID: 20261128_0100
Revises: 20261128_0080
"""

from __future__ import annotations

from alembic import op

revision: str = "20261128_0100"
down_revision: str | None = "20261128_0080"
branch_labels = None
depends_on = None

LEADING = ["clinic_id", "status", "priority"]
INDEXES = {
    "ix_entries_clinic_status_priority_updated": "updated_at",
    "ix_entries_clinic_status_priority_date_start": "preferred_date_start",
    "ix_entries_clinic_status_priority_date_end": "preferred_date_end",
}
REPLACED = "ix_entries_clinic_status_priority"  # (…, created_at) becomes (…, created_at, id)


def upgrade() -> None:
    op.drop_index(REPLACED, table_name="waitlist_entries")
    op.create_index(REPLACED, "waitlist_entries", [*LEADING, "created_at", "id"])
    for name, column in INDEXES.items():
        op.create_index(name, "waitlist_entries", [*LEADING, column, "id"])


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="waitlist_entries")
    op.drop_index(REPLACED, table_name="waitlist_entries")
    op.create_index(REPLACED, "waitlist_entries", [*LEADING, "created_at"])
