"""What patients text reaches the clinic channel in words staff can act on: who (first name,
masked phone), their words, and what became of their entries."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.sms.inbound import handle_sms
from core.fill import handle_cancellation
from tests.fakes.slack_api import FakeSlackApi
from tests.scenario import NOW, World, build_world, local
from tests.slack.conftest import RecordingSender


@pytest.fixture
def clinic(database_url: str) -> Iterator[tuple[Runtime, FakeSlackApi, World]]:
    with FakeSlackApi() as api:
        settings = Settings(
            WAITLIST_DATABASE_URL=database_url,
            SLACK_BOT_TOKEN="xoxb-" + secrets.token_hex(8),
            SLACK_API_URL=api.url,
            WAITLIST_SLACK_CHANNEL="CCLINIC",
            WAITLIST_QUIET_HOURS="",
        )
        runtime = build_runtime(settings, sender=RecordingSender())
        runtime.clock = lambda: NOW
        yield runtime, api, build_world(runtime.make_uow, runtime.policy)
        runtime.close()


def _channel(runtime: Runtime, api: FakeSlackApi) -> list[str]:
    runtime.notifier.flush()  # type: ignore[union-attr]
    return [p["text"] for p in api.calls_to("chat.postMessage") if "thread_ts" not in p]


def test_opt_outs_wrong_numbers_departures_and_questions_reach_the_channel(
    clinic: tuple[Runtime, FakeSlackApi, World],
) -> None:
    runtime, api, world = clinic
    ana, ben, cal, dee = (world.client(n, i) for i, n in enumerate(["Ana", "Ben", "Cal", "Dee"], 1))
    refs = {c.first_name: world.entry(c).ref for c in (ana, ben, cal, dee)}
    with runtime.make_uow() as uow:
        appointment = world.appointment(world.client("Bob", 9), local(18, 10))
        handle_cancellation(
            uow=uow, appointment_id=appointment.id or 0, actor="test", now=NOW, policy=world.policy
        )
        uow.commit()

    handle_sms(runtime, ana.phone, "STOP")
    handle_sms(runtime, ben.phone, "wrong number")
    handle_sms(runtime, cal.phone, "found another clinic, take me off the list")
    handle_sms(runtime, dee.phone, "yes but can it be 11")
    lines = _channel(runtime, api)

    assert lines[-4:] == [
        f":no_bell: Opted out of texts from **********01 (Ana, client {ana.id}): “STOP”; "
        f"{refs['Ana']} stays on the waitlist but cannot be texted",
        f":no_mobile_phones: Wrong number from **********02 (Ben, client {ben.id}): "
        f"“wrong number”. Phone marked invalid; {refs['Ben']} stays on the waitlist but cannot "
        "be texted until the number is fixed",
        f":wave: Left the waitlist from **********03 (Cal, client {cal.id}): “found another "
        f"clinic, take me off the list”. {refs['Cal']} cancelled.",
        f":speech_balloon: A conditional answer (nothing booked) from **********04 (Dee, client "
        f"{dee.id}) about opening O-1: “yes but can it be 11”",
    ]
