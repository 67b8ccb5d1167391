"""Questions about free time: find_matching_slots and notify_waitlist_clients (SPEC §2)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.clinics import clinic_policy
from core.errors import InvalidInput, NotFound
from core.matching import FreeSlot, day_spec, entry_fits, free_slots, mismatch, slot_spec
from core.model import Appointment, Opening, Provider
from core.opening_checks import overlapping
from core.policy import Policy
from core.ports import UnitOfWork
from core.ranking import candidate_query, rank

DEFAULT_DURATION = 60
MAX_RANGE_DAYS = 92
DEFAULT_RANGE_DAYS = 14


def find_matching_slots(
    *,
    uow: UnitOfWork,
    entry_id: int,
    now: datetime,
    start_date: date | None = None,
    end_date: date | None = None,
    limit: int = 10,
) -> list[dict[str, Any]]:
    """Free provider time that fits the entry, grouped by date and provider, earliest first."""
    entry = uow.entries.get(entry_id)
    if entry is None:
        raise NotFound(f"Waitlist entry W-{entry_id} does not exist.")
    if not 1 <= limit <= 100:
        raise InvalidInput("Limit must be between 1 and 100.", field="limit")
    clinic = uow.clinics.get(entry.clinic_id)
    assert clinic is not None
    today = now.astimezone(ZoneInfo(clinic.timezone)).date()
    first = start_date or max(today, entry.preferred_date_start or today)
    last = end_date or entry.preferred_date_end or first + timedelta(days=DEFAULT_RANGE_DAYS)
    if last < first:
        raise InvalidInput(
            f"The end date {last} is before the start date {first}.", field="end_date"
        )
    if (last - first).days > MAX_RANGE_DAYS:
        raise InvalidInput(f"Search at most {MAX_RANGE_DAYS} days at a time.", field="end_date")
    service = uow.services.get(entry.service_id) if entry.service_id else None
    duration = service.duration_minutes if service else DEFAULT_DURATION
    providers = [
        p
        for p in uow.providers.list(entry.clinic_id)
        if not entry.provider_ids or p.id in entry.provider_ids
    ]
    zone = ZoneInfo(clinic.timezone)
    bookings = _Bookings(uow, [p.id for p in providers if p.id is not None], zone)
    # The fill never offers the client their own cancelled slot back; neither does this.
    own = uow.openings.still_open(now, origin_client_id=entry.client_id)
    found: list[tuple[FreeSlot, Provider]] = []
    day = first
    # Day by day, so the search stops as soon as the earliest `limit` slots are known.
    while day <= last and len(found) < limit:
        if (
            mismatch(
                entry,
                day_spec(clinic_id=entry.clinic_id, day=day, service_id=entry.service_id),
                now,
            )
            is None
        ):
            for provider in providers:
                assert provider.id is not None
                for slot in free_slots(
                    provider,
                    bookings.on(provider.id, day),
                    first_day=day,
                    last_day=day,
                    duration_minutes=duration,
                    timezone=clinic.timezone,
                    now=now,
                ):
                    spec = slot_spec(
                        clinic_id=entry.clinic_id,
                        timezone=clinic.timezone,
                        starts_at=slot.starts_at,
                        ends_at=slot.ends_at,
                        service_id=entry.service_id,
                        provider_id=provider.id,
                    )
                    if entry_fits(entry, spec, now) and not overlapping(
                        own, provider.id, slot.starts_at, slot.ends_at
                    ):
                        found.append((slot, provider))
        day += timedelta(days=1)
    found.sort(key=lambda pair: (pair[0].starts_at, pair[1].name, pair[0].provider_id))
    found = found[:limit]
    filling = _being_filled(uow, now, found)
    groups: list[dict[str, Any]] = []
    for slot, provider in found:
        key = (slot.local_date.isoformat(), provider.id)
        if not groups or (groups[-1]["date"], groups[-1]["provider_id"]) != key:
            groups.append(
                {
                    "date": key[0],
                    "provider_id": provider.id,
                    "provider_name": provider.name,
                    "slots": [],
                }
            )
        shown: dict[str, Any] = {"start": _iso(slot.starts_at), "end": _iso(slot.ends_at)}
        opening = overlapping(filling, provider.id or 0, slot.starts_at, slot.ends_at)
        if opening is not None:  # offer that opening, not a second one for the same time
            shown["opening_id"] = opening.id
        groups[-1]["slots"].append(shown)
    return groups


def notify_waitlist_clients(
    *,
    uow: UnitOfWork,
    service_id: int,
    day: date,
    now: datetime,
    policy: Policy,
    limit: int = 50,
) -> dict[str, Any]:
    """Waiting clients who would take that service on that day, best first. Sends nothing."""
    service = uow.services.get(service_id)
    if service is None:
        raise NotFound(f"Service {service_id} does not exist.")
    policy = clinic_policy(uow.clinics.get(service.clinic_id), policy)
    query = candidate_query(
        day_spec(clinic_id=service.clinic_id, day=day, service_id=service_id),
        now=now,
        policy=policy,
        exclude_opening_id=None,
        limit=limit,
    )
    ranked = [c for c in rank(uow.entries.candidates(query), policy) if c.client.reachable]
    clients = [
        {
            "id": c.entry.id,
            "client": {
                "id": c.client.id,
                "first_name": c.client.first_name,
                "last_name": c.client.last_name,
                "email": c.client.email,
                "phone": c.client.phone,
            },
        }
        for c in ranked
    ]
    return {
        "clients": clients,
        "message": f"Found {len(clients)} clients to notify about availability on {day}",
    }


def _being_filled(
    uow: UnitOfWork, now: datetime, found: list[tuple[FreeSlot, Provider]]
) -> list[Opening]:
    """The open openings that take some of the time of the slots found (read for those
    slots only: a clinic may have thousands open)."""
    if not found:
        return []
    return uow.openings.still_open(
        now,
        provider_ids={provider.id or 0 for _, provider in found},
        between=(min(s.starts_at for s, _ in found), max(s.ends_at for s, _ in found)),
    )


class _Bookings:
    """Booked appointments filed under each local day they touch, read as the search reaches
    them: two days first (most searches end there), then twice as many each time."""

    def __init__(self, uow: UnitOfWork, provider_ids: list[int], zone: ZoneInfo) -> None:
        self.uow, self.provider_ids, self.zone = uow, provider_ids, zone
        self.index: dict[tuple[int, date], list[Appointment]] = defaultdict(list)
        self.loaded_until: date | None = None
        self.chunk_days = 2

    def on(self, provider_id: int, day: date) -> list[Appointment]:
        if self.loaded_until is None or day >= self.loaded_until:
            self._load(day, day + timedelta(days=self.chunk_days))
            self.chunk_days *= 2
        return self.index.get((provider_id, day), [])

    def _load(self, first: date, until: date) -> None:
        start = datetime.combine(first, time(0), self.zone).astimezone(UTC)
        end = datetime.combine(until, time(0), self.zone).astimezone(UTC)
        for appointment in self.uow.appointments.booked_between(self.provider_ids, start, end):
            day = max(appointment.scheduled_at.astimezone(self.zone).date(), first)
            last = min(appointment.ends_at.astimezone(self.zone).date(), until - timedelta(1))
            while day <= last:
                self.index[(appointment.provider_id, day)].append(appointment)
                day += timedelta(days=1)
        self.loaded_until = until


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
