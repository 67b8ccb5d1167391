"""The measured operations: what the engine does, a naive way of doing it in Python, and a
hand-written SQL statement that is the floor for it. Each takes an open unit of work and one
input, and returns something comparable."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select, text

from bench.generate import CLINIC_ID, NOW, TIMEZONE, ZONE
from core.entries import get_waitlist, get_waitlist_stats
from core.matching import entry_fits, slot_spec
from core.model import ACTIVE_STATUSES, EntryStatus, OfferStatus, Opening
from core.policy import Policy
from core.ports import Candidate, CandidateQuery, EntryCounts, EntryFilter
from core.ranking import candidate_query as ranking_query
from core.ranking import rank
from core.slots import find_matching_slots
from storage.repositories.directory import to_client
from storage.repositories.entry_mapping import to_entry
from storage.tables import ClientRow, EntryProviderRow, EntryRow, OfferRow
from storage.types import UTCDateTime
from storage.uow import SqlUnitOfWork

POLICY = Policy()
CANDIDATE_LIMIT = POLICY.batch_size + 50  # what core.fill.advance_fill asks for
PAGE = 20
LISTED = (EntryStatus.WAITING, EntryStatus.OFFERED)
ACTIVE = tuple(s.value for s in ACTIVE_STATUSES)


@dataclass(frozen=True)
class MatchInput:
    entry_id: int
    provider_ids: tuple[int, ...]
    first: date
    last: date


def candidate_query(opening: Opening) -> CandidateQuery:
    """The query core.fill.advance_fill makes for an opening (see _ranked_candidates)."""
    spec = slot_spec(
        clinic_id=opening.clinic_id,
        timezone=TIMEZONE,
        starts_at=opening.starts_at,
        ends_at=opening.ends_at,
        service_id=opening.service_id,
        provider_id=opening.provider_id,
    )
    return ranking_query(
        spec,
        now=NOW,
        policy=POLICY,
        exclude_opening_id=opening.id,
        limit=CANDIDATE_LIMIT,
        exclude_client_id=opening.origin_client_id,
    )


def ranking(uow: SqlUnitOfWork, query: CandidateQuery) -> list[int]:
    return [c.entry.id or 0 for c in rank(uow.entries.candidates(query), POLICY)]


def ranking_naive(uow: SqlUnitOfWork, query: CandidateQuery) -> list[int]:
    """Every active entry of the clinic into Python, then entry_fits, the fairness rules and
    rank, as the domain would do it without the SQL candidate search."""
    session = uow.session
    active = (EntryRow.clinic_id == query.slot.clinic_id, EntryRow.status.in_(ACTIVE))
    providers: dict[int, list[int]] = {}
    for entry_id, provider_id in session.execute(
        select(EntryProviderRow.entry_id, EntryProviderRow.provider_id)
        .join(EntryRow, EntryRow.id == EntryProviderRow.entry_id)
        .where(*active)
        .order_by(EntryProviderRow.entry_id, EntryProviderRow.position)
    ):
        providers.setdefault(entry_id, []).append(provider_id)
    week: Counter[int] = Counter()
    today: Counter[int] = Counter()
    pending: set[int] = set()
    offered_here: set[int] = set()
    for client_id, entry_id, opening_id, status, created_at in session.execute(
        select(
            OfferRow.client_id,
            OfferRow.entry_id,
            OfferRow.opening_id,
            OfferRow.status,
            OfferRow.created_at,
        ).where(
            or_(
                OfferRow.created_at >= query.week_since,
                OfferRow.status == OfferStatus.PENDING.value,
                OfferRow.opening_id == query.exclude_opening_id,
            )
        )
    ):
        week[client_id] += created_at >= query.week_since
        today[client_id] += created_at >= query.day_since
        if status == OfferStatus.PENDING.value:
            pending.add(client_id)
        if opening_id == query.exclude_opening_id:
            offered_here.add(entry_id)
    candidates = []
    rows = session.execute(
        select(EntryRow, ClientRow)
        .join(ClientRow, ClientRow.id == EntryRow.client_id)
        .where(*active)
    )
    for row, client_row in rows:
        entry = to_entry(row, tuple(providers.get(row.id, ())))
        if (
            entry.status is EntryStatus.WAITING
            and entry_fits(entry, query.slot, query.now)
            and entry.client_id not in pending
            and row.id not in offered_here
            and entry.client_id != query.exclude_client_id
        ):
            client = to_client(client_row)
            candidates.append(
                Candidate(entry, client, week[entry.client_id], today[entry.client_id])
            )
    return [c.entry.id or 0 for c in rank(candidates, POLICY)[: query.limit]]


RANKING_FLOOR = text(
    "SELECT id FROM waitlist_entries WHERE clinic_id = :clinic AND status = 'waiting' "
    "AND service_id = :service ORDER BY priority, created_at LIMIT :limit"
)


def ranking_floor(uow: SqlUnitOfWork, query: CandidateQuery) -> list[int]:
    params = {
        "clinic": query.slot.clinic_id,
        "service": query.slot.service_id,
        "limit": query.limit,
    }
    return list(uow.session.scalars(RANKING_FLOOR, params))


def matching(uow: SqlUnitOfWork, wanted: MatchInput) -> int:
    groups = find_matching_slots(
        uow=uow, entry_id=wanted.entry_id, now=NOW, start_date=wanted.first, end_date=wanted.last
    )
    return sum(len(group["slots"]) for group in groups)


MATCHING_FLOOR = text(
    "SELECT provider_id, scheduled_at, ends_at FROM appointments "
    "WHERE provider_id IN :providers AND status = 'booked' "
    "AND scheduled_at < :end AND ends_at > :start ORDER BY scheduled_at"
).bindparams(
    bindparam("providers", expanding=True),
    bindparam("start", type_=UTCDateTime()),
    bindparam("end", type_=UTCDateTime()),
)


def matching_floor(uow: SqlUnitOfWork, wanted: MatchInput) -> int:
    """Reading the booked appointments the search has to avoid, and nothing more."""
    params = {
        "providers": list(wanted.provider_ids),
        "start": datetime.combine(wanted.first, time(0), ZONE),
        "end": datetime.combine(wanted.last + timedelta(days=1), time(0), ZONE),
    }
    return len(uow.session.execute(MATCHING_FLOOR, params).all())


def stats(uow: SqlUnitOfWork, _: Any) -> dict[str, Any]:
    """The stats as the app serves them: read from the kept entry counts."""
    return get_waitlist_stats(uow=uow, clinic_id=CLINIC_ID)


def stats_with_fills(uow: SqlUnitOfWork, _: Any) -> dict[str, Any]:
    """The stats with `fills`: yesterday and the last 30 days, as REST and Slack show them."""
    return get_waitlist_stats(uow=uow, clinic_id=CLINIC_ID, now=NOW)


def stats_computed(uow: SqlUnitOfWork, _: Any) -> EntryCounts:
    """The same numbers computed from every entry, as stats did before the counts were kept."""
    return EntryCounts(
        counts=uow.entries.counts_by_status(CLINIC_ID),
        average_wait_days=uow.entries.average_wait_days(CLINIC_ID),
    )


def kept_equals_computed(uow: SqlUnitOfWork) -> bool:
    kept, counted = uow.reports.entry_counts(CLINIC_ID), stats_computed(uow, None)
    if dict(kept.counts) != dict(counted.counts):
        return False
    if kept.average_wait_days is None or counted.average_wait_days is None:
        return kept.average_wait_days == counted.average_wait_days
    return abs(kept.average_wait_days - counted.average_wait_days) < 1e-6


def stats_naive(uow: SqlUnitOfWork, _: Any) -> dict[str, Any]:
    """Statuses and the two moments of every entry into Python, counted there."""
    counts: Counter[str] = Counter()
    waits = []
    for status, created_at, booked_at in uow.session.execute(
        select(EntryRow.status, EntryRow.created_at, EntryRow.booked_at).where(
            EntryRow.clinic_id == CLINIC_ID
        )
    ):
        counts[status] += 1
        if status == EntryStatus.BOOKED.value and booked_at is not None:
            waits.append((booked_at - created_at).total_seconds() / 86400)
    total = sum(counts.values())
    return {
        "counts": {s.value: counts[s.value] for s in EntryStatus},
        "total": total,
        "averageWaitDays": round(sum(waits) / len(waits), 1) if waits else 0,
    }


STATS_FLOOR = text(
    "SELECT status, count(*) FROM waitlist_entries WHERE clinic_id = :clinic GROUP BY status"
)


def stats_floor(uow: SqlUnitOfWork, _: Any) -> dict[str, int]:
    return dict(uow.session.execute(STATS_FLOOR, {"clinic": CLINIC_ID}).tuples().all())


def listing(uow: SqlUnitOfWork, page: int) -> list[int]:
    found = get_waitlist(
        uow=uow,
        filters=EntryFilter(clinic_id=CLINIC_ID, statuses=LISTED),
        sort_by="created_at",
        descending=True,
        offset=(page - 1) * PAGE,
        limit=PAGE,
    )
    return [entry.id or 0 for entry in found.items]


LISTING_FLOOR = text(
    "SELECT id FROM waitlist_entries WHERE clinic_id = :clinic "
    "AND status IN ('waiting', 'offered') ORDER BY created_at DESC, id DESC "
    "LIMIT :limit OFFSET :offset"
)


def listing_floor(uow: SqlUnitOfWork, page: int) -> list[int]:
    params = {"clinic": CLINIC_ID, "limit": PAGE, "offset": (page - 1) * PAGE}
    return list(uow.session.scalars(LISTING_FLOOR, params))
