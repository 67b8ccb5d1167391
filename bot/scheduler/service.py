"""APScheduler set-up: when each job fires, in each clinic's time zone, and catching up at
start.

The sweep is one job for every clinic. The daily jobs run per clinic, at the clinic's own
local times (its stats time, and EXPIRE_AT), each named `<job>:<clinic id>` so that each
clinic's run happens once across instances; they are rescheduled when a clinic is added or
its time zone or stats time changes (checked on every sweep).

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
from bot.scheduler.jobs import AFTER, JOBS, tick_of
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
    `stats_post:3` is clinic 3's run of `stats_post` (its tick is that clinic's local day,
    so `timezone` is the clinic's). What the job leaves to do after its commit (`AFTER`)
    runs here, outside the lock."""
    base, _, clinic = name.partition(":")
    job = JOBS[base]
    now = runtime.clock()
    tick = tick or tick_of(base, now, timezone=timezone, every_seconds=every_seconds)

    def action() -> dict[str, Any]:
        if clinic:
            return job(runtime, now, int(clinic))  # type: ignore[call-arg]
        return job(runtime, now)

    summary = run_once(runtime, name, tick, action, now=now, actor=actor)
    if summary is not None and base in AFTER:
        summary = {**summary, **AFTER[base](runtime, now)}
    return summary


class Scheduler:
    """The jobs on a BackgroundScheduler; `start()` returns, the jobs run on its threads."""

    def __init__(self, runtime: Runtime, *, every_seconds: int = SWEEP_SECONDS) -> None:
        self.runtime = runtime
        self.every_seconds = every_seconds
        self._scheduler = BackgroundScheduler(timezone=UTC)
        # clinic id -> (time zone, stats time) its daily jobs are scheduled for
        self._clinics: dict[int, tuple[str, str]] = {}
        self._zones: dict[str, str] = {"sweep": "UTC"}  # job name -> zone of its ticks

    def start(self) -> None:
        now = datetime.now(UTC)
        sweep = every(self.every_seconds)
        self._scheduler.add_job(
            self._fire,
            sweep,
            args=["sweep"],
            id="sweep",
            name="sweep",
            misfire_grace_time=int(GRACE["sweep"].total_seconds()),
            coalesce=True,
            max_instances=1,
            next_run_time=sweep.get_next_fire_time(None, now),
        )
        self.sync_clinics(now)
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
            "scheduler started: sweep every %ss; daily jobs of %d clinic(s) at their local times",
            self.every_seconds,
            len(self._clinics),
        )

    def sync_clinics(self, now: datetime | None = None) -> None:
        """Schedule each clinic's daily jobs at its own local times; reschedule those whose
        clinic changed zone or stats time, and drop those of clinics gone."""
        now = now or datetime.now(UTC)
        with self.runtime.make_uow() as uow:
            configs = [self.runtime.clinic_config(c) for c in uow.clinics.list()]
        wanted = {c.clinic_id: (c.timezone, f"{c.stats_time:%H:%M}") for c in configs}
        for clinic_id in set(self._clinics) - set(wanted):
            for job in ("expire_entries", "stats_post"):
                self._remove(f"{job}:{clinic_id}")
        for clinic_id, (zone, stats_time) in wanted.items():
            if self._clinics.get(clinic_id) == (zone, stats_time):
                continue
            for job, trigger in triggers(stats_time, ZoneInfo(zone)).items():
                if job == "sweep":
                    continue
                name = f"{job}:{clinic_id}"
                self._zones[name] = zone
                self._scheduler.add_job(
                    self._fire,
                    trigger,
                    args=[name],
                    id=name,
                    name=name,
                    replace_existing=True,
                    misfire_grace_time=int(GRACE[job].total_seconds()),
                    coalesce=True,
                    max_instances=1,
                    next_run_time=_first_run(trigger, now, GRACE[job]),
                )
        self._clinics = wanted

    def _remove(self, name: str) -> None:
        if self._scheduler.get_job(name) is not None:
            self._scheduler.remove_job(name)

    def shutdown(self, wait: bool = True) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
            log.info("scheduler stopped")

    def next_run(self, name: str) -> datetime | None:
        job = self._scheduler.get_job(name)
        return job.next_run_time if job else None

    def _fire(self, name: str) -> None:
        try:
            if name == "sweep":
                self.sync_clinics()
            summary = run_job(
                self.runtime,
                name,
                timezone=self._zones.get(name, "UTC"),
                every_seconds=self.every_seconds,
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
