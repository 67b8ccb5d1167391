"""Socket Mode: the same Bolt app over Slack's websocket, when `SLACK_APP_TOKEN` is set
(no public URL needed)."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.runtime import Runtime


def start_socket_mode(runtime: Runtime) -> SocketModeHandler | None:
    """Connect in the background and return the handler (close it at shutdown); None when
    Socket Mode is not configured."""
    settings = runtime.settings
    if not (
        settings.slack_app_token and settings.slack_bot_token and settings.slack_signing_secret
    ):
        return None
    from bot.slack.app import build_slack_app

    handler = SocketModeHandler(
        build_slack_app(runtime), settings.slack_app_token.get_secret_value()
    )
    handler.connect()
    return handler
