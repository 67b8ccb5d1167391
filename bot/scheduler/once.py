"""Each scheduled run happens once, however many instances fire it.

On PostgreSQL a job's runs are serialised by a transaction-scoped advisory lock; under it the
Event log is asked whether this run (job and tick) already happened, and a `JobRan` event is
written in the same transaction once it has. A second instance firing the same tick, even a
little late because of clock skew, waits for the lock, sees the event, and skips. SQLite
supports one process, so no lock is held there (a transaction would block the job's own
writes); the same Event check still makes a repeated run harmless.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import exists, func, select

from bot.runtime import Runtime
from core.audit import record
from storage.tables import EventRow
from storage.uow import SqlUnitOfWork

log = logging.getLogger("waitlist.scheduler")

JOB_RAN = "JobRan"
INSTANCE = f"{socket.gethostname()}:{os.getpid()}"


def lock_key(job: str) -> int:
    """A stable signed 64-bit key per job (Python's hash() differs between processes)."""
    digest = hashlib.sha256(f"waitlist.job.{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def already_ran(uow: SqlUnitOfWork, job: str, tick: str) -> bool:
    query = select(
        exists().where(
            EventRow.opening_id.is_(None),  # narrows to the (opening_id, kind) index
            EventRow.kind == JOB_RAN,
            EventRow.data["job"].as_string() == job,
            EventRow.data["tick"].as_string() == tick,
        )
    )
    return bool(uow.session.scalar(query))


def run_once(
    runtime: Runtime,
    job: str,
    tick: str,
    action: Callable[[], dict[str, Any]],
    *,
    now: datetime,
    actor: str = "scheduler",
) -> dict[str, Any] | None:
    """Run `action` unless `job` already ran for `tick`; its summary, or None if skipped."""
    postgres = runtime.engine.dialect.name == "postgresql"
    uow = cast(SqlUnitOfWork, runtime.make_uow())
    with uow:
        if postgres:
            uow.session.execute(select(func.pg_advisory_xact_lock(lock_key(job))))
        if already_ran(uow, job, tick):
            log.debug("job %s for %s already ran", job, tick)
            return None
        if not postgres:
            uow.rollback()  # SQLite transactions hold the write lock the job needs
        summary = action()
        record(
            uow,
            JOB_RAN,
            actor=actor,
            now=now,
            job=job,
            tick=tick,
            instance=INSTANCE,
            summary=summary,
        )
        uow.commit()
    return summary
