"""`waitlist import clinic.yml`: load a clinic's reference data, idempotently (SPEC §9, §11).

A file holds one clinic (`clinic:` with `services`, `providers`, `clients`, `appointments`
beside it) or a group: a list under `clinics:` whose items each have that shape. A clinic's
own settings sit under `clinic: settings:`. Matching is by name (clinic, services, providers),
phone (clients) and by client, provider and start (appointments), so importing the same file
twice changes nothing. Any problem names the clinic, the line and the field, and the whole
file is imported in one transaction: a bad file imports nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from core import directory
from core.clinics import ClinicSettings
from core.errors import InvalidInput, WaitlistError
from core.model import Provider, Service
from core.ports import UnitOfWork
from storage.transaction import run_in_transaction

LINE = "__line__"
LINES = "__lines__"  # the line of each key of a mapping


class ImportFailed(Exception):
    """A problem in the file, with where it is."""


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    clinic_id: int | None = None  # the first clinic of the file
    clinic_ids: list[int] = field(default_factory=list)

    def count(self, kind: str, created: bool) -> None:
        bucket = self.created if created else self.unchanged
        bucket[kind] = bucket.get(kind, 0) + 1

    def summary(self) -> str:
        kinds = ("services", "providers", "clients", "appointments")
        parts = [
            f"{self.created.get(k, 0)} new / {self.unchanged.get(k, 0)} known {k}" for k in kinds
        ]
        return "; ".join(parts)


class _LineLoader(yaml.SafeLoader):
    """Records the line of every mapping so errors can point at it."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[LINE] = node.start_mark.line + 1
    mapping[LINES] = {
        str(key.value): key.start_mark.line + 1 for key, _ in node.value if hasattr(key, "value")
    }
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def load_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read the file ({exc.strerror}).") from exc
    except yaml.YAMLError as exc:
        raise ImportFailed(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ImportFailed(f"{path}: expected a mapping with clinic, services, providers…")
    return data


def import_data(
    data: dict[str, Any], *, uow: UnitOfWork, now: datetime, source: str = "clinic.yml"
) -> ImportReport:
    """Create or update everything in `data`. Raises ImportFailed naming line and field."""
    report = ImportReport()
    if "clinics" in data:
        if "clinic" in data:
            raise ImportFailed(f"{source}: give either 'clinic' or a list under 'clinics'.")
        for i, item in enumerate(_section(data, "clinics", list, source)):
            _import_clinic(
                item, uow=uow, now=now, source=source, path=f"clinics[{i}].", report=report
            )
    else:
        _import_clinic(data, uow=uow, now=now, source=source, path="", report=report)
    report.clinic_id = report.clinic_ids[0] if report.clinic_ids else None
    return report


def _import_clinic(
    data: dict[str, Any],
    *,
    uow: UnitOfWork,
    now: datetime,
    source: str,
    path: str,
    report: ImportReport,
) -> None:
    clinic_data = _section(data, "clinic", dict, source, at=path)
    where = _where(source, clinic_data, f"{path}clinic")
    name = _field(clinic_data, "name", str, where)
    timezone = _field(clinic_data, "timezone", str, where)
    actor = "import"
    with _located(where, clinic_data, f" (clinic {name})"):
        settings = _settings_of(clinic_data)
        clinic = uow.clinics.get_by_name(name)
        if clinic is None:
            clinic = directory.add_clinic(
                uow=uow, name=name, timezone=timezone, now=now, actor=actor, settings=settings
            )
        elif (clinic.timezone, clinic.settings) != (directory.check_timezone(timezone), settings):
            clinic.timezone, clinic.settings = timezone, settings
            uow.clinics.save(clinic)
    assert clinic.id is not None
    report.clinic_ids.append(clinic.id)
    source = f"{source} ({name})"
    services = {s.name.lower(): s for s in uow.services.list(clinic.id)}
    for i, item in enumerate(_section(data, "services", list, source, optional=True, at=path)):
        here = _where(source, item, f"{path}services[{i}]")
        with _located(here):
            service = _upsert_service(uow, clinic.id, item, services, here, now, report)
        services[service.name.lower()] = service
    providers = {p.name.lower(): p for p in uow.providers.list(clinic.id)}
    for i, item in enumerate(_section(data, "providers", list, source, optional=True, at=path)):
        here = _where(source, item, f"{path}providers[{i}]")
        with _located(here):
            provider = _upsert_provider(uow, clinic.id, item, providers, here, now, report)
        providers[provider.name.lower()] = provider
    for i, item in enumerate(_section(data, "clients", list, source, optional=True, at=path)):
        here = _where(source, item, f"{path}clients[{i}]")
        with _located(here):
            phone = directory.normalize_phone(_field(item, "phone", str, here))
            known = uow.clients.get_by_phone(phone)
            if known is None:
                directory.add_client(
                    uow=uow,
                    first_name=_field(item, "first_name", str, here),
                    last_name=_field(item, "last_name", str, here),
                    phone=phone,
                    email=item.get("email"),
                    timezone=item.get("timezone"),
                    now=now,
                    actor=actor,
                    clinic_ids=[clinic.id],
                )
            else:  # the clinic's own from now on, as a client found over REST is
                uow.clients.add_clinics(known.id or 0, [clinic.id], now)
            report.count("clients", known is None)
    zone = ZoneInfo(clinic.timezone)
    for i, item in enumerate(_section(data, "appointments", list, source, optional=True, at=path)):
        here = _where(source, item, f"{path}appointments[{i}]")
        with _located(here):
            _import_appointment(uow, item, here, services, providers, zone, now, report)
    return report


def import_file(path: Path, *, make_uow: Callable[[], UnitOfWork], now: datetime) -> ImportReport:
    data = load_file(path)
    return run_in_transaction(
        make_uow, lambda uow: import_data(data, uow=uow, now=now, source=str(path))
    )


def _upsert_service(
    uow: UnitOfWork,
    clinic_id: int,
    item: dict[str, Any],
    known: dict[str, Service],
    here: str,
    now: datetime,
    report: ImportReport,
) -> Service:
    name = _field(item, "name", str, here)
    minutes = _field(item, "duration_minutes", int, here)
    existing = known.get(name.lower())
    if existing is None:
        service = directory.add_service(
            uow=uow,
            clinic_id=clinic_id,
            name=name,
            duration_minutes=minutes,
            category=item.get("category"),
            appointment_type=item.get("appointment_type"),
            now=now,
            actor="import",
        )
        report.count("services", True)
        return service
    if existing.duration_minutes != minutes or existing.category != item.get("category"):
        existing.duration_minutes = minutes
        existing.category = item.get("category")
        uow.services.save(existing)
    report.count("services", False)
    return existing


def _upsert_provider(
    uow: UnitOfWork,
    clinic_id: int,
    item: dict[str, Any],
    known: dict[str, Provider],
    here: str,
    now: datetime,
    report: ImportReport,
) -> Provider:
    name = _field(item, "name", str, here)
    hours_spec = _plain(_field(item, "hours", dict, here))
    hours = directory.parse_hours(hours_spec)
    existing = known.get(name.lower())
    if existing is None:
        provider = directory.add_provider(
            uow=uow, clinic_id=clinic_id, name=name, hours=hours, now=now, actor="import"
        )
        report.count("providers", True)
        return provider
    if existing.hours != hours:
        existing.hours = hours
        uow.providers.save(existing)
    report.count("providers", False)
    return existing


def _import_appointment(
    uow: UnitOfWork,
    item: dict[str, Any],
    here: str,
    services: dict[str, Service],
    providers: dict[str, Provider],
    zone: ZoneInfo,
    now: datetime,
    report: ImportReport,
) -> None:
    phone = directory.normalize_phone(_field(item, "client", str, here))
    client = uow.clients.get_by_phone(phone)
    if client is None:
        raise ImportFailed(f"{here}.client: no client with phone {phone} in the file or database.")
    service = services.get(_field(item, "service", str, here).lower())
    if service is None:
        raise ImportFailed(f"{here}.service: unknown service '{item['service']}'.")
    provider = providers.get(_field(item, "provider", str, here).lower())
    if provider is None:
        raise ImportFailed(f"{here}.provider: unknown provider '{item['provider']}'.")
    start_value = item.get("start")
    try:
        start = (
            start_value
            if isinstance(start_value, datetime)
            else datetime.fromisoformat(str(start_value))
        )
    except ValueError as exc:
        raise ImportFailed(f"{here}.start: '{start_value}' is not a local ISO date-time.") from exc
    start = (start.replace(tzinfo=zone) if start.tzinfo is None else start).astimezone(UTC)
    assert client.id is not None and provider.id is not None and service.id is not None
    same = uow.appointments.list(
        client_id=client.id,
        provider_id=provider.id,
        start=start,
        end=start + timedelta(minutes=1),
        limit=10,
    )
    if any(a.scheduled_at == start for a in same.items):
        report.count("appointments", False)
        return
    directory.book_appointment(
        uow=uow,
        client_id=client.id,
        service_id=service.id,
        provider_id=provider.id,
        scheduled_at=start,
        now=now,
        actor="import",
    )
    report.count("appointments", True)


class _located:
    """Prefix domain errors with where in the file they come from: the line of the field
    itself when `item` (the mapping read) has it."""

    def __init__(self, where: str, item: dict[str, Any] | None = None, after: str = "") -> None:
        self.where, self.item, self.after = where, item, after

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, WaitlistError):
            field_name = getattr(exc, "field", None)
            suffix = f".{field_name}" if field_name else ""
            where = self.where
            line = _line_of(self.item, field_name) if field_name else None
            if line is not None:
                where = re.sub(r" line \d+,", f" line {line},", where, count=1)
            raise ImportFailed(f"{where}{suffix}: {exc.message}{self.after}") from exc


def _settings_of(clinic_data: dict[str, Any]) -> ClinicSettings:
    """The clinic's settings: under `settings:`, or written straight under `clinic:`."""
    nested = _plain(clinic_data.get("settings"))
    flat = {k: _plain(v) for k, v in clinic_data.items() if k in _SETTING_NAMES}
    if not flat:
        return ClinicSettings.from_dict(nested)
    if nested is not None and not isinstance(nested, dict):
        raise InvalidInput("Settings must be an object of name: value.", field="settings")
    try:
        return ClinicSettings.from_dict({**flat, **(nested or {})})
    except InvalidInput as exc:
        written = (exc.field or "").removeprefix("settings.")
        if written.split(".")[0] in flat and written.split(".")[0] not in (nested or {}):
            raise InvalidInput(exc.message, field=written) from exc  # where it was written
        raise


_SETTING_NAMES = frozenset(f.name for f in fields(ClinicSettings))


def _line_of(item: dict[str, Any] | None, dotted: str) -> int | None:
    """The line of the mapping that holds `settings.templates.offer` (say) inside `item`,
    as deep as the file goes; for a mapping of one key, that key's own line."""
    line = None
    for key in dotted.split("."):
        if not isinstance(item, dict):
            break
        line = item.get(LINE, line)
        if len(item.get(LINES, {})) == 1:
            line = item[LINES].get(key, line)
        item = item.get(key)
    return line


def _plain(value: Any) -> Any:
    """What was read, without the line numbers the loader adds."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in (LINE, LINES)}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _where(source: str, item: Any, path: str) -> str:
    line = item.get(LINE) if isinstance(item, dict) else None
    return f"{source} line {line}, {path}" if line else f"{source}, {path}"


def _section(
    data: dict[str, Any], key: str, kind: type, source: str, optional: bool = False, at: str = ""
) -> Any:
    value = data.get(key)
    if value is None and optional:
        return kind()
    if not isinstance(value, kind):
        expected = "a list" if kind is list else "a mapping"
        raise ImportFailed(f"{_where(source, data, at + key)}: '{key}' must be {expected}.")
    if kind is list:
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise ImportFailed(f"{source}: {at}{key}[{i}] must be a mapping.")
    return value


def _field(item: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = item.get(key)
    if value is None:
        raise ImportFailed(f"{where}.{key}: missing.")
    if kind is int and isinstance(value, bool):
        raise ImportFailed(f"{where}.{key}: expected a whole number, got {value!r}.")
    if kind is str and isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, kind):
        names = {str: "text", int: "a whole number", dict: "a mapping"}
        raise ImportFailed(
            f"{where}.{key}: expected {names.get(kind, kind.__name__)}, got {value!r}."
        )
    return value.strip() if isinstance(value, str) else value
