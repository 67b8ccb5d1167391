"""`/waitlist show W-12`: one entry as a card, with the client's phone."""

from __future__ import annotations

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.entry_view import entry_view
from bot.slack.errors import CommandError
from bot.slack.refs import parse_ref
from core.entries import get_waitlist_entry

NAME = "show"
USAGE = "show W-12"
SUMMARY = "one entry in full"
CHANGES = False


def run(ctx: Context, args: str) -> Reply:
    words = args.split()
    if len(words) != 1:
        raise CommandError("Say which entry, e.g. `/waitlist show W-12`.")
    entry_id = parse_ref(words[0], "W")
    ctx.entry_clinic(entry_id)
    with ctx.uow() as uow:
        entry = get_waitlist_entry(uow=uow, entry_id=entry_id)
        view = entry_view(uow, entry)
    return Reply(
        blocks.describe_entry(view),
        blocks.entry_card(view, with_phone=True),
        reading={"entry_id": entry.id},
    )
