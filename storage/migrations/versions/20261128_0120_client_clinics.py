"""Clinics that know a client before the client waits or books there: a clinic's staff who
add a client, or find one already on file by phone, see that client from then on.

Revision ID: 20261128_0120
Revises: 20261128_0110
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "20261128_0120"
down_revision: str | None = "20261128_0110"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_clinics",
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("clients.id"), primary_key=True),
        sa.Column("clinic_id", sa.Integer(), sa.ForeignKey("clinics.id"), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_client_clinics_clinic_id_client_id", "client_clinics", ["clinic_id", "client_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_client_clinics_clinic_id_client_id", table_name="client_clinics")
    op.drop_table("client_clinics")
