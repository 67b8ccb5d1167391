"""A recording fake of the Slack Web API for tests: point `SLACK_API_URL` (or a WebClient's
`base_url`) at `FakeSlackApi.url` and read back what the app sent, in order.

It speaks enough of the protocol for slack-sdk: every method is a POST to `/api/<method>` with a
JSON, form-encoded or multipart body, answered with `{"ok": true, ...}`. `response_url(name)`
gives a URL whose posts are recorded as method "response_url"; `files.getUploadURLExternal`
hands out an upload URL on this same server whose bytes land in `uploads`.
`apps.connections.open` answers with `socket_url` (a Socket Mode server, see
`tests/fakes/slack_socket.py`).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

Call = tuple[str, dict[str, Any]]

# Form-encoded methods carry these as JSON strings; decoding them makes assertions readable.
_JSON_FIELDS = ("blocks", "attachments", "view", "files", "metadata")


class FakeSlackApi:
    """Start with `with FakeSlackApi() as slack:` (or the `fake_slack` fixture)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.uploads: dict[str, bytes] = {}
        self.tokens: list[str] = []
        self._errors: dict[str, str] = {}
        self.socket_url = "ws://127.0.0.1:9/"  # nothing listens there until a test sets it
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def root(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        """The value for `SLACK_API_URL` (slack-sdk joins method names onto it)."""
        return f"{self.root}/api/"

    def response_url(self, name: str = "default") -> str:
        return f"{self.root}/response/{name}"

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [payload for called, payload in self.calls if called == method]

    def methods(self) -> list[str]:
        with self._lock:
            return [called for called, _ in self.calls]

    def fail(self, method: str, error: str = "internal_error") -> None:
        """Answer `method` with `{"ok": false, "error": error}` from now on."""
        self._errors[method] = error

    def heal(self, method: str) -> None:
        """Answer `method` normally again."""
        self._errors.pop(method, None)

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until `method` was called `count` times (work done after an ack is async)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.calls_to(method)
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(
            f"expected {count} call(s) to {method} within {timeout}s; got {self.methods()}"
        )

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()
            self.uploads.clear()

    def start(self) -> FakeSlackApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def record(self, method: str, payload: dict[str, Any], token: str | None) -> dict[str, Any]:
        with self._lock:
            self.calls.append((method, payload))
            if token:
                self.tokens.append(token)
            ts = f"1700000000.{next(self._ts):06d}"
        if method in self._errors:
            return {"ok": False, "error": self._errors[method]}
        return {"ok": True, **self._answer(method, payload, ts)}

    def _answer(self, method: str, payload: dict[str, Any], ts: str) -> dict[str, Any]:
        channel = payload.get("channel") or payload.get("channel_id") or "C0FAKE"
        if method == "auth.test":
            return {
                "url": "https://fake.slack.com/",
                "team": "Fake Team",
                "user": "waitlist",
                "team_id": "T0FAKE",
                "user_id": "U0BOT",
                "bot_id": "B0BOT",
            }
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            answer: dict[str, Any] = {"channel": channel, "ts": payload.get("ts") or ts}
            if method == "chat.postEphemeral":
                return {"message_ts": ts}
            answer["message"] = {"text": payload.get("text", ""), "ts": answer["ts"]}
            return answer
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            view = payload.get("view")
            view = view if isinstance(view, dict) else {}
            return {"view": {"id": f"V{ts.replace('.', '')}", "hash": ts, **view}}
        if method == "users.info":
            user = str(payload.get("user", "U0FAKE"))
            return {"user": {"id": user, "name": user.lower(), "real_name": "Fake User", "tz": ""}}
        if method == "conversations.info":
            return {"channel": {"id": channel, "name": "waitlist", "is_member": True}}
        if method == "apps.connections.open":
            return {"url": self.socket_url}
        if method == "files.getUploadURLExternal":
            file_id = f"F{ts.replace('.', '')}"
            return {"upload_url": f"{self.root}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = payload.get("files") or []
            return {"files": [{"id": f.get("id"), "title": f.get("title")} for f in files]}
        return {}


def _handler_for(api: FakeSlackApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            path = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if path.path.startswith("/upload/"):
                api.uploads[path.path.removeprefix("/upload/")] = body
                api.record("upload", {"file_id": path.path.removeprefix("/upload/")}, None)
                self._reply(200, "OK", "text/plain")
                return
            payload = dict(parse_qsl(path.query))
            payload.update(_parse_body(self.headers.get("Content-Type", ""), body))
            if path.path.startswith("/response/"):
                payload.setdefault("_name", path.path.removeprefix("/response/"))
                api.record("response_url", payload, None)
                self._reply(200, "ok", "text/plain")
                return
            if not path.path.startswith("/api/"):
                self._reply(404, json.dumps({"ok": False, "error": "unknown_path"}))
                return
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ") or None
            answer = api.record(path.path.removeprefix("/api/"), payload, token)
            self._reply(200, json.dumps(answer))

        do_GET = do_POST  # noqa: N815 (slack-sdk may GET a few methods)

        def _reply(self, status: int, text: str, content_type: str = "application/json") -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if content_type.startswith("application/json"):
        loaded = json.loads(body)
        return loaded if isinstance(loaded, dict) else {"_body": loaded}
    if content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            content = part.get_payload(decode=True) or b""
            fields[str(name)] = content if part.get_filename() else content.decode()
        return _decode_json_fields(fields)
    return _decode_json_fields(dict(parse_qsl(body.decode(), keep_blank_values=True)))


def _decode_json_fields(fields: dict[str, Any]) -> dict[str, Any]:
    for name in _JSON_FIELDS:
        value = fields.get(name)
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(ValueError):
                fields[name] = json.loads(value)
    return fields


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as api:
        yield api
