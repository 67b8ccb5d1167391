"""`/waitlist cancel A-7 [reason]`: an appointment was cancelled; fill its slot."""

from __future__ import annotations

from datetime import datetime

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.lookup import appointment_and_rest
from core import limits
from core.errors import NotFound
from core.fill import FillStep, handle_cancellation, held_back
from core.policy import Policy
from core.ports import UnitOfWork

NAME = "cancel"
USAGE = "cancel A-7 [reason] (or the client, or dr johnson tue 10am)"
SUMMARY = "an appointment was cancelled: open its slot and text the best candidates"
CHANGES = True


def run(ctx: Context, args: str) -> Reply:
    known = ctx.known_clinic_id  # read before the unit of work opens: one connection at a time
    with ctx.uow() as uow:
        appointment_id, rest = appointment_and_rest(
            uow, args, now=ctx.now(), clinic_id=known, where=ctx
        )
        appointment = uow.appointments.get(appointment_id)
    if appointment is None:
        raise NotFound(f"Appointment A-{appointment_id} does not exist.")
    reason = rest.strip('"“” ') or None
    limits.check_optional_text(reason, field="reason", limit=limits.REASON)
    clinic = ctx.adopt(appointment.clinic_id, appointment.ref)
    timezone = clinic.timezone

    def work(uow: UnitOfWork) -> Reply:
        step = handle_cancellation(
            uow=uow,
            appointment_id=appointment_id,
            actor=ctx.actor,
            now=ctx.now(),
            policy=clinic.policy,
            reason=reason,
        )
        message = describe_step(uow, step, timezone, ctx.now(), clinic.policy)
        return Reply(message, blocks.confirmation(message))

    return ctx.transact(work)


def describe_step(
    uow: UnitOfWork, step: FillStep, timezone: str, now: datetime, policy: Policy
) -> str:
    opening = step.opening
    head = f"{opening.ref} opened for {blocks.when(opening.starts_at, timezone)}"
    names = []
    for offer in step.offered:
        client = uow.clients.get(offer.client_id)
        names.append(
            blocks.client_line(client.first_name if client else "?", f"W-{offer.entry_id}")
        )
    if names:
        return f"{head}. Offers texted to {', '.join(names)}."
    if step.deferred:
        return f"{head}. {len(step.deferred)} candidate(s) wait for quiet hours to end."
    held = held_back(uow=uow, opening=opening, now=now, policy=policy)
    if held:
        who = "; ".join(
            f"{blocks.client_line(c.client.first_name, f'W-{c.entry.id}')} {why}" for c, why in held
        )
        return f"{head}. No one was texted: {who}."
    return f"{head}. No one on the waitlist fits it yet."
