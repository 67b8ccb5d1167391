"""Index offers by creation time, for the candidate search's "offers this week" counts.

Revision ID: 20261121_0002
Revises: 20261121_0001
"""

from __future__ import annotations

from alembic import op

revision: str = "20261121_0002"
down_revision: str | None = "20261121_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_offers_created_at_client_id", "offers", ["created_at", "client_id"])


def downgrade() -> None:
    op.drop_index("ix_offers_created_at_client_id", table_name="offers")
