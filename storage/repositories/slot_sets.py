"""How many of a list of slots each entry fits, for many entries at once, with bit sets.

The fit is core's and only core's: `core.matching.FIT_RULES`, each decided by core's
`is_unset` and `passes` on an entry's value and a slot's (`slot_value`). Nothing here says what
fits; it only counts, cheaply, by deciding each rule once per pair of *distinct* values:

1. The slots are numbered 0…S-1. For each rule they are grouped by the value the rule compares,
   and each group is a set of slot numbers (an int whose bit n stands for slot n).
2. For each rule and each distinct entry value, the slots it admits: every slot if the entry
   leaves the term unset (and the rule allows it), else the slots the rule does not concern
   plus the groups whose value passes. A collection term (`Test.INCLUDES`, the preferred
   providers) admits the union of what its members admit, one at a time.
3. An entry fits the slots in the AND of its rules' sets; its count is the number of bits.
   numpy does step 3 for every entry at once, each set a row of 64-bit words.

Distinct values are few (dates, minutes, masks, ids), so step 2 costs hundreds to thousands of
rule decisions, whatever the number of entries; step 3 is a few array operations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from core.matching import FIT_RULES, FitRule, Test, is_unset, passes, slot_value
from core.ports import SlotSpec

Counts = npt.NDArray[np.int64]


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
    words = -(-len(slots) // 64)
    fitting: npt.NDArray[np.uint64] | None = None
    for rule in FIT_RULES:
        column = terms[rule.term]
        read = (decode or {}).get(rule.term, _same)
        distinct = {stored: read(stored) for stored in dict.fromkeys(column)}
        admitted = _admitted(rule, distinct, _groups(rule, slots, now), len(slots))
        if len(admitted) == 1 and next(iter(admitted.values())) == (1 << len(slots)) - 1:
            continue  # every entry passes this rule for every slot
        index = {value: n for n, value in enumerate(admitted)}
        table = np.stack([_words(bits, words) for bits in admitted.values()])
        rows = table[np.fromiter(map(index.__getitem__, column), dtype=np.intp, count=size)]
        if fitting is None:
            fitting = rows
        else:
            np.bitwise_and(fitting, rows, out=fitting)
    if fitting is None:
        return np.full(size, len(slots), dtype=np.int64)
    return np.bitwise_count(fitting).sum(axis=1, dtype=np.int64)


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
    rule: FitRule, values: Mapping[Any, Any], groups: Mapping[Any, int], count: int
) -> dict[Any, int]:
    """For each distinct stored value (mapped to the entry's value), the set of slots it
    admits under `rule`."""
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

    admitted = {}
    for stored, have in values.items():
        if not rule.required and is_unset(rule, have):
            admitted[stored] = everything
        elif rule.test is Test.INCLUDES:
            bits = unconcerned
            for member in have:
                bits |= one((member,))
            admitted[stored] = bits
        else:
            admitted[stored] = one(have)
    return admitted


def _words(bits: int, words: int) -> npt.NDArray[np.uint64]:
    return np.frombuffer(bits.to_bytes(words * 8, "little"), dtype=np.uint64)
