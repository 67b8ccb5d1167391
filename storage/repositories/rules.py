"""Core's fit rules and rank order, compiled to SQL: `core.matching.FIT_RULES` become WHERE
conditions over the entry's columns (each term has a column of the same name; preferred
providers are rows of entry_providers), `core.ranking.RANK_ORDER` becomes ORDER BY.

The conditions compare with bound parameters, one per rule, so that a statement built once
serves every slot of the same shape (the rules a slot concerns); `fit_parameters` gives their
values for one slot.

Nothing here decides what fits or who ranks first; it only translates. A property test
(tests/integration/test_rules_property.py) checks the SQL answer against core's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, bindparam, exists, or_

from core.matching import FIT_RULES, MASK_TESTS, FitRule, Test, slot_value
from core.ports import SlotSpec
from core.ranking import COUNTS, RANK_ORDER
from storage.tables import EntryProviderRow

_COMPARE: dict[Test, Callable[[Any, Any], ColumnElement[bool]]] = {
    Test.EQUALS: lambda column, want: column == want,
    Test.AT_MOST: lambda column, want: column <= want,
    Test.AT_LEAST: lambda column, want: column >= want,
    Test.AFTER: lambda column, want: column > want,
    Test.HAS_BIT: lambda column, bit: column.op("&")(bit) != 0,
    Test.COVERS: lambda column, want: column.op("&")(want) == want,
}
# A slot value as its parameter, where the SQL compares something derived from it.
_AS_PARAMETER: dict[Test, Callable[[Any], Any]] = {Test.HAS_BIT: lambda number: 1 << number}


def fit_shape(slot: SlotSpec, now: datetime) -> tuple[str, ...]:
    """The terms of the rules the slot concerns: slots of one shape share one statement."""
    return tuple(rule.term for rule in FIT_RULES if slot_value(rule, slot, now) is not None)


def fit_parameters(slot: SlotSpec, now: datetime) -> dict[str, Any]:
    """The values of the parameters of `fit_conditions` for this slot."""
    return {
        _name(rule): _AS_PARAMETER.get(rule.test, _same)(want)
        for rule in FIT_RULES
        if (want := slot_value(rule, slot, now)) is not None
    }


def fit_conditions(entry: Any, shape: tuple[str, ...]) -> list[ColumnElement[bool]]:
    """Conditions that hold for exactly the entries (rows of `entry`, the columns of an entry
    table or of an alias of it) that fit a slot of this shape, given `fit_parameters`:
    `core.matching.entry_fits` in SQL."""
    conditions = []
    for rule in FIT_RULES:
        if rule.term not in shape:
            continue
        test = _test(entry, rule, _parameter(entry, rule))
        conditions.append(test if rule.required else or_(_unset(entry, rule), test))
    return conditions


def rank_order(entry: Any, counts: Mapping[str, Any]) -> list[Any]:
    """ORDER BY for `core.ranking.RANK_ORDER`: entry terms are the entry's columns, counts are
    the expressions in `counts` (a term missing from it is constant there and left out)."""
    order = []
    for term in RANK_ORDER:
        if term in counts:
            order.append(counts[term])
        elif term not in COUNTS:
            order.append(getattr(entry, term))
    return order


def _same(value: Any) -> Any:
    return value


def _name(rule: FitRule) -> str:
    return f"fit_{rule.term}"


def _parameter(entry: Any, rule: FitRule) -> BindParameter[Any]:
    if rule.test is Test.INCLUDES:
        return bindparam(_name(rule), type_=EntryProviderRow.provider_id.type)
    return bindparam(_name(rule), type_=getattr(entry, rule.term).type)


def _test(entry: Any, rule: FitRule, want: Any) -> ColumnElement[bool]:
    if rule.test is Test.INCLUDES:  # the only collection: preferred providers
        return exists().where(
            EntryProviderRow.entry_id == entry.id, EntryProviderRow.provider_id == want
        )
    return _COMPARE[rule.test](getattr(entry, rule.term), want)


def _unset(entry: Any, rule: FitRule) -> ColumnElement[bool]:
    if rule.test is Test.INCLUDES:
        return entry.any_provider.is_(True)
    column = getattr(entry, rule.term)
    return column == 0 if rule.test in MASK_TESTS else column.is_(None)
