"""The steps of a fill, each in one place: open a slot, lock an opening, offer entries, close
offers, book one, expire an opening. Every service (fill, offers, staff offers, entries) takes
these steps and no other way.

Each step costs the same few SQL statements whatever the batch: rows are changed set by set
(`uow.entries.move`, `uow.offers.add_many`, `uow.offers.close`), and the events and texts a
service produces are collected in a `Journal` and written with one INSERT each at its end.
An entry's status changes during a fill only in `move_entries`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.audit import make_event
from core.clinics import clinic_policy, clinic_templates, patient_timezone
from core.errors import Conflict, IllegalTransition, NotFound
from core.model import (
    Appointment,
    Client,
    Clinic,
    EntryStatus,
    Event,
    EventKind,
    Message,
    Offer,
    OfferStatus,
    Opening,
    OpeningStatus,
    Provider,
    WaitlistEntry,
    can_move,
)
from core.outbox import outbound_sms
from core.policy import Policy
from core.ports import UnitOfWork
from core.texts import local_clock, local_when, render


@dataclass
class Journal:
    """The events and texts of one service call, written together by `write`."""

    events: list[Event] = field(default_factory=list)
    texts: list[Message] = field(default_factory=list)

    def note(self, kind: EventKind, *, actor: str, now: datetime, **fields: Any) -> None:
        self.events.append(make_event(kind, actor=actor, now=now, **fields))

    def text(
        self,
        *,
        client: Client,
        clinic: Clinic,
        opening: Opening,
        kind: str,
        now: datetime,
        offer_id: int | None,
        expires_at: datetime | None = None,
    ) -> None:
        """Queue the clinic's `kind` template (core.texts.Templates) for the client about the
        opening, in their words and time zone: clinic, first name, when the slot is, and when
        the offer lapses if given."""
        zone = patient_timezone(client, clinic)
        values = {"when": local_when(opening.starts_at, zone)}
        if expires_at is not None:
            values["expires"] = local_clock(expires_at, zone)
        template = getattr(clinic_templates(clinic.settings), kind)
        body = render(template, clinic=clinic.name, first=client.first_name, **values)
        message = outbound_sms(
            client=client, clinic_id=clinic.id, kind=kind, body=body, now=now, offer_id=offer_id
        )
        if message is not None:
            self.texts.append(message)

    def write(self, uow: UnitOfWork) -> None:
        """One INSERT for the events, one for the texts; the journal is empty afterwards."""
        if self.events:
            uow.events.add_many(self.events)
        if self.texts:
            uow.messages.add_many(self.texts)
        self.events, self.texts = [], []


def lock_opening(uow: UnitOfWork, opening_id: int) -> Opening:
    """The opening, locked for the rest of the transaction and read afresh. Whoever changes an
    opening's offers takes this lock first, so that they take turns."""
    opening = uow.openings.get(opening_id, for_update=True)
    if opening is None:
        raise NotFound(f"Opening O-{opening_id} does not exist.")
    return opening


def ensure_free(
    uow: UnitOfWork, provider: Provider, starts_at: datetime, ends_at: datetime
) -> None:
    """Refuse a slot the provider has booked, in whole or in part."""
    clash = uow.appointments.booked_between([provider.id or 0], starts_at, ends_at)
    if clash:
        raise Conflict(f"{provider.name} already has {clash[0].ref} booked at that time.")


def open_slot(
    uow: UnitOfWork,
    journal: Journal,
    *,
    clinic_id: int,
    provider_id: int,
    service_id: int,
    starts_at: datetime,
    ends_at: datetime,
    policy: Policy,
    actor: str,
    now: datetime,
    origin_appointment_id: int | None = None,
    origin_client_id: int | None = None,
    **data: Any,
) -> Opening:
    """A new open opening for the slot, with its cut-off under the clinic's policy.
    `origin_client_id`: whose cancelled appointment the slot was (never offered it back)."""
    policy = clinic_policy(uow.clinics.get(clinic_id), policy)
    opening = uow.openings.add(
        Opening(
            clinic_id=clinic_id,
            provider_id=provider_id,
            service_id=service_id,
            starts_at=starts_at,
            ends_at=ends_at,
            cutoff_at=starts_at - policy.cutoff,
            origin_appointment_id=origin_appointment_id,
            origin_client_id=origin_client_id,
            created_by=actor,
            created_at=now,
        )
    )
    journal.note(
        EventKind.OPENING_CREATED,
        actor=actor,
        now=now,
        clinic_id=clinic_id,
        opening_id=opening.id,
        appointment_id=origin_appointment_id,
        starts_at=starts_at,
        provider_id=provider_id,
        service_id=service_id,
        **data,
    )
    return opening


def hold_until(opening: Opening, now: datetime, policy: Policy) -> datetime:
    """When an offer made now lapses: after the hold, but never past the cut-off."""
    return min(now + policy.hold, opening.cutoff_at)


def move_entries(
    uow: UnitOfWork,
    entry_ids: Sequence[int],
    current: EntryStatus,
    status: EntryStatus,
    *,
    now: datetime,
    actor: str,
    skip_busy: bool = False,
    limit: int | None = None,
    **changes: Any,
) -> list[int]:
    """Entries of `entry_ids` still `current` become `status` (with `changes`), at once; with
    `limit`, only the first `limit` of them that can. Returns the ids that moved; the others
    had changed meanwhile (or, with `skip_busy`, were being changed by another transaction)."""
    if not can_move(current, status):
        raise IllegalTransition(f"A waitlist entry cannot go from {current} to {status}.")
    if not entry_ids:
        return []
    return uow.entries.move(
        entry_ids,
        current=current,
        status=status,
        now=now,
        actor=actor,
        changes=changes,
        skip_busy=skip_busy,
        limit=limit,
    )


def offer_entries(
    uow: UnitOfWork,
    journal: Journal,
    opening: Opening,
    clinic: Clinic,
    picks: Sequence[tuple[WaitlistEntry, Client]],
    *,
    now: datetime,
    policy: Policy,
    actor: str,
    places: int | None = None,
) -> list[Offer]:
    """Offer the opening to these entries at once and text each client; with `places`, to
    the first `places` of them that can take it, in the order given (the rest are spares).
    Left out: entries no longer waiting, and clients given another pending offer meanwhile."""
    chosen = {entry.id: (entry, client) for entry, client in picks if entry.id is not None}
    # Fills of other openings rank the same entries first: an entry one of them is offering
    # right now is left to it, not waited for, and a spare further down takes its place.
    moved = move_entries(
        uow,
        list(chosen),
        EntryStatus.WAITING,
        EntryStatus.OFFERED,
        now=now,
        actor=actor,
        skip_busy=True,
        limit=places,
        offered_appointment_id=opening.origin_appointment_id,
        offered_at=now,
    )
    expires_at = hold_until(opening, now, policy)
    offers = uow.offers.add_many(
        [
            Offer(
                opening_id=opening.id or 0,
                entry_id=entry_id,
                client_id=chosen[entry_id][1].id or 0,
                expires_at=expires_at,
                created_at=now,
            )
            for entry_id in moved
        ]
    )
    unoffered = set(moved) - {offer.entry_id for offer in offers}
    if unoffered:  # the client holds another pending offer now: the entry waits on
        _back_to_waiting(uow, sorted(unoffered), now=now, actor=actor)
    for offer in offers:
        entry, client = chosen[offer.entry_id]
        entry.status = EntryStatus.OFFERED
        entry.offered_appointment_id = opening.origin_appointment_id
        entry.offered_at = entry.updated_at = now
        entry.updated_by = actor
        journal.text(
            client=client,
            clinic=clinic,
            opening=opening,
            kind="offer",
            now=now,
            offer_id=offer.id,
            expires_at=offer.expires_at,
        )
        journal.note(
            EventKind.OFFER_SENT,
            actor=actor,
            now=now,
            clinic_id=clinic.id,
            opening_id=opening.id,
            entry_id=offer.entry_id,
            offer_id=offer.id,
            client_id=offer.client_id,
            expires_at=offer.expires_at,
        )
    return offers


# How each way of ending an offer is recorded, and the text (template) its client gets.
_ENDINGS: dict[OfferStatus, tuple[EventKind, str | None]] = {
    OfferStatus.DECLINED: (EventKind.OFFER_DECLINED, "declined"),
    OfferStatus.LAPSED: (EventKind.OFFER_LAPSED, "lapsed"),
    OfferStatus.WITHDRAWN: (EventKind.OFFER_WITHDRAWN, "withdrawn"),
    OfferStatus.FAILED: (EventKind.OFFER_FAILED, None),
}


def close_offers(
    uow: UnitOfWork,
    journal: Journal,
    opening: Opening,
    clinic: Clinic,
    status: OfferStatus,
    *,
    now: datetime,
    actor: str,
    offer_ids: Sequence[int] | None = None,
    due_by: datetime | None = None,
    notify: bool = True,
    known: Sequence[Client] = (),
    reason: str | None = None,
) -> list[Offer]:
    """End pending offers of the opening other than by acceptance: all of them, or those of
    `offer_ids`, or those lapsing by `due_by`. See `_ended` for what follows."""
    closed = uow.offers.close(opening.id or 0, status, now=now, offer_ids=offer_ids, due_by=due_by)
    _ended(
        uow,
        journal,
        opening,
        clinic,
        closed,
        status,
        now=now,
        actor=actor,
        notify=notify,
        known=known,
        reason=reason,
    )
    return closed


def _ended(
    uow: UnitOfWork,
    journal: Journal,
    opening: Opening,
    clinic: Clinic,
    closed: Sequence[Offer],
    status: OfferStatus,
    *,
    now: datetime,
    actor: str,
    notify: bool = True,
    known: Sequence[Client] = (),
    reason: str | None = None,
) -> None:
    """After offers ended as `status`: their entries wait again, each ending is recorded (with
    `reason` if given) and, if `notify`, each client is told. `known` spares reading clients
    the caller already has."""
    kind, text_kind = _ENDINGS[status]
    _back_to_waiting(uow, [offer.entry_id for offer in closed], now=now, actor=actor)
    texted = notify and text_kind is not None
    clients = _clients(uow, [offer.client_id for offer in closed], known) if texted else {}
    extra = {"reason": reason} if reason else {}
    for offer in closed:
        journal.note(
            kind,
            actor=actor,
            now=now,
            clinic_id=clinic.id,
            opening_id=opening.id,
            entry_id=offer.entry_id,
            offer_id=offer.id,
            client_id=offer.client_id,
            **extra,
        )
        client = clients.get(offer.client_id)
        if client is not None and text_kind is not None:
            journal.text(
                client=client,
                clinic=clinic,
                opening=opening,
                kind=text_kind,
                now=now,
                offer_id=offer.id,
            )


def book(
    uow: UnitOfWork,
    journal: Journal,
    opening: Opening,
    clinic: Clinic,
    offer: Offer,
    entry: WaitlistEntry,
    client: Client,
    *,
    now: datetime,
    actor: str,
) -> tuple[Appointment, list[Offer]]:
    """The pending `offer` wins the locked, open `opening`: the client is booked, the opening
    filled, every other pending offer withdrawn. Returns the appointment and the withdrawn."""
    appointment = uow.appointments.add(
        Appointment(
            clinic_id=opening.clinic_id,
            client_id=entry.client_id,
            service_id=opening.service_id,
            provider_id=opening.provider_id,
            scheduled_at=opening.starts_at,
            duration_minutes=opening.duration_minutes,
            created_at=now,
        )
    )
    settled = uow.offers.settle(opening.id or 0, offer.id or 0, now=now)
    withdrawn = [o for o in settled if o.id != offer.id]
    offer.status, offer.responded_at = OfferStatus.ACCEPTED, now
    booked = move_entries(
        uow,
        [entry.id or 0],
        EntryStatus.OFFERED,
        EntryStatus.BOOKED,
        now=now,
        actor=actor,
        booked_appointment_id=appointment.id,
        booked_at=now,
    )
    if not booked:
        raise IllegalTransition(f"{entry.ref} is {entry.status}; it cannot be booked.")
    entry.status = EntryStatus.BOOKED
    entry.booked_appointment_id, entry.booked_at = appointment.id, now
    entry.updated_at, entry.updated_by = now, actor
    opening.status = OpeningStatus.FILLED
    opening.filled_at = opening.closed_at = now
    opening.booked_appointment_id = appointment.id
    opening.filled_entry_id = entry.id
    uow.openings.save(opening)
    ids = dict(clinic_id=clinic.id, opening_id=opening.id, entry_id=entry.id, client_id=client.id)
    journal.note(EventKind.OFFER_ACCEPTED, actor=actor, now=now, offer_id=offer.id, **ids)
    journal.note(
        EventKind.OPENING_FILLED,
        actor=actor,
        now=now,
        appointment_id=appointment.id,
        seconds_to_fill=int((now - (opening.created_at or now)).total_seconds()),
        **ids,
    )
    _ended(uow, journal, opening, clinic, withdrawn, OfferStatus.WITHDRAWN, now=now, actor="engine")
    journal.text(
        client=client,
        clinic=clinic,
        opening=opening,
        kind="booked",
        now=now,
        offer_id=offer.id,
    )
    return appointment, withdrawn


def expire_opening(
    uow: UnitOfWork, journal: Journal, opening: Opening, clinic: Clinic, *, now: datetime
) -> list[Offer]:
    """The cut-off came with the opening unfilled: withdraw what is pending and close it."""
    withdrawn = close_offers(
        uow, journal, opening, clinic, OfferStatus.WITHDRAWN, now=now, actor="engine"
    )
    opening.status = OpeningStatus.EXPIRED
    opening.closed_at = now
    uow.openings.save(opening)
    journal.note(
        EventKind.OPENING_EXPIRED,
        actor="engine",
        now=now,
        clinic_id=opening.clinic_id,
        opening_id=opening.id,
        reason="cut-off reached unfilled",
    )
    return withdrawn


def _back_to_waiting(
    uow: UnitOfWork, entry_ids: Sequence[int], *, now: datetime, actor: str
) -> None:
    move_entries(
        uow,
        entry_ids,
        EntryStatus.OFFERED,
        EntryStatus.WAITING,
        now=now,
        actor=actor,
        offered_appointment_id=None,
        offered_at=None,
    )


def _clients(
    uow: UnitOfWork, client_ids: Sequence[int], known: Sequence[Client]
) -> dict[int, Client]:
    found = {client.id: client for client in known if client.id is not None}
    missing = [client_id for client_id in client_ids if client_id not in found]
    if missing:
        found.update(uow.clients.get_many(missing))
    return found
