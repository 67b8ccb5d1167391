"""The kept entry counts (triggers of migration 20261128_0070) equal the counts computed from
every entry, after random sequences of the real services: adds, edits, cancellations that
open slots and send offers, YES, NO, removals, lapses, expiries, and a deleted entry."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import delete, text

from core import entries, fill, offers
from core.errors import WaitlistError
from core.model import EntryStatus
from core.ports import EntryCounts, EntryFilter, UnitOfWork
from core.reports import fold_entry_counts
from storage.db import make_engine
from storage.tables import EntryRow
from storage.uow import SqlUnitOfWork, uow_factory
from tests.scenario import NOW, World, build_world, local

ACTIVE = (EntryStatus.WAITING, EntryStatus.OFFERED)


@pytest.fixture
def world(uow_factory: Callable[[], SqlUnitOfWork]) -> World:
    return build_world(uow_factory)


def computed(uow: UnitOfWork, clinic_id: int | None) -> EntryCounts:
    """The answer read from every entry."""
    found = uow.entries.counts_by_status(clinic_id)
    return EntryCounts(
        counts={s: found.get(s, 0) for s in EntryStatus},
        average_wait_days=uow.entries.average_wait_days(clinic_id),
    )


def assert_kept_equals_computed(world: World) -> None:
    with world.make_uow() as uow:
        for clinic_id in (world.clinic.id, None, (world.clinic.id or 0) + 1):
            kept, counted = uow.reports.entry_counts(clinic_id), computed(uow, clinic_id)
            assert kept.counts == counted.counts, clinic_id
            if counted.average_wait_days is None:
                assert kept.average_wait_days is None
            else:
                assert kept.average_wait_days == pytest.approx(counted.average_wait_days, abs=1e-6)


def _ids(world: World, *statuses: EntryStatus) -> list[int]:
    with world.make_uow() as uow:
        page = uow.entries.list(EntryFilter(statuses=statuses), limit=1000)
    return sorted(e.id or 0 for e in page.items)


def _run(world: World, work: Callable[..., object], *, commit: bool = True) -> None:
    """One transaction; a refused step (taken, expired, already final…) changes nothing."""
    with world.make_uow() as uow:
        try:
            work(uow=uow)
        except WaitlistError:
            return
        if commit:
            uow.commit()


@pytest.mark.parametrize("seed", [1, 2])
def test_kept_counts_equal_computed_after_random_service_calls(world: World, seed: int) -> None:
    rng = random.Random(seed)
    policy = world.policy
    holders = [world.client(f"Holder{i}", 9000 + i) for i in range(8)]
    appointments = [
        world.appointment(
            h, local(17 + i // 4, 9 + 2 * (i % 4)), rng.choice([world.johnson, world.lee])
        )
        for i, h in enumerate(holders)
    ]
    people = 0
    now = NOW

    def add(at: object) -> None:
        nonlocal people
        people += 1
        client = world.client(f"Client{people}", 1000 + people)
        service = rng.choice([world.botox, world.filler])
        world.entry(client, at=NOW - timedelta(days=rng.randint(1, 40)), service_id=service.id)

    for _ in range(12):
        add(now)
    assert_kept_equals_computed(world)
    for step in range(40):
        now += timedelta(minutes=rng.randint(1, 9))
        action = rng.choice(
            ["add", "cancel", "yes", "yes", "no", "remove", "edit", "sweep", "rollback"]
        )
        offered, active = _ids(world, EntryStatus.OFFERED), _ids(world, *ACTIVE)
        if action == "add":
            add(now)
        elif action == "cancel" and appointments:
            appt = appointments.pop(rng.randrange(len(appointments)))
            _run(
                world,
                partial(
                    fill.handle_cancellation,
                    appointment_id=appt.id,
                    actor="staff",
                    now=now,
                    policy=policy,
                ),
            )
        elif action in ("yes", "no") and offered:
            verb = offers.accept_offer if action == "yes" else offers.decline_offer
            _run(
                world,
                partial(verb, entry_id=rng.choice(offered), actor="client", now=now, policy=policy),
            )
        elif action == "remove" and active:
            remove = partial(
                entries.remove_from_waitlist,
                entry_id=rng.choice(active),
                actor="staff",
                now=now,
                policy=policy,
            )
            _run(world, remove)
        elif action == "edit" and active:
            changes = {"priority": rng.randint(1, 5)}
            _run(
                world,
                partial(
                    entries.update_waitlist_entry,
                    entry_id=rng.choice(active),
                    changes=changes,
                    actor="staff",
                    now=now,
                ),
            )
        elif action == "sweep":
            fill.sweep_fills(
                uow_factory=world.make_uow, now=now + timedelta(minutes=20), policy=policy
            )
        elif action == "rollback" and active:
            # Work that is not committed leaves no trace in the counts either.
            remove = partial(
                entries.remove_from_waitlist,
                entry_id=rng.choice(active),
                actor="staff",
                now=now,
                policy=policy,
            )
            _run(world, remove, commit=False)
        if step % 15 == 14:
            with world.make_uow() as uow:
                uow.reports.fold_entry_counts()
                uow.commit()
                pending = uow.session.scalar(text("SELECT count(*) FROM entry_count_changes"))  # type: ignore[attr-defined]
                assert pending == 0
        assert_kept_equals_computed(world)

    _run(world, partial(entries.expire_old_entries, days=20, now=now, policy=policy))
    assert_kept_equals_computed(world)
    with world.make_uow() as uow:
        statuses = uow.reports.entry_counts().counts
    assert statuses[EntryStatus.BOOKED] + statuses[EntryStatus.EXPIRED] > 0  # the walk did things

    # A deleted entry leaves the counts too (benchmarks delete the entries they add).
    victim = world.entry(world.client("Gone", 8888), at=NOW - timedelta(days=3))
    assert_kept_equals_computed(world)
    with world.make_uow() as uow:
        uow.session.execute(delete(EntryRow).where(EntryRow.id == victim.id))  # type: ignore[attr-defined]
        uow.commit()
    assert_kept_equals_computed(world)


def test_stats_read_the_kept_counts(world: World) -> None:
    """get_waitlist_stats answers from entry_counts: changing a kept row changes the stats."""
    client = world.client("Ann", 1)
    world.entry(client)
    with world.make_uow() as uow:
        assert entries.get_waitlist_stats(uow=uow)["counts"]["waiting"] == 1
        uow.reports.fold_entry_counts()  # PostgreSQL's appended change becomes the kept row
        uow.session.execute(  # type: ignore[attr-defined]
            text("UPDATE entry_counts SET entries = entries + 41 WHERE status = 'waiting'")
        )
        stats = entries.get_waitlist_stats(uow=uow)
    assert stats["counts"]["waiting"] == 42 and stats["total"] == 42


def test_concurrent_changes_and_folds_lose_no_count(database_url: str) -> None:
    """Writers in parallel threads (adds and removals) while two folders fold over and over:
    no change is lost or moved twice, on either database."""
    engine = make_engine(database_url, pool_size=12, max_overflow=0)
    make_uow = uow_factory(engine)
    world = build_world(make_uow)
    clients = [world.client(f"C{i}", 2000 + i) for i in range(16)]
    done = threading.Event()
    failures: list[BaseException] = []

    def write(client_number: int) -> None:
        try:
            for round_number in range(4):
                service = world.botox if round_number < 2 else world.filler
                entry = world.entry(
                    clients[client_number],
                    at=NOW - timedelta(days=round_number + 1),
                    service_id=service.id,
                )
                if round_number % 2 == 0:  # removed; the next round adds the same again
                    _run(
                        world,
                        partial(
                            entries.remove_from_waitlist,
                            entry_id=entry.id,
                            actor="staff",
                            now=NOW,
                            policy=world.policy,
                        ),
                    )
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    def fold() -> None:
        while not done.is_set():
            fold_entry_counts(uow_factory=make_uow)

    writers = [threading.Thread(target=write, args=(n,)) for n in range(len(clients))]
    folders = [threading.Thread(target=fold) for _ in range(2)]
    try:
        for thread in [*folders, *writers]:
            thread.start()
        for thread in writers:
            thread.join()
        done.set()
        for thread in folders:
            thread.join()
        assert not failures
        assert_kept_equals_computed(world)
        with make_uow() as uow:
            kept = uow.reports.entry_counts(world.clinic.id).counts
        assert kept[EntryStatus.WAITING] == 32 and kept[EntryStatus.CANCELLED] == 32
        fold_entry_counts(uow_factory=make_uow)
        assert_kept_equals_computed(world)
    finally:
        engine.dispose()
