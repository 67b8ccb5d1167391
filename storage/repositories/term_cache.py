"""Each entry's fit terms, coded, kept per database in the process between REST list requests
sorted by `available_slots`, and checked on every request against the entries' updated_at.

Reading the terms of 60k entries costs the table's rows (SQLite: about 130 ms at 1M). Their
(id, updated_at) are in one index for the list's usual filters
(`ix_entries_clinic_status_priority_updated`), and the database hands them over as one string
(`versions`), which numpy takes apart (`parse_versions`); a request reads that, and the terms
only of entries not kept or kept with another updated_at.

Exact as long as every change of an entry's terms sets its updated_at to a new value, which
every writer does: `core.entries` (add, edit, staff status changes) through
`SqlEntryRepository.add` and `save` (updated_at is the clock's now, to the microsecond), and
`SqlEntryRepository.move` (the set-based status changes of offers and bookings; they change no
term, but set updated_at). No code updates terms in bulk; the benchmark loader writes new
databases. created_at is never changed after the insert. Status is not kept: each request
reads it. A change made by this process also forgets the entry (`forget`), so a frozen clock
(tests, benchmarks) cannot hide a change made here. Not seen: a change by another process that
leaves updated_at as it was (a frozen clock; a clock set back onto the same microsecond) and
SQL run by hand that changes terms without updated_at (restart the processes after a data
migration). Memory: about 80 bytes per entry kept, at most LIMIT entries.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, String, cast, func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from storage.repositories.slot_sets import Codes, TermCodes
from storage.tables import EntryRow

Ids = npt.NDArray[np.int64]
Versions = npt.NDArray[np.uint8]  # one row of WIDTH bytes per entry: its updated_at as text
Moments = npt.NDArray[np.int64]
WIDTH = 32  # bytes of an updated_at as text (26 on both databases); longer is refused
LIMIT = 1_000_000  # entries kept per database (about 80 bytes each); past it, start over
_ID_DIGITS = 12  # an id of more digits is refused
_NEVER = np.full(WIDTH, 255, np.uint8)  # equal to no text
_NOTHING = np.zeros(WIDTH, np.uint8)


def version_text() -> ColumnElement[str]:
    """An entry's updated_at as text ('' when unset), the same on every read."""
    return func.coalesce(cast(EntryRow.updated_at, String), "")


def versions() -> ColumnElement[str]:
    """The (id, updated_at) of the rows a query keeps, as one string: 'id|updated_at,…'."""
    record = cast(EntryRow.id, String) + "|" + version_text()
    return func.aggregate_strings(record, ",")


def parse_versions(text: str | None) -> tuple[Ids, Versions]:
    """`versions` taken apart: ids, and each updated_at as WIDTH bytes (zeros after it)."""
    if not text:
        return np.zeros(0, np.int64), np.zeros((0, WIDTH), np.uint8)
    buf = np.frombuffer(text.encode("ascii"), np.uint8)
    bars = np.flatnonzero(buf == ord("|"))
    ends = np.append(np.flatnonzero(buf == ord(",")), len(buf))
    starts = np.append(0, ends[:-1] + 1)
    if (
        len(bars) != len(ends)
        or (ends - bars - 1).max() > WIDTH
        or (bars - starts).max() > _ID_DIGITS
    ):
        raise ValueError("unexpected entry versions")
    ids = np.zeros(len(bars), np.int64)
    for place in range(_ID_DIGITS, 0, -1):  # the id's digits, most significant first
        at = bars - place
        digit = buf[np.maximum(at, 0)].astype(np.int64) - ord("0")
        ids = np.where(at >= starts, ids * 10 + digit, ids)
    windows = np.lib.stride_tricks.sliding_window_view(np.append(buf, _NOTHING), WIDTH)
    text_of = windows[bars + 1]  # WIDTH bytes from each updated_at on: a copy
    text_of[np.arange(WIDTH) >= (ends - bars - 1)[:, None]] = 0  # what follows it
    return ids, text_of


def version_bytes(text: str) -> Versions:
    """One updated_at as `version_text` reads it, as a row of `parse_versions`."""
    raw = text.encode("ascii")
    if len(raw) > WIDTH:
        raise ValueError("unexpected entry version")
    return np.frombuffer(raw.ljust(WIDTH, b"\0"), np.uint8)


@dataclass(frozen=True)
class Known:
    """The coded terms of some entries, in the order asked for."""

    found: npt.NDArray[np.bool_]  # False for an entry deleted meanwhile (the rest: junk)
    values: dict[str, list[Any]]  # each term's distinct values, by code
    codes: dict[str, Codes]
    created: Moments  # orders as created_at does


# (id, version_text, created_at, *the terms in `terms` order) as the driver returns them
Read = Callable[[Sequence[int] | None], Sequence[tuple[Any, ...]]]


class TermCache:
    def __init__(self, terms: Sequence[str], decode: Mapping[str, Callable[[Any], Any]]) -> None:
        self.terms = list(terms)
        self._decode = decode
        self._lock = threading.Lock()
        self._forgotten: set[int] = set()
        self._clear()

    def _clear(self) -> None:
        self._coded = {term: TermCodes(self._decode.get(term)) for term in self.terms}
        self._place = np.full(1024, -1, np.int32)  # by entry id: the row of the arrays below
        self._size = 0
        self._versions = np.zeros((1024, WIDTH), np.uint8)
        self._created = np.zeros(1024, np.int64)
        self._codes = {term: np.zeros(1024, np.int32) for term in self.terms}

    def known(
        self, ids: Ids, versions: Versions, read: Read, moment: Callable[[Any], int]
    ) -> Known:
        """The terms of entries `ids` whose updated_at is `versions`: from the cache where it
        holds that updated_at, else read. `read(None)` reads every entry the request's
        conditions keep, `read(ids)` those ids only; `moment` turns a stored created_at into an
        int that orders as it does."""
        with self._lock:
            while self._forgotten:
                entry_id = self._forgotten.pop()
                if entry_id < len(self._place) and self._place[entry_id] >= 0:
                    self._versions[self._place[entry_id]] = _NEVER
            stale = self._stale(ids, versions)
            if self._size + len(stale) > LIMIT:
                self._clear()
                stale = ids
            if len(stale) > len(ids) // 4:  # most of them: one read by the conditions
                self._store(read(None), moment)
                stale = self._stale(ids, versions)
            if len(stale):
                self._store(read(stale.tolist()), moment)
            # An entry gone between the two reads (READ COMMITTED) is not found.
            places = self._places(ids)
            return Known(
                found=places >= 0,
                values={term: list(coded.values) for term, coded in self._coded.items()},
                codes={term: self._codes[term][places] for term in self.terms},
                created=self._created[places],
            )

    def forget(self, entry_id: int) -> None:
        """Read the entry again next time. Called while its change is being written, so
        without the lock (a writer never waits for a reader)."""
        self._forgotten.add(entry_id)

    def _places(self, ids: Ids) -> npt.NDArray[np.intp]:
        inside = ids < len(self._place)
        return np.where(inside, self._place[np.where(inside, ids, 0)], -1).astype(np.intp)

    def _stale(self, ids: Ids, versions: Versions) -> Ids:
        """Those of `ids` not kept, or kept with another updated_at."""
        places = self._places(ids)
        kept = self._versions[places].view(np.uint64)
        differs = (kept != versions.view(np.uint64)).any(axis=1)
        return ids[differs | (places < 0)]

    def _store(self, rows: Sequence[tuple[Any, ...]], moment: Callable[[Any], int]) -> None:
        if not rows:
            return
        ids, texts, created, *terms = zip(*rows, strict=True)
        at = np.fromiter(ids, np.int64, len(ids))
        self._grow_ids(int(at.max()) + 1)
        places = self._place[at]
        new = places < 0
        places[new] = self._size + np.arange(int(new.sum()))
        self._size += int(new.sum())
        self._place[at] = places
        self._grow(self._size)
        self._versions[places] = np.stack([version_bytes(text) for text in texts])
        self._created[places] = np.fromiter(map(moment, created), np.int64, len(created))
        for term, column in zip(self.terms, terms, strict=True):
            self._codes[term][places] = self._coded[term].codes(column)

    def _grow_ids(self, size: int) -> None:
        if size > len(self._place):
            grown = np.full(max(size, 2 * len(self._place)), -1, np.int32)
            grown[: len(self._place)] = self._place
            self._place = grown

    def _grow(self, size: int) -> None:
        if size <= len(self._created):
            return
        capacity = max(size, 2 * len(self._created))
        versions = np.zeros((capacity, WIDTH), np.uint8)
        versions[: len(self._versions)] = self._versions
        self._versions = versions
        self._created = np.resize(self._created, capacity)
        self._codes = {term: np.resize(codes, capacity) for term, codes in self._codes.items()}


_caches: weakref.WeakKeyDictionary[Engine, TermCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_of(
    session: Session, terms: Sequence[str], decode: Mapping[str, Callable[[Any], Any]]
) -> TermCache:
    """The cache of the session's database (one per engine)."""
    engine = _engine(session)
    with _caches_lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = TermCache(terms, decode)
        return cache


def forget(session: Session, entry_id: int) -> None:
    """Drop what is kept of an entry whose terms this process is writing."""
    cache = _caches.get(_engine(session))
    if cache is not None:
        cache.forget(entry_id)


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine
