"""The figures of one run, read from the store it left behind (SPEC §12)."""

from __future__ import annotations

import math
import statistics
from bisect import bisect_left
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from bot.simulate.engine import Run
from core.adaptive import LEAD_BUCKETS, lead_bucket
from core.model import MessageDirection, MessageStatus, OfferStatus, OpeningStatus

_DELIVERED = frozenset({MessageStatus.SENT, MessageStatus.DELIVERED})


@dataclass(frozen=True)
class Report:
    policy: str
    openings: int
    filled: int
    fill_rate: float
    fill_rate_by_lead: dict[str, float | None]
    openings_by_lead: dict[str, int]
    median_minutes_to_fill: float | None
    p90_minutes_to_fill: float | None
    offers_per_opening: float
    accepted_per_offer: float
    just_taken_per_fill: float
    most_texts_in_a_week: int
    expired_unfilled: int
    fills_by_priority: dict[str, int]
    patients_waiting: int
    patients_offered_share: float
    offers_gini: float
    opted_out: int
    wrong_numbers: int
    refused_replies: int  # patient texts the engine raised an error on

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def report(name: str, run: Run) -> Report:
    uow = run.uow
    openings = list(uow.openings.rows.values())
    offers = list(uow.offers.rows.values())
    filled = [o for o in openings if o.status is OpeningStatus.FILLED]
    by_lead: dict[str, list[bool]] = {bucket: [] for bucket in LEAD_BUCKETS}
    for opening in openings:
        lead = opening.starts_at - (opening.created_at or opening.starts_at)
        by_lead[LEAD_BUCKETS[lead_bucket(lead)]].append(opening.status is OpeningStatus.FILLED)
    minutes = sorted(
        (o.filled_at - o.created_at) / timedelta(minutes=1)
        for o in filled
        if o.filled_at and o.created_at
    )
    outbound = [
        m
        for m in uow.messages.rows.values()
        if m.direction is MessageDirection.OUTBOUND
        and m.status in _DELIVERED
        and m.client_id not in (None, run.holder_id)
    ]
    withdrawn = sum(1 for m in outbound if m.kind == "withdrawn")
    taken = withdrawn + len(run.taken_replies)
    priorities: dict[str, int] = {}
    for opening in filled:
        priority = run.priority_of_entry.get(opening.filled_entry_id or 0, 0)
        priorities[str(priority)] = priorities.get(str(priority), 0) + 1
    per_entry = {entry_id: 0 for entry_id in run.priority_of_entry}
    for offer in offers:
        per_entry[offer.entry_id] = per_entry.get(offer.entry_id, 0) + 1
    clients = uow.clients.rows.values()
    return Report(
        policy=name,
        openings=len(openings),
        filled=len(filled),
        fill_rate=_share(len(filled), len(openings)),
        fill_rate_by_lead={k: _share(sum(v), len(v)) if v else None for k, v in by_lead.items()},
        openings_by_lead={k: len(v) for k, v in by_lead.items()},
        median_minutes_to_fill=round(statistics.median(minutes), 1) if minutes else None,
        p90_minutes_to_fill=round(_percentile(minutes, 0.9), 1) if minutes else None,
        offers_per_opening=_ratio(len(offers), len(openings)),
        accepted_per_offer=_share(
            sum(1 for o in offers if o.status is OfferStatus.ACCEPTED), len(offers)
        ),
        just_taken_per_fill=_ratio(taken, len(filled)),
        most_texts_in_a_week=_most_in_a_week(outbound),
        expired_unfilled=sum(1 for o in openings if o.status is OpeningStatus.EXPIRED),
        fills_by_priority=dict(sorted(priorities.items())),
        patients_waiting=len(per_entry),
        patients_offered_share=_share(sum(1 for n in per_entry.values() if n), len(per_entry)),
        offers_gini=round(gini(list(per_entry.values())), 3),
        opted_out=sum(1 for c in clients if c.sms_opt_out),
        wrong_numbers=sum(1 for c in clients if c.phone_invalid),
        refused_replies=len(run.refused_replies),
    )


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0


def _percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ordered list."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def gini(values: list[int]) -> float:
    """0 when everyone got as many offers as everyone else; near 1 when a few got them all."""
    if not values or not sum(values):
        return 0.0
    ordered = sorted(values)
    n, total = len(ordered), sum(ordered)
    weighted = sum((i + 1) * v for i, v in enumerate(ordered))
    return (2 * weighted) / (n * total) - (n + 1) / n


def _most_in_a_week(outbound: list[Any]) -> int:
    """The most texts one patient got in any 7 days: outbox texts and replies to theirs."""
    times: dict[int, list[Any]] = {}
    for message in outbound:
        times.setdefault(message.client_id, []).append(message.sent_at or message.created_at)
    most = 0
    week = timedelta(days=7)
    for stamps in times.values():
        stamps.sort()
        for i, stamp in enumerate(stamps):
            most = max(most, bisect_left(stamps, stamp + week) - i)
    return most
