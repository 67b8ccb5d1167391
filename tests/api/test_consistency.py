"""One shape for every collection and errors in the API's own words (SPEC §7, §13)."""

from __future__ import annotations

import pytest

from bot.api.auth import Role
from tests.api.conftest import Api
from tests.scenario import World

V1 = "/apis/v1"


def _error(response, status: int = 400) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == status * 10 and body["data"] is None
    details: list[dict] = body["details"]  # type: ignore[type-arg]
    return details


@pytest.mark.parametrize("path", ["clients", "providers", "services", "appointments"])
def test_every_collection_takes_page_and_page_size_and_answers_pagination(
    api: Api, world: World, path: str
):
    world.client("Jane", 1)
    world.client("Bob", 2)
    response = api.get(f"{V1}/{path}", role=Role.ADMIN, params={"page": 1, "page_size": 1})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body["pagination"]) == {"page", "page_size", "total", "total_pages"}
    assert (body["pagination"]["page"], body["pagination"]["page_size"]) == (1, 1)
    assert len(body["data"]) == min(1, body["pagination"]["total"])
    assert body["pagination"]["total_pages"] == body["pagination"]["total"]


def test_providers_page_two_holds_the_second_provider(api: Api, world: World):
    first = api.get(f"{V1}/providers", params={"page": 1, "page_size": 1}).json()
    second = api.get(f"{V1}/providers", params={"page": 2, "page_size": 1}).json()
    assert first["pagination"]["total"] >= 2
    assert first["data"][0]["id"] != second["data"][0]["id"]
    _error(api.get(f"{V1}/services", params={"page_size": 101}))


def test_a_reversed_date_range_names_date_range_end(api: Api, world: World):
    jane = world.client("Jane", 1)
    body = {"patient_id": jane.id, "date_range_start": "2026-03-02", "date_range_end": "2026-03-01"}
    details = _error(api.post(f"{V1}/waitlist-requests", json=body))
    assert [d["field"] for d in details] == ["date_range_end"]


def test_a_date_range_entirely_in_the_past_is_refused(api: Api, world: World):
    jane = world.client("Jane", 1)
    body = {"patient_id": jane.id, "date_range_start": "2026-01-02", "date_range_end": "2026-02-15"}
    details = _error(api.post(f"{V1}/waitlist-requests", json=body))
    assert details[0]["field"] == "date_range_end" and "past" in details[0]["message"]
    body["date_range_end"] = "2026-02-16"  # today, in the clinic: still matchable
    assert api.post(f"{V1}/waitlist-requests", json=body).status_code == 201


def test_malformed_json_is_an_error_about_the_body(api: Api, world: World):
    response = api.client.post(
        f"{V1}/waitlist-requests",
        content=b'{"patient_id": 1,',
        headers={**api.as_(), "content-type": "application/json"},
    )
    details = _error(response)
    assert len(details) == 1 and details[0]["field"] == "body"
    assert "not valid JSON" in details[0]["message"]


def test_a_wrong_content_type_is_named(api: Api, world: World):
    response = api.client.post(
        f"{V1}/waitlist-requests",
        content=b"patient_id=1",
        headers={**api.as_(), "content-type": "application/x-www-form-urlencoded"},
    )
    details = _error(response)
    assert details == [
        {
            "field": "body",
            "message": "The body must be JSON, sent with 'Content-Type: application/json' "
            "(got 'application/x-www-form-urlencoded').",
        }
    ]


def test_a_json_array_body_is_named_as_the_body(api: Api, world: World):
    details = _error(api.post(f"{V1}/waitlist-requests", json=[1, 2]))
    assert details == [{"field": "body", "message": "The body must be a JSON object."}]


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.sig"])
def test_a_garbage_token_is_refused_without_decoder_internals(api: Api, token: str):
    response = api.client.get(f"{V1}/services", headers={"Authorization": f"Bearer {token}"})
    details = _error(response, 401)
    assert details == [{"message": "The token is not a valid signed JWT."}]
