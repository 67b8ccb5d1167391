"""Shapes of the REST API (SPEC §7), as pydantic models: they are the OpenAPI schema and they
check every body on the way in and every response on the way out.

Ids are strings in responses, as in the seed's examples; they hold the engine's numbers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from core import limits
from core.errors import InvalidInput
from core.limits import MAX_ID

T = TypeVar("T")

ApiStatus = Literal["ACTIVE", "FULFILLED", "CANCELLED", "EXPIRED"]
DayName = Literal["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]
TimeSlotName = Literal["MORNING", "AFTERNOON", "EVENING"]
AppointmentTypeName = Literal["INITIAL_EVAL", "FOLLOW_UP"]
PaymentTypeName = Literal["SELF_PAY", "INSURANCE_PAY"]
Clock = str  # "HH:MM"
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _text_rules(*, multiline: bool) -> AfterValidator:
    """Core's text rules (no NUL or other control characters) on a body field; its length
    is the field's max_length, also taken from core.limits."""

    def check(value: str) -> str:
        try:
            return limits.check_text(value, field="text", limit=len(value), multiline=multiline)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None

    return AfterValidator(check)


Plain = Annotated[str, _text_rules(multiline=False)]
Notes = Annotated[str, _text_rules(multiline=True)]


class Envelope(BaseModel, Generic[T]):
    code: int = Field(2000, description="2000 on success")
    message: str = "Success"
    data: T


class Pagination(BaseModel):
    page: int
    page_size: int
    total: int = Field(description="Number of matching items on every page together")
    total_pages: int


class PageEnvelope(Envelope[list[T]], Generic[T]):
    pagination: Pagination


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str
    reason: str | None = None


class ErrorEnvelope(BaseModel):
    code: int = Field(description="HTTP status × 10: 4000, 4010, 4030, 4040, 4050, 4090, 5000")
    message: str = Field(description="'invalid input', 'unauthorized', 'not found', …")
    data: None = None
    details: list[ErrorDetail] | None = None


class Patient(BaseModel):
    id: str
    first_name: str
    last_name: str


class Invite(BaseModel):
    """An offer of one opening to one request. With include_waitlists=true it carries the
    slot's times and the offer's status."""

    invite_id: str
    waitlist_id: str = Field(description="The opening (slot) the invite is for")
    request_id: str | None = Field(
        None, description="The waitlist request invited (in an opening's invites)"
    )
    status: str | None = None
    slot_start: datetime | None = None
    slot_end: datetime | None = None
    expires_at: datetime | None = None
    created_at: datetime | None = None
    responded_at: datetime | None = None


class MatchedWaitlist(BaseModel):
    """An opening (a slot being filled) that this request was invited to."""

    id: str
    reference: str
    clinic_id: str
    provider_id: str
    service_id: str
    start: datetime
    end: datetime
    cutoff_at: datetime
    status: str


class WaitlistRequest(BaseModel):
    id: str
    reference: str = Field(description="Short reference staff type in Slack, e.g. W-42")
    clinic_id: str
    patient_id: str
    service_id: str | None
    preferred_providers: list[str]
    preferred_time_slots: list[TimeSlotName]
    preferred_days: list[DayName]
    preferred_time_start: Clock | None
    preferred_time_end: Clock | None
    date_range_start: date | None
    date_range_end: date | None
    appointment_category_id: str | None = Field(description="The appointment category label")
    appointment_type: AppointmentTypeName | None
    appointment_duration: int | None = Field(description="Minutes, from the service")
    payment_type: PaymentTypeName | None
    priority: int
    status: ApiStatus
    waitlist_status: Literal["waiting", "offered", "booked", "cancelled", "expired"]
    notes: str | None
    expires_at: datetime | None
    offered_at: datetime | None
    booked_at: datetime | None
    booked_appointment_id: str | None
    patient: Patient
    matched_invites: list[Invite]
    reachable: bool = Field(description="Whether offers can be texted to the patient")
    unreachable_reason: Literal["opted_out", "invalid_phone"] | None = Field(
        description="Why not: the patient opted out of texts, or their phone is invalid"
    )
    matched_waitlists: list[MatchedWaitlist] | None = Field(
        None, description="Only with include_waitlists=true"
    )
    available_slots: int | None = Field(None, description="Only with sort_by=available_slots")
    created_at: datetime
    created_at_epoch_ms: int
    updated_at: datetime | None
    created_by: str | None
    updated_by: str | None


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RequestChanges(_Body):
    """Editable preferences of a request. Only the fields sent are changed."""

    service_id: int | None = Field(None, ge=1, le=MAX_ID)
    preferred_providers: list[Id] | None = Field(None, max_length=20)
    preferred_time_slots: list[TimeSlotName] | None = Field(None, max_length=3)
    preferred_days: list[DayName] | None = Field(None, max_length=7)
    preferred_time_start: Clock | None = Field(None, pattern=CLOCK_PATTERN)
    preferred_time_end: Clock | None = Field(None, pattern=CLOCK_PATTERN)
    date_range_start: date | None = None
    date_range_end: date | None = None
    appointment_category_id: Plain | None = Field(None, max_length=limits.CATEGORY)
    appointment_type: AppointmentTypeName | None = None
    payment_type: PaymentTypeName | None = None
    priority: int | None = Field(None, ge=1, le=5)
    notes: Notes | None = Field(None, max_length=limits.NOTES)
    expires_at: datetime | None = None


class NewRequest(RequestChanges):
    patient_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Required for STAFF/ADMIN; a USER always adds their own"
    )
    clinic_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="Which clinic; may be left out when service_id names a service (its "
        "clinic), by a STAFF token for one clinic, or when the deployment has one",
    )


class OfferBody(_Body):
    appointment_id: int = Field(
        ge=1, le=MAX_ID, description="The cancelled appointment whose slot to offer"
    )


class Slot(BaseModel):
    start: str
    end: str
    opening_id: str | None = Field(
        None,
        description="Set when this time is an open opening already being offered (a "
        "cancelled appointment's slot): offer the request that opening, by its "
        "origin_appointment_id, rather than a new slot for the same time",
    )


class SlotGroup(BaseModel):
    date: str
    provider_id: str
    provider_name: str
    slots: list[Slot]


class OfferOut(BaseModel):
    invite_id: str
    request_id: str
    waitlist_id: str
    status: str
    expires_at: datetime
    own_cancelled_slot: bool = Field(
        description="The slot is this patient's own cancelled appointment (the fill never "
        "offers it to them; staff chose to)"
    )


class Appointment(BaseModel):
    id: str
    reference: str
    clinic_id: str
    patient_id: str | None
    service_id: str
    provider_id: str
    scheduled_at: datetime
    duration_minutes: int
    status: str
    created_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None


class Opening(BaseModel):
    id: str
    reference: str
    clinic_id: str
    provider_id: str
    service_id: str
    start: datetime
    end: datetime
    cutoff_at: datetime
    status: str
    origin_appointment_id: str | None
    origin_patient_id: str | None = Field(
        description="The patient whose cancelled appointment this is; never invited to it "
        "by the fill (staff may still offer it to them)"
    )
    booked_appointment_id: str | None
    filled_request_id: str | None
    invites: list[Invite]


class NewAppointment(_Body):
    patient_id: int = Field(ge=1, le=MAX_ID)
    service_id: int = Field(ge=1, le=MAX_ID)
    provider_id: int = Field(ge=1, le=MAX_ID)
    scheduled_at: datetime = Field(description="With a time zone offset")
    duration_minutes: int | None = Field(None, ge=5, le=720)


class CancelBody(_Body):
    reason: Plain | None = Field(None, max_length=limits.REASON)


class Decision(BaseModel):
    request: WaitlistRequest
    appointment: Appointment | None = None
    opening: Opening | None = None


class Client(BaseModel):
    id: str
    first_name: str
    last_name: str
    phone: str
    email: str | None
    timezone: str | None
    sms_opt_out: bool
    archived_at: datetime | None = Field(description="Set once archived: no new work")
    erased_at: datetime | None = Field(description="Set once name, phone and email were erased")


class NewClient(_Body):
    first_name: Plain = Field(min_length=1, max_length=limits.NAME)
    last_name: Plain = Field("", max_length=limits.NAME)
    phone: Plain = Field(min_length=1, max_length=limits.PHONE_TEXT)
    email: Plain | None = Field(None, max_length=limits.EMAIL)
    timezone: Plain | None = Field(None, max_length=limits.TIMEZONE)


class ClientChanges(_Body):
    first_name: Plain | None = Field(None, min_length=1, max_length=limits.NAME)
    last_name: Plain | None = Field(None, max_length=limits.NAME)
    phone: Plain | None = Field(None, min_length=1, max_length=limits.PHONE_TEXT)
    email: Plain | None = Field(None, max_length=limits.EMAIL)
    timezone: Plain | None = Field(None, max_length=limits.TIMEZONE)


class Provider(BaseModel):
    id: str
    clinic_id: str
    name: str
    hours: dict[str, str] = Field(description='e.g. {"mon": "09:00-12:00, 13:00-17:00"}')
    archived_at: datetime | None = Field(description="Set once archived: no new work")


class NewProvider(_Body):
    clinic_id: int = Field(ge=1, le=MAX_ID)
    name: Plain = Field(min_length=1, max_length=limits.PLACE_NAME)
    hours: dict[str, str] = Field(default_factory=dict, max_length=7)


class ProviderChanges(_Body):
    name: Plain | None = Field(None, min_length=1, max_length=limits.PLACE_NAME)
    hours: dict[str, str] | None = Field(None, max_length=7)


class Service(BaseModel):
    id: str
    clinic_id: str
    name: str
    duration_minutes: int
    category: str | None
    appointment_type: AppointmentTypeName | None
    archived_at: datetime | None = Field(description="Set once archived: no new work")


class NewService(_Body):
    clinic_id: int = Field(ge=1, le=MAX_ID)
    name: Plain = Field(min_length=1, max_length=limits.PLACE_NAME)
    duration_minutes: int = Field(ge=5, le=720)
    category: Plain | None = Field(None, max_length=limits.CATEGORY)
    appointment_type: AppointmentTypeName | None = None


class ServiceChanges(_Body):
    name: Plain | None = Field(None, min_length=1, max_length=limits.PLACE_NAME)
    duration_minutes: int | None = Field(None, ge=5, le=720)
    category: Plain | None = Field(None, max_length=limits.CATEGORY)
    appointment_type: AppointmentTypeName | None = None


Stats = dict[str, Any]


WebhookTypeName = Literal[
    "*",
    "waitlist_request.created",
    "waitlist_request.updated",
    "waitlist_request.fulfilled",
    "waitlist_request.cancelled",
    "waitlist_request.expired",
    "opening.created",
    "opening.filled",
    "opening.expired",
    "offer.sent",
    "offer.accepted",
    "offer.declined",
    "offer.expired",
    "offer.withdrawn",
    "appointment.booked",
    "appointment.cancelled",
    "client.opted_out",
    "client.opted_in",
]


class WebhookEndpoint(BaseModel):
    id: str
    clinic_id: str
    url: str
    event_types: list[str]
    description: str | None
    enabled: bool
    failing_since: datetime | None
    disabled_at: datetime | None
    created_at: datetime
    created_by: str
    secret: str | None = Field(
        None,
        description="Only in the answer to the POST that made the endpoint: keep it, it is "
        "not shown again. Verify each delivery's signature with it (docs/webhooks.md).",
    )


class NewWebhookEndpoint(_Body):
    clinic_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Which clinic; needed when the deployment has several"
    )
    url: str = Field(min_length=8, max_length=2000, pattern=r"^https?://[^\s]+$")
    event_types: list[WebhookTypeName] = Field(min_length=1, max_length=18)
    description: str | None = Field(None, max_length=200)


class WebhookEndpointChanges(_Body):
    url: str | None = Field(None, min_length=8, max_length=2000, pattern=r"^https?://[^\s]+$")
    event_types: list[WebhookTypeName] | None = Field(None, min_length=1, max_length=18)
    description: str | None = Field(None, max_length=200)
    enabled: bool | None = Field(
        None, description="false stops deliveries; true resumes them, missed ones included"
    )


class WebhookDelivery(BaseModel):
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: Literal["pending", "delivering", "delivered"]
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]


class ClinicSettingsBody(_Body):
    """What a clinic sets for itself. Leave a setting out (or send null) for the deployment's
    default (its environment variable)."""

    slack_channel: str | None = Field(None, description="Slack channel id for this clinic")
    slack_staff: list[str] | None = Field(
        None, description="Slack user or channel ids allowed to change things"
    )
    twilio_from_number: str | None = Field(
        None, description="E.164 number texts go from; inbound texts to it are this clinic's"
    )
    twilio_messaging_service_sid: str | None = Field(
        None, description="Messaging Service (MG…) texts go through instead of the number"
    )
    clinic_phone: str | None = Field(None, description="Phone said in HELP replies")
    offer_batch_size: int | Literal["auto"] | None = Field(
        None, description="Offers out at once (1–100) or 'auto'"
    )
    offer_hold_minutes: int | None = Field(None, description="How long an offer holds (1–1440)")
    offer_cutoff_minutes: int | None = Field(
        None, description="No offers this close to the slot (0–10080)"
    )
    quiet_hours: str | None = Field(
        None, description="'21:00-08:00' in the patient's (else clinic's) zone; '' = none"
    )
    cap_per_day: int | None = Field(None, description="Offers a patient may get a day; 0 = no cap")
    cap_per_week: int | None = Field(None, description="Offers a patient may get a week")
    max_wait_days: int | None = Field(None, description="Entries expire after this many days")
    stats_time: str | None = Field(None, description="Daily stats post, HH:MM clinic time")
    templates: dict[str, str | None] | None = Field(
        None, description="SMS template name → text, e.g. {'offer': '{clinic}: Hi {first}, …'}"
    )


class ClinicChanges(_Body):
    name: Plain | None = Field(None, min_length=1, max_length=limits.PLACE_NAME)
    timezone: str | None = Field(None, description="IANA time zone, e.g. America/Chicago")
    settings: ClinicSettingsBody | None = None


class Clinic(BaseModel):
    id: str
    name: str
    timezone: str
    settings: dict[str, Any] = Field(description="What the clinic sets itself")
    effective: dict[str, Any] = Field(description="Its settings over the deployment defaults")
