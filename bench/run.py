"""`make bench`: build the datasets (once), measure, and write docs/BENCHMARKS.md and JSON.

python -m bench.run [--sizes 10k,100k,1m] [--db sqlite,postgresql] [--repeat 50]
                    [--rebuild] [--out docs/BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from bench import datasets, report, suite
from storage.db import make_engine

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
DATABASES = ("sqlite", "postgresql")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    started = time.perf_counter()
    meta = _machine(args)
    results: dict[str, Any] = {}
    for database in args.db:
        results[database] = {}
        if database == "postgresql":
            why = datasets.postgres_reachable()
            if why:
                message = f"PostgreSQL skipped: {datasets.POSTGRES_URL} is unreachable ({why})."
                print(message, file=sys.stderr)
                meta.setdefault("skipped", {})[database] = message
                continue
        for size in args.sizes:
            name = datasets.label(size)
            preparing = time.perf_counter()
            url = datasets.ensure(database, size, rebuild=args.rebuild)
            meta["build_seconds"][f"{database} {name}"] = round(time.perf_counter() - preparing, 1)
            engine = make_engine(url)
            try:
                results[database][name] = suite.run(engine, size, args.repeat)
            finally:
                engine.dispose()
            _print(database, name, results[database][name])
    meta["minutes"] = round((time.perf_counter() - started) / 60, 1)
    meta["load_end"] = round(os.getloadavg()[0], 1)
    json_path = report.write_json(results, meta)
    report.write_markdown(args.out, results, meta)
    print(f"wrote {args.out} and {json_path}", file=sys.stderr)
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1m", help="comma-separated: 10k,100k,1m")
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated databases")
    parser.add_argument("--repeat", type=int, default=50, help="calls per measurement")
    parser.add_argument("--rebuild", action="store_true", help="build the datasets again")
    parser.add_argument("--out", type=Path, default=Path("docs/BENCHMARKS.md"))
    args = parser.parse_args(argv)
    try:
        args.sizes = [SIZES[s.strip().lower()] for s in args.sizes.split(",")]
    except KeyError as exc:
        parser.error(f"unknown size {exc}; use {', '.join(SIZES)}")
    args.db = [d.strip().lower() for d in args.db.split(",")]
    if unknown := set(args.db) - set(DATABASES):
        parser.error(f"unknown database {', '.join(sorted(unknown))}; use {', '.join(DATABASES)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def _machine(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "command": "python -m bench.run " + " ".join(sys.argv[1:])
        if sys.argv[1:]
        else "make bench (python -m bench.run)",
        "date": f"{datetime.now():%Y-%m-%d %H:%M}",
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version() if "postgresql" in args.db else None,
        "repeat": args.repeat,
        "build_seconds": {},
        "load_start": round(os.getloadavg()[0], 1),
    }


def _postgres_version() -> str | None:
    try:
        # psycopg takes a libpq URL: without SQLAlchemy's "+psycopg" driver name.
        url = make_url(datasets.POSTGRES_URL).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        with psycopg.connect(dsn, connect_timeout=3) as connection:
            row = connection.execute("SHOW server_version").fetchone()
    except psycopg.Error:
        return None
    return str(row[0]).split()[0] if row else None


def _print(database: str, size: str, found: dict[str, Any]) -> None:
    print(f"\n{database} N={size}  checks: {found['checks']}", file=sys.stderr)
    for key, value in found.items():
        if key != "checks":
            print(
                f"  {key:<22} p50 {value['p50']:9.2f}  p95 {value['p95']:9.2f}  "
                f"CPU p50 {value['cpu_p50']:9.2f}  n={value['n']}",
                file=sys.stderr,
            )


if __name__ == "__main__":
    raise SystemExit(main())
