"""The `/waitlist add` and `edit` lines, as staff type them, with the exact result of each."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from bot.slack.parser import Directory, ParseError, parse_add, parse_edit
from core.model import Provider, Service, TimeSlot

# Wednesday Feb 11 2026, 10:00 in New York
NOW = datetime(2026, 2, 11, 15, 0, tzinfo=UTC)
TZ = "America/New_York"
DIRECTORY = Directory(
    services=[
        Service(1, "Botox", 60, id=1),
        Service(1, "Lip Filler", 45, id=2),
        Service(1, "Cheek Filler", 45, id=3),
        Service(1, "HydraFacial", 60, id=4),
        Service(1, "Consultation", 30, id=5),
    ],
    providers=[
        Provider(1, "Dr. Sarah Johnson", id=1),
        Provider(1, "Dr. Patel", id=2),
        Provider(1, "Nurse Kim", id=3),
        Provider(1, "Dr. Mike Lee", id=4),
    ],
)
P = "Jane Doe 617-555-0101 "
MORNING, AFTERNOON, EVENING = TimeSlot.MORNING, TimeSlot.AFTERNOON, TimeSlot.EVENING
WEEKDAYS = (1, 2, 3, 4, 5)


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def dates(start: date | None, end: date | None) -> dict[str, Any]:
    found = {"preferred_date_start": start, "preferred_date_end": end}
    return {k: v for k, v in found.items() if v}


def times(start: time | None, end: time | None) -> dict[str, Any]:
    found = {"preferred_time_start": start, "preferred_time_end": end}
    return {k: v for k, v in found.items() if v}


ADDS: list[tuple[str, dict[str, Any], list[str]]] = [
    # the SPEC's example, with a valid phone
    (
        P + 'botox with Dr. Johnson weekdays 9am-2pm Feb 15 to Feb 28 priority 2 "no weekends"',
        {
            "service_id": 1,
            "provider_ids": (1,),
            "preferred_days": WEEKDAYS,
            **times(time(9), time(14)),
            **dates(d(2, 15), d(2, 28)),
            "priority": 2,
            "notes": "no weekends",
        },
        [
            "Botox",
            "with Dr. Sarah Johnson",
            "weekdays",
            "9:00 AM-2:00 PM",
            "Feb 15 - Feb 28",
            "priority 2",
            "note: no weekends",
        ],
    ),
    # services and providers: case, parts of names, titles, typos
    (P + "botox", {"service_id": 1}, ["Botox"]),
    (P + "BOTOX", {"service_id": 1}, ["Botox"]),
    (P + "botoxx", {"service_id": 1}, ["Botox (read from 'botoxx')"]),
    (P + "botx", {"service_id": 1}, ["Botox (read from 'botx')"]),
    (P + "lip filler", {"service_id": 2}, ["Lip Filler"]),
    (P + "Lip Filer", {"service_id": 2}, ["Lip Filler"]),
    (P + "hydra facial", {"service_id": 4}, ["HydraFacial"]),
    (P + "hydrafacial", {"service_id": 4}, ["HydraFacial"]),
    (P + "consult", {"service_id": 5}, ["Consultation"]),
    (P + "with Dr. Johnson", {"provider_ids": (1,)}, ["with Dr. Sarah Johnson"]),
    (P + "dr johnson", {"provider_ids": (1,)}, ["with Dr. Sarah Johnson"]),
    (P + "Johnson", {"provider_ids": (1,)}, ["with Dr. Sarah Johnson"]),
    (P + "with Dr. Sarah Johnson", {"provider_ids": (1,)}, ["with Dr. Sarah Johnson"]),
    (P + "with doctor johnson", {"provider_ids": (1,)}, ["with Dr. Sarah Johnson"]),
    (
        P + "with dr jonson",
        {"provider_ids": (1,)},
        ["with Dr. Sarah Johnson (read from 'dr jonson')"],
    ),
    (P + "Dr Patel", {"provider_ids": (2,)}, ["with Dr. Patel"]),
    (P + "with nurse kim", {"provider_ids": (3,)}, ["with Nurse Kim"]),
    (
        P + "with Dr. Lee or Dr. Patel",
        {"provider_ids": (4, 2)},
        ["with Dr. Mike Lee or Dr. Patel"],
    ),
    (
        P + "botox with patel",
        {"service_id": 1, "provider_ids": (2,)},
        ["Botox", "with Dr. Patel"],
    ),
    # days
    (P + "weekdays", {"preferred_days": WEEKDAYS}, ["weekdays"]),
    (P + "weekends only", {"preferred_days": (0, 6)}, ["weekends"]),
    (P + "weekend", {"preferred_days": (0, 6)}, ["weekends"]),
    (P + "mon wed fri", {"preferred_days": (1, 3, 5)}, ["Mon, Wed, Fri"]),
    (P + "Tue/Thu", {"preferred_days": (2, 4)}, ["Tue, Thu"]),
    (P + "Tuesdays", {"preferred_days": (2,)}, ["Tue"]),
    (P + "tuesdays and thursdays", {"preferred_days": (2, 4)}, ["Tue, Thu"]),
    (P + "mon-fri", {"preferred_days": WEEKDAYS}, ["weekdays"]),
    (P + "monday through thursday", {"preferred_days": (1, 2, 3, 4)}, ["Mon, Tue, Wed, Thu"]),
    (P + "weekdays except fri", {"preferred_days": (1, 2, 3, 4)}, ["Mon, Tue, Wed, Thu"]),
    (P + "no weekends", {"preferred_days": WEEKDAYS}, ["weekdays"]),
    (P + "any day", {}, ["any day"]),
    (P + "saturdays, sundays", {"preferred_days": (0, 6)}, ["weekends"]),
    # time of day
    (P + "mornings", {"preferred_time_slots": (MORNING,)}, ["mornings"]),
    (P + "afternoons", {"preferred_time_slots": (AFTERNOON,)}, ["afternoons"]),
    (P + "evenings only", {"preferred_time_slots": (EVENING,)}, ["evenings"]),
    (
        P + "mornings or afternoons",
        {"preferred_time_slots": (MORNING, AFTERNOON)},
        ["mornings or afternoons"],
    ),
    (P + "9am-2pm", times(time(9), time(14)), ["9:00 AM-2:00 PM"]),
    (P + "9-11", times(time(9), time(11)), ["9:00 AM-11:00 AM"]),
    (P + "9-2pm", times(time(9), time(14)), ["9:00 AM-2:00 PM"]),
    (P + "10am-2", times(time(10), time(14)), ["10:00 AM-2:00 PM"]),
    (P + "9:30am - 11:45am", times(time(9, 30), time(11, 45)), ["9:30 AM-11:45 AM"]),
    (P + "9 a.m. to 1 p.m.", times(time(9), time(13)), ["9:00 AM-1:00 PM"]),
    (P + "between 10 and 2", times(time(10), time(14)), ["10:00 AM-2:00 PM"]),
    (P + "from 9 to 5", times(time(9), time(17)), ["9:00 AM-5:00 PM"]),
    (P + "noon-3", times(time(12), time(15)), ["12:00 PM-3:00 PM"]),
    (P + "after 3pm", times(time(15), None), ["after 3:00 PM"]),
    (P + "after 3", times(time(15), None), ["after 3:00 PM"]),
    (P + "after 13:00", times(time(13), None), ["after 1:00 PM"]),
    (P + "before noon", times(None, time(12)), ["before 12:00 PM"]),
    (P + "before 10", times(None, time(10)), ["before 10:00 AM"]),
    (P + "after 9am before 1pm", times(time(9), time(13)), ["9:00 AM-1:00 PM"]),
    (P + "any time", {}, ["any time"]),
    # dates, relative to Wed Feb 11 2026
    (P + "Feb 15 to Feb 28", dates(d(2, 15), d(2, 28)), ["Feb 15 - Feb 28"]),
    (P + "Feb 15-28", dates(d(2, 15), d(2, 28)), ["Feb 15 - Feb 28"]),
    (P + "feb 15 through mar 1", dates(d(2, 15), d(3, 1)), ["Feb 15 - Mar 1"]),
    (P + "2/15-2/28", dates(d(2, 15), d(2, 28)), ["Feb 15 - Feb 28"]),
    (P + "02/15/2026 - 2/28/26", dates(d(2, 15), d(2, 28)), ["Feb 15 - Feb 28"]),
    (P + "between Feb 15 and Mar 1", dates(d(2, 15), d(3, 1)), ["Feb 15 - Mar 1"]),
    (P + "from March 1st to March 10th", dates(d(3, 1), d(3, 10)), ["Mar 1 - Mar 10"]),
    (P + "Dec 20 to Jan 5", dates(d(12, 20), d(1, 5, 2027)), ["Dec 20 - Jan 5, 2027"]),
    (P + "next week", dates(d(2, 16), d(2, 22)), ["Feb 16 - Feb 22"]),
    (P + "this week", dates(d(2, 11), d(2, 15)), ["Feb 11 - Feb 15"]),
    (P + "within 2 weeks", dates(d(2, 11), d(2, 25)), ["Feb 11 - Feb 25"]),
    (P + "within a month", dates(d(2, 11), d(3, 11)), ["Feb 11 - Mar 11"]),
    (P + "in the next 3 days", dates(d(2, 11), d(2, 14)), ["Feb 11 - Feb 14"]),
    (P + "next 10 days", dates(d(2, 11), d(2, 21)), ["Feb 11 - Feb 21"]),
    (P + "this month", dates(d(2, 11), d(2, 28)), ["Feb 11 - Feb 28"]),
    (P + "next month", dates(d(3, 1), d(3, 31)), ["Mar 1 - Mar 31"]),
    (P + "in March", dates(d(3, 1), d(3, 31)), ["Mar 1 - Mar 31"]),
    (P + "before March 1", dates(None, d(2, 28)), ["until Feb 28"]),
    (P + "until 3/15", dates(None, d(3, 15)), ["until Mar 15"]),
    (P + "by Feb 28", dates(None, d(2, 28)), ["until Feb 28"]),
    (P + "after Feb 15", dates(d(2, 16), None), ["from Feb 16"]),
    (P + "starting Feb 15", dates(d(2, 15), None), ["from Feb 15"]),
    (P + "after Feb 15 before Mar 1", dates(d(2, 16), d(2, 28)), ["Feb 16 - Feb 28"]),
    (P + "on Feb 20", dates(d(2, 20), d(2, 20)), ["Feb 20"]),
    (P + "tomorrow", dates(d(2, 12), d(2, 12)), ["Feb 12"]),
    (P + "today", dates(d(2, 11), d(2, 11)), ["Feb 11"]),
    (P + "next tuesday", dates(d(2, 17), d(2, 17)), ["Feb 17"]),
    (P + "15th of March", dates(d(3, 15), d(3, 15)), ["Mar 15"]),
    (P + "2026-03-01", dates(d(3, 1), d(3, 1)), ["Mar 1"]),
    # a month and day with no year: its nearest reading (a date just gone is refused)
    (P + "Feb 11", dates(d(2, 11), d(2, 11)), ["Feb 11"]),
    (P + "Aug 20", dates(d(8, 20), d(8, 20)), ["Aug 20"]),
    (P + "feb 29", dates(d(2, 29, 2028), d(2, 29, 2028)), ["Feb 29, 2028"]),
    # priority and expiry
    (P + "priority 2", {"priority": 2}, ["priority 2"]),
    (P + "priority: 4", {"priority": 4}, ["priority 4"]),
    (P + "p1", {"priority": 1}, ["priority 1"]),
    (P + "urgent", {"priority": 1}, ["priority 1"]),
    (P + "high priority", {"priority": 2}, ["priority 2"]),
    (P + "asap", {"priority": 1}, ["priority 1 (asap)"]),
    (
        P + "asap before March 1",
        {"priority": 1, **dates(None, d(2, 28))},
        ["until Feb 28", "priority 1 (asap)"],
    ),
    (
        P + "expires 3/31",
        {"expires_at": datetime(2026, 4, 1, 4, tzinfo=UTC)},
        ["expires Mar 31"],
    ),
    (
        P + "expires in 30 days",
        {"expires_at": datetime(2026, 3, 14, 4, tzinfo=UTC)},
        ["expires Mar 13"],
    ),
    (
        P + "expires Feb 20",
        {"expires_at": datetime(2026, 2, 21, 5, tzinfo=UTC)},
        ["expires Feb 20"],
    ),
    # notes
    (P + "“call after 5”", {"notes": "call after 5"}, ["note: call after 5"]),
    (
        P + '"no weekends" botox "mobile only"',
        {"service_id": 1, "notes": "no weekends; mobile only"},
        ["Botox", "note: no weekends; mobile only"],
    ),
    # everything at once, in another order
    (
        P + "Tue/Thu afternoons hydrafacial with nurse kim within 2 weeks p3 expires Mar 1",
        {
            "service_id": 4,
            "provider_ids": (3,),
            "preferred_days": (2, 4),
            "preferred_time_slots": (AFTERNOON,),
            **dates(d(2, 11), d(2, 25)),
            "priority": 3,
            "expires_at": datetime(2026, 3, 2, 5, tzinfo=UTC),
        },
        [
            "HydraFacial",
            "with Nurse Kim",
            "Tue, Thu",
            "afternoons",
            "Feb 11 - Feb 25",
            "priority 3",
            "expires Mar 1",
        ],
    ),
    (
        P + "lip filler, with dr jonson, mornings, within 2 weeks, asap",
        {
            "service_id": 2,
            "provider_ids": (1,),
            "preferred_time_slots": (MORNING,),
            **dates(d(2, 11), d(2, 25)),
            "priority": 1,
        },
        [
            "Lip Filler",
            "with Dr. Sarah Johnson (read from 'dr jonson')",
            "mornings",
            "Feb 11 - Feb 25",
            "priority 1 (asap)",
        ],
    ),
    (P + "", {}, []),
    # a stretch of dates as people say it
    (P + "any time this week or next", dates(d(2, 11), d(2, 22)), ["any time", "Feb 11 - Feb 22"]),
    (
        P + "botox this month or next",
        {"service_id": 1, **dates(d(2, 11), d(3, 31))},
        ["Botox", "Feb 11 - Mar 31"],
    ),
    (P + "until end of december", dates(None, d(12, 31)), ["until Dec 31"]),
    (P + "before the end of march", dates(None, d(3, 31)), ["until Mar 31"]),
    (P + "before end of the month", dates(None, d(2, 28)), ["until Feb 28"]),
    (P + "the end of march", dates(d(3, 21), d(3, 31)), ["Mar 21 - Mar 31"]),
]


@pytest.mark.parametrize(("line", "preferences", "understood"), ADDS, ids=[a[0] for a in ADDS])
def test_add_line_is_understood_exactly(
    line: str, preferences: dict[str, Any], understood: list[str]
) -> None:
    parsed = parse_add(line, directory=DIRECTORY, now=NOW, timezone=TZ)
    assert (parsed.first_name, parsed.last_name, parsed.phone) == ("Jane", "Doe", "+16175550101")
    assert parsed.preferences == preferences
    assert parsed.understood == understood


SPOKEN: list[tuple[str, dict[str, Any], list[str]]] = [
    ("botox next monday or tuesday", dates(d(2, 16), d(2, 17)), ["Feb 16 - Feb 17"]),
    ("botox tomorrow or the day after", dates(d(2, 12), d(2, 13)), ["Feb 12 - Feb 13"]),
    (
        "botox feb 17 or feb 20",  # only those two days: their weekdays, between them
        {"preferred_days": (2, 5), **dates(d(2, 17), d(2, 20))},
        ["Tue, Fri", "Feb 17 - Feb 20"],
    ),
    ("botox in 2 weeks", dates(d(2, 25), None), ["from Feb 25"]),
    ("botox 3 days from now", dates(d(2, 14), None), ["from Feb 14"]),
    ("botox first week of march", dates(d(3, 1), d(3, 7)), ["Mar 1 - Mar 7"]),
    ("botox last week of feb", dates(d(2, 22), d(2, 28)), ["Feb 22 - Feb 28"]),
    ("botox anytime after 11:30am", times(time(11, 30), None), ["after 11:30 AM"]),
    ("botox lunch break", times(time(12), time(13)), ["12:00 PM-1:00 PM"]),
    ("botox flexible", {}, ["any time"]),
    (
        "botox tues/thurs after lunch",
        {"preferred_days": (2, 4), **times(time(13), None)},
        ["Tue, Thu", "after 1:00 PM"],
    ),
    ("botox early next week", dates(d(2, 16), d(2, 18)), ["Feb 16 - Feb 18"]),
    ("botox late next week", dates(d(2, 19), d(2, 22)), ["Feb 19 - Feb 22"]),
]


@pytest.mark.parametrize(("line", "preferences", "understood"), SPOKEN, ids=[s[0] for s in SPOKEN])
def test_spoken_dates_and_times_are_understood(
    line: str, preferences: dict[str, Any], understood: list[str]
) -> None:
    parsed = parse_add(P + line, directory=DIRECTORY, now=NOW, timezone=TZ)
    assert parsed.preferences == {"service_id": 1, **preferences}
    assert parsed.understood == ["Botox", *understood]


def test_two_days_far_apart_are_refused_naming_them() -> None:
    with pytest.raises(ParseError) as caught:
        parse_add(P + "botox feb 13 or feb 27", directory=DIRECTORY, now=NOW, timezone=TZ)
    assert caught.value.problems == [
        "'feb 13 or feb 27' names two days more than a week apart; an entry holds one stretch "
        "of dates, so add an entry for each day."
    ]


PEOPLE = [
    ("Jane Doe 617-555-0101", ("Jane", "Doe", "+16175550101")),
    ("Jane Doe (617) 555-0101", ("Jane", "Doe", "+16175550101")),
    ("Jane Doe +1 617 555 0101", ("Jane", "Doe", "+16175550101")),
    ("Jane Doe 617.555.0101", ("Jane", "Doe", "+16175550101")),
    ("Jane Doe 6175550101", ("Jane", "Doe", "+16175550101")),
    ("Jane Doe 1-617-555-0101", ("Jane", "Doe", "+16175550101")),
    ("Mary-Jane O'Brien Smith 617 555 0101", ("Mary-Jane", "O'Brien Smith", "+16175550101")),
    ("Jane 617-555-0101", ("Jane", "", "+16175550101")),
    ("Jane Doe +44 20 7946 0958", ("Jane", "Doe", "+442079460958")),
]


@pytest.mark.parametrize(("start", "person"), PEOPLE, ids=[p[0] for p in PEOPLE])
def test_name_and_phone_in_any_common_format(start: str, person: tuple[str, str, str]) -> None:
    parsed = parse_add(f"{start} 9-11 botox", directory=DIRECTORY, now=NOW, timezone=TZ)
    assert (parsed.first_name, parsed.last_name, parsed.phone) == person
    assert parsed.preferences == {"service_id": 1, **times(time(9), time(11))}


@pytest.mark.parametrize("typed", ["555-123-4567", "+1 555 123 4567", "(555) 867-5309"])
def test_a_made_up_555_number_is_kept_and_said_back_as_unassigned(typed: str) -> None:
    parsed = parse_add(f"Jane Doe {typed} botox", directory=DIRECTORY, now=NOW, timezone=TZ)
    assert parsed.phone.startswith("+1555")
    assert parsed.understood[-1] == (
        f"⚠ {typed} is not an assigned number: texts to it will not arrive"
    )


def test_an_assigned_number_gets_no_warning() -> None:
    parsed = parse_add("Jane Doe 617-555-0101 botox", directory=DIRECTORY, now=NOW, timezone=TZ)
    assert not any("assigned" in line for line in parsed.understood)


EXAMPLE = "write the name, then the phone, e.g. 'Jane Doe 617-555-0101 botox weekdays'."
REFUSED: list[tuple[str, list[str]]] = [
    (P + "bx", ["I didn't understand 'bx'."]),
    (P + "Feb 10", ["'Feb 10' has passed — did you mean Feb 10, 2027?"]),
    (P + "filler", ["'filler' could be Cheek Filler or Lip Filler — which one?"]),
    (
        P + "with Dr. Who",
        [
            "I couldn't find a provider called 'Dr. Who' "
            "(providers: Dr. Sarah Johnson, Dr. Patel, Nurse Kim, Dr. Mike Lee)."
        ],
    ),
    (
        P + "with dr jonsen",
        ["I couldn't tell which provider 'dr jonsen' is — did you mean Dr. Sarah Johnson?"],
    ),
    (P + "blah blah weekdays", ["I didn't understand 'blah blah'."]),
    (P + "botox blah mornings", ["I didn't understand 'blah'."]),
    (P + "mornigs", ["I didn't understand 'mornigs' — did you mean 'mornings'?"]),
    (P + "weekdys", ["I didn't understand 'weekdys' — did you mean 'weekdays'?"]),
    (P + "mornings or next", ["I didn't understand 'next'."]),  # not "did you mean 'next'"
    (
        P + "this week or next tuesday",  # a week and a day: not read as Tuesdays of both
        [
            "'this week' and 'next tuesday' disagree about when the dates start.",
            "'this week' and 'next tuesday' disagree about when the dates end.",
        ],
    ),
    (
        P + "lip filler cheek filler",
        [
            "'lip filler' and 'cheek filler' are two services, Lip Filler and Cheek Filler; "
            "an entry is for one service."
        ],
    ),
    (
        P + "after 5pm before 9am",
        ["The times contradict each other: 'after 5pm' and 'before 9am' leaves no time."],
    ),
    (P + "9pm-2am", ["The times contradict each other: '9pm-2am' leaves no time."]),
    (
        P + "7-9",
        ["I couldn't tell whether '7-9' is in the morning or the evening; add am or pm."],
    ),
    (P + "25:00-26:00", ["'25:00-26:00' is not a time window."]),
    (
        P + "after Mar 1 before Feb 20",
        ["The dates contradict each other: 'after Mar 1' and 'before Feb 20' leaves no day."],
    ),
    (P + "until 1/5/2026", ["'1/5/2026' has passed."]),
    (P + "2/30", ["'2/30' is not a date."]),
    (P + "13/45", ["'13/45' is not a date."]),
    (P + "feb 30 to mar 3", ["'feb 30' is not a date."]),
    (
        P + "Feb 15 to Feb 28 next week",
        [
            "'Feb 15 to Feb 28' and 'next week' disagree about when the dates start.",
            "'Feb 15 to Feb 28' and 'next week' disagree about when the dates end.",
        ],
    ),
    (P + "p6", ["Priority goes from 1 (most urgent) to 5; 'p6' doesn't."]),
    (P + "priority 0", ["Priority goes from 1 (most urgent) to 5; 'priority 0' doesn't."]),
    (P + "urgent priority 3", ["'urgent' and 'priority 3' disagree about the priority."]),
    (
        P + "expires blah",
        [
            "I couldn't tell when it expires: 'expires' needs a date after it, "
            "e.g. 'expires Mar 31' or 'expires in 30 days'.",
            "I didn't understand 'blah'.",
        ],
    ),
    (P + "expires 1/1/2026", ["'1/1/2026' has passed."]),
    (P + "except weekdays weekends", ["'except weekdays weekends' leaves no day of the week."]),
    (P + 'botox "call after 5', ["The note '\"call after 5' has no closing quote."]),
    (P + "botox any service", ["'any service' clears the service that the line also sets."]),
    (
        "Jane Doe botox weekdays",
        [
            "I don't know a client called 'Jane Doe'; write their phone after the name, "
            "e.g. 'Jane Doe 617-555-0101 …'."
        ],
    ),
    ("617-555-0101 botox", [f"I couldn't find the client's name; {EXAMPLE}"]),
    ("Jane Doe 617-555-010 botox", ["'617-555-010' is not a valid phone number."]),
    (
        "Jane Feb 15 617-555-0101 botox",
        ["I read 'Jane Feb 15' as the client's name; write the name, then the phone."],
    ),
    (
        "Jane Doe 555-1234 bx",
        ["'555-1234' is not a valid phone number.", "I didn't understand 'bx'."],
    ),
    ("", [f"I couldn't find the client's name; {EXAMPLE}"]),
]


@pytest.mark.parametrize(("line", "problems"), REFUSED, ids=[r[0] for r in REFUSED])
def test_add_line_not_understood_is_refused_with_exact_problems(
    line: str, problems: list[str]
) -> None:
    with pytest.raises(ParseError) as caught:
        parse_add(line, directory=DIRECTORY, now=NOW, timezone=TZ)
    assert caught.value.problems == problems


EDITS: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "mornings instead",
        {
            "preferred_time_slots": (MORNING,),
            "preferred_time_start": None,
            "preferred_time_end": None,
        },
        ["mornings"],
    ),
    (
        "priority 1 afternoons",
        {
            "preferred_time_slots": (AFTERNOON,),
            "preferred_time_start": None,
            "preferred_time_end": None,
            "priority": 1,
        },
        ["afternoons", "priority 1"],
    ),
    (
        "9am-2pm",
        {
            "preferred_time_slots": (),
            "preferred_time_start": time(9),
            "preferred_time_end": time(14),
        },
        ["9:00 AM-2:00 PM"],
    ),
    (
        "before March 1",
        {"preferred_date_end": d(2, 28)},
        ["until Feb 28"],
    ),
    (
        "any day no provider",
        {"provider_ids": (), "preferred_days": ()},
        ["any provider", "any day"],
    ),
    (
        "any time",
        {"preferred_time_slots": (), "preferred_time_start": None, "preferred_time_end": None},
        ["any time"],
    ),
    (
        "clear days clear notes never expires any service any date",
        {
            "service_id": None,
            "preferred_days": (),
            "preferred_date_start": None,
            "preferred_date_end": None,
            "expires_at": None,
            "notes": None,
        },
        ["any service", "any day", "any dates", "no expiry", "no note"],
    ),
    ("with dr patel", {"provider_ids": (2,)}, ["with Dr. Patel"]),
    ("consultation", {"service_id": 5}, ["Consultation"]),
    (
        '"prefers texts" expires Apr 1',
        {"expires_at": datetime(2026, 4, 2, 4, tzinfo=UTC), "notes": "prefers texts"},
        ["expires Apr 1", "note: prefers texts"],
    ),
    ('""', {"notes": None}, ["no note"]),
]


@pytest.mark.parametrize(("line", "changes", "understood"), EDITS, ids=[e[0] for e in EDITS])
def test_edit_line_changes_whole_groups(
    line: str, changes: dict[str, Any], understood: list[str]
) -> None:
    parsed = parse_edit(line, directory=DIRECTORY, now=NOW, timezone=TZ)
    assert parsed.changes == changes
    assert parsed.understood == understood


@pytest.mark.parametrize(
    ("line", "problems"),
    [
        ("", ["Say what to change, e.g. 'priority 1 afternoons' or 'any day'."]),
        (
            "priorty 2",
            ["I didn't understand 'priorty 2' — did you mean 'priority'?"],
        ),
        ("afternoons any time", ["'any time' clears the times that the line also sets."]),
        # not read as afternoons and mornings: `instead` counts only closing the line
        ("afternoons instead of mornings", ["I didn't understand 'instead'."]),
    ],
)
def test_edit_line_not_understood_is_refused(line: str, problems: list[str]) -> None:
    with pytest.raises(ParseError) as caught:
        parse_edit(line, directory=DIRECTORY, now=NOW, timezone=TZ)
    assert caught.value.problems == problems


def test_several_problems_are_one_slack_message_a_line_each() -> None:
    with pytest.raises(ParseError) as caught:
        parse_add(P + "bx p9", directory=DIRECTORY, now=NOW, timezone=TZ)
    assert caught.value.message == (
        "• Priority goes from 1 (most urgent) to 5; 'p9' doesn't.\n• I didn't understand 'bx'."
    )


def test_dates_are_the_clinics_not_utc() -> None:
    # 11 pm on Feb 11 in Los Angeles is already Feb 12 in UTC: "today" is still Feb 11.
    late = datetime(2026, 2, 12, 7, 0, tzinfo=UTC)
    parsed = parse_add(P + "today", directory=DIRECTORY, now=late, timezone="America/Los_Angeles")
    assert parsed.preferences == dates(d(2, 11), d(2, 11))


def test_ambiguous_provider_names_the_candidates() -> None:
    two = Directory(
        services=[],
        providers=[Provider(1, "Dr. Sarah Johnson", id=1), Provider(1, "Dr. Mike Johnson", id=2)],
    )
    with pytest.raises(ParseError) as caught:
        parse_add(P + "with Johnson", directory=two, now=NOW, timezone=TZ)
    assert caught.value.problems == [
        "'Johnson' could be Dr. Mike Johnson or Dr. Sarah Johnson — which one?"
    ]


def test_table_has_at_least_80_phrasings() -> None:
    assert len(ADDS) + len(PEOPLE) + len(REFUSED) + len(EDITS) >= 80
