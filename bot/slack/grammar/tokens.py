"""Splitting a `/waitlist add` line into tokens that remember where they came from."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<iso>\d{4}-\d{1,2}-\d{1,2})
  | (?P<numdate>\d{1,2}/\d{1,2}(?:/\d{4}|/\d{2})?)(?![\d/])
  | (?P<time>\d{1,2}(?:[:.]\d{2})?(?:\s?[ap]\.?m\.?|[ap]\.?)(?![^\W\d_]))
  | (?P<num>\d{1,2}:\d{2}|\d+(?:st|nd|rd|th)?)(?![^\W_])
  | (?P<with>w/)
  | (?P<slashed>[^\W\d_]{1,5}(?:/[^\W\d_]{1,5})+(?![^\W\d_]))
  | (?P<word>[^\W\d_]+\d*(?:[-'’`][^\W\d_]+)*\.?)
  | (?P<punct>\S)
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Double quotes, straight or curly, hold notes; single quotes are apostrophes.
_QUOTE = re.compile(r'"([^"]*)"|“([^”]*)”|„([^“”]*)[“”]|\bnotes?\s*:\s*([^"“”„]*)$', re.I)
_OPEN_QUOTES = '"“”„'
# Words written more than one way, read as one: `doctor`/`dr`, `w/`/`with`, `appt`.
_SAME = {
    "doctor": "dr", "w/": "with", "w": "with", "appt": "appointment", "appts": "appointment",
    "wknds": "weekends", "wknd": "weekends", "wkends": "weekends", "wkend": "weekends",
    "wkdays": "weekdays", "wkday": "weekdays", "wk": "week", "wks": "weeks", "mos": "months",
    "mth": "month", "mths": "months", "hrs": "hours", "thru": "through",
    "til": "until", "till": "until", "tmrw": "tomorrow", "tmr": "tomorrow",
    "b4": "before", "pref": "prefers", "avail": "available", "tx": "treatment",
}  # fmt: skip


_KIND = {"with": "word"} | {k: k for k in ("iso", "numdate", "time", "num", "slashed", "word")}


@dataclass(frozen=True)
class Token:
    text: str  # as typed
    norm: str  # lower case, no trailing dot, straight apostrophe
    kind: str  # iso, numdate, time, num, slashed (`m/w/f`, `f/u`, `w/`), word, punct
    start: int  # offsets in the whole line, to quote the user back exactly
    end: int


def normalize(text: str) -> str:
    norm = text.lower().replace("’", "'").replace("`", "'")
    if len(norm) > 1:
        norm = norm.rstrip(".")
    return _SAME.get(norm, norm)


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Tokens of text[start:end], with offsets into the whole text."""
    return [
        Token(
            m.group(),
            normalize(m.group()),
            _KIND.get(m.lastgroup or "", "punct"),
            m.start(),
            m.end(),
        )
        for m in _TOKEN.finditer(text, start, len(text) if end is None else end)
    ]


def words(text: str) -> list[str]:
    """The normalized words of a name, for comparing names with what was typed."""
    return [t.norm for t in tokenize(text) if t.kind != "punct"]


def take_notes(text: str) -> tuple[str, list[str], bool]:
    """Cut the quoted notes out of a line: (line with notes blanked, notes, unbalanced quote).
    Blanking rather than removing keeps every other token's offsets right."""
    notes: list[str] = []

    def blank(match: re.Match[str]) -> str:
        notes.append(next(g for g in match.groups() if g is not None).strip())
        return " " * len(match.group())

    rest = _QUOTE.sub(blank, text)
    stray = min((rest.index(q) for q in _OPEN_QUOTES if q in rest), default=None)
    if stray is None:
        return rest, notes, False
    # Everything after a quote that is never closed was meant as a note: not read as preferences.
    return rest[:stray] + " " * (len(rest) - stray), notes, True
