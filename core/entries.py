"""Waitlist entries: add, update, remove, expire, and reading them back (SPEC §2)."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core import limits
from core.audit import record
from core.clinics import the_clinic
from core.errors import Conflict, IllegalTransition, InvalidInput, NotFound
from core.fill import advance_locked
from core.lifecycle import Journal, close_offers, lock_opening
from core.model import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    AppointmentType,
    EntryStatus,
    EventKind,
    OfferStatus,
    PaymentType,
    TimeSlot,
    WaitlistEntry,
)
from core.policy import Policy
from core.ports import EntryFilter, Page, UnitOfWork
from core.reports import fill_report

EDITABLE = frozenset(
    {
        "service_id",
        "provider_ids",
        "preferred_date_start",
        "preferred_date_end",
        "preferred_time_start",
        "preferred_time_end",
        "preferred_time_slots",
        "preferred_days",
        "notes",
        "priority",
        "appointment_type",
        "appointment_category",
        "payment_type",
        "expires_at",
    }
)


def add_to_waitlist(
    *,
    uow: UnitOfWork,
    client_id: int,
    actor: str,
    now: datetime,
    clinic_id: int | None = None,
    **preferences: Any,
) -> WaitlistEntry:
    """Put a client on the waitlist. Preferences are the EDITABLE fields; anything else,
    or anything inconsistent, is refused with InvalidInput and nothing is stored."""
    _only_editable(preferences)
    limits.check_fields(preferences, limits.ENTRY_FIELDS)
    client = uow.clients.get(limits.check_id(client_id, field="client_id"))
    if client is None:
        raise NotFound(
            f"Client {client_id} does not exist.",
        )
    if client.archived_at is not None:
        raise Conflict(f"Client {client_id} is archived: they can join no waitlist.")
    clinic_id = _clinic_id(uow, clinic_id)
    entry = WaitlistEntry(clinic_id=clinic_id, client_id=client_id, **preferences)
    entry.status = EntryStatus.WAITING
    entry.created_at = entry.updated_at = now
    entry.created_by = entry.updated_by = actor
    validate(uow, entry, now)
    if entry.appointment_type is None and entry.service_id is not None:
        service = uow.services.get(entry.service_id)
        entry.appointment_type = service.appointment_type if service else None
    duplicate = uow.entries.list(
        EntryFilter(
            client_id=client_id, statuses=tuple(ACTIVE_STATUSES), service_id=entry.service_id
        ),
        limit=1,
    )
    if duplicate.items and duplicate.items[0].service_id == entry.service_id:
        raise Conflict(
            f"{client.first_name} {client.last_name} is already on the waitlist for that "
            f"({duplicate.items[0].ref})."
        )
    entry = uow.entries.add(entry)
    record(
        uow,
        EventKind.ENTRY_ADDED,
        actor=actor,
        now=now,
        clinic_id=clinic_id,
        entry_id=entry.id,
        client_id=client_id,
        after=_snapshot(entry),
    )
    return entry


def update_waitlist_entry(
    *, uow: UnitOfWork, entry_id: int, changes: dict[str, Any], actor: str, now: datetime
) -> WaitlistEntry:
    """Change an active entry's preferences. Booked, cancelled and expired entries are final."""
    _only_editable(changes)
    limits.check_fields(changes, limits.ENTRY_FIELDS)
    entry = get_waitlist_entry(uow=uow, entry_id=entry_id, for_update=True)
    if entry.status in FINAL_STATUSES:
        raise IllegalTransition(f"{entry.ref} is {entry.status}; it can no longer be edited.")
    updated = replace(entry, **changes, updated_at=now, updated_by=actor)
    validate(uow, updated, now, previous=entry)
    uow.entries.save(updated)
    before, after = _snapshot(entry), _snapshot(updated)
    changed = sorted(k for k in after if after[k] != before[k])
    record(
        uow,
        EventKind.ENTRY_UPDATED,
        actor=actor,
        now=now,
        clinic_id=entry.clinic_id,
        entry_id=entry.id,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return updated


def remove_from_waitlist(
    *,
    uow: UnitOfWork,
    entry_id: int,
    actor: str,
    now: datetime,
    policy: Policy,
    reason: str | None = None,
) -> WaitlistEntry:
    """The client no longer wants a slot: the entry becomes cancelled (the reason, if any,
    is kept in the event)."""
    return _end(
        uow,
        entry_id,
        EntryStatus.CANCELLED,
        EventKind.ENTRY_REMOVED,
        actor,
        now,
        policy,
        reason=reason,
    )


def expire_old_entries(
    *,
    uow: UnitOfWork,
    days: int,
    now: datetime,
    policy: Policy,
    actor: str = "scheduler",
    clinic_id: int | None = None,
) -> dict[str, int]:
    """Expire active entries past their expires_at or added more than `days` days ago (of
    one clinic when `clinic_id` is given: each clinic has its own max wait)."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise InvalidInput("Days must be at least 1.", field="days")
    if days > limits.MAX_DAYS:  # before it reaches timedelta, which overflows
        raise InvalidInput(f"Days must be at most {limits.MAX_DAYS} (ten years).", field="days")
    ids = uow.entries.ids_to_expire(
        now=now, created_before=now - timedelta(days=days), clinic_id=clinic_id
    )
    for entry_id in ids:
        _end(uow, entry_id, EntryStatus.EXPIRED, EventKind.ENTRY_EXPIRED, actor, now, policy)
    return {"expired": len(ids)}


def get_waitlist_entry(
    *, uow: UnitOfWork, entry_id: int, for_update: bool = False
) -> WaitlistEntry:
    known = 1 <= entry_id <= limits.MAX_ID  # a larger id cannot exist (nor be looked up)
    entry = uow.entries.get(entry_id, for_update=for_update) if known else None
    if entry is None:
        raise NotFound(f"Waitlist entry W-{entry_id} does not exist.")
    return entry


def get_waitlist(
    *,
    uow: UnitOfWork,
    filters: EntryFilter | None = None,
    sort_by: str = "created_at",
    descending: bool = True,
    offset: int = 0,
    limit: int = 20,
) -> Page[WaitlistEntry]:
    """Entries matching the filters (status one or many, service, provider, client…)."""
    if limit < 1 or offset < 0:
        raise InvalidInput("Page bounds must be positive.")
    return uow.entries.list(
        filters or EntryFilter(),
        sort_by=sort_by,
        descending=descending,
        offset=offset,
        limit=limit,
    )


def get_waitlist_stats(
    *,
    uow: UnitOfWork,
    clinic_id: int | None = None,
    now: datetime | None = None,
    timezone: str | None = None,
) -> dict[str, Any]:
    """The seed's stats shape: counts, total, activeCount, conversionRate, averageWaitDays.

    Given `now`, it adds `fills`: what the fills did yesterday and over the last 30 days, by
    local days of the clinic's time zone (else `timezone`, else the only clinic's, else UTC).
    """
    kept = uow.reports.entry_counts(clinic_id)
    counts = {status.value: kept.counts.get(status, 0) for status in EntryStatus}
    total = sum(counts.values())
    average = kept.average_wait_days
    stats: dict[str, Any] = {
        "counts": counts,
        "total": total,
        "activeCount": counts["waiting"] + counts["offered"],
        "conversionRate": round(100 * counts["booked"] / total) if total else 0,
        "averageWaitDays": round(average, 1) if average is not None else 0,
    }
    if now is not None:
        zone = _report_timezone(uow, clinic_id, timezone)
        stats["fills"] = fill_report(uow=uow, now=now, timezone=zone, clinic_id=clinic_id)
    return stats


def _report_timezone(uow: UnitOfWork, clinic_id: int | None, timezone: str | None) -> str:
    """The clinic's zone; across several clinics, `timezone` if given, else UTC days."""
    if clinic_id is None and timezone:
        return timezone
    if clinic_id is None and len(uow.clinics.list()) != 1:
        return "UTC"
    return the_clinic(uow, clinic_id).timezone


def validate(
    uow: UnitOfWork, entry: WaitlistEntry, now: datetime, previous: WaitlistEntry | None = None
) -> None:
    """Every rule an entry's preferences must keep; raises InvalidInput naming the field.
    `previous` is the entry before an edit: a range that has since passed may stay as it was."""
    _types(entry)
    if not 1 <= entry.priority <= 5:
        raise InvalidInput("Priority must be between 1 (most urgent) and 5.", field="priority")
    if any(not 0 <= day <= 6 for day in entry.preferred_days):
        raise InvalidInput(
            "Preferred days must be 0 (Sunday) to 6 (Saturday).", field="preferred_days"
        )
    start, end = entry.preferred_date_start, entry.preferred_date_end
    if start and end and end < start:
        raise InvalidInput(
            f"The end date {end} is before the start date {start}.", field="preferred_date_end"
        )
    if end and (previous is None or previous.preferred_date_end != end):
        today = now.astimezone(ZoneInfo(the_clinic(uow, entry.clinic_id).timezone)).date()
        if end < today:
            raise InvalidInput(
                f"The date range ends {end}, already past: it could never be matched.",
                field="preferred_date_end",
            )
    t_start, t_end = entry.preferred_time_start, entry.preferred_time_end
    if t_start and t_end and t_end <= t_start:
        raise InvalidInput(
            f"The latest time {t_end:%H:%M} is not after the earliest {t_start:%H:%M}.",
            field="preferred_time_end",
        )
    if entry.expires_at is not None and entry.expires_at <= now:
        raise InvalidInput("The expiry must be in the future.", field="expires_at")
    if entry.service_id is not None:
        service = uow.services.get(entry.service_id)
        if service is None or service.clinic_id != entry.clinic_id:
            raise NotFound(f"Service {entry.service_id} does not exist at this clinic.")
        if service.archived_at is not None and (
            previous is None or previous.service_id != entry.service_id
        ):
            raise InvalidInput(f"Service {service.id} is archived.", field="service_id")
    for provider_id in entry.provider_ids:
        provider = uow.providers.get(provider_id)
        if provider is None or provider.clinic_id != entry.clinic_id:
            raise NotFound(f"Provider {provider_id} does not exist at this clinic.")
        if provider.archived_at is not None and (
            previous is None or provider_id not in previous.provider_ids
        ):
            raise InvalidInput(f"Provider {provider_id} is archived.", field="provider_ids")


def _types(entry: WaitlistEntry) -> None:
    """Reject values of the wrong type before they reach the database."""
    checks: list[tuple[str, object, type | tuple[type, ...]]] = [
        ("preferred_date_start", entry.preferred_date_start, date),
        ("preferred_date_end", entry.preferred_date_end, date),
        ("preferred_time_start", entry.preferred_time_start, time),
        ("preferred_time_end", entry.preferred_time_end, time),
        ("expires_at", entry.expires_at, datetime),
        ("notes", entry.notes, str),
        ("appointment_category", entry.appointment_category, str),
        ("service_id", entry.service_id, int),
    ]
    for name, value, kind in checks:
        if value is not None and not isinstance(value, kind):
            raise InvalidInput(f"{name} has the wrong type.", field=name)
    if entry.service_id is not None:
        limits.check_id(entry.service_id, field="service_id")
    if isinstance(entry.preferred_date_start, datetime) or isinstance(
        entry.preferred_date_end, datetime
    ):
        raise InvalidInput("Preferred dates are dates, not times.", field="preferred_date_start")
    if entry.expires_at is not None and entry.expires_at.tzinfo is None:
        raise InvalidInput("expires_at needs a time zone.", field="expires_at")
    if isinstance(entry.priority, bool) or not isinstance(entry.priority, int):
        raise InvalidInput("Priority must be a whole number.", field="priority")
    try:
        entry.provider_ids = tuple(int(p) for p in entry.provider_ids)
        limits.check_ids(entry.provider_ids, field="provider_ids")
        entry.preferred_days = tuple(sorted({int(d) for d in entry.preferred_days}))
        entry.preferred_time_slots = tuple(TimeSlot(s) for s in entry.preferred_time_slots)
        if entry.appointment_type is not None:
            entry.appointment_type = AppointmentType(entry.appointment_type)
        if entry.payment_type is not None:
            entry.payment_type = PaymentType(entry.payment_type)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"Invalid preference value: {exc}.") from exc


def _reason(reason: str | None) -> dict[str, Any]:
    return {"reason": reason} if reason else {}


def _only_editable(values: dict[str, Any]) -> None:
    unknown = sorted(set(values) - EDITABLE)
    if unknown:
        raise InvalidInput(
            f"Unknown or read-only field(s): {', '.join(unknown)}.", field=unknown[0]
        )


def _clinic_id(uow: UnitOfWork, clinic_id: int | None) -> int:
    return the_clinic(uow, clinic_id, "the entry").id or 0


def _end(
    uow: UnitOfWork,
    entry_id: int,
    status: EntryStatus,
    kind: EventKind,
    actor: str,
    now: datetime,
    policy: Policy,
    reason: str | None = None,
) -> WaitlistEntry:
    entry = get_waitlist_entry(uow=uow, entry_id=entry_id)
    if entry.status in FINAL_STATUSES:
        raise IllegalTransition(f"{entry.ref} is already {entry.status}.")
    pending = uow.offers.pending_for_client(entry.client_id)
    opening = None
    journal = Journal()
    if pending is not None and pending.entry_id == entry_id:
        opening = lock_opening(uow, pending.opening_id)
        clinic = uow.clinics.get(entry.clinic_id)
        assert clinic is not None
        close_offers(
            uow, journal, opening, clinic, OfferStatus.WITHDRAWN, now=now, actor=actor,
            offer_ids=[pending.id or 0], notify=False,
        )  # fmt: skip
        journal.write(uow)
    entry = get_waitlist_entry(uow=uow, entry_id=entry_id, for_update=True)
    if entry.status in FINAL_STATUSES:
        raise IllegalTransition(f"{entry.ref} is already {entry.status}.")
    entry.move_to(status)
    entry.updated_at = now
    entry.updated_by = actor
    uow.entries.save(entry)
    record(
        uow,
        kind,
        actor=actor,
        now=now,
        clinic_id=entry.clinic_id,
        entry_id=entry.id,
        client_id=entry.client_id,
        **_reason(reason),
    )
    if opening is not None:
        advance_locked(uow, journal, opening, now=now, policy=policy, actor="engine")
    return entry


def _snapshot(entry: WaitlistEntry) -> dict[str, Any]:
    return {f.name: getattr(entry, f.name) for f in fields(entry) if f.name in EDITABLE}
