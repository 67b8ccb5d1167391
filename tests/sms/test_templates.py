"""Every text fits one GSM-7 segment, whatever the names, and carries the minimum of PHI."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

import gsm0338  # noqa: F401 (registers the "gsm03.38" codec)
import pytest

from core.texts import DEFAULT_TEMPLATES, gsm_length, local_clock, local_when, render

NAMES = [
    ("Glow Clinic", "Jane", "Dr. Patel"),
    (
        "Northside Aesthetics & Wellness Center of Greater Boston",
        "Maximiliana-Josephine",
        "Dr. Anastasia Papadopoulou-Vandermeer",
    ),
    ("Clínica Łódź Żółć Dermatología", "Zoë-Łucja 李", "Dra. Łucja Żółkiewska"),
    ("A" * 80, "B" * 60, "C" * 70),
]
WHEN = local_when(datetime(2026, 9, 30, 16, 45, tzinfo=UTC), "America/New_York")
EXPIRES = local_clock(datetime(2026, 9, 30, 16, 30, tzinfo=UTC), "America/New_York")


@pytest.mark.parametrize("name", [f.name for f in fields(DEFAULT_TEMPLATES)])
@pytest.mark.parametrize(("clinic", "first", "provider"), NAMES)
def test_every_template_is_one_gsm7_segment(
    name: str, clinic: str, first: str, provider: str
) -> None:
    text = render(
        getattr(DEFAULT_TEMPLATES, name),
        clinic=clinic,
        first=first,
        provider=provider,
        when=WHEN,
        expires=EXPIRES,
        contact=" Questions? Call (617) 555-0100.",
    )
    encoded = text.encode("gsm03.38")  # raises on any character outside GSM-7
    assert len(encoded) <= 160 and gsm_length(text) <= 160, text


def test_the_offer_says_who_when_and_how_to_reply_and_nothing_more() -> None:
    text = render(
        DEFAULT_TEMPLATES.offer, clinic="Glow Clinic", first="Jane", when=WHEN, expires=EXPIRES
    )
    assert text == (
        "Glow Clinic: Hi Jane, a spot opened Wed Sep 30 12:45 PM. "
        "Reply YES to book or NO to pass. Expires 12:30 PM."
    )


def test_names_outside_gsm7_are_transliterated_not_sent_as_ucs2() -> None:
    text = render(DEFAULT_TEMPLATES.declined, clinic="Łódź Spa", first="Zoë")
    assert text == "Lodz Spa: No problem, Zoe. You're still on our waitlist."


def test_a_long_first_name_is_shortened_before_the_clinic_name() -> None:
    text = render(
        DEFAULT_TEMPLATES.offer,
        clinic="Northside Aesthetics & Wellness Center of Boston",
        first="Maximiliana-Josephine-Alexandra",
        when=WHEN,
        expires=EXPIRES,
    )
    assert text.startswith("Northside Aesthetics & Wellness Center of Boston: Hi Maximiliana, a")
