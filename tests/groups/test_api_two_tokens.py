"""Two clinics' integrations side by side, each with a STAFF token for its own clinic: what one
does never reaches, shows or books anything of the other's."""

from __future__ import annotations

from bot.api.auth import Role
from tests.groups.conftest import Api


def _booking(api: Api, patient_id: int) -> dict[str, object]:
    east = api.group.east
    return {
        "patient_id": patient_id,
        "service_id": east.service.id,
        "provider_id": east.provider.id,
        "scheduled_at": east.local(19, 11).isoformat(),
    }


def test_staff_cannot_book_a_client_their_clinic_does_not_see(api: Api) -> None:
    leo = api.group.client("Leo", 5)
    api.group.entry(api.group.west, leo)  # Bayside's patient
    refused = api.client.post(
        "/apis/v1/appointments", json=_booking(api, leo.id or 0), headers=api.east_staff()
    )
    assert refused.status_code == 404, refused.text
    assert refused.json()["details"][0]["message"] == f"Client {leo.id} does not exist."
    assert api.client.get(f"/apis/v1/clients/{leo.id}", headers=api.east_staff()).status_code == 404
    booked = api.client.get("/apis/v1/appointments", headers=api.headers(Role.ADMIN)).json()
    assert booked["pagination"]["total"] == 0


def test_staff_book_a_client_once_found_at_their_clinic(api: Api) -> None:
    leo = api.group.client("Leo", 5)
    api.group.entry(api.group.west, leo)
    found = api.client.post(
        "/apis/v1/clients",
        json={"first_name": "Leo", "phone": leo.phone},
        headers=api.east_staff(),
    )
    assert found.status_code == 200
    booked = api.client.post(
        "/apis/v1/appointments", json=_booking(api, leo.id or 0), headers=api.east_staff()
    )
    assert booked.status_code == 201, booked.text


def test_a_token_naming_no_clinic_is_refused_not_shown_every_clinic(api: Api) -> None:
    api.group.appointment(api.group.west, api.group.client("Hal", 6), api.group.west.local(18, 11))
    empty = api.headers(Role.STAFF, [])
    for path in ("/apis/v1/appointments", "/apis/v1/providers", "/apis/v1/waitlist-stats"):
        answer = api.client.get(path, headers=empty)
        assert answer.status_code == 401, (path, answer.text)
        assert answer.json()["details"][0]["message"] == "The token's clinic_ids names no clinic."


def test_an_admin_token_limited_to_a_clinic_is_refused_not_given_every_clinic(api: Api) -> None:
    limited = api.headers(Role.ADMIN, [api.group.east.clinic.id or 0])
    answer = api.client.get("/apis/v1/appointments", headers=limited)
    assert answer.status_code == 401, answer.text
    assert "Only a STAFF token carries clinic_ids" in answer.json()["details"][0]["message"]
    every = api.client.get("/apis/v1/clinics", headers=api.headers(Role.ADMIN)).json()
    assert every["pagination"]["total"] == 2


def test_one_sub_with_two_clinics_tokens_does_not_share_idempotent_answers(api: Api) -> None:
    """An EHR with one service account mints a token per clinic: Bayside's token sending the
    key Downtown used gets its own answer (404), not a replay of Downtown's opening."""
    group = api.group
    group.entry(group.east, group.client("Eve", 1))
    appointment = group.appointment(group.east, group.client("Hal", 2), group.east.local(18, 11))
    path = f"/apis/v1/appointments/{appointment.id}/cancel"
    first = api.client.post(path, headers={**api.east_staff(), "Idempotency-Key": "cancel-1"})
    assert first.status_code == 200, first.text
    other = api.client.post(path, headers={**api.west_staff(), "Idempotency-Key": "cancel-1"})
    assert other.status_code == 404, other.text
    assert "idempotent-replayed" not in other.headers
    again = api.client.post(path, headers={**api.east_staff(), "Idempotency-Key": "cancel-1"})
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content


def test_an_openings_invites_name_the_requests_invited(api: Api) -> None:
    group = api.group
    eve = group.entry(group.east, group.client("Eve", 1))
    appointment = group.appointment(group.east, group.client("Hal", 2), group.east.local(18, 11))
    path = f"/apis/v1/appointments/{appointment.id}/cancel"
    opening = api.client.post(path, headers=api.east_staff()).json()["data"]
    assert [i["request_id"] for i in opening["invites"]] == [str(eve.id)]
    assert {i["waitlist_id"] for i in opening["invites"]} == {opening["id"]}
    read = api.client.get(f"/apis/v1/openings/{opening['id']}", headers=api.east_staff())
    assert read.json()["data"]["invites"] == opening["invites"]
    entry = api.client.get(f"/apis/v1/waitlist-requests/{eve.id}", headers=api.east_staff())
    invites = entry.json()["data"]["matched_invites"]
    assert invites and "request_id" not in invites[0]  # the seed's shape there


def test_a_service_or_provider_name_is_one_per_clinic_not_per_group(api: Api) -> None:
    admin = api.headers(Role.ADMIN)
    east, west = api.group.east, api.group.west
    second = {"clinic_id": east.clinic.id, "name": "physio ", "duration_minutes": 30}
    refused = api.client.post("/apis/v1/services", json=second, headers=admin)
    assert refused.status_code == 409, refused.text
    said = refused.json()["details"][0]["message"]
    assert said == f"This clinic already has a service named 'Physio' (service {east.service.id})."
    other = {"clinic_id": west.clinic.id, "name": "Massage", "duration_minutes": 30}
    massage = api.client.post("/apis/v1/services", json=other, headers=admin)
    assert massage.status_code == 201
    renamed = api.client.patch(
        f"/apis/v1/services/{massage.json()['data']['id']}", json={"name": "PHYSIO"}, headers=admin
    )
    assert renamed.status_code == 409
    kept = api.client.patch(
        f"/apis/v1/services/{west.service.id}", json={"name": "Physio"}, headers=admin
    )
    assert kept.status_code == 200  # its own name again
    twin = {"clinic_id": west.clinic.id, "name": west.provider.name, "hours": {}}
    assert api.client.post("/apis/v1/providers", json=twin, headers=admin).status_code == 409
    moved = {"clinic_id": east.clinic.id, "name": west.provider.name, "hours": {}}
    assert api.client.post("/apis/v1/providers", json=moved, headers=admin).status_code == 201
    listed = api.client.get(f"/apis/v1/services?clinic_id={east.clinic.id}", headers=admin)
    assert [s["name"] for s in listed.json()["data"]] == ["Physio"]


def test_a_phone_taken_at_the_other_clinic_is_a_conflict_that_names_no_id(api: Api) -> None:
    leo = api.group.client("Leo", 5)
    api.group.entry(api.group.west, leo)  # Bayside's patient
    eve = api.group.client("Eve", 1)
    api.group.entry(api.group.east, eve)
    answer = api.client.patch(
        f"/apis/v1/clients/{eve.id}", json={"phone": leo.phone}, headers=api.east_staff()
    )
    assert answer.status_code == 409, answer.text
    said = answer.json()["details"][0]["message"]
    assert said == "Another client already has that phone: one phone is one client."
