"""Batch size auto in the real fill, on the real databases: a slot today gets a wide batch,
a slot days ahead goes one person at a time, and people who ignore offers count for less."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from core import fill
from core.adaptive import AdaptiveBatch
from core.model import Offer, OfferStatus, Opening, OpeningStatus
from core.policy import Policy
from tests.scenario import NOW, build_world, local

AUTO = Policy(batch_size=6, adaptive=AdaptiveBatch(target=0.8, clinic_rates=(0.3, 0.3, 0.3, 0.3)))


def _cancel(uow_factory: Callable, day: int, hour: int, silent: int = 0) -> list:
    world = build_world(uow_factory, AUTO)
    holder = world.client("Holder", 9999)
    appt = world.appointment(holder, local(day, hour))
    entries = []
    for i in range(8):
        client = world.client(f"Client{i}", 1000 + i)
        entries.append(world.entry(client, at=NOW - timedelta(days=1, minutes=-i)))
    with uow_factory() as uow:  # the first `silent` entries let six earlier offers lapse
        for n in range(6 if silent else 0):
            past = local(2, 10) - timedelta(days=n)
            earlier = uow.openings.add(
                Opening(
                    clinic_id=world.clinic.id,
                    provider_id=world.johnson.id,
                    service_id=world.botox.id,
                    starts_at=past,
                    ends_at=past + timedelta(hours=1),
                    cutoff_at=past - timedelta(hours=1),
                    status=OpeningStatus.EXPIRED,
                    created_at=past - timedelta(days=1),
                )
            )
            for entry in entries[:silent]:
                offer = uow.offers.add(
                    Offer(
                        opening_id=earlier.id,
                        entry_id=entry.id,
                        client_id=entry.client_id,
                        expires_at=past - timedelta(hours=2),
                        created_at=past - timedelta(hours=3),
                    )
                )
                offer.status = OfferStatus.LAPSED
                uow.offers.save(offer)
        uow.commit()
    with uow_factory() as uow:
        step = fill.handle_cancellation(
            uow=uow, appointment_id=appt.id, actor="staff", now=NOW, policy=AUTO
        )
        uow.commit()
    return step.offered


@pytest.mark.parametrize(
    ("day", "hour", "silent", "offers"),
    [
        # Now is 10:00. A slot at 12:00 has its cut-off at 11:00: four 15-minute rounds, each
        # needing 1 - 0.2^(1/4) = 0.33; at 0.3 a person that takes two.
        (16, 12, 0, 2),
        # A slot at 16:00 has twenty rounds (0.077 each): one person. So has one days ahead.
        (16, 16, 0, 1),
        (18, 10, 0, 1),
        # The first three ignored six offers each: (0 + 0.3 * 4) / (6 + 4) = 0.12 apiece, so
        # it takes them and one newcomer to reach 0.33.
        (16, 12, 3, 4),
    ],
)
def test_auto_offers_to_just_enough_people(
    uow_factory, day: int, hour: int, silent: int, offers: int
) -> None:
    assert len(_cancel(uow_factory, day, hour, silent)) == offers
