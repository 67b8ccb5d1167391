"""A request that can never be served is questioned, not stored: only days the clinic is
closed, a provider on days or at hours they never work. The blame goes to the words that
made it so (`'tues': Dr. Patel doesn't work Tuesdays`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time, timedelta

from bot.slack.grammar import describe
from bot.slack.grammar.findings import Findings
from bot.slack.grammar.weekdays import ABBR, weekday_of
from core.model import TIME_SLOT_HOURS, Provider
from core.wording import DAY_NAMES

DAY = 24 * 60
_PLURAL = {d: f"{name}s" for d, name in enumerate(DAY_NAMES)}


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def windows(found: Findings) -> list[tuple[int, int]]:
    """The time windows asked for, in minutes of the day (one whole day when none)."""
    start = _minutes(found.time_start[0]) if found.time_start else 0
    end = _minutes(found.time_end[0]) if found.time_end else DAY
    if not found.slots:
        return [(start, end)]
    spans = []
    for slot in found.slots:
        lo, hi = (_minutes(t) for t in TIME_SLOT_HOURS[slot])
        spans.append((max(lo, start), min(hi, end)))
    return [(lo, hi) for lo, hi in spans if hi > lo] or [(start, start)]


def check(
    found: Findings,
    days: set[int],
    providers: Sequence[Provider],
    duration: int,
    today: date,
) -> None:
    """Add a problem when no provider (the chosen ones, else any) works on one of the days
    at one of the windows for `duration` minutes, within the dates asked for."""
    staff = list(found.providers) or [p for p in providers if p.hours]
    if not staff or not any(p.hours for p in staff):
        return
    said = found.said
    who = describe.either([p.name for p in found.providers]) if found.providers else ""
    start = found.date_start[0] if found.date_start else None
    end = found.date_end[0] if found.date_end else None
    dated: set[int] | None = None
    if start and end and start <= end and (end - start).days < 7:
        dated = {weekday_of(start + timedelta(days=k)) for k in range((end - start).days + 1)}
    wanted = days & dated if dated is not None else days
    open_days = {d for p in staff for d, spans in p.hours.items() if spans}
    if not wanted & open_days:
        blame = "days" if said.get("days") and (dated is None or days & dated) else "dates"
        phrase = quoted(said.get(blame) or said.get("days") or said.get("dates") or [])
        closed = sorted(wanted or days, key=lambda d: (d + 6) % 7)
        if who:
            verb = "doesn't" if len(found.providers) == 1 else "don't"
            reason = f"{who} {verb} work {describe.either([_PLURAL[d] for d in closed])}"
        else:
            reason = f"the clinic is closed on {describe.either([_PLURAL[d] for d in closed])}"
        found.problems.append(f"{phrase}: {reason}, so it could never be filled.")
        return
    asked = windows(found)
    need = max(duration, 1)
    for provider in staff:
        for day in wanted & set(provider.hours):
            for lo, hi in provider.hours[day]:
                if any(
                    min(_minutes(hi), w_hi) - max(_minutes(lo), w_lo) >= need
                    for w_lo, w_hi in asked
                ):
                    return
    phrase = quoted(said.get("times") or said.get("days") or [])
    hours = "; ".join(_hours(p, wanted) for p in staff)
    found.problems.append(
        f"{phrase} is outside the hours of {who or 'every provider'} ({hours}), "
        "so it could never be filled."
    )


def quoted(phrases: Sequence[str]) -> str:
    """`'sat am'`, `'tues' and 'after 5'`: the words as typed, each quoted."""
    return " and ".join(f"'{p}'" for p in dict.fromkeys(phrases)) or "That"


def _hours(provider: Provider, days: set[int]) -> str:
    parts = []
    for day in sorted(set(provider.hours) & days, key=lambda d: (d + 6) % 7):
        spans = ", ".join(
            f"{describe.clock(lo)}-{describe.clock(hi)}" for lo, hi in provider.hours[day]
        )
        parts.append(f"{ABBR[day]} {spans}")
    return f"{provider.name}: {', '.join(parts)}" if parts else f"{provider.name}: no hours"
