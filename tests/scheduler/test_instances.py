"""Several instances on one PostgreSQL database: three `waitlist worker` processes started
together run each sweep once per tick, as the Event log shows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine

from storage.uow import uow_factory
from tests.conftest import empty_tables

WORKERS = 3


def _job_runs(engine: Engine) -> list[tuple[str, str, str]]:
    with uow_factory(engine)() as uow:
        events = uow.events.list(limit=100_000)
    return [
        (e.data["job"], e.data["tick"], e.data["instance"]) for e in events if e.kind == "JobRan"
    ]


def _wait_until(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_three_workers_run_each_sweep_once_per_tick(
    postgres_shared: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = postgres_shared
    empty_tables(engine)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("WAITLIST_", "SLACK", "TWILIO"))
    }
    env["WAITLIST_DATABASE_URL"] = url
    logs = [tmp_path / f"worker{n}.log" for n in range(WORKERS)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "worker", "--every-seconds", "1"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )
        for log in logs
    ]
    try:
        _wait_until(
            lambda: all("scheduler started" in log.read_text() for log in logs),
            timeout=90,
            what="all workers to start",
        )
        started = len({tick for job, tick, _ in _job_runs(engine) if job == "sweep"})
        _wait_until(
            lambda: len({t for j, t, _ in _job_runs(engine) if j == "sweep"}) >= started + 5,
            timeout=60,
            what="five more sweep ticks",
        )
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [worker.wait(timeout=30) for worker in workers]
    assert codes == [0] * WORKERS, [log.read_text()[-2000:] for log in logs]
    assert all("scheduler stopped" in log.read_text() for log in logs)

    runs = _job_runs(engine)
    per_tick = Counter((job, tick) for job, tick, _ in runs)
    assert [key for key, count in per_tick.items() if count > 1] == []
    sweep_ticks = sorted(tick for job, tick in per_tick if job == "sweep")
    assert len(sweep_ticks) >= 5
