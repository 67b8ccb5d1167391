"""Fill progress in each clinic's Slack channel: one thread per opening (its parent message is
kept up to date), plus texts from patients the SMS side could not understand.

Each clinic's events go to its own channel (a clinic that sets none uses the deployment's),
with times in its own zone: both from `core.clinics.clinic_config`.

`published` only queues; a single background thread talks to Slack, in commit order, so a
slow or failing Slack never delays nor breaks a transaction. Patients appear by first name and
entry reference only.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.settings import Settings
from bot.slack import blocks
from core.clinics import ClinicConfig, clinic_config
from core.model import ACTIVE_STATUSES, Clinic, Event, EventKind
from core.ports import EntryFilter, UnitOfWork
from storage.repositories.slack_threads import SlackThreads
from storage.uow import uow_factory

log = logging.getLogger("waitlist.slack")

THREAD_KINDS = frozenset(
    {
        EventKind.OPENING_CREATED,
        EventKind.OFFER_SENT,
        EventKind.OFFER_DECLINED,
        EventKind.OFFER_LAPSED,
        EventKind.OFFER_FAILED,
        EventKind.OFFER_WITHDRAWN,
        EventKind.OFFER_DEFERRED,
        EventKind.CANDIDATE_SKIPPED,
        EventKind.NO_CANDIDATES,
        EventKind.OFFER_ACCEPTED,
        EventKind.OPENING_FILLED,
        EventKind.OPENING_EXPIRED,
    }
)
# What patients said that staff should read or know (see core.conversation, core.patients).
CHANNEL_KINDS = frozenset(
    {
        EventKind.SMS_NOT_UNDERSTOOD,
        EventKind.SMS_FOR_STAFF,
        EventKind.CLIENT_OPTED_OUT,
        EventKind.CLIENT_LEFT_WAITLIST,
        EventKind.WRONG_NUMBER,
        EventKind.CLIENT_UNREACHABLE,
    }
)
# What the system itself must tell staff (see core.deliveries).
SYSTEM_KINDS = frozenset({EventKind.WEBHOOK_ENDPOINT_DISABLED})


@dataclass(frozen=True)
class Where:
    """Where one event is told: the clinic's channel, in the clinic's zone."""

    channel: str | None
    timezone: str


class SlackNotifier:
    def __init__(
        self,
        client: WebClient,
        channel: str | None,
        make_uow: Callable[[], UnitOfWork],
        threads: SlackThreads,
        configure: Callable[[Clinic], ClinicConfig],
    ) -> None:
        """`channel` is the deployment's, for what belongs to no clinic; `configure` is the
        runtime's `clinic_config`."""
        self.client, self.channel, self.make_uow = client, channel, make_uow
        self.threads, self.configure = threads, configure
        self._queue: queue.Queue[list[Event]] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def published(self, events: Sequence[Event]) -> None:
        wanted = [e for e in events if e.kind in THREAD_KINDS | CHANNEL_KINDS | SYSTEM_KINDS]
        if not wanted:
            return
        self._queue.put(wanted)
        with self._start_lock:
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._run, name="slack-notifier", daemon=True
                )
                self._worker.start()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything queued so far was delivered (tests, the console)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def _run(self) -> None:
        while True:
            events = self._queue.get()
            for event in events:
                try:
                    self.deliver(event)
                except Exception:  # noqa: BLE001 (a chat failure must not stop later updates)
                    log.exception(
                        "could not post %s for opening %s to Slack", event.kind, event.opening_id
                    )
            self._queue.task_done()

    def deliver(self, event: Event) -> None:
        if event.kind == EventKind.WEBHOOK_ENDPOINT_DISABLED:
            if self.channel:
                self.client.chat_postMessage(channel=self.channel, text=_webhook_disabled(event))
            else:
                _unposted(event)
            return
        if event.kind in CHANNEL_KINDS:
            text = self._from_patient(event)
            channels = self._patient_channels(event)
            for channel in channels:
                self.client.chat_postMessage(channel=channel, text=text)
            if not channels:
                _unposted(event)
            return
        if event.opening_id is None:
            return
        where = self._where(event)
        thread = self._thread(event.opening_id, where)
        if thread is None:
            _unposted(event)
            return
        if event.kind == EventKind.OPENING_CREATED:
            return  # the parent message is the announcement
        channel, ts = thread
        line = self._line(event, where.timezone)
        self.client.chat_postMessage(channel=channel, thread_ts=ts, text=line)
        if event.kind in (EventKind.OPENING_FILLED, EventKind.OPENING_EXPIRED):
            head = self._headline(event.opening_id, where.timezone)
            self.client.chat_update(
                channel=channel, ts=ts, text=head, blocks=[blocks.section(head)]
            )

    def _where(self, event: Event) -> Where:
        """The channel and zone of the event's clinic (its opening's, when it has one)."""
        with self.make_uow() as uow:
            opening = uow.openings.get(event.opening_id) if event.opening_id else None
            clinic_id = opening.clinic_id if opening is not None else event.clinic_id
            clinic = uow.clinics.get(clinic_id) if clinic_id is not None else None
            if clinic is None:  # a one-clinic deployment's events need not name it
                clinics = uow.clinics.list()
                clinic = clinics[0] if len(clinics) == 1 else None
        if clinic is None:
            return Where(self.channel, "UTC")
        config = self.configure(clinic)
        return Where(config.slack_channel or self.channel, config.timezone)

    def _patient_channels(self, event: Event) -> list[str]:
        """Where a patient's news goes: their clinic's channel when the event names it (or
        its opening does); else (an opt-out, a wrong number: news about the person) the
        channel of each clinic they wait at; else the deployment's."""
        if event.clinic_id is not None or event.opening_id is not None or event.client_id is None:
            channel = self._where(event).channel
            return [channel] if channel else []
        with self.make_uow() as uow:
            waiting = uow.entries.list(
                EntryFilter(client_id=event.client_id, statuses=tuple(ACTIVE_STATUSES)), limit=50
            ).items
            clinics = [uow.clinics.get(i) for i in sorted({e.clinic_id for e in waiting})]
        channels = [self.configure(c).slack_channel or self.channel for c in clinics if c]
        found = list(dict.fromkeys(c for c in channels if c))
        return found or ([self.channel] if self.channel else [])

    def _thread(self, opening_id: int, where: Where) -> tuple[str, str] | None:
        found = self.threads.get(opening_id)
        if found is not None:
            return found
        if not where.channel:
            return None
        # Announced as it was when opened; its end updates the parent when that comes.
        head = self._headline(opening_id, where.timezone, as_opened=True)
        posted = self.client.chat_postMessage(
            channel=where.channel, text=head, blocks=[blocks.section(head)]
        )
        return self.threads.remember(
            opening_id, str(posted["channel"]), str(posted["ts"]), datetime.now(UTC)
        )

    def _headline(self, opening_id: int, timezone: str, *, as_opened: bool = False) -> str:
        with self.make_uow() as uow:
            opening = uow.openings.get(opening_id)
            if opening is None:
                return f"Opening O-{opening_id}"
            provider = uow.providers.get(opening.provider_id)
            service = uow.services.get(opening.service_id)
            filled = uow.entries.get(opening.filled_entry_id) if opening.filled_entry_id else None
            client = uow.clients.get(filled.client_id) if filled else None
        what = f"{service.name if service else 'a slot'} with {provider.name if provider else '?'}"
        head = f"*{opening.ref}* {blocks.when(opening.starts_at, timezone)} · {what}"
        if as_opened:
            return f":calendar: {head} — filling from the waitlist"
        if opening.status == "filled" and client is not None and filled is not None:
            booked = blocks.client_line(client.first_name, filled.ref)
            return f":white_check_mark: {head} — booked: {booked}"
        if opening.status == "expired":
            return f":hourglass: {head} — expired unfilled"
        return f":calendar: {head} — filling from the waitlist"

    def _who(self, event: Event) -> str:
        if event.entry_id is None:
            return "someone"
        with self.make_uow() as uow:
            entry = uow.entries.get(event.entry_id)
            client = uow.clients.get(entry.client_id) if entry else None
        return blocks.client_line(client.first_name if client else "?", f"W-{event.entry_id}")

    def _line(self, event: Event, timezone: str) -> str:
        who = self._who(event)
        data = event.data
        if event.kind == EventKind.OFFER_SENT:
            until = _moment(data.get("expires_at"))
            hold = f", holds until {blocks.when(until, timezone)}" if until else ""
            return f"Offered to {who}{hold}."
        if event.kind == EventKind.OFFER_DEFERRED:
            until = _moment(data.get("until"))
            later = f" (texts resume {blocks.when(until, timezone)})" if until else ""
            return f"{who} waits for quiet hours to end{later}."
        if event.kind == EventKind.CANDIDATE_SKIPPED:
            return f"Skipped {who}: {data.get('reason', 'cannot be texted')}."
        if event.kind == EventKind.OPENING_FILLED:
            minutes = int(data.get("seconds_to_fill", 0)) // 60
            return f":white_check_mark: Booked {who} (filled in {minutes} min)."
        if event.kind == EventKind.OPENING_EXPIRED:
            return ":hourglass: Expired unfilled: the cut-off was reached."
        return {
            EventKind.OFFER_DECLINED: f"{who} said no.",
            EventKind.OFFER_LAPSED: f"The offer to {who} lapsed with no answer.",
            EventKind.OFFER_FAILED: f"The text to {who} could not be delivered; moving on.",
            EventKind.OFFER_WITHDRAWN: f"The offer to {who} was withdrawn.",
            EventKind.NO_CANDIDATES: "No one else on the waitlist fits this slot right now.",
            EventKind.OFFER_ACCEPTED: f"{who} said YES.",
        }.get(event.kind, event.kind)

    def _from_patient(self, event: Event) -> str:
        """What a patient's text did, for staff: who (first name, client id, masked phone),
        their words, and what became of their entries."""
        data = event.data
        who = f"from {data.get('phone', '?')}"
        if event.client_id is not None:
            with self.make_uow() as uow:
                client = uow.clients.get(event.client_id)
            if client is not None:
                who += f" ({client.first_name}, client {client.id})"
        words = f"“{data.get('text', '')}”"
        refs = ", ".join(data.get("entries") or [])
        kept = f" {refs} stay{'s' if ',' not in refs else ''} on the waitlist" if refs else ""
        if event.kind == EventKind.SMS_FOR_STAFF:
            about = f" about opening O-{event.opening_id}" if event.opening_id else ""
            reason = {
                "question": ":question: A question",
                "conditional": ":speech_balloon: A conditional answer (nothing booked)",
                "no_after_booking": ":speech_balloon: A reply to a booking",
            }.get(str(data.get("reason")), ":speech_balloon: A text")
            return f"{reason} {who}{about}: {words}"
        if event.kind == EventKind.CLIENT_OPTED_OUT:
            tail = f";{kept} but cannot be texted" if kept else "."
            return f":no_bell: Opted out of texts {who}: {words}{tail}"
        if event.kind == EventKind.WRONG_NUMBER:
            tail = f";{kept} but cannot be texted until the number is fixed" if kept else "."
            return f":no_mobile_phones: Wrong number {who}: {words}. Phone marked invalid{tail}"
        if event.kind == EventKind.CLIENT_LEFT_WAITLIST:
            gone = f" {refs} cancelled." if refs else " They had no active entry."
            return f":wave: Left the waitlist {who}: {words}.{gone}"
        if event.kind == EventKind.CLIENT_UNREACHABLE:
            return (
                f":no_mobile_phones: Texts no longer reach the client {who} (carrier error "
                f"{data.get('error_code', '?')}); their entries cannot be texted."
            )
        return f":speech_balloon: A text {who} was not understood: {words}"


def _unposted(event: Event) -> None:
    """No channel for it (its clinic sets none, nor does the deployment): the log tells it."""
    log.info("event %s opening=%s entry=%s", event.kind, event.opening_id, event.entry_id)


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def slack_notifier(settings: Settings, engine: Engine) -> SlackNotifier | None:
    """The notifier for this configuration, or None without a bot token. Clinics name their
    own channels, so a deployment without a channel of its own may still post."""
    if settings.slack_bot_token is None:
        return None
    client = WebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    defaults, policy = settings.clinic_defaults(), settings.policy()
    return SlackNotifier(
        client,
        settings.slack_channel or None,
        uow_factory(engine),
        SlackThreads(engine),
        lambda clinic: clinic_config(clinic, defaults, policy),
    )


def _webhook_disabled(event: Event) -> str:
    return (
        f":warning: Webhook endpoint {event.data.get('endpoint_id')} "
        f"({event.data.get('host')}) failed for 24 hours and was turned off; "
        f"last error: {event.data.get('last_error')}. Events are kept: an admin can turn "
        "it on again (PATCH /apis/v1/webhook-endpoints/{id} with enabled=true)."
    )
