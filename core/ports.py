"""What the domain needs from the outside world: repositories, a unit of work, an SMS port.

`storage/` implements the repositories on SQLAlchemy; `tests/unit/fakes.py` implements them in
memory. Repositories hand out detached copies of domain objects: changing one changes nothing
until it is passed back to `save`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Generic, NamedTuple, Protocol, Self, TypeVar

from core.lease import Finding
from core.model import (
    Appointment,
    Client,
    Clinic,
    EntryStatus,
    Event,
    Message,
    MessageStatus,
    Offer,
    OfferStatus,
    Opening,
    Provider,
    Service,
    WaitlistEntry,
)
from core.webhooks import Attempt, Delivery, WebhookEndpoint


@dataclass(frozen=True)
class SlotSpec:
    """An opening seen in the clinic's local time, as the candidate search needs it.

    `start_minute`/`end_minute` are minutes since local midnight; None means "the whole day"
    (used by notify_waitlist_clients, which knows only a date). `buckets` is the bit mask of
    the time-of-day buckets the slot touches (MORNING=1, AFTERNOON=2, EVENING=4); an entry that
    names buckets must name every one of them.
    """

    clinic_id: int
    service_id: int | None
    provider_id: int | None
    local_date: date
    weekday: int  # 0=Sun … 6=Sat
    start_minute: int | None
    end_minute: int | None
    buckets: int


class OpeningTimes(NamedTuple):
    """An opening's slot: where, when, what and with whom."""

    clinic_id: int
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    service_id: int | None
    provider_id: int | None


@dataclass(frozen=True)
class CandidateQuery:
    slot: SlotSpec
    now: datetime
    week_since: datetime  # offers since then count for fairness and the weekly cap
    day_since: datetime  # offers since then count for the daily cap
    cap_per_day: int  # 0 = no cap
    cap_per_week: int  # 0 = no cap
    exclude_opening_id: int | None  # entries already offered this opening are left out
    limit: int
    exclude_client_id: int | None = None  # this client's entries are left out


@dataclass(frozen=True)
class Candidate:
    """A waiting entry that fits a slot, with what ranking and caps need to know."""

    entry: WaitlistEntry
    client: Client
    offers_this_week: int
    offers_today: int


@dataclass(frozen=True)
class EntryFilter:
    clinic_id: int | None = None
    clinic_ids: tuple[int, ...] = ()  # entries of any of these clinics (a STAFF token's)
    statuses: tuple[EntryStatus, ...] = ()
    service_id: int | None = None
    provider_ids: tuple[int, ...] = ()  # entries preferring any of them
    client_id: int | None = None
    priority: int | None = None
    date_from: date | None = None  # preferred_date_start >= date_from
    date_to: date | None = None  # preferred_date_end <= date_to
    appointment_types: tuple[str, ...] = ()
    appointment_categories: tuple[str, ...] = ()
    payment_type: str | None = None
    # False: only entries whose client cannot be texted (core.reachability); True: only those
    # who can; None: either.
    reachable: bool | None = None


SORT_FIELDS = ("created_at", "updated_at", "priority", "date_range_start", "date_range_end")


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int


class ClinicRepository(Protocol):
    def add(self, clinic: Clinic) -> Clinic: ...
    def get(self, clinic_id: int) -> Clinic | None: ...
    def get_by_name(self, name: str) -> Clinic | None: ...
    def list(self) -> list[Clinic]:
        """Every clinic, by id."""
        ...

    def by_slack_channel(self, channel_id: str) -> Clinic | None:
        """The clinic whose own Slack channel (settings.slack_channel) is `channel_id`."""
        ...

    def by_sender(self, phone_e164: str) -> Clinic | None:
        """The clinic a text sent to `phone_e164` is for (core.clinics.sender_match): the
        clinic with that number, else the only clinic with no number of its own."""
        ...

    def save(self, clinic: Clinic) -> None: ...


class ClientRepository(Protocol):
    def add(self, client: Client) -> Client: ...
    def get(self, client_id: int) -> Client | None: ...
    def get_by_phone(self, phone: str) -> Client | None: ...
    def get_many(self, client_ids: Sequence[int]) -> dict[int, Client]:
        """Clients by id, in one query; ids not found are left out."""
        ...

    def list(
        self,
        *,
        offset: int = 0,
        limit: int = 100,
        archived: bool = False,
        seen_at: Collection[int] | None = None,
    ) -> Page[Client]:
        """By id; archived clients only when `archived`. With `seen_at` (clinic ids), only the
        clients those clinics see: known at one (`clinics_of_clients`), or at no clinic yet."""
        ...

    def add_clinics(self, client_id: int, clinic_ids: Collection[int], now: datetime) -> None:
        """These clinics know the client from now on, before any entry or appointment there
        (their staff added the client, or found them on file by phone)."""
        ...

    def search(self, text: str, limit: int = 20) -> Sequence[Client]:
        """Clients not archived whose full name contains `text` (any case) or whose phone
        contains its digits (when it has two or more), by name; at most `limit`."""
        ...

    def save(self, client: Client) -> None: ...

    def erase_messages(self, client_id: int) -> None:
        """Blank the phone and text of every message to or from the client (erasure)."""
        ...


class ProviderRepository(Protocol):
    def add(self, provider: Provider) -> Provider: ...
    def get(self, provider_id: int) -> Provider | None: ...
    def list(self, clinic_id: int | None = None, *, archived: bool = False) -> list[Provider]:
        """By id; archived providers (gone from new work) only when `archived`."""
        ...

    def save(self, provider: Provider) -> None: ...


class ServiceRepository(Protocol):
    def add(self, service: Service) -> Service: ...
    def get(self, service_id: int) -> Service | None: ...
    def list(self, clinic_id: int | None = None, *, archived: bool = False) -> list[Service]:
        """By id; archived services only when `archived`."""
        ...

    def save(self, service: Service) -> None: ...


class AppointmentRepository(Protocol):
    def add(self, appointment: Appointment) -> Appointment:
        """Raises SlotConflict if a booked appointment of the provider overlaps it."""
        ...

    def get(self, appointment_id: int, *, for_update: bool = False) -> Appointment | None: ...
    def save(self, appointment: Appointment) -> None: ...

    def booked_between(
        self, provider_ids: Sequence[int], start: datetime, end: datetime
    ) -> list[Appointment]:
        """Booked appointments of these providers that overlap [start, end)."""
        ...

    def list(
        self,
        *,
        clinic_id: int | None = None,
        client_id: int | None = None,
        provider_id: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> Page[Appointment]: ...


class EntryRepository(Protocol):
    def add(self, entry: WaitlistEntry) -> WaitlistEntry: ...
    def get(self, entry_id: int, *, for_update: bool = False) -> WaitlistEntry | None: ...
    def save(self, entry: WaitlistEntry) -> None: ...

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
        """In one statement: the entries of `entry_ids` whose status is still `current` get
        `status`, the field values in `changes`, updated_at `now` and updated_by `actor`.
        Returns the ids that moved (locked for the rest of the transaction). With
        `skip_busy`, entries another transaction is changing are left out, not waited for;
        with `limit`, only the first `limit` that can move do, in the order of `entry_ids`."""
        ...

    def candidates(self, query: CandidateQuery) -> list[Candidate]:
        """Waiting entries that fit the slot, best first, at most `limit`.

        Fit is `core.matching.entry_fits` (date range, days, time window or buckets, service,
        provider, expiry). Left out: entries of clients who hold a pending offer, entries with
        an offer for `exclude_opening_id`, entries of `exclude_client_id` (whose cancelled
        appointment the slot is), and clients at a contact cap. Order: priority, then
        offers_this_week, then created_at, then id.
        """
        ...

    def counts_by_status(self, clinic_id: int | None = None) -> dict[EntryStatus, int]: ...

    def clinics_of_clients(self, client_ids: Sequence[int]) -> dict[int, set[int]]:
        """The clinics each client is known at, in one query: a waitlist entry or an
        appointment there, or added there (`ClientRepository.add_clinics`); clients known
        nowhere are left out."""
        ...

    def average_wait_days(self, clinic_id: int | None = None) -> float | None:
        """Mean of (booked_at - created_at) in days over booked entries; None if none."""
        ...

    def ids_to_expire(
        self, *, now: datetime, created_before: datetime, clinic_id: int | None = None
    ) -> list[int]:
        """Active entries (of the clinic, if given) whose expires_at <= now or created_at <
        created_before."""
        ...

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
        """Entries matching the filters, each with how many of `slots` it fits now (waiting
        entries only: `core.matching.entry_fits`), ordered by that count, then created_at,
        then id, all in the same direction. One query for the page, whatever its size."""
        ...

    # Last in the class: a method named `list` would shadow the builtin in the annotations
    # that follow it.
    def list(
        self,
        filters: EntryFilter,
        *,
        sort_by: str = "created_at",
        descending: bool = True,
        offset: int = 0,
        limit: int = 20,
    ) -> Page[WaitlistEntry]: ...


@dataclass(frozen=True)
class Standing:
    """Where the sender of a text stands: the client with that phone, their latest offer, its
    opening and the opening's clinic (each None when there is none)."""

    client: Client | None = None
    offer: Offer | None = None
    opening: Opening | None = None
    clinic: Clinic | None = None


class OpeningRepository(Protocol):
    def standing(self, phone: str) -> Standing:
        """`Standing` of the client with this phone, in one read."""
        ...

    def add(self, opening: Opening) -> Opening: ...
    def get(self, opening_id: int, *, for_update: bool = False) -> Opening | None: ...
    def get_by_origin(self, appointment_id: int) -> Opening | None: ...
    def save(self, opening: Opening) -> None:
        """Store what changed in an opening's state (its status and outcome)."""
        ...

    def lock_for_entry(self, entry_id: int) -> Opening | None:
        """The opening of the entry's latest offer, locked as `get(..., for_update=True)`
        does; None if the entry was never offered anything."""
        ...

    def open_ids(self) -> list[int]: ...

    def get_many(self, opening_ids: Sequence[int]) -> dict[int, Opening]:
        """Openings by id, in one query; ids not found are left out."""
        ...

    def still_open(
        self,
        now: datetime,
        *,
        provider_ids: Collection[int] | None = None,
        between: tuple[datetime, datetime] | None = None,
        origin_client_id: int | None = None,
    ) -> list[Opening]:
        """Open openings whose cut-off is still ahead: the slots that can be offered now, by
        id. Only those of `provider_ids`, taking some of the time `between` (start, end), or
        made from `origin_client_id`'s cancelled appointments, when given."""
        ...

    def still_open_times(self, now: datetime) -> list[OpeningTimes]:
        """What `still_open` returns, only the fields a slot is made of (a lighter read)."""
        ...


class OfferRepository(Protocol):
    def add(self, offer: Offer) -> Offer: ...
    def get(self, offer_id: int) -> Offer | None:
        """Read afresh from the database, not from what this transaction saw before."""
        ...

    def save(self, offer: Offer) -> None: ...

    def add_many(self, offers: Sequence[Offer]) -> list[Offer]:
        """Add offers in one statement, leaving out any that would give a client a second
        pending offer or an entry a second offer for the same opening. Returns those added."""
        ...

    def close(
        self,
        opening_id: int,
        status: OfferStatus,
        *,
        now: datetime,
        offer_ids: Sequence[int] | None = None,
        due_by: datetime | None = None,
    ) -> list[Offer]:
        """In one statement: pending offers of the opening (only those of `offer_ids` if
        given; only those expiring at or before `due_by` if given) get `status` and
        responded_at `now`. Returns them as they are now."""
        ...

    def settle(self, opening_id: int, accepted_id: int, *, now: datetime) -> list[Offer]:
        """The opening is booked, in one statement: its pending offer `accepted_id` becomes
        accepted and every other pending one withdrawn (responded_at `now`). Returns them."""
        ...

    def for_opening(self, opening_id: int) -> list[Offer]: ...
    def pending_for_client(self, client_id: int) -> Offer | None: ...
    def latest_for_entry(self, entry_id: int) -> Offer | None: ...
    def for_entries(self, entry_ids: Sequence[int]) -> list[Offer]: ...
    def latest_for_client(self, client_id: int) -> Offer | None: ...

    def count_for_client(self, client_id: int, since: datetime) -> int:
        """Offers made to the client at or after `since` (the contact caps)."""
        ...


class MessageRepository(Protocol):
    def add(self, message: Message) -> Message: ...
    def add_many(self, messages: Sequence[Message]) -> None:
        """Add messages in one statement (their ids are set)."""
        ...

    def get(self, message_id: int) -> Message | None: ...
    def save(self, message: Message) -> None: ...
    def queued(self, limit: int = 100) -> list[Message]: ...
    def queued_past(self, limit: int, *, hold: Mapping[str, datetime]) -> list[Message]:
        """Queued messages, oldest first, leaving out those of a kind in `hold` created after
        the moment given for it (held back for a while): they would hide the ones behind."""
        ...

    def claim(self, message_ids: Sequence[int], now: datetime) -> Message | None:
        """Atomically move the first of these messages (lowest id) that is still queued to
        `sending` (attempts + 1) and return it; None if none is queued any more (other
        dispatchers took them). One that another dispatcher is claiming at this very moment
        is passed over, so dispatchers working through the same list take turns, not the
        same message."""
        ...

    def move(
        self,
        message_id: int,
        *,
        from_: Collection[MessageStatus],
        to: MessageStatus,
        claimed_at: datetime | None = None,
        changes: Mapping[str, object] | None = None,
    ) -> bool:
        """Compare-and-set: move the message to `to` (and apply `changes`, Message fields) only
        if its status is one of `from_` and, given `claimed_at`, it is still that claim's
        (`updated_at` unchanged since the claim). False, changing nothing, otherwise."""
        ...

    def note_sent(self, message_id: int, *, provider_sid: str | None, sent_at: datetime) -> None:
        """Fill in the gateway's id and the send time where they are still empty, whatever
        the status (a delivery report may have moved it on before the send returned)."""
        ...

    def claimed_before(self, moment: datetime, limit: int = 100) -> list[Message]:
        """Messages still `sending` whose claim was made before `moment`, oldest first."""
        ...

    def get_by_provider_sid(self, sid: str) -> Message | None: ...

    def add_inbound(self, message: Message) -> Message:
        """Record a received text. Raises DuplicateMessage if its provider_sid was seen before;
        the unique index makes that check atomic across processes."""
        ...

    def for_client(self, client_id: int, limit: int = 50) -> list[Message]: ...
    def recent(self, limit: int = 50) -> list[Message]: ...


class WebhookRepository(Protocol):
    """Webhook endpoints, and the outbox of their events and deliveries."""

    def add_endpoint(self, endpoint: WebhookEndpoint) -> WebhookEndpoint: ...
    def get_endpoint(self, endpoint_id: int) -> WebhookEndpoint | None: ...
    def save_endpoint(self, endpoint: WebhookEndpoint) -> None: ...
    def endpoints(
        self, clinic_id: int | None = None, *, offset: int = 0, limit: int = 100
    ) -> Page[WebhookEndpoint]: ...

    def enqueue(self, events: Sequence[Event], now: datetime) -> int:
        """Write the webhook events these Events stand for (`core.webhooks.webhook_events`)
        and a pending delivery for each enabled endpoint subscribed to them, in the current
        transaction. Returns the number of deliveries written."""
        ...

    def claim_due(self, now: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries due by `now` of enabled endpoints, moved to `delivering` with
        `claimed_at = now` and one more attempt; a delivery is claimed by one caller only."""
        ...

    def finish(
        self, delivery: Delivery, attempt: Attempt, *, now: datetime, retry_at: datetime | None
    ) -> bool:
        """Record the attempt if the delivery is still this claim's (compare-and-set on
        `claimed_at`): delivered, or pending again at `retry_at`. False if the claim was lost."""
        ...

    def release_claims(self, *, claimed_before: datetime, now: datetime) -> int: ...
    def get_delivery(self, delivery_id: int) -> Delivery | None: ...
    def add_delivery_again(self, delivery: Delivery, now: datetime) -> Delivery: ...
    def deliveries(self, endpoint_id: int, *, offset: int = 0, limit: int = 100) -> Page[Delivery]:
        """Newest first."""
        ...


class EventRepository(Protocol):
    def add(self, event: Event) -> Event: ...
    def add_many(self, events: Sequence[Event]) -> None:
        """Append events in one statement, in order (their ids are set)."""
        ...

    def list(
        self, *, opening_id: int | None = None, entry_id: int | None = None, limit: int = 200
    ) -> list[Event]: ...
    def exists(self, *, kind: str, opening_id: int | None, entry_id: int | None) -> bool: ...


@dataclass(frozen=True)
class FillCounts:
    """What the fills did in one window of time."""

    openings: int = 0  # openings created
    filled: int = 0  # openings booked
    expired: int = 0  # openings that reached their cut-off unfilled
    offers_sent: int = 0
    accepted: int = 0  # of the offers sent in the window, those accepted


@dataclass(frozen=True)
class EntryCounts:
    """A clinic's (or every clinic's) waitlist entries by status, as kept by the database."""

    counts: Mapping[EntryStatus, int]
    average_wait_days: float | None  # joining → booking, over booked entries; None if none


class ReportRepository(Protocol):
    """Aggregates for the stats report; counting is done by the database."""

    def entry_counts(self, clinic_id: int | None = None) -> EntryCounts:
        """The kept counts: a handful of rows, whatever the number of entries."""
        ...

    def fold_entry_counts(self) -> int:
        """Move pending changes into the kept counts; how many kept rows changed."""
        ...

    def fill_counts(
        self, bounds: Sequence[datetime], clinic_id: int | None = None
    ) -> list[FillCounts]:
        """One FillCounts per window [bounds[i], bounds[i + 1]), in order."""
        ...

    def fill_times(
        self, start: datetime, end: datetime, clinic_id: int | None = None
    ) -> list[timedelta]:
        """For each opening filled in [start, end), the time from its creation to booking."""
        ...


class UnitOfWork(Protocol):
    """One transaction. `with uow:` begins it; `commit()` makes it stick; leaving the block
    without committing rolls it back. A unit of work may be entered again for a new one."""

    clinics: ClinicRepository
    clients: ClientRepository
    providers: ProviderRepository
    services: ServiceRepository
    appointments: AppointmentRepository
    entries: EntryRepository
    openings: OpeningRepository
    offers: OfferRepository
    messages: MessageRepository
    events: EventRepository
    reports: ReportRepository
    webhooks: WebhookRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...
    def rollback(self) -> None: ...


@dataclass(frozen=True)
class SendResult:
    """What the SMS gateway said. `permanent_error` is set when retrying cannot help;
    `in_doubt` when the answer was lost and the gateway could not be asked whether it has the
    message (the claim is then left for the lease's recovery to settle)."""

    ok: bool
    provider_sid: str | None = None
    error_code: str | None = None
    permanent_error: bool = False
    in_doubt: bool = False


class SmsSender(Protocol):
    def send(self, message: Message, clinic: Clinic | None = None) -> SendResult:
        """Hand the text to the gateway. `clinic` is the text's clinic when the caller has
        read it already (its own number or Messaging Service sends it); else it is read."""
        ...

    def lookup(self, message: Message, *, since: datetime) -> Finding:
        """Whether the gateway has this message (same phone and text, created since `since`):
        HAPPENED with its id, NEVER, or UNKNOWN when the gateway could not be asked."""
        ...


class StaffNotifier(Protocol):
    """Tells the clinic's staff what happened (the Slack channel; the log without Slack).

    Called after a transaction commits, with the Events it recorded, oldest first. It must
    return quickly (slow delivery belongs on a thread of its own) and must never raise.
    """

    def published(self, events: Sequence[Event]) -> None: ...
