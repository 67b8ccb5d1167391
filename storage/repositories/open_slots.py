"""The REST list sorted by `available_slots`: how many open slots each entry fits.

The filtered entries are read once, in (created_at, id) order, with the columns that hold the
fit rules' terms (storage keeps each term in a column of its name; preferred providers are rows
of entry_providers); `storage.repositories.slot_sets` counts the slots each waiting entry fits
by core's rules, and the page is cut from that order. Counting in SQL instead (one CASE per
slot, summed per row) cost rows × slots: minutes at 1M entries and 1,700 open slots.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from core.matching import FIT_RULES, Test
from core.model import EntryStatus
from core.ports import SlotSpec
from storage.repositories.slot_sets import fit_counts
from storage.tables import EntryProviderRow, EntryRow

# The rules whose term is a column of the entry; the collection (INCLUDES) is a table.
_COLUMN_TERMS = [rule.term for rule in FIT_RULES if rule.test is not Test.INCLUDES]
_LISTED_TERMS = [rule.term for rule in FIT_RULES if rule.test is Test.INCLUDES]


def page_by_open_slots(
    session: Session,
    conditions: list[ColumnElement[bool]],
    slots: Sequence[SlotSpec],
    *,
    now: datetime,
    descending: bool,
    offset: int,
    limit: int,
) -> tuple[list[tuple[int, int]], int]:
    """(entry id, open slots it fits) for one page, ordered by the count then created_at and
    id; and the number of entries the conditions keep."""
    rows = session.execute(
        select(EntryRow.id, EntryRow.status, *(getattr(EntryRow, t) for t in _COLUMN_TERMS))
        .where(*conditions)
        .order_by(EntryRow.created_at, EntryRow.id)
    ).all()
    if not rows:
        return [], 0
    ids, statuses, *columns = zip(*rows, strict=True)
    waiting = np.fromiter(
        (status == EntryStatus.WAITING.value for status in statuses), dtype=bool, count=len(ids)
    )
    counts = np.zeros(len(ids), dtype=np.int64)
    if slots and waiting.any():
        chosen = np.flatnonzero(waiting)
        terms: dict[str, Sequence[Any]] = {
            term: [column[n] for n in chosen]
            for term, column in zip(_COLUMN_TERMS, columns, strict=True)
        }
        listed = _provider_ids(session, conditions)
        for term in _LISTED_TERMS:
            terms[term] = [listed.get(ids[n], ()) for n in chosen]
        counts[chosen] = fit_counts(terms, slots, now)
    order = np.lexsort((np.arange(len(ids)), counts))  # by count, then (created_at, id)
    if descending:
        order = order[::-1]
    page = order[offset : offset + limit]
    return [(ids[n], int(counts[n])) for n in page], len(ids)


def _provider_ids(
    session: Session, conditions: list[ColumnElement[bool]]
) -> dict[int, tuple[int, ...]]:
    """Preferred providers of the waiting entries the conditions keep."""
    found: dict[int, list[int]] = {}
    rows = session.execute(
        select(EntryProviderRow.entry_id, EntryProviderRow.provider_id)
        .join(EntryRow, EntryRow.id == EntryProviderRow.entry_id)
        .where(*conditions, EntryRow.status == EntryStatus.WAITING.value)
    )
    for entry_id, provider_id in rows:
        found.setdefault(entry_id, []).append(provider_id)
    return {entry_id: tuple(providers) for entry_id, providers in found.items()}
