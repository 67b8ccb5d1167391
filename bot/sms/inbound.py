"""One inbound text through the domain, the same way for the webhook, the CLI and the console.

The number it was sent to (`To`) says which clinic it is for; a number that is none of ours
gets a polite answer and changes nothing."""

from __future__ import annotations

import logging
import re
import uuid

from bot.runtime import Runtime
from core.audit import mask_phone
from core.conversation import Reply, receive_sms, stored_reply
from core.directory import normalize_phone
from core.errors import DuplicateMessage, InvalidInput
from core.keywords import Intent
from core.ports import UnitOfWork
from core.texts import DEFAULT_TEMPLATES
from storage.transaction import run_in_transaction

log = logging.getLogger("waitlist.sms")
E164 = re.compile(r"\+[1-9]\d{7,14}")
NOT_OURS = "Sorry, this number doesn't take waitlist replies. Please contact your clinic directly."


class _NotOurs(Exception):
    """The text was sent to a number no clinic here texts from."""


def handle_sms(
    runtime: Runtime,
    from_phone: str,
    body: str,
    message_sid: str | None = None,
    to: str | None = None,
) -> str:
    """Act on a text from `from_phone` to `to` and return the reply text ('' for none).
    Receiving the same `message_sid` again changes nothing and returns the same reply."""
    return receive(runtime, from_phone, body, message_sid, to).text or ""


def receive(
    runtime: Runtime,
    from_phone: str,
    body: str,
    message_sid: str | None = None,
    to: str | None = None,
) -> Reply:
    sid = message_sid or f"local-{uuid.uuid4().hex}"
    phone = _phone(from_phone) or from_phone.strip()[:20]  # kept anyway, for staff to read
    to = _phone(to or "") or (to or "").strip() or None

    def work(uow: UnitOfWork) -> Reply:
        clinic = runtime.clinic_for_number(uow, to)
        if clinic is None and to:
            raise _NotOurs
        # Without a `To` (the console, the CLI) in a group, nothing routes the text: the
        # conversation answers for the clinic of the patient's offer or entry.
        config = runtime.clinic_config(clinic) if clinic else None
        return receive_sms(
            uow=uow,
            sid=sid,
            phone=phone,
            body=body,
            now=runtime.clock(),
            policy=runtime.policy,
            templates=config.templates if config else DEFAULT_TEMPLATES,
            contact=config.contact if config else "",
            clinic=clinic,
        )

    try:
        reply = run_in_transaction(runtime.make_uow, work)
    except DuplicateMessage:
        return _replay(runtime, sid)
    except _NotOurs:
        log.warning("SMS from %s to %s: no clinic texts from that number", mask_phone(phone),
                    mask_phone(to or ""))  # fmt: skip
        return Reply(Intent.UNKNOWN, NOT_OURS)
    log.info("SMS from %s: %s", mask_phone(phone), reply.intent)
    return reply


def _phone(text: str) -> str | None:
    if E164.fullmatch(text):  # as Twilio sends numbers: no parsing needed
        return text
    try:
        return normalize_phone(text) if text.strip() else None
    except InvalidInput:
        return None


def _replay(runtime: Runtime, sid: str) -> Reply:
    with runtime.make_uow() as uow:
        reply = stored_reply(uow=uow, sid=sid)
    return reply or Reply(Intent.UNKNOWN, None)
