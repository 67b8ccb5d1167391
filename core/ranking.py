"""Who gets an offer first (SPEC §3): priority, then fewest recent offers, then first come."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from core.policy import Policy
from core.ports import Candidate, CandidateQuery, SlotSpec

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


def candidate_query(
    slot: SlotSpec, *, now: datetime, policy: Policy, exclude_opening_id: int | None, limit: int
) -> CandidateQuery:
    """The candidate search for a slot under a policy's fairness window and contact caps."""
    return CandidateQuery(
        slot=slot,
        now=now,
        week_since=now - timedelta(days=policy.fairness_window_days),
        day_since=now - timedelta(days=1),
        cap_per_day=policy.cap_per_day,
        cap_per_week=policy.cap_per_week,
        exclude_opening_id=exclude_opening_id,
        limit=limit,
    )
