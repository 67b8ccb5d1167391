"""Each clinic's entries expire after its own max wait."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.scheduler.jobs import run_expire_entries
from core.model import EntryStatus
from tests.groups.conftest import Deployment
from tests.groups.group import NOW


def test_entries_expire_after_their_own_clinics_max_wait(deployment: Deployment) -> None:
    group = deployment.group
    with deployment.runtime.make_uow() as uow:
        west = uow.clinics.get(group.west.clinic.id or 0)
        assert west is not None
        west.settings = replace(west.settings, max_wait_days=7)
        uow.clinics.save(west)
        uow.commit()
    pat = group.client("Pat", 1)
    joined = NOW - timedelta(days=10)
    east_entry = group.entry(group.east, pat, at=joined)
    west_entry = group.entry(group.west, pat, at=joined)
    summary = run_expire_entries(deployment.runtime, NOW)
    assert summary == {
        "clinics": {
            str(group.east.clinic.id): {"expired": 0},
            str(group.west.clinic.id): {"expired": 1},
        }
    }
    with deployment.runtime.make_uow() as uow:
        statuses = [uow.entries.get(e.id or 0).status for e in (east_entry, west_entry)]  # type: ignore[union-attr]
    assert statuses == [EntryStatus.WAITING, EntryStatus.EXPIRED]
