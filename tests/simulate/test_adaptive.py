"""Adaptive batch size (SPEC §12): chances from people's own answers, batches just big
enough to reach the target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.settings import Settings
from core.adaptive import (
    AdaptiveBatch,
    awake,
    batch_size,
    clinic_rates,
    history,
    lead_bucket,
    round_target,
    yes_chance,
)
from core.model import Offer, OfferStatus
from core.policy import AUTO_BATCH_MOST, Policy


def test_a_newcomer_counts_as_the_clinic_rate() -> None:
    assert yes_chance(0, 0, 0.2, 4) == pytest.approx(0.2)


def test_someone_who_never_says_yes_sinks_toward_zero() -> None:
    assert yes_chance(0, 8, 0.2, 4) == pytest.approx(0.8 / 12)
    assert yes_chance(4, 4, 0.2, 4) == pytest.approx(4.8 / 8)


def test_the_batch_is_just_big_enough_for_the_target() -> None:
    # 1 - 0.5^2 = 0.75 < 0.8; 1 - 0.5^3 = 0.875
    assert batch_size([], [0.5] * 6, target=0.8, most=10) == 3
    assert batch_size([0.5, 0.5], [0.5] * 6, target=0.8, most=10) == 1
    assert batch_size([0.9], [0.5] * 6, target=0.8, most=10) == 0


def test_the_batch_stays_within_the_most_allowed() -> None:
    assert batch_size([], [0.05] * 20, target=0.8, most=4) == 4
    assert batch_size([0.05, 0.05], [0.05] * 20, target=0.8, most=4) == 2


def test_an_opening_with_nothing_pending_always_gets_one_offer() -> None:
    assert batch_size([], [0.99], target=0.8, most=5) == 1


def test_withdrawn_offers_say_nothing_about_a_person() -> None:
    def offer(status: OfferStatus) -> Offer:
        return Offer(opening_id=1, entry_id=7, client_id=1, expires_at=None, status=status)  # type: ignore[arg-type]

    past = [offer(s) for s in (OfferStatus.ACCEPTED, OfferStatus.LAPSED, OfferStatus.WITHDRAWN)]
    assert history(past) == {7: (1, 2)}


def test_clinic_rates_come_from_answers_by_lead_time_else_the_fallback() -> None:
    outcomes = [(timedelta(hours=2), OfferStatus.ACCEPTED)] * 5 + [
        (timedelta(hours=2), OfferStatus.LAPSED)
    ] * 15
    rates = clinic_rates(outcomes, (0.1, 0.2, 0.3, 0.4))
    assert rates == (0.25, 0.2, 0.3, 0.4)
    assert lead_bucket(timedelta(hours=30)) == 2


def test_batch_size_auto_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WAITLIST_OFFER_BATCH_SIZE", "auto")
    policy = Settings().policy()
    assert policy.adaptive == AdaptiveBatch() and policy.batch_size == AUTO_BATCH_MOST
    monkeypatch.setenv("WAITLIST_OFFER_BATCH_SIZE", "4")
    assert Settings().policy().batch_size == 4 and Settings().policy().adaptive is None


def test_with_time_for_many_rounds_each_round_needs_less() -> None:
    assert round_target(0.8, 1) == pytest.approx(0.8)
    assert 1 - (1 - round_target(0.8, 10)) ** 10 == pytest.approx(0.8)
    assert batch_size([], [0.2] * 10, target=round_target(0.8, 10), most=10) == 1
    assert batch_size([], [0.2] * 10, target=round_target(0.8, 1), most=10) == 8


def test_time_for_offers_leaves_quiet_hours_out() -> None:
    # 18:00 New York on Monday to 20:00 on Tuesday: 18-21 and 08-20.
    start = datetime(2027, 1, 4, 23, 0, tzinfo=UTC)
    end = datetime(2027, 1, 6, 1, 0, tzinfo=UTC)
    assert awake(start, end, Policy(), "America/New_York") == timedelta(hours=15)
    assert awake(start, end, Policy(quiet_hours=None), "America/New_York") == end - start
    assert awake(end, start, Policy(), "America/New_York") == timedelta(0)


def test_a_person_joins_only_while_they_add_enough_fill_chance_per_just_taken_text() -> None:
    # Unlikely answerers: the k-th adds a little under 1/k of the batch's fill chance, so a
    # least gain of 0.24 stops at 4 however far the target is.
    assert batch_size([], [0.02] * 20, target=0.8, most=10, least_gain=0.24) == 4
    assert batch_size([], [0.02] * 20, target=0.8, most=10, least_gain=0.0) == 10
    # Likely answerers: a second one adds 0.25 of a 0.75 fill chance (1/3), a third
    # 0.125 of 0.875 (1/7), a fourth 0.0625 of 0.9375 (1/15).
    assert batch_size([], [0.5] * 6, target=0.95, most=10, least_gain=0.3) == 2
    assert batch_size([], [0.5] * 6, target=0.95, most=10, least_gain=0.1) == 3


def test_the_least_gain_counts_the_offers_already_out() -> None:
    assert batch_size([0.02] * 3, [0.02] * 20, target=0.8, most=10, least_gain=0.24) == 1
    assert batch_size([0.02] * 4, [0.02] * 20, target=0.8, most=10, least_gain=0.24) == 0
    assert batch_size([], [0.99], target=0.8, most=5, least_gain=0.99) == 1
