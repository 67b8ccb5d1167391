"""A recording fake of Twilio's Messages API for tests: point `TWILIO_API_BASE_URL` at
`FakeTwilioApi.url` and the real twilio library talks to it.

`POST /2010-04-01/Accounts/<sid>/Messages.json` creates a message (201) unless answers were
scripted with `answer(...)`: a status code and optional Twilio error code per request, used in
order (e.g. three 429s, then the default 201). `GET` on the same path lists the created ones,
filtered by `To` and, like Twilio, by `DateSent>` (a message not sent yet has no DateSent and
is left out of such a list). `hang_after_accept` makes the next create be recorded and then
answered too late (a read timeout for the client). `hold(accept=...)` holds every create
request until `let_go()`: with `accept=True` Twilio has the message and only the answer is
held; with `accept=False` the request never arrives (its connection is dropped when let go).
`accepted_only()` leaves new messages `accepted`, without a DateSent.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest


class FakeTwilioApi:
    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []  # created, in order
        self.attempts: list[dict[str, str]] = []  # every create request, answered or not
        self._script: list[tuple[int, int | None]] = []
        self._hang: float = 0.0
        self._held: threading.Event | None = None
        self._accept_held = True
        self._send_now = True
        self.in_flight = 0  # create requests being held
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, status: int, code: int | None = None, times: int = 1) -> None:
        """Answer the next `times` create requests with `status` (and Twilio error `code`)."""
        with self._lock:
            self._script.extend([(status, code)] * times)

    def hang_after_accept(self, seconds: float) -> None:
        with self._lock:
            self._hang = seconds

    def hold(self, *, accept: bool) -> None:
        with self._lock:
            self._held = threading.Event()
            self._accept_held = accept

    def let_go(self) -> None:
        with self._lock:
            held, self._held = self._held, None
        if held is not None:
            held.set()

    def accepted_only(self) -> None:
        with self._lock:
            self._send_now = False

    def wait_for_held(self, count: int = 1, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.in_flight >= count:
                    return
            time.sleep(0.02)
        raise AssertionError(f"expected {count} held request(s) within {timeout}s")

    def bodies_to(self, phone: str) -> list[str]:
        with self._lock:
            return [m["Body"] for m in self.messages if m["To"] == phone]

    def __enter__(self) -> FakeTwilioApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _create(self, form: dict[str, str]) -> tuple[int, dict[str, Any], float]:
        with self._lock:
            held = self._held
            if held is not None:
                self.in_flight += 1
        if held is not None:
            if self._accept_held:
                created = self._record(form)
            held.wait()
            with self._lock:
                self.in_flight -= 1
            if not self._accept_held:
                return 0, {}, 0.0  # dropped: it never reached Twilio
            return 201, _resource(created), 0.0
        with self._lock:
            self.attempts.append(form)
            status, code = self._script.pop(0) if self._script else (201, None)
            if status != 201:
                return status, _error(status, code), 0.0
            hang, self._hang = self._hang, 0.0
        return 201, _resource(self._record(form, counted=True)), hang

    def _record(self, form: dict[str, str], *, counted: bool = False) -> dict[str, str]:
        with self._lock:
            if not counted:
                self.attempts.append(form)
            sid = f"SM{next(self._sids):032d}"
            now = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
            created = dict(form, Sid=sid, DateCreated=now, DateSent=now if self._send_now else "")
            self.messages.append(created)
        return created

    def _list(self, query: dict[str, str]) -> dict[str, Any]:
        after = query.get("DateSent>")
        since = (
            datetime.strptime(after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) if after else None
        )
        with self._lock:
            found = [
                m
                for m in self.messages
                if m["To"] == query.get("To", m["To"])
                and (since is None or (m["DateSent"] and _when(m["DateSent"]) >= since))
            ]
        return {
            "messages": [_resource(m) for m in reversed(found)],
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "uri": "/2010-04-01/Accounts/AC/Messages.json",
        }


def _when(rfc2822: str) -> datetime:
    return parsedate_to_datetime(rfc2822)


def _resource(message: dict[str, str]) -> dict[str, Any]:
    return {
        "sid": message["Sid"],
        "to": message["To"],
        "from": message.get("From"),
        "body": message["Body"],
        "status": "queued" if message["DateSent"] else "accepted",
        "messaging_service_sid": message.get("MessagingServiceSid"),
        "date_created": message["DateCreated"],
        "date_sent": message["DateSent"] or None,
        "num_segments": "1",
    }


def _error(status: int, code: int | None) -> dict[str, Any]:
    return {"code": code, "message": f"fake error {code or status}", "status": status}


def _handler_for(api: FakeTwilioApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server API)
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode()))
            if not urlsplit(self.path).path.endswith("/Messages.json"):
                return self._reply(404, {"message": "not found"})
            status, body, hang = api._create(form)
            if status == 0:
                self.close_connection = True
                return
            if hang:
                time.sleep(hang)
            self._reply(status, body)

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            self._reply(200, api._list(dict(parse_qsl(parts.query))))

        def _reply(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a scripted timeout)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi() as api:
        yield api
