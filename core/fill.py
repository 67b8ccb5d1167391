"""Filling an opening (SPEC §4): offers in batches, moving on after NO, lapse or failure,
expiry at the cut-off, and quiet hours."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.adaptive import adaptive_room
from core.audit import record
from core.errors import Conflict, InvalidInput, NotFound
from core.matching import slot_spec
from core.model import (
    AppointmentStatus,
    Client,
    Clinic,
    EntryStatus,
    Offer,
    OfferStatus,
    Opening,
    OpeningStatus,
    WaitlistEntry,
)
from core.opening_checks import check_opening
from core.outbox import queue_sms
from core.policy import Policy
from core.ports import Candidate, UnitOfWork
from core.ranking import candidate_query, rank
from core.reachability import unreachable_words
from core.texts import DEFAULT_TEMPLATES, local_clock, local_when, render

# How many candidates past the open places to look at, for those skipped or held back.
_LOOKAHEAD = 50


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
    record(
        uow,
        "AppointmentCancelled",
        actor=actor,
        now=now,
        clinic_id=appointment.clinic_id,
        appointment_id=appointment.id,
        client_id=appointment.client_id,
        reason=reason,
    )
    opening = uow.openings.add(
        Opening(
            clinic_id=appointment.clinic_id,
            provider_id=appointment.provider_id,
            service_id=appointment.service_id,
            starts_at=appointment.scheduled_at,
            ends_at=appointment.ends_at,
            cutoff_at=appointment.scheduled_at - policy.cutoff,
            origin_appointment_id=appointment.id,
            created_by=actor,
            created_at=now,
        )
    )
    return _opened(uow, opening, actor=actor, now=now, policy=policy)


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
    check_opening(
        uow=uow,
        provider=provider,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=_clinic(uow, provider.clinic_id).timezone,
        now=now,
        policy=policy,
    )
    opening = uow.openings.add(
        Opening(
            clinic_id=provider.clinic_id,
            provider_id=provider_id,
            service_id=service_id,
            starts_at=starts_at,
            ends_at=ends_at,
            cutoff_at=starts_at - policy.cutoff,
            created_by=actor,
            created_at=now,
        )
    )
    return _opened(uow, opening, actor=actor, now=now, policy=policy)


def _opened(
    uow: UnitOfWork, opening: Opening, *, actor: str, now: datetime, policy: Policy
) -> FillStep:
    record(
        uow,
        "OpeningCreated",
        actor=actor,
        now=now,
        clinic_id=opening.clinic_id,
        opening_id=opening.id,
        appointment_id=opening.origin_appointment_id,
        starts_at=opening.starts_at,
        provider_id=opening.provider_id,
        service_id=opening.service_id,
    )
    assert opening.id is not None
    return advance_fill(uow=uow, opening_id=opening.id, now=now, policy=policy, actor=actor)


def advance_fill(
    *, uow: UnitOfWork, opening_id: int, now: datetime, policy: Policy, actor: str = "engine"
) -> FillStep:
    """Bring one opening up to date: lapse overdue offers, expire it at the cut-off, and
    offer it to the next candidates until `batch_size` offers are pending."""
    opening = uow.openings.get(opening_id, for_update=True)
    if opening is None:
        raise NotFound(f"Opening O-{opening_id} does not exist.")
    step = FillStep(opening)
    if opening.status is not OpeningStatus.OPEN:
        return step
    clinic = _clinic(uow, opening.clinic_id)
    pending = [o for o in uow.offers.for_opening(opening_id) if o.status is OfferStatus.PENDING]
    for offer in [o for o in pending if o.expires_at <= now]:
        close_offer(uow, offer, OfferStatus.LAPSED, now=now, actor="engine", clinic=clinic)
        step.lapsed.append(offer)
        pending.remove(offer)
    if now >= opening.cutoff_at:
        for offer in pending:
            close_offer(uow, offer, OfferStatus.WITHDRAWN, now=now, actor="engine", clinic=clinic)
        opening.status = OpeningStatus.EXPIRED
        opening.closed_at = now
        uow.openings.save(opening)
        record(
            uow,
            "OpeningExpired",
            actor="engine",
            now=now,
            clinic_id=opening.clinic_id,
            opening_id=opening.id,
            reason="cut-off reached unfilled",
        )
        step.expired = True
        return step
    room = policy.batch_size - len(pending)
    if room <= 0:
        return step
    candidates = _ranked_candidates(uow, opening, clinic, now, policy, room + _LOOKAHEAD)
    if policy.adaptive is not None:
        room = adaptive_room(uow, opening, pending, candidates, now=now, policy=policy)
    for candidate in candidates:
        if room == 0:
            break
        if not candidate.client.reachable:
            why = unreachable_words(candidate.client)
            _note_once(uow, "CandidateSkipped", opening, candidate, now, reason=why)
            step.skipped.append(candidate)
            continue
        timezone = candidate.client.timezone or clinic.timezone
        if policy.quiet_hours and policy.quiet_hours.contains(now, timezone):
            until = policy.quiet_hours.next_end(now, timezone)
            _note_once(uow, "OfferDeferred", opening, candidate, now, until=until)
            step.deferred.append(candidate)
            continue
        made = _offer(uow, opening, clinic, candidate, now=now, policy=policy, actor=actor)
        if made is not None:
            step.offered.append(made)
            room -= 1
    if not step.offered and not pending and not step.deferred:
        _note_once(uow, "NoCandidates", opening, None, now)
    return step


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
        spec, now=now, policy=policy, exclude_opening_id=opening.id, limit=limit
    )
    return rank(uow.entries.candidates(query), policy)


def _offer(
    uow: UnitOfWork,
    opening: Opening,
    clinic: Clinic,
    candidate: Candidate,
    *,
    now: datetime,
    policy: Policy,
    actor: str,
) -> Offer | None:
    assert candidate.entry.id is not None and candidate.client.id is not None
    entry = uow.entries.get(candidate.entry.id, for_update=True)
    if entry is None or entry.status is not EntryStatus.WAITING:
        return None  # changed since the candidates were read
    hold_until = min(now + policy.hold, opening.cutoff_at)
    try:
        offer = uow.offers.add(
            Offer(
                opening_id=opening.id or 0,
                entry_id=entry.id or 0,
                client_id=candidate.client.id,
                expires_at=hold_until,
                created_at=now,
            )
        )
    except Conflict:
        return None  # the client was given another offer at the same moment
    send_offer(uow, offer, opening, clinic, candidate.client, entry, now=now, actor=actor)
    return offer


def send_offer(
    uow: UnitOfWork,
    offer: Offer,
    opening: Opening,
    clinic: Clinic,
    client: Client,
    entry: WaitlistEntry,
    *,
    now: datetime,
    actor: str,
) -> None:
    """Mark the entry offered, queue the offer text and record it."""
    entry.move_to(EntryStatus.OFFERED)
    entry.offered_appointment_id = opening.origin_appointment_id
    entry.offered_at = now
    entry.updated_at = now
    entry.updated_by = actor
    uow.entries.save(entry)
    timezone = client.timezone or clinic.timezone
    body = render(
        DEFAULT_TEMPLATES.offer,
        clinic=clinic.name,
        first=client.first_name,
        when=local_when(opening.starts_at, timezone),
        expires=local_clock(offer.expires_at, timezone),
    )
    queue_sms(
        uow,
        client=client,
        clinic_id=clinic.id,
        kind="offer",
        body=body,
        now=now,
        offer_id=offer.id,
    )
    record(
        uow,
        "OfferSent",
        actor=actor,
        now=now,
        clinic_id=clinic.id,
        opening_id=opening.id,
        entry_id=entry.id,
        offer_id=offer.id,
        client_id=client.id,
        expires_at=offer.expires_at,
    )


def close_offer(
    uow: UnitOfWork,
    offer: Offer,
    status: OfferStatus,
    *,
    now: datetime,
    actor: str,
    clinic: Clinic,
    notify: bool = True,
) -> None:
    """End a pending offer other than by acceptance; the entry goes back to waiting."""
    offer.status = status
    offer.responded_at = now
    uow.offers.save(offer)
    entry = uow.entries.get(offer.entry_id, for_update=True)
    if entry is not None and entry.status is EntryStatus.OFFERED:
        entry.move_to(EntryStatus.WAITING)
        entry.offered_appointment_id = None
        entry.offered_at = None
        entry.updated_at = now
        entry.updated_by = actor
        uow.entries.save(entry)
    kind = {
        OfferStatus.DECLINED: "OfferDeclined",
        OfferStatus.LAPSED: "OfferLapsed",
        OfferStatus.WITHDRAWN: "OfferWithdrawn",
        OfferStatus.FAILED: "OfferFailed",
    }[status]
    record(
        uow,
        kind,
        actor=actor,
        now=now,
        clinic_id=clinic.id,
        opening_id=offer.opening_id,
        entry_id=offer.entry_id,
        offer_id=offer.id,
        client_id=offer.client_id,
    )
    template = {
        OfferStatus.DECLINED: DEFAULT_TEMPLATES.declined,
        OfferStatus.LAPSED: DEFAULT_TEMPLATES.lapsed,
        OfferStatus.WITHDRAWN: DEFAULT_TEMPLATES.withdrawn,
    }.get(status)
    client = uow.clients.get(offer.client_id)
    opening = uow.openings.get(offer.opening_id)
    if not notify or template is None or client is None or opening is None:
        return
    when = local_when(opening.starts_at, client.timezone or clinic.timezone)
    body = render(template, clinic=clinic.name, first=client.first_name, when=when)
    kind_name = {OfferStatus.DECLINED: "declined", OfferStatus.LAPSED: "lapsed"}.get(
        status, "withdrawn"
    )
    queue_sms(
        uow,
        client=client,
        clinic_id=clinic.id,
        kind=kind_name,
        body=body,
        now=now,
        offer_id=offer.id,
    )


def fail_offer(
    *, uow: UnitOfWork, offer_id: int, now: datetime, policy: Policy, reason: str
) -> FillStep | None:
    """The offer text could not be delivered: end the offer and move the fill on."""
    return end_offer(
        uow=uow, offer_id=offer_id, status=OfferStatus.FAILED, actor="sms", now=now, policy=policy
    )


def end_offer(
    *,
    uow: UnitOfWork,
    offer_id: int,
    status: OfferStatus,
    actor: str,
    now: datetime,
    policy: Policy,
) -> FillStep | None:
    """End a pending offer other than by an answer (a failed text, an opt-out) and move the
    fill on. None if it was no longer pending once its opening was locked."""
    found = uow.offers.get(offer_id)
    if found is None:
        raise NotFound(f"Offer I-{offer_id} does not exist.")
    opening = uow.openings.get(found.opening_id, for_update=True)
    offer = uow.offers.get(offer_id)  # again, now that the opening is locked
    if opening is None or offer is None or offer.status is not OfferStatus.PENDING:
        return None
    clinic = _clinic(uow, opening.clinic_id)
    close_offer(uow, offer, status, now=now, actor=actor, clinic=clinic)
    return advance_fill(uow=uow, opening_id=opening.id or 0, now=now, policy=policy)


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
    kind: str,
    opening: Opening,
    candidate: Candidate | None,
    now: datetime,
    **data: Any,
) -> None:
    """Record a fill observation once, not on every scheduler pass."""
    entry_id = candidate.entry.id if candidate else None
    if uow.events.exists(kind=kind, opening_id=opening.id, entry_id=entry_id):
        return
    record(
        uow,
        kind,
        actor="engine",
        now=now,
        clinic_id=opening.clinic_id,
        opening_id=opening.id,
        entry_id=entry_id,
        client_id=candidate.client.id if candidate else None,
        **data,
    )
