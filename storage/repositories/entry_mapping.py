"""Waitlist entries ⇄ rows: preferences become bit masks and minute counts so that matching
is plain integer arithmetic in SQL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import time
from functools import cache
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from core.matching import BUCKET_BITS, ENTRY_TERMS
from core.model import AppointmentType, EntryStatus, PaymentType, TimeSlot, WaitlistEntry
from storage.repositories.base import row_values
from storage.tables import EntryProviderRow, EntryRow

# Fields of WaitlistEntry that are not stored in a same-named column.
_DERIVED = (
    "id",
    "provider_ids",
    "preferred_time_start",
    "preferred_time_end",
    "preferred_time_slots",
    "preferred_days",
)


# Columns that hold core's matching terms, as core.matching.ENTRY_TERMS derives them.
_TERM_COLUMNS = ("days_mask", "time_start_min", "time_end_min", "time_slots_mask")


def entry_row_values(entry: WaitlistEntry) -> dict[str, Any]:
    values = row_values(entry, skip=_DERIVED)
    values.update({column: ENTRY_TERMS[column](entry) for column in _TERM_COLUMNS})
    values["any_provider"] = not entry.provider_ids
    return values


# Read once: looking a dataclass's fields up again for every row is most of a row's cost.
_ENTRY_FIELDS = [f.name for f in fields(WaitlistEntry) if f.name not in _DERIVED]


def to_entry(row: EntryRow, provider_ids: tuple[int, ...]) -> WaitlistEntry:
    """The entry of a row: an ORM row, or a plain row with the same column names."""
    values = {name: getattr(row, name) for name in _ENTRY_FIELDS}
    values.update(
        id=row.id,
        provider_ids=provider_ids,
        preferred_time_start=_clock(row.time_start_min),
        preferred_time_end=_clock(row.time_end_min),
        preferred_time_slots=_time_slots(row.time_slots_mask),
        preferred_days=_days(row.days_mask),
        status=EntryStatus(row.status),
        appointment_type=_maybe(AppointmentType, row.appointment_type),
        payment_type=_maybe(PaymentType, row.payment_type),
    )
    return WaitlistEntry(**values)


@cache
def _time_slots(mask: int) -> tuple[TimeSlot, ...]:
    return tuple(slot for slot, bit in BUCKET_BITS.items() if mask & bit)


@cache
def _days(mask: int) -> tuple[int, ...]:
    return tuple(day for day in range(7) if mask & (1 << day))


def load_provider_ids(session: Session, entry_ids: Iterable[int]) -> dict[int, tuple[int, ...]]:
    """Preferred providers of many entries in one query."""
    ids = list(entry_ids)
    found: dict[int, list[int]] = {}
    if ids:
        rows = session.execute(
            select(EntryProviderRow.entry_id, EntryProviderRow.provider_id)
            .where(EntryProviderRow.entry_id.in_(ids))
            .order_by(EntryProviderRow.entry_id, EntryProviderRow.position)
        )
        for entry_id, provider_id in rows:
            found.setdefault(entry_id, []).append(provider_id)
    return {entry_id: tuple(found.get(entry_id, ())) for entry_id in ids}


def store_provider_ids(
    session: Session, entry_id: int, provider_ids: Iterable[int], *, replace: bool
) -> None:
    if replace:
        session.execute(delete(EntryProviderRow).where(EntryProviderRow.entry_id == entry_id))
    unique = list(dict.fromkeys(provider_ids))  # keep the order, drop repeats
    if unique:
        session.execute(
            insert(EntryProviderRow),
            [
                {"entry_id": entry_id, "provider_id": provider_id, "position": position}
                for position, provider_id in enumerate(unique)
            ],
        )


def providers_of(session: Session, rows: Iterable[EntryRow]) -> dict[int, tuple[int, ...]]:
    """Preferred providers of these entries; only entries that name some are looked up."""
    rows = list(rows)
    found = load_provider_ids(session, (row.id for row in rows if not row.any_provider))
    return {row.id: found.get(row.id, ()) for row in rows}


def to_entries(session: Session, rows: Iterable[EntryRow]) -> list[WaitlistEntry]:
    rows = list(rows)
    providers: Mapping[int, tuple[int, ...]] = providers_of(session, rows)
    return [to_entry(row, providers[row.id]) for row in rows]


def _clock(minutes: int | None) -> time | None:
    return None if minutes is None else time(minutes // 60, minutes % 60)


def _maybe(kind: Any, value: str | None) -> Any:
    return None if value is None else kind(value)
