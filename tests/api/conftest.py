"""The REST API over HTTP, on a migrated database (SQLite, and PostgreSQL when configured),
with a fixed clock and a small clinic built through the public services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.api.auth import Role, mint_token
from bot.app import create_app
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from tests.scenario import NOW, World, build_world

SECRET = "test-secret-for-hs256-0123456789abcdef"  # a dummy, long enough for HS256


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        WAITLIST_DATABASE_URL=database_url,
        WAITLIST_JWT_SECRET=SECRET,
        WAITLIST_QUIET_HOURS="",
        SLACK_BOT_TOKEN=None,
        SLACK_SIGNING_SECRET=None,
        TWILIO_ACCOUNT_SID=None,
    )


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(settings)
    runtime.clock = lambda: NOW
    yield runtime
    runtime.close()


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime.make_uow, runtime.policy)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime.settings, runtime=runtime)) as test_client:
        yield test_client


class Api:
    """A TestClient that sends a Bearer token of the given role."""

    def __init__(self, client: TestClient, settings: Settings) -> None:
        self.client, self.settings = client, settings

    def token(self, role: Role = Role.STAFF, patient_id: int | None = None) -> str:
        return mint_token(
            self.settings, sub=f"{role.value.lower()}-1", role=role, patient_id=patient_id
        )

    def as_(self, role: Role = Role.STAFF, patient_id: int | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, patient_id)}"}

    def get(self, path: str, role: Role = Role.STAFF, patient_id: int | None = None, **kw: Any):  # type: ignore[no-untyped-def]
        return self.client.get(path, headers=self.as_(role, patient_id), **kw)

    def post(self, path: str, role: Role = Role.STAFF, patient_id: int | None = None, **kw: Any):  # type: ignore[no-untyped-def]
        return self.client.post(path, headers=self.as_(role, patient_id), **kw)

    def patch(self, path: str, role: Role = Role.STAFF, patient_id: int | None = None, **kw: Any):  # type: ignore[no-untyped-def]
        return self.client.patch(path, headers=self.as_(role, patient_id), **kw)

    def delete(self, path: str, role: Role = Role.STAFF, patient_id: int | None = None, **kw: Any):  # type: ignore[no-untyped-def]
        return self.client.delete(path, headers=self.as_(role, patient_id), **kw)


@pytest.fixture
def api(client: TestClient, settings: Settings) -> Api:
    return Api(client, settings)
