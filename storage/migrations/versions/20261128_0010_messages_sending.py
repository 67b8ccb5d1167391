"""Find texts left `sending` by a lost process quickly: the sweep's recovery reads them by
claim time.

Revision ID: 20261128_0010
Revises: 20261121_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "20261128_0010"
down_revision: str | None = "20261121_0003"
branch_labels = None
depends_on = None

SENDING = "status = 'sending'"


def upgrade() -> None:
    op.create_index(
        "ix_messages_sending",
        "messages",
        ["updated_at"],
        sqlite_where=sa.text(SENDING),
        postgresql_where=sa.text(SENDING),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_sending", table_name="messages")
