"""What a patient's text means (SPEC §5), case- and punctuation-insensitive."""

from __future__ import annotations

import pytest

from core.keywords import Intent, classify

CASES = [
    ("YES", Intent.YES),
    ("yes", Intent.YES),
    ("Y", Intent.YES),
    ("Yes!", Intent.YES),
    ("yes please", Intent.YES),
    ("Yes please, thank you!", Intent.YES),
    ("yep", Intent.YES),
    ("Yeah", Intent.YES),
    ("ok", Intent.YES),
    ("OK.", Intent.YES),
    ("sure", Intent.YES),
    ("Confirm", Intent.YES),
    ("1", Intent.YES),
    ("I'll take it", Intent.YES),
    ("book it!", Intent.YES),
    ("\U0001f44d", Intent.YES),
    ("  yes  ", Intent.YES),
    ("NO", Intent.NO),
    ("n", Intent.NO),
    ("No.", Intent.NO),
    ("nope", Intent.NO),
    ("pass", Intent.NO),
    ("2", Intent.NO),
    ("no thanks", Intent.NO),
    ("No thank you, maybe next time", Intent.NO),
    ("can't make it", Intent.NO),
    ("not today", Intent.NO),
    ("STOP", Intent.STOP),
    ("stop", Intent.STOP),
    ("Stop.", Intent.STOP),
    ("STOPALL", Intent.STOP),
    ("unsubscribe", Intent.STOP),
    ("CANCEL", Intent.STOP),
    ("end", Intent.STOP),
    ("quit", Intent.STOP),
    ("revoke", Intent.STOP),
    ("optout", Intent.STOP),
    ("opt out", Intent.STOP),
    ("stop please", Intent.STOP),
    ("please stop texting me", Intent.STOP),
    ("Please STOP texting me!!", Intent.STOP),
    ("Don't text me anymore", Intent.STOP),
    ("remove me from this list", Intent.STOP),
    ("no more texts please", Intent.STOP),
    ("START", Intent.START),
    ("unstop", Intent.START),
    ("Start", Intent.START),
    ("HELP", Intent.HELP),
    ("help", Intent.HELP),
    ("info", Intent.HELP),
    ("?", Intent.HELP),
    ("", Intent.UNKNOWN),
    ("What time is the appointment?", Intent.UNKNOWN),
    ("yes?", Intent.UNKNOWN),
    ("yes no", Intent.UNKNOWN),
    ("yes but can it be later", Intent.UNKNOWN),
    ("Can I cancel my appointment on Friday instead", Intent.UNKNOWN),
    ("hello", Intent.UNKNOWN),
    ("yes I will be there but I might be a little late", Intent.UNKNOWN),
    ("don't stop", Intent.UNKNOWN),
    ("ok not really", Intent.UNKNOWN),
]


@pytest.mark.parametrize(("text", "intent"), CASES)
def test_classify(text: str, intent: Intent) -> None:
    assert classify(text) is intent
