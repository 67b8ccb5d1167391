"""The natural-language `/waitlist add` and `edit` lines: our grammar for ranges, days, times,
priority, expiry, notes and names, with dateparser for single dates and phonenumbers for phones.
A line is understood whole or not at all: every problem is reported, and nothing is returned."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from bot.slack.grammar import dates, days, describe, terms, times
from bot.slack.grammar.findings import Context, Findings
from bot.slack.grammar.leftovers import explain
from bot.slack.grammar.names import TITLES, NameIndex
from bot.slack.grammar.tokens import take_notes, tokenize
from core.directory import normalize_phone
from core.errors import InvalidInput
from core.model import Provider, Service

RULES = (dates.rule_dates, times.rule_times, days.rule_days, terms.rule_terms)
# Words with a meaning in the grammar are never taken as a one-word part of a name.
# Words with a meaning in the grammar: offered as "did you mean", and never taken as a
# one-word part of a service or provider name.
VOCABULARY = sorted(
    {b for b in times.BUCKETS if len(b) > 3}
    | set(days.DAYS)
    | set(days.GROUPS)
    | {m for m in dates.MONTHS if len(m) > 3}
    | terms.PRIORITY_WORDS
    | terms.EXPIRES
    | {"urgent", "asap", "within", "before", "after", "until", "between", "tomorrow", "today"}
    | {"next", "week", "weeks", "month", "months", "except", "from", "noon", "anytime"}
    | {"lunchtime", "weekend", "weekday", "tomorrow", "through", "starting"}
)
RESERVED = (
    set(VOCABULARY)
    | terms.FILLER
    | set(dates.MONTHS)
    | TITLES
    | set(times.BUCKETS)
    | {w for words in times.NAMED for w in words}
    | {"clear", "this", "end", "early", "late", "mid", "not", "no", "but", "every", "all"}
)
ALL_DAYS = frozenset(range(7))
_NUMBER_RUN = re.compile(r"[+(]?\d[\d().\s-]*")
_NUMBER_GROUP = re.compile(r"[+(]?\d[\d().-]*")
EXAMPLE = "write the name, then the phone, e.g. 'Jane Doe 617-555-0101 botox weekdays'"


@dataclass(frozen=True)
class Directory:
    """The names a line can refer to."""

    services: Sequence[Service]
    providers: Sequence[Provider]

    @cached_property
    def index(self) -> NameIndex:
        return NameIndex(self.services, self.providers, RESERVED)


@dataclass(frozen=True)
class ParsedAdd:
    first_name: str
    last_name: str
    phone: str  # E.164
    preferences: dict[str, Any]  # keyword arguments for core.entries.add_to_waitlist
    understood: list[str]  # one short line per thing understood, for the confirmation


@dataclass(frozen=True)
class ParsedEdit:
    changes: dict[str, Any]  # for core.entries.update_waitlist_entry
    understood: list[str]


class ParseError(Exception):
    """The line was not understood whole; `problems` says exactly what and why."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(dict.fromkeys(problems))  # the same problem once
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if len(self.problems) == 1:
            return self.problems[0]
        return "\n".join(f"• {problem}" for problem in self.problems)


def warm_up() -> None:
    """Load dateparser's language data now rather than on the first command."""
    dates.warm_up()


def parse_add(text: str, *, directory: Directory, now: datetime, timezone: str) -> ParsedAdd:
    """`Jane Doe 617-555-0101 botox with Dr. Johnson weekdays 9am-2pm Feb 15 to Feb 28`."""
    line, notes, unbalanced = take_notes(text)
    problems = ["A note has no closing quote."] if unbalanced else []
    phone_at = _find_phone(line)
    if phone_at is None:
        raise ParseError([*problems, f"I couldn't find the client's phone number; {EXAMPLE}."])
    start, end = phone_at
    name = tokenize(line, 0, start)
    if not name:
        problems.append(f"I couldn't find the client's name; {EXAMPLE}.")
    elif any(t.kind != "word" and t.norm != "," for t in name):
        typed = line[name[0].start : name[-1].end]
        problems.append(f"I read '{typed}' as the client's name; write the name, then the phone.")
    try:
        phone = normalize_phone(line[start:end])
    except InvalidInput as exc:
        problems.append(exc.message)
        phone = ""
    ctx = _read(line, tokenize(line, end), notes, directory, now, timezone)
    preferences, understood = _assemble(ctx, now, timezone, edit=False)
    problems += ctx.found.problems
    if problems:
        raise ParseError(problems)
    words = [_capitalized(t.text) for t in name if t.kind == "word"]
    return ParsedAdd(words[0], " ".join(words[1:]), phone, preferences, understood)


def _capitalized(word: str) -> str:
    """`jane` -> `Jane`, `o'brien` -> `O'Brien`; a name typed with capitals stays as typed."""
    if not word.islower():
        return word
    return re.sub(r"(^|[-'’])(\w)", lambda m: m.group(1) + m.group(2).upper(), word)


def parse_edit(text: str, *, directory: Directory, now: datetime, timezone: str) -> ParsedEdit:
    """`priority 1 afternoons`, `any day`, `no provider`: the changes to an entry."""
    line, notes, unbalanced = take_notes(text)
    ctx = _read(line, tokenize(line), notes, directory, now, timezone)
    changes, understood = _assemble(ctx, now, timezone, edit=True)
    problems = ["A note has no closing quote."] if unbalanced else []
    problems += ctx.found.problems
    if not problems and not changes:
        problems.append("Say what to change, e.g. 'priority 1 afternoons' or 'any day'.")
    if problems:
        raise ParseError(problems)
    return ParsedEdit(changes, understood)


def _find_phone(line: str) -> tuple[int, int] | None:
    """Where the phone is: the longest run of number groups that phonenumbers takes for a
    valid number, else for a possible one (then reported as invalid). Our own search for the
    candidates, since phonenumbers' matcher gives up on `617 555 0101 9-11`."""
    for run in _NUMBER_RUN.finditer(line):
        groups = list(_NUMBER_GROUP.finditer(line, run.start(), run.end()))
        for first, group in enumerate(groups):
            found: dict[bool, tuple[int, int]] = {}
            for last in groups[first:]:
                try:
                    number = phonenumbers.parse(line[group.start() : last.end()], "US")
                except phonenumbers.NumberParseException:
                    continue
                if phonenumbers.is_possible_number(number):
                    found[phonenumbers.is_valid_number(number)] = (group.start(), last.end())
            if found:
                return found.get(True) or found[False]
    return None


def _read(
    line: str,
    tokens: list[Any],
    notes: list[str],
    directory: Directory,
    now: datetime,
    timezone: str,
) -> Context:
    today = now.astimezone(ZoneInfo(timezone)).date()
    ctx = Context(line, tokens, today, directory.index, Findings(notes=notes))
    runs: list[list[int]] = []
    i = 0
    while i < len(tokens):
        used = ctx.names.exact_at(ctx, i) or next((u for rule in RULES if (u := rule(ctx, i))), 0)
        if used:
            i += used
            continue
        if ctx.norm(i) not in terms.FILLER:
            if runs and runs[-1][-1] == i - 1:
                runs[-1].append(i)
            else:
                runs.append([i])
        i += 1
    for run in runs:
        explain(ctx, run, VOCABULARY)
    return ctx


def _assemble(
    ctx: Context, now: datetime, timezone: str, *, edit: bool
) -> tuple[dict[str, Any], list[str]]:
    """The EDITABLE fields and the lines understood. An edit replaces a whole group (all the
    time fields, both dates) so that `afternoons` does not keep an old `9am-2pm`."""
    found, today = ctx.found, ctx.today
    out: dict[str, Any] = {}
    said: list[str] = []

    def group(name: str, given: bool, label: str) -> bool:
        if given and name in found.cleared:
            found.problems.append(f"The line both sets and clears the {label}.")
        return given or name in found.cleared

    if group("service", found.service is not None, "service"):
        service = found.service[0] if found.service else None
        out["service_id"] = service.id if service else None
        said.append(_named(found, service.name) if service else "any service")
    if group("providers", bool(found.providers), "providers"):
        out["provider_ids"] = tuple(p.id for p in found.providers)
        names = [_named(found, p.name) for p in found.providers]
        said.append(f"with {describe.either(names)}" if names else "any provider")
    if group("days", bool(found.days_in or found.days_out), "days"):
        chosen = (found.days_in or set(ALL_DAYS)) - found.days_out
        if not chosen:
            found.problems.append("That leaves no day of the week.")
        picked = () if chosen == ALL_DAYS else tuple(sorted(chosen))
        out["preferred_days"] = picked
        said.append(describe.weekdays(picked) if picked else "any day")
    _times(found, out, said, edit)
    _dates(found, out, said, today, edit)
    if found.priority is not None:
        out["priority"] = found.priority[0]
        said.append(f"priority {found.priority[0]}" + (" (asap)" if found.asap else ""))
    if group("expiry", found.expires is not None, "expiry"):
        out["expires_at"] = _expires_at(found, now, timezone)
        said.append(
            f"expires {describe.day(found.expires[0], today)}" if found.expires else "no expiry"
        )
    if "" in found.notes:  # `""` empties the note
        found.cleared.add("notes")
    if group("notes", any(found.notes), "note"):
        note = "; ".join(n for n in found.notes if n)
        out["notes"] = note or None
        said.append(f"note: {note}" if note else "no note")
    if not edit:  # a new entry starts empty: clearing something is saying nothing
        out = {k: v for k, v in out.items() if v not in (None, ())}
    return out, said


def _named(found: Findings, name: str) -> str:
    """A name, and the typo it was read from: `Botox (read from 'botx')`."""
    typo = found.corrected.get(name)
    return f"{name} (read from '{typo}')" if typo else name


def _times(found: Findings, out: dict[str, Any], said: list[str], edit: bool) -> None:
    start = found.time_start[0] if found.time_start else None
    end = found.time_end[0] if found.time_end else None
    given = bool(start or end or found.slots)
    if given and "times" in found.cleared:
        found.problems.append("The line both sets and clears the times.")
    if start and end and end <= start and not found.two_windows:
        phrases = dict.fromkeys(p[1] for p in (found.time_start, found.time_end) if p)
        found.problems.append(
            f"The times contradict each other: '{' and '.join(phrases)}' leaves no time."
        )
    if not given and "times" not in found.cleared:
        return
    fields: dict[str, Any] = {
        "preferred_time_slots": tuple(found.slots),
        "preferred_time_start": start,
        "preferred_time_end": end,
    }
    out.update(fields if edit else {k: v for k, v in fields.items() if v})
    if found.slots:
        said.append(describe.buckets(found.slots))
    if start or end or not found.slots:
        said.append(describe.times(start, end))


def _dates(found: Findings, out: dict[str, Any], said: list[str], today: date, edit: bool) -> None:
    start = found.date_start[0] if found.date_start else None
    end = found.date_end[0] if found.date_end else None
    if found.asap and start is None:
        start = today
    given = bool(start or end)
    if given and "dates" in found.cleared:
        found.problems.append("The line both sets and clears the dates.")
    if start and end and end < start:
        phrases = dict.fromkeys(p[1] for p in (found.date_start, found.date_end) if p)
        found.problems.append(
            f"The dates contradict each other: '{' and '.join(phrases)}' leaves no day."
        )
    elif end and end < today and not any("has passed" in p for p in found.problems):
        found.problems.append(f"The dates end in the past ({describe.day(end, today)}).")
    if not given and "dates" not in found.cleared:
        return
    fields = {"preferred_date_start": start, "preferred_date_end": end}
    out.update(fields if edit else {k: v for k, v in fields.items() if v})
    said.append(describe.dates(start, end, today))


def _expires_at(found: Findings, now: datetime, timezone: str) -> datetime | None:
    """`expires Mar 31` keeps the entry through Mar 31 in the clinic: it ends at midnight."""
    if found.expires is None:
        return None
    midnight = datetime.combine(found.expires[0] + timedelta(days=1), time(0))
    at = midnight.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)
    if at <= now and not any("has passed" in p for p in found.problems):
        found.problems.append(f"'{found.expires[1]}' is in the past; the expiry must be later.")
    return at
