"""Time-of-day preferences: buckets (`mornings`), windows (`9am-2pm`, `between 10 and 2`) and
bounds (`after 3pm`, `before noon`). An hour without am/pm is read as clinic hours: 8–11 in the
morning, 12–7 in the afternoon or evening."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from bot.slack.grammar.findings import Line
from core.model import TimeSlot

BUCKETS = {
    "morning": TimeSlot.MORNING,
    "mornings": TimeSlot.MORNING,
    "afternoon": TimeSlot.AFTERNOON,
    "afternoons": TimeSlot.AFTERNOON,
    "evening": TimeSlot.EVENING,
    "evenings": TimeSlot.EVENING,
    "am": TimeSlot.MORNING,
    "ams": TimeSlot.MORNING,
    "pm": TimeSlot.AFTERNOON,
    "pms": TimeSlot.AFTERNOON,
}
# Windows with a name: (earliest, latest), either may be open.
NAMED = {
    ("lunchtime",): (time(12), time(13)),
    ("lunch",): (time(12), time(13)),
    ("lunch", "break"): (time(12), time(13)),
    ("after", "lunch"): (time(13), None),
    ("before", "lunch"): (None, time(12)),
    ("lunch", "hour"): (time(12), time(13)),
    ("over", "lunch"): (time(12), time(13)),
    ("before", "work"): (None, time(9)),
    ("after", "work"): (time(17), None),
    ("after", "school"): (time(15), None),
    ("early", "morning"): (time(8), time(10)),
    ("early", "mornings"): (time(8), time(10)),
    ("late", "morning"): (time(10), time(12)),
    ("late", "mornings"): (time(10), time(12)),
    ("early", "afternoon"): (time(12), time(14)),
    ("early", "afternoons"): (time(12), time(14)),
    ("late", "afternoon"): (time(15), time(17)),
    ("late", "afternoons"): (time(15), time(17)),
    ("first", "thing"): (None, time(10)),
    ("end", "of", "day"): (time(15), None),
}
_NAMED_LONGEST_FIRST = sorted(NAMED.items(), key=lambda named: -len(named[0]))
ANY_TIME = {
    ("any", "time"), ("anytime",), ("all", "day"), ("any", "hour"), ("flexible",),
    ("no", "preference"), ("no", "pref"),
}  # fmt: skip
JOINERS = {"-", "–", "—", "to", "until", "through"}
AFTER = {"after", "from", "past", "starting"}
BEFORE = {"before", "by", "until"}
_CLOCK = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?\s?(?:([ap])\.?(?:m\.?)?)?$")


@dataclass(frozen=True)
class Clock:
    hour: int
    minute: int
    half: str | None  # "a", "p", or None when the user left it out

    def at(self, half: str | None) -> time | None:
        """This clock in the given half of the day (None: a 24-hour clock or a guess)."""
        hour = self.hour
        if half is not None:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if half == "p" else 0)
        elif hour > 23:
            return None
        return time(hour, self.minute)

    def guess(self) -> str | None:
        if self.half or self.hour > 12 or self.hour == 0:
            return self.half
        return "a" if 8 <= self.hour <= 11 else "p"


def _clock(ctx: Line, i: int) -> Clock | None:
    word, kind = ctx.norm(i), ctx.kind(i)
    if word in ("noon", "midday", "12noon"):
        return Clock(12, 0, "p")
    if kind not in ("time", "num"):
        return None
    match = _CLOCK.match(word)
    if match is None:
        return None
    hour, minute, half = match.groups()
    if int(minute or 0) > 59:
        return Clock(99, 0, None)  # reported as not a time
    return Clock(int(hour), int(minute or 0), half)


def _not_a_time(ctx: Line, i: int) -> int:
    ctx.found.problems.append(f"'{ctx.span(i, 1)}' is not a time of day.")
    return 1


def _window(ctx: Line, i: int, first: Clock, j: int, second: Clock) -> int:
    phrase = ctx.span(i, j + 1 - i)
    if first.half is None and second.half is not None:
        start = first.at(second.half)
        end = second.at(second.half)
        if start is not None and end is not None and start >= end:
            start = first.at("a" if second.half == "p" else "p")
    elif second.half is None and first.half is not None:
        start = first.at(first.half)
        end = second.at(first.half)
        if start is not None and end is not None and end <= start:
            end = second.at("p" if first.half == "a" else "a")
    else:
        start, end = first.at(first.guess()), second.at(second.guess())
        if start is not None and end is not None and end <= start and first.half is None:
            ctx.found.problems.append(
                f"I couldn't tell whether '{phrase}' is in the morning or the evening; "
                "add am or pm."
            )
            return j + 1 - i
    if start is None or end is None:
        ctx.found.problems.append(f"'{phrase}' is not a time window.")
        return j + 1 - i
    found = ctx.found
    found.time_start = found.once(found.time_start, start, phrase, "the earliest time")
    found.time_end = found.once(found.time_end, end, phrase, "the latest time")
    return j + 1 - i


def _either(ctx: Line, i: int, phrase: str) -> None:
    """`before 10 or after 3`: two windows, which an entry cannot hold; said so exactly."""
    found = ctx.found
    before = found.time_start or found.time_end
    if ctx.norm(i - 1) == "or" and before is not None:
        found.two_windows = True
        found.problems.append(
            f"'{before[1]} or {phrase}' is two time windows; an entry holds one. "
            f"Keep one (e.g. '{before[1]}'), or add a second entry for '{phrase}'."
        )


def rule_times(ctx: Line, i: int) -> int:
    """Any time-of-day phrase at tokens[i]; returns how many tokens it used."""
    word, found = ctx.norm(i), ctx.found
    if word in ("no", "not", "except", "but") and ctx.norm(i + 1) in BUCKETS:
        # `no mornings`: the other parts of the day
        unwanted = BUCKETS[ctx.norm(i + 1)]
        for slot in TimeSlot:
            if slot != unwanted and slot not in found.slots:
                found.slots.append(slot)
        return 2
    if word in BUCKETS:
        if BUCKETS[word] not in found.slots:
            found.slots.append(BUCKETS[word])
        return 1
    for words in ANY_TIME:
        if tuple(ctx.norm(i + k) for k in range(len(words))) == words:
            if ctx.norm(i + len(words)) not in AFTER | BEFORE | {"between"}:
                found.clear("times", ctx.span(i, len(words)))
            return len(words)  # `anytime after 11:30` says when: the bound that follows
    for words, (earliest, latest) in _NAMED_LONGEST_FIRST:
        if tuple(ctx.norm(i + k) for k in range(len(words))) == words:
            phrase = ctx.span(i, len(words))
            if earliest:
                found.time_start = found.once(
                    found.time_start, earliest, phrase, "the earliest time"
                )
            if latest:
                found.time_end = found.once(found.time_end, latest, phrase, "the latest time")
            _either(ctx, i, phrase)
            return len(words)
    between = word in ("between", "from")
    first_at = i + 1 if between else i
    first = _clock(ctx, first_at)
    if first is not None:
        joiner = ctx.norm(first_at + 1)
        second = _clock(ctx, first_at + 2)
        if second is not None and (joiner in JOINERS or (between and joiner == "and")):
            return _window(ctx, i, first, first_at + 2, second)
    if word in AFTER | BEFORE and (clock := _clock(ctx, i + 1)) is not None:
        value = clock.at(clock.guess())
        if value is None:
            return 1 + _not_a_time(ctx, i + 1)
        phrase = ctx.span(i, 2)
        _either(ctx, i, phrase)
        if word in AFTER:
            found.time_start = found.once(found.time_start, value, phrase, "the earliest time")
        else:
            found.time_end = found.once(found.time_end, value, phrase, "the latest time")
        return 2
    if (
        first is not None
        and ctx.norm(i + 1) in ("onwards", "onward", "on")
        or (
            first is not None
            and (ctx.norm(i + 1), ctx.norm(i + 2)) in (("or", "later"), ("and", "later"))
        )
    ):  # `3pm onwards`, `4 or later`
        value = first.at(first.guess())
        if value is None:
            return _not_a_time(ctx, i)
        used = 2 if ctx.norm(i + 1) != "or" and ctx.norm(i + 1) != "and" else 3
        phrase = ctx.span(i, used)
        found.time_start = found.once(found.time_start, value, phrase, "the earliest time")
        return used
    if first is not None and ctx.kind(i) == "time" and first.at(first.half) is None:
        return _not_a_time(ctx, i)
    return 0


def read_clock(ctx: Line, i: int) -> tuple[int, time] | None:
    """One time of day at tokens[i] (`3pm`, `16:00`, `noon`, `9:30am`, `11:15`): (tokens
    used, time). An hour without am/pm is read as clinic hours; a word that is no real time
    (`25:00`, `13pm`) is a problem, reported and consumed."""
    clock = _clock(ctx, i)
    if clock is None:
        return None
    if ctx.kind(i) == "num" and ":" not in ctx.norm(i) and not 1 <= clock.hour <= 12:
        return None
    value = clock.at(clock.guess())
    if value is None:
        ctx.found.problems.append(f"'{ctx.span(i, 1)}' is not a time of day.")
        return 1, time(0)
    return 1, value
