"""The words every face of the product uses for days and times: one weekday table
(0=Sun … 6=Sat, as the seed counts) and one 12-hour clock.

Texts, Slack, the console and the demo all say time through here, so a time is never shown as
a bare `9:45` that could be morning or evening.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
DAY_ABBR = tuple(name[:3] for name in DAY_NAMES)


def clock(moment: time | datetime) -> str:
    """`9:45 AM`, `12:00 PM`, `12:30 AM`: hour without a leading zero, minutes always."""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def day(moment: date | datetime) -> str:
    """`Tue Feb 17`."""
    return f"{moment:%a %b} {moment.day}"


def local_clock(moment: datetime, timezone: str) -> str:
    """`9:45 AM` in `timezone`."""
    return clock(moment.astimezone(ZoneInfo(timezone)))


def local_when(moment: datetime, timezone: str) -> str:
    """`Tue Feb 17 9:45 AM` in `timezone`."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{day(local)} {clock(local)}"
