"""The indexed in-memory store answers the candidate search exactly as the plain one does."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.simulate.engine import Simulation
from bot.simulate.scenario import parse_scenario
from bot.simulate.world import build_timeline
from core.errors import SlotConflict
from core.matching import slot_spec
from core.model import (
    Appointment,
    AppointmentStatus,
    Client,
    Clinic,
    EntryStatus,
    Offer,
    OfferStatus,
    TimeSlot,
    WaitlistEntry,
)
from core.policy import Policy
from core.ranking import candidate_query
from storage.memory import FakeUnitOfWork
from storage.memory_indexed import IndexedUnitOfWork

NOW = datetime(2027, 3, 1, 15, 0, tzinfo=UTC)


def _fill(uow: FakeUnitOfWork, seed: int) -> None:
    rng = random.Random(seed)
    with uow:
        uow.clinics.add(Clinic(name="C", timezone="America/New_York"))
        for n in range(120):
            client = uow.clients.add(
                Client(first_name=f"P{n}", last_name="X", phone=f"+1617555{n:04d}")
            )
            entry = uow.entries.add(
                WaitlistEntry(
                    clinic_id=1,
                    client_id=client.id,
                    service_id=rng.choice([None, 1, 2]),
                    provider_ids=rng.choice([(), (1,), (2,), (1, 2)]),
                    preferred_days=rng.choice([(), (1, 2), (2, 3, 4)]),
                    preferred_time_slots=rng.choice(
                        [(), (TimeSlot.MORNING,), (TimeSlot.AFTERNOON,)]
                    ),
                    priority=rng.choice([1, 2, 3, 3, 3, 5]),
                    status=rng.choice([EntryStatus.WAITING] * 8 + [EntryStatus.BOOKED]),
                    expires_at=rng.choice(
                        [None, None, NOW - timedelta(hours=1), NOW + timedelta(days=3)]
                    ),
                    created_at=NOW - timedelta(minutes=rng.randrange(10_000)),
                )
            )
            for _ in range(rng.choice([0, 0, 1, 2, 3])):
                uow.offers.add(
                    Offer(
                        opening_id=rng.randrange(1, 6),
                        entry_id=entry.id,
                        client_id=client.id,
                        expires_at=NOW,
                        status=rng.choice([OfferStatus.LAPSED, OfferStatus.DECLINED]),
                        created_at=NOW - timedelta(hours=rng.randrange(1, 24 * 9)),
                    )
                )
            if rng.random() < 0.1:
                uow.offers.add(
                    Offer(
                        opening_id=9,
                        entry_id=entry.id,
                        client_id=client.id,
                        expires_at=NOW,
                        created_at=NOW,
                    )
                )
        uow.commit()


@pytest.mark.parametrize("seed", range(6))
def test_indexed_candidates_match_the_plain_store(seed: int) -> None:
    plain, indexed = FakeUnitOfWork(), IndexedUnitOfWork()
    _fill(plain, seed)
    _fill(indexed, seed)
    rng = random.Random(seed)
    for _ in range(15):
        day = NOW.date() + timedelta(days=rng.randrange(1, 8))
        start = datetime.combine(day, time(rng.choice([9, 10, 13, 15])), UTC) + timedelta(hours=5)
        spec = slot_spec(
            clinic_id=1,
            timezone="America/New_York",
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            service_id=rng.choice([1, 2]),
            provider_id=rng.choice([1, 2]),
        )
        policy = Policy(cap_per_day=rng.choice([0, 1]), cap_per_week=rng.choice([0, 2, 3]))
        query = candidate_query(
            spec,
            now=NOW,
            policy=policy,
            exclude_opening_id=rng.choice([None, 1, 2]),
            limit=rng.choice([1, 5, 53]),
            exclude_client_id=rng.choice([None, *range(1, 12)]),
        )
        expected = [
            (c.entry.id, c.offers_this_week, c.offers_today)
            for c in plain.entries.candidates(query)
        ]
        found = [
            (c.entry.id, c.offers_this_week, c.offers_today)
            for c in indexed.entries.candidates(query)
        ]
        assert found == expected
        assert expected  # the query found someone: the comparison says something


def test_a_rolled_back_transaction_leaves_the_indexes_as_they_were() -> None:
    uow = IndexedUnitOfWork()
    _fill(uow, 1)
    before = (set(uow.entries.waiting), dict(uow.offers.pending_by_client), uow.entries.next_id)
    with uow:
        entry = uow.entries.get(next(iter(uow.entries.waiting)))
        entry.status = EntryStatus.BOOKED
        uow.entries.save(entry)
        uow.offers.add(
            Offer(opening_id=7, entry_id=1, client_id=999, expires_at=NOW, created_at=NOW)
        )
        uow.entries.add(WaitlistEntry(clinic_id=1, client_id=1, created_at=NOW))
    assert (
        set(uow.entries.waiting),
        dict(uow.offers.pending_by_client),
        uow.entries.next_id,
    ) == before
    assert uow.offers.latest_for_client(999) is None
    assert uow.offers.count_for_client(999, NOW - timedelta(days=1)) == 0


def test_set_based_writes_keep_the_indexes_and_roll_back() -> None:
    """close, settle, add_many and entries.move change rows in bulk: the indexes must follow
    (a closed offer no longer holds its client) and a rollback must undo them."""
    uow = IndexedUnitOfWork()
    _fill(uow, 2)
    holders = sorted(uow.offers.pending_by_client)
    assert holders  # the fill left offers pending on opening 9
    waiting = sorted(uow.entries.waiting)[:3]
    with uow:
        closed = uow.offers.close(9, OfferStatus.LAPSED, now=NOW)
        moved = uow.entries.move(
            waiting,
            current=EntryStatus.WAITING,
            status=EntryStatus.EXPIRED,
            now=NOW,
            actor="test",
            changes={},
        )
        assert len(closed) == len(holders) and moved == waiting
        assert not uow.offers.pending_by_client
        assert not set(waiting) & uow.entries.waiting
        uow.offers.add(
            Offer(opening_id=9, entry_id=waiting[0], client_id=holders[0], expires_at=NOW)
        )  # the client holds no offer any more, so this is allowed
        settled = uow.offers.settle(9, uow.offers.pending_by_client[holders[0]], now=NOW)
        assert [o.status for o in settled] == [OfferStatus.ACCEPTED]
        assert 9 in uow.offers.accepted_by_opening
    assert sorted(uow.offers.pending_by_client) == holders
    assert 9 not in uow.offers.accepted_by_opening
    assert set(waiting) <= uow.entries.waiting
    assert all(
        uow.offers.rows[i].status is OfferStatus.PENDING
        for i in uow.offers.by_opening[9]
        if uow.offers.rows[i].client_id in holders
    )


def test_after_a_simulated_run_the_indexes_agree_with_the_rows() -> None:
    scenario = parse_scenario(
        {
            "seed": 3,
            "days": 10,
            "clinic": {"providers": 2},
            "waitlist": {"initial": 60, "arrivals_per_day": 4},
            "cancellations": {"per_day": 6},
            "compare": {"batch_size": [3]},
        }
    )
    timeline = build_timeline(scenario)
    ((_, spec),) = scenario.policies()
    simulation = Simulation(scenario, timeline, spec.policy())
    simulation.play()
    uow = simulation.uow
    offers = list(uow.offers.rows.values())
    entries = list(uow.entries.rows.values())
    assert len(offers) > 50  # a run long enough to answer, close and settle many offers
    assert uow.offers.pending_by_client == {
        o.client_id: o.id for o in offers if o.status is OfferStatus.PENDING
    }
    assert uow.offers.accepted_by_opening == {
        o.opening_id: o.id for o in offers if o.status is OfferStatus.ACCEPTED
    }
    assert uow.entries.waiting == {e.id for e in entries if e.status is EntryStatus.WAITING}
    assert uow.entries.active == {e.id for e in entries if e.is_active}


@pytest.mark.parametrize("seed", range(4))
def test_indexed_appointments_clash_and_list_as_the_plain_store_does(seed: int) -> None:
    rng = random.Random(seed)
    plain, indexed = FakeUnitOfWork(), IndexedUnitOfWork()
    outcomes: list[list[object]] = [[], []]
    for _ in range(150):
        appointment = Appointment(
            clinic_id=1,
            client_id=1,
            service_id=1,
            provider_id=rng.choice([1, 2]),
            scheduled_at=NOW + timedelta(minutes=15 * rng.randrange(200)),
            duration_minutes=rng.choice([15, 30, 60, 240]),
            status=rng.choice([AppointmentStatus.BOOKED] * 4 + [AppointmentStatus.CANCELLED]),
        )
        for uow, seen in zip((plain, indexed), outcomes, strict=True):
            try:
                seen.append(uow.appointments.add(appointment).id)
            except SlotConflict:
                seen.append("clash")
    assert outcomes[0] == outcomes[1]
    assert "clash" in outcomes[0] and len(set(outcomes[0])) > 20  # both kinds happened
    for _ in range(30):
        start = NOW + timedelta(minutes=15 * rng.randrange(200))
        end = start + timedelta(minutes=rng.choice([15, 60, 600]))
        for providers in ([1], [2], [1, 2]):
            listed = [
                [a.id for a in uow.appointments.booked_between(providers, start, end)]
                for uow in (plain, indexed)
            ]
            assert listed[0] == listed[1]
