"""Delivery reports from the SMS gateway (SPEC §5): a message's status only moves forward, and
an offer that could not be delivered ends so the fill moves on."""

from __future__ import annotations

from datetime import datetime

from core.dispatch import fail_offer_of, mark_client
from core.model import MessageStatus
from core.policy import Policy
from core.ports import UnitOfWork

# Gateway status -> (ours, rank). A report is applied only if it ranks above the current one.
_STATUSES: dict[str, tuple[MessageStatus, int]] = {
    "accepted": (MessageStatus.SENDING, 1),
    "scheduled": (MessageStatus.SENDING, 1),
    "queued": (MessageStatus.SENDING, 1),
    "sending": (MessageStatus.SENDING, 2),
    "sent": (MessageStatus.SENT, 3),
    "delivered": (MessageStatus.DELIVERED, 4),
    "read": (MessageStatus.DELIVERED, 4),
    "undelivered": (MessageStatus.UNDELIVERED, 5),
    "failed": (MessageStatus.FAILED, 5),
    "canceled": (MessageStatus.CANCELLED, 5),
}
_RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 2,
    MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 4,
}
_FINAL = 4


def known_status(status: str) -> bool:
    return status.lower() in _STATUSES


def record_delivery(
    *,
    uow: UnitOfWork,
    message_id: int | None,
    provider_sid: str | None,
    status: str,
    error_code: str | None,
    now: datetime,
    policy: Policy,
) -> bool:
    """Apply one delivery report. Returns False when it changed nothing (unknown message,
    a late or repeated report)."""
    message = uow.messages.get(message_id) if message_id is not None else None
    if message is None and provider_sid:
        message = uow.messages.get_by_provider_sid(provider_sid)
    new = _STATUSES.get(status.lower())
    if message is None or new is None:
        return False
    if provider_sid and message.provider_sid not in (None, provider_sid):
        return False  # a report about some other message
    current = _RANK.get(message.status, _FINAL + 1)
    target, rank = new
    if current >= _FINAL or rank <= current:
        return False
    message.status = target
    message.provider_sid = message.provider_sid or provider_sid
    message.updated_at = now
    if target in (MessageStatus.FAILED, MessageStatus.UNDELIVERED):
        message.error_code = error_code or message.error_code
        mark_client(uow, message, error_code, now)
        fail_offer_of(uow, message, now, policy)
    uow.messages.save(message)
    return True
