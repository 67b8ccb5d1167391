"""The scenario file of `waitlist simulate`: a clinic, its waitlist, its cancellations, how its
patients answer, and the policies to compare. Validated with pydantic; a mistake is reported
with the path of the field (`patients.acceptance.<4h: must be between 0 and 1`)."""

from __future__ import annotations

import itertools
import re
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.adaptive import LEAD_BUCKETS, AdaptiveBatch
from core.model import TimeSlot
from core.policy import AUTO_BATCH_MOST, Policy, QuietHours

Share = Annotated[float, Field(ge=0, le=1)]
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class ScenarioError(ValueError):
    """A scenario that cannot be run; the message names every bad field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _clock(text: str) -> time:
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes or 0))


def _span(text: str) -> tuple[time, time]:
    try:
        start, end = (_clock(part) for part in text.split("-"))
    except ValueError as exc:
        raise ValueError(f"expected HH:MM-HH:MM, got {text!r}") from exc
    if start >= end:
        raise ValueError(f"{text!r} ends before it starts")
    return start, end


class Service(_Strict):
    name: str
    duration_minutes: Annotated[int, Field(ge=5, le=480)] = 30
    share: Annotated[float, Field(gt=0)] = 1.0  # of cancellations and of waitlist entries


class Clinic(_Strict):
    name: str = "Glow Clinic"
    timezone: str = "America/New_York"
    providers: Annotated[int, Field(ge=1, le=200)] = 10
    hours: dict[str, str] = Field(
        default_factory=lambda: {day: "09:00-17:00" for day in _DAYS[1:6]}
    )
    services: list[Service] = Field(
        default_factory=lambda: [Service(name="Consultation", duration_minutes=30)],
        min_length=1,
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, str]) -> dict[str, str]:
        for day, span in value.items():
            if day not in _DAYS:
                raise ValueError(f"{day!r} is not a day (use {', '.join(_DAYS)})")
            _span(span)
        if not value:
            raise ValueError("the clinic needs working hours on at least one day")
        return value

    def weekly_hours(self) -> dict[int, list[tuple[time, time]]]:
        return {_DAYS.index(day): [_span(span)] for day, span in self.hours.items()}


class Preferences(_Strict):
    any_provider: Share = 0.7  # the others name one provider
    any_day: Share = 0.6  # the others name two or three weekdays
    time_of_day: dict[str, Share] = Field(
        default_factory=lambda: {"any": 0.5, "MORNING": 0.25, "AFTERNOON": 0.25}
    )

    @field_validator("time_of_day")
    @classmethod
    def _buckets(cls, value: dict[str, float]) -> dict[str, float]:
        allowed = {"any", *TimeSlot.__members__}
        for key in value:
            if key not in allowed:
                raise ValueError(f"{key!r} is not one of {', '.join(sorted(allowed))}")
        if sum(value.values()) <= 0:
            raise ValueError("the shares must not all be zero")
        return value


class Waitlist(_Strict):
    initial: Annotated[int, Field(ge=0, le=1_000_000)] = 300
    arrivals_per_day: Annotated[float, Field(ge=0)] = 10.0
    priorities: dict[int, Share] = Field(default_factory=lambda: {1: 0.1, 3: 0.8, 5: 0.1})
    preferences: Preferences = Preferences()

    @field_validator("priorities")
    @classmethod
    def _priorities(cls, value: dict[int, float]) -> dict[int, float]:
        if any(p not in range(1, 6) for p in value):
            raise ValueError("priorities are 1 (most urgent) to 5")
        if sum(value.values()) <= 0:
            raise ValueError("the shares must not all be zero")
        return value


class LeadTime(_Strict):
    """One part of the lead-time mixture: a share of cancellations, uniform in [min, max] h."""

    share: Annotated[float, Field(gt=0)]
    min_hours: Annotated[float, Field(ge=0)]
    max_hours: Annotated[float, Field(gt=0)]

    @model_validator(mode="after")
    def _ordered(self) -> LeadTime:
        if self.max_hours <= self.min_hours:
            raise ValueError("max_hours must be above min_hours")
        return self


class Cancellations(_Strict):
    per_day: Annotated[float, Field(gt=0)] = 5.0  # on working days
    lead_time: list[LeadTime] = Field(
        default_factory=lambda: [
            LeadTime(share=0.25, min_hours=1, max_hours=4),
            LeadTime(share=0.35, min_hours=4, max_hours=24),
            LeadTime(share=0.25, min_hours=24, max_hours=72),
            LeadTime(share=0.15, min_hours=72, max_hours=336),
        ],
        min_length=1,
    )


class ReplyDelay(_Strict):
    """Minutes from the offer text to the answer: log-normal with this median and spread
    (the sigma of the log)."""

    median_minutes: Annotated[float, Field(gt=0)] = 8.0
    spread: Annotated[float, Field(ge=0, le=5)] = 1.2


class Patients(_Strict):
    acceptance: dict[str, Share] = Field(
        default_factory=lambda: {"<4h": 0.25, "4-24h": 0.35, "1-3d": 0.4, ">3d": 0.45}
    )
    time_of_day: dict[str, Annotated[float, Field(ge=0, le=5)]] = Field(
        default_factory=lambda: {"morning": 1.0, "afternoon": 1.0, "evening": 0.8}
    )
    reply_delay: ReplyDelay = ReplyDelay()
    never_answer: Share = 0.2  # patients who never reply to anything
    no_reply: Share = 0.15  # of the offers to the others, left unanswered
    opt_out: Share = 0.01  # of the answers, STOP
    wrong_number: Share = 0.02  # of the patients
    keenness_spread: Annotated[float, Field(ge=0, le=3)] = 0.5  # log-sd between patients

    @field_validator("acceptance")
    @classmethod
    def _by_lead(cls, value: dict[str, float]) -> dict[str, float]:
        missing = [b for b in LEAD_BUCKETS if b not in value]
        extra = [b for b in value if b not in LEAD_BUCKETS]
        if missing or extra:
            raise ValueError(f"give exactly the lead times {', '.join(LEAD_BUCKETS)}")
        return value

    @field_validator("time_of_day")
    @classmethod
    def _periods(cls, value: dict[str, float]) -> dict[str, float]:
        extra = [p for p in value if p not in ("morning", "afternoon", "evening")]
        if extra:
            raise ValueError(f"{extra[0]!r} is not morning, afternoon or evening")
        return value


BatchSize = Annotated[int, Field(ge=1, le=100)] | Literal["auto"]


class PolicySpec(_Strict):
    batch_size: BatchSize = 3
    hold_minutes: Annotated[int, Field(ge=1, le=14 * 24 * 60)] = 15
    cutoff_minutes: Annotated[int, Field(ge=0, le=7 * 24 * 60)] = 60
    quiet_hours: str = "21:00-08:00"  # empty: none
    cap_per_day: Annotated[int, Field(ge=0)] = 1
    cap_per_week: Annotated[int, Field(ge=0)] = 3
    max_wait_days: Annotated[int, Field(ge=1)] = 30
    target: Annotated[float, Field(gt=0, lt=1)] = 0.8  # batch size auto only
    least_gain: Annotated[float, Field(ge=0, lt=1)] = AdaptiveBatch.least_gain  # auto only

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        if value.strip():
            start, _, end = value.partition("-")
            try:
                _clock(start), _clock(end)
            except ValueError as exc:
                raise ValueError(f"expected HH:MM-HH:MM, got {value!r}") from exc
        return value

    def name(self, varied: list[str]) -> str:
        words = {
            "batch_size": "batch",
            "hold_minutes": "hold",
            "cutoff_minutes": "cut-off",
            "quiet_hours": "quiet",
            "cap_per_day": "cap/day",
            "cap_per_week": "cap/week",
            "max_wait_days": "max wait",
            "target": "target",
            "least_gain": "least gain",
        }
        return ", ".join(f"{words[k]} {getattr(self, k) or 'none'}" for k in varied) or "policy"

    def policy(self) -> Policy:
        quiet = None
        if self.quiet_hours.strip():
            start, _, end = self.quiet_hours.partition("-")
            quiet = QuietHours(_clock(start), _clock(end))
        auto = self.batch_size == "auto"
        return Policy(
            batch_size=AUTO_BATCH_MOST if auto else int(self.batch_size),
            hold_minutes=self.hold_minutes,
            cutoff_minutes=self.cutoff_minutes,
            quiet_hours=quiet,
            cap_per_day=self.cap_per_day,
            cap_per_week=self.cap_per_week,
            max_wait_days=self.max_wait_days,
            adaptive=AdaptiveBatch(target=self.target, least_gain=self.least_gain)
            if auto
            else None,
        )


class Scenario(_Strict):
    seed: int = 1
    days: Annotated[int, Field(ge=1, le=3660)] = 90
    start: date = date(2027, 1, 4)
    clinic: Clinic = Clinic()
    waitlist: Waitlist = Waitlist()
    cancellations: Cancellations = Cancellations()
    patients: Patients = Patients()
    policy: PolicySpec = PolicySpec()  # the base every compared policy starts from
    compare: dict[str, list[Any]] = Field(default_factory=lambda: {"batch_size": [1, 3, 5]})

    @field_validator("compare")
    @classmethod
    def _grid(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, options in value.items():
            if key not in PolicySpec.model_fields:
                raise ValueError(
                    f"{key!r} is not a policy knob ({', '.join(PolicySpec.model_fields)})"
                )
            if not options:
                raise ValueError(f"{key}: give at least one value")
        return value

    def policies(self) -> list[tuple[str, PolicySpec]]:
        """Every combination of the `compare` values over the base policy, named by them."""
        keys = list(self.compare)
        found = []
        for combo in itertools.product(*(self.compare[k] for k in keys)):
            changes = dict(zip(keys, combo, strict=True))
            try:
                spec = PolicySpec.model_validate({**self.policy.model_dump(), **changes})
            except ValidationError as exc:
                raise ScenarioError(_describe(exc, prefix="compare")) from None
            found.append((spec.name(keys), spec))
        return found


def load_scenario(path: Path | str) -> Scenario:
    """Read and check a scenario file; ScenarioError says what is wrong and where."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path} is not valid YAML: {exc}") from None
    return parse_scenario(data or {}, source=str(path))


def parse_scenario(data: Any, *, source: str = "scenario") -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a mapping of settings at the top level")
    try:
        scenario = Scenario.model_validate(data)
        scenario.policies()
    except ValidationError as exc:
        raise ScenarioError(f"{source}: " + _describe(exc)) from None
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    return scenario


# Names pydantic gives the members of a union (batch size: a number or "auto") in an error's path.
_UNION_MEMBER = re.compile(r"^(constrained-\w+|literal\[.*\]|int|float|str)$")


def _describe(exc: ValidationError, prefix: str = "") -> str:
    found: dict[str, list[str]] = {}
    for error in exc.errors():
        parts = [str(p) for p in (prefix, *error["loc"]) if p != ""]
        where = ".".join(p for p in parts if not _UNION_MEMBER.match(p))
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        found.setdefault(where, []).append(message)
    return "; ".join(f"{where}: {', or '.join(messages)}" for where, messages in found.items())


def with_seed(scenario: Scenario, seed: int | None) -> Scenario:
    return scenario if seed is None else scenario.model_copy(update={"seed": seed})
