"""Sending what the outbox holds, and what a failed send means for the client and the fill."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from core.audit import mask_phone, record
from core.fill import fail_offer
from core.model import Message, MessageStatus, OfferStatus
from core.outbox import BAD_NUMBER_CODES, OPTED_OUT_CODES
from core.policy import Policy
from core.ports import SmsSender, UnitOfWork


def dispatch_outbox(
    *,
    uow_factory: Callable[[], UnitOfWork],
    sender: SmsSender,
    now: datetime,
    policy: Policy,
    limit: int = 100,
) -> int:
    """Send what the outbox holds. Returns how many messages the gateway accepted.

    Each message is claimed in its own transaction before it is sent, so two dispatchers never
    send the same one. Reachability is checked again here: an opt-out that arrived after the
    message was queued still stops it.
    """
    with uow_factory() as uow:
        queued_ids = [m.id for m in uow.messages.queued(limit) if m.id is not None]
    sent = 0
    for message_id in queued_ids:
        with uow_factory() as uow:
            message = uow.messages.claim(message_id, now)
            if message is None:
                continue
            client = uow.clients.get(message.client_id) if message.client_id else None
            if client is not None and not client.reachable:
                message.status = MessageStatus.CANCELLED
                message.error_code = "opted_out" if client.sms_opt_out else "invalid_phone"
                uow.messages.save(message)
                _fail_offer_of(uow, message, now, policy)
                uow.commit()
                continue
            uow.commit()
        result = sender.send(message)
        with uow_factory() as uow:
            message = uow.messages.get(message_id)
            assert message is not None
            message.updated_at = now
            if result.ok:
                message.status = MessageStatus.SENT
                message.provider_sid = result.provider_sid
                message.sent_at = now
                sent += 1
            elif result.permanent_error:
                message.status = MessageStatus.FAILED
                message.error_code = result.error_code
                _mark_client(uow, message, result.error_code, now)
                _fail_offer_of(uow, message, now, policy)
            else:
                message.status = MessageStatus.QUEUED  # a transient error: try again later
                message.error_code = result.error_code
            uow.messages.save(message)
            uow.commit()
    return sent


def _mark_client(uow: UnitOfWork, message: Message, code: str | None, now: datetime) -> None:
    if message.client_id is None or code is None:
        return
    client = uow.clients.get(message.client_id)
    if client is None:
        return
    if code in OPTED_OUT_CODES:
        client.sms_opt_out = True
        client.opted_out_at = now
        client.opt_out_text = f"carrier error {code}"
    elif code in BAD_NUMBER_CODES:
        client.phone_invalid = True
    else:
        return
    uow.clients.save(client)
    record(
        uow,
        "ClientUnreachable",
        actor="sms",
        now=now,
        client_id=client.id,
        phone=mask_phone(client.phone),
        error_code=code,
    )


def _fail_offer_of(uow: UnitOfWork, message: Message, now: datetime, policy: Policy) -> None:
    if message.kind != "offer" or message.offer_id is None:
        return
    offer = uow.offers.get(message.offer_id)
    if offer is not None and offer.status is OfferStatus.PENDING:
        fail_offer(uow=uow, offer_id=offer.id or 0, now=now, policy=policy, reason="sms_failed")
