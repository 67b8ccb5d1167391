"""Finding a provider or service by what staff typed: forgiving case, dots and small typos."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Protocol, TypeVar

from bot.slack.errors import CommandError


class Named(Protocol):
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=Named)


def normal(text: str) -> str:
    text = re.sub(r"[^\w\s]", " ", text.lower())
    text = re.sub(r"\b(dr|doctor)\b", "", text)
    return " ".join(text.split())


def find_named(text: str, items: Sequence[N], what: str) -> N:
    """The one item whose name `text` means; a CommandError naming the best guess if not."""
    wanted = normal(text)
    by_name = {normal(item.name): item for item in items}
    if wanted in by_name:
        return by_name[wanted]
    close = difflib.get_close_matches(wanted, list(by_name), n=2, cutoff=0.75)
    if len(close) == 1:
        return by_name[close[0]]
    guess = difflib.get_close_matches(wanted, list(by_name), n=1, cutoff=0.5)
    hint = f" — did you mean {by_name[guess[0]].name}?" if guess else ""
    known = ", ".join(item.name for item in items) or "none yet"
    raise CommandError(f"I couldn't tell which {what} '{text}' is{hint} (known: {known}).")


def split_named(words: list[str], items: Sequence[N], what: str) -> tuple[N, list[str]]:
    """The item named by the first few words (longest match first) and the words after it."""
    for size in range(min(len(words), 4), 0, -1):
        try:
            return find_named(" ".join(words[:size]), items, what), words[size:]
        except CommandError:
            continue
    # Nothing matched: name what was typed, a title ("Dr.") with the word after it.
    size = 2 if len(words) > 1 and not normal(words[0]) else 1
    return find_named(" ".join(words[:size]), items, what), words[size:]
