"""The scheduled jobs. Each is one sweep over the database through the core services, so a
missed run is caught up by the next and a second run for the same moment changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.api.idempotency import KEEP as IDEMPOTENCY_KEEP
from bot.runtime import Runtime
from bot.scheduler.chart import fills_chart
from bot.scheduler.stats_post import post_stats
from core.deliveries import recover_deliveries
from core.entries import expire_old_entries, get_waitlist_stats
from core.fill import sweep_fills
from core.lease import Lease
from core.model import Clinic
from core.outbox import recover_sends
from core.reports import fold_entry_counts
from storage.repositories.idempotency import purge_idempotency_keys
from storage.transaction import run_in_transaction

Summary = dict[str, Any]


def clinics_of(runtime: Runtime, clinic_id: int | None) -> list[Clinic]:
    """The clinic a per-clinic job runs for; every clinic when none is named."""
    with runtime.make_uow() as uow:
        if clinic_id is None:
            return uow.clinics.list()
        clinic = uow.clinics.get(clinic_id)
    return [clinic] if clinic is not None else []


def each(summaries: dict[int, Summary]) -> Summary:
    """One clinic's summary as it is; several side by side."""
    if len(summaries) == 1:
        return next(iter(summaries.values()))
    return {"clinics": {str(k): v for k, v in summaries.items()}}


def run_sweep(runtime: Runtime, now: datetime) -> Summary:
    """Lapse offers past their hold and move their fills on, resume fills held back by quiet
    hours, and expire openings past their cut-off (`core.fill.sweep_fills`). Then fold the
    changes appended to the kept entry counts (`core.reports.fold_entry_counts`)."""
    report = sweep_fills(uow_factory=runtime.make_uow, now=now, policy=runtime.policy)
    fold_entry_counts(uow_factory=runtime.make_uow)
    return asdict(report)


def run_expire_entries(runtime: Runtime, now: datetime, clinic_id: int | None = None) -> Summary:
    """Expire a clinic's entries past their expires_at or older than its max wait (its own
    setting, else WAITLIST_MAX_WAIT_DAYS); every clinic's when none is named."""
    done = {}
    for clinic in clinics_of(runtime, clinic_id):
        days = runtime.clinic_config(clinic).policy.max_wait_days
        done[clinic.id or 0] = run_in_transaction(
            runtime.make_uow,
            lambda uow, days=days, clinic=clinic: expire_old_entries(
                uow=uow,
                days=days,
                now=now,
                policy=runtime.policy,
                actor="scheduler",
                clinic_id=clinic.id,
            ),
        )
    return each(done) if done else {"expired": 0}


def run_stats_post(runtime: Runtime, now: datetime, clinic_id: int | None = None) -> Summary:
    """Post a clinic's numbers of yesterday (its local day) and the 30-day chart to its Slack
    channel; every clinic's, each to its own channel, when none is named."""
    done = {}
    for clinic in clinics_of(runtime, clinic_id):
        config = runtime.clinic_config(clinic)
        with runtime.make_uow() as uow:
            stats = get_waitlist_stats(uow=uow, now=now, clinic_id=clinic.id)
        fills = stats["fills"]
        chart = fills_chart(fills["last30Days"]["days"])
        day = fills["yesterday"]["date"]
        posted = post_stats(runtime.settings, stats, chart, day=day, config=config)
        done[clinic.id or 0] = {"posted": posted, "day": day}
    return each(done) if done else {"posted": False}


def recover_and_send(runtime: Runtime, now: datetime) -> Summary:
    """After the sweep commits: settle texts whose sending process died (asking Twilio, see
    `core.outbox.recover_sends`), then send what the sweep queued."""
    recovered = recover_sends(
        uow_factory=runtime.make_uow,
        sender=runtime.sender,
        lease=Lease(runtime.settings.sms_lease),
        now=now,
    )
    settled = recovered.confirmed + recovered.released
    summary: Summary = {"recovered": settled, "sent": runtime.dispatch_now()}
    with runtime.make_uow() as uow:  # webhook deliveries whose worker died mid-send
        released = recover_deliveries(uow=uow, now=now)
        uow.commit()
    if released:
        summary["webhooks_recovered"] = released
    return summary


def send_queued(runtime: Runtime, now: datetime) -> Summary:
    """After expiry commits: withdrawing an offer can move a fill on to someone new; answers
    kept for Idempotency-Keys are forgotten after a day."""
    purge_idempotency_keys(runtime.engine, before=now - IDEMPOTENCY_KEEP)
    return {"sent": runtime.dispatch_now()}


JOBS: dict[str, Callable[[Runtime, datetime], Summary]] = {
    "sweep": run_sweep,
    "expire_entries": run_expire_entries,
    "stats_post": run_stats_post,
}
# What a job does once its transaction (and the lock that makes it run once) is committed:
# texting is slow, and must not hold up every other instance waiting for that lock.
AFTER: dict[str, Callable[[Runtime, datetime], Summary]] = {
    "sweep": recover_and_send,
    "expire_entries": send_queued,
}


def tick_of(job: str, now: datetime, *, timezone: str, every_seconds: int) -> str:
    """Which scheduled run `now` belongs to, the same on every instance: the interval start
    for the sweep (fire times are aligned to the epoch), the local date for daily jobs."""
    if job == "sweep":
        seconds = int(now.timestamp()) // every_seconds * every_seconds
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    return now.astimezone(ZoneInfo(timezone)).date().isoformat()
