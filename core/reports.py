"""What the fills did: yesterday's numbers and a 30-day series, by the clinic's local days."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.ports import FillCounts, UnitOfWork

SERIES_DAYS = 30


def day_bounds(first: date, days: int, timezone: str) -> list[datetime]:
    """The UTC instants of local midnight from `first` through `days` days later.

    Days are cut at local midnight, so a DST day is 23 or 25 hours long as it is on the wall.
    """
    zone = ZoneInfo(timezone)
    return [
        datetime.combine(first + timedelta(days=n), time(0), zone).astimezone(UTC)
        for n in range(days + 1)
    ]


# What the two rates mean, said wherever they are shown.
RATES_EXPLAINED = (
    "Conversion: of all entries ever added to the waitlist, the share booked from it. "
    "Accepted: of the offers texted, the share the patient answered YES."
)


def acceptance_rate(counts: FillCounts) -> int:
    """Of the offers sent, the share accepted, in whole percent."""
    return round(100 * counts.accepted / counts.offers_sent) if counts.offers_sent else 0


def fill_report(
    *,
    uow: UnitOfWork,
    now: datetime,
    timezone: str,
    clinic_id: int | None = None,
) -> dict[str, Any]:
    """Yesterday's fill numbers and those of the 30 whole days before today (local)."""
    days = SERIES_DAYS
    today = now.astimezone(ZoneInfo(timezone)).date()
    first = today - timedelta(days=days)
    bounds = day_bounds(first, days, timezone)
    series = uow.reports.fill_counts(bounds, clinic_id)
    dates = [first + timedelta(days=n) for n in range(days)]
    total = FillCounts(
        openings=sum(c.openings for c in series),
        filled=sum(c.filled for c in series),
        expired=sum(c.expired for c in series),
        offers_sent=sum(c.offers_sent for c in series),
        accepted=sum(c.accepted for c in series),
    )
    yesterday_times = uow.reports.fill_times(bounds[-2], bounds[-1], clinic_id)
    period_times = uow.reports.fill_times(bounds[0], bounds[-1], clinic_id)
    return {
        "timezone": timezone,
        "yesterday": {
            "date": dates[-1].isoformat(),
            **_numbers(series[-1], yesterday_times),
        },
        "last30Days": {
            "from": dates[0].isoformat(),
            "to": dates[-1].isoformat(),
            **_numbers(total, period_times),
            "days": [
                {"date": day.isoformat(), **_counts(counts)}
                for day, counts in zip(dates, series, strict=True)
            ],
        },
    }


def _counts(counts: FillCounts) -> dict[str, int]:
    return {
        "openings": counts.openings,
        "filled": counts.filled,
        "expiredUnfilled": counts.expired,
        "offersSent": counts.offers_sent,
        "accepted": counts.accepted,
    }


def _numbers(counts: FillCounts, fill_times: list[timedelta]) -> dict[str, Any]:
    minutes = [t.total_seconds() / 60 for t in fill_times]
    return {
        **_counts(counts),
        "medianTimeToFillMinutes": round(statistics.median(minutes), 1) if minutes else None,
        "acceptanceRate": acceptance_rate(counts),
    }
