"""`/waitlist show W-12`: one entry as a card, with the client's phone."""

from __future__ import annotations

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.entry_view import entry_view
from bot.slack.errors import CommandError
from bot.slack.lookup import entry_and_rest
from core.entries import get_waitlist_entry

NAME = "show"
USAGE = "show W-12"
SUMMARY = "one entry in full"
CHANGES = False


def run(ctx: Context, args: str) -> Reply:
    known = ctx.known_clinic_id  # read before the unit of work opens: one connection at a time
    with ctx.uow() as uow:
        entry_id, rest = entry_and_rest(uow, args, "/waitlist show W-12", clinic_id=known)
        if rest:
            raise CommandError(f"I didn't understand '{rest}'; say just the entry, e.g. W-12.")
        ctx.entry_clinic(entry_id, uow)
        entry = get_waitlist_entry(uow=uow, entry_id=entry_id)
        view = entry_view(uow, entry)
    return Reply(
        blocks.describe_entry(view),
        blocks.entry_card(view, with_phone=True),
        reading={"entry_id": entry.id},
    )
