"""Entities of the waitlist domain: plain dataclasses, no persistence concerns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from core.clinic_settings import ClinicSettings
from core.errors import IllegalTransition


class EntryStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


ACTIVE_STATUSES = frozenset({EntryStatus.WAITING, EntryStatus.OFFERED})
FINAL_STATUSES = frozenset({EntryStatus.BOOKED, EntryStatus.CANCELLED, EntryStatus.EXPIRED})

_ENTRY_MOVES: dict[EntryStatus, frozenset[EntryStatus]] = {
    EntryStatus.WAITING: frozenset(
        {EntryStatus.OFFERED, EntryStatus.CANCELLED, EntryStatus.EXPIRED}
    ),
    EntryStatus.OFFERED: frozenset(
        {EntryStatus.WAITING, EntryStatus.BOOKED, EntryStatus.CANCELLED, EntryStatus.EXPIRED}
    ),
}


def can_move(current: EntryStatus, status: EntryStatus) -> bool:
    """Whether the entry status machine allows `current` -> `status`."""
    return status in _ENTRY_MOVES.get(current, frozenset())


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class AppointmentType(StrEnum):
    INITIAL_EVAL = "INITIAL_EVAL"
    FOLLOW_UP = "FOLLOW_UP"


class PaymentType(StrEnum):
    SELF_PAY = "SELF_PAY"
    INSURANCE_PAY = "INSURANCE_PAY"


class OpeningStatus(StrEnum):
    OPEN = "open"
    FILLED = "filled"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class OfferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"
    FAILED = "failed"


class EventKind(StrEnum):
    """What an Event records. The Slack notifier reads the same names."""

    CLINIC_ADDED = "ClinicAdded"
    CLINIC_UPDATED = "ClinicUpdated"
    CLIENT_ADDED = "ClientAdded"
    CLIENT_UPDATED = "ClientUpdated"
    CLIENT_UNREACHABLE = "ClientUnreachable"
    CLIENT_OPTED_OUT = "ClientOptedOut"
    CLIENT_OPTED_IN = "ClientOptedIn"
    PROVIDER_ADDED = "ProviderAdded"
    PROVIDER_UPDATED = "ProviderUpdated"
    SERVICE_ADDED = "ServiceAdded"
    SERVICE_UPDATED = "ServiceUpdated"
    CLIENT_ARCHIVED = "ClientArchived"
    CLIENT_ERASED = "ClientErased"
    PROVIDER_ARCHIVED = "ProviderArchived"
    SERVICE_ARCHIVED = "ServiceArchived"
    WEBHOOK_ENDPOINT_ADDED = "WebhookEndpointAdded"
    WEBHOOK_ENDPOINT_UPDATED = "WebhookEndpointUpdated"
    WEBHOOK_ENDPOINT_DISABLED = "WebhookEndpointDisabled"
    WEBHOOK_REDELIVERED = "WebhookRedelivered"
    APPOINTMENT_BOOKED = "AppointmentBooked"
    APPOINTMENT_CANCELLED = "AppointmentCancelled"
    ENTRY_ADDED = "EntryAdded"
    ENTRY_UPDATED = "EntryUpdated"
    ENTRY_REMOVED = "EntryRemoved"
    ENTRY_EXPIRED = "EntryExpired"
    OPENING_CREATED = "OpeningCreated"
    OPENING_FILLED = "OpeningFilled"
    OPENING_EXPIRED = "OpeningExpired"
    OFFER_SENT = "OfferSent"
    OFFER_ACCEPTED = "OfferAccepted"
    OFFER_DECLINED = "OfferDeclined"
    OFFER_LAPSED = "OfferLapsed"
    OFFER_WITHDRAWN = "OfferWithdrawn"
    OFFER_FAILED = "OfferFailed"
    OFFER_DEFERRED = "OfferDeferred"
    CANDIDATE_SKIPPED = "CandidateSkipped"
    NO_CANDIDATES = "NoCandidates"
    SMS_NOT_UNDERSTOOD = "SmsNotUnderstood"
    SMS_FOR_STAFF = "SmsForStaff"
    WRONG_NUMBER = "WrongNumber"
    CLIENT_LEFT_WAITLIST = "ClientLeftWaitlist"
    MESSAGE_RECOVERED = "MessageRecovered"
    JOB_RAN = "JobRan"


class MessageDirection(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNDELIVERED = "undelivered"
    CANCELLED = "cancelled"
    RECEIVED = "received"


class TimeSlot(StrEnum):
    """Time-of-day buckets, as the REST API names them."""

    MORNING = "MORNING"
    AFTERNOON = "AFTERNOON"
    EVENING = "EVENING"


TIME_SLOT_HOURS: dict[TimeSlot, tuple[time, time]] = {
    TimeSlot.MORNING: (time(8), time(12)),
    TimeSlot.AFTERNOON: (time(12), time(17)),
    TimeSlot.EVENING: (time(17), time(21)),
}


@dataclass
class Clinic:
    name: str
    timezone: str
    id: int | None = None
    contact: str = ""
    settings: ClinicSettings = field(default_factory=ClinicSettings)


@dataclass
class Client:
    first_name: str
    last_name: str
    phone: str  # E.164
    email: str | None = None
    timezone: str | None = None
    sms_opt_out: bool = False
    opted_out_at: datetime | None = None
    opt_out_text: str | None = None
    phone_invalid: bool = False
    id: int | None = None
    created_at: datetime | None = None
    archived_at: datetime | None = None  # hidden from new work; history kept
    erased_at: datetime | None = None  # name, phone and email removed on request

    @property
    def reachable(self) -> bool:
        from core.reachability import unreachable_reason

        return unreachable_reason(self) is None


# Working hours: weekday (0=Sun … 6=Sat) -> list of (start, end) local times.
WeeklyHours = dict[int, list[tuple[time, time]]]


@dataclass
class Provider:
    clinic_id: int
    name: str
    hours: WeeklyHours = field(default_factory=dict)
    id: int | None = None
    archived_at: datetime | None = None


@dataclass
class Service:
    clinic_id: int
    name: str
    duration_minutes: int
    category: str | None = None
    appointment_type: AppointmentType | None = None
    id: int | None = None
    archived_at: datetime | None = None


@dataclass
class Appointment:
    clinic_id: int
    client_id: int | None
    service_id: int
    provider_id: int
    scheduled_at: datetime  # UTC
    duration_minutes: int
    status: AppointmentStatus = AppointmentStatus.BOOKED
    id: int | None = None
    created_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None

    @property
    def ends_at(self) -> datetime:
        return self.scheduled_at + timedelta(minutes=self.duration_minutes)

    @property
    def ref(self) -> str:
        return f"A-{self.id}"


@dataclass
class WaitlistEntry:
    clinic_id: int
    client_id: int
    service_id: int | None = None
    provider_ids: tuple[int, ...] = ()
    preferred_date_start: date | None = None
    preferred_date_end: date | None = None
    preferred_time_start: time | None = None
    preferred_time_end: time | None = None
    preferred_time_slots: tuple[TimeSlot, ...] = ()
    preferred_days: tuple[int, ...] = ()  # 0=Sun … 6=Sat; empty = any day
    notes: str | None = None
    status: EntryStatus = EntryStatus.WAITING
    priority: int = 3
    appointment_type: AppointmentType | None = None
    appointment_category: str | None = None
    payment_type: PaymentType | None = None
    offered_appointment_id: int | None = None
    offered_at: datetime | None = None
    booked_appointment_id: int | None = None
    booked_at: datetime | None = None
    expires_at: datetime | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None
    id: int | None = None

    @property
    def ref(self) -> str:
        return f"W-{self.id}"

    @property
    def preferred_provider_id(self) -> int | None:
        return self.provider_ids[0] if self.provider_ids else None

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def move_to(self, status: EntryStatus) -> None:
        """Change status, refusing any move the status machine does not allow."""
        if not can_move(self.status, status):
            if self.status in FINAL_STATUSES:
                raise IllegalTransition(
                    f"{self.ref} is already {self.status}; it cannot become {status}."
                )
            raise IllegalTransition(f"{self.ref} is {self.status}; it cannot become {status}.")
        self.status = status


@dataclass
class Opening:
    """A slot that must be filled: a provider's time for a service."""

    clinic_id: int
    provider_id: int
    service_id: int
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    cutoff_at: datetime  # after this the opening expires unfilled
    origin_appointment_id: int | None = None
    # The client whose appointment was cancelled: the fill never offers them their own slot.
    origin_client_id: int | None = None
    status: OpeningStatus = OpeningStatus.OPEN
    booked_appointment_id: int | None = None
    filled_entry_id: int | None = None
    filled_at: datetime | None = None
    closed_at: datetime | None = None
    created_by: str | None = None
    created_at: datetime | None = None
    id: int | None = None

    @property
    def ref(self) -> str:
        return f"O-{self.id}"

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


@dataclass
class Offer:
    """One waitlist entry invited to one opening (the API calls it an invite)."""

    opening_id: int
    entry_id: int
    client_id: int
    expires_at: datetime
    status: OfferStatus = OfferStatus.PENDING
    created_at: datetime | None = None
    responded_at: datetime | None = None
    id: int | None = None

    @property
    def ref(self) -> str:
        return f"I-{self.id}"


@dataclass
class Message:
    """Every SMS in or out. Outbound rows are written first (the outbox), then sent."""

    direction: MessageDirection
    phone: str
    body: str
    status: MessageStatus
    kind: str  # offer, booked, taken, declined, lapsed, withdrawn, help, unknown, inbound…
    client_id: int | None = None
    clinic_id: int | None = None
    offer_id: int | None = None
    provider_sid: str | None = None
    error_code: str | None = None
    attempts: int = 0
    created_at: datetime | None = None
    sent_at: datetime | None = None
    updated_at: datetime | None = None
    id: int | None = None


@dataclass
class Event:
    """Append-only audit record of one state change."""

    kind: EventKind
    actor: str
    at: datetime
    clinic_id: int | None = None
    opening_id: int | None = None
    entry_id: int | None = None
    offer_id: int | None = None
    appointment_id: int | None = None
    client_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    id: int | None = None

    def __post_init__(self) -> None:
        self.kind = EventKind(self.kind)  # as stored, a kind is its name
