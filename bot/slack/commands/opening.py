"""`/waitlist opening <provider> <service> <when>`: staff declare a free slot to fill."""

from __future__ import annotations

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.commands.cancel import describe_step
from bot.slack.dates import parse_moment
from bot.slack.errors import CommandError
from bot.slack.lookup import split_named
from core.fill import declare_opening
from core.ports import UnitOfWork

NAME = "opening"
USAGE = "opening Dr. Lee Botox Tue 2pm"
SUMMARY = "a slot is free (no cancellation): fill it from the waitlist"
CHANGES = True


def run(ctx: Context, args: str) -> Reply:
    words = args.split()
    if len(words) < 3:
        raise CommandError(
            "Say who, what and when, e.g. `/waitlist opening Dr. Lee Botox Tue 2pm`."
        )
    with ctx.uow() as uow:
        provider, rest = split_named(words, uow.providers.list(), "provider")
        service, rest = split_named(rest, uow.services.list(), "service")
    if not rest:
        raise CommandError("Say when the slot starts, e.g. `Tue 2pm`.")
    timezone = ctx.timezone
    starts_at = parse_moment(" ".join(rest), ctx.now(), timezone)

    def work(uow: UnitOfWork) -> Reply:
        step = declare_opening(
            uow=uow,
            provider_id=provider.id or 0,
            service_id=service.id or 0,
            starts_at=starts_at,
            actor=ctx.actor,
            now=ctx.now(),
            policy=ctx.runtime.policy,
        )
        message = describe_step(uow, step, timezone)
        return Reply(message, blocks.confirmation(message))

    return ctx.transact(work)
