"""--calibrate reads a clinic's Event log and gives back the response model it came from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.simulate.calibrate import estimate
from bot.simulate.engine import Simulation
from bot.simulate.scenario import parse_scenario
from bot.simulate.world import build_timeline
from storage.db import make_engine
from storage.uow import uow_factory

MODEL = {
    "acceptance": {"<4h": 0.5, "4-24h": 0.5, "1-3d": 0.5, ">3d": 0.5},
    "time_of_day": {"morning": 1, "afternoon": 1, "evening": 1},
    "reply_delay": {"median_minutes": 4, "spread": 0.5},
    "never_answer": 0.0,
    "no_reply": 0.3,
    "opt_out": 0,
    "wrong_number": 0,
    "keenness_spread": 0,
}


def _events() -> list:
    scenario = parse_scenario(
        {
            "seed": 5,
            "days": 10,
            "clinic": {"providers": 2},
            "waitlist": {"initial": 60, "arrivals_per_day": 4},
            "cancellations": {"per_day": 6},
            "patients": MODEL,
            "policy": {"hold_minutes": 60},
            "compare": {"batch_size": [1]},
        }
    )
    run = Simulation(scenario, build_timeline(scenario), scenario.policies()[0][1].policy()).play()
    return list(run.uow.events.rows.values())


def test_the_estimate_recovers_the_model_of_a_simulated_clinic() -> None:
    fragment = estimate(_events())
    assert fragment["_counts"]["answered"] > 40
    for share in fragment["acceptance"].values():
        assert 0.3 <= share <= 0.7
    assert 2.5 <= fragment["reply_delay"]["median_minutes"] <= 6
    assert 0.15 <= fragment["no_reply"] <= 0.45
    assert fragment["never_answer"] == 0.0


def test_calibrate_reads_the_database_and_writes_a_scenario_fragment(
    sqlite_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "clinic.db"
    shutil.copy(sqlite_template, db)
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    with uow_factory(engine)() as uow:
        for event in _events():
            event.id = None
            uow.events.add(event)
        uow.commit()
    engine.dispose()
    out = tmp_path / "patients.yml"
    assert main(["simulate", "--calibrate", "--db", url, "--out", str(out)]) == 0
    patients = yaml.safe_load(out.read_text())["patients"]
    assert set(patients["acceptance"]) == {"<4h", "4-24h", "1-3d", ">3d"}
    parse_scenario({"patients": patients})  # the fragment is a valid part of a scenario


def test_calibrate_on_an_empty_log_says_why(
    sqlite_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "empty.db"
    shutil.copy(sqlite_template, db)
    assert main(["simulate", "--calibrate", "--db", f"sqlite:///{db}"]) == 2
    assert "no offers that were answered" in capsys.readouterr().err
