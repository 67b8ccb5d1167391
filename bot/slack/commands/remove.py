"""`/waitlist remove W-12`: the client no longer wants a slot (entry cancelled)."""

from __future__ import annotations

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.errors import CommandError
from bot.slack.refs import parse_ref
from core.entries import remove_from_waitlist
from core.ports import UnitOfWork

NAME = "remove"
USAGE = "remove W-12"
SUMMARY = "take an entry off the waitlist"
CHANGES = True


def run(ctx: Context, args: str) -> Reply:
    words = args.split()
    if len(words) != 1:
        raise CommandError("Say which entry to remove, e.g. `/waitlist remove W-12`.")

    def work(uow: UnitOfWork) -> Reply:
        entry = remove_from_waitlist(
            uow=uow,
            entry_id=parse_ref(words[0], "W"),
            actor=ctx.actor,
            now=ctx.now(),
            policy=ctx.runtime.policy,
        )
        message = f"{entry.ref} is off the waitlist (cancelled)."
        return Reply(message, blocks.confirmation(message))

    return ctx.transact(work)
