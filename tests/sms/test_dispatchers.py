"""Several dispatchers on one outbox (`waitlist serve --workers N` runs one per process):
every text goes out exactly once, and they share the work."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from core.dispatch import dispatch_outbox
from core.lease import Finding
from core.model import Clinic, Message, MessageStatus
from core.outbox import queue_sms
from core.policy import Policy
from core.ports import SendResult, UnitOfWork
from tests.scenario import NOW, build_world

POLICY = Policy(cap_per_day=0, cap_per_week=0)
TEXTS = 60
DISPATCHERS = 3


class SharedSender:
    """Records which dispatcher sent which message; a send takes a moment, as Twilio's do."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int]] = []
        self.lock = threading.Lock()

    def send(self, message: Message, clinic: Clinic | None = None) -> SendResult:
        threading.Event().wait(0.002)
        with self.lock:
            self.sent.append((threading.current_thread().name, message.id or 0))
        return SendResult(ok=True, provider_sid=f"SM{message.id:032d}")

    def lookup(self, message: Message, *, since: datetime) -> Finding:
        raise AssertionError("nothing is recovered here")


def test_dispatchers_at_once_send_each_text_exactly_once(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    world = build_world(uow_factory, POLICY)
    clients = [world.client(f"P{n}", 100 + n) for n in range(TEXTS)]
    with uow_factory() as uow:
        for client in clients:
            queue_sms(uow, client=client, clinic_id=None, kind="booked", body="See you", now=NOW)
        uow.commit()
    sender = SharedSender()
    start = threading.Barrier(DISPATCHERS)
    counts: dict[str, int] = {}

    def dispatch() -> None:
        start.wait()
        counts[threading.current_thread().name] = dispatch_outbox(
            uow_factory=uow_factory, sender=sender, now=NOW, policy=POLICY
        )

    threads = [threading.Thread(target=dispatch, name=f"d{n}") for n in range(DISPATCHERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    sent = Counter(message_id for _, message_id in sender.sent)
    assert len(sent) == TEXTS and set(sent.values()) == {1}  # each once, none left
    assert sum(counts.values()) == TEXTS  # each dispatcher counts what it sent
    with uow_factory() as uow:
        statuses = {m.status for c in clients for m in uow.messages.for_client(c.id or 0)}
    assert statuses == {MessageStatus.SENT}
    assert len({name for name, _ in sender.sent}) > 1  # they shared the work
