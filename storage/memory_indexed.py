"""The in-memory store with indexes and an undo journal, for long simulations.

`storage.memory` snapshots every table at each transaction and scans whole tables to answer
a query: right for tests of a few rows, far too slow for a simulated year of a clinic. This
store keeps the same behaviour (detached copies, rollback unless committed, the same
constraints) but undoes a transaction from a journal of the rows it touched, and answers the
queries the fill engine asks most from indexes kept beside the rows.
"""

from __future__ import annotations

import copy
from bisect import bisect_left, insort
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

from core.errors import Conflict, DuplicateMessage, SlotConflict
from core.matching import SlotTests, buckets_mask, entry_terms, first_failed, slot_tests
from core.model import (
    Appointment,
    AppointmentStatus,
    Client,
    EntryStatus,
    Event,
    Message,
    MessageStatus,
    Offer,
    OfferStatus,
    Opening,
    OpeningStatus,
    Provider,
    WaitlistEntry,
)
from core.ports import Candidate, CandidateQuery, EntryFilter, Page, SlotSpec
from core.ranking import RANK_ORDER
from storage.memory import (
    FakeAppointments,
    FakeClientClinics,
    FakeClients,
    FakeClinics,
    FakeEntries,
    FakeEvents,
    FakeMessages,
    FakeOffers,
    FakeOpenings,
    FakeProviders,
    FakeServices,
    FakeUnitOfWork,
    _Table,
    open_among,
)

_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)
# The candidate search walks entries in (priority, created_at, id) order and sorts what it
# finds by offers this week within each priority: that is this ranking and no other.
assert RANK_ORDER == ("priority", "offers_this_week", "created_at", "id")
Journal = list[tuple["_Indexed", int, Any]]


def _detached(row: Any) -> Any:
    """A copy the caller may change freely. Rows hold immutable values except these two."""
    if isinstance(row, Provider):
        return copy.deepcopy(row)
    twin = object.__new__(type(row))
    twin.__dict__.update(row.__dict__)
    if isinstance(row, Event):
        twin.data = dict(row.data)
    return twin


def _candidate(entry: WaitlistEntry, client: Client, week: int, day: int) -> Candidate:
    """Candidate(...) without the cost of a frozen dataclass's checked __init__: the search
    makes one for every waiting entry that fits, and keeps a few."""
    made = object.__new__(Candidate)
    made.__dict__.update(entry=entry, client=client, offers_this_week=week, offers_today=day)
    return made


class _Indexed(_Table):
    """Rows by id, with every change written to the unit of work's journal so it can be
    undone, and `_index`/`_unindex` hooks for the tables that keep indexes."""

    def __init__(self, journal: Journal | None = None) -> None:
        super().__init__()
        self.journal: Journal = journal if journal is not None else []
        self.scope: Sequence[int] | None = None  # when set, all() sees only these rows

    def _index(self, row: Any) -> None:
        pass

    def _unindex(self, row: Any) -> None:
        pass

    def _put(self, obj_id: int, row: Any) -> None:
        old = self.rows.get(obj_id)
        self.journal.append((self, obj_id, old))
        if old is not None:
            self._unindex(old)
        self.rows[obj_id] = row
        self._index(row)

    def restore(self, obj_id: int, row: Any) -> None:
        old = self.rows.pop(obj_id, None)
        if old is not None:
            self._unindex(old)
        if row is not None:
            self.rows[obj_id] = row
            self._index(row)

    def add(self, obj: Any) -> Any:
        row = _detached(obj)
        row.id = self.next_id
        self.next_id += 1
        self._put(row.id, row)
        return _detached(row)

    def get(self, obj_id: int, *, for_update: bool = False) -> Any:
        row = self.rows.get(obj_id)
        return _detached(row) if row is not None else None

    def save(self, obj: Any) -> None:
        assert obj.id in self.rows
        self._put(obj.id, _detached(obj))

    def all(self) -> list[Any]:
        if self.scope is not None:
            return self._copies(i for i in self.scope if i in self.rows)
        return [_detached(r) for r in self.rows.values()]

    def _copies(self, ids: Any) -> list[Any]:
        return [_detached(self.rows[i]) for i in ids]


class Clinics(FakeClinics, _Indexed):
    pass


class Providers(FakeProviders, _Indexed):
    pass


class Services(FakeServices, _Indexed):
    pass


class Clients(FakeClients, _Indexed):
    def __init__(self, journal: Journal) -> None:
        super().__init__(journal)
        self.by_phone: dict[str, int] = {}

    def _index(self, row: Client) -> None:
        self.by_phone[row.phone] = row.id or 0

    def _unindex(self, row: Client) -> None:
        self.by_phone.pop(row.phone, None)

    def get_by_phone(self, phone: str) -> Client | None:
        found = self.by_phone.get(phone)
        return self.get(found) if found is not None else None

    def get_many(self, client_ids: Sequence[int]) -> dict[int, Client]:
        return {i: self.get(i) for i in client_ids if i in self.rows}


class ClientClinics(FakeClientClinics, _Indexed):
    pass


class Appointments(FakeAppointments, _Indexed):
    def __init__(self, journal: Journal) -> None:
        super().__init__(journal)
        # provider -> its booked appointments as (start, id), in order; and the longest
        # appointment it ever had, so a search by time knows how far back to look
        self.booked: dict[int, list[tuple[datetime, int]]] = {}
        self.longest: dict[int, int] = {}

    def _index(self, row: Appointment) -> None:
        if row.status is AppointmentStatus.BOOKED:
            insort(self.booked.setdefault(row.provider_id, []), (row.scheduled_at, row.id or 0))
            longest = self.longest.get(row.provider_id, 0)
            self.longest[row.provider_id] = max(longest, row.duration_minutes)

    def _unindex(self, row: Appointment) -> None:
        booked = self.booked.get(row.provider_id, [])
        key = (row.scheduled_at, row.id or 0)
        at = bisect_left(booked, key)
        if at < len(booked) and booked[at] == key:
            del booked[at]

    def _overlapping(self, provider_id: int, start: datetime, end: datetime) -> list[int]:
        """Ids of the provider's booked appointments that overlap [start, end)."""
        booked = self.booked.get(provider_id, [])
        earliest = start - timedelta(minutes=self.longest.get(provider_id, 0))
        first, last = bisect_left(booked, (earliest, -1)), bisect_left(booked, (end, -1))
        return [i for _, i in booked[first:last] if self.rows[i].ends_at > start]

    def _check(self, appt: Appointment) -> None:
        if appt.status is not AppointmentStatus.BOOKED:
            return
        clashes = self._overlapping(appt.provider_id, appt.scheduled_at, appt.ends_at)
        if any(other_id != appt.id for other_id in clashes):
            raise SlotConflict("The provider is already booked at that time.")

    def booked_between(
        self, provider_ids: Sequence[int], start: datetime, end: datetime
    ) -> list[Appointment]:
        ids = sorted(i for p in provider_ids for i in self._overlapping(p, start, end))
        return self._copies(ids)


# Preference fields: an entry whose preferences change must be matched against slots again.
_PREFERENCES = tuple(
    f.name
    for f in fields(WaitlistEntry)
    if f.name
    not in {
        "status",
        "offered_appointment_id",
        "offered_at",
        "booked_appointment_id",
        "booked_at",
        "updated_by",
        "updated_at",
        "notes",
    }
)


class Entries(FakeEntries, _Indexed):
    """Candidate search without a scan: for each slot asked about, the entries whose
    preferences fit it are worked out once (by `core.matching.entry_fits`) and kept up to
    date from a log of the entries added or changed since."""

    def __init__(self, uow: IndexedUnitOfWork, journal: Journal) -> None:
        FakeEntries.__init__(self, uow)
        self.journal = journal
        self.by_client: dict[int, list[int]] = {}
        self.offers_index: Offers = uow.offers
        self.waiting: set[int] = set()
        self.changed: list[int] = []  # ids of entries added or with new preferences
        self.active: set[int] = set()  # waiting or offered
        self.by_service: dict[int | None, set[int]] = {}
        self.by_provider: dict[int | None, set[int]] = {None: set()}  # None: any provider
        self.by_day: dict[int | None, set[int]] = {None: set()}  # None: any day
        self.by_buckets: dict[int, set[int]] = {}  # mask of preferred_time_slots (0: none)
        self.terms: dict[int, dict[str, Any]] = {}  # core.matching's entry terms, as columns
        self.fits: dict[SlotSpec, _Fits] = {}
        self.prune_at = 256

    def _index(self, row: WaitlistEntry) -> None:
        self.terms[row.id or 0] = entry_terms(row)
        if row.status is EntryStatus.WAITING:
            self.waiting.add(row.id or 0)
        if row.is_active:
            self.active.add(row.id or 0)
        mine = self.by_client.setdefault(row.client_id, [])
        if row.id not in mine:
            mine.append(row.id or 0)
        self.by_service.setdefault(row.service_id, set()).add(row.id or 0)
        for provider_id in row.provider_ids or (None,):
            self.by_provider.setdefault(provider_id, set()).add(row.id or 0)
        for day in row.preferred_days or (None,):
            self.by_day.setdefault(day, set()).add(row.id or 0)
        self.by_buckets.setdefault(buckets_mask(row.preferred_time_slots), set()).add(row.id or 0)

    def _unindex(self, row: WaitlistEntry) -> None:
        self.terms.pop(row.id or 0, None)
        self.waiting.discard(row.id or 0)
        self.active.discard(row.id or 0)
        self.by_service.get(row.service_id, set()).discard(row.id or 0)
        for provider_id in row.provider_ids or (None,):
            self.by_provider.get(provider_id, set()).discard(row.id or 0)
        for day in row.preferred_days or (None,):
            self.by_day.get(day, set()).discard(row.id or 0)
        self.by_buckets.get(buckets_mask(row.preferred_time_slots), set()).discard(row.id or 0)

    def _put(self, obj_id: int, row: Any) -> None:
        old = self.rows.get(obj_id)
        if (
            old is None
            or old.is_active != row.is_active
            or any(getattr(old, n) != getattr(row, n) for n in _PREFERENCES)
        ):
            self.changed.append(obj_id)
        super()._put(obj_id, row)

    def restore(self, obj_id: int, row: Any) -> None:
        super().restore(obj_id, row)
        self.changed.append(obj_id)

    def move(
        self,
        entry_ids: Sequence[int],
        *,
        current: EntryStatus,
        status: EntryStatus,
        now: datetime,
        actor: str,
        changes: Mapping[str, object],
        skip_busy: bool = False,  # one thread: nothing is ever busy
        limit: int | None = None,
    ) -> list[int]:
        moved: list[int] = []
        for entry_id in entry_ids:
            row = self.rows.get(entry_id)
            if row is None or row.status is not current or len(moved) == limit:
                continue
            row = _detached(row)  # a new row through _put, so the indexes and journal see it
            row.status, row.updated_at, row.updated_by = status, now, actor
            for name, value in changes.items():
                setattr(row, name, value)
            self._put(entry_id, row)
            moved.append(entry_id)
        return moved

    def list(self, filters: EntryFilter, **options: Any) -> Page[WaitlistEntry]:
        if filters.client_id is None:
            return super().list(filters, **options)
        self.scope = self.by_client.get(filters.client_id, [])
        try:
            return super().list(filters, **options)
        finally:
            self.scope = None

    def _fits(self, entry_id: int, tests: SlotTests) -> bool:
        return first_failed(self.terms[entry_id], tests) is None

    def _fitting(self, slot: SlotSpec, now: datetime) -> _Fits:
        tests = slot_tests(slot, _LONG_AGO)  # fit ignoring the clock: see candidates()
        known = self.fits.get(slot)
        if known is None:
            if len(self.fits) >= self.prune_at:  # forget slots of days gone by
                gone = (now - timedelta(days=2)).date()
                self.fits = {k: v for k, v in self.fits.items() if k.local_date >= gone}
                self.prune_at = max(2 * len(self.fits), 256)
            known = _Fits(seen=0)
            self.fits[slot] = known
            # Only entries for this service (or any) and this provider (or any) can fit.
            todo: Iterable[int] = self.active & (
                self.by_service.get(slot.service_id, set()) | self.by_service.get(None, set())
            )
            if slot.provider_id is not None:
                todo = set(todo) & (
                    self.by_provider.get(slot.provider_id, set()) | self.by_provider[None]
                )
            todo = set(todo) & (self.by_day.get(slot.weekday, set()) | self.by_day[None])
            todo = todo & set().union(  # time-of-day buckets that cover the slot's, or none
                *(
                    ids
                    for mask, ids in self.by_buckets.items()
                    if mask & slot.buckets == slot.buckets or not mask
                )
            )
            known.build(self.rows[i] for i in todo if self._fits(i, tests))
            todo = ()
        else:
            todo = self.changed[known.seen :]
        for entry_id in todo:
            known.discard(entry_id)
            if entry_id in self.active and self._fits(entry_id, tests):
                known.add(self.rows[entry_id])
        known.seen = len(self.changed)
        return known

    def candidates(self, query: CandidateQuery) -> list[Candidate]:
        """Fitting entries are walked in (priority, created_at, id) order; offers this week
        only move an entry back within its priority, so the walk stops once `limit` entries
        with no offer this week are found at the priority reached."""
        offers = self.offers_index
        clients = self.uow.clients.rows
        excluded = offers.entries_of_opening(query.exclude_opening_id)
        found: list[tuple[int, int, WaitlistEntry, int, int]] = []
        now_tests = slot_tests(query.slot, query.now)  # expiry: the one term that needs now
        priority, before, fresh = None, 0, 0
        for key in self._fitting(query.slot, query.now).order:
            entry_id = key[2]
            if entry_id not in self.waiting or entry_id in excluded:
                continue
            entry = self.rows[entry_id]
            if key[0] != priority:
                if len(found) >= query.limit:
                    break
                priority, before, fresh = key[0], len(found), 0
            elif before + fresh >= query.limit:
                break  # the rest rank below the `limit` already found
            client_id = entry.client_id
            if client_id == query.exclude_client_id:
                continue  # their own cancelled slot
            if client_id in offers.pending_by_client or (
                entry.expires_at is not None and not self._fits(entry_id, now_tests)
            ):
                continue
            week = day = 0
            if client_id in offers.sent_at:
                week = offers.count_for_client(client_id, query.week_since)
                day = offers.count_for_client(client_id, query.day_since)
                if (query.cap_per_day and day >= query.cap_per_day) or (
                    query.cap_per_week and week >= query.cap_per_week
                ):
                    continue
            fresh += week == 0
            found.append((key[0], week, entry, client_id, day))
        # The walk is in (priority, created_at, id) order, so a stable sort on (priority,
        # offers this week) gives RANK_ORDER's order.
        found.sort(key=itemgetter(0, 1))
        return [
            _candidate(_detached(entry), _detached(clients[client_id]), week, day)
            for _, week, entry, client_id, day in found[: query.limit]
        ]

    def ids_to_expire(
        self, *, now: datetime, created_before: datetime, clinic_id: int | None = None
    ) -> list[int]:
        self.scope = sorted(self.active)
        try:
            return super().ids_to_expire(
                now=now, created_before=created_before, clinic_id=clinic_id
            )
        finally:
            self.scope = None


class _Fits:
    """The active entries that fit one slot, in (priority, created_at, id) order."""

    def __init__(self, seen: int) -> None:
        self.seen = seen  # how much of the change log is reflected
        self.order: list[tuple[int, datetime, int]] = []
        self.keys: dict[int, tuple[int, datetime, int]] = {}

    def build(self, entries: Iterable[WaitlistEntry]) -> None:
        self.keys = {e.id or 0: self._key(e) for e in entries}
        self.order = sorted(self.keys.values())

    @staticmethod
    def _key(entry: WaitlistEntry) -> tuple[int, datetime, int]:
        return (entry.priority, entry.created_at or _LONG_AGO, entry.id or 0)

    def add(self, entry: WaitlistEntry) -> None:
        key = self._key(entry)
        self.keys[key[2]] = key
        insort(self.order, key)

    def discard(self, entry_id: int) -> None:
        key = self.keys.pop(entry_id, None)
        if key is not None:
            del self.order[bisect_left(self.order, key)]


class Openings(FakeOpenings, _Indexed):
    def __init__(self, uow: IndexedUnitOfWork, journal: Journal) -> None:
        FakeOpenings.__init__(self, uow)
        self.journal = journal
        self.open: set[int] = set()
        self.by_origin: dict[int, int] = {}

    def _index(self, row: Opening) -> None:
        if row.status is OpeningStatus.OPEN:
            self.open.add(row.id or 0)
        if row.origin_appointment_id is not None:
            self.by_origin[row.origin_appointment_id] = row.id or 0

    def _unindex(self, row: Opening) -> None:
        self.open.discard(row.id or 0)
        if row.origin_appointment_id is not None:
            self.by_origin.pop(row.origin_appointment_id, None)

    def get_by_origin(self, appointment_id: int) -> Opening | None:
        found = self.by_origin.get(appointment_id)
        return self.get(found) if found is not None else None

    def open_ids(self) -> list[int]:
        return sorted(self.open)

    def get_many(self, opening_ids: Sequence[int]) -> dict[int, Opening]:
        return {i: self.get(i) for i in opening_ids if i in self.rows}

    def still_open(
        self,
        now: datetime,
        *,
        provider_ids: Collection[int] | None = None,
        between: tuple[datetime, datetime] | None = None,
        origin_client_id: int | None = None,
    ) -> list[Opening]:
        found = [o for o in self._copies(sorted(self.open)) if o.cutoff_at > now]
        return open_among(found, provider_ids, between, origin_client_id)


class Offers(FakeOffers, _Indexed):
    def __init__(self, journal: Journal) -> None:
        super().__init__(journal)
        self.by_opening: dict[int, list[int]] = {}
        self.by_client: dict[int, list[int]] = {}
        self.by_entry: dict[int, list[int]] = {}
        self.sent_at: dict[int, list[tuple[datetime, int]]] = {}  # client -> (created_at, id)
        self.pending_by_client: dict[int, int] = {}
        self.accepted_by_opening: dict[int, int] = {}

    def _index(self, row: Offer) -> None:
        for index, key in (
            (self.by_opening, row.opening_id),
            (self.by_client, row.client_id),
            (self.by_entry, row.entry_id),
        ):
            ids = index.setdefault(key, [])
            if row.id not in ids:
                insort(ids, row.id or 0)
        if row.created_at is not None:
            stamps = self.sent_at.setdefault(row.client_id, [])
            if (row.created_at, row.id) not in stamps:
                insort(stamps, (row.created_at, row.id or 0))
        if row.status is OfferStatus.PENDING:
            self.pending_by_client[row.client_id] = row.id or 0
        elif row.status is OfferStatus.ACCEPTED:
            self.accepted_by_opening[row.opening_id] = row.id or 0

    def _unindex(self, row: Offer) -> None:
        if self.pending_by_client.get(row.client_id) == row.id:
            del self.pending_by_client[row.client_id]
        if self.accepted_by_opening.get(row.opening_id) == row.id:
            del self.accepted_by_opening[row.opening_id]

    def restore(self, obj_id: int, row: Any) -> None:
        old = self.rows.get(obj_id)
        super().restore(obj_id, row)
        if row is None and old is not None:  # an added offer undone: drop it everywhere
            for index, key in (
                (self.by_opening, old.opening_id),
                (self.by_client, old.client_id),
                (self.by_entry, old.entry_id),
            ):
                index[key].remove(obj_id)
            if old.created_at is not None:
                self.sent_at[old.client_id].remove((old.created_at, obj_id))

    def _check(self, offer: Offer) -> None:
        if offer.status is OfferStatus.PENDING:
            holder = self.pending_by_client.get(offer.client_id)
            if holder is not None and holder != offer.id:
                raise Conflict("That client already holds a pending offer.")
        if offer.status is OfferStatus.ACCEPTED:
            winner = self.accepted_by_opening.get(offer.opening_id)
            if winner is not None and winner != offer.id:
                raise Conflict("That opening already has an accepted offer.")

    def add_many(self, offers: Sequence[Offer]) -> list[Offer]:  # type: ignore[override]
        added = []
        for offer in offers:
            taken = {self.rows[i].entry_id for i in self.by_opening.get(offer.opening_id, ())}
            if offer.entry_id in taken:
                continue  # that entry already has an offer for this opening
            try:
                offer.id = self.add(offer).id
            except Conflict:
                continue
            added.append(offer)
        return added

    def close(
        self,
        opening_id: int,
        status: OfferStatus,
        *,
        now: datetime,
        offer_ids: Sequence[int] | None = None,
        due_by: datetime | None = None,
    ) -> list[Offer]:
        closed = []
        for offer_id in list(self.by_opening.get(opening_id, ())):
            offer = self.rows[offer_id]
            if offer.status is not OfferStatus.PENDING:
                continue
            if offer_ids is not None and offer_id not in offer_ids:
                continue
            if due_by is not None and offer.expires_at > due_by:
                continue
            closed.append(self._answer(offer, status, now))
        return closed

    def settle(self, opening_id: int, accepted_id: int, *, now: datetime) -> list[Offer]:
        if opening_id in self.accepted_by_opening:
            raise Conflict("That opening already has an accepted offer.")
        settled = []
        for offer_id in list(self.by_opening.get(opening_id, ())):
            offer = self.rows[offer_id]
            if offer.status is OfferStatus.PENDING:
                accepted = offer_id == accepted_id
                status = OfferStatus.ACCEPTED if accepted else OfferStatus.WITHDRAWN
                settled.append(self._answer(offer, status, now))
        return settled

    def _answer(self, offer: Offer, status: OfferStatus, now: datetime) -> Offer:
        """A pending offer's outcome, written through _put so the indexes and journal see it."""
        row = _detached(offer)
        row.status, row.responded_at = status, now
        self._put(row.id or 0, row)
        return _detached(row)

    def entries_of_opening(self, opening_id: int | None) -> set[int]:
        if opening_id is None:
            return set()
        return {self.rows[i].entry_id for i in self.by_opening.get(opening_id, ())}

    def for_opening(self, opening_id: int) -> list[Offer]:
        return self._copies(self.by_opening.get(opening_id, ()))

    def pending_for_client(self, client_id: int) -> Offer | None:
        found = self.pending_by_client.get(client_id)
        return self.get(found) if found is not None else None

    def latest_for_entry(self, entry_id: int) -> Offer | None:
        ids = self.by_entry.get(entry_id)
        return self.get(ids[-1]) if ids else None

    def for_entries(self, entry_ids: Sequence[int]) -> list[Offer]:
        ids = sorted(i for e in entry_ids for i in self.by_entry.get(e, ()))
        return self._copies(ids)

    def latest_for_client(self, client_id: int) -> Offer | None:
        ids = self.by_client.get(client_id)
        return self.get(ids[-1]) if ids else None

    def count_for_client(self, client_id: int, since: datetime) -> int:
        stamps = self.sent_at.get(client_id)
        if not stamps:
            return 0
        return len(stamps) - bisect_left(stamps, (since, -1))


class Messages(FakeMessages, _Indexed):
    def __init__(self, journal: Journal) -> None:
        super().__init__(journal)
        self.waiting: dict[int, None] = {}  # queued ids, oldest first
        self.by_client: dict[int, list[int]] = {}
        self.by_sid: dict[str, int] = {}

    def _index(self, row: Message) -> None:
        if row.status is MessageStatus.QUEUED:
            self.waiting[row.id or 0] = None
        if row.client_id is not None:
            ids = self.by_client.setdefault(row.client_id, [])
            if not ids or ids[-1] < (row.id or 0):
                ids.append(row.id or 0)
        if row.provider_sid:
            self.by_sid[row.provider_sid] = row.id or 0

    def _unindex(self, row: Message) -> None:
        self.waiting.pop(row.id or 0, None)
        if row.provider_sid:
            self.by_sid.pop(row.provider_sid, None)

    def restore(self, obj_id: int, row: Any) -> None:
        old = self.rows.get(obj_id)
        super().restore(obj_id, row)
        if row is None and old is not None and old.client_id is not None:
            self.by_client[old.client_id].remove(obj_id)

    def queued(self, limit: int = 100) -> list[Message]:
        ids = sorted(self.waiting)[:limit]
        return self._copies(ids)

    def claim(self, message_ids: Sequence[int], now: datetime) -> Message | None:
        queued = [i for i in sorted(message_ids) if i in self.waiting]
        if not queued:
            return None
        message_id = queued[0]
        row = _detached(self.rows[message_id])
        row.status = MessageStatus.SENDING
        row.attempts += 1
        row.updated_at = now
        self._put(message_id, row)
        return _detached(row)

    def move(
        self,
        message_id: int,
        *,
        from_: Collection[MessageStatus],
        to: MessageStatus,
        claimed_at: datetime | None = None,
        changes: Mapping[str, object] | None = None,
    ) -> bool:
        row = self.rows.get(message_id)
        if row is None or row.status not in from_:
            return False
        if claimed_at is not None and row.updated_at != claimed_at:
            return False
        row = _detached(row)
        row.status = to
        for name, value in (changes or {}).items():
            setattr(row, name, value)
        self._put(message_id, row)
        return True

    def note_sent(self, message_id: int, *, provider_sid: str | None, sent_at: datetime) -> None:
        row = _detached(self.rows[message_id])
        row.provider_sid = row.provider_sid or provider_sid
        row.sent_at = row.sent_at or sent_at
        self._put(message_id, row)

    def get_by_provider_sid(self, sid: str) -> Message | None:
        found = self.by_sid.get(sid)
        return self.get(found) if found is not None else None

    def add_inbound(self, message: Message) -> Message:
        if message.provider_sid and message.provider_sid in self.by_sid:
            raise DuplicateMessage(f"Message {message.provider_sid} was already received.")
        return self.add(message)  # type: ignore[no-any-return]

    def for_client(self, client_id: int, limit: int = 50) -> list[Message]:
        return self._copies(self.by_client.get(client_id, [])[-limit:])

    def recent(self, limit: int = 50) -> list[Message]:
        return self._copies(sorted(self.rows)[-limit:])


class Events(FakeEvents, _Indexed):
    def __init__(self, journal: Journal) -> None:
        super().__init__(journal)
        self.seen: dict[tuple[str, int | None, int | None], int] = {}

    def _index(self, row: Event) -> None:
        key = (row.kind, row.opening_id, row.entry_id)
        self.seen[key] = self.seen.get(key, 0) + 1

    def _unindex(self, row: Event) -> None:
        key = (row.kind, row.opening_id, row.entry_id)
        self.seen[key] -= 1
        if not self.seen[key]:
            del self.seen[key]

    def exists(self, *, kind: str, opening_id: int | None, entry_id: int | None) -> bool:
        return (kind, opening_id, entry_id) in self.seen


class IndexedUnitOfWork(FakeUnitOfWork):
    """`storage.memory`'s unit of work with indexed tables and rollback by journal."""

    def __init__(self) -> None:
        super().__init__()
        self.journal: Journal = []
        self.clinics = Clinics(self.journal)
        self.clients = Clients(self.journal)
        self.clients.uow = self
        self.client_clinics = ClientClinics(self.journal)
        self.providers = Providers(self.journal)
        self.services = Services(self.journal)
        self.appointments = Appointments(self.journal)
        self.offers = Offers(self.journal)
        self.entries = Entries(self, self.journal)
        self.openings = Openings(self, self.journal)
        self.messages = Messages(self.journal)
        self.events = Events(self.journal)
        self._next_ids = self._ids()

    def _ids(self) -> dict[str, int]:
        return {name: getattr(self, name).next_id for name in self._TABLES}

    def __enter__(self) -> IndexedUnitOfWork:
        self.rollback()
        return self

    def commit(self) -> None:
        self.journal.clear()
        self._next_ids = self._ids()
        self.commits += 1

    def rollback(self) -> None:
        if not self.journal:
            return  # nothing written, no id handed out
        while self.journal:
            table, obj_id, row = self.journal.pop()
            table.restore(obj_id, row)
        for name, next_id in self._next_ids.items():
            getattr(self, name).next_id = next_id
