"""Writing the append-only Event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.model import Event, EventKind
from core.ports import UnitOfWork


def record(uow: UnitOfWork, kind: EventKind, **fields: Any) -> Event:
    """Append one event now (`fields` as for `make_event`)."""
    return uow.events.add(make_event(kind, **fields))


def make_event(
    kind: EventKind,
    *,
    actor: str,
    now: datetime,
    clinic_id: int | None = None,
    opening_id: int | None = None,
    entry_id: int | None = None,
    offer_id: int | None = None,
    appointment_id: int | None = None,
    client_id: int | None = None,
    **data: Any,
) -> Event:
    """An event not yet written (see core.lifecycle.Journal, which writes many at once)."""
    return Event(
        kind=kind,
        actor=actor,
        at=now,
        clinic_id=clinic_id,
        opening_id=opening_id,
        entry_id=entry_id,
        offer_id=offer_id,
        appointment_id=appointment_id,
        client_id=client_id,
        data={key: _plain(value) for key, value in data.items()},
    )


def _plain(value: Any) -> Any:
    """Events hold JSON-friendly data only."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def mask_phone(phone: str | None) -> str:
    """Logs and events show only the last two digits of a phone."""
    if not phone:
        return "?"
    return f"{'*' * max(len(phone) - 2, 0)}{phone[-2:]}"
