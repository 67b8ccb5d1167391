"""Aggregates for the stats report: each window's counts come from one GROUP BY per table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select

from core.model import OfferStatus, OpeningStatus
from core.ports import FillCounts
from storage.repositories.base import SqlRepository
from storage.tables import OfferRow, OpeningRow


def _window(column: Any, bounds: Sequence[datetime]) -> tuple[ColumnElement[Any], list[Any]]:
    """The index of the window a moment falls in, and the conditions that keep it in range."""
    bucket = case(*[(column < bound, index) for index, bound in enumerate(bounds[1:])])
    return bucket, [column >= bounds[0], column < bounds[-1]]


class SqlReportRepository(SqlRepository):
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
