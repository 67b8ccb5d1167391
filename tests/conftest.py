"""Shared fixtures: a migrated, empty database per test, on SQLite and (when configured)
PostgreSQL.

`database_url` is the URL of a database whose schema the Alembic migrations built and whose
tables are empty; `engine` and `uow_factory` sit on top of it. Set WAITLIST_TEST_POSTGRES_URL
(e.g. postgresql://postgres@127.0.0.1:5432/test) to run every database test on PostgreSQL too.

SQLite: each test gets a copy of a file migrated once per session. PostgreSQL: one schema is
migrated per session and emptied before each test (sequences restarted, so ids start at 1
as in a new database); `fresh_database_url` gives a schema of its own, for tests that change
the schema itself.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from storage.db import make_engine, upgrade
from storage.tables import Base
from storage.uow import SqlUnitOfWork
from storage.uow import uow_factory as make_uow_factory

POSTGRES_ENV = "WAITLIST_TEST_POSTGRES_URL"

# CI runs the same generated examples every time, so a red build always names a reproducible
# case; runs elsewhere keep exploring new ones.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
DATABASES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set; PostgreSQL tests skipped")
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; copying it is far quicker than migrating again."""
    path = tmp_path_factory.mktemp("template") / "waitlist.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_shared(postgres_url: str) -> Iterator[tuple[str, Engine]]:
    with postgres_schema(postgres_url) as url:
        engine = make_engine(url, pool_size=1)
        yield url, engine
        engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "waitlist.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url, engine = request.getfixturevalue("postgres_shared")
    empty_tables(engine)
    return url


@pytest.fixture(params=DATABASES)
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own, migrated to the newest revision."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        upgrade(url)
        yield url
    else:
        with postgres_schema(request.getfixturevalue("postgres_url")) as url:
            yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(engine: Engine) -> Callable[[], SqlUnitOfWork]:
    return make_uow_factory(engine)


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A new schema, migrated to head; the URL selects it through search_path."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base_url)
    try:
        with admin.begin() as connection:
            # In the shared schema, so that dropping a test schema never drops the extension.
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist")
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = (
            make_url(base_url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
        upgrade(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def empty_tables(engine: Engine) -> None:
    """Delete every row, children first, and restart the id sequences. DELETE of a few rows
    is much quicker than TRUNCATE, which rewrites every table and index file."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")  # fail, not hang
        connection.exec_driver_sql("ALTER TABLE events DISABLE TRIGGER USER")
        for table in tables:
            connection.exec_driver_sql(f"DELETE FROM {table}")
        connection.exec_driver_sql("ALTER TABLE events ENABLE TRIGGER USER")
        for table in Base.metadata.sorted_tables:
            if "id" in table.c:
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), 1, false)"
                )
