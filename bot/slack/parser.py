"""The natural-language `/waitlist add` and `edit` lines: our grammar for ranges, days, times,
priority, expiry, notes and names, with dateparser for single dates and phonenumbers for phones.
A line is understood whole or not at all: every problem is reported, and nothing is returned."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.slack.grammar import dates, days, describe, servable, terms, times
from bot.slack.grammar.findings import Findings, Line
from bot.slack.grammar.leftovers import explain
from bot.slack.grammar.names import TITLES, NameIndex
from bot.slack.grammar.tokens import Token, take_notes, tokenize
from bot.slack.grammar.weekdays import weekday_of
from core.audit import mask_phone
from core.directory import fold, normalize_phone, phone_assigned, same_person
from core.errors import InvalidInput
from core.model import Client, Provider, Service

RULES = (
    (dates.rule_dates, "dates"),
    (times.rule_times, "times"),
    (days.rule_days, "days"),
    (terms.rule_terms, "terms"),
)
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
_DATE_LIKE = re.compile(
    r"[\d\s-]*/[\d/\s-]*|\d{4}-\d\d?-\d\d?"
)  # `12/5-12/12` has seven digits and is no phone
EXAMPLE = "write the name, then the phone, e.g. 'Jane Doe 617-555-0101 botox weekdays'"


class ClientBook(Protocol):
    """The clinic's clients, as a line can name them."""

    def by_name(self, words: Sequence[str]) -> list[Client]: ...
    def by_phone(self, phone: str) -> Client | None: ...


@dataclass(frozen=True)
class Directory:
    """The names a line can refer to."""

    services: Sequence[Service]
    providers: Sequence[Provider]
    clients: ClientBook | None = None

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
    client_id: int | None = None  # a client the clinic already has


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
    """`Jane Doe 617-555-0101 botox with Dr. Johnson weekdays 9am-2pm Feb 15 to Feb 28`; a
    client the clinic already has needs no phone (`Maria Garcia botox`)."""
    line, notes, unbalanced = take_notes(text)
    problems = [_unclosed(text)] if unbalanced else []
    phone_at = _find_phone(line)
    known: Client | None = None
    phone, typed_phone = "", ""
    claimed: list[Client] = []
    if phone_at is None:
        rest = tokenize(line)
        name, known = _name_without_phone(line, rest, directory)
        if known is None and directory.clients is not None:
            # `add filler for Tom Baker, thurs pm`: a known client named anywhere in the line
            claim = _claimer(line, directory.clients, claimed)
            ctx = _read(line, rest, notes, directory, now, timezone, typed=text, claim=claim)
            if len(claimed) == 1:
                return _finish(ctx, problems, now, timezone, claimed[0])
        if not name:
            raise ParseError([*problems, f"I couldn't find the client's name; {EXAMPLE}."])
        typed = line[name[0].start : name[-1].end]
        if known is None:
            problems.append(
                f"I don't know a client called '{typed}'; write their phone after the name, "
                f"e.g. '{typed} 617-555-0101 …'."
            )
        rest = rest[len(name) :]
    else:
        start, end = phone_at
        typed_phone = line[start:end].strip()
        name = tokenize(line, 0, start)
        rest = tokenize(line, end)
        if not name:
            problems.append(f"I couldn't find the client's name; {EXAMPLE}.")
        elif any(t.kind != "word" and t.norm != "," for t in name):
            typed = line[name[0].start : name[-1].end]
            problems.append(
                f"I read '{typed}' as the client's name; write the name, then the phone."
            )
        try:
            phone = normalize_phone(typed_phone)
        except InvalidInput as exc:
            problems.append(exc.message)
    typed_name = [t.text for t in name if t.kind == "word"]
    whole = " ".join(typed_name)
    same_case = whole.islower() or whole.isupper()
    words = [_capitalized(w) if same_case else w for w in typed_name]
    if phone and words and directory.clients is not None:
        known, problem = _check_phone(directory.clients, words, phone, typed_phone)
        problems += [problem] if problem else []
    ctx = _read(line, rest, notes, directory, now, timezone, typed=text)
    preferences, understood = _assemble(ctx, now, timezone, edit=False)
    problems += ctx.found.problems
    if problems:
        raise ParseError(problems)
    if known is not None:
        return ParsedAdd(
            known.first_name, known.last_name, known.phone, preferences, understood, known.id
        )
    if not phone_assigned(phone):
        understood.append(f"⚠ {typed_phone} is not an assigned number: texts to it will not arrive")
    return ParsedAdd(words[0], " ".join(words[1:]), phone, preferences, understood)


def _capitalized(word: str) -> str:
    """`jane` -> `Jane`, `o'brien` -> `O'Brien`, `MARY-JANE` -> `Mary-Jane` (for a name typed
    all in one case; a name in mixed case stays as typed: `Camila de la Cruz`)."""
    word = word.lower()
    return re.sub(r"(^|[-'’])(\w)", lambda m: m.group(1) + m.group(2).upper(), word)


def _claimer(
    line: str, book: ClientBook, claimed: list[Client]
) -> Callable[[Line, list[int]], bool]:
    """A reader of unread words that takes them as a known client's whole name."""

    def claim(ctx: Line, run: list[int]) -> bool:
        words = [ctx.tokens[k].text for k in run if ctx.kind(k) == "word"]
        if not words or len(words) != len(run):
            return False
        typed = fold(" ".join(words))
        found = [c for c in book.by_name(words) if fold(f"{c.first_name} {c.last_name}") == typed]
        if len(found) == 1:
            claimed.append(found[0])
            return True
        return False

    return claim


def _finish(
    ctx: Line, problems: list[str], now: datetime, timezone: str, client: Client
) -> ParsedAdd:
    preferences, understood = _assemble(ctx, now, timezone, edit=False)
    problems = problems + ctx.found.problems
    if problems:
        raise ParseError(problems)
    return ParsedAdd(
        client.first_name, client.last_name, client.phone, preferences, understood, client.id
    )


def _check_phone(
    book: ClientBook, words: Sequence[str], phone: str, typed: str
) -> tuple[Client | None, str]:
    """The client the name and phone mean, or the question to ask: a phone that is another
    client's, or a known client's name with another phone."""
    owner = book.by_phone(phone)
    if owner is not None:
        if same_person(owner, " ".join(words)):
            return owner, ""
        return None, (
            f"'{typed}' is {owner.first_name} {owner.last_name}'s number — to add for "
            f"{owner.first_name}, write '{owner.first_name} {owner.last_name}'; if "
            f"{' '.join(words)} is a new client, write their own number."
        )
    for client in book.by_name(words):
        if fold(f"{client.first_name} {client.last_name}") == fold(" ".join(words)):
            return None, (
                f"{client.first_name} {client.last_name} is on file with "
                f"{mask_phone(client.phone)}, not '{typed}' — leave the phone out to add for "
                "them, or check the number."
            )
    return None, ""


def _name_without_phone(
    line: str, tokens: list[Token], directory: Directory
) -> tuple[list[Token], Client | None]:
    """The leading words that name a known client (longest first); else the leading words
    the grammar does not know, as the name of someone unknown."""
    leading = []
    for token in tokens:
        if token.kind != "word":
            break
        leading.append(token)
    if directory.clients is not None:
        for n in range(min(5, len(leading)), 0, -1):
            found = [
                c
                for c in directory.clients.by_name([t.text for t in leading[:n]])
                if fold(f"{c.first_name} {c.last_name}")
                == fold(line[leading[0].start : leading[n - 1].end])
            ]
            if len(found) == 1:
                return leading[:n], found[0]
    index = directory.index
    name: list[Token] = []
    for token in leading:
        if token.norm in RESERVED or index.exact.get(token.norm) or index.find(token.norm)[1]:
            break
        name.append(token)
    return name, None


def parse_edit(text: str, *, directory: Directory, now: datetime, timezone: str) -> ParsedEdit:
    """`priority 1 afternoons`, `any day`, `no provider`: the changes to an entry."""
    line, notes, unbalanced = take_notes(text)
    ctx = _read(line, tokenize(line), notes, directory, now, timezone, typed=text)
    changes, understood = _assemble(ctx, now, timezone, edit=True)
    problems = [_unclosed(text)] if unbalanced else []
    problems += ctx.found.problems
    if not problems and not changes:
        problems.append("Say what to change, e.g. 'priority 1 afternoons' or 'any day'.")
    if problems:
        raise ParseError(problems)
    return ParsedEdit(changes, understood)


@lru_cache(maxsize=4096)
def _valid_phone(text: str) -> bool:
    try:
        normalize_phone(text)
    except InvalidInput:
        return False
    return True


def _find_phone(line: str) -> tuple[int, int] | None:
    """Where the phone is: the longest run of number groups that phonenumbers takes for a
    valid number; else a whole run of seven digits or more (then reported as invalid, as
    typed). Our own search for the candidates, since phonenumbers' matcher gives up on
    `617 555 0101 9-11`."""
    for run in _NUMBER_RUN.finditer(line):
        groups = list(_NUMBER_GROUP.finditer(line, run.start(), run.end()))
        for first, group in enumerate(groups):
            found: tuple[int, int] | None = None
            digits = 0
            for last in groups[first:]:
                digits += sum(c.isdigit() for c in last.group())
                if digits > 15:  # E.164 has at most 15 digits
                    break
                if digits >= 7 and _valid_phone(line[group.start() : last.end()]):
                    found = (group.start(), last.end())
            if found:
                return found
    for run in _NUMBER_RUN.finditer(line):
        typed = run.group().strip()
        if sum(c.isdigit() for c in typed) >= 7 and not _DATE_LIKE.fullmatch(typed):
            return run.start(), run.start() + len(typed)
    return None


def _read(
    line: str,
    tokens: list[Any],
    notes: list[str],
    directory: Directory,
    now: datetime,
    timezone: str,
    *,
    typed: str = "",
    claim: Callable[[Line, list[int]], bool] | None = None,
) -> Line:
    ctx = _context(line, tokens, notes, directory, now, timezone)
    ctx.typed = typed
    runs: list[list[int]] = []
    i = 0
    while i < len(tokens):
        used = ctx.names.exact_at(ctx, i)
        for rule, group in RULES:
            if used:
                break
            if used := rule(ctx, i):
                ctx.found.said.setdefault(group, []).append(ctx.span(i, used))
        if used:
            i += used
            continue
        _note_unread(ctx, runs, i)
        i += 1
    for run in runs:
        if claim is None or not claim(ctx, run):
            explain(ctx, run, VOCABULARY)
    return ctx


def _context(
    line: str,
    tokens: list[Any],
    notes: list[str],
    directory: Directory,
    now: datetime,
    timezone: str,
) -> Line:
    today = now.astimezone(ZoneInfo(timezone)).date()
    ctx = Line(line, tokens, today, directory.index, Findings(notes=notes))
    ctx.providers = directory.providers
    return ctx


def _assemble(
    ctx: Line, now: datetime, timezone: str, *, edit: bool
) -> tuple[dict[str, Any], list[str]]:
    """The EDITABLE fields and the lines understood. An edit replaces a whole group (all the
    time fields, both dates) so that `afternoons` does not keep an old `9am-2pm`."""
    found, today = ctx.found, ctx.today
    out: dict[str, Any] = {}
    said: list[str] = []

    def group(name: str, given: bool, label: str) -> bool:
        if given and name in found.cleared:
            found.problems.append(_both(found, name, label))
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
            found.problems.append(
                f"{servable.quoted(found.said.get('days', []))} leaves no day of the week."
            )
        picked = () if chosen == ALL_DAYS else tuple(sorted(chosen))
        out["preferred_days"] = picked
        said.append(describe.weekdays(picked) if picked else "any day")
    _times(found, out, said, edit)
    _dates(found, out, said, today, edit)
    if not found.problems:
        chosen_days = set(out.get("preferred_days") or ALL_DAYS)
        service = found.service[0] if found.service else None
        servable.check(
            found, chosen_days, ctx.providers, service.duration_minutes if service else 0, today
        )
    if found.priority is not None:
        out["priority"] = found.priority[0]
        said.append(f"priority {found.priority[0]}" + (" (asap)" if found.asap else ""))
    if group("expiry", found.expires is not None, "expiry"):
        out["expires_at"] = _expires_at(found, now, timezone)
        said.append(
            f"expires {describe.day(found.expires[0], today)}" if found.expires else "no expiry"
        )
    if found.notes and not any(found.notes):  # `""` alone empties the note
        found.clear("notes", '""')
    if group("notes", any(found.notes), "note"):
        note = "; ".join(n for n in found.notes if n)
        out["notes"] = note or None
        said.append(f"note: {note}" if note else "no note")
    if not edit:  # a new entry starts empty: clearing something is saying nothing
        out = {k: v for k, v in out.items() if v not in (None, ())}
    return out, said


def _unclosed(text: str) -> str:
    start = max(text.rfind(q) for q in '"“”„')
    return f"The note '{text[start:].strip()}' has no closing quote."


def _both(found: Findings, group: str, label: str) -> str:
    return f"'{found.clearing.get(group, group)}' clears the {label} that the line also sets."


def _named(found: Findings, name: str) -> str:
    """A name, and the typo it was read from: `Botox (read from 'botx')`."""
    typo = found.corrected.get(name)
    return f"{name} (read from '{typo}')" if typo else name


def _times(found: Findings, out: dict[str, Any], said: list[str], edit: bool) -> None:
    start = found.time_start[0] if found.time_start else None
    end = found.time_end[0] if found.time_end else None
    given = bool(start or end or found.slots)
    if given and "times" in found.cleared:
        found.problems.append(_both(found, "times", "times"))
    if start and end and end <= start and not found.two_windows:
        phrases = [p[1] for p in (found.time_start, found.time_end) if p]
        found.problems.append(
            f"The times contradict each other: {servable.quoted(phrases)} leaves no time."
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


def _contradiction(found: Findings) -> str:
    phrases = [p[1] for p in (found.date_start, found.date_end) if p]
    return f"The dates contradict each other: {servable.quoted(phrases)} leaves no day."


def _dates(found: Findings, out: dict[str, Any], said: list[str], today: date, edit: bool) -> None:
    start = found.date_start[0] if found.date_start else None
    end = found.date_end[0] if found.date_end else None
    given = bool(start or end)
    if given and "dates" in found.cleared:
        found.problems.append(_both(found, "dates", "dates"))
    if start and end and end < start:
        found.problems.append(_contradiction(found))
    elif end and end < today and not any("has passed" in p for p in found.problems):
        phrase = found.date_end[1] if found.date_end else ""
        found.problems.append(
            f"'{phrase}' ends in the past ({describe.day(end, today)}); give dates from today on."
        )
    if not given and "dates" not in found.cleared:
        return
    if "dates" in found.cleared:
        out.update(preferred_date_start=None, preferred_date_end=None)
    if start:  # an edit changes only the ends it names: `until 12/20` keeps the start
        out["preferred_date_start"] = start
    if end:
        out["preferred_date_end"] = end
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


@dataclass(frozen=True)
class ParsedSlot:
    """A provider's slot as `opening` and `offer` name it: who, what, and when."""

    provider: Provider | None
    service: Service | None
    starts_at: datetime  # UTC
    day_phrase: str  # the words that gave the day (`wed`, `dec 2`), for a refusal to name
    time_phrase: str  # the words that gave the time (`3pm`)


def parse_slot(
    text: str, *, directory: Directory, now: datetime, timezone: str, service: bool = True
) -> ParsedSlot:
    """`dr johnson botox wed 3pm`, `patel botox 2 dec 3pm`, `liam hydro today 11:15`: a
    provider, a service (when `service`), a day and a time in any order. A weekday is the
    next such day — today only if the time is still ahead; a time is never dropped."""
    zone = ZoneInfo(timezone)
    line = text
    ctx = _context(line, tokenize(line), [], directory, now, timezone)
    ctx.weekday_dates = True
    day: tuple[date, str, bool] | None = None  # the date, its words, a bare weekday
    day_at = 0
    clock: tuple[time, str] | None = None
    runs: list[list[int]] = []
    i = 0
    while i < len(ctx.tokens):
        if used := ctx.names.exact_at(ctx, i):
            i += used
            continue
        if (day is None or day[2]) and (found := dates.read_date(ctx, i)) is not None:
            used, value = found
            bare = used == 1 and ctx.norm(i) in days.DAYS
            if day is None:
                day, day_at = (value, ctx.span(i, used), bare), i
            else:  # `Wed Feb 18`: the weekday must be the date's
                both = ctx.span(day_at, i + used - day_at)
                if bare or weekday_of(value) != weekday_of(day[0]):
                    ctx.found.problems.append(
                        f"'{both}': {describe.weekday_date(value, ctx.today)} is not that day "
                        "of the week."
                        if not bare
                        else f"'{both}' names two days; say one."
                    )
                day = (value, both, False)
            i += used
            continue
        if clock is None and (read := times.read_clock(ctx, i)) is not None:
            used, value = read
            clock = (value, ctx.span(i, used))
            i += used
            continue
        _note_unread(ctx, runs, i)
        i += 1
    for run in runs:
        explain(ctx, run, VOCABULARY)
    found = ctx.found
    problems = list(found.problems)
    if not found.providers and not problems:
        problems.append(
            f"'{line.strip()}' names no provider; say whose slot it is, "
            "e.g. 'dr johnson botox wed 3pm'."
        )
    elif len(found.providers) > 1:
        names = describe.either([p.name for p in found.providers])
        problems.append(f"A slot is one provider's; I read {names}.")
    if service and found.service is None and not problems:
        problems.append(
            f"'{line.strip()}' names no service; say which, e.g. 'dr johnson botox wed 3pm'."
        )
    if clock is None:
        where = f"'{day[1] if day else line.strip()}': say"
        problems.append(f"{where} what time the slot starts, e.g. 'wed 3pm'.")
    if problems:
        raise ParseError(problems)
    assert clock is not None
    local_now = now.astimezone(zone)
    when = day[0] if day else ctx.today
    if day and day[2] and when - timedelta(days=7) == ctx.today and clock[0] > local_now.time():
        when = ctx.today  # `sat 1pm` on a Saturday morning is today
    starts_at = datetime.combine(when, clock[0], zone).astimezone(UTC)
    return ParsedSlot(
        found.providers[0],
        found.service[0] if found.service else None,
        starts_at,
        day[1] if day else clock[1],
        clock[1],
    )


@dataclass(frozen=True)
class ParsedRange:
    start: date | None
    end: date | None
    understood: str


def parse_range(text: str, *, now: datetime, timezone: str) -> ParsedRange:
    """The dates of `match W-4 next week`, `… by friday`, `… the 2nd`: the same reading of
    dates as `add`; a bare weekday is that day."""
    line, _, _ = take_notes(text)
    directory = Directory((), ())
    ctx = _context(line, tokenize(line), [], directory, now, timezone)
    ctx.typed = text  # refusals quote what was typed, notes included
    ctx.weekday_dates = True
    runs: list[list[int]] = []
    i = 0
    while i < len(ctx.tokens):
        if used := dates.rule_dates(ctx, i):
            i += used
            continue
        _note_unread(ctx, runs, i)
        i += 1
    for run in runs:
        typed = ctx.span(run[0], len(run))
        ctx.found.problems.append(
            f"I didn't understand '{typed}' as dates; try 'next week', 'dec 5-12' or 'by friday'."
        )
    found = ctx.found
    start = found.date_start[0] if found.date_start else None
    end = found.date_end[0] if found.date_end else None
    if start and end and end < start:
        found.problems.append(_contradiction(found))
    if found.problems:
        raise ParseError(found.problems)
    return ParsedRange(start, end, describe.dates(start, end, ctx.today))


@dataclass(frozen=True)
class ParsedFilters:
    statuses: tuple[str, ...]
    service: Service | None
    provider: Provider | None
    priority: int | None
    page: int


def parse_filters(
    text: str, *, directory: Directory, statuses: Sequence[str], now: datetime, timezone: str
) -> ParsedFilters:
    """`list`, `list waiting`, `list botox`, `list hydro w/ tomasz`, `list p1 page 2`."""
    ctx = _context(text, tokenize(text), [], directory, now, timezone)
    chosen: list[str] = []
    page = 1
    runs: list[list[int]] = []
    i = 0
    while i < len(ctx.tokens):
        word = ctx.norm(i)
        if word in statuses:
            chosen.append(word)
            i += 1
            continue
        if word == "page" and ctx.norm(i + 1).isdigit():
            page = int(ctx.norm(i + 1))
            i += 2
            continue
        used = ctx.names.exact_at(ctx, i) or terms.rule_terms(ctx, i)
        if used:
            i += used
            continue
        if word not in terms.FILLER:
            if runs and runs[-1][-1] == i - 1:
                runs[-1].append(i)
            else:
                runs.append([i])
        i += 1
    for run in runs:
        before = len(ctx.found.problems)
        explain(ctx, run, [*statuses, "page", "priority"])
        for k in range(before, len(ctx.found.problems)):
            if ctx.found.problems[k].startswith("I didn't understand"):
                ctx.found.problems[k] += (
                    f" A list takes a status ({', '.join(statuses)}), a service, a provider "
                    "or a priority."
                )
    found = ctx.found
    if len(found.providers) > 1:
        found.problems.append("List one provider at a time.")
    if page < 1:
        found.problems.append(f"'{page}' is not a page number.")
    if found.problems:
        raise ParseError(found.problems)
    return ParsedFilters(
        tuple(chosen),
        found.service[0] if found.service else None,
        found.providers[0] if found.providers else None,
        found.priority[0] if found.priority else None,
        page,
    )


def _note_unread(ctx: Line, runs: list[list[int]], i: int) -> None:
    """Group the words no rule read into runs of neighbours, explained together later."""
    if ctx.norm(i) in terms.FILLER:
        return
    if ctx.norm(i) in terms.CLOSING_FILLER and ctx.norm(i + 1) in ("", ".", "!"):
        return
    if runs and runs[-1][-1] == i - 1:
        runs[-1].append(i)
    else:
        runs.append([i])
