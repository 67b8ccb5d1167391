"""`waitlist simulate --calibrate`: the patients' response model estimated from a clinic's own
Event log, written as the `patients:` part of a scenario.

From each offer's OfferSent and how it ended: the YES share of the answers per lead time, the
reply delay (median and spread of its logarithm), the share of offers left unanswered, the
share of patients who never answered anything (three offers or more), and STOP per answer.
Answers that came after the hold ran out are not in the log as answers, so delays are those of
answers in time and the no-reply share counts late answers as none.
"""

from __future__ import annotations

import math
import statistics
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from core.adaptive import LEAD_BUCKETS, lead_bucket
from core.model import Event, EventKind

_ENDS = {
    "OfferAccepted": "yes",
    "OfferDeclined": "no",
    "OfferLapsed": "silent",
}
KINDS = ("OpeningCreated", "OfferSent", "ClientOptedOut", *_ENDS)


@dataclass
class _Offer:
    client_id: int | None
    sent_at: datetime
    lead_bucket: str
    outcome: str | None = None
    answered_at: datetime | None = None


def estimate(events: Iterable[Event]) -> dict[str, Any]:
    """The `patients:` fragment for a scenario, from events in any order."""
    ordered = sorted(events, key=lambda e: (e.at, e.id or 0))
    starts: dict[int, datetime] = {}
    offers: dict[int, _Offer] = {}
    opt_outs = 0
    for event in ordered:
        if event.kind == EventKind.OPENING_CREATED and event.opening_id is not None:
            starts[event.opening_id] = datetime.fromisoformat(str(event.data["starts_at"]))
        elif event.kind == EventKind.OFFER_SENT and event.offer_id is not None:
            start = starts.get(event.opening_id or 0)
            if start is not None:
                bucket = LEAD_BUCKETS[lead_bucket(start - event.at)]
                offers[event.offer_id] = _Offer(event.client_id, event.at, bucket)
        elif event.kind in _ENDS and event.offer_id in offers:
            offer = offers[event.offer_id]
            offer.outcome, offer.answered_at = _ENDS[event.kind], event.at
        elif event.kind == EventKind.CLIENT_OPTED_OUT:
            opt_outs += 1
    ended = [o for o in offers.values() if o.outcome is not None]
    if not ended:
        raise ValueError("the log holds no offers that were answered or ran out")
    answered = [o for o in ended if o.outcome != "silent"]
    by_client: dict[int | None, list[_Offer]] = {}
    for offer in ended:
        by_client.setdefault(offer.client_id, []).append(offer)
    regulars = [mine for mine in by_client.values() if len(mine) >= 3]
    never = [mine for mine in regulars if all(o.outcome == "silent" for o in mine)]
    never_share = len(never) / len(regulars) if regulars else 0.0
    silent_ones = {mine[0].client_id for mine in never}
    others = [o for o in ended if o.client_id not in silent_ones]
    silent_others = sum(1 for o in others if o.outcome == "silent")
    delays = [
        max((o.answered_at - o.sent_at).total_seconds() / 60, 0.1)
        for o in answered
        if o.answered_at is not None
    ]
    overall_yes = sum(o.outcome == "yes" for o in answered) / len(answered) if answered else 0.5
    acceptance = {}
    for bucket in LEAD_BUCKETS:
        mine = [o for o in answered if o.lead_bucket == bucket]
        share = sum(o.outcome == "yes" for o in mine) / len(mine) if mine else overall_yes
        acceptance[bucket] = round(share, 3)
    logs = [math.log(d) for d in delays]
    return {
        "acceptance": acceptance,
        "reply_delay": {
            "median_minutes": round(statistics.median(delays), 1) if delays else 8.0,
            "spread": round(statistics.pstdev(logs), 2) if len(logs) > 1 else 1.0,
        },
        "never_answer": round(never_share, 3),
        "no_reply": round(silent_others / len(others), 3) if others else 0.0,
        "opt_out": round(opt_outs / len(answered), 4) if answered else 0.0,
        "_counts": {"offers": len(ended), "answered": len(answered), "patients": len(by_client)},
    }


def read_events(url: str) -> list[Event]:
    """The events the estimate needs, from the clinic's database."""
    from sqlalchemy import select

    from storage.db import make_engine
    from storage.tables import EventRow

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(EventRow).where(EventRow.kind.in_(KINDS)))
            return [
                Event(
                    kind=row.kind,
                    actor=row.actor,
                    at=row.at,
                    opening_id=row.opening_id,
                    offer_id=row.offer_id,
                    client_id=row.client_id,
                    data=row.data or {},
                    id=row.id,
                )
                for row in rows
            ]
    finally:
        engine.dispose()


def calibrate_command(url: str | None, out: Path | None) -> int:
    if url is None:
        from bot.settings import Settings

        url = Settings().database_url
    try:
        fragment = estimate(read_events(url))
    except ValueError as exc:
        print(f"Error: cannot calibrate from {_masked(url)}: {exc}", file=sys.stderr)
        return 2
    counts = fragment.pop("_counts")
    text = (
        f"# Estimated from {counts['offers']} offers ({counts['answered']} answered) to "
        f"{counts['patients']} patients.\n"
        + yaml.safe_dump({"patients": fragment}, sort_keys=False)
    )
    if out is not None:
        out.write_text(text, encoding="utf-8")
        print(f"Wrote {out}")
    else:
        print(text, end="")
    return 0


def _masked(url: str) -> str:
    """A database URL without its password."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, credentials = head.partition("://")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{tail}"
