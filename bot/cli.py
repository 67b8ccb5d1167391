"""The `waitlist` command line (SPEC §9)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from core.errors import WaitlistError

log = logging.getLogger("waitlist")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    try:
        return int(args.run(args) or 0)
    except ValidationError as exc:
        print(f"Configuration error:\n{_settings_errors(exc)}", file=sys.stderr)
    except WaitlistError as exc:
        print(f"Error: {exc.message}", file=sys.stderr)
    except _Failed as exc:
        print(f"Error: {exc}", file=sys.stderr)
    return 2


class _Failed(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="waitlist", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="command")

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(required=True, metavar="action")
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(run=_db_upgrade)

    imp = commands.add_parser("import", help="load a clinic.yml (idempotent)")
    imp.add_argument("file", type=Path)
    imp.set_defaults(run=_import)

    demo = commands.add_parser("demo", help="fill a cancellation, start to finish")
    demo.add_argument(
        "--db",
        type=Path,
        default=Path("waitlist-demo.db"),
        help="SQLite file to (re)create (default: waitlist-demo.db)",
    )
    demo.set_defaults(run=_demo)

    stats = commands.add_parser("stats", help="waitlist statistics")
    stats.add_argument("--json", action="store_true", help="print the raw JSON")
    stats.set_defaults(run=_stats)

    expire = commands.add_parser("expire", help="expire stale entries now")
    expire.add_argument(
        "--days",
        type=int,
        default=None,
        help="older than this many days (default WAITLIST_MAX_WAIT_DAYS)",
    )
    expire.set_defaults(run=_expire)

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_serve)
    return parser


def _settings():  # type: ignore[no-untyped-def]
    from bot.settings import Settings

    return Settings()


def _db_upgrade(args: argparse.Namespace) -> int:
    from storage.db import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    print("Database is up to date.")
    return 0


def _import(args: argparse.Namespace) -> int:
    from bot.importer import ImportFailed, import_file
    from bot.runtime import build_runtime
    from storage.db import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    runtime = build_runtime(settings)
    try:
        report = import_file(args.file, make_uow=runtime.make_uow, now=runtime.clock())
    except ImportFailed as exc:
        raise _Failed(str(exc)) from exc
    finally:
        runtime.close()
    print(f"Imported {args.file}: {report.summary()}.")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    run_demo(args.db)
    return 0


def _stats(args: argparse.Namespace) -> int:
    from bot.runtime import build_runtime
    from core.entries import get_waitlist_stats

    runtime = build_runtime(_settings())
    try:
        with runtime.make_uow() as uow:
            stats = get_waitlist_stats(uow=uow)
    finally:
        runtime.close()
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    counts = ", ".join(f"{k} {v}" for k, v in stats["counts"].items())
    print(f"Entries: {stats['total']} ({counts})")
    print(
        f"Active: {stats['activeCount']}  Conversion: {stats['conversionRate']}%  "
        f"Average wait to booking: {stats['averageWaitDays']} days"
    )
    return 0


def _expire(args: argparse.Namespace) -> int:
    from bot.runtime import build_runtime
    from core.entries import expire_old_entries

    settings = _settings()
    runtime = build_runtime(settings)
    days = args.days if args.days is not None else settings.max_wait_days
    try:
        with runtime.make_uow() as uow:
            result = expire_old_entries(
                uow=uow, days=days, now=runtime.clock(), policy=runtime.policy, actor="cli"
            )
            uow.commit()
    finally:
        runtime.close()
    print(f"Expired {result['expired']} entries.")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.app import create_app
    from bot.runtime import banner
    from storage.db import upgrade

    settings = _settings()
    for line in banner(settings):
        log.info(line)
    upgrade(settings.database_url)
    uvicorn.run(create_app(settings), host=args.host, port=args.port)
    return 0


def _settings_errors(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        name = ".".join(str(p) for p in error["loc"])
        lines.append(f"  {name}: {error['msg']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
