"""`/waitlist offer W-12 A-7|O-3|<slot>|<provider> <when>`: text one entry an offer, by hand.

With only the entry, lists the open openings to pick from. A slot (`P2@2026-02-17T14:00Z`,
as match's Offer buttons carry, or typed: `dr patel wed 2pm`) is checked like a declared
opening and opened for that entry alone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.errors import CommandError
from bot.slack.lookup import directory, entry_and_rest
from bot.slack.refs import parse_ref
from core.entries import get_waitlist_entry
from core.model import Offer
from core.offers import offer_appointment, offer_opening
from core.ports import UnitOfWork
from core.staff_offers import offer_slot

NAME = "offer"
USAGE = "offer W-12 A-7 (or O-3, or dr patel wed 2pm)"
SUMMARY = "text an entry an offer for a cancelled appointment's slot or an opening"
CHANGES = True


def run(ctx: Context, args: str) -> Reply:
    known = ctx.known_clinic_id  # read before the unit of work opens: one connection at a time
    with ctx.uow() as uow:
        entry_id, slot = entry_and_rest(uow, args, "/waitlist offer W-12 A-7", clinic_id=known)
        ctx.entry_clinic(entry_id, uow)  # the entry's clinic is the one the offer is made at
    if not slot:
        return _open_openings(ctx, entry_id)
    if not re.fullmatch(r"[AaOo]-?\d+|[Pp]\d+@\S+", slot):
        return _typed_slot(ctx, entry_id, slot)
    target, now, policy, timezone = slot, ctx.now(), ctx.policy, ctx.timezone

    def work(uow: UnitOfWork) -> Reply:
        common = dict(uow=uow, entry_id=entry_id, actor=ctx.actor, now=now, policy=policy)
        kind = target[:1].upper()
        if kind == "P" and "@" in target:
            provider_id, starts_at = _slot(target)
            offer = offer_slot(provider_id=provider_id, starts_at=starts_at, **common)
        elif kind == "O":
            offer = offer_opening(opening_id=parse_ref(target, "O"), **common)
        else:
            offer = offer_appointment(appointment_id=parse_ref(target, "A"), **common)
        message = _sent(uow, offer, timezone)
        return Reply(message, blocks.confirmation(message))

    return ctx.transact(work)


def _typed_slot(ctx: Context, entry_id: int, text: str) -> Reply:
    """`offer W-3 dr patel wed 2pm`: a provider's slot, read and checked like an opening."""
    from bot.slack import parser
    from bot.slack.commands.opening import checked

    now, timezone, policy, clinic_id = ctx.now(), ctx.timezone, ctx.policy, ctx.clinic.clinic_id
    with ctx.uow() as uow:
        try:
            slot = parser.parse_slot(
                text,
                directory=directory(uow, clinic_id),
                now=now,
                timezone=timezone,
                service=False,
            )
        except parser.ParseError as exc:
            raise CommandError(exc.message) from None
        assert slot.provider is not None
        entry = get_waitlist_entry(uow=uow, entry_id=entry_id)
        service = uow.services.get(entry.service_id) if entry.service_id else None
        if service is None:
            raise CommandError(f"{entry.ref} names no service, so the slot's length is unknown.")
        ends_at = slot.starts_at + timedelta(minutes=service.duration_minutes)
        checked(uow, ctx, slot.provider, slot.starts_at, ends_at, slot.day_phrase, slot.time_phrase)
        offer = offer_slot(
            uow=uow,
            entry_id=entry_id,
            provider_id=slot.provider.id or 0,
            starts_at=slot.starts_at,
            actor=ctx.actor,
            now=now,
            policy=policy,
        )
        message = _sent(uow, offer, timezone)
        uow.commit()
    return Reply(
        message,
        blocks.confirmation(message),
        reading={
            "entry_id": entry_id,
            "provider_id": slot.provider.id,
            "starts_at": slot.starts_at,
        },
    )


def _sent(uow: UnitOfWork, offer: Offer, timezone: str) -> str:
    client = uow.clients.get(offer.client_id)
    opening = uow.openings.get(offer.opening_id)
    assert client is not None and opening is not None
    sent = (
        f"Offer sent to {client.first_name} (W-{offer.entry_id}) for "
        f"{blocks.when(opening.starts_at, timezone)} ({opening.ref}); it holds until "
        f"{blocks.clock(offer.expires_at.astimezone(blocks.ZoneInfo(timezone)))}."
    )
    if opening.origin_client_id == offer.client_id:  # the fill never would: say so
        sent += f" It is the slot {client.first_name} cancelled."
    return sent


def _slot(token: str) -> tuple[int, datetime]:
    provider, _, start = token.partition("@")
    try:
        moment = datetime.strptime(start, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
        return int(provider[1:]), moment
    except ValueError:
        raise CommandError(f"'{token}' is not a slot (use a Match button).") from None


def _open_openings(ctx: Context, entry_id: int) -> Reply:
    clinic_id = ctx.clinic.clinic_id
    with ctx.uow() as uow:
        openings = [o for o in (uow.openings.get(i) for i in uow.openings.open_ids()) if o]
        openings = [o for o in openings if o.clinic_id == clinic_id]
        providers = {p.id: p.name for p in uow.providers.list(clinic_id)}
        entry = uow.entries.get(entry_id)
    own = entry.client_id if entry else None
    if not openings:
        text = f"No openings are open right now. Try `/waitlist match W-{entry_id}`."
        return Reply(text, [blocks.section(text)])
    found = [blocks.section(f"*Open openings to offer W-{entry_id}*")]
    for opening in sorted(openings, key=lambda o: o.starts_at):
        label = f"{opening.ref} · {blocks.when(opening.starts_at, ctx.timezone)} · "
        label += providers.get(opening.provider_id, "?")
        if opening.origin_client_id == own:
            label += " · their own cancelled slot"
        found.append(
            {
                **blocks.section(label),
                "accessory": blocks.button(
                    "Offer", f"offer W-{entry_id} {opening.ref}", style="primary"
                ),
            }
        )
    return Reply(f"{len(openings)} open opening(s)", found)
