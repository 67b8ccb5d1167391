"""SMS wording. Minimum PHI: clinic name, first name, day and time; never a surname or a service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Templates:
    offer: str = (
        "{clinic}: Hi {first}, a spot opened {when}. Reply YES to book or NO to pass. "
        "Expires {expires}."
    )
    booked: str = "{clinic}: You're booked for {when}. See you then! Reply HELP for help."
    taken: str = "{clinic}: Sorry {first}, that spot was just taken. You're still on our waitlist."
    withdrawn: str = (
        "{clinic}: Sorry {first}, the {when} spot has been filled. You're still on our waitlist."
    )
    declined: str = "{clinic}: No problem, {first}. You're still on our waitlist."
    lapsed: str = "{clinic}: The {when} spot has expired. You're still on our waitlist, {first}."


DEFAULT_TEMPLATES = Templates()


def local_when(moment: datetime, timezone: str) -> str:
    """`Tue Feb 17 9:00 AM` in the recipient's time zone."""
    local = moment.astimezone(ZoneInfo(timezone))
    hour = local.hour % 12 or 12
    return f"{local:%a %b} {local.day} {hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def local_clock(moment: datetime, timezone: str) -> str:
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{local.hour % 12 or 12}:{local:%M}"


def render(template: str, *, clinic: str, first: str, when: str = "", expires: str = "") -> str:
    return template.format(clinic=clinic, first=first, when=when, expires=expires)
