"""Message statuses move forward only, decided by the database (compare-and-set), on SQLite
and PostgreSQL: a delivery report that arrives while the send is in flight survives the
send's return, and a lost claim is settled once, by asking the gateway first."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from core.delivery import record_delivery
from core.dispatch import dispatch_outbox
from core.lease import Finding, Lease, Verdict
from core.model import Client, Clinic, Message, MessageStatus, OfferStatus
from core.outbox import MESSAGE_RECOVERED, earlier, recover_sends
from core.policy import Policy
from core.ports import SendResult, UnitOfWork
from tests.scenario import NOW, World, build_world, local
from tests.unit.fakes import RecordingSender

POLICY = Policy(batch_size=1, cap_per_day=0, cap_per_week=0)
LEASE = Lease(timedelta(minutes=2))


@pytest.fixture
def world(uow_factory: Callable[[], UnitOfWork]) -> World:
    return build_world(uow_factory, POLICY)


def _offer_to(world: World, *names: str) -> list[Client]:
    from core.fill import handle_cancellation

    clients = [world.client(name, 300 + i) for i, name in enumerate(names)]
    for i, client in enumerate(clients):
        world.entry(client, at=NOW - timedelta(minutes=len(clients) - i))
    appointment = world.appointment(world.client("Holder", 9000), local(17, 10))
    with world.make_uow() as uow:
        handle_cancellation(
            uow=uow, appointment_id=appointment.id, actor="staff", now=NOW, policy=POLICY
        )
        uow.commit()
    return clients


def _offer_message(world: World, client: Client) -> Message:
    with world.make_uow() as uow:
        [message] = [m for m in uow.messages.for_client(client.id or 0) if m.kind == "offer"]
    return message


def _report(world: World, message: Message, status: str, code: str | None = None) -> bool:
    with world.make_uow() as uow:
        changed = record_delivery(
            uow=uow,
            message_id=message.id,
            provider_sid=None,
            status=status,
            error_code=code,
            now=NOW,
            policy=POLICY,
        )
        uow.commit()
    return changed


class ReportingSender(RecordingSender):
    """A gateway whose delivery report reaches us before its answer to the send does."""

    def __init__(self, world: World, status: str, code: str | None = None) -> None:
        super().__init__()
        self.world, self.status, self.code = world, status, code

    def send(self, message: Message, clinic: Clinic | None = None) -> SendResult:
        result = super().send(message, clinic)
        assert _report(self.world, message, self.status, self.code)
        return result


def _dispatch(world: World, sender: RecordingSender) -> int:
    return dispatch_outbox(uow_factory=world.make_uow, sender=sender, now=NOW, policy=POLICY)


def test_a_delivered_report_during_the_send_survives_the_send_returning(world: World) -> None:
    [ana] = _offer_to(world, "Ana")
    assert _dispatch(world, ReportingSender(world, "delivered")) == 1
    message = _offer_message(world, ana)
    assert message.status is MessageStatus.DELIVERED
    assert message.provider_sid == "SM" + "0" * 31 + "1"  # filled in by the send's answer
    assert message.sent_at == NOW


def test_a_failed_report_during_the_send_stays_failed_and_moves_the_fill_on(
    world: World,
) -> None:
    ana, ben = _offer_to(world, "Ana", "Ben")
    _dispatch(world, ReportingSender(world, "failed", "30003"))
    assert _offer_message(world, ana).status is MessageStatus.FAILED
    with world.make_uow() as uow:
        first = uow.offers.get(_offer_message(world, ana).offer_id or 0)
        assert first is not None
        offers = {o.client_id: o.status for o in uow.offers.for_opening(first.opening_id)}
    assert offers[ana.id] is OfferStatus.FAILED
    assert offers[ben.id] is OfferStatus.PENDING  # the next candidate got the offer


def test_a_late_sent_report_does_not_undo_delivered(world: World) -> None:
    [ana] = _offer_to(world, "Ana")
    _dispatch(world, RecordingSender())
    message = _offer_message(world, ana)
    assert _report(world, message, "delivered")
    assert not _report(world, message, "sent")
    assert not _report(world, message, "queued")
    assert not _report(world, message, "undelivered")
    assert _offer_message(world, ana).status is MessageStatus.DELIVERED


def test_statuses_only_move_forward_whatever_order_the_writes_come_in() -> None:
    assert earlier(MessageStatus.QUEUED) == frozenset()
    assert earlier(MessageStatus.SENT) == {MessageStatus.QUEUED, MessageStatus.SENDING}
    assert MessageStatus.DELIVERED not in earlier(MessageStatus.FAILED)
    assert MessageStatus.FAILED not in earlier(MessageStatus.DELIVERED)


def _claim(world: World, client: Client) -> Message:
    with world.make_uow() as uow:
        claimed = uow.messages.claim([_offer_message(world, client).id or 0], NOW)
        uow.commit()
    assert claimed is not None
    return claimed


def _recover(world: World, sender: RecordingSender, minutes: float) -> tuple[int, int, int]:
    done = recover_sends(
        uow_factory=world.make_uow,
        sender=sender,
        lease=LEASE,
        now=NOW + timedelta(minutes=minutes),
    )
    return done.confirmed, done.released, done.unresolved


def test_a_lost_claim_is_left_alone_until_its_lease_runs_out(world: World) -> None:
    [ana] = _offer_to(world, "Ana")
    _claim(world, ana)
    sender = RecordingSender()
    assert _recover(world, sender, minutes=1) == (0, 0, 0)
    assert _offer_message(world, ana).status is MessageStatus.SENDING


def test_a_lost_claim_the_gateway_never_got_is_queued_again_and_sent_once(world: World) -> None:
    [ana] = _offer_to(world, "Ana")
    _claim(world, ana)
    sender = RecordingSender()
    assert _recover(world, sender, minutes=3) == (0, 1, 0)
    message = _offer_message(world, ana)
    assert (message.status, message.attempts) == (MessageStatus.QUEUED, 0)
    later = NOW + timedelta(minutes=3)
    assert dispatch_outbox(uow_factory=world.make_uow, sender=sender, now=later, policy=POLICY)
    assert [m.id for m in sender.sent] == [message.id]
    with world.make_uow() as uow:
        events = [e for e in uow.events.list(limit=500) if e.kind == MESSAGE_RECOVERED]
    assert [e.data["outcome"] for e in events] == ["queued again"]


def test_a_lost_claim_the_gateway_has_is_marked_sent_and_not_sent_again(world: World) -> None:
    [ana] = _offer_to(world, "Ana")
    _claim(world, ana)
    sender = RecordingSender()
    sender.findings = [Finding(Verdict.HAPPENED, "SMfound")]
    assert _recover(world, sender, minutes=3) == (1, 0, 0)
    message = _offer_message(world, ana)
    assert (message.status, message.provider_sid) == (MessageStatus.SENT, "SMfound")
    assert _dispatch(world, sender) == 0 and sender.sent == []


def test_a_lost_claim_is_kept_while_the_gateway_cannot_be_asked(world: World) -> None:
    [ana] = _offer_to(world, "Ana")
    _claim(world, ana)
    sender = RecordingSender()
    sender.findings = [Finding(Verdict.UNKNOWN)]
    assert _recover(world, sender, minutes=3) == (0, 0, 1)
    assert _offer_message(world, ana).status is MessageStatus.SENDING


def test_an_answer_lost_with_the_gateway_unreachable_leaves_the_claim_for_recovery(
    world: World,
) -> None:
    [ana] = _offer_to(world, "Ana")
    sender = RecordingSender([SendResult(ok=False, error_code="timeout", in_doubt=True)])
    assert _dispatch(world, sender) == 0
    assert _offer_message(world, ana).status is MessageStatus.SENDING
    assert _dispatch(world, sender) == 0 and len(sender.sent) == 1  # not sent again meanwhile


def test_two_instances_recovering_the_same_claim_settle_it_once(world: World) -> None:
    [ana] = _offer_to(world, "Ana")
    _claim(world, ana)
    barrier = threading.Barrier(2)

    class SlowToAnswer(RecordingSender):
        def lookup(self, message: Message, *, since: object) -> Finding:  # type: ignore[override]
            barrier.wait(timeout=10)  # both have read the claim before either settles it
            return Finding(Verdict.NEVER)

    results: list[tuple[int, int, int]] = []
    threads = [
        threading.Thread(target=lambda: results.append(_recover(world, SlowToAnswer(), 3)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [(0, 0, 0), (0, 1, 0)]
    with world.make_uow() as uow:
        events = [e for e in uow.events.list(limit=500) if e.kind == MESSAGE_RECOVERED]
    assert len(events) == 1
