"""The REST list sorted by `available_slots`: how many open slots each entry fits.

The filtered entries are read once with the columns that hold the fit rules' terms (storage
keeps each term in a column of its name; preferred providers are rows of entry_providers);
`storage.repositories.slot_sets` counts the slots each waiting entry fits by core's rules, and
the page is cut from the order (count, created_at, id). Counting in SQL instead (one CASE per
slot, summed per row) cost rows × slots: minutes at 1M entries and 1,700 open slots.

Values are read as the driver hands them, not converted row by row: a term is decoded once
per distinct value, and created_at is only compared (on SQLite its stored text has a fixed
width, so it orders as the moment does). The database does not sort either: SQLite, without
statistics, would walk every entry of the clinic in created_at order to avoid sorting.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, String, case, cast, func, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from core.matching import FIT_RULES, Test
from core.model import EntryStatus
from core.ports import SlotSpec
from storage.repositories.base import plain_connection
from storage.repositories.slot_sets import fit_counts
from storage.tables import EntryProviderRow, EntryRow

# The rules whose term is a column of the entry; the collection (INCLUDES) is a table.
_COLUMN_TERMS = [rule.term for rule in FIT_RULES if rule.test is not Test.INCLUDES]
_LISTED_TERMS = [rule.term for rule in FIT_RULES if rule.test is Test.INCLUDES]
_WAITING = EntryStatus.WAITING.value


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
    with _no_collection():
        return _counted_page(session, conditions, slots, now, descending, offset, limit)


def _counted_page(
    session: Session,
    conditions: list[ColumnElement[bool]],
    slots: Sequence[SlotSpec],
    now: datetime,
    descending: bool,
    offset: int,
    limit: int,
) -> tuple[list[tuple[int, int]], int]:
    named = (
        select(func.aggregate_strings(cast(EntryProviderRow.provider_id, String), ","))
        .where(EntryProviderRow.entry_id == EntryRow.id)
        .scalar_subquery()
    )
    providers = case((EntryRow.any_provider.is_(True), None), else_=named)  # most name none
    columns = [getattr(EntryRow, term) for term in _COLUMN_TERMS]
    result = plain_connection(session).execute(
        select(
            EntryRow.id,
            _stored(EntryRow.status),
            _stored(EntryRow.created_at),
            *(_stored(column) for column in columns),
            *(_stored(providers).label(term) for term in _LISTED_TERMS),
        ).where(*conditions)
    )
    with result:
        rows = result.cursor.fetchall()  # the driver's tuples: no row objects, no conversions
    if not rows:
        return [], 0
    ids, statuses, created, *terms = zip(*rows, strict=True)
    counts = np.zeros(len(ids), dtype=np.int64)
    waiting = np.fromiter(map(_WAITING.__eq__, statuses), bool, len(ids))
    if slots and waiting.any():
        dialect = session.get_bind().dialect
        decode: dict[str, Callable[[Any], Any]] = {
            term: _decoder(column, dialect)
            for term, column in zip(_COLUMN_TERMS, columns, strict=True)
        }
        decode.update(dict.fromkeys(_LISTED_TERMS, _provider_ids))
        names = _COLUMN_TERMS + _LISTED_TERMS
        fitting = fit_counts(dict(zip(names, terms, strict=True)), slots, now, decode)
        counts = np.where(waiting, fitting, 0)  # only a waiting entry can be offered a slot
    moments = sorted(set(created))
    moment_rank = {moment: n for n, moment in enumerate(moments)}
    by_created = np.fromiter(map(moment_rank.__getitem__, created), np.int64, len(ids))
    order = np.lexsort((np.asarray(ids), by_created, counts))
    if descending:
        order = order[::-1]
    page = order[offset : offset + limit]
    return [(ids[n], int(counts[n])) for n in page], len(ids)


@contextmanager
def _no_collection() -> Iterator[None]:
    """The read makes tens of thousands of tuples and no cycles; the cyclic garbage collector
    would walk them over and over as they are made, at more cost than the count itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _stored(column: Any) -> Any:
    """The column as the driver returns it, with no conversion per row."""
    return type_coerce(column, NullType())


def _decoder(column: Any, dialect: Any) -> Callable[[Any], Any]:
    convert = column.type._cached_result_processor(dialect, None)
    if convert is None:
        return lambda value: value
    return lambda value: None if value is None else convert(value)


def _provider_ids(stored: str | None) -> tuple[int, ...]:
    return () if not stored else tuple(int(p) for p in stored.split(","))
