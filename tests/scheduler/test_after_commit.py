"""The sweep texts after its transaction commits: while its texts go out, the job's
advisory lock is free for the other instances (PostgreSQL), and what it queued is sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.scheduler.once import lock_key
from bot.scheduler.service import run_job
from core.model import Clinic, Message
from core.ports import SendResult
from tests.scenario import NOW, World, local
from tests.scheduler.conftest import Clock, cancel, seed
from tests.unit.fakes import RecordingSender


class LockProbe(RecordingSender):
    """Tries the sweep's advisory lock from another connection at each send."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        self.lock_free: list[bool] = []

    def send(self, message: Message, clinic: Clinic | None = None) -> SendResult:
        with self.runtime.engine.connect() as other:
            self.lock_free.append(
                bool(other.scalar(select(func.pg_try_advisory_xact_lock(lock_key("sweep")))))
            )
            other.rollback()
        super().send(message, clinic)
        return SendResult(ok=True, provider_sid=f"SMprobe{len(self.sent)}")


def test_the_sweep_sends_after_its_lock_is_released(
    world: World, runtime: Runtime, clock: Clock
) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    appointment, _ = seed(world, 5, local(17, 10))
    cancel(world, appointment)
    runtime.dispatch_now()  # the first three offers go out
    probe = LockProbe(runtime)
    runtime.sender = probe
    clock.now = NOW + timedelta(minutes=15)  # they lapse: the sweep offers the next two
    summary = run_job(runtime, "sweep", timezone="America/New_York")
    assert summary is not None and summary["offered"] == 2
    kinds = sorted(m.kind for m in probe.sent)
    assert kinds == ["lapsed"] * 3 + ["offer"] * 2 and summary["sent"] == 5
    assert probe.lock_free == [True] * 5
