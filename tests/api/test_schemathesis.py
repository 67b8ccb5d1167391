"""Property tests of the whole API from its own /openapi.json (schemathesis): no server
errors, every response as documented, and invalid data refused, with a bounded number of
examples per operation so the run stays short."""

from __future__ import annotations

import re
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import DataGenerationMethod
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import BaseOpenAPISchema

from bot.api.auth import Role
from bot.api.idempotency import KEY_PATTERN, MAX_KEY
from tests.api.conftest import Api
from tests.scenario import World, local

# FastAPI writes OpenAPI 3.1, which schemathesis 3.x supports behind this switch.
schemathesis.experimental.OPEN_API_3_1.enable()

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
)


def _schema(api: Api, world: World) -> BaseOpenAPISchema:
    jane = world.client("Jane", 1)
    world.entry(jane)
    appt = world.appointment(world.client("Bob", 2), local(17, 10))
    api.post(f"/apis/v1/appointments/{appt.id}/cancel")
    return schemathesis.from_asgi(
        "/openapi.json",
        api.client.app,
        data_generation_methods=[DataGenerationMethod.positive, DataGenerationMethod.negative],
    )


@pytest.fixture
def sqlite_schema(api: Api, world: World, database_url: str) -> BaseOpenAPISchema:
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite run")
    return _schema(api, world)


@pytest.fixture
def postgres_schema(api: Api, world: World, database_url: str) -> BaseOpenAPISchema:
    if database_url.startswith("sqlite"):
        pytest.skip("the PostgreSQL run")
    return _schema(api, world)


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is shown as found
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )


on_sqlite = schemathesis.from_pytest_fixture("sqlite_schema")
on_postgres = schemathesis.from_pytest_fixture("postgres_schema")


# One test item holds every operation: more than pytest's default timeout on a busy machine.
@pytest.mark.timeout(1200)
@on_sqlite.parametrize(endpoint="^/apis/v1/")
@_settings(12)
def test_api_honours_its_openapi_schema(case: schemathesis.Case, api: Api) -> None:
    _fresh_key(case)
    case.call_and_validate(headers=api.as_(Role.ADMIN), checks=CHECKS)


# PostgreSQL's types, constraints and locks answer differently from SQLite's (a 32-bit id, an
# exclusion constraint, a lock timeout): fewer examples, the same checks.
@pytest.mark.timeout(1200)
@on_postgres.parametrize(endpoint="^/apis/v1/")
@_settings(3)
def test_api_honours_its_openapi_schema_on_postgresql(case: schemathesis.Case, api: Api) -> None:
    _fresh_key(case)
    case.call_and_validate(headers=api.as_(Role.ADMIN), checks=CHECKS)


def _fresh_key(case: schemathesis.Case) -> None:
    """A valid generated Idempotency-Key becomes one of its own: the examples repeat keys,
    and a key reused with another body is rightly a 409 (tested in test_idempotency.py).
    An invalid key is left as generated, to be refused."""
    key = (case.headers or {}).get("Idempotency-Key")
    if key is not None and len(key) <= MAX_KEY and re.fullmatch(KEY_PATTERN, key):
        case.headers = {**(case.headers or {}), "Idempotency-Key": uuid.uuid4().hex}
