"""`run_in_transaction`: commits what succeeds, rolls back what fails, and runs the work
again only when the database refused it over a concurrency conflict."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from core.errors import Conflict
from core.model import Clinic
from storage.transaction import run_in_transaction


class _Refused(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _conflict(sqlstate: str) -> OperationalError:
    return OperationalError("UPDATE …", {}, _Refused(sqlstate))


def test_the_work_is_committed_and_its_result_returned(uow_factory: Any) -> None:
    clinic = run_in_transaction(
        uow_factory, lambda uow: uow.clinics.add(Clinic(name="Glow", timezone="UTC"))
    )
    with uow_factory() as uow:
        assert uow.clinics.get(clinic.id) == clinic


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_deadlock_or_serialization_failure_runs_the_work_again(
    uow_factory: Any, sqlstate: str
) -> None:
    attempts: list[int] = []

    def work(uow: Any) -> Clinic:
        attempts.append(1)
        clinic = uow.clinics.add(Clinic(name=f"Try {len(attempts)}", timezone="UTC"))
        if len(attempts) < 3:
            raise _conflict(sqlstate)
        return clinic

    clinic = run_in_transaction(uow_factory, work)
    assert len(attempts) == 3
    with uow_factory() as uow:  # the failed attempts left nothing behind
        assert [c.name for c in uow.clinics.list()] == [clinic.name] == ["Try 3"]


def test_other_failures_roll_back_at_once(uow_factory: Any) -> None:
    attempts: list[int] = []

    def work(uow: Any) -> None:
        attempts.append(1)
        uow.clinics.add(Clinic(name="Glow", timezone="UTC"))
        raise Conflict("no")

    with pytest.raises(Conflict):
        run_in_transaction(uow_factory, work)
    with pytest.raises(OperationalError):
        run_in_transaction(uow_factory, lambda uow: (_ for _ in ()).throw(_conflict("23505")))
    assert len(attempts) == 1
    with uow_factory() as uow:
        assert uow.clinics.list() == []


def test_it_gives_up_after_the_last_retry(uow_factory: Any) -> None:
    attempts: list[int] = []

    def work(uow: Any) -> None:
        attempts.append(1)
        raise _conflict("40P01")

    with pytest.raises(OperationalError):
        run_in_transaction(uow_factory, work, retries=2)
    assert len(attempts) == 2
