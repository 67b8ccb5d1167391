"""Archiving clients, providers and services, and erasing a client (SPEC §13)."""

from __future__ import annotations

from sqlalchemy import select

from bot.api.auth import Role
from storage.tables import EventRow, MessageRow
from tests.api.conftest import Api
from tests.scenario import World, local

V1 = "/apis/v1"


def _data(response, status: int = 200):  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    return response.json()["data"]


def _kinds(api: Api) -> list[str]:
    engine = api.client.app.state.runtime.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        return list(connection.scalars(select(EventRow.kind).order_by(EventRow.id)))


def test_an_archived_client_is_hidden_their_requests_cancelled_and_history_kept(
    api: Api, world: World
):
    jane = world.client("Jane", 1)
    entry = world.entry(jane)
    archived = _data(api.delete(f"{V1}/clients/{jane.id}"))
    assert archived["archived_at"] is not None and archived["first_name"] == "Jane"
    assert _data(api.get(f"{V1}/waitlist-requests/{entry.id}"))["status"] == "CANCELLED"
    assert "EntryRemoved" in _kinds(api) and "ClientArchived" in _kinds(api)
    listed = api.get(f"{V1}/clients").json()
    assert str(jane.id) not in [c["id"] for c in listed["data"]]
    everyone = api.get(f"{V1}/clients", params={"include_archived": "true"}).json()
    assert str(jane.id) in [c["id"] for c in everyone["data"]]
    assert _data(api.get(f"{V1}/clients/{jane.id}"))["id"] == str(jane.id)  # history
    again = api.post(f"{V1}/waitlist-requests", json={"patient_id": jane.id})
    assert again.status_code == 409
    stats = _data(api.get(f"{V1}/waitlist-stats"))
    assert stats["total"] == 1 and stats["counts"]["cancelled"] == 1


def test_an_archived_client_is_not_offered_a_slot(api: Api, world: World):
    jane, bob = world.client("Jane", 1), world.client("Bob", 2)
    world.entry(jane)
    world.entry(bob)
    api.delete(f"{V1}/clients/{jane.id}")
    appointment = world.appointment(world.client("Carl", 3), local(17, 10))
    opening = _data(api.post(f"{V1}/appointments/{appointment.id}/cancel"))
    assert len(opening["invites"]) == 1
    requests = _data(api.get(f"{V1}/waitlist-requests", params={"status": "ACTIVE"}))
    assert [r["patient_id"] for r in requests] == [str(bob.id)]
    assert requests[0]["waitlist_status"] == "offered"


def test_archiving_a_provider_cancels_requests_that_wanted_only_them(api: Api, world: World):
    only_lee = world.entry(world.client("Jane", 1), provider_ids=(world.lee.id,))
    either = world.entry(world.client("Bob", 2), provider_ids=(world.lee.id, world.johnson.id))
    provider = _data(api.delete(f"{V1}/providers/{world.lee.id}", role=Role.ADMIN))
    assert provider["archived_at"] is not None
    assert _data(api.get(f"{V1}/waitlist-requests/{only_lee.id}"))["status"] == "CANCELLED"
    assert _data(api.get(f"{V1}/waitlist-requests/{either.id}"))["status"] == "ACTIVE"
    names = [p["id"] for p in api.get(f"{V1}/providers").json()["data"]]
    assert str(world.lee.id) not in names
    carl = world.client("Carl", 3)
    refused = api.post(
        f"{V1}/waitlist-requests",
        json={"patient_id": carl.id, "preferred_providers": [world.lee.id]},
    )
    assert refused.status_code == 400
    assert api.delete(f"{V1}/providers/{world.lee.id}").status_code == 403  # STAFF


def test_archiving_a_service_cancels_its_requests_and_refuses_bookings(api: Api, world: World):
    entry = world.entry(world.client("Jane", 1))
    _data(api.delete(f"{V1}/services/{world.botox.id}", role=Role.ADMIN))
    assert _data(api.get(f"{V1}/waitlist-requests/{entry.id}"))["status"] == "CANCELLED"
    bob = world.client("Bob", 2)
    booking = api.post(
        f"{V1}/appointments",
        json={
            "patient_id": bob.id,
            "service_id": world.botox.id,
            "provider_id": world.johnson.id,
            "scheduled_at": local(18, 10).isoformat(),
        },
    )
    assert booking.status_code == 409


def test_erasing_a_client_removes_name_phone_and_email_and_records_who(api: Api, world: World):
    jane = world.client("Jane", 1, email="jane@example.org")
    entry = world.entry(jane)
    appointment = world.appointment(world.client("Bob", 2), local(17, 10))
    api.post(f"{V1}/appointments/{appointment.id}/cancel")  # Jane is texted an offer
    assert api.post(f"{V1}/clients/{jane.id}/erase").status_code == 403  # STAFF may not
    erased = _data(api.post(f"{V1}/clients/{jane.id}/erase", role=Role.ADMIN))
    assert (erased["first_name"], erased["last_name"], erased["email"]) == ("", "", None)
    assert "555" not in erased["phone"] and erased["erased_at"] is not None
    request = _data(api.get(f"{V1}/waitlist-requests/{entry.id}"))
    assert request["status"] == "CANCELLED" and request["patient"]["first_name"] == ""
    assert request["created_at"] is not None
    engine = api.client.app.state.runtime.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        texts = connection.execute(
            select(MessageRow.phone, MessageRow.body, MessageRow.status).where(
                MessageRow.client_id == jane.id
            )
        ).all()
        who = connection.scalar(select(EventRow.actor).where(EventRow.kind == "ClientErased"))
    assert texts and all(t.phone == "erased" and t.body == "" for t in texts)
    assert all(t.status != "queued" for t in texts)
    assert who == "api:admin-1"
