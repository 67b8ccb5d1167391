"""`/waitlist list [status] [page N]`: entries as cards, newest first, ten a page."""

from __future__ import annotations

import math

from bot.slack import blocks
from bot.slack.commands.base import Context, Reply, entry_view
from bot.slack.errors import CommandError
from core.entries import get_waitlist
from core.model import ACTIVE_STATUSES, EntryStatus
from core.ports import EntryFilter

NAME = "list"
USAGE = "list [active|waiting|offered|booked|cancelled|expired|all] [page N]"
SUMMARY = "entries, newest first (default: active)"
CHANGES = False
PAGE_SIZE = 10

_STATUSES: dict[str, tuple[EntryStatus, ...]] = {
    "active": tuple(sorted(ACTIVE_STATUSES)),
    "all": (),
    **{status.value: (status,) for status in EntryStatus},
}


def run(ctx: Context, args: str) -> Reply:
    words = args.lower().split()
    page = 1
    if len(words) >= 2 and words[-2] == "page":
        if not words[-1].isdigit() or int(words[-1]) < 1:
            raise CommandError(f"'{words[-1]}' is not a page number.")
        page = int(words[-1])
        words = words[:-2]
    if len(words) > 1 or (words and words[0] not in _STATUSES):
        raise CommandError(
            f"I can list {', '.join(_STATUSES)} entries; '{' '.join(words)}' is not one of them."
        )
    status = words[0] if words else "active"
    with ctx.uow() as uow:
        found = get_waitlist(
            uow=uow,
            filters=EntryFilter(statuses=_STATUSES[status]),
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        views = [entry_view(uow, entry) for entry in found.items]
    pages = max(1, math.ceil(found.total / PAGE_SIZE))
    if page > pages:
        raise CommandError(f"There is no page {page}; the list has {pages}.")
    title = f"{status.capitalize()} waitlist entries"
    text = f"{title}: {found.total}"
    return Reply(
        text,
        blocks.entry_list(
            views, title=title, page=page, pages=pages, total=found.total, line=f"list {status}"
        ),
    )
