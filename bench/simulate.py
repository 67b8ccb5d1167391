"""The simulator's benchmarks (SPEC §12, §14).

    python -m bench.simulate year      # a year of a 10-provider clinic: seconds, wall and CPU
    python -m bench.simulate compare   # batch size auto against fixed 2 and 5, three clinics

`compare` plays each scenario under fixed batch 2, fixed batch 5, `auto` as shipped and
`auto` without its "just taken" limit (least gain 0), then `auto` at other least gains on
the unresponsive clinic, and prints a Markdown table for docs/simulation/README.md.
`--seed N` plays every scenario with another seed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bot.simulate.engine import Simulation
from bot.simulate.report import Report, report
from bot.simulate.scenario import PolicySpec, load_scenario
from bot.simulate.world import build_timeline

DOCS = Path(__file__).resolve().parents[1] / "docs" / "simulation"
SCENARIOS = ("default.yml", "tight.yml", "unresponsive.yml")


def year() -> None:
    scenario = load_scenario(DOCS / "year.yml")
    wall, cpu = time.perf_counter(), time.process_time()
    timeline = build_timeline(scenario)
    ((name, spec),) = scenario.policies()
    figures = report(name, Simulation(scenario, timeline, spec.policy()).play())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"year.yml ({scenario.days} days, {scenario.clinic.providers} providers): "
        f"{figures.openings} openings, {len(timeline.patients)} patients on the waitlist, "
        f"{figures.offers_per_opening * figures.openings:.0f} offers; "
        f"{wall:.1f} s wall, {cpu:.1f} s CPU"
    )


def compare(only: str = "", seed: int | None = None) -> None:
    print(
        "| scenario | policy | openings | filled | fill rate | median to fill (min) "
        '| offers/opening | "just taken"/fill |'
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in SCENARIOS:
        scenario = load_scenario(DOCS / name)
        if seed is not None:
            scenario = scenario.model_copy(update={"seed": seed})
        timeline = build_timeline(scenario)
        base = scenario.policy.model_dump()
        policies = [
            ("batch 2", {"batch_size": 2}),
            ("batch 5", {"batch_size": 5}),
            ("auto", {"batch_size": "auto"}),
            ("auto, least gain 0", {"batch_size": "auto", "least_gain": 0.0}),
        ]
        if name == "unresponsive.yml":
            policies += [
                (f"auto, least gain {gain}", {"batch_size": "auto", "least_gain": gain})
                for gain in (0.1, 0.2, 0.25)
            ]
        for label, changes in policies:
            if only not in label:
                continue
            spec = PolicySpec.model_validate({**base, **changes})
            figures = report(label, Simulation(scenario, timeline, spec.policy()).play())
            print(_row(name, figures), flush=True)


def _row(scenario: str, r: Report) -> str:
    return (
        f"| {scenario} | {r.policy} | {r.openings} | {r.filled} | {r.fill_rate * 100:.1f}% "
        f"| {r.median_minutes_to_fill} | {r.offers_per_opening:.2f} | {r.just_taken_per_fill:.2f} |"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["compare"]:
        args = sys.argv[2:]
        chosen = int(args.pop(args.index("--seed") + 1)) if "--seed" in args else None
        args = [a for a in args if a != "--seed"]
        compare(*args[:1], seed=chosen)  # e.g. `compare auto`: only the policies named so
    else:
        year()
