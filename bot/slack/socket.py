"""Socket Mode: the same Bolt app over Slack's websocket, when `SLACK_APP_TOKEN` is set
(no public URL needed).

It connects on a thread of its own, so `waitlist serve` and its HTTP service come up and stay
up whatever Slack does. While Slack cannot be reached it tries again with a growing pause
(1 s doubling to a minute), logging one line when an outage starts and one when it ends.
"""

from __future__ import annotations

import logging
import threading

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from bot.runtime import Runtime

log = logging.getLogger("waitlist.slack")
# The SDK logs every failed attempt as an error; the outage is told once, here, instead.
_sdk_log = logging.getLogger("waitlist.slack.socket_mode")
_sdk_log.setLevel(logging.CRITICAL)


class SocketMode:
    def __init__(
        self,
        handler: SocketModeHandler,
        *,
        first_wait: float = 1.0,
        longest_wait: float = 60.0,
        check_every: float = 2.0,
    ) -> None:
        self.handler = handler
        self.first_wait = first_wait
        self.longest_wait = longest_wait
        self.check_every = check_every
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slack-socket", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            self.handler.close()
        except Exception:  # closing a connection that never opened
            log.debug("Socket Mode close", exc_info=True)

    def _run(self) -> None:
        client = self.handler.client
        wait, down, ever = self.first_wait, False, False
        while not self._stop.is_set():
            if client.is_connected():
                self._stop.wait(self.check_every)
                continue
            self.connected.clear()
            try:
                client.connect_to_new_endpoint(force=True)
            except Exception as exc:
                if not down:
                    log.warning(
                        "Slack Socket Mode cannot connect (%s: %s); the service stays up "
                        "and keeps trying in the background",
                        type(exc).__name__,
                        exc,
                    )
                    down = True
                self._stop.wait(wait)
                wait = min(wait * 2, self.longest_wait)
                continue
            log.info("Slack Socket Mode %s", "connected again" if ever else "connected")
            self.connected.set()
            wait, down, ever = self.first_wait, False, True


def start_socket_mode(runtime: Runtime) -> SocketMode | None:
    """Start connecting in the background and return the connection (close it at shutdown);
    None when Socket Mode is not configured."""
    settings = runtime.settings
    if not (
        settings.slack_app_token and settings.slack_bot_token and settings.slack_signing_secret
    ):
        return None
    from bot.slack.app import build_slack_app

    handler = SocketModeHandler(
        build_slack_app(runtime),
        settings.slack_app_token.get_secret_value(),
        logger=_sdk_log,
        # Its own client for apps.connections.open, so failed attempts log nothing there.
        web_client=WebClient(base_url=settings.slack_api_url, logger=_sdk_log),
        auto_reconnect_enabled=False,  # reconnecting is ours: with backoff, logged once
    )
    socket_mode = SocketMode(handler)
    socket_mode.start()
    return socket_mode
