"""Date preferences: single dates (read by dateparser), and our own ranges, bounds and spans.

A month and day with no year mean the next such date that is not in the past."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from dateparser.date import DateDataParser

from bot.slack.grammar.findings import Context
from bot.slack.grammar.numbers import number_word

MONTHS = {
    name: index
    for index in range(1, 13)
    for name in (calendar.month_name[index].lower(), calendar.month_abbr[index].lower())
} | {"sept": 9}
WEEKDAY_NAMES = {
    "monday", "mon", "tuesday", "tue", "tues", "wednesday", "wed", "thursday", "thu", "thur",
    "thurs", "friday", "fri", "saturday", "sat", "sunday", "sun",
}  # fmt: skip
JOINERS = {"to", "through", "thru", "till", "until", "-", "–", "—"}
BEFORE = {"before"}
AFTER = {"after"}
UNTIL = {"until", "till", "til", "through", "thru", "by"}
FROM = {"from", "starting", "since", "beginning"}
SPANS = {"within", "next"}
UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 0, "months": 0}
Period = tuple[int, date, date]  # tokens used, first day, last day


@lru_cache(maxsize=4)
def _parser(today: date) -> DateDataParser:
    base = datetime.combine(today, time(12))
    return DateDataParser(languages=["en"], settings={"RELATIVE_BASE": base, "DATE_ORDER": "MDY"})


@lru_cache(maxsize=1024)  # a range reads its first date twice; staff repeat the same dates
def parse_single(text: str, today: date) -> date | None:
    """One date, as dateparser reads it relative to `today` (the clinic's)."""
    found = _parser(today).get_date_data(text).date_obj
    return found.date() if found is not None else None


def warm_up() -> None:
    today = date.today()
    for text in ("Feb 15", "3/15/2026", "next tuesday", "15th of March"):
        parse_single(text, today)


def _next_such(month: int, day: int, not_before: date) -> date | None:
    """The first month/day on or after not_before (Feb 29 waits for a leap year)."""
    for year in range(not_before.year, not_before.year + 9):
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found >= not_before:
            return found
    return None


def _day_number(ctx: Context, i: int) -> int | None:
    if ctx.kind(i) != "num" or ":" in ctx.norm(i):
        return None
    value = int(ctx.norm(i).rstrip("stndrh"))
    return value if 1 <= value <= 31 else None


def _year(ctx: Context, i: int) -> tuple[int, int | None]:
    """An optional year after a month and day: (tokens used, year)."""
    comma = 1 if ctx.norm(i) == "," else 0
    text = ctx.norm(i + comma)
    if ctx.kind(i + comma) == "num" and len(text) == 4 and text.startswith("20"):
        return comma + 1, int(text)
    return 0, None


def read_date(ctx: Context, i: int, not_before: date | None = None) -> tuple[int, date] | None:
    """A single date at tokens[i], or None. A date-shaped phrase that is no real date
    (`2/30`) is recorded as a problem and returned as today, so that it is consumed."""
    floor = not_before or ctx.today
    word, kind = ctx.norm(i), ctx.kind(i)
    if word == "today":
        return 1, ctx.today
    if word in ("tomorrow", "tmrw", "tmr"):
        return 1, ctx.today + timedelta(days=1)
    month_day: tuple[int, int] | None = None
    used, has_year = 1, False
    if kind == "iso":
        has_year = True
    elif kind == "numdate":
        parts = [int(p) for p in word.split("/")]
        has_year = len(parts) == 3
        month_day = (parts[0], parts[1])
    elif word in MONTHS and (day := _day_number(ctx, i + 1)) is not None:
        month_day = (MONTHS[word], day)
        extra, year = _year(ctx, i + 2)
        used, has_year = 2 + extra, year is not None
    elif (day := _day_number(ctx, i)) is not None:
        of = 1 if ctx.norm(i + 1) == "of" else 0
        if ctx.norm(i + 1 + of) not in MONTHS:
            return None
        month_day = (MONTHS[ctx.norm(i + 1 + of)], day)
        extra, year = _year(ctx, i + 2 + of)
        used, has_year = 2 + of + extra, year is not None
    elif word in ("next", "this") and ctx.norm(i + 1) in WEEKDAY_NAMES:
        used = 2
    else:
        return None
    text = ctx.span(i, used)
    found = parse_single(text.replace(",", " "), ctx.today)
    if found is not None and month_day is not None and not has_year:
        found = _next_such(*month_day, floor)
    if found is None or (month_day and (found.month, found.day) != month_day):
        ctx.found.problems.append(f"'{text}' is not a date.")
        return used, ctx.today
    return used, found


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    first = date(day.year + year, month + 1, 1)
    return first.replace(day=min(day.day, _month_end(first).day))


def read_period(ctx: Context, i: int) -> Period | None:
    """A single date, a named month, or this/next week or month, at tokens[i]."""
    word, after = ctx.norm(i), ctx.norm(i + 1)
    today = ctx.today
    if word in ("this", "next") and after in ("week", "month"):
        if after == "week":
            monday = today - timedelta(days=today.weekday())
            if word == "this":
                return 2, today, monday + timedelta(days=6)
            return 2, monday + timedelta(days=7), monday + timedelta(days=13)
        if word == "this":
            return 2, today, _month_end(today)
        first = _add_months(today.replace(day=1), 1)
        return 2, first, _month_end(first)
    single = read_date(ctx, i)
    if single is not None:
        return single[0], single[1], single[1]
    # "may" alone is too often the verb; as a month it needs a word like "in" or "before".
    if word in MONTHS and (
        word != "may" or ctx.norm(i - 1) in BEFORE | AFTER | UNTIL | FROM | {"in", "during"}
    ):
        used, year = _year(ctx, i + 1)
        first = date(year or today.year, MONTHS[word], 1)
        if year is None and _month_end(first) < today:
            first = first.replace(year=first.year + 1)
        return 1 + used, max(first, today) if year is None else first, _month_end(first)
    return None


def _span(ctx: Context, i: int) -> int:
    """`within 2 weeks`, `within a month`, `next 10 days`, `in the next 3 weeks`."""
    j = i + 2 if ctx.norm(i) == "in" and ctx.norm(i + 1) == "the" else i
    if ctx.norm(j) not in SPANS:
        return 0
    count = number_word(ctx.norm(j + 1))
    unit = ctx.norm(j + 2)
    if count is None or unit not in UNITS or count < 1:
        return 0
    if UNITS[unit]:
        last = ctx.today + timedelta(days=count * UNITS[unit])
    else:
        last = _add_months(ctx.today, count)
    ctx.found.between(ctx.today, last, ctx.span(i, j + 3 - i))
    return j + 3 - i


def _range(ctx: Context, i: int, between: bool) -> int:
    """`Feb 15 to Feb 28`, `Feb 15-28`, `2/15 - 3/1`, `between Feb 15 and Mar 1`."""
    first = read_period(ctx, i)
    if first is None:
        return 0
    used, start, _ = first
    joiner = ctx.norm(i + used)
    if joiner not in JOINERS and not (between and joiner == "and"):
        return 0
    j = i + used + 1
    day = _day_number(ctx, j)
    if day is not None and ctx.norm(j + 1) not in MONTHS:
        end = _day_on_or_after(day, start)  # `Feb 15-28`: the same month, or the next
        if end is None:
            return 0
        used = 1
    else:
        last = read_date(ctx, j, not_before=start) or read_period(ctx, j)
        if last is None:
            return 0
        used, end = last[0], last[-1]
    ctx.found.between(start, end, ctx.span(i, j + used - i))
    return j + used - i


def _day_on_or_after(day: int, start: date) -> date | None:
    month = start.replace(day=1)
    for _ in range(3):
        if day <= _month_end(month).day and (found := month.replace(day=day)) >= start:
            return found
        month = _add_months(month, 1)
    return None


def rule_dates(ctx: Context, i: int) -> int:
    """Any date phrase at tokens[i]; returns how many tokens it used (0: none here)."""
    word = ctx.norm(i)
    if used := _span(ctx, i):
        return used
    if word in ("from", "between") and (used := _range(ctx, i + 1, word == "between")):
        return used + 1
    if used := _range(ctx, i, False):
        return used
    bound = word in BEFORE | AFTER | UNTIL | FROM | {"on"}
    if word == "starting" and ctx.norm(i + 1) in ("from", "on"):
        period = read_period(ctx, i + 2)
        skip = 2
    else:
        skip = 1 if bound else 0
        period = read_period(ctx, i + skip)
    if period is None:
        return 0
    used, first, last = period
    used += skip
    phrase = ctx.span(i, used)
    if word in BEFORE:
        ctx.found.end_on(first - timedelta(days=1), phrase)
    elif word in AFTER:
        ctx.found.start_on(last + timedelta(days=1), phrase)
    elif word in UNTIL:
        ctx.found.end_on(last, phrase)
    elif word in FROM:
        ctx.found.start_on(first, phrase)
    else:
        ctx.found.between(first, last, phrase)
    return used
