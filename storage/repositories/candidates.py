"""The candidate search as one SQL query: `core.matching.entry_fits` plus the fairness rules.

Every preference is an integer column (bit masks for days and time-of-day buckets, minutes
for the time window), so the whole fit is a WHERE clause both SQLite and PostgreSQL can run.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from core.model import EntryStatus, OfferStatus
from core.ports import CandidateQuery, SlotSpec
from storage.tables import ClientRow, EntryProviderRow, EntryRow, OfferRow

# Built once: aliasing a mapped class is costly compared with running the query.
_entry = aliased(EntryRow, name="entry")
_recent = aliased(OfferRow, name="recent_offer")
_pending = aliased(OfferRow, name="pending_offer")
_offered = aliased(OfferRow, name="offer_of_opening")


def find_candidates(
    session: Session, query: CandidateQuery
) -> list[tuple[EntryRow, ClientRow, int, int]]:
    """Rows of (entry, client, offers_this_week, offers_today), best first, at most `limit`.

    Most clients had no offer this week, so the search is split in two, giving the same
    result as ranking everyone: those clients, read in index order (priority, created_at) and
    stopped at the limit; and the few clients offered something this week, counted. The two
    lists are merged on the full ranking key.
    """
    fits = [*_fit_conditions(query.slot, query), *_fairness_conditions(query)]
    # NOT EXISTS probes ix_offers_client_id_created_at per entry read; NOT IN would first
    # collect every client offered something this week.
    recently_offered = exists().where(
        _recent.client_id == _entry.client_id, _recent.created_at >= query.week_since
    )
    narrow = select(_entry.id, _entry.client_id, _entry.priority, _entry.created_at)
    fresh = session.execute(
        narrow.where(*fits, ~recently_offered)
        .order_by(_entry.priority, _entry.created_at, _entry.id)
        .limit(query.limit)
    ).all()
    seen_filter = [*fits, recently_offered]
    if len(fresh) == query.limit:
        # A client offered something this week ranks after every fresh one of the same
        # priority, so only a strictly better priority can displace the last fresh row.
        seen_filter.append(_entry.priority < fresh[-1].priority)
    seen = session.execute(narrow.where(*seen_filter)).all()
    recent = _recent_counts(session, query, {row.client_id for row in seen})
    ranked = []
    for entry_id, client_id, priority, created_at in [*fresh, *seen]:
        week, day = recent.get(client_id, (0, 0))
        if query.cap_per_day and day >= query.cap_per_day:
            continue
        if query.cap_per_week and week >= query.cap_per_week:
            continue
        ranked.append(((priority, week, created_at, entry_id), week, day))
    ranked.sort()
    best = ranked[: query.limit]
    if not best:
        return []
    rows = {
        entry.id: (entry, client)
        for entry, client in session.execute(
            select(EntryRow, ClientRow)
            .join(ClientRow, ClientRow.id == EntryRow.client_id)
            .where(EntryRow.id.in_([key[3] for key, _, _ in best]))
        ).all()
    }
    return [(*rows[key[3]], week, day) for key, week, day in best]


def _recent_counts(
    session: Session, query: CandidateQuery, client_ids: set[int]
) -> dict[int, tuple[int, int]]:
    """client_id -> (offers since week_since, offers since day_since), for these clients."""
    if not client_ids:
        return {}
    today = case((_recent.created_at >= query.day_since, 1), else_=0)
    rows = session.execute(
        select(_recent.client_id, func.count(), func.sum(today))
        .where(_recent.created_at >= query.week_since, _recent.client_id.in_(client_ids))
        .group_by(_recent.client_id)
    ).all()
    return {client_id: (int(week), int(day or 0)) for client_id, week, day in rows}


def _fit_conditions(slot: SlotSpec, query: CandidateQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        _entry.status == EntryStatus.WAITING.value,
        _entry.clinic_id == slot.clinic_id,
        or_(_entry.expires_at.is_(None), _entry.expires_at > query.now),
        or_(_entry.preferred_date_start.is_(None), _entry.preferred_date_start <= slot.local_date),
        or_(_entry.preferred_date_end.is_(None), _entry.preferred_date_end >= slot.local_date),
        or_(_entry.days_mask == 0, _entry.days_mask.op("&")(1 << slot.weekday) != 0),
    ]
    if slot.service_id is not None:
        conditions.append(or_(_entry.service_id.is_(None), _entry.service_id == slot.service_id))
    if slot.provider_id is not None:
        preferred = exists().where(
            EntryProviderRow.entry_id == _entry.id,
            EntryProviderRow.provider_id == slot.provider_id,
        )
        conditions.append(or_(_entry.any_provider.is_(True), preferred))
    if slot.start_minute is not None and slot.end_minute is not None:
        conditions += [
            or_(_entry.time_start_min.is_(None), _entry.time_start_min <= slot.start_minute),
            or_(_entry.time_end_min.is_(None), _entry.time_end_min >= slot.end_minute),
            # An entry that names buckets must name every bucket the slot touches.
            or_(
                _entry.time_slots_mask == 0,
                _entry.time_slots_mask.op("&")(slot.buckets) == slot.buckets,
            ),
        ]
    return conditions


def _fairness_conditions(query: CandidateQuery) -> list[ColumnElement[bool]]:
    pending = exists().where(
        _pending.client_id == _entry.client_id, _pending.status == OfferStatus.PENDING.value
    )
    conditions: list[ColumnElement[bool]] = [~pending]
    if query.exclude_opening_id is not None:
        conditions.append(
            ~exists().where(
                _offered.entry_id == _entry.id, _offered.opening_id == query.exclude_opening_id
            )
        )
    return conditions
