"""The clinic's reference data: clinics, clients, providers, services and appointments."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from core import limits
from core.audit import record
from core.clinic_settings import ClinicSettings
from core.errors import Conflict, InvalidInput, NotFound
from core.model import (
    Appointment,
    AppointmentType,
    Client,
    Clinic,
    EventKind,
    Provider,
    Service,
    WeeklyHours,
)
from core.ports import UnitOfWork

DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def normalize_phone(text: str, region: str = "US") -> str:
    """Any common way of writing a phone number -> E.164, or InvalidInput."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"'{text}' is not a phone number.", field="phone") from exc
    # The length decides; an unassigned area code (555, the one films and training use) is kept
    # and said back by `phone_assigned`, so a trial run with made-up numbers still works.
    if phonenumbers.is_possible_number_with_reason(number) != _POSSIBLE:
        raise InvalidInput(f"'{text}' is not a valid phone number.", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_POSSIBLE = phonenumbers.ValidationResult.IS_POSSIBLE


def phone_assigned(e164: str) -> bool:
    """Whether the number is one a phone company could have given out (not `+1 555 …`)."""
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return False


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"Unknown time zone '{name}'.", field="timezone") from exc
    return name


def parse_hours(spec: dict[str, str]) -> WeeklyHours:
    """{"mon": "09:00-17:00", "tue": "09:00-12:00, 13:00-17:00"} -> weekday -> windows."""
    hours: WeeklyHours = {}
    for day, text in spec.items():
        key = str(day).strip().lower()[:3]
        if key not in DAY_NAMES:
            raise InvalidInput(f"Unknown day '{day}' in working hours.", field="hours")
        windows = []
        for part in str(text).split(","):
            try:
                start_text, end_text = part.strip().split("-")
                start, end = (
                    time.fromisoformat(start_text.strip()),
                    time.fromisoformat(end_text.strip()),
                )
            except ValueError as exc:
                raise InvalidInput(
                    f"Working hours '{part.strip()}' on {day}: expected HH:MM-HH:MM.",
                    field="hours",
                ) from exc
            if end <= start:
                raise InvalidInput(f"Working hours on {day} end before they start.", field="hours")
            windows.append((start, end))
        hours[DAY_NAMES.index(key)] = sorted(windows)
    return hours


def add_clinic(
    *,
    uow: UnitOfWork,
    name: str,
    timezone: str,
    now: datetime,
    actor: str,
    settings: ClinicSettings | None = None,
) -> Clinic:
    limits.check_fields({"name": name, "timezone": timezone}, limits.CLINIC_FIELDS)
    if not name.strip():
        raise InvalidInput("A clinic needs a name.", field="name")
    clinic = uow.clinics.add(
        Clinic(
            name=name.strip(),
            timezone=check_timezone(timezone),
            settings=settings or ClinicSettings(),
        )
    )
    record(uow, EventKind.CLINIC_ADDED, actor=actor, now=now, clinic_id=clinic.id)
    return clinic


def fold(text: str) -> str:
    """A name compared without accents, case or punctuation: `Siobhán Ní` = `siobhan ni`."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", plain.lower()).split())


def same_person(client: Client, name: str) -> bool:
    """`name` is the client's: their whole name, or their first name alone (by `fold`)."""
    typed = fold(name)
    return typed in (fold(f"{client.first_name} {client.last_name}"), fold(client.first_name))


def add_client(
    *,
    uow: UnitOfWork,
    first_name: str,
    last_name: str,
    phone: str,
    now: datetime,
    actor: str,
    email: str | None = None,
    timezone: str | None = None,
    clinic_ids: Collection[int] = (),
) -> Client:
    """A new client, known from now on at `clinic_ids` (the clinics of the staff adding
    them). A phone already on file is a Conflict: one phone, one client."""
    return find_or_add_client(
        uow=uow,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        now=now,
        actor=actor,
        email=email,
        timezone=timezone,
        clinic_ids=clinic_ids,
        reuse=False,
    )[0]


def find_or_add_client(
    *,
    uow: UnitOfWork,
    first_name: str,
    last_name: str,
    phone: str,
    now: datetime,
    actor: str,
    email: str | None = None,
    timezone: str | None = None,
    clinic_ids: Collection[int] = (),
    reuse: bool = True,
) -> tuple[Client, bool]:
    """The client with this phone and whether they were just added: a new one, or (with
    `reuse`) the one on file under this name (`same_person`), as another clinic of the
    group may have added them. Either way `clinic_ids` know them from now on. A phone on
    file under another name is a Conflict: one phone, one client."""
    limits.check_fields(
        {
            "first_name": first_name,
            "last_name": last_name,
            "phone": phone,
            "email": email,
            "timezone": timezone,
        },
        limits.CLIENT_FIELDS,
    )
    if not first_name.strip():
        raise InvalidInput("A client needs a first name.", field="first_name")
    e164 = normalize_phone(phone)
    existing = uow.clients.get_by_phone(e164)
    if existing is not None:
        if not reuse:
            raise Conflict(f"A client with that phone already exists (client {existing.id}).")
        if not same_person(existing, f"{first_name} {last_name}"):
            raise Conflict(
                # No id: the caller may be a clinic that does not see this client.
                "That phone is on file for another client, under another name: one phone is "
                "one client. Check the number, or give the patient's own."
            )
        uow.clients.add_clinics(existing.id or 0, clinic_ids, now)
        return existing, False
    client = uow.clients.add(
        Client(
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            phone=e164,
            email=email,
            timezone=check_timezone(timezone) if timezone else None,
            created_at=now,
        )
    )
    uow.clients.add_clinics(client.id or 0, clinic_ids, now)
    record(uow, EventKind.CLIENT_ADDED, actor=actor, now=now, client_id=client.id)
    return client, True


def add_provider(
    *, uow: UnitOfWork, clinic_id: int, name: str, hours: WeeklyHours, now: datetime, actor: str
) -> Provider:
    limits.check_fields({"name": name}, limits.PROVIDER_FIELDS)
    if uow.clinics.get(limits.check_id(clinic_id, field="clinic_id")) is None:
        raise NotFound(f"Clinic {clinic_id} does not exist.")
    if not name.strip():
        raise InvalidInput("A provider needs a name.", field="name")
    check_name_free(uow.providers.list(clinic_id), name, kind="provider")
    provider = uow.providers.add(Provider(clinic_id=clinic_id, name=name.strip(), hours=hours))
    record(uow, EventKind.PROVIDER_ADDED, actor=actor, now=now, clinic_id=clinic_id)
    return provider


def add_service(
    *,
    uow: UnitOfWork,
    clinic_id: int,
    name: str,
    duration_minutes: int,
    now: datetime,
    actor: str,
    category: str | None = None,
    appointment_type: str | None = None,
) -> Service:
    limits.check_fields({"name": name, "category": category}, limits.SERVICE_FIELDS)
    if uow.clinics.get(limits.check_id(clinic_id, field="clinic_id")) is None:
        raise NotFound(f"Clinic {clinic_id} does not exist.")
    if not name.strip():
        raise InvalidInput("A service needs a name.", field="name")
    check_name_free(uow.services.list(clinic_id), name, kind="service")
    if not isinstance(duration_minutes, int) or not 5 <= duration_minutes <= 12 * 60:
        raise InvalidInput("Duration must be 5 to 720 minutes.", field="duration_minutes")
    try:
        kind = AppointmentType(appointment_type) if appointment_type else None
    except ValueError as exc:
        raise InvalidInput(
            "Appointment type must be INITIAL_EVAL or FOLLOW_UP.", field="appointment_type"
        ) from exc
    service = uow.services.add(
        Service(
            clinic_id=clinic_id,
            name=name.strip(),
            duration_minutes=duration_minutes,
            category=category,
            appointment_type=kind,
        )
    )
    record(uow, EventKind.SERVICE_ADDED, actor=actor, now=now, clinic_id=clinic_id)
    return service


def check_name_free(
    known: Collection[Provider | Service], name: str, *, kind: str, own_id: int | None = None
) -> None:
    """One name, one provider (or service) at a clinic, whatever the case: staff and the
    import find them by name, and a second 'Physio' would make every mention ambiguous."""
    for item in known:
        if item.id != own_id and item.name.lower() == name.strip().lower():
            raise Conflict(
                f"This clinic already has a {kind} named '{item.name}' ({kind} {item.id})."
            )


def book_appointment(
    *,
    uow: UnitOfWork,
    client_id: int,
    service_id: int,
    provider_id: int,
    scheduled_at: datetime,
    now: datetime,
    actor: str,
    duration_minutes: int | None = None,
) -> Appointment:
    """Book a client directly (not from the waitlist). Overlaps are refused by storage."""
    if scheduled_at.tzinfo is None:
        raise InvalidInput("scheduled_at needs a time zone.", field="scheduled_at")
    for field, value in (
        ("client_id", client_id),
        ("service_id", service_id),
        ("provider_id", provider_id),
    ):
        limits.check_id(value, field=field)
    client = uow.clients.get(client_id)
    service = uow.services.get(service_id)
    provider = uow.providers.get(provider_id)
    if client is None:
        raise NotFound(f"Client {client_id} does not exist.")
    if service is None:
        raise NotFound(f"Service {service_id} does not exist.")
    if provider is None or provider.clinic_id != service.clinic_id:
        raise NotFound(f"Provider {provider_id} does not exist at that service's clinic.")
    for archived, what in ((client, "Client"), (service, "Service"), (provider, "Provider")):
        if archived.archived_at is not None:
            raise Conflict(f"{what} {archived.id} is archived: it can take no new work.")
    appointment = uow.appointments.add(
        Appointment(
            clinic_id=service.clinic_id,
            client_id=client_id,
            service_id=service_id,
            provider_id=provider_id,
            scheduled_at=scheduled_at,
            duration_minutes=duration_minutes or service.duration_minutes,
            created_at=now,
        )
    )
    record(
        uow,
        EventKind.APPOINTMENT_BOOKED,
        actor=actor,
        now=now,
        clinic_id=service.clinic_id,
        appointment_id=appointment.id,
        client_id=client_id,
    )
    return appointment
