"""`/waitlist expire [days]`: expire entries past their expiry or older than N days."""

from __future__ import annotations

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.errors import CommandError
from core.entries import expire_old_entries
from core.limits import MAX_DAYS
from core.ports import UnitOfWork

NAME = "expire"
USAGE = "expire [days]"
SUMMARY = "expire stale entries now (default: the configured maximum wait)"
CHANGES = True


def run(ctx: Context, args: str) -> Reply:
    text = args.strip()
    if text and not (text.isascii() and text.isdigit()):
        raise CommandError(f"'{text}' is not a number of days. Try `/waitlist expire 30`.")
    if len(text) > len(str(MAX_DAYS)):  # too big for the rule below, and for int() itself
        raise CommandError(f"Days must be at most {MAX_DAYS} (ten years).")
    clinic = ctx.clinic
    days = int(text) if text else clinic.policy.max_wait_days

    def work(uow: UnitOfWork) -> Reply:
        result = expire_old_entries(
            uow=uow,
            days=days,
            now=ctx.now(),
            policy=clinic.policy,
            actor=ctx.actor,
            clinic_id=clinic.clinic_id,
        )
        n = result["expired"]
        message = (
            f"Expired {n} entr{'y' if n == 1 else 'ies'} older than {days} days or past expiry."
        )
        return Reply(message, blocks.confirmation(message))

    return ctx.transact(work)
