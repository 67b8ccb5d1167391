"""Small counts written as digits or words: `2`, `two`, `a`."""

from __future__ import annotations

_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple": 2,
}  # fmt: skip


def number_word(text: str) -> int | None:
    if text.isascii() and text.isdigit() and len(text) <= 3:
        return int(text)
    return _WORDS.get(text)
