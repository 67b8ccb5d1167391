"""The jobs on a real database with an injected clock: lapses, expiry at the cut-off,
entry expiry, and that running a job twice changes nothing more."""

from __future__ import annotations

from datetime import timedelta

from bot.runtime import Runtime
from bot.scheduler.jobs import recover_and_send, run_expire_entries, run_sweep
from bot.scheduler.service import run_job
from core.model import EntryStatus, OfferStatus, OpeningStatus
from tests.scenario import NOW, World, local
from tests.scheduler.conftest import Clock, RecordingNotifier, cancel, seed


def _offers(world: World, opening_id: int):
    with world.make_uow() as uow:
        return uow.offers.for_opening(opening_id)


def _entry(world: World, entry_id: int):
    with world.make_uow() as uow:
        return uow.entries.get(entry_id)


def test_offers_lapse_at_their_hold_and_the_next_candidates_get_theirs(
    world: World, runtime: Runtime
) -> None:
    appointment, waiting = seed(world, 5, local(17, 10))
    opening = cancel(world, appointment).opening
    first = _offers(world, opening.id)
    assert [o.entry_id for o in first] == [e.id for e in waiting[:3]]
    assert {o.expires_at for o in first} == {NOW + timedelta(minutes=15)}
    runtime.dispatch_now()
    already_sent = len(runtime.sender.sent)  # type: ignore[attr-defined]

    just_before = run_sweep(runtime, NOW + timedelta(minutes=15) - timedelta(seconds=1))
    assert just_before["lapsed"] == 0 and just_before["offered"] == 0

    at_hold = run_sweep(runtime, NOW + timedelta(minutes=15))
    assert at_hold == {"openings": 1, "offered": 2, "lapsed": 3, "expired": 0}
    offers = {o.entry_id: o for o in _offers(world, opening.id)}
    assert [offers[e.id].status for e in waiting[:3]] == [OfferStatus.LAPSED] * 3
    assert [offers[e.id].status for e in waiting[3:]] == [OfferStatus.PENDING] * 2
    assert _entry(world, waiting[0].id).status is EntryStatus.WAITING
    assert _entry(world, waiting[3].id).status is EntryStatus.OFFERED
    assert runtime.sender.sent[already_sent:] == []  # type: ignore[attr-defined]
    after = recover_and_send(runtime, NOW + timedelta(minutes=15))  # once the sweep committed
    assert after == {"recovered": 0, "sent": 5}
    sent = [m.kind for m in runtime.sender.sent[already_sent:]]  # type: ignore[attr-defined]
    assert sent.count("offer") == 2 and sent.count("lapsed") == 3


def test_running_the_sweep_twice_changes_nothing_more(world: World, runtime: Runtime) -> None:
    appointment, waiting = seed(world, 4, local(17, 10))
    opening = cancel(world, appointment).opening
    later = NOW + timedelta(minutes=20)
    run_sweep(runtime, later)
    before = [(o.id, o.status) for o in _offers(world, opening.id)]
    assert run_sweep(runtime, later) == {"openings": 1, "offered": 0, "lapsed": 0, "expired": 0}
    assert [(o.id, o.status) for o in _offers(world, opening.id)] == before


def test_an_unfilled_opening_expires_at_its_cutoff_and_staff_are_told(
    world: World, runtime: Runtime, notifier: RecordingNotifier
) -> None:
    # Monday 11:30 local; it is 10:00, so the cut-off (60 minutes before) is 10:30.
    appointment, waiting = seed(world, 1, local(16, 11, 30))
    opening = cancel(world, appointment).opening
    assert opening.cutoff_at == NOW + timedelta(minutes=30)

    run_sweep(runtime, opening.cutoff_at - timedelta(seconds=1))
    with world.make_uow() as uow:
        assert uow.openings.get(opening.id).status is OpeningStatus.OPEN
    assert "OpeningExpired" not in notifier.kinds()

    assert run_sweep(runtime, opening.cutoff_at)["expired"] == 1
    with world.make_uow() as uow:
        assert uow.openings.get(opening.id).status is OpeningStatus.EXPIRED
    (expired,) = [e for e in notifier.events if e.kind == "OpeningExpired"]
    assert expired.opening_id == opening.id and expired.at == opening.cutoff_at
    assert run_sweep(runtime, opening.cutoff_at + timedelta(minutes=1))["openings"] == 0


def test_daily_expiry_ends_entries_past_their_date_or_the_max_wait(
    world: World, runtime: Runtime
) -> None:
    old = world.entry(world.client("Old", 2001), at=NOW - timedelta(days=31))
    dated = world.entry(world.client("Dated", 2002), expires_at=NOW + timedelta(hours=2))
    fresh = world.entry(world.client("Fresh", 2003))
    assert run_expire_entries(runtime, NOW + timedelta(hours=3)) == {"expired": 2}
    assert [_entry(world, e.id).status for e in (old, dated, fresh)] == [
        EntryStatus.EXPIRED,
        EntryStatus.EXPIRED,
        EntryStatus.WAITING,
    ]
    assert run_expire_entries(runtime, NOW + timedelta(hours=3)) == {"expired": 0}


def test_a_job_runs_once_per_tick_and_the_event_log_says_so(
    world: World, runtime: Runtime, clock: Clock
) -> None:
    appointment, _ = seed(world, 4, local(17, 10))
    cancel(world, appointment)
    clock.now = NOW + timedelta(minutes=15, seconds=5)
    first = run_job(runtime, "sweep", timezone=world.clinic.timezone)
    clock.now += timedelta(seconds=30)  # the same minute: another instance firing late
    again = run_job(runtime, "sweep", timezone=world.clinic.timezone)
    clock.now += timedelta(seconds=30)  # the next minute
    next_tick = run_job(runtime, "sweep", timezone=world.clinic.timezone)
    assert first is not None and first["lapsed"] == 3
    assert again is None
    assert next_tick == {
        "openings": 1,
        "offered": 0,
        "lapsed": 0,
        "expired": 0,
        "recovered": 0,  # after the commit: texts recovered, then sent
        "sent": 0,
    }
    with world.make_uow() as uow:
        ran = [e for e in uow.events.list(limit=1000) if e.kind == "JobRan"]
    assert [e.data["tick"] for e in ran] == [
        "2026-02-16T15:15:00+00:00",
        "2026-02-16T15:16:00+00:00",
    ]
    # The Event is written in the job's transaction, before its texts go out.
    assert ran[0].data["summary"] == {
        k: v for k, v in first.items() if k not in ("recovered", "sent")
    }
