"""One inbound text through the domain, the same way for the webhook, the CLI and the console."""

from __future__ import annotations

import logging
import uuid

from bot.runtime import Runtime
from core.audit import mask_phone
from core.conversation import Reply, receive_sms, stored_reply
from core.directory import normalize_phone
from core.errors import DuplicateMessage, InvalidInput
from core.keywords import Intent
from storage.transaction import run_in_transaction

log = logging.getLogger("waitlist.sms")


def handle_sms(runtime: Runtime, from_phone: str, body: str, message_sid: str | None = None) -> str:
    """Act on a text from `from_phone` and return the reply text ('' for none). Receiving the
    same `message_sid` again changes nothing and returns the same reply."""
    return receive(runtime, from_phone, body, message_sid).text or ""


def receive(runtime: Runtime, from_phone: str, body: str, message_sid: str | None = None) -> Reply:
    sid = message_sid or f"local-{uuid.uuid4().hex}"
    try:
        phone = normalize_phone(from_phone)
    except InvalidInput:
        phone = from_phone.strip()[:20]  # keep the text anyway, for staff to read
    try:
        reply = run_in_transaction(
            runtime.make_uow,
            lambda uow: receive_sms(
                uow=uow,
                sid=sid,
                phone=phone,
                body=body,
                now=runtime.clock(),
                policy=runtime.policy,
                contact=_contact(runtime),
            ),
        )
    except DuplicateMessage:
        return _replay(runtime, sid)
    log.info("SMS from %s: %s", mask_phone(phone), reply.intent)
    return reply


def _contact(runtime: Runtime) -> str:
    phone = runtime.settings.clinic_phone
    return f" Questions? Call {phone}." if phone else ""


def _replay(runtime: Runtime, sid: str) -> Reply:
    with runtime.make_uow() as uow:
        reply = stored_reply(uow=uow, sid=sid)
    return reply or Reply(Intent.UNKNOWN, None)
