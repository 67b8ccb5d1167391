"""An entry with the names a card shows, read in one place for every command and view."""

from __future__ import annotations

from dataclasses import dataclass

from core.model import Client, Provider, Service, WaitlistEntry
from core.ports import UnitOfWork


@dataclass(frozen=True)
class EntryView:
    """An entry with the names a card shows."""

    entry: WaitlistEntry
    client: Client
    service: Service | None
    providers: list[Provider]


def entry_view(uow: UnitOfWork, entry: WaitlistEntry) -> EntryView:
    client = uow.clients.get(entry.client_id)
    assert client is not None
    service = uow.services.get(entry.service_id) if entry.service_id else None
    providers = [p for p in (uow.providers.get(i) for i in entry.provider_ids) if p is not None]
    return EntryView(entry, client, service, providers)
