"""The domain tests of tests/unit, run again on SQLite and PostgreSQL through storage/."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from storage.uow import SqlUnitOfWork
from tests.scenario import World, build_world
from tests.unit.test_entries import TestEntries, TestSlots
from tests.unit.test_fill import TestFill, TestManualOffers
from tests.unit.test_own_slot import TestOwnCancelledSlot

__all__ = ["TestEntries", "TestFill", "TestManualOffers", "TestOwnCancelledSlot", "TestSlots"]


@pytest.fixture
def world(uow_factory: Callable[[], SqlUnitOfWork]) -> World:
    return build_world(uow_factory)
