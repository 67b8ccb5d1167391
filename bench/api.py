"""The REST list endpoint on the benchmark datasets, measured through the real app in process
(routing, auth, queries, serialisation; no network).

python -m bench.api [--sizes 1m] [--db sqlite,postgresql] [--repeat 30] [--only T] [--skip T]
                    [--changed N]

`--changed N`: before each `available_slots` call, N entries of the page's filter are marked
changed in the process's kept terms (`storage.repositories.term_cache`), so the call reads
them again, as after N edits or status changes made by another process.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from bench import datasets
from bench.generate import CLINIC_ID, NOW
from bench.run import SIZES
from bot.api.auth import Role, mint_token
from bot.app import create_app
from bot.runtime import build_runtime
from bot.settings import Settings
from storage.repositories import term_cache
from storage.tables import EntryRow

FILTERS = f"clinic_id={CLINIC_ID}&status=ACTIVE&priority=3"
CASES = {
    "page 1, 3 filters": f"{FILTERS}&page=1&page_size=20",
    "page 500, 3 filters": f"{FILTERS}&page=500&page_size=20",
    "include_waitlists, 100 per page": f"{FILTERS}&include_waitlists=true&page_size=100",
    **{
        f"sort_by={field} {direction}, page {page}": (
            f"{FILTERS}&sort_by={field}&sort_dir={direction}&page={page}&page_size=20"
        )
        for field in ("updated_at", "priority", "date_range_start", "date_range_end")
        for direction in ("desc", "asc")
        for page in (1, 500)
    },
    "sort_by=available_slots, page 1": f"{FILTERS}&sort_by=available_slots&page_size=20",
    "sort_by=available_slots, page 500": (
        f"{FILTERS}&sort_by=available_slots&page=500&page_size=20"
    ),
}
URL = "/apis/v1/waitlist-requests?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api")
    parser.add_argument("--sizes", default="1m", help="comma-separated: 10k, 100k, 1m")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", default="", help="measure only cases containing this text")
    parser.add_argument("--skip", default="", help="leave out cases containing this text")
    parser.add_argument("--changed", type=int, default=0, help="see the module's doc")
    args = parser.parse_args(argv)
    print("| database | entries | case | p50 ms | p95 ms | queries | items |")
    print("|---|---|---|---|---|---|---|")
    for database in args.db.split(","):
        if database == "postgresql" and datasets.postgres_reachable():
            print(f"PostgreSQL unreachable at {datasets.POSTGRES_URL}; skipped.", file=sys.stderr)
            continue
        for size_name in args.sizes.split(","):
            url = datasets.ensure(database, SIZES[size_name])
            cases = {
                k: v
                for k, v in CASES.items()
                if args.only in k and not (args.skip and args.skip in k)
            }
            for case, row in measure(url, args.repeat, cases, args.changed).items():
                print(
                    f"| {database} | {size_name} | {case} | {row['p50']:.1f} | "
                    f"{row['p95']:.1f} | {row['queries']} | {row['items']} |"
                )
    return 0


def measure(
    database_url: str, repeat: int, cases: dict[str, str], changed: int = 0
) -> dict[str, dict[str, Any]]:
    settings = Settings(
        WAITLIST_DATABASE_URL=database_url,
        WAITLIST_JWT_SECRET="bench-only-secret-bench-only-secret",
        SLACK_BOT_TOKEN=None,
        SLACK_SIGNING_SECRET=None,
        TWILIO_ACCOUNT_SID=None,
    )
    runtime = build_runtime(settings)
    runtime.clock = lambda: NOW
    token = mint_token(settings, sub="bench", role=Role.STAFF, minutes=120)
    headers = {"Authorization": f"Bearer {token}"}
    results: dict[str, dict[str, Any]] = {}
    try:
        # Not entered as a context manager: the app's background sender has no place here.
        client = TestClient(create_app(settings, runtime=runtime))
        for case, query in cases.items():

            def call(query: str = query) -> Any:
                response = client.get(URL + query, headers=headers)
                assert response.status_code == 200, response.text
                return response.json()

            body = call()  # warm the caches once
            queries = _count_queries(runtime.engine, call)
            print(f"{case}: measuring", file=sys.stderr, flush=True)
            times = []
            for _ in range(repeat):
                if changed and "available_slots" in case:
                    _mark_changed(runtime, changed)
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            results[case] = {
                "p50": statistics.median(times),
                "p95": times[max(0, int(len(times) * 0.95) - 1)],
                "queries": queries,
                "items": len(body["data"]),
            }
    finally:
        runtime.close()
    return results


def _mark_changed(runtime: Any, count: int) -> None:
    with runtime.make_uow() as uow:
        session = uow.session  # type: ignore[attr-defined]
        ids = session.scalars(
            select(EntryRow.id)
            .where(EntryRow.clinic_id == CLINIC_ID, EntryRow.priority == 3)
            .where(EntryRow.status == "waiting")
            .order_by(func.random())
            .limit(count)
        )
        for entry_id in ids:
            term_cache.forget(session, entry_id)


def _count_queries(engine: Any, call: Callable[[], Any]) -> int:
    seen: dict[int, int] = {}

    def count(*_: object) -> None:
        ident = threading.get_ident()
        seen[ident] = seen.get(ident, 0) + 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return max(seen.values(), default=0)


if __name__ == "__main__":
    sys.exit(main())
