"""An entry's side of an offer: offer_appointment, accept_offer, decline_offer (SPEC §2, §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.clinics import clinic_policy, patient_timezone
from core.dispatch import cap_reached
from core.errors import (
    Conflict,
    IllegalTransition,
    NoPendingOffer,
    NotFound,
    OfferExpired,
    SlotTaken,
)
from core.fill import FillStep, advance_locked
from core.lifecycle import Journal, book, close_offers, lock_opening, offer_entries
from core.model import (
    FINAL_STATUSES,
    Appointment,
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
from core.policy import Policy
from core.ports import UnitOfWork
from core.texts import local_when

# The client and clinic a caller has read already, if any (see `_client_and_clinic`).
Known = tuple[Client | None, Clinic | None]


@dataclass
class Booking:
    appointment: Appointment
    entry: WaitlistEntry
    opening: Opening
    withdrawn: list[Offer]


def offer_appointment(
    *,
    uow: UnitOfWork,
    entry_id: int,
    appointment_id: int,
    actor: str,
    now: datetime,
    policy: Policy,
) -> Offer:
    """Offer the slot of a cancelled appointment to one entry, by hand (see offer_opening)."""
    entry = _entry(uow, entry_id)
    if entry.status is not EntryStatus.WAITING:
        raise _not_offerable(entry)
    appointment = uow.appointments.get(appointment_id)
    if appointment is None:
        raise NotFound(f"Appointment A-{appointment_id} does not exist.")
    opening = uow.openings.get_by_origin(appointment_id)
    if opening is None and appointment.status is AppointmentStatus.BOOKED:
        raise Conflict(
            f"{appointment.ref} is still booked. Cancel it first so its slot can be offered."
        )
    if opening is None:
        raise Conflict(f"{appointment.ref} is {appointment.status}; it has no slot to offer.")
    if opening.status is not OpeningStatus.OPEN:
        raise Conflict(f"The slot of {appointment.ref} is {opening.status}; it cannot be offered.")
    if now >= opening.cutoff_at:
        raise Conflict(f"It is too late to offer the slot of {appointment.ref}.")
    return offer_opening(
        uow=uow, entry_id=entry_id, opening_id=opening.id or 0, actor=actor, now=now, policy=policy
    )


def offer_opening(
    *, uow: UnitOfWork, entry_id: int, opening_id: int, actor: str, now: datetime, policy: Policy
) -> Offer:
    """Offer an open opening to one waiting entry, whatever the ranking says.

    Staff may pick anyone waiting (preferences are theirs to judge), but the client must be
    textable, within the contact caps, and it must not be quiet hours for them.
    """
    opening = lock_opening(uow, opening_id)  # lock order: opening first
    if opening.status is not OpeningStatus.OPEN:
        raise Conflict(f"{opening.ref} is {opening.status}; it cannot be offered.")
    if now >= opening.cutoff_at:
        raise Conflict(f"It is too late to offer {opening.ref}.")
    entry = _entry(uow, entry_id, for_update=True)
    if entry.status is not EntryStatus.WAITING:
        raise _not_offerable(entry)
    if entry.clinic_id != opening.clinic_id:
        raise Conflict(f"{entry.ref} is on another clinic's waitlist.")
    client = uow.clients.get(entry.client_id)
    clinic = uow.clinics.get(opening.clinic_id)
    assert client is not None and clinic is not None
    policy = clinic_policy(clinic, policy)
    if not client.reachable:
        why = "has opted out of texts" if client.sms_opt_out else "has no valid mobile number"
        raise Conflict(f"{client.first_name} {why}; the offer cannot be sent.")
    if uow.offers.pending_for_client(client.id or 0) is not None:
        raise Conflict(f"{client.first_name} already holds another pending offer.")
    timezone = patient_timezone(client, clinic)
    if policy.quiet_hours and policy.quiet_hours.contains(now, timezone):
        until = policy.quiet_hours.next_end(now, timezone)
        raise Conflict(
            f"It is quiet hours for {client.first_name}; offers can be texted from "
            f"{local_when(until, timezone)}."
        )
    cap = cap_reached(uow, client.id or 0, now, policy, counting=1)
    if cap is not None:
        limit = policy.cap_per_day if cap == "day" else policy.cap_per_week
        raise Conflict(
            f"{client.first_name} has had {limit} offer{'s' if limit != 1 else ''} "
            f"{'today' if cap == 'day' else 'this week'} already, the most the contact caps allow."
        )
    journal = Journal()
    made = offer_entries(
        uow, journal, opening, clinic, [(entry, client)], now=now, policy=policy, actor=actor
    )
    if not made:
        raise Conflict(f"{client.first_name} already holds another pending offer.")
    journal.write(uow)
    return made[0]


def accept_offer(
    *,
    uow: UnitOfWork,
    entry_id: int,
    actor: str,
    now: datetime,
    policy: Policy,
    known: Known = (None, None),
) -> Booking:
    """Book the entry into the slot of its pending offer. The first acceptance wins; later
    ones get SlotTaken and change nothing. `known`: see `_client_and_clinic`."""
    entry, offer, opening, _ = _pending(uow, entry_id, now)
    if offer.expires_at <= now:
        raise OfferExpired(f"The offer to {entry.ref} expired at {offer.expires_at:%H:%M} UTC.")
    client, clinic = _client_and_clinic(uow, entry, opening, known)
    journal = Journal()
    appointment, withdrawn = book(
        uow, journal, opening, clinic, offer, entry, client, now=now, actor=actor
    )
    journal.write(uow)
    return Booking(appointment, entry, opening, withdrawn)


def decline_offer(
    *,
    uow: UnitOfWork,
    entry_id: int,
    actor: str,
    now: datetime,
    policy: Policy,
    known: Known = (None, None),
) -> FillStep:
    """The client passes: the entry goes back to waiting and the fill moves on. `known`: see
    `_client_and_clinic`."""
    entry, offer, opening, offers = _pending(uow, entry_id, now)
    client, clinic = _client_and_clinic(uow, entry, opening, known)
    journal = Journal()
    close_offers(
        uow, journal, opening, clinic, OfferStatus.DECLINED, now=now, actor=actor,
        offer_ids=[offer.id or 0], known=[client],
    )  # fmt: skip
    pending = [o for o in offers if o.id != offer.id]
    return advance_locked(
        uow, journal, opening, now=now, policy=policy, actor="engine", clinic=clinic,
        pending=pending,
    )  # fmt: skip


def _client_and_clinic(
    uow: UnitOfWork, entry: WaitlistEntry, opening: Opening, known: Known
) -> tuple[Client, Clinic]:
    """The entry's client and the opening's clinic: those of `known` the caller has read in
    this transaction already when they are the right ones, otherwise read now."""
    client, clinic = known
    if client is None or client.id != entry.client_id:
        client = uow.clients.get(entry.client_id)
    if clinic is None or clinic.id != opening.clinic_id:
        clinic = uow.clinics.get(opening.clinic_id)
    assert client is not None and clinic is not None
    return client, clinic


def _pending(
    uow: UnitOfWork, entry_id: int, now: datetime
) -> tuple[WaitlistEntry, Offer, Opening, list[Offer]]:
    """The entry's pending offer and its opening, locked in the order every writer uses:
    opening first, then the opening's offers and the entry read fresh under that lock.
    Also returns the opening's offers as they are now."""
    opening = uow.openings.lock_for_entry(entry_id)
    if opening is None:
        entry = _entry(uow, entry_id)
        if entry.status in FINAL_STATUSES:
            raise IllegalTransition(f"{entry.ref} is {entry.status}; it has no offer to answer.")
        raise NoPendingOffer(f"{entry.ref} has no pending offer.")
    offers = uow.offers.for_opening(opening.id or 0)
    offer = next(o for o in offers if o.entry_id == entry_id)  # one per entry and opening
    entry = _entry(uow, entry_id, for_update=True)
    if offer.status is OfferStatus.PENDING and opening.status is OpeningStatus.OPEN:
        return entry, offer, opening, offers
    if opening.status is OpeningStatus.FILLED and opening.filled_entry_id != entry.id:
        raise SlotTaken(f"Sorry, the slot offered to {entry.ref} was just taken.")
    if offer.status is OfferStatus.ACCEPTED:
        raise Conflict(f"{entry.ref} is already booked into that slot.")
    if offer.status is OfferStatus.LAPSED or opening.status is OpeningStatus.EXPIRED:
        raise OfferExpired(f"The offer to {entry.ref} has expired.")
    raise NoPendingOffer(f"{entry.ref} has no pending offer (the last one was {offer.status}).")


def _entry(uow: UnitOfWork, entry_id: int, *, for_update: bool = False) -> WaitlistEntry:
    entry = uow.entries.get(entry_id, for_update=for_update)
    if entry is None:
        raise NotFound(f"Waitlist entry W-{entry_id} does not exist.")
    return entry


def _not_offerable(entry: WaitlistEntry) -> Conflict:
    if entry.status is EntryStatus.OFFERED:
        return Conflict(f"{entry.ref} already has a pending offer.")
    return IllegalTransition(f"{entry.ref} is {entry.status}; it cannot be offered a slot.")
