from __future__ import annotations

import pytest

from tests.scenario import World, build_world
from tests.unit.fakes import FakeUnitOfWork


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


@pytest.fixture
def world(uow: FakeUnitOfWork) -> World:
    return build_world(lambda: uow)
