"""Priority (`priority 2`, `p1`, `urgent`, `asap`), expiry (`expires Mar 31`), clearing a
preference (`any provider`, `clear days`), and the small words that carry no meaning."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.slack.grammar.dates import UNITS, read_period
from bot.slack.grammar.findings import Line
from bot.slack.grammar.numbers import number_word

PRIORITY_WORDS = {"priority", "prio", "pri", "pr"}
NAMED_PRIORITY = {
    "urgent": 1, "asap": 1, "high": 2, "normal": 3, "medium": 3, "med": 3, "low": 4,
    "lowest": 5, "highest": 1, "top": 1,
}  # fmt: skip
EXPIRES = {"expires", "expire", "expiring", "exp", "expiry", "expiration"}
GROUPS = {
    "days": "days", "day": "days", "times": "times", "time": "times", "dates": "dates",
    "date": "dates", "provider": "providers", "providers": "providers", "service": "service",
    "notes": "notes", "note": "notes", "expiry": "expiry", "expiration": "expiry",
}  # fmt: skip
CLEARINGS = {
    ("any", "provider"): "providers", ("any", "providers"): "providers",
    ("no", "provider"): "providers", ("any", "service"): "service", ("no", "service"): "service",
    ("any", "date"): "dates", ("any", "dates"): "dates", ("no", "dates"): "dates",
    ("no", "notes"): "notes", ("no", "note"): "notes", ("no", "expiry"): "expiry",
    ("no", "expiration"): "expiry", ("never", "expires"): "expiry",
    ("does", "not", "expire"): "expiry", ("doesn't", "expire"): "expiry",
}  # fmt: skip
FILLER = {
    "for", "and", "or", "on", "only", "please", "prefers", "prefer", "preferred", "preferably",
    "available", "the", "a", "an", "at", "in", "with", "by", "is", "are", "wants", "needs",
    "can", "do", "ok", "fine", "any", "also", "but", "see", "of", "provider", "service",
    "to", "", "from", "o'clock", "oclock", "pls", "plz", "ideally", "would", "like", "likes",
    "want", "need", "appointment", "works", "best", "free", "around", "sometime", "some",
    "time", "times", "slot", "slots", "spot", "she", "he", "they", "her", "his", "their",
    "client", "patient", "pt", "new", "wait", "waitlist", "list", "add", "book", "possible",
    "if", "be", "could", "should", "preference", "@", "#", "~", "every", "each", "first",
    "earliest", "soonest", "whenever",
    ",", ";", ":", ".", "/", "&", "+", "-", "–", "—", "!", "(", ")",
}  # fmt: skip
# Closing a line, these only say the line replaces what was there ("edit W-3 mornings
# instead"); before what they replace ("afternoons instead of mornings") they are left unread,
# so the line is questioned rather than read as both.
CLOSING_FILLER = {"instead", "rather"}
_P_NUMBER = re.compile(r"p(\d+)$")


def _priority(ctx: Line, i: int) -> tuple[int, int | None]:
    """(tokens used, priority) at tokens[i]; (0, None) when there is none."""
    word, after = ctx.norm(i), ctx.norm(i + 1)
    if word in PRIORITY_WORDS:
        skip = 1 if after in (":", "=", "of", "is") else 0
        value = ctx.norm(i + 1 + skip)
        if value.isdigit():
            return 2 + skip, int(value)
        if value in NAMED_PRIORITY and value != "asap":
            return 2 + skip, NAMED_PRIORITY[value]
        return 0, None
    if word in NAMED_PRIORITY and word not in ("asap", "urgent") and after in PRIORITY_WORDS:
        return 2, NAMED_PRIORITY[word]
    if word in ("urgent", "asap", "emergency", "stat"):
        return 1, 1
    if match := _P_NUMBER.match(word):
        return 1, int(match.group(1))
    return 0, None


def _expiry(ctx: Line, i: int) -> int:
    j = i + 1 + (ctx.norm(i + 1) in (":", "on", "by", "after"))
    phrase_end = j
    if ctx.norm(j) == "in" and (count := number_word(ctx.norm(j + 1))) and ctx.norm(j + 2) in UNITS:
        days = UNITS[ctx.norm(j + 2)] or 30
        day = ctx.today + timedelta(days=count * days)
        phrase_end = j + 3
    elif (period := read_period(ctx, j)) is not None:
        day = period[2]
        phrase_end = j + period[0]
    else:
        ctx.found.problems.append(
            f"I couldn't tell when it expires: '{ctx.span(i, j - i)}' needs a date after it, "
            "e.g. 'expires Mar 31' or 'expires in 30 days'."
        )
        return j - i
    phrase = ctx.span(i, phrase_end - i)
    ctx.found.expires = ctx.found.once(ctx.found.expires, day, phrase, "the expiry")
    return phrase_end - i


def rule_terms(ctx: Line, i: int) -> int:
    """Priority, expiry or a clearing at tokens[i]; returns how many tokens it used."""
    word, found = ctx.norm(i), ctx.found
    for words, group in CLEARINGS.items():
        if tuple(ctx.norm(i + k) for k in range(len(words))) == words:
            found.clear(group, ctx.span(i, len(words)))
            return len(words)
    if word == "clear" and ctx.norm(i + 1) in GROUPS:
        found.clear(GROUPS[ctx.norm(i + 1)], ctx.span(i, 2))
        return 2
    used, value = _priority(ctx, i)
    if used:
        phrase = ctx.span(i, used)
        if value is None or not 1 <= value <= 5:
            found.problems.append(f"Priority goes from 1 (most urgent) to 5; '{phrase}' doesn't.")
        else:
            found.priority = found.once(found.priority, value, phrase, "the priority")
        found.asap = found.asap or word == "asap"
        return used
    if word in EXPIRES:
        return _expiry(ctx, i)
    return 0
