"""The waitlist ordered by how many open slots each entry could be offered right now."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from core.errors import InvalidInput
from core.matching import slot_spec
from core.model import WaitlistEntry
from core.ports import EntryFilter, Page, SlotSpec, UnitOfWork


@lru_cache(maxsize=16384)
def _slot(
    clinic_id: int,
    timezone: str,
    starts_at: datetime,
    ends_at: datetime,
    service_id: int | None,
    provider_id: int | None,
) -> SlotSpec:
    """An opening's slot in local terms: the same for as long as the opening is open, and
    worked out once (thousands of openings per request)."""
    return slot_spec(
        clinic_id=clinic_id,
        timezone=timezone,
        starts_at=starts_at,
        ends_at=ends_at,
        service_id=service_id,
        provider_id=provider_id,
    )


def list_by_available_slots(
    *,
    uow: UnitOfWork,
    filters: EntryFilter,
    now: datetime,
    descending: bool = True,
    offset: int = 0,
    limit: int = 20,
) -> Page[tuple[WaitlistEntry, int]]:
    """Entries with their count of available slots: the open openings (before their cut-off)
    that the entry fits by `core.matching.entry_fits`. Only waiting, unexpired entries can be
    offered a slot, so every other entry counts 0."""
    if limit < 1 or offset < 0:
        raise InvalidInput("Page bounds must be positive.")
    zones = {clinic.id: clinic.timezone for clinic in uow.clinics.list()}
    slots = [
        _slot(opening.clinic_id, zones[opening.clinic_id], *opening[1:])
        for opening in uow.openings.still_open_times(now)
        if filters.clinic_id in (None, opening.clinic_id)
    ]
    return uow.entries.list_by_open_slots(
        filters, slots, now=now, descending=descending, offset=offset, limit=limit
    )
