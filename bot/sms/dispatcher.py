"""The outbox dispatcher thread of `waitlist serve`: sends queued texts as soon as a commit
queues them, and looks again every few seconds for retries and texts held by quiet hours."""

from __future__ import annotations

import logging
import threading

from bot.runtime import Runtime

log = logging.getLogger("waitlist.sms")


class OutboxDispatcher:
    def __init__(self, runtime: Runtime, *, every_seconds: float = 5.0) -> None:
        self.runtime = runtime
        self.every_seconds = every_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.runtime.outbox_ready.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        ready = self.runtime.outbox_ready
        while not self._stop.is_set():
            ready.wait(self.every_seconds)
            ready.clear()
            if self._stop.is_set():
                break
            try:
                while self.runtime.dispatch_now():  # until a pass sends nothing more
                    pass
            except Exception:  # the thread must outlive a bad pass; the next one retries
                log.exception("outbox dispatch failed")
