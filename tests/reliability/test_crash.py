"""A crash while a text is in flight: real `waitlist serve` processes on PostgreSQL, a fake
Twilio that holds the send, SIGKILL, restart. Every offer text reaches Twilio exactly once,
within one sweep after the lease: the claim the dead process left is settled by asking Twilio
first, so a text Twilio already has is not sent again and one it never got is."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from core import directory, entries, fill
from core.model import MessageStatus
from core.outbox import MESSAGE_RECOVERED
from core.policy import Policy
from storage.uow import uow_factory
from tests.conftest import empty_tables
from tests.fakes.twilio_api import FakeTwilioApi, fake_twilio  # noqa: F401 (fixture)
from tests.scenario import TZ, WEEKDAY_HOURS

LEASE_SECONDS = 4
PATIENTS = 3
SID = "AC" + "0" * 32


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Instance:
    """One `waitlist serve` process, its output in a file."""

    def __init__(self, env: dict[str, str], tmp: Path, name: str) -> None:
        self.log = tmp / f"{name}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(_free_port())],
            cwd=tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("w"),
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        return self.log.read_text()


@pytest.fixture
def clinic(postgres_shared: tuple[str, Engine]) -> tuple[str, Engine]:
    url, engine = postgres_shared
    empty_tables(engine)
    return url, engine


@pytest.fixture
def launch(
    clinic: tuple[str, Engine],
    fake_twilio: FakeTwilioApi,  # noqa: F811
    tmp_path: Path,
) -> Iterator[Callable[[str], Instance]]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("WAITLIST_", "SLACK", "TWILIO"))
    }
    env.update(
        WAITLIST_DATABASE_URL=clinic[0],
        WAITLIST_PUBLIC_URL="https://clinic.example",
        WAITLIST_QUIET_HOURS="",
        WAITLIST_SMS_LEASE_SECONDS=str(LEASE_SECONDS),
        TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN="dummy-token",
        TWILIO_FROM_NUMBER="+16175550000",
        TWILIO_API_BASE_URL=fake_twilio.url,
    )
    started: list[Instance] = []

    def start(name: str) -> Instance:
        instance = Instance(env, tmp_path, name)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        log = instance.stop()
        assert "Traceback" not in log, log[-3000:]


def _next_weekday_slot(now: datetime) -> datetime:
    day = (now.astimezone(ZoneInfo(TZ)) + timedelta(days=1)).date()
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo(TZ)).astimezone(UTC)


def _cancel_with_waitlist(engine: Engine) -> list[str]:
    """A clinic with three clients waiting and an appointment that is then cancelled: three
    offer texts in the outbox. Returns the phones they go to."""
    now = datetime.now(UTC)
    make_uow = uow_factory(engine)
    with make_uow() as uow:
        clinic = directory.add_clinic(uow=uow, name="Glow", timezone=TZ, now=now, actor="t")
        service = directory.add_service(
            uow=uow, clinic_id=clinic.id, name="Botox", duration_minutes=60, now=now, actor="t"
        )
        provider = directory.add_provider(
            uow=uow, clinic_id=clinic.id, name="Dr. J", hours=WEEKDAY_HOURS, now=now, actor="t"
        )
        phones = [f"+1617555{1000 + n:04d}" for n in range(PATIENTS + 1)]
        clients = [
            directory.add_client(
                uow=uow, first_name=f"P{n}", last_name="T", phone=p, now=now, actor="t"
            )
            for n, p in enumerate(phones)
        ]
        for client in clients[1:]:
            entries.add_to_waitlist(
                uow=uow, client_id=client.id, service_id=service.id, actor="t", now=now
            )
        appointment = directory.book_appointment(
            uow=uow,
            client_id=clients[0].id,
            service_id=service.id,
            provider_id=provider.id,
            scheduled_at=_next_weekday_slot(now),
            now=now,
            actor="t",
        )
        uow.commit()
    with make_uow() as uow:
        fill.handle_cancellation(
            uow=uow,
            appointment_id=appointment.id or 0,
            actor="t",
            now=now,
            policy=Policy(quiet_hours=None, batch_size=PATIENTS),
        )
        uow.commit()
    return phones[1:]


def _wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _outbox(engine: Engine) -> list[tuple[str, MessageStatus, str | None]]:
    with uow_factory(engine)() as uow:
        return [(m.phone, m.status, m.provider_sid) for m in uow.messages.recent(100)]


@pytest.mark.parametrize(
    "twilio_got_it",
    [False, True],
    ids=["killed-before-twilio-got-it", "killed-after-twilio-accepted-it"],
)
def test_a_send_killed_in_flight_reaches_twilio_exactly_once_after_restart(
    clinic: tuple[str, Engine],
    fake_twilio: FakeTwilioApi,  # noqa: F811
    launch: Callable[[str], Instance],
    twilio_got_it: bool,
) -> None:
    _, engine = clinic
    # Accepted, not yet sent: no DateSent, so a lookup filtered by DateSent alone misses it.
    fake_twilio.accepted_only()
    fake_twilio.hold(accept=twilio_got_it)
    phones = _cancel_with_waitlist(engine)
    first = launch("first")
    fake_twilio.wait_for_held(1, timeout=120)
    first.kill()
    accepted = len(fake_twilio.messages)  # what Twilio has though nobody heard it say so
    fake_twilio.let_go()
    # The claims the dead process left behind (its dispatcher thread and its first sweep
    # may each have had one in flight).
    stuck = [row for row in _outbox(engine) if row[1] is MessageStatus.SENDING]
    assert len(stuck) >= 1
    assert (accepted >= 1) if twilio_got_it else (accepted == 0)
    killed_at = time.monotonic()

    launch("second")
    launch("third")
    _wait_until(
        lambda: all(status is MessageStatus.SENT for _, status, _ in _outbox(engine)),
        timeout=LEASE_SECONDS + 60 + 90,  # the lease, one sweep, and two slow start-ups
        what="every offer text to be sent",
    )
    assert time.monotonic() - killed_at < LEASE_SECONDS + 60 + 90
    assert sorted(m["To"] for m in fake_twilio.messages) == sorted(phones)
    for phone in phones:
        assert len(fake_twilio.bodies_to(phone)) == 1, phone
    sids = {sid for _, _, sid in _outbox(engine)}
    assert sids == {m["Sid"] for m in fake_twilio.messages}
    with uow_factory(engine)() as uow:
        recovered = [e for e in uow.events.list(limit=1000) if e.kind == MESSAGE_RECOVERED]
    outcomes = sorted(e.data["outcome"] for e in recovered)
    assert outcomes == sorted(["sent"] * accepted + ["queued again"] * (len(stuck) - accepted))
