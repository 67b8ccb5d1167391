"""The `waitlist` command line: run the service, try it in a console, manage the database."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from bot.simulate.cli import add_command as simulate_command
from core.errors import WaitlistError

log = logging.getLogger("waitlist")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _configure_logging(args)
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


def _configure_logging(args: argparse.Namespace) -> None:
    """Log lines go to stderr, or to `--log-file`, never to stdout where answers are printed.
    The services (`serve`, `worker`) log their progress; one-shot commands only warnings; the
    console keeps them off unless asked (`--log-file` or `--verbose`): its screen is for
    replies."""
    log_file: Path | None = getattr(args, "log_file", None)
    handler: logging.Handler = (
        logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    if getattr(args, "service", False) or log_file or getattr(args, "verbose", False):
        log.setLevel(logging.INFO)
    if getattr(args, "quiet_logs", False) and not log_file and not args.verbose:
        logging.disable(logging.CRITICAL)


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
    demo.add_argument(
        "--group",
        action="store_true",
        help="two clinics in two time zones, each with its own number (bot/sample_group.yml)",
    )
    demo.set_defaults(run=_demo)

    simulate_command(commands)

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

    from bot.sms.cli import register as register_sms

    register_sms(commands)

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="HTTP worker processes (PostgreSQL only above 1; each sends queued texts)",
    )
    serve.add_argument(
        "--no-scheduler",
        action="store_true",
        help="web only: leave the scheduled jobs to a `waitlist worker`",
    )
    serve.set_defaults(run=_serve, service=True)

    console = commands.add_parser(
        "console", help="try /waitlist and patient texts, no Slack needed"
    )
    console.add_argument("--log-file", type=Path, help="write log lines to this file")
    console.add_argument("--verbose", action="store_true", help="show log lines on stderr")
    console.set_defaults(run=_console, quiet_logs=True)

    token = commands.add_parser("token", help="mint a REST API token (for local use and tests)")
    token.add_argument("--role", required=True, choices=["USER", "STAFF", "ADMIN"])
    token.add_argument("--sub", required=True, help="who the token is for")
    token.add_argument("--patient-id", type=int, default=None, help="required for USER")
    token.add_argument("--minutes", type=int, default=60, help="lifetime (default 60)")
    token.add_argument(
        "--clinic-ids", default=None, help="STAFF: the only clinics it sees, e.g. 1,3"
    )
    token.set_defaults(run=_token)

    worker = commands.add_parser("worker", help="run the scheduled jobs alone, until stopped")
    worker.add_argument("--every-seconds", type=int, default=60, help=argparse.SUPPRESS)
    worker.set_defaults(run=_worker, service=True)

    jobs = commands.add_parser("jobs", help="scheduled jobs")
    jobs_commands = jobs.add_subparsers(required=True, metavar="action")
    run_job = jobs_commands.add_parser("run", help="run one job now")
    run_job.add_argument("name", choices=["sweep", "expire_entries", "stats_post"])
    run_job.set_defaults(run=_jobs_run)
    return parser


def _settings():  # type: ignore[no-untyped-def]
    from bot.settings import Settings

    return Settings()


def _db_upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url

    from storage.db import upgrade

    settings = _settings()
    where = make_url(settings.database_url)
    place = where.database if where.get_backend_name() == "sqlite" else where.render_as_string()
    before = _schema_revision(settings.database_url)
    upgrade(settings.database_url)
    after = _schema_revision(settings.database_url)
    if before is None:
        print(f"Created the database schema in {place} (revision {after}).")
    elif before != after:
        print(f"Upgraded the database schema in {place} from revision {before} to {after}.")
    else:
        print(f"The database schema in {place} is up to date (revision {after}).")
    return 0


def _schema_revision(url: str) -> str | None:
    """The migration the database is at; None for a new, empty database."""
    from alembic.runtime.migration import MigrationContext

    from storage.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


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
    if args.group:
        from bot.demo_group import run_group_demo

        run_group_demo(args.db)
        return 0
    from bot.demo import run_demo

    run_demo(args.db)
    return 0


def _stats(args: argparse.Namespace) -> int:
    from bot.runtime import build_runtime
    from core.entries import get_waitlist_stats

    settings = _settings()
    runtime = build_runtime(settings)
    try:
        with runtime.make_uow() as uow:
            stats = get_waitlist_stats(uow=uow, now=runtime.clock())
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
    from bot.scheduler.stats_post import fill_lines
    from core.reports import RATES_EXPLAINED

    for line in fill_lines(stats["fills"]):
        print(line)
    print(RATES_EXPLAINED)
    return 0


def _expire(args: argparse.Namespace) -> int:
    from bot.runtime import build_runtime
    from bot.scheduler.jobs import run_expire_entries
    from core.entries import expire_old_entries
    from storage.transaction import run_in_transaction

    settings = _settings()
    runtime = build_runtime(settings)
    days = args.days
    try:
        if days is None:  # each clinic by its own max wait
            result = run_expire_entries(runtime, runtime.clock())
            expired = result.get("expired")
            if expired is None:
                expired = sum(c["expired"] for c in result["clinics"].values())
        else:
            expired = run_in_transaction(
                runtime.make_uow,
                lambda uow: expire_old_entries(
                    uow=uow, days=days, now=runtime.clock(), policy=runtime.policy, actor="cli"
                ),
            )["expired"]
    finally:
        runtime.close()
    print(f"Expired {expired} entries.")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn
    from sqlalchemy.engine import make_url

    from bot.app import create_app
    from bot.runtime import banner, build_runtime
    from storage.db import upgrade

    settings = _settings()
    if args.workers < 1:
        raise _Failed("--workers must be at least 1.")
    if args.workers > 1 and make_url(settings.database_url).get_backend_name() == "sqlite":
        raise _Failed(
            "--workers above 1 needs PostgreSQL: SQLite takes one writer at a time, so more "
            "processes would only queue for it. Use --workers 1, or a postgresql:// "
            "WAITLIST_DATABASE_URL."
        )
    for line in banner(settings):
        log.info(line)
    upgrade(settings.database_url)
    if args.workers == 1:
        app = create_app(settings)
        runtime = app.state.runtime
    else:
        # Each worker process builds its own app (and outbox dispatcher: claims are atomic);
        # the scheduler and Slack's socket run once, here in the parent.
        runtime = build_runtime(settings)
    scheduler = None
    if not args.no_scheduler:
        from bot.scheduler.service import Scheduler

        scheduler = Scheduler(runtime)
        scheduler.start()
    from bot.slack.socket import start_socket_mode

    socket_mode = start_socket_mode(runtime)
    try:
        if args.workers == 1:
            uvicorn.run(app, host=args.host, port=args.port)
        else:
            uvicorn.run(
                "bot.app:create_app",
                factory=True,
                host=args.host,
                port=args.port,
                workers=args.workers,
            )
    finally:
        if socket_mode is not None:
            socket_mode.close()
        if scheduler is not None:
            scheduler.shutdown()
    return 0


def _worker(args: argparse.Namespace) -> int:
    import signal
    import threading

    from bot.runtime import banner, build_runtime
    from bot.scheduler.service import Scheduler
    from bot.webhooks.worker import WebhookWorker

    if args.every_seconds < 1:
        raise _Failed("--every-seconds must be at least 1.")
    settings = _settings()
    for line in banner(settings):
        log.info(line)
    runtime = build_runtime(settings)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    scheduler = Scheduler(runtime, every_seconds=args.every_seconds)
    webhooks = WebhookWorker(runtime)
    try:
        scheduler.start()
        webhooks.start()
        while not stop.wait(1):  # a timed wait lets the signal handlers run
            pass
    finally:
        webhooks.stop()
        scheduler.shutdown()  # lets a running job finish
        runtime.close()
    return 0


def _jobs_run(args: argparse.Namespace) -> int:
    from bot.runtime import build_runtime
    from bot.scheduler.service import run_job

    runtime = build_runtime(_settings())
    try:
        now = runtime.clock()
        summary = run_job(
            runtime,
            args.name,
            timezone="UTC",  # a manual run has a tick of its own; every clinic's runs
            tick=f"manual {now.isoformat()}",
            actor="cli",
        )
    finally:
        runtime.close()
    print(f"{args.name}: " + ", ".join(f"{k} {v}" for k, v in (summary or {}).items()))
    return 0


def _token(args: argparse.Namespace) -> int:
    from bot.api.auth import Role, Unauthorized, mint_token

    if args.role == "USER" and args.patient_id is None:
        raise _Failed("a USER token needs --patient-id")
    if not 1 <= args.minutes <= 7 * 24 * 60:
        raise _Failed("--minutes must be 1 to 10080")
    clinic_ids = None
    if args.clinic_ids is not None:
        parts = [p.strip() for p in args.clinic_ids.split(",") if p.strip()]
        if args.role != "STAFF" or not parts or not all(p.isdigit() for p in parts):
            raise _Failed("--clinic-ids takes clinic ids like 1,3, for a STAFF token")
        clinic_ids = [int(p) for p in parts]
    try:
        print(
            mint_token(
                _settings(),
                sub=args.sub,
                role=Role(args.role),
                patient_id=args.patient_id,
                minutes=args.minutes,
                clinic_ids=clinic_ids,
            )
        )
    except Unauthorized as exc:
        raise _Failed(str(exc)) from exc
    return 0


def _console(args: argparse.Namespace) -> int:
    from bot.runtime import build_runtime
    from bot.slack.console import interactive_lines, run_console
    from storage.db import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    runtime = build_runtime(settings)
    try:
        run_console(runtime, interactive_lines(), echo=not sys.stdin.isatty())
    finally:
        runtime.close()
    return 0


def _settings_errors(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        name = ".".join(str(p) for p in error["loc"])
        lines.append(f"  {name}: {error['msg']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
