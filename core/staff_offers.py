"""Offers staff make by hand to one entry: for an open opening, or for a free slot they
picked from find_matching_slots (which becomes an opening offered to that entry only)."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.audit import record
from core.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from core.fill import send_offer
from core.model import EntryStatus, Offer, Opening, OpeningStatus
from core.policy import Policy
from core.ports import UnitOfWork
from core.texts import local_when


def offer_opening(
    *, uow: UnitOfWork, entry_id: int, opening_id: int, actor: str, now: datetime, policy: Policy
) -> Offer:
    """Offer an open opening to one waiting entry, whatever the ranking says."""
    opening = uow.openings.get(opening_id, for_update=True)  # lock order: opening first
    if opening is None:
        raise NotFound(f"Opening O-{opening_id} does not exist.")
    if opening.status is not OpeningStatus.OPEN:
        raise Conflict(f"{opening.ref} is {opening.status}; it cannot be offered.")
    if now >= opening.cutoff_at:
        raise Conflict(f"It is too late to offer {opening.ref}.")
    entry = uow.entries.get(entry_id, for_update=True)
    if entry is None:
        raise NotFound(f"Waitlist entry W-{entry_id} does not exist.")
    if entry.status is EntryStatus.OFFERED:
        raise Conflict(f"{entry.ref} already has a pending offer.")
    if entry.status is not EntryStatus.WAITING:
        raise IllegalTransition(f"{entry.ref} is {entry.status}; it cannot be offered a slot.")
    if entry.clinic_id != opening.clinic_id:
        raise Conflict(f"{entry.ref} is on another clinic's waitlist.")
    client = uow.clients.get(entry.client_id)
    clinic = uow.clinics.get(opening.clinic_id)
    assert client is not None and clinic is not None
    if not client.reachable:
        why = "has opted out of texts" if client.sms_opt_out else "has no valid mobile number"
        raise Conflict(f"{client.first_name} {why}; the offer cannot be sent.")
    if uow.offers.pending_for_client(client.id or 0) is not None:
        raise Conflict(f"{client.first_name} already holds another pending offer.")
    timezone = client.timezone or clinic.timezone
    if policy.quiet_hours and policy.quiet_hours.contains(now, timezone):
        until = policy.quiet_hours.next_end(now, timezone)
        raise Conflict(
            f"It is quiet hours for {client.first_name}; offers can be texted from "
            f"{local_when(until, timezone)}."
        )
    offer = uow.offers.add(
        Offer(
            opening_id=opening_id,
            entry_id=entry_id,
            client_id=client.id or 0,
            expires_at=min(now + policy.hold, opening.cutoff_at),
            created_at=now,
        )
    )
    send_offer(uow, offer, opening, clinic, client, entry, now=now, actor=actor)
    return offer


def offer_slot(
    *,
    uow: UnitOfWork,
    entry_id: int,
    provider_id: int,
    starts_at: datetime,
    actor: str,
    now: datetime,
    policy: Policy,
) -> Offer:
    """Open a free slot of a provider for the entry's service and offer it to that entry."""
    entry = uow.entries.get(entry_id)
    if entry is None:
        raise NotFound(f"Waitlist entry W-{entry_id} does not exist.")
    if entry.service_id is None:
        raise InvalidInput(f"{entry.ref} names no service, so the slot's length is unknown.")
    service = uow.services.get(entry.service_id)
    provider = uow.providers.get(provider_id)
    if provider is None or service is None or provider.clinic_id != entry.clinic_id:
        raise NotFound(f"Provider {provider_id} does not exist at this clinic.")
    if starts_at <= now:
        raise InvalidInput("That slot has already started.", field="starts_at")
    ends_at = starts_at + timedelta(minutes=service.duration_minutes)
    clash = uow.appointments.booked_between([provider_id], starts_at, ends_at)
    if clash:
        raise Conflict(f"{provider.name} already has {clash[0].ref} booked at that time.")
    opening = uow.openings.add(
        Opening(
            clinic_id=entry.clinic_id,
            provider_id=provider_id,
            service_id=service.id or 0,
            starts_at=starts_at,
            ends_at=ends_at,
            cutoff_at=starts_at - policy.cutoff,
            created_by=actor,
            created_at=now,
        )
    )
    record(
        uow,
        "OpeningCreated",
        actor=actor,
        now=now,
        clinic_id=opening.clinic_id,
        opening_id=opening.id,
        starts_at=opening.starts_at,
        provider_id=provider_id,
        service_id=opening.service_id,
        for_entry=entry_id,
    )
    return offer_opening(
        uow=uow, entry_id=entry_id, opening_id=opening.id or 0, actor=actor, now=now, policy=policy
    )
