"""Outbound webhooks in the domain's terms (SPEC §13): which webhook events a recorded Event
stands for, their payloads, endpoints and deliveries, and the retry schedule.

Pure: no I/O. Storage writes the outbox from `webhook_events`; the delivery worker signs and
sends what storage hands it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from core.model import Event


class WebhookType(StrEnum):
    REQUEST_CREATED = "waitlist_request.created"
    REQUEST_UPDATED = "waitlist_request.updated"
    REQUEST_FULFILLED = "waitlist_request.fulfilled"
    REQUEST_CANCELLED = "waitlist_request.cancelled"
    REQUEST_EXPIRED = "waitlist_request.expired"
    OPENING_CREATED = "opening.created"
    OPENING_FILLED = "opening.filled"
    OPENING_EXPIRED = "opening.expired"
    OFFER_SENT = "offer.sent"
    OFFER_ACCEPTED = "offer.accepted"
    OFFER_DECLINED = "offer.declined"
    OFFER_EXPIRED = "offer.expired"
    OFFER_WITHDRAWN = "offer.withdrawn"
    APPOINTMENT_BOOKED = "appointment.booked"
    APPOINTMENT_CANCELLED = "appointment.cancelled"
    CLIENT_OPTED_OUT = "client.opted_out"
    CLIENT_OPTED_IN = "client.opted_in"


# Event kind -> the webhook events it stands for, in the order they are delivered.
TYPES_OF_KIND: dict[str, tuple[WebhookType, ...]] = {
    "EntryAdded": (WebhookType.REQUEST_CREATED,),
    "EntryUpdated": (WebhookType.REQUEST_UPDATED,),
    "EntryRemoved": (WebhookType.REQUEST_CANCELLED,),
    "EntryExpired": (WebhookType.REQUEST_EXPIRED,),
    "OpeningCreated": (WebhookType.OPENING_CREATED,),
    "OpeningFilled": (
        WebhookType.OPENING_FILLED,
        WebhookType.REQUEST_FULFILLED,
        WebhookType.APPOINTMENT_BOOKED,
    ),
    "OpeningExpired": (WebhookType.OPENING_EXPIRED,),
    "OfferSent": (WebhookType.OFFER_SENT,),
    "OfferAccepted": (WebhookType.OFFER_ACCEPTED,),
    "OfferDeclined": (WebhookType.OFFER_DECLINED,),
    "OfferLapsed": (WebhookType.OFFER_EXPIRED,),
    "OfferWithdrawn": (WebhookType.OFFER_WITHDRAWN,),
    "OfferFailed": (WebhookType.OFFER_WITHDRAWN,),  # the text could not be delivered
    "AppointmentBooked": (WebhookType.APPOINTMENT_BOOKED,),
    "AppointmentCancelled": (WebhookType.APPOINTMENT_CANCELLED,),
    "ClientOptedOut": (WebhookType.CLIENT_OPTED_OUT,),
    "ClientOptedIn": (WebhookType.CLIENT_OPTED_IN,),
}

# Ids a payload carries, by the API's names (an opening is also the invites' waitlist_id).
_IDS = {
    "clinic_id": "clinic_id",
    "entry_id": "waitlist_request_id",
    "opening_id": "opening_id",
    "offer_id": "invite_id",
    "appointment_id": "appointment_id",
    "client_id": "patient_id",
}
# Event data worth passing on; never names, phones or message text.
_FACTS = ("starts_at", "expires_at", "reason", "provider_id", "service_id")

DELIVERY_LEASE = timedelta(minutes=2)  # a claim older than this was lost (a crash)
DISABLE_AFTER = timedelta(hours=24)  # an endpoint failing this long is switched off
FIRST_RETRY = timedelta(seconds=10)
LAST_RETRY = timedelta(hours=1)


def webhook_events(event: Event) -> list[tuple[WebhookType, dict[str, Any]]]:
    """The webhook events one recorded Event stands for, each with its `data`."""
    types = TYPES_OF_KIND.get(str(event.kind), ())
    if not types:
        return []
    data: dict[str, Any] = {}
    for attribute, name in _IDS.items():
        value = getattr(event, attribute)
        if value is not None:
            data[name] = str(value)
    for fact in _FACTS:
        value = event.data.get(fact)
        if value is not None:
            data[fact] = str(value) if fact.endswith("_id") else value
    if event.kind == "OfferFailed":
        data["reason"] = "the offer text could not be delivered"
    return [(kind, dict(data)) for kind in types]


def payload(uid: str, kind: WebhookType, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """What a receiver gets as the JSON body."""
    return {"id": uid, "type": kind.value, "timestamp": iso(at), "data": data}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def next_attempt(attempts: int, now: datetime) -> datetime:
    """When to try again after `attempts` failed tries: 10 s, 20 s, 40 s … at most an hour."""
    wait: timedelta = FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 20)
    return now + min(wait, LAST_RETRY)


def subscribed(types: list[str], kind: WebhookType) -> bool:
    return kind.value in types or "*" in types


@dataclass
class WebhookEndpoint:
    clinic_id: int
    url: str
    secret: str
    event_types: list[str] = field(default_factory=list)  # "*" = every type
    description: str | None = None
    enabled: bool = True
    failing_since: datetime | None = None
    disabled_at: datetime | None = None
    created_at: datetime | None = None
    created_by: str = ""
    id: int | None = None


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"  # claimed by a worker; back to pending if its lease runs out
    DELIVERED = "delivered"


@dataclass
class Delivery:
    """One webhook event to one endpoint, with what sending it needs."""

    endpoint_id: int
    event_uid: str
    event_type: str
    payload: str  # the exact JSON text that is signed and sent
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    claimed_at: datetime | None = None
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    created_at: datetime | None = None
    url: str = ""
    secret: str = ""
    id: int | None = None


@dataclass(frozen=True)
class Attempt:
    """What one POST to an endpoint came to."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
