"""The SMS outbox: messages are written in the caller's transaction, sent after it commits.

A message's status only moves forward (`earlier`), and every status write is a
compare-and-set on the current status, so a delivery report and the send's own result can
arrive in any order. The one step back, `sending` → `queued`, belongs to the claim that made
it `sending` (a retry, or a claim recovered after a crash).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime

from core.audit import mask_phone, record
from core.lease import Finding, Lease, Recovery, Verdict, recover_claims
from core.model import (
    Client,
    EventKind,
    Message,
    MessageDirection,
    MessageStatus,
)
from core.ports import SmsSender, UnitOfWork

# Twilio error codes that no retry can fix: the recipient unsubscribed; the number cannot
# take texts (invalid, not mobile, unknown handset, landline).
OPTED_OUT_CODES = frozenset({"21610"})
BAD_NUMBER_CODES = frozenset({"21211", "21614", "21612", "21408", "30005", "30006"})
# The Event recorded when a lost claim is settled by `recover_sends`.
MESSAGE_RECOVERED = EventKind.MESSAGE_RECOVERED

_FORWARD = (
    MessageStatus.QUEUED,
    MessageStatus.SENDING,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
)
# A message that could not be delivered (or was called off) ends there; so does a delivered one.
ENDINGS = frozenset({MessageStatus.FAILED, MessageStatus.UNDELIVERED, MessageStatus.CANCELLED})


def held(message: Message, hold: Mapping[str, datetime]) -> bool:
    """Whether `hold` (kind → moment) keeps the message back: it is of a held kind and was
    created after that kind's moment."""
    until = hold.get(message.kind)
    return until is not None and message.created_at is not None and message.created_at > until


def earlier(status: MessageStatus) -> frozenset[MessageStatus]:
    """The statuses from which an outbound message may move forward to `status`."""
    if status in ENDINGS:
        return frozenset(_FORWARD[:3])
    return frozenset(_FORWARD[: _FORWARD.index(status)])


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


def call_off(uow: UnitOfWork, message: Message, reason: str, now: datetime) -> bool:
    """Cancel a text still waiting in the queue; False if a dispatcher claimed it first (it
    is then on its way, and its status says so)."""
    return uow.messages.move(
        message.id or 0,
        from_={MessageStatus.QUEUED},
        to=MessageStatus.CANCELLED,
        changes={"error_code": reason, "updated_at": now},
    )


def confirm_sent(
    uow: UnitOfWork,
    message: Message,
    provider_sid: str | None,
    now: datetime,
    *,
    from_: Collection[MessageStatus],
    claimed_at: datetime | None = None,
) -> bool:
    """The gateway has the text: `sent`, with its id, if the status is still one of `from_`."""
    return uow.messages.move(
        message.id or 0,
        from_=from_,
        to=MessageStatus.SENT,
        claimed_at=claimed_at,
        changes={
            "provider_sid": provider_sid,
            "sent_at": now,
            "error_code": None,
            "updated_at": now,
        },
    )


def release(uow: UnitOfWork, message: Message, now: datetime, **changes: object) -> bool:
    """Give a claimed message back to the queue, if the claim (`message.updated_at`, set when
    it was claimed) is still the message's current one."""
    return uow.messages.move(
        message.id or 0,
        from_={MessageStatus.SENDING},
        to=MessageStatus.QUEUED,
        claimed_at=message.updated_at,
        changes={"updated_at": now, **changes},
    )


def recover_sends(
    *,
    uow_factory: Callable[[], UnitOfWork],
    sender: SmsSender,
    lease: Lease,
    now: datetime,
    limit: int = 100,
) -> Recovery:
    """Texts claimed for sending and not confirmed within the lease (the process sending them
    died, or lost its database): Twilio is asked about each. One it has is marked sent; one it
    never got goes back in the queue, the lost claim not counting as an attempt."""

    def stale() -> list[Message]:
        with uow_factory() as uow:
            return uow.messages.claimed_before(lease.expired_before(now), limit)

    def ask(message: Message) -> Finding:
        # Asked about what was created since the claim: the same words sent earlier to the
        # same phone (another slot's "taken") are not this message.
        return sender.lookup(message, since=message.updated_at or message.created_at or now)

    def settle(message: Message, finding: Finding) -> bool:
        with uow_factory() as uow:
            if finding.verdict is Verdict.HAPPENED:
                settled = confirm_sent(
                    uow,
                    message,
                    finding.reference,
                    now,
                    from_={MessageStatus.SENDING},
                    claimed_at=message.updated_at,
                )
            else:
                settled = release(uow, message, now, attempts=max(message.attempts - 1, 0))
            if settled:  # recorded with the settlement, so the audit log says why it moved
                record(
                    uow,
                    MESSAGE_RECOVERED,
                    actor="sms",
                    now=now,
                    clinic_id=message.clinic_id,
                    offer_id=message.offer_id,
                    client_id=message.client_id,
                    message_id=message.id,
                    phone=mask_phone(message.phone),
                    outcome="sent" if finding.verdict is Verdict.HAPPENED else "queued again",
                )
            uow.commit()
        return settled

    return recover_claims(stale=stale, ask=ask, settle=settle)
