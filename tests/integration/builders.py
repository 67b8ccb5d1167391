"""Small helpers that put reference data in the database for a test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from core.model import Appointment, Client, Clinic, Provider, Service
from storage.uow import SqlUnitOfWork

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # a Monday, 09:00 in New York


@dataclass(frozen=True)
class Practice:
    clinic_id: int
    provider_ids: tuple[int, ...]
    service_ids: tuple[int, ...]
    client_ids: tuple[int, ...]


def make_practice(
    uow_factory: Callable[[], SqlUnitOfWork],
    *,
    providers: int = 2,
    services: int = 2,
    clients: int = 3,
    name: str = "Glow Clinic",
) -> Practice:
    """A clinic with providers (Mon–Fri 9–17), services and clients, committed."""
    with uow_factory() as uow:
        clinic = uow.clinics.add(Clinic(name=name, timezone="America/New_York"))
        assert clinic.id is not None
        weekdays = {day: [(time(9), time(17))] for day in range(1, 6)}
        provider_ids = tuple(
            _id(uow.providers.add(Provider(clinic.id, f"Dr. {n}", weekdays)).id)
            for n in range(providers)
        )
        service_ids = tuple(
            _id(uow.services.add(Service(clinic.id, f"Service {n}", 30 + 15 * n)).id)
            for n in range(services)
        )
        client_ids = tuple(_id(uow.clients.add(new_client(n)).id) for n in range(clients))
        uow.commit()
    return Practice(clinic.id, provider_ids, service_ids, client_ids)


def new_client(n: int) -> Client:
    return Client(
        first_name=f"Pat{n}",
        last_name="Example",
        phone=f"+1555{n:07d}",
        created_at=T0 - timedelta(days=30),
    )


def booked(
    practice: Practice, start: datetime, minutes: int = 30, provider: int = 0
) -> Appointment:
    return Appointment(
        clinic_id=practice.clinic_id,
        client_id=practice.client_ids[0],
        service_id=practice.service_ids[0],
        provider_id=practice.provider_ids[provider],
        scheduled_at=start,
        duration_minutes=minutes,
        created_at=T0 - timedelta(days=1),
    )


def _id(value: int | None) -> int:
    assert value is not None
    return value
