"""`/waitlist edit W-12 <changes>`: change an active entry's preferences, in the same
language as `add` (e.g. `edit W-12 afternoons priority 1`)."""

from __future__ import annotations

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.entry_view import entry_view
from bot.slack.errors import CommandError
from bot.slack.lookup import directory, entry_and_rest
from core.entries import update_waitlist_entry
from core.ports import UnitOfWork

NAME = "edit"
USAGE = "edit W-12 afternoons priority 1"
SUMMARY = "change an entry's preferences"
CHANGES = True


def run(ctx: Context, args: str) -> Reply:
    from bot.slack import parser

    known = ctx.known_clinic_id  # read before the unit of work opens: one connection at a time
    with ctx.uow() as uow:
        entry_id, changes = entry_and_rest(
            uow, args, "/waitlist edit W-12 mornings", clinic_id=known
        )
        if not changes:
            raise CommandError(
                f"Say what changes for W-{entry_id}, e.g. `/waitlist edit W-{entry_id} mornings`."
            )
        clinic = ctx.entry_clinic(entry_id, uow)
    now, timezone = ctx.now(), clinic.timezone

    def work(uow: UnitOfWork) -> Reply:
        try:
            parsed = parser.parse_edit(
                changes, directory=directory(uow, clinic.clinic_id), now=now, timezone=timezone
            )
        except parser.ParseError as exc:
            raise CommandError(exc.message) from None
        entry = update_waitlist_entry(
            uow=uow, entry_id=entry_id, changes=parsed.changes, actor=ctx.actor, now=now
        )
        view = entry_view(uow, entry)
        message = f"Updated {entry.ref}: {' · '.join(parsed.understood)}."
        return Reply(
            message,
            blocks.confirmation(message, *blocks.entry_card(view)),
            reading={"entry_id": entry_id, "changes": parsed.changes},
        )

    return ctx.transact(work)
