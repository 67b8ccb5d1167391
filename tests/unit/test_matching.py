"""The pure matching rules: buckets, days, windows, expiry, free slots across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from core.matching import free_slots, mismatch, slot_buckets, slot_spec, weekday_of
from core.model import Appointment, Provider, TimeSlot, WaitlistEntry
from tests.scenario import NOW, TZ, local


def _spec(start: datetime, minutes: int = 60):
    return slot_spec(
        clinic_id=1,
        timezone=TZ,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        service_id=1,
        provider_id=1,
    )


def _entry(**prefs) -> WaitlistEntry:
    prefs.setdefault("service_id", 1)
    return WaitlistEntry(clinic_id=1, client_id=1, **prefs)


def test_weekday_counts_sunday_as_zero() -> None:
    assert weekday_of(date(2026, 2, 15)) == 0  # a Sunday
    assert weekday_of(date(2026, 2, 21)) == 6  # a Saturday


def test_bucket_mask_of_a_slot_straddling_noon() -> None:
    assert slot_buckets(11 * 60 + 30, 12 * 60 + 30) == 1 | 2
    assert slot_buckets(20 * 60 + 30, 21 * 60 + 30) == 4 | 8  # runs past 21:00


def test_a_straddling_slot_needs_both_buckets() -> None:
    spec = _spec(local(17, 11, 30))
    assert mismatch(_entry(preferred_time_slots=(TimeSlot.MORNING,)), spec, NOW)
    both = _entry(preferred_time_slots=(TimeSlot.MORNING, TimeSlot.AFTERNOON))
    assert mismatch(both, spec, NOW) is None


def test_time_window_edges_are_inclusive() -> None:
    entry = _entry(preferred_time_start=time(9), preferred_time_end=time(14))
    assert mismatch(entry, _spec(local(17, 9)), NOW) is None
    assert mismatch(entry, _spec(local(17, 13)), NOW) is None
    assert mismatch(entry, _spec(local(17, 13, 15)), NOW) == "must end by 2:00 PM"
    assert mismatch(entry, _spec(local(17, 8, 45)), NOW) == "not before 9:00 AM"


def test_days_dates_and_expiry() -> None:
    tuesday = _spec(local(17, 10))
    assert mismatch(_entry(preferred_days=(1, 3)), tuesday, NOW) == "not on that day of the week"
    assert mismatch(_entry(preferred_date_end=date(2026, 2, 16)), tuesday, NOW)
    assert mismatch(_entry(preferred_date_start=date(2026, 2, 17)), tuesday, NOW) is None
    assert mismatch(_entry(expires_at=NOW), tuesday, NOW) == "entry has expired"
    assert mismatch(_entry(provider_ids=(2,)), tuesday, NOW) == "wants another provider"
    assert mismatch(_entry(service_id=None), tuesday, NOW) is None


def test_free_slots_skip_bookings_and_follow_local_time_across_dst() -> None:
    provider = Provider(clinic_id=1, name="Dr. A", hours={0: [(time(9), time(12))]}, id=1)
    before_dst = datetime(2026, 3, 1, tzinfo=UTC)
    booked = [
        Appointment(
            clinic_id=1,
            client_id=1,
            service_id=1,
            provider_id=1,
            scheduled_at=datetime(2026, 3, 8, 14, 30, tzinfo=UTC),
            duration_minutes=60,
        )
    ]
    found = list(
        free_slots(
            provider,
            booked,
            first_day=date(2026, 3, 1),
            last_day=date(2026, 3, 8),
            duration_minutes=60,
            timezone=TZ,
            now=before_dst,
        )
    )
    # Sunday Mar 1 is EST (UTC-5); Sunday Mar 8 is EDT (UTC-4): 09:00 local both days.
    assert [s.starts_at.hour for s in found if s.local_date == date(2026, 3, 1)] == [14, 15, 16]
    # On Mar 8 the 10:30–11:30 booking pushes the next slot to 11:30; 12:30 would overrun.
    assert [
        (s.starts_at.hour, s.starts_at.minute) for s in found if s.local_date == date(2026, 3, 8)
    ] == [(13, 0)]
