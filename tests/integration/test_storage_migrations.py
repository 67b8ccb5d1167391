"""The migrations build the schema the row models describe, and undo it cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from core.model import Clinic
from storage.db import downgrade, make_engine, upgrade
from storage.tables import Base
from storage.uow import uow_factory

TABLES = {
    "clinics",
    "clients",
    "client_clinics",
    "providers",
    "services",
    "appointments",
    "waitlist_entries",
    "entry_providers",
    "openings",
    "offers",
    "messages",
    "events",
    "slack_threads",
    "entry_counts",
    "entry_count_changes",
    "idempotency_keys",
    "webhook_endpoints",
    "webhook_events",
    "webhook_deliveries",
}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_row_models_match_the_migrated_schema(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_to_base_and_upgrade_again(fresh_database_url):
    database_url = fresh_database_url
    assert _tables(database_url) == TABLES
    downgrade(database_url, "base")
    assert _tables(database_url) == set()
    upgrade(database_url)
    assert _tables(database_url) == TABLES
    engine = make_engine(database_url)
    try:
        with uow_factory(engine)() as uow:
            uow.clinics.add(Clinic("Glow", "America/New_York"))
            uow.commit()
    finally:
        engine.dispose()


def test_upgrading_an_up_to_date_database_changes_nothing(fresh_database_url):
    database_url = fresh_database_url
    upgrade(database_url)
    assert _tables(database_url) == TABLES
