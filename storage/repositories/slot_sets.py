"""How many of a list of slots each entry fits, for many entries at once, with bit sets.

The fit is core's and only core's: `core.matching.FIT_RULES`, each decided by core's
`is_unset` and `passes` on an entry's value and a slot's (`slot_value`). Nothing here says what
fits; it only counts, cheaply, by deciding each rule once per pair of *distinct* values:

1. Each term is coded: its distinct values are listed once, and each entry holds the number of
   its value in that list (`TermCodes`; `storage.repositories.term_cache` keeps them).
2. The slots are numbered 0…S-1. For each rule they are grouped by the value the rule compares,
   and each group is a set of slot numbers (an int whose bit n stands for slot n).
3. For each rule and each distinct entry value, the slots it admits: every slot if the entry
   leaves the term unset (and the rule allows it), else the slots the rule does not concern
   plus the groups whose value passes. A collection term (`Test.INCLUDES`, the preferred
   providers) admits the union of what its members admit, one at a time.
4. An entry fits the slots in the AND of its rules' sets; its count is the number of bits.
   numpy does step 4 for every entry at once, each set a row of 64-bit words. Rules with few
   distinct sets are first ANDed together for the pairs of sets entries actually have
   (`_merged`), so each entry ANDs a few rows, not one per rule.

Distinct values are few (dates, minutes, masks, ids), so step 3 costs hundreds to thousands of
rule decisions, whatever the number of entries; step 4 is a few array operations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from core.matching import FIT_RULES, FitRule, Test, is_unset, passes, slot_value
from core.ports import SlotSpec

Counts = npt.NDArray[np.int64]
Codes = npt.NDArray[np.int32]


class TermCodes:
    """The distinct values of one term, in the order first seen, each decoded once."""

    def __init__(self, decode: Callable[[Any], Any] | None = None) -> None:
        self.values: list[Any] = []  # decoded, by code
        self._code: dict[Any, int] = {}  # stored value -> code
        self._decode = decode or _same

    def codes(self, stored: Sequence[Any]) -> Codes:
        """The code of each stored value, new values listed (and decoded) as they come."""
        code = self._code
        for value in dict.fromkeys(stored).keys() - code.keys():
            code[value] = len(self.values)
            self.values.append(self._decode(value))
        return np.fromiter(map(code.__getitem__, stored), np.int32, len(stored))


def fit_counts(
    terms: Mapping[str, Sequence[Any]],
    slots: Sequence[SlotSpec],
    now: datetime,
    decode: Mapping[str, Callable[[Any], Any]] | None = None,
) -> Counts:
    """For entries given as columns (`terms[rule.term][i]` is entry i's value of each rule's
    term, as `core.matching.ENTRY_TERMS` derives it; a tuple for a collection term), the
    number of `slots` each entry fits by `core.matching.entry_fits`. A term in `decode` is
    given as stored, and decoded once per distinct value."""
    size = len(next(iter(terms.values()), ()))
    if not slots or not size:
        return np.zeros(size, dtype=np.int64)
    coded = {rule.term: TermCodes((decode or {}).get(rule.term)) for rule in FIT_RULES}
    codes = {term: coded[term].codes(terms[term]) for term in coded}
    return coded_counts({t: c.values for t, c in coded.items()}, codes, slots, now)


def coded_counts(
    values: Mapping[str, Sequence[Any]],
    codes: Mapping[str, Codes],
    slots: Sequence[SlotSpec],
    now: datetime,
) -> Counts:
    """`fit_counts` for entries whose terms are coded: `values[term]` lists a term's distinct
    values, `codes[term][i]` is entry i's number in that list."""
    size = len(next(iter(codes.values()), ()))
    if not slots or not size:
        return np.zeros(size, dtype=np.int64)
    everything = (1 << len(slots)) - 1
    words = -(-len(slots) // 64)
    parts: list[_Part] = []
    for rule in FIT_RULES:
        admitted = _admitted(rule, values[rule.term], _groups(rule, slots, now), len(slots))
        distinct = list(dict.fromkeys(admitted))
        if distinct == [everything]:
            continue  # every entry passes this rule for every slot
        number = {bits: n for n, bits in enumerate(distinct)}
        of_code = np.fromiter(map(number.__getitem__, admitted), np.intp, len(admitted))
        table = np.stack([_words(bits, words) for bits in distinct])
        parts.append(_Part(table, of_code[codes[rule.term]]))
    if not parts:
        return np.full(size, len(slots), dtype=np.int64)
    parts = _merged(sorted(parts, key=lambda part: len(part.table)))
    fitting = parts[0].table[parts[0].kind]
    for part in parts[1:]:
        np.bitwise_and(fitting, part.table[part.kind], out=fitting)
    return np.bitwise_count(fitting).sum(axis=1, dtype=np.int64)


@dataclass(frozen=True)
class _Part:
    """Some rules together: the distinct sets of slots they admit (rows of 64-bit words), and
    each entry's row."""

    table: npt.NDArray[np.uint64]
    kind: npt.NDArray[np.intp]


_KINDS = 4096  # rows of a merged part: small enough to AND once per pair of rows


def _merged(parts: list[_Part]) -> list[_Part]:
    """Neighbouring parts merged while the pairs entries actually have stay few: a pair's set
    (the AND of the two) is then worked out once, not once per entry. Rules with few distinct
    sets (a yes/no, a time of day, a date) combine into a few hundred kinds of entry."""
    merged = [parts[0]]
    for part in parts[1:]:
        last = merged[-1]
        rows = len(part.table)
        pairs = len(last.table) * rows
        if pairs <= 1 << 20:
            pair = last.kind * rows + part.kind
            present = np.zeros(pairs, dtype=bool)
            present[pair] = True
            chosen = np.flatnonzero(present)
            if len(chosen) <= _KINDS:
                renumber = np.cumsum(present, dtype=np.intp) - 1
                table = last.table[chosen // rows] & part.table[chosen % rows]
                merged[-1] = _Part(table, renumber[pair])
                continue
        merged.append(part)
    return merged


def _groups(rule: FitRule, slots: Sequence[SlotSpec], now: datetime) -> dict[Any, int]:
    """The slots by the value `rule` compares them with; None holds those it does not concern."""
    groups: dict[Any, int] = {}
    for number, slot in enumerate(slots):
        want = slot_value(rule, slot, now)
        groups[want] = groups.get(want, 0) | (1 << number)
    return groups


def _same(value: Any) -> Any:
    return value


def _admitted(
    rule: FitRule, values: Sequence[Any], groups: Mapping[Any, int], count: int
) -> list[int]:
    """For each distinct entry value, the set of slots it admits under `rule`."""
    everything = (1 << count) - 1
    unconcerned = groups.get(None, 0)
    wanted = [(want, bits) for want, bits in groups.items() if want is not None]
    cache: dict[Any, int] = {}

    def one(have: Any) -> int:
        if have not in cache:
            cache[have] = unconcerned
            for want, bits in wanted:
                if passes(rule.test, have, want):
                    cache[have] |= bits
        return cache[have]

    admitted = []
    for have in values:
        if not rule.required and is_unset(rule, have):
            admitted.append(everything)
        elif rule.test is Test.INCLUDES:
            bits = unconcerned
            for member in have:
                bits |= one((member,))
            admitted.append(bits)
        else:
            admitted.append(one(have))
    return admitted


def _words(bits: int, words: int) -> npt.NDArray[np.uint64]:
    return np.frombuffer(bits.to_bytes(words * 8, "little"), dtype=np.uint64)
