"""The composition root: settings -> database, unit of work, SMS transport, clock."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import Engine

from bot.console_sms import ConsoleSender
from bot.settings import Settings, twilio_ready
from core.clinics import ClinicConfig, ClinicSettings, clinic_config, clinic_sender
from core.model import Clinic, Event, EventKind, Message
from core.policy import Policy
from core.ports import SmsSender, StaffNotifier, UnitOfWork
from storage.db import make_engine
from storage.uow import uow_factory

log = logging.getLogger("waitlist")


def utc_now() -> datetime:
    return datetime.now(UTC)


class LogNotifier:
    """Without Slack, staff read what happened in the log (event kinds and refs, no PHI)."""

    def published(self, events: Sequence[Event]) -> None:
        for event in events:
            if event.kind is EventKind.JOB_RAN:  # every minute; the Event log keeps them
                continue
            log.info("event %s opening=%s entry=%s", event.kind, event.opening_id, event.entry_id)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    make_uow: Callable[[], UnitOfWork]
    sender: SmsSender
    policy: Policy
    notifier: StaffNotifier
    clock: Callable[[], datetime] = field(default=utc_now)
    # Set after every commit that recorded something: the outbox dispatcher wakes on it.
    outbox_ready: threading.Event = field(default_factory=threading.Event)
    # The same for the webhook delivery worker.
    webhooks_ready: threading.Event = field(default_factory=threading.Event)

    @cached_property
    def clinic_defaults(self) -> ClinicSettings:
        """The environment's settings: a clinic's for everything it does not set itself."""
        return self.settings.clinic_defaults()

    def clinic_config(self, clinic: Clinic) -> ClinicConfig:
        """The clinic's effective zone, policy, sender, channel, staff and texts."""
        return clinic_config(clinic, self.clinic_defaults, self.policy)

    def clinic_for_number(self, uow: UnitOfWork, to: str | None) -> Clinic | None:
        """The clinic an inbound text sent to `to` is for, or None for a number that is not
        one of ours. A clinic without a number of its own answers on the deployment's number
        (or on any, when the deployment has none configured, as a one-clinic setup may)."""
        clinic = uow.clinics.by_sender(to or "")
        if clinic is None and not to:  # the console or the CLI, with one clinic
            clinics = uow.clinics.list()
            return clinics[0] if len(clinics) == 1 else None
        if clinic is None or clinic.settings.twilio_from_number is not None:
            return clinic
        shared = self.settings.twilio_from_number
        if to and shared and to != shared:
            return None
        return clinic

    def sender_of(self, message: Message, clinic: Clinic | None = None) -> str | None:
        """The number or Messaging Service a text goes out from: its clinic's, as read when
        it is sent (by the dispatcher, or here), so a changed number takes effect at once."""
        if clinic is None and message.clinic_id is not None:
            with self.make_uow() as uow:
                clinic = uow.clinics.get(message.clinic_id)
        return clinic_sender(clinic, self.clinic_defaults) if clinic else None

    def dispatch_now(self) -> int:
        """Send what the outbox holds, here and now (the console and the CLI use this; the
        service has a dispatcher thread). Returns how many texts the gateway accepted."""
        from core.dispatch import dispatch_outbox

        return dispatch_outbox(
            uow_factory=self.make_uow,
            sender=self.sender,
            now=self.clock(),
            policy=self.policy,
            clock=self.clock,
        )

    def close(self) -> None:
        self.engine.dispose()


def build_runtime(
    settings: Settings,
    *,
    sender: SmsSender | None = None,
    notifier: StaffNotifier | None = None,
) -> Runtime:
    """Wire everything from settings. Connects lazily: nothing is opened until first use."""
    engine = make_engine(settings.database_url)
    if notifier is None and settings.slack_bot_token:  # clinics may name their own channels
        from bot.slack.notifier import slack_notifier

        notifier = slack_notifier(settings, engine)
    notifier = notifier or LogNotifier()
    outbox_ready, webhooks_ready = threading.Event(), threading.Event()

    def published(events: list[Event], deliveries: int) -> None:
        outbox_ready.set()
        if deliveries:  # retries are found by the worker's own rounds
            webhooks_ready.set()
        notifier.published(events)

    runtime = Runtime(
        settings=settings,
        engine=engine,
        make_uow=uow_factory(engine, published),
        sender=sender or ConsoleSender(),
        policy=settings.policy(),
        notifier=notifier,
        outbox_ready=outbox_ready,
        webhooks_ready=webhooks_ready,
    )
    if sender is None:
        runtime.sender = sms_sender(settings, sender_of=runtime.sender_of)
    return runtime


def sms_sender(
    settings: Settings, sender_of: Callable[[Message], str | None] | None = None
) -> SmsSender:
    """Twilio when it is configured; otherwise texts are printed and kept in the outbox.
    `sender_of` gives a text's clinic's own number or Messaging Service."""
    if not twilio_ready(settings):
        return ConsoleSender(sender_of=sender_of)
    from bot.sms.twilio_sender import TwilioSender

    token = settings.twilio_auth_token
    return TwilioSender(
        account_sid=settings.twilio_account_sid or "",
        auth_token=token.get_secret_value() if token else "",
        from_number=settings.twilio_from_number,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        status_callback=settings.public_url.rstrip("/") + "/sms/status",
        base_url=settings.twilio_api_base_url,
        within=settings.sms_lease_seconds,
        sender_of=sender_of,
    )


def banner(settings: Settings) -> list[str]:
    """What the service says about itself at start: where data lives and what is off."""
    lines = [f"Waitlist: database {_safe_url(settings.database_url)}"]
    if not twilio_ready(settings):
        lines.append("SMS: no Twilio credentials; texts go to the console and the outbox only.")
    else:
        lines.append(f"SMS: Twilio; webhooks at {settings.public_url.rstrip('/')}/sms/inbound.")
        if not (settings.twilio_from_number or settings.twilio_messaging_service_sid):
            lines.append(
                "SMS: no TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID; every clinic "
                "must set its own number."
            )
    if not (settings.slack_bot_token and settings.slack_signing_secret):
        lines.append("Slack: no credentials; the Slack bot is off.")
    elif not settings.staff_ids:
        lines.append("Slack: WAITLIST_SLACK_STAFF is not set; anyone in the workspace may act.")
    return lines


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
