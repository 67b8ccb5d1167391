"""Row models: how the domain is laid out in tables.

The schema itself is built by the Alembic migrations in `storage/migrations`; these classes
mirror it (columns, keys, indexes) for querying. Triggers and the PostgreSQL exclusion
constraint live only in the migrations.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.model import (
    AppointmentStatus,
    AppointmentType,
    EntryStatus,
    MessageDirection,
    MessageStatus,
    OfferStatus,
    OpeningStatus,
    PaymentType,
)
from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ACTIVE = "status IN ('waiting', 'offered')"


def one_of(column: str, values: type[StrEnum]) -> str:
    listed = ", ".join(f"'{member.value}'" for member in values)
    return f"{column} IN ({listed})"


def partial(condition: str) -> dict[str, Any]:
    """Keyword arguments for an index that covers only rows meeting `condition`."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ClinicRow(Base):
    """`settings` holds what the clinic sets (core.clinics.ClinicSettings.to_dict). Its own
    number and channel are copied out of it so that routing finds a clinic by index, and so
    that no two clinics claim the same number or channel."""

    __tablename__ = "clinics"
    __table_args__ = (
        Index("uq_clinics_sms_number", "sms_number", unique=True),
        Index("uq_clinics_slack_channel", "slack_channel", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    contact: Mapped[str] = mapped_column(String(200), default="")
    settings: Mapped[dict[str, Any]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), default=dict
    )
    sms_number: Mapped[str | None] = mapped_column(String(20))
    slack_channel: Mapped[str | None] = mapped_column(String(80))


class ClientRow(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    timezone: Mapped[str | None] = mapped_column(String(64))
    sms_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opt_out_text: Mapped[str | None] = mapped_column(Text)
    phone_invalid: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ClientClinicRow(Base):
    """A clinic that knows a client without their being on its waitlist or booked with it
    yet: its staff added them, or found them on file by phone (`bot.api.scope`)."""

    __tablename__ = "client_clinics"
    __table_args__ = (Index("ix_client_clinics_clinic_id_client_id", "clinic_id", "client_id"),)

    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProviderRow(Base):
    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    hours: Mapped[str] = mapped_column(Text, default="{}")  # JSON: {"1": [["09:00", "17:00"]]}
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ServiceRow(Base):
    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint(
            "appointment_type IS NULL OR " + one_of("appointment_type", AppointmentType),
            name="appointment_type",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(100))
    appointment_type: Mapped[str | None] = mapped_column(String(20))
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AppointmentRow(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("ends_at > scheduled_at", name="ends_after_start"),
        CheckConstraint(one_of("status", AppointmentStatus), name="status"),
        Index("ix_appointments_provider_id_scheduled_at", "provider_id", "scheduled_at"),
        # The overlap check and booked_between look only at booked appointments ending later.
        Index(
            "ix_appointments_booked_provider_ends",
            "provider_id",
            "ends_at",
            **partial("status = 'booked'"),
        ),
        Index("ix_appointments_clinic_id_scheduled_at", "clinic_id", "scheduled_at"),
        Index("ix_appointments_client_id", "client_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)


class EntryRow(Base):
    __tablename__ = "waitlist_entries"
    __table_args__ = (
        CheckConstraint("priority BETWEEN 1 AND 5", name="priority_range"),
        CheckConstraint(one_of("status", EntryStatus), name="status"),
        CheckConstraint("days_mask BETWEEN 0 AND 127", name="days_mask_range"),
        CheckConstraint("time_slots_mask BETWEEN 0 AND 7", name="time_slots_mask_range"),
        CheckConstraint("time_start_min BETWEEN 0 AND 1439", name="time_start_range"),
        CheckConstraint("time_end_min BETWEEN 0 AND 1439", name="time_end_range"),
        CheckConstraint(
            "appointment_type IS NULL OR " + one_of("appointment_type", AppointmentType),
            name="appointment_type",
        ),
        CheckConstraint(
            "payment_type IS NULL OR " + one_of("payment_type", PaymentType),
            name="payment_type",
        ),
        # Candidate search: waiting entries of a clinic for one service (or any service).
        Index(
            "ix_entries_waiting_candidates",
            "clinic_id",
            "service_id",
            "priority",
            "created_at",
            **partial("status = 'waiting'"),
        ),
        # REST list and counts: a clinic's entries by status in each sort order.
        Index("ix_entries_clinic_status_created", "clinic_id", "status", "created_at"),
        Index("ix_entries_clinic_status_updated", "clinic_id", "status", "updated_at"),
        # REST pages in each sort order: the page's ids are read from the index alone (id is
        # a column: PostgreSQL's indexes do not hold the row's key).
        *(
            Index(name, "clinic_id", "status", "priority", column, "id")
            for name, column in (
                ("ix_entries_clinic_status_priority", "created_at"),
                ("ix_entries_clinic_status_priority_updated", "updated_at"),
                ("ix_entries_clinic_status_priority_date_start", "preferred_date_start"),
                ("ix_entries_clinic_status_priority_date_end", "preferred_date_end"),
            )
        ),
        Index("ix_entries_clinic_created", "clinic_id", "created_at"),
        Index("ix_entries_client_created", "client_id", "created_at"),
        # Expiry sweep: only active entries can expire.
        Index("ix_entries_active_expires", "expires_at", **partial(ACTIVE)),
        Index("ix_entries_active_created", "created_at", **partial(ACTIVE)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    any_provider: Mapped[bool] = mapped_column(Boolean)
    preferred_date_start: Mapped[date | None] = mapped_column(Date)
    preferred_date_end: Mapped[date | None] = mapped_column(Date)
    time_start_min: Mapped[int | None] = mapped_column(Integer)
    time_end_min: Mapped[int | None] = mapped_column(Integer)
    time_slots_mask: Mapped[int] = mapped_column(Integer)
    days_mask: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    priority: Mapped[int] = mapped_column(Integer)
    appointment_type: Mapped[str | None] = mapped_column(String(20))
    appointment_category: Mapped[str | None] = mapped_column(String(100))
    payment_type: Mapped[str | None] = mapped_column(String(20))
    offered_appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    booked_appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EntryProviderRow(Base):
    """Preferred providers of an entry, in order: the first is `preferred_provider_id`."""

    __tablename__ = "entry_providers"
    __table_args__ = (Index("ix_entry_providers_provider_id_entry_id", "provider_id", "entry_id"),)

    entry_id: Mapped[int] = mapped_column(
        ForeignKey("waitlist_entries.id", ondelete="CASCADE"), primary_key=True
    )
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class OpeningRow(Base):
    __tablename__ = "openings"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(one_of("status", OpeningStatus), name="status"),
        Index("ix_openings_open", "id", **partial("status = 'open'")),
        Index("ix_openings_clinic_id_starts_at", "clinic_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cutoff_at: Mapped[datetime] = mapped_column(UTCDateTime)
    origin_appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id"), unique=True
    )
    origin_client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    status: Mapped[str] = mapped_column(String(20))
    booked_appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"))
    filled_entry_id: Mapped[int | None] = mapped_column(ForeignKey("waitlist_entries.id"))
    filled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OfferRow(Base):
    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint(one_of("status", OfferStatus), name="status"),
        UniqueConstraint("opening_id", "entry_id"),
        Index(
            "uq_offers_accepted_per_opening",
            "opening_id",
            unique=True,
            **partial("status = 'accepted'"),
        ),
        Index(
            "uq_offers_pending_per_client",
            "client_id",
            unique=True,
            **partial("status = 'pending'"),
        ),
        Index("ix_offers_client_id_created_at", "client_id", "created_at"),
        Index("ix_offers_entry_id_created_at", "entry_id", "created_at"),
        Index("ix_offers_created_at_client_id", "created_at", "client_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opening_id: Mapped[int] = mapped_column(ForeignKey("openings.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entries.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageRow(Base):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(one_of("direction", MessageDirection), name="direction"),
        CheckConstraint(one_of("status", MessageStatus), name="status"),
        Index("ix_messages_queued", "id", **partial("status = 'queued'")),
        Index("ix_messages_sending", "updated_at", **partial("status = 'sending'")),
        Index("ix_messages_client_id_id", "client_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(10))
    phone: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinics.id"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EventRow(Base):
    """The audit log. Ids are plain columns, not foreign keys, so the log can outlive what it
    describes; triggers in the migration refuse UPDATE and DELETE."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_opening_id_kind", "opening_id", "kind"),
        Index("ix_events_entry_id_kind", "entry_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    clinic_id: Mapped[int | None] = mapped_column(Integer)
    opening_id: Mapped[int | None] = mapped_column(Integer)
    entry_id: Mapped[int | None] = mapped_column(Integer)
    offer_id: Mapped[int | None] = mapped_column(Integer)
    appointment_id: Mapped[int | None] = mapped_column(Integer)
    client_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))


class SlackThreadRow(Base):
    """The Slack message whose thread carries an opening's fill progress. No foreign key:
    it only points at the chat, and must never block anything the domain does."""

    __tablename__ = "slack_threads"

    opening_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    channel: Mapped[str] = mapped_column(String(40))
    ts: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EntryCountRow(Base):
    """Kept by triggers (migration 20261128_0070): a clinic's entries of one status, how many
    of them have a booking time, and the sum of their waits (created → booked) in µs."""

    __tablename__ = "entry_counts"

    clinic_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    entries: Mapped[int] = mapped_column(BigInteger)
    booked: Mapped[int] = mapped_column(BigInteger)
    wait_us: Mapped[int] = mapped_column(BigInteger)


class EntryCountChangeRow(Base):
    """Changes to `entry_counts` appended by PostgreSQL's triggers, not yet folded into it."""

    __tablename__ = "entry_count_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    entries: Mapped[int] = mapped_column(BigInteger)
    booked: Mapped[int] = mapped_column(BigInteger)
    wait_us: Mapped[int] = mapped_column(BigInteger)


class IdempotencyKeyRow(Base):
    """The first answer to a POST sent with an Idempotency-Key, per caller."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("caller", "key"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    caller: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)  # None while the work runs
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookEndpointRow(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list[str]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    description: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))


class WebhookEventRow(Base):
    """The outbox: one row per webhook event, written in the transaction of the change."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(60))
    clinic_id: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDeliveryRow(Base):
    """One event to one endpoint: pending -> delivering (claimed) -> delivered, or back to
    pending with a later next_attempt_at."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivering', 'delivered')", name="status"),
        Index("ix_webhook_deliveries_due", "next_attempt_at", **partial("status = 'pending'")),
        Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
