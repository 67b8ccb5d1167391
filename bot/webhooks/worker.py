"""The delivery worker: claims due deliveries from the outbox, POSTs them signed, and records
each attempt. A thread of `waitlist serve` and `waitlist worker`, like the SMS dispatcher.

Retries are rows, not sleeps: a failed attempt sets the delivery's next_attempt_at
(`core.webhooks.next_attempt`), so backoff survives restarts and one slow receiver never
holds the thread longer than the request timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import httpx

from bot.runtime import Runtime
from bot.webhooks.signing import signed_headers
from core.deliveries import claim_deliveries, settle
from core.webhooks import Attempt, Delivery

log = logging.getLogger("waitlist.webhooks")

TIMEOUT_SECONDS = 10.0
BATCH = 20


class WebhookWorker:
    def __init__(
        self,
        runtime: Runtime,
        *,
        every_seconds: float = 2.0,
        http: httpx.Client | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.runtime = runtime
        self.every_seconds = every_seconds
        self._http = http  # made on first use: building its TLS context takes a while
        self.wall_clock = wall_clock  # the signed timestamp: when it is sent, for replay checks
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self.runtime.webhooks_ready.set()
        self._thread.join(timeout)
        if self._http is not None:
            self._http.close()

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
        return self._http

    def deliver_now(self) -> int:
        """One pass: claim what is due, send it, record the outcome. Returns how many
        deliveries were attempted."""
        runtime = self.runtime
        with runtime.make_uow() as uow:
            batch = claim_deliveries(uow=uow, now=runtime.clock(), limit=BATCH)
            uow.commit()
        for delivery in batch:
            attempt = self.send(delivery)
            with runtime.make_uow() as uow:
                settle(uow=uow, delivery=delivery, attempt=attempt, now=runtime.clock())
                uow.commit()
        return len(batch)

    def send(self, delivery: Delivery) -> Attempt:
        headers = signed_headers(
            secret=delivery.secret,
            event_id=delivery.event_uid,
            event_type=delivery.event_type,
            timestamp=int(self.wall_clock()),
            body=delivery.payload,
        )
        try:
            response = self.http.post(delivery.url, content=delivery.payload, headers=headers)
        except httpx.HTTPError as exc:
            return Attempt(ok=False, error=f"{type(exc).__name__}: {exc}"[:300])
        ok = 200 <= response.status_code < 300
        return Attempt(ok=ok, status_code=response.status_code, error=None if ok else "not 2xx")

    def _run(self) -> None:
        ready = self.runtime.webhooks_ready
        while not self._stop.is_set():
            ready.wait(self.every_seconds)
            ready.clear()
            if self._stop.is_set():
                break
            try:
                while self.deliver_now() and not self._stop.is_set():
                    pass
            except Exception:  # the thread must outlive a bad pass; the next one retries
                log.exception("webhook delivery pass failed")
