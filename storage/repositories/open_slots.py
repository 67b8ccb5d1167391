"""The REST list sorted by `available_slots`: how many open slots each entry fits.

Per request: the (id, updated_at) of the filtered entries, waiting and not apart, from one
index as one string each (`term_cache.versions`); their fit terms, coded, from the process's
`term_cache`, which reads again only the entries it does not hold at that updated_at (storage
keeps each term in a column of its name; preferred providers are rows of entry_providers);
`storage.repositories.slot_sets` counts the slots each waiting entry fits by core's rules, and
the page is cut from the order (count, created_at, id) in numpy. Counting in SQL instead (one
CASE per slot, summed per row) cost rows × slots: minutes at 1M entries and 1,700 open slots;
reading every filtered entry's terms on each request cost 130 ms on SQLite at 1M.

The database does not sort: SQLite, without statistics, would walk every entry of the clinic
in created_at order to avoid sorting.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    case,
    cast,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from core.matching import FIT_RULES, Test
from core.model import EntryStatus
from core.ports import SlotSpec
from storage.repositories.base import plain_connection
from storage.repositories.slot_sets import coded_counts
from storage.repositories.term_cache import cache_of, parse_versions, version_text, versions
from storage.tables import EntryProviderRow, EntryRow

# The rules whose term is a column of the entry; the collection (INCLUDES) is a table.
_COLUMN_TERMS = [rule.term for rule in FIT_RULES if rule.test is not Test.INCLUDES]
_LISTED_TERMS = [rule.term for rule in FIT_RULES if rule.test is Test.INCLUDES]
_TERMS = _COLUMN_TERMS + _LISTED_TERMS
_WAITING = EntryStatus.WAITING.value
_CHUNK = 2000  # ids per statement (SQLite allows 32,766 parameters)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


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
    connection = plain_connection(session)
    # From one index for the usual filters (clinic, status, priority): see term_cache. The
    # waiting entries and the others apart, so no status is read row by row.
    is_waiting = EntryRow.status == _WAITING
    found = connection.execute(
        select(versions().filter(is_waiting), versions().filter(~is_waiting)).where(*conditions)
    ).one()
    waiting, others = parse_versions(found[0]), parse_versions(found[1])
    ids = np.concatenate([waiting[0], others[0]])
    if not len(ids):
        return [], 0
    dialect = session.get_bind().dialect
    cache = cache_of(session, _TERMS, _decoders(dialect))

    def read(which: Sequence[int] | None) -> list[tuple[Any, ...]]:
        return _terms(connection, conditions if which is None else None, which)

    stamps = np.concatenate([waiting[1], others[1]])
    known = cache.known(ids, stamps, read, _moment_reader(dialect))
    counts = np.zeros(len(ids), dtype=np.int64)
    size = len(waiting[0])
    if slots and size:  # only a waiting entry can be offered a slot
        fitting = {term: codes[:size] for term, codes in known.codes.items()}
        counts[:size] = coded_counts(known.values, fitting, slots, now)
    if not known.found.all():  # deleted between the two reads: left out
        ids, counts, created = ids[known.found], counts[known.found], known.created[known.found]
    else:
        created = known.created
    page = _page(ids, created, counts, descending, offset, limit)
    return [(int(ids[n]), int(counts[n])) for n in page], len(ids)


def _page(
    ids: npt.NDArray[np.int64],
    created: npt.NDArray[np.int64],
    counts: npt.NDArray[np.int64],
    descending: bool,
    offset: int,
    limit: int,
) -> npt.NDArray[np.intp]:
    """The positions of one page in the order (count, created_at, id), without sorting every
    entry: (count, created_at) as one int64 where it fits, the page's bounds found by
    partition, and only the entries between them sorted, with the id for ties."""
    size = len(ids)
    start, stop = offset, min(size, offset + limit)
    if descending:
        start, stop = size - stop, size - offset
    if start >= stop:
        return np.zeros(0, np.intp)
    earliest = int(created.min())
    shift = (int(created.max()) - earliest).bit_length()
    if shift + int(counts.max()).bit_length() > 62:  # too wide for one int64: sort it all
        chosen = np.lexsort((ids, created, counts))[start:stop]
    else:
        key = (counts << shift) | (created - earliest)
        bounds = np.argpartition(key, [start, stop - 1])
        low, high = key[bounds[start]], key[bounds[stop - 1]]
        before = int(np.count_nonzero(key < low))
        between = np.flatnonzero((key >= low) & (key <= high))
        between = between[np.lexsort((ids[between], key[between]))]
        chosen = between[start - before : stop - before]
    return chosen[::-1] if descending else chosen


def _terms(
    connection: Connection,
    conditions: list[ColumnElement[bool]] | None,
    ids: Sequence[int] | None,
) -> list[tuple[Any, ...]]:
    """(id, updated_at, created_at, *the terms) as stored, of the entries the conditions keep
    or of `ids`."""
    named = (
        select(func.aggregate_strings(cast(EntryProviderRow.provider_id, String), ","))
        .where(EntryProviderRow.entry_id == EntryRow.id)
        .scalar_subquery()
    )
    providers = case((EntryRow.any_provider.is_(True), None), else_=named)  # most name none
    query = select(
        EntryRow.id,
        version_text(),
        _stored(EntryRow.created_at),
        *(_stored(getattr(EntryRow, term)) for term in _COLUMN_TERMS),
        *(_stored(providers).label(term) for term in _LISTED_TERMS),
    )
    if ids is None:
        chunks: list[Any] = [query.where(*(conditions or []))]
    else:
        chunks = [
            query.where(EntryRow.id.in_(ids[start : start + _CHUNK]))
            for start in range(0, len(ids), _CHUNK)
        ]
    found: list[tuple[Any, ...]] = []
    for chunk in chunks:
        with connection.execute(chunk) as result:
            found.extend(result.cursor.fetchall())
    return found


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


def _decoders(dialect: Any) -> dict[str, Callable[[Any], Any]]:
    """How each term is read from what the driver returns (once per distinct value)."""
    decode = {term: _decoder(getattr(EntryRow, term), dialect) for term in _COLUMN_TERMS}
    decode.update(dict.fromkeys(_LISTED_TERMS, _provider_ids))
    return decode


def _moment_reader(dialect: Any) -> Callable[[Any], int]:
    """A stored created_at as whole microseconds since 1970 (it orders as the moment does)."""
    convert = _decoder(EntryRow.created_at, dialect)
    return lambda stored: (convert(stored) - _EPOCH) // _MICROSECOND


def _decoder(column: Any, dialect: Any) -> Callable[[Any], Any]:
    convert = column.type._cached_result_processor(dialect, None)
    if convert is None:
        return lambda value: value
    return lambda value: None if value is None else convert(value)


def _provider_ids(stored: str | None) -> tuple[int, ...]:
    return () if not stored else tuple(int(p) for p in stored.split(","))
