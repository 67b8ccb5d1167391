"""What a clinic sets for itself (SPEC §11), checked: every field optional, None = the
deployment's default. `core.clinics` turns these into a clinic's effective configuration."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import time
from typing import Any, Literal

import phonenumbers

from core.errors import InvalidInput
from core.texts import check_template

BatchSize = int | Literal["auto"]
_CHANNEL = re.compile(r"^[A-Za-z0-9_#-]{1,80}$")
_STAFF_ID = re.compile(r"^[A-Z0-9]{2,40}$")
_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")


@dataclass(frozen=True)
class ClinicSettings:
    """What a clinic sets for itself; None = the deployment's default."""

    slack_channel: str | None = None
    slack_staff: tuple[str, ...] | None = None  # Slack user or channel ids allowed to act
    twilio_from_number: str | None = None  # E.164; also how inbound texts find the clinic
    twilio_messaging_service_sid: str | None = None  # sends through the service when set
    clinic_phone: str | None = None  # said in HELP replies
    offer_batch_size: BatchSize | None = None
    offer_hold_minutes: int | None = None
    offer_cutoff_minutes: int | None = None
    quiet_hours: str | None = None  # "21:00-08:00"; "" = none
    cap_per_day: int | None = None  # 0 = no cap
    cap_per_week: int | None = None
    max_wait_days: int | None = None
    stats_time: str | None = None  # "HH:MM", clinic time
    templates: dict[str, str] | None = None  # template name (core.texts.Templates) -> text

    def over(self, defaults: ClinicSettings) -> ClinicSettings:
        """These settings, with `defaults` wherever they set nothing."""
        return replace(
            defaults,
            **{f.name: getattr(self, f.name) for f in fields(self) if _is_set(self, f.name)},
            templates={**(defaults.templates or {}), **(self.templates or {})} or None,
        )

    def to_dict(self) -> dict[str, Any]:
        """The fields set, as JSON values (what is stored and what REST shows)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, *, check: bool = True) -> ClinicSettings:
        """Read and check settings (from clinic.yml or REST). A bad value raises InvalidInput
        whose field is `settings.<name>` (`settings.templates.<name>`). `check=False` reads
        what was stored, already checked."""
        if not data:
            return cls()
        if not check:
            stored = dict(data)
            if stored.get("slack_staff") is not None:
                stored["slack_staff"] = tuple(stored["slack_staff"])
            return cls(**stored)
        if not isinstance(data, Mapping):
            raise InvalidInput("Settings must be an object of name: value.", field="settings")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise InvalidInput(
                f"Unknown setting(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}.",
                field=f"settings.{unknown[0]}",
            )
        values = {name: _check(name, value) for name, value in data.items() if value is not None}
        return cls(**values)


def parse_clock(text: str) -> time:
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes or 0))


def quiet_bounds(value: str) -> tuple[time, time] | None:
    """'21:00-08:00' -> (start, end); '' -> None (no quiet hours). ValueError if malformed."""
    if not value.strip():
        return None
    try:
        start, end = (parse_clock(part) for part in value.split("-"))
    except ValueError as exc:
        raise ValueError(f"expected HH:MM-HH:MM, got {value!r}") from exc
    if start == end:
        raise ValueError("quiet hours start and end are the same; leave it empty for none")
    return start, end


# (least, most) of each whole-number setting, the same bounds as the environment's.
_RANGES = {
    "offer_batch_size": (1, 100),
    "offer_hold_minutes": (1, 24 * 60),
    "offer_cutoff_minutes": (0, 7 * 24 * 60),
    "cap_per_day": (0, 1000),
    "cap_per_week": (0, 1000),
    "max_wait_days": (1, 3650),
}


def _is_set(settings: ClinicSettings, name: str) -> bool:
    return name != "templates" and getattr(settings, name) is not None


def _check(name: str, value: Any) -> Any:
    field = f"settings.{name}"
    if name in _RANGES:
        return _number(name, value, field)
    if name == "templates":
        return _templates(value)
    if name == "slack_staff":
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
            raise InvalidInput("slack_staff must be a list of Slack ids.", field=field)
        staff = tuple(i.strip() for i in items if i.strip())
        bad = [i for i in staff if not _STAFF_ID.match(i)]
        if bad:
            raise InvalidInput(f"'{bad[0]}' is not a Slack user or channel id.", field=field)
        return staff
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text.", field=field)
    value = value.strip()
    if name == "quiet_hours":
        try:
            quiet_bounds(value)
        except ValueError as exc:
            raise InvalidInput(f"quiet_hours: {exc}.", field=field) from exc
        return value
    if name == "stats_time":
        try:
            parse_clock(value)
        except ValueError as exc:
            raise InvalidInput(f"stats_time: expected HH:MM, got {value!r}.", field=field) from exc
        return value
    if name == "twilio_from_number":
        return _e164(value, field)
    if name == "twilio_messaging_service_sid" and not _SERVICE_SID.match(value):
        raise InvalidInput(
            "twilio_messaging_service_sid must look like MG followed by 32 hex digits.",
            field=field,
        )
    if name == "slack_channel" and not _CHANNEL.match(value):
        raise InvalidInput(f"'{value}' is not a Slack channel id.", field=field)
    if name == "clinic_phone" and not 0 < len(value) <= 40:
        raise InvalidInput("clinic_phone must be 1 to 40 characters.", field=field)
    return value


def _number(name: str, value: Any, field: str) -> int | str:
    if name == "offer_batch_size" and isinstance(value, str) and value.strip() == "auto":
        return "auto"
    least, most = _RANGES[name]
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(f"{name} must be a whole number.", field=field)
    try:
        number = int(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be a whole number, got {value!r}.", field=field) from exc
    if not least <= number <= most:
        raise InvalidInput(f"{name} must be between {least} and {most}.", field=field)
    return number


def _templates(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidInput("templates must be an object of name: text.", field="settings.templates")
    checked = {}
    for name, text in value.items():
        field = f"settings.templates.{name}"
        if not isinstance(text, str):
            raise InvalidInput(f"Template '{name}' must be text.", field=field)
        problem = check_template(str(name), text)
        if problem:
            raise InvalidInput(f"Template '{name}': {problem}", field=field)
        checked[str(name)] = text
    return checked


def _e164(value: str, field: str) -> str:
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"'{value}' is not a phone number.", field=field) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(f"'{value}' is not a valid phone number.", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
