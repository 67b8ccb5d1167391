"""GET /apis/v1/waitlist-requests: every filter, sort and page edge, and the exact envelope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.api.auth import Role
from core import entries
from core.model import AppointmentType, Opening, PaymentType, TimeSlot
from tests.api.conftest import Api
from tests.scenario import NOW, World, local

URL = "/apis/v1/waitlist-requests"


@pytest.fixture
def listed(world: World) -> dict[str, int]:
    """Six requests of six clients, each standing out in one way."""
    made = {}
    specs = {
        "oldest": dict(priority=3, at=NOW - timedelta(days=5)),
        "urgent": dict(priority=1, at=NOW - timedelta(days=4), payment_type=PaymentType.SELF_PAY),
        "dated": dict(
            at=NOW - timedelta(days=3),
            preferred_date_start=date(2026, 3, 1),
            preferred_date_end=date(2026, 3, 10),
            appointment_type=AppointmentType.INITIAL_EVAL,
            appointment_category="Injectables",
        ),
        "with_lee": dict(at=NOW - timedelta(days=2), provider_ids=(world.lee.id,), priority=5),
        "mornings": dict(
            at=NOW - timedelta(days=1),
            preferred_time_slots=(TimeSlot.MORNING,),
            preferred_days=(1, 3),
            payment_type=PaymentType.INSURANCE_PAY,
        ),
        "newest": dict(at=NOW, preferred_date_start=date(2026, 2, 20)),
    }
    for number, (name, prefs) in enumerate(specs.items(), start=1):
        at = prefs.pop("at")
        made[name] = world.entry(world.client(name.title(), number), at=at, **prefs).id
    with world.make_uow() as uow:
        entries.remove_from_waitlist(
            uow=uow, entry_id=made["oldest"], actor="test", now=NOW, policy=world.policy
        )
        uow.commit()
    return made


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [int(item["id"]) for item in response.json()["data"]]


def test_envelope_item_shape_and_default_sort_created_at_desc(api: Api, listed: dict[str, int]):
    body = api.get(URL).json()
    assert set(body) == {"code", "message", "data", "pagination"}
    assert (body["code"], body["message"]) == (2000, "Success")
    assert body["pagination"] == {"page": 1, "page_size": 20, "total": 6, "total_pages": 1}
    assert [int(i["id"]) for i in body["data"]] == sorted(listed.values(), reverse=True)
    item = next(i for i in body["data"] if int(i["id"]) == listed["mornings"])
    assert item["preferred_days"] == ["MONDAY", "WEDNESDAY"]
    assert item["preferred_time_slots"] == ["MORNING"]
    assert item["status"] == "ACTIVE" and item["payment_type"] == "INSURANCE_PAY"
    assert item["patient"] == {
        "id": item["patient_id"],
        "first_name": "Mornings",
        "last_name": "Tester",
    }
    assert item["matched_invites"] == [] and "matched_waitlists" not in item
    assert item["appointment_duration"] == 60
    assert item["created_at"] == "2026-02-15T15:00:00Z"
    assert item["created_at_epoch_ms"] == int((NOW - timedelta(days=1)).timestamp() * 1000)
    for field in (
        "clinic_id",
        "date_range_start",
        "date_range_end",
        "appointment_category_id",
        "appointment_type",
        "priority",
        "notes",
        "updated_at",
        "created_by",
        "updated_by",
        "preferred_providers",
    ):
        assert field in item


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=ACTIVE", ["newest", "mornings", "with_lee", "dated", "urgent"]),
        ("status=CANCELLED", ["oldest"]),
        ("status=FULFILLED", []),
        ("status=EXPIRED", []),
        ("priority=1", ["urgent"]),
        ("payment_type=SELF_PAY", ["urgent"]),
        ("payment_type=INSURANCE_PAY", ["mornings"]),
        ("appointment_types=INITIAL_EVAL", ["dated"]),
        ("appointment_types=FOLLOW_UP,INITIAL_EVAL", ["dated"]),
        ("appointment_categories=Injectables,Peels", ["dated"]),
        ("provider_ids=2", ["with_lee"]),
        ("provider_ids=1", []),
        ("start_date=2026-02-21", ["dated"]),
        ("end_date=2026-03-10", ["dated"]),
        ("end_date=2026-03-09", []),
        ("start_date=2026-02-01&end_date=2026-03-31", ["dated"]),
        ("clinic_id=1&status=ACTIVE&priority=5", ["with_lee"]),
        ("clinic_id=2", []),
    ],
)
def test_each_filter_narrows_the_list(api: Api, listed: dict[str, int], query: str, expected):
    assert ids(api.get(f"{URL}?{query}")) == [listed[name] for name in expected]


def test_patient_id_filter_for_staff(api: Api, listed: dict[str, int], world: World):
    urgent_client = world.clients[1].id
    assert ids(api.get(f"{URL}?patient_id={urgent_client}")) == [listed["urgent"]]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (
            "sort_by=created_at&sort_dir=asc",
            ["oldest", "urgent", "dated", "with_lee", "mornings", "newest"],
        ),
        (
            "sort_by=priority&sort_dir=asc",
            ["urgent", "oldest", "dated", "mornings", "newest", "with_lee"],
        ),
        (
            "sort_by=priority&sort_dir=desc",
            ["with_lee", "newest", "mornings", "dated", "oldest", "urgent"],
        ),
        (
            # Unset dates come last, in id order of the same direction.
            "sort_by=date_range_start&sort_dir=asc",
            ["newest", "dated", "oldest", "urgent", "with_lee", "mornings"],
        ),
        (
            "sort_by=date_range_end&sort_dir=desc",
            ["dated", "newest", "mornings", "with_lee", "urgent", "oldest"],
        ),
        (
            # "oldest" was cancelled at NOW, when "newest" was added: the tie goes by id.
            "sort_by=updated_at&sort_dir=desc",
            ["newest", "oldest", "mornings", "with_lee", "dated", "urgent"],
        ),
    ],
)
def test_each_sort_orders_the_list(api: Api, listed: dict[str, int], sort: str, expected):
    assert ids(api.get(f"{URL}?{sort}")) == [listed[name] for name in expected]


def test_available_slots_sort_counts_open_slots_each_request_fits(
    api: Api, listed: dict[str, int], world: World
):
    # Three open slots (openings not yet offered to anyone), and one past its cut-off.
    slots = [
        (world.johnson, local(17, 10)),  # Tue morning
        (world.lee, local(18, 14)),  # Wed afternoon
        (world.johnson, local(23, 9)),  # Mon morning
        (world.lee, NOW + timedelta(minutes=30)),  # too late to offer: not counted
    ]
    with world.make_uow() as uow:
        for provider, start in slots:
            uow.openings.add(
                Opening(
                    clinic_id=world.clinic.id,
                    provider_id=provider.id,
                    service_id=world.botox.id,
                    starts_at=start,
                    ends_at=start + timedelta(hours=1),
                    cutoff_at=start - timedelta(hours=1),
                    created_at=NOW,
                )
            )
        uow.commit()
    body = api.get(f"{URL}?sort_by=available_slots&page_size=100").json()
    counts = {int(i["id"]): i["available_slots"] for i in body["data"]}
    assert counts == {
        listed["urgent"]: 3,  # fits every slot
        listed["newest"]: 1,  # from Feb 20: only Mon 23
        listed["mornings"]: 1,  # Mon/Wed mornings: only Mon 23
        listed["with_lee"]: 1,  # Dr. Lee only: Wed 18
        listed["dated"]: 0,  # March only
        listed["oldest"]: 0,  # cancelled
    }
    order = ["urgent", "newest", "mornings", "with_lee", "dated", "oldest"]
    assert ids(api.get(f"{URL}?sort_by=available_slots")) == [listed[n] for n in order]
    ascending = ids(api.get(f"{URL}?sort_by=available_slots&sort_dir=asc"))
    assert ascending == [listed[n] for n in reversed(order)]
    filtered = ids(api.get(f"{URL}?sort_by=available_slots&priority=3&page_size=1&page=2"))
    assert filtered == [listed["mornings"]]


def test_available_slots_without_openings_falls_back_to_created_at(api: Api, listed):
    assert ids(api.get(f"{URL}?sort_by=available_slots")) == sorted(listed.values(), reverse=True)


@pytest.mark.parametrize(
    ("page", "size", "count", "total_pages"),
    [(1, 1, 1, 6), (6, 1, 1, 6), (7, 1, 0, 6), (2, 4, 2, 2), (3, 4, 0, 2), (1, 100, 6, 1)],
)
def test_page_edges(api: Api, listed, page: int, size: int, count: int, total_pages: int):
    body = api.get(f"{URL}?page={page}&page_size={size}").json()
    assert len(body["data"]) == count
    assert body["pagination"] == {
        "page": page,
        "page_size": size,
        "total": 6,
        "total_pages": total_pages,
    }


def test_pages_cover_every_request_once(api: Api, listed):
    seen = [i for page in (1, 2, 3) for i in ids(api.get(f"{URL}?page={page}&page_size=2"))]
    assert sorted(seen) == sorted(listed.values())


def test_empty_list_has_zero_pages(api: Api, world: World):
    body = api.get(URL).json()
    assert body["data"] == [] and body["pagination"]["total_pages"] == 0


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=-1",
        "page=abc",
        "page_size=0",
        "page_size=101",
        "page_size=1000000",
        "sort_by=name",
        "sort_dir=up",
        "status=waiting",
        "status=active",
        "priority=0",
        "priority=6",
        "priority=x",
        "start_date=2026-13-01",
        "start_date=yesterday",
        "end_date=2026-02-30",
        "start_date=2026-03-02&end_date=2026-03-01",
        "provider_ids=a,b",
        "provider_ids=1,,2",
        "appointment_types=SURGERY",
        "payment_type=CASH",
        "include_waitlists=maybe",
        "clinic_id=abc",
        "clinic_id=99999999999999999999",
        "patient_id=-5",
        "page=99999999999",
    ],
)
def test_invalid_query_is_400_envelope_naming_the_field(api: Api, world: World, query: str):
    response = api.get(f"{URL}?{query}")
    assert response.status_code == 400, response.text
    body = response.json()
    assert {k: body[k] for k in ("code", "message", "data")} == {
        "code": 4000,
        "message": "invalid input",
        "data": None,
    }
    named = query.split("=")[0] if "&" not in query else "end_date"
    assert any(d.get("field") == named for d in body["details"]), body


def test_include_waitlists_adds_matched_waitlists_and_invite_details(api: Api, world: World):
    jane = world.client("Jane", 1)
    request_id = world.entry(jane).id
    appt = world.appointment(world.client("Booked", 9), local(17, 10))
    opening = api.post(f"/apis/v1/appointments/{appt.id}/cancel").json()["data"]
    plain = api.get(URL).json()["data"][0]
    assert plain["matched_invites"] == [
        {"invite_id": opening["invites"][0]["invite_id"], "waitlist_id": opening["id"]}
    ]
    full = api.get(f"{URL}?include_waitlists=true").json()["data"][0]
    assert int(full["id"]) == request_id
    invite = full["matched_invites"][0]
    assert invite["status"] == "pending"
    assert invite["slot_start"] == "2026-02-17T15:00:00Z"
    assert invite["slot_end"] == "2026-02-17T16:00:00Z"
    assert full["matched_waitlists"] == [
        {
            "id": opening["id"],
            "reference": f"O-{opening['id']}",
            "clinic_id": "1",
            "provider_id": str(world.johnson.id),
            "service_id": str(world.botox.id),
            "start": "2026-02-17T15:00:00Z",
            "end": "2026-02-17T16:00:00Z",
            "cutoff_at": "2026-02-17T14:00:00Z",
            "status": "open",
        }
    ]


def test_patient_sees_only_their_own_requests_whatever_patient_id_says(
    api: Api, listed: dict[str, int], world: World
):
    mine = world.clients[4].id  # "mornings"
    other = world.clients[1].id
    response = api.get(f"{URL}?patient_id={other}", role=Role.USER, patient_id=mine)
    assert ids(response) == [listed["mornings"]]
    assert response.json()["pagination"]["total"] == 1
