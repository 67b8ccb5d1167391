"""Days of the week: `weekdays`, `weekends only`, `mon wed fri`, `Tue/Thu`, `mon-fri`,
`Tuesdays`, `any day`, `except Fridays`. Days are numbered 0=Sun … 6=Sat."""

from __future__ import annotations

from bot.slack.grammar.findings import Findings, Line
from bot.slack.grammar.weekdays import SHORT, WEEKDAYS

DAYS = WEEKDAYS
GROUPS = {
    "weekdays": {1, 2, 3, 4, 5},
    "weekday": {1, 2, 3, 4, 5},
    "weekends": {0, 6},
    "weekend": {0, 6},
    "mwf": {1, 3, 5},
    "tth": {2, 4},
    "tuth": {2, 4},
    "tr": {2, 4},
}
ANY_DAY = {("any", "day"), ("any", "days"), ("every", "day"), ("all", "days"), ("daily",)}
EXCEPT = {"except", "not", "no", "excluding", "but", "never", "exc", "excl", "without"}
RANGE = {"-", "–", "to", "through", "thru"}
_LINKS = {",", "/", "&", "and", "or", "+"}


def _days(ctx: Line, i: int) -> tuple[int, set[int]]:
    """One day, a group, or a range of days at tokens[i]: (tokens used, days)."""
    word = ctx.norm(i)
    if word in GROUPS:
        return 1, set(GROUPS[word])
    if (parts := _composite(word, "-")) and len(parts) == 2:
        return 1, _through(*parts)
    if parts := _composite(word, "/"):
        return 1, set(parts)
    if word not in DAYS:
        return 0, set()
    if ctx.norm(i + 1) in RANGE and ctx.norm(i + 2) in DAYS:
        return 3, _through(DAYS[word], DAYS[ctx.norm(i + 2)])
    return 1, {DAYS[word]}


def _composite(word: str, mark: str) -> list[int]:
    """`tu-th`, `M-F`, `m/w/f`, `tue/thu`: days joined by one mark, short forms allowed."""
    parts = word.split(mark)
    if len(parts) < 2 or not all(p in DAYS or p in SHORT for p in parts):
        return []
    return [DAYS[p] if p in DAYS else SHORT[p] for p in parts]


def _through(first: int, last: int) -> set[int]:
    return {(first + k) % 7 for k in range((last - first) % 7 + 1)}


def rule_days(ctx: Line, i: int) -> int:
    """Any days-of-the-week phrase at tokens[i]; returns how many tokens it used."""
    for words in ANY_DAY:
        if tuple(ctx.norm(i + k) for k in range(len(words))) == words:
            after = i + len(words) + 1
            after += ctx.norm(after) == "not"
            if not (ctx.norm(after - 1) in EXCEPT and _days(ctx, after)[0]):  # `any day but fri`
                ctx.found.clear("days", ctx.span(i, len(words)))
            return len(words)
    word = ctx.norm(i)
    if word in EXCEPT:
        # `except Fri`, `no weekends`, `not mon or fri`: every day named after it is left out
        j = i + 1 + (ctx.norm(i + 1) == "not")
        left_out: set[int] = set()
        while True:
            used, days = _days(ctx, j)
            if not used:
                break
            left_out |= days
            j += used
            if ctx.norm(j) in _LINKS and _days(ctx, j + 1)[0]:
                j += 1
        if not left_out:
            return 0
        ctx.found.days_out |= left_out
        return j - i
    used, days = _days(ctx, i)
    found = ctx.found
    if used and ctx.norm(i - 1) == "or" and found.days_in and _timed(found):
        # `weekdays after 5 or sat am`: each set of days with its own time
        tail = used + (
            ctx.norm(i + used)
            in ("am", "pm", "morning", "mornings", "afternoon", "afternoons", "evening", "evenings")
        )
        found.problems.append(
            f"'{ctx.span(i, tail)}' pairs other days with another time; an entry holds one "
            f"set of days and one time — add a second entry for '{ctx.span(i, tail)}'."
        )
        return tail
    found.days_in |= days
    return used


def _timed(found: Findings) -> bool:
    return bool(found.slots or found.time_start or found.time_end)
