"""REST for a group: each clinic's settings (read by its staff, changed by ADMIN), and a
STAFF token that sees only its own clinics."""

from __future__ import annotations

from typing import Any

import pytest

from bot.api.auth import Role, mint_token
from core import fill
from core.policy import Policy
from tests.groups.conftest import Api
from tests.groups.group import NOW


def _west_objects(api: Api) -> dict[str, list[int]]:
    """Ids of Bayside's entry, appointment, opening, provider and service."""
    group = api.group
    pat, holder = group.client("Pat", 1), group.client("Holder", 2)
    entry = group.entry(group.west, pat)
    appointment = group.appointment(group.west, holder, group.west.local(18, 11))
    spare = group.appointment(group.west, holder, group.west.local(18, 15))
    with group.make_uow() as uow:
        step = fill.handle_cancellation(
            uow=uow, appointment_id=appointment.id or 0, actor="t", now=NOW, policy=Policy()
        )
        uow.commit()
    return {
        "entry": [entry.id or 0],
        "appointment": [spare.id or 0],
        "opening": [step.opening.id or 0],
        "provider": [group.west.provider.id or 0],
        "service": [group.west.service.id or 0],
        "client": [holder.id or 0],
        "clinic": [group.west.clinic.id or 0],
    }


def test_staff_of_one_clinic_probing_500_ids_of_another_gets_only_404(api: Api) -> None:
    west = _west_objects(api)
    eve = api.group.client("Eve", 3)
    own = api.group.entry(api.group.east, eve).id  # Downtown's entry
    probes: list[tuple[str, str, dict[str, Any] | None]] = []
    for i in range(1, 41):  # thirteen routes, 40 ids each, the other clinic's among them
        probes += [
            ("GET", f"/apis/v1/waitlist-requests/{i}", None),
            ("PATCH", f"/apis/v1/waitlist-requests/{i}", {"notes": "x"}),
            ("DELETE", f"/apis/v1/waitlist-requests/{i}", None),
            ("GET", f"/apis/v1/waitlist-requests/{i}/matching-slots", None),
            ("POST", f"/apis/v1/waitlist-requests/{i}/accept", None),
            ("POST", f"/apis/v1/waitlist-requests/{i}/decline", None),
            ("POST", f"/apis/v1/waitlist-requests/{own}/offer", {"appointment_id": i}),
            ("GET", f"/apis/v1/openings/{i}", None),
            ("POST", f"/apis/v1/appointments/{i}/cancel", None),
            ("GET", f"/apis/v1/providers/{i}", None),
            ("GET", f"/apis/v1/services/{i}", None),
            ("GET", f"/apis/v1/clinics/{i}", None),
            ("GET", f"/apis/v1/clients/{i + 1}", None),  # the holder, booked at Bayside only
        ]
    headers = api.east_staff()
    east_ids = {api.group.east.provider.id, api.group.east.clinic.id, api.group.east.service.id}
    answers = []
    for method, path, body in probes:
        mine = path.startswith(("/apis/v1/providers/", "/apis/v1/clinics/", "/apis/v1/services/"))
        if mine and int(path.rsplit("/", 1)[1]) in east_ids:
            continue  # Downtown's own
        if path.split("/")[3:5] == ["waitlist-requests", str(own)] and "offer" not in path:
            continue  # Downtown's own entry
        if path == f"/apis/v1/clients/{eve.id}":
            continue  # on Downtown's list
        answers.append(api.client.request(method, path, headers=headers, json=body))
    assert len(answers) >= 500
    assert {a.status_code for a in answers} == {404}, [
        (a.request.url.path, a.status_code) for a in answers if a.status_code != 404
    ][:5]
    assert {a.json()["code"] for a in answers} == {4040}
    for kind, ids in west.items():
        assert ids[0] >= 1, kind


def test_staff_lists_show_only_their_clinics(api: Api) -> None:
    _west_objects(api)
    headers = api.east_staff()
    listed = api.client.get("/apis/v1/waitlist-requests", headers=headers).json()
    assert listed["data"] == [] and listed["pagination"]["total"] == 0
    other = api.group.west.clinic.id
    refused = api.client.get(f"/apis/v1/waitlist-requests?clinic_id={other}", headers=headers)
    assert refused.status_code == 404
    stats = api.client.get(f"/apis/v1/waitlist-stats?clinic_id={other}", headers=headers)
    assert stats.status_code == 404
    everyone = api.client.get("/apis/v1/waitlist-requests", headers=api.headers(Role.ADMIN))
    assert everyone.json()["pagination"]["total"] == 1


def test_a_clinic_shows_its_own_settings_and_what_is_in_effect(api: Api) -> None:
    east = api.group.east.clinic.id
    found = api.client.get(f"/apis/v1/clinics/{east}", headers=api.east_staff())
    assert found.status_code == 200
    data = found.json()["data"]
    assert data["timezone"] == "America/New_York"
    assert data["settings"]["twilio_from_number"] == "+16175550100"
    assert data["settings"]["offer_batch_size"] == 1
    assert data["effective"]["offer_batch_size"] == 1
    assert data["effective"]["offer_hold_minutes"] == 15  # the deployment's default


def test_admin_changes_settings_and_staff_may_not(api: Api) -> None:
    east = api.group.east.clinic.id
    path = f"/apis/v1/clinics/{east}"
    body = {"settings": {"offer_hold_minutes": 20, "quiet_hours": "", "offer_batch_size": None}}
    refused = api.client.patch(path, headers=api.east_staff(), json=body)
    assert refused.status_code == 403
    changed = api.client.patch(path, headers=api.headers(Role.ADMIN), json=body)
    assert changed.status_code == 200, changed.text
    data = changed.json()["data"]
    assert data["settings"]["offer_hold_minutes"] == 20
    assert "offer_batch_size" not in data["settings"]  # null: back to the default
    assert data["effective"]["offer_batch_size"] == 3
    assert data["effective"]["quiet_hours"] == ""
    assert data["settings"]["twilio_from_number"] == "+16175550100"  # untouched


@pytest.mark.parametrize(
    ("settings", "field", "words"),
    [
        ({"templates": {"offer": "{clinic}: Hi {first}, spot {when}."}}, "offer", "{expires}"),
        ({"templates": {"offer": "{clinic} {when} {expires} {surname}"}}, "offer", "surname"),
        ({"templates": {"help": "{clinic}: " + "x" * 150}}, "help", "160"),
        ({"templates": {"nope": "{clinic}"}}, "nope", "no template"),
        ({"quiet_hours": "9pm to 8am"}, "quiet_hours", "HH:MM"),
        ({"twilio_from_number": "12"}, "twilio_from_number", "phone"),
        ({"offer_hold_minutes": 0}, "offer_hold_minutes", "between"),
    ],
)
def test_a_bad_setting_is_a_clear_error_and_changes_nothing(
    api: Api, settings: dict[str, Any], field: str, words: str
) -> None:
    east = api.group.east.clinic.id
    answer = api.client.patch(
        f"/apis/v1/clinics/{east}", headers=api.headers(Role.ADMIN), json={"settings": settings}
    )
    assert answer.status_code == 400, answer.text
    envelope = answer.json()
    assert envelope["code"] == 4000
    assert field in answer.text and words in answer.text
    after = api.client.get(f"/apis/v1/clinics/{east}", headers=api.headers(Role.ADMIN))
    assert after.json()["data"]["settings"]["offer_batch_size"] == 1


def test_two_clinics_cannot_share_a_number(api: Api) -> None:
    east = api.group.east.clinic.id
    answer = api.client.patch(
        f"/apis/v1/clinics/{east}",
        headers=api.headers(Role.ADMIN),
        json={"settings": {"twilio_from_number": "+14155550100"}},
    )
    assert answer.status_code == 409


def test_the_clinic_list_shows_a_staff_token_only_its_clinics(api: Api) -> None:
    mine = api.client.get("/apis/v1/clinics", headers=api.east_staff()).json()
    every = api.client.get("/apis/v1/clinics", headers=api.headers(Role.ADMIN)).json()
    assert [c["name"] for c in mine["data"]] == ["Downtown"]
    assert mine["pagination"]["total"] == 1
    assert [c["name"] for c in every["data"]] == ["Downtown", "Bayside"]


def test_staff_list_the_clients_of_their_clinics_and_those_of_none(api: Api) -> None:
    group = api.group
    group.entry(group.east, group.client("Eve", 1))
    group.entry(group.west, group.client("Wes", 2))
    both = group.client("Bo", 3)
    group.entry(group.east, both)
    group.entry(group.west, both)
    group.client("New", 4)
    listed = api.client.get("/apis/v1/clients", headers=api.east_staff()).json()["data"]
    assert sorted(c["first_name"] for c in listed) == ["Bo", "Eve", "New"]


def test_a_clinics_client_pages_count_and_fill_with_its_own_clients_only(api: Api) -> None:
    """The clinic's clients are paged in the database: every page is full and the total is
    theirs, however many clients the other clinic has before them."""
    group = api.group
    for n in range(6):
        group.entry(group.west, group.client(f"West{n}", 10 + n))
    for n in range(5):
        group.entry(group.east, group.client(f"East{n}", 30 + n))
    pages = [
        api.client.get(
            "/apis/v1/clients", params={"page": page, "page_size": 2}, headers=api.east_staff()
        ).json()
        for page in (1, 2, 3)
    ]
    assert [len(p["data"]) for p in pages] == [2, 2, 1]
    assert {p["pagination"]["total"] for p in pages} == {5}
    names = [c["first_name"] for p in pages for c in p["data"]]
    assert names == [f"East{n}" for n in range(5)]


def west_staff(api: Api) -> dict[str, str]:
    return api.west_staff()


def test_a_patient_of_one_clinic_joins_another_clinics_waitlist_over_rest(api: Api) -> None:
    """Downtown's integration adds its patient; Bayside's, later, posts the same person: the
    one client on file is returned (200), and Bayside can then read them and waitlist them."""
    group = api.group
    posted = {"first_name": "Rosa", "last_name": "Díaz", "phone": "(617) 555-0142"}
    first = api.client.post("/apis/v1/clients", json=posted, headers=api.east_staff())
    assert first.status_code == 201
    rosa = first.json()["data"]["id"]
    assert api.client.get(f"/apis/v1/clients/{rosa}", headers=west_staff(api)).status_code == 404

    again = {"first_name": "rosa", "last_name": "Diaz", "phone": "+16175550142"}
    found = api.client.post("/apis/v1/clients", json=again, headers=west_staff(api))
    assert found.status_code == 200, found.json()
    assert found.json()["data"]["id"] == rosa
    assert found.json()["data"]["first_name"] == "Rosa"  # as on file
    assert api.client.get(f"/apis/v1/clients/{rosa}", headers=west_staff(api)).status_code == 200
    request = {"patient_id": int(rosa), "service_id": group.west.service.id}
    joined = api.client.post("/apis/v1/waitlist-requests", json=request, headers=west_staff(api))
    assert joined.status_code == 201, joined.json()
    listed = api.client.get("/apis/v1/clients", headers=west_staff(api)).json()["data"]
    assert [c["id"] for c in listed] == [rosa]


def test_a_client_added_by_one_clinic_is_not_seen_by_the_other(api: Api) -> None:
    posted = {"first_name": "Ike", "last_name": "Obi", "phone": "617 555 0177"}
    ike = api.client.post("/apis/v1/clients", json=posted, headers=api.east_staff()).json()
    path = f"/apis/v1/clients/{ike['data']['id']}"
    assert api.client.get(path, headers=api.east_staff()).status_code == 200
    assert api.client.get(path, headers=west_staff(api)).status_code == 404
    west_list = api.client.get("/apis/v1/clients", headers=west_staff(api)).json()
    assert west_list["data"] == [] and west_list["pagination"]["total"] == 0
    assert api.client.get(path, headers=api.headers(Role.ADMIN)).status_code == 200


def test_a_phone_on_file_under_another_name_is_a_conflict_and_shows_nothing(api: Api) -> None:
    posted = {"first_name": "Ike", "last_name": "Obi", "phone": "617 555 0177"}
    ike = api.client.post("/apis/v1/clients", json=posted, headers=api.east_staff()).json()
    other = {"first_name": "Ada", "last_name": "Obi", "phone": "+16175550177"}
    refused = api.client.post("/apis/v1/clients", json=other, headers=west_staff(api))
    assert refused.status_code == 409
    said = refused.json()["details"][0]["message"]
    assert "another name" in said
    assert "Ike" not in said  # the name on file is not told
    assert not any(c.isdigit() for c in said)  # nor their id, which Bayside cannot read
    path = f"/apis/v1/clients/{ike['data']['id']}"
    assert api.client.get(path, headers=west_staff(api)).status_code == 404


def test_posting_a_client_twice_returns_the_first(api: Api) -> None:
    posted = {"first_name": "Lee", "last_name": "Park", "phone": "617 555 0188"}
    admin = api.headers(Role.ADMIN)
    first = api.client.post("/apis/v1/clients", json=posted, headers=admin)
    second = api.client.post("/apis/v1/clients", json={**posted, "last_name": ""}, headers=admin)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["data"] == first.json()["data"]
    total = api.client.get("/apis/v1/clients", headers=admin).json()["pagination"]["total"]
    assert total == 1


def test_a_request_names_its_clinic_by_its_service(api: Api) -> None:
    """A patient, or staff of both clinics, need not say the clinic when the service does."""
    group = api.group
    rosa = group.client("Rosa", 41)
    both = api.headers(Role.STAFF, [group.east.clinic.id or 0, group.west.clinic.id or 0])
    body = {"patient_id": rosa.id, "service_id": group.west.service.id}
    made = api.client.post("/apis/v1/waitlist-requests", json=body, headers=both)
    assert made.status_code == 201, made.json()
    assert made.json()["data"]["clinic_id"] == str(group.west.clinic.id)

    token = mint_token(api.settings, sub="rosa", role=Role.USER, patient_id=rosa.id)
    own = {"service_id": group.east.service.id}
    mine = api.client.post(
        "/apis/v1/waitlist-requests", json=own, headers={"Authorization": f"Bearer {token}"}
    )
    assert mine.status_code == 201, mine.json()
    assert mine.json()["data"]["clinic_id"] == str(group.east.clinic.id)

    no_service = api.client.post(
        "/apis/v1/waitlist-requests", json={"patient_id": rosa.id}, headers=both
    )
    assert no_service.status_code == 400  # two clinics and nothing saying which


def test_a_service_of_a_clinic_the_token_does_not_see_is_not_found(api: Api) -> None:
    group = api.group
    eve = group.client("Eve", 42)
    group.entry(group.east, eve)
    body = {"patient_id": eve.id, "service_id": group.west.service.id}
    refused = api.client.post("/apis/v1/waitlist-requests", json=body, headers=api.east_staff())
    assert refused.status_code == 404  # as any other id of Bayside's
    assert refused.json()["details"][0]["message"] == (
        f"Service {group.west.service.id} does not exist at this clinic."
    )
