"""Adaptive batch size (SPEC §12): offer a slot to just enough people that someone says YES
in time (before the cut-off) with the target probability.

Each candidate's chance of a YES within the hold is their own record of answers shrunk
toward the clinic's rate for the slot's lead time (a beta prior worth `prior_weight` offers):
a newcomer counts as the clinic's average, someone who never answers sinks toward zero.
The target is for the whole time left: with room for several rounds of offers before the
cut-off (hold by hold, quiet hours left out), each round needs less, and a slot days ahead
is offered one person at a time while a slot this afternoon gets a wider batch.

Each person added to a batch is one more "just taken" text whenever the batch fills, so a
person is added only while the chance of a fill they add is at least `least_gain` of the
chance that the batch fills: for unlikely answerers this caps the batch near 1/least_gain,
for likely ones much lower.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from core.model import OfferStatus, Opening

if TYPE_CHECKING:  # policy.py holds an AdaptiveBatch; importing it here would be a cycle
    from core.model import Offer
    from core.policy import Policy
    from core.ports import Candidate, UnitOfWork

# Lead time = slot start - moment of the offer. The same buckets everywhere lead time is
# reported: under 4 hours, 4-24 hours, 1-3 days, over 3 days.
LEAD_BUCKETS = ("<4h", "4-24h", "1-3d", ">3d")
_BOUNDS = (timedelta(hours=4), timedelta(hours=24), timedelta(days=3))

# Offers whose outcome says something about the person: a YES in time, a NO, silence until
# the hold ran out, or a text that could not reach them. A withdrawn offer says nothing.
ANSWERED = frozenset(
    {OfferStatus.ACCEPTED, OfferStatus.DECLINED, OfferStatus.LAPSED, OfferStatus.FAILED}
)


def lead_bucket(lead: timedelta) -> int:
    """Index into LEAD_BUCKETS."""
    for index, bound in enumerate(_BOUNDS):
        if lead < bound:
            return index
    return len(_BOUNDS)


@dataclass(frozen=True)
class AdaptiveBatch:
    """`WAITLIST_OFFER_BATCH_SIZE=auto`. `clinic_rates` is the chance that an offer gets a YES
    within the hold, per lead-time bucket (see `waitlist simulate --calibrate`)."""

    target: float = 0.8
    prior_weight: float = 4.0
    least_gain: float = 0.15  # fill chance a person must add per "just taken" text risked
    clinic_rates: tuple[float, float, float, float] = (0.08, 0.12, 0.15, 0.18)

    def __post_init__(self) -> None:
        if not 0 < self.target < 1:
            raise ValueError("the adaptive target must be between 0 and 1")
        if self.prior_weight <= 0:
            raise ValueError("the prior weight must be positive")
        if not 0 <= self.least_gain < 1:
            raise ValueError("the least gain must be at least 0 and below 1")
        if len(self.clinic_rates) != len(LEAD_BUCKETS) or not all(
            0 < rate < 1 for rate in self.clinic_rates
        ):
            raise ValueError("clinic rates need one value in (0, 1) per lead-time bucket")


def yes_chance(yes: int, answered: int, prior: float, prior_weight: float) -> float:
    """Posterior mean of a Beta(prior*w, (1-prior)*w) after `yes` of `answered`."""
    return (yes + prior * prior_weight) / (answered + prior_weight)


def batch_size(
    pending: Sequence[float],
    candidates: Iterable[float],
    *,
    target: float,
    most: int,
    least_gain: float = 0.0,
) -> int:
    """How many of `candidates` (chances, best-ranked first) to add to the `pending` offers so
    that P(at least one YES) reaches `target`, with at most `most` offers out in all. A
    person joins only while the fill chance they add is at least `least_gain` times the
    batch's chance of filling with them in (when it fills, each other holder is told "just
    taken"). At least one when nothing is pending, so an opening is never left without an
    offer."""
    miss = 1.0
    for chance in pending:
        miss *= 1 - chance
    added = 0
    for chance in candidates:
        if 1 - miss >= target or len(pending) + added >= most:
            break
        with_them = miss * (1 - chance)
        if (pending or added) and miss - with_them < least_gain * (1 - with_them):
            break
        miss = with_them
        added += 1
    return added


def history(offers: Iterable[Offer]) -> dict[int, tuple[int, int]]:
    """(YES in time, answered) per entry, from its past offers."""
    counts: dict[int, tuple[int, int]] = {}
    for offer in offers:
        if offer.status not in ANSWERED:
            continue
        yes, answered = counts.get(offer.entry_id, (0, 0))
        counts[offer.entry_id] = (yes + (offer.status is OfferStatus.ACCEPTED), answered + 1)
    return counts


def adaptive_room(
    uow: UnitOfWork,
    opening: Opening,
    pending: Sequence[Offer],
    candidates: Sequence[Candidate],
    *,
    now: datetime,
    policy: Policy,
) -> int:
    """How many new offers the fill should send now for `opening` under `policy.adaptive`."""
    settings = policy.adaptive
    assert settings is not None
    prior = settings.clinic_rates[lead_bucket(opening.starts_at - now)]
    clinic = uow.clinics.get(opening.clinic_id)
    timezone = clinic.timezone if clinic else "UTC"
    rounds = max(1, int(awake(now, opening.cutoff_at, policy, timezone) / policy.hold))
    reachable = [c for c in candidates if c.client.reachable][: policy.batch_size]
    entry_ids = [o.entry_id for o in pending] + [c.entry.id or 0 for c in reachable]
    past = history(uow.offers.for_entries(entry_ids))

    def chance(entry_id: int) -> float:
        yes, answered = past.get(entry_id, (0, 0))
        return yes_chance(yes, answered, prior, settings.prior_weight)

    return batch_size(
        [chance(o.entry_id) for o in pending],
        (chance(c.entry.id or 0) for c in reachable),
        target=round_target(settings.target, rounds),
        most=policy.batch_size,
        least_gain=settings.least_gain,
    )


def round_target(target: float, rounds: int) -> float:
    """The chance one round of offers must reach so that `rounds` rounds in a row reach
    `target`: an opening with time for many rounds can go one person at a time."""
    return float(1 - (1 - target) ** (1 / rounds))


def awake(start: datetime, end: datetime, policy: Policy, timezone: str) -> timedelta:
    """Time between `start` and `end` outside quiet hours: when offers can go out."""
    quiet = policy.quiet_hours
    if end <= start:
        return timedelta(0)
    if quiet is None:
        return end - start
    total = timedelta(0)
    moment = start
    while moment < end:
        if quiet.contains(moment, timezone):
            moment = quiet.next_end(moment, timezone)
            continue
        zone = ZoneInfo(timezone)
        local = moment.astimezone(zone)
        starts = local.replace(hour=quiet.start.hour, minute=quiet.start.minute, second=0)
        starts = starts.replace(microsecond=0)
        if starts <= local:
            starts += timedelta(days=1)
        until = min(starts.astimezone(moment.tzinfo), end)
        total += until - moment
        moment = until
    return total


def clinic_rates(
    outcomes: Iterable[tuple[timedelta, OfferStatus]],
    fallback: tuple[float, float, float, float],
    *,
    least: int = 20,
) -> tuple[float, float, float, float]:
    """The share of answered offers that got a YES in time, per lead-time bucket, from
    (lead time, outcome) pairs; a bucket with fewer than `least` answers keeps its fallback."""
    yes = [0] * len(LEAD_BUCKETS)
    answered = [0] * len(LEAD_BUCKETS)
    for lead, status in outcomes:
        if status in ANSWERED:
            bucket = lead_bucket(lead)
            answered[bucket] += 1
            yes[bucket] += status is OfferStatus.ACCEPTED
    rates = [
        min(max(y / n, 0.01), 0.99) if n >= least else rate
        for y, n, rate in zip(yes, answered, fallback, strict=True)
    ]
    return (rates[0], rates[1], rates[2], rates[3])
