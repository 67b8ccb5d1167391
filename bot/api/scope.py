"""Which clinics a caller sees. A STAFF token with `clinic_ids` sees only those clinics:
another clinic's objects answer 404 with the same words as ids that do not exist, so
probing ids reveals nothing (as for patients, SPEC §7)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.api.auth import Principal
from bot.api.errors import InvalidQuery
from core.errors import NotFound
from core.ports import UnitOfWork


def seen(caller: Principal, clinic_id: int | None, missing: str) -> None:
    """NotFound(`missing`) unless the caller sees objects of `clinic_id`."""
    if not caller.sees(clinic_id):
        raise NotFound(missing)


def one_clinic(caller: Principal, clinic_id: int | None) -> int | None:
    """The clinic a list is of: the one asked for (if the caller sees it), else the token's
    only clinic. A token for several clinics must say which."""
    clinic_id, mine = caller.clinic_filter(clinic_id)
    if clinic_id is None and mine:
        if len(mine) > 1:
            raise InvalidQuery("clinic_id", "Your token covers several clinics: say which one.")
        return mine[0]
    return clinic_id


def client_seen(uow: UnitOfWork, caller: Principal, client_id: int) -> bool:
    """Clients are shared by a group's clinics. A clinic's staff see a client who is on its
    waitlist or has booked with it, or who is on no clinic's list yet (just added)."""
    return client_id in clients_seen(uow, caller, [client_id])


def clients_seen(uow: UnitOfWork, caller: Principal, client_ids: Sequence[int]) -> set[int]:
    """Which of these clients the caller sees (see `client_seen`), in one query."""
    if caller.clinic_ids is None:
        return set(client_ids)
    known = uow.entries.clinics_of_clients(client_ids)
    return {c for c in client_ids if c not in known or known[c] & caller.clinic_ids}
