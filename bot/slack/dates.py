"""Single dates and times as staff type them (dateparser, in the clinic's time zone)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import dateparser

from bot.slack.errors import CommandError


def parse_moment(text: str, now: datetime, timezone: str) -> datetime:
    """`Tue 2pm`, `Feb 17 14:00`, `tomorrow 9am` -> an aware datetime, in the future if the
    text leaves the date open."""
    local_now = now.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    found = dateparser.parse(
        text,
        languages=["en"],
        settings={
            "TIMEZONE": timezone,
            "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now,
        },
    )
    if found is None:
        raise CommandError(f"I couldn't read '{text}' as a date and time (try `Tue Feb 17 2pm`).")
    return found


def parse_day(text: str, now: datetime, timezone: str) -> date:
    try:
        return parse_moment(text, now, timezone).date()
    except CommandError:
        raise CommandError(f"I couldn't read '{text}' as a date (try `Feb 20`).") from None
