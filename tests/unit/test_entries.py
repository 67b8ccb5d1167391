"""Entry operations of SPEC §2: validation, status machine, stats, expiry, matching slots."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from core import entries, fill, offers, slots
from core.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from core.model import EntryStatus, TimeSlot
from core.ports import EntryFilter
from tests.scenario import NOW, World, later, local


def _count(world: World) -> int:
    with world.make_uow() as uow:
        return uow.entries.list(EntryFilter(), limit=1000).total


class TestEntries:
    def test_add_keeps_every_preference(self, world: World) -> None:
        ann = world.client("Ann", 1001)
        entry = world.entry(
            ann,
            provider_ids=(world.johnson.id,),
            preferred_date_start=date(2026, 2, 17),
            preferred_date_end=date(2026, 2, 28),
            preferred_time_start=time(9),
            preferred_time_end=time(14),
            preferred_days=(5, 1, 3),
            notes="No weekends",
            priority=2,
            payment_type="SELF_PAY",
            expires_at=NOW + timedelta(days=10),
        )
        with world.make_uow() as uow:
            stored = uow.entries.get(entry.id)
        assert stored.ref == f"W-{entry.id}"
        assert stored.preferred_days == (1, 3, 5)
        assert stored.preferred_provider_id == world.johnson.id
        assert stored.status is EntryStatus.WAITING and stored.created_by == "test"
        assert stored.notes == "No weekends" and stored.priority == 2

    @pytest.mark.parametrize(
        ("prefs", "field", "message"),
        [
            (
                {"preferred_date_start": date(2026, 3, 2), "preferred_date_end": date(2026, 3, 1)},
                "preferred_date_end",
                "is before the start date",
            ),
            ({"preferred_days": (1, 7)}, "preferred_days", "0 .Sunday. to 6"),
            ({"preferred_days": (-1,)}, "preferred_days", "0 .Sunday. to 6"),
            (
                {"preferred_time_start": time(14), "preferred_time_end": time(9)},
                "preferred_time_end",
                "not after the earliest",
            ),
            ({"priority": 0}, "priority", "between 1"),
            ({"priority": 6}, "priority", "between 1"),
            ({"expires_at": NOW - timedelta(hours=1)}, "expires_at", "future"),
            ({"preferred_time_slots": ("NIGHT",)}, None, "Invalid preference"),
            ({"payment_type": "CASH"}, None, "Invalid preference"),
            ({"status": "booked"}, "status", "read-only"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_stored(
        self, world: World, prefs: dict, field: str | None, message: str
    ) -> None:
        ann = world.client("Ann", 1001)
        with pytest.raises(InvalidInput, match=message) as caught:
            world.entry(ann, **prefs)
        assert caught.value.field == field
        assert _count(world) == 0

    def test_unknown_client_service_and_provider(self, world: World) -> None:
        ann = world.client("Ann", 1001)
        with pytest.raises(NotFound, match="Client 999"), world.make_uow() as uow:
            entries.add_to_waitlist(uow=uow, client_id=999, actor="t", now=NOW)
        with pytest.raises(NotFound, match="Service 999"):
            world.entry(ann, service_id=999)
        with pytest.raises(NotFound, match="Provider 999"):
            world.entry(ann, provider_ids=(999,))
        assert _count(world) == 0

    def test_the_same_client_cannot_wait_twice_for_one_service(self, world: World) -> None:
        ann = world.client("Ann", 1001)
        first = world.entry(ann)
        with pytest.raises(Conflict, match=f"already on the waitlist .*{first.ref}"):
            world.entry(ann)
        world.entry(ann, service_id=world.filler.id)
        assert _count(world) == 2

    def test_update_changes_fields_and_records_before_and_after(self, world: World) -> None:
        entry = world.entry(world.client("Ann", 1001), preferred_date_end=date(2026, 2, 28))
        with world.make_uow() as uow:
            updated = entries.update_waitlist_entry(
                uow=uow,
                entry_id=entry.id,
                actor="staff",
                now=later(1),
                changes={"preferred_date_end": date(2026, 3, 15), "notes": "Weekends too"},
            )
            uow.commit()
        assert updated.preferred_date_end == date(2026, 3, 15)
        with world.make_uow() as uow:
            (event,) = [e for e in uow.events.list(entry_id=entry.id) if e.kind == "EntryUpdated"]
        assert event.data["before"]["preferred_date_end"] == "2026-02-28"
        assert event.data["after"]["notes"] == "Weekends too"
        assert event.actor == "staff"

    def test_update_with_bad_values_changes_nothing(self, world: World) -> None:
        entry = world.entry(world.client("Ann", 1001), preferred_date_start=date(2026, 2, 20))
        with pytest.raises(InvalidInput), world.make_uow() as uow:
            entries.update_waitlist_entry(
                uow=uow,
                entry_id=entry.id,
                actor="staff",
                now=NOW,
                changes={"preferred_date_end": date(2026, 2, 19)},
            )
        with world.make_uow() as uow:
            assert uow.entries.get(entry.id).preferred_date_end is None

    def test_final_statuses_stay_final(self, world: World) -> None:
        entry = world.entry(world.client("Ann", 1001))
        with world.make_uow() as uow:
            entries.remove_from_waitlist(
                uow=uow, entry_id=entry.id, actor="staff", now=NOW, policy=world.policy
            )
            uow.commit()
        with pytest.raises(IllegalTransition, match="already cancelled"), world.make_uow() as uow:
            entries.remove_from_waitlist(
                uow=uow, entry_id=entry.id, actor="staff", now=NOW, policy=world.policy
            )
        with pytest.raises(IllegalTransition, match="no longer be edited"), world.make_uow() as uow:
            entries.update_waitlist_entry(
                uow=uow, entry_id=entry.id, actor="s", now=NOW, changes={"notes": "x"}
            )
        with pytest.raises(IllegalTransition), world.make_uow() as uow:
            offers.accept_offer(uow=uow, entry_id=entry.id, actor="c", now=NOW, policy=world.policy)
        with world.make_uow() as uow:
            assert uow.entries.get(entry.id).status is EntryStatus.CANCELLED

    def test_unknown_entry_is_not_found(self, world: World) -> None:
        with pytest.raises(NotFound, match="W-404"), world.make_uow() as uow:
            entries.get_waitlist_entry(uow=uow, entry_id=404)
        with pytest.raises(NotFound), world.make_uow() as uow:
            offers.decline_offer(uow=uow, entry_id=404, actor="c", now=NOW, policy=world.policy)

    def test_get_waitlist_filters_by_one_or_many_statuses(self, world: World) -> None:
        a = world.entry(world.client("Ann", 1001))
        b = world.entry(world.client("Bob", 1002), service_id=world.filler.id)
        with world.make_uow() as uow:
            entries.remove_from_waitlist(
                uow=uow, entry_id=b.id, actor="s", now=NOW, policy=world.policy
            )
            uow.commit()
        with world.make_uow() as uow:
            waiting = entries.get_waitlist(
                uow=uow, filters=EntryFilter(statuses=(EntryStatus.WAITING,))
            )
            both = entries.get_waitlist(
                uow=uow, filters=EntryFilter(statuses=(EntryStatus.WAITING, EntryStatus.CANCELLED))
            )
            by_service = entries.get_waitlist(
                uow=uow, filters=EntryFilter(service_id=world.filler.id)
            )
        assert [e.id for e in waiting.items] == [a.id]
        assert both.total == 2
        assert [e.id for e in by_service.items] == [b.id]

    def test_stats_have_the_seed_shape(self, world: World) -> None:
        holder = world.client("Holder", 9999)
        appt = world.appointment(holder, local(17, 10))
        booked = world.entry(world.client("Ann", 1001), at=NOW - timedelta(days=4))
        world.entry(world.client("Bob", 1002), service_id=world.filler.id)
        with world.make_uow() as uow:
            fill.handle_cancellation(
                uow=uow, appointment_id=appt.id, actor="s", now=NOW, policy=world.policy
            )
            offers.accept_offer(
                uow=uow, entry_id=booked.id, actor="c", now=NOW, policy=world.policy
            )
            uow.commit()
        with world.make_uow() as uow:
            stats = entries.get_waitlist_stats(uow=uow)
        assert stats == {
            "counts": {"waiting": 1, "offered": 0, "booked": 1, "cancelled": 0, "expired": 0},
            "total": 2,
            "activeCount": 1,
            "conversionRate": 50,
            "averageWaitDays": 4.0,
        }

    def test_expire_old_entries_counts_and_is_idempotent(self, world: World) -> None:
        world.entry(world.client("Old", 1001), at=NOW - timedelta(days=40))
        world.entry(
            world.client("Due", 1002),
            at=NOW - timedelta(days=2),
            expires_at=NOW + timedelta(hours=1),
        )
        fresh = world.entry(world.client("New", 1003), at=NOW - timedelta(days=2))
        with world.make_uow() as uow:
            result = entries.expire_old_entries(
                uow=uow, days=30, now=later(60), policy=world.policy
            )
            uow.commit()
        assert result == {"expired": 2}
        with world.make_uow() as uow:
            assert entries.expire_old_entries(
                uow=uow, days=30, now=later(60), policy=world.policy
            ) == {"expired": 0}
            assert uow.entries.get(fresh.id).status is EntryStatus.WAITING
        with pytest.raises(InvalidInput), world.make_uow() as uow:
            entries.expire_old_entries(uow=uow, days=0, now=NOW, policy=world.policy)


class TestSlots:
    def test_matching_slots_are_grouped_by_date_and_provider(self, world: World) -> None:
        holder = world.client("Holder", 9999)
        world.appointment(holder, local(17, 10))
        entry = world.entry(
            world.client("Ann", 1001),
            provider_ids=(world.johnson.id,),
            preferred_time_start=time(9),
            preferred_time_end=time(12),
            preferred_days=(2, 4),
        )
        with world.make_uow() as uow:
            found = slots.find_matching_slots(
                uow=uow,
                entry_id=entry.id,
                now=NOW,
                start_date=date(2026, 2, 16),
                end_date=date(2026, 2, 20),
                limit=10,
            )
        assert found == [
            {
                "date": "2026-02-17",
                "provider_id": world.johnson.id,
                "provider_name": "Dr. Johnson",
                "slots": [
                    {"start": "2026-02-17T14:00:00Z", "end": "2026-02-17T15:00:00Z"},
                    {"start": "2026-02-17T16:00:00Z", "end": "2026-02-17T17:00:00Z"},
                ],
            },
            {
                "date": "2026-02-19",
                "provider_id": world.johnson.id,
                "provider_name": "Dr. Johnson",
                "slots": [
                    {"start": "2026-02-19T14:00:00Z", "end": "2026-02-19T15:00:00Z"},
                    {"start": "2026-02-19T15:00:00Z", "end": "2026-02-19T16:00:00Z"},
                    {"start": "2026-02-19T16:00:00Z", "end": "2026-02-19T17:00:00Z"},
                ],
            },
        ]

    def test_bookings_far_into_the_search_are_still_avoided(self, world: World) -> None:
        holder = world.client("Holder", 9999)
        for day in (19, 24):  # read in the second and third batches of days
            world.appointment(holder, local(day, 10))
        entry = world.entry(
            world.client("Ann", 1001),
            provider_ids=(world.johnson.id,),
            preferred_days=(2, 4),
            preferred_time_start=time(10),
            preferred_time_end=time(11),
        )
        with world.make_uow() as uow:
            found = slots.find_matching_slots(
                uow=uow,
                entry_id=entry.id,
                now=NOW,
                start_date=date(2026, 2, 16),
                end_date=date(2026, 2, 28),
                limit=10,
            )
        assert [g["date"] for g in found] == ["2026-02-17", "2026-02-26"]

    def test_matching_slots_never_in_the_past_and_respect_limit(self, world: World) -> None:
        entry = world.entry(world.client("Ann", 1001), preferred_time_slots=(TimeSlot.MORNING,))
        with world.make_uow() as uow:
            found = slots.find_matching_slots(uow=uow, entry_id=entry.id, now=NOW, limit=3)
        starts = [s["start"] for g in found for s in g["slots"]]
        assert len(starts) == 3
        assert starts[0] == "2026-02-16T16:00:00Z"  # 11:00 today; 10:00 has begun

    def test_matching_slots_bad_range(self, world: World) -> None:
        entry = world.entry(world.client("Ann", 1001))
        with pytest.raises(InvalidInput, match="before the start"), world.make_uow() as uow:
            slots.find_matching_slots(
                uow=uow,
                entry_id=entry.id,
                now=NOW,
                start_date=date(2026, 3, 2),
                end_date=date(2026, 3, 1),
            )
        with pytest.raises(InvalidInput, match="Limit"), world.make_uow() as uow:
            slots.find_matching_slots(uow=uow, entry_id=entry.id, now=NOW, limit=0)

    def test_notify_lists_clients_for_the_day_in_rank_order(self, world: World) -> None:
        ann = world.client("Ann", 1001, email="ann@example.com")
        first = world.entry(ann, preferred_days=(2,), at=NOW - timedelta(days=2))
        world.entry(world.client("Bob", 1002), preferred_days=(3,))
        urgent = world.entry(world.client("Cy", 1003), priority=1)
        with world.make_uow() as uow:
            result = slots.notify_waitlist_clients(
                uow=uow,
                service_id=world.botox.id,
                day=date(2026, 2, 17),
                now=NOW,
                policy=world.policy,
            )
        assert [c["id"] for c in result["clients"]] == [urgent.id, first.id]
        assert result["clients"][1]["client"] == {
            "id": ann.id,
            "first_name": "Ann",
            "last_name": "Tester",
            "email": "ann@example.com",
            "phone": "+16175551001",
        }
        assert result["message"] == "Found 2 clients to notify about availability on 2026-02-17"
