"""The clinic's names as a line can use them: services, providers (with their hours) and
clients, read from the database for one command."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.slack import parser
from bot.slack.blocks import when
from bot.slack.errors import CommandError
from bot.slack.parser import Directory
from bot.slack.refs import parse_ref
from core.clinics import ClinicConfig
from core.directory import fold
from core.model import Appointment, AppointmentStatus, Client, EntryStatus, WaitlistEntry
from core.ports import EntryFilter, UnitOfWork

_ENTRY_REF = re.compile(r"(?:W-?)?\d+", re.IGNORECASE)
_APPOINTMENT_REF = re.compile(r"(?:A-?)?\d+", re.IGNORECASE)
_LONGEST_NAME = 4  # words
_MINUTE = timedelta(minutes=1)


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


def entry_and_rest(
    uow: UnitOfWork, args: str, example: str, *, clinic_id: int | None = None
) -> tuple[int, str]:
    """The entry a line starts with — `W-12`, or the name of a client with one active entry
    (`Jane Doe`, `maria`; at `clinic_id` when the line's clinic is known) — and the words
    after it. `example` shows the command with a ref."""
    words = args.split()
    if not words:
        raise CommandError(f"Say which entry, e.g. `{example}`.")
    if _ENTRY_REF.fullmatch(words[0]):
        return parse_ref(words[0], "W"), args.split(maxsplit=1)[1] if len(words) > 1 else ""
    book = ClientBook(uow)
    for n in range(min(_LONGEST_NAME, len(words)), 0, -1):
        clients = book.by_name(words[:n])
        if clients:
            typed = " ".join(words[:n])
            return _only_active(uow, clients, typed, example, clinic_id), " ".join(words[n:])
    typed = " ".join(words[:2]) if all(w.isalpha() for w in words[:2]) else words[0]
    raise CommandError(
        f"I couldn't find an entry or a client called '{typed}'; say the entry, "
        f"e.g. `{example}`, or the client's name."
    )


def _only_active(
    uow: UnitOfWork, clients: list[Client], typed: str, example: str, clinic_id: int | None
) -> int:
    active: list[WaitlistEntry] = []
    waiting = (EntryStatus.WAITING, EntryStatus.OFFERED)
    for client in clients:
        found = uow.entries.list(
            EntryFilter(clinic_id=clinic_id, client_id=client.id, statuses=waiting), limit=10
        )
        active += found.items
    if len(active) == 1 and active[0].id is not None:
        return active[0].id
    if not active:
        raise CommandError(f"'{typed}' has no active waitlist entry.")
    active.sort(key=lambda e: e.id or 0)
    refs = ", ".join(e.ref for e in active)
    raise CommandError(
        f"'{typed}' could mean {refs}; say which, e.g. `{example.replace('W-12', active[0].ref)}`."
    )


class Where(Protocol):
    """The line's clinic, asked for only when a slot must be read (Context)."""

    @property
    def clinic(self) -> ClinicConfig: ...

    def zone_of(self, clinic_id: int) -> str: ...


def appointment_and_rest(
    uow: UnitOfWork, args: str, *, now: datetime, clinic_id: int | None, where: Where
) -> tuple[int, str]:
    """The booked appointment a `cancel` line names — `A-7`, a client with one upcoming
    appointment (`Maria Garcia`; at `clinic_id` when the line's clinic is known), or a
    provider's slot at the line's clinic (`dr johnson tomorrow 10am`) — and the words after
    it (the reason; none after a slot)."""
    words = args.split()
    if not words:
        raise CommandError("Say which appointment, e.g. `/waitlist cancel A-7`.")
    if _APPOINTMENT_REF.fullmatch(words[0]):
        return parse_ref(words[0], "A"), args.split(maxsplit=1)[1] if len(words) > 1 else ""
    book = ClientBook(uow)
    for n in range(min(_LONGEST_NAME, len(words)), 0, -1):
        clients = book.by_name(words[:n])
        if clients:
            typed = " ".join(words[:n])
            return _only_upcoming(uow, clients, typed, now, clinic_id, where), " ".join(words[n:])
    clinic = where.clinic
    timezone = clinic.timezone
    try:
        slot = parser.parse_slot(
            args,
            directory=directory(uow, clinic.clinic_id),
            now=now,
            timezone=timezone,
            service=False,
        )
    except parser.ParseError:
        raise CommandError(
            f"I couldn't find an appointment for '{args.strip()}'; say the appointment "
            "(`/waitlist cancel A-7`), the client's name, or the provider and time "
            "(`/waitlist cancel dr johnson tue 10am`)."
        ) from None
    assert slot.provider is not None and slot.provider.id is not None
    minute = timedelta(minutes=1)
    booked = [
        a
        for a in uow.appointments.booked_between(
            [slot.provider.id], slot.starts_at, slot.starts_at + minute
        )
        if a.scheduled_at == slot.starts_at and a.id is not None
    ]
    if not booked:
        raise CommandError(
            f"{slot.provider.name} has no appointment booked at {when(slot.starts_at, timezone)}. "
            "A free slot with no booking is filled with `/waitlist opening` "
            f"(e.g. `/waitlist opening {args.strip()} <service>`)."
        )
    return booked[0].id or 0, ""


def _only_upcoming(
    uow: UnitOfWork,
    clients: list[Client],
    typed: str,
    now: datetime,
    clinic_id: int | None,
    where: Where,
) -> int:
    upcoming: list[Appointment] = []
    for client in clients:
        page = uow.appointments.list(client_id=client.id, start=now, limit=10)
        upcoming += [
            a
            for a in page.items
            if a.status is AppointmentStatus.BOOKED and clinic_id in (None, a.clinic_id)
        ]
    if len(upcoming) == 1 and upcoming[0].id is not None:
        return upcoming[0].id
    if not upcoming:
        raise CommandError(f"'{typed}' has no upcoming appointment booked.")
    upcoming.sort(key=lambda a: a.scheduled_at)
    listed = ", ".join(
        f"{a.ref} ({when(a.scheduled_at, where.zone_of(a.clinic_id))})" for a in upcoming
    )
    raise CommandError(
        f"'{typed}' has {listed}; say which, e.g. `/waitlist cancel {upcoming[0].ref}`."
    )
