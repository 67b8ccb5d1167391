"""The candidate search as one SQL query: `core.matching.entry_fits` plus the fairness rules.

Every preference is an integer column (bit masks for days and time-of-day buckets, minutes
for the time window), so the whole fit is a WHERE clause both SQLite and PostgreSQL can run.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import aliased

from core.model import EntryStatus, OfferStatus
from core.ports import CandidateQuery, SlotSpec
from storage.tables import ClientRow, EntryProviderRow, EntryRow, OfferRow

# Built once: aliasing a mapped class is costly compared with running the query.
_entry = aliased(EntryRow, name="entry")
_recent = aliased(OfferRow, name="recent_offer")
_pending = aliased(OfferRow, name="pending_offer")
_offered = aliased(OfferRow, name="offer_of_opening")


def candidates_select(query: CandidateQuery) -> Select[tuple[EntryRow, ClientRow, int, int]]:
    """Rows of (entry, client, offers_this_week, offers_today), best first.

    Ranking happens on narrow rows in a LIMITed subquery; whole entry and client rows are
    read only for the few that win.
    """
    fits = (
        select(
            _entry.id.label("entry_id"),
            _entry.priority,
            _entry.created_at,
            _offers_since(query.week_since).label("offers_this_week"),
            _offers_since(query.day_since).label("offers_today"),
        )
        .where(*_fit_conditions(query.slot, query), *_fairness_conditions(query))
        .subquery("fits")
    )
    best = select(fits)
    if query.cap_per_day:
        best = best.where(fits.c.offers_today < query.cap_per_day)
    if query.cap_per_week:
        best = best.where(fits.c.offers_this_week < query.cap_per_week)
    ranking = (fits.c.priority, fits.c.offers_this_week, fits.c.created_at, fits.c.entry_id)
    top = best.order_by(*ranking).limit(query.limit).subquery("best")
    return (
        select(EntryRow, ClientRow, top.c.offers_this_week, top.c.offers_today)
        .join(top, top.c.entry_id == EntryRow.id)
        .join(ClientRow, ClientRow.id == EntryRow.client_id)
        .order_by(top.c.priority, top.c.offers_this_week, top.c.created_at, top.c.entry_id)
    )


def _offers_since(since: datetime) -> ColumnElement[int]:
    """How many offers the entry's client received since `since` (any outcome)."""
    return (
        select(func.count(_recent.id))
        .where(_recent.client_id == _entry.client_id, _recent.created_at >= since)
        .correlate(_entry)
        .scalar_subquery()
    )


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
