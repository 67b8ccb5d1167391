"""`at <clinic>` is read out of a line only when the words name a clinic of the group."""

from __future__ import annotations

import pytest

from bot.slack.grammar.clinics import named_clinic
from core.model import Clinic

DOWNTOWN = Clinic("Downtown Physio", "America/Denver", id=1)
UPTOWN = Clinic("Uptown Physio", "America/New_York", id=2)
PATEL = Clinic("Patel Dermatology", "America/Chicago", id=3)
GROUP = [DOWNTOWN, UPTOWN, PATEL]
RESERVED = {"dr", "patel", "botox", "johnson"}  # words of the directory's names


@pytest.mark.parametrize(
    ("line", "clinic", "rest"),
    [
        ("list at downtown", DOWNTOWN, "list"),
        ("list at Downtown Physio waiting", DOWNTOWN, "list waiting"),
        ("stats at the uptown clinic", UPTOWN, "stats"),
        ("settings at Uptown.", UPTOWN, "settings"),
        ("add Jane botox at Downtwon mornings", DOWNTOWN, "add Jane botox mornings"),
        ("stats at patel dermatology", PATEL, "stats"),
        ("stats at dermatology", PATEL, "stats"),
    ],
)  # fmt: skip
def test_words_naming_a_clinic_are_taken_out_of_the_line(
    line: str, clinic: Clinic, rest: str
) -> None:
    named = named_clinic(line, GROUP, RESERVED)

    assert (named.clinic, named.rest) == (clinic, rest)


@pytest.mark.parametrize(
    "line",
    [
        "add Jane botox at 3pm",
        "opening dr patel botox monday at noon",
        "add Jane botox at Dr. Patel's",
        "add Jane botox at Patel's",
        "add Jane botox at patl",  # a provider's typo is not a clinic
        'add Jane botox "meet at downtown"',
        "list at midtown",
        "list at",
    ],
)
def test_times_providers_notes_and_unknown_names_stay_in_the_line(line: str) -> None:
    named = named_clinic(line, GROUP, RESERVED)

    assert (named.clinic, named.rest) == (None, line)


def test_a_word_of_two_clinics_names_neither_but_is_kept_to_ask_which() -> None:
    named = named_clinic("list at physio waiting", GROUP, RESERVED)

    assert (named.clinic, named.rest, named.said) == (None, "list waiting", "physio")
    assert named.near == (DOWNTOWN, UPTOWN)
