"""A fake of Slack's Socket Mode WebSocket for tests: set `FakeSlackApi.socket_url` to its
`url`, and the app's `apps.connections.open` leads the real slack-sdk client here.

It greets each connection with `hello`, as Slack does; `send_envelope` pushes an envelope
(a slash command, an interaction, an event) to the connected app, and `acks` holds what the
app answered, by envelope id. `drop()` closes the current connection, as Slack does now and
then.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve


class FakeSlackSocket:
    def __init__(self) -> None:
        self.acks: dict[str, dict[str, Any]] = {}
        self.connections = 0
        self._current: ServerConnection | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: Server = serve(self._session, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link"

    def __enter__(self) -> FakeSlackSocket:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    def wait_connected(self, count: int = 1, timeout: float = 10.0) -> None:
        self._wait(lambda: self.connections >= count and self._current is not None, timeout)

    def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        envelope_id = f"env-{next(self._ids)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
            "payload": payload,
        }
        with self._lock:
            assert self._current is not None, "no app is connected"
            self._current.send(json.dumps(envelope))
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        self._wait(lambda: envelope_id in self.acks, timeout)
        return self.acks[envelope_id]

    def drop(self) -> None:
        with self._lock:
            current, self._current = self._current, None
        if current is not None:
            current.close()

    def _session(self, connection: ServerConnection) -> None:
        with self._lock:
            self.connections += 1
            self._current = connection
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0"}}
        connection.send(json.dumps(hello))
        try:
            for raw in connection:
                message = json.loads(raw)
                if "envelope_id" in message:
                    self.acks[message["envelope_id"]] = message
        except ConnectionClosed:
            pass

    @staticmethod
    def _wait(condition: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out after {timeout}s")
