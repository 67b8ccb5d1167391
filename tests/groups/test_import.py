"""A group file: several clinics under `clinics:`, each with its settings; a bad setting,
template or time zone names the clinic, the line and the field, and imports nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.importer import ImportFailed, import_file
from storage.uow import SqlUnitOfWork
from tests.groups.group import NOW

SAMPLE = Path(__file__).parents[2] / "bot" / "sample_group.yml"

GROUP = """\
clinics:
  - clinic:
      name: Downtown
      timezone: America/New_York
      settings:
        twilio_from_number: "+1 617 555 0100"
        offer_batch_size: 1
    services:
      - {name: Physio, duration_minutes: 45}
  - clinic:
      name: Bayside
      timezone: America/Los_Angeles
      settings:
        twilio_from_number: "+1 415 555 0100"
        quiet_hours: "20:00-09:00"
        templates:
          help: "{clinic}: we text when a spot opens. Reply STOP to opt out."
    services:
      - {name: Physio, duration_minutes: 45}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "group.yml"
    path.write_text(text)
    return path


def test_the_sample_group_imports_two_clinics_with_their_settings_and_again_changes_nothing(
    uow_factory: Callable[[], SqlUnitOfWork],
) -> None:
    first = import_file(SAMPLE, make_uow=uow_factory, now=NOW)
    second = import_file(SAMPLE, make_uow=uow_factory, now=NOW)
    assert len(first.clinic_ids) == 2 and second.clinic_ids == first.clinic_ids
    assert second.created == {}
    with uow_factory() as uow:
        down, bay = uow.clinics.list()
        by_number = uow.clinics.by_sender("+14155550100")
        by_channel = uow.clinics.by_slack_channel("C0DOWNTOWN")
    assert (down.timezone, bay.timezone) == ("America/New_York", "America/Los_Angeles")
    assert by_number is not None and by_number.name == bay.name
    assert by_channel is not None and by_channel.name == down.name
    assert bay.settings.offer_cutoff_minutes == 90 and bay.settings.templates is not None
    assert down.settings.offer_batch_size == 2


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'help: "{clinic}: we text',
            'help: "{clinc}: we text',
            "line 17, clinics[1].clinic.settings.templates.help: Template 'help': unknown "
            "placeholder {clinc}",
        ),
        (
            'help: "{clinic}: we text when a spot opens.',
            'help: "{clinic}: we text when a spot opens. ' + "More words. " * 10,
            "line 17, clinics[1].clinic.settings.templates.help: Template 'help': with long "
            "names it is",
        ),
        (
            "timezone: America/Los_Angeles",
            "timezone: Pacific/Nowhere",
            "line 11, clinics[1].clinic.timezone: Unknown time zone 'Pacific/Nowhere'. "
            "(clinic Bayside)",
        ),
        (
            'quiet_hours: "20:00-09:00"',
            'quiet_hours: "8pm-9am"',
            "clinics[1].clinic.settings.quiet_hours: quiet_hours: expected HH:MM-HH:MM",
        ),
        (
            "offer_batch_size: 1",
            "offer_batch_size: lots",
            "clinics[0].clinic.settings.offer_batch_size: offer_batch_size must be a whole "
            "number, got 'lots'. (clinic Downtown)",
        ),
        (
            "offer_batch_size: 1",
            "offer_batch_sise: 1",
            "clinics[0].clinic.settings.offer_batch_sise: Unknown setting(s): offer_batch_sise",
        ),
    ],
)
def test_a_bad_group_file_names_clinic_line_and_field_and_imports_nothing(
    tmp_path: Path, uow_factory: Callable[[], SqlUnitOfWork], old: str, new: str, message: str
) -> None:
    assert old in GROUP
    path = _write(tmp_path, GROUP.replace(old, new))
    with pytest.raises(ImportFailed, match=re.escape(message)) as failed:
        import_file(path, make_uow=uow_factory, now=NOW)
    assert "Bayside" in str(failed.value) or "Downtown" in str(failed.value)
    with uow_factory() as uow:
        assert uow.clinics.list() == []
        assert uow.services.list() == []


def test_two_clinics_claiming_one_number_is_refused(
    tmp_path: Path, uow_factory: Callable[[], SqlUnitOfWork]
) -> None:
    path = _write(tmp_path, GROUP.replace("+1 415 555 0100", "+1 617 555 0100"))
    with pytest.raises(ImportFailed, match="already texts from that number"):
        import_file(path, make_uow=uow_factory, now=NOW)
    with uow_factory() as uow:
        assert uow.clinics.list() == []


def test_settings_may_be_written_straight_under_clinic(
    tmp_path: Path, uow_factory: Callable[[], SqlUnitOfWork]
) -> None:
    flat = GROUP.replace("      settings:\n        twilio_from_number: \"+1 617 555 0100\"\n"
                         "        offer_batch_size: 1\n",
                         "      twilio_from_number: \"+1 617 555 0100\"\n"
                         "      offer_batch_size: 1\n")  # fmt: skip
    assert flat != GROUP
    import_file(_write(tmp_path, flat), make_uow=uow_factory, now=NOW)
    with uow_factory() as uow:
        down = uow.clinics.get_by_name("Downtown")
    assert down is not None and down.settings.offer_batch_size == 1
    assert down.settings.twilio_from_number == "+16175550100"
    bad = flat.replace("offer_batch_size: 1", "offer_batch_size: 0").replace("Downtown", "Uptown")
    with pytest.raises(ImportFailed, match=re.escape("clinics[0].clinic.offer_batch_size: ")):
        import_file(_write(tmp_path, bad), make_uow=uow_factory, now=NOW)


def test_a_clinics_imported_clients_are_its_own_and_not_the_other_clinics(
    uow_factory: Callable[[], SqlUnitOfWork],
) -> None:
    """A client listed under one clinic of the file is that clinic's (as one added over REST
    is), not 'known at no clinic', which every clinic's staff would see; one listed under
    both (Priya) is both clinics'. Importing again changes nothing."""
    import_file(SAMPLE, make_uow=uow_factory, now=NOW)
    import_file(SAMPLE, make_uow=uow_factory, now=NOW)
    with uow_factory() as uow:
        down, bay = uow.clinics.list()
        seen = {
            clinic.name: sorted(c.first_name for c in uow.clients.list(seen_at={clinic.id}).items)
            for clinic in (down, bay)
        }
    assert seen == {down.name: ["Maria", "Priya", "Tom"], bay.name: ["Grace", "Leo", "Priya"]}
