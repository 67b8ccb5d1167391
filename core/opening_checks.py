"""What a staff-declared slot must be before anyone is texted about it (SPEC §10): in the
future and before its cut-off, inside the provider's working hours for its whole length, free
of bookings, and not already open. And who would be texted, for the confirmation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.clinics import clinic_policy
from core.errors import Conflict, InvalidInput
from core.lifecycle import ensure_free
from core.matching import slot_spec, weekday_of
from core.model import Opening, Provider
from core.policy import Policy
from core.ports import Candidate, UnitOfWork
from core.ranking import candidate_query, rank
from core.wording import DAY_NAMES, clock


def check_opening(
    *,
    uow: UnitOfWork,
    provider: Provider,
    starts_at: datetime,
    ends_at: datetime,
    timezone: str,
    now: datetime,
    policy: Policy,
) -> None:
    """Raise InvalidInput (field `weekday` when the day is wrong, `starts_at` when the time
    is) or Conflict, with a message staff can act on; return when the slot may be opened."""
    if starts_at <= now:
        raise InvalidInput("That time has already passed.", field="starts_at")
    policy = clinic_policy(uow.clinics.get(provider.clinic_id), policy)
    if now >= starts_at - policy.cutoff:
        minutes = int(policy.cutoff.total_seconds() // 60)
        raise InvalidInput(
            f"That is less than {minutes} minutes away, inside the cut-off: there is no time "
            "to offer it.",
            field="starts_at",
        )
    _within_hours(provider, starts_at, ends_at, timezone)
    ensure_free(uow, provider, starts_at, ends_at)
    opening = open_at(uow, provider, starts_at, ends_at, now)
    if opening is not None:
        raise Conflict(f"{opening.ref} is already open for {provider.name} at that time.")


def open_at(
    uow: UnitOfWork, provider: Provider, starts_at: datetime, ends_at: datetime, now: datetime
) -> Opening | None:
    """The open opening, if any, that already takes some of this time of the provider's."""
    provider_id = provider.id or 0
    near = uow.openings.still_open(now, provider_ids=[provider_id], between=(starts_at, ends_at))
    return overlapping(near, provider_id, starts_at, ends_at)


def overlapping(
    openings: Iterable[Opening], provider_id: int, starts_at: datetime, ends_at: datetime
) -> Opening | None:
    """The first of `openings` that takes some of the provider's time from start to end."""
    return next(
        (
            o
            for o in openings
            if o.provider_id == provider_id and o.starts_at < ends_at and starts_at < o.ends_at
        ),
        None,
    )


def _within_hours(provider: Provider, starts_at: datetime, ends_at: datetime, tz: str) -> None:
    if not provider.hours:  # no hours on file: nothing to hold the slot against
        return
    zone = ZoneInfo(tz)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    day = weekday_of(start.date())
    spans = provider.hours.get(day) or []
    if not spans:
        raise InvalidInput(f"{provider.name} doesn't work {DAY_NAMES[day]}s.", field="weekday")
    for lo, hi in spans:
        if start.date() == end.date() and lo <= start.time() and end.time() <= hi:
            return
        midnight = end.time() == time(0) and end.date() == start.date() + timedelta(days=1)
        if midnight and lo <= start.time() and hi == time(23, 59):
            return
    hours = ", ".join(f"{clock(lo)}-{clock(hi)}" for lo, hi in spans)
    raise InvalidInput(
        f"{provider.name} works {hours} on {DAY_NAMES[day]}s; "
        f"{clock(start.time())}-{clock(end.time())} is outside those hours.",
        field="starts_at",
    )


def would_text(
    *,
    uow: UnitOfWork,
    clinic_id: int,
    timezone: str,
    provider_id: int,
    service_id: int,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    policy: Policy,
) -> list[Candidate]:
    """The candidates the first batch of offers would go to (reachable ones, best first)."""
    policy = clinic_policy(uow.clinics.get(clinic_id), policy)
    spec = slot_spec(
        clinic_id=clinic_id,
        timezone=timezone,
        starts_at=starts_at,
        ends_at=ends_at,
        service_id=service_id,
        provider_id=provider_id,
    )
    query = candidate_query(
        spec, now=now, policy=policy, exclude_opening_id=None, limit=policy.batch_size + 20
    )
    ranked = [c for c in rank(uow.entries.candidates(query), policy) if c.client.reachable]
    return ranked[: policy.batch_size]
