"""A patient's text in, the answer out (SPEC §5, §10): YES books, NO passes, STOP opts out,
START opts back in, HELP explains; a patient can also leave the waitlist, tell us the number
is wrong, ask who is texting or about the offer, or answer with a condition. Whatever the text,
the patient gets an answer that fits where they stand (an offer open, a booking, neither), and
what needs a person goes to staff.

The inbound message is recorded first, under its provider id, so a redelivered webhook is
refused by the database before it can do anything twice. Booking and declining send their
confirmation through the outbox (tracked, retried); the other answers are the immediate
reply, stored beside the inbound message so that a redelivery gets exactly the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.audit import mask_phone, record
from core.clinics import patient_timezone
from core.errors import (
    Conflict,
    IllegalTransition,
    NoPendingOffer,
    NotFound,
    OfferExpired,
    SlotTaken,
)
from core.keywords import Intent, classify, offer_words
from core.model import (
    AppointmentStatus,
    Client,
    Clinic,
    EventKind,
    Message,
    MessageDirection,
    MessageStatus,
    Offer,
    OfferStatus,
    Opening,
)
from core.offers import accept_offer, decline_offer
from core.outbox import call_off
from core.patients import active_entries, leave_waitlist, opt_in, opt_out, wrong_number
from core.policy import Policy
from core.ports import Standing, UnitOfWork
from core.texts import DEFAULT_TEMPLATES, Templates, render
from core.wording import local_clock, local_when

# A YES or NO this long after an offer ended is not an answer to it any more.
ANSWER_WINDOW = timedelta(hours=12)
REPLY_PREFIX = "reply:"
_MAX_STORED_TEXT = 1600
_MAX_EVENT_TEXT = 500


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
    clinic: Clinic | None = None,
) -> Reply:
    """Act on one inbound text and return the answer. Raises DuplicateMessage when `sid` was
    received before (see `stored_reply`). `clinic` is the clinic whose number the text was
    sent to: only its offers are answered (`templates` and `contact` are then its own)."""
    standing = uow.openings.standing(phone)
    client = standing.client
    talk = _Talk.of(uow, standing, phone, now, policy, templates, contact, clinic)
    intent = classify(
        body, first_name=client.first_name if client else None, offer=talk.offer_words()
    )
    inbound = uow.messages.add_inbound(
        Message(
            direction=MessageDirection.INBOUND,
            phone=phone,
            body=body[:_MAX_STORED_TEXT],
            status=MessageStatus.RECEIVED,
            kind=f"inbound_{intent}",
            client_id=client.id if client else None,
            clinic_id=clinic.id if clinic else None,
            provider_sid=sid,
            created_at=now,
            updated_at=now,
        )
    )
    outcome = _settle(talk, intent, body)
    answer = _act(talk, intent, outcome, body)
    if outcome is not intent:
        inbound.kind = f"inbound_{outcome}"
        uow.messages.save(inbound)
    if answer is not None:
        uow.messages.add(
            Message(
                direction=MessageDirection.OUTBOUND,
                phone=phone,
                body=answer,
                status=MessageStatus.SENT,  # it travels in the webhook's response
                kind=f"reply_{outcome}",
                client_id=client.id if client else None,
                clinic_id=talk.clinic.id if talk.clinic else None,
                provider_sid=f"{REPLY_PREFIX}{sid}",
                created_at=now,
                sent_at=now,
                updated_at=now,
            )
        )
    return Reply(outcome, answer)


def stored_reply(*, uow: UnitOfWork, sid: str) -> Reply | None:
    """The answer given the first time `sid` was received; None if it was never received."""
    inbound = uow.messages.get_by_provider_sid(sid)
    if inbound is None:
        return None
    intent = Intent(inbound.kind.removeprefix("inbound_"))
    reply = uow.messages.get_by_provider_sid(f"{REPLY_PREFIX}{sid}")
    return Reply(intent, reply.body if reply else None)


@dataclass
class _Talk:
    """One text's conversation: who wrote, where they stand, and how to answer them."""

    uow: UnitOfWork
    client: Client | None
    phone: str
    now: datetime
    policy: Policy
    templates: Templates
    contact: str
    clinic: Clinic | None
    latest: Offer | None  # the client's latest offer, read before anything changed
    pending: Opening | None  # its opening, while the offer is open
    booking: Opening | None  # its opening, when the client was booked into it and it is ahead

    @classmethod
    def of(
        cls,
        uow: UnitOfWork,
        standing: Standing,
        phone: str,
        now: datetime,
        policy: Policy,
        templates: Templates,
        contact: str,
        routed: Clinic | None = None,
    ) -> _Talk:
        client, latest, opening = standing.client, standing.offer, standing.opening
        if routed is not None and opening is not None and opening.clinic_id != routed.id:
            # Sent to another clinic's number. A pending offer is always the client's latest
            # (one at a time), so this clinic has none open for them.
            latest = opening = None
        clinic = routed or standing.clinic
        if clinic is None and client is not None and client.id is not None:
            entries = active_entries(uow, client.id)  # no offer yet: the clinic of their entry
            clinic = uow.clinics.get(entries[0].clinic_id) if entries else None
        if clinic is None:
            clinics = uow.clinics.list()
            clinic = clinics[0] if len(clinics) == 1 else None
        pending = booking = None
        if latest is not None and opening is not None:
            if latest.status is OfferStatus.PENDING and latest.expires_at > now:
                pending = opening
            elif latest.status is OfferStatus.ACCEPTED and opening.starts_at > now:
                appointment = (
                    uow.appointments.get(opening.booked_appointment_id)
                    if opening.booked_appointment_id
                    else None
                )
                if appointment is not None and appointment.status is AppointmentStatus.BOOKED:
                    booking = opening
        return cls(
            uow, client, phone, now, policy, templates, contact, clinic, latest, pending, booking
        )

    @property
    def timezone(self) -> str:
        return patient_timezone(self.client, self.clinic)

    def offer_words(self) -> frozenset[str]:
        """How the patient may name the pending offer's day and time ("see you at 10")."""
        if self.pending is None:
            return frozenset()
        zone = ZoneInfo(self.timezone)
        return offer_words(
            self.pending.starts_at.astimezone(zone), self.now.astimezone(zone).date()
        )

    def say(self, template: str, opening: Opening | None = None) -> str:
        """`template` for this client; `opening` gives {when}, {provider} and {expires}."""
        when = expires = provider = ""
        if opening is not None:
            when = local_when(opening.starts_at, self.timezone)
            found = self.uow.providers.get(opening.provider_id)
            provider = found.name if found else ""
        if opening is not None and self.latest is not None and opening is self.pending:
            expires = local_clock(self.latest.expires_at, self.timezone)
        return render(
            template,
            clinic=self.clinic.name if self.clinic else "Waitlist",
            first=self.client.first_name if self.client else "",
            contact=self.contact,
            when=when,
            expires=expires,
            provider=provider,
        )

    def about_offer(
        self, *, pending: str | None = None, booked: str | None = None, otherwise: str | None = None
    ) -> str:
        """The answer that fits where the client stands: an offer open, a booking ahead, or
        neither (`otherwise`, by default "no open offer")."""
        if pending is not None and self.pending is not None:
            return self.say(pending, self.pending)
        if booked is not None and self.booking is not None:
            return self.say(booked, self.booking)
        return self.say(otherwise or self.templates.no_offer)

    def tell_staff(self, kind: EventKind, body: str, **data: Any) -> None:
        """An event the clinic's channel shows: the text, masked phone, and what it is about."""
        about = self.pending or self.booking
        record(
            self.uow,
            kind,
            actor="patient",
            now=self.now,
            clinic_id=self.clinic.id if self.clinic else None,
            client_id=self.client.id if self.client else None,
            opening_id=about.id if about else None,
            entry_id=self.latest.entry_id if about and self.latest else None,
            phone=mask_phone(self.phone),
            text=body[:_MAX_EVENT_TEXT],
            **data,
        )


_STANDALONE = frozenset(
    {
        Intent.STOP,
        Intent.START,
        Intent.HELP,
        Intent.WHO_IS_THIS,
        Intent.WRONG_NUMBER,
        Intent.LEAVE_WAITLIST,
    }
)


def _settle(talk: _Talk, intent: Intent, body: str) -> Intent:
    """What the text amounts to where the client stands: a bare "?" during an offer asks
    about it; with a booking ahead and no offer open, a yes (or a question) is answered with
    the booking and a no or a condition is for staff; a question or a condition with no offer
    open, or a claim to be booked without a booking, is for staff too."""
    if intent is Intent.HELP and talk.pending is not None and not body.strip(" ?\t\r\n"):
        return Intent.OFFER_QUESTION
    if talk.client is None or intent in _STANDALONE:
        return intent
    if talk.booking is not None and talk.pending is None:
        if intent in (Intent.YES, Intent.ALREADY_BOOKED, Intent.OFFER_QUESTION):
            return Intent.ALREADY_BOOKED
        if intent in (Intent.NO, Intent.CONDITIONAL):
            return Intent.UNKNOWN
        return intent
    if intent is Intent.ALREADY_BOOKED:
        return Intent.UNKNOWN
    if talk.pending is None and intent in (Intent.OFFER_QUESTION, Intent.CONDITIONAL):
        return Intent.UNKNOWN
    return intent


def _act(talk: _Talk, intent: Intent, outcome: Intent, body: str) -> str | None:
    """Do what the text amounts to (`outcome`) and return the answer; `intent`, what the
    words said, picks the wording when the outcome is only "for staff"."""
    uow, client, now, policy, templates = (
        talk.uow,
        talk.client,
        talk.now,
        talk.policy,
        talk.templates,
    )
    if outcome is Intent.STOP:
        if client is not None:
            opt_out(uow=uow, client=client, text=body, now=now, policy=policy, actor="patient")
        return talk.say(templates.opted_out)
    if outcome is Intent.START:
        if client is not None:
            opt_in(uow=uow, client=client, text=body, now=now, actor="patient")
        return talk.say(templates.opted_in)
    if outcome is Intent.HELP:
        return talk.say(templates.help)
    if outcome is Intent.WHO_IS_THIS:
        return talk.say(templates.who_is_this)
    if outcome is Intent.WRONG_NUMBER:
        if client is not None:
            wrong_number(uow=uow, client=client, text=body, now=now, policy=policy, actor="patient")
        return talk.say(templates.wrong_number)
    if client is None:
        talk.tell_staff(EventKind.SMS_NOT_UNDERSTOOD, body)
        return talk.say(templates.unknown_number)
    if outcome is Intent.LEAVE_WAITLIST:
        left = leave_waitlist(
            uow=uow, client=client, text=body, now=now, policy=policy, actor="patient"
        )
        return talk.say(templates.left_waitlist if left else templates.not_on_waitlist)
    if outcome is Intent.ALREADY_BOOKED:
        return talk.about_offer(booked=templates.already_booked)
    if outcome is Intent.UNKNOWN:
        talk.tell_staff(EventKind.SMS_NOT_UNDERSTOOD, body, read_as=str(intent))
    elif client.sms_opt_out:
        talk.tell_staff(EventKind.SMS_FOR_STAFF, body, reason=str(outcome))
    if client.sms_opt_out:
        return talk.say(templates.still_opted_out)  # nothing else can be texted to them
    if outcome is Intent.UNKNOWN:
        otherwise = {
            Intent.OFFER_QUESTION: templates.no_offer_question,
            Intent.CONDITIONAL: templates.for_staff,
        }.get(intent, templates.unknown)
        return talk.about_offer(
            pending=templates.unknown_offer, booked=templates.unknown_booked, otherwise=otherwise
        )
    if outcome is Intent.OFFER_QUESTION:
        talk.tell_staff(EventKind.SMS_FOR_STAFF, body, reason="question")
        return talk.about_offer(pending=templates.offer_details)
    if outcome is Intent.CONDITIONAL:
        talk.tell_staff(EventKind.SMS_FOR_STAFF, body, reason="conditional")
        return talk.about_offer(pending=templates.conditional)
    return _answer_offer(talk, outcome)


def _answer_offer(talk: _Talk, intent: Intent) -> str | None:
    """A YES or NO to the client's latest offer, read before anything changed."""
    offer, now, templates = talk.latest, talk.now, talk.templates
    if offer is None or (
        offer.status is not OfferStatus.PENDING
        and (offer.responded_at or offer.created_at or now) < now - ANSWER_WINDOW
    ):
        return talk.say(templates.no_offer)
    try:
        answer = accept_offer if intent is Intent.YES else decline_offer
        answer(
            uow=talk.uow,
            entry_id=offer.entry_id,
            actor="patient",
            now=now,
            policy=talk.policy,
            known=(talk.client, talk.clinic),
        )
    except SlotTaken:
        _drop_queued(talk.uow, offer, kind="withdrawn", now=now)  # the reply says it instead
        return talk.say(templates.taken)
    except OfferExpired:
        return talk.say(templates.expired)
    except (NoPendingOffer, IllegalTransition, NotFound, Conflict):
        # Conflict: already booked into that slot, which has begun (a booking still ahead is
        # answered before this with the booking itself).
        return talk.say(templates.no_offer)
    return None


def _drop_queued(uow: UnitOfWork, offer: Offer, *, kind: str, now: datetime) -> None:
    for message in uow.messages.for_client(offer.client_id, limit=10):
        if (
            message.offer_id == offer.id
            and message.kind == kind
            and message.status is MessageStatus.QUEUED
        ):
            call_off(uow, message, "answered_in_reply", now)
