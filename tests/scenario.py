"""A small clinic built through the public services, for tests on any unit of work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core import directory, entries
from core.model import Appointment, Client, Clinic, Provider, Service, WaitlistEntry
from core.policy import Policy
from core.ports import UnitOfWork

TZ = "America/New_York"
# A Monday, 10:00 in New York: quiet hours are over, the clinic is open.
NOW = datetime(2026, 2, 16, 15, 0, tzinfo=UTC)
WEEKDAY_HOURS = {d: [(time(9), time(17))] for d in range(1, 6)}


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """Feb `day` 2026 at hour:minute New York time, as UTC."""
    return datetime(2026, 2, day, hour, minute, tzinfo=ZoneInfo(TZ)).astimezone(UTC)


@dataclass
class World:
    make_uow: Callable[[], UnitOfWork]
    clinic: Clinic
    botox: Service
    filler: Service
    johnson: Provider
    lee: Provider
    clients: list[Client] = field(default_factory=list)
    policy: Policy = field(default_factory=Policy)

    def client(self, first: str, phone_suffix: int, **kw: Any) -> Client:
        with self.make_uow() as uow:
            client = directory.add_client(
                uow=uow,
                first_name=first,
                last_name="Tester",
                phone=f"+1617555{phone_suffix:04d}",
                now=NOW,
                actor="test",
                **kw,
            )
            uow.commit()
        self.clients.append(client)
        return client

    def entry(self, client: Client, *, at: datetime = NOW, **prefs: Any) -> WaitlistEntry:
        prefs.setdefault("service_id", self.botox.id)
        with self.make_uow() as uow:
            entry = entries.add_to_waitlist(
                uow=uow, client_id=client.id, actor="test", now=at, **prefs
            )
            uow.commit()
        return entry

    def appointment(
        self, client: Client, start: datetime, provider: Provider | None = None
    ) -> Appointment:
        with self.make_uow() as uow:
            appt = directory.book_appointment(
                uow=uow,
                client_id=client.id,
                service_id=self.botox.id,
                provider_id=(provider or self.johnson).id,
                scheduled_at=start,
                now=NOW,
                actor="test",
            )
            uow.commit()
        return appt


def build_world(make_uow: Callable[[], UnitOfWork], policy: Policy | None = None) -> World:
    with make_uow() as uow:
        clinic = directory.add_clinic(
            uow=uow, name="Glow Clinic", timezone=TZ, now=NOW, actor="test"
        )
        botox = directory.add_service(
            uow=uow, clinic_id=clinic.id, name="Botox", duration_minutes=60, now=NOW, actor="test"
        )
        filler = directory.add_service(
            uow=uow, clinic_id=clinic.id, name="Filler", duration_minutes=30, now=NOW, actor="test"
        )
        johnson = directory.add_provider(
            uow=uow,
            clinic_id=clinic.id,
            name="Dr. Johnson",
            hours=WEEKDAY_HOURS,
            now=NOW,
            actor="test",
        )
        lee = directory.add_provider(
            uow=uow, clinic_id=clinic.id, name="Dr. Lee", hours=WEEKDAY_HOURS, now=NOW, actor="test"
        )
        uow.commit()
    return World(make_uow, clinic, botox, filler, johnson, lee, policy=policy or Policy())


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)
