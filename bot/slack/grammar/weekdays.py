"""The one table of weekday names, as the seed numbers days: 0=Sun … 6=Sat."""

from __future__ import annotations

from datetime import date

from core.wording import DAY_ABBR

ABBR = DAY_ABBR
_NAMES = (
    ("sun", "sunday", "sundays", "suns"),
    ("mon", "monday", "mondays", "mons"),
    ("tue", "tues", "tuesday", "tuesdays", "tu"),
    ("wed", "weds", "wednesday", "wednesdays"),
    ("thu", "thur", "thurs", "thursday", "thursdays", "th"),
    ("fri", "friday", "fridays", "fris"),
    ("sat", "saturday", "saturdays", "sats"),
)
WEEKDAYS = {name: index for index, names in enumerate(_NAMES) for name in names}
# One- and two-letter forms, understood only inside `M/W/F`, `tu-th`, `MWF`.
SHORT = {"su": 0, "m": 1, "mo": 1, "t": 2, "tu": 2, "w": 3, "we": 3, "r": 4, "th": 4, "f": 5}
SHORT |= {"fr": 5, "sa": 6, "s": 6}


def weekday_of(day: date) -> int:
    """0=Sunday … 6=Saturday."""
    return (day.weekday() + 1) % 7


def monday_first(days: tuple[int, ...] | list[int] | set[int]) -> list[int]:
    """Days in the order staff read a week."""
    return sorted(days, key=lambda d: (d + 6) % 7)
