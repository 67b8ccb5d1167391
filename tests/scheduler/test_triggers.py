"""When the jobs fire: the daily stats post at 08:00 local across both DST changes, catching
up at start, and sweep ticks every instance agrees on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.scheduler.jobs import tick_of
from bot.scheduler.service import GRACE, _first_run, daily, triggers

NEW_YORK = ZoneInfo("America/New_York")


def _fire_times(start: datetime, end: datetime) -> list[datetime]:
    trigger = triggers("08:00", NEW_YORK)["stats_post"]
    found: list[datetime] = []
    previous = None
    now = start
    while True:
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None or fire > end:
            return found
        found.append(fire)
        previous = now = fire


@pytest.mark.parametrize(
    ("change", "utc_hour_before", "utc_hour_after"),
    [(date(2026, 3, 8), 13, 12), (date(2026, 11, 1), 12, 13)],
    ids=["spring-forward", "fall-back"],
)
def test_stats_post_fires_at_eight_local_once_each_day_around_dst(
    change: date, utc_hour_before: int, utc_hour_after: int
) -> None:
    start = datetime.combine(change - timedelta(days=3), datetime.min.time(), NEW_YORK)
    fires = _fire_times(start, start + timedelta(days=7))
    local = [f.astimezone(NEW_YORK) for f in fires]
    assert [d.date() for d in local] == [change + timedelta(days=n) for n in range(-3, 4)]
    assert {(d.hour, d.minute) for d in local} == {(8, 0)}
    utc_hours = [f.astimezone(UTC).hour for f in fires]
    assert utc_hours == [utc_hour_before] * 3 + [utc_hour_after] * 4
    in_utc = [f.astimezone(UTC) for f in fires]
    gaps = {in_utc[n + 1] - in_utc[n] for n in range(len(fires) - 1)}
    assert gaps == {timedelta(hours=24), timedelta(hours=24 + utc_hour_after - utc_hour_before)}


def test_daily_triggers_name_days_rather_than_number_them() -> None:
    trigger = daily("08:00", NEW_YORK)
    assert str(trigger.fields[trigger.FIELD_NAMES.index("day_of_week")]) == (
        "mon,tue,wed,thu,fri,sat,sun"
    )
    # Names cannot be misread: APScheduler 3 counts Monday as 0, so cron's 1-5 would mean
    # Tuesday to Saturday. Sunday is one of the days.
    sunday = datetime(2026, 3, 8, tzinfo=NEW_YORK)
    assert trigger.get_next_fire_time(None, sunday).date() == date(2026, 3, 8)


def test_a_daily_run_missed_within_its_grace_runs_at_start() -> None:
    trigger = daily("08:00", NEW_YORK)
    restarted = datetime(2026, 3, 9, 9, 30, tzinfo=NEW_YORK)
    assert _first_run(trigger, restarted, GRACE["stats_post"]) == datetime(
        2026, 3, 9, 8, 0, tzinfo=NEW_YORK
    )
    late = datetime(2026, 3, 9, 21, 0, tzinfo=NEW_YORK)
    assert _first_run(trigger, late, GRACE["stats_post"]) == datetime(
        2026, 3, 10, 8, 0, tzinfo=NEW_YORK
    )


def test_sweep_ticks_agree_between_instances_a_little_apart() -> None:
    base = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    ticks = {
        tick_of("sweep", base + timedelta(seconds=s), timezone="UTC", every_seconds=60)
        for s in (0, 0.4, 3, 59.9)
    }
    assert ticks == {"2026-03-09T14:00:00+00:00"}
    sweep = triggers("08:00", NEW_YORK)["sweep"]
    assert sweep.get_next_fire_time(None, base + timedelta(seconds=10)) == base + timedelta(
        minutes=1
    )
    assert tick_of("stats_post", base, timezone="America/New_York", every_seconds=60) == (
        "2026-03-09"
    )


def test_sweeps_fire_on_the_minute_whenever_an_instance_started() -> None:
    sweep = triggers("08:00", NEW_YORK)["sweep"]
    started = datetime(2026, 3, 9, 14, 0, 37, 500_000, tzinfo=UTC)  # the run at start
    fires = [sweep.get_next_fire_time(started, started + timedelta(seconds=1))]
    for _ in range(3):
        fires.append(sweep.get_next_fire_time(fires[-1], fires[-1]))
    assert fires == [datetime(2026, 3, 9, 14, m, tzinfo=UTC) for m in (1, 2, 3, 4)]
    assert {fire.second for fire in fires} == {0}
