"""`/waitlist match W-12 [dates]`: free slots that fit an entry, within the dates given
(`next week`, `dec 5-12`, `by friday`), read as every other command reads dates."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.errors import CommandError
from bot.slack.lookup import entry_and_rest
from core.slots import MAX_RANGE_DAYS, find_matching_slots

NAME = "match"
USAGE = "match W-12 [next week | Feb 20 to Feb 27]"
SUMMARY = "free slots that fit an entry, each with an Offer button"
CHANGES = False
LIMIT = 10


def run(ctx: Context, args: str) -> Reply:
    from bot.slack import parser

    known = ctx.known_clinic_id  # read before the unit of work opens: one connection at a time
    with ctx.uow() as uow:
        entry_id, dates = entry_and_rest(uow, args, "/waitlist match W-12", clinic_id=known)
        timezone = ctx.entry_clinic(entry_id, uow).timezone
    start = end = None
    said = ""
    if dates:
        try:
            found = parser.parse_range(dates, now=ctx.now(), timezone=timezone)
        except parser.ParseError as exc:
            raise CommandError(exc.message) from None
        start, end, said = found.start, found.end, f" ({found.understood})"
    search_end = end
    first = start or ctx.now().astimezone(ZoneInfo(timezone)).date()
    if end and (end - first).days > MAX_RANGE_DAYS:  # the first stretch of a long range
        search_end = first + timedelta(days=MAX_RANGE_DAYS)
        said += f"; the first {MAX_RANGE_DAYS} days searched"
    with ctx.uow() as uow:
        groups = find_matching_slots(
            uow=uow,
            entry_id=entry_id,
            now=ctx.now(),
            start_date=start,
            end_date=search_end,
            limit=LIMIT,
        )
    count = sum(len(g["slots"]) for g in groups)
    return Reply(
        f"{count} free slot(s) for W-{entry_id}{said}",
        blocks.slot_list(f"W-{entry_id}", groups, timezone),
        reading={"entry_id": entry_id, "start": start, "end": end},
    )
