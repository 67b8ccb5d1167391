"""The simulator drives the real fill engine: its figures follow from the scenario, the same
seed gives the same numbers, and no simulated text breaks a cap or quiet hours."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.simulate.engine import Run, Simulation
from bot.simulate.output import as_json
from bot.simulate.report import report
from bot.simulate.scenario import parse_scenario
from bot.simulate.world import build_timeline
from core.dispatch import ANSWERS
from core.model import MessageDirection, MessageStatus, OpeningStatus

SMALL: dict[str, Any] = {
    "seed": 3,
    "days": 6,
    "clinic": {"providers": 2},
    "waitlist": {"initial": 60, "arrivals_per_day": 4},
    "cancellations": {"per_day": 4},
    "compare": {"batch_size": [3]},
}


def _scenario(**changes: Any) -> Any:
    data = {**SMALL}
    for key, value in changes.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return parse_scenario(data)


def _runs(scenario: Any) -> list[tuple[str, Run]]:
    timeline = build_timeline(scenario)
    return [
        (name, Simulation(scenario, timeline, spec.policy()).play())
        for name, spec in scenario.policies()
    ]


def test_the_same_seed_gives_the_same_json() -> None:
    scenario = _scenario()
    first = as_json([report(n, r) for n, r in _runs(scenario)], {"seed": 3})
    second = as_json([report(n, r) for n, r in _runs(scenario)], {"seed": 3})
    assert first == second
    assert '"openings": 0' not in first


def test_another_seed_gives_other_numbers() -> None:
    one = as_json([report(n, r) for n, r in _runs(_scenario())], {})
    other = as_json([report(n, r) for n, r in _runs(_scenario(seed=4))], {})
    assert one != other


EVERYONE_SAYS_YES = {
    "patients": {
        "acceptance": {"<4h": 1, "4-24h": 1, "1-3d": 1, ">3d": 1},
        "time_of_day": {"morning": 1, "afternoon": 1, "evening": 1},
        "reply_delay": {"median_minutes": 0.5, "spread": 0},
        "never_answer": 0,
        "no_reply": 0,
        "opt_out": 0,
        "wrong_number": 0,
        "keenness_spread": 0,
    },
    "cancellations": {"lead_time": [{"share": 1, "min_hours": 6, "max_hours": 48}]},
    "policy": {"quiet_hours": "", "cap_per_day": 0, "cap_per_week": 0},
    "waitlist": {"preferences": {"any_provider": 1, "any_day": 1, "time_of_day": {"any": 1}}},
    "compare": {"batch_size": [3]},
}


def test_when_everyone_says_yes_at_once_each_opening_fills_from_its_first_batch() -> None:
    ((_, run),) = _runs(_scenario(**EVERYONE_SAYS_YES))
    openings = list(run.uow.openings.rows.values())
    assert openings and all(o.status is OpeningStatus.FILLED for o in openings)
    for opening in openings:
        offers = [o for o in run.uow.offers.rows.values() if o.opening_id == opening.id]
        assert len(offers) == 3
        assert {o.created_at for o in offers} == {opening.created_at}
        assert opening.filled_at == opening.created_at + timedelta(minutes=0.5)
    figures = report("batch 3", run)
    assert figures.fill_rate == 1.0 and figures.offers_per_opening == 3.0
    assert figures.just_taken_per_fill == 2.0  # the other two YES of each batch


def test_when_nobody_answers_every_opening_expires_at_its_cut_off() -> None:
    ((_, run),) = _runs(_scenario(patients={"never_answer": 1}, compare={"batch_size": [2]}))
    openings = list(run.uow.openings.rows.values())
    assert openings
    for opening in openings:
        assert opening.status is OpeningStatus.EXPIRED
        assert opening.closed_at == max(opening.cutoff_at, opening.created_at)
    assert report("batch 2", run).filled == 0


@pytest.mark.parametrize(
    "policy",
    [
        {"quiet_hours": "21:00-08:00", "cap_per_day": 1, "cap_per_week": 3},
        {"quiet_hours": "20:00-09:30", "cap_per_day": 2, "cap_per_week": 4},
    ],
)
def test_no_simulated_text_breaks_a_contact_cap_or_quiet_hours(policy: dict[str, Any]) -> None:
    scenario = _scenario(
        policy=policy,
        days=8,
        waitlist={"initial": 30, "arrivals_per_day": 2},  # scarce: the caps bind
        cancellations={"per_day": 8},
        compare={"batch_size": [5, "auto"]},
    )
    spec = scenario.policy
    zone = ZoneInfo(scenario.clinic.timezone)
    start, end = (
        int(part.split(":")[0]) * 60 + int(part.split(":")[1])
        for part in spec.quiet_hours.split("-")
    )
    checked = 0
    for _, run in _runs(scenario):
        offers_to: dict[int, list[Any]] = {}
        for message in run.uow.messages.rows.values():
            if message.direction is not MessageDirection.OUTBOUND:
                continue
            if message.status is not MessageStatus.SENT:
                continue
            if message.kind == "offer":
                offers_to.setdefault(message.client_id, []).append(message.sent_at)
            if message.kind in ANSWERS or message.kind.startswith("reply_"):
                continue  # answers to the patient's own text go at any hour
            local = message.sent_at.astimezone(zone)
            minute = local.hour * 60 + local.minute
            assert not (minute >= start or minute < end), (message.kind, local)
            checked += 1
        for stamps in offers_to.values():
            stamps.sort()
            for i, stamp in enumerate(stamps):
                day = sum(1 for s in stamps[: i + 1] if s >= stamp - timedelta(days=1))
                week = sum(1 for s in stamps[: i + 1] if s >= stamp - timedelta(days=7))
                assert day <= spec.cap_per_day and week <= spec.cap_per_week
        assert report("x", run).most_texts_in_a_week > 0
    assert checked > 50


def test_with_auto_an_opening_is_looked_at_again_when_a_round_of_offers_runs_out() -> None:
    """Production's minute-by-minute pass may widen an auto batch once fewer rounds are left
    before the cut-off; the simulation wakes the opening at that moment, and only under auto."""
    scenario = _scenario(compare={"batch_size": ["auto", 3]}, policy={"quiet_hours": ""})
    timeline = build_timeline(scenario)
    (_, auto), (_, fixed) = scenario.policies()
    simulation = Simulation(scenario, timeline, auto.policy())
    cutoff = simulation.clock + timedelta(minutes=50)  # 3 rounds of 15 min, then 2 at +5 min
    assert simulation._next_round(cutoff) == simulation.clock + timedelta(minutes=5)
    assert simulation._next_round(simulation.clock + timedelta(minutes=45)) == (
        simulation.clock + timedelta(minutes=15)
    )
    assert simulation._next_round(simulation.clock + timedelta(minutes=10)) == (
        simulation.clock + timedelta(minutes=10)
    )  # one round left: nothing changes before the cut-off
    assert Simulation(scenario, timeline, fixed.policy())._next_round(cutoff) == cutoff
