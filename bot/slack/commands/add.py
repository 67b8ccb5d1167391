"""`/waitlist add <one line>`: put a client on the waitlist from natural language.

With no text, Slack opens the Add form instead. The client is found (by name, or by phone)
or created, and the entry added, in one transaction: a line that is not fully understood
creates nothing, and the reply says back everything that was understood.
"""

from __future__ import annotations

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.entry_view import entry_view
from bot.slack.errors import CommandError
from bot.slack.lookup import directory
from core.directory import add_client
from core.entries import add_to_waitlist
from core.ports import UnitOfWork

NAME = "add"
USAGE = 'add Jane Doe +1 555 123 4567 botox with Dr. Johnson weekdays 9am-2pm "note"'
SUMMARY = "put a client on the waitlist (no text: opens a form)"
CHANGES = True


def run(ctx: Context, args: str) -> Reply:
    from bot.slack import parser

    if not args.strip():
        from bot.slack.modal import add_view

        clinic_id = ctx.clinic.clinic_id
        with ctx.uow() as uow:
            view = add_view(
                uow.services.list(clinic_id),
                uow.providers.list(clinic_id),
                ctx.channel_id,
                clinic_id,
            )
        return Reply(
            "Opening the Add form. In text, try `/waitlist add Jane Doe +1 555 123 4567 botox`.",
            modal=view,
        )
    clinic = ctx.clinic  # read before the transaction opens: one connection at a time
    now, timezone = ctx.now(), clinic.timezone

    def work(uow: UnitOfWork) -> Reply:
        try:
            parsed = parser.parse_add(
                args, directory=directory(uow, clinic.clinic_id), now=now, timezone=timezone
            )
        except parser.ParseError as exc:
            raise CommandError(exc.message) from None
        client = uow.clients.get(parsed.client_id) if parsed.client_id else None
        if client is None:
            client = add_client(
                uow=uow,
                first_name=parsed.first_name,
                last_name=parsed.last_name,
                phone=parsed.phone,
                now=now,
                actor=ctx.actor,
            )
        entry = add_to_waitlist(
            uow=uow,
            client_id=client.id or 0,
            clinic_id=clinic.clinic_id,
            actor=ctx.actor,
            now=now,
            **parsed.preferences,
        )
        view = entry_view(uow, entry)
        message = f"Added {entry.ref} for {client.first_name} {client.last_name}."
        understood = blocks.context("Understood: " + " · ".join(parsed.understood))
        return Reply(
            message,
            blocks.confirmation(message, *blocks.entry_card(view), understood),
            reading={"entry_id": entry.id},
        )

    return ctx.transact(work)
