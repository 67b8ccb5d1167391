"""The candidate search in SQL: core's fit rules and rank order (compiled by
`storage.repositories.rules`) plus the fairness rules of `core.ranking.choose_candidates`.

Most clients had no offer this week, so the search is split in two, giving the same result as
ranking everyone: "fresh" entries (their client had no offer since `week_since`, so their
counts are 0), read in rank order and stopped at the limit; and "seen" entries, with their
counts from the week's offers, also in rank order and stopped at the limit. Their merge, cut
to the limit, is the answer; the winners' entries and clients are then read in one statement.

The search runs for every step of every fill, so its cost is mostly building statements:
each is built once per shape (the rules the slot concerns, the caps in force, whether an
opening and a client are left out, whether the seen part must beat the last fresh entry) with
bound parameters, and run on the connection as plain rows, not ORM objects.
"""

from __future__ import annotations

from dataclasses import fields
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    bindparam,
    case,
    exists,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.orm import Session

from core.model import Client, EntryStatus, OfferStatus
from core.ports import Candidate, CandidateQuery
from core.ranking import CAPS, COUNTS, RANK_ORDER
from storage.repositories.base import plain_connection
from storage.repositories.entry_mapping import to_entry
from storage.repositories.rules import fit_conditions, fit_parameters, fit_shape, rank_order
from storage.tables import ClientRow, EntryProviderRow, EntryRow, OfferRow

_entry = EntryRow.__table__.alias("entry")
_recent = OfferRow.__table__.alias("recent_offer")
_pending = OfferRow.__table__.alias("pending_offer")
_offered = OfferRow.__table__.alias("offer_of_opening")
_moment = OfferRow.__table__.c.created_at.type
_E = _entry.c
# The entry columns the rank order reads.
_RANKED = [getattr(_E, term) for term in RANK_ORDER if term not in COUNTS]
_CLIENT = "client__"  # prefix of the client's columns in the winners' rows


class _Statements(NamedTuple):
    fresh: Select[Any]
    seen: Select[Any]
    seen_beating: Select[Any]  # seen entries that can still rank before the last fresh one


def find_candidates(session: Session, query: CandidateQuery) -> list[Candidate]:
    """Candidates with their counts of offers this week and today, best first, at most
    `limit`."""
    fit = fit_shape(query.slot, query.now)
    caps = tuple(cap for _, cap in CAPS if getattr(query, cap))
    statements = _statements(
        fit, caps, query.exclude_opening_id is not None, query.exclude_client_id is not None
    )
    params = {
        **fit_parameters(query.slot, query.now),
        "waiting": EntryStatus.WAITING.value,
        "pending": OfferStatus.PENDING.value,
        "week_since": query.week_since,
        "day_since": query.day_since,
        "exclude_opening_id": query.exclude_opening_id,
        "exclude_client_id": query.exclude_client_id,
        "limit": query.limit,
        **{cap: getattr(query, cap) for cap in caps},
    }
    connection = plain_connection(session)
    fresh = connection.execute(statements.fresh, params).all()
    if len(fresh) == query.limit:
        last = fresh[-1]
        beat = {f"beat_{term}": getattr(last, term) for term in _beat_terms()}
        seen = connection.execute(statements.seen_beating, {**params, **beat}).all()
    else:
        seen = connection.execute(statements.seen, params).all()
    best = sorted([*fresh, *seen], key=_rank_key)[: query.limit]
    if not best:
        return []
    ids = [row.id for row in best]
    rows = {row.id: row for row in connection.execute(_WINNERS, {"ids": ids})}
    providers: dict[int, list[int]] = {}
    naming = [entry_id for entry_id in ids if not rows[entry_id].any_provider]
    if naming:
        for entry_id, provider_id in connection.execute(_PROVIDERS, {"ids": naming}):
            providers.setdefault(entry_id, []).append(provider_id)
    return [
        Candidate(
            entry=to_entry(rows[row.id], tuple(providers.get(row.id, ()))),
            client=_client(rows[row.id]),
            offers_this_week=int(row.offers_this_week),
            offers_today=int(row.offers_today or 0),
        )
        for row in best
    ]


@cache
def _statements(
    fit: tuple[str, ...], caps: tuple[str, ...], excluding: bool, excluding_client: bool
) -> _Statements:
    where = [
        _E.status == bindparam("waiting"),
        *fit_conditions(_E, fit),
        ~exists().where(
            _pending.c.client_id == _E.client_id, _pending.c.status == bindparam("pending")
        ),
    ]
    if excluding:
        where.append(
            ~exists().where(
                _offered.c.entry_id == _E.id,
                _offered.c.opening_id == bindparam("exclude_opening_id"),
            )
        )
    if excluding_client:  # the client whose cancelled appointment the slot is
        where.append(_E.client_id != bindparam("exclude_client_id"))
    week_since = bindparam("week_since", type_=_moment)
    limit = bindparam("limit")
    fresh = (
        select(_E.id, *_RANKED, *(literal(0).label(t) for t in COUNTS))
        .where(
            *where,
            ~exists().where(
                _recent.c.client_id == _E.client_id, _recent.c.created_at >= week_since
            ),
        )
        .order_by(*rank_order(_E, {}))
        .limit(limit)
    )
    today = case((_recent.c.created_at >= bindparam("day_since", type_=_moment), 1), else_=0)
    recent = (
        select(
            _recent.c.client_id,
            func.count().label("offers_this_week"),
            func.sum(today).label("offers_today"),
        )
        .where(_recent.c.created_at >= week_since)
        .group_by(_recent.c.client_id)
        .subquery()
    )
    counts = {term: recent.c[term] for term in COUNTS}
    within_caps = [counts[count] < bindparam(cap) for count, cap in CAPS if cap in caps]
    seen = (
        select(_E.id, *_RANKED, *(counts[t] for t in COUNTS))
        .join(recent, recent.c.client_id == _E.client_id)
        .where(*where, *within_caps)
        .order_by(*rank_order(_E, counts))
        .limit(limit)
    )
    return _Statements(fresh, seen, seen.where(_can_beat()))


def _beat_terms() -> list[str]:
    """The rank terms before the offer count (all of them if the count does not rank): a
    seen entry's count is above a fresh one's (0), so on these it must be strictly better."""
    terms = list(RANK_ORDER)
    return terms[: terms.index("offers_this_week")] if "offers_this_week" in terms else terms


def _can_beat() -> ColumnElement[bool]:
    terms = _beat_terms()
    if not terms:
        return literal(False)
    columns = [getattr(_E, term) for term in terms]
    values = [bindparam(f"beat_{t}", type_=c.type) for t, c in zip(terms, columns, strict=True)]
    if len(columns) == 1:
        return columns[0] < values[0]
    return tuple_(*columns) < tuple_(*values)


def _rank_key(row: Row[Any]) -> tuple[Any, ...]:
    return tuple(getattr(row, term) for term in RANK_ORDER)


_entries = EntryRow.__table__
_clients = ClientRow.__table__
_WINNERS = (
    select(_entries, *(c.label(_CLIENT + c.name) for c in _clients.c))
    .join(_clients, _clients.c.id == _entries.c.client_id)
    .where(_entries.c.id.in_(bindparam("ids", expanding=True)))
)
_PROVIDERS = (
    select(EntryProviderRow.entry_id, EntryProviderRow.provider_id)
    .where(EntryProviderRow.entry_id.in_(bindparam("ids", expanding=True)))
    .order_by(EntryProviderRow.entry_id, EntryProviderRow.position)
)
_CLIENT_FIELDS = [f.name for f in fields(Client)]


def _client(row: Row[Any]) -> Client:
    values = row._mapping
    return Client(**{name: values[_CLIENT + name] for name in _CLIENT_FIELDS})
