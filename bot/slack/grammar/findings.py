"""What the grammar rules have found in a line so far, and the problems they met."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import TYPE_CHECKING, TypeVar

from bot.slack.grammar.tokens import Token
from core.model import Provider, Service, TimeSlot

if TYPE_CHECKING:
    from bot.slack.grammar.names import NameIndex

V = TypeVar("V")
Said = tuple[V, str]  # a value and the words it came from


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    service: Said[Service] | None = None
    providers: list[Provider] = field(default_factory=list)
    date_start: Said[date] | None = None
    date_end: Said[date] | None = None
    asap: bool = False
    time_start: Said[time] | None = None
    time_end: Said[time] | None = None
    slots: list[TimeSlot] = field(default_factory=list)
    days_in: set[int] = field(default_factory=set)
    days_out: set[int] = field(default_factory=set)
    priority: Said[int] | None = None
    expires: Said[date] | None = None
    notes: list[str] = field(default_factory=list)
    said: dict[str, list[str]] = field(default_factory=dict)  # rule group -> phrases read
    named: list[object] = field(default_factory=list)  # the names read so far
    two_windows: bool = False  # `before 10 or after 3`, already reported
    corrected: dict[str, str] = field(default_factory=dict)  # name -> the typo it was read from
    # groups of fields the line asks to empty: days, times, dates, providers, service, expiry,
    # notes; with the words that asked
    cleared: set[str] = field(default_factory=set)
    clearing: dict[str, str] = field(default_factory=dict)

    def clear(self, group: str, phrase: str) -> None:
        self.cleared.add(group)
        self.clearing.setdefault(group, phrase)

    def once(self, current: Said[V] | None, value: V, phrase: str, what: str) -> Said[V]:
        """Keep the first value said for a field; a different second one is a problem."""
        if current is not None and current[0] != value:
            self.problems.append(f"'{current[1]}' and '{phrase}' disagree about {what}.")
            return current
        return (value, phrase)

    def start_on(self, day: date, phrase: str) -> None:
        self.date_start = self.once(self.date_start, day, phrase, "when the dates start")

    def end_on(self, day: date, phrase: str) -> None:
        self.date_end = self.once(self.date_end, day, phrase, "when the dates end")

    def between(self, first: date, last: date, phrase: str) -> None:
        self.start_on(first, phrase)
        self.end_on(last, phrase)


@dataclass
class Line:
    """One line being parsed: its tokens, where 'today' is, and the findings."""

    line: str
    tokens: list[Token]
    today: date
    names: NameIndex
    found: Findings = field(default_factory=Findings)
    providers: Sequence[Provider] = ()  # the clinic's, with their hours
    typed: str = ""  # the line as typed, notes included (`line` has them blanked)
    weekday_dates: bool = False  # a bare weekday is a date (`opening … wed 3pm`), not a habit

    def norm(self, i: int) -> str:
        return self.tokens[i].norm if 0 <= i < len(self.tokens) else ""

    def kind(self, i: int) -> str:
        return self.tokens[i].kind if 0 <= i < len(self.tokens) else ""

    def span(self, i: int, n: int) -> str:
        """The words tokens[i:i+n] as the user typed them (with any note between them)."""
        return (self.typed or self.line)[self.tokens[i].start : self.tokens[i + n - 1].end]
