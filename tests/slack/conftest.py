"""The real app over HTTP with signed Slack requests, its Web API pointed at a local fake.

`slack` gives a `SlackHttp` that signs and posts slash commands, button clicks, form
submissions and events to `/slack/events`, and reads back what the app sent to the fake.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from core.model import Clinic, Message
from core.ports import SendResult
from tests.fakes.slack_api import FakeSlackApi
from tests.scenario import NOW, World, build_world

STAFF = "USTAFF"
OUTSIDER = "UOUTSIDER"
CHANNEL = "CCLINIC"


class RecordingSender:
    def __init__(self) -> None:
        self.sent: list[Message] = []

    def send(self, message: Message, clinic: Clinic | None = None) -> SendResult:
        self.sent.append(message)
        return SendResult(ok=True, provider_sid=f"SM{len(self.sent)}")


def sign(secret: str, body: str, timestamp: int) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class SlackHttp:
    http: TestClient
    api: FakeSlackApi
    secret: str
    runtime: Runtime
    world: World

    def post(
        self,
        body: str,
        content_type: str,
        *,
        secret: str | None = None,
        age: int = 0,
        **headers: str,
    ) -> Any:
        stamp = int(time.time()) - age
        return self.http.post(
            "/slack/events",
            content=body,
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": str(stamp),
                "X-Slack-Signature": sign(secret or self.secret, body, stamp),
                **headers,
            },
        )

    def command(self, text: str, *, user: str = STAFF, channel: str = CHANNEL, **kw: Any) -> Any:
        body = urlencode(
            {
                "token": "legacy-unused",
                "team_id": "T0FAKE",
                "channel_id": channel,
                "user_id": user,
                "command": "/waitlist",
                "text": text,
                "response_url": self.api.response_url("command"),
                "trigger_id": "trigger-1",
            }
        )
        return self.post(body, "application/x-www-form-urlencoded", **kw)

    def click(self, value: str, *, user: str = STAFF, action_id: str = "waitlist_x") -> Any:
        payload = {
            "type": "block_actions",
            "team": {"id": "T0FAKE"},
            "user": {"id": user},
            "api_app_id": "A0FAKE",
            "channel": {"id": CHANNEL},
            "container": {"type": "message"},
            "trigger_id": "trigger-2",
            "response_url": self.api.response_url("action"),
            "actions": [
                {"type": "button", "action_id": action_id, "block_id": "b", "value": value}
            ],
        }
        return self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    def submit(self, view: dict[str, Any], values: dict[str, Any], *, user: str = STAFF) -> Any:
        payload = {
            "type": "view_submission",
            "team": {"id": "T0FAKE"},
            "user": {"id": user},
            "api_app_id": "A0FAKE",
            "view": {**view, "state": {"values": values}},
        }
        return self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    def suggest(self, value: str, *, action_id: str, user: str = STAFF) -> Any:
        """What Slack sends as someone types in an external select of an open modal."""
        payload = {
            "type": "block_suggestion",
            "team": {"id": "T0FAKE"},
            "user": {"id": user},
            "api_app_id": "A0FAKE",
            "container": {"type": "view", "view_id": "V0FAKE"},
            "block_id": "client",
            "action_id": action_id,
            "value": value,
            "view": {"type": "modal", "id": "V0FAKE", "private_metadata": "{}"},
        }
        return self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    def event(self, event: dict[str, Any], **headers: str) -> Any:
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T0FAKE",
                "api_app_id": "A0FAKE",
                "event_id": "Ev1",
                "event": event,
            }
        )
        return self.post(body, "application/json", **headers)

    def replies(self, count: int = 1) -> list[dict[str, Any]]:
        return self.api.wait_for("response_url", count)

    def reply_text(self) -> str:
        """The text of the latest response_url post, waiting for it if needed."""
        from bot.slack.blocks import to_text

        posted = self.replies()[-1]
        return to_text(posted["blocks"]) if posted.get("blocks") else posted["text"]


@pytest.fixture
def slack(database_url: str) -> Iterator[SlackHttp]:
    secret = secrets.token_hex(16)
    with FakeSlackApi() as api:
        settings = Settings(
            WAITLIST_DATABASE_URL=database_url,
            SLACK_BOT_TOKEN="xoxb-" + secrets.token_hex(8),
            SLACK_SIGNING_SECRET=secret,
            SLACK_API_URL=api.url,
            WAITLIST_SLACK_STAFF=STAFF,
            WAITLIST_TIMEZONE="America/New_York",
        )
        runtime = build_runtime(settings, sender=RecordingSender())
        runtime.clock = lambda: NOW
        world = build_world(runtime.make_uow)
        with TestClient(create_app(runtime=runtime)) as http:
            yield SlackHttp(http, api, secret, runtime, world)
        runtime.close()
