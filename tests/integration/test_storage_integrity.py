"""Rules the schema itself enforces, so no code path (or raw SQL) can break them."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.errors import Conflict, SlotConflict, SlotTaken
from core.model import AppointmentStatus, Event, Offer, OfferStatus, Opening, WaitlistEntry
from tests.integration.builders import T0, booked, make_practice


def _opening(uow, practice, start=T0, provider=0, origin=None) -> Opening:
    return uow.openings.add(
        Opening(
            clinic_id=practice.clinic_id,
            provider_id=practice.provider_ids[provider],
            service_id=practice.service_ids[0],
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            cutoff_at=start - timedelta(hours=1),
            origin_appointment_id=origin,
            created_at=T0 - timedelta(days=1),
        )
    )


def _entry(uow, practice, client=0) -> WaitlistEntry:
    return uow.entries.add(
        WaitlistEntry(practice.clinic_id, practice.client_ids[client], created_at=T0)
    )


def _offer(opening, entry, status=OfferStatus.PENDING) -> Offer:
    return Offer(
        opening_id=opening.id,
        entry_id=entry.id,
        client_id=entry.client_id,
        expires_at=T0 + timedelta(minutes=15),
        status=status,
        created_at=T0,
    )


@pytest.fixture
def practice(uow_factory):
    return make_practice(uow_factory)


def test_second_pending_offer_for_a_client_is_a_conflict(uow_factory, practice):
    with uow_factory() as uow:
        first, second = _opening(uow, practice), _opening(uow, practice, provider=1)
        entry = _entry(uow, practice)
        other_entry = _entry(uow, practice)
        uow.offers.add(_offer(first, entry))
        with pytest.raises(Conflict, match="already holds a pending offer"):
            uow.offers.add(_offer(second, other_entry))
        # The savepoint kept the transaction usable: the first offer still commits.
        uow.commit()
    with uow_factory() as uow:
        assert uow.offers.pending_for_client(entry.client_id).opening_id == first.id
        assert uow.offers.for_opening(second.id) == []


def test_pending_offers_of_different_clients_and_past_offers_are_fine(uow_factory, practice):
    with uow_factory() as uow:
        first, second = _opening(uow, practice), _opening(uow, practice, provider=1)
        entry, other = _entry(uow, practice), _entry(uow, practice, client=1)
        uow.offers.add(_offer(first, entry, OfferStatus.DECLINED))
        uow.offers.add(_offer(second, entry, OfferStatus.PENDING))
        uow.offers.add(_offer(first, other, OfferStatus.PENDING))
        uow.commit()
    with uow_factory() as uow:
        assert uow.offers.pending_for_client(entry.client_id).opening_id == second.id


def test_second_accepted_offer_for_an_opening_is_slot_taken(uow_factory, practice):
    with uow_factory() as uow:
        opening = _opening(uow, practice)
        first, second = _entry(uow, practice), _entry(uow, practice, client=1)
        winner = uow.offers.add(_offer(opening, first))
        loser = uow.offers.add(_offer(opening, second))
        winner.status = OfferStatus.ACCEPTED
        uow.offers.save(winner)
        loser.status = OfferStatus.ACCEPTED
        with pytest.raises(SlotTaken, match="already been booked"):
            uow.offers.save(loser)
        uow.commit()
    with uow_factory() as uow:
        statuses = {o.entry_id: o.status for o in uow.offers.for_opening(opening.id)}
        assert statuses == {first.id: OfferStatus.ACCEPTED, second.id: OfferStatus.PENDING}


def test_an_entry_is_offered_an_opening_only_once(uow_factory, practice):
    with uow_factory() as uow:
        opening, entry = _opening(uow, practice), _entry(uow, practice)
        uow.offers.add(_offer(opening, entry, OfferStatus.DECLINED))
        with pytest.raises(Conflict, match="already has an offer for opening"):
            uow.offers.add(_offer(opening, entry, OfferStatus.PENDING))


def test_simultaneous_acceptances_book_exactly_one(uow_factory, practice):
    with uow_factory() as uow:
        opening = _opening(uow, practice)
        offers = [uow.offers.add(_offer(opening, _entry(uow, practice, c))) for c in range(3)]
        uow.commit()
    barrier = threading.Barrier(len(offers))
    outcomes: list[str] = []

    def accept(offer: Offer) -> None:
        with uow_factory() as uow:
            barrier.wait()
            offer.status = OfferStatus.ACCEPTED
            try:
                uow.offers.save(offer)
                uow.commit()
                outcomes.append("booked")
            except SlotTaken:
                outcomes.append("taken")

    threads = [threading.Thread(target=accept, args=(offer,)) for offer in offers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["booked", "taken", "taken"]


def test_overlapping_booked_appointment_is_a_slot_conflict(uow_factory, practice):
    with uow_factory() as uow:
        uow.appointments.add(booked(practice, T0, minutes=60))
        with pytest.raises(SlotConflict, match="already has a booked appointment"):
            uow.appointments.add(booked(practice, T0 + timedelta(minutes=59), minutes=30))
        with pytest.raises(SlotConflict):
            uow.appointments.add(booked(practice, T0 - timedelta(minutes=15), minutes=120))
        uow.commit()
    with uow_factory() as uow:
        page = uow.appointments.list(provider_id=practice.provider_ids[0])
        assert page.total == 1


def test_back_to_back_other_provider_and_cancelled_appointments_are_allowed(uow_factory, practice):
    with uow_factory() as uow:
        first = uow.appointments.add(booked(practice, T0, minutes=30))
        uow.appointments.add(booked(practice, T0 + timedelta(minutes=30)))
        uow.appointments.add(booked(practice, T0 - timedelta(minutes=30)))
        uow.appointments.add(booked(practice, T0, provider=1))
        first.status = AppointmentStatus.CANCELLED
        uow.appointments.save(first)
        replacement = uow.appointments.add(booked(practice, T0 + timedelta(minutes=10), 20))
        uow.commit()
    with uow_factory() as uow:
        # Booking the cancelled one again would now overlap its replacement.
        first.status = AppointmentStatus.BOOKED
        with pytest.raises(SlotConflict):
            uow.appointments.save(first)
        assert uow.appointments.get(replacement.id).status is AppointmentStatus.BOOKED


def test_moving_an_appointment_onto_another_is_a_slot_conflict(uow_factory, practice):
    with uow_factory() as uow:
        uow.appointments.add(booked(practice, T0))
        later = uow.appointments.add(booked(practice, T0 + timedelta(hours=2)))
        later.duration_minutes = 45  # growing in place does not clash with itself
        uow.appointments.save(later)
        later.scheduled_at = T0 + timedelta(minutes=15)
        with pytest.raises(SlotConflict):
            uow.appointments.save(later)


def _raw_appointment(connection, start: str, end: str) -> None:
    connection.execute(
        text(
            "INSERT INTO appointments (clinic_id, client_id, service_id, provider_id, "
            "scheduled_at, duration_minutes, ends_at, status, created_at) "
            "VALUES (1, 1, 1, 1, :start, 30, :end, 'booked', :start)"
        ),
        {"start": start, "end": end},
    )


def test_the_schema_refuses_overlaps_even_from_raw_sql(engine, practice):
    # Stored text form on SQLite; plain timestamps on PostgreSQL.
    rows = [
        ("2026-03-02 14:00:00.000000", "2026-03-02 14:30:00.000000"),
        ("2026-03-02 14:30:00.000000", "2026-03-02 15:00:00.000000"),
    ]
    with engine.begin() as connection:
        for start, end in rows:
            _raw_appointment(connection, start, end)
    overlapping = ("2026-03-02 14:20:00.000000", "2026-03-02 14:40:00.000000")
    with (
        pytest.raises(IntegrityError, match="slot_conflict|ex_appointments_no_overlap"),
        engine.begin() as connection,
    ):
        _raw_appointment(connection, *overlapping)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE events SET actor = 'someone else'", "DELETE FROM events"],
)
def test_events_cannot_be_changed_or_removed(uow_factory, engine, statement):
    with uow_factory() as uow:
        uow.events.add(Event(kind="EntryAdded", actor="U1", at=T0, data={"ref": "W-1"}))
        uow.commit()
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    with uow_factory() as uow:
        assert [e.actor for e in uow.events.list()] == ["U1"]


def test_one_opening_per_cancelled_appointment(uow_factory, practice):
    with uow_factory() as uow:
        appointment = uow.appointments.add(booked(practice, T0))
        _opening(uow, practice, origin=appointment.id)
        with pytest.raises(Conflict, match="already has an opening"):
            _opening(uow, practice, origin=appointment.id)
        _opening(uow, practice, provider=1)  # declared openings have no origin
        _opening(uow, practice, provider=1)


def test_duplicate_phone_is_a_conflict(uow_factory, practice):
    from tests.integration.builders import new_client

    with uow_factory() as uow, pytest.raises(Conflict, match="phone number already exists"):
        uow.clients.add(new_client(0))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE waitlist_entries SET priority = 6",
        "UPDATE waitlist_entries SET priority = 0",
        "UPDATE waitlist_entries SET status = 'lost'",
        "UPDATE waitlist_entries SET days_mask = 128",
        "UPDATE waitlist_entries SET time_slots_mask = 8",
        "UPDATE services SET duration_minutes = 0",
        "UPDATE openings SET ends_at = starts_at",
        "UPDATE offers SET status = 'maybe'",
    ],
)
def test_check_constraints_refuse_bad_values(uow_factory, engine, practice, statement):
    with uow_factory() as uow:
        opening, entry = _opening(uow, practice), _entry(uow, practice)
        uow.offers.add(_offer(opening, entry))
        uow.commit()
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text(statement))
