"""`waitlist simulate scenario.yml`: run every policy of a scenario and show the figures."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.simulate.engine import Simulation
from bot.simulate.output import as_json, chart, table
from bot.simulate.report import Report, report
from bot.simulate.scenario import Scenario, ScenarioError, load_scenario, with_seed
from bot.simulate.world import build_timeline


def add_command(commands: Any) -> None:
    """The `simulate` subcommand, for bot/cli.py."""
    sim = commands.add_parser(
        "simulate", help="compare fill policies on a simulated clinic (or --calibrate)"
    )
    sim.add_argument("scenario", type=Path, nargs="?", help="scenario YAML file")
    sim.add_argument("--seed", type=int, help="override the scenario's seed")
    sim.add_argument("--days", type=int, help="override the scenario's length in days")
    sim.add_argument("--json", action="store_true", help="print JSON instead of the table")
    sim.add_argument("--chart", type=Path, metavar="FILE.png", help="also draw a PNG chart")
    sim.add_argument("--no-progress", action="store_true", help="no progress bar")
    sim.add_argument(
        "--calibrate",
        action="store_true",
        help="estimate the patients' response model from the database's Event log",
    )
    sim.add_argument("--db", help="database URL for --calibrate (default: the settings')")
    sim.add_argument("--out", type=Path, help="write the --calibrate fragment to this file")
    sim.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        if args.calibrate:
            from bot.simulate.calibrate import calibrate_command

            return calibrate_command(args.db, args.out)
        if args.scenario is None:
            raise ScenarioError("give a scenario file (see docs/simulation/default.yml)")
        scenario = with_seed(load_scenario(args.scenario), args.seed)
        if args.days is not None:
            scenario = scenario.model_copy(update={"days": args.days})
    except ScenarioError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    reports = simulate(scenario, progress=not args.no_progress and not args.json)
    elapsed = time.perf_counter() - started
    meta = {
        "scenario": str(args.scenario),
        "seed": scenario.seed,
        "days": scenario.days,
        "start": scenario.start.isoformat(),
    }
    if args.json:
        print(as_json(reports, meta))
    else:
        print(table(reports))
        print(f"\n{scenario.days} days, seed {scenario.seed}, {elapsed:.1f} s")
    if args.chart:
        chart(reports, args.chart, f"{args.scenario.name}: {scenario.days} days")
        if not args.json:
            print(f"Chart written to {args.chart}")
    return 0


def simulate(scenario: Scenario, *, progress: bool = False) -> list[Report]:
    """Every policy of the scenario, played against the same timeline."""
    timeline = build_timeline(scenario)
    policies = scenario.policies()
    bar = _progress_bar(scenario.days * len(policies)) if progress else None
    reports = []
    for name, spec in policies:
        counter = _DayCounter(timeline.start, bar) if bar is not None else None
        played = Simulation(scenario, timeline, spec.policy()).play(counter)
        if counter is not None:
            counter.finish(scenario.days)
        reports.append(report(name, played))
    if bar is not None:
        bar.close()
    return reports


class _DayCounter:
    def __init__(self, start: datetime, bar: Any) -> None:
        self.start, self.bar, self.done = start, bar, 0

    def __call__(self, moment: datetime) -> None:
        day = (moment - self.start).days
        if day > self.done:
            self.bar.update(day - self.done)
            self.done = day

    def finish(self, days: int) -> None:
        self.bar.update(days - self.done)


def _progress_bar(total: int) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total, unit="day", desc="simulating", file=sys.stderr, leave=False, disable=None
    )
