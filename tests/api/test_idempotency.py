"""`Idempotency-Key` on POST routes (SPEC §13): the first answer comes back, the work is done
once, another body under the same key is 409, and keys belong to their caller."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import uvicorn
from sqlalchemy import func, select

from bot.api.auth import Role
from bot.app import create_app
from core.model import OpeningStatus
from storage.tables import EventRow, IdempotencyKeyRow, OpeningRow
from tests.api.conftest import Api
from tests.scenario import NOW, World, local
from tests.sms.server import free_port, wait_for

V1 = "/apis/v1"


def _count(api: Api, kind: str) -> int:
    engine = api.client.app.state.runtime.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).where(EventRow.kind == kind)) or 0)


def test_the_same_key_and_body_return_the_first_answer_without_doing_it_again(
    api: Api, world: World
):
    jane = world.client("Jane", 1)
    body = {"patient_id": jane.id, "service_id": world.botox.id}
    headers = {**api.as_(), "Idempotency-Key": "order-7731"}
    first = api.client.post(f"{V1}/waitlist-requests", json=body, headers=headers)
    again = api.client.post(f"{V1}/waitlist-requests", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _count(api, "EntryAdded") == 1


def test_the_same_key_with_another_body_is_409(api: Api, world: World):
    jane = world.client("Jane", 1)
    headers = {**api.as_(), "Idempotency-Key": "k-1"}
    api.client.post(f"{V1}/waitlist-requests", json={"patient_id": jane.id}, headers=headers)
    other = api.client.post(
        f"{V1}/waitlist-requests", json={"patient_id": jane.id, "priority": 1}, headers=headers
    )
    assert other.status_code == 409
    assert other.json()["details"][0]["field"] == "Idempotency-Key"
    assert _count(api, "EntryAdded") == 1


def test_keys_belong_to_their_caller(api: Api, world: World):
    bob = world.client("Bob", 2)
    body = {"patient_id": bob.id}
    staff = {**api.as_(Role.STAFF), "Idempotency-Key": "shared"}
    admin = {**api.as_(Role.ADMIN), "Idempotency-Key": "shared"}
    assert api.client.post(f"{V1}/waitlist-requests", json=body, headers=staff).status_code == 201
    # Another caller's same key is a new request: here refused as a duplicate entry.
    second = api.client.post(f"{V1}/waitlist-requests", json=body, headers=admin)
    assert second.status_code == 409 and "idempotent-replayed" not in second.headers


def test_an_answer_older_than_a_day_is_not_replayed(api: Api, world: World):
    jane = world.client("Jane", 1)
    runtime = api.client.app.state.runtime  # type: ignore[attr-defined]
    headers = {**api.as_(), "Idempotency-Key": "old"}
    url = f"{V1}/waitlist-requests"
    api.client.post(url, json={"patient_id": jane.id}, headers=headers)
    runtime.clock = lambda: NOW + timedelta(hours=24, seconds=1)
    later = api.client.post(url, json={"patient_id": jane.id}, headers=headers)
    assert later.status_code == 409 and "idempotent-replayed" not in later.headers  # ran again


def test_a_bad_key_is_400_and_no_key_changes_nothing(api: Api, world: World):
    jane = world.client("Jane", 1)
    bad = api.client.post(
        f"{V1}/waitlist-requests",
        json={"patient_id": jane.id},
        headers={**api.as_(), "Idempotency-Key": "x" * 256},
    )
    assert bad.status_code == 400 and bad.json()["details"][0]["field"] == "Idempotency-Key"
    assert api.post(f"{V1}/waitlist-requests", json={"patient_id": jane.id}).status_code == 201


def test_a_refused_token_with_a_key_is_still_401(api: Api):
    response = api.client.post(
        f"{V1}/clients", json={}, headers={"Authorization": "Bearer x", "Idempotency-Key": "a"}
    )
    assert response.status_code == 401
    with api.client.app.state.runtime.engine.connect() as connection:  # type: ignore[attr-defined]
        assert connection.scalar(select(func.count()).select_from(IdempotencyKeyRow)) == 0


def test_twenty_racing_cancellations_with_one_key_start_one_fill(api: Api, world: World):
    """Real threads over HTTP (uvicorn): one opening, one AppointmentCancelled, 20 identical
    answers. On PostgreSQL the unique (caller, key) index is what decides."""
    world.entry(world.client("Jane", 1))
    appointment = world.appointment(world.client("Bob", 2), local(17, 10))
    runtime = api.client.app.state.runtime  # type: ignore[attr-defined]
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime=runtime), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_for(lambda: server.started)
    url = f"http://127.0.0.1:{port}{V1}/appointments/{appointment.id}/cancel"
    headers = {**api.as_(), "Idempotency-Key": "cancel-A-1"}
    answers: list[httpx.Response] = []
    go = threading.Barrier(20)

    def cancel() -> None:
        with httpx.Client(timeout=60) as http:
            go.wait()
            answers.append(http.post(url, json={"reason": "sick"}, headers=headers))

    try:
        workers = [threading.Thread(target=cancel) for _ in range(20)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(90)
    finally:
        server.should_exit = True
        thread.join(10)
    assert len(answers) == 20
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 19
    assert _count(api, "AppointmentCancelled") == 1
    with runtime.engine.connect() as connection:
        openings = connection.execute(select(OpeningRow.status)).all()
    assert [o.status for o in openings] == [OpeningStatus.OPEN.value]


def test_a_refused_body_leaves_the_key_free_for_the_corrected_one(api: Api, world: World):
    jane = world.client("Jane", 1)
    headers = {**api.as_(), "Idempotency-Key": "fix-me"}
    url = f"{V1}/waitlist-requests"
    wrong = api.client.post(url, json={"patient_id": jane.id, "priority": 9}, headers=headers)
    assert wrong.status_code == 400
    right = api.client.post(url, json={"patient_id": jane.id, "priority": 2}, headers=headers)
    assert right.status_code == 201 and "idempotent-replayed" not in right.headers


def test_the_daily_job_forgets_answers_older_than_a_day(api: Api, world: World):
    from bot.scheduler.jobs import send_queued

    jane = world.client("Jane", 1)
    runtime = api.client.app.state.runtime  # type: ignore[attr-defined]
    headers = {**api.as_(), "Idempotency-Key": "daily"}
    api.client.post(f"{V1}/waitlist-requests", json={"patient_id": jane.id}, headers=headers)

    def stored() -> int:
        with runtime.engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(IdempotencyKeyRow)))

    send_queued(runtime, NOW + timedelta(hours=23))
    assert stored() == 1
    send_queued(runtime, NOW + timedelta(hours=25))
    assert stored() == 0
