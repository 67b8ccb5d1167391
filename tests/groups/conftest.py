"""A running two-clinic deployment: runtime on a migrated database (SQLite, and PostgreSQL
when configured), a clock the test moves, and texts captured with the number they go from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from bot.api.auth import Role, mint_token
from bot.app import create_app
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


SECRET = "test-secret-for-hs256-0123456789abcdef"  # a dummy, long enough for HS256


class Api:
    def __init__(self, client: TestClient, settings: Settings, group: Group) -> None:
        self.client, self.settings, self.group = client, settings, group

    def headers(self, role: Role, clinic_ids: list[int] | None = None) -> dict[str, str]:
        token = mint_token(self.settings, sub="someone", role=role, clinic_ids=clinic_ids)
        return {"Authorization": f"Bearer {token}"}

    def east_staff(self) -> dict[str, str]:
        return self.headers(Role.STAFF, [self.group.east.clinic.id or 0])

    def west_staff(self) -> dict[str, str]:
        return self.headers(Role.STAFF, [self.group.west.clinic.id or 0])


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    settings = Settings(
        WAITLIST_DATABASE_URL=database_url,
        WAITLIST_JWT_SECRET=SECRET,
        SLACK_BOT_TOKEN=None,
        SLACK_SIGNING_SECRET=None,
        TWILIO_ACCOUNT_SID=None,
        WAITLIST_CAP_PER_DAY=0,
    )
    runtime = build_runtime(settings)
    runtime.clock = lambda: NOW
    group = build_group(runtime.make_uow)
    with TestClient(create_app(settings, runtime=runtime)) as client:
        yield Api(client, settings, group)
    runtime.close()
