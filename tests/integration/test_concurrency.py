"""One booking per opening, whatever the concurrency: real threads on real databases."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from core import fill, offers
from core.errors import SlotTaken, WaitlistError
from core.model import AppointmentStatus, EntryStatus, OfferStatus, OpeningStatus
from core.policy import Policy
from storage.db import make_engine
from storage.uow import uow_factory
from tests.conftest import empty_tables
from tests.scenario import NOW, build_world, later, local


def _threads_for(url: str) -> int:
    return 10 if make_url(url).get_backend_name() == "sqlite" else 50


def test_simultaneous_yes_replies_book_exactly_once(database_url: str) -> None:
    threads = _threads_for(database_url)
    engine = (
        make_engine(database_url, pool_size=threads + 5, max_overflow=0)
        if (threads == 50)
        else make_engine(database_url)
    )
    make_uow = uow_factory(engine)
    policy = Policy(batch_size=threads, cap_per_day=0, cap_per_week=0)
    world = build_world(make_uow, policy)
    holder = world.client("Holder", 9999)
    appointment = world.appointment(holder, local(17, 10))
    entry_ids = [
        world.entry(world.client(f"C{i}", 1000 + i), at=NOW - timedelta(minutes=i)).id
        for i in range(threads)
    ]
    with make_uow() as uow:
        step = fill.handle_cancellation(
            uow=uow, appointment_id=appointment.id, actor="staff", now=NOW, policy=policy
        )
        uow.commit()
    assert len(step.offered) == threads

    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def reply_yes(entry_id: int) -> None:
        barrier.wait()
        try:
            with make_uow() as uow:
                offers.accept_offer(
                    uow=uow, entry_id=entry_id, actor="client", now=later(1), policy=policy
                )
                uow.commit()
            outcome = "booked"
        except SlotTaken:
            outcome = "taken"
        except WaitlistError as exc:
            outcome = f"other:{type(exc).__name__}:{exc.message}"
        except Exception as exc:  # noqa: BLE001 - the test counts anything that escapes
            outcome = f"escaped:{type(exc).__name__}:{exc}"
        with lock:
            outcomes.append(outcome)

    workers = [threading.Thread(target=reply_yes, args=(i,)) for i in entry_ids]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    engine.dispose()

    assert Counter(outcomes) == {"booked": 1, "taken": threads - 1}, outcomes
    with world.make_uow() as uow:
        opening = uow.openings.get(step.opening.id)
        statuses = Counter(o.status for o in uow.offers.for_opening(opening.id))
        booked = uow.appointments.booked_between(
            [world.johnson.id], opening.starts_at, opening.ends_at
        )
        winner = uow.entries.get(opening.filled_entry_id)
        losers = [uow.entries.get(i) for i in entry_ids if i != winner.id]
        events = Counter(e.kind for e in uow.events.list(opening_id=opening.id, limit=1000))
    assert opening.status is OpeningStatus.FILLED
    assert statuses == {OfferStatus.ACCEPTED: 1, OfferStatus.WITHDRAWN: threads - 1}
    assert len(booked) == 1 and booked[0].status is AppointmentStatus.BOOKED
    assert booked[0].client_id == winner.client_id and winner.status is EntryStatus.BOOKED
    assert all(e.status is EntryStatus.WAITING for e in losers)
    assert events["OfferAccepted"] == 1 and events["OpeningFilled"] == 1
    assert events["OfferWithdrawn"] == threads - 1 and events["OfferSent"] == threads


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_answer_and_sweep_racing_leave_a_consistent_opening(database_url: str, answer: str) -> None:
    """A YES or NO arriving while the scheduler sweeps the same opening: both finish, the
    result is one of the valid orders, and no client ends up with two pending offers."""
    engine = make_engine(database_url)
    make_uow = uow_factory(engine)
    policy = Policy(batch_size=1, cap_per_day=0, cap_per_week=0)
    world = build_world(make_uow, policy)
    appointment = world.appointment(world.client("Holder", 9999), local(17, 10))
    first = world.entry(world.client("A", 1001), at=NOW - timedelta(hours=2))
    world.entry(world.client("B", 1002), at=NOW - timedelta(hours=1))
    with make_uow() as uow:
        opening_id = fill.handle_cancellation(
            uow=uow, appointment_id=appointment.id, actor="staff", now=NOW, policy=policy
        ).opening.id
        uow.commit()
    verb = offers.accept_offer if answer == "accept" else offers.decline_offer
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def respond() -> None:
        barrier.wait()
        try:
            with make_uow() as uow:
                verb(uow=uow, entry_id=first.id, actor="client", now=later(14), policy=policy)
                uow.commit()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    def sweep() -> None:
        barrier.wait()
        try:
            fill.sweep_fills(uow_factory=make_uow, now=later(14), policy=policy)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    workers = [threading.Thread(target=respond), threading.Thread(target=sweep)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    engine.dispose()
    assert errors == []
    with world.make_uow() as uow:
        offers_now = uow.offers.for_opening(opening_id)
        pending = [o for o in offers_now if o.status is OfferStatus.PENDING]
    assert len({o.client_id for o in pending}) == len(pending)
    if answer == "accept":
        assert pending == []
    else:
        assert [o.entry_id for o in pending] == [first.id + 1]


def test_a_fill_passes_over_an_entry_another_fill_is_offering(
    postgres_shared: tuple[str, Engine],
) -> None:
    """Fills of two openings rank the same entries first. While one transaction holds the
    top entry, the other offers the next one instead of waiting for it, and in one search.
    (PostgreSQL: SQLite has one writer, so no entry is ever busy there.)"""
    url, shared = postgres_shared
    empty_tables(shared)
    engine = make_engine(url)
    make_uow = uow_factory(engine)
    policy = Policy(batch_size=1, cap_per_day=0, cap_per_week=0)
    world = build_world(make_uow, policy)
    first, second = (
        world.entry(world.client(f"C{i}", 1000 + i), at=NOW - timedelta(minutes=10 - i))
        for i in range(2)
    )
    appointment = world.appointment(world.client("Holder", 9999), local(17, 10))
    searches: list[int] = []
    with make_uow() as holding:
        holding.entries.get(first.id or 0, for_update=True)  # another fill is offering it
        with make_uow() as uow:
            real = uow.entries.candidates
            uow.entries.candidates = lambda query: searches.append(query.limit) or real(query)  # type: ignore[method-assign]
            step = fill.handle_cancellation(
                uow=uow, appointment_id=appointment.id, actor="staff", now=NOW, policy=policy
            )
            uow.commit()
    assert [o.entry_id for o in step.offered] == [second.id]
    assert len(searches) == 1
    with make_uow() as uow:
        assert uow.entries.get(first.id or 0).status is EntryStatus.WAITING  # type: ignore[union-attr]
    engine.dispose()
