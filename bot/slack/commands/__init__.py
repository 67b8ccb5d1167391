"""The subcommands of `/waitlist` and the dispatcher that picks one from the first word."""

from __future__ import annotations

from bot.slack.auth import is_staff
from bot.slack.commands import (
    add,
    cancel,
    edit,
    expire,
    help,
    list,
    match,
    offer,
    opening,
    remove,
    show,
    stats,
)
from bot.slack.commands.base import Command, Context, Reply
from bot.slack.errors import CommandError, NotAllowed
from core import limits

COMMANDS: dict[str, Command] = {
    module.NAME: module  # type: ignore[misc]
    for module in (
        add,
        list,
        show,
        edit,
        remove,
        match,
        offer,
        cancel,
        opening,
        stats,
        expire,
        help,
    )
}


def run_line(ctx: Context, line: str, *, trusted: bool = False) -> Reply:
    """Run one `/waitlist` line (the leading `/waitlist` is optional). Raises CommandError or
    a core WaitlistError with a user-facing message; the caller turns them into a reply.
    `trusted` skips the staff check (the local console's operator is staff)."""
    text = line.strip().removeprefix("/waitlist").strip()
    name, _, args = text.partition(" ")
    name = name.lower() or "help"
    command = COMMANDS.get(name)
    if command is None:
        raise CommandError(f"I don't know `{name}`. Try `/waitlist help` for the list of commands.")
    if (
        command.CHANGES
        and not trusted
        and not is_staff(ctx.runtime.settings, ctx.user_id, ctx.channel_id)
    ):
        raise NotAllowed(
            f"Sorry, only clinic staff can use `/waitlist {name}`. "
            "Ask an admin to add you to the staff list; `/waitlist help` works for everyone."
        )
    # Core's text rules on the whole line, before any word of it is read.
    limits.check_text(args, field="command", limit=limits.COMMAND, multiline=True)
    return command.run(ctx, args.strip())


def error_reply(error: Exception) -> Reply | None:
    """The reply for an error a user can act on; None for a bug (logged, not shown)."""
    from bot.slack import blocks
    from core.errors import WaitlistError

    if isinstance(error, CommandError | WaitlistError):
        return Reply(error.message, blocks.problem(error.message))
    return None
