"""Dates, for every command: single dates, ranges, bounds and spans, all read here.

A date written without a year means its nearest reading: `Jan 5` in late November is next
January, but `Nov 3` then has passed and is refused with the next valid reading offered.
`Dec 2`, `2 Dec`, `12/2`, `Dec 2nd` and `the 2nd` are the same kind of date. A weekday name
as a date (`by friday`, `opening … wed 3pm`) is the next such day."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from bot.slack.grammar import describe
from bot.slack.grammar.findings import Line
from bot.slack.grammar.numbers import number_word
from bot.slack.grammar.weekdays import WEEKDAYS, weekday_of

MONTHS = {
    name: index
    for index in range(1, 13)
    for name in (calendar.month_name[index].lower(), calendar.month_abbr[index].lower())
} | {"sept": 9}
JOINERS = {"to", "through", "until", "-", "–", "—"}
BEFORE = {"before"}
AFTER = {"after"}
UNTIL = {"until", "through", "by", "thru"}
FROM = {"from", "starting", "since", "beginning", "start"}
BOUNDS = BEFORE | AFTER | UNTIL | FROM | {"on"}
SPANS = {"within", "next", "over"}
UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7, "month": 0, "months": 0}
LATEST = {("no", "later", "than"), ("not", "later", "than"), ("at", "the", "latest")}
PARTS = {"early": (1, 10), "mid": (11, 20), "late": (21, 31), "end": (21, 31)}
Period = tuple[int, date, date]  # tokens used, first day, last day
HALF_YEAR = 183
HOLIDAYS: dict[object, tuple[int, int]] = {
    "christmas": (12, 25), "xmas": (12, 25), ("christmas", "eve"): (12, 24),
    ("new", "year's"): (1, 1), ("new", "years"): (1, 1), ("new", "year"): (1, 1),
    "nye": (12, 31), "halloween": (10, 31), ("valentine's", "day"): (2, 14),
}  # fmt: skip


def warm_up() -> None:
    """Nothing to load: the reading of dates is our own code."""


def _day_number(ctx: Line, i: int, *, ordinal: bool = False) -> int | None:
    """A day of the month at tokens[i] (`5`, `5th`); with ordinal=True only `5th`."""
    word = ctx.norm(i)
    if ctx.kind(i) != "num" or ":" in word or len(word) > 4:
        return None
    digits = word.rstrip("stndrh")
    if ordinal and digits == word:
        return None
    value = int(digits)
    return value if 1 <= value <= 31 else None


def _year(ctx: Line, i: int) -> tuple[int, int | None]:
    """An optional year after a month and day: (tokens used, year)."""
    comma = 1 if ctx.norm(i) == "," else 0
    text = ctx.norm(i + comma)
    if ctx.kind(i + comma) == "num" and len(text) == 4 and text.startswith("20"):
        return comma + 1, int(text)
    return 0, None


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def nearest(ctx: Line, month: int, day: int, phrase: str, floor: date) -> date | None:
    """The reading of a month and day with no year, on or after floor: this year's if not
    past; else next year's if that is nearer than the one just gone. A date just gone is
    refused with the next valid reading offered (a range's end before its start is returned
    as is, for the range to be questioned). Feb 29 waits for a leap year."""
    this = _valid(floor.year, month, day)
    if this is not None and this >= floor:
        return this
    later = next(
        (d for year in range(floor.year + 1, floor.year + 9) if (d := _valid(year, month, day))),
        None,
    )
    if this is None or later is None:
        return later
    if (later - floor).days < (floor - this).days or (later - floor).days < HALF_YEAR:
        return later
    if floor == ctx.today:
        ctx.found.problems.append(
            f"'{phrase}' has passed — did you mean {describe.day(later, ctx.today, year=True)}?"
        )
    return this


def _month_day(ctx: Line, i: int) -> tuple[int, int, int, int | None] | None:
    """(tokens used, month, day, year) for `Dec 2`, `Dec 2nd, 2027`, `2 Dec`, `2nd of Dec`."""
    word = ctx.norm(i)
    if word in MONTHS and (day := _day_number(ctx, i + 1)) is not None:
        extra, year = _year(ctx, i + 2)
        return 2 + extra, MONTHS[word], day, year
    if (day := _day_number(ctx, i)) is not None:
        of = 1 if ctx.norm(i + 1) == "of" else 0
        if ctx.norm(i + 1 + of) in MONTHS:
            extra, year = _year(ctx, i + 2 + of)
            return 2 + of + extra, MONTHS[ctx.norm(i + 1 + of)], day, year
    return None


def read_date(
    ctx: Line, i: int, not_before: date | None = None, *, weekday: bool = False
) -> tuple[int, date] | None:
    """A single date at tokens[i], or None. A date-shaped phrase that is no real date
    (`2/30`) or has passed is recorded as a problem (and consumed). With weekday=True a bare
    weekday name is a date too: the next such day."""
    floor = not_before or ctx.today
    weekday = weekday or ctx.weekday_dates
    word, kind = ctx.norm(i), ctx.kind(i)
    if word == "yesterday" or (word == "last" and ctx.norm(i + 1) in ("week", "month", *WEEKDAYS)):
        used = 1 if word == "yesterday" else 2
        ctx.found.problems.append(f"'{ctx.span(i, used)}' has passed.")
        return used, ctx.today
    pair = (word, ctx.norm(i + 1))
    if pair in HOLIDAYS or word in HOLIDAYS:
        used = 2 if pair in HOLIDAYS else 1
        month, day = HOLIDAYS[pair if used == 2 else word]
        return used, _no_year(ctx, ctx.span(i, used), month, day, floor)
    if word == "today":
        return 1, ctx.today
    if word == "tomorrow":
        return 1, ctx.today + timedelta(days=1)
    if word in ("day", "the") and ctx.norm(i + 1) == "after" and ctx.norm(i + 2) == "tomorrow":
        return 3, ctx.today + timedelta(days=2)
    if kind == "iso":
        year, month, day = (int(p) for p in word.split("-"))
        return 1, _explicit(ctx, ctx.span(i, 1), year, month, day)
    if kind == "numdate":
        parts = [int(p) for p in word.split("/")]
        if len(parts) == 3:
            year = parts[2] + (2000 if parts[2] < 100 else 0)
            return 1, _explicit(ctx, ctx.span(i, 1), year, parts[0], parts[1])
        return 1, _no_year(ctx, ctx.span(i, 1), parts[0], parts[1], floor)
    if (found := _month_day(ctx, i)) is not None:
        used, month, day, year = found
        phrase = ctx.span(i, used)
        if year is not None:
            return used, _explicit(ctx, phrase, year, month, day)
        return used, _no_year(ctx, phrase, month, day, floor)
    the = 1 if word == "the" else 0
    if (day := _day_number(ctx, i + the, ordinal=not the)) is not None and (
        the or ctx.norm(i - 1) in BOUNDS | {"and", "to", "-"}
    ):
        return the + 1, _day_of_month(ctx, ctx.span(i, the + 1), day, floor)
    this_next = 1 if word in ("this", "next", "coming", "on") else 0
    if ctx.norm(i + this_next) in WEEKDAYS and (weekday or this_next):
        if this_next and word == "on" and not weekday:
            return None
        return 1 + this_next, next_weekday(ctx.today, WEEKDAYS[ctx.norm(i + this_next)])
    return None


def next_weekday(today: date, day: int, *, today_too: bool = False) -> date:
    """The next such day (0=Sun … 6=Sat) after today; today itself if today_too."""
    ahead = (day - weekday_of(today)) % 7
    return today + timedelta(days=ahead if ahead or today_too else 7)


def _explicit(ctx: Line, phrase: str, year: int, month: int, day: int) -> date:
    found = _valid(year, month, day)
    if found is None:
        ctx.found.problems.append(f"'{phrase}' is not a date.")
        return ctx.today
    if found < ctx.today:
        ctx.found.problems.append(f"'{phrase}' has passed.")
    return found


def _no_year(ctx: Line, phrase: str, month: int, day: int, floor: date) -> date:
    if not (1 <= month <= 12 and 1 <= day <= 31) or _valid(2028, month, day) is None:
        ctx.found.problems.append(f"'{phrase}' is not a date.")
        return ctx.today
    return nearest(ctx, month, day, phrase, floor) or ctx.today


def _day_of_month(ctx: Line, phrase: str, day: int, floor: date) -> date:
    """`the 3rd`: the next 3rd of a month, on or after floor."""
    month = floor.replace(day=1)
    for _ in range(3):
        found = _valid(month.year, month.month, day)
        if found is not None and found >= floor:
            return found
        month = add_months(month, 1)
    ctx.found.problems.append(f"'{phrase}' is not a date.")
    return ctx.today


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    first = date(day.year + year, month + 1, 1)
    return first.replace(day=min(day.day, month_end(first).day))


def _week(today: date, ahead: int) -> tuple[date, date]:
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7 * ahead)
    return max(monday, today), monday + timedelta(days=6)


def _relative(ctx: Line, i: int) -> Period | None:
    """this/next week, month or weekend; end of the month/week; the rest of the month."""
    today = ctx.today
    word = ctx.norm(i)
    j = i + (word == "the")
    word = ctx.norm(j)
    if word in ("end", "rest", "eom", "eow") or (word, ctx.norm(j + 1)) == ("remainder", "of"):
        if word in ("eom", "eow"):
            unit, used = ("month" if word == "eom" else "week"), 1
        else:
            k = j + 1 + (ctx.norm(j + 1) == "of")
            k += ctx.norm(k) in ("the", "this")
            if ctx.norm(k) == "next" and ctx.norm(k + 1) in ("week", "month"):
                unit = ctx.norm(k + 1)
                first, last = _week(today, 1) if unit == "week" else _next_month(today)
                start = first if word == "rest" else max(first, last - timedelta(days=6))
                return k + 2 - i, (today if word == "end" else start), last
            if ctx.norm(k) not in ("week", "month"):
                return None
            unit, used = ctx.norm(k), k + 1 - j
        last = month_end(today) if unit == "month" else _week(today, 0)[1]
        return j - i + used, today, last
    if (word, ctx.norm(j + 1), ctx.norm(j + 2)) == ("week", "after", "next"):
        first, last = _week(today, 2)
        return j + 3 - i, first, last
    if word in ("early", "late") and (ctx.norm(j + 1), ctx.norm(j + 2)) in (
        ("this", "week"),
        ("next", "week"),
    ):  # `early next week`: Monday to Wednesday; `late next week`: Thursday to Sunday
        monday, sunday = _week(today, 1 if ctx.norm(j + 1) == "next" else 0)
        monday = sunday - timedelta(days=6)
        first, last = (
            (monday, monday + timedelta(days=2))
            if word == "early"
            else (monday + timedelta(days=3), sunday)
        )
        if last < today:
            ctx.found.problems.append(f"'{ctx.span(i, j + 3 - i)}' has passed.")
            return j + 3 - i, first, last
        return j + 3 - i, max(first, today), last
    unit = ctx.norm(j + 1)
    if (
        word == "this"
        and unit in ("week", "month")
        and (ctx.norm(j + 2), ctx.norm(j + 3)) == ("or", "next")
        and (ctx.norm(j + 4) == unit or ctx.norm(j + 4) not in {*UNITS, "weekend", *WEEKDAYS})
    ):  # `this week or next (week)`: from today to the end of the next one
        last = _week(today, 1)[1] if unit == "week" else _next_month(today)[1]
        return j + 4 + (ctx.norm(j + 4) == unit) - i, today, last
    if word in ("this", "next", "coming") and ctx.norm(j + 1) in ("week", "month", "weekend"):
        unit = ctx.norm(j + 1)
        ahead = 0 if word == "this" else 1
        if unit == "week":
            first, last = _week(today, ahead)
        elif unit == "weekend":
            saturday = today + timedelta(days=(5 - today.weekday()) % 7)
            if today.weekday() == 6:
                saturday -= timedelta(days=7)
            saturday += timedelta(days=7 * ahead)
            first, last = max(saturday, today), saturday + timedelta(days=1)
        elif ahead:
            first, last = _next_month(today)
        else:
            first, last = today, month_end(today)
        return j + 2 - i, first, last
    return None


def _next_month(today: date) -> tuple[date, date]:
    first = add_months(today.replace(day=1), 1)
    return first, month_end(first)


def read_period(ctx: Line, i: int, *, weekday: bool = False) -> Period | None:
    """A single date, a named month (`March`, `early March`), `the week of Dec 14`, or a
    relative period."""
    if (relative := _relative(ctx, i)) is not None:
        return relative
    the = ctx.norm(i) == "the"
    if ctx.norm(i + the) == "week" and ctx.norm(i + the + 1) == "of":
        single = read_date(ctx, i + the + 2, weekday=True)
        if single is not None:
            monday = single[1] - timedelta(days=single[1].weekday())
            return the + 2 + single[0], max(monday, ctx.today), monday + timedelta(days=6)
    single = read_date(ctx, i, weekday=weekday)
    if single is not None:
        return single[0], single[1], single[1]
    word = ctx.norm(i + the)  # `end of March`, `the end of March`, `early March`
    of = ctx.norm(i + the + 1) == "of"
    part = PARTS.get(word) if ctx.norm(i + the + 1 + of) in MONTHS else None
    k = i if part is None else i + the + 1 + of
    month = ctx.norm(k)
    # "may" alone is too often the verb; as a month it needs a word like "in" or "before".
    if month in MONTHS and (month != "may" or part or ctx.norm(i - 1) in BOUNDS | {"in", "during"}):
        used, year = _year(ctx, k + 1)
        today = ctx.today
        first = date(year or today.year, MONTHS[month], 1)
        if year is None and month_end(first) < today:
            first = first.replace(year=first.year + 1)
        last = month_end(first)
        if part is not None:
            first = first.replace(day=part[0])
            last = last.replace(day=min(part[1], last.day))
        if last < today:
            ctx.found.problems.append(f"'{ctx.span(i, k + 1 + used - i)}' has passed.")
        return k + 1 + used - i, max(first, today), last
    return None


def _span(ctx: Line, i: int) -> int:
    """`within 2 weeks`, `within a month`, `next 10 days`, `in the next 3 weeks`."""
    j = i + 2 if ctx.norm(i) in ("in", "over") and ctx.norm(i + 1) == "the" else i
    if ctx.norm(j) not in SPANS:
        return 0
    k = j + 1 + (ctx.norm(j + 1) == "the" and ctx.norm(j) != "next")
    k += ctx.norm(k) == "next"
    count = number_word(ctx.norm(k))
    unit_at = k + 1
    if count is None and ctx.norm(k) in UNITS and ctx.norm(j) != "next":  # `within week`
        count, unit_at = 1, k
    if count is None and ctx.norm(k) in ("few", "couple"):
        count = 2 if ctx.norm(k) == "couple" else 3
        unit_at += ctx.norm(unit_at) == "of"
    unit = ctx.norm(unit_at)
    if count is None or unit not in UNITS or count < 1:
        return 0
    if UNITS[unit]:
        last = ctx.today + timedelta(days=count * UNITS[unit])
    else:
        last = add_months(ctx.today, count)
    ctx.found.between(ctx.today, last, ctx.span(i, unit_at + 1 - i))
    return unit_at + 1 - i


def _range(ctx: Line, i: int, between: bool) -> int:
    """`Feb 15 to Feb 28`, `Feb 15-28`, `2/15 - 3/1`, `between the 3rd and the 10th`."""
    mark = len(ctx.found.problems)
    first = read_period(ctx, i)
    if first is None:
        return 0
    used, start, _ = first
    joiner = ctx.norm(i + used)
    if joiner not in JOINERS and not (between and joiner == "and"):
        del ctx.found.problems[mark:]  # read again as a single date by the caller
        return 0
    j = i + used + 1
    day = _day_number(ctx, j)
    if day is not None and ctx.norm(j + 1) not in MONTHS and ctx.kind(j) == "num":
        end = _day_on_or_after(day, start)  # `Feb 15-28`: the same month, or the next
        if end is None:
            del ctx.found.problems[mark:]
            return 0
        used = 1
    else:
        last = read_date(ctx, j, not_before=start) or read_period(ctx, j)
        if last is None:
            del ctx.found.problems[mark:]
            return 0
        used, end = last[0], last[-1]
    ctx.found.between(start, end, ctx.span(i, j + used - i))
    return j + used - i


def _day_on_or_after(day: int, start: date) -> date | None:
    month = start.replace(day=1)
    for _ in range(3):
        if day <= month_end(month).day and (found := month.replace(day=day)) >= start:
            return found
        month = add_months(month, 1)
    return None


def _either(ctx: Line, i: int) -> int:
    """`tomorrow or the day after`, `next tue or wed`, `dec 3 or dec 10`: one of two days —
    the dates from the first to the second, on those days of the week only."""
    mark = len(ctx.found.problems)
    first = read_date(ctx, i)
    if first is None or ctx.norm(i + first[0]) != "or":
        del ctx.found.problems[mark:]
        return 0
    j = i + first[0] + 1
    if ctx.norm(j) in WEEKDAYS:  # `next tuesday or wednesday`: the one after the first
        second: tuple[int, date] | None = (
            1,
            next_weekday(first[1], WEEKDAYS[ctx.norm(j)], today_too=True),
        )
    elif (ctx.norm(j), ctx.norm(j + 1), ctx.norm(j + 2)) == ("the", "day", "after"):
        second = (3, first[1] + timedelta(days=1))
    else:
        second = read_date(ctx, j, not_before=first[1])
    if second is None or len(ctx.found.problems) > mark:
        del ctx.found.problems[mark:]
        return 0
    used = j + second[0] - i
    phrase = ctx.span(i, used)
    start, end = sorted((first[1], second[1]))
    if (end - start).days > 7:
        ctx.found.problems.append(
            f"'{phrase}' names two days more than a week apart; an entry holds one stretch "
            "of dates, so add an entry for each day."
        )
        return used
    ctx.found.between(start, end, phrase)
    if (end - start).days > 1:
        ctx.found.days_in |= {weekday_of(start), weekday_of(end)}
        ctx.found.said.setdefault("days", []).append(phrase)
    return used


def _from_now(ctx: Line, i: int) -> int:
    """`in 2 weeks`, `2 weeks from now`, `in a month`: from that day on."""
    j = i + (ctx.norm(i) == "in")
    count = 1 if ctx.norm(j) in ("a", "an", "one") else number_word(ctx.norm(j))
    unit = ctx.norm(j + 1)
    if count is None or unit not in UNITS or count < 1:
        return 0
    used = j + 2 - i
    if j == i:  # no `in`: it needs `from now` / `from today`
        if (ctx.norm(j + 2), ctx.norm(j + 3)) not in (("from", "now"), ("from", "today")):
            return 0
        used += 2
    elif ctx.norm(j + 2) == "from" and ctx.norm(j + 3) in ("now", "today"):
        used += 2
    days = UNITS[unit]
    day = ctx.today + timedelta(days=count * days) if days else add_months(ctx.today, count)
    ctx.found.start_on(day, ctx.span(i, used))
    return used


_ORDINAL_WEEKS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2}
_ORDINAL_WEEKS |= {"fourth": 3, "4th": 3, "last": -1, "final": -1}


def _week_of_month(ctx: Line, i: int) -> int:
    """`the first week of december`, `last week of jan`: seven days of that month."""
    j = i + (ctx.norm(i) == "the")
    which = _ORDINAL_WEEKS.get(ctx.norm(j))
    if which is None or ctx.norm(j + 1) != "week" or ctx.norm(j + 2) not in ("of", "in"):
        return 0
    period = read_period(ctx, j + 3)
    if period is None or period[1].month != period[2].month or period[1] == period[2]:
        return 0
    last_day = period[2]
    first_day = last_day.replace(day=1)
    start = first_day + timedelta(days=7 * which) if which >= 0 else last_day - timedelta(days=6)
    end = min(start + timedelta(days=6), last_day)
    used = j + 3 + period[0] - i
    if end < ctx.today:
        ctx.found.problems.append(f"'{ctx.span(i, used)}' has passed.")
    ctx.found.between(max(start, ctx.today), end, ctx.span(i, used))
    return used


def rule_dates(ctx: Line, i: int) -> int:
    """Any date phrase at tokens[i]; returns how many tokens it used (0: none here)."""
    word = ctx.norm(i)
    if used := _span(ctx, i) or _either(ctx, i) or _from_now(ctx, i) or _week_of_month(ctx, i):
        return used
    if word in ("from", "between") and (used := _range(ctx, i + 1, word == "between")):
        return used + 1
    if used := _range(ctx, i, False):
        return used
    bound = word in BOUNDS
    skip = 1 if bound else 0
    if (word, ctx.norm(i + 1), ctx.norm(i + 2)) in LATEST:  # `no later than dec 20`
        word, bound, skip = "until", True, 3
    if word in ("starting", "start", "beginning") and ctx.norm(i + 1) in ("from", "on", "of"):
        skip = 2
    skip += bound and ctx.norm(i + skip) == "the" and ctx.norm(i + skip + 1) == "end"
    # a weekday after a bound is a date (`by friday`); `from mon to fri` stays days of the week
    weekday = bound and word not in ("on", "from")
    period = read_period(ctx, i + skip, weekday=weekday)
    if period is None:
        return 0
    used, first, last = period
    used += skip
    phrase = ctx.span(i, used)
    if word in BEFORE and ctx.norm(i + skip) != "end":
        ctx.found.end_on(first - timedelta(days=1), phrase)
    elif word in BEFORE:  # `before the end of March`: by March 31
        ctx.found.end_on(last, phrase)
    elif word in AFTER:
        ctx.found.start_on(last + timedelta(days=1), phrase)
    elif word in UNTIL:
        ctx.found.end_on(last, phrase)
    elif word in FROM:
        ctx.found.start_on(first, phrase)
    else:
        ctx.found.between(first, last, phrase)
    return used
