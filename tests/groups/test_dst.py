"""Quiet hours and the times in texts follow each clinic's clock across a DST change (US
clocks go forward on Sun Mar 8 2026)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.groups.conftest import Deployment


@pytest.mark.parametrize(
    ("now", "east_quiet", "west_quiet"),
    [
        # Sat Mar 7 12:30 UTC: 07:30 EST (quiet) in New York, 04:30 PST in Los Angeles.
        (datetime(2026, 3, 7, 12, 30, tzinfo=UTC), True, True),
        # Mon Mar 9 12:30 UTC: 08:30 EDT (open) in New York, 05:30 PDT in Los Angeles.
        (datetime(2026, 3, 9, 12, 30, tzinfo=UTC), False, True),
        # Mon Mar 9 16:30 UTC: 12:30 EDT and 09:30 PDT: both open.
        (datetime(2026, 3, 9, 16, 30, tzinfo=UTC), False, False),
    ],
)
def test_quiet_hours_are_each_clinics_own_local_hours_across_dst(
    deployment: Deployment, now: datetime, east_quiet: bool, west_quiet: bool
) -> None:
    group = deployment.group
    deployment.at(now)
    ana, ben = group.client("Ana", 1), group.client("Ben", 2)
    group.entry(group.east, ana, at=now)
    group.entry(group.west, ben, at=now)
    holder = group.client("Holder", 9)
    east_slot = group.appointment(group.east, holder, group.east.local(10, 14, month=3))
    west_slot = group.appointment(group.west, holder, group.west.local(10, 14, month=3))
    east = deployment.cancel(east_slot.id or 0)
    west = deployment.cancel(west_slot.id or 0)
    assert (len(east.deferred) == 1, len(west.deferred) == 1) == (east_quiet, west_quiet)
    assert (len(east.offered) == 1, len(west.offered) == 1) == (not east_quiet, not west_quiet)


def test_offer_texts_give_each_clinics_local_time_after_the_change(
    deployment: Deployment,
) -> None:
    group = deployment.group
    now = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)  # 13:00 EDT, 10:00 PDT
    deployment.at(now)
    ana, ben = group.client("Ana", 1), group.client("Ben", 2)
    group.entry(group.east, ana, at=now)
    group.entry(group.west, ben, at=now)
    holder = group.client("Holder", 9)
    deployment.cancel(
        group.appointment(group.east, holder, group.east.local(10, 9, month=3)).id or 0
    )
    deployment.cancel(
        group.appointment(group.west, holder, group.west.local(10, 9, month=3)).id or 0
    )
    east_text, west_text = [line for line in deployment.sent if "a spot opened" in line]
    assert "Tue Mar 10 9:00 AM" in east_text and "Expires 1:15 PM" in east_text
    assert "Tue Mar 10 9:00 AM" in west_text and "Expires 10:15 AM" in west_text
