"""`at <clinic>` in a `/waitlist` line: which clinic of a group the line is about.

Read before anything else and taken out of the line, so the rest is parsed as always. Only
words that name a clinic are taken (its whole name, the name without words like "clinic",
or a clear typo of either, as provider names are matched): `at 3pm`, `at noon` and
`at Dr. Patel's` stay in the line for the parser. Quoted notes are never read."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from bot.slack.grammar.names import ACCEPT, MARGIN, MIN_TYPO_LENGTH, similarity
from core.directory import fold


class HasName(Protocol):
    @property
    def name(self) -> str: ...


Clinic = TypeVar("Clinic", bound=HasName)

# Words a clinic's name may carry or a line may add around it: "at the Downtown clinic".
_GENERIC = {"the", "clinic", "location", "office", "site", "branch", "our"}
_AT = re.compile(r"(?<![\w'’])at\s+", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:[-'’.&][^\W_]+)*[.’']?s?")
_MOST_ATS = 8  # a real line has one or two; a hostile one thousands, each read costly
_QUOTED = re.compile(r'"[^"]*"?|“[^”]*”?')


@dataclass(frozen=True)
class Named(Generic[Clinic]):
    clinic: Clinic | None
    rest: str  # the line without `at <clinic>`
    said: str = ""  # the words that named it, as typed
    near: tuple[Clinic, ...] = ()  # clinics the words could mean when they fit more than one


def _fold(text: str) -> str:
    return fold(re.sub(r"['’]s\b", "", text))


def _core(folded: str) -> str:
    return " ".join(w for w in folded.split() if w not in _GENERIC)


def name_keys(clinic: HasName) -> set[str]:
    """The ways a clinic's whole name may be written, folded: `Glow Clinic` -> glow clinic,
    glow, glowclinic."""
    full = _fold(clinic.name)
    return {key for key in (full, _core(full), full.replace(" ", "")) if key}


def name_parts(clinic: HasName) -> set[str]:
    """Single words of the name a line may use alone: `Downtown Physio` -> downtown, physio
    (a word fitting two clinics names neither)."""
    return {w for w in _core(_fold(clinic.name)).split() if len(w) >= MIN_TYPO_LENGTH}


def match_clinic(
    phrase: str, clinics: Sequence[Clinic], reserved: Collection[str] = ()
) -> list[Clinic]:
    """The clinics a phrase names: exactly one when it is clear, near ones otherwise. A word
    of a clinic's name that is also in `reserved` (provider and service words: `at Patel's`)
    names a clinic only with the rest of its name, and is never taken as a typo."""
    typed = _fold(phrase)
    core = _core(typed)
    said = {typed, core, core.replace(" ", "")} - {""}
    exact = [c for c in clinics if said & name_keys(c)]
    if exact:
        return exact
    if set(core.split()) & set(reserved):
        return []
    parts = [c for c in clinics if core in name_parts(c)]
    if parts:
        return parts
    if len(core.replace(" ", "")) < MIN_TYPO_LENGTH:
        return []
    typos = [(c, name_keys(c) | (name_parts(c) - set(reserved))) for c in clinics]
    scored = sorted(
        ((max(similarity(core, key) for key in keys), c) for c, keys in typos),
        key=lambda pair: -pair[0],
    )
    if not scored or scored[0][0] < ACCEPT:
        return []
    best = scored[0][0]
    return [c for score, c in scored if score >= best - MARGIN]


def named_clinic(
    line: str, clinics: Sequence[Clinic], reserved: Collection[str] = ()
) -> Named[Clinic]:
    """The clinic `at <name>` names in the line, and the line without those words. With
    several `at`s, the first that names a clinic wins; words that fit several clinics name
    none: they are kept in `near` (and out of `rest`), so the reply can ask which."""
    quoted = [m.span() for m in _QUOTED.finditer(line)]
    longest = max((len(_fold(c.name).split()) for c in clinics), default=0) + 2
    unclear: Named[Clinic] | None = None
    for n_at, at in enumerate(_AT.finditer(line)):
        if n_at == _MOST_ATS:
            break
        if any(start <= at.start() < end for start, end in quoted):
            continue
        words = _contiguous(line, at.end(), _WORD.finditer(line, at.end()), longest)
        for n in range(len(words), 0, -1):
            said = line[words[0].start() : words[n - 1].end()]
            if not _core(_fold(said)):
                continue
            found = match_clinic(said, clinics, reserved)
            if len(found) == 1 or (len(found) > 1 and unclear is None):
                before, after = line[: at.start()].rstrip(), line[words[n - 1].end() :].lstrip()
                rest = f"{before} {after}".strip()  # the rest as typed: notes keep their lines
                if len(found) == 1:
                    return Named(found[0], rest, said.rstrip(".,"))
                unclear = Named(None, rest, said.rstrip(".,"), tuple(found))
    return unclear or Named(None, line)


def _contiguous(
    line: str, start: int, words: Iterator[re.Match[str]], most: int
) -> list[re.Match[str]]:
    """Up to `most` words right after `at`, up to the first punctuation or quote between two
    (read lazily: a long line is never scanned to its end for each `at`)."""
    kept: list[re.Match[str]] = []
    at = start
    for word in words:
        if len(kept) == most or line[at : word.start()].strip():
            break
        kept.append(word)
        at = word.end()
    return kept
