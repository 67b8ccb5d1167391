"""A restart: offers that lapsed while no process was running are lapsed by the first sweep
after start, and a late YES cannot book a slot that has gone to someone else."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from bot.runtime import Runtime
from bot.scheduler.jobs import run_sweep
from bot.scheduler.service import Scheduler
from core import offers
from core.errors import OfferExpired, SlotTaken
from core.model import EntryStatus, OfferStatus, OpeningStatus
from tests.scenario import NOW, World, local
from tests.scheduler.conftest import Clock, cancel, seed


def _wait_for_sweep(world: World, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with world.make_uow() as uow:
            if any(e.kind == "JobRan" for e in uow.events.list(limit=1000)):
                return
        time.sleep(0.05)
    raise AssertionError("no sweep ran after start")


def test_offers_lapsed_while_down_are_lapsed_on_the_first_sweep_after_start(
    world: World, runtime: Runtime, clock: Clock
) -> None:
    appointment, waiting = seed(world, 5, local(17, 10))
    opening = cancel(world, appointment).opening  # three offers, holding until NOW + 15
    clock.now = NOW + timedelta(minutes=40)  # the process was down in between
    scheduler = Scheduler(runtime)
    scheduler.start()
    try:
        _wait_for_sweep(world)
    finally:
        scheduler.shutdown()
    with world.make_uow() as uow:
        by_entry = {o.entry_id: o for o in uow.offers.for_opening(opening.id)}
        statuses = [uow.entries.get(e.id).status for e in waiting]
    assert [by_entry[e.id].status for e in waiting[:3]] == [OfferStatus.LAPSED] * 3
    assert [by_entry[e.id].status for e in waiting[3:]] == [OfferStatus.PENDING] * 2
    assert statuses == [EntryStatus.WAITING] * 3 + [EntryStatus.OFFERED] * 2
    assert by_entry[waiting[3].id].expires_at == clock.now + timedelta(minutes=15)


def test_a_late_yes_cannot_book_a_lapsed_offer_whose_slot_went_to_someone_else(
    world: World, runtime: Runtime
) -> None:
    appointment, waiting = seed(world, 4, local(17, 10))
    opening = cancel(world, appointment).opening
    after_restart = NOW + timedelta(minutes=40)
    run_sweep(runtime, after_restart)  # the first sweep after start
    with world.make_uow() as uow:
        booking = offers.accept_offer(
            uow=uow,
            entry_id=waiting[3].id,
            actor="sms",
            now=after_restart + timedelta(minutes=2),
            policy=world.policy,
        )
        uow.commit()
    assert booking.opening.status is OpeningStatus.FILLED

    with world.make_uow() as uow, pytest.raises(SlotTaken, match="just taken"):
        offers.accept_offer(
            uow=uow,
            entry_id=waiting[0].id,
            actor="sms",
            now=after_restart + timedelta(minutes=3),
            policy=world.policy,
        )
    with world.make_uow() as uow:
        assert uow.entries.get(waiting[0].id).status is EntryStatus.WAITING
        accepted = [o for o in uow.offers.for_opening(opening.id) if o.status == "accepted"]
        assert [o.entry_id for o in accepted] == [waiting[3].id]


def test_a_yes_after_the_hold_but_before_any_sweep_is_refused(
    world: World, runtime: Runtime
) -> None:
    appointment, waiting = seed(world, 1, local(17, 10))
    cancel(world, appointment)
    with world.make_uow() as uow, pytest.raises(OfferExpired):
        offers.accept_offer(
            uow=uow,
            entry_id=waiting[0].id,
            actor="sms",
            now=NOW + timedelta(minutes=16),
            policy=world.policy,
        )
