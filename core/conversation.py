"""A patient's text in, the answer out (SPEC §5): YES books, NO passes, STOP opts out,
START opts back in, HELP explains, anything else goes to staff.

The inbound message is recorded first, under its provider id, so a redelivered webhook is
refused by the database before it can do anything twice. Booking and declining send their
confirmation through the outbox (tracked, retried); the other answers are the immediate
reply, stored beside the inbound message so that a redelivery gets exactly the same answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.audit import mask_phone, record
from core.errors import (
    IllegalTransition,
    NoPendingOffer,
    NotFound,
    OfferExpired,
    SlotTaken,
)
from core.fill import end_offer
from core.keywords import Intent, classify
from core.model import (
    Client,
    Clinic,
    EventKind,
    Message,
    MessageDirection,
    MessageStatus,
    Offer,
    OfferStatus,
)
from core.offers import accept_offer, decline_offer
from core.policy import Policy
from core.ports import UnitOfWork
from core.texts import DEFAULT_TEMPLATES, Templates, render

# A YES or NO this long after an offer ended is not an answer to it any more.
ANSWER_WINDOW = timedelta(hours=12)
REPLY_PREFIX = "reply:"
_MAX_STORED_TEXT = 1600


@dataclass(frozen=True)
class Reply:
    intent: Intent
    text: str | None  # None: nothing to say now (the outbox carries the confirmation)


def receive_sms(
    *,
    uow: UnitOfWork,
    sid: str,
    phone: str,
    body: str,
    now: datetime,
    policy: Policy,
    templates: Templates = DEFAULT_TEMPLATES,
    contact: str = "",
) -> Reply:
    """Act on one inbound text and return the answer. Raises DuplicateMessage when `sid` was
    received before (see `stored_reply`)."""
    client = uow.clients.get_by_phone(phone)
    intent = classify(body)
    uow.messages.add_inbound(
        Message(
            direction=MessageDirection.INBOUND,
            phone=phone,
            body=body[:_MAX_STORED_TEXT],
            status=MessageStatus.RECEIVED,
            kind=f"inbound_{intent}",
            client_id=client.id if client else None,
            provider_sid=sid,
            created_at=now,
            updated_at=now,
        )
    )
    latest = uow.offers.latest_for_client(client.id) if client and client.id else None
    clinic = _clinic_for(uow, latest)
    answer = _act(uow, intent, client, latest, clinic, body, phone, now, policy, templates, contact)
    if answer is not None:
        uow.messages.add(
            Message(
                direction=MessageDirection.OUTBOUND,
                phone=phone,
                body=answer,
                status=MessageStatus.SENT,  # it travels in the webhook's response
                kind=f"reply_{intent}",
                client_id=client.id if client else None,
                clinic_id=clinic.id if clinic else None,
                provider_sid=f"{REPLY_PREFIX}{sid}",
                created_at=now,
                sent_at=now,
                updated_at=now,
            )
        )
    return Reply(intent, answer)


def stored_reply(*, uow: UnitOfWork, sid: str) -> Reply | None:
    """The answer given the first time `sid` was received; None if it was never received."""
    inbound = uow.messages.get_by_provider_sid(sid)
    if inbound is None:
        return None
    intent = Intent(inbound.kind.removeprefix("inbound_"))
    reply = uow.messages.get_by_provider_sid(f"{REPLY_PREFIX}{sid}")
    return Reply(intent, reply.body if reply else None)


def opt_out(
    *, uow: UnitOfWork, client: Client, text: str, now: datetime, policy: Policy, actor: str
) -> None:
    """Record the opt-out with its time and exact words, stop every queued text, and give
    the client's pending offer up so the fill moves on."""
    assert client.id is not None
    if not client.sms_opt_out:
        client.sms_opt_out = True
        client.opted_out_at = now
        client.opt_out_text = text[:500]
        uow.clients.save(client)
        record(
            uow,
            EventKind.CLIENT_OPTED_OUT,
            actor=actor,
            now=now,
            client_id=client.id,
            phone=mask_phone(client.phone),
            text=text[:500],
        )
    for message in uow.messages.for_client(client.id):
        if message.status is MessageStatus.QUEUED:
            message.status = MessageStatus.CANCELLED
            message.error_code = "opted_out"
            message.updated_at = now
            uow.messages.save(message)
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
        text=text[:500],
    )


def _act(
    uow: UnitOfWork,
    intent: Intent,
    client: Client | None,
    latest: Offer | None,
    clinic: Clinic | None,
    body: str,
    phone: str,
    now: datetime,
    policy: Policy,
    templates: Templates,
    contact: str,
) -> str | None:
    name = clinic.name if clinic else "Waitlist"
    first = client.first_name if client else ""

    def say(template: str) -> str:
        return render(template, clinic=name, first=first, contact=contact)

    if intent is Intent.STOP:
        if client is not None:
            opt_out(uow=uow, client=client, text=body, now=now, policy=policy, actor="patient")
        return say(templates.opted_out)
    if intent is Intent.START:
        if client is not None:
            opt_in(uow=uow, client=client, text=body, now=now, actor="patient")
        return say(templates.opted_in)
    if intent is Intent.HELP:
        return say(templates.help)
    if intent is Intent.UNKNOWN or client is None:
        record(
            uow,
            EventKind.SMS_NOT_UNDERSTOOD,
            actor="patient",
            now=now,
            clinic_id=clinic.id if clinic else None,
            client_id=client.id if client else None,
            phone=mask_phone(phone),
            text=body[:500],
        )
        return say(templates.unknown)
    if client.sms_opt_out:
        return say(templates.still_opted_out)
    return _answer_offer(uow, intent, latest, now, policy, templates, say)


def _answer_offer(
    uow: UnitOfWork,
    intent: Intent,
    offer: Offer | None,
    now: datetime,
    policy: Policy,
    templates: Templates,
    say: Callable[[str], str],
) -> str | None:
    """`offer` is the client's latest offer, read before anything changed."""
    if offer is None or (
        offer.status is not OfferStatus.PENDING
        and (offer.responded_at or offer.created_at or now) < now - ANSWER_WINDOW
    ):
        return say(templates.no_offer)
    try:
        if intent is Intent.YES:
            accept_offer(uow=uow, entry_id=offer.entry_id, actor="patient", now=now, policy=policy)
        else:
            decline_offer(uow=uow, entry_id=offer.entry_id, actor="patient", now=now, policy=policy)
    except SlotTaken:
        _drop_queued(uow, offer, kind="withdrawn", now=now)  # the reply says it instead
        return say(templates.taken)
    except OfferExpired:
        return say(templates.expired)
    except (NoPendingOffer, IllegalTransition, NotFound):
        return say(templates.no_offer)
    return None


def _drop_queued(uow: UnitOfWork, offer: Offer, *, kind: str, now: datetime) -> None:
    for message in uow.messages.for_client(offer.client_id, limit=10):
        if (
            message.offer_id == offer.id
            and message.kind == kind
            and message.status is MessageStatus.QUEUED
        ):
            message.status = MessageStatus.CANCELLED
            message.error_code = "answered_in_reply"
            message.updated_at = now
            uow.messages.save(message)


def _clinic_for(uow: UnitOfWork, latest: Offer | None) -> Clinic | None:
    """The clinic the client deals with: that of their latest offer, else the only one."""
    opening = uow.openings.get(latest.opening_id) if latest else None
    if opening is not None:
        return uow.clinics.get(opening.clinic_id)
    clinics = uow.clinics.list()
    return clinics[0] if clinics else None
