"""APScheduler set-up: when each job fires, in the clinic's time zone, and catching up at start.

The job store is in memory, so a restart forgets what was due while the process was down:
at start the sweep runs at once, and a daily job whose time passed less than its grace
period ago runs at once too (the Event log stops it from running twice that day).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.runtime import Runtime
from bot.scheduler.jobs import AFTER, JOBS, clinic_timezone, tick_of
from bot.scheduler.once import run_once

log = logging.getLogger("waitlist.scheduler")

SWEEP_SECONDS = 60
EXPIRE_AT = "05:00"  # local; no time zone changes its clocks at this hour
# How late a run may still start (a busy process, a restart): the sweep is caught up by the
# next one anyway; daily jobs are worth running late the same day rather than not at all.
GRACE = {
    "sweep": timedelta(minutes=5),
    "expire_entries": timedelta(hours=18),
    "stats_post": timedelta(hours=12),
}
# Every instance computes the same sweep fire times, so their ticks agree.
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def daily(clock: str, timezone: ZoneInfo) -> CronTrigger:
    """Every day at HH:MM local time. Day names, not numbers: APScheduler 3 counts Monday
    as 0, unlike cron."""
    hour, _, minute = clock.partition(":")
    return CronTrigger(
        day_of_week="mon,tue,wed,thu,fri,sat,sun",
        hour=int(hour),
        minute=int(minute or 0),
        timezone=timezone,
    )


def every(seconds: int) -> BaseTrigger:
    """Fire times every instance agrees on: on the minute (second 0) for whole minutes,
    otherwise every `seconds` counted from a fixed epoch. Either way computed from the clock,
    not from when this instance started."""
    if seconds % 60 == 0 and 3600 % seconds == 0:
        return CronTrigger(minute=f"*/{seconds // 60}", second=0, timezone=UTC)
    return IntervalTrigger(seconds=seconds, start_date=_EPOCH, timezone=UTC)


def triggers(
    stats_time: str, timezone: ZoneInfo, every_seconds: int = SWEEP_SECONDS
) -> dict[str, BaseTrigger]:
    return {
        "sweep": every(every_seconds),
        "expire_entries": daily(EXPIRE_AT, timezone),
        "stats_post": daily(stats_time, timezone),
    }


def run_job(
    runtime: Runtime,
    name: str,
    *,
    timezone: str,
    every_seconds: int = SWEEP_SECONDS,
    tick: str | None = None,
    actor: str = "scheduler",
) -> dict[str, Any] | None:
    """Run job `name` now, once across instances for its tick; None if it had already run.
    What the job leaves to do after its commit (`AFTER`) runs here, outside the lock."""
    job = JOBS[name]
    now = runtime.clock()
    tick = tick or tick_of(name, now, timezone=timezone, every_seconds=every_seconds)
    summary = run_once(runtime, name, tick, lambda: job(runtime, now), now=now, actor=actor)
    if summary is not None and name in AFTER:
        summary = {**summary, **AFTER[name](runtime, now)}
    return summary


class Scheduler:
    """The jobs on a BackgroundScheduler; `start()` returns, the jobs run on its threads."""

    def __init__(self, runtime: Runtime, *, every_seconds: int = SWEEP_SECONDS) -> None:
        self.runtime = runtime
        self.every_seconds = every_seconds
        self.timezone = clinic_timezone(runtime)
        self._scheduler = BackgroundScheduler(timezone=ZoneInfo(self.timezone))

    def start(self) -> None:
        now = datetime.now(UTC)
        zone = ZoneInfo(self.timezone)
        for name, trigger in triggers(
            self.runtime.settings.stats_time, zone, self.every_seconds
        ).items():
            grace = GRACE[name]
            self._scheduler.add_job(
                self._fire,
                trigger,
                args=[name],
                id=name,
                name=name,
                misfire_grace_time=int(grace.total_seconds()),
                coalesce=True,
                max_instances=1,
                next_run_time=trigger.get_next_fire_time(None, now)
                if name == "sweep"
                else _first_run(trigger, now, grace),
            )
        # The sweep also runs once at start, apart from its trigger: an IntervalTrigger
        # would count its later fire times from this run, off the shared ones.
        self._scheduler.add_job(
            self._fire,
            args=["sweep"],
            id="sweep-at-start",
            name="sweep",
            misfire_grace_time=int(GRACE["sweep"].total_seconds()),
        )
        self._scheduler.start()
        log.info(
            "scheduler started (%s): sweep every %ss, stats daily at %s",
            self.timezone,
            self.every_seconds,
            self.runtime.settings.stats_time,
        )

    def shutdown(self, wait: bool = True) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
            log.info("scheduler stopped")

    def next_run(self, name: str) -> datetime | None:
        job = self._scheduler.get_job(name)
        return job.next_run_time if job else None

    def _fire(self, name: str) -> None:
        try:
            summary = run_job(
                self.runtime, name, timezone=self.timezone, every_seconds=self.every_seconds
            )
        except Exception:
            # Logged and left for the next run, which sweeps whatever this one missed.
            log.exception("job %s failed", name)
            return
        if summary is not None:
            log.info("job %s: %s", name, summary)


def _first_run(trigger: BaseTrigger, now: datetime, grace: timedelta) -> datetime | None:
    """A fire time missed within the grace period (it runs at start), else the next one."""
    missed = trigger.get_next_fire_time(None, now - grace)
    if missed is not None and missed <= now:
        return missed
    return trigger.get_next_fire_time(None, now)
