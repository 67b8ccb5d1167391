"""A client who cancels an appointment is never offered that slot back by the fill, in its
first batch or any later one (after a NO, a lapse or a failed text); staff may still offer it,
and are told whose slot it is. Runs on the plain and indexed in-memory stores, SQLite and
PostgreSQL (tests/integration/test_services.py, tests/simulate/test_own_slot_indexed.py)."""

from __future__ import annotations

from datetime import date, timedelta

from core import fill, offers, slots
from core.model import EntryStatus, EventKind, OpeningStatus, WaitlistEntry
from core.policy import Policy
from tests.scenario import NOW, World, later, local


def _cancel(world: World, appointment_id: int, at=NOW) -> fill.FillStep:
    with world.make_uow() as uow:
        step = fill.handle_cancellation(
            uow=uow, appointment_id=appointment_id, actor="staff", now=at, policy=world.policy
        )
        uow.commit()
    return step


def _decline(world: World, entry_id: int, at) -> fill.FillStep:
    with world.make_uow() as uow:
        step = offers.decline_offer(
            uow=uow, entry_id=entry_id, actor="client", now=at, policy=world.policy
        )
        uow.commit()
    return step


def _status(world: World, entry_id: int) -> EntryStatus:
    with world.make_uow() as uow:
        entry = uow.entries.get(entry_id)
    assert entry is not None
    return entry.status


def _maria_cancels(world: World, others: int = 2):
    """Maria, top of the waitlist for Botox (priority 1, waiting longest), has Tue Feb 17
    10:00 booked; `others` clients wait behind her."""
    maria = world.client("Maria", 101)
    appointment = world.appointment(maria, local(17, 10))
    own = world.entry(maria, at=NOW - timedelta(days=3), priority=1)
    behind = [
        world.entry(world.client(f"Other{n}", 200 + n), at=NOW - timedelta(days=2, minutes=-n))
        for n in range(others)
    ]
    return maria, appointment, own, behind


def _offered(step: fill.FillStep) -> list[int]:
    return [o.entry_id for o in step.offered]


class TestOwnCancelledSlot:
    def test_the_opening_remembers_whose_appointment_it_was(self, world: World) -> None:
        maria, appointment, _, _ = _maria_cancels(world)
        step = _cancel(world, appointment.id)
        assert step.opening.origin_client_id == maria.id
        with world.make_uow() as uow:
            stored = uow.openings.get(step.opening.id)
        assert stored is not None and stored.origin_client_id == maria.id

    def test_the_first_batch_leaves_out_the_client_who_cancelled(self, world: World) -> None:
        _, appointment, own, behind = _maria_cancels(world)
        step = _cancel(world, appointment.id)
        assert _offered(step) == [e.id for e in behind]  # batch of 3, only two others fit
        assert _status(world, own.id) is EntryStatus.WAITING

    def test_no_later_batch_offers_it_to_them_after_each_no(self, world: World) -> None:
        world.policy = Policy(batch_size=1)
        _, appointment, own, behind = _maria_cancels(world)
        step = _cancel(world, appointment.id)
        assert _offered(step) == [behind[0].id]
        assert _offered(_decline(world, behind[0].id, later(1))) == [behind[1].id]
        last = _decline(world, behind[1].id, later(2))
        assert last.offered == [] and last.opening.status is OpeningStatus.OPEN
        assert _status(world, own.id) is EntryStatus.WAITING
        with world.make_uow() as uow:
            kinds = [e.kind for e in uow.events.list(opening_id=step.opening.id)]
        assert EventKind.NO_CANDIDATES.value in kinds

    def test_a_lapse_moves_on_without_them(self, world: World) -> None:
        world.policy = Policy(batch_size=1)
        _, appointment, own, behind = _maria_cancels(world, others=1)
        _cancel(world, appointment.id)
        report = fill.sweep_fills(uow_factory=world.make_uow, now=later(15), policy=world.policy)
        assert (report.lapsed, report.offered) == (1, 0)
        assert _status(world, behind[0].id) is EntryStatus.WAITING
        assert _status(world, own.id) is EntryStatus.WAITING

    def test_a_failed_text_moves_on_without_them(self, world: World) -> None:
        world.policy = Policy(batch_size=1)
        _, appointment, own, behind = _maria_cancels(world)
        step = _cancel(world, appointment.id)
        with world.make_uow() as uow:
            moved = fill.fail_offer(
                uow=uow,
                offer_id=step.offered[0].id,
                now=later(1),
                policy=world.policy,
                reason="unreachable",
            )
            uow.commit()
        assert moved is not None and _offered(moved) == [behind[1].id]
        assert _status(world, own.id) is EntryStatus.WAITING

    def test_they_still_get_slots_other_clients_cancelled(self, world: World) -> None:
        maria, appointment, own, _ = _maria_cancels(world)
        _cancel(world, appointment.id)
        someone = world.appointment(world.client("Sam", 300), local(18, 10))
        step = _cancel(world, someone.id, at=later(1))
        assert step.opening.origin_client_id != maria.id
        assert _offered(step)[0] == own.id  # priority 1 ranks first

    def test_a_declared_opening_belongs_to_no_one(self, world: World) -> None:
        _, _, own, _ = _maria_cancels(world)
        with world.make_uow() as uow:
            step = fill.declare_opening(
                uow=uow,
                provider_id=world.johnson.id,
                service_id=world.botox.id,
                starts_at=local(18, 14),
                actor="staff",
                now=NOW,
                policy=world.policy,
            )
            uow.commit()
        assert step.opening.origin_client_id is None
        assert _offered(step)[0] == own.id

    def test_staff_may_offer_them_their_own_slot(self, world: World) -> None:
        maria, appointment, own, behind = _maria_cancels(world)
        step = _cancel(world, appointment.id)
        _decline(world, behind[0].id, later(1))
        with world.make_uow() as uow:
            offer = offers.offer_appointment(
                uow=uow,
                entry_id=own.id,
                appointment_id=appointment.id,
                actor="staff",
                now=later(2),
                policy=world.policy,
            )
            uow.commit()
        assert (offer.opening_id, offer.client_id) == (step.opening.id, maria.id)
        assert _status(world, own.id) is EntryStatus.OFFERED

    def test_match_leaves_out_the_slot_they_cancelled(self, world: World) -> None:
        _, appointment, own, behind = _maria_cancels(world)

        def starts(entry: WaitlistEntry) -> set[str]:
            with world.make_uow() as uow:
                found = slots.find_matching_slots(
                    uow=uow,
                    entry_id=entry.id,
                    now=NOW,
                    start_date=date(2026, 2, 17),
                    end_date=date(2026, 2, 17),
                    limit=20,
                )
            return {
                s["start"]
                for g in found
                if g["provider_id"] == world.johnson.id
                for s in g["slots"]
            }

        ten = "2026-02-17T15:00:00Z"  # 10:00 in New York
        assert ten not in starts(own)  # booked: not free
        _cancel(world, appointment.id)
        assert ten not in starts(own)  # free now, but it is the slot Maria gave up
        assert ten in starts(behind[0])  # anyone else is shown it
        assert "2026-02-17T16:00:00Z" in starts(own)  # the rest of the day is hers to take
