"""Claim, act, confirm — and recover what a crash left claimed.

A step that acts on the outside world (texting a patient, calling a webhook) is claimed in
a transaction of its own, done outside any transaction, then confirmed. A process that dies
between the claim and the confirmation leaves the claim behind. Once the claim's lease has
run out, `recover_claims` asks the outside world whether the act happened, then confirms it or
releases the claim for another try: never both, so nothing is done twice and nothing is lost.
The lease must outlast the longest a live process can take to act, or a slow act could be
released and done again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")


class Verdict(StrEnum):
    """What the outside world says about a claimed act."""

    HAPPENED = "happened"  # it has it: confirm the claim
    NEVER = "never"  # it never got it: release the claim for another try
    UNKNOWN = "unknown"  # it could not be asked: leave the claim for the next sweep


@dataclass(frozen=True)
class Finding:
    """The outside world's answer about one claimed act."""

    verdict: Verdict
    reference: str | None = None  # its id for the act, when it happened (e.g. a message sid)


@dataclass(frozen=True)
class Lease:
    duration: timedelta

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError("a lease must last some time")

    def expired_before(self, now: datetime) -> datetime:
        """Claims made before this moment have outlived their lease."""
        return now - self.duration


@dataclass
class Recovery:
    """What one recovery pass did, for the sweep's summary."""

    confirmed: int = 0
    released: int = 0
    unresolved: int = 0


def recover_claims(
    *,
    stale: Callable[[], Sequence[T]],
    ask: Callable[[T], Finding],
    settle: Callable[[T, Finding], bool],
) -> Recovery:
    """Settle every claim `stale()` returns: `ask` (outside any transaction) whether its act
    happened, then `settle` it in a transaction of its own. `settle` must be a compare-and-set
    on the claim itself, so that two instances recovering the same claim settle it once; it
    returns False when the claim had already moved on."""
    recovery = Recovery()
    for claim in stale():
        finding = ask(claim)
        if finding.verdict is Verdict.UNKNOWN:
            recovery.unresolved += 1
        elif settle(claim, finding):
            if finding.verdict is Verdict.HAPPENED:
                recovery.confirmed += 1
            else:
                recovery.released += 1
    return recovery
