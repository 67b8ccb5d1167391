"""Aggregates for the stats report: each window's counts come from one GROUP BY per table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, literal, literal_column, select, union_all
from sqlalchemy.dialects.postgresql import insert as postgres_insert

from core.model import EntryStatus, OfferStatus, OpeningStatus
from core.ports import EntryCounts, FillCounts
from storage.repositories.base import SqlRepository
from storage.tables import EntryCountChangeRow, EntryCountRow, OfferRow, OpeningRow

US_PER_DAY = 86_400 * 1_000_000
FOLD_BATCH = 50_000


def _window(column: Any, bounds: Sequence[datetime]) -> tuple[ColumnElement[Any], list[Any]]:
    """The index of the window a moment falls in, and the conditions that keep it in range.
    The index is a balanced tree of comparisons (five for 30 days, not up to thirty): it is
    worked out for every row in range, and most rows are recent, the end of a flat list."""
    return _bucket(column, bounds, 0, len(bounds) - 1), [
        column >= bounds[0],
        column < bounds[-1],
    ]


def _bucket(column: Any, bounds: Sequence[datetime], low: int, high: int) -> ColumnElement[Any]:
    """The index n in [low, high) with bounds[n] <= column < bounds[n + 1]."""
    if high - low == 1:
        return literal(low)
    middle = (low + high) // 2
    return case(
        (column < bounds[middle], _bucket(column, bounds, low, middle)),
        else_=_bucket(column, bounds, middle, high),
    )


class SqlReportRepository(SqlRepository):
    def entry_counts(self, clinic_id: int | None = None) -> EntryCounts:
        kept = [
            select(t.status, t.entries, t.booked, t.wait_us).where(
                *([] if clinic_id is None else [t.clinic_id == clinic_id])
            )
            for t in (EntryCountRow, EntryCountChangeRow)
        ]
        rows = union_all(*kept).subquery()
        query = select(
            rows.c.status,
            func.sum(rows.c.entries),
            func.sum(rows.c.booked),
            func.sum(rows.c.wait_us),
        ).group_by(rows.c.status)
        counts = dict.fromkeys(EntryStatus, 0)
        booked = wait_us = 0
        for status, entries, waited, wait in self.session.execute(query):
            counts[EntryStatus(status)] = int(entries)
            if status == EntryStatus.BOOKED.value:
                booked, wait_us = int(waited), int(wait)
        average = wait_us / booked / US_PER_DAY if booked else None
        return EntryCounts(counts=counts, average_wait_days=average)

    def fold_entry_counts(self) -> int:
        """On PostgreSQL, move appended changes into `entry_counts` (rows another fold holds
        are skipped, and moved by it); SQLite's triggers write `entry_counts` directly."""
        if self.dialect != "postgresql":
            return 0
        change = EntryCountChangeRow
        batch = (
            select(change.id)
            .order_by(change.id)
            .limit(FOLD_BATCH)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        moved = (
            delete(change)
            .where(change.id.in_(batch))
            .returning(
                change.clinic_id, change.status, change.entries, change.booked, change.wait_us
            )
            .cte("moved")
        )
        summed = select(
            moved.c.clinic_id,
            moved.c.status,
            func.sum(moved.c.entries),
            func.sum(moved.c.booked),
            func.sum(moved.c.wait_us),
        ).group_by(moved.c.clinic_id, moved.c.status)
        # Rows are added in key order, so two folds never wait on each other in a cycle.
        summed = summed.order_by(moved.c.clinic_id, moved.c.status)
        names = ["clinic_id", "status", "entries", "booked", "wait_us"]
        upsert = postgres_insert(EntryCountRow).from_select(names, summed)
        upsert = upsert.on_conflict_do_update(
            index_elements=["clinic_id", "status"],
            set_={
                name: getattr(EntryCountRow, name) + getattr(upsert.excluded, name)
                for name in ("entries", "booked", "wait_us")
            },
        ).returning(literal_column("1"))
        return len(self.session.execute(upsert).all())

    def fill_counts(
        self, bounds: Sequence[datetime], clinic_id: int | None = None
    ) -> list[FillCounts]:
        if len(bounds) < 2:
            return []
        result = [FillCounts() for _ in bounds[1:]]
        in_clinic = [] if clinic_id is None else [OpeningRow.clinic_id == clinic_id]
        opening_counts = {
            "openings": (OpeningRow.created_at, []),
            "filled": (OpeningRow.filled_at, [OpeningRow.status == OpeningStatus.FILLED.value]),
            "expired": (OpeningRow.closed_at, [OpeningRow.status == OpeningStatus.EXPIRED.value]),
        }
        for name, (column, conditions) in opening_counts.items():
            bucket, in_range = _window(column, bounds)
            rows = self.session.execute(
                select(bucket, func.count())
                .where(*in_range, *conditions, *in_clinic)
                .group_by(bucket)
            )
            for index, count in rows:
                result[index] = replace(result[index], **{name: count})
        bucket, in_range = _window(OfferRow.created_at, bounds)
        accepted = func.sum(case((OfferRow.status == OfferStatus.ACCEPTED.value, 1), else_=0))
        query = select(bucket, func.count(), accepted).where(*in_range).group_by(bucket)
        if clinic_id is not None:
            query = query.join(OpeningRow, OpeningRow.id == OfferRow.opening_id).where(*in_clinic)
        for index, sent, taken in self.session.execute(query):
            result[index] = replace(result[index], offers_sent=sent, accepted=int(taken or 0))
        return result

    def fill_times(
        self, start: datetime, end: datetime, clinic_id: int | None = None
    ) -> list[timedelta]:
        query = select(OpeningRow.created_at, OpeningRow.filled_at).where(
            OpeningRow.status == OpeningStatus.FILLED.value,
            OpeningRow.filled_at >= start,
            OpeningRow.filled_at < end,
        )
        if clinic_id is not None:
            query = query.where(OpeningRow.clinic_id == clinic_id)
        return [filled - created for created, filled in self.session.execute(query)]
