"""The App Home tab: for each clinic the user may act on, its open openings, pending offers
with their time left, and its stats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.slack import blocks
from bot.slack.commands.stats import describe
from core.clinics import ClinicConfig
from core.entries import get_waitlist_stats
from core.model import ACTIVE_STATUSES, OfferStatus
from core.ports import EntryFilter, UnitOfWork
from core.reachability import unreachable_words

_SHOWN = 10


def home_view(uow: UnitOfWork, *, now: datetime, clinics: Sequence[ClinicConfig]) -> dict[str, Any]:
    """One section per clinic, each in its own time zone; a clinic's name heads its section
    only when there are several."""
    body: list[dict[str, Any]] = [blocks.header("Waitlist")]
    open_ids = uow.openings.open_ids()
    for n, clinic in enumerate(clinics):
        if len(clinics) > 1:
            body += [blocks.divider()] if n else []
            body.append(blocks.header(clinic.name))
        body += _clinic(uow, now, clinic, open_ids)
    body.append(blocks.context("Type `/waitlist help` in any channel for the commands."))
    return {"type": "home", "blocks": body}


def _clinic(
    uow: UnitOfWork, now: datetime, clinic: ClinicConfig, open_ids: Sequence[int]
) -> list[dict[str, Any]]:
    timezone, clinic_id = clinic.timezone, clinic.clinic_id
    providers = {p.id: p.name for p in uow.providers.list(clinic_id)}
    openings = sorted(
        (
            o
            for o in (uow.openings.get(i) for i in open_ids)
            if o is not None and o.clinic_id == clinic_id
        ),
        key=lambda o: o.starts_at,
    )
    today = now.astimezone(clinic.zone).date()
    todays = [o for o in openings if o.starts_at.astimezone(clinic.zone).date() == today]
    body = [blocks.section(f"*Today's open openings* ({len(todays)})")]
    for opening in todays:
        body.append(
            blocks.context(
                f"{opening.ref} · {blocks.when(opening.starts_at, timezone)} · "
                f"{providers.get(opening.provider_id, '?')}"
            )
        )
    pending = []
    for opening in openings:
        for offer in uow.offers.for_opening(opening.id or 0):
            if offer.status is OfferStatus.PENDING:
                client = uow.clients.get(offer.client_id)
                minutes = max(0, int((offer.expires_at - now).total_seconds() // 60))
                name = blocks.client_line(
                    client.first_name if client else "?", f"W-{offer.entry_id}"
                )
                pending.append(f"{name} for {opening.ref} · {minutes} min left")
    body.append(blocks.divider())
    body.append(blocks.section(f"*Pending offers* ({len(pending)})"))
    body.extend(blocks.context(line) for line in pending)
    body.extend(_unreachable(uow, clinic_id))
    later = len(openings) - len(todays)
    if later:
        body.append(blocks.context(f"{later} more open opening(s) on later days."))
    body.append(blocks.divider())
    stats = get_waitlist_stats(uow=uow, now=now, clinic_id=clinic_id, timezone=timezone)
    body.append(blocks.section(describe(stats)))
    return body


def _unreachable(uow: UnitOfWork, clinic_id: int) -> list[dict[str, Any]]:
    """Active entries the fill skips because their client cannot be texted, and why."""
    found = uow.entries.list(
        EntryFilter(clinic_id=clinic_id, statuses=tuple(ACTIVE_STATUSES), reachable=False),
        limit=_SHOWN,
    )
    if not found.total:
        return []
    body = [blocks.divider(), blocks.section(f"*Cannot be texted* ({found.total})")]
    for entry in found.items:
        client = uow.clients.get(entry.client_id)
        if client is not None:
            name = blocks.client_line(client.first_name, entry.ref)
            body.append(blocks.context(f":no_bell: {name} · {unreachable_words(client)}"))
    if found.total > _SHOWN:
        body.append(blocks.context("`/waitlist list` shows them all, each marked."))
    return body
