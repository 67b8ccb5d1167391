"""A synthetic clinic for the benchmarks, from a fixed seed: 50 providers, 20 services, 60 days
of appointments, clients, N waitlist entries (about 10% active) and recent offer history.

Rows are built from the domain dataclasses with the repositories' own mapping functions, so
they are stored exactly as the application stores them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table

from core.model import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Client,
    Clinic,
    EntryStatus,
    Offer,
    OfferStatus,
    Opening,
    OpeningStatus,
    PaymentType,
    Service,
    TimeSlot,
    WaitlistEntry,
)
from storage.repositories.base import row_values
from storage.repositories.directory import _clinic_values, hours_to_json
from storage.repositories.entry_mapping import entry_row_values
from storage.tables import Base

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York
TIMEZONE = "America/New_York"
ZONE = ZoneInfo(TIMEZONE)
TODAY = NOW.astimezone(ZONE).date()
CLINIC_ID = 1
PROVIDERS = 50
SERVICES = 20
APPOINTMENT_DAYS = 60
APPOINTMENTS_PER_DAY = 6
DURATIONS = (30, 45, 60, 30, 60)
CHUNK = 10_000

Rows = list[dict[str, Any]]
TABLES = Base.metadata.tables


@dataclass
class _State:
    """What later tables need to know about earlier ones."""

    clients: int
    appointments: int = 0
    offered: list[tuple[int, int]] = field(default_factory=list)  # (entry id, client id)
    waiting: list[tuple[int, int]] = field(default_factory=list)
    offered_clients: set[int] = field(default_factory=set)


def client_count(entries: int) -> int:
    return max(1_000, entries // 3)


def expected_rows(entries: int) -> int:
    """Roughly how many rows `tables` yields, for a progress bar."""
    appointments = PROVIDERS * APPOINTMENT_DAYS * APPOINTMENTS_PER_DAY * 5 // 7
    return 71 + client_count(entries) + appointments + int(entries * 1.3)


def tables(entries: int, seed: int = 20261121) -> Iterator[tuple[Table, Rows]]:
    """(table, rows) in an order that satisfies every foreign key, in chunks of CHUNK rows."""
    rng = random.Random(seed)
    state = _State(clients=client_count(entries))
    clinic = Clinic(name="Bench Clinic", timezone=TIMEZONE, id=CLINIC_ID, contact="555-0100")
    yield TABLES["clinics"], [{"id": clinic.id, **_clinic_values(clinic)}]
    yield TABLES["providers"], [_provider(p) for p in range(1, PROVIDERS + 1)]
    yield TABLES["services"], [row_values(_service(s)) for s in range(1, SERVICES + 1)]
    yield from _chunked(TABLES["clients"], (_client(rng, c) for c in range(1, state.clients + 1)))
    yield TABLES["appointments"], _appointments(rng, state)
    for start in range(0, entries, CHUNK):
        rows: Rows = []
        links: Rows = []
        for entry_id in range(start + 1, min(start + CHUNK, entries) + 1):
            entry = _entry(rng, entry_id, entries, state)
            rows.append({"id": entry_id, **entry_row_values(entry)})
            links += [
                {"entry_id": entry_id, "provider_id": provider_id, "position": position}
                for position, provider_id in enumerate(entry.provider_ids)
            ]
        yield TABLES["waitlist_entries"], rows
        yield TABLES["entry_providers"], links
    openings, offers = _offer_history(rng, state)
    yield TABLES["openings"], openings
    yield from _chunked(TABLES["offers"], iter(offers))


def _chunked(table: Table, rows: Iterator[dict[str, Any]]) -> Iterator[tuple[Table, Rows]]:
    chunk: Rows = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield table, chunk
            chunk = []
    if chunk:
        yield table, chunk


def _provider(provider_id: int) -> dict[str, Any]:
    hours = {day: [(time(9), time(17))] for day in range(1, 6)}
    if provider_id % 5 == 0:
        hours[6] = [(time(9), time(13))]
    return {
        "id": provider_id,
        "clinic_id": CLINIC_ID,
        "name": f"Dr. Provider {provider_id:02d}",
        "hours": hours_to_json(hours),
    }


def _service(service_id: int) -> Service:
    kind = AppointmentType.INITIAL_EVAL if service_id % 3 == 0 else AppointmentType.FOLLOW_UP
    return Service(
        clinic_id=CLINIC_ID,
        name=f"Service {service_id:02d}",
        duration_minutes=DURATIONS[service_id % len(DURATIONS)],
        category=f"Category {service_id % 4}",
        appointment_type=kind,
        id=service_id,
    )


def _client(rng: random.Random, client_id: int) -> dict[str, Any]:
    client = Client(
        first_name=f"Pat{client_id}",
        last_name="Bench",
        phone=f"+1617{2_000_000 + client_id}",
        email=f"pat{client_id}@example.com" if rng.random() < 0.7 else None,
        sms_opt_out=rng.random() < 0.01,
        phone_invalid=rng.random() < 0.005,
        id=client_id,
        created_at=NOW - timedelta(days=120 * rng.random() + 1),
    )
    return row_values(client)


def _appointments(rng: random.Random, state: _State) -> Rows:
    """About six appointments a working day per provider, on the hour, never overlapping."""
    rows: Rows = []
    first = TODAY - timedelta(days=APPOINTMENT_DAYS // 2)
    for offset in range(APPOINTMENT_DAYS):
        day = first + timedelta(days=offset)
        weekday = (day.weekday() + 1) % 7
        for provider_id in range(1, PROVIDERS + 1):
            if weekday == 0 or (weekday == 6 and provider_id % 5 != 0):
                continue
            hours = range(9, 13) if weekday == 6 else range(9, 17)
            booked = APPOINTMENTS_PER_DAY * len(hours) // 8
            for hour in sorted(rng.sample(hours, booked)):
                service = _service(rng.randint(1, SERVICES))
                start = datetime.combine(day, time(hour), ZONE).astimezone(UTC)
                status = AppointmentStatus.BOOKED if start > NOW else AppointmentStatus.COMPLETED
                if rng.random() < 0.03:
                    status = AppointmentStatus.CANCELLED
                state.appointments += 1
                appointment = Appointment(
                    clinic_id=CLINIC_ID,
                    client_id=rng.randint(1, state.clients),
                    service_id=service.id or 0,
                    provider_id=provider_id,
                    scheduled_at=start,
                    duration_minutes=service.duration_minutes,
                    status=status,
                    id=state.appointments,
                    created_at=start - timedelta(days=rng.uniform(1, 30)),
                )
                rows.append({**row_values(appointment), "ends_at": appointment.ends_at})
    return rows


def _status(rng: random.Random, age_days: float) -> EntryStatus:
    """Recent entries are more often still active: about 10% active overall."""
    draw = rng.random()
    active = 0.25 if age_days < 30 else 0.025
    if draw < active * 0.95:
        return EntryStatus.WAITING
    if draw < active:
        return EntryStatus.OFFERED
    draw = rng.random()
    if draw < 0.45:
        return EntryStatus.BOOKED
    return EntryStatus.CANCELLED if draw < 0.78 else EntryStatus.EXPIRED


def _entry(rng: random.Random, entry_id: int, entries: int, state: _State) -> WaitlistEntry:
    created = NOW - timedelta(days=90) + timedelta(days=90 * (entry_id - rng.random()) / entries)
    age = (NOW - created).total_seconds() / 86400
    status = _status(rng, age)
    client_id = rng.randint(1, state.clients)
    if status is EntryStatus.OFFERED:
        while client_id in state.offered_clients:
            client_id = rng.randint(1, state.clients)
        state.offered_clients.add(client_id)
        state.offered.append((entry_id, client_id))
    elif status is EntryStatus.WAITING:
        state.waiting.append((entry_id, client_id))
    service = _service(rng.randint(1, SERVICES)) if rng.random() < 0.6 else None
    entry = WaitlistEntry(
        clinic_id=CLINIC_ID,
        client_id=client_id,
        service_id=service.id if service else None,
        provider_ids=(rng.randint(1, PROVIDERS),) if rng.random() < 0.3 else (),
        status=status,
        priority=rng.choices((1, 2, 3, 4, 5), weights=(5, 15, 60, 15, 5))[0],
        appointment_type=service.appointment_type if service else None,
        appointment_category=service.category if service else None,
        payment_type=rng.choice((PaymentType.SELF_PAY, PaymentType.INSURANCE_PAY, None)),
        notes="prefers a call first" if rng.random() < 0.1 else None,
        created_by="staff:bench",
        created_at=created,
        updated_by="staff:bench",
        updated_at=created,
    )
    base = TODAY if entry.is_active else created.astimezone(ZONE).date()
    _dates(rng, entry, base)
    _days_and_times(rng, entry)
    _lifecycle(rng, entry, age, state)
    return entry


def _dates(rng: random.Random, entry: WaitlistEntry, base: date) -> None:
    """Mostly a range of one to eight weeks around `base`; some open-ended, some none."""
    draw = rng.random()
    start = base + timedelta(days=rng.randint(-14, 14))
    end = start + timedelta(days=7 * rng.randint(1, 8) - 1)
    if draw < 0.75:
        entry.preferred_date_start, entry.preferred_date_end = start, end
    elif draw < 0.85:
        entry.preferred_date_end = end


def _days_and_times(rng: random.Random, entry: WaitlistEntry) -> None:
    if rng.random() < 0.4:
        if rng.random() < 0.5:
            entry.preferred_days = (1, 2, 3, 4, 5)
        else:
            entry.preferred_days = tuple(sorted(rng.sample(range(1, 7), rng.randint(1, 3))))
    draw = rng.random()
    if draw < 0.2:
        entry.preferred_time_slots = tuple(
            sorted(rng.sample(list(TimeSlot), rng.choice((1, 1, 2))), key=list(TimeSlot).index)
        )
    elif draw < 0.4:
        window = rng.choice(((9, 14), (10, 16), (15, None), (None, 12), (12, 17)))
        start, end = window
        entry.preferred_time_start = time(start) if start is not None else None
        entry.preferred_time_end = time(end) if end is not None else None


def _lifecycle(rng: random.Random, entry: WaitlistEntry, age: float, state: _State) -> None:
    created = entry.created_at or NOW
    if entry.is_active and rng.random() < 0.15:
        entry.expires_at = NOW + timedelta(days=rng.uniform(-2, 60))
    if entry.status is EntryStatus.OFFERED:
        entry.offered_at = NOW - timedelta(minutes=rng.uniform(0, 10))
        entry.updated_at = entry.offered_at
    elif entry.status is EntryStatus.BOOKED:
        entry.booked_at = min(NOW, created + timedelta(days=rng.uniform(0.5, 30)))
        entry.booked_appointment_id = rng.randint(1, state.appointments)
        entry.updated_at = entry.booked_at
    elif not entry.is_active:
        entry.updated_at = min(NOW, created + timedelta(days=rng.uniform(0, min(age, 60))))


def _offer_history(rng: random.Random, state: _State) -> tuple[Rows, Rows]:
    """Pending offers for the offered entries (three to an open opening) and, for about 5% of
    the waiting entries, one to three offers in the last ten days, some within the day."""
    openings: list[Opening] = []
    offers: list[Offer] = []
    for index, (entry_id, client_id) in enumerate(state.offered):
        if index % 3 == 0:
            openings.append(_opening(rng, len(openings) + 1, OpeningStatus.OPEN))
        created = NOW - timedelta(minutes=rng.uniform(0, 10))
        offers.append(
            Offer(
                openings[-1].id or 0,
                entry_id,
                client_id,
                created + timedelta(minutes=15),
                created_at=created,
            )
        )
    past = [
        _opening(rng, len(openings) + k + 1, OpeningStatus.EXPIRED)
        for k in range(max(50, len(state.waiting) // 200))
    ]
    openings += past
    for entry_id, client_id in state.waiting:
        if rng.random() >= 0.05:
            continue
        for opening in rng.sample(past, rng.randint(1, 3)):
            created = (opening.created_at or NOW) + timedelta(minutes=rng.uniform(0, 30))
            offers.append(
                Offer(
                    opening.id or 0,
                    entry_id,
                    client_id,
                    created + timedelta(minutes=15),
                    status=rng.choice((OfferStatus.DECLINED, OfferStatus.LAPSED)),
                    created_at=created,
                    responded_at=created + timedelta(minutes=5),
                )
            )
    for number, offer in enumerate(offers, start=1):
        offer.id = number
    return [row_values(o) for o in openings], [row_values(o) for o in offers]


def _opening(rng: random.Random, opening_id: int, status: OpeningStatus) -> Opening:
    ahead = status is OpeningStatus.OPEN
    day = TODAY + timedelta(days=rng.randint(1, 30) if ahead else -rng.randint(1, 10))
    start = datetime.combine(day, time(rng.randint(9, 16)), ZONE).astimezone(UTC)
    return Opening(
        clinic_id=CLINIC_ID,
        provider_id=rng.randint(1, PROVIDERS),
        service_id=rng.randint(1, SERVICES),
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
        cutoff_at=start - timedelta(minutes=60),
        status=status,
        closed_at=None if ahead else start - timedelta(minutes=60),
        created_by="engine",
        created_at=(NOW if ahead else start) - timedelta(hours=rng.uniform(1, 48)),
        id=opening_id,
    )
