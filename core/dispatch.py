"""Sending what the outbox holds, and what a failed send means for the client and the fill.

Every rule that protects the patient is checked again at send time, not only when the text
was queued: an opt-out or a bad number found since, quiet hours in the recipient's time zone,
and the contact caps for offers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from core.audit import mask_phone, record
from core.clinics import clinic_policy, patient_timezone
from core.fill import fail_offer
from core.model import Client, Clinic, EventKind, Message, MessageStatus, OfferStatus
from core.outbox import BAD_NUMBER_CODES, OPTED_OUT_CODES, confirm_sent, earlier, held, release
from core.policy import Policy
from core.ports import SendResult, SmsSender, UnitOfWork

# Transient failures are tried again after 30 s, 1 min, 2 min … up to this many attempts.
MAX_ATTEMPTS = 8
_FIRST_RETRY = timedelta(seconds=30)
_LONGEST_WAIT = timedelta(minutes=15)
# Answers to something the patient just did go out at any hour; other texts wait for morning.
ANSWERS = frozenset({"booked", "declined"})
# "The slot has been filled" waits a little: a holder who answers YES meanwhile is told in the
# reply instead (see core.conversation), so nobody gets the same news twice.
WITHDRAWN_GRACE = timedelta(seconds=30)


def dispatch_outbox(
    *,
    uow_factory: Callable[[], UnitOfWork],
    sender: SmsSender,
    now: datetime,
    policy: Policy,
    limit: int = 100,
    clock: Callable[[], datetime] | None = None,
) -> int:
    """Send what the outbox holds and is due. Returns how many texts the gateway accepted.

    Each message is claimed and committed just before it is sent, so two dispatchers never
    send the same one; the gateway's answer is recorded in the transaction that claims the
    next one (should that transaction fail, the claim's lease runs out and
    `core.outbox.recover_sends` asks Twilio). With a `clock`, each claim is stamped with the
    time it is made, so a long pass does not eat into the lease of its last messages. A pass
    reads each clinic once.
    """
    hold = {"withdrawn": now - WITHDRAWN_GRACE}
    with uow_factory() as uow:
        queued = uow.messages.queued_past(limit, hold=hold)
        due = [m.id for m in queued if m.id is not None and _due(m, now, hold)]
    clinics: dict[int, Clinic | None] = {}
    sent = 0
    answered: tuple[Message, SendResult, datetime] | None = None
    while due:
        now = clock() if clock else now
        with uow_factory() as uow:
            if answered is not None:
                sent += settle_send(uow, *answered, policy)
                answered = None
            message = uow.messages.claim(due, now)
            clinic = _clinic(uow, message, clinics)
            sending = message is not None and _may_send(uow, message, clinic, now, policy)
            uow.commit()
        if message is None:
            break
        # Those before it are taken (by another dispatcher, if not by this one).
        due = [message_id for message_id in due if message_id > (message.id or 0)]
        if sending:
            answered = (message, sender.send(message, clinic), now)
    if answered is not None:
        with uow_factory() as uow:
            sent += settle_send(uow, *answered, policy)
            uow.commit()
    return sent


def _clinic(
    uow: UnitOfWork, message: Message | None, clinics: dict[int, Clinic | None]
) -> Clinic | None:
    if message is None or message.clinic_id is None:
        return None
    if message.clinic_id not in clinics:
        clinics[message.clinic_id] = uow.clinics.get(message.clinic_id)
    return clinics[message.clinic_id]


def settle_send(
    uow: UnitOfWork, message: Message, result: SendResult, now: datetime, policy: Policy
) -> bool:
    """Record what the gateway answered for a claimed message; True if it accepted it.

    Each write is a compare-and-set: a delivery report that came in while the send was in
    flight (delivered, failed) stays, and only the claim's own holder may put it back.
    """
    message_id = message.id or 0
    if result.ok:
        moved = confirm_sent(
            uow, message, result.provider_sid, now, from_=earlier(MessageStatus.SENT)
        )
        if not moved:  # a report got here first; keep its status, add what it lacks
            uow.messages.note_sent(message_id, provider_sid=result.provider_sid, sent_at=now)
        return True
    if result.in_doubt:  # sent or not, only Twilio knows: asked again once the lease is out
        return False
    if result.permanent_error or message.attempts >= MAX_ATTEMPTS:
        failed = uow.messages.move(
            message_id,
            from_={MessageStatus.SENDING},
            to=MessageStatus.FAILED,
            claimed_at=message.updated_at,
            changes={"error_code": result.error_code, "updated_at": now},
        )
        if failed:
            mark_client(uow, message, result.error_code, now)
            fail_offer_of(uow, message, now, policy)
        return False
    release(uow, message, now, error_code=result.error_code)  # tried again later (see _due)
    return False


def retry_after(attempts: int) -> timedelta:
    """How long a message that failed `attempts` times waits before the next try."""
    if attempts <= 0:
        return timedelta(0)
    return min(_FIRST_RETRY * (1 << min(attempts - 1, 10)), _LONGEST_WAIT)


def _due(message: Message, now: datetime, hold: Mapping[str, datetime]) -> bool:
    if held(message, hold):
        return False
    if message.attempts == 0 or message.updated_at is None:
        return True
    return now >= message.updated_at + retry_after(message.attempts)


def _may_send(
    uow: UnitOfWork, message: Message, clinic: Clinic | None, now: datetime, policy: Policy
) -> bool:
    """Check the claimed message against the patient's protections; a message that must not
    go now is cancelled or put back in the queue."""
    client = uow.clients.get(message.client_id) if message.client_id else None
    if client is None:
        return True
    policy = clinic_policy(clinic, policy)
    if not client.reachable:
        _cancel(uow, message, "opted_out" if client.sms_opt_out else "invalid_phone", now)
        fail_offer_of(uow, message, now, policy)
        return False
    if _quiet_now(client, clinic, message, now, policy):
        if message.kind == "offer":  # a held offer must not wake anyone: the fill waits instead
            _cancel(uow, message, "quiet_hours", now)
            fail_offer_of(uow, message, now, policy)
        else:
            _put_back(uow, message, now)
        return False
    if message.kind == "offer" and cap_reached(uow, client.id or 0, now, policy, counting=0):
        _cancel(uow, message, "contact_cap", now)
        fail_offer_of(uow, message, now, policy)
        return False
    return True


def _quiet_now(
    client: Client, clinic: Clinic | None, message: Message, now: datetime, policy: Policy
) -> bool:
    if policy.quiet_hours is None or message.kind in ANSWERS:
        return False
    if client.timezone is None and clinic is None:
        return False  # no zone to read the hours in
    return policy.quiet_hours.contains(now, patient_timezone(client, clinic))


def cap_reached(
    uow: UnitOfWork, client_id: int, now: datetime, policy: Policy, *, counting: int
) -> str | None:
    """Which contact cap `counting` more offers would break ("day" or "week"), if any. At
    send time the offer exists already, so `counting` is 0 there and 1 before making one."""
    for cap, days, name in ((policy.cap_per_day, 1, "day"), (policy.cap_per_week, 7, "week")):
        if (
            cap
            and uow.offers.count_for_client(client_id, now - timedelta(days=days)) + counting > cap
        ):
            return name
    return None


def _cancel(uow: UnitOfWork, message: Message, reason: str, now: datetime) -> None:
    uow.messages.move(
        message.id or 0,
        from_={MessageStatus.SENDING},
        to=MessageStatus.CANCELLED,
        claimed_at=message.updated_at,
        changes={"error_code": reason, "updated_at": now},
    )


def _put_back(uow: UnitOfWork, message: Message, now: datetime) -> None:
    """Not an attempt: the claim's count is given back, and the next pass looks again."""
    release(uow, message, now, attempts=max(message.attempts - 1, 0))


def mark_client(uow: UnitOfWork, message: Message, code: str | None, now: datetime) -> None:
    """A permanent error says the client opted out or the number is bad: remember it."""
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
        EventKind.CLIENT_UNREACHABLE,
        actor="sms",
        now=now,
        client_id=client.id,
        phone=mask_phone(client.phone),
        error_code=code,
    )


def fail_offer_of(uow: UnitOfWork, message: Message, now: datetime, policy: Policy) -> None:
    """The offer this text carried did not reach the client: end it and move the fill on."""
    if message.kind != "offer" or message.offer_id is None:
        return
    offer = uow.offers.get(message.offer_id)
    if offer is not None and offer.status is OfferStatus.PENDING:
        fail_offer(uow=uow, offer_id=offer.id or 0, now=now, policy=policy, reason="sms_failed")
