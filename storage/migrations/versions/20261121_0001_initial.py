"""Initial schema: clinics, people, the waitlist, openings, offers, messages and the event log.

Integrity that must hold whatever the application does is enforced here:
- one accepted offer per opening, one pending offer per client, one offer per entry and opening;
- no two booked appointments of a provider overlap (an exclusion constraint on PostgreSQL,
  triggers on SQLite);
- the event log is append-only (triggers on both).

Revision ID: 20261121_0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "20261121_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTRY_STATUSES = "'waiting', 'offered', 'booked', 'cancelled', 'expired'"
APPOINTMENT_STATUSES = "'booked', 'cancelled', 'completed'"
APPOINTMENT_TYPES = "'INITIAL_EVAL', 'FOLLOW_UP'"
PAYMENT_TYPES = "'SELF_PAY', 'INSURANCE_PAY'"
OPENING_STATUSES = "'open', 'filled', 'expired', 'cancelled'"
OFFER_STATUSES = "'pending', 'accepted', 'declined', 'lapsed', 'withdrawn', 'failed'"
MESSAGE_DIRECTIONS = "'outbound', 'inbound'"
MESSAGE_STATUSES = (
    "'queued', 'sending', 'sent', 'delivered', 'failed', 'undelivered', 'cancelled', 'received'"
)
ACTIVE = "status IN ('waiting', 'offered')"

SLOT_CONFLICT = "slot_conflict: the provider already has a booked appointment at that time"
APPEND_ONLY = "events are append-only"


def where(condition: str) -> dict[str, Any]:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def dialect() -> str:
    return op.get_context().dialect.name


def upgrade() -> None:
    op.create_table(
        "clinics",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False, server_default=""),
        sa.UniqueConstraint("name", name="uq_clinics_name"),
    )

    op.create_table(
        "clients",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("timezone", sa.String(64)),
        sa.Column("sms_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("opted_out_at", sa.DateTime()),
        sa.Column("opt_out_text", sa.Text()),
        sa.Column("phone_invalid", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("phone", name="uq_clients_phone"),
    )

    op.create_table(
        "providers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("hours", sa.Text(), nullable=False, server_default="{}"),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name="fk_providers_clinic_id_clinics"
        ),
    )
    op.create_index("ix_providers_clinic_id", "providers", ["clinic_id"])

    op.create_table(
        "services",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(100)),
        sa.Column("appointment_type", sa.String(20)),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name="fk_services_clinic_id_clinics"
        ),
        sa.CheckConstraint("duration_minutes > 0", name="ck_services_duration_positive"),
        sa.CheckConstraint(
            f"appointment_type IS NULL OR appointment_type IN ({APPOINTMENT_TYPES})",
            name="ck_services_appointment_type",
        ),
    )
    op.create_index("ix_services_clinic_id", "services", ["clinic_id"])

    create_appointments()
    create_waitlist_entries()

    op.create_table(
        "entry_providers",
        sa.Column("entry_id", sa.Integer(), primary_key=True),
        sa.Column("provider_id", sa.Integer(), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["waitlist_entries.id"],
            name="fk_entry_providers_entry_id_waitlist_entries",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name="fk_entry_providers_provider_id_providers"
        ),
    )
    op.create_index(
        "ix_entry_providers_provider_id_entry_id", "entry_providers", ["provider_id", "entry_id"]
    )

    create_openings()
    create_offers()
    create_messages()
    create_events()


def create_appointments() -> None:
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer()),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        # Stored rather than computed so the overlap rule can be a constraint.
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime()),
        sa.Column("cancel_reason", sa.Text()),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name="fk_appointments_clinic_id_clinics"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name="fk_appointments_client_id_clients"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name="fk_appointments_service_id_services"
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name="fk_appointments_provider_id_providers"
        ),
        sa.CheckConstraint("duration_minutes > 0", name="ck_appointments_duration_positive"),
        sa.CheckConstraint("ends_at > scheduled_at", name="ck_appointments_ends_after_start"),
        sa.CheckConstraint(f"status IN ({APPOINTMENT_STATUSES})", name="ck_appointments_status"),
    )
    op.create_index(
        "ix_appointments_provider_id_scheduled_at", "appointments", ["provider_id", "scheduled_at"]
    )
    op.create_index(
        "ix_appointments_booked_provider_ends",
        "appointments",
        ["provider_id", "ends_at"],
        **where("status = 'booked'"),
    )
    op.create_index(
        "ix_appointments_clinic_id_scheduled_at", "appointments", ["clinic_id", "scheduled_at"]
    )
    op.create_index("ix_appointments_client_id", "appointments", ["client_id"])

    if dialect() == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE appointments ADD CONSTRAINT ex_appointments_no_overlap "
            "EXCLUDE USING gist (provider_id WITH =, tsrange(scheduled_at, ends_at) WITH &&) "
            "WHERE (status = 'booked')"
        )
    else:
        # Stored moments have a fixed-width text form, so text comparison orders them.
        overlap = (
            "NEW.status = 'booked' AND EXISTS ("
            " SELECT 1 FROM appointments AS other"
            " WHERE other.provider_id = NEW.provider_id AND other.status = 'booked'"
            " AND other.scheduled_at < NEW.ends_at AND other.ends_at > NEW.scheduled_at"
            " {same})"
        )
        op.execute(
            "CREATE TRIGGER appointments_no_overlap_insert BEFORE INSERT ON appointments "
            f"WHEN {overlap.format(same='')} "
            f"BEGIN SELECT RAISE(ABORT, '{SLOT_CONFLICT}'); END"
        )
        op.execute(
            "CREATE TRIGGER appointments_no_overlap_update BEFORE UPDATE ON appointments "
            f"WHEN {overlap.format(same='AND other.id <> NEW.id')} "
            f"BEGIN SELECT RAISE(ABORT, '{SLOT_CONFLICT}'); END"
        )


def create_waitlist_entries() -> None:
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer()),
        # True when no preferred provider is listed, so matching needs no join for most rows.
        sa.Column("any_provider", sa.Boolean(), nullable=False),
        sa.Column("preferred_date_start", sa.Date()),
        sa.Column("preferred_date_end", sa.Date()),
        # Preferred time window in minutes since local midnight.
        sa.Column("time_start_min", sa.Integer()),
        sa.Column("time_end_min", sa.Integer()),
        # Bit masks: buckets MORNING=1 AFTERNOON=2 EVENING=4; days bit d = weekday d (0=Sun).
        # 0 means no preference.
        sa.Column("time_slots_mask", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("days_mask", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("notes", sa.Text()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False, server_default="3"),
        sa.Column("appointment_type", sa.String(20)),
        sa.Column("appointment_category", sa.String(100)),
        sa.Column("payment_type", sa.String(20)),
        sa.Column("offered_appointment_id", sa.Integer()),
        sa.Column("offered_at", sa.DateTime()),
        sa.Column("booked_appointment_id", sa.Integer()),
        sa.Column("booked_at", sa.DateTime()),
        sa.Column("expires_at", sa.DateTime()),
        sa.Column("created_by", sa.String(100)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(100)),
        sa.Column("updated_at", sa.DateTime()),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name="fk_waitlist_entries_clinic_id_clinics"
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name="fk_waitlist_entries_client_id_clients"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name="fk_waitlist_entries_service_id_services"
        ),
        sa.ForeignKeyConstraint(
            ["offered_appointment_id"],
            ["appointments.id"],
            name="fk_waitlist_entries_offered_appointment_id_appointments",
        ),
        sa.ForeignKeyConstraint(
            ["booked_appointment_id"],
            ["appointments.id"],
            name="fk_waitlist_entries_booked_appointment_id_appointments",
        ),
        sa.CheckConstraint("priority BETWEEN 1 AND 5", name="ck_waitlist_entries_priority_range"),
        sa.CheckConstraint(f"status IN ({ENTRY_STATUSES})", name="ck_waitlist_entries_status"),
        sa.CheckConstraint(
            "days_mask BETWEEN 0 AND 127", name="ck_waitlist_entries_days_mask_range"
        ),
        sa.CheckConstraint(
            "time_slots_mask BETWEEN 0 AND 7", name="ck_waitlist_entries_time_slots_mask_range"
        ),
        sa.CheckConstraint(
            "time_start_min BETWEEN 0 AND 1439", name="ck_waitlist_entries_time_start_range"
        ),
        sa.CheckConstraint(
            "time_end_min BETWEEN 0 AND 1439", name="ck_waitlist_entries_time_end_range"
        ),
        sa.CheckConstraint(
            f"appointment_type IS NULL OR appointment_type IN ({APPOINTMENT_TYPES})",
            name="ck_waitlist_entries_appointment_type",
        ),
        sa.CheckConstraint(
            f"payment_type IS NULL OR payment_type IN ({PAYMENT_TYPES})",
            name="ck_waitlist_entries_payment_type",
        ),
    )
    # Candidate search: waiting entries of a clinic for one service (or for any service).
    op.create_index(
        "ix_entries_waiting_candidates",
        "waitlist_entries",
        ["clinic_id", "service_id", "priority", "created_at"],
        **where("status = 'waiting'"),
    )
    # The REST list and the counts: a clinic's entries by status, in each sort order.
    op.create_index(
        "ix_entries_clinic_status_created",
        "waitlist_entries",
        ["clinic_id", "status", "created_at"],
    )
    op.create_index(
        "ix_entries_clinic_status_updated",
        "waitlist_entries",
        ["clinic_id", "status", "updated_at"],
    )
    op.create_index(
        "ix_entries_clinic_status_priority",
        "waitlist_entries",
        ["clinic_id", "status", "priority", "created_at"],
    )
    op.create_index("ix_entries_clinic_created", "waitlist_entries", ["clinic_id", "created_at"])
    op.create_index("ix_entries_client_created", "waitlist_entries", ["client_id", "created_at"])
    # The expiry sweep looks only at active entries.
    op.create_index(
        "ix_entries_active_expires", "waitlist_entries", ["expires_at"], **where(ACTIVE)
    )
    op.create_index(
        "ix_entries_active_created", "waitlist_entries", ["created_at"], **where(ACTIVE)
    )


def create_openings() -> None:
    op.create_table(
        "openings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("cutoff_at", sa.DateTime(), nullable=False),
        sa.Column("origin_appointment_id", sa.Integer()),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("booked_appointment_id", sa.Integer()),
        sa.Column("filled_entry_id", sa.Integer()),
        sa.Column("filled_at", sa.DateTime()),
        sa.Column("closed_at", sa.DateTime()),
        sa.Column("created_by", sa.String(100)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name="fk_openings_clinic_id_clinics"
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name="fk_openings_provider_id_providers"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name="fk_openings_service_id_services"
        ),
        sa.ForeignKeyConstraint(
            ["origin_appointment_id"],
            ["appointments.id"],
            name="fk_openings_origin_appointment_id_appointments",
        ),
        sa.ForeignKeyConstraint(
            ["booked_appointment_id"],
            ["appointments.id"],
            name="fk_openings_booked_appointment_id_appointments",
        ),
        sa.ForeignKeyConstraint(
            ["filled_entry_id"],
            ["waitlist_entries.id"],
            name="fk_openings_filled_entry_id_waitlist_entries",
        ),
        # A cancelled appointment opens at most one slot, however often the cancel is retried.
        sa.UniqueConstraint("origin_appointment_id", name="uq_openings_origin_appointment_id"),
        sa.CheckConstraint("ends_at > starts_at", name="ck_openings_ends_after_start"),
        sa.CheckConstraint(f"status IN ({OPENING_STATUSES})", name="ck_openings_status"),
    )
    op.create_index("ix_openings_open", "openings", ["id"], **where("status = 'open'"))
    op.create_index("ix_openings_clinic_id_starts_at", "openings", ["clinic_id", "starts_at"])


def create_offers() -> None:
    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("opening_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("responded_at", sa.DateTime()),
        sa.ForeignKeyConstraint(
            ["opening_id"], ["openings.id"], name="fk_offers_opening_id_openings"
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["waitlist_entries.id"], name="fk_offers_entry_id_waitlist_entries"
        ),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name="fk_offers_client_id_clients"),
        sa.UniqueConstraint("opening_id", "entry_id", name="uq_offers_opening_id_entry_id"),
        sa.CheckConstraint(f"status IN ({OFFER_STATUSES})", name="ck_offers_status"),
    )
    # Exactly one booking per opening, and a client never holds two pending offers (SPEC §3–§4).
    op.create_index(
        "uq_offers_accepted_per_opening",
        "offers",
        ["opening_id"],
        unique=True,
        **where("status = 'accepted'"),
    )
    op.create_index(
        "uq_offers_pending_per_client",
        "offers",
        ["client_id"],
        unique=True,
        **where("status = 'pending'"),
    )
    # Fairness and contact caps count a client's recent offers.
    op.create_index("ix_offers_client_id_created_at", "offers", ["client_id", "created_at"])
    op.create_index("ix_offers_entry_id_created_at", "offers", ["entry_id", "created_at"])


def create_messages() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("client_id", sa.Integer()),
        sa.Column("clinic_id", sa.Integer()),
        sa.Column("offer_id", sa.Integer()),
        sa.Column("provider_sid", sa.String(64)),
        sa.Column("error_code", sa.String(40)),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime()),
        sa.Column("updated_at", sa.DateTime()),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name="fk_messages_client_id_clients"
        ),
        sa.ForeignKeyConstraint(
            ["clinic_id"], ["clinics.id"], name="fk_messages_clinic_id_clinics"
        ),
        sa.ForeignKeyConstraint(["offer_id"], ["offers.id"], name="fk_messages_offer_id_offers"),
        # Twilio redelivers webhooks: the MessageSid identifies a message once.
        sa.UniqueConstraint("provider_sid", name="uq_messages_provider_sid"),
        sa.CheckConstraint(f"direction IN ({MESSAGE_DIRECTIONS})", name="ck_messages_direction"),
        sa.CheckConstraint(f"status IN ({MESSAGE_STATUSES})", name="ck_messages_status"),
    )
    op.create_index("ix_messages_queued", "messages", ["id"], **where("status = 'queued'"))
    op.create_index("ix_messages_client_id_id", "messages", ["client_id", "id"])


def create_events() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        # Plain ids, not foreign keys: the log outlives what it describes.
        sa.Column("clinic_id", sa.Integer()),
        sa.Column("opening_id", sa.Integer()),
        sa.Column("entry_id", sa.Integer()),
        sa.Column("offer_id", sa.Integer()),
        sa.Column("appointment_id", sa.Integer()),
        sa.Column("client_id", sa.Integer()),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
    )
    op.create_index("ix_events_opening_id_kind", "events", ["opening_id", "kind"])
    op.create_index("ix_events_entry_id_kind", "events", ["entry_id", "kind"])

    if dialect() == "postgresql":
        op.execute(
            "CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'restrict_violation'; END $$"
        )
        op.execute(
            "CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
            "FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def downgrade() -> None:
    if dialect() == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_no_truncate ON events")
        op.execute("DROP TRIGGER IF EXISTS events_append_only ON events")
        op.execute("DROP FUNCTION IF EXISTS events_append_only()")
        # btree_gist stays: other schemas of the database may use it.
    else:
        for name in (
            "events_no_update",
            "events_no_delete",
            "appointments_no_overlap_insert",
            "appointments_no_overlap_update",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for table in (
        "events",
        "messages",
        "offers",
        "openings",
        "entry_providers",
        "waitlist_entries",
        "appointments",
        "services",
        "providers",
        "clients",
        "clinics",
    ):
        op.drop_table(table)
