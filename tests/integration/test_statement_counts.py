"""A fill step costs a fixed, small number of SQL statements, whatever the batch size: the
rows of a batch are changed set by set, not one object at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import Engine, event

from core import fill, offers
from core.conversation import receive_sms
from core.model import EntryStatus, MessageStatus, OfferStatus, OpeningStatus
from core.policy import Policy
from storage.db import make_engine
from storage.uow import uow_factory
from tests.scenario import NOW, World, build_world, later, local

# SPEC §14 budgets 15 statements for an inbound YES or NO. These hold what it takes today
# (the webhook outbox's read of the endpoints at commit included), so that it cannot grow:
# the engine's part, and the whole text from the sender's phone number to the commit.
YES_BUDGET = 14
NO_BUDGET = 15
TEXT_BUDGETS = {"YES": 14, "NO": 15}


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL this thread sends while the block runs (other threads are left out)."""
    seen: list[str] = []
    me = threading.get_ident()

    def count(*args: Any) -> None:
        # SQLite's BEGIN IMMEDIATE (storage.db) is the transaction start psycopg sends
        # without a cursor on PostgreSQL: left out so that both count the same work.
        if threading.get_ident() == me and args[2] != "BEGIN IMMEDIATE":
            seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _world(database_url: str) -> tuple[Engine, World]:
    """Fifteen clients waiting, more than any batch below offers to."""
    engine = make_engine(database_url)
    world = build_world(uow_factory(engine))
    for i in range(15):
        world.entry(world.client(f"C{i}", 1000 + i), at=NOW - timedelta(minutes=60 - i))
    return engine, world


def _offered(world: World, batch: int, hour: int) -> tuple[int, list[int], Policy]:
    """A cancelled appointment at `hour`: its opening and the entries offered it."""
    policy = Policy(batch_size=batch, cap_per_day=0, cap_per_week=0, quiet_hours=None)
    appointment = world.appointment(world.client(f"Holder{hour}", 9000 + hour), local(17, hour))
    with world.make_uow() as uow:
        step = fill.handle_cancellation(
            uow=uow, appointment_id=appointment.id, actor="staff", now=NOW, policy=policy
        )
        uow.commit()
    assert len(step.offered) == batch
    return step.opening.id or 0, [o.entry_id for o in step.offered], policy


def _counted(engine: Engine, world: World, work: Callable[..., object]) -> int:
    with world.make_uow() as uow, statements(engine) as seen:
        work(uow=uow)
        uow.commit()
    return len(seen)


def test_a_yes_that_withdraws_the_other_offers_takes_a_fixed_number_of_statements(
    database_url: str,
) -> None:
    engine, world = _world(database_url)
    counts = []
    for batch, hour in ((5, 10), (3, 11), (9, 12)):
        opening_id, offered, policy = _offered(world, batch, hour)
        counts.append(
            _counted(
                engine,
                world,
                partial(
                    offers.accept_offer,
                    entry_id=offered[0],
                    actor="patient",
                    now=later(2),
                    policy=policy,
                ),
            )
        )
        with world.make_uow() as uow:
            statuses = sorted(o.status for o in uow.offers.for_opening(opening_id))
            entries = [uow.entries.get(i) for i in offered]
            kinds = [e.kind for e in uow.events.list(opening_id=opening_id, limit=500)]
            texts = [
                m.kind
                for m in uow.messages.recent(500)
                if m.status is MessageStatus.QUEUED and m.offer_id is not None
            ]
            opening = uow.openings.get(opening_id)
        withdrawn = batch - 1
        assert statuses == sorted([OfferStatus.ACCEPTED] + [OfferStatus.WITHDRAWN] * withdrawn)
        assert [e.status for e in entries] == [EntryStatus.BOOKED] + [EntryStatus.WAITING] * (
            withdrawn
        )
        assert opening is not None and opening.status is OpeningStatus.FILLED
        assert kinds.count("OfferWithdrawn") == withdrawn and kinds.count("OpeningFilled") == 1
        assert texts.count("booked") == hour - 9  # one more booking each round
    engine.dispose()
    assert counts[0] <= YES_BUDGET, counts  # four offers withdrawn
    assert len(set(counts)) == 1, f"statements by batch size 5, 3, 9: {counts}"


def test_a_no_that_offers_the_next_candidate_takes_a_fixed_number_of_statements(
    database_url: str,
) -> None:
    engine, world = _world(database_url)
    counts = []
    for batch, hour in ((5, 10), (3, 11), (1, 12)):
        opening_id, offered, policy = _offered(world, batch, hour)
        counts.append(
            _counted(
                engine,
                world,
                partial(
                    offers.decline_offer,
                    entry_id=offered[0],
                    actor="patient",
                    now=later(2),
                    policy=policy,
                ),
            )
        )
        with world.make_uow() as uow:
            pending = [
                o for o in uow.offers.for_opening(opening_id) if o.status is OfferStatus.PENDING
            ]
            declined = uow.entries.get(offered[0])
        assert len(pending) == batch and offered[0] not in {o.entry_id for o in pending}
        assert declined is not None and declined.status is EntryStatus.WAITING
    engine.dispose()
    assert counts[0] <= NO_BUDGET, counts
    assert len(set(counts)) == 1, f"statements by batch size 5, 3, 1: {counts}"


@pytest.mark.parametrize("answer", ["YES", "NO"])
def test_a_whole_inbound_yes_or_no_stays_within_its_budget(database_url: str, answer: str) -> None:
    """From the phone number to the commit: who wrote and where they stand, the inbound
    message, the engine's work and the outbox, whatever the batch size."""
    engine, world = _world(database_url)
    counts = []
    for batch, hour in ((5, 10), (3, 11)):
        opening_id, offered, policy = _offered(world, batch, hour)
        with world.make_uow() as uow:
            entry = uow.entries.get(offered[0])
            assert entry is not None
            client = uow.clients.get(entry.client_id)
        assert client is not None
        counts.append(
            _counted(
                engine,
                world,
                partial(
                    receive_sms,
                    sid=f"SM{answer}{hour}",
                    phone=client.phone,
                    body=answer,
                    now=later(2),
                    policy=policy,
                ),
            )
        )
        with world.make_uow() as uow:
            statuses = {o.entry_id: o.status for o in uow.offers.for_opening(opening_id)}
        wanted = OfferStatus.ACCEPTED if answer == "YES" else OfferStatus.DECLINED
        assert statuses[offered[0]] is wanted
    engine.dispose()
    assert counts[0] <= TEXT_BUDGETS[answer], counts
    assert len(set(counts)) == 1, f"statements by batch size 5, 3: {counts}"
