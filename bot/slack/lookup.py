"""The clinic's names as a line can use them: services, providers (with their hours) and
clients, read from the database for one command."""

from __future__ import annotations

from collections.abc import Sequence

from bot.slack.parser import Directory, fold
from core.model import Client
from core.ports import UnitOfWork


class ClientBook:
    """Clients found by name (without accents or case) or by phone, in an open unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def by_phone(self, phone: str) -> Client | None:
        return self.uow.clients.get_by_phone(phone)

    def by_name(self, words: Sequence[str]) -> list[Client]:
        wanted = fold(" ".join(words))
        found: dict[int, Client] = {}
        for word in sorted({fold(w) for w in words}, key=len, reverse=True)[:3]:
            if len(word) < 2:
                continue
            for client in self.uow.clients.search(word, limit=50):
                name = fold(f"{client.first_name} {client.last_name}")
                if client.id is not None and wanted in (name, fold(client.first_name)):
                    found[client.id] = client
        return list(found.values())


def directory(uow: UnitOfWork, clinic_id: int) -> Directory:
    """Everything a line at this clinic may name, for parsing inside this unit of work
    (clients are every clinic's: one person may wait at several)."""
    return Directory(
        services=uow.services.list(clinic_id),
        providers=uow.providers.list(clinic_id),
        clients=ClientBook(uow),
    )
