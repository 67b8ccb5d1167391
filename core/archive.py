"""Archiving clients, providers and services, and erasing a client on request (SPEC §13).

Archived records stay (entries, appointments, offers and statistics still point at them) but
are gone from new work: lists and pickers, new entries and bookings, matching. Their open
waitlist entries are cancelled, each with its own EntryRemoved event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from core.audit import record
from core.entries import remove_from_waitlist
from core.errors import NotFound
from core.model import ACTIVE_STATUSES, Client, EventKind, Provider, Service, WaitlistEntry
from core.policy import Policy
from core.ports import EntryFilter, UnitOfWork

ERASED_PHONE = "erased:{id}"  # unique, like phones, and never a number anyone can text


def archive_client(
    *, uow: UnitOfWork, client_id: int, actor: str, now: datetime, policy: Policy
) -> Client:
    """The client leaves the clinic's lists; their open entries are cancelled."""
    client = uow.clients.get(client_id)
    if client is None:
        raise NotFound(f"Client {client_id} does not exist.")
    if client.archived_at is None:
        client.archived_at = now
        uow.clients.save(client)
        record(uow, EventKind.CLIENT_ARCHIVED, actor=actor, now=now, client_id=client_id)
    _cancel_open(uow, EntryFilter(client_id=client_id), actor, now, policy)
    return client


def erase_client(
    *, uow: UnitOfWork, client_id: int, actor: str, now: datetime, policy: Policy
) -> Client:
    """Forget who the client is: name, phone, email and time zone are removed (ids,
    statuses and timings stay, so statistics hold). The client is archived too."""
    client = archive_client(uow=uow, client_id=client_id, actor=actor, now=now, policy=policy)
    if client.erased_at is not None:
        return client
    client.first_name = client.last_name = ""
    client.phone = ERASED_PHONE.format(id=client_id)
    client.email = client.timezone = client.opt_out_text = None
    client.phone_invalid = True
    client.erased_at = now
    uow.clients.save(client)
    uow.clients.erase_messages(client_id)
    record(uow, EventKind.CLIENT_ERASED, actor=actor, now=now, client_id=client_id)
    return client


def archive_provider(
    *, uow: UnitOfWork, provider_id: int, actor: str, now: datetime, policy: Policy
) -> Provider:
    """The provider left: gone from new work. Entries that wanted only providers who have
    left are cancelled; entries that still name someone else keep waiting."""
    provider = uow.providers.get(provider_id)
    if provider is None:
        raise NotFound(f"Provider {provider_id} does not exist.")
    if provider.archived_at is None:
        provider.archived_at = now
        uow.providers.save(provider)
        record(
            uow,
            EventKind.PROVIDER_ARCHIVED,
            actor=actor,
            now=now,
            clinic_id=provider.clinic_id,
            provider_id=provider_id,
        )
    staying = {p.id for p in uow.providers.list(provider.clinic_id)}
    _cancel_open(
        uow,
        EntryFilter(provider_ids=(provider_id,)),
        actor,
        now,
        policy,
        keep=lambda entry: bool(set(entry.provider_ids) & staying),
    )
    return provider


def archive_service(
    *, uow: UnitOfWork, service_id: int, actor: str, now: datetime, policy: Policy
) -> Service:
    """The service is no longer offered: gone from new work; entries for it are cancelled."""
    service = uow.services.get(service_id)
    if service is None:
        raise NotFound(f"Service {service_id} does not exist.")
    if service.archived_at is None:
        service.archived_at = now
        uow.services.save(service)
        record(
            uow,
            EventKind.SERVICE_ARCHIVED,
            actor=actor,
            now=now,
            clinic_id=service.clinic_id,
            service_id=service_id,
        )
    _cancel_open(uow, EntryFilter(service_id=service_id), actor, now, policy)
    return service


def _cancel_open(
    uow: UnitOfWork,
    filters: EntryFilter,
    actor: str,
    now: datetime,
    policy: Policy,
    keep: Callable[[WaitlistEntry], bool] | None = None,
) -> None:
    active = replace(filters, statuses=tuple(ACTIVE_STATUSES))
    ending: list[int] = []
    offset = 0
    while True:
        page = uow.entries.list(
            active, sort_by="created_at", descending=False, offset=offset, limit=200
        )
        ending += [e.id or 0 for e in page.items if keep is None or not keep(e)]
        offset += len(page.items)
        if not page.items or offset >= page.total:
            break
    for entry_id in ending:
        remove_from_waitlist(uow=uow, entry_id=entry_id, actor=actor, now=now, policy=policy)
