"""Fill progress in the clinic's Slack channel: one thread per opening (its parent message is
kept up to date), plus texts from patients the SMS side could not understand.

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
from datetime import UTC, datetime

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.settings import Settings
from bot.slack import blocks
from core.model import Event, EventKind
from core.ports import UnitOfWork
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


class SlackNotifier:
    def __init__(
        self,
        client: WebClient,
        channel: str,
        make_uow: Callable[[], UnitOfWork],
        threads: SlackThreads,
        timezone: str,
    ) -> None:
        self.client, self.channel, self.make_uow = client, channel, make_uow
        self.threads, self.timezone = threads, timezone
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
            self.client.chat_postMessage(channel=self.channel, text=_webhook_disabled(event))
            return
        if event.kind in CHANNEL_KINDS:
            self.client.chat_postMessage(channel=self.channel, text=self._from_patient(event))
            return
        if event.opening_id is None:
            return
        channel, ts = self._thread(event.opening_id)
        if event.kind == EventKind.OPENING_CREATED:
            return  # the parent message is the announcement
        line = self._line(event)
        self.client.chat_postMessage(channel=channel, thread_ts=ts, text=line)
        if event.kind in (EventKind.OPENING_FILLED, EventKind.OPENING_EXPIRED):
            head = self._headline(event.opening_id)
            self.client.chat_update(
                channel=channel, ts=ts, text=head, blocks=[blocks.section(head)]
            )

    def _thread(self, opening_id: int) -> tuple[str, str]:
        found = self.threads.get(opening_id)
        if found is not None:
            return found
        # Announced as it was when opened; its end updates the parent when that comes.
        head = self._headline(opening_id, as_opened=True)
        posted = self.client.chat_postMessage(
            channel=self.channel, text=head, blocks=[blocks.section(head)]
        )
        return self.threads.remember(
            opening_id, str(posted["channel"]), str(posted["ts"]), datetime.now(UTC)
        )

    def _headline(self, opening_id: int, *, as_opened: bool = False) -> str:
        with self.make_uow() as uow:
            opening = uow.openings.get(opening_id)
            if opening is None:
                return f"Opening O-{opening_id}"
            provider = uow.providers.get(opening.provider_id)
            service = uow.services.get(opening.service_id)
            filled = uow.entries.get(opening.filled_entry_id) if opening.filled_entry_id else None
            client = uow.clients.get(filled.client_id) if filled else None
        what = f"{service.name if service else 'a slot'} with {provider.name if provider else '?'}"
        head = f"*{opening.ref}* {blocks.when(opening.starts_at, self.timezone)} · {what}"
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

    def _line(self, event: Event) -> str:
        who = self._who(event)
        data = event.data
        if event.kind == EventKind.OFFER_SENT:
            until = _moment(data.get("expires_at"))
            hold = f", holds until {blocks.when(until, self.timezone)}" if until else ""
            return f"Offered to {who}{hold}."
        if event.kind == EventKind.OFFER_DEFERRED:
            until = _moment(data.get("until"))
            later = f" (texts resume {blocks.when(until, self.timezone)})" if until else ""
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


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def slack_notifier(settings: Settings, engine: Engine) -> SlackNotifier | None:
    """The notifier for this configuration, or None without a bot token and a channel."""
    if settings.slack_bot_token is None or not settings.slack_channel:
        return None
    client = WebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    return SlackNotifier(
        client, settings.slack_channel, uow_factory(engine), SlackThreads(engine), settings.timezone
    )


def _webhook_disabled(event: Event) -> str:
    return (
        f":warning: Webhook endpoint {event.data.get('endpoint_id')} "
        f"({event.data.get('host')}) failed for 24 hours and was turned off; "
        f"last error: {event.data.get('last_error')}. Events are kept: an admin can turn "
        "it on again (PATCH /apis/v1/webhook-endpoints/{id} with enabled=true)."
    )
