"""Idempotency keys: the first answer to a POST, kept per caller and key.

Each call is its own short transaction, apart from the work the POST does: a claim must be
visible to a racing request at once, before the work starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.tables import IdempotencyKeyRow


class Outcome(StrEnum):
    RUN = "run"  # this request holds the key: do the work, then complete or release
    REPLAY = "replay"  # the work was done: answer with the stored response
    MISMATCH = "mismatch"  # the key was used with another request
    BUSY = "busy"  # another request holding the key is still working


@dataclass(frozen=True)
class Claim:
    outcome: Outcome
    status_code: int | None = None
    body: str | None = None


class IdempotencyStore:
    def __init__(self, engine: Engine, *, keep: timedelta, lease: timedelta) -> None:
        self.engine = engine
        self.keep = keep  # how long a stored answer is replayed
        self.lease = lease  # how long a claim blocks others before it counts as abandoned

    def claim(self, caller: str, key: str, fingerprint: str, now: datetime) -> Claim:
        try:
            with self.engine.begin() as connection:
                # Answers older than `keep` no longer count: the key starts afresh.
                connection.execute(
                    delete(IdempotencyKeyRow).where(
                        IdempotencyKeyRow.caller == caller,
                        IdempotencyKeyRow.key == key,
                        IdempotencyKeyRow.created_at <= now - self.keep,
                    )
                )
                connection.execute(
                    insert(IdempotencyKeyRow).values(
                        caller=caller,
                        key=key,
                        fingerprint=fingerprint,
                        created_at=now,
                        claimed_at=now,
                    )
                )
            return Claim(Outcome.RUN)
        except IntegrityError:
            return self._existing(caller, key, fingerprint, now)

    def _existing(self, caller: str, key: str, fingerprint: str, now: datetime) -> Claim:
        with self.engine.begin() as connection:
            found = connection.execute(
                select(
                    IdempotencyKeyRow.fingerprint,
                    IdempotencyKeyRow.status_code,
                    IdempotencyKeyRow.response_body,
                    IdempotencyKeyRow.claimed_at,
                ).where(IdempotencyKeyRow.caller == caller, IdempotencyKeyRow.key == key)
            ).first()
            if found is None:  # released or expired in between: the caller tries again
                return Claim(Outcome.BUSY)
            if found.fingerprint != fingerprint:
                return Claim(Outcome.MISMATCH)
            if found.status_code is not None:
                return Claim(Outcome.REPLAY, found.status_code, found.response_body)
            if found.claimed_at > now - self.lease:
                return Claim(Outcome.BUSY)
            # The holder stopped without an answer (a crash): take the claim over, once.
            taken = connection.execute(
                update(IdempotencyKeyRow)
                .where(
                    IdempotencyKeyRow.caller == caller,
                    IdempotencyKeyRow.key == key,
                    IdempotencyKeyRow.status_code.is_(None),
                    IdempotencyKeyRow.claimed_at == found.claimed_at,
                )
                .values(claimed_at=now)
            )
            return Claim(Outcome.RUN if taken.rowcount == 1 else Outcome.BUSY)

    def complete(self, caller: str, key: str, status_code: int, body: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(IdempotencyKeyRow)
                .where(IdempotencyKeyRow.caller == caller, IdempotencyKeyRow.key == key)
                .values(status_code=status_code, response_body=body)
            )

    def release(self, caller: str, key: str) -> None:
        """Give the key back without an answer (the work failed and was rolled back)."""
        with self.engine.begin() as connection:
            connection.execute(
                delete(IdempotencyKeyRow).where(
                    IdempotencyKeyRow.caller == caller,
                    IdempotencyKeyRow.key == key,
                    IdempotencyKeyRow.status_code.is_(None),
                )
            )


def purge_idempotency_keys(engine: Engine, *, before: datetime) -> int:
    """Forget answers stored before `before` (the daily job): they are never replayed."""
    with engine.begin() as connection:
        gone = connection.execute(
            delete(IdempotencyKeyRow).where(IdempotencyKeyRow.created_at < before)
        )
        return int(gone.rowcount)
