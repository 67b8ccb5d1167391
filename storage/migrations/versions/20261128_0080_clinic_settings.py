"""Each clinic's own settings (channel, number, policy, templates…) in a JSON column, with its
number and channel copied out and uniquely indexed: inbound texts and Slack commands find
their clinic by them, and two clinics cannot claim the same one.

Revision ID: 20261128_0080
Revises: 20261128_0070
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "20261128_0080"
down_revision: str | None = "20261128_0070"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clinics") as batch:
        batch.add_column(
            sa.Column(
                "settings",
                sa.JSON().with_variant(JSONB(), "postgresql"),
                nullable=False,
                server_default=sa.text("'{}'"),
            )
        )
        batch.add_column(sa.Column("sms_number", sa.String(20), nullable=True))
        batch.add_column(sa.Column("slack_channel", sa.String(80), nullable=True))
    op.create_index("uq_clinics_sms_number", "clinics", ["sms_number"], unique=True)
    op.create_index("uq_clinics_slack_channel", "clinics", ["slack_channel"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_clinics_slack_channel", "clinics")
    op.drop_index("uq_clinics_sms_number", "clinics")
    with op.batch_alter_table("clinics") as batch:
        batch.drop_column("slack_channel")
        batch.drop_column("sms_number")
        batch.drop_column("settings")
