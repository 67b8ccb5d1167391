"""A running two-clinic deployment: runtime on a migrated database (SQLite, and PostgreSQL
when configured), a clock the test moves, and texts captured with the number they go from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from bot.console_sms import ConsoleSender
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from core import fill
from tests.groups.group import NOW, Group, build_group


@dataclass
class Deployment:
    runtime: Runtime
    group: Group
    now: datetime = NOW
    sent: list[str] = field(default_factory=list)  # "  SMS from <number> to <masked>: text"

    def at(self, moment: datetime) -> None:
        self.now = moment

    def cancel(self, appointment_id: int) -> fill.FillStep:
        with self.runtime.make_uow() as uow:
            step = fill.handle_cancellation(
                uow=uow,
                appointment_id=appointment_id,
                actor="staff",
                now=self.now,
                policy=self.runtime.policy,
            )
            uow.commit()
        self.runtime.dispatch_now()
        return step

    def later(self, minutes: int) -> datetime:
        return self.now + timedelta(minutes=minutes)


@pytest.fixture
def deployment(database_url: str) -> Iterator[Deployment]:
    settings = Settings(
        WAITLIST_DATABASE_URL=database_url,
        WAITLIST_CAP_PER_DAY=0,
        WAITLIST_CAP_PER_WEEK=0,
        SLACK_BOT_TOKEN=None,
        SLACK_SIGNING_SECRET=None,
        TWILIO_ACCOUNT_SID=None,
        TWILIO_FROM_NUMBER=None,
        WAITLIST_CLINIC_PHONE=None,
    )
    runtime = build_runtime(settings)
    found = Deployment(runtime, build_group(runtime.make_uow))
    runtime.clock = lambda: found.now
    runtime.sender = ConsoleSender(found.sent.append, sender_of=runtime.sender_of)
    yield found
    runtime.close()
