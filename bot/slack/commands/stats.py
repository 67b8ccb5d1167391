"""`/waitlist stats`: the waitlist's numbers (get_waitlist_stats)."""

from __future__ import annotations

from typing import Any

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.errors import CommandError
from core.entries import get_waitlist_stats

NAME = "stats"
USAGE = "stats"
SUMMARY = "counts by status, conversion and average wait"
CHANGES = False


def run(ctx: Context, args: str) -> Reply:
    if args.strip():
        raise CommandError("`stats` takes no arguments.")
    with ctx.uow() as uow:
        stats = get_waitlist_stats(uow=uow)
    text = describe(stats)
    return Reply(text, [blocks.section(text)])


def describe(stats: dict[str, Any]) -> str:
    counts = " · ".join(f"{k} {v}" for k, v in stats["counts"].items())
    return (
        f"*Waitlist:* {stats['total']} entries ({counts})\n"
        f"Active {stats['activeCount']} · conversion {stats['conversionRate']}% · "
        f"average wait to booking {stats['averageWaitDays']} days"
    )
