"""The SMS outbox: messages are written in the caller's transaction, sent after it commits."""

from __future__ import annotations

from datetime import datetime

from core.model import (
    Client,
    Message,
    MessageDirection,
    MessageStatus,
)
from core.ports import UnitOfWork

# Twilio error codes that no retry can fix: the recipient unsubscribed; the number cannot
# take texts (invalid, not mobile, unknown handset, landline).
OPTED_OUT_CODES = frozenset({"21610"})
BAD_NUMBER_CODES = frozenset({"21211", "21614", "21612", "21408", "30005", "30006"})


def queue_sms(
    uow: UnitOfWork,
    *,
    client: Client,
    clinic_id: int | None,
    kind: str,
    body: str,
    now: datetime,
    offer_id: int | None = None,
) -> Message | None:
    """Write an outbound message to the outbox. Nothing is queued for a client who cannot
    be texted."""
    message = outbound_sms(
        client=client, clinic_id=clinic_id, kind=kind, body=body, now=now, offer_id=offer_id
    )
    return None if message is None else uow.messages.add(message)


def outbound_sms(
    *,
    client: Client,
    clinic_id: int | None,
    kind: str,
    body: str,
    now: datetime,
    offer_id: int | None = None,
) -> Message | None:
    """A text for the outbox, not yet written; None for a client who cannot be texted."""
    if not client.reachable:
        return None
    return Message(
        direction=MessageDirection.OUTBOUND,
        phone=client.phone,
        body=body,
        status=MessageStatus.QUEUED,
        kind=kind,
        client_id=client.id,
        clinic_id=clinic_id,
        offer_id=offer_id,
        created_at=now,
        updated_at=now,
    )
