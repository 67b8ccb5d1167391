"""Which entries fit which slots, and which free slots a provider has (SPEC §2 matching)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.model import TIME_SLOT_HOURS, Appointment, Provider, TimeSlot, WaitlistEntry
from core.ports import SlotSpec
from core.wording import clock

BUCKET_BITS: dict[TimeSlot, int] = {
    TimeSlot.MORNING: 1,
    TimeSlot.AFTERNOON: 2,
    TimeSlot.EVENING: 4,
}
OUTSIDE_BUCKETS = 8  # part of the slot lies outside 08:00–21:00


def weekday_of(day: date) -> int:
    """Day of week as the seed counts it: 0=Sunday … 6=Saturday."""
    return (day.weekday() + 1) % 7


def minutes_of(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def days_mask(days: Iterable[int]) -> int:
    mask = 0
    for day in days:
        mask |= 1 << day
    return mask


def buckets_mask(slots: Iterable[TimeSlot]) -> int:
    mask = 0
    for slot in slots:
        mask |= BUCKET_BITS[slot]
    return mask


def slot_buckets(start_minute: int, end_minute: int) -> int:
    """Bit mask of the buckets that the local span [start, end) touches."""
    mask = 0
    covered = 0
    for bucket, (lo, hi) in TIME_SLOT_HOURS.items():
        lo_min, hi_min = minutes_of(lo), minutes_of(hi)
        overlap = min(end_minute, hi_min) - max(start_minute, lo_min)
        if overlap > 0:
            mask |= BUCKET_BITS[bucket]
            covered += overlap
    if covered < end_minute - start_minute:
        mask |= OUTSIDE_BUCKETS
    return mask


def slot_spec(
    *,
    clinic_id: int,
    timezone: str,
    starts_at: datetime,
    ends_at: datetime,
    service_id: int | None,
    provider_id: int | None,
) -> SlotSpec:
    """Describe a UTC slot in the clinic's local terms."""
    zone = ZoneInfo(timezone)
    local_start = starts_at.astimezone(zone)
    local_end = ends_at.astimezone(zone)
    start_minute = minutes_of(local_start.time())
    end_minute = start_minute + int((ends_at - starts_at).total_seconds() // 60)
    if local_end.date() == local_start.date():
        end_minute = minutes_of(local_end.time())
    return SlotSpec(
        clinic_id=clinic_id,
        service_id=service_id,
        provider_id=provider_id,
        local_date=local_start.date(),
        weekday=weekday_of(local_start.date()),
        start_minute=start_minute,
        end_minute=end_minute,
        buckets=slot_buckets(start_minute, end_minute),
    )


def day_spec(
    *, clinic_id: int, day: date, service_id: int | None, provider_id: int | None = None
) -> SlotSpec:
    """A whole day, for questions that know only a date."""
    return SlotSpec(
        clinic_id=clinic_id,
        service_id=service_id,
        provider_id=provider_id,
        local_date=day,
        weekday=weekday_of(day),
        start_minute=None,
        end_minute=None,
        buckets=0,
    )


def entry_fits(entry: WaitlistEntry, slot: SlotSpec, now: datetime) -> bool:
    """True if the slot meets every preference of the entry. Status is not checked here."""
    return mismatch(entry, slot, now) is None


def mismatch(entry: WaitlistEntry, slot: SlotSpec, now: datetime) -> str | None:
    """The first preference the slot fails, in words; None if it fits."""
    if entry.clinic_id != slot.clinic_id:
        return "another clinic"
    if entry.expires_at is not None and entry.expires_at <= now:
        return "entry has expired"
    if slot.service_id is not None and entry.service_id not in (None, slot.service_id):
        return "wants another service"
    if (
        slot.provider_id is not None
        and entry.provider_ids
        and (slot.provider_id not in entry.provider_ids)
    ):
        return "wants another provider"
    if entry.preferred_date_start and slot.local_date < entry.preferred_date_start:
        return f"not before {entry.preferred_date_start:%b %d}"
    if entry.preferred_date_end and slot.local_date > entry.preferred_date_end:
        return f"not after {entry.preferred_date_end:%b %d}"
    if entry.preferred_days and slot.weekday not in entry.preferred_days:
        return "not on that day of the week"
    if slot.start_minute is None or slot.end_minute is None:
        return None
    if entry.preferred_time_start and slot.start_minute < minutes_of(entry.preferred_time_start):
        return f"not before {clock(entry.preferred_time_start)}"
    if entry.preferred_time_end and slot.end_minute > minutes_of(entry.preferred_time_end):
        return f"must end by {clock(entry.preferred_time_end)}"
    if entry.preferred_time_slots:
        wanted = buckets_mask(entry.preferred_time_slots)
        if wanted & slot.buckets != slot.buckets:
            names = "/".join(s.value.lower() for s in entry.preferred_time_slots)
            return f"wants {names} only"
    return None


@dataclass(frozen=True)
class FreeSlot:
    provider_id: int
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    local_date: date


def free_slots(
    provider: Provider,
    booked: Sequence[Appointment],
    *,
    first_day: date,
    last_day: date,
    duration_minutes: int,
    timezone: str,
    now: datetime,
) -> Iterator[FreeSlot]:
    """Back-to-back slots of `duration_minutes` inside the provider's working hours, skipping
    booked appointments and anything not strictly in the future."""
    assert provider.id is not None
    zone = ZoneInfo(timezone)
    length = timedelta(minutes=duration_minutes)
    busy = sorted((a.scheduled_at, a.ends_at) for a in booked if a.provider_id == provider.id)
    day = first_day
    while day <= last_day:
        for window_start, window_end in provider.hours.get(weekday_of(day), []):
            cursor = datetime.combine(day, window_start, zone).astimezone(UTC)
            window_close = datetime.combine(day, window_end, zone).astimezone(UTC)
            while cursor + length <= window_close:
                end = cursor + length
                clash_end = next((e for s, e in busy if s < end and e > cursor), None)
                if clash_end is not None:
                    cursor = clash_end
                    continue
                if cursor > now:
                    yield FreeSlot(provider.id, cursor, end, day)
                cursor = end
        day += timedelta(days=1)
