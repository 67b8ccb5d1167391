"""Outbound webhooks end to end (SPEC §13): a fill from cancellation to booking over REST,
delivered signed to a real receiving server by the delivery worker, with retries, a lost
claim recovered after a restart, and an endpoint that keeps failing turned off."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.api.auth import Role
from bot.app import create_app
from bot.runtime import Runtime, build_runtime
from bot.scheduler.jobs import recover_and_send
from bot.settings import Settings
from bot.webhooks.worker import WebhookWorker
from core.deliveries import claim_deliveries
from tests.api.conftest import SECRET, Api
from tests.scenario import NOW, World, build_world, local
from tests.sms.server import Clock, RecordingNotifier
from tests.webhooks.receiver import Receiver, receiving

V1 = "/apis/v1"
FILL = [
    "appointment.cancelled",
    "opening.created",
    "offer.sent",
    "offer.accepted",
    "opening.filled",
    "waitlist_request.fulfilled",
    "appointment.booked",
]


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def runtime(database_url: str, clock: Clock, notifier: RecordingNotifier) -> Iterator[Runtime]:
    settings = Settings(
        WAITLIST_DATABASE_URL=database_url,
        WAITLIST_JWT_SECRET=SECRET,
        WAITLIST_QUIET_HOURS="",
        SLACK_BOT_TOKEN=None,
        SLACK_SIGNING_SECRET=None,
        TWILIO_ACCOUNT_SID=None,
    )
    runtime = build_runtime(settings, notifier=notifier)
    runtime.clock = clock
    yield runtime
    runtime.close()


@pytest.fixture
def api(runtime: Runtime) -> Iterator[Api]:
    # No lifespan (no `with`): the test drives the worker itself, pass by pass.
    yield Api(TestClient(create_app(runtime.settings, runtime=runtime)), runtime.settings)


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime.make_uow, runtime.policy)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def register(api: Api, receiver: Receiver, types: list[str] | None = None) -> dict[str, Any]:
    response = api.post(
        f"{V1}/webhook-endpoints",
        role=Role.ADMIN,
        json={"url": receiver.url, "event_types": types or ["*"]},
    )
    assert response.status_code == 201, response.text
    endpoint: dict[str, Any] = response.json()["data"]
    receiver.secret = endpoint["secret"]
    return endpoint


def waiting_and_booked(world: World) -> tuple[int, int]:
    """Jane waits; Bob holds an appointment that fits her."""
    jane = world.entry(world.client("Jane", 1))
    appointment = world.appointment(world.client("Bob", 2), local(17, 10))
    return jane.id or 0, appointment.id or 0


def fill_one_slot(api: Api, jane: int, appointment: int) -> None:
    """Bob's appointment is cancelled; Jane, the only match, is offered it and accepts."""
    cancelled = api.post(f"{V1}/appointments/{appointment}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    accepted = api.post(f"{V1}/waitlist-requests/{jane}/accept")
    assert accepted.status_code == 200, accepted.text


def drain(worker: WebhookWorker) -> int:
    sent = 0
    while batch := worker.deliver_now():
        sent += batch
    return sent


def test_a_fill_from_cancellation_to_booking_sends_exactly_its_events(
    api: Api, world: World, runtime: Runtime, receiver: Receiver
):
    jane, appointment = waiting_and_booked(world)
    endpoint = register(api, receiver)
    assert endpoint["secret"].startswith("whsec_")
    fill_one_slot(api, jane, appointment)
    worker = WebhookWorker(runtime)
    drain(worker)
    assert receiver.bad_signatures == 0
    assert receiver.accepted_types() == FILL
    first = receiver.accepted()[0].payload
    assert first["type"] == "appointment.cancelled" and first["id"].startswith("evt_")
    assert first["timestamp"] == "2026-02-16T15:00:00Z"
    filled = receiver.accepted()[5].payload["data"]
    assert set(filled) >= {"waitlist_request_id", "opening_id", "appointment_id", "patient_id"}
    # The secret is shown once; the log lists every delivery, delivered.
    listed = api.get(f"{V1}/webhook-endpoints/{endpoint['id']}", role=Role.ADMIN).json()
    assert "secret" not in listed["data"]
    log = api.get(f"{V1}/webhook-endpoints/{endpoint['id']}/deliveries", role=Role.ADMIN).json()
    assert log["pagination"]["total"] == len(FILL)
    assert {d["status"] for d in log["data"]} == {"delivered"}
    assert [d["event_type"] for d in reversed(log["data"])] == FILL


def test_an_endpoint_gets_only_the_types_it_asked_for(
    api: Api, world: World, runtime: Runtime, receiver: Receiver
):
    jane, appointment = waiting_and_booked(world)
    register(api, receiver, ["waitlist_request.fulfilled", "opening.created"])
    fill_one_slot(api, jane, appointment)
    drain(WebhookWorker(runtime))
    assert receiver.accepted_types() == ["opening.created", "waitlist_request.fulfilled"]


def test_three_500s_then_200_deliver_each_event_once_more_and_nothing_else_twice(
    api: Api, world: World, runtime: Runtime, receiver: Receiver, clock: Clock
):
    jane, appointment = waiting_and_booked(world)
    register(api, receiver)
    receiver.statuses = [500, 500, 500]
    fill_one_slot(api, jane, appointment)
    worker = WebhookWorker(runtime)
    drain(worker)
    failed = [r.event_id for r in receiver.received if r.status == 500]
    assert len(failed) == 3 and len(receiver.accepted()) == len(FILL) - 3
    drain(worker)  # not due yet: backoff
    assert len(receiver.received) == len(FILL)
    clock.advance(1)  # past the first retry's 10 s
    drain(worker)
    counts = Counter(r.event_id for r in receiver.accepted())
    assert set(counts.values()) == {1} and len(counts) == len(FILL)
    assert len(receiver.received) == len(FILL) + 3
    assert sorted(receiver.accepted_types()) == sorted(FILL)
    assert [r.event_id for r in receiver.accepted()[-3:]] == failed


def test_a_restart_mid_delivery_loses_nothing(
    api: Api, world: World, runtime: Runtime, receiver: Receiver, clock: Clock
):
    jane, appointment = waiting_and_booked(world)
    register(api, receiver)
    fill_one_slot(api, jane, appointment)
    with runtime.make_uow() as uow:  # a worker claims everything, then the process dies
        lost = claim_deliveries(uow=uow, now=clock(), limit=100)
        uow.commit()
    assert len(lost) == len(FILL)
    worker = WebhookWorker(runtime)  # the new process
    assert drain(worker) == 0  # the claims still hold
    clock.advance(3)  # past the lease; the scheduler's sweep frees them
    assert recover_and_send(runtime, clock())["webhooks_recovered"] == len(FILL)
    drain(worker)
    assert receiver.accepted_types() == FILL
    assert len(receiver.received) == len(FILL)


def test_an_endpoint_failing_for_a_day_is_turned_off_and_staff_are_told(
    api: Api,
    world: World,
    runtime: Runtime,
    receiver: Receiver,
    clock: Clock,
    notifier: RecordingNotifier,
):
    endpoint = register(api, receiver, ["appointment.cancelled"])
    receiver.statuses = [500] * 1000
    appointment = world.appointment(world.client("Bob", 2), local(17, 10))
    api.post(f"{V1}/appointments/{appointment.id}/cancel")
    worker = WebhookWorker(runtime)
    for _ in range(40):  # retries back off to hourly: a day holds about 30 of them
        drain(worker)
        clock.advance(60)
    url = f"{V1}/webhook-endpoints/{endpoint['id']}"
    state = api.get(url, role=Role.ADMIN).json()["data"]
    assert state["enabled"] is False and state["disabled_at"] is not None
    assert "WebhookEndpointDisabled" in notifier.kinds()
    tries = len(receiver.received)
    assert 20 < tries < 40
    drain(worker)
    clock.advance(120)
    drain(worker)
    assert len(receiver.received) == tries  # nothing sent while off
    receiver.statuses = []
    again = api.patch(url, role=Role.ADMIN, json={"enabled": True})
    assert again.json()["data"]["enabled"] is True
    drain(worker)
    assert receiver.accepted_types() == ["appointment.cancelled"]  # the kept event


def test_a_delivery_can_be_sent_again_by_hand(
    api: Api, world: World, runtime: Runtime, receiver: Receiver
):
    endpoint = register(api, receiver, ["appointment.cancelled"])
    appointment = world.appointment(world.client("Bob", 2), local(17, 10))
    api.post(f"{V1}/appointments/{appointment.id}/cancel")
    worker = WebhookWorker(runtime)
    drain(worker)
    log_url = f"{V1}/webhook-endpoints/{endpoint['id']}/deliveries"
    (delivery,) = api.get(log_url, role=Role.ADMIN).json()["data"]
    again = api.post(f"{log_url}/{delivery['id']}/redeliver", role=Role.ADMIN)
    assert again.status_code == 201 and again.json()["data"]["status"] == "pending"
    drain(worker)
    ids = [r.event_id for r in receiver.accepted()]
    assert ids == [delivery["event_id"]] * 2  # the same event id: receivers de-duplicate
    assert api.post(f"{log_url}/999/redeliver", role=Role.ADMIN).status_code == 404


def test_only_admins_manage_endpoints_and_bad_ones_are_refused(api: Api, world: World):
    body = {"url": "https://example.org/hook", "event_types": ["offer.sent"]}
    assert api.post(f"{V1}/webhook-endpoints", json=body).status_code == 403
    bad = api.post(
        f"{V1}/webhook-endpoints", role=Role.ADMIN, json={**body, "event_types": ["nope"]}
    )
    assert bad.status_code == 400 and bad.json()["details"][0]["field"].startswith("event_types")
    ftp = api.post(f"{V1}/webhook-endpoints", role=Role.ADMIN, json={**body, "url": "ftp://x.org/"})
    assert ftp.status_code == 400


def test_the_outbox_row_is_written_in_the_same_transaction_as_the_change(
    api: Api, world: World, runtime: Runtime, receiver: Receiver
):
    register(api, receiver, ["appointment.cancelled"])
    appointment = world.appointment(world.client("Bob", 2), local(17, 10))
    from core import fill

    with runtime.make_uow() as uow:
        fill.handle_cancellation(
            uow=uow,
            appointment_id=appointment.id or 0,
            actor="t",
            now=NOW,
            policy=runtime.policy,
        )
        # Rolled back, not committed: neither the change nor its delivery remains.
    drain(WebhookWorker(runtime))
    assert receiver.received == []
    with runtime.make_uow() as uow:
        assert uow.webhooks.claim_due(NOW + timedelta(days=1), 10) == []


def test_the_served_app_delivers_by_itself(runtime: Runtime, world: World, receiver: Receiver):
    """`waitlist serve`'s app: its worker thread wakes on the commit and delivers."""
    import threading

    import httpx
    import uvicorn

    from tests.sms.server import free_port, wait_for

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime=runtime), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_for(lambda: server.started)
    base = f"http://127.0.0.1:{port}{V1}"
    api = Api(TestClient(create_app(runtime=runtime)), runtime.settings)
    admin = api.as_(Role.ADMIN)
    try:
        with httpx.Client(timeout=30) as http:
            made = http.post(
                f"{base}/webhook-endpoints",
                headers=admin,
                json={"url": receiver.url, "event_types": ["appointment.cancelled"]},
            )
            receiver.secret = made.json()["data"]["secret"]
            appointment = world.appointment(world.client("Bob", 2), local(17, 10))
            http.post(f"{base}/appointments/{appointment.id}/cancel", headers=admin)
            assert wait_for(lambda: receiver.accepted(), timeout=15)
    finally:
        server.should_exit = True
        thread.join(10)
    assert receiver.accepted_types() == ["appointment.cancelled"]


def test_the_worker_is_woken_only_by_a_commit_that_queued_deliveries(
    api: Api, world: World, runtime: Runtime, receiver: Receiver
):
    """Without endpoints a commit queues nothing, so the worker is left asleep (it still
    looks by itself every few seconds, for retries); with one, the commit wakes it."""
    ready = runtime.webhooks_ready
    jane, appointment = waiting_and_booked(world)
    ready.clear()
    fill_one_slot(api, jane, appointment)
    assert not ready.is_set()
    register(api, receiver, ["appointment.cancelled"])
    other = world.appointment(world.client("Cy", 3), local(18, 10))
    ready.clear()
    cancelled = api.post(f"{V1}/appointments/{other.id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert ready.is_set()
    assert drain(WebhookWorker(runtime)) == 1


def test_a_url_that_cannot_be_parsed_is_refused_not_a_500(api: Api, world: World):
    body = {"url": "http://[::1/hooks", "event_types": ["offer.sent"]}
    refused = api.post(f"{V1}/webhook-endpoints", role=Role.ADMIN, json=body)
    assert refused.status_code == 400 and refused.json()["details"][0]["field"] == "url"


def test_two_workers_at_once_send_each_event_once(
    api: Api, world: World, runtime: Runtime, receiver: Receiver
):
    """Two instances' workers draining together: claims never overlap."""
    import threading

    endpoint = register(api, receiver)
    for number in range(6):
        jane = world.entry(world.client(f"W{number}", 10 + number), provider_ids=())
        appointment = world.appointment(
            world.client(f"B{number}", 40 + number), local(17, 9 + number)
        )
        fill_one_slot(api, jane.id or 0, appointment.id or 0)
    workers = [WebhookWorker(runtime), WebhookWorker(runtime)]
    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    ids = [r.event_id for r in receiver.accepted()]
    log = api.get(f"{V1}/webhook-endpoints/{endpoint['id']}/deliveries", role=Role.ADMIN).json()
    assert len(ids) == len(set(ids)) == log["pagination"]["total"] > 6 * len(FILL)
    assert Counter(receiver.accepted_types())["waitlist_request.fulfilled"] == 6
