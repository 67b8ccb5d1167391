"""Dates and times in the staff corpus: our grammar against the libraries we could use instead.

For every corpus line whose expected reading has dates (add, edit, match) or a start
(opening, offer), each reader gets the line with the corpus's `now` and must find the expected
date(s): both ends of a range, the deadline of `by friday`, the start of `after the 15th`, the
date and time of an opening. A reader that finds dates in a line that has none (a phone, a
priority) is counted too. Then service and provider names: difflib against rapidfuzz.

The libraries are not dependencies of the product; install them beside it to run this:
  pip install dateparser recognizers-text-suite "emoji<2" ctparse timefhuman rapidfuzz
  python -m bench.language_libraries
"""

from __future__ import annotations

import difflib
import functools
import statistics
import time
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

HERE = Path(__file__).resolve().parent.parent / "tests" / "language"
Found = set[Any]  # dates (and datetimes, for openings) a reader found in a line


def cases() -> tuple[datetime, list[tuple[str, str, dict[str, Any]]]]:
    data = yaml.safe_load((HERE / "corpus" / "staff.yml").read_text(encoding="utf-8"))
    now = datetime.fromisoformat(str(data["now"]))
    out = []
    for case in data["cases"]:
        if "expect" in case:
            out.append((case["clinic"], case["line"], case["expect"]))
    return now, out


def wanted(expect: dict[str, Any]) -> tuple[set[Any], bool]:
    """The dates a reader must find, and whether the line has any at all."""
    fields = expect.get("changes", expect)
    if "start" in expect:
        return {datetime.fromisoformat(expect["start"])}, True
    found = {
        date.fromisoformat(str(fields[k]))
        for k in ("date_start", "date_end")
        if fields.get(k) is not None
    }
    return found, bool(found)


def _dates(values: list[Any]) -> Found:
    out: Found = set()
    for value in values:
        if isinstance(value, datetime):
            out.add(value.replace(tzinfo=None, second=0, microsecond=0))
            out.add(value.date())
        elif isinstance(value, date):
            out.add(value)
    return out


def reader_dateparser(line: str, now: datetime) -> Found:
    from dateparser.search import search_dates

    found = search_dates(
        line,
        languages=["en"],
        settings={"RELATIVE_BASE": now, "PREFER_DATES_FROM": "future", "DATE_ORDER": "MDY"},
    )
    return _dates([d for _, d in found or []])


def reader_recognizers(line: str, now: datetime) -> Found:
    from recognizers_date_time import Culture, recognize_datetime

    values: list[Any] = []
    for result in recognize_datetime(line, Culture.English, reference=now):
        for value in (result.resolution or {}).get("values", []):
            for key in ("value", "start", "end"):
                text = value.get(key)
                if not text:
                    continue
                try:
                    values.append(datetime.fromisoformat(text))
                except ValueError:
                    continue
    return _dates(values)


def reader_ctparse(line: str, now: datetime) -> Found:
    from ctparse import ctparse
    from ctparse.types import Interval, Time

    result = ctparse(line, ts=now, timeout=1)
    if result is None:
        return set()
    values: list[Any] = []
    parts = [result.resolution]
    if isinstance(result.resolution, Interval):
        parts = [result.resolution.t_from, result.resolution.t_to]
    for part in parts:
        if isinstance(part, Time) and part.year and part.month and part.day:
            moment = datetime(part.year, part.month, part.day, part.hour or 0, part.minute or 0)
            values.append(moment if part.hour is not None else moment.date())
    return _dates(values)


def reader_timefhuman(line: str, now: datetime) -> Found:
    from timefhuman import timefhuman

    try:
        found = timefhuman(line, now=now)
    except Exception:  # noqa: BLE001 (a library that fails on a line found nothing)
        return set()
    flat: list[Any] = []
    for item in found if isinstance(found, list) else [found]:
        flat += list(item) if isinstance(item, tuple | list) else [item]
    return _dates(flat)


class Book:
    """The clinic's clients from its clinic.yml, as the product's ClientBook finds them."""

    def __init__(self, clients: list[Any]) -> None:
        self.clients = clients

    def by_phone(self, phone: str) -> Any:
        return next((c for c in self.clients if c.phone == phone), None)

    def by_name(self, words: Any) -> list[Any]:
        from bot.slack.parser import fold

        wanted = fold(" ".join(words))
        return [
            c
            for c in self.clients
            if wanted in (fold(f"{c.first_name} {c.last_name}"), fold(c.first_name))
        ]


@functools.cache
def clinic_directory(clinic: str) -> tuple[Any, str]:
    from bot.slack import parser
    from core.directory import normalize_phone, parse_hours
    from core.model import Client, Provider, Service

    data = yaml.safe_load((HERE / "clinics" / f"{clinic}.yml").read_text(encoding="utf-8"))
    clients = [
        Client(c["first_name"], c["last_name"], normalize_phone(str(c["phone"])), id=i)
        for i, c in enumerate(data["clients"], 1)
    ]
    services = [
        Service(1, s["name"], s["duration_minutes"], id=i)
        for i, s in enumerate(data["services"], 1)
    ]
    providers = [
        Provider(1, p["name"], parse_hours(p["hours"]), id=i)
        for i, p in enumerate(data["providers"], 1)
    ]
    directory = parser.Directory(services, providers, Book(clients))
    return directory, data["clinic"]["timezone"]


def reader_ours(clinic: str, line: str, now: datetime) -> Found:
    """The product's own reading: its parser on the same line."""
    from bot.slack import parser

    directory, zone = clinic_directory(clinic)
    aware = now.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    command, _, rest = line.partition(" ")
    command = command.lower()
    try:
        if command in ("opening", "offer"):
            text = rest if command == "opening" else rest.partition(" ")[2]
            slot = parser.parse_slot(
                text, directory=directory, now=aware, timezone=zone, service=command == "opening"
            )
            local = slot.starts_at.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
            return {local, local.date()}
        if command == "match":
            found = parser.parse_range(rest.partition(" ")[2], now=aware, timezone=zone)
            return {d for d in (found.start, found.end) if d}
        if command == "edit":
            changes = parser.parse_edit(
                rest.partition(" ")[2], directory=directory, now=aware, timezone=zone
            ).changes
        else:
            changes = parser.parse_add(
                rest, directory=directory, now=aware, timezone=zone
            ).preferences
    except parser.ParseError:
        return set()
    return {changes[k] for k in ("preferred_date_start", "preferred_date_end") if changes.get(k)}


READERS: dict[str, Callable[[str, datetime], Found]] = {
    "dateparser.search.search_dates": reader_dateparser,
    "recognizers-text-date-time": reader_recognizers,
    "ctparse": reader_ctparse,
    "timefhuman": reader_timefhuman,
}


def evaluate() -> list[tuple[str, int, int, int, int, float, list[str]]]:
    now, all_cases = cases()
    rows = []
    names = ["our grammar", *READERS]
    for name in names:
        hit = miss = false = total = 0
        times: list[float] = []
        missed: list[str] = []
        for clinic, line, expect in all_cases:
            need, has_dates = wanted(expect)
            begin = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if name == "our grammar":
                    got = reader_ours(clinic, line, now)
                else:
                    got = READERS[name](line, now)
            times.append(1000 * (time.perf_counter() - begin))
            if has_dates:
                total += 1
                if need <= got:
                    hit += 1
                else:
                    miss += 1
                    missed.append(line)
            elif got:
                false += 1
        rows.append((name, total, hit, miss, false, statistics.median(times), missed))
    return rows


def names() -> None:
    """Typos of the corpus clinics' names: which matcher takes the right one."""
    from rapidfuzz import fuzz, process
    from rapidfuzz.distance import OSA

    pairs = [
        ("botx", "botox"), ("fillr", "filler"), ("facail", "facial"), ("jonson", "johnson"),
        ("kahn", "khan"), ("mitchel", "mitchell"), ("tomas", "tomasz"),
        ("consultaton", "consultation"),
        ("hydrotherapie", "hydrotherapy"), ("pilatis", "pilates"), ("dubios", "dubois"),
        ("osullivan", "o'sullivan"), ("needlng", "needling"), ("masage", "massage"),
    ]  # fmt: skip
    keys = [
        "botox", "filler", "facial", "consultation", "johnson", "patel", "kim", "khan",
        "mitchell", "tomasz", "hydrotherapy", "pilates", "dubois", "o'sullivan", "needling",
        "massage", "sarah", "liam", "chloe", "nowak", "assessment", "treatment",
    ]  # fmt: skip

    def osa(a: str, b: str, **_: object) -> float:
        return 100 * OSA.normalized_similarity(a, b)

    def best(word: str, scorer: Any, cutoff: float) -> str | None:
        found = process.extractOne(word, keys, scorer=scorer, score_cutoff=cutoff)
        return found[0] if found else None

    matchers: dict[str, Callable[[str], str | None]] = {
        "difflib ratio ≥ 0.85 (before)": lambda w: next(
            iter(difflib.get_close_matches(w, keys, n=1, cutoff=0.85)), None
        ),
        "rapidfuzz ratio ≥ 80": lambda w: best(w, fuzz.ratio, 80),
        "rapidfuzz OSA ≥ 75 (chosen)": lambda w: best(w, osa, 75),
    }
    for label, match in matchers.items():
        begin = time.perf_counter()
        for _ in range(200):
            right = sum(match(typo) == name for typo, name in pairs)
        micro = 1e6 * (time.perf_counter() - begin) / (200 * len(pairs))
        print(f"  {label}: {right}/{len(pairs)} typos taken right, {micro:.0f} µs a lookup")


def main() -> int:
    print("Dates in the staff corpus (lines whose reading has dates or a start):")
    for name, total, hit, miss, false, p50, missed in evaluate():
        print(
            f"  {name}: {hit}/{total} found ({100 * hit / total:.0f} %), {miss} missed, "
            f"dates found in {false} lines that have none, p50 {p50:.2f} ms a line"
        )
        for line in missed[:6]:
            print(f"      missed: {line}")
    print("Names with typos:")
    names()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
