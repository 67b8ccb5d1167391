"""`waitlist demo --group`: one deployment, two clinics in two time zones, each filling a
cancellation from its own waitlist and texting from its own number. A fresh SQLite file, no
Slack or Twilio credentials: texts print here with the number they leave from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.importer import import_data, load_file
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.sms.inbound import handle_sms
from core import directory, entries, fill
from core.lease import Finding, Verdict
from core.model import Clinic, Message
from core.ports import SendResult
from core.texts import local_when
from storage.db import upgrade

SAMPLE = Path(__file__).with_name("sample_group.yml")
Write = Callable[[str], None]
# Who joins which clinic's waitlist (by phone); Priya is on both.
WAITING = {
    "Harbor Physio Downtown": ["+16175550101", "+16175550103", "+16175550102"],
    "Harbor Physio Bayside": ["+16175550103", "+14155550105", "+14155550106"],
}
HOLDER = ("Cal", "Holder", "+16175550199")


@dataclass
class _FromSender:
    """Prints each text with the clinic number it leaves from and whom it goes to."""

    runtime: Runtime
    names: dict[str, str]
    write: Write

    def send(self, message: Message, clinic: Clinic | None = None) -> SendResult:
        source = self.runtime.sender_of(message, clinic) or "(deployment number)"
        who = self.names.get(message.phone, "?")
        self.write(f"      SMS from {source} to {who:<6} {message.body}")
        return SendResult(ok=True, provider_sid=f"demo-out-{message.id}")

    def lookup(self, message: Message, *, since: datetime) -> Finding:
        return Finding(Verdict.NEVER)  # nothing is really sent


def run_group_demo(db_path: Path, *, today: date | None = None, write: Write = print) -> None:
    for path in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
        path.unlink(missing_ok=True)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        WAITLIST_DATABASE_URL=f"sqlite:///{db_path}",
        SLACK_BOT_TOKEN=None,
        SLACK_SIGNING_SECRET=None,
        TWILIO_ACCOUNT_SID=None,
        TWILIO_FROM_NUMBER=None,
    )
    upgrade(settings.database_url)
    runtime = build_runtime(settings)
    try:
        _story(runtime, today or datetime.now(UTC).date(), write, db_path)
    finally:
        runtime.close()


def _story(runtime: Runtime, today: date, write: Write, db_path: Path) -> None:
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    now = datetime.combine(monday, time(13, 0), ZoneInfo("America/New_York")).astimezone(UTC)
    runtime.clock = lambda: now
    write(f"Waitlist group demo: two clinics, one deployment  (database: {db_path})")
    write(
        f"The clock is simulated: {local_when(now, 'America/New_York')} in New York, "
        f"{local_when(now, 'America/Los_Angeles')} in Los Angeles.\n"
    )
    write("1. The group")
    with runtime.make_uow() as uow:
        report = import_data(load_file(SAMPLE), uow=uow, now=now, source=SAMPLE.name)
        holder = directory.add_client(
            uow=uow, first_name=HOLDER[0], last_name=HOLDER[1], phone=HOLDER[2], now=now,
            actor="demo",
        )  # fmt: skip
        uow.commit()
        clinics = [uow.clinics.get(i) for i in report.clinic_ids]
    write(f"   Imported {report.summary()}.")
    for clinic in clinics:
        assert clinic is not None
        config = runtime.clinic_config(clinic)
        policy = config.policy
        write(
            f"   {clinic.name}: {clinic.timezone}, texts from {config.sender}, channel "
            f"{config.slack_channel}, batch {policy.batch_size}, hold {policy.hold_minutes} min, "
            f"cut-off {policy.cutoff_minutes} min"
        )
    write("")
    names: dict[str, str] = {}
    openings: list[int] = []
    for step, clinic in enumerate(clinics, start=2):
        assert clinic is not None
        opening_id = _fill(runtime, clinic, holder.id or 0, monday, now, step, write, names)
        openings.append(opening_id)
    sender = _FromSender(runtime, names, write)
    runtime.sender = sender
    write(f"{len(clinics) + 2}. The offers go out, each from its clinic's number")
    runtime.dispatch_now()
    write(
        f"\n{len(clinics) + 3}. Replies, each to a clinic's number. Priya is on both lists but "
        "holds Downtown's offer:\n   a YES to Bayside's number books nothing there."
    )
    texts = [
        (clinics[1], "+16175550103", "yes", 4),
        (clinics[0], "+16175550103", "YES", 5),
        (clinics[1], "+14155550105", "Y", 7),
    ]
    for clinic, phone, body, minutes in texts:
        assert clinic is not None
        runtime.clock = lambda minutes=minutes: now + timedelta(minutes=minutes)
        to = runtime.clinic_config(clinic).twilio_from_number
        write(f"   {names[phone]} -> {to} ({clinic.name}): {body!r}")
        answer = handle_sms(runtime, phone, body, f"demo-in-{minutes}", to=to)
        if answer:
            write(f"      reply: {answer}")
        runtime.dispatch_now()
    write(f"\n{len(clinics) + 4}. Where things stand")
    with runtime.make_uow() as uow:
        for clinic, opening_id in zip(clinics, openings, strict=True):
            assert clinic is not None
            opening = uow.openings.get(opening_id)
            assert opening is not None
            filled = uow.entries.get(opening.filled_entry_id) if opening.filled_entry_id else None
            who = f", booked {filled.ref}" if filled else ""
            write(f"   {clinic.name}: opening {opening.ref} {opening.status}{who}")
    write("\nEach clinic kept its own waitlist, number, time zone and policy.")


def _fill(
    runtime: Runtime, clinic: Clinic, holder_id: int, monday: date, now: datetime, step: int,
    write: Write, names: dict[str, str],
) -> int:  # fmt: skip
    """Clients join the clinic's waitlist, and tomorrow's 11:00 (clinic time) appointment is
    cancelled; the opening's id."""
    zone = ZoneInfo(clinic.timezone)
    with runtime.make_uow() as uow:
        service = uow.services.list(clinic.id)[0]
        provider = uow.providers.list(clinic.id)[0]
        write(f"{step}. {clinic.name}: three clients wait for {service.name}")
        for i, phone in enumerate(WAITING[clinic.name]):
            client = uow.clients.get_by_phone(phone)
            assert client is not None
            names[phone] = client.first_name
            entry = entries.add_to_waitlist(
                uow=uow, client_id=client.id, clinic_id=clinic.id, service_id=service.id,
                actor="demo", now=now - timedelta(days=3 - i),
            )  # fmt: skip
            write(f"   {entry.ref} {client.first_name} {client.last_name}")
        start = datetime.combine(monday + timedelta(days=1), time(11), zone).astimezone(UTC)
        appointment = directory.book_appointment(
            uow=uow, client_id=holder_id, service_id=service.id or 0,
            provider_id=provider.id or 0, scheduled_at=start, now=now, actor="demo",
        )  # fmt: skip
        done = fill.handle_cancellation(
            uow=uow, appointment_id=appointment.id or 0, actor="staff:demo", now=now,
            policy=runtime.policy, reason="client cancelled",
        )  # fmt: skip
        uow.commit()
    opening = done.opening
    write(
        f"   {appointment.ref} cancelled: opening {opening.ref} "
        f"{local_when(opening.starts_at, clinic.timezone)} ({clinic.timezone}), offers close "
        f"{local_when(opening.cutoff_at, clinic.timezone)}; {len(done.offered)} offered.\n"
    )
    return opening.id or 0
