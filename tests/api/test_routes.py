"""The other routes of SPEC §7, over the same services: a request's life, a cancellation
filled over REST, appointments, openings, the directory, and the error codes."""

from __future__ import annotations

import threading
from collections import defaultdict

from fastapi.testclient import TestClient
from sqlalchemy import event

from bot.api.auth import Role
from tests.api.conftest import Api
from tests.scenario import World, local

V1 = "/apis/v1"


def _ok(response, status: int = 200):  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["code"], body["message"]) == (2000, "Success")
    return body["data"]


def _error(response, status: int, code: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["data"] is None
    return body


def test_request_added_edited_read_and_cancelled(api: Api, world: World):
    jane = world.client("Jane", 1)
    created = _ok(
        api.post(
            f"{V1}/waitlist-requests",
            json={
                "patient_id": jane.id,
                "service_id": world.botox.id,
                "preferred_providers": [world.johnson.id],
                "preferred_days": ["MONDAY", "FRIDAY"],
                "preferred_time_slots": ["MORNING"],
                "date_range_start": "2026-02-20",
                "date_range_end": "2026-03-15",
                "payment_type": "SELF_PAY",
                "priority": 2,
                "notes": "no weekends",
            },
        ),
        201,
    )
    assert created["preferred_days"] == ["MONDAY", "FRIDAY"]
    assert created["preferred_providers"] == [str(world.johnson.id)]
    assert created["status"] == "ACTIVE" and created["created_by"] == "api:staff-1"
    url = f"{V1}/waitlist-requests/{created['id']}"
    edited = _ok(api.patch(url, json={"date_range_end": "2026-03-31", "priority": 1}))
    assert (edited["date_range_end"], edited["priority"]) == ("2026-03-31", 1)
    assert edited["notes"] == "no weekends"  # untouched
    assert _ok(api.get(url))["date_range_end"] == "2026-03-31"
    assert _ok(api.delete(url))["status"] == "CANCELLED"
    again = _error(api.delete(url), 409, 4090)
    assert "cancelled" in again["details"][0]["message"]
    _error(api.patch(url, json={"notes": "late"}), 409, 4090)


def test_bad_bodies_are_400_naming_the_field(api: Api, world: World):
    jane = world.client("Jane", 1)
    cases = [
        ({"patient_id": jane.id, "priority": 9}, "priority"),
        ({"patient_id": jane.id, "preferred_days": ["FUNDAY"]}, "preferred_days.0"),
        ({"patient_id": jane.id, "date_range_start": "2026-02-30"}, "date_range_start"),
        ({"patient_id": jane.id, "surprise": 1}, "surprise"),
        ({"service_id": world.botox.id}, "patient_id"),
        (
            {
                "patient_id": jane.id,
                "date_range_start": "2026-03-02",
                "date_range_end": "2026-03-01",
            },
            "date_range_end",
        ),
    ]
    for body, field in cases:
        error = _error(api.post(f"{V1}/waitlist-requests", json=body), 400, 4000)
        assert error["message"] == "invalid input"
        assert any(d.get("field") == field for d in error["details"]), (body, error)
    _error(
        api.client.post(
            f"{V1}/waitlist-requests",
            content=b"{not json",
            headers={**api.as_(), "content-type": "application/json"},
        ),
        400,
        4000,
    )
    _error(api.post(f"{V1}/waitlist-requests", json={"patient_id": 999}), 404, 4040)


def test_cancellation_over_rest_fills_the_slot_with_accept(api: Api, world: World):
    jane, bob = world.client("Jane", 1), world.client("Bob", 2)
    entry = world.entry(jane, priority=1)
    world.entry(bob)
    appt = world.appointment(world.client("Booked", 3), local(17, 10))
    opening = _ok(api.post(f"{V1}/appointments/{appt.id}/cancel", json={"reason": "sick"}))
    assert opening["status"] == "open" and opening["origin_appointment_id"] == str(appt.id)
    assert len(opening["invites"]) == 2
    _error(api.post(f"{V1}/appointments/{appt.id}/cancel"), 409, 4090)
    assert _ok(api.get(f"{V1}/openings/{opening['id']}"))["id"] == opening["id"]
    decision = _ok(api.post(f"{V1}/waitlist-requests/{entry.id}/accept", Role.USER, jane.id))
    assert decision["request"]["status"] == "FULFILLED"
    assert decision["appointment"]["scheduled_at"] == "2026-02-17T15:00:00Z"
    assert decision["opening"]["status"] == "filled"
    assert len(decision["opening"]["invites"]) == 1  # a patient sees only their own invite
    _error(api.post(f"{V1}/waitlist-requests/{entry.id}/accept"), 409, 4090)
    listed = _ok(api.get(f"{V1}/appointments?patient_id={jane.id}"))
    assert [a["id"] for a in listed] == [decision["appointment"]["id"]]


def test_decline_puts_the_request_back_and_offer_by_hand(api: Api, world: World):
    jane = world.client("Jane", 1)
    entry = world.entry(jane)
    appt = world.appointment(world.client("Booked", 3), local(17, 10))
    _ok(api.post(f"{V1}/appointments/{appt.id}/cancel"))
    declined = _ok(api.post(f"{V1}/waitlist-requests/{entry.id}/decline"))
    assert declined["request"]["waitlist_status"] == "waiting"
    _error(api.post(f"{V1}/waitlist-requests/{entry.id}/decline"), 409, 4090)
    # Offering the same slot again by hand is refused: she already said no to it.
    _error(
        api.post(f"{V1}/waitlist-requests/{entry.id}/offer", json={"appointment_id": appt.id}),
        409,
        4090,
    )
    other = world.appointment(world.client("Booked", 4), local(18, 10))
    _error(
        api.post(f"{V1}/waitlist-requests/{entry.id}/offer", json={"appointment_id": other.id}),
        409,
        4090,
    )  # still booked: cancel it first
    _error(
        api.post(f"{V1}/waitlist-requests/{entry.id}/offer", json={"appointment_id": 999}),
        404,
        4040,
    )


def test_matching_slots_are_grouped_by_date_and_provider(api: Api, world: World):
    entry = world.entry(world.client("Jane", 1), provider_ids=(world.lee.id,))
    groups = _ok(
        api.get(
            f"{V1}/waitlist-requests/{entry.id}/matching-slots"
            "?start_date=2026-02-17&end_date=2026-02-17&limit=3"
        )
    )
    assert [g["provider_name"] for g in groups] == ["Dr. Lee"]
    assert groups[0]["date"] == "2026-02-17" and len(groups[0]["slots"]) == 3
    _error(api.get(f"{V1}/waitlist-requests/{entry.id}/matching-slots?limit=0"), 400, 4000)
    _error(api.get(f"{V1}/waitlist-requests/999/matching-slots"), 404, 4040)


def test_appointments_booked_listed_and_overlaps_refused(api: Api, world: World):
    jane = world.client("Jane", 1)
    body = {
        "patient_id": jane.id,
        "service_id": world.botox.id,
        "provider_id": world.johnson.id,
        "scheduled_at": "2026-02-17T10:00:00-05:00",
    }
    booked = _ok(api.post(f"{V1}/appointments", json=body), 201)
    assert booked["scheduled_at"] == "2026-02-17T15:00:00Z" and booked["duration_minutes"] == 60
    _error(api.post(f"{V1}/appointments", json=body), 409, 4090)
    _error(
        api.post(f"{V1}/appointments", json={**body, "scheduled_at": "2026-02-17T10:00"}), 400, 4000
    )
    page = api.get(f"{V1}/appointments?start_date=2026-02-17&end_date=2026-02-18").json()
    assert page["pagination"]["total"] == 1


def test_directory_crud(api: Api, world: World):
    client = _ok(
        api.post(
            f"{V1}/clients", json={"first_name": "Ann", "last_name": "Lee", "phone": "617 555 0199"}
        ),
        201,
    )
    assert client["phone"] == "+16175550199"
    _error(
        api.post(f"{V1}/clients", json={"first_name": "Dup", "phone": "+16175550199"}), 409, 4090
    )
    _error(api.post(f"{V1}/clients", json={"first_name": "Bad", "phone": "12"}), 400, 4000)
    edited = _ok(api.patch(f"{V1}/clients/{client['id']}", json={"email": "ann@example.com"}))
    assert edited["email"] == "ann@example.com"
    assert _ok(api.get(f"{V1}/clients/{client['id']}"))["first_name"] == "Ann"
    assert api.get(f"{V1}/clients").json()["pagination"]["total"] == 1
    # A patient may read themselves, nobody else.
    assert api.get(f"{V1}/clients/{client['id']}", Role.USER, int(client["id"])).status_code == 200
    _error(api.get(f"{V1}/clients/{client['id']}", Role.USER, 777), 404, 4040)
    service = _ok(
        api.post(
            f"{V1}/services",
            Role.ADMIN,
            json={"clinic_id": world.clinic.id, "name": "Peel", "duration_minutes": 45},
        ),
        201,
    )
    patched = _ok(
        api.patch(
            f"{V1}/services/{service['id']}", Role.ADMIN, json={"appointment_type": "FOLLOW_UP"}
        )
    )
    assert patched["appointment_type"] == "FOLLOW_UP"
    assert len(_ok(api.get(f"{V1}/services"))) == 3
    provider = _ok(
        api.patch(
            f"{V1}/providers/{world.lee.id}", Role.ADMIN, json={"hours": {"tue": "10:00-14:00"}}
        )
    )
    assert provider["hours"] == {"tue": "10:00-14:00"}
    _error(
        api.patch(f"{V1}/providers/{world.lee.id}", Role.ADMIN, json={"hours": {"tue": "9-5"}}),
        400,
        4000,
    )
    _error(api.get(f"{V1}/providers/999"), 404, 4040)


def test_stats_pass_through_the_engine_numbers(api: Api, world: World):
    world.entry(world.client("Jane", 1))
    stats = _ok(api.get(f"{V1}/waitlist-stats"))
    assert stats["total"] == 1 and stats["activeCount"] == 1 and stats["counts"]["waiting"] == 1


def test_unknown_route_and_method_keep_the_envelope(api: Api, world: World):
    _error(api.get(f"{V1}/nothing-here"), 404, 4040)
    _error(api.client.put(f"{V1}/waitlist-requests", headers=api.as_()), 405, 4050)


def test_include_waitlists_page_of_100_takes_a_fixed_number_of_queries(
    api: Api, world: World, runtime
):  # type: ignore[no-untyped-def]
    """No N+1: the queries for a page do not grow with its size."""

    def queries_for(page_size: int) -> int:
        # By thread: the outbox dispatcher may be texting in the background meanwhile.
        seen: dict[int, list[str]] = defaultdict(list)

        def count(*args: object) -> None:
            seen[threading.get_ident()].append(str(args[2]))

        event.listen(runtime.engine, "before_cursor_execute", count)
        try:
            response = api.get(
                f"{V1}/waitlist-requests?include_waitlists=true&sort_dir=asc&page_size={page_size}"
            )
        finally:
            event.remove(runtime.engine, "before_cursor_execute", count)
        assert len(response.json()["data"]) == page_size
        assert response.json()["data"][0]["matched_waitlists"]
        (mine,) = [q for q in seen.values() if any("FROM waitlist_entries" in s for s in q)]
        return len(mine)

    for number in range(100):
        world.entry(world.client(f"C{number}", 100 + number), provider_ids=(world.lee.id,))
    for day in (17, 18):
        appt = world.appointment(world.client(f"Booked{day}", day), local(day, 10), world.lee)
        api.post(f"{V1}/appointments/{appt.id}/cancel")
    small, full = queries_for(2), queries_for(100)
    assert small == full
    assert full <= 10


def test_docs_open_with_the_integrators_guide(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()

    guide = schema["info"]["description"]
    for needed in ("Bearer", "clinic_ids", "page_size", "Idempotency-Key", "Waitlist-Signature"):
        assert needed in guide
    assert "waitlist import clinic.yml" in guide  # how a clinic comes to exist
    assert "2000 on success" in guide and "2010" not in guide  # a 201 answers code 2000 too
    assert client.get("/docs").status_code == 200


def test_the_docs_say_which_directory_routes_are_admins(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in [
        ("/apis/v1/providers", "post"),
        ("/apis/v1/providers/{provider_id}", "patch"),
        ("/apis/v1/providers/{provider_id}", "delete"),
        ("/apis/v1/services", "post"),
        ("/apis/v1/services/{service_id}", "patch"),
        ("/apis/v1/services/{service_id}", "delete"),
        ("/apis/v1/clinics/{clinic_id}", "patch"),
    ]:
        assert paths[path][method]["summary"].endswith("(ADMIN)"), (path, method)
    assert "(ADMIN)" not in paths["/apis/v1/clients"]["post"]["summary"]
