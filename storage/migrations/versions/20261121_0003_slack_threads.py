"""Remember each opening's Slack thread, so its fill progress stays in one thread across
restarts and instances.

Revision ID: 20261121_0003
Revises: 20261121_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "20261121_0003"
down_revision: str | None = "20261121_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_threads",
        sa.Column("opening_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("ts", sa.String(40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("slack_threads")
