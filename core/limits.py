"""How long each kind of text may be, which characters text may hold, and how big numbers may
get: one set of rules that Slack, SMS, REST and the importer all meet in the core services.

A value that breaks a rule is refused with InvalidInput naming the field; nothing is cut
short or cleaned up silently. The lengths match the database's columns, so no value can fail
there instead.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

from core.errors import InvalidInput

# Ids are 32-bit integers in the database: a larger one can only be "not found".
MAX_ID = 2_147_483_647

NAME = 100  # a client's first or last name
PLACE_NAME = 200  # a clinic's, a provider's or a service's name
EMAIL = 254
CATEGORY = 100  # a service's category, an entry's appointment category
NOTES = 2000
TIMEZONE = 64
PHONE_TEXT = 40  # a phone as typed, before it is read as a number
REASON = 500  # why an appointment was cancelled
COMMAND = 4000  # one `/waitlist …` line, as Slack sends at most

MAX_DAYS = 3650  # "expire entries older than N days", and other day counts

# Line breaks and tabs belong in notes; nowhere else.
_MULTILINE = frozenset("\n\t\r")
# Characters that reorder how text is displayed (Trojan-source tricks): never wanted in data.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def _label(field: str) -> str:
    return field.replace("_", " ")


def check_text(value: object, *, field: str, limit: int, multiline: bool = False) -> str:
    """`value` if it fits `limit` characters and holds no control characters (NUL, escape,
    direction overrides …; line breaks and tabs only where `multiline`), else InvalidInput."""
    if not isinstance(value, str):
        raise InvalidInput(f"The {_label(field)} must be text.", field=field)
    if len(value) > limit:
        raise InvalidInput(
            f"The {_label(field)} must be at most {limit} characters long (got {len(value)}).",
            field=field,
        )
    for char in value:
        if multiline and char in _MULTILINE:
            continue
        if char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn"):
            raise InvalidInput(
                f"The {_label(field)} may not hold control or invisible characters "
                f"(found U+{ord(char):04X}); please type it again as plain text.",
                field=field,
            )
    return value


def check_optional_text(
    value: str | None, *, field: str, limit: int, multiline: bool = False
) -> str | None:
    if value is None:
        return None
    return check_text(value, field=field, limit=limit, multiline=multiline)


def check_whole(value: object, *, field: str, low: int, high: int) -> int:
    """`value` as a whole number from `low` to `high`, else InvalidInput (before it can
    overflow a column or a timedelta)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(
            f"The {_label(field)} must be a whole number from {low} to {high}.", field=field
        )
    return value


def check_id(value: object, *, field: str) -> int:
    return check_whole(value, field=field, low=1, high=MAX_ID)


def check_fields(values: Mapping[str, object], limits: Mapping[str, int]) -> None:
    """Every text value in `values` whose field has a limit (notes may span lines)."""
    for field, value in values.items():
        if field in limits and value is not None:
            check_text(value, field=field, limit=limits[field], multiline=field == "notes")


def check_ids(values: Iterable[object], *, field: str) -> None:
    for value in values:
        check_id(value, field=field)


# The limit of each text field, by the name every entrypoint uses for it.
CLIENT_FIELDS = {
    "first_name": NAME,
    "last_name": NAME,
    "email": EMAIL,
    "phone": PHONE_TEXT,
    "timezone": TIMEZONE,
}
ENTRY_FIELDS = {"notes": NOTES, "appointment_category": CATEGORY}
SERVICE_FIELDS = {"name": PLACE_NAME, "category": CATEGORY}
PROVIDER_FIELDS = {"name": PLACE_NAME}
CLINIC_FIELDS = {"name": PLACE_NAME, "timezone": TIMEZONE}
