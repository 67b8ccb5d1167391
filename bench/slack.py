"""Slack `/waitlist add`, `list` and `match`: server-side time to the ack, and of the work after.

Through the real app in process (signed requests, Web API faked) on the benchmark datasets.

.venv/bin/python -m bench.slack [--size 100k] [--db sqlite,postgresql] [--requests 300]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import time
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench import datasets
from bench.generate import NOW, PROVIDERS, SERVICES, TODAY
from bench.run import SIZES
from bot.app import create_app
from bot.runtime import build_runtime
from bot.settings import Settings
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.conftest import sign

STAFF = "UBENCH"
TARGET_MS = 100.0
WHEN = [
    ("weekdays", "mon wed fri", "Tue/Thu", "weekends only", "any day"),
    ("9am-2pm", "mornings", "afternoons", "after 3pm", "between 10 and 2"),
    ("from Mar 9 to Mar 27", "next week", "within 2 weeks", "before April 1", "until 3/20"),
    ("priority 2", "p1", "urgent", "expires in 30 days", "priority 4 expires Apr 30"),
]
NAMES = ("Ana Quinn", "Omar Haddad", "Grace O'Neil", "Ben Costa", "Lucy Park", "Raj Shah")
NOTES = ('"prefers a call after 5pm, mobile only"', '"no Fridays; can come at short notice"')


class TimedApp:
    """Wraps the ASGI app: when each HTTP request arrived and when its response started."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.last = app, (0.0, 0.0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.last = (received, time.perf_counter())
            await send(message)

        await self.app(scope, receive, timed)


class TimedSlackApi(FakeSlackApi):
    """The fake Web API, noting when each reply to a response_url arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.replied: list[float] = []

    def record(self, method: str, payload: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "response_url":
            self.replied.append(time.perf_counter())
        return super().record(method, payload, token)


def add_lines(count: int, seed: int = 11) -> list[str]:
    """Long lines, each for a new client (a phone the dataset does not have)."""
    pick = random.Random(seed)
    lines = []
    for n in range(count):
        service = f"service {pick.randint(1, SERVICES):02d}"
        provider = f"with dr provider {pick.randint(1, PROVIDERS):02d}"
        when = " ".join(pick.choice(options) for options in WHEN)
        phone = f"(646) {301 + n // 10_000}-{n % 10_000:04d}"
        lines.append(
            f"add {pick.choice(NAMES)} {phone} {service} {provider} {when} {pick.choice(NOTES)}"
        )
    return lines


def measure(url: str, requests: int) -> dict[str, dict[str, float]]:
    secret = secrets.token_hex(16)
    api = TimedSlackApi()
    api.start()
    settings = Settings(
        WAITLIST_DATABASE_URL=url,
        SLACK_BOT_TOKEN="xoxb-" + secrets.token_hex(8),
        SLACK_SIGNING_SECRET=secret,
        SLACK_API_URL=api.url,
        WAITLIST_SLACK_STAFF=STAFF,
        WAITLIST_TIMEZONE="America/New_York",
    )
    runtime = build_runtime(settings)
    runtime.clock = lambda: NOW  # the dataset's "today"
    before = _last_ids(runtime.engine)
    match_ids = random.Random(5).choices(_waiting_entries(runtime.engine), k=requests + 5)
    cases = {  # (lines, what every reply must say)
        "add <long line>": (add_lines(requests + 5), "Added W-"),
        "list": (["list"] * (requests + 5), "Active waitlist"),
        "match W-<id>": ([f"match W-{i}" for i in match_ids], "free slot"),
    }
    app = TimedApp(create_app(runtime=runtime))
    results = {}
    try:
        with TestClient(app) as http:
            for case, (lines, expect) in cases.items():
                acks, replies = [], []
                for n, line in enumerate(lines):
                    ack, reply = _one(http, secret, app, api, line, expect)
                    if n >= 5:  # the first few warm caches and connections
                        acks.append(ack)
                        replies.append(reply)
                results[case] = _summary(acks, replies)
    finally:
        _remove_added(runtime.engine, before)
        runtime.close()
        api.stop()
    return results


def _one(
    http: TestClient, secret: str, app: TimedApp, api: TimedSlackApi, line: str, expect: str
) -> tuple[float, float]:
    """(ms to the ack, ms to the reply posted to the response_url), both from request received."""
    count = len(api.replied)
    fields = {"team_id": "T0BENCH", "channel_id": "CBENCH", "user_id": STAFF}
    body = urlencode(
        {**fields, "command": "/waitlist", "text": line, "response_url": api.response_url()}
    )
    stamp = int(time.time())
    response = http.post(
        "/slack/events",
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": sign(secret, body, stamp),
        },
    )
    assert response.status_code == 200, f"{line!r}: {response.status_code} {response.text}"
    received, acked = app.last
    reply = api.wait_for("response_url", count + 1)[count]
    assert expect in reply.get("text", ""), f"{line!r} got {reply.get('text')!r}"
    return 1000 * (acked - received), 1000 * (api.replied[count] - received)


def _summary(acks: list[float], replies: list[float]) -> dict[str, float]:
    def p99(values: list[float]) -> float:
        return sorted(values)[int(0.99 * (len(values) - 1))]

    return {
        "n": len(acks),
        "ack p50": statistics.median(acks),
        "ack p99": p99(acks),
        "reply p50": statistics.median(replies),
        "reply p99": p99(replies),
    }


def _waiting_entries(engine: Any) -> list[int]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id FROM waitlist_entries WHERE status = 'waiting' "
                "AND (preferred_date_end IS NULL OR preferred_date_end >= :today)"
            ),
            {"today": TODAY},
        )
        return sorted(row[0] for row in rows)


def _last_ids(engine: Any) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}"))
            for table in ("clients", "waitlist_entries")
        }


def _remove_added(engine: Any, before: dict[str, int]) -> None:
    """Put the dataset back to its N entries so other benchmarks keep reusing it. The audit
    events of the added entries stay: the log is append-only."""
    with engine.begin() as connection:
        entries = {"last": before["waitlist_entries"]}
        connection.execute(text("DELETE FROM entry_providers WHERE entry_id > :last"), entries)
        connection.execute(text("DELETE FROM waitlist_entries WHERE id > :last"), entries)
        connection.execute(
            text("DELETE FROM clients WHERE id > :last"), {"last": before["clients"]}
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.slack", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--size", default="100k", choices=list(SIZES), help="entries in the dataset"
    )
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated databases")
    parser.add_argument("--requests", type=int, default=300, help="measured requests per command")
    args = parser.parse_args(argv)
    if unknown := set(args.db.split(",")) - {"sqlite", "postgresql"}:
        parser.error(f"unknown database {', '.join(sorted(unknown))}; use sqlite, postgresql")
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    print("| database | command | n | ack p50 ms | ack p99 ms | reply p50 ms | reply p99 ms |")
    print("|---|---|---|---|---|---|---|")
    worst = 0.0
    for database in args.db.split(","):
        if database == "postgresql" and (why := datasets.postgres_reachable()):
            print(
                f"PostgreSQL skipped: {datasets.POSTGRES_URL} unreachable ({why}).", file=sys.stderr
            )
            continue
        url = datasets.ensure(database, SIZES[args.size])
        for case, row in measure(url, args.requests).items():
            worst = max(worst, row["ack p99"])
            print(
                f"| {database} | `/waitlist {case}` | {row['n']:.0f} | {row['ack p50']:.2f} | "
                f"{row['ack p99']:.2f} | {row['reply p50']:.1f} | {row['reply p99']:.1f} |"
            )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    verdict = "met" if worst <= TARGET_MS else "missed"
    print(f"\nload average at the end (1, 5, 15 min): {load}", file=sys.stderr)
    print(
        f"worst ack p99 {worst:.2f} ms: target p99 ≤ {TARGET_MS:.0f} ms {verdict}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
