"""A staff-declared slot is checked before anyone is texted: working hours for the whole
slot, the cut-off, bookings and openings already open (core, so REST gets the same)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core import fill
from core.errors import Conflict, InvalidInput
from tests.scenario import NOW, World, local

# NOW is Monday Feb 16 2026, 10:00 in New York; Dr. Lee works 9–17 on weekdays.


def _declare(world: World, starts_at: datetime, minutes: int | None = None) -> fill.FillStep:
    with world.make_uow() as uow:
        step = fill.declare_opening(
            uow=uow,
            provider_id=world.lee.id,
            service_id=world.botox.id,
            starts_at=starts_at,
            actor="staff",
            now=NOW,
            policy=world.policy,
            duration_minutes=minutes,
        )
        uow.commit()
    return step


def test_a_slot_on_a_day_the_provider_does_not_work_is_refused(world: World) -> None:
    with pytest.raises(InvalidInput, match="Dr. Lee doesn't work Saturdays") as caught:
        _declare(world, local(21, 10))
    assert caught.value.field == "weekday"


def test_a_slot_that_runs_past_the_working_hours_is_refused(world: World) -> None:
    with pytest.raises(InvalidInput, match="outside those hours") as caught:
        _declare(world, local(18, 16, 30))  # 4:30 PM + 60 minutes ends at 5:30 PM
    assert caught.value.field == "starts_at"
    with pytest.raises(InvalidInput, match="outside those hours"):
        _declare(world, local(18, 8))


def test_a_slot_inside_the_cut_off_is_refused(world: World) -> None:
    with pytest.raises(InvalidInput, match="inside the cut-off"):
        _declare(world, NOW + timedelta(minutes=30))


def test_the_same_slot_cannot_be_opened_twice(world: World) -> None:
    first = _declare(world, local(18, 14))
    with pytest.raises(Conflict, match=f"{first.opening.ref} is already open for Dr. Lee"):
        _declare(world, local(18, 14, 30))


def test_a_slot_inside_the_hours_is_opened(world: World) -> None:
    step = _declare(world, local(18, 16))  # 4 PM + 60 minutes ends at 5 PM exactly
    assert step.opening.ends_at == local(18, 17)
