"""The staff corpus, run through the console path against each clinic: every line is
understood exactly or refused naming its problem words, and none is silently misread.

The accuracy is printed (`pytest tests/language -s`) and recorded in docs/language.md;
`python -m tests.language.staff_runner` lists the lines that are not right."""

from __future__ import annotations

import pytest

from tests.language.staff_runner import (
    EXACT,
    REFUSED_RIGHT,
    SILENT,
    UNNAMED,
    Outcome,
    report,
    run_all,
    summary,
)

# Lines the product refuses on purpose though the corpus expects them read: two time
# windows in one entry (`before 10 or after 3`); an entry holds one window (docs/language.md).
KNOWN_REFUSALS = 5
MIN_RIGHT = 0.95


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    return list(run_all())


def _wrong(outcomes: list[Outcome], verdicts: tuple[str, ...]) -> str:
    return "\n".join(
        f"[{o.verdict}] ({o.clinic}) {o.line}\n  expected {o.expected}\n  got      {o.got}"
        for o in outcomes
        if o.verdict in verdicts
    )


def test_no_line_is_silently_misunderstood(outcomes: list[Outcome]) -> None:
    print("\n" + report(outcomes))
    assert summary(outcomes)[SILENT] == 0, _wrong(outcomes, (SILENT,))


def test_every_refusal_names_the_problem_words(outcomes: list[Outcome]) -> None:
    assert summary(outcomes)[UNNAMED] == 0, _wrong(outcomes, (UNNAMED,))


def test_the_corpus_is_understood(outcomes: list[Outcome]) -> None:
    counts = summary(outcomes)
    right = counts[EXACT] + counts[REFUSED_RIGHT]
    assert len(outcomes) >= 320
    assert right / len(outcomes) >= MIN_RIGHT, report(outcomes)
    assert len(outcomes) - right <= KNOWN_REFUSALS, _wrong(
        outcomes, tuple(v for v in counts if v not in (EXACT, REFUSED_RIGHT))
    )
