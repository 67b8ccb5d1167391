"""Editing the reference data: clinics (their settings), clients, providers and services."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from core import limits
from core.audit import record
from core.clinic_settings import ClinicSettings
from core.directory import check_name_free, check_timezone, normalize_phone, parse_hours
from core.errors import Conflict, InvalidInput, NotFound
from core.model import AppointmentType, Client, Clinic, EventKind, Provider, Service
from core.ports import UnitOfWork


def update_clinic(
    *, uow: UnitOfWork, clinic_id: int, changes: dict[str, Any], now: datetime, actor: str
) -> Clinic:
    """Rename a clinic, move its time zone, or change its settings. `changes["settings"]`
    changes only the settings it names; a setting sent as null goes back to the deployment's
    default, and so does a template sent as null."""
    clinic = uow.clinics.get(clinic_id)
    if clinic is None:
        raise NotFound(f"Clinic {clinic_id} does not exist.")
    _only(changes, {"name", "timezone", "settings"})
    limits.check_fields({k: v for k, v in changes.items() if k != "settings"}, limits.CLINIC_FIELDS)
    values: dict[str, Any] = {}
    if "name" in changes:
        values["name"] = (changes["name"] or "").strip()
        if not values["name"]:
            raise InvalidInput("A clinic needs a name.", field="name")
    if "timezone" in changes:
        values["timezone"] = check_timezone(changes["timezone"] or "")
    if changes.get("settings") is not None:
        values["settings"] = merged_settings(clinic.settings, changes["settings"])
    updated = replace(clinic, **values)
    uow.clinics.save(updated)
    record(
        uow,
        EventKind.CLINIC_UPDATED,
        actor=actor,
        now=now,
        clinic_id=clinic_id,
        fields=sorted(changes),
        settings=sorted(changes.get("settings") or {}),
    )
    return updated


def merged_settings(current: ClinicSettings, changes: Any) -> ClinicSettings:
    """`current` with `changes` over it, checked as a whole (ClinicSettings.from_dict)."""
    if not isinstance(changes, dict):
        raise InvalidInput("Settings must be an object of name: value.", field="settings")
    data = {**current.to_dict(), **changes}
    if isinstance(changes.get("templates"), dict):
        data["templates"] = {**(current.templates or {}), **changes["templates"]}
        data["templates"] = {k: v for k, v in data["templates"].items() if v is not None} or None
    return ClinicSettings.from_dict({k: v for k, v in data.items() if v is not None})


def update_client(
    *, uow: UnitOfWork, client_id: int, changes: dict[str, Any], now: datetime, actor: str
) -> Client:
    """Change a client's name, phone, email or time zone. Opt-out is the client's own (SMS)."""
    client = uow.clients.get(client_id)
    if client is None:
        raise NotFound(f"Client {client_id} does not exist.")
    _only(changes, {"first_name", "last_name", "phone", "email", "timezone"})
    limits.check_fields(changes, limits.CLIENT_FIELDS)
    values = dict(changes)
    if "first_name" in values:
        values["first_name"] = (values["first_name"] or "").strip()
        if not values["first_name"]:
            raise InvalidInput("A client needs a first name.", field="first_name")
    if "last_name" in values:
        values["last_name"] = (values["last_name"] or "").strip()
    if "phone" in values:
        values["phone"] = normalize_phone(values["phone"] or "")
        other = uow.clients.get_by_phone(values["phone"])
        if other is not None and other.id != client_id:
            # No id: the caller may be a clinic that does not see that client.
            raise Conflict("Another client already has that phone: one phone is one client.")
        if values["phone"] != client.phone:
            values["phone_invalid"] = False  # a new number gets a new chance
    if values.get("timezone"):
        values["timezone"] = check_timezone(values["timezone"])
    updated = replace(client, **values)
    uow.clients.save(updated)
    record(
        uow,
        EventKind.CLIENT_UPDATED,
        actor=actor,
        now=now,
        client_id=client_id,
        fields=sorted(changes),
    )
    return updated


def update_provider(
    *, uow: UnitOfWork, provider_id: int, changes: dict[str, Any], now: datetime, actor: str
) -> Provider:
    """Rename a provider or replace their weekly hours ({"mon": "09:00-17:00", …})."""
    provider = uow.providers.get(provider_id)
    if provider is None:
        raise NotFound(f"Provider {provider_id} does not exist.")
    _only(changes, {"name", "hours"})
    limits.check_fields(changes, limits.PROVIDER_FIELDS)
    updated = replace(provider)
    if "name" in changes:
        updated.name = (changes["name"] or "").strip()
        if not updated.name:
            raise InvalidInput("A provider needs a name.", field="name")
        known = uow.providers.list(provider.clinic_id)
        check_name_free(known, updated.name, kind="provider", own_id=provider_id)
    if "hours" in changes:
        updated.hours = parse_hours(changes["hours"] or {})
    uow.providers.save(updated)
    record(
        uow,
        EventKind.PROVIDER_UPDATED,
        actor=actor,
        now=now,
        clinic_id=provider.clinic_id,
        provider_id=provider_id,
        fields=sorted(changes),
    )
    return updated


def update_service(
    *, uow: UnitOfWork, service_id: int, changes: dict[str, Any], now: datetime, actor: str
) -> Service:
    service = uow.services.get(service_id)
    if service is None:
        raise NotFound(f"Service {service_id} does not exist.")
    _only(changes, {"name", "duration_minutes", "category", "appointment_type"})
    limits.check_fields(changes, limits.SERVICE_FIELDS)
    updated = replace(service)
    if "name" in changes:
        updated.name = (changes["name"] or "").strip()
        if not updated.name:
            raise InvalidInput("A service needs a name.", field="name")
        known = uow.services.list(service.clinic_id)
        check_name_free(known, updated.name, kind="service", own_id=service_id)
    if "duration_minutes" in changes:
        minutes = changes["duration_minutes"]
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 5 <= minutes <= 720:
            raise InvalidInput("Duration must be 5 to 720 minutes.", field="duration_minutes")
        updated.duration_minutes = minutes
    if "category" in changes:
        updated.category = changes["category"]
    if "appointment_type" in changes:
        kind = changes["appointment_type"]
        try:
            updated.appointment_type = AppointmentType(kind) if kind else None
        except ValueError as exc:
            raise InvalidInput(
                "Appointment type must be INITIAL_EVAL or FOLLOW_UP.", field="appointment_type"
            ) from exc
    uow.services.save(updated)
    record(
        uow,
        EventKind.SERVICE_UPDATED,
        actor=actor,
        now=now,
        clinic_id=service.clinic_id,
        service_id=service_id,
        fields=sorted(changes),
    )
    return updated


def _only(changes: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidInput(f"Unknown or read-only field(s): {', '.join(unknown)}.", unknown[0])
