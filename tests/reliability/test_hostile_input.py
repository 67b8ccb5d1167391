"""Hostile input over every REST route (read from the OpenAPI schema, so new routes are
covered too) and every Slack command: NUL, control and direction-override characters, lone
surrogates, 10,000-character values, huge integers and malformed headers. Every answer is a
clear 4xx (never a 500, never "something went wrong"), short, and nothing is stored."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.api.auth import Role, mint_token
from bot.app import create_app
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.slack.app import SORRY
from storage.tables import Base
from tests.fakes.slack_api import FakeSlackApi
from tests.scenario import NOW, World, build_world, local
from tests.unit.fakes import RecordingSender

JWT_SECRET = "test-secret-for-hs256-0123456789abcdef"
STAFF = "USTAFF"
LONG = "x" * 10_000
STRINGS = [
    "a\x00b",
    "\x00",
    "bell\x07 escape\x1b[31m",
    "\u202eevil\u202c",
    "\ud800",
    LONG,
]
INTEGERS = [99999999999999999999999, 2**31, 2**63, -(2**63)]
NUMBER_TEXTS = ["99999999999999999999999", "2147483648", "-1", "1e3", "\u0661\u0662", "%00"]
# The same, as they travel in a URL (a lone surrogate as the bytes of one, and a stray byte).
IN_URLS = [quote(v, safe="") for v in (*NUMBER_TEXTS, *STRINGS) if v != "\ud800"]
IN_URLS += ["%ED%A0%80", "%FF"]
MAX_ANSWER = 8_000  # bytes: a hostile request gets a short answer, however big it was
SORRY_WORDS = "something went wrong"


def _sign(secret: str, body: str, stamp: str) -> str:
    return "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), "sha256").hexdigest()


class Service:
    def __init__(self, http: TestClient, runtime: Runtime, world: World, slack: FakeSlackApi):
        self.http, self.runtime, self.world, self.slack = http, runtime, world, slack
        self.secret = runtime.settings.slack_signing_secret.get_secret_value()  # type: ignore[union-attr]
        self.answers = 0

    def staff(self) -> dict[str, str]:
        token = mint_token(self.runtime.settings, sub="fuzz", role=Role.ADMIN)
        return {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, **kw: Any) -> Any:
        kw.setdefault("headers", self.staff())
        if "json" in kw:  # as JSON escapes it: a lone surrogate travels as \ud800
            kw["content"] = json.dumps(kw.pop("json"))
            kw["headers"] = {**kw["headers"], "Content-Type": "application/json"}
        response = self.http.request(method, path, **kw)
        self.answers += 1
        where = f"{method} {path} {str(kw)[:300]}"
        assert response.status_code < 500, where
        assert len(response.content) < MAX_ANSWER, where
        if path.startswith("/apis/") and response.status_code >= 400:
            assert response.json()["code"] == response.status_code * 10, where
        return response

    def slack_post(self, body: str, stamp: str | None = None, **headers: str) -> Any:
        stamp = str(int(time.time())) if stamp is None else stamp
        signed = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": _sign(self.secret, body, stamp) if stamp.isdigit() else "v0=0",
            **headers,
        }
        raw = {name: value.encode() for name, value in signed.items()}  # non-ASCII as bytes
        response = self.http.post("/slack/events", content=body, headers=raw)
        assert response.status_code < 500, (body[:200], stamp, headers)
        return response

    def command(self, text: str) -> str:
        """The reply to `/waitlist <text>` (it comes after the ack, on the response URL)."""
        before = len(self.slack.calls_to("response_url"))
        body = urlencode(
            {
                "team_id": "T0FAKE",
                "channel_id": "CCLINIC",
                "user_id": STAFF,
                "command": "/waitlist",
                "text": text,
                "response_url": self.slack.response_url("fuzz"),
                "trigger_id": "trigger-1",
            },
            errors="surrogatepass",  # a lone surrogate arrives as the bytes of one
        )
        assert self.slack_post(body).status_code == 200
        reply = self.slack.wait_for("response_url", before + 1, timeout=20)[-1]
        return json.dumps(reply)


@pytest.fixture
def service(database_url: str) -> Iterator[Service]:
    with FakeSlackApi() as slack:
        settings = Settings(
            WAITLIST_DATABASE_URL=database_url,
            WAITLIST_JWT_SECRET=JWT_SECRET,
            WAITLIST_QUIET_HOURS="",
            WAITLIST_SLACK_STAFF=STAFF,
            SLACK_BOT_TOKEN="xoxb-" + secrets.token_hex(8),
            SLACK_SIGNING_SECRET=secrets.token_hex(16),
            SLACK_API_URL=slack.url,
            TWILIO_ACCOUNT_SID=None,
        )
        runtime = build_runtime(settings, sender=RecordingSender())
        runtime.clock = lambda: NOW
        world = build_world(runtime.make_uow, runtime.policy)
        ana = world.client("Ana", 1)
        world.entry(ana)  # W-1
        world.appointment(world.client("Holder", 2), local(17, 10))
        with TestClient(create_app(runtime=runtime)) as http:
            yield Service(http, runtime, world, slack)
        runtime.close()


def _counts(runtime: Runtime) -> dict[str, int]:
    with runtime.engine.connect() as connection:
        return {
            table.name: connection.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def _bases(world: World) -> dict[str, dict[str, Any]]:
    """A valid body for each schema: one hostile field in it is then the only thing wrong."""
    start = (NOW + timedelta(days=2)).replace(hour=15).isoformat()
    return {
        "NewRequest": {"patient_id": 2, "service_id": world.filler.id, "notes": "ok"},
        "RequestChanges": {"notes": "ok"},
        "OfferBody": {"appointment_id": 1},
        "NewAppointment": {
            "patient_id": 1,
            "service_id": world.botox.id,
            "provider_id": world.lee.id,
            "scheduled_at": start,
        },
        "CancelBody": {"reason": "ok"},
        "NewClient": {"first_name": "Zed", "last_name": "Fuzz", "phone": "+16175559876"},
        "ClientChanges": {"last_name": "Fuzz"},
        "NewProvider": {"clinic_id": 1, "name": "Dr. Fuzz", "hours": {"mon": "09:00-17:00"}},
        "ProviderChanges": {"name": "Dr. Fuzz"},
        "NewService": {"clinic_id": 1, "name": "Fuzz", "duration_minutes": 30},
        "ServiceChanges": {"name": "Fuzz"},
    }


def _schema_name(operation: dict[str, Any]) -> str | None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    text = json.dumps(content.get("schema", {}))
    marker = '"#/components/schemas/'
    return text.split(marker, 1)[1].split('"', 1)[0] if marker in text else None


def _hostile_values(prop: dict[str, Any]) -> list[Any]:
    values: list[Any] = [*STRINGS, *INTEGERS]
    if "date-time" in json.dumps(prop):  # 2**31 s after 1970 is a real moment (in 2038)
        values.remove(2**31)
    if prop.get("type") == "array" or "items" in json.dumps(prop):
        values += [[value] for value in (*STRINGS[:2], *INTEGERS[:2])]
    if prop.get("type") == "object" or "additionalProperties" in json.dumps(prop):
        values += [{"mon": value} for value in STRINGS[:3]]
    return values


def test_hostile_input_on_every_rest_route_is_a_short_4xx_and_stores_nothing(
    service: Service,
) -> None:
    spec = service.http.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    bases = _bases(service.world)
    before = _counts(service.runtime)
    routes = 0
    for template, operations in spec["paths"].items():
        if not template.startswith("/apis/"):
            continue
        for method, operation in operations.items():
            routes += 1
            params = operation.get("parameters", [])
            path = template
            for param in params:
                if param["in"] == "path":
                    path = path.replace("{" + param["name"] + "}", "1")
            for param in params:  # each path id, then each query parameter, made hostile
                for value in IN_URLS:
                    if param["in"] == "path":
                        bad = template.replace("{" + param["name"] + "}", value)
                        for other in params:
                            bad = bad.replace("{" + other["name"] + "}", "1")
                        service.call(method, bad)
                    elif param["in"] == "query":
                        service.call(method, f"{path}?{param['name']}={value}")
            name = _schema_name(operation)
            if name is None:
                continue
            base = bases.get(name, {})
            for field, prop in schemas[name].get("properties", {}).items():
                for value in _hostile_values(prop):
                    service.call(method, path, json={**base, field: value})
            service.call(method, path, json={f"k{n}": n for n in range(60_000)})
            service.call(
                method,
                path,
                content=b"\xff\xfe{not json",
                headers={**service.staff(), "Content-Type": "application/json"},
            )
    assert routes >= 20
    assert _counts(service.runtime) == before


def test_malformed_authorization_is_a_401_or_404_never_a_500(service: Service) -> None:
    settings = service.runtime.settings
    forged = [
        "Bearer " + "a" * 10_000,
        "Bearer a.b.c",
        "Basic dXNlcjpwYXNz",
        "Bearer " + jwt.encode({"sub": "x", "role": "STAFF"}, "wrong-secret-0123456789abcdefgh"),
        "Bearer " + mint_token(settings, sub="p", role=Role.USER, patient_id=2**31 - 1),
    ]
    claims = {"sub": "p", "role": "USER", "patient_id": 2**31, "exp": int(time.time()) + 60}
    forged.append("Bearer " + jwt.encode(claims, JWT_SECRET, algorithm="HS256"))
    for header in forged:
        for path in (
            "/apis/v1/waitlist-requests",
            "/apis/v1/waitlist-requests/1",
            "/apis/v1/clients",
        ):
            answer = service.call("GET", path, headers={"Authorization": header})
            assert answer.status_code in (200, 401, 404), (header[:60], path)
    staff_route = service.call("GET", "/apis/v1/clients", headers={"Authorization": forged[-2]})
    assert staff_route.status_code == 404  # SPEC §7: a patient never learns it exists


SLACK_LINES = [
    "add Jane\x00 Doe +1 617 555 0199 botox",
    "add " + "J" * 101 + " Doe +1 617 555 0199 botox",
    'add Jane Doe +1 617 555 0199 botox "' + "n" * 3900 + '"',
    'add Jane Doe +1 617 555 0199 botox "bad\x00note"',
    "add \u202eJane Doe +1 617 555 0199 botox",
    'edit W-1 "\x00"',
    'edit W-1 "' + "n" * 3900 + '"',
    "edit W-1 priority 99999999999999999999999",
    "expire 99999999999999999999999",
    "expire " + "9" * 5000,
    "expire \u00b2",
    "show W-99999999999",
    "cancel A-99999999999",
    "cancel A-1 bell\x07 escape\x1b[31m",
    "offer W-1 A-99999999999",
    "match W-99999999999",
    "remove W-99999999999",
    "opening Dr.\x00Lee botox tomorrow 10am",
]


@pytest.mark.parametrize(
    "command",
    [
        "add",
        "list",
        "show",
        "edit",
        "remove",
        "match",
        "offer",
        "cancel",
        "opening",
        "stats",
        "settings",
        "expire",
        "help",
    ],
)
def test_every_slack_command_answers_hostile_text_clearly_and_stores_nothing(
    service: Service, command: str
) -> None:
    before = _counts(service.runtime)
    lines = [f"{command} {value}" for value in (*STRINGS, *NUMBER_TEXTS)]
    lines += [line for line in SLACK_LINES if line.startswith(command + " ")]
    for line in lines:
        reply = service.command(line)
        assert SORRY not in reply and SORRY_WORDS not in reply.lower(), (line[:120], reply[:300])
    after = _counts(service.runtime)
    if command in ("list", "show", "match", "stats", "settings", "help"):
        after.pop("events", None), before.pop("events", None)
    assert after == before


def test_malformed_slack_requests_are_400_or_401(service: Service) -> None:
    body = urlencode({"command": "/waitlist", "text": "help", "user_id": STAFF})
    for stamp in ("abc", "", "1e3", "\u0661\u0662\u0663", "9" * 40, "-5"):
        assert service.slack_post(body, stamp=stamp).status_code == 401, stamp
    assert service.slack_post(body, **{"X-Slack-Signature": "v0=\u00e9"}).status_code in (400, 401)
    raw = b"payload=\xff\xfe"
    stamp = str(int(time.time()))
    answer = service.http.post(
        "/slack/events",
        content=raw,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": "v0="
            + hmac.new(
                service.secret.encode(), f"v0:{stamp}:".encode() + raw, hashlib.sha256
            ).hexdigest(),
        },
    )
    assert answer.status_code == 400
    broken = "payload=" + quote("{not json")
    assert service.slack_post(broken).status_code == 400
    assert service.slack_post("payload=" + quote('"a string"')).status_code in (400, 404)
