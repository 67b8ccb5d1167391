"""`/waitlist opening <provider> <service> <when>`: staff declare a free slot to fill.

The slot is read as every command reads dates and times, checked (working hours, bookings,
openings already open, the cut-off), and shown with the clients who would be texted; nothing
is sent until it is confirmed (`opening confirm …`, which the Confirm button and the
console's y/N run)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.commands.cancel import describe_step
from bot.slack.errors import CommandError
from bot.slack.lookup import directory
from core import limits
from core.errors import InvalidInput, NotFound, WaitlistError
from core.fill import declare_opening
from core.opening_checks import check_opening, would_text
from core.ports import UnitOfWork

NAME = "opening"
USAGE = "opening Dr. Lee Botox Tue 2pm"
SUMMARY = "a slot is free (no cancellation): see who would be texted, then confirm"
CHANGES = True
_CONFIRM = re.compile(r"confirm P(\d+) S(\d+) (\d{4}-\d\d-\d\dT\d\d:\d\dZ)$", re.IGNORECASE)


def run(ctx: Context, args: str) -> Reply:
    from bot.slack import parser

    if args.strip().lower() == "cancel":
        return Reply("Nothing was opened and no one was texted.")
    if confirmed := _CONFIRM.match(args.strip()):
        return _open(ctx, *confirmed.groups())
    if len(args.split()) < 3:
        raise CommandError(
            "Say who, what and when, e.g. `/waitlist opening Dr. Lee Botox Tue 2pm`."
        )
    clinic = ctx.clinic  # read before the unit of work opens: one connection at a time
    now, timezone = ctx.now(), clinic.timezone
    with ctx.uow() as uow:
        try:
            slot = parser.parse_slot(
                args, directory=directory(uow, clinic.clinic_id), now=now, timezone=timezone
            )
        except parser.ParseError as exc:
            raise CommandError(exc.message) from None
        assert slot.service is not None and slot.provider is not None
        ends_at = slot.starts_at + timedelta(minutes=slot.service.duration_minutes)
        checked(uow, ctx, slot.provider, slot.starts_at, ends_at, slot.day_phrase, slot.time_phrase)
        candidates = would_text(
            uow=uow,
            clinic_id=slot.provider.clinic_id,
            timezone=timezone,
            provider_id=slot.provider.id or 0,
            service_id=slot.service.id or 0,
            starts_at=slot.starts_at,
            ends_at=ends_at,
            now=now,
            policy=clinic.policy,
        )
    until = blocks.clock(ends_at.astimezone(blocks.ZoneInfo(timezone)))
    start = blocks.when(slot.starts_at, timezone)
    what = f"{slot.service.name} with {slot.provider.name} · {start}–{until}"
    if candidates:
        names = ", ".join(
            blocks.client_line(c.client.first_name, f"W-{c.entry.id}") for c in candidates
        )
        who = f"Confirm to text {names} now."
    else:
        who = "No one on the waitlist fits it yet; confirm to open it anyway."
    line = (
        f"opening confirm P{slot.provider.id} S{slot.service.id} "
        f"{slot.starts_at.astimezone(UTC):%Y-%m-%dT%H:%MZ}"
    )
    text = f"Open {what}? {who}"
    return Reply(
        text,
        [
            blocks.section(f"*Open {what}?*\n{who}"),
            blocks.actions(
                blocks.button("Confirm", line, style="primary"),
                blocks.button("Cancel", "opening cancel"),
            ),
        ],
        reading={
            "provider_id": slot.provider.id,
            "service_id": slot.service.id,
            "starts_at": slot.starts_at,
        },
        confirm=line,
    )


def checked(
    uow: UnitOfWork,
    ctx: Context,
    provider: object,
    starts_at: datetime,
    ends_at: datetime,
    day_phrase: str,
    time_phrase: str,
) -> None:
    """The core checks of a slot, each refusal naming the words it is about."""
    from core.model import Provider

    assert isinstance(provider, Provider)
    try:
        check_opening(
            uow=uow,
            provider=provider,
            starts_at=starts_at,
            ends_at=ends_at,
            timezone=ctx.timezone,
            now=ctx.now(),
            policy=ctx.policy,
        )
    except InvalidInput as exc:
        phrase = day_phrase if exc.field == "weekday" else time_phrase
        raise CommandError(f"'{phrase}': {exc.message}") from None
    except WaitlistError as exc:
        raise CommandError(f"'{day_phrase} {time_phrase}': {exc.message}") from None


def _open(ctx: Context, provider_id: str, service_id: str, start: str) -> Reply:
    starts_at = datetime.strptime(start, "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    with ctx.uow() as uow:  # read before the transaction opens: one connection at a time
        provider = uow.providers.get(limits.check_id(int(provider_id), field="provider_id"))
    if provider is None:
        raise NotFound(f"Provider {provider_id} does not exist.")
    clinic = ctx.adopt(provider.clinic_id, provider.name)
    timezone = clinic.timezone

    def work(uow: UnitOfWork) -> Reply:
        step = declare_opening(
            uow=uow,
            provider_id=int(provider_id),
            service_id=int(service_id),
            starts_at=starts_at,
            actor=ctx.actor,
            now=ctx.now(),
            policy=clinic.policy,
        )
        message = describe_step(uow, step, timezone, ctx.now(), clinic.policy)
        return Reply(message, blocks.confirmation(message))

    return ctx.transact(work)
