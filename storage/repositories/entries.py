"""Waitlist entries: storage, the REST list, the candidate search, counts for stats."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    bindparam,
    exists,
    extract,
    func,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from core.errors import InvalidInput
from core.model import ACTIVE_STATUSES, EntryStatus, WaitlistEntry
from core.ports import SORT_FIELDS, Candidate, CandidateQuery, EntryFilter, Page, SlotSpec
from storage.repositories.base import SqlRepository, existing, plain
from storage.repositories.candidates import find_candidates
from storage.repositories.directory import KNOWN_AT
from storage.repositories.entry_mapping import (
    entry_row_values,
    load_provider_ids,
    providers_of,
    store_provider_ids,
    to_entries,
    to_entry,
)
from storage.repositories.open_slots import page_by_open_slots
from storage.repositories.term_cache import forget
from storage.tables import ClientRow, EntryProviderRow, EntryRow

SORT_COLUMNS: dict[str, Any] = {
    "created_at": EntryRow.created_at,
    "updated_at": EntryRow.updated_at,
    "priority": EntryRow.priority,
    "date_range_start": EntryRow.preferred_date_start,
    "date_range_end": EntryRow.preferred_date_end,
}
_NULLABLE_SORTS = frozenset({"updated_at", "date_range_start", "date_range_end"})
_ACTIVE = sorted(status.value for status in ACTIVE_STATUSES)
_ENTRIES = EntryRow.__table__
_ENTRY_COLUMNS = tuple(_ENTRIES.columns)


_GET = select(*_ENTRY_COLUMNS).where(_ENTRIES.c.id == bindparam("entry_id"))
_GET_FOR_UPDATE = _GET.with_for_update()


@cache
def _move_statement(skip_busy: bool, limited: bool, changes: tuple[str, ...]) -> Any:
    """The status change of `move` for one shape, built once with bound parameters."""
    ids = bindparam("ids", expanding=True)
    if skip_busy:
        free = select(_ENTRIES.c.id).where(
            _ENTRIES.c.id.in_(ids), _ENTRIES.c.status == bindparam("current")
        )
        if limited:  # the first that are free, in the order given
            order = bindparam("order", type_=ARRAY(Integer))
            free = free.order_by(func.array_position(order, _ENTRIES.c.id)).limit(
                bindparam("limit")
            )
        # Locked once, in a CTE: as a plain subquery the planner may run it again for
        # each row, and a rerun no longer sees the rows just moved, so passes the limit.
        chosen = free.with_for_update(skip_locked=True).cte("chosen")
        which = _ENTRIES.c.id.in_(select(chosen.prefix_with("MATERIALIZED").c.id))
    else:
        which = _ENTRIES.c.id.in_(ids)
    return (
        update(_ENTRIES)
        .where(which, _ENTRIES.c.status == bindparam("current"))
        .values(
            status=bindparam("to"),
            updated_at=bindparam("now"),
            updated_by=bindparam("actor"),
            **{name: bindparam(f"new_{name}") for name in changes},
        )
        .returning(_ENTRIES.c.id)
    )


class SqlEntryRepository(SqlRepository):
    def add(self, entry: WaitlistEntry) -> WaitlistEntry:
        if entry.created_at is None:
            entry.created_at = datetime.now(UTC)
        row = EntryRow(**entry_row_values(entry))
        self.session.add(row)
        self.session.flush()
        store_provider_ids(self.session, row.id, entry.provider_ids, replace=False)
        entry.id = row.id
        forget(self.session, row.id)  # an id SQLite hands out again after a delete
        return entry

    def get(self, entry_id: int, *, for_update: bool = False) -> WaitlistEntry | None:
        # Plain rows, not ORM objects: lighter, and nothing in the session to go stale.
        query = _GET_FOR_UPDATE if for_update else _GET
        row = self.session.execute(query, {"entry_id": entry_id}).first()
        if row is None:
            return None
        return to_entry(row, providers_of(self.session, [row])[row.id])

    def save(self, entry: WaitlistEntry) -> None:
        row = existing(self.session.get(EntryRow, entry.id), f"Waitlist entry {entry.ref}")
        for name, value in entry_row_values(entry).items():
            setattr(row, name, value)
        self.session.flush()
        stored = load_provider_ids(self.session, [row.id])[row.id]
        wanted = tuple(dict.fromkeys(entry.provider_ids))
        if stored != wanted:
            store_provider_ids(self.session, row.id, wanted, replace=True)
        forget(self.session, row.id)

    def move(
        self,
        entry_ids: Sequence[int],
        *,
        current: EntryStatus,
        status: EntryStatus,
        now: datetime,
        actor: str,
        changes: Mapping[str, object],
        skip_busy: bool = False,
        limit: int | None = None,
    ) -> list[int]:
        skipping = skip_busy and self.dialect == "postgresql"  # SQLite: one writer, none busy
        statement = _move_statement(skipping, limit is not None, tuple(changes))
        parameters: dict[str, Any] = {
            "current": current.value,
            "to": status.value,
            "now": now,
            "actor": actor,
            **{f"new_{name}": plain(value) for name, value in changes.items()},
        }
        if skipping:
            parameters.update(ids=sorted(entry_ids), order=list(entry_ids), limit=limit)
        else:
            parameters.update(ids=sorted(entry_ids[:limit]))
        moved = set(self.session.scalars(statement, parameters))
        return [entry_id for entry_id in entry_ids if entry_id in moved]

    def candidates(self, query: CandidateQuery) -> list[Candidate]:
        return find_candidates(self.session, query)

    def clinics_of_clients(self, client_ids: Sequence[int]) -> dict[int, set[int]]:
        if not client_ids:
            return {}
        ids = list(client_ids)
        query = union(
            *(
                select(row.client_id, row.clinic_id).where(row.client_id.in_(ids))
                for row in KNOWN_AT
            )
        )
        found: dict[int, set[int]] = {}
        for client_id, clinic_id in self.session.execute(query):
            found.setdefault(client_id, set()).add(clinic_id)
        return found

    def counts_by_status(self, clinic_id: int | None = None) -> dict[EntryStatus, int]:
        query = select(EntryRow.status, func.count()).group_by(EntryRow.status)
        if clinic_id is not None:
            query = query.where(EntryRow.clinic_id == clinic_id)
        counts = dict.fromkeys(EntryStatus, 0)
        for status, count in self.session.execute(query):
            counts[EntryStatus(status)] = count
        return counts

    def average_wait_days(self, clinic_id: int | None = None) -> float | None:
        if self.dialect == "sqlite":
            days = func.julianday(EntryRow.booked_at) - func.julianday(EntryRow.created_at)
        else:
            days = extract("epoch", EntryRow.booked_at - EntryRow.created_at) / 86400.0
        query = select(func.avg(days)).where(
            EntryRow.status == EntryStatus.BOOKED.value, EntryRow.booked_at.is_not(None)
        )
        if clinic_id is not None:
            query = query.where(EntryRow.clinic_id == clinic_id)
        average = self.session.scalar(query)
        return None if average is None else float(average)

    def ids_to_expire(
        self, *, now: datetime, created_before: datetime, clinic_id: int | None = None
    ) -> list[int]:
        query = (
            select(EntryRow.id)
            .where(
                EntryRow.status.in_(_ACTIVE),
                (EntryRow.expires_at <= now) | (EntryRow.created_at < created_before),
            )
            .order_by(EntryRow.id)
        )
        if clinic_id is not None:
            query = query.where(EntryRow.clinic_id == clinic_id)
        return list(self.session.scalars(query))

    def list_by_open_slots(
        self,
        filters: EntryFilter,
        slots: Sequence[SlotSpec],
        *,
        now: datetime,
        descending: bool = True,
        offset: int = 0,
        limit: int = 20,
    ) -> Page[tuple[WaitlistEntry, int]]:
        found, total = page_by_open_slots(
            self.session,
            _filter_conditions(filters),
            slots,
            now=now,
            descending=descending,
            offset=offset,
            limit=limit,
        )
        rows = self.session.scalars(select(EntryRow).where(EntryRow.id.in_([i for i, _ in found])))
        entries = {entry.id: entry for entry in to_entries(self.session, rows)}
        return Page([(entries[i], n) for i, n in found], total)

    # Last in the class: a method named `list` would shadow the builtin in later annotations.
    def list(
        self,
        filters: EntryFilter,
        *,
        sort_by: str = "created_at",
        descending: bool = True,
        offset: int = 0,
        limit: int = 20,
    ) -> Page[WaitlistEntry]:
        if sort_by not in SORT_COLUMNS:
            raise InvalidInput(
                f"Cannot sort by {sort_by!r}; use one of {', '.join(SORT_FIELDS)}.", "sort_by"
            )
        conditions = _filter_conditions(filters)
        total = self.session.scalar(select(func.count()).select_from(EntryRow).where(*conditions))
        column = SORT_COLUMNS[sort_by]
        order = column.desc() if descending else column.asc()
        if sort_by in _NULLABLE_SORTS:
            order = order.nulls_last()  # same place for "not set" on every database
        tie_break = EntryRow.id.desc() if descending else EntryRow.id.asc()
        # The page's ids first (from an index where one covers the filters and the order),
        # then only those rows: sorting whole rows would read every filtered row.
        ids = list(
            self.session.scalars(
                select(EntryRow.id)
                .where(*conditions)
                .order_by(order, tie_break)
                .offset(offset)
                .limit(limit)
            )
        )
        rows = self.session.scalars(select(EntryRow).where(EntryRow.id.in_(ids))) if ids else []
        found = {entry.id: entry for entry in to_entries(self.session, rows)}
        return Page([found[entry_id] for entry_id in ids], total or 0)


def _filter_conditions(filters: EntryFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.clinic_id is not None:
        conditions.append(EntryRow.clinic_id == filters.clinic_id)
    if filters.clinic_ids:
        conditions.append(EntryRow.clinic_id.in_(filters.clinic_ids))
    if filters.statuses:
        conditions.append(EntryRow.status.in_([str(s) for s in filters.statuses]))
    if filters.service_id is not None:
        conditions.append(EntryRow.service_id == filters.service_id)
    if filters.provider_ids:
        conditions.append(
            exists().where(
                EntryProviderRow.entry_id == EntryRow.id,
                EntryProviderRow.provider_id.in_(list(filters.provider_ids)),
            )
        )
    if filters.client_id is not None:
        conditions.append(EntryRow.client_id == filters.client_id)
    if filters.priority is not None:
        conditions.append(EntryRow.priority == filters.priority)
    if filters.date_from is not None:
        conditions.append(EntryRow.preferred_date_start >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(EntryRow.preferred_date_end <= filters.date_to)
    if filters.appointment_types:
        conditions.append(
            EntryRow.appointment_type.in_([str(t) for t in filters.appointment_types])
        )
    if filters.appointment_categories:
        conditions.append(EntryRow.appointment_category.in_(list(filters.appointment_categories)))
    if filters.payment_type is not None:
        conditions.append(EntryRow.payment_type == str(filters.payment_type))
    if filters.reachable is not None:
        unreachable = select(ClientRow.id).where(
            or_(ClientRow.sms_opt_out.is_(True), ClientRow.phone_invalid.is_(True))
        )
        chosen = EntryRow.client_id.in_(unreachable)
        conditions.append(~chosen if filters.reachable else chosen)
    return conditions
