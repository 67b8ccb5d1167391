"""Which entries fit which slots, and which free slots a provider has (SPEC §2 matching)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
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


class Test(StrEnum):
    """How an entry's preference is compared with a slot (entry value first)."""

    EQUALS = "equals"  # entry value == slot value
    AT_MOST = "at_most"  # entry value <= slot value
    AT_LEAST = "at_least"  # entry value >= slot value
    AFTER = "after"  # entry value > slot value
    HAS_BIT = "has_bit"  # the entry's bit mask has bit number <slot value>
    COVERS = "covers"  # the entry's bit mask has every bit of the slot's
    INCLUDES = "includes"  # the slot value is one of the entry's values


MASK_TESTS = frozenset({Test.HAS_BIT, Test.COVERS})


@dataclass(frozen=True)
class FitRule:
    """One preference of an entry, as data: the entry's `term` (see ENTRY_TERMS; storage keeps
    a column of that name) passes `test` against the slot's `slot_term` (a SlotSpec field, or
    "now"). A slot whose value is None is not concerned (e.g. a whole day has no start
    minute), and an entry that leaves the term unset (None, no values, an empty mask) fits
    unless the rule is `required`. `fails` says why a slot does not fit, in words."""

    term: str
    test: Test
    slot_term: str
    fails: Callable[[WaitlistEntry], str]
    required: bool = False


# What fits (SPEC §2), in the order mismatches are reported. storage compiles these to SQL.
FIT_RULES: tuple[FitRule, ...] = (
    FitRule("clinic_id", Test.EQUALS, "clinic_id", lambda e: "another clinic", required=True),
    FitRule("expires_at", Test.AFTER, "now", lambda e: "entry has expired"),
    FitRule("service_id", Test.EQUALS, "service_id", lambda e: "wants another service"),
    FitRule("provider_ids", Test.INCLUDES, "provider_id", lambda e: "wants another provider"),
    FitRule(
        "preferred_date_start",
        Test.AT_MOST,
        "local_date",
        lambda e: f"not before {e.preferred_date_start:%b %d}",
    ),
    FitRule(
        "preferred_date_end",
        Test.AT_LEAST,
        "local_date",
        lambda e: f"not after {e.preferred_date_end:%b %d}",
    ),
    FitRule("days_mask", Test.HAS_BIT, "weekday", lambda e: "not on that day of the week"),
    FitRule(
        "time_start_min",
        Test.AT_MOST,
        "start_minute",
        lambda e: f"not before {clock(e.preferred_time_start or time())}",
    ),
    FitRule(
        "time_end_min",
        Test.AT_LEAST,
        "end_minute",
        lambda e: f"must end by {clock(e.preferred_time_end or time())}",
    ),
    FitRule(
        "time_slots_mask",
        Test.COVERS,
        "buckets",
        lambda e: f"wants {'/'.join(s.value.lower() for s in e.preferred_time_slots)} only",
    ),
)


def _minutes_or_none(moment: time | None) -> int | None:
    return None if moment is None else minutes_of(moment)


# The terms the rules compare, from an entry's preferences. Storage keeps each in a column of
# the same name (provider_ids in a table of their own), filled from these functions.
ENTRY_TERMS: dict[str, Callable[[WaitlistEntry], Any]] = {
    "clinic_id": lambda e: e.clinic_id,
    "expires_at": lambda e: e.expires_at,
    "service_id": lambda e: e.service_id,
    "provider_ids": lambda e: e.provider_ids,
    "preferred_date_start": lambda e: e.preferred_date_start,
    "preferred_date_end": lambda e: e.preferred_date_end,
    "days_mask": lambda e: days_mask(e.preferred_days),
    "time_start_min": lambda e: _minutes_or_none(e.preferred_time_start),
    "time_end_min": lambda e: _minutes_or_none(e.preferred_time_end),
    "time_slots_mask": lambda e: buckets_mask(e.preferred_time_slots),
}


def slot_value(rule: FitRule, slot: SlotSpec, now: datetime) -> Any:
    """What the rule compares the entry with, for this slot; None if the slot is not
    concerned."""
    return now if rule.slot_term == "now" else getattr(slot, rule.slot_term)


def is_unset(rule: FitRule, value: Any) -> bool:
    """Whether the entry leaves the rule's term open (it then fits unless required)."""
    if rule.test in MASK_TESTS:
        return bool(value == 0)
    return value is None or value == ()


def passes(test: Test, have: Any, want: Any) -> bool:
    """`test` on an entry's value `have` and a slot's value `want`, both set."""
    if test is Test.EQUALS:
        return bool(have == want)
    if test is Test.AT_MOST:
        return bool(have <= want)
    if test is Test.AT_LEAST:
        return bool(have >= want)
    if test is Test.AFTER:
        return bool(have > want)
    if test is Test.HAS_BIT:
        return bool(have & (1 << want))
    if test is Test.COVERS:
        return bool(have & want == want)
    return bool(want in have)  # Test.INCLUDES


def entry_fits(entry: WaitlistEntry, slot: SlotSpec, now: datetime) -> bool:
    """True if the slot meets every preference of the entry. Status is not checked here."""
    return failed_rule(entry, slot, now) is None


def mismatch(entry: WaitlistEntry, slot: SlotSpec, now: datetime) -> str | None:
    """The first preference the slot fails, in words; None if it fits."""
    rule = failed_rule(entry, slot, now)
    return None if rule is None else rule.fails(entry)


def failed_rule(entry: WaitlistEntry, slot: SlotSpec, now: datetime) -> FitRule | None:
    """The first rule the slot fails; None if it fits."""
    return first_failed(entry_terms(entry), slot_tests(slot, now))


# A slot's side of the rules that concern it: (rule, the slot's value). Worked out once per
# slot, it can be checked against many entries.
SlotTests = tuple[tuple[FitRule, Any], ...]


def slot_tests(slot: SlotSpec, now: datetime) -> SlotTests:
    return tuple(
        (rule, want) for rule in FIT_RULES if (want := slot_value(rule, slot, now)) is not None
    )


def entry_terms(entry: WaitlistEntry) -> dict[str, Any]:
    """An entry's side of the rules: each term of ENTRY_TERMS, as storage keeps its columns."""
    return {term: value(entry) for term, value in ENTRY_TERMS.items()}


def first_failed(terms: Mapping[str, Any], tests: SlotTests) -> FitRule | None:
    """The first rule an entry (its `entry_terms`) fails against a slot (its `slot_tests`);
    None if it fits. No words are built, so a yes/no over many entries stays cheap."""
    for rule, want in tests:
        have = terms[rule.term]
        if not rule.required and is_unset(rule, have):
            continue
        if not passes(rule.test, have, want):
            return rule
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
