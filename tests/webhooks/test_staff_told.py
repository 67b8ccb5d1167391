"""Staff learn in Slack that an endpoint was turned off."""

from __future__ import annotations

from typing import Any

from bot.slack.notifier import SlackNotifier
from core.model import Event
from tests.scenario import NOW


class RecordingSlack:
    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []

    def chat_postMessage(self, **kwargs: Any) -> dict[str, str]:  # noqa: N802 (Slack's name)
        self.posted.append(kwargs)
        return {"channel": kwargs["channel"], "ts": "1.0"}


def test_a_disabled_endpoint_is_posted_to_the_channel():
    slack = RecordingSlack()
    notifier = SlackNotifier(slack, "C1", lambda: None, None, "UTC")  # type: ignore[arg-type]
    event = Event(
        kind="WebhookEndpointDisabled",
        actor="webhooks",
        at=NOW,
        clinic_id=1,
        data={"endpoint_id": 4, "host": "ehr.example.org", "last_error": "HTTP 500"},
    )
    notifier.deliver(event)
    (post,) = slack.posted
    assert post["channel"] == "C1"
    assert "Webhook endpoint 4 (ehr.example.org)" in post["text"]
    assert "turned off" in post["text"] and "HTTP 500" in post["text"]
