"""Socket Mode end to end against local fakes of Slack: `apps.connections.open` on the fake
Web API hands out the `ws://` URL of a fake Socket Mode server; a slash command arrives as an
envelope, is acked over the socket, and its reply reaches the fake. Slack being down at
start, or dropping the connection, never takes the service down and is logged once."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.slack.socket import SocketMode, start_socket_mode
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_socket import FakeSlackSocket
from tests.scenario import build_world
from tests.unit.fakes import RecordingSender


@pytest.fixture
def slack_api() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as api:
        yield api


@pytest.fixture
def runtime(slack_api: FakeSlackApi, tmp_path: Path) -> Iterator[Runtime]:
    from storage.db import upgrade

    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    settings = Settings(
        WAITLIST_DATABASE_URL=url,
        SLACK_BOT_TOKEN="xoxb-" + secrets.token_hex(8),
        SLACK_SIGNING_SECRET=secrets.token_hex(16),
        SLACK_APP_TOKEN="xapp-" + secrets.token_hex(8),
        SLACK_API_URL=slack_api.url,
    )
    built = build_runtime(settings, sender=RecordingSender())
    build_world(built.make_uow)
    yield built
    built.close()


def _started(runtime: Runtime) -> SocketMode:
    socket_mode = start_socket_mode(runtime)
    assert socket_mode is not None
    socket_mode.first_wait = socket_mode.longest_wait = 0.1
    return socket_mode


def _command(text: str, response_url: str) -> dict[str, str]:
    return {
        "token": "unused",
        "team_id": "T0FAKE",
        "channel_id": "CCLINIC",
        "user_id": "USTAFF",
        "command": "/waitlist",
        "text": text,
        "response_url": response_url,
        "trigger_id": "trigger-1",
    }


def test_a_slash_command_over_the_socket_is_acked_and_answered(
    runtime: Runtime, slack_api: FakeSlackApi
) -> None:
    with FakeSlackSocket() as socket:
        slack_api.socket_url = socket.url
        socket_mode = _started(runtime)
        try:
            socket.wait_connected()
            envelope = socket.send_envelope(
                "slash_commands", _command("help", slack_api.response_url("socket"))
            )
            assert socket.wait_ack(envelope)["envelope_id"] == envelope
            [reply] = slack_api.wait_for("response_url")
        finally:
            socket_mode.close()
    assert reply["_name"] == "socket"
    assert "/waitlist add" in str(reply)
    assert "apps.connections.open" in slack_api.methods()


def test_slack_down_at_start_is_logged_once_and_connects_when_it_is_back(
    runtime: Runtime, slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    slack_api.fail("apps.connections.open", "service_unavailable")
    caplog.set_level(logging.INFO, logger="waitlist.slack")
    started = time.monotonic()
    socket_mode = _started(runtime)
    assert time.monotonic() - started < 1.0  # start-up does not wait for Slack
    try:
        deadline = time.monotonic() + 10
        while len(slack_api.calls_to("apps.connections.open")) < 4:
            assert time.monotonic() < deadline, "no retries"
            time.sleep(0.05)
        with FakeSlackSocket() as socket:
            slack_api.socket_url = socket.url
            slack_api.heal("apps.connections.open")
            assert socket_mode.connected.wait(10)
            socket.wait_connected()
    finally:
        socket_mode.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "waitlist.slack"]
    [outage] = [line for line in lines if "cannot connect" in line]  # one line, many tries
    assert "service_unavailable" in outage and "keeps trying in the background" in outage
    assert lines[-1] == "Slack Socket Mode connected"


def test_a_dropped_connection_is_made_again_and_commands_still_arrive(
    runtime: Runtime, slack_api: FakeSlackApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="waitlist.slack")
    with FakeSlackSocket() as socket:
        slack_api.socket_url = socket.url
        socket_mode = _started(runtime)
        try:
            socket.wait_connected()
            socket.drop()
            socket.wait_connected(2)
            envelope = socket.send_envelope(
                "slash_commands", _command("help", slack_api.response_url("again"))
            )
            socket.wait_ack(envelope)
            slack_api.wait_for("response_url")
        finally:
            socket_mode.close()
    assert "Slack Socket Mode connected again" in caplog.text


def test_serve_stays_up_when_slack_cannot_be_reached(tmp_path: Path) -> None:
    import os
    import socket as sockets
    import subprocess
    import sys

    import httpx

    with sockets.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("WAITLIST_", "SLACK", "TWILIO"))
    }
    env.update(
        WAITLIST_DATABASE_URL=f"sqlite:///{tmp_path / 'w.db'}",
        SLACK_BOT_TOKEN="xoxb-dummy",
        SLACK_SIGNING_SECRET="dummy-secret",
        SLACK_APP_TOKEN="xapp-dummy",
        SLACK_API_URL="http://127.0.0.1:9/api/",  # nothing listens: Slack is unreachable
    )
    log = tmp_path / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--no-scheduler", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, log.read_text()
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert health.status_code == 200
        time.sleep(3)  # several attempts to reach Slack go by
        assert process.poll() is None
    finally:
        process.terminate()
        code = process.wait(timeout=30)
    output = log.read_text()
    assert code in (0, -15) and "Traceback" not in output, output  # uvicorn re-raises SIGTERM
    assert "ERROR" not in output, output
    assert output.count("Slack Socket Mode cannot connect") == 1, output
