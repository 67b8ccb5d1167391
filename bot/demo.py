"""`waitlist demo`: a cancellation filled from the waitlist, start to finish, on a fresh
SQLite file with no Slack or Twilio credentials."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.importer import import_data, load_file
from core import entries, fill
from core.conversation import receive_sms
from core.dispatch import WITHDRAWN_GRACE, dispatch_outbox
from core.keywords import Intent
from core.matching import mismatch, slot_spec
from core.model import (
    Appointment,
    Client,
    Clinic,
    EntryStatus,
    Event,
    Message,
    OfferStatus,
    TimeSlot,
)
from core.policy import Policy
from core.ports import EntryFilter, SendResult, UnitOfWork
from core.ranking import candidate_query, rank
from core.reports import RATES_EXPLAINED
from core.texts import local_when
from core.wording import local_clock
from storage.db import make_engine, upgrade
from storage.uow import uow_factory

SAMPLE = Path(__file__).with_name("sample_clinic.yml")
TZ = ZoneInfo("America/New_York")
# Who has the week's appointments, by client phone; each gets one a day, round the clock.
BOOKERS = ["6175550108", "6175550107", "6175550109", "6175550110", "6175550111", "6175550112"]

Write = Callable[[str], None]


@dataclass
class _NamedSender:
    """Prints each text with the first name of whom it goes to."""

    names: dict[str, str]
    write: Write

    def send(self, message: Message, clinic: Clinic | None = None) -> SendResult:
        who = self.names.get(message.phone, "?")
        self.write(f"      SMS to {who:<6} {message.body}")
        return SendResult(ok=True, provider_sid=f"demo-{message.id}")


def run_demo(db_path: Path, *, today: date | None = None, write: Write = print) -> None:
    if db_path.exists():
        db_path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db_path}"
    upgrade(url)
    engine = make_engine(url)
    make_uow = uow_factory(engine)
    try:
        _story(make_uow, today or datetime.now(TZ).date(), write, db_path)
    finally:
        engine.dispose()


def _story(make_uow: Callable[[], UnitOfWork], today: date, write: Write, db_path: Path) -> None:
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    now = datetime.combine(monday, time(9, 30), TZ).astimezone(UTC)
    policy = Policy()
    write(f"Waitlist demo: Glow Clinic, America/New_York  (database: {db_path})")
    write(
        f"The clock is simulated: the story starts {local_when(now, 'America/New_York')}, the "
        "next Monday morning,\nso it happens in clinic hours and outside quiet hours (no texts "
        "9 PM to 8 AM), and replies\ncome minutes apart without waiting for real time. No Slack "
        "or Twilio: texts print here.\n"
    )

    write("1. The clinic")
    data = load_file(SAMPLE)
    data["appointments"] = _week_of_appointments(monday)
    with make_uow() as uow:
        report = import_data(data, uow=uow, now=now - timedelta(days=30), source=SAMPLE.name)
        uow.commit()
    write(f"   Imported {report.summary()}.\n")

    write("2. Six clients join the waitlist")
    refs = _join_waitlist(make_uow, now)
    for line in refs:
        write(f"   {line}")

    write("\n3. Sam Lee cancels tomorrow's 10:00 AM Botox with Dr. Johnson")
    with make_uow() as uow:
        clients = {c.phone: c for c in uow.clients.list(limit=100).items}
        names = {phone: c.first_name for phone, c in clients.items()}
        sam = clients["+16175550107"]
        appointment = next(
            a
            for a in uow.appointments.list(client_id=sam.id, limit=50).items
            if a.scheduled_at == datetime.combine(monday + timedelta(days=1), time(10), TZ)
        )
        lines = _ranking_lines(uow, appointment, now, policy)
        step = fill.handle_cancellation(
            uow=uow,
            appointment_id=appointment.id or 0,
            actor="staff:demo",
            now=now,
            policy=policy,
            reason="client cancelled",
        )
        uow.commit()
    opening = step.opening
    write(
        f"   {appointment.ref} cancelled. Opening {opening.ref}: "
        f"{local_when(opening.starts_at, 'America/New_York')}, offers close at "
        f"{local_when(opening.cutoff_at, 'America/New_York')}."
    )
    offered = {o.entry_id for o in step.offered}
    write("   Who fits, best first (priority, then fewest recent offers, then first come):")
    for rank_no, (entry_id, line) in enumerate(lines.fits, start=1):
        state = "offered" if entry_id in offered else "next in line"
        write(f"     {rank_no}. {line} -> {state}")
    for line in lines.others:
        write(f"     -  {line}")
    write(f"   Offers go to the top {policy.batch_size}; each holds {policy.hold_minutes} min:")
    sender = _NamedSender(names, write)
    dispatch_outbox(uow_factory=make_uow, sender=sender, now=now, policy=policy)

    write("\n4. Replies come in, as texts to the clinic's number")
    by_name = {c.first_name: c for c in clients.values()}
    texts = [
        (3, "Maria", "NO"),
        (4, "Tom", "what time is it again?"),
        (5, "Ana", "found another clinic, take me off the list"),
        (6, "Priya", "YES"),
        (8, "Priya", "yes!!"),
    ]
    for minutes, name, body in texts:
        at = now + timedelta(minutes=minutes)
        _text(make_uow, by_name[name], body, at, policy, write)
        # "The slot is gone" texts wait out a short grace first (core.dispatch.WITHDRAWN_GRACE).
        dispatch_outbox(
            uow_factory=make_uow, sender=sender, now=at + WITHDRAWN_GRACE, policy=policy
        )

    write("\n5. Where things stand")
    with make_uow() as uow:
        stats = entries.get_waitlist_stats(uow=uow)
        filled = uow.openings.get(opening.id or 0)
        events = uow.events.list(opening_id=opening.id, limit=500)
    assert filled is not None
    took = (filled.filled_at or now) - (filled.created_at or now)
    write(
        f"   {opening.ref} is {filled.status}, {int(took.total_seconds() // 60)} minutes after "
        f"the cancellation; its audit trail has {len(events)} events:"
    )
    write(f"   {_story_of(events)}.")
    counts = "  ".join(f"{k} {v}" for k, v in stats["counts"].items())
    write(f"   Waitlist: {counts}  (total {stats['total']}, active {stats['activeCount']})")
    write(
        f"   Conversion {stats['conversionRate']}% ({stats['counts']['booked']} of "
        f"{stats['total']} entries booked from the waitlist), average wait to booking "
        f"{stats['averageWaitDays']} days."
    )
    from bot.scheduler.stats_post import fill_lines

    morning = datetime.combine(monday + timedelta(days=1), time(8), TZ).astimezone(UTC)
    with make_uow() as uow:
        report = entries.get_waitlist_stats(uow=uow, now=morning, timezone=TZ.key)
    write("   The next morning's stats post in Slack says:")
    for line in fill_lines(report["fills"]):
        write(f"   {line}")
    write(f"   ({RATES_EXPLAINED})")


def _week_of_appointments(monday: date) -> list[dict[str, Any]]:
    """Each booker has one appointment a day, Monday to Friday, Dr. Johnson's day full."""
    rows = []
    for day in range(5):
        for slot, phone in enumerate(BOOKERS[:4]):
            hour = 9 + slot
            rows.append(
                {
                    "client": phone,
                    "service": "Botox",
                    "provider": "Dr. Johnson",
                    "start": datetime.combine(monday + timedelta(days=day), time(hour)),
                }
            )
        rows.append(
            {
                "client": BOOKERS[4],
                "service": "Facial",
                "provider": "Nurse Kim",
                "start": datetime.combine(monday + timedelta(days=day), time(9)),
            }
        )
    return rows


def _join_waitlist(make_uow: Callable[[], UnitOfWork], now: datetime) -> list[str]:
    mornings = (TimeSlot.MORNING,)
    wishes: list[tuple[str, str, int, dict[str, Any], str]] = [
        (
            "6175550101",
            "Botox",
            9,
            {"priority": 2, "preferred_days": (1, 2, 3, 4, 5), "preferred_time_slots": mornings},
            "weekday mornings, priority 2",
        ),
        (
            "6175550102",
            "Botox",
            12,
            {
                "provider": "Dr. Johnson",
                "preferred_days": (2, 4),
                "preferred_time_start": time(9),
                "preferred_time_end": time(14),
            },
            "Dr. Johnson, Tue/Thu 9am-2pm",
        ),
        (
            "6175550103",
            "Botox",
            6,
            {"notes": "No weekends", "preferred_days": (1, 2, 3, 4, 5)},
            "any weekday, 'No weekends'",
        ),
        (
            "6175550104",
            "Botox",
            4,
            {
                "priority": 1,
                "preferred_days": (1, 2, 3, 4, 5),
                "preferred_time_slots": (TimeSlot.MORNING, TimeSlot.AFTERNOON),
            },
            "weekdays 8am-5pm, urgent",
        ),
        ("6175550105", "Filler", 3, {}, "anytime"),
        ("6175550106", "Botox", 2, {"provider": "Dr. Patel"}, "Dr. Patel only"),
    ]
    lines = []
    with make_uow() as uow:
        services = {s.name: s.id for s in uow.services.list()}
        providers = {p.name: p.id for p in uow.providers.list()}
        for phone, service, days_ago, prefs, summary in wishes:
            client = uow.clients.get_by_phone(f"+1{phone}")
            assert client is not None and client.id is not None
            provider = prefs.pop("provider", None)
            if provider:
                prefs["provider_ids"] = (providers[provider],)
            entry = entries.add_to_waitlist(
                uow=uow,
                client_id=client.id,
                service_id=services[service],
                actor="staff:demo",
                now=now - timedelta(days=days_ago),
                **prefs,
            )
            lines.append(
                f"{entry.ref:<5} {_name(client):<13} {service:<7} {summary} "
                f"(waiting {days_ago} days)"
            )
        uow.commit()
    return lines


@dataclass
class _RankingLines:
    fits: list[tuple[int, str]]  # (entry id, text), in the engine's order
    others: list[str]  # waiting entries that do not fit, and why


def _ranking_lines(
    uow: UnitOfWork, appointment: Appointment, now: datetime, policy: Policy
) -> _RankingLines:
    """The engine's own ranking for the appointment's slot, read before the slot is opened
    (afterwards the clients it offered hold pending offers and drop out of the search)."""
    spec = slot_spec(
        clinic_id=appointment.clinic_id,
        timezone="America/New_York",
        starts_at=appointment.scheduled_at,
        ends_at=appointment.ends_at,
        service_id=appointment.service_id,
        provider_id=appointment.provider_id,
    )
    query = candidate_query(
        spec,
        now=now,
        policy=policy,
        exclude_opening_id=None,
        limit=50,
        exclude_client_id=appointment.client_id,  # as the fill will: not their own slot back
    )
    fits = [
        (c.entry.id or 0, f"{c.entry.ref:<5} {_name(c.client):<13} priority {c.entry.priority}")
        for c in rank(uow.entries.candidates(query), policy)
    ]
    others = []
    waiting = uow.entries.list(EntryFilter(statuses=(EntryStatus.WAITING,)), limit=100).items
    for entry in waiting:
        why = mismatch(entry, spec, now)
        client = uow.clients.get(entry.client_id)
        if why is not None and client is not None:
            others.append(f"{entry.ref:<5} {_name(client):<13} does not fit: {why}")
    return _RankingLines(fits, others)


def _text(
    make_uow: Callable[[], UnitOfWork],
    client: Client,
    body: str,
    at: datetime,
    policy: Policy,
    write: Write,
) -> None:
    """A text from `client` through the same path as the Twilio webhook, and what it did."""
    write(f"   {local_clock(at, TZ.key)}  {client.first_name} texts “{body}”")
    with make_uow() as uow:
        before = {o.id: o.status for o in uow.offers.for_opening(1)}
        reply = receive_sms(
            uow=uow, sid=f"demo-{uuid.uuid4().hex}", phone=client.phone, body=body, now=at,
            policy=policy,
        )  # fmt: skip
        after = uow.offers.for_opening(1)
        uow.commit()
    if reply.text:
        write(f"      Answered at once: {reply.text}")
    new = [o for o in after if o.id not in before]
    withdrawn = [
        o for o in after if o.status is OfferStatus.WITHDRAWN and before.get(o.id) != o.status
    ]
    with make_uow() as uow:
        if reply.intent is Intent.NO:
            nxt = ", ".join(_who(uow, o.client_id, o.entry_id) for o in new)
            write(
                f"      Declined; {client.first_name} stays on the list. "
                f"The next offer goes to: {nxt or 'nobody, no one else fits'}"
            )
        elif reply.intent is Intent.YES:
            others = len(withdrawn)
            write(
                f"      Booked {client.first_name}. {others} other pending "
                f"offer{'s' if others != 1 else ''} withdrawn; they are told the slot is gone."
            )
        elif reply.intent is Intent.LEAVE_WAITLIST:
            nxt = ", ".join(_who(uow, o.client_id, o.entry_id) for o in new) or "no one else fits"
            write(
                f"      {client.first_name}'s entry is cancelled and the offer withdrawn; staff "
                f"see it in Slack. The next offer goes to: {nxt}"
            )
        elif reply.intent is Intent.OFFER_QUESTION:
            write("      Nothing changes; staff see the question in Slack.")


def _story_of(events: list[Event]) -> str:
    """The audit trail in words: `the opening was created, 4 offers were sent, …`."""
    counts = Counter(e.kind for e in events)
    said = []
    for kind, number in counts.items():
        one, many = _EVENT_WORDS.get(kind, (kind, kind))
        said.append(one if number == 1 else f"{number} {many}")
    return ", ".join(said)


# Event kind -> (said once, said of several), for the audit trail in words.
_EVENT_WORDS = {
    "OpeningCreated": ("the opening was created", "openings were created"),
    "OfferSent": ("an offer was sent", "offers were sent"),
    "OfferDeclined": ("an offer was declined", "offers were declined"),
    "OfferAccepted": ("an offer was accepted", "offers were accepted"),
    "OfferWithdrawn": ("an offer was withdrawn", "offers were withdrawn"),
    "OfferLapsed": ("an offer lapsed unanswered", "offers lapsed unanswered"),
    "OfferFailed": ("an offer text failed", "offer texts failed"),
    "OfferDeferred": ("an offer waited for quiet hours", "offers waited for quiet hours"),
    "CandidateSkipped": ("a client who cannot be texted was skipped", "clients were skipped"),
    "NoCandidates": ("no one else fitted", "times no one else fitted"),
    "OpeningFilled": ("the opening was filled", "openings were filled"),
    "OpeningExpired": ("the opening expired unfilled", "openings expired unfilled"),
    "SmsForStaff": ("a patient's question went to staff", "patients' texts went to staff"),
    "EntryRemoved": ("an entry was cancelled", "entries were cancelled"),
    "ClientLeftWaitlist": ("a patient left the waitlist", "patients left the waitlist"),
}


def _who(uow: UnitOfWork, client_id: int, entry_id: int) -> str:
    client = uow.clients.get(client_id)
    return f"W-{entry_id} {_name(client)}" if client else f"W-{entry_id}"


def _name(client: Client) -> str:
    return f"{client.first_name} {client.last_name[:1]}."
