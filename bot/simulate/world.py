"""What happens to the clinic whatever the policy: who joins the waitlist when, wanting what,
and which appointment is cancelled when. Drawn once from the seed, so every policy of a run
meets the same patients and the same cancellations."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.simulate.scenario import Scenario
from core.model import TimeSlot

# People cancel while they are awake; new patients are added during the working day.
_CANCEL_HOURS = (7, 22)
_ARRIVAL_HOURS = (8, 19)
_PREFERRED_DAY_CHOICES = (1, 2, 3, 4, 5)
K = TypeVar("K")


@dataclass(frozen=True)
class Patient:
    index: int  # also their phone number's tail
    priority: int
    service: int  # index into the scenario's services
    provider: int | None  # index of the one provider they want, or None for anyone
    days: tuple[int, ...]  # 0=Sun … 6=Sat; empty = any day
    time_slots: tuple[TimeSlot, ...]
    joined_at: datetime
    never_answers: bool
    wrong_number: bool
    keenness: float  # multiplies the acceptance chance


@dataclass(frozen=True)
class Cancellation:
    at: datetime
    provider: int
    service: int
    starts_at: datetime


@dataclass
class Timeline:
    start: datetime
    end: datetime
    patients: list[Patient] = field(default_factory=list)  # by joined_at
    cancellations: list[Cancellation] = field(default_factory=list)  # by at
    # (provider, local day) -> the cancelled slots drawn so far, so no two overlap
    drawn: dict[tuple[int, date], list[tuple[datetime, datetime]]] = field(
        default_factory=dict, repr=False
    )


def _weighted(rng: random.Random, weights: dict[K, float]) -> K:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 50:  # normal approximation, plenty for daily counts
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _local(day: date, hour: float, zone: ZoneInfo) -> datetime:
    moment = datetime.combine(day, time(0), zone) + timedelta(hours=hour)
    return moment.astimezone(UTC)


def build_timeline(scenario: Scenario) -> Timeline:
    rng = random.Random(f"world:{scenario.seed}")
    zone = ZoneInfo(scenario.clinic.timezone)
    start = datetime.combine(scenario.start, time(0), zone).astimezone(UTC)
    timeline = Timeline(start=start, end=start + timedelta(days=scenario.days))
    wait_days = scenario.policy.max_wait_days
    for _ in range(scenario.waitlist.initial):
        age = rng.uniform(0, wait_days)
        timeline.patients.append(_patient(rng, scenario, len(timeline.patients), start, age))
    for offset in range(scenario.days):
        day = scenario.start + timedelta(days=offset)
        for _ in range(_poisson(rng, scenario.waitlist.arrivals_per_day)):
            joined = _local(day, rng.uniform(*_ARRIVAL_HOURS), zone)
            timeline.patients.append(_patient(rng, scenario, len(timeline.patients), joined, 0))
        if day.isoweekday() % 7 in scenario.clinic.weekly_hours():
            for _ in range(_poisson(rng, scenario.cancellations.per_day)):
                at = _local(day, rng.uniform(*_CANCEL_HOURS), zone)
                found = _cancellation(rng, scenario, at, zone, timeline)
                if found is not None:
                    timeline.cancellations.append(found)
    timeline.patients.sort(key=lambda p: (p.joined_at, p.index))
    timeline.cancellations.sort(key=lambda c: c.at)
    return timeline


def _patient(
    rng: random.Random, scenario: Scenario, index: int, moment: datetime, age_days: float
) -> Patient:
    waitlist, prefs, people = scenario.waitlist, scenario.waitlist.preferences, scenario.patients
    services = {i: s.share for i, s in enumerate(scenario.clinic.services)}
    providers = scenario.clinic.providers
    days: tuple[int, ...] = ()
    if rng.random() >= prefs.any_day:
        days = tuple(sorted(rng.sample(_PREFERRED_DAY_CHOICES, rng.choice((2, 3)))))
    bucket = _weighted(rng, dict(prefs.time_of_day))
    return Patient(
        index=index,
        priority=_weighted(rng, dict(waitlist.priorities)),
        service=_weighted(rng, services),
        provider=None if rng.random() < prefs.any_provider else rng.randrange(providers),
        days=days,
        time_slots=() if bucket == "any" else (TimeSlot(bucket),),
        joined_at=moment - timedelta(days=age_days),
        never_answers=rng.random() < people.never_answer,
        wrong_number=rng.random() < people.wrong_number,
        keenness=math.exp(rng.gauss(0, people.keenness_spread)) if people.keenness_spread else 1,
    )


def _cancellation(
    rng: random.Random, scenario: Scenario, at: datetime, zone: ZoneInfo, timeline: Timeline
) -> Cancellation | None:
    """A booked slot at least the drawn lead time ahead: the provider's first slot of the
    service's length that starts then or later and overlaps no other cancelled slot."""
    parts = scenario.cancellations.lead_time
    part = rng.choices(parts, weights=[p.share for p in parts])[0]
    earliest = at + timedelta(hours=rng.uniform(part.min_hours, part.max_hours))
    provider = rng.randrange(scenario.clinic.providers)
    service = _weighted(rng, {i: s.share for i, s in enumerate(scenario.clinic.services)})
    length = timedelta(minutes=scenario.clinic.services[service].duration_minutes)
    hours = scenario.clinic.weekly_hours()
    day = earliest.astimezone(zone).date()
    for _ in range(60):  # look two months ahead at most
        for window_start, window_end in hours.get(day.isoweekday() % 7, []):
            slot = datetime.combine(day, window_start, zone).astimezone(UTC)
            close = datetime.combine(day, window_end, zone).astimezone(UTC)
            while slot + length <= close:
                busy = timeline.drawn.setdefault((provider, day), [])
                free = all(slot + length <= s or slot >= e for s, e in busy)
                if slot >= earliest and free:
                    busy.append((slot, slot + length))
                    return Cancellation(at, provider, service, slot)
                slot += length
        day += timedelta(days=1)
    return None
