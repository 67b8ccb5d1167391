"""Whatever staff type, the parser answers with a result or a ParseError, and a result is
always an entry the domain accepts."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.slack.parser import Directory, ParseError, parse_add, parse_edit
from core.entries import validate
from core.model import Provider, Service, WaitlistEntry
from tests.unit.fakes import FakeUnitOfWork

FRAGMENTS = [
    "botox", "botx", "lip filler", "filler", "with Dr. Johnson", "dr jonson", "kim", "weekdays",
    "weekends only", "mon wed fri", "Tue/Thu", "Tuesdays", "any day", "except", "no", "mornings",
    "9am-2pm", "9-11", "7-9", "after 3pm", "before noon", "between 10 and 2", "any time",
    "Feb 15 to Feb 28", "Feb 15-28", "2/30", "next week", "within 2 weeks", "before March 1",
    "until 3/15", "after", "before", "from", "to", "-", "asap", "urgent", "priority", "p1", "p9",
    "expires", "expires in 30 days", "expires 1/1/2020", '"a note"', "“curly”", '"', "clear",
    "days", "12/31/2099", "Dec 20 to Jan 5", "feb 29", "2026-13-01", "25:00", "noon-3", "0",
]  # fmt: skip
ZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Pacific/Kiritimati", "UTC"]
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
phrases = st.lists(st.sampled_from(FRAGMENTS), max_size=8).map(" ".join)
lines = st.one_of(
    st.text(max_size=80), phrases, st.tuples(phrases, st.text(max_size=20)).map(" ".join)
)


def _world() -> tuple[FakeUnitOfWork, Directory]:
    uow = FakeUnitOfWork()
    services = [
        uow.services.add(Service(1, n, 30)) for n in ("Botox", "Lip Filler", "Cheek Filler")
    ]
    providers = [uow.providers.add(Provider(1, n)) for n in ("Dr. Sarah Johnson", "Nurse Kim")]
    return uow, Directory(services, providers)


UOW, DIRECTORY = _world()
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(line=lines, now=moments, zone=st.sampled_from(ZONES))
def test_add_never_raises_anything_but_parse_error_and_results_are_valid(
    line: str, now: datetime, zone: str
) -> None:
    try:
        parsed = parse_add(
            f"Jane Doe 617-555-0101 {line}", directory=DIRECTORY, now=now, timezone=zone
        )
    except ParseError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        return
    assert parsed.phone == "+16175550101"
    validate(UOW, WaitlistEntry(clinic_id=1, client_id=1, **parsed.preferences), now)


@SETTINGS
@given(line=lines, now=moments, zone=st.sampled_from(ZONES))
def test_raw_text_as_an_add_line_never_raises_anything_but_parse_error(
    line: str, now: datetime, zone: str
) -> None:
    try:
        parsed = parse_add(line, directory=DIRECTORY, now=now, timezone=zone)
    except ParseError:
        return
    assert parsed.first_name and parsed.phone.startswith("+")
    validate(UOW, WaitlistEntry(clinic_id=1, client_id=1, **parsed.preferences), now)


@SETTINGS
@given(line=lines, now=moments, zone=st.sampled_from(ZONES))
def test_edit_never_raises_anything_but_parse_error_and_changes_are_valid(
    line: str, now: datetime, zone: str
) -> None:
    try:
        parsed = parse_edit(line, directory=DIRECTORY, now=now, timezone=zone)
    except ParseError:
        return
    assert parsed.changes
    validate(UOW, WaitlistEntry(clinic_id=1, client_id=1, **parsed.changes), now)
