"""The candidate search stops early; these cases check it never stops too early."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from core import fill, offers
from core.matching import slot_spec
from core.policy import Policy
from core.ranking import candidate_query
from storage.uow import SqlUnitOfWork
from tests.scenario import NOW, TZ, build_world, later, local


def test_a_recently_offered_urgent_client_still_outranks_a_full_page_of_others(
    uow_factory: Callable[[], SqlUnitOfWork],
) -> None:
    policy = Policy(batch_size=1, cap_per_day=0, cap_per_week=0)
    world = build_world(uow_factory, policy)
    holder = world.client("Holder", 9999)
    earlier = world.appointment(holder, local(17, 10))
    urgent = world.entry(world.client("Urgent", 1001), priority=1, at=NOW - timedelta(days=1))
    first = world.entry(world.client("First", 1002), at=NOW - timedelta(days=3))
    second = world.entry(world.client("Second", 1003), at=NOW - timedelta(days=2))
    world.entry(world.client("Third", 1004), at=NOW - timedelta(days=1))
    with uow_factory() as uow:  # Urgent gets (and declines) an offer: one this week
        fill.handle_cancellation(
            uow=uow, appointment_id=earlier.id, actor="s", now=NOW, policy=policy
        )
        offers.decline_offer(uow=uow, entry_id=urgent.id, actor="c", now=later(1), policy=policy)
        uow.commit()
    spec = slot_spec(
        clinic_id=world.clinic.id,
        timezone=TZ,
        starts_at=local(17, 14),
        ends_at=local(17, 15),
        service_id=world.botox.id,
        provider_id=world.johnson.id,
    )
    with uow_factory() as uow:
        top = uow.entries.candidates(
            candidate_query(spec, now=later(2), policy=policy, exclude_opening_id=None, limit=2)
        )
    # "First" holds the pending offer from the decline, so the two fresh ones are Second and
    # Third; Urgent's one recent offer does not outweigh priority 1.
    assert [(c.entry.id, c.offers_this_week) for c in top] == [(urgent.id, 1), (second.id, 0)]
    assert first.id not in [c.entry.id for c in top]
