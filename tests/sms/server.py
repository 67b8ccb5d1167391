"""The real app served by uvicorn on a free port, with Twilio pointed at a local fake, for
signed webhook tests over HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import uvicorn
from twilio.request_validator import RequestValidator

from bot.app import create_app
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from core import fill
from core.model import Event
from core.policy import Policy
from tests.fakes.twilio_api import FakeTwilioApi
from tests.scenario import NOW, World, build_world

AUTH_TOKEN = "test-auth-token-not-a-secret"


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)


class RecordingNotifier:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def published(self, events: list[Event]) -> None:
        self.events.extend(events)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]


@dataclass
class SmsServer:
    url: str
    runtime: Runtime
    world: World
    twilio: FakeTwilioApi
    clock: Clock
    notifier: RecordingNotifier
    token: str = AUTH_TOKEN
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def sign(self, path: str, form: dict[str, str], url: str | None = None) -> str:
        return str(RequestValidator(self.token).compute_signature(url or self.url + path, form))

    def post(
        self, path: str, form: dict[str, str], *, signature: str | None = None
    ) -> httpx.Response:
        sig = self.sign(path, form) if signature is None else signature
        headers = {"X-Twilio-Signature": sig} if sig else {}
        return self.http.post(self.url + path, data=form, headers=headers)

    def text(self, phone: str, body: str, sid: str | None = None) -> httpx.Response:
        sid = sid or f"SM{abs(hash((phone, body, time.time_ns()))):032d}"[:34]
        form = {"From": phone, "To": "+16175550000", "Body": body, "MessageSid": sid}
        return self.post("/sms/inbound", form)

    def cancel(self, appointment_id: int) -> fill.FillStep:
        with self.runtime.make_uow() as uow:
            step = fill.handle_cancellation(
                uow=uow,
                appointment_id=appointment_id,
                actor="staff",
                now=self.clock(),
                policy=self.runtime.policy,
            )
            uow.commit()
        return step


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_for(database_url: str, public_url: str, twilio_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = dict(
        database_url=database_url,
        public_url=public_url,
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from_number="+16175550000",
        twilio_api_base_url=twilio_url,
    )
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@contextmanager
def serve(
    database_url: str,
    twilio: FakeTwilioApi,
    *,
    policy: Policy | None = None,
    **settings: Any,
) -> Iterator[SmsServer]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    clock, notifier = Clock(), RecordingNotifier()
    runtime = build_runtime(
        settings_for(database_url, url, twilio.url, **settings), notifier=notifier
    )
    runtime.clock = clock
    if policy is not None:
        runtime.policy = policy
    sender = runtime.sender
    if hasattr(sender, "backoff"):
        sender.backoff = 0.01  # keep retries quick in tests
    world = build_world(runtime.make_uow, runtime.policy)
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime=runtime), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield SmsServer(url, runtime, world, twilio, clock, notifier)
    finally:
        server.should_exit = True
        thread.join(10)
        runtime.close()


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until `condition()` is truthy (texts go out on the dispatcher thread)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)
