"""`/waitlist stats`: the waitlist's numbers (get_waitlist_stats)."""

from __future__ import annotations

from typing import Any

from bot.scheduler.stats_post import fill_lines
from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.errors import CommandError
from core.entries import get_waitlist_stats
from core.reports import RATES_EXPLAINED

NAME = "stats"
USAGE = "stats"
SUMMARY = "counts by status, conversion, average wait and fills"
CHANGES = False


def run(ctx: Context, args: str) -> Reply:
    if args.strip():
        raise CommandError("`stats` takes no arguments.")
    clinic = ctx.clinic
    with ctx.uow() as uow:
        stats = get_waitlist_stats(
            uow=uow, now=ctx.now(), clinic_id=clinic.clinic_id, timezone=clinic.timezone
        )
    text = describe(stats)
    return Reply(text, [blocks.section(text)])


def describe(stats: dict[str, Any]) -> str:
    counts = " · ".join(f"{k} {v}" for k, v in stats["counts"].items())
    lines = [
        f"*Waitlist:* {stats['total']} entr{'y' if stats['total'] == 1 else 'ies'} ({counts})",
        f"Active {stats['activeCount']} · conversion {stats['conversionRate']}% · "
        f"average wait to booking {stats['averageWaitDays']} days",
    ]
    if "fills" in stats:
        lines += fill_lines(stats["fills"])
    lines.append(f"_{RATES_EXPLAINED}_")
    return "\n".join(lines)
