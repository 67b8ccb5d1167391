"""What a patient's own text can change: opting out of texts and back in, leaving the
waitlist, and telling us the number is not theirs.

Each one ends the client's pending offer so the fill moves on, stops what was queued for them
when they can no longer be texted, and records an event staff see in the channel, naming the
entries it leaves behind (still waiting but unreachable, or cancelled).
"""

from __future__ import annotations

from datetime import datetime

from core.audit import mask_phone, record
from core.entries import remove_from_waitlist
from core.fill import end_offer
from core.model import (
    ACTIVE_STATUSES,
    Client,
    EventKind,
    MessageStatus,
    OfferStatus,
    WaitlistEntry,
)
from core.outbox import call_off
from core.policy import Policy
from core.ports import EntryFilter, UnitOfWork

_MAX_TEXT = 500


def opt_out(
    *, uow: UnitOfWork, client: Client, text: str, now: datetime, policy: Policy, actor: str
) -> None:
    """Record the opt-out with its time and exact words, stop every queued text, and give
    the client's pending offer up so the fill moves on. Their entries stay on the waitlist,
    shown to staff as unreachable."""
    assert client.id is not None
    if not client.sms_opt_out:
        client.sms_opt_out = True
        client.opted_out_at = now
        client.opt_out_text = text[:_MAX_TEXT]
        uow.clients.save(client)
        record(
            uow,
            EventKind.CLIENT_OPTED_OUT,
            actor=actor,
            now=now,
            client_id=client.id,
            phone=mask_phone(client.phone),
            text=text[:_MAX_TEXT],
            entries=[e.ref for e in active_entries(uow, client.id)],
        )
    _stop_texts(uow, client, reason="opted_out", now=now, policy=policy, actor=actor)


def opt_in(*, uow: UnitOfWork, client: Client, text: str, now: datetime, actor: str) -> None:
    if not client.sms_opt_out:
        return
    client.sms_opt_out = False
    client.opted_out_at = None
    client.opt_out_text = None
    uow.clients.save(client)
    record(
        uow,
        EventKind.CLIENT_OPTED_IN,
        actor=actor,
        now=now,
        client_id=client.id,
        phone=mask_phone(client.phone),
        text=text[:_MAX_TEXT],
    )


def leave_waitlist(
    *, uow: UnitOfWork, client: Client, text: str, now: datetime, policy: Policy, actor: str
) -> list[WaitlistEntry]:
    """Cancel every waiting or offered entry of the client (a pending offer is withdrawn and
    its fill moves on). Texts stay on: leaving the waitlist is not an opt-out. Returns the
    entries cancelled, none if there were none."""
    assert client.id is not None
    cancelled = [
        remove_from_waitlist(uow=uow, entry_id=entry.id or 0, actor=actor, now=now, policy=policy)
        for entry in active_entries(uow, client.id)
    ]
    record(
        uow,
        EventKind.CLIENT_LEFT_WAITLIST,
        actor=actor,
        now=now,
        client_id=client.id,
        phone=mask_phone(client.phone),
        text=text[:_MAX_TEXT],
        entries=[e.ref for e in cancelled],
    )
    return cancelled


def wrong_number(
    *, uow: UnitOfWork, client: Client, text: str, now: datetime, policy: Policy, actor: str
) -> None:
    """Whoever holds the number is not the client: mark the phone invalid, stop every text to
    it and give up the pending offer. The entries stay, unreachable until staff fix the
    number."""
    assert client.id is not None
    if not client.phone_invalid:
        client.phone_invalid = True
        uow.clients.save(client)
    record(
        uow,
        EventKind.WRONG_NUMBER,
        actor=actor,
        now=now,
        client_id=client.id,
        phone=mask_phone(client.phone),
        text=text[:_MAX_TEXT],
        entries=[e.ref for e in active_entries(uow, client.id)],
    )
    _stop_texts(uow, client, reason="wrong_number", now=now, policy=policy, actor=actor)


def active_entries(uow: UnitOfWork, client_id: int) -> list[WaitlistEntry]:
    """The client's waiting and offered entries, oldest first."""
    page = uow.entries.list(
        EntryFilter(client_id=client_id, statuses=tuple(ACTIVE_STATUSES)),
        sort_by="created_at",
        descending=False,
        limit=100,
    )
    return page.items


def _stop_texts(
    uow: UnitOfWork, client: Client, *, reason: str, now: datetime, policy: Policy, actor: str
) -> None:
    assert client.id is not None
    for message in uow.messages.for_client(client.id):
        if message.status is MessageStatus.QUEUED:
            call_off(uow, message, reason, now)
    offer = uow.offers.pending_for_client(client.id)
    if offer is not None:
        end_offer(
            uow=uow,
            offer_id=offer.id or 0,
            status=OfferStatus.WITHDRAWN,
            actor=actor,
            now=now,
            policy=policy,
        )
