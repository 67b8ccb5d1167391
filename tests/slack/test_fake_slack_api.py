"""The fake Slack Web API answers slack-sdk's real client and records what it was sent."""

from __future__ import annotations

import httpx
from slack_sdk import WebClient

from tests.fakes.slack_api import FakeSlackApi


def test_fake_records_web_api_calls_in_order_with_their_payloads() -> None:
    with FakeSlackApi() as slack:
        client = WebClient(token="xoxb-dummy", base_url=slack.url)
        assert client.auth_test()["user_id"] == "U0BOT"
        posted = client.chat_postMessage(channel="C1", text="hello", blocks=[{"type": "divider"}])
        client.chat_update(channel="C1", ts=posted["ts"], text="changed")
        client.views_publish(user_id="U1", view={"type": "home", "blocks": []})

        assert slack.methods() == ["auth.test", "chat.postMessage", "chat.update", "views.publish"]
        assert slack.calls_to("chat.postMessage")[0]["blocks"] == [{"type": "divider"}]
        assert slack.calls_to("chat.update")[0]["ts"] == posted["ts"]
        assert slack.tokens[0] == "xoxb-dummy"


def test_fake_keeps_bytes_uploaded_through_files_upload_v2() -> None:
    with FakeSlackApi() as slack:
        client = WebClient(token="xoxb-dummy", base_url=slack.url)
        result = client.files_upload_v2(channel="C1", content=b"\x89PNG", filename="c.png")

        assert list(slack.uploads.values()) == [b"\x89PNG"]
        assert slack.calls_to("files.completeUploadExternal")[0]["channel_id"] == "C1"
        assert result["file"]["id"] in slack.uploads


def test_fake_records_response_url_posts_and_configured_failures() -> None:
    with FakeSlackApi() as slack:
        httpx.post(slack.response_url("cmd"), json={"text": "done"})
        slack.fail("chat.postMessage", "channel_not_found")
        client = WebClient(token="xoxb-dummy", base_url=slack.url)
        try:
            client.chat_postMessage(channel="C404", text="x")
        except Exception as exc:  # noqa: BLE001 (slack-sdk raises SlackApiError)
            assert "channel_not_found" in str(exc)
        else:
            raise AssertionError("expected the configured failure")

        assert slack.calls_to("response_url") == [{"text": "done", "_name": "cmd"}]
