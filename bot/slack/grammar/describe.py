"""Short human wording of what was understood, for the reply that says it back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

from bot.slack.grammar.weekdays import ABBR, monday_first
from core.model import TimeSlot
from core.wording import clock

_BUCKET = {
    TimeSlot.MORNING: "mornings",
    TimeSlot.AFTERNOON: "afternoons",
    TimeSlot.EVENING: "evenings",
}


def day(value: date, today: date, *, year: bool = False) -> str:
    """'Feb 15', or 'Feb 15, 2027' when it is not this year (or year=True)."""
    text = f"{value:%b} {value.day}"
    return text if value.year == today.year and not year else f"{text}, {value.year}"


def weekday_date(value: date, today: date) -> str:
    """'Wed Dec 2' (with the year when it is not this year)."""
    return f"{ABBR[(value.weekday() + 1) % 7]} {day(value, today)}"


def dates(start: date | None, end: date | None, today: date) -> str:
    if start and end:
        return day(start, today) if start == end else f"{day(start, today)} - {day(end, today)}"
    if start:
        return f"from {day(start, today)}"
    return f"until {day(end, today)}" if end else "any dates"


def times(start: time | None, end: time | None) -> str:
    if start and end:
        return f"{clock(start)}-{clock(end)}"
    if start:
        return f"after {clock(start)}"
    return f"before {clock(end)}" if end else "any time"


def buckets(slots: Iterable[TimeSlot]) -> str:
    return " or ".join(_BUCKET[s] for s in slots)


def weekdays(days: tuple[int, ...]) -> str:
    if set(days) == {1, 2, 3, 4, 5}:
        return "weekdays"
    if set(days) == {0, 6}:
        return "weekends"
    return ", ".join(ABBR[d] for d in monday_first(days))


def either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
