"""Inbound texts go to the clinic whose number they were sent to; outbound texts leave from
their clinic's number; each clinic's policy and time zone govern its own fills."""

from __future__ import annotations

from datetime import timedelta

from bot.sms.inbound import NOT_OURS, handle_sms
from core.model import EntryStatus, EventKind, OfferStatus
from tests.groups.conftest import Deployment
from tests.groups.group import EAST_NUMBER, NOW, WEST_NUMBER


def _entry_status(deployment: Deployment, entry_id: int | None) -> EntryStatus:
    with deployment.runtime.make_uow() as uow:
        entry = uow.entries.get(entry_id or 0)
    assert entry is not None
    return entry.status


def test_a_yes_to_each_clinics_number_books_that_clinics_offer(deployment: Deployment) -> None:
    group = deployment.group
    deployment.at(NOW + timedelta(hours=3))  # 13:00 in New York, 10:00 in Los Angeles
    pat = group.client("Pat", 1)
    east_entry = group.entry(group.east, pat)
    west_entry = group.entry(group.west, pat)
    holder = group.client("Holder", 9)
    west_slot = group.appointment(group.west, holder, group.west.local(18, 11))
    deployment.cancel(west_slot.id or 0)
    assert _entry_status(deployment, west_entry.id) is EntryStatus.OFFERED

    wrong = handle_sms(deployment.runtime, pat.phone, "YES", "SM-east-1", to=EAST_NUMBER)
    assert "Downtown" in wrong and "no open offer" in wrong
    assert _entry_status(deployment, west_entry.id) is EntryStatus.OFFERED

    handle_sms(deployment.runtime, pat.phone, "YES", "SM-west-1", to=WEST_NUMBER)
    deployment.runtime.dispatch_now()
    assert f"from {WEST_NUMBER}" in deployment.sent[-1]
    assert "Bayside: You're booked" in deployment.sent[-1]
    assert _entry_status(deployment, west_entry.id) is EntryStatus.BOOKED
    assert _entry_status(deployment, east_entry.id) is EntryStatus.WAITING

    east_slot = group.appointment(group.east, holder, group.east.local(18, 14))
    deployment.cancel(east_slot.id or 0)
    handle_sms(deployment.runtime, pat.phone, "yes", "SM-east-2", to=EAST_NUMBER)
    deployment.runtime.dispatch_now()
    assert f"from {EAST_NUMBER}" in deployment.sent[-1]
    assert "Downtown: You're booked" in deployment.sent[-1]
    assert _entry_status(deployment, east_entry.id) is EntryStatus.BOOKED


def test_offer_texts_leave_from_their_clinics_number(deployment: Deployment) -> None:
    group = deployment.group
    deployment.at(NOW + timedelta(hours=3))
    ana, ben = group.client("Ana", 1), group.client("Ben", 2)
    group.entry(group.east, ana)
    group.entry(group.west, ben)
    holder = group.client("Holder", 9)
    deployment.cancel(group.appointment(group.east, holder, group.east.local(18, 11)).id or 0)
    deployment.cancel(group.appointment(group.west, holder, group.west.local(18, 11)).id or 0)
    offers = [line for line in deployment.sent if "a spot opened" in line]
    assert len(offers) == 2
    assert f"from {EAST_NUMBER}" in offers[0] and "Downtown: Hi Ana" in offers[0]
    assert f"from {WEST_NUMBER}" in offers[1] and "Bayside: Hi Ben" in offers[1]
    assert "Wed Feb 18 11:00 AM" in offers[0] and "Wed Feb 18 11:00 AM" in offers[1]


def test_a_text_to_a_number_of_no_clinic_is_answered_politely_and_changes_nothing(
    deployment: Deployment,
) -> None:
    pat = deployment.group.client("Pat", 1)
    answer = handle_sms(deployment.runtime, pat.phone, "STOP", "SM-1", to="+12125550199")
    assert answer == NOT_OURS
    with deployment.runtime.make_uow() as uow:
        client = uow.clients.get(pat.id or 0)
        inbound = uow.messages.for_client(pat.id or 0, limit=10)
    assert client is not None and not client.sms_opt_out
    assert inbound == []


def test_help_gives_the_phone_of_the_clinic_texted(deployment: Deployment) -> None:
    pat = deployment.group.client("Pat", 1)
    east = handle_sms(deployment.runtime, pat.phone, "HELP", "SM-1", to=EAST_NUMBER)
    west = handle_sms(deployment.runtime, pat.phone, "HELP", "SM-2", to=WEST_NUMBER)
    assert east.startswith("Downtown") and "617-555-0100" in east
    assert west.startswith("Bayside") and "415-555-0100" in west


def test_quiet_hours_are_read_in_each_clinics_time_zone(deployment: Deployment) -> None:
    group = deployment.group  # NOW: 10:00 in New York, 07:00 (quiet) in Los Angeles
    ana, ben = group.client("Ana", 1), group.client("Ben", 2)
    group.entry(group.east, ana)
    group.entry(group.west, ben)
    holder = group.client("Holder", 9)
    east = deployment.cancel(
        group.appointment(group.east, holder, group.east.local(18, 11)).id or 0
    )
    west = deployment.cancel(
        group.appointment(group.west, holder, group.west.local(18, 11)).id or 0
    )
    assert [c.client.first_name for c in east.deferred] == [] and len(east.offered) == 1
    assert [c.client.first_name for c in west.deferred] == ["Ben"] and west.offered == []
    with deployment.runtime.make_uow() as uow:
        kinds = [e.kind for e in uow.events.list(opening_id=west.opening.id, limit=50)]
    assert EventKind.OFFER_DEFERRED in kinds


def test_each_clinic_keeps_its_own_batch_size_and_cut_off(deployment: Deployment) -> None:
    group = deployment.group
    deployment.at(NOW + timedelta(hours=3))
    holder = group.client("Holder", 9)
    for i in range(3):
        client = group.client(f"C{i}", 10 + i)
        group.entry(group.east, client, at=NOW + timedelta(minutes=i))
        group.entry(group.west, client, at=NOW + timedelta(minutes=i))
    east_start, west_start = group.east.local(18, 11), group.west.local(19, 11)
    east = deployment.cancel(group.appointment(group.east, holder, east_start).id or 0)
    west = deployment.cancel(group.appointment(group.west, holder, west_start).id or 0)
    assert len(east.offered) == 1  # Downtown offers one at a time
    assert len(west.offered) == 2  # the deployment's batch of 3; C0 already holds Downtown's
    assert east.opening.cutoff_at == east_start - timedelta(minutes=60)
    assert west.opening.cutoff_at == west_start - timedelta(minutes=30)
    with deployment.runtime.make_uow() as uow:
        statuses = [o.status for o in uow.offers.for_opening(west.opening.id or 0)]
    assert statuses == [OfferStatus.PENDING] * 2


def test_without_a_to_number_the_patients_own_offer_is_answered(deployment: Deployment) -> None:
    """The console and the CLI send no `To`: the offer the patient holds decides."""
    group = deployment.group
    deployment.at(NOW + timedelta(hours=3))
    pat = group.client("Pat", 1)
    entry = group.entry(group.west, pat)
    holder = group.client("Holder", 9)
    deployment.cancel(group.appointment(group.west, holder, group.west.local(18, 11)).id or 0)
    handle_sms(deployment.runtime, pat.phone, "YES", "SM-console-1")
    assert _entry_status(deployment, entry.id) is EntryStatus.BOOKED
