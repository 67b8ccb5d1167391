"""`/waitlist match W-12 [from DATE] [to DATE]`: free slots that fit an entry."""

from __future__ import annotations

from datetime import date

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.dates import parse_day
from bot.slack.errors import CommandError
from bot.slack.refs import parse_ref
from core.slots import find_matching_slots

NAME = "match"
USAGE = "match W-12 [Feb 20 to Feb 27]"
SUMMARY = "free slots that fit an entry, each with an Offer button"
CHANGES = False
LIMIT = 10


def run(ctx: Context, args: str) -> Reply:
    words = args.split(maxsplit=1)
    if not words:
        raise CommandError("Say which entry, e.g. `/waitlist match W-12`.")
    entry_id = parse_ref(words[0], "W")
    start, end = _range(ctx, words[1] if len(words) > 1 else "")
    with ctx.uow() as uow:
        groups = find_matching_slots(
            uow=uow, entry_id=entry_id, now=ctx.now(), start_date=start, end_date=end, limit=LIMIT
        )
    count = sum(len(g["slots"]) for g in groups)
    return Reply(
        f"{count} free slot(s) for W-{entry_id}",
        blocks.slot_list(f"W-{entry_id}", groups, ctx.timezone),
    )


def _range(ctx: Context, text: str) -> tuple[date | None, date | None]:
    if not text.strip():
        return None, None
    first, sep, last = text.partition(" to ")
    start = parse_day(first.removeprefix("from ").strip(), ctx.now(), ctx.timezone)
    end = parse_day(last.strip(), ctx.now(), ctx.timezone) if sep else None
    if end is not None and end < start:
        raise CommandError(f"The range ends ({end:%b %d}) before it starts ({start:%b %d}).")
    return start, end
