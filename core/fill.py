"""Filling an opening (SPEC §4): offers in batches, moving on after NO, lapse or failure,
expiry at the cut-off, and quiet hours."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from core.adaptive import adaptive_room
from core.clinics import clinic_policy, patient_timezone
from core.errors import Conflict, InvalidInput, NotFound
from core.lifecycle import (
    Journal,
    close_offers,
    expire_opening,
    lock_opening,
    offer_entries,
    open_slot,
)
from core.matching import slot_spec
from core.model import (
    AppointmentStatus,
    Client,
    Clinic,
    EventKind,
    Offer,
    OfferStatus,
    Opening,
    OpeningStatus,
    WaitlistEntry,
)
from core.opening_checks import check_opening
from core.policy import Policy
from core.ports import Candidate, UnitOfWork
from core.ranking import candidate_query, rank
from core.reachability import unreachable_words

# How many candidates past the open places to look at when some were skipped or held back.
_LOOKAHEAD = 50
# Candidates read past the open places, to offer instead of one that another fill is offering
# at this very moment (fills of other openings rank the same entries first): without them,
# the fill would search again.
_SPARES = 4


@dataclass
class FillStep:
    """What one pass over an opening did."""

    opening: Opening
    offered: list[Offer] = field(default_factory=list)
    lapsed: list[Offer] = field(default_factory=list)
    skipped: list[Candidate] = field(default_factory=list)  # cannot be texted
    deferred: list[Candidate] = field(default_factory=list)  # quiet hours
    expired: bool = False


def handle_cancellation(
    *,
    uow: UnitOfWork,
    appointment_id: int,
    actor: str,
    now: datetime,
    policy: Policy,
    reason: str | None = None,
) -> FillStep:
    """Cancel the appointment, open its slot and send the first offers."""
    appointment = uow.appointments.get(appointment_id, for_update=True)
    if appointment is None:
        raise NotFound(f"Appointment A-{appointment_id} does not exist.")
    if appointment.status is not AppointmentStatus.BOOKED:
        existing = uow.openings.get_by_origin(appointment_id)
        hint = f" (opening {existing.ref} is {existing.status})" if existing else ""
        raise Conflict(f"{appointment.ref} is already {appointment.status}{hint}.")
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now
    appointment.cancel_reason = reason
    uow.appointments.save(appointment)
    journal = Journal()
    journal.note(
        EventKind.APPOINTMENT_CANCELLED,
        actor=actor,
        now=now,
        clinic_id=appointment.clinic_id,
        appointment_id=appointment.id,
        client_id=appointment.client_id,
        reason=reason,
    )
    opening = open_slot(
        uow,
        journal,
        clinic_id=appointment.clinic_id,
        provider_id=appointment.provider_id,
        service_id=appointment.service_id,
        starts_at=appointment.scheduled_at,
        ends_at=appointment.ends_at,
        policy=policy,
        actor=actor,
        now=now,
        origin_appointment_id=appointment.id,
        origin_client_id=appointment.client_id,
    )
    return advance_locked(uow, journal, opening, now=now, policy=policy, actor=actor)


def declare_opening(
    *,
    uow: UnitOfWork,
    provider_id: int,
    service_id: int,
    starts_at: datetime,
    actor: str,
    now: datetime,
    policy: Policy,
    duration_minutes: int | None = None,
) -> FillStep:
    """Staff say a slot is free (no appointment was cancelled): open it and fill it."""
    provider = uow.providers.get(provider_id)
    if provider is None:
        raise NotFound(f"Provider {provider_id} does not exist.")
    service = uow.services.get(service_id)
    if service is None or service.clinic_id != provider.clinic_id:
        raise NotFound(f"Service {service_id} does not exist at {provider.name}'s clinic.")
    minutes = duration_minutes or service.duration_minutes
    if minutes <= 0:
        raise InvalidInput("Duration must be positive.", field="duration_minutes")
    if starts_at <= now:
        raise InvalidInput("An opening must start in the future.", field="starts_at")
    ends_at = starts_at + timedelta(minutes=minutes)
    clinic = _clinic(uow, provider.clinic_id)
    policy = clinic_policy(clinic, policy)
    check_opening(
        uow=uow,
        provider=provider,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=clinic.timezone,
        now=now,
        policy=policy,
    )
    journal = Journal()
    opening = open_slot(
        uow,
        journal,
        clinic_id=provider.clinic_id,
        provider_id=provider_id,
        service_id=service_id,
        starts_at=starts_at,
        ends_at=ends_at,
        policy=policy,
        actor=actor,
        now=now,
    )
    return advance_locked(uow, journal, opening, now=now, policy=policy, actor=actor)


def advance_fill(
    *, uow: UnitOfWork, opening_id: int, now: datetime, policy: Policy, actor: str = "engine"
) -> FillStep:
    """Bring one opening up to date: lapse overdue offers, expire it at the cut-off, and
    offer it to the next candidates until `batch_size` offers are pending."""
    opening = lock_opening(uow, opening_id)
    return advance_locked(uow, Journal(), opening, now=now, policy=policy, actor=actor)


def advance_locked(
    uow: UnitOfWork,
    journal: Journal,
    opening: Opening,
    *,
    now: datetime,
    policy: Policy,
    actor: str,
    clinic: Clinic | None = None,
    pending: list[Offer] | None = None,
) -> FillStep:
    """`advance` an opening the caller has locked, then write the journal. `pending` are
    the opening's offers if the caller has just read them."""
    step = advance(
        uow, journal, opening, now=now, policy=policy, actor=actor, clinic=clinic, pending=pending
    )
    journal.write(uow)
    return step


def advance(
    uow: UnitOfWork,
    journal: Journal,
    opening: Opening,
    *,
    now: datetime,
    policy: Policy,
    actor: str,
    clinic: Clinic | None = None,
    pending: list[Offer] | None = None,
) -> FillStep:
    """The fill step for an opening locked by the caller (see `advance_fill`)."""
    step = FillStep(opening)
    if opening.status is not OpeningStatus.OPEN:
        return step
    clinic = clinic or _clinic(uow, opening.clinic_id)
    policy = clinic_policy(clinic, policy)
    if pending is None:
        pending = uow.offers.for_opening(opening.id or 0)
    pending = [o for o in pending if o.status is OfferStatus.PENDING]
    overdue = [o.id or 0 for o in pending if o.expires_at <= now]
    if overdue:
        step.lapsed = close_offers(
            uow, journal, opening, clinic, OfferStatus.LAPSED, now=now, actor="engine",
            offer_ids=overdue,
        )  # fmt: skip
        pending = [o for o in pending if o.id not in overdue]
    if now >= opening.cutoff_at:
        expire_opening(uow, journal, opening, clinic, now=now)
        step.expired = True
        return step
    room = policy.batch_size - len(pending)
    if room <= 0:
        return step
    if policy.adaptive is not None:
        ahead = _ranked_candidates(uow, opening, clinic, now, policy, room + _LOOKAHEAD)
        room = adaptive_room(uow, opening, pending, ahead, now=now, policy=policy)
        if room <= 0:
            return step
    seen: set[int] = set()
    for limit in (room, room + _LOOKAHEAD):
        ranked = _ranked_candidates(uow, opening, clinic, now, policy, limit + _SPARES)
        picks: list[tuple[WaitlistEntry, Client]] = []
        spares: list[tuple[WaitlistEntry, Client]] = []
        for candidate in ranked:
            if candidate.entry.id in seen:
                continue
            if len(picks) == room:
                if len(spares) == _SPARES:
                    break
                if _textable(candidate, clinic, now, policy):
                    seen.add(candidate.entry.id or 0)
                    spares.append((candidate.entry, candidate.client))
                continue
            seen.add(candidate.entry.id or 0)
            if not candidate.client.reachable:
                _note_once(
                    uow, journal, EventKind.CANDIDATE_SKIPPED, opening, candidate, now,
                    reason=unreachable_words(candidate.client),
                )  # fmt: skip
                step.skipped.append(candidate)
                continue
            timezone = patient_timezone(candidate.client, clinic)
            if policy.quiet_hours and policy.quiet_hours.contains(now, timezone):
                until = policy.quiet_hours.next_end(now, timezone)
                _note_once(
                    uow, journal, EventKind.OFFER_DEFERRED, opening, candidate, now, until=until
                )
                step.deferred.append(candidate)
                continue
            picks.append((candidate.entry, candidate.client))
        made = offer_entries(
            uow, journal, opening, clinic, picks + spares, now=now, policy=policy, actor=actor,
            places=room,
        )  # fmt: skip
        step.offered += made
        room -= len(made)
        if room <= 0 or len(ranked) < limit + _SPARES:
            break  # enough offers, or nobody further down the list
    if not step.offered and not pending and not step.deferred:
        _note_once(uow, journal, EventKind.NO_CANDIDATES, opening, None, now)
    return step


def _textable(candidate: Candidate, clinic: Clinic, now: datetime, policy: Policy) -> bool:
    """Whether the candidate can be texted an offer now: reachable, and not in quiet hours."""
    timezone = candidate.client.timezone or clinic.timezone
    quiet = policy.quiet_hours is not None and policy.quiet_hours.contains(now, timezone)
    return candidate.client.reachable and not quiet


def _ranked_candidates(
    uow: UnitOfWork, opening: Opening, clinic: Clinic, now: datetime, policy: Policy, limit: int
) -> list[Candidate]:
    assert clinic.id is not None
    spec = slot_spec(
        clinic_id=clinic.id,
        timezone=clinic.timezone,
        starts_at=opening.starts_at,
        ends_at=opening.ends_at,
        service_id=opening.service_id,
        provider_id=opening.provider_id,
    )
    query = candidate_query(
        spec,
        now=now,
        policy=policy,
        exclude_opening_id=opening.id,
        limit=limit,
        exclude_client_id=opening.origin_client_id,  # never their own cancelled slot back
    )
    return rank(uow.entries.candidates(query), policy)


def held_back(
    *, uow: UnitOfWork, opening: Opening, now: datetime, policy: Policy, limit: int = 3
) -> list[tuple[Candidate, str]]:
    """Who fits `opening` but was not texted for it, best first, and why: they have had as
    many offers as the contact caps allow, or cannot be texted. For staff told that nobody
    was texted, so "nobody fits" is not said of a slot that somebody fits."""
    from core.dispatch import cap_reached  # core.dispatch imports this module

    clinic = uow.clinics.get(opening.clinic_id)
    if clinic is None:
        return []
    policy = clinic_policy(clinic, policy)
    uncapped = replace(policy, cap_per_day=0, cap_per_week=0)
    found = _ranked_candidates(uow, opening, clinic, now, uncapped, limit)
    held = []
    for candidate in found:
        unreachable = unreachable_words(candidate.client)
        if unreachable is not None:
            held.append((candidate, f"can't be texted ({unreachable})"))
            continue
        cap = cap_reached(uow, candidate.client.id or 0, now, policy, counting=1)
        if cap is None:
            continue  # free to be texted: not held back
        allowed = policy.cap_per_day if cap == "day" else policy.cap_per_week
        span = "the last day" if cap == "day" else "the last 7 days"
        offers = f"{allowed} offer{'s' if allowed != 1 else ''}"
        held.append((candidate, f"has had {offers} in {span}, all the contact cap allows"))
    return held


def fail_offer(
    *, uow: UnitOfWork, offer_id: int, now: datetime, policy: Policy, reason: str
) -> FillStep | None:
    """The offer text could not be delivered: end the offer and move the fill on."""
    return end_offer(
        uow=uow,
        offer_id=offer_id,
        status=OfferStatus.FAILED,
        actor="sms",
        now=now,
        policy=policy,
        reason=reason,
    )


def end_offer(
    *,
    uow: UnitOfWork,
    offer_id: int,
    status: OfferStatus,
    actor: str,
    now: datetime,
    policy: Policy,
    reason: str | None = None,
) -> FillStep | None:
    """End a pending offer other than by an answer (a failed text, an opt-out) and move the
    fill on. None if it was no longer pending once its opening was locked."""
    found = uow.offers.get(offer_id)
    if found is None:
        raise NotFound(f"Offer I-{offer_id} does not exist.")
    opening = lock_opening(uow, found.opening_id)
    offer = uow.offers.get(offer_id)  # again, now that the opening is locked
    if offer is None or offer.status is not OfferStatus.PENDING:
        return None
    clinic = _clinic(uow, opening.clinic_id)
    journal = Journal()
    close_offers(
        uow, journal, opening, clinic, status, now=now, actor=actor, offer_ids=[offer_id],
        reason=reason,
    )  # fmt: skip
    return advance_locked(
        uow, journal, opening, now=now, policy=policy, actor="engine", clinic=clinic
    )


@dataclass
class SweepReport:
    openings: int = 0
    offered: int = 0
    lapsed: int = 0
    expired: int = 0


def sweep_fills(
    *, uow_factory: Callable[[], UnitOfWork], now: datetime, policy: Policy
) -> SweepReport:
    """The scheduler's pass: bring every open opening up to date, one transaction each.
    Running it twice in a row changes nothing more."""
    report = SweepReport()
    with uow_factory() as uow:
        opening_ids = uow.openings.open_ids()
    for opening_id in opening_ids:
        with uow_factory() as uow:
            step = advance_fill(uow=uow, opening_id=opening_id, now=now, policy=policy)
            uow.commit()
        report.openings += 1
        report.offered += len(step.offered)
        report.lapsed += len(step.lapsed)
        report.expired += int(step.expired)
    return report


def _clinic(uow: UnitOfWork, clinic_id: int) -> Clinic:
    clinic = uow.clinics.get(clinic_id)
    if clinic is None:
        raise NotFound(f"Clinic {clinic_id} does not exist.")
    return clinic


def _note_once(
    uow: UnitOfWork,
    journal: Journal,
    kind: EventKind,
    opening: Opening,
    candidate: Candidate | None,
    now: datetime,
    **data: Any,
) -> None:
    """Record a fill observation once, not on every scheduler pass."""
    entry_id = candidate.entry.id if candidate else None
    if uow.events.exists(kind=kind, opening_id=opening.id, entry_id=entry_id):
        return
    journal.note(
        kind,
        actor="engine",
        now=now,
        clinic_id=opening.clinic_id,
        opening_id=opening.id,
        entry_id=entry_id,
        client_id=candidate.client.id if candidate else None,
        **data,
    )
