"""The one place a transaction is committed: `run_in_transaction` runs a piece of work in a
unit of work, commits it, and runs it again from the start when the database gives up on it
for reasons of concurrency alone (a deadlock, a serialization failure, a busy SQLite file).

Every entrypoint (Slack, SMS, REST, scheduler, CLI) calls it; none calls `commit()` itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

from core.ports import UnitOfWork

T = TypeVar("T")
RETRIES = 5  # the work is all or nothing, so running it again is safe
_PAUSE_SECONDS = 0.05  # times the attempt number: waiters spread out


def run_in_transaction(
    make_uow: Callable[[], UnitOfWork],
    work: Callable[[UnitOfWork], T],
    *,
    retries: int = RETRIES,
) -> T:
    """`work(uow)` in a new transaction, committed if it returns; rolled back if it raises,
    and run again (at most `retries` times in all) if the database refused it over a
    conflict with another transaction. Returns what `work` returned."""
    for attempt in range(1, retries + 1):
        try:
            with make_uow() as uow:
                result = work(uow)
                uow.commit()
            return result
        except DBAPIError as exc:
            if attempt == retries or not worth_retrying(exc):
                raise
            time.sleep(_PAUSE_SECONDS * attempt)
    raise ValueError("retries must be at least 1")


def worth_retrying(exc: DBAPIError) -> bool:
    """PostgreSQL deadlock or serialization failure, or SQLite's busy database."""
    code = getattr(exc.orig, "sqlstate", None)
    return code in ("40001", "40P01") or "database is locked" in str(exc.orig)
