"""The REST list sorted by `available_slots`: how many open slots each entry fits, counted in
the database as one expression per row, so that sorting and paging stay one query.

A slot is a `SlotSpec` (an opening in the clinic's local terms); the fit is core's rules,
compiled by `storage.repositories.rules` as for the candidate search. The expression is a sum
of one CASE per slot, added as a balanced tree: SQLite limits expression depth.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlalchemy.orm import Session

from core.model import EntryStatus
from core.ports import SlotSpec
from storage.repositories.rules import fit_conditions
from storage.tables import EntryRow


def open_slot_count(slots: Sequence[SlotSpec], now: datetime) -> ColumnElement[Any]:
    """An SQL expression: the number of `slots` that a waiting entry fits; 0 otherwise."""
    if not slots:
        return literal(0)
    # Identical slots (same provider, service and time) are one CASE worth their number.
    terms = [
        case((and_(*fit_conditions(EntryRow, slot, now)), n), else_=0)
        for slot, n in Counter(slots).items()
    ]
    waiting = EntryRow.status == EntryStatus.WAITING.value
    return case((waiting, _balanced_sum(terms)), else_=0)


def page_by_open_slots(
    session: Session,
    conditions: list[ColumnElement[bool]],
    slots: Sequence[SlotSpec],
    *,
    now: datetime,
    descending: bool,
    offset: int,
    limit: int,
) -> list[tuple[EntryRow, int]]:
    count = open_slot_count(slots, now).label("available_slots")
    keys = [count, EntryRow.created_at, EntryRow.id]
    order = [key.desc() if descending else key.asc() for key in keys]
    rows = session.execute(
        select(EntryRow, count).where(*conditions).order_by(*order).offset(offset).limit(limit)
    ).all()
    return [(row, int(n)) for row, n in rows]


def _balanced_sum(terms: list[ColumnElement[Any]]) -> ColumnElement[Any]:
    while len(terms) > 1:
        # A function call nests each pair: written bare, a + b + c … is one deep chain.
        pairs = [func.coalesce(terms[i] + terms[i + 1], 0) for i in range(0, len(terms) - 1, 2)]
        terms = pairs + ([terms[-1]] if len(terms) % 2 else [])
    return terms[0]
