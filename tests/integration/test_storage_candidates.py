"""`EntryRepository.candidates` (SQL compiled from core's rules) gives core's own answer,
`core.ranking.choose_candidates`: fit, the pending-offer, already-offered and cap rules, and
the rank order."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.matching import day_spec, slot_spec
from core.model import EntryStatus, Offer, OfferStatus, Opening, TimeSlot, WaitlistEntry
from core.ports import CandidateQuery, SlotSpec
from core.ranking import choose_candidates
from tests.integration.builders import Practice, make_practice

TZ = "America/New_York"
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday, 10:00 in New York
WEEK_SINCE = NOW - timedelta(days=7)
DAY_SINCE = NOW - timedelta(days=1)
SUNDAY, WEDNESDAY, SATURDAY = date(2026, 3, 8), date(2026, 3, 11), date(2026, 3, 14)
SLOT_DAYS = (SUNDAY, WEDNESDAY, SATURDAY)
# Local (start, minutes): on window edges, inside one bucket, across buckets, outside 08–21.
SLOT_TIMES = [
    (time(9), 30),
    (time(11, 30), 30),
    (time(11, 30), 60),
    (time(12), 60),
    (time(16, 30), 60),
    (time(17), 60),
    (time(20, 30), 60),
    (time(7, 30), 60),
    (time(14), 90),
]
# Offer ages on both sides of the day and week boundaries (exactly on them counts).
OFFER_AGES = [
    timedelta(0),
    timedelta(hours=1),
    timedelta(days=1),
    timedelta(days=1, seconds=1),
    timedelta(days=3),
    timedelta(days=7),
    timedelta(days=7, seconds=1),
    timedelta(days=12),
]


@dataclass
class World:
    home: Practice
    away: Practice
    openings: list[int]
    entries: dict[int, WaitlistEntry]
    offers: list[Offer]


def _half_hour(rng: random.Random, lo: int, hi: int) -> time:
    minutes = rng.randrange(lo * 2, hi * 2 + 1) * 30
    return time(minutes // 60, minutes % 60)


def _random_entry(rng: random.Random, practice: Practice, clients: tuple[int, ...]):
    start = rng.choice([None, None, *(d + timedelta(days=rng.randint(-4, 1)) for d in SLOT_DAYS)])
    end = rng.choice([None, (start or WEDNESDAY) + timedelta(days=rng.randint(-1, 6))])
    time_start = rng.choice([None, None, _half_hour(rng, 7, 17)])
    time_end = rng.choice([None, None, _half_hour(rng, 10, 21)])
    count = min(rng.choice([0, 0, 1, 2]), len(practice.provider_ids))
    providers = rng.sample(practice.provider_ids, count)
    return WaitlistEntry(
        clinic_id=practice.clinic_id,
        client_id=rng.choice(clients),
        service_id=rng.choice([None, *practice.service_ids]),
        provider_ids=tuple(providers),
        preferred_date_start=start,
        preferred_date_end=end,
        preferred_time_start=time_start,
        preferred_time_end=time_end,
        preferred_time_slots=tuple(s for s in TimeSlot if rng.random() < 0.3),
        preferred_days=tuple(d for d in range(7) if rng.random() < 0.4),
        status=rng.choice([EntryStatus.WAITING] * 5 + list(EntryStatus)),
        priority=rng.randint(1, 5),
        expires_at=rng.choice(
            [
                None,
                None,
                NOW,
                NOW + timedelta(seconds=1),
                NOW - timedelta(days=1),
                NOW + timedelta(days=9),
            ]
        ),
        # Few distinct creation times, so the id tie-break is exercised.
        created_at=NOW - timedelta(days=rng.randint(1, 6), hours=rng.choice([0, 5])),
    )


def build_world(uow_factory, seed: int) -> World:
    rng = random.Random(seed)
    home = make_practice(uow_factory, providers=3, services=3, clients=40)
    away = make_practice(uow_factory, providers=1, services=1, clients=0, name="Other Clinic")
    with uow_factory() as uow:
        openings = []
        for n in range(6):
            start = NOW + timedelta(days=1, hours=n)
            opening = Opening(
                clinic_id=home.clinic_id,
                provider_id=home.provider_ids[n % 3],
                service_id=home.service_ids[n % 3],
                starts_at=start,
                ends_at=start + timedelta(minutes=30),
                cutoff_at=start - timedelta(hours=1),
                created_at=NOW - timedelta(days=13),
            )
            openings.append(uow.openings.add(opening).id)
        entries = {}
        for n in range(320):
            practice = away if n % 12 == 0 else home
            entry = uow.entries.add(_random_entry(rng, practice, home.client_ids))
            entries[entry.id] = entry
        offers: list[Offer] = []
        pending_clients: set[int] = set()
        pairs = rng.sample([(o, e) for o in openings for e in entries], 170)
        for opening_id, entry_id in pairs:
            client_id = entries[entry_id].client_id
            status = rng.choice(list(OfferStatus))
            if status is OfferStatus.PENDING and client_id in pending_clients:
                status = OfferStatus.DECLINED
            if status is OfferStatus.ACCEPTED:
                status = OfferStatus.LAPSED  # one accepted offer per opening; not the point here
            if status is OfferStatus.PENDING:
                pending_clients.add(client_id)
            offer = Offer(
                opening_id=opening_id,
                entry_id=entry_id,
                client_id=client_id,
                expires_at=NOW,
                status=status,
                created_at=NOW - rng.choice(OFFER_AGES),
            )
            offers.append(uow.offers.add(offer))
        uow.commit()
    return World(home, away, openings, entries, offers)


def reference(uow, world: World, query: CandidateQuery) -> list[tuple[int, int, int]]:
    """(entry id, offers this week, offers today), best first: core's own answer."""
    clients = uow.clients.get_many(world.home.client_ids)
    chosen = choose_candidates(world.entries.values(), clients, world.offers, query)
    return [(c.entry.id, c.offers_this_week, c.offers_today) for c in chosen]


def slots(world: World, rng: random.Random) -> list[SlotSpec]:
    home = world.home
    found = []
    for day in SLOT_DAYS:
        for start, minutes in SLOT_TIMES:
            starts_at = datetime.combine(day, start, ZoneInfo(TZ)).astimezone(UTC)
            found.append(
                slot_spec(
                    clinic_id=home.clinic_id,
                    timezone=TZ,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=minutes),
                    service_id=rng.choice([None, *home.service_ids]),
                    provider_id=rng.choice([None, *home.provider_ids]),
                )
            )
        found.append(day_spec(clinic_id=home.clinic_id, day=day, service_id=home.service_ids[0]))
        found.append(day_spec(clinic_id=world.away.clinic_id, day=day, service_id=None))
    return found


@pytest.mark.parametrize("seed", [7, 2026])
def test_candidates_agree_with_the_python_reference(uow_factory, seed):
    world = build_world(uow_factory, seed)
    rng = random.Random(seed + 1)
    caps = [(0, 0), (1, 3), (2, 0), (0, 2)]
    non_empty = 0
    with uow_factory() as uow:
        for slot in slots(world, rng):
            for cap_per_day, cap_per_week in rng.sample(caps, 2):
                query = CandidateQuery(
                    slot=slot,
                    now=NOW,
                    week_since=WEEK_SINCE,
                    day_since=DAY_SINCE,
                    cap_per_day=cap_per_day,
                    cap_per_week=cap_per_week,
                    exclude_opening_id=rng.choice([None, *world.openings]),
                    limit=rng.choice([3, 1000]),
                    exclude_client_id=rng.choice([None, *world.home.client_ids[:8]]),
                )
                expected = reference(uow, world, query)
                got = uow.entries.candidates(query)
                assert [(c.entry.id, c.offers_this_week, c.offers_today) for c in got] == (
                    expected
                ), query
                for candidate in got:
                    assert candidate.entry == world.entries[candidate.entry.id]
                    assert candidate.client.id == candidate.entry.client_id
                non_empty += bool(expected)
    assert non_empty >= 20  # the data really exercises the query


def test_candidate_boundaries_on_a_hand_made_case(uow_factory):
    practice = make_practice(uow_factory, providers=2, services=1, clients=4)
    provider = practice.provider_ids[0]
    with uow_factory() as uow:

        def add(client: int, **fields) -> int:
            entry = WaitlistEntry(
                practice.clinic_id, practice.client_ids[client], created_at=NOW, **fields
            )
            return uow.entries.add(entry).id

        window = add(0, preferred_time_start=time(9), preferred_time_end=time(12))
        morning = add(1, preferred_time_slots=(TimeSlot.MORNING,), preferred_days=(3,))
        expiring = add(2, expires_at=NOW)
        other_provider = add(3, provider_ids=(practice.provider_ids[1],))
        uow.commit()

    def found(start: time, minutes: int, day: date = WEDNESDAY) -> set[int]:
        starts_at = datetime.combine(day, start, ZoneInfo(TZ)).astimezone(UTC)
        slot = slot_spec(
            clinic_id=practice.clinic_id,
            timezone=TZ,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            service_id=practice.service_ids[0],
            provider_id=provider,
        )
        query = CandidateQuery(slot, NOW, WEEK_SINCE, DAY_SINCE, 0, 0, None, 50)
        with uow_factory() as uow:
            return {c.entry.id for c in uow.entries.candidates(query)}

    assert found(time(9), 30) == {window, morning}  # starts on the window's first minute
    assert found(time(11, 30), 30) == {window, morning}  # ends on its last
    assert found(time(8, 59), 30) == {morning}
    assert found(time(11, 31), 30) == set()  # one minute past the window and the morning
    assert found(time(11, 30), 60) == set()  # straddles MORNING and AFTERNOON
    assert found(time(9), 30, SATURDAY) == {window}
    assert expiring not in found(time(14), 30)
    assert other_provider not in found(time(14), 30)
