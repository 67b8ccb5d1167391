"""The candidate search in SQL: core's fit rules and rank order (compiled by
`storage.repositories.rules`) plus the fairness rules of `core.ranking.choose_candidates`.

Most clients had no offer this week, so the search is split in two, giving the same result as
ranking everyone: "fresh" entries (their client had no offer since `week_since`, so their
counts are 0), read in rank order and stopped at the limit; and "seen" entries, with their
counts from the week's offers, also in rank order and stopped at the limit. Their merge, cut
to the limit, is the answer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, case, exists, func, literal, select, tuple_
from sqlalchemy.orm import Session, aliased

from core.model import EntryStatus, OfferStatus
from core.ports import CandidateQuery
from core.ranking import CAPS, COUNTS, RANK_ORDER
from storage.repositories.rules import fit_conditions, rank_order
from storage.tables import ClientRow, EntryRow, OfferRow

# Built once: aliasing a mapped class is costly compared with running the query.
_entry = aliased(EntryRow, name="entry")
_recent = aliased(OfferRow, name="recent_offer")
_pending = aliased(OfferRow, name="pending_offer")
_offered = aliased(OfferRow, name="offer_of_opening")
# The entry columns the rank order reads.
_RANKED = [getattr(_entry, term) for term in RANK_ORDER if term not in COUNTS]


def find_candidates(
    session: Session, query: CandidateQuery
) -> list[tuple[EntryRow, ClientRow, int, int]]:
    """Rows of (entry, client, offers_this_week, offers_today), best first, at most `limit`."""
    where = [
        _entry.status == EntryStatus.WAITING.value,
        *fit_conditions(_entry, query.slot, query.now),
        *_fairness_conditions(query),
    ]
    recent = (
        select(
            _recent.client_id,
            func.count().label("offers_this_week"),
            func.sum(case((_recent.created_at >= query.day_since, 1), else_=0)).label(
                "offers_today"
            ),
        )
        .where(_recent.created_at >= query.week_since)
        .group_by(_recent.client_id)
        .subquery()
    )
    zero = {term: literal(0) for term in COUNTS}
    fresh = session.execute(
        select(_entry.id, *_RANKED, *(zero[t].label(t) for t in COUNTS))
        .where(
            *where,
            ~exists().where(
                _recent.client_id == _entry.client_id, _recent.created_at >= query.week_since
            ),
        )
        .order_by(*rank_order(_entry, {}))
        .limit(query.limit)
    ).all()
    counts = {term: recent.c[term] for term in COUNTS}
    seen_where = [*where, *_within_caps(query, counts)]
    if len(fresh) == query.limit:
        seen_where.append(_can_beat(fresh[-1]))
    seen = session.execute(
        select(_entry.id, *_RANKED, *(counts[t] for t in COUNTS))
        .join(recent, recent.c.client_id == _entry.client_id)
        .where(*seen_where)
        .order_by(*rank_order(_entry, counts))
        .limit(query.limit)
    ).all()
    best = sorted([*fresh, *seen], key=_rank_key)[: query.limit]
    if not best:
        return []
    rows = {
        entry.id: (entry, client)
        for entry, client in session.execute(
            select(EntryRow, ClientRow)
            .join(ClientRow, ClientRow.id == EntryRow.client_id)
            .where(EntryRow.id.in_([row.id for row in best]))
        ).all()
    }
    return [(*rows[row.id], int(row.offers_this_week), int(row.offers_today or 0)) for row in best]


def _rank_key(row: Row[Any]) -> tuple[Any, ...]:
    return tuple(getattr(row, term) for term in RANK_ORDER)


def _can_beat(last: Row[Any]) -> ColumnElement[bool]:
    """Whether a seen entry can still rank before the last fresh one. A seen entry's offer
    count is above a fresh one's (0), so on the terms up to the count it must be strictly
    better; with no count in the rank order, the whole key must be."""
    terms = list(RANK_ORDER)
    prefix = terms[: terms.index("offers_this_week")] if "offers_this_week" in terms else terms
    if not prefix:
        return literal(False)
    columns = [getattr(_entry, term) for term in prefix]
    values = [
        literal(getattr(last, term), column.type)
        for term, column in zip(prefix, columns, strict=True)
    ]
    if len(columns) == 1:
        return columns[0] < values[0]
    return tuple_(*columns) < tuple_(*values)


def _within_caps(query: CandidateQuery, counts: dict[str, Any]) -> list[ColumnElement[bool]]:
    return [counts[count] < getattr(query, cap) for count, cap in CAPS if getattr(query, cap)]


def _fairness_conditions(query: CandidateQuery) -> list[ColumnElement[bool]]:
    pending = exists().where(
        _pending.client_id == _entry.client_id, _pending.status == OfferStatus.PENDING.value
    )
    conditions: list[ColumnElement[bool]] = [~pending]
    if query.exclude_opening_id is not None:
        conditions.append(
            ~exists().where(
                _offered.entry_id == _entry.id, _offered.opening_id == query.exclude_opening_id
            )
        )
    return conditions
