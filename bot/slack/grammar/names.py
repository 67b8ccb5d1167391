"""Service and provider names, and every way the clinic's own staff shorten them.

The ways are derived from the directory, never listed for one clinic: any part of a name
(`Johnson`, `dr johnson`), initials (`IA` for Initial Assessment, `f/u` for Follow-up),
a hyphen's two spellings (`follow up`, `followup`), a word's stem (`dry needle` for Dry
Needling), a prefix of a word (`consult`, `hydro`), and small typos (rapidfuzz, one
threshold). The one fuzzy matcher for names in Slack: the parser, `opening` and the form."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.slack.grammar.findings import Line
from bot.slack.grammar.tokens import words
from core.model import Provider, Service

TITLES = {"dr", "nurse", "np", "pa", "rn", "ms", "mrs", "mr", "miss", "prof", "dpt", "pt"}
_STOP = {"and", "of", "the", "&", "with", "for", "-", "session", "visit"}
# Similarity is 100 × (1 - edits / length), edits counting a swap of two letters as one
# (optimal string alignment): `kahn`/`khan` 75, `botx`/`botox` 80, `facail`/`facial` 83.
ACCEPT = 75.0  # a typo this close to exactly one name is taken as that name (and said so)
SUGGEST = 60.0  # this close: offered as "did you mean", not taken
MARGIN = 8.0  # the best must beat the next name by this much to be "clearly right"
MIN_TYPO_LENGTH = 4  # shorter words are too easily another word
_SUFFIX = re.compile(r"(?:ings?|ed|es|s|ment|ation|ations|ist|y|e)$")


def similarity(a: str, b: str, **_: object) -> float:
    """The one measure of how close two names are, 0–100."""
    return 100.0 * OSA.normalized_similarity(a, b)


def stem(word: str) -> str:
    """`needling`, `needle`, `needles` -> `needl`: enough for staff's shortenings."""
    if len(word) <= 4:
        return word
    return _SUFFIX.sub("", word) or word


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
        # phrase -> (tier, entities); tier 3 = the whole name, 2 = its initials, 1 = a part
        self.exact: dict[str, tuple[int, list[Named]]] = {}
        self.named = [Named("service", s) for s in services] + [
            Named("provider", p) for p in providers
        ]
        for named in self.named:
            core = [w for w in words(named.name) if w not in TITLES] or words(named.name)
            for phrase, tier in _aliases(core, reserved, named.kind):
                best, found = self.exact.get(phrase, (0, []))
                if tier > best:
                    self.exact[phrase] = (tier, [named])
                elif tier == best and named not in found:
                    found.append(named)
        self.keys = list(self.exact)
        self.longest = max((len(k.split()) for k in self.keys), default=0)
        self.reserved = reserved

    def exact_at(self, ctx: Line, i: int) -> int:
        """A name written exactly (any case, any known shortening) at tokens[i], with an
        optional title before it."""
        start = i
        while ctx.norm(start) in TITLES:
            start += 1
        for n in range(min(self.longest, len(ctx.tokens) - start), 0, -1):
            typed = [_key(ctx.norm(k)) for k in range(start, start + n)]
            joined = ("".join(typed),) if n > 1 else ()  # `hydra facial` for HydraFacial
            for phrase in (" ".join(typed), " ".join(stem(w) for w in typed), *joined):
                if phrase in self.exact and not (n == 1 and typed[0] in self.reserved):
                    record(ctx, self.exact[phrase][1], ctx.span(i, start + n - i))
                    return start + n - i
        return 0

    def starting(self, prefix: str) -> list[Named]:
        """Names with a word that starts with prefix: `consult` for Consultation."""
        found: list[Named] = []
        for key, (_, named) in self.exact.items():
            if " " not in key and key.startswith(prefix) and len(key) > len(prefix):
                found += [n for n in named if n not in found]
        return found

    def close(self, phrase: str) -> list[tuple[float, Named]]:
        """Names close to phrase, best first, one score per name."""
        best: dict[int, tuple[float, Named]] = {}
        for key, score, _ in process.extract(
            phrase, self.keys, scorer=similarity, limit=8, score_cutoff=SUGGEST
        ):
            for named in self.exact[key][1]:
                if score > best.get(id(named), (0.0, named))[0]:
                    best[id(named)] = (score, named)
        return sorted(best.values(), key=lambda pair: -pair[0])

    def find(self, text: str) -> tuple[list[Named], bool]:
        """What a whole phrase names: (names, exact). Exact names first, then a prefix,
        then one clearly right typo; otherwise the near names as suggestions (exact=False)."""
        norm = " ".join(_key(w) for w in words(text) if w not in TITLES) or " ".join(words(text))
        for phrase in (norm, norm.replace(" ", "")):
            if phrase in self.exact:
                return list(self.exact[phrase][1]), True
        if " " not in norm and len(norm) >= 4 and (starting := self.starting(norm)):
            return starting, True
        close = self.close(norm)
        if not close:
            return [], False
        best = close[0][0]
        near = [named for score, named in close if score >= best - MARGIN]
        clear = best >= ACCEPT and len(near) == 1 and len(norm.replace(" ", "")) >= MIN_TYPO_LENGTH
        return near, clear


def _key(word: str) -> str:
    """How a typed word is looked up: slashes dropped (`f/u` -> `fu`)."""
    return word.replace("/", "")


def _aliases(core: list[str], reserved: set[str], kind: str) -> Iterable[tuple[str, int]]:
    yield " ".join(core), 3
    split = [part for word in core for part in word.split("-")]
    if split != core:
        yield " ".join(split), 3  # `follow up` for Follow-up
        yield " ".join(w.replace("-", "") for w in core), 3  # `followup`
        # `fu treatment` (typed `f/u tx`) for Follow-up Treatment
        yield " ".join("".join(p[0] for p in w.split("-")) if "-" in w else w for w in core), 3
    stems = [stem(w) for w in split]
    if stems != split:
        yield " ".join(stems), 3  # `dry needle` for Dry Needling
    for word in core:  # `fu` (typed `f/u`, `FU`) for the Follow-up of Follow-up Treatment
        if "-" in word:
            yield "".join(p[0] for p in word.split("-")), 1
    if kind == "service" and len(split) > 1:
        initials = "".join(w[0] for w in split if w not in _STOP)
        if len(initials) > 1 and initials not in reserved:
            yield initials, 2  # `IA`, `f/u`, `PRP`
    for size in range(1, len(split)):
        for start in range(len(split) - size + 1):
            part = split[start : start + size]
            if all(w in _STOP for w in part):
                continue
            if size == 1 and (len(part[0]) < 3 or part[0] in reserved or part[0] in _STOP):
                continue  # `may`, `p`, `am` mean something else in a line
            yield " ".join(part), 1
            stems = [stem(w) for w in part]
            if stems != part and (size > 1 or stems[0] not in reserved):
                yield " ".join(stems), 1


def record(ctx: Line, found: list[Named], phrase: str, *, corrected: bool = False) -> None:
    chosen = [n for n in found if n in ctx.found.named or _already(ctx, n)]
    if len(found) > 1 and chosen:
        found = chosen  # `Lip Filer`: `lip` chose Lip Filler, so `Filer` is not Cheek Filler
    if len(found) > 1:
        names = sorted(n.name for n in found)
        ctx.found.problems.append(
            f"'{phrase}' could be {', '.join(names[:-1])} or {names[-1]} — which one?"
        )
        return
    named = found[0]
    ctx.found.named.append(named)
    if corrected:
        ctx.found.corrected[named.name] = phrase
    if isinstance(named.item, Service):
        current = ctx.found.service
        if current is not None and current[0].id != named.item.id:
            ctx.found.problems.append(
                f"'{current[1]}' and '{phrase}' are two services, {current[0].name} and "
                f"{named.name}; an entry is for one service."
            )
            return
        ctx.found.service = (named.item, phrase)
    elif isinstance(named.item, Provider) and all(
        p.id != named.item.id for p in ctx.found.providers
    ):
        ctx.found.providers.append(named.item)


def _already(ctx: Line, named: Named) -> bool:
    service = ctx.found.service
    if isinstance(named.item, Service):
        return service is not None and service[0].id == named.item.id
    return any(p.id == named.item.id for p in ctx.found.providers)
