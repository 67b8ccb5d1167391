"""Which clinics a caller sees. A STAFF token with `clinic_ids` sees only those clinics:
another clinic's objects answer 404 with the same words as ids that do not exist, so
probing ids reveals nothing (as for patients, SPEC §7)."""

from __future__ import annotations

from bot.api.auth import Principal
from bot.api.errors import InvalidQuery
from core.errors import NotFound
from core.ports import EntryFilter, UnitOfWork


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
    if caller.clinic_ids is None:
        return True
    mine = tuple(sorted(caller.clinic_ids))
    if uow.entries.list(EntryFilter(client_id=client_id, clinic_ids=mine), limit=1).total:
        return True
    booked = uow.appointments.list(client_id=client_id, limit=100).items
    if any(a.clinic_id in caller.clinic_ids for a in booked):
        return True
    return not booked and not uow.entries.list(EntryFilter(client_id=client_id), limit=1).total
