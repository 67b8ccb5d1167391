"""The seed's vocabulary ⇄ the engine's: statuses, day names, request fields, and the
response dictionaries the schemas describe."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from core.model import (
    Appointment,
    Client,
    EntryStatus,
    Offer,
    Opening,
    Provider,
    Service,
    WaitlistEntry,
)
from core.reachability import unreachable_reason

API_STATUSES: dict[str, tuple[EntryStatus, ...]] = {
    "ACTIVE": (EntryStatus.WAITING, EntryStatus.OFFERED),
    "FULFILLED": (EntryStatus.BOOKED,),
    "CANCELLED": (EntryStatus.CANCELLED,),
    "EXPIRED": (EntryStatus.EXPIRED,),
}
_STATUS_NAMES = {status: name for name, group in API_STATUSES.items() for status in group}
# Index = the engine's day number, 0=Sunday … 6=Saturday.
DAY_NAMES = ("SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY")
HOUR_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

# Request body field -> engine field, for the ones whose names differ.
_RENAMED = {
    "preferred_providers": "provider_ids",
    "date_range_start": "preferred_date_start",
    "date_range_end": "preferred_date_end",
    "appointment_category_id": "appointment_category",
}

# Engine field -> API field, so that error details name what the caller sent.
_API_FIELDS = {engine: api for api, engine in _RENAMED.items()} | {"client_id": "patient_id"}


def api_field(name: str) -> str:
    return _API_FIELDS.get(name, name)


def api_status(status: EntryStatus) -> str:
    return _STATUS_NAMES[status]


def engine_changes(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A request body (only the fields sent) as engine preferences."""
    changes: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "preferred_days":
            value = tuple(DAY_NAMES.index(day) for day in value or ())
        elif name in ("preferred_providers", "preferred_time_slots"):
            value = tuple(value or ())
        elif name in ("preferred_time_start", "preferred_time_end") and value is not None:
            value = time.fromisoformat(value)
        changes[_RENAMED.get(name, name)] = value
    return changes


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    # isoformat, not strftime: it always writes four digits of year.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


def request_item(
    entry: WaitlistEntry,
    *,
    client: Client | None,
    services: Mapping[int, Service],
    offers: Iterable[Offer],
    openings: Mapping[int, Opening] | None = None,
    available_slots: int | None = None,
) -> dict[str, Any]:
    """One waitlist request in the seed's shape. `openings` given = include_waitlists."""
    created = entry.created_at or datetime(1970, 1, 1, tzinfo=UTC)
    service = services.get(entry.service_id) if entry.service_id is not None else None
    offers = list(offers)
    unreachable = unreachable_reason(client) if client else None
    reason = unreachable.value if unreachable else None
    item: dict[str, Any] = {
        "id": str(entry.id),
        "reference": entry.ref,
        "clinic_id": str(entry.clinic_id),
        "patient_id": str(entry.client_id),
        "service_id": _id(entry.service_id),
        "preferred_providers": [str(p) for p in entry.provider_ids],
        "preferred_time_slots": [slot.value for slot in entry.preferred_time_slots],
        "preferred_days": [DAY_NAMES[day] for day in entry.preferred_days],
        "preferred_time_start": _clock(entry.preferred_time_start),
        "preferred_time_end": _clock(entry.preferred_time_end),
        "date_range_start": _day(entry.preferred_date_start),
        "date_range_end": _day(entry.preferred_date_end),
        "appointment_category_id": entry.appointment_category,
        "appointment_type": entry.appointment_type.value if entry.appointment_type else None,
        "appointment_duration": service.duration_minutes if service else None,
        "payment_type": entry.payment_type.value if entry.payment_type else None,
        "priority": entry.priority,
        "status": api_status(entry.status),
        "waitlist_status": entry.status.value,
        "notes": entry.notes,
        "expires_at": iso(entry.expires_at),
        "offered_at": iso(entry.offered_at),
        "booked_at": iso(entry.booked_at),
        "booked_appointment_id": _id(entry.booked_appointment_id),
        "patient": {
            "id": str(entry.client_id),
            "first_name": client.first_name if client else "",
            "last_name": client.last_name if client else "",
        },
        "matched_invites": [invite(o, openings) for o in offers],
        "reachable": reason is None,
        "unreachable_reason": reason,
        "created_at": iso(created),
        "created_at_epoch_ms": int(created.timestamp() * 1000),
        "updated_at": iso(entry.updated_at),
        "created_by": entry.created_by,
        "updated_by": entry.updated_by,
    }
    if openings is not None:
        seen = dict.fromkeys(o.opening_id for o in offers)
        item["matched_waitlists"] = [waitlist(openings[i]) for i in seen if i in openings]
    if available_slots is not None:
        item["available_slots"] = available_slots
    return item


def invite(offer: Offer, openings: Mapping[int, Opening] | None = None) -> dict[str, Any]:
    """The invite reference; with `openings`, the full details."""
    item: dict[str, Any] = {"invite_id": str(offer.id), "waitlist_id": str(offer.opening_id)}
    if openings is None:
        return item
    opening = openings.get(offer.opening_id)
    item.update(
        status=offer.status.value,
        slot_start=iso(opening.starts_at) if opening else None,
        slot_end=iso(opening.ends_at) if opening else None,
        expires_at=iso(offer.expires_at),
        created_at=iso(offer.created_at),
        responded_at=iso(offer.responded_at),
    )
    return item


def waitlist(opening: Opening) -> dict[str, Any]:
    return {
        "id": str(opening.id),
        "reference": opening.ref,
        "clinic_id": str(opening.clinic_id),
        "provider_id": str(opening.provider_id),
        "service_id": str(opening.service_id),
        "start": iso(opening.starts_at),
        "end": iso(opening.ends_at),
        "cutoff_at": iso(opening.cutoff_at),
        "status": opening.status.value,
    }


def opening_item(opening: Opening, offers: Iterable[Offer]) -> dict[str, Any]:
    by_id = {opening.id or 0: opening}
    return {
        **waitlist(opening),
        "origin_appointment_id": _id(opening.origin_appointment_id),
        "origin_patient_id": _id(opening.origin_client_id),
        "booked_appointment_id": _id(opening.booked_appointment_id),
        "filled_request_id": _id(opening.filled_entry_id),
        "invites": [{**invite(o, by_id), "request_id": str(o.entry_id)} for o in offers],
    }


def appointment_item(appointment: Appointment) -> dict[str, Any]:
    return {
        "id": str(appointment.id),
        "reference": appointment.ref,
        "clinic_id": str(appointment.clinic_id),
        "patient_id": _id(appointment.client_id),
        "service_id": str(appointment.service_id),
        "provider_id": str(appointment.provider_id),
        "scheduled_at": iso(appointment.scheduled_at),
        "duration_minutes": appointment.duration_minutes,
        "status": appointment.status.value,
        "created_at": iso(appointment.created_at),
        "cancelled_at": iso(appointment.cancelled_at),
        "cancel_reason": appointment.cancel_reason,
    }


def client_item(client: Client) -> dict[str, Any]:
    return {
        "id": str(client.id),
        "first_name": client.first_name,
        "last_name": client.last_name,
        "phone": client.phone,
        "email": client.email,
        "timezone": client.timezone,
        "sms_opt_out": client.sms_opt_out,
        "archived_at": iso(client.archived_at),
        "erased_at": iso(client.erased_at),
    }


def provider_item(provider: Provider) -> dict[str, Any]:
    return {
        "id": str(provider.id),
        "clinic_id": str(provider.clinic_id),
        "name": provider.name,
        "hours": {
            HOUR_DAYS[day]: ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in spans)
            for day, spans in sorted(provider.hours.items())
        },
        "archived_at": iso(provider.archived_at),
    }


def service_item(service: Service) -> dict[str, Any]:
    return {
        "id": str(service.id),
        "clinic_id": str(service.clinic_id),
        "name": service.name,
        "duration_minutes": service.duration_minutes,
        "category": service.category,
        "appointment_type": service.appointment_type.value if service.appointment_type else None,
        "archived_at": iso(service.archived_at),
    }


def _clock(moment: time | None) -> str | None:
    return None if moment is None else f"{moment:%H:%M}"


def _day(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
