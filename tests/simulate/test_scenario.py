"""A bad scenario is refused with the path of every bad field, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.simulate.scenario import ScenarioError, load_scenario, parse_scenario

DOCS = Path(__file__).resolve().parents[2] / "docs" / "simulation"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"clinc": {}}, "clinc: unknown field"),
        (
            {"patients": {"acceptance": {"<4h": 1.5, "4-24h": 0.3, "1-3d": 0.3, ">3d": 0.3}}},
            "patients.acceptance.<4h: Input should be less than or equal to 1",
        ),
        (
            {"patients": {"acceptance": {"soon": 0.3}}},
            "patients.acceptance: give exactly the lead times <4h, 4-24h, 1-3d, >3d",
        ),
        ({"clinic": {"timezone": "Mars/Olympus"}}, "clinic.timezone: unknown time zone"),
        ({"clinic": {"hours": {"mon": "17:00-09:00"}}}, "clinic.hours: '17:00-09:00' ends"),
        ({"clinic": {"hours": {"funday": "09:00-17:00"}}}, "clinic.hours: 'funday' is not a day"),
        (
            {"cancellations": {"lead_time": [{"share": 1, "min_hours": 5, "max_hours": 2}]}},
            "cancellations.lead_time.0: max_hours must be above min_hours",
        ),
        ({"policy": {"quiet_hours": "late"}}, "policy.quiet_hours: expected HH:MM-HH:MM"),
        ({"compare": {"batch": [1, 2]}}, "compare: 'batch' is not a policy knob"),
        ({"compare": {"batch_size": [2, 0]}}, "compare.batch_size: Input should be"),
        ({"waitlist": {"priorities": {7: 1}}}, "waitlist.priorities: priorities are 1"),
        ({"days": 0}, "days: Input should be greater than or equal to 1"),
    ],
)
def test_a_bad_field_is_named_in_the_error(data: dict, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data, source="s.yml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("s.yml")


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("clinic: [unclosed\n")
    with pytest.raises(ScenarioError, match="is not valid YAML"):
        load_scenario(path)


def test_the_command_reports_a_bad_scenario_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.yml"
    path.write_text("patients:\n  never_answer: 2\n")
    assert main(["simulate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "patients.never_answer: Input should be less than or equal to 1" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "name", ["default.yml", "fastpass.yml", "year.yml", "tight.yml", "unresponsive.yml"]
)
def test_the_shipped_scenarios_are_valid(name: str) -> None:
    assert load_scenario(DOCS / name).policies()
