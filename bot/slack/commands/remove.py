"""`/waitlist remove W-12 [reason]`: the client no longer wants a slot (entry cancelled)."""

from __future__ import annotations

import re

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.lookup import entry_and_rest
from core.entries import remove_from_waitlist
from core.ports import UnitOfWork

NAME = "remove"
USAGE = "remove W-12 [reason]"
SUMMARY = "take an entry off the waitlist"
CHANGES = True
_LABEL = re.compile(r"^(?:[-–—:,]\s*)?(?:reason\s*[:=-]?\s*)?", re.IGNORECASE)


def reason_of(text: str) -> str | None:
    """`- found another clinic`, `reason: moved`, `"moved to Denver"` -> the reason alone."""
    reason = _LABEL.sub("", text.strip()).strip()
    reason = reason.strip('"“”').strip()
    return reason or None


def run(ctx: Context, args: str) -> Reply:
    known = ctx.known_clinic_id  # read before the unit of work opens: one connection at a time
    with ctx.uow() as uow:
        entry_id, rest = entry_and_rest(uow, args, "/waitlist remove W-12", clinic_id=known)
        policy = ctx.entry_clinic(entry_id, uow).policy
    reason = reason_of(rest)

    def work(uow: UnitOfWork) -> Reply:
        entry = remove_from_waitlist(
            uow=uow,
            entry_id=entry_id,
            actor=ctx.actor,
            now=ctx.now(),
            policy=policy,
            reason=reason,
        )
        message = f"{entry.ref} is off the waitlist (cancelled)" + (
            f": {reason}." if reason else "."
        )
        return Reply(
            message,
            blocks.confirmation(message),
            reading={"entry_id": entry_id, "reason": reason},
        )

    return ctx.transact(work)
