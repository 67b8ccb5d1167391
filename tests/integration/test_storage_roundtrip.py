"""Every entity comes back from the database exactly as it went in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.model import (
    AppointmentStatus,
    AppointmentType,
    Client,
    Clinic,
    EntryStatus,
    Event,
    Message,
    MessageDirection,
    MessageStatus,
    Offer,
    OfferStatus,
    Opening,
    OpeningStatus,
    PaymentType,
    Provider,
    Service,
    TimeSlot,
    WaitlistEntry,
)
from tests.integration.builders import T0, booked, make_practice

NEW_YORK = ZoneInfo("America/New_York")
LOCAL = datetime(2026, 3, 2, 9, 15, 30, 123456, tzinfo=NEW_YORK)


def test_clinic_round_trip(uow_factory):
    with uow_factory() as uow:
        clinic = uow.clinics.add(Clinic("Glow", "Europe/Paris", contact="+33 1 23 45 67 89"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.clinics.get(clinic.id) == clinic
        assert uow.clinics.get_by_name("Glow") == clinic
        assert uow.clinics.get_by_name("glow") is None
        assert uow.clinics.list() == [clinic]


def test_client_round_trip_keeps_every_field_and_returns_utc(uow_factory):
    full = Client(
        first_name="Jane",
        last_name="Doe",
        phone="+15551234567",
        email="jane@example.com",
        timezone="America/Chicago",
        sms_opt_out=True,
        opted_out_at=LOCAL,
        opt_out_text="STOP",
        phone_invalid=True,
        created_at=LOCAL - timedelta(days=3),
    )
    bare = Client(first_name="Al", last_name="Bee", phone="+15550000000", created_at=T0)
    with uow_factory() as uow:
        uow.clients.add(full)
        uow.clients.add(bare)
        uow.commit()
    with uow_factory() as uow:
        stored = uow.clients.get(full.id)
        assert stored == full
        assert stored.opted_out_at.tzinfo is UTC
        assert stored.opted_out_at == LOCAL
        assert uow.clients.get_by_phone("+15550000000") == bare
        page = uow.clients.list(offset=1, limit=5)
        assert (page.items, page.total) == ([bare], 2)


def test_provider_hours_and_service_round_trip(uow_factory):
    with uow_factory() as uow:
        clinic = uow.clinics.add(Clinic("Glow", "America/New_York"))
        hours = {1: [(time(9), time(12)), (time(13), time(17, 30))], 6: [(time(10), time(14))]}
        provider = uow.providers.add(Provider(clinic.id, "Dr. Johnson", hours))
        idle = uow.providers.add(Provider(clinic.id, "Dr. Idle"))
        service = uow.services.add(
            Service(clinic.id, "Botox", 45, "Injectables", AppointmentType.FOLLOW_UP)
        )
        plain = uow.services.add(Service(clinic.id, "Consult", 15))
        uow.commit()
    with uow_factory() as uow:
        assert uow.providers.get(provider.id) == provider
        assert uow.providers.list(clinic.id) == [provider, idle]
        assert uow.providers.list(clinic.id + 1) == []
        assert uow.services.get(service.id) == service
        assert uow.services.list() == [service, plain]
        provider.hours = {}
        provider.name = "Dr. J"
        uow.providers.save(provider)
        uow.commit()
    with uow_factory() as uow:
        assert uow.providers.get(provider.id) == provider


def full_entry(practice) -> WaitlistEntry:
    return WaitlistEntry(
        clinic_id=practice.clinic_id,
        client_id=practice.client_ids[0],
        service_id=practice.service_ids[1],
        provider_ids=(practice.provider_ids[1], practice.provider_ids[0]),
        preferred_date_start=date(2026, 2, 15),
        preferred_date_end=date(2026, 2, 28),
        preferred_time_start=time(9, 30),
        preferred_time_end=time(14),
        preferred_time_slots=(TimeSlot.MORNING, TimeSlot.EVENING),
        preferred_days=(1, 3, 5),
        notes='no weekends, "mornings"',
        status=EntryStatus.OFFERED,
        priority=2,
        appointment_type=AppointmentType.INITIAL_EVAL,
        appointment_category="2058",
        payment_type=PaymentType.INSURANCE_PAY,
        offered_at=LOCAL,
        booked_at=LOCAL + timedelta(hours=1),
        expires_at=datetime(2026, 3, 1, tzinfo=UTC),
        created_by="U123",
        created_at=LOCAL - timedelta(days=10),
        updated_by="U456",
        updated_at=LOCAL - timedelta(days=1),
    )


def test_entry_round_trip_with_every_preference(uow_factory):
    practice = make_practice(uow_factory)
    with uow_factory() as uow:
        appointment = uow.appointments.add(booked(practice, T0))
        entry = full_entry(practice)
        entry.offered_appointment_id = appointment.id
        entry.booked_appointment_id = appointment.id
        bare = WaitlistEntry(practice.clinic_id, practice.client_ids[1], created_at=T0)
        uow.entries.add(entry)
        uow.entries.add(bare)
        uow.commit()
    with uow_factory() as uow:
        stored = uow.entries.get(entry.id)
        assert stored == entry
        assert stored.preferred_provider_id == practice.provider_ids[1]
        assert stored.expires_at.tzinfo is UTC
        assert uow.entries.get(bare.id) == bare
        assert uow.entries.get(bare.id, for_update=True) == bare


def test_entry_save_replaces_preferences_and_providers(uow_factory):
    practice = make_practice(uow_factory)
    with uow_factory() as uow:
        entry = uow.entries.add(full_entry(practice))
        uow.commit()
    with uow_factory() as uow:
        entry = uow.entries.get(entry.id, for_update=True)
        entry.provider_ids = (practice.provider_ids[0],)
        entry.preferred_days = ()
        entry.preferred_time_slots = (TimeSlot.AFTERNOON,)
        entry.preferred_time_start = None
        entry.status = EntryStatus.WAITING
        entry.notes = None
        uow.entries.save(entry)
        uow.commit()
    with uow_factory() as uow:
        assert uow.entries.get(entry.id) == entry
        entry.provider_ids = ()
        uow.entries.save(entry)
        uow.commit()
    with uow_factory() as uow:
        assert uow.entries.get(entry.id).provider_ids == ()


def test_appointment_opening_offer_round_trip(uow_factory):
    practice = make_practice(uow_factory)
    with uow_factory() as uow:
        appointment = booked(practice, LOCAL, minutes=45)
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_at = LOCAL - timedelta(hours=2)
        appointment.cancel_reason = "Client cancelled"
        uow.appointments.add(appointment)
        entry = uow.entries.add(full_entry(practice))
        opening = uow.openings.add(
            Opening(
                clinic_id=practice.clinic_id,
                provider_id=practice.provider_ids[0],
                service_id=practice.service_ids[0],
                starts_at=LOCAL,
                ends_at=LOCAL + timedelta(minutes=45),
                cutoff_at=LOCAL - timedelta(hours=1),
                origin_appointment_id=appointment.id,
                status=OpeningStatus.FILLED,
                booked_appointment_id=appointment.id,
                filled_entry_id=entry.id,
                filled_at=LOCAL - timedelta(minutes=90),
                closed_at=LOCAL - timedelta(minutes=89),
                created_by="U1",
                created_at=LOCAL - timedelta(hours=2),
            )
        )
        offer = uow.offers.add(
            Offer(
                opening_id=opening.id,
                entry_id=entry.id,
                client_id=entry.client_id,
                expires_at=LOCAL - timedelta(minutes=75),
                status=OfferStatus.ACCEPTED,
                created_at=LOCAL - timedelta(minutes=100),
                responded_at=LOCAL - timedelta(minutes=90),
            )
        )
        uow.commit()
    with uow_factory() as uow:
        assert uow.appointments.get(appointment.id) == appointment
        assert uow.appointments.get(appointment.id, for_update=True) == appointment
        assert uow.openings.get(opening.id) == opening
        assert uow.openings.get(opening.id, for_update=True) == opening
        assert uow.openings.get_by_origin(appointment.id) == opening
        assert uow.offers.get(offer.id) == offer
        assert uow.offers.for_opening(opening.id) == [offer]
        assert uow.offers.latest_for_entry(entry.id) == offer
        assert uow.offers.for_entries([entry.id, entry.id + 99]) == [offer]
        assert uow.offers.pending_for_client(entry.client_id) is None
        assert uow.openings.open_ids() == []


def test_message_round_trip_and_lookups(uow_factory):
    practice = make_practice(uow_factory)
    client_id = practice.client_ids[0]
    with uow_factory() as uow:
        sent = uow.messages.add(
            Message(
                direction=MessageDirection.OUTBOUND,
                phone="+15551234567",
                body="Glow Clinic: Hi Jane, a spot opened Tue Feb 17 9:00 AM.",
                status=MessageStatus.SENT,
                kind="offer",
                client_id=client_id,
                clinic_id=practice.clinic_id,
                provider_sid="SM123",
                error_code=None,
                attempts=2,
                created_at=LOCAL,
                sent_at=LOCAL + timedelta(seconds=5),
                updated_at=LOCAL + timedelta(seconds=6),
            )
        )
        queued = uow.messages.add(
            Message(MessageDirection.OUTBOUND, "+15551234567", "Hi", MessageStatus.QUEUED, "taken")
        )
        uow.commit()
    with uow_factory() as uow:
        assert uow.messages.get(sent.id) == sent
        assert uow.messages.get_by_provider_sid("SM123") == sent
        assert uow.messages.get_by_provider_sid("SM999") is None
        assert uow.messages.queued() == [queued]
        assert uow.messages.for_client(client_id) == [sent]
        assert uow.messages.recent(limit=1) == [queued]


def test_claiming_a_queued_message_happens_once(uow_factory):
    with uow_factory() as uow:
        message = uow.messages.add(
            Message(MessageDirection.OUTBOUND, "+1555", "Hi", MessageStatus.QUEUED, "help")
        )
        uow.commit()
    with uow_factory() as uow:
        claimed = uow.messages.claim([message.id], T0)
        uow.commit()
    assert (claimed.status, claimed.attempts, claimed.updated_at) == (
        MessageStatus.SENDING,
        1,
        T0,
    )
    with uow_factory() as uow:
        assert uow.messages.claim([message.id], T0) is None
        assert uow.messages.queued() == []


def test_event_round_trip_and_exists(uow_factory):
    with uow_factory() as uow:
        event = uow.events.add(
            Event(
                kind="OfferSent",
                actor="scheduler",
                at=LOCAL,
                clinic_id=1,
                opening_id=7,
                entry_id=9,
                offer_id=11,
                appointment_id=13,
                client_id=15,
                data={"phone": "***67", "batch": [1, 2], "nested": {"ok": True}},
            )
        )
        other = uow.events.add(Event(kind="OpeningExpired", actor="scheduler", at=T0, opening_id=7))
        uow.commit()
    with uow_factory() as uow:
        assert uow.events.list(opening_id=7) == [event, other]
        assert uow.events.list(entry_id=9) == [event]
        assert uow.events.list(limit=1) == [event]
        assert uow.events.exists(kind="OfferSent", opening_id=7, entry_id=9)
        assert uow.events.exists(kind="OpeningExpired", opening_id=7, entry_id=None)
        assert not uow.events.exists(kind="OpeningExpired", opening_id=8, entry_id=None)
        assert not uow.events.exists(kind="OfferSent", opening_id=7, entry_id=None)


def test_naive_datetimes_are_refused(uow_factory):
    with uow_factory() as uow, pytest.raises(Exception, match="naive datetime"):
        uow.clients.add(
            Client("Jane", "Doe", "+15551234567", created_at=datetime(2026, 3, 2, 9, 0))
        )


def test_saving_something_never_added_is_not_found(uow_factory):
    from core.errors import NotFound

    with uow_factory() as uow, pytest.raises(NotFound):
        uow.clients.save(Client("Jane", "Doe", "+15551234567", id=404))
