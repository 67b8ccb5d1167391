"""Short references staff type: W-1042 (entry), A-12 (appointment), O-3 (opening)."""

from __future__ import annotations

import re

from bot.slack.errors import CommandError
from core.limits import MAX_ID

_KINDS = {"W": "waitlist entry", "A": "appointment", "O": "opening"}


def parse_ref(text: str, kind: str) -> int:
    """`W-1042`, `w1042` or `1042` -> 1042 for kind "W"; anything else is a CommandError."""
    match = re.fullmatch(rf"(?:{kind}-?)?(\d{{1,12}})", text.strip(), flags=re.IGNORECASE)
    if not match:
        raise CommandError(
            f"'{text}' is not {_article(kind)} {_KINDS[kind]} reference (like {kind}-1042)."
        )
    number = int(match.group(1))
    if number > MAX_ID:  # no such row can exist; the database could not even look it up
        raise CommandError(f"There is no {_KINDS[kind]} {kind}-{number}.")
    return number


def _article(kind: str) -> str:
    return "an" if kind in "AO" else "a"
