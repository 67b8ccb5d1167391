"""The outbox at send time: retries with backoff, permanent errors, quiet hours and caps,
checked again when each text is sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from core import offers
from core.dispatch import MAX_ATTEMPTS, dispatch_outbox, retry_after
from core.errors import Conflict
from core.model import Client, MessageStatus, OfferStatus
from core.policy import Policy
from core.ports import SendResult, UnitOfWork
from tests.scenario import NOW, World, build_world, later, local
from tests.unit.fakes import RecordingSender

POLICY = Policy(batch_size=1, cap_per_day=0, cap_per_week=0)


@pytest.fixture
def world(uow_factory: Callable[[], UnitOfWork]) -> World:
    return build_world(uow_factory, POLICY)


def _fill(world: World, *names: str) -> list[Client]:
    clients = [world.client(name, 200 + i) for i, name in enumerate(names)]
    for i, client in enumerate(clients):
        world.entry(client, at=NOW - timedelta(minutes=len(clients) - i))
    appointment = world.appointment(world.client("Holder", 9000), local(17, 10))
    with world.make_uow() as uow:
        from core.fill import handle_cancellation

        handle_cancellation(
            uow=uow, appointment_id=appointment.id, actor="staff", now=NOW, policy=world.policy
        )
        uow.commit()
    return clients


def _dispatch(world: World, sender: RecordingSender, minutes: float = 0) -> int:
    now = NOW + timedelta(minutes=minutes)
    return dispatch_outbox(uow_factory=world.make_uow, sender=sender, now=now, policy=world.policy)


def _messages(world: World, client: Client) -> list[tuple[str, MessageStatus, str | None]]:
    with world.make_uow() as uow:
        found = uow.messages.for_client(client.id or 0)
    return [(m.kind, m.status, m.error_code) for m in reversed(found)]


def test_a_transient_failure_waits_its_backoff_and_is_then_sent_once(world: World) -> None:
    [ana] = _fill(world, "Ana")
    sender = RecordingSender([SendResult(ok=False, error_code="503")])
    assert _dispatch(world, sender) == 0
    assert _messages(world, ana) == [("offer", MessageStatus.QUEUED, "503")]
    assert _dispatch(world, sender, minutes=0.25) == 0  # before the 30 s backoff
    assert len(sender.sent) == 1
    assert _dispatch(world, sender, minutes=1) == 1
    assert len(sender.sent) == 2
    assert _messages(world, ana) == [("offer", MessageStatus.SENT, None)]


def test_backoff_doubles_up_to_a_ceiling() -> None:
    waits = [retry_after(n).total_seconds() for n in range(1, 8)]
    assert waits == [30, 60, 120, 240, 480, 900, 900]


def test_a_text_that_never_gets_through_fails_its_offer_and_the_fill_moves_on(
    world: World,
) -> None:
    ana, ben = _fill(world, "Ana", "Ben")
    sender = RecordingSender([SendResult(ok=False, error_code="500")] * MAX_ATTEMPTS)
    for attempt in range(MAX_ATTEMPTS):
        _dispatch(world, sender, minutes=20 * attempt)  # each wait is at most 15 minutes
    assert len(sender.sent) == MAX_ATTEMPTS
    assert _messages(world, ana)[0][1] is MessageStatus.FAILED
    assert [k for k, _, _ in _messages(world, ben)] == ["offer"]


def test_an_opted_out_error_marks_the_client_and_offers_the_next_candidate(
    world: World,
) -> None:
    ana, ben = _fill(world, "Ana", "Ben")
    sender = RecordingSender([SendResult(ok=False, error_code="21610", permanent_error=True)])
    _dispatch(world, sender)
    with world.make_uow() as uow:
        client = uow.clients.get(ana.id or 0)
        offer = uow.offers.latest_for_client(ana.id or 0)
    assert (
        client is not None and client.sms_opt_out and client.opt_out_text == "carrier error 21610"
    )
    assert offer is not None and offer.status is OfferStatus.FAILED
    _dispatch(world, sender)
    assert [m.phone for m in sender.sent] == [ana.phone, ben.phone]


def test_a_bad_number_error_marks_the_phone_invalid(world: World) -> None:
    [ana] = _fill(world, "Ana")
    sender = RecordingSender([SendResult(ok=False, error_code="21211", permanent_error=True)])
    _dispatch(world, sender)
    with world.make_uow() as uow:
        client = uow.clients.get(ana.id or 0)
    assert client is not None and client.phone_invalid and not client.sms_opt_out


def test_an_opt_out_after_queueing_stops_the_text_at_send_time(world: World) -> None:
    ana, ben = _fill(world, "Ana", "Ben")
    with world.make_uow() as uow:
        client = uow.clients.get(ana.id or 0)
        assert client is not None
        client.sms_opt_out = True
        uow.clients.save(client)
        uow.commit()
    sender = RecordingSender()
    _dispatch(world, sender)
    _dispatch(world, sender)
    assert [m.phone for m in sender.sent] == [ben.phone]
    assert _messages(world, ana) == [("offer", MessageStatus.CANCELLED, "opted_out")]


def test_follow_up_texts_wait_for_the_end_of_quiet_hours(world: World) -> None:
    [ana] = _fill(world, "Ana")
    sender = RecordingSender()
    _dispatch(world, sender)
    with world.make_uow() as uow:
        offer = uow.offers.latest_for_client(ana.id or 0)
        assert offer is not None
        offers.decline_offer(
            uow=uow, entry_id=offer.entry_id, actor="patient", now=later(1), policy=world.policy
        )
        uow.commit()
    evening = local(16, 21, 30)
    # The acknowledgement of a NO answers the patient: it goes out at once, at any hour.
    assert dispatch_outbox(
        uow_factory=world.make_uow, sender=sender, now=evening, policy=world.policy
    )
    withdrawn = _queue_follow_up(world, ana, "lapsed")
    assert not dispatch_outbox(
        uow_factory=world.make_uow, sender=sender, now=evening, policy=world.policy
    )
    assert dispatch_outbox(
        uow_factory=world.make_uow, sender=sender, now=local(17, 8, 1), policy=world.policy
    )
    assert sender.sent[-1].id == withdrawn


def _queue_follow_up(world: World, client: Client, kind: str) -> int:
    from core.outbox import queue_sms

    with world.make_uow() as uow:
        message = queue_sms(
            uow, client=client, clinic_id=world.clinic.id, kind=kind, body="x", now=NOW
        )
        uow.commit()
    assert message is not None and message.id is not None
    return message.id


def test_an_offer_reaching_quiet_hours_unsent_is_cancelled_and_the_fill_waits(
    world: World,
) -> None:
    ana, ben = _fill(world, "Ana", "Ben")
    sender = RecordingSender()
    night = local(16, 22)
    dispatch_outbox(uow_factory=world.make_uow, sender=sender, now=night, policy=world.policy)
    assert sender.sent == []
    assert _messages(world, ana) == [("offer", MessageStatus.CANCELLED, "quiet_hours")]
    assert _messages(world, ben) == []  # deferred to the morning, not texted at night


def test_staff_cannot_offer_beyond_the_daily_cap(world: World) -> None:
    world.policy = Policy(batch_size=1, cap_per_day=1, cap_per_week=3)
    [ana] = _fill(world, "Ana")
    with world.make_uow() as uow:
        offer = uow.offers.latest_for_client(ana.id or 0)
        assert offer is not None
        offers.decline_offer(
            uow=uow, entry_id=offer.entry_id, actor="patient", now=later(1), policy=world.policy
        )
        uow.commit()
    second = world.appointment(world.client("Other", 9001), local(18, 10))
    with world.make_uow() as uow:
        from core.fill import handle_cancellation

        handle_cancellation(
            uow=uow, appointment_id=second.id, actor="staff", now=later(2), policy=world.policy
        )
        uow.commit()
    with world.make_uow() as uow, pytest.raises(Conflict) as refused:
        offers.offer_appointment(
            uow=uow,
            entry_id=offer.entry_id,
            appointment_id=second.id,
            actor="staff",
            now=later(3),
            policy=world.policy,
        )
    assert refused.value.message == (
        "Ana has had 1 offer today already, the most the contact caps allow."
    )


def test_texts_held_back_do_not_hide_the_ones_queued_behind_them(world: World) -> None:
    """ "The slot is gone" texts wait out a grace; a pass that reads only the oldest queued
    must still find the offers and confirmations queued after them."""
    from core.outbox import queue_sms

    ana = world.client("Ana", 300)
    with world.make_uow() as uow:
        for i in range(4):
            queue_sms(uow, client=ana, clinic_id=None, kind="withdrawn", body=f"gone {i}", now=NOW)
        queue_sms(uow, client=ana, clinic_id=None, kind="booked", body="booked", now=NOW)
        uow.commit()
    sender = RecordingSender()
    soon = NOW + timedelta(seconds=5)
    assert (
        dispatch_outbox(
            uow_factory=world.make_uow, sender=sender, now=soon, policy=world.policy, limit=2
        )
        == 1
    )
    assert [m.body for m in sender.sent] == ["booked"]
    assert _dispatch(world, sender, minutes=1) == 4  # past the grace, the held ones go too
