"""A small receiving HTTP server, as an integrator would run one: it verifies both signatures
of every delivery and records what it got, answering with the statuses it is told to."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook

from bot.webhooks.signing import key_of

TOLERANCE_SECONDS = 300


@dataclass
class Received:
    event_id: str
    event_type: str
    payload: dict[str, Any]
    status: int  # what the receiver answered


@dataclass
class Receiver:
    url: str
    secret: str = ""
    statuses: list[int] = field(default_factory=list)  # answers to give first, then 200
    received: list[Received] = field(default_factory=list)
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[Received]:
        return [r for r in self.received if r.status == 200]

    def accepted_types(self) -> list[str]:
        return [r.event_type for r in self.accepted()]


def verify(secret: str, headers: Any, body: bytes) -> bool:
    """The check docs/webhooks.md shows: HMAC-SHA256 over `timestamp.body`, in time."""
    timestamp = headers["Waitlist-Timestamp"]
    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    signed = timestamp.encode() + b"." + body
    expected = "v1=" + hmac.new(key_of(secret), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["Waitlist-Signature"])


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            ours = verify(receiver.secret, self.headers, body)
            standard = True
            try:
                Webhook(receiver.secret).verify(body, dict(self.headers.items()))
            except Exception:  # noqa: BLE001 (any failure is a bad signature)
                standard = False
            with receiver.lock:
                if not (ours and standard):
                    receiver.bad_signatures += 1
                    status = 401
                else:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.received.append(
                        Received(
                            self.headers["Webhook-Id"],
                            self.headers["Waitlist-Event-Type"],
                            json.loads(body),
                            status,
                        )
                    )
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
