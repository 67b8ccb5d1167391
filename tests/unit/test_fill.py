"""The fill engine of SPEC §4, on whatever unit of work the `world` fixture provides."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from core import entries, fill, offers
from core.dispatch import dispatch_outbox
from core.errors import Conflict, InvalidInput, NoPendingOffer, OfferExpired, SlotTaken
from core.model import EntryStatus, MessageStatus, OpeningStatus
from core.policy import Policy, QuietHours
from core.ports import SendResult
from tests.scenario import NOW, World, later, local
from tests.unit.fakes import RecordingSender


def _cancel(world: World, appt_id: int, at=NOW) -> fill.FillStep:
    with world.make_uow() as uow:
        step = fill.handle_cancellation(
            uow=uow, appointment_id=appt_id, actor="staff", now=at, policy=world.policy
        )
        uow.commit()
    return step


def _answer(world: World, verb, entry_id: int, at=NOW):
    with world.make_uow() as uow:
        result = verb(uow=uow, entry_id=entry_id, actor="client", now=at, policy=world.policy)
        uow.commit()
    return result


def _entry(world: World, entry_id: int):
    with world.make_uow() as uow:
        return uow.entries.get(entry_id)


def _seed(world: World, n: int = 5, **prefs):
    """n clients waiting for Botox, added a minute apart, plus Tue Feb 17 10:00 booked."""
    holder = world.client("Holder", 9999)
    appt = world.appointment(holder, local(17, 10))
    added = []
    for i in range(n):
        client = world.client(f"Client{i}", 1000 + i)
        added.append(
            world.entry(client, at=NOW - timedelta(days=1) + timedelta(minutes=i), **prefs)
        )
    return appt, added


class TestFill:
    def test_cancellation_offers_the_top_three_in_rank_order(self, world: World) -> None:
        appt, added = _seed(world)
        step = _cancel(world, appt.id)
        assert [o.entry_id for o in step.offered] == [e.id for e in added[:3]]
        assert step.opening.status is OpeningStatus.OPEN
        assert all(_entry(world, e.id).status is EntryStatus.OFFERED for e in added[:3])
        assert _entry(world, added[3].id).status is EntryStatus.WAITING

    def test_offer_text_names_clinic_first_name_time_and_expiry(self, world: World) -> None:
        appt, added = _seed(world, n=1)
        _cancel(world, appt.id)
        with world.make_uow() as uow:
            (message,) = [m for m in uow.messages.recent() if m.kind == "offer"]
        assert message.body == (
            "Glow Clinic: Hi Client0, a spot opened Tue Feb 17 10:00 AM. "
            "Reply YES to book or NO to pass. Expires 10:15 AM."
        )
        assert "Tester" not in message.body and len(message.body) <= 160

    def test_first_yes_books_and_the_others_are_told(self, world: World) -> None:
        appt, added = _seed(world)
        _cancel(world, appt.id)
        booking = _answer(world, offers.accept_offer, added[1].id, later(3))
        assert booking.opening.status is OpeningStatus.FILLED
        assert booking.appointment.scheduled_at == local(17, 10)
        assert _entry(world, added[1].id).status is EntryStatus.BOOKED
        assert _entry(world, added[1].id).booked_appointment_id == booking.appointment.id
        assert {o.entry_id for o in booking.withdrawn} == {added[0].id, added[2].id}
        for other in (added[0], added[2]):
            assert _entry(world, other.id).status is EntryStatus.WAITING
        with world.make_uow() as uow:
            kinds = sorted(m.kind for m in uow.messages.recent(100))
        assert kinds.count("withdrawn") == 2 and kinds.count("booked") == 1

    def test_second_yes_for_a_filled_opening_gets_slot_taken(self, world: World) -> None:
        appt, added = _seed(world)
        _cancel(world, appt.id)
        _answer(world, offers.accept_offer, added[0].id, later(1))
        with pytest.raises(SlotTaken, match="just taken"):
            _answer(world, offers.accept_offer, added[2].id, later(2))
        assert _entry(world, added[2].id).status is EntryStatus.WAITING

    def test_no_moves_the_fill_on_to_the_next_candidate(self, world: World) -> None:
        appt, added = _seed(world)
        _cancel(world, appt.id)
        step = _answer(world, offers.decline_offer, added[0].id, later(2))
        assert [o.entry_id for o in step.offered] == [added[3].id]
        assert _entry(world, added[0].id).status is EntryStatus.WAITING
        assert _entry(world, added[0].id).offered_at is None

    def test_declined_client_is_not_offered_the_same_opening_again(self, world: World) -> None:
        world.policy = Policy(batch_size=1)
        appt, added = _seed(world, n=2)
        step = _cancel(world, appt.id)
        _answer(world, offers.decline_offer, added[0].id, later(1))
        step = _answer(world, offers.decline_offer, added[1].id, later(2))
        assert step.offered == []

    def test_lapsed_offers_move_the_fill_on(self, world: World) -> None:
        world.policy = Policy(batch_size=1)
        appt, added = _seed(world, n=2)
        step = _cancel(world, appt.id)
        assert step.offered[0].expires_at == later(15)
        report = fill.sweep_fills(uow_factory=world.make_uow, now=later(14), policy=world.policy)
        assert report.lapsed == 0 and report.offered == 0
        report = fill.sweep_fills(uow_factory=world.make_uow, now=later(15), policy=world.policy)
        assert report.lapsed == 1 and report.offered == 1
        assert _entry(world, added[0].id).status is EntryStatus.WAITING
        assert _entry(world, added[1].id).status is EntryStatus.OFFERED

    def test_a_yes_after_the_hold_is_refused(self, world: World) -> None:
        appt, added = _seed(world, n=1)
        _cancel(world, appt.id)
        with pytest.raises(OfferExpired):
            _answer(world, offers.accept_offer, added[0].id, later(16))

    def test_hold_is_shortened_to_the_cutoff_and_the_opening_expires(self, world: World) -> None:
        holder = world.client("Holder", 9999)
        appt = world.appointment(holder, local(16, 11, 10))  # 70 minutes from NOW
        waiting = world.entry(world.client("Ann", 1001))
        step = _cancel(world, appt.id)
        assert step.offered[0].expires_at == local(16, 10, 10)  # cut-off: 60 min before
        report = fill.sweep_fills(uow_factory=world.make_uow, now=later(10), policy=world.policy)
        assert report.expired == 1
        with world.make_uow() as uow:
            opening = uow.openings.get(step.opening.id)
            kinds = [e.kind for e in uow.events.list(opening_id=opening.id)]
        assert opening.status is OpeningStatus.EXPIRED
        assert "OpeningExpired" in kinds
        assert _entry(world, waiting.id).status is EntryStatus.WAITING

    def test_quiet_hours_hold_offers_until_morning(self, world: World) -> None:
        holder = world.client("Holder", 9999)
        appt = world.appointment(holder, local(18, 14))
        waiting = world.entry(world.client("Ann", 1001))
        night = local(16, 22, 30)
        step = _cancel(world, appt.id, at=night)
        assert step.offered == [] and len(step.deferred) == 1
        report = fill.sweep_fills(
            uow_factory=world.make_uow, now=local(17, 7, 59), policy=world.policy
        )
        assert report.offered == 0
        report = fill.sweep_fills(
            uow_factory=world.make_uow, now=local(17, 8, 0), policy=world.policy
        )
        assert report.offered == 1
        assert _entry(world, waiting.id).status is EntryStatus.OFFERED

    def test_quiet_hours_follow_the_clients_own_time_zone(self, world: World) -> None:
        holder = world.client("Holder", 9999)
        appt = world.appointment(holder, local(18, 14))
        world.entry(world.client("West", 1001, timezone="America/Los_Angeles"))
        east = world.entry(world.client("East", 1002))
        step = _cancel(world, appt.id, at=local(17, 8, 30))  # 05:30 in Los Angeles
        assert [o.entry_id for o in step.offered] == [east.id]
        assert len(step.deferred) == 1

    def test_opted_out_clients_are_skipped_and_the_skip_is_recorded(self, world: World) -> None:
        appt, added = _seed(world, n=2)
        with world.make_uow() as uow:
            client = uow.clients.get(added[0].client_id)
            client.sms_opt_out = True
            uow.clients.save(client)
            uow.commit()
        step = _cancel(world, appt.id)
        assert [o.entry_id for o in step.offered] == [added[1].id]
        with world.make_uow() as uow:
            skipped = [
                e
                for e in uow.events.list(opening_id=step.opening.id)
                if e.kind == "CandidateSkipped"
            ]
        assert [e.entry_id for e in skipped] == [added[0].id]
        assert skipped[0].data["reason"] == "opted out of texts"

    def test_priority_then_fewest_recent_offers_then_first_come(self, world: World) -> None:
        world.policy = Policy(batch_size=1, cap_per_day=0, cap_per_week=0)
        holder = world.client("Holder", 9999)
        first = world.appointment(holder, local(17, 10))
        second = world.appointment(holder, local(17, 13))
        early = world.entry(world.client("Early", 1001), at=NOW - timedelta(days=3))
        late = world.entry(world.client("Late", 1002), at=NOW - timedelta(days=2))
        urgent = world.entry(world.client("Urgent", 1003), at=NOW - timedelta(days=1), priority=1)
        assert _cancel(world, first.id).offered[0].entry_id == urgent.id
        assert _answer(world, offers.decline_offer, urgent.id, later(1)).offered[0].entry_id == (
            early.id
        )
        assert _answer(world, offers.decline_offer, early.id, later(2)).offered[0].entry_id == (
            late.id
        )
        _answer(world, offers.decline_offer, late.id, later(3))
        fresh = world.entry(world.client("Fresh", 1004), at=later(4))
        # Urgent has had an offer this week and still comes first: priority wins.
        assert _cancel(world, second.id, at=later(5)).offered[0].entry_id == urgent.id
        # Fresh joined last but has had no offer this week; Early and Late have had one.
        step = _answer(world, offers.decline_offer, urgent.id, later(6))
        assert step.offered[0].entry_id == fresh.id
        step = _answer(world, offers.decline_offer, fresh.id, later(7))
        assert step.offered[0].entry_id == early.id

    def test_daily_cap_keeps_a_client_from_a_second_offer_today(self, world: World) -> None:
        holder = world.client("Holder", 9999)
        first = world.appointment(holder, local(17, 10))
        second = world.appointment(holder, local(17, 13))
        ann = world.entry(world.client("Ann", 1001))
        _cancel(world, first.id)
        _answer(world, offers.decline_offer, ann.id, later(1))
        step = _cancel(world, second.id, at=later(2))
        assert step.offered == []

    def test_a_client_never_holds_two_pending_offers(self, world: World) -> None:
        world.policy = Policy(cap_per_day=0, cap_per_week=0)
        holder = world.client("Holder", 9999)
        first = world.appointment(holder, local(17, 10))
        second = world.appointment(holder, local(17, 13))
        ann = world.entry(world.client("Ann", 1001))
        world.entry(world.client("Ann", 1001 + 1))
        _cancel(world, first.id)
        step = _cancel(world, second.id, at=later(1))
        assert ann.id not in [o.entry_id for o in step.offered]

    def test_removing_an_offered_entry_withdraws_the_offer_and_moves_on(self, world: World) -> None:
        world.policy = Policy(batch_size=1)
        appt, added = _seed(world, n=2)
        _cancel(world, appt.id)
        with world.make_uow() as uow:
            entries.remove_from_waitlist(
                uow=uow, entry_id=added[0].id, actor="staff", now=later(1), policy=world.policy
            )
            uow.commit()
        assert _entry(world, added[0].id).status is EntryStatus.CANCELLED
        assert _entry(world, added[1].id).status is EntryStatus.OFFERED

    def test_yes_with_no_offer_changes_nothing(self, world: World) -> None:
        ann = world.entry(world.client("Ann", 1001))
        with pytest.raises(NoPendingOffer):
            _answer(world, offers.accept_offer, ann.id)
        assert _entry(world, ann.id).status is EntryStatus.WAITING

    def test_cancelling_twice_is_a_clear_conflict(self, world: World) -> None:
        appt, _ = _seed(world, n=1)
        step = _cancel(world, appt.id)
        with pytest.raises(Conflict, match=f"already cancelled .opening {step.opening.ref}"):
            _cancel(world, appt.id)

    def test_failed_offer_sms_moves_the_fill_on(self, world: World) -> None:
        world.policy = Policy(batch_size=1)
        appt, added = _seed(world, n=2)
        _cancel(world, appt.id)
        sender = RecordingSender([SendResult(ok=False, error_code="21610", permanent_error=True)])
        dispatch_outbox(
            uow_factory=world.make_uow, sender=sender, now=later(1), policy=world.policy
        )
        with world.make_uow() as uow:
            client = uow.clients.get(added[0].client_id)
            (failed,) = [m for m in uow.messages.recent() if m.status is MessageStatus.FAILED]
        assert client.sms_opt_out and failed.error_code == "21610"
        assert _entry(world, added[0].id).status is EntryStatus.WAITING
        assert _entry(world, added[1].id).status is EntryStatus.OFFERED

    def test_outbox_sends_each_message_once(self, world: World) -> None:
        appt, _ = _seed(world, n=3)
        _cancel(world, appt.id)
        sender = RecordingSender()
        assert (
            dispatch_outbox(
                uow_factory=world.make_uow, sender=sender, now=later(1), policy=world.policy
            )
            == 3
        )
        assert (
            dispatch_outbox(
                uow_factory=world.make_uow, sender=sender, now=later(2), policy=world.policy
            )
            == 0
        )
        assert len(sender.sent) == 3

    def test_nothing_is_sent_to_a_client_who_opted_out_after_queueing(self, world: World) -> None:
        world.policy = Policy(batch_size=1)
        appt, added = _seed(world, n=2)
        _cancel(world, appt.id)
        with world.make_uow() as uow:
            client = uow.clients.get(added[0].client_id)
            client.sms_opt_out = True
            uow.clients.save(client)
            uow.commit()
        sender = RecordingSender()
        dispatch_outbox(
            uow_factory=world.make_uow, sender=sender, now=later(1), policy=world.policy
        )
        assert all(m.client_id != added[0].client_id for m in sender.sent)
        assert _entry(world, added[1].id).status is EntryStatus.OFFERED

    def test_quiet_hours_setting_can_be_turned_off(self, world: World) -> None:
        world.policy = Policy(quiet_hours=None)
        holder = world.client("Holder", 9999)
        appt = world.appointment(holder, local(18, 14))
        world.entry(world.client("Ann", 1001))
        assert len(_cancel(world, appt.id, at=local(16, 23)).offered) == 1

    def test_wrapping_quiet_hours(self) -> None:
        quiet = QuietHours(time(21), time(8))
        assert quiet.contains(local(16, 21), "America/New_York")
        assert quiet.contains(local(17, 7, 59), "America/New_York")
        assert not quiet.contains(local(17, 8), "America/New_York")


class TestManualOffers:
    def test_staff_offer_a_cancelled_slot_to_a_chosen_entry(self, world: World) -> None:
        world.policy = Policy(batch_size=1)
        appt, added = _seed(world, n=3)
        _cancel(world, appt.id)  # the fill offers added[0]
        with world.make_uow() as uow:
            offer = offers.offer_appointment(
                uow=uow,
                entry_id=added[2].id,
                appointment_id=appt.id,
                actor="staff",
                now=later(1),
                policy=world.policy,
            )
            uow.commit()
        entry = _entry(world, added[2].id)
        assert entry.status is EntryStatus.OFFERED
        assert (entry.offered_appointment_id, entry.offered_at) == (appt.id, later(1))
        assert offer.expires_at == later(16)
        booking = _answer(world, offers.accept_offer, added[2].id, later(2))
        assert booking.entry.booked_at == later(2)
        assert [o.entry_id for o in booking.withdrawn] == [added[0].id]

    def test_a_booked_appointment_cannot_be_offered(self, world: World) -> None:
        appt, added = _seed(world, n=1)
        with (
            pytest.raises(Conflict, match="still booked. Cancel it first"),
            world.make_uow() as uow,
        ):
            offers.offer_appointment(
                uow=uow,
                entry_id=added[0].id,
                appointment_id=appt.id,
                actor="staff",
                now=NOW,
                policy=world.policy,
            )
        assert _entry(world, added[0].id).status is EntryStatus.WAITING

    def test_an_entry_with_a_pending_offer_cannot_get_another(self, world: World) -> None:
        appt, added = _seed(world, n=1)
        _cancel(world, appt.id)
        with pytest.raises(Conflict, match="already has a pending offer"), world.make_uow() as uow:
            offers.offer_appointment(
                uow=uow,
                entry_id=added[0].id,
                appointment_id=appt.id,
                actor="staff",
                now=NOW,
                policy=world.policy,
            )

    def test_no_manual_offer_in_quiet_hours(self, world: World) -> None:
        appt, added = _seed(world, n=1)
        night = local(16, 22)
        _cancel(world, appt.id, at=night)
        with (
            pytest.raises(Conflict, match="quiet hours for Client0.*Tue Feb 17 8:00 AM"),
            world.make_uow() as uow,
        ):
            offers.offer_appointment(
                uow=uow,
                entry_id=added[0].id,
                appointment_id=appt.id,
                actor="staff",
                now=night,
                policy=world.policy,
            )

    def test_staff_declared_opening_is_filled_like_a_cancellation(self, world: World) -> None:
        ann = world.entry(world.client("Ann", 1001))
        with world.make_uow() as uow:
            step = fill.declare_opening(
                uow=uow,
                provider_id=world.lee.id,
                service_id=world.botox.id,
                starts_at=local(18, 15),
                actor="staff",
                now=NOW,
                policy=world.policy,
            )
            uow.commit()
        assert step.opening.origin_appointment_id is None
        assert step.opening.ends_at == local(18, 16)
        assert [o.entry_id for o in step.offered] == [ann.id]

    def test_a_declared_opening_must_be_free_and_in_the_future(self, world: World) -> None:
        holder = world.client("Holder", 9999)
        booked = world.appointment(holder, local(18, 15), provider=world.lee)
        with (
            pytest.raises(Conflict, match=f"already has {booked.ref} booked"),
            world.make_uow() as uow,
        ):
            fill.declare_opening(
                uow=uow,
                provider_id=world.lee.id,
                service_id=world.botox.id,
                starts_at=local(18, 15, 30),
                actor="s",
                now=NOW,
                policy=world.policy,
            )
        with pytest.raises(InvalidInput, match="future"), world.make_uow() as uow:
            fill.declare_opening(
                uow=uow,
                provider_id=world.lee.id,
                service_id=world.botox.id,
                starts_at=NOW - timedelta(hours=1),
                actor="s",
                now=NOW,
                policy=world.policy,
            )
