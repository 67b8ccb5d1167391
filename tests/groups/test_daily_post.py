"""Each clinic's daily stats post goes to its own channel at its own local time, DST and
all, and runs once however many instances fire it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.runtime import Runtime, build_runtime
from bot.scheduler.service import Scheduler, run_job
from bot.settings import Settings
from tests.fakes.slack_api import FakeSlackApi
from tests.groups.group import NOW, Group, build_group


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as api:
        yield api


@pytest.fixture
def deployment(database_url: str, fake_slack: FakeSlackApi) -> Iterator[tuple[Runtime, Group]]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        WAITLIST_DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-test-not-a-secret",
        SLACK_API_URL=fake_slack.url,
        WAITLIST_SLACK_CHANNEL="C0DEFAULT",
        WAITLIST_STATS_TIME="08:00",
    )
    runtime = build_runtime(settings, notifier=_Quiet())
    group = build_group(runtime.make_uow)
    with runtime.make_uow() as uow:  # Bayside posts at 07:30 its time
        west = uow.clinics.get(group.west.clinic.id or 0)
        assert west is not None
        west.settings = replace(west.settings, stats_time="07:30")
        uow.clinics.save(west)
        uow.commit()
    yield runtime, group
    runtime.close()


class _Quiet:
    def published(self, events: object) -> None:
        return None


def _next_posts(scheduler: Scheduler, after: datetime) -> dict[str, datetime]:
    jobs = {job.id: job for job in scheduler._scheduler.get_jobs()}  # noqa: SLF001
    return {
        name: job.trigger.get_next_fire_time(None, after).astimezone(UTC)
        for name, job in jobs.items()
        if name.startswith("stats_post:")
    }


def test_each_clinics_post_is_at_its_own_local_time_across_a_dst_change(
    deployment: tuple[Runtime, Group],
) -> None:
    runtime, group = deployment
    scheduler = Scheduler(runtime)
    scheduler.sync_clinics(NOW)
    east, west = f"stats_post:{group.east.clinic.id}", f"stats_post:{group.west.clinic.id}"
    # US clocks go forward on Sun Mar 8 2026: 08:00 New York is 13:00 UTC before, 12:00 after.
    before = _next_posts(scheduler, datetime(2026, 3, 7, 0, 0, tzinfo=UTC))
    after = _next_posts(scheduler, datetime(2026, 3, 9, 0, 0, tzinfo=UTC))
    assert before[east] == datetime(2026, 3, 7, 13, 0, tzinfo=UTC)
    assert after[east] == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    assert before[west] == datetime(2026, 3, 7, 15, 30, tzinfo=UTC)  # 07:30 PST
    assert after[west] == datetime(2026, 3, 9, 14, 30, tzinfo=UTC)  # 07:30 PDT


def test_a_changed_stats_time_reschedules_that_clinics_post(
    deployment: tuple[Runtime, Group],
) -> None:
    runtime, group = deployment
    scheduler = Scheduler(runtime)
    scheduler.sync_clinics(NOW)
    with runtime.make_uow() as uow:
        east = uow.clinics.get(group.east.clinic.id or 0)
        assert east is not None
        east.settings = replace(east.settings, stats_time="18:15")
        uow.clinics.save(east)
        uow.commit()
    scheduler.sync_clinics(NOW)
    posts = _next_posts(scheduler, datetime(2026, 3, 7, 0, 0, tzinfo=UTC))
    assert posts[f"stats_post:{group.east.clinic.id}"] == datetime(2026, 3, 7, 23, 15, tzinfo=UTC)


def test_each_clinics_post_goes_to_its_channel_once(
    deployment: tuple[Runtime, Group], fake_slack: FakeSlackApi
) -> None:
    runtime, group = deployment
    runtime.clock = lambda: datetime(2026, 2, 17, 15, 30, tzinfo=UTC)
    for site, zone in ((group.east, "America/New_York"), (group.west, "America/Los_Angeles")):
        name = f"stats_post:{site.clinic.id}"
        first = run_job(runtime, name, timezone=zone)
        again = run_job(runtime, name, timezone=zone)  # another instance, same local day
        assert first == {"posted": True, "day": "2026-02-16"}
        assert again is None
    posts = fake_slack.calls_to("chat.postMessage")
    assert [p["channel"] for p in posts] == ["C0EAST", "C0WEST"]
    assert [p["blocks"][1]["elements"][0]["text"] for p in posts] == ["Downtown", "Bayside"]
