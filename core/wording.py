"""The words every face of the product uses for days and times: one weekday table
(0=Sun … 6=Sat, as the seed counts) and one 12-hour clock."""

from __future__ import annotations

from datetime import time

DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
DAY_ABBR = tuple(name[:3] for name in DAY_NAMES)


def twelve_hour(value: time) -> str:
    """09:00 -> '9:00 AM', 14:30 -> '2:30 PM'."""
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"
