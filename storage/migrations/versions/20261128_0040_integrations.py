"""Integrations: idempotency keys for POSTs, outbound webhooks (endpoints, an outbox of
events, deliveries), and archiving or erasing clients, providers and services.

Revision ID: 20261128_0040
Revises: 20261128_0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from storage.types import UTCDateTime

revision: str = "20261128_0040"
down_revision: str | None = "20261128_0010"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
DELIVERY_STATUSES = "'pending', 'delivering', 'delivered'"


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("caller", sa.String(100), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("response_body", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        # One first answer per caller and key: the unique index is what makes 20 racing
        # requests do the work once.
        sa.UniqueConstraint("caller", "key", name="uq_idempotency_keys_caller_key"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("event_types", JSON, nullable=False),
        sa.Column("description", sa.String(200)),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("failing_since", UTCDateTime()),
        sa.Column("disabled_at", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name="fk_webhook_endpoints_clinic_id_clinics"
        ),
    )
    op.create_index("ix_webhook_endpoints_clinic_id", "webhook_endpoints", ["clinic_id"])
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("uid", sa.String(40), nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),  # the audit Event it came from
        sa.Column("payload", sa.Text(), nullable=False),  # the exact JSON that is signed
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("uid", name="uq_webhook_events_uid"),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("webhook_event_id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime()),
        sa.Column("last_attempt_at", UTCDateTime()),
        sa.Column("last_status_code", sa.Integer()),
        sa.Column("last_error", sa.String(300)),
        sa.Column("delivered_at", UTCDateTime()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["webhook_event_id"],
            ["webhook_events.id"],
            name="fk_webhook_deliveries_webhook_event_id_webhook_events",
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name="fk_webhook_deliveries_endpoint_id_webhook_endpoints",
        ),
        sa.CheckConstraint(f"status IN ({DELIVERY_STATUSES})", name="ck_webhook_deliveries_status"),
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_webhook_deliveries_endpoint_id_id", "webhook_deliveries", ["endpoint_id", "id"]
    )
    for table in ("clients", "providers", "services"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("archived_at", UTCDateTime()))
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("erased_at", UTCDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("erased_at")
    for table in ("clients", "providers", "services"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("archived_at")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_events")
    op.drop_table("webhook_endpoints")
    op.drop_table("idempotency_keys")
