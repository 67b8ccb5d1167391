"""What the repositories share: the session, row ⇄ dataclass copying, constraint translation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from enum import Enum
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql.dml import OnConflictDoNothing
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from core.errors import NotFound, WaitlistError

R = TypeVar("R")


class SqlRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name


def plain_connection(session: Session) -> Connection:
    """The session's connection, for reads of plain rows (no ORM step per row); changes the
    session holds are written first, as the session's own queries would."""
    if session.autoflush:
        session.flush()
    return session.connection()


def plain(value: Any) -> Any:
    """Enum members are stored as their string values."""
    return value.value if isinstance(value, Enum) else value


@cache
def _names(cls: type) -> tuple[str, ...]:
    """A dataclass's field names, worked out once per class (rows are copied on every call)."""
    return tuple(f.name for f in fields(cls))


def row_values(obj: Any, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The dataclass's fields that have a column of the same name, ready to store."""
    return {name: plain(getattr(obj, name)) for name in _names(type(obj)) if name not in skip}


def domain_values(row: Any, cls: type, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Keyword arguments for `cls` read from the same-named columns of `row`."""
    return {name: getattr(row, name) for name in _names(cls) if name not in skip}


def update_row(row: Any, obj: Any, *, skip: tuple[str, ...] = ("id",)) -> None:
    for name, value in row_values(obj, skip=skip).items():
        setattr(row, name, value)


def violated(exc: IntegrityError) -> str:
    """Which rule failed: the constraint name on PostgreSQL; on SQLite, the columns of a
    failed unique index (e.g. "offers.client_id") or the trigger's message."""
    original = exc.orig
    diag = getattr(original, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return str(name)
    text = str(original)
    prefix = "UNIQUE constraint failed: "
    return text[len(prefix) :] if text.startswith(prefix) else text


@contextmanager
def guarded(session: Session, translate: Callable[[str], WaitlistError | None]) -> Iterator[None]:
    """Write inside a savepoint and turn a known constraint failure into a domain error.

    The savepoint keeps the outer transaction usable after the failure (PostgreSQL would
    otherwise refuse every later statement), so the caller can report and carry on.
    """
    try:
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError as exc:
        error = translate(violated(exc))
        if error is None:
            raise
        raise error from exc


class _SkipConflicts(OnConflictDoNothing):
    _traverse_internals = []  # nothing varies: a constant part of the cache key


class InsertNew(Insert):
    """INSERT … ON CONFLICT DO NOTHING (PostgreSQL and SQLite alike) that SQLAlchemy compiles
    once and then takes from its statement cache: the dialects' own `on_conflict_do_nothing()`
    has no cache key, so it was compiled anew on every call."""

    inherit_cache = True
    _post_values_clause = _SkipConflicts()


@cache
def _insert_new(table: Any) -> Any:
    """Built once per table; each call's values are its parameters."""
    return InsertNew(table).returning(table.c.id)


def insert_new(
    session: Session,
    table: Any,
    values: dict[str, Any],
    refused: Callable[[], WaitlistError],
    *,
    translate: Callable[[str], WaitlistError | None] | None = None,
) -> int:
    """INSERT one row and return its id; `refused()` is raised when a uniqueness or exclusion
    rule turns it down. One statement, no savepoint: the row is skipped (ON CONFLICT DO
    NOTHING) rather than failing the transaction. A refusal raised by a SQLite trigger is
    turned into a domain error by `translate` (a failed statement leaves SQLite's transaction
    usable)."""
    try:
        added = session.scalar(_insert_new(table), values)
    except IntegrityError as exc:
        error = translate(violated(exc)) if translate else None
        if error is None:
            raise
        raise error from exc
    if added is None:
        raise refused()
    return int(added)


def existing(row: R | None, what: str) -> R:
    """The row a `save` is about; saving something never added is a caller's mistake."""
    if row is None:
        raise NotFound(f"{what} does not exist.")
    return row
