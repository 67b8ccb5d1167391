"""Who gets an offer first (SPEC §3): priority, then fewest recent offers, then first come."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from core.policy import Policy
from core.ports import Candidate

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def rank_key(candidate: Candidate) -> tuple[int, int, datetime, int]:
    entry = candidate.entry
    return (
        entry.priority,
        candidate.offers_this_week,
        entry.created_at or _EPOCH,
        entry.id or 0,
    )


def within_caps(candidate: Candidate, policy: Policy) -> bool:
    if policy.cap_per_day and candidate.offers_today >= policy.cap_per_day:
        return False
    return not (policy.cap_per_week and candidate.offers_this_week >= policy.cap_per_week)


def rank(candidates: Iterable[Candidate], policy: Policy) -> list[Candidate]:
    """Candidates within the contact caps, best first, in a deterministic order."""
    return sorted((c for c in candidates if within_caps(c, policy)), key=rank_key)
