"""Twilio's webhooks: `POST /sms/inbound` (a patient's text) and `POST /sms/status` (delivery
reports). Both are refused with 403, before anything is read or changed, unless their
X-Twilio-Signature matches WAITLIST_PUBLIC_URL + path + query and the body."""

from __future__ import annotations

import logging

from anyio import CapacityLimiter, to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.runtime import Runtime
from bot.sms.inbound import handle_sms
from core.delivery import known_status, record_delivery
from storage.transaction import run_in_transaction

log = logging.getLogger("waitlist.sms")
TWIML = "application/xml"
# Patients' texts handled at once per process; the others wait their turn in order. More at
# once only take turns on the interpreter and the database, so each answer comes later: on
# 2 cores, 8 kept the throughput of 40 (the thread pool's size) and cut p99 by a fifth
# (docs/BENCHMARKS.md, "SMS").
REPLIES_AT_ONCE = 8


def mount(app: FastAPI, runtime: Runtime) -> None:
    app.include_router(router(runtime))


def router(runtime: Runtime) -> APIRouter:
    routes = APIRouter(prefix="/sms", include_in_schema=False)
    token = runtime.settings.twilio_auth_token
    validator = RequestValidator(token.get_secret_value()) if token else None
    public = runtime.settings.public_url.rstrip("/")
    replies = CapacityLimiter(REPLIES_AT_ONCE)

    async def signed_form(request: Request) -> dict[str, str] | None:
        """The form fields, or None when the request is not provably from Twilio."""
        if validator is None:
            return None
        form = {k: str(v) for k, v in (await request.form()).multi_items()}
        url = public + request.url.path
        if request.url.query:
            url += "?" + request.url.query
        signature = request.headers.get("X-Twilio-Signature", "")
        return form if validator.validate(url, form, signature) else None

    @routes.post("/inbound")
    async def inbound(request: Request) -> Response:
        form = await signed_form(request)
        if form is None:
            return _forbidden()
        sender, sid = form.get("From", ""), form.get("MessageSid") or form.get("SmsSid")
        if not sender or not sid:
            return PlainTextResponse("From and MessageSid are required", status_code=400)
        text = await to_thread.run_sync(
            handle_sms,
            runtime,
            sender,
            form.get("Body", ""),
            sid,
            form.get("To") or None,
            limiter=replies,
        )
        reply = MessagingResponse()
        if text:
            reply.message(text)
        return Response(str(reply), media_type=TWIML)

    @routes.post("/status")
    async def status(request: Request) -> Response:
        form = await signed_form(request)
        if form is None:
            return _forbidden()
        state = form.get("MessageStatus") or form.get("SmsStatus") or ""
        if not known_status(state):
            return PlainTextResponse(f"unknown MessageStatus {state!r}", status_code=400)
        message_id = request.query_params.get("m")
        await run_in_threadpool(
            _delivery,
            runtime,
            int(message_id) if message_id and message_id.isdigit() else None,
            form.get("MessageSid") or form.get("SmsSid"),
            state,
            form.get("ErrorCode") or None,
        )
        return Response(status_code=204)

    return routes


def _delivery(
    runtime: Runtime, message_id: int | None, sid: str | None, state: str, code: str | None
) -> None:
    changed = run_in_transaction(
        runtime.make_uow,
        lambda uow: record_delivery(
            uow=uow,
            message_id=message_id,
            provider_sid=sid,
            status=state,
            error_code=code,
            now=runtime.clock(),
            policy=runtime.policy,
        ),
    )
    if not changed:
        log.info("delivery report %s for message %s changed nothing", state, message_id)


def _forbidden() -> Response:
    return PlainTextResponse("invalid or missing X-Twilio-Signature", status_code=403)
