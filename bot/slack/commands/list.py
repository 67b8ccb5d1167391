"""`/waitlist list [status…] [service] [provider] [pN] [page N]`: entries as cards, newest
first, ten a page (`list waiting`, `list botox`, `list hydro w/ tomasz`, `list p1`)."""

from __future__ import annotations

import math

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply
from bot.slack.entry_view import entry_view
from bot.slack.errors import CommandError
from bot.slack.lookup import directory
from core.entries import get_waitlist
from core.model import ACTIVE_STATUSES, EntryStatus
from core.ports import EntryFilter

NAME = "list"
USAGE = "list [active|waiting|offered|booked|cancelled|expired|all] [service] [provider] [page N]"
SUMMARY = "entries, newest first (default: active)"
CHANGES = False
PAGE_SIZE = 10

_STATUSES: dict[str, tuple[EntryStatus, ...]] = {
    "active": tuple(sorted(ACTIVE_STATUSES)),
    "all": (),
    **{status.value: (status,) for status in EntryStatus},
}


def run(ctx: Context, args: str) -> Reply:
    from bot.slack import parser

    clinic = ctx.clinic  # before the transaction: one connection at a time
    now, timezone = ctx.now(), clinic.timezone
    with ctx.uow() as uow:
        try:
            asked = parser.parse_filters(
                args,
                directory=directory(uow, clinic.clinic_id),
                statuses=list(_STATUSES),
                now=now,
                timezone=timezone,
            )
        except parser.ParseError as exc:
            raise CommandError(exc.message) from None
        statuses = tuple(s for name in asked.statuses or ("active",) for s in _STATUSES[name])
        filters = EntryFilter(
            clinic_id=clinic.clinic_id,
            statuses=statuses,
            service_id=asked.service.id if asked.service else None,
            provider_ids=(asked.provider.id or 0,) if asked.provider else (),
            priority=asked.priority,
        )
        found = get_waitlist(
            uow=uow, filters=filters, offset=(asked.page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        views = [entry_view(uow, entry) for entry in found.items]
    pages = max(1, math.ceil(found.total / PAGE_SIZE))
    if asked.page > pages:
        raise CommandError(f"There is no page {asked.page}; the list has {pages}.")
    named = [*(asked.statuses or ("active",))]
    named += [x.name for x in (asked.service, asked.provider) if x is not None]
    named += [f"priority {asked.priority}"] if asked.priority else []
    joined = " · ".join(named)
    title = f"{joined[:1].upper()}{joined[1:]} waitlist entries"
    words = args.split()
    base = " ".join(words[:-2] if len(words) >= 2 and words[-2].lower() == "page" else words)
    line = f"list {base or 'active'}"
    if len(ctx.group.clinics) > 1:  # the pager's buttons work from App Home and DMs too
        line += f" at {clinic.name}"
    return Reply(
        f"{title}: {found.total}",
        blocks.entry_list(
            views, title=title, page=asked.page, pages=pages, total=found.total, line=line
        ),
        reading={
            "statuses": asked.statuses,
            "service_id": asked.service.id if asked.service else None,
            "provider_id": asked.provider.id if asked.provider else None,
            "priority": asked.priority,
        },
    )
