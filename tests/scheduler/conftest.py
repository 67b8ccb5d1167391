"""A real runtime on the test database, with a clock the test moves and recording fakes for
the SMS gateway and the staff notifier."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import pytest

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from core import fill
from core.model import Appointment, Event, WaitlistEntry
from tests.scenario import NOW, World, build_world
from tests.unit.fakes import RecordingSender


class RecordingNotifier:
    """What staff would have been told, in order."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def published(self, events: Sequence[Event]) -> None:
        self.events.extend(events)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def settings_for(database_url: str, **values: Any) -> Settings:
    return Settings(_env_file=None, database_url=database_url, **values)  # type: ignore[call-arg]


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def runtime(database_url: str, notifier: RecordingNotifier, clock: Clock) -> Iterator[Runtime]:
    built = build_runtime(settings_for(database_url), sender=RecordingSender(), notifier=notifier)
    built.clock = clock
    yield built
    built.close()


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime.make_uow, runtime.policy)


def seed(world: World, n: int, slot: datetime) -> tuple[Appointment, list[WaitlistEntry]]:
    """n clients waiting for Botox, best first, and a booked appointment at `slot`."""
    holder = world.client("Holder", 9999)
    appointment = world.appointment(holder, slot)
    waiting = [
        world.entry(world.client(f"Client{i}", 1000 + i), at=NOW.replace(hour=i)) for i in range(n)
    ]
    return appointment, waiting


def cancel(world: World, appointment: Appointment, at: datetime = NOW) -> fill.FillStep:
    with world.make_uow() as uow:
        step = fill.handle_cancellation(
            uow=uow, appointment_id=appointment.id or 0, actor="staff", now=at, policy=world.policy
        )
        uow.commit()
    return step
