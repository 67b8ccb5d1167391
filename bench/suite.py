"""One dataset, every measurement: random realistic inputs, a warm-up, then p50/p95 in ms."""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from time import perf_counter, process_time
from typing import Any

from sqlalchemy import Engine, func, select
from tqdm import tqdm

from bench import ops
from bench.generate import CLINIC_ID, NOW, TODAY
from core.model import AppointmentStatus, EntryStatus, Opening
from storage.tables import AppointmentRow, EntryProviderRow, EntryRow, OpeningRow, ProviderRow
from storage.uow import SqlUnitOfWork, uow_factory

Operation = Callable[[SqlUnitOfWork, Any], Any]
MATCH_DAYS = 30


@dataclass(frozen=True)
class Case:
    name: str
    operation: Operation
    inputs: Sequence[Any]
    naive: bool = False


def run(engine: Engine, size: int, repeat: int, seed: int = 7) -> dict[str, Any]:
    """Measure every case on one dataset; also check that the naive ways give the same
    answers as the engine."""
    make_uow = uow_factory(engine)
    rng = random.Random(seed)
    with make_uow() as uow:
        openings = [ops.candidate_query(o) for o in _openings(uow, rng, repeat + 5)]
        matches = _match_inputs(uow, rng, repeat + 5)
    cases = [
        Case("ranking", ops.ranking, openings),
        Case("ranking naive", ops.ranking_naive, openings, naive=True),
        Case("ranking floor", ops.ranking_floor, openings),
        Case("matching slots", ops.matching, matches),
        Case("matching floor", ops.matching_floor, matches),
        Case("stats", ops.stats, [None]),
        Case("stats with fills", ops.stats_with_fills, [None]),
        Case("stats computed", ops.stats_computed, [None]),
        Case("stats naive", ops.stats_naive, [None], naive=True),
        Case("stats floor", ops.stats_floor, [None]),
        Case("list page 1", ops.listing, [1]),
        Case("list page 1 floor", ops.listing_floor, [1]),
        Case("list page 500", ops.listing, [500]),
        Case("list page 500 floor", ops.listing_floor, [500]),
    ]
    results: dict[str, Any] = {"checks": _checks(make_uow, openings[:3])}
    naive_repeat = repeat if size <= 10_000 else max(3, repeat // 10) if size <= 100_000 else 3
    for case in tqdm(cases, desc="measure", unit="case", leave=False):
        times, cpu = measure(make_uow, case, naive_repeat if case.naive else repeat)
        results[case.name] = {**summary(times), "cpu_p50": statistics.median(cpu)}
    return results


def measure(
    make_uow: Callable[[], SqlUnitOfWork], case: Case, repeat: int
) -> tuple[list[float], list[float]]:
    """Milliseconds per call, wall and this process's CPU (the wall time of a loaded machine
    is mostly waiting for a core), each call in its own unit of work (transaction) already
    begun, after a warm-up; inputs cycle through `case.inputs`."""
    warm_up = 1 if case.naive else 2
    times, cpu = [], []
    for number in range(warm_up + repeat):
        argument = case.inputs[number % len(case.inputs)]
        with make_uow() as uow:
            uow.session.connection()
            start, start_cpu = perf_counter(), process_time()
            case.operation(uow, argument)
            elapsed, elapsed_cpu = perf_counter() - start, process_time() - start_cpu
        if number >= warm_up:
            times.append(elapsed * 1000)
            cpu.append(elapsed_cpu * 1000)
    return times, cpu


def summary(times: list[float]) -> dict[str, Any]:
    ordered = sorted(times)
    p95_index = max(0, -(-len(ordered) * 95 // 100) - 1)
    return {
        "p50": statistics.median(ordered),
        "p95": ordered[p95_index],
        "n": len(ordered),
        "times": [round(t, 3) for t in times],
    }


def _checks(make_uow: Callable[[], SqlUnitOfWork], openings: Sequence[Any]) -> dict[str, bool]:
    """The naive ways and the floors must agree with the engine where they answer the same
    question, or the comparison means nothing."""
    with make_uow() as uow:
        ranked = all(ops.ranking(uow, q) == ops.ranking_naive(uow, q) for q in openings)
        found, naive = ops.stats(uow, None), ops.stats_naive(uow, None)
        same_stats = all(found[key] == naive[key] for key in ("counts", "total", "averageWaitDays"))
        listed = all(ops.listing(uow, page) == ops.listing_floor(uow, page) for page in (1, 500))
    with make_uow() as uow:
        kept = ops.kept_equals_computed(uow)
    return {
        "kept stats equal computed": kept,
        "ranking equals naive": ranked,
        "stats equal naive": same_stats,
        "list equals floor": listed,
    }


def _openings(uow: SqlUnitOfWork, rng: random.Random, count: int) -> list[Opening]:
    """Booked appointments of the next 30 days, as if each had just been cancelled."""
    query = select(AppointmentRow).where(
        AppointmentRow.status == AppointmentStatus.BOOKED.value,
        AppointmentRow.scheduled_at > NOW + timedelta(hours=2),
        AppointmentRow.scheduled_at < NOW + timedelta(days=30),
    )
    rows = list(uow.session.scalars(query.order_by(AppointmentRow.id)))
    next_id = (uow.session.scalar(select(func.max(OpeningRow.id))) or 0) + 1
    return [
        Opening(
            clinic_id=row.clinic_id,
            provider_id=row.provider_id,
            service_id=row.service_id,
            starts_at=row.scheduled_at,
            ends_at=row.ends_at,
            cutoff_at=row.scheduled_at - timedelta(hours=1),
            origin_appointment_id=row.id,
            origin_client_id=row.client_id,
            created_at=NOW,
            id=next_id,
        )
        for row in rng.sample(rows, count)
    ]


def _match_inputs(uow: SqlUnitOfWork, rng: random.Random, count: int) -> list[ops.MatchInput]:
    """Waiting entries, each searched over the next 30 days."""
    waiting = list(
        uow.session.scalars(
            select(EntryRow.id)
            .where(EntryRow.clinic_id == CLINIC_ID, EntryRow.status == EntryStatus.WAITING.value)
            .order_by(EntryRow.id)
        )
    )
    everyone = tuple(uow.session.scalars(select(ProviderRow.id).order_by(ProviderRow.id)))
    chosen = rng.sample(waiting, count)
    preferred: dict[int, list[int]] = {}
    for entry_id, provider_id in uow.session.execute(
        select(EntryProviderRow.entry_id, EntryProviderRow.provider_id).where(
            EntryProviderRow.entry_id.in_(chosen)
        )
    ):
        preferred.setdefault(entry_id, []).append(provider_id)
    last = TODAY + timedelta(days=MATCH_DAYS - 1)
    return [
        ops.MatchInput(entry_id, tuple(preferred.get(entry_id, everyone)), TODAY, last)
        for entry_id in chosen
    ]
