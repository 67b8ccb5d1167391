"""`Idempotency-Key` on every POST of the API (SPEC §13).

The same caller (a token's sub, role, patient and clinics) sending the same key and the same
request within 24 hours gets the first answer again (status and body), and the work is done
once; the same key with another request is 409. Racing requests with one key wait for the
first to finish and then get its answer. An ASGI middleware, so that every POST route is
covered without each route knowing.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.api.auth import Principal, Unauthorized, verify_token
from bot.api.errors import error_body
from bot.runtime import Runtime
from storage.repositories.idempotency import Claim, IdempotencyStore, Outcome

HEADER = "idempotency-key"
KEEP = timedelta(hours=24)
LEASE = timedelta(minutes=2)  # a claim older than this, still unanswered, was abandoned
WAIT_SECONDS = 30.0  # how long a racing request waits for the first one's answer
MAX_KEY = 255
REFUSED = frozenset({400, 401, 403})  # answers that did no work are not kept
KEY_PATTERN = "^[!-~]+$"  # visible ASCII, no spaces: a UUID, a ULID, an order number


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, *, runtime: Runtime, prefix: str) -> None:
        self.app = app
        self.runtime = runtime
        self.prefix = prefix
        self.store = IdempotencyStore(runtime.engine, keep=KEEP, lease=LEASE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        caller = self._caller(headers)
        if key is None or caller is None:  # no key, or the route will answer 401
            await self.app(scope, receive, send)
            return
        if len(key) > MAX_KEY or not re.fullmatch(KEY_PATTERN, key):
            await _answer(send, 400, error_body(400, "Idempotency-Key", _KEY_RULE))
            return
        body = await _read_body(receive)
        fingerprint = _fingerprint(scope, body)
        claim = await self._claim(caller, key, fingerprint)
        if claim.outcome is Outcome.REPLAY:
            await _answer(send, claim.status_code or 200, claim.body or "", replayed=True)
        elif claim.outcome is Outcome.MISMATCH:
            message = "This Idempotency-Key was already used with a different request."
            await _answer(send, 409, error_body(409, "Idempotency-Key", message))
        elif claim.outcome is Outcome.BUSY:
            message = "A request with this Idempotency-Key is still being processed; retry later."
            await _answer(send, 409, error_body(409, "Idempotency-Key", message))
        else:
            await self._run(scope, body, send, caller, key)

    def _caller(self, headers: Headers) -> str | None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            return caller_identity(verify_token(self.runtime.settings, token.strip()))
        except Unauthorized:
            return None

    async def _claim(self, caller: str, key: str, fingerprint: str) -> Claim:
        deadline = anyio.current_time() + WAIT_SECONDS
        while True:
            now = self.runtime.clock()
            claim = await run_in_threadpool(self.store.claim, caller, key, fingerprint, now)
            if claim.outcome is not Outcome.BUSY or anyio.current_time() > deadline:
                return claim
            await anyio.sleep(0.05)

    async def _run(self, scope: Scope, body: bytes, send: Send, caller: str, key: str) -> None:
        status = 500
        chunks: list[bytes] = []
        delivered = False

        async def replay_body() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def keep(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, keep)
        except BaseException:
            await run_in_threadpool(self.store.release, caller, key)
            raise
        if status >= 500 or status in REFUSED:
            # Nothing was done (the transaction rolled back, or the request was refused before
            # any work): the key is free again, for a retry or a corrected body.
            await run_in_threadpool(self.store.release, caller, key)
        else:
            answer = b"".join(chunks).decode("utf-8", "replace")
            await run_in_threadpool(self.store.complete, caller, key, status, answer)


_KEY_RULE = f"An Idempotency-Key is 1 to {MAX_KEY} visible ASCII characters, without spaces."


def caller_identity(caller: Principal) -> str:
    """Whose key it is: the token's sub with its role, patient and clinics. Two tokens with one
    `sub` (an EHR's one service account) but other clinics must not get each other's answers
    (a Bayside token replaying Downtown's cancel would show Downtown's opening). Hashed, so
    it fits the column however long the sub."""
    clinics = "*" if caller.clinic_ids is None else ",".join(map(str, sorted(caller.clinic_ids)))
    parts = (caller.sub, caller.role.value, str(caller.patient_id or ""), clinics)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _fingerprint(scope: Scope, body: bytes) -> str:
    """The request the key stands for: path, query and body (JSON compared by value)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    digest = hashlib.sha256()
    for part in (scope["path"].encode(), scope.get("query_string", b""), canonical):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _answer(send: Send, status: int, body: str, *, replayed: bool = False) -> None:
    raw = body.encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})
