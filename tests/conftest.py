"""Shared fixtures: a migrated database per test, on SQLite and (when configured) PostgreSQL.

`database_url` is a URL whose schema was built by the Alembic migrations; `engine` and
`uow_factory` sit on top of it. Set WAITLIST_TEST_POSTGRES_URL (e.g.
postgresql://postgres@127.0.0.1:5432/test) to run every database test on PostgreSQL too;
each test then gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from storage.db import make_engine, upgrade
from storage.uow import SqlUnitOfWork
from storage.uow import uow_factory as make_uow_factory

POSTGRES_ENV = "WAITLIST_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy, which is far quicker than
    migrating again."""
    path = tmp_path_factory.mktemp("template") / "waitlist.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set; PostgreSQL tests skipped")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "waitlist.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        yield from _postgres_schema(request.getfixturevalue("postgres_url"))


def _postgres_schema(base_url: str) -> Iterator[str]:
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


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(engine: Engine) -> Callable[[], SqlUnitOfWork]:
    return make_uow_factory(engine)
