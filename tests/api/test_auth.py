"""Bearer JWT: forged, expired and malformed tokens get 401; roles get only what they may."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from bot.api.auth import Role, mint_token
from bot.settings import Settings
from tests.api.conftest import SECRET, Api
from tests.scenario import NOW, World

URL = "/apis/v1/waitlist-requests"


def _claims(**extra: Any) -> dict[str, Any]:
    now = jwt.api_jwt.datetime.now(jwt.api_jwt.timezone.utc)  # type: ignore[attr-defined]
    return {"sub": "mallory", "role": "ADMIN", "exp": now + timedelta(minutes=5), **extra}


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def _unsigned(claims: dict[str, Any]) -> str:
    claims = {k: int(v.timestamp()) if hasattr(v, "timestamp") else v for k, v in claims.items()}
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def _call(client: TestClient, token: str | None, scheme: str = "Bearer"):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    return client.get(URL, headers=headers)


def _rejected(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 401, response.text
    body = response.json()
    assert (body["code"], body["message"], body["data"]) == (4010, "unauthorized", None)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(_unsigned(_claims()), id="alg-none"),
        pytest.param(jwt.encode(_claims(), "another-secret-another-secret-12345"), id="wrong-key"),
        pytest.param(
            jwt.encode(_claims(), SECRET, algorithm="HS512"), id="algorithm-not-configured"
        ),
        pytest.param(
            jwt.encode({**_claims(), "exp": NOW - timedelta(hours=1)}, SECRET), id="expired"
        ),
        pytest.param(
            jwt.encode({k: v for k, v in _claims().items() if k != "exp"}, SECRET), id="no-exp"
        ),
        pytest.param(jwt.encode({**_claims(), "role": "ROOT"}, SECRET), id="unknown-role"),
        pytest.param(jwt.encode(_claims(role="USER"), SECRET), id="user-without-patient"),
        pytest.param("not-a-token", id="garbage"),
        pytest.param("a.b.c", id="garbage-segments"),
        pytest.param("", id="empty"),
    ],
)
def test_bad_tokens_are_401(client: TestClient, world: World, token: str):
    _rejected(_call(client, token))


def test_missing_header_and_other_schemes_are_401(client: TestClient, api: Api):
    _rejected(_call(client, None))
    _rejected(_call(client, api.token(), scheme="Basic"))


def test_token_within_leeway_is_accepted_and_just_past_it_is_not(client: TestClient):
    now = jwt.api_jwt.datetime.now(jwt.api_jwt.timezone.utc)  # type: ignore[attr-defined]
    fresh = jwt.encode({**_claims(), "exp": now - timedelta(seconds=5)}, SECRET)
    assert _call(client, fresh).status_code == 200
    stale = jwt.encode({**_claims(), "exp": now - timedelta(seconds=60)}, SECRET)
    _rejected(_call(client, stale))


@pytest.fixture
def strict_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"jwt_issuer": "https://ehr.example", "jwt_audience": "waitlist"}
    )


def test_issuer_and_audience_are_checked_when_configured(
    runtime,
    strict_settings: Settings,  # type: ignore[no-untyped-def]
):
    from bot.app import create_app

    runtime.settings = strict_settings
    with TestClient(create_app(strict_settings, runtime=runtime)) as client:
        good = mint_token(strict_settings, sub="alice", role=Role.STAFF)
        assert _call(client, good).status_code == 200
        for claims in (
            _claims(iss="https://evil.example", aud="waitlist"),
            _claims(iss="https://ehr.example", aud="someone-else"),
            _claims(aud="waitlist"),  # no issuer
            _claims(iss="https://ehr.example"),  # no audience
        ):
            _rejected(_call(client, jwt.encode(claims, SECRET)))


def test_api_without_a_configured_secret_refuses_everyone(runtime, world: World):  # type: ignore[no-untyped-def]
    from bot.app import create_app

    bare = runtime.settings.model_copy(update={"jwt_secret": None})
    token = mint_token(runtime.settings, sub="alice", role=Role.STAFF)
    runtime.settings = bare
    with TestClient(create_app(bare, runtime=runtime)) as client:
        _rejected(_call(client, token))


STAFF_ONLY = [
    ("get", "/apis/v1/waitlist-stats"),
    ("get", "/apis/v1/appointments"),
    ("post", "/apis/v1/appointments/1/cancel"),
    ("get", "/apis/v1/openings/1"),
    ("get", "/apis/v1/clients"),
    ("post", "/apis/v1/waitlist-requests/1/offer"),
]
ADMIN_ONLY = [("post", "/apis/v1/providers"), ("post", "/apis/v1/services")]


@pytest.mark.parametrize(("method", "path"), STAFF_ONLY + ADMIN_ONLY)
def test_staff_operations_do_not_exist_for_patients(api: Api, world: World, method, path):
    kwargs = {"json": {"appointment_id": 1}} if path.endswith("/offer") else {}
    response = getattr(api, method)(path, role=Role.USER, patient_id=1, **kwargs)
    assert response.status_code == 404  # SPEC §7: nothing but their own exists for a USER
    assert response.json()["code"] == 4040


@pytest.mark.parametrize(("method", "path"), ADMIN_ONLY)
def test_staff_are_refused_clinic_setup_with_403(api: Api, world: World, method, path):
    assert getattr(api, method)(path, role=Role.STAFF, json={}).status_code == 403


def test_admin_may_set_up_the_clinic(api: Api, world: World):
    body = {"clinic_id": world.clinic.id, "name": "Dr. New", "hours": {"mon": "09:00-12:00"}}
    response = api.post("/apis/v1/providers", role=Role.ADMIN, json=body)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["hours"] == {"mon": "09:00-12:00"}


def test_patient_probing_a_thousand_other_ids_gets_only_404(api: Api, world: World):
    jane, bob = world.client("Jane", 1), world.client("Bob", 2)
    mine = world.entry(jane).id
    theirs = world.entry(bob).id
    headers = api.as_(Role.USER, patient_id=jane.id)
    statuses = set()
    bodies = set()
    for request_id in [theirs, *range(mine + 2, mine + 1001)]:
        if request_id == mine:
            continue
        response = api.client.get(f"{URL}/{request_id}", headers=headers)
        statuses.add(response.status_code)
        bodies.add(json.dumps({k: v for k, v in response.json().items() if k != "details"}))
    assert statuses == {404}
    assert len(bodies) == 1  # the same answer whether the id exists or not
    assert api.client.get(f"{URL}/{mine}", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("patch", "", {"notes": "mine now"}),
        ("delete", "", None),
        ("get", "/matching-slots", None),
        ("post", "/accept", None),
        ("post", "/decline", None),
    ],
)
def test_patient_cannot_touch_another_patients_request(
    api: Api, world: World, method: str, suffix: str, body
):
    jane, bob = world.client("Jane", 1), world.client("Bob", 2)
    theirs = world.entry(bob).id
    kwargs = {"json": body} if body is not None else {}
    response = getattr(api, method)(f"{URL}/{theirs}{suffix}", Role.USER, jane.id, **kwargs)
    assert response.status_code == 404
    with world.make_uow() as uow:
        entry = uow.entries.get(theirs)
    assert entry.notes is None and entry.status.value == "waiting"


def test_patient_adds_a_request_for_themselves_only(api: Api, world: World):
    jane, bob = world.client("Jane", 1), world.client("Bob", 2)
    response = api.post(
        URL, Role.USER, jane.id, json={"patient_id": bob.id, "service_id": world.botox.id}
    )
    assert response.status_code == 201, response.text
    assert response.json()["data"]["patient_id"] == str(jane.id)
