"""What a patient's text means: YES, NO, STOP, START, HELP, or something for staff to read.

Keywords are matched case- and punctuation-insensitively (SPEC §5). A reply that starts with a
yes or no word and stays short counts ("Yes please!", "no thanks, maybe next time"); anything
longer or asking a question goes to staff rather than booking someone by mistake. Opt-out wins
over everything: "please stop texting me" opts out even though it is not a bare keyword.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class Intent(StrEnum):
    YES = "yes"
    NO = "no"
    STOP = "stop"
    START = "start"
    HELP = "help"
    UNKNOWN = "unknown"


# Carrier and Twilio opt-out keywords: honoured only as the whole message.
STOP_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "opt out"}
)
START_WORDS = frozenset({"start", "unstop", "subscribe", "optin", "opt in", "resume"})
HELP_WORDS = frozenset({"help", "info", "information", "?"})

# Plain-language opt-outs, found anywhere in the message.
STOP_PHRASES = (
    "stop texting",
    "stop messaging",
    "stop sending",
    "stop contacting",
    "stop txting",
    "dont text",
    "do not text",
    "dont message",
    "do not message",
    "dont contact",
    "do not contact",
    "no more texts",
    "no more messages",
    "remove me",
    "take me off",
    "unsubscribe me",
    "opt me out",
    "leave me alone",
)
# Short messages with one of these words are opt-outs too ("STOP please", "stop it").
_STOP_IN_SHORT = frozenset({"stop", "unsubscribe", "stopall", "optout"})

YES_WORDS = frozenset(
    {
        "y",
        "yes",
        "yep",
        "yup",
        "yeah",
        "yea",
        "ya",
        "yas",
        "ok",
        "okay",
        "k",
        "sure",
        "confirm",
        "confirmed",
        "accept",
        "book",
        "absolutely",
        "definitely",
        "1",
    }
)
YES_PHRASES = frozenset(
    {"i'll take it", "ill take it", "book it", "book me", "sounds good", "i want it", "i do"}
)
NO_WORDS = frozenset(
    {"n", "no", "nope", "nah", "pass", "decline", "declined", "2", "cant", "cannot"}
)
NO_PHRASES = frozenset({"not today", "not this time", "no thanks", "no thank you", "cant make it"})
_NEGATIONS = frozenset({"not", "no", "dont", "cant", "cannot", "wont", "never"})
# A yes with strings attached is for staff to read, not a booking.
_HEDGES = frozenset({"but", "if", "unless", "instead", "maybe", "only", "except"})
_SHORT = 6  # words: longer replies go to staff


def normalize(text: str) -> str:
    """Lower case, apostrophes dropped, other punctuation made space, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("'", "").replace("\u2019", "")
    text = re.sub(r"[^\w\s?]", " ", text)
    return " ".join(text.split())


def classify(text: str) -> Intent:
    """The intent of one inbound text."""
    if "\U0001f44d" in text and len(text.strip()) <= 4:  # a thumbs-up alone
        return Intent.YES
    plain = normalize(text)
    words = plain.replace("?", " ").split()
    whole = " ".join(words)
    if whole in STOP_WORDS or any(p in whole for p in STOP_PHRASES):
        return Intent.STOP
    if len(words) <= 3 and _STOP_IN_SHORT & set(words) and not _NEGATIONS & set(words):
        return Intent.STOP
    if whole in START_WORDS:
        return Intent.START
    if plain in HELP_WORDS or whole in HELP_WORDS:
        return Intent.HELP
    if not words or "?" in plain or len(words) > _SHORT:
        return Intent.UNKNOWN
    return _answer(words)


def _answer(words: list[str]) -> Intent:
    whole = " ".join(words)
    said_no = words[0] in NO_WORDS or any(whole.startswith(p) for p in NO_PHRASES)
    said_yes = words[0] in YES_WORDS or any(whole.startswith(p) for p in YES_PHRASES)
    if said_no and not said_yes:
        return Intent.NO
    if said_yes and not said_no and not (_NEGATIONS | _HEDGES) & set(words[1:]):
        return Intent.YES
    return Intent.UNKNOWN
