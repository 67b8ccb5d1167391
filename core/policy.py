"""Fill policy: the knobs of SPEC §3–§4, with their defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.adaptive import AdaptiveBatch

# With batch size "auto", never more offers out at once for one opening than this.
AUTO_BATCH_MOST = 10


@dataclass(frozen=True)
class QuietHours:
    start: time  # e.g. 21:00
    end: time  # e.g. 08:00; may wrap past midnight

    def contains(self, moment: datetime, timezone: str) -> bool:
        local = moment.astimezone(ZoneInfo(timezone)).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_end(self, moment: datetime, timezone: str) -> datetime:
        """The first instant at or after `moment` that is outside quiet hours (UTC)."""
        zone = ZoneInfo(timezone)
        local = moment.astimezone(zone)
        candidate = local.replace(
            hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0
        )
        if candidate < local:
            candidate += timedelta(days=1)
        return candidate.astimezone(moment.tzinfo)


@dataclass(frozen=True)
class Policy:
    batch_size: int = 3
    hold_minutes: int = 15
    cutoff_minutes: int = 60
    quiet_hours: QuietHours | None = QuietHours(time(21), time(8))
    cap_per_day: int = 1  # 0 = no cap
    cap_per_week: int = 3  # 0 = no cap
    max_wait_days: int = 30
    fairness_window_days: int = 7
    adaptive: AdaptiveBatch | None = None  # batch size "auto": batch_size is then the most

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError("batch size must be at least 1")
        if self.hold_minutes < 1:
            raise ValueError("offer hold must be at least 1 minute")
        if self.cutoff_minutes < 0:
            raise ValueError("offer cut-off cannot be negative")
        if self.cap_per_day < 0 or self.cap_per_week < 0:
            raise ValueError("contact caps cannot be negative")
        if self.max_wait_days < 1:
            raise ValueError("max wait must be at least 1 day")

    @property
    def hold(self) -> timedelta:
        return timedelta(minutes=self.hold_minutes)

    @property
    def cutoff(self) -> timedelta:
        return timedelta(minutes=self.cutoff_minutes)
