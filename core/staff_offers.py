"""Offering a free slot staff picked from find_matching_slots: it becomes an opening offered
to that entry only (core.offers.offer_opening makes the offer)."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.errors import Conflict, InvalidInput, NotFound
from core.lifecycle import Journal, ensure_free, open_slot
from core.model import Offer
from core.offers import offer_opening
from core.opening_checks import open_at
from core.policy import Policy
from core.ports import UnitOfWork


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
    ensure_free(uow, provider, starts_at, ends_at)
    taken = open_at(uow, provider, starts_at, ends_at, now)
    if taken is not None:  # one slot, one opening: offer that one instead
        raise Conflict(
            f"{taken.ref} is already open for {provider.name} at that time; "
            f"offer it with `/waitlist offer {entry.ref} {taken.ref}`."
        )
    journal = Journal()
    opening = open_slot(
        uow,
        journal,
        clinic_id=entry.clinic_id,
        provider_id=provider_id,
        service_id=service.id or 0,
        starts_at=starts_at,
        ends_at=ends_at,
        policy=policy,
        actor=actor,
        now=now,
        for_entry=entry_id,
    )
    journal.write(uow)  # the opening's event first, then the offer's
    return offer_opening(
        uow=uow, entry_id=entry_id, opening_id=opening.id or 0, actor=actor, now=now, policy=policy
    )
