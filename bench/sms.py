"""SMS webhook throughput and cancellation-to-first-text latency, over loopback.

python -m bench.sms [--db sqlite,postgresql] [--requests 3000] [--concurrency 16] [--workers 1]
                    [--sending twilio|console] [--batch 5]
python -m bench.sms --profile 400 [--db postgresql]


For each database: a clinic where 3,000 clients each hold a pending offer is built, then
`waitlist serve` runs as its own process with Twilio pointed at a local fake Messages API.
This process posts signed inbound YES/NO texts for distinct clients (all real work: bookings,
declines that move fills on, "just taken" replies) and reports throughput and p50/p99 latency
as the client sees it. Then it cancels appointments through the REST API, one at a time, and
times each until the first offer text reaches the fake Twilio.

`--sending console` runs the server without Twilio's account (the inbound signature is still
checked): the outbox hands each text to the console sender, which writes it to the server's
log, and no fake Twilio runs. That is how the peer in ../shared/peers is measured (its
USE_MOCK_TWILIO), so it is the like-for-like comparison; the default sends every text over
HTTP to the fake Twilio, which runs in this process and is counted in the load client's CPU.

`--profile N` measures the engine alone instead: N texts handled in this process, no HTTP and
no sending, with the CPU time per reply, the SQL statements of each YES and NO, and a cProfile
of every fourth reply (not timed) written to bench/data/sms-<db>.prof.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import event, update
from twilio.request_validator import RequestValidator

from bench.datasets import POSTGRES_URL
from bot.api.auth import Role, mint_token
from bot.runtime import build_runtime
from bot.settings import Settings
from bot.sms.inbound import handle_sms
from core import directory, fill
from core.model import Client, WaitlistEntry
from core.policy import Policy
from storage.db import make_engine, upgrade
from storage.tables import MessageRow
from tests.fakes.twilio_api import FakeTwilioApi

TZ = "America/New_York"
TOKEN = "bench-auth-token"
JWT = "bench-jwt-secret-with-enough-length-0123456789"
PROVIDERS, HOURS = 10, 10  # openings a day: 100
BATCH = 5  # holders per opening: a YES books one and withdraws four


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    for database in args.db:
        url, cleanup = _database(database)
        try:
            print(f"\n## {database}")
            if args.profile:
                _profile(url, database, args.profile, args.batch)
            else:
                _run(url, args)
        finally:
            cleanup()
    return 0


def _run(url: str, args: argparse.Namespace) -> None:
    phones, spare = _build(url, args.requests, args.batch)
    with FakeTwilioApi() as twilio:
        port = _free_port()
        public = f"http://127.0.0.1:{port}"
        twilio_url = twilio.url if args.sending == "twilio" else None
        server = _serve(url, public, twilio_url, port, args)
        database = _postmaster(url)
        try:
            cpu = _cpu_seconds(server.pid)
            db_cpu = _cpu_seconds(database, reaped=True) if database else 0.0
            own_cpu = time.process_time()
            replies = asyncio.run(_replies(public, phones[: args.requests], args.concurrency))
            replies["client_cpu"] = time.process_time() - own_cpu
            replies["server_cpu"] = _cpu_seconds(server.pid) - cpu
            if database:
                replies["database_cpu"] = _cpu_seconds(database, reaped=True) - db_cpu
            first_text = _cancellations(public, twilio, spare) if twilio_url else []
        finally:
            server.terminate()
            server.wait(30)
    _report(replies, first_text, args)


def _profile(url: str, database: str, count: int, batch: int) -> None:
    """CPU and statements per reply, in process: what the engine costs without HTTP."""
    phones, _ = _build(url, count, batch)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        quiet_hours="",
        cap_per_day=0,
        cap_per_week=0,
        offer_batch_size=batch,
    )
    runtime = build_runtime(settings)
    statements: list[str] = []
    compiled: dict[str, int] = {}

    def count_statement(*args: Any) -> None:
        statements.append(str(args[2]))

    def count_compiled(_conn: Any, _cursor: Any, text: str, *args: Any) -> None:
        if args[1] is not None and args[1].cache_hit != args[1].cache_hit.CACHE_HIT:
            key = " ".join(text.split())[:80]
            compiled[key] = compiled.get(key, 0) + 1

    event.listen(runtime.engine, "before_cursor_execute", count_statement)
    event.listen(runtime.engine, "after_cursor_execute", count_compiled)
    rng = random.Random(7)
    by_answer: dict[str, list[int]] = {"YES": [], "NO": []}
    profiler = cProfile.Profile(time.process_time)  # CPU, not wall time, on a busy machine
    cpu: list[float] = []
    for i, phone in enumerate(phones):
        answer = rng.choice(["YES", "NO"])
        statements.clear()
        profiled = i % 4 == 3  # cProfile slows what it watches: those are not timed
        began = time.process_time()
        if profiled:
            profiler.enable()
        handle_sms(runtime, phone, answer, f"SMp{i:031d}")
        if profiled:
            profiler.disable()
        else:
            cpu.append(time.process_time() - began)
        by_answer[answer].append(len(statements))
    runtime.close()
    path = Path(f"bench/data/sms-{database}.prof")
    path.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(path)
    print(
        f"in-process: {len(phones)} replies, CPU per reply mean {sum(cpu) / len(cpu) * 1000:.1f}"
        f" ms, median {statistics.median(cpu) * 1000:.1f} ms ({len(cpu)} timed)"
    )
    for answer, counts in by_answer.items():
        if counts:
            print(
                f"  {answer}: SQL statements median {statistics.median(counts):.0f}, "
                f"max {max(counts)} ({len(counts)} replies)"
            )
    print(f"  statements compiled again and again (SQLAlchemy cache misses): {len(compiled)}")
    for text, times in sorted(compiled.items(), key=lambda item: -item[1])[:5]:
        print(f"    {times:>4} x {text}")
    print(f"  profile: {path} (python -m pstats {path})")


def _build(url: str, wanted: int, batch: int) -> tuple[list[str], list[int]]:
    """Clients with pending offers, `batch` to an opening, and booked appointments kept back
    to cancel later: at least six days of openings, more when `wanted` needs them."""
    days = max(6, -(-wanted // (PROVIDERS * HOURS * batch)))
    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    upgrade(url)
    runtime = build_runtime(settings)
    policy = Policy(batch_size=batch, cap_per_day=0, cap_per_week=0, quiet_hours=None)
    now = datetime.now(UTC)
    zone = ZoneInfo(TZ)
    hours = {d: [(clock(8), clock(19))] for d in range(7)}
    with runtime.make_uow() as uow:
        clinic = directory.add_clinic(uow=uow, name="Bench Clinic", timezone=TZ, now=now, actor="b")
        service = directory.add_service(
            uow=uow, clinic_id=clinic.id, name="Visit", duration_minutes=60, now=now, actor="b"
        )
        providers = [
            directory.add_provider(
                uow=uow, clinic_id=clinic.id, name=f"Dr {i}", hours=hours, now=now, actor="b"
            )
            for i in range(PROVIDERS)
        ]
        holder = directory.add_client(
            uow=uow, first_name="Holder", last_name="X", phone="+16175559999", now=now, actor="b"
        )
        phones = []
        for i in range(PROVIDERS * days * HOURS * batch + 200):
            # Straight into the tables: the set-up is not what is measured.
            phone = f"+1617{2000000 + i:07d}"
            client = uow.clients.add(Client(f"P{i}", "X", phone, created_at=now))
            uow.entries.add(
                WaitlistEntry(
                    clinic_id=clinic.id or 0,
                    client_id=client.id or 0,
                    service_id=service.id,
                    created_by="b",
                    created_at=now - timedelta(seconds=i),
                )
            )
            phones.append(phone)
        appointments = []
        start_day = (now.astimezone(zone) + timedelta(days=2)).date()
        for day in range(days + 1):
            for hour in range(HOURS):
                for provider in providers:
                    at = datetime.combine(start_day + timedelta(days=day), clock(8 + hour), zone)
                    appointments.append(
                        directory.book_appointment(
                            uow=uow,
                            client_id=holder.id,
                            service_id=service.id,
                            provider_id=provider.id,
                            scheduled_at=at.astimezone(UTC),
                            now=now,
                            actor="b",
                        ).id
                    )
        uow.commit()
    _analyze(runtime.engine)
    to_cancel, spare = appointments[: PROVIDERS * days * HOURS], appointments[-30:]
    for appointment_id in to_cancel:
        with runtime.make_uow() as uow:
            fill.handle_cancellation(
                uow=uow, appointment_id=appointment_id, actor="b", now=now, policy=policy
            )
            uow.commit()
    with runtime.engine.begin() as connection:  # the offers went out before the benchmark
        connection.execute(update(MessageRow).values(status="sent"))
    _analyze(runtime.engine)
    runtime.close()
    offered = phones[: len(to_cancel) * batch]
    random.Random(7).shuffle(offered)
    return offered[:wanted], spare


def _analyze(engine: Any) -> None:
    """Table statistics as autovacuum keeps them in a running database (the tables were
    just filled): without them the planner guesses and every candidate search scans."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in ("clients", "waitlist_entries", "appointments", "openings", "offers"):
                connection.exec_driver_sql(f"ANALYZE {table}")


def _serve(
    url: str, public: str, twilio_url: str | None, port: int, args: argparse.Namespace
) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK", "TWILIO"))}
    env.update(
        WAITLIST_DATABASE_URL=url,
        WAITLIST_PUBLIC_URL=public,
        WAITLIST_QUIET_HOURS="",
        WAITLIST_CAP_PER_DAY="0",
        WAITLIST_CAP_PER_WEEK="0",
        WAITLIST_OFFER_BATCH_SIZE=str(args.batch),
        WAITLIST_JWT_SECRET=JWT,
        TWILIO_AUTH_TOKEN=TOKEN,  # inbound texts are signed either way
    )
    if twilio_url:  # else no account: the console sender writes each text to the log
        env.update(
            TWILIO_ACCOUNT_SID="AC" + "0" * 32,
            TWILIO_FROM_NUMBER="+16175550000",
            TWILIO_API_BASE_URL=twilio_url,
        )
    command = [sys.executable, "-m", "bot.cli", "serve", "--no-scheduler", "--port", str(port)]
    if args.workers != 1:
        command += ["--workers", str(args.workers)]
    log_path = Path("bench/data/sms-serve.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:  # read it if the server misbehaves
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120  # worker processes import everything anew
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{public}/readyz", timeout=5).status_code == 200:
                return server  # type: ignore[return-value]
        except httpx.TransportError:
            time.sleep(0.2)
    server.terminate()  # uvicorn stops its worker processes too
    server.wait(30)
    raise SystemExit("the server did not start")


async def _replies(public: str, phones: list[str], concurrency: int) -> dict[str, Any]:
    validator = RequestValidator(TOKEN)
    url = f"{public}/sms/inbound"
    forms = []
    for i, phone in enumerate(phones):
        form = {"From": phone, "To": "+16175550000", "Body": random.choice(["YES", "NO"]),
                "MessageSid": f"SMa{i:031d}"}  # fmt: skip
        forms.append((form, validator.compute_signature(url, form)))
    queue: asyncio.Queue[tuple[dict[str, str], str]] = asyncio.Queue()
    for item in forms:
        queue.put_nowait(item)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def worker() -> None:
            while not queue.empty():
                form, signature = queue.get_nowait()
                started = time.perf_counter()
                response = await client.post(
                    url, data=form, headers={"X-Twilio-Signature": signature}
                )
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return {"latencies": latencies, "elapsed": elapsed, "statuses": statuses}


def _cancellations(public: str, twilio: FakeTwilioApi, spare: list[int]) -> list[float]:
    settings = Settings(_env_file=None, jwt_secret=JWT)  # type: ignore[call-arg]
    headers = {"Authorization": f"Bearer {mint_token(settings, sub='bench', role=Role.STAFF)}"}
    times = []
    with httpx.Client(timeout=30, headers=headers) as client:
        for appointment_id in spare:
            seen = len(twilio.attempts)
            started = time.perf_counter()
            response = client.post(f"{public}/apis/v1/appointments/{appointment_id}/cancel")
            response.raise_for_status()
            while len(twilio.attempts) == seen and time.perf_counter() - started < 10:
                time.sleep(0.0005)
            times.append(time.perf_counter() - started)
            time.sleep(0.2)
    return times


def _report(replies: dict[str, Any], first_text: list[float], args: argparse.Namespace) -> None:
    lat = sorted(replies["latencies"])
    ms = [x * 1000 for x in lat]
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    sending = "fake Twilio over HTTP" if args.sending == "twilio" else "console sender"
    print(
        f"inbound YES/NO: {len(ms)} requests, concurrency {args.concurrency}, "
        f"{args.workers} worker(s), {args.batch} holders per opening, texts to the {sending}; "
        f"load average after (1/5/15 min) {load}"
    )
    print(f"  throughput {len(ms) / replies['elapsed']:.0f} req/s")
    print(f"  latency p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms")
    print(f"  statuses {replies['statuses']}")
    print(
        f"  server CPU per reply {replies['server_cpu'] / len(ms) * 1000:.1f} ms "
        "(all server processes, HTTP and outbox sending included)"
    )
    if "database_cpu" in replies:
        print(
            f"  PostgreSQL CPU per reply {replies['database_cpu'] / len(ms) * 1000:.1f} ms "
            "(every backend of the local server: other work on it counts too)"
        )
    print(
        f"  load client CPU per reply {replies['client_cpu'] / len(ms) * 1000:.1f} ms "
        "(this process: signing and posting the texts)"
    )
    if not first_text:
        return
    first = sorted(x * 1000 for x in first_text)
    print(f"cancellation -> first offer at Twilio: {len(first)} runs")
    print(f"  p50 {statistics.median(first):.1f} ms, max {first[-1]:.1f} ms")


def _cpu_seconds(pid: int, *, reaped: bool = False) -> float:
    """CPU time (user + system) of a process and its children so far (Linux /proc): a
    measure of the work done that a busy machine does not inflate the way it does wall time.
    With `reaped`, also that of the children it has already waited for (PostgreSQL's
    backends of closed connections)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # fields[1]: parent pid
            total += (int(fields[11]) + int(fields[12])) / tick
            if reaped and stat.parent.name == str(pid):
                total += (int(fields[13]) + int(fields[14])) / tick
    return total


def _postmaster(url: str) -> int | None:
    """The PostgreSQL server's main process, when it runs on this machine; else None."""
    if not url.startswith("postgresql"):
        return None
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            backend = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        status = Path(f"/proc/{backend}/status").read_text()
    except (OSError, ValueError):
        return None
    finally:
        engine.dispose()
    parent = [line.split()[1] for line in status.splitlines() if line.startswith("PPid:")]
    return int(parent[0]) if parent else None


def _database(name: str) -> tuple[str, Any]:
    if name == "sqlite":
        path = Path("bench/data/sms-bench.db")
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path.resolve()}", lambda: None
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS btree_gist")
        connection.exec_driver_sql("DROP SCHEMA IF EXISTS bench_sms CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA bench_sms")
    url = f"{POSTGRES_URL}?options=-csearch_path%3Dbench_sms"

    def cleanup() -> None:
        with admin.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA IF EXISTS bench_sms CASCADE")
        admin.dispose()

    return url, cleanup


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.sms", description=__doc__)
    parser.add_argument("--db", default="sqlite,postgresql", type=lambda s: s.split(","))
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="server processes (PostgreSQL)")
    parser.add_argument(
        "--sending",
        choices=("twilio", "console"),
        default="twilio",
        help="texts over HTTP to a fake Twilio (default), or to the console sender",
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=BATCH,
        help="holders per opening (the peer's benchmark seeds 3)",
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="profile N replies in process"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
