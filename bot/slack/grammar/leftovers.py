"""Words no rule understood: a name with a small typo is taken when one name is clearly
meant (and the reply says so); the rest are reported exactly, with a "did you mean"."""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import process

from bot.slack.grammar.describe import either
from bot.slack.grammar.findings import Line
from bot.slack.grammar.names import ACCEPT, TITLES, Named, record, similarity

_PROVIDER_CUES = {"with", "by", "see", "provider", "sees"}


def explain(ctx: Line, run: list[int], vocabulary: list[str]) -> None:
    """Resolve or report one run of consecutive unread tokens."""
    unread: list[int] = []
    k = 0
    while k < len(run):
        used = _close_name(ctx, run[k:])
        if used:
            _report(ctx, unread, vocabulary)
            unread = []
            k += used
        else:
            unread.append(run[k])
            k += 1
    _report(ctx, unread, vocabulary)


def _close_name(ctx: Line, run: list[int]) -> int:
    """A name with a small typo at the start of run: taken if one name is clearly meant,
    reported with a suggestion if only near. Returns the tokens used."""
    titles = 0
    while titles < len(run) - 1 and ctx.norm(run[titles]) in TITLES:
        titles += 1
    for n in range(min(4, len(run) - titles), 0, -1):
        phrase = " ".join(ctx.norm(k) for k in run[titles : titles + n])
        if len(phrase) < 3 or ctx.kind(run[titles]) not in ("word", "slashed"):
            continue
        typed = ctx.span(run[0], titles + n)
        near, clear = ctx.names.find(phrase)
        if not near:
            continue
        chosen = [n for n in near if n in ctx.found.named]
        if len(near) > 1 and len(chosen) == 1:  # `Lip Filer`: `lip` already chose Lip Filler
            record(ctx, chosen, typed)
        elif clear:
            record(ctx, near, typed, corrected=True)
        else:
            ctx.found.problems.append(_guess(typed, near))
        return titles + n
    return 0


def _guess(typed: str, near: list[Named]) -> str:
    kinds = {n.kind for n in near}
    what = kinds.pop() if len(kinds) == 1 else "service or provider"
    names = either([n.name for n in near])
    return f"I couldn't tell which {what} '{typed}' is — did you mean {names}?"


def _report(ctx: Line, unread: list[int], vocabulary: Iterable[str]) -> None:
    if not unread:
        return
    typed = ctx.span(unread[0], len(unread))
    first = unread[0]
    if ctx.norm(first - 1) in _PROVIDER_CUES or ctx.norm(first) in TITLES:
        known = ", ".join(n.name for n in ctx.names.named if n.kind == "provider") or "none yet"
        ctx.found.problems.append(
            f"I couldn't find a provider called '{typed}' (providers: {known})."
        )
        return
    hint = ""
    for k in unread:
        if len(ctx.norm(k)) >= 4:
            close = process.extractOne(
                ctx.norm(k), list(vocabulary), scorer=similarity, score_cutoff=ACCEPT
            )
            if close and close[0] != ctx.norm(k):  # a known word unread here: no hint
                hint = f" — did you mean '{close[0]}'?"
                break
    ctx.found.problems.append(f"I didn't understand '{typed}'{hint}" + ("" if hint else "."))
