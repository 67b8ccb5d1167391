"""Core's text and number rules (core/limits.py), which every entrypoint shares."""

from __future__ import annotations

import pytest

from bot.api import schemas
from core import limits
from core.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Ja\x00ne", "U+0000"),
        ("bell\x07", "U+0007"),
        ("\u202eenaJ", "U+202E"),
        ("\ud800", "U+D800"),
    ],
)
def test_control_and_invisible_characters_are_refused_naming_the_field(
    text: str, code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        limits.check_text(text, field="first_name", limit=limits.NAME)
    assert refused.value.field == "first_name"
    assert code in refused.value.message and "first name" in refused.value.message


def test_line_breaks_belong_in_notes_only() -> None:
    notes = "Prefers mornings.\nCall first.\tThanks"
    assert limits.check_text(notes, field="notes", limit=limits.NOTES, multiline=True) == notes
    with pytest.raises(InvalidInput):
        limits.check_text("Jane\nDoe", field="first_name", limit=limits.NAME)


def test_ordinary_text_in_any_script_is_kept_as_it_is() -> None:
    for name in ("José", "Zoë O'Brien", "مريم", "שרה", "李小龙", "Ana 🙂"):
        assert limits.check_text(name, field="first_name", limit=limits.NAME) == name


def test_too_long_says_the_limit_and_the_length() -> None:
    with pytest.raises(InvalidInput) as refused:
        limits.check_text("n" * 2001, field="notes", limit=limits.NOTES, multiline=True)
    assert refused.value.message == "The notes must be at most 2000 characters long (got 2001)."


@pytest.mark.parametrize("value", [0, -1, 2**31, 99999999999999999999999, True, "7", 1.0])
def test_ids_outside_what_the_database_holds_are_refused(value: object) -> None:
    with pytest.raises(InvalidInput):
        limits.check_id(value, field="client_id")


def test_rest_schema_lengths_come_from_core() -> None:
    fields = schemas.NewClient.model_fields
    lengths = {
        name: next(m.max_length for m in fields[name].metadata if hasattr(m, "max_length"))
        for name in ("first_name", "last_name", "email", "phone", "timezone")
    }
    assert lengths == {name: limits.CLIENT_FIELDS[name] for name in lengths}
    notes = schemas.RequestChanges.model_fields["notes"].metadata
    assert any(getattr(m, "max_length", None) == limits.NOTES for m in notes)
