"""Who gets an offer first (SPEC §3): priority, then fewest recent offers, then first come."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from core.matching import entry_fits
from core.model import Client, EntryStatus, Offer, OfferStatus, WaitlistEntry
from core.policy import Policy
from core.ports import Candidate, CandidateQuery, SlotSpec

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Best first (SPEC §3): each term ascending. "offers_this_week" and "offers_today" are counts
# of the client's recent offers (COUNTS); every other term is a field of the entry, which
# storage keeps in a column of the same name. storage compiles this to ORDER BY.
RANK_ORDER: tuple[str, ...] = ("priority", "offers_this_week", "created_at", "id")
COUNTS = ("offers_this_week", "offers_today")
# Contact caps (SPEC §3): (the count, the CandidateQuery field with its cap; 0 = no cap).
CAPS: tuple[tuple[str, str], ...] = (
    ("offers_today", "cap_per_day"),
    ("offers_this_week", "cap_per_week"),
)


def rank_value(candidate: Candidate, term: str) -> Any:
    if term in COUNTS:
        return getattr(candidate, term)
    value = getattr(candidate.entry, term)
    if value is None:
        return _EPOCH if term.endswith("_at") else 0
    return value


def rank_key(candidate: Candidate) -> tuple[Any, ...]:
    return tuple(rank_value(candidate, term) for term in RANK_ORDER)


def within_caps(candidate: Candidate, policy: Policy | CandidateQuery) -> bool:
    """Whether the client may get one more offer under the contact caps."""
    return all(
        not getattr(policy, cap) or getattr(candidate, count) < getattr(policy, cap)
        for count, cap in CAPS
    )


def rank(candidates: Iterable[Candidate], policy: Policy) -> list[Candidate]:
    """Candidates within the contact caps, best first, in a deterministic order."""
    return sorted((c for c in candidates if within_caps(c, policy)), key=rank_key)


def choose_candidates(
    entries: Iterable[WaitlistEntry],
    clients: Mapping[int, Client],
    offers: Sequence[Offer],
    query: CandidateQuery,
) -> list[Candidate]:
    """What `EntryRepository.candidates` answers, worked out in memory from every entry,
    client and offer: waiting entries that fit the slot, leaving out clients who hold a
    pending offer, entries already offered `exclude_opening_id`, `exclude_client_id` and
    clients at a cap; best first, at most `limit`."""
    pending = {o.client_id for o in offers if o.status is OfferStatus.PENDING}
    offered = {o.entry_id for o in offers if o.opening_id == query.exclude_opening_id}
    week: Counter[int] = Counter(
        o.client_id for o in offers if o.created_at and o.created_at >= query.week_since
    )
    day: Counter[int] = Counter(
        o.client_id for o in offers if o.created_at and o.created_at >= query.day_since
    )
    found = []
    for entry in entries:
        if entry.status is not EntryStatus.WAITING or not entry_fits(entry, query.slot, query.now):
            continue
        if entry.client_id in pending or entry.id in offered:
            continue
        if entry.client_id == query.exclude_client_id:
            continue
        candidate = Candidate(
            entry, clients[entry.client_id], week[entry.client_id], day[entry.client_id]
        )
        if within_caps(candidate, query):
            found.append(candidate)
    return sorted(found, key=rank_key)[: query.limit]


def candidate_query(
    slot: SlotSpec,
    *,
    now: datetime,
    policy: Policy,
    exclude_opening_id: int | None,
    limit: int,
    exclude_client_id: int | None = None,
) -> CandidateQuery:
    """The candidate search for a slot under a policy's fairness window and contact caps.
    `exclude_client_id`: the client whose cancelled appointment the slot is (an opening's
    `origin_client_id`), never offered it back."""
    return CandidateQuery(
        slot=slot,
        now=now,
        week_since=now - timedelta(days=policy.fairness_window_days),
        day_since=now - timedelta(days=1),
        cap_per_day=policy.cap_per_day,
        cap_per_week=policy.cap_per_week,
        exclude_opening_id=exclude_opening_id,
        limit=limit,
        exclude_client_id=exclude_client_id,
    )
