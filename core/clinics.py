"""A clinic's own settings, and the one answer to "which zone, policy, sender and channel".

A clinic sets what differs from the deployment; every field it leaves unset (None) takes the
deployment's default (the environment, see bot/settings.py). `clinic_config` is the single place
that combines the two; `clinic_policy` is the same overlay for services that are handed the
deployment's Policy and work on one clinic's opening or entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from core.adaptive import AdaptiveBatch
from core.clinic_settings import BatchSize, ClinicSettings, parse_clock, quiet_bounds
from core.errors import InvalidInput, NotFound
from core.policy import AUTO_BATCH_MOST, Policy, QuietHours
from core.texts import DEFAULT_TEMPLATES, Templates

if TYPE_CHECKING:
    from core.model import Client, Clinic
    from core.ports import UnitOfWork

__all__ = [
    "BatchSize",
    "ClinicConfig",
    "ClinicSettings",
    "clinic_config",
    "clinic_policy",
    "clinic_sender",
    "clinic_templates",
    "parse_clock",
    "parse_quiet_hours",
    "patient_timezone",
    "sender_match",
    "settings_policy",
    "the_clinic",
]


@dataclass(frozen=True)
class ClinicConfig:
    """A clinic's effective configuration: its settings over the deployment's defaults."""

    clinic_id: int
    name: str
    timezone: str
    zone: ZoneInfo
    slack_channel: str | None
    slack_staff: frozenset[str]
    twilio_from_number: str | None
    twilio_messaging_service_sid: str | None
    clinic_phone: str | None
    policy: Policy
    stats_time: time
    templates: Templates

    @property
    def sender(self) -> str | None:
        """What texts go out from: the Messaging Service when set, else the number."""
        return self.twilio_messaging_service_sid or self.twilio_from_number

    @property
    def contact(self) -> str:
        """The HELP reply's contact sentence ('' without a clinic phone)."""
        return f" Questions? Call {self.clinic_phone}." if self.clinic_phone else ""


def clinic_config(
    clinic: Clinic, defaults: ClinicSettings, policy: Policy | None = None
) -> ClinicConfig:
    """THE answer to "which zone, policy, sender, channel, staff and texts" for `clinic`:
    what it sets, else `defaults`. `policy` is the deployment's policy when already built
    from `defaults` (or given by a test); the clinic's knobs go over it either way."""
    merged = clinic.settings.over(defaults)
    base = policy if policy is not None else settings_policy(defaults, Policy())
    sends = _sends(clinic, defaults)
    return ClinicConfig(
        clinic_id=clinic.id or 0,
        name=clinic.name,
        timezone=clinic.timezone,
        zone=ZoneInfo(clinic.timezone),
        slack_channel=merged.slack_channel,
        slack_staff=frozenset(merged.slack_staff or ()),
        twilio_from_number=sends.twilio_from_number,
        twilio_messaging_service_sid=sends.twilio_messaging_service_sid,
        clinic_phone=clinic.settings.clinic_phone or clinic.contact or defaults.clinic_phone,
        policy=clinic_policy(clinic, base),
        stats_time=parse_clock(merged.stats_time or "08:00"),
        templates=clinic_templates(merged),
    )


def clinic_sender(clinic: Clinic, defaults: ClinicSettings) -> str | None:
    """What `clinic`'s texts go out from (`ClinicConfig.sender`, without building the rest)."""
    sends = _sends(clinic, defaults)
    return sends.twilio_messaging_service_sid or sends.twilio_from_number


def _sends(clinic: Clinic, defaults: ClinicSettings) -> ClinicSettings:
    """The sender is one choice: a clinic that sets a number or a service uses its own pair."""
    own = clinic.settings
    return own if own.twilio_from_number or own.twilio_messaging_service_sid else defaults


_POLICY_KNOBS = {
    "offer_hold_minutes": "hold_minutes",
    "offer_cutoff_minutes": "cutoff_minutes",
    "cap_per_day": "cap_per_day",
    "cap_per_week": "cap_per_week",
    "max_wait_days": "max_wait_days",
}


def clinic_policy(clinic: Clinic | None, base: Policy) -> Policy:
    """`base` (the deployment's policy) with the clinic's own knobs over it. Applying it to
    a policy it already gave changes nothing, so services may call it freely."""
    return base if clinic is None else settings_policy(clinic.settings, base)


def settings_policy(settings: ClinicSettings, base: Policy) -> Policy:
    """The one overlay of setting names onto Policy fields."""
    changes: dict[str, Any] = {}
    batch = settings.offer_batch_size
    if batch == "auto":
        changes["batch_size"] = AUTO_BATCH_MOST
        changes["adaptive"] = base.adaptive or AdaptiveBatch()
    elif batch is not None:
        changes["batch_size"], changes["adaptive"] = int(batch), None
    for setting, knob in _POLICY_KNOBS.items():
        value = getattr(settings, setting)
        if value is not None:
            changes[knob] = value
    if settings.quiet_hours is not None:
        changes["quiet_hours"] = parse_quiet_hours(settings.quiet_hours)
    return replace(base, **changes) if changes else base


def clinic_templates(settings: ClinicSettings) -> Templates:
    """The built-in texts, with the ones the clinic rewrote."""
    if not settings.templates:
        return DEFAULT_TEMPLATES
    return replace(DEFAULT_TEMPLATES, **settings.templates)


def parse_quiet_hours(value: str) -> QuietHours | None:
    """'21:00-08:00' -> QuietHours; '' -> None (no quiet hours). ValueError if malformed."""
    bounds = quiet_bounds(value)
    return QuietHours(*bounds) if bounds else None


def patient_timezone(client: Client | None, clinic: Clinic | None) -> str:
    """The zone a patient's texts are timed and worded in: their own, else their clinic's."""
    if client is not None and client.timezone:
        return client.timezone
    return clinic.timezone if clinic is not None else "UTC"


def sender_match(clinics: Sequence[Clinic], phone_e164: str) -> Clinic | None:
    """Which clinic a text sent to `phone_e164` is for: the clinic texting from that number;
    else the one clinic with no number of its own (it texts from the deployment's number);
    None when neither exists or several clinics share the deployment's number."""
    for clinic in clinics:
        if clinic.settings.twilio_from_number == phone_e164:
            return clinic
    shared = [c for c in clinics if c.settings.twilio_from_number is None]
    return shared[0] if len(shared) == 1 else None


def the_clinic(uow: UnitOfWork, clinic_id: int | None, what: str = "it") -> Clinic:
    """The clinic named by id, else the only one; with several and none named, InvalidInput."""
    if clinic_id is not None:
        clinic = uow.clinics.get(clinic_id)
        if clinic is None:
            raise NotFound(f"Clinic {clinic_id} does not exist.")
        return clinic
    clinics = uow.clinics.list()
    if len(clinics) != 1:
        raise InvalidInput(f"Say which clinic {what} is for.", field="clinic_id")
    return clinics[0]
