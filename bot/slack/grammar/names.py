"""Service and provider names: exact (any case, any part of the name: `Johnson`, `dr johnson`)
and close (small typos, via difflib)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.slack.grammar.findings import Context
from bot.slack.grammar.tokens import words
from core.model import Provider, Service

TITLES = {"dr", "nurse", "np", "pa", "rn", "ms", "mrs", "mr", "miss", "prof"}
_STOP = {"and", "of", "the", "&", "with", "for", "-"}
ACCEPT = 0.85  # a typo this close to one name is taken as that name…
MIN_TYPO_LENGTH = 5  # …if the typed phrase is long enough to carry a typo
SUGGEST = 0.7  # this close: not taken, but offered as "did you mean"


@dataclass(frozen=True, eq=False)
class Named:
    kind: str  # "service" or "provider"
    item: Service | Provider

    @property
    def name(self) -> str:
        return self.item.name


class NameIndex:
    """Every way of writing each name, built once per directory."""

    def __init__(
        self, services: Sequence[Service], providers: Sequence[Provider], reserved: set[str]
    ) -> None:
        # phrase -> (tier, entities); tier 2 = the whole name, 1 = a part of it
        self.exact: dict[str, tuple[int, list[Named]]] = {}
        self.named = [Named("service", s) for s in services] + [
            Named("provider", p) for p in providers
        ]
        for named in self.named:
            core = [w for w in words(named.name) if w not in TITLES] or words(named.name)
            for phrase, tier in _aliases(core, reserved):
                best, found = self.exact.get(phrase, (0, []))
                if tier > best:
                    self.exact[phrase] = (tier, [named])
                elif tier == best and named not in found:
                    found.append(named)
        self.keys = list(self.exact)
        self.longest = max((len(k.split()) for k in self.keys), default=0)

    def exact_at(self, ctx: Context, i: int) -> int:
        """A name written exactly (any case) at tokens[i], with an optional title before it."""
        start = i
        while ctx.norm(start) in TITLES:
            start += 1
        for n in range(min(self.longest, len(ctx.tokens) - start), 0, -1):
            phrase = " ".join(ctx.norm(k) for k in range(start, start + n))
            if phrase in self.exact:
                record(ctx, self.exact[phrase][1], ctx.span(i, start + n - i))
                return start + n - i
        return 0

    def starting(self, prefix: str) -> list[Named]:
        """Names with a word that starts with prefix: `consult` for Consultation."""
        found: list[Named] = []
        for key, (_, named) in self.exact.items():
            if " " not in key and key.startswith(prefix):
                found += [n for n in named if n not in found]
        return found

    def close(self, phrase: str) -> list[tuple[float, Named]]:
        """Names close to phrase, best first, one score per name."""
        best: dict[int, tuple[float, Named]] = {}
        for key in difflib.get_close_matches(phrase, self.keys, n=6, cutoff=SUGGEST):
            score = difflib.SequenceMatcher(None, phrase, key).ratio()
            for named in self.exact[key][1]:
                if score > best.get(id(named), (0.0, named))[0]:
                    best[id(named)] = (score, named)
        return sorted(best.values(), key=lambda pair: -pair[0])


def _aliases(core: list[str], reserved: set[str]) -> Iterable[tuple[str, int]]:
    yield " ".join(core), 2
    for size in range(1, len(core)):
        for start in range(len(core) - size + 1):
            part = core[start : start + size]
            if all(w in _STOP for w in part):
                continue
            if size == 1 and (len(part[0]) < 3 or part[0] in reserved):
                continue  # `may`, `p`, `am` mean something else in a line
            yield " ".join(part), 1


def record(ctx: Context, found: list[Named], phrase: str) -> None:
    chosen = [n for n in found if _already(ctx, n)]
    if len(found) > 1 and chosen:
        found = chosen  # `Lip Filer`: `lip` chose Lip Filler, so `Filer` is not Cheek Filler
    if len(found) > 1:
        names = sorted(n.name for n in found)
        ctx.found.problems.append(
            f"'{phrase}' could be {', '.join(names[:-1])} or {names[-1]} — which one?"
        )
        return
    named = found[0]
    if isinstance(named.item, Service):
        current = ctx.found.service
        if current is not None and current[0].id != named.item.id:
            ctx.found.problems.append(
                f"I found two services, {current[0].name} and {named.name}; "
                "an entry is for one service."
            )
            return
        ctx.found.service = (named.item, phrase)
    elif isinstance(named.item, Provider) and all(
        p.id != named.item.id for p in ctx.found.providers
    ):
        ctx.found.providers.append(named.item)


def _already(ctx: Context, named: Named) -> bool:
    service = ctx.found.service
    if isinstance(named.item, Service):
        return service is not None and service[0].id == named.item.id
    return any(p.id == named.item.id for p in ctx.found.providers)
