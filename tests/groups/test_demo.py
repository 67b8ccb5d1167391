"""`waitlist demo --group`: each clinic fills its cancellation, texting from its number."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.demo_group import run_group_demo


def test_the_group_demo_fills_a_cancellation_at_each_clinic_from_its_own_number(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    run_group_demo(tmp_path / "group.db", today=date(2026, 2, 12), write=lines.append)
    texts = [line for line in lines if "SMS from" in line]
    assert any("from +16175550100" in t and "Harbor Physio Downtown: Hi" in t for t in texts)
    assert any("from +14155550100" in t and "Harbor Physio Bayside: Hi" in t for t in texts)
    assert not any("from +14155550100" in t and "Downtown" in t for t in texts)
    assert "   Harbor Physio Downtown: opening O-1 filled, booked W-2" in lines
    assert "   Harbor Physio Bayside: opening O-2 filled, booked W-5" in lines
