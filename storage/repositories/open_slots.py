"""The REST list sorted by `available_slots`: how many open slots each entry fits, counted in
the database as one expression per row, so that sorting and paging stay one query.

A slot is a `SlotSpec` (an opening in the clinic's local terms); the fit is the same as
`core.matching.entry_fits`, on the integer columns the candidate search uses. The expression
is a sum of one CASE per slot, added as a balanced tree: SQLite limits expression depth.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from core.model import EntryStatus
from core.ports import SlotSpec
from storage.tables import EntryProviderRow, EntryRow


def open_slot_count(slots: Sequence[SlotSpec], now: datetime) -> ColumnElement[Any]:
    """An SQL expression: the number of `slots` that a waiting entry fits; 0 otherwise."""
    if not slots:
        return literal(0)
    # Identical slots (same provider, service and time) are one CASE worth their number.
    terms = [case((and_(*_fits(slot)), n), else_=0) for slot, n in Counter(slots).items()]
    return case((_usable(now), _balanced_sum(terms)), else_=0)


def page_by_open_slots(
    session: Session,
    conditions: list[ColumnElement[bool]],
    slots: Sequence[SlotSpec],
    *,
    now: datetime,
    descending: bool,
    offset: int,
    limit: int,
) -> list[tuple[EntryRow, int]]:
    count = open_slot_count(slots, now).label("available_slots")
    keys = [count, EntryRow.created_at, EntryRow.id]
    order = [key.desc() if descending else key.asc() for key in keys]
    rows = session.execute(
        select(EntryRow, count).where(*conditions).order_by(*order).offset(offset).limit(limit)
    ).all()
    return [(row, int(n)) for row, n in rows]


def _balanced_sum(terms: list[ColumnElement[Any]]) -> ColumnElement[Any]:
    while len(terms) > 1:
        # A function call nests each pair: written bare, a + b + c … is one deep chain.
        pairs = [func.coalesce(terms[i] + terms[i + 1], 0) for i in range(0, len(terms) - 1, 2)]
        terms = pairs + ([terms[-1]] if len(terms) % 2 else [])
    return terms[0]


def _usable(now: datetime) -> ColumnElement[bool]:
    return and_(
        EntryRow.status == EntryStatus.WAITING.value,
        or_(EntryRow.expires_at.is_(None), EntryRow.expires_at > now),
    )


def _fits(slot: SlotSpec) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        EntryRow.clinic_id == slot.clinic_id,
        or_(
            EntryRow.preferred_date_start.is_(None),
            EntryRow.preferred_date_start <= slot.local_date,
        ),
        or_(EntryRow.preferred_date_end.is_(None), EntryRow.preferred_date_end >= slot.local_date),
        or_(EntryRow.days_mask == 0, EntryRow.days_mask.op("&")(1 << slot.weekday) != 0),
    ]
    if slot.service_id is not None:
        conditions.append(
            or_(EntryRow.service_id.is_(None), EntryRow.service_id == slot.service_id)
        )
    if slot.provider_id is not None:
        preferred = exists().where(
            EntryProviderRow.entry_id == EntryRow.id,
            EntryProviderRow.provider_id == slot.provider_id,
        )
        conditions.append(or_(EntryRow.any_provider.is_(True), preferred))
    if slot.start_minute is not None and slot.end_minute is not None:
        conditions += [
            or_(EntryRow.time_start_min.is_(None), EntryRow.time_start_min <= slot.start_minute),
            or_(EntryRow.time_end_min.is_(None), EntryRow.time_end_min >= slot.end_minute),
            or_(
                EntryRow.time_slots_mask == 0,
                EntryRow.time_slots_mask.op("&")(slot.buckets) == slot.buckets,
            ),
        ]
    return conditions
