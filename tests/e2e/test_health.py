"""`waitlist serve` over real HTTP: liveness and readiness."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(tmp_path: Path, database_url: str) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK", "TWILIO"))}
    env["WAITLIST_DATABASE_URL"] = database_url
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/healthz", timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
        assert "Traceback" not in output


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path, f"sqlite:///{tmp_path / 'w.db'}")


def test_health_and_readiness(server: str) -> None:
    assert httpx.get(f"{server}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server}/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


def test_readiness_fails_when_the_database_is_unreachable(tmp_path: Path) -> None:
    from bot.app import create_app
    from bot.settings import Settings

    settings = Settings(WAITLIST_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    app = create_app(settings)
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
    assert (response.status_code, response.json()) == (503, {"status": "database unreachable"})
