"""The subcommands of `/waitlist` and the dispatcher that picks one from the first word."""

from __future__ import annotations

import re
from dataclasses import replace

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
    settings,
    show,
    stats,
)
from bot.slack.commands.base import Command, Context, Reply
from bot.slack.errors import CommandError, NotAllowed
from bot.slack.grammar.clinics import Named, named_clinic
from core import limits
from core.clinics import ClinicConfig
from core.directory import fold

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
        settings,
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
    trusted = trusted or ctx.trusted
    if command.CHANGES and not trusted and not ctx.staff_somewhere():
        raise NotAllowed(
            f"Sorry, only clinic staff can use `/waitlist {name}`. "
            "Ask an admin to add you to the staff list; `/waitlist help` works for everyone."
        )
    # Core's text rules on the whole line, before any word of it is read.
    limits.check_text(args, field="command", limit=limits.COMMAND, multiline=True)
    named = _named_clinic(ctx, args)
    ctx = replace(
        ctx,
        trusted=trusted,
        changes=command.CHANGES,
        named=named,
        example=f"{name} {named.rest}".strip(),
        _acting=None,
    )
    return command.run(ctx, named.rest.strip())


def _named_clinic(ctx: Context, args: str) -> Named[ClinicConfig]:
    """`at <clinic>` read out of the line; only a group has clinics to tell apart."""
    clinics = ctx.group.clinics
    if len(clinics) < 2 or not re.search(r"\bat\b", args, re.IGNORECASE):
        return Named(None, args)
    with ctx.uow() as uow:
        names = [x.name for x in (*uow.services.list(), *uow.providers.list())]
    reserved = {word for name in names for word in fold(name).split()}
    return named_clinic(args, clinics, reserved)


def error_reply(error: Exception) -> Reply | None:
    """The reply for an error a user can act on; None for a bug (logged, not shown)."""
    from bot.slack import blocks
    from core.errors import WaitlistError

    if isinstance(error, CommandError | WaitlistError):
        return Reply(error.message, blocks.problem(error.message))
    return None
