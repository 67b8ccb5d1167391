"""In-memory implementations of the ports, for domain tests and the fill simulator."""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.clinics import sender_match
from core.errors import Conflict, DuplicateMessage, SlotConflict
from core.lease import Finding, Verdict
from core.matching import entry_fits
from core.model import (
    Appointment,
    AppointmentStatus,
    Client,
    Clinic,
    EntryStatus,
    Event,
    Message,
    MessageStatus,
    Offer,
    OfferStatus,
    Opening,
    OpeningStatus,
    Provider,
    Service,
    WaitlistEntry,
)
from core.outbox import held
from core.ports import (
    Candidate,
    CandidateQuery,
    EntryCounts,
    EntryFilter,
    FillCounts,
    OpeningTimes,
    Page,
    SendResult,
    SlotSpec,
    Standing,
)
from core.ranking import choose_candidates


class _Table:
    def __init__(self) -> None:
        self.rows: dict[int, Any] = {}
        self.next_id = 1

    def add(self, obj: Any) -> Any:
        obj = copy.deepcopy(obj)
        obj.id = self.next_id
        self.next_id += 1
        self.rows[obj.id] = obj
        return copy.deepcopy(obj)

    def get(self, obj_id: int, *, for_update: bool = False) -> Any:
        row = self.rows.get(obj_id)
        return copy.deepcopy(row) if row is not None else None

    def save(self, obj: Any) -> None:
        assert obj.id in self.rows
        self.rows[obj.id] = copy.deepcopy(obj)

    def add_many(self, objs: Sequence[Any]) -> None:
        for obj in objs:
            obj.id = self.add(obj).id

    def all(self) -> list[Any]:
        return [copy.deepcopy(r) for r in self.rows.values()]


class FakeClinics(_Table):
    """Like the table: no two clinics share a name, a number or a channel."""

    def add(self, obj: Any) -> Any:
        self._unique(obj)
        return super().add(obj)

    def save(self, obj: Any) -> None:
        self._unique(obj)
        super().save(obj)

    def _unique(self, clinic: Clinic) -> None:
        for other in self.all():
            if other.id == clinic.id:
                continue
            if other.name == clinic.name:
                raise Conflict("A clinic with that name already exists.")
            mine, theirs = clinic.settings, other.settings
            if mine.twilio_from_number and mine.twilio_from_number == theirs.twilio_from_number:
                raise Conflict("Another clinic already texts from that number.")
            if mine.slack_channel and mine.slack_channel == theirs.slack_channel:
                raise Conflict("Another clinic already uses that Slack channel.")

    def get_by_name(self, name: str) -> Clinic | None:
        return next((c for c in self.all() if c.name == name), None)

    def list(self) -> list[Clinic]:
        return self.all()

    def by_slack_channel(self, channel_id: str) -> Clinic | None:
        return next((c for c in self.all() if c.settings.slack_channel == channel_id), None)

    def by_sender(self, phone_e164: str) -> Clinic | None:
        return sender_match(self.all(), phone_e164)


@dataclass
class ClientClinic:
    """A clinic that knows a client (`ClientRepository.add_clinics`)."""

    client_id: int
    clinic_id: int
    created_at: datetime
    id: int | None = None


class FakeClientClinics(_Table):
    def pairs(self) -> set[tuple[int, int]]:
        return {(row.client_id, row.clinic_id) for row in self.rows.values()}


class FakeClients(_Table):
    uow: FakeUnitOfWork | None = None  # for `seen_at`, which asks the entries

    def add_clinics(self, client_id: int, clinic_ids: Collection[int], now: datetime) -> None:
        assert self.uow is not None
        links = self.uow.client_clinics
        for clinic_id in sorted(set(clinic_ids)):
            if (client_id, clinic_id) not in links.pairs():
                links.add(ClientClinic(client_id, clinic_id, now))

    def get_many(self, client_ids: Sequence[int]) -> dict[int, Client]:
        return {c.id: c for c in self.all() if c.id in client_ids}

    def get_by_phone(self, phone: str) -> Client | None:
        return next((c for c in self.all() if c.phone == phone), None)

    def erase_messages(self, client_id: int) -> None:
        pass  # the fake keeps no message bodies per client

    def list(
        self,
        *,
        offset: int = 0,
        limit: int = 100,
        archived: bool = False,
        seen_at: Collection[int] | None = None,
    ) -> Page[Client]:
        rows = [c for c in self.all() if archived or c.archived_at is None]
        if seen_at is not None and self.uow is not None:
            known = self.uow.entries.clinics_of_clients([c.id or 0 for c in rows])
            rows = [c for c in rows if c.id not in known or known[c.id or 0] & set(seen_at)]
        return Page(rows[offset : offset + limit], len(rows))

    def search(self, text: str, limit: int = 20) -> Sequence[Client]:
        needle = text.strip().lower()
        digits = "".join(c for c in text if c.isdigit())
        found = [
            c
            for c in self.all()
            if needle in f"{c.first_name} {c.last_name}".lower()
            or (len(digits) >= 2 and digits in c.phone)
        ]
        return sorted(found, key=lambda c: (c.first_name, c.last_name, c.id))[:limit]


class FakeProviders(_Table):
    def list(self, clinic_id: int | None = None, *, archived: bool = False) -> list[Provider]:
        shown = [p for p in self.all() if archived or p.archived_at is None]
        return [p for p in shown if clinic_id in (None, p.clinic_id)]


class FakeServices(_Table):
    def list(self, clinic_id: int | None = None, *, archived: bool = False) -> list[Service]:
        shown = [s for s in self.all() if archived or s.archived_at is None]
        return [s for s in shown if clinic_id in (None, s.clinic_id)]


class FakeAppointments(_Table):
    def _check(self, appt: Appointment) -> None:
        if appt.status is not AppointmentStatus.BOOKED:
            return
        for other in self.rows.values():
            if (
                other.id != appt.id
                and other.status is AppointmentStatus.BOOKED
                and other.provider_id == appt.provider_id
                and other.scheduled_at < appt.ends_at
                and appt.scheduled_at < other.ends_at
            ):
                raise SlotConflict("The provider is already booked at that time.")

    def add(self, appt: Appointment) -> Appointment:
        self._check(appt)
        return super().add(appt)  # type: ignore[no-any-return]

    def save(self, appt: Appointment) -> None:
        self._check(appt)
        super().save(appt)

    def booked_between(
        self, provider_ids: Sequence[int], start: datetime, end: datetime
    ) -> list[Appointment]:
        return [
            a
            for a in self.all()
            if a.provider_id in provider_ids
            and a.status is AppointmentStatus.BOOKED
            and a.scheduled_at < end
            and a.ends_at > start
        ]

    def list(self, *, offset: int = 0, limit: int = 100, **filters: Any) -> Page[Appointment]:
        rows = [
            a
            for a in self.all()
            if all(
                v is None or getattr(a, k, v) == v
                for k, v in filters.items()
                if k in ("clinic_id", "client_id", "provider_id")
            )
        ]
        return Page(rows[offset : offset + limit], len(rows))


class FakeEntries(_Table):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__()
        self.uow = uow

    def clinics_of_clients(self, client_ids: Sequence[int]) -> dict[int, set[int]]:
        found: dict[int, set[int]] = {}
        known = [*self.all(), *self.uow.appointments.all(), *self.uow.client_clinics.all()]
        for row in known:
            if row.client_id in client_ids:
                found.setdefault(row.client_id, set()).add(row.clinic_id)
        return found

    def move(
        self,
        entry_ids: Sequence[int],
        *,
        current: EntryStatus,
        status: EntryStatus,
        now: datetime,
        actor: str,
        changes: Mapping[str, object],
        skip_busy: bool = False,
        limit: int | None = None,
    ) -> list[int]:
        moved: list[int] = []
        for entry_id in entry_ids:
            entry = self.rows.get(entry_id)
            if entry is None or entry.status is not current or len(moved) == limit:
                continue
            entry.status, entry.updated_at, entry.updated_by = status, now, actor
            for name, value in changes.items():
                setattr(entry, name, value)
            moved.append(entry_id)
        return moved

    def list(
        self,
        filters: EntryFilter,
        *,
        sort_by: str = "created_at",
        descending: bool = True,
        offset: int = 0,
        limit: int = 20,
    ) -> Page[WaitlistEntry]:
        def keep(e: WaitlistEntry) -> bool:
            f = filters
            return (
                f.clinic_id in (None, e.clinic_id)
                and (not f.clinic_ids or e.clinic_id in f.clinic_ids)
                and (not f.statuses or e.status in f.statuses)
                and f.service_id in (None, e.service_id)
                and f.client_id in (None, e.client_id)
                and f.priority in (None, e.priority)
                and (not f.provider_ids or bool(set(f.provider_ids) & set(e.provider_ids)))
                and f.reachable in (None, self.uow.clients.get(e.client_id).reachable)
            )

        rows = sorted(
            (e for e in self.all() if keep(e)),
            key=lambda e: (getattr(e, sort_by), e.id),
            reverse=descending,
        )
        return Page(rows[offset : offset + limit], len(rows))

    def list_by_open_slots(
        self,
        filters: EntryFilter,
        slots: Sequence[SlotSpec],
        *,
        now: datetime,
        descending: bool = True,
        offset: int = 0,
        limit: int = 20,
    ) -> Page[tuple[WaitlistEntry, int]]:
        def count(e: WaitlistEntry) -> int:
            if e.status is not EntryStatus.WAITING:
                return 0
            return sum(1 for slot in slots if entry_fits(e, slot, now))

        everyone = self.list(filters, offset=0, limit=len(self.rows) + 1).items
        rows = sorted(
            ((e, count(e)) for e in everyone),
            key=lambda pair: (pair[1], pair[0].created_at, pair[0].id),
            reverse=descending,
        )
        return Page(rows[offset : offset + limit], len(rows))

    def candidates(self, query: CandidateQuery) -> list[Candidate]:
        clients = {c.id: c for c in self.uow.clients.all()}
        return choose_candidates(self.all(), clients, self.uow.offers.all(), query)

    def counts_by_status(self, clinic_id: int | None = None) -> dict[EntryStatus, int]:
        counts: dict[EntryStatus, int] = {}
        for e in self.all():
            if clinic_id in (None, e.clinic_id):
                counts[e.status] = counts.get(e.status, 0) + 1
        return counts

    def average_wait_days(self, clinic_id: int | None = None) -> float | None:
        waits = [
            (e.booked_at - e.created_at).total_seconds() / 86400
            for e in self.all()
            if e.status is EntryStatus.BOOKED and clinic_id in (None, e.clinic_id)
        ]
        return sum(waits) / len(waits) if waits else None

    def ids_to_expire(
        self, *, now: datetime, created_before: datetime, clinic_id: int | None = None
    ) -> list[int]:
        return [
            e.id
            for e in self.all()
            if e.is_active
            and clinic_id in (None, e.clinic_id)
            and ((e.expires_at and e.expires_at <= now) or e.created_at < created_before)
        ]


class FakeOpenings(_Table):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__()
        self.uow = uow

    def standing(self, phone: str) -> Standing:
        client = self.uow.clients.get_by_phone(phone)
        offer = self.uow.offers.latest_for_client(client.id or 0) if client else None
        opening = self.get(offer.opening_id) if offer else None
        clinic = self.uow.clinics.get(opening.clinic_id) if opening else None
        return Standing(client, offer, opening, clinic)

    def lock_for_entry(self, entry_id: int) -> Opening | None:
        latest = self.uow.offers.latest_for_entry(entry_id)
        return None if latest is None else self.get(latest.opening_id)

    def get_by_origin(self, appointment_id: int) -> Opening | None:
        return next((o for o in self.all() if o.origin_appointment_id == appointment_id), None)

    def open_ids(self) -> list[int]:
        return [o.id for o in self.all() if o.status is OpeningStatus.OPEN]

    def get_many(self, opening_ids: Sequence[int]) -> dict[int, Opening]:
        return {o.id: o for o in self.all() if o.id in opening_ids}

    def still_open(
        self,
        now: datetime,
        *,
        provider_ids: Collection[int] | None = None,
        between: tuple[datetime, datetime] | None = None,
        origin_client_id: int | None = None,
    ) -> list[Opening]:
        found = [o for o in self.all() if o.status is OpeningStatus.OPEN and o.cutoff_at > now]
        return open_among(found, provider_ids, between, origin_client_id)

    def still_open_times(self, now: datetime) -> list[OpeningTimes]:
        return [
            OpeningTimes(o.clinic_id, o.starts_at, o.ends_at, o.service_id, o.provider_id)
            for o in self.still_open(now)
        ]


def open_among(
    openings: list[Opening],
    provider_ids: Collection[int] | None,
    between: tuple[datetime, datetime] | None,
    origin_client_id: int | None,
) -> list[Opening]:
    """`still_open`'s filters, for the stores that hold openings in memory."""
    return [
        o
        for o in openings
        if (provider_ids is None or o.provider_id in provider_ids)
        and (between is None or (o.starts_at < between[1] and between[0] < o.ends_at))
        and (origin_client_id is None or o.origin_client_id == origin_client_id)
    ]


class FakeOffers(_Table):
    def _check(self, offer: Offer) -> None:
        for other in self.rows.values():
            if other.id == offer.id:
                continue
            if (
                offer.status is OfferStatus.PENDING
                and other.status is OfferStatus.PENDING
                and other.client_id == offer.client_id
            ):
                raise Conflict("That client already holds a pending offer.")
            if (
                offer.status is OfferStatus.ACCEPTED
                and other.status is OfferStatus.ACCEPTED
                and other.opening_id == offer.opening_id
            ):
                raise Conflict("That opening already has an accepted offer.")

    def add(self, offer: Offer) -> Offer:
        self._check(offer)
        return super().add(offer)  # type: ignore[no-any-return]

    def save(self, offer: Offer) -> None:
        self._check(offer)
        super().save(offer)

    def add_many(self, offers: Sequence[Offer]) -> list[Offer]:  # type: ignore[override]
        added = []
        for offer in offers:
            clash = any(
                o.opening_id == offer.opening_id and o.entry_id == offer.entry_id
                for o in self.rows.values()
            )
            try:
                if clash:
                    raise Conflict("That entry already has an offer for this opening.")
                offer.id = self.add(offer).id
            except Conflict:
                continue
            added.append(offer)
        return added

    def close(
        self,
        opening_id: int,
        status: OfferStatus,
        *,
        now: datetime,
        offer_ids: Sequence[int] | None = None,
        due_by: datetime | None = None,
    ) -> list[Offer]:
        closed = []
        for offer in self.rows.values():
            if offer.opening_id != opening_id or offer.status is not OfferStatus.PENDING:
                continue
            if offer_ids is not None and offer.id not in offer_ids:
                continue
            if due_by is not None and offer.expires_at > due_by:
                continue
            offer.status, offer.responded_at = status, now
            closed.append(copy.deepcopy(offer))
        return closed

    def settle(self, opening_id: int, accepted_id: int, *, now: datetime) -> list[Offer]:
        if any(
            o.opening_id == opening_id and o.status is OfferStatus.ACCEPTED
            for o in self.rows.values()
        ):
            raise Conflict("That opening already has an accepted offer.")
        settled = []
        for offer in self.rows.values():
            if offer.opening_id == opening_id and offer.status is OfferStatus.PENDING:
                accepted = offer.id == accepted_id
                offer.status = OfferStatus.ACCEPTED if accepted else OfferStatus.WITHDRAWN
                offer.responded_at = now
                settled.append(copy.deepcopy(offer))
        return settled

    def for_opening(self, opening_id: int) -> list[Offer]:
        return [o for o in self.all() if o.opening_id == opening_id]

    def pending_for_client(self, client_id: int) -> Offer | None:
        return next(
            (o for o in self.all() if o.client_id == client_id and o.status is OfferStatus.PENDING),
            None,
        )

    def latest_for_entry(self, entry_id: int) -> Offer | None:
        mine = [o for o in self.all() if o.entry_id == entry_id]
        return max(mine, key=lambda o: o.id) if mine else None

    def for_entries(self, entry_ids: Sequence[int]) -> list[Offer]:
        return [o for o in self.all() if o.entry_id in entry_ids]

    def latest_for_client(self, client_id: int) -> Offer | None:
        mine = [o for o in self.all() if o.client_id == client_id]
        return max(mine, key=lambda o: o.id) if mine else None

    def count_for_client(self, client_id: int, since: datetime) -> int:
        return sum(1 for o in self.all() if o.client_id == client_id and o.created_at >= since)


class FakeMessages(_Table):
    def queued(self, limit: int = 100) -> list[Message]:
        return [m for m in self.all() if m.status is MessageStatus.QUEUED][:limit]

    def queued_past(self, limit: int, *, hold: Mapping[str, datetime]) -> list[Message]:
        waiting = self.queued(len(self.rows))
        return [m for m in waiting if not held(m, hold)][:limit]

    def claim(self, message_ids: Sequence[int], now: datetime) -> Message | None:
        queued = [
            self.rows[i]
            for i in sorted(message_ids)
            if i in self.rows and self.rows[i].status is MessageStatus.QUEUED
        ]
        if not queued:
            return None
        row = queued[0]
        row.status = MessageStatus.SENDING
        row.attempts += 1
        row.updated_at = now
        return copy.deepcopy(row)

    def move(
        self,
        message_id: int,
        *,
        from_: Collection[MessageStatus],
        to: MessageStatus,
        claimed_at: datetime | None = None,
        changes: Mapping[str, object] | None = None,
    ) -> bool:
        row = self.rows.get(message_id)
        if row is None or row.status not in from_:
            return False
        if claimed_at is not None and row.updated_at != claimed_at:
            return False
        row.status = to
        for name, value in (changes or {}).items():
            setattr(row, name, value)
        return True

    def note_sent(self, message_id: int, *, provider_sid: str | None, sent_at: datetime) -> None:
        row = self.rows[message_id]
        row.provider_sid = row.provider_sid or provider_sid
        row.sent_at = row.sent_at or sent_at

    def claimed_before(self, moment: datetime, limit: int = 100) -> list[Message]:
        stale = [
            m
            for m in self.all()
            if m.status is MessageStatus.SENDING and m.updated_at and m.updated_at < moment
        ]
        return sorted(stale, key=lambda m: (m.updated_at, m.id))[:limit]

    def get_by_provider_sid(self, sid: str) -> Message | None:
        return next((m for m in self.all() if m.provider_sid == sid), None)

    def add_inbound(self, message: Message) -> Message:
        if message.provider_sid and self.get_by_provider_sid(message.provider_sid):
            raise DuplicateMessage(f"Message {message.provider_sid} was already received.")
        return self.add(message)  # type: ignore[no-any-return]

    def for_client(self, client_id: int, limit: int = 50) -> list[Message]:
        return [m for m in self.all() if m.client_id == client_id][-limit:]

    def recent(self, limit: int = 50) -> list[Message]:
        return self.all()[-limit:]


class FakeEvents(_Table):
    def list(
        self, *, opening_id: int | None = None, entry_id: int | None = None, limit: int = 200
    ) -> list[Event]:
        return [
            e
            for e in self.all()
            if opening_id in (None, e.opening_id) and entry_id in (None, e.entry_id)
        ][:limit]

    def exists(self, *, kind: str, opening_id: int | None, entry_id: int | None) -> bool:
        return any(
            e.kind == kind and e.opening_id == opening_id and e.entry_id == entry_id
            for e in self.rows.values()
        )

    def kinds(self) -> list[str]:
        return [e.kind for e in self.rows.values()]


class FakeReports:
    """The report aggregates, counted over the other fakes' rows."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    def entry_counts(self, clinic_id: int | None = None) -> EntryCounts:
        entries = self.uow.entries
        return EntryCounts(
            counts=entries.counts_by_status(clinic_id),
            average_wait_days=entries.average_wait_days(clinic_id),
        )

    def fold_entry_counts(self) -> int:
        return 0

    def fill_counts(
        self, bounds: Sequence[datetime], clinic_id: int | None = None
    ) -> list[FillCounts]:
        openings = [o for o in self.uow.openings.all() if clinic_id in (None, o.clinic_id)]
        in_clinic = {o.id for o in openings}
        offers = [o for o in self.uow.offers.all() if o.opening_id in in_clinic]
        result = []
        for start, end in zip(bounds, bounds[1:], strict=False):
            sent = [o for o in offers if start <= o.created_at < end]
            result.append(
                FillCounts(
                    openings=sum(start <= o.created_at < end for o in openings),
                    filled=sum(
                        o.status is OpeningStatus.FILLED and start <= o.filled_at < end
                        for o in openings
                    ),
                    expired=sum(
                        o.status is OpeningStatus.EXPIRED and start <= o.closed_at < end
                        for o in openings
                    ),
                    offers_sent=len(sent),
                    accepted=sum(o.status is OfferStatus.ACCEPTED for o in sent),
                )
            )
        return result

    def fill_times(
        self, start: datetime, end: datetime, clinic_id: int | None = None
    ) -> list[timedelta]:
        return [
            o.filled_at - o.created_at
            for o in self.uow.openings.all()
            if o.status is OpeningStatus.FILLED
            and clinic_id in (None, o.clinic_id)
            and start <= o.filled_at < end
        ]


class FakeUnitOfWork:
    """Commits by snapshot: leaving `with` without commit() restores the last commit."""

    def __init__(self) -> None:
        self.clinics = FakeClinics()
        self.clients = FakeClients()
        self.clients.uow = self
        self.client_clinics = FakeClientClinics()
        self.providers = FakeProviders()
        self.services = FakeServices()
        self.appointments = FakeAppointments()
        self.entries = FakeEntries(self)
        self.openings = FakeOpenings(self)
        self.offers = FakeOffers()
        self.messages = FakeMessages()
        self.events = FakeEvents()
        self.reports = FakeReports(self)
        self.commits = 0
        self._saved = self._state()

    _TABLES = (
        "clinics",
        "clients",
        "client_clinics",
        "providers",
        "services",
        "appointments",
        "entries",
        "openings",
        "offers",
        "messages",
        "events",
    )

    def _state(self) -> dict[str, tuple[dict[int, Any], int]]:
        return {
            n: (copy.deepcopy(getattr(self, n).rows), getattr(self, n).next_id)
            for n in self._TABLES
        }

    def __enter__(self) -> FakeUnitOfWork:
        self._saved = self._state()
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()

    def commit(self) -> None:
        self._saved = self._state()
        self.commits += 1

    def rollback(self) -> None:
        for name, (rows, next_id) in self._saved.items():
            table = getattr(self, name)
            table.rows, table.next_id = copy.deepcopy(rows), next_id


class RecordingSender:
    """An SMS gateway that records what it was asked to send and answers as scripted."""

    def __init__(self, answers: list[SendResult] | None = None) -> None:
        self.sent: list[Message] = []
        self.answers = answers or []
        self.findings: list[Finding] = []

    def send(self, message: Message, clinic: Clinic | None = None) -> SendResult:
        self.sent.append(message)
        if self.answers:
            return self.answers.pop(0)
        return SendResult(ok=True, provider_sid=f"SM{len(self.sent):032d}")

    def lookup(self, message: Message, *, since: datetime) -> Finding:
        """What a gateway that received exactly `sent` would say (scripted by `findings`)."""
        if self.findings:
            return self.findings.pop(0)
        for index, sent in enumerate(self.sent, start=1):
            if sent.id == message.id:
                return Finding(Verdict.HAPPENED, f"SM{index:032d}")
        return Finding(Verdict.NEVER)
