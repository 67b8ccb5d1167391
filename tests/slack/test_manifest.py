"""manifest.yml declares exactly what the code registers and the scopes its calls need."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from slack_bolt import App

from bot.slack.app import COMMAND, EVENTS, register

ROOT = Path(__file__).resolve().parents[2]
# Web API methods the code calls -> the bot scope each needs.
SCOPES = {
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "files_upload_v2": "files:write",
    "views_open": None,  # needs no scope beyond the trigger
    "views_publish": None,
}


def _manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


class _Recorder(App):
    """An App that notes what listeners are registered, without a token or network."""

    def __init__(self) -> None:
        super().__init__(
            token="xoxb-unused", signing_secret="unused", token_verification_enabled=False
        )
        self.commands: list[str] = []
        self.events: list[str] = []

    def command(self, command, *a, **kw):  # type: ignore[no-untyped-def]
        self.commands.append(command)
        return super().command(command, *a, **kw)

    def event(self, event, *a, **kw):  # type: ignore[no-untyped-def]
        self.events.append(event)
        return super().event(event, *a, **kw)


def test_commands_and_events_match_what_the_app_registers() -> None:
    app = _Recorder()
    register(app, runtime=None)  # type: ignore[arg-type]
    manifest = _manifest()

    declared = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert app.commands == declared == [COMMAND]
    assert sorted(app.events) == sorted(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert list(EVENTS) == app.events
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_scopes_are_exactly_those_the_code_uses() -> None:
    used = {"commands"}
    for path in (ROOT / "bot").rglob("*.py"):
        for method in re.findall(r"\.(\w+)\(", path.read_text()):
            if SCOPES.get(method):
                used.add(SCOPES[method])

    assert sorted(_manifest()["oauth_config"]["scopes"]["bot"]) == sorted(used)


def test_every_url_points_at_the_one_slack_endpoint() -> None:
    manifest = _manifest()
    urls = [c["url"] for c in manifest["features"]["slash_commands"]]
    urls.append(manifest["settings"]["event_subscriptions"]["request_url"])
    urls.append(manifest["settings"]["interactivity"]["request_url"])
    urls.append(manifest["settings"]["interactivity"]["message_menu_options_url"])
    assert {url.rsplit("/", 2)[-2:] == ["slack", "events"] for url in urls} == {True}
