"""An appointment cancelled over REST (as an EHR does) knows its patient: the opening says
whose it was, the fill never invites them to it, their matching slots leave it out, and a
staff offer of it to them is allowed and flagged."""

from __future__ import annotations

from bot.api.auth import Role
from tests.api.conftest import Api
from tests.api.test_routes import V1, _ok
from tests.scenario import World, local


def _status(api: Api, entry_id: int) -> str:
    return str(_ok(api.get(f"{V1}/waitlist-requests/{entry_id}"))["waitlist_status"])


def test_a_cancellation_over_rest_is_never_offered_back_to_its_patient(api: Api, world: World):
    maria, tom = world.client("Maria", 1), world.client("Tom", 2)
    own = world.entry(maria, priority=1)  # would rank first
    other = world.entry(tom)
    appt = world.appointment(maria, local(17, 10))

    opening = _ok(api.post(f"{V1}/appointments/{appt.id}/cancel"))
    assert opening["origin_patient_id"] == str(maria.id)
    assert len(opening["invites"]) == 1
    assert (_status(api, own.id), _status(api, other.id)) == ("waiting", "offered")
    declined = _ok(api.post(f"{V1}/waitlist-requests/{other.id}/decline"))
    assert declined["opening"]["invites"][-1]["status"] == "declined"
    assert len(declined["opening"]["invites"]) == 1  # the fill moved on, and not to Maria
    assert _status(api, own.id) == "waiting"

    groups = _ok(
        api.get(
            f"{V1}/waitlist-requests/{own.id}/matching-slots"
            "?start_date=2026-02-17&end_date=2026-02-17&limit=20"
        )
    )
    johnson = [g for g in groups if g["provider_id"] == str(world.johnson.id)]
    starts = {s["start"] for g in johnson for s in g["slots"]}
    assert "2026-02-17T15:00:00Z" not in starts and "2026-02-17T16:00:00Z" in starts

    made = _ok(
        api.post(f"{V1}/waitlist-requests/{own.id}/offer", json={"appointment_id": appt.id}),
        201,
    )
    assert made["own_cancelled_slot"] is True and made["waitlist_id"] == opening["id"]
    assert _status(api, own.id) == "offered"


def test_an_offer_of_someone_elses_slot_is_not_flagged(api: Api, world: World):
    booked = world.client("Booked", 3)
    appt = world.appointment(booked, local(17, 10))
    opening = _ok(api.post(f"{V1}/appointments/{appt.id}/cancel"))  # no one waits yet
    assert opening["origin_patient_id"] == str(booked.id) and opening["invites"] == []
    entry = world.entry(world.client("Jane", 1))
    made = _ok(
        api.post(f"{V1}/waitlist-requests/{entry.id}/offer", json={"appointment_id": appt.id}),
        201,
    )
    assert made["own_cancelled_slot"] is False


def test_a_patient_is_not_told_whose_slot_they_took(api: Api, world: World):
    maria, tom = world.client("Maria", 1), world.client("Tom", 2)
    entry = world.entry(tom)
    appt = world.appointment(maria, local(17, 10))
    _ok(api.post(f"{V1}/appointments/{appt.id}/cancel"))
    decision = _ok(api.post(f"{V1}/waitlist-requests/{entry.id}/accept", Role.USER, tom.id))
    assert decision["opening"]["status"] == "filled"
    assert decision["opening"]["origin_patient_id"] is None  # staff see Maria's id; Tom not
    assert _ok(api.get(f"{V1}/openings/{decision['opening']['id']}"))["origin_patient_id"] == (
        str(maria.id)
    )
