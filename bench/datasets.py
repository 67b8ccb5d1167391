"""Build each benchmark dataset once and find it again: a SQLite file under bench/data/, or a
PostgreSQL schema `bench_<size>`. A dataset is reused when its entry count is right, after
bringing its schema up to the newest migration."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import Table, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from tqdm import tqdm

from bench.generate import Rows, expected_rows, tables
from core.reports import fold_entry_counts
from storage.db import make_engine, upgrade
from storage.tables import EntryRow
from storage.uow import uow_factory

DATA = Path(__file__).resolve().parent / "data"
POSTGRES_URL = os.environ.get(
    "WAITLIST_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SEQUENCED = (
    "clinics",
    "providers",
    "services",
    "clients",
    "appointments",
    "waitlist_entries",
    "openings",
    "offers",
)


def label(size: int) -> str:
    return f"{size // 1_000_000}m" if size >= 1_000_000 else f"{size // 1_000}k"


def postgres_reachable(url: str = POSTGRES_URL) -> str | None:
    """None if PostgreSQL answers, else why not."""
    try:
        with psycopg.connect(_libpq(url), connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def ensure(database: str, size: int, *, rebuild: bool = False) -> str:
    """The URL of a ready dataset of `size` entries, building it if needed."""
    if database == "sqlite":
        return _ensure_sqlite(size, rebuild)
    return _ensure_postgres(size, rebuild)


def entry_count(url: str) -> int | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(EntryRow))
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def _ensure_sqlite(size: int, rebuild: bool) -> str:
    path = DATA / f"bench_{label(size)}.db"
    url = f"sqlite:///{path}"
    if path.exists() and not rebuild and entry_count(url) == size:
        upgrade(url)  # a kept dataset gets the indexes of newer migrations
        return url
    DATA.mkdir(exist_ok=True)
    building = path.with_suffix(".building")
    _remove_sqlite(building)
    upgrade(f"sqlite:///{building}")
    engine = make_engine(f"sqlite:///{building}")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("PRAGMA cache_size=-1000000")
            for table, rows in _progress(size, f"sqlite {label(size)}"):
                connection.execute(insert(table), rows)
    finally:
        engine.dispose()
    _remove_sqlite(path)
    building.rename(path)  # the finished file appears at once, never half-built
    return url


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _ensure_postgres(size: int, rebuild: bool) -> str:
    schema = f"bench_{label(size)}"
    url = (
        make_url(POSTGRES_URL)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    if not rebuild and entry_count(url) == size:
        upgrade(url)
        return url
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist")
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    finally:
        admin.dispose()
    upgrade(url)
    with psycopg.connect(_libpq(url)) as connection:
        for table, rows in _progress(size, f"postgresql {label(size)}"):
            _copy(connection, table, rows)
        for name in SEQUENCED:
            connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"
            )
    _fold_counts(url)  # what the scheduler's sweep does within a minute
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")  # what autovacuum would do after a bulk load
    return url


def _fold_counts(url: str) -> None:
    engine = make_engine(url)
    try:
        fold_entry_counts(uow_factory=uow_factory(engine))
    finally:
        engine.dispose()


def _progress(size: int, what: str) -> Iterator[tuple[Table, Rows]]:
    with tqdm(total=expected_rows(size), desc=f"build {what}", unit="row", unit_scale=True) as bar:
        for table, rows in tables(size):
            yield table, rows
            bar.update(len(rows))


def _copy(connection: psycopg.Connection[Any], table: Table, rows: Rows) -> None:
    if not rows:
        return
    names = list(rows[0])
    columns = ", ".join(names)
    with connection.cursor().copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_stored(row[name]) for name in names])


def _stored(value: Any) -> Any:
    """Moments are stored as naive UTC, as storage.types.UTCDateTime stores them."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, dict):  # a JSON column (clinic settings)
        return Jsonb(value)
    return value


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as psycopg wants it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
