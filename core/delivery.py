"""Delivery reports from the SMS gateway (SPEC §5): a message's status only moves forward, and
an offer that could not be delivered ends so the fill moves on."""

from __future__ import annotations

from datetime import datetime

from core.dispatch import fail_offer_of, mark_client
from core.model import MessageStatus
from core.outbox import earlier
from core.policy import Policy
from core.ports import UnitOfWork

# Gateway status -> ours. Twilio's accepted/queued/sending all mean it has the message but
# has not handed it to the carrier yet.
_STATUSES: dict[str, MessageStatus] = {
    "accepted": MessageStatus.SENDING,
    "scheduled": MessageStatus.SENDING,
    "queued": MessageStatus.SENDING,
    "sending": MessageStatus.SENDING,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.CANCELLED,
}
_UNDELIVERED = (MessageStatus.FAILED, MessageStatus.UNDELIVERED)


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
    """Apply one delivery report, as a compare-and-set on the message's current status.
    Returns False when it changed nothing (unknown message, a late or repeated report)."""
    message = uow.messages.get(message_id) if message_id is not None else None
    if message is None and provider_sid:
        message = uow.messages.get_by_provider_sid(provider_sid)
    target = _STATUSES.get(status.lower())
    if message is None or message.id is None or target is None:
        return False
    if provider_sid and message.provider_sid not in (None, provider_sid):
        return False  # a report about some other message
    changes: dict[str, object] = {"updated_at": now}
    if provider_sid and message.provider_sid is None:
        changes["provider_sid"] = provider_sid
    if target in _UNDELIVERED and error_code:
        changes["error_code"] = error_code
    if not uow.messages.move(message.id, from_=earlier(target), to=target, changes=changes):
        return False
    if target in _UNDELIVERED:
        mark_client(uow, message, error_code, now)
        fail_offer_of(uow, message, now, policy)
    return True
