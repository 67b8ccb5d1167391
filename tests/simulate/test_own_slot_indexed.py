"""tests/unit/test_own_slot.py on the indexed in-memory store the simulator uses."""

from __future__ import annotations

import pytest

from storage.memory_indexed import IndexedUnitOfWork
from tests.scenario import World, build_world
from tests.unit.test_own_slot import TestOwnCancelledSlot

__all__ = ["TestOwnCancelledSlot"]


@pytest.fixture
def world() -> World:
    uow = IndexedUnitOfWork()
    return build_world(lambda: uow)
