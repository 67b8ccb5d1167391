"""Engines and the unit of work: transactions, connection settings, concurrent writers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import create_engine

from core.model import Client, Clinic
from storage.db import make_engine, ping
from tests.integration.builders import T0, make_practice


def test_leaving_without_commit_rolls_back(uow_factory):
    with uow_factory() as uow:
        uow.clinics.add(Clinic("Glow", "America/New_York"))
    with uow_factory() as uow:
        assert uow.clinics.list() == []


def test_an_error_rolls_back_and_the_unit_can_be_entered_again(uow_factory):
    uow = uow_factory()
    with pytest.raises(RuntimeError), uow:
        uow.clinics.add(Clinic("Glow", "America/New_York"))
        raise RuntimeError("boom")
    with uow:
        uow.clinics.add(Clinic("Glow", "America/New_York"))
        uow.commit()
    with uow:
        assert [c.name for c in uow.clinics.list()] == ["Glow"]


def test_explicit_rollback_discards_changes(uow_factory):
    with uow_factory() as uow:
        uow.clinics.add(Clinic("Glow", "America/New_York"))
        uow.rollback()
        uow.clinics.add(Clinic("Shine", "America/New_York"))
        uow.commit()
    with uow_factory() as uow:
        assert [c.name for c in uow.clinics.list()] == ["Shine"]


def test_objects_handed_out_are_detached_copies(uow_factory):
    with uow_factory() as uow:
        clinic = uow.clinics.add(Clinic("Glow", "America/New_York"))
        uow.commit()
    with uow_factory() as uow:
        copy = uow.clinics.get(clinic.id)
        copy.name = "Changed"
        assert uow.clinics.get(clinic.id).name == "Glow"
        uow.commit()
    with uow_factory() as uow:
        assert uow.clinics.get(clinic.id).name == "Glow"


def test_repositories_are_unusable_outside_the_block(uow_factory):
    uow = uow_factory()
    with pytest.raises(RuntimeError, match="not open"):
        uow.commit()


def test_ping_reports_reachability(engine, tmp_path):
    assert ping(engine) is True
    missing = create_engine(f"sqlite:///{tmp_path}/no/such/dir/db.sqlite")
    assert ping(missing) is False


def test_postgres_urls_use_psycopg_and_other_databases_are_refused():
    engine = make_engine("postgresql://user:secret@localhost:5432/waitlist")
    assert engine.url.drivername == "postgresql+psycopg"
    assert engine.pool._pre_ping  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="unsupported database"):
        make_engine("mysql://localhost/waitlist")


def test_sqlite_connections_are_configured(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/settings.db")
    with engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    engine.dispose()
    assert pragma == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 30000,
        "synchronous": 1,
    }


def test_concurrent_read_then_write_transactions_all_succeed_on_sqlite(engine, uow_factory):
    """Each thread reads a client and then writes it back. Every SQLite transaction starts
    with BEGIN IMMEDIATE, so none fails with "database is locked" and no update is lost."""
    if engine.dialect.name != "sqlite":
        pytest.skip("about SQLite's locking; PostgreSQL code locks rows with for_update")
    practice = make_practice(uow_factory, clients=1)
    client_id = practice.client_ids[0]
    errors: list[BaseException] = []
    rounds, threads = 15, 6

    def worker() -> None:
        try:
            for _ in range(rounds):
                with uow_factory() as uow:
                    client = uow.clients.get(client_id)
                    client.opt_out_text = str(int(client.opt_out_text or "0") + 1)
                    uow.clients.save(client)
                    uow.commit()
        except BaseException as exc:  # reported below, in the test's own thread
            errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert errors == []
    with uow_factory() as uow:
        assert uow.clients.get(client_id).opt_out_text == str(rounds * threads)


def test_clients_added_in_parallel_get_distinct_ids(uow_factory):
    ids: list[int] = []
    lock = threading.Lock()

    def add(n: int) -> None:
        with uow_factory() as uow:
            client = uow.clients.add(
                Client("Pat", "Example", f"+1666{n:07d}", created_at=T0 + timedelta(seconds=n))
            )
            uow.commit()
        with lock:
            ids.append(client.id)

    pool = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert len(set(ids)) == 8
