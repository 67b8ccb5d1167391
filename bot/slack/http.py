"""`POST /slack/events` on the FastAPI app, when Slack credentials are configured.

A request is checked before Bolt sees it: a missing or malformed timestamp or signature is a
401, a body that is not what Slack sends (not UTF-8, unparsable) a 400 — never a 500.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk.signature import SignatureVerifier
from starlette.concurrency import run_in_threadpool

from bot.runtime import Runtime

log = logging.getLogger("waitlist.slack")
MAX_TIMESTAMP_DIGITS = 12


def mount(app: FastAPI, runtime: Runtime) -> None:
    settings = runtime.settings
    if not (settings.slack_bot_token and settings.slack_signing_secret):
        return
    from bot.slack.app import build_slack_app

    bolt = build_slack_app(runtime)
    app.state.slack_app = bolt
    verifier = SignatureVerifier(settings.slack_signing_secret.get_secret_value())

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        refused = unsigned(verifier, request, body)
        if refused is not None:
            return refused
        try:
            bolt_request = to_bolt_request(request, body)
            # Bolt is synchronous (it verifies, acks, and hands work to its threads): keep it
            # off the event loop.
            response = await run_in_threadpool(bolt.dispatch, bolt_request)
        except Exception:  # a signed request Bolt could not read: Slack's side, not ours
            log.warning("a signed Slack request could not be read", exc_info=True)
            return PlainTextResponse("malformed Slack request", status_code=400)
        return to_starlette_response(response)


def unsigned(verifier: SignatureVerifier, request: Request, body: bytes) -> Response | None:
    """A 401 unless the request carries a well-formed, fresh timestamp and a valid
    signature of its body; a 400 if the body is not text. None when it may go on."""
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    well_formed = (
        timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS
    )
    if not well_formed:
        return PlainTextResponse("missing or malformed X-Slack-Request-Timestamp", 401)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return PlainTextResponse("the body is not UTF-8", 400)
    valid = signature.isascii() and verifier.is_valid(
        body=text, timestamp=timestamp, signature=signature
    )
    if not valid:
        return PlainTextResponse("invalid or stale X-Slack-Signature", 401)
    return None
