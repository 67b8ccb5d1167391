"""Whatever staff type, the parser answers with a result or a refusal that names words of
the line, and a result is always an entry the domain accepts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.slack.parser import (
    Directory,
    ParseError,
    fold,
    parse_add,
    parse_edit,
    parse_range,
    parse_slot,
)
from core.entries import validate
from core.model import Clinic, Provider, Service, WaitlistEntry
from tests.unit.fakes import FakeUnitOfWork

FRAGMENTS = [
    "botox", "botx", "lip filler", "filler", "with Dr. Johnson", "dr jonson", "kim", "weekdays",
    "weekends only", "mon wed fri", "Tue/Thu", "Tuesdays", "any day", "except", "no", "mornings",
    "9am-2pm", "9-11", "7-9", "after 3pm", "before noon", "between 10 and 2", "any time",
    "Feb 15 to Feb 28", "Feb 15-28", "2/30", "next week", "within 2 weeks", "before March 1",
    "until 3/15", "after", "before", "from", "to", "-", "asap", "urgent", "priority", "p1", "p9",
    "expires", "expires in 30 days", "expires 1/1/2020", '"a note"', "“curly”", '"', "clear",
    "days", "12/31/2099", "Dec 20 to Jan 5", "feb 29", "2026-13-01", "25:00", "noon-3", "0",
    "w/", "wknds", "wkdays", "tues", "thurs", "M/W/F", "tu-th", "m-f", "not mondays",
    "any day but fri", "the 3rd", "between the 3rd and the 10th", "after the 15th", "Dec 5-12",
    "12/5-12/12", "3:30-5", "noon to 2", "next 2 wks", "this week", "next month", "by friday",
    "by end of the month", "before 10 or after 3", "sat am", "lunchtime", "before work", "IA",
    "f/u", "tx", "appt", "dry needle", "hydro", "José", "O'Brien", "Mary-Jane", "nov 3",
    "yesterday", "week of dec 14", "before christmas", "no later than", "note: call me",
    "sundays", "evenings", "3pm", "wed", "today", "+44 20 7946 0958", "12/20 to 12/10",
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
    uow.clinics.add(Clinic("Glow Clinic", ZONES[0]))
    names = ("Botox", "Lip Filler", "Cheek Filler", "Initial Assessment", "Follow-up Treatment")
    services = [uow.services.add(Service(1, n, 30)) for n in (*names, "Dry Needling")]
    weekdays = {d: [(time(9), time(17))] for d in range(1, 6)}
    providers = [
        uow.providers.add(Provider(1, "Dr. Sarah Johnson", hours=weekdays)),
        uow.providers.add(Provider(1, "Nurse Kim", hours={6: [(time(9), time(13))]})),
    ]
    return uow, Directory(services, providers)


def names_the_line(exc: ParseError, line: str) -> bool:
    """A refusal quotes at least one piece of what was typed ('…'), or the line is blank."""
    if not fold(line):
        return True
    quoted = [
        q
        for p in exc.problems
        for q in re.findall(r"(?<!\w)'(.+?)'(?!\w)", p.replace("’", "'"), re.S)
    ]
    typed = fold(line)
    return any(q.lower() in line.lower() or (fold(q) and fold(q) in typed) for q in quoted)


UOW, DIRECTORY = _world()


def _in_zone(zone: str) -> FakeUnitOfWork:
    """The world with its clinic in `zone`, the zone the line was read in."""
    clinic = UOW.clinics.get(1)
    assert clinic is not None
    clinic.timezone = zone
    UOW.clinics.save(clinic)
    return UOW


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
        assert names_the_line(exc, f"Jane Doe 617-555-0101 {line}"), exc.problems
        return
    assert parsed.phone == "+16175550101"
    validate(_in_zone(zone), WaitlistEntry(clinic_id=1, client_id=1, **parsed.preferences), now)


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
    validate(_in_zone(zone), WaitlistEntry(clinic_id=1, client_id=1, **parsed.preferences), now)


@SETTINGS
@given(line=lines, now=moments, zone=st.sampled_from(ZONES))
def test_edit_never_raises_anything_but_parse_error_and_changes_are_valid(
    line: str, now: datetime, zone: str
) -> None:
    try:
        parsed = parse_edit(line, directory=DIRECTORY, now=now, timezone=zone)
    except ParseError as exc:
        assert names_the_line(exc, line) or "Say what to change" in exc.message, exc.problems
        return
    assert parsed.changes
    validate(_in_zone(zone), WaitlistEntry(clinic_id=1, client_id=1, **parsed.changes), now)


@SETTINGS
@given(line=lines, now=moments, zone=st.sampled_from(ZONES))
def test_a_slot_is_a_moment_or_a_refusal_naming_the_line(
    line: str, now: datetime, zone: str
) -> None:
    try:
        slot = parse_slot(f"dr johnson botox {line}", directory=DIRECTORY, now=now, timezone=zone)
    except ParseError as exc:
        assert names_the_line(exc, f"dr johnson botox {line}"), exc.problems
        return
    assert slot.starts_at.tzinfo is not None and slot.provider is not None


@SETTINGS
@given(line=lines, now=moments, zone=st.sampled_from(ZONES))
def test_a_range_is_dates_in_order_or_a_refusal_naming_the_line(
    line: str, now: datetime, zone: str
) -> None:
    try:
        found = parse_range(line, now=now, timezone=zone)
    except ParseError as exc:
        assert names_the_line(exc, line), exc.problems
        return
    assert not (found.start and found.end and found.end < found.start)
