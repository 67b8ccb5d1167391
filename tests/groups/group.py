"""Two clinics of one group, in different time zones, with their own numbers and channels,
built through the public services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from core import directory, entries
from core.clinics import ClinicSettings
from core.model import Appointment, Client, Clinic, Provider, Service, WaitlistEntry
from core.ports import UnitOfWork

# Monday Feb 16 2026, 15:00 UTC: 10:00 in New York, 07:00 in Los Angeles (quiet there).
NOW = datetime(2026, 2, 16, 15, 0, tzinfo=UTC)
EAST_NUMBER, WEST_NUMBER = "+16175550100", "+14155550100"
EVERY_DAY = {d: [(time(7), time(20))] for d in range(7)}


@dataclass
class Site:
    clinic: Clinic
    service: Service
    provider: Provider

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.clinic.timezone)

    def local(self, day: int, hour: int, minute: int = 0, month: int = 2) -> datetime:
        return datetime(2026, month, day, hour, minute, tzinfo=self.zone).astimezone(UTC)


@dataclass
class Group:
    make_uow: Callable[[], UnitOfWork]
    east: Site
    west: Site

    def client(self, first: str, suffix: int) -> Client:
        with self.make_uow() as uow:
            client = directory.add_client(
                uow=uow,
                first_name=first,
                last_name="Tester",
                phone=f"+1617555{suffix:04d}",
                now=NOW,
                actor="test",
            )
            uow.commit()
        return client

    def entry(self, site: Site, client: Client, **prefs: Any) -> WaitlistEntry:
        with self.make_uow() as uow:
            entry = entries.add_to_waitlist(
                uow=uow,
                client_id=client.id,
                clinic_id=site.clinic.id,
                service_id=site.service.id,
                actor="test",
                now=prefs.pop("at", NOW),
                **prefs,
            )
            uow.commit()
        return entry

    def appointment(self, site: Site, client: Client, start: datetime) -> Appointment:
        with self.make_uow() as uow:
            appointment = directory.book_appointment(
                uow=uow,
                client_id=client.id,
                service_id=site.service.id,
                provider_id=site.provider.id,
                scheduled_at=start,
                now=NOW,
                actor="test",
            )
            uow.commit()
        return appointment


def _site(uow: UnitOfWork, name: str, zone: str, settings: ClinicSettings) -> Site:
    clinic = directory.add_clinic(
        uow=uow, name=name, timezone=zone, now=NOW, actor="test", settings=settings
    )
    service = directory.add_service(
        uow=uow, clinic_id=clinic.id, name="Physio", duration_minutes=60, now=NOW, actor="test"
    )
    provider = directory.add_provider(
        uow=uow, clinic_id=clinic.id, name=f"Dr. {name}", hours=EVERY_DAY, now=NOW, actor="test"
    )
    return Site(clinic, service, provider)


def build_group(make_uow: Callable[[], UnitOfWork]) -> Group:
    """Downtown (New York, its own number and channel, batch 1) and Bayside (Los Angeles,
    its own number and channel, a 30-minute cut-off and its own HELP phone)."""
    with make_uow() as uow:
        east = _site(
            uow,
            "Downtown",
            "America/New_York",
            ClinicSettings(
                twilio_from_number=EAST_NUMBER,
                slack_channel="C0EAST",
                offer_batch_size=1,
                clinic_phone="617-555-0100",
            ),
        )
        west = _site(
            uow,
            "Bayside",
            "America/Los_Angeles",
            ClinicSettings(
                twilio_from_number=WEST_NUMBER,
                slack_channel="C0WEST",
                offer_cutoff_minutes=30,
                clinic_phone="415-555-0100",
            ),
        )
        uow.commit()
    return Group(make_uow, east, west)
