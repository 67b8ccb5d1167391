"""`waitlist import`: the SPEC §9 format, idempotent, errors with line and field."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.importer import ImportFailed, import_file
from storage.uow import SqlUnitOfWork
from tests.scenario import NOW

GOOD = """\
clinic:
  name: Glow Clinic
  timezone: America/New_York
services:
  - {name: Botox, duration_minutes: 60, category: Injectables, appointment_type: FOLLOW_UP}
providers:
  - name: Dr. Johnson
    hours: {mon: "09:00-17:00", tue: "09:00-12:00, 13:00-17:00"}
clients:
  - {first_name: Jane, last_name: Doe, phone: "(617) 555-0101", email: jane@example.com}
appointments:
  - {client: "617-555-0101", service: botox, provider: dr. johnson, start: "2026-02-17T10:00"}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "clinic.yml"
    path.write_text(text)
    return path


def test_import_creates_everything_and_a_second_run_changes_nothing(
    tmp_path: Path, uow_factory: Callable[[], SqlUnitOfWork]
) -> None:
    path = _write(tmp_path, GOOD)
    first = import_file(path, make_uow=uow_factory, now=NOW)
    second = import_file(path, make_uow=uow_factory, now=NOW)
    assert first.created == {"services": 1, "providers": 1, "clients": 1, "appointments": 1}
    assert second.created == {}
    assert second.unchanged == first.created
    with uow_factory() as uow:
        (provider,) = uow.providers.list()
        (appointment,) = uow.appointments.list().items
        client = uow.clients.get_by_phone("+16175550101")
    assert len(provider.hours[2]) == 2  # Tuesday: two windows
    assert client is not None and client.email == "jane@example.com"
    assert appointment.scheduled_at.isoformat() == "2026-02-17T15:00:00+00:00"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"09:00-17:00", tue', '"9-5", tue', "line 7, providers[0].hours: Working hours '9-5'"),
        (
            "duration_minutes: 60",
            "duration_minutes: sixty",
            "line 5, services[0].duration_minutes: expected a whole number",
        ),
        ('phone: "(617) 555-0101"', "phone: 12", "line 10, clients[0].phone: '12' is not a"),
        (
            "provider: dr. johnson",
            "provider: Dr. Who",
            "line 12, appointments[0].provider: unknown provider 'Dr. Who'",
        ),
        (
            "timezone: America/New_York",
            "timezone: Mars/Olympus",
            "line 2, clinic.timezone: Unknown time zone",
        ),
        (
            'start: "2026-02-17T10:00"',
            'start: "next tuesday"',
            "appointments[0].start: 'next tuesday' is not a local ISO",
        ),
    ],
)
def test_a_bad_file_names_line_and_field_and_imports_nothing(
    tmp_path: Path, uow_factory: Callable[[], SqlUnitOfWork], old: str, new: str, message: str
) -> None:
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(ImportFailed, match=re.escape(message)):
        import_file(path, make_uow=uow_factory, now=NOW)
    with uow_factory() as uow:
        assert uow.clinics.list() == []
        assert uow.clients.list().total == 0


def test_not_yaml_and_missing_sections(
    tmp_path: Path, uow_factory: Callable[[], SqlUnitOfWork]
) -> None:
    with pytest.raises(ImportFailed, match="not valid YAML"):
        import_file(_write(tmp_path, "clinic: [unclosed"), make_uow=uow_factory, now=NOW)
    with pytest.raises(ImportFailed, match="'clinic' must be a mapping"):
        import_file(_write(tmp_path, "services: []"), make_uow=uow_factory, now=NOW)
    with pytest.raises(ImportFailed, match="cannot read"):
        import_file(tmp_path / "missing.yml", make_uow=uow_factory, now=NOW)
