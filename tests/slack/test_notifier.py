"""Fill progress reaches the clinic channel as one thread per opening, first names only."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.slack.notifier import SlackNotifier
from core import offers
from core.fill import handle_cancellation
from tests.fakes.slack_api import FakeSlackApi
from tests.scenario import NOW, World, build_world, later, local
from tests.slack.conftest import RecordingSender


@dataclass
class Clinic:
    runtime: Runtime
    api: FakeSlackApi
    world: World

    @property
    def notifier(self) -> SlackNotifier:
        assert isinstance(self.runtime.notifier, SlackNotifier)
        return self.runtime.notifier


@pytest.fixture
def clinic(database_url: str) -> Iterator[Clinic]:
    with FakeSlackApi() as api:
        settings = Settings(
            WAITLIST_DATABASE_URL=database_url,
            SLACK_BOT_TOKEN="xoxb-" + secrets.token_hex(8),
            SLACK_API_URL=api.url,
            WAITLIST_SLACK_CHANNEL="CCLINIC",
        )
        runtime = build_runtime(settings, sender=RecordingSender())
        yield Clinic(runtime, api, build_world(runtime.make_uow))
        runtime.close()


def _cancel(clinic: Clinic, appointment_id: int) -> int:
    with clinic.runtime.make_uow() as uow:
        step = handle_cancellation(
            uow=uow,
            appointment_id=appointment_id,
            actor="test",
            now=NOW,
            policy=clinic.world.policy,
        )
        uow.commit()
    return step.opening.id or 0


def test_a_fill_is_told_in_one_thread_and_the_parent_shows_the_booking(clinic: Clinic) -> None:
    world = clinic.world
    jane = world.client("Jane", 1)
    entry = world.entry(jane)
    appointment = world.appointment(world.client("Bob", 2), local(18, 10))

    _cancel(clinic, appointment.id)
    with clinic.runtime.make_uow() as uow:
        offers.accept_offer(
            uow=uow, entry_id=entry.id, actor="patient", now=later(2), policy=world.policy
        )
        uow.commit()
    clinic.notifier.flush()

    posts = clinic.api.calls_to("chat.postMessage")
    parent, replies = posts[0], posts[1:]
    assert parent["text"] == (
        ":calendar: *O-1* Wed Feb 18 10:00 AM · Botox with Dr. Johnson — filling from the waitlist"
    )
    assert all(r["thread_ts"] == "1700000000.000001" for r in replies)
    assert [r["text"] for r in replies] == [
        "Offered to Jane (W-1), holds until Mon Feb 16 10:15 AM.",
        "Jane (W-1) said YES.",
        ":white_check_mark: Booked Jane (W-1) (filled in 2 min).",
    ]
    update = clinic.api.calls_to("chat.update")[0]
    assert update["ts"] == "1700000000.000001"
    assert update["text"].endswith("— booked: Jane (W-1)")
    assert "Tester" not in str(clinic.api.calls) and "+1617" not in str(clinic.api.calls)


def test_the_thread_is_found_again_by_a_new_process(clinic: Clinic) -> None:
    world = clinic.world
    entry = world.entry(world.client("Jane", 1))
    opening_id = _cancel(clinic, world.appointment(world.client("Bob", 2), local(18, 10)).id)
    clinic.notifier.flush()
    again = build_runtime(clinic.runtime.settings, sender=RecordingSender())

    with again.make_uow() as uow:
        offers.decline_offer(
            uow=uow, entry_id=entry.id, actor="patient", now=later(1), policy=world.policy
        )
        uow.commit()
    assert isinstance(again.notifier, SlackNotifier)
    again.notifier.flush()
    again.close()

    parents = [p for p in clinic.api.calls_to("chat.postMessage") if "thread_ts" not in p]
    assert len(parents) == 1 and opening_id == 1
    assert (
        clinic.api.calls_to("chat.postMessage")[-1]["text"]
        == "No one else on the waitlist fits this slot right now."
    )


def test_a_failing_slack_never_reaches_the_transaction(clinic: Clinic) -> None:
    world = clinic.world
    world.entry(world.client("Jane", 1))
    clinic.api.fail("chat.postMessage", "channel_not_found")

    opening_id = _cancel(clinic, world.appointment(world.client("Bob", 2), local(18, 10)).id)
    clinic.notifier.flush()

    assert opening_id == 1
    assert clinic.api.calls_to("chat.postMessage")  # it tried, and the commit stood
